"""The fictional pseudonymisation test set (benchmarks/pseudonymise/): big enough for the
issue's claim (10+ transcripts, 300+ gold mentions of every kind), its gold marks well
formed, and no identifier in it that could belong to someone real: e-mail and web
addresses only on reserved domains (RFC 2606: example.org/.com/.net, .example, .test),
phone numbers only in ranges reserved for drama (Ofcom, ACMA, the US 555-01xx block)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from pipeline.pseudonymise.names import load_names

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "pseudonymise"
MARK = re.compile(r"\{([^{}|]+)\|([POLETUI])(?:\|([^{}|]+))?\}")
RESERVED_HOST = re.compile(r"(?:^|\.)(?:example\.(?:org|com|net)|[a-z0-9-]+\.(?:example|test))$", re.I)
# Digits of a phone number, national form (a leading +44 read as 0).
DRAMA_PREFIXES = (
    "07700900", "01632960", "08081570", "03069990", "0909879", "02079460", "02920180", "02896496",
    "0113496", "0114496", "0115496", "0116496", "0117496", "0118496", "0121496", "0131496",
    "0141496", "0151496", "0161496", "0191498",
)
US_FICTIONAL = re.compile(r"^1?\d{3}55501\d\d$")  # NPA-555-0100..0199
AU_FICTIONAL = re.compile(r"^(?:61|0)(?:49157\d{4}|[2378]5550\d{4}|[2378]7010\d{4})$")


def number(path: Path | str) -> int:
    """A transcript's number: the digits before the first underscore ("07_x" -> 7, "104_y" -> 104)."""
    return int(Path(path).name.split("_", 1)[0])


def transcripts() -> list[Path]:
    return sorted(DATA.glob("[0-9]*_*.txt"), key=number)


def gold() -> list[tuple[str, str, str]]:
    return [(p.name, m.group(1), m.group(2)) for p in transcripts()
            for m in MARK.finditer(p.read_text(encoding="utf-8"))]


def test_size_and_kinds() -> None:
    counts = Counter(kind for _, _, kind in gold())
    assert len(transcripts()) >= 10
    assert min(counts[k] for k in "POLETUI") >= 300, counts
    held_out = Counter(kind for name, _, kind in gold() if 44 < number(name) < 62)  # the second held-out part
    assert len([p for p in transcripts() if 44 < number(p) < 62]) >= 12
    assert min(held_out[k] for k in "POLETUI") >= 100, held_out


# Held-out parts written after the first: (first, last transcript, what a part must hold at
# least: transcripts, gold mentions, each of person/org/place, each of e-mail/phone/URL/ID).
HELD_OUT_PARTS = {
    "third (62-78)": (62, 78, 16, 1200, 120, 60),
    "fourth (79-97): settings the first 78 do not use": (79, 97, 16, 1200, 120, 60),
    "fifth (98-117): a writer who had not read the detection rules": (98, 117, 16, 1300, 130, 60),
    "sixth (118-137): a writer who had not read the detection rules": (118, 137, 16, 1300, 130, 65),
}


@pytest.mark.parametrize("part", HELD_OUT_PARTS)
def test_held_out_part_size_and_kinds(part: str) -> None:
    """Every kind plentiful in each held-out part, organisations and places as well as persons."""
    first, last, transcripts_at_least, mentions, pol, etui = HELD_OUT_PARTS[part]
    counts = Counter(kind for name, _, kind in gold() if first <= number(name) <= last)
    assert len([p for p in transcripts() if first <= number(p) <= last]) >= transcripts_at_least
    assert sum(counts.values()) >= mentions, counts
    assert min(counts[k] for k in "POL") >= pol, counts
    assert min(counts[k] for k in "ETUI") >= etui, counts


@pytest.mark.parametrize("path", transcripts(), ids=lambda p: p.name)
def test_marks_are_well_formed(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    plain = MARK.sub("", raw)
    assert not re.search(r"[{}]", plain), f"{path.name}: a brace outside a gold mark"


def test_addresses_are_on_reserved_domains() -> None:
    bad = []
    for name, text, kind in gold():
        if kind not in "EU" or " " in text:  # spoken forms ("b dot x at ...") have no host
            continue
        host = re.sub(r"^(?:[a-z]+://)?(?:[^@/]*@)?", "", text, flags=re.I).split("/")[0].split("?")[0]
        if not RESERVED_HOST.search(host):
            bad.append((name, text))
    assert not bad


def test_phones_are_in_drama_ranges() -> None:
    bad = []
    for name, text, kind in gold():
        digits = re.sub(r"\D", "", text)
        if kind != "T" or not digits:  # spoken numbers ("oh seven seven ...") carry no digits
            continue
        national = "0" + digits[2:] if digits.startswith("44") else digits
        if not (national.startswith(DRAMA_PREFIXES) or US_FICTIONAL.match(digits) or AU_FICTIONAL.match(digits)):
            bad.append((name, text))
    assert not bad


def test_names_list_loads() -> None:
    names = load_names(DATA / "names.txt")
    assert len(names) > 100
