"""Pseudonymisation: recall and precision per kind on the fictional annotated test set
(benchmarks/pseudonymise/, gold spans written inline), and speed.

Configurations, in one run on the same texts:
    rules only            e-mail/phone/URL/postcode/ID rules (the baseline)
    model, no list        rules + the spaCy model (no names at all)
    + speaker labels      ... + the study's own names (here: speaker labels)
    + names list          ... + the researcher's names list (benchmarks/pseudonymise/names.txt)

Recall: share of gold mentions whose every character is replaced (by any code: a name
coded as a place is still hidden; a leading title such as "Dr" or "Aunty", before a
person also "Sister", "Pastor", "PC" and the like in any casing, a leading "the" and a
trailing possessive "'s" may stay).
Precision: share of replacements that overlap a gold mention. Consistency: share of gold
entities (mentioned 2+ times and found) whose found mentions all got one code, and share
of codes that stand for one gold entity only.

Two parts, printed separately and together: "dev" (transcripts 01-117, on which detection
choices were made: 01-12 from the start, 13-44, 45-61, 62-78, 79-97 and 98-117 after each
had been measured once as a held-out part and their misses read) and "heldout6" (118
onwards, written and committed before any detection ran on them; see docs/pseudonymise.md).
``--part dev`` runs on the dev part alone, printing nothing about the held-out part: use
it while changing detection (``--dev`` is the same). ``--part heldout6`` runs on the
held-out part alone; ``--part heldout5`` (98-117), ``--part heldout4`` (79-97) and
``--part heldout3`` (62-78) on the parts that were held out before (to reproduce the
figures measured then, with the code of that time).
Speed: detection (model included) over one 10,000-word transcript made by joining the
dev transcripts (``--speed``: only that).

    python benchmarks/pseudonymise.py [--part dev|heldout6|heldout5|heldout4|heldout3|all] [--speed] [--annomi N] [--compare-model FOLDER ...]

``--annomi N`` prints what is proposed (model, rules and patterns, no list) on the first N
real AnnoMI transcripts (``../shared/benchmarks/annomi``), which have no gold: proposals per
10,000 words and the most frequent ones, to read for false positives on unseen real text.
``--compare-model FOLDER ...`` prints only the names-list configuration and the speed with
the default model and then with each spaCy pipeline folder given (a candidate model, see
models/README.md), in one run on the same texts.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.ingest.read import read_file  # noqa: E402
from pipeline.pseudonymise.detect import SourceText, assign_codes, detect  # noqa: E402
from pipeline.pseudonymise.names import load_names, study_names  # noqa: E402

DATA = Path(__file__).resolve().parent / "pseudonymise"
LETTERS = {"P": "PERSON", "O": "ORG", "L": "PLACE", "E": "EMAIL", "T": "PHONE", "U": "URL", "I": "ID"}
KINDS = list(LETTERS.values())
MARK = re.compile(r"\{([^{}|]+)\|([POLETUI])(?:\|([^{}|]+))?\}")
DEV_LAST = 117  # transcripts 01-117 are the development part; 118 onwards the sixth held-out part
# Held-out parts: name -> (first, last transcript, label). The current one is the last; a part
# that has since become development data stays selectable by name, to reproduce its figures.
HELD_OUT = {"heldout3": (62, 78, "held out 3"), "heldout4": (79, 97, "held out 4"),
            "heldout5": (98, 117, "held out 5"), "heldout6": (118, 999, "held out 6")}
CURRENT = "heldout6"
PARTS = {"dev": "dev", **{name: label for name, (_, _, label) in HELD_OUT.items()}}
# A title before a name ("Dr Rhys Evans") identifies no one: the name after it must be hidden.
# Before a person, any casing ("dr ailsa", "Sister Nomsa", "PC Kowalski"): the fifth round added
# the forms of address the detection already treats as titles (pipeline.pseudonymise.names.
# TITLE_WORDS) and police ranks, decided before any detection change of that round.
OLD_TITLE = re.compile(r"(?:Dr|Mr|Mrs|Ms|Miss|Prof|Professor|Frau|Herr|Pani|Rev|Reverend|Sergeant|Constable|"
                       r"Chief|Imam|Nurse|Matron|Attorney|Aunty|Uncle|Nana|Nan|Mama)\.?\s+")
PERSON_TITLE = re.compile(r"(?i:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Frau|Herr|Pani|Pan|Rev|Reverend|Sergeant|Sgt|"
                          r"Constable|PC|DC|DS|Inspector|Chief|Imam|Rabbi|Pastor|Father|Fr|Sister|Brother|Nurse|Matron|"
                          r"Attorney|Judge|Councillor|Cllr|Sir|Dame|Lord|Lady|Aunty|Auntie|Uncle|Nana|Nan|Mama|Papa|"
                          r"Madame|Monsieur|Elder|Captain|Coach)\.?\s+")
# Nor does an article before it or a possessive ending after it: "the [ORG_01]'s office" hides
# "the Lantern Trust's office" (the gold of transcripts 45-61 includes both in the mark).
ARTICLE = re.compile(r"(?:the|The)\s+")
POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")


def parse(raw: str) -> tuple[str, list[tuple[int, int, str, str]]]:
    """Text without marks, and gold (start, end, kind, entity)."""
    out, gold, last, length = [], [], 0, 0
    for m in MARK.finditer(raw):
        out.append(raw[last:m.start()])
        length += m.start() - last
        kind = LETTERS[m.group(2)]
        gold.append((length, length + len(m.group(1)), kind, m.group(3) or m.group(1).lower()))
        out.append(m.group(1))
        length += len(m.group(1))
        last = m.end()
    out.append(raw[last:])
    return "".join(out), gold


def number(name: str | Path) -> int:
    """A transcript's number: the digits before the first underscore ("07_x" -> 7, "104_y" -> 104)."""
    return int(Path(name).name.split("_", 1)[0])


def load_set(tmp: Path) -> list[dict]:
    docs = []
    for path in sorted(DATA.glob("[0-9]*_*.txt"), key=number):
        text, gold = parse(path.read_text(encoding="utf-8").strip())
        plain = tmp / path.name
        plain.write_text(text, encoding="utf-8")
        parsed = read_file(plain)[0]  # the ingest reader: turns and speaker labels as a study gets them
        assert parsed.text == text, f"{path.name}: the reader changed the text; gold offsets would not hold"
        docs.append({"id": path.stem, "text": text, "gold": gold, "blocks": parsed.blocks})
    return docs


def part_of(doc: dict) -> str:
    """The label of the part a transcript is scored in: set by ``select``, else dev or the current held-out part."""
    return doc.get("part") or ("dev" if number(doc["id"]) <= DEV_LAST else HELD_OUT[CURRENT][2])


def select(docs: list[dict], part: str) -> list[dict]:
    """The transcripts of ``part`` ('all': dev and the current held-out part), each labelled with it."""
    if part in HELD_OUT:
        first, last, label = HELD_OUT[part]
        return [{**d, "part": label} for d in docs if first <= number(d["id"]) <= last]
    if part == "dev":
        return [d for d in docs if number(d["id"]) <= DEV_LAST]
    return docs


def chosen_part(argv: list[str]) -> str:
    """'dev', a held-out part's name or 'all' from --part NAME (or --dev)."""
    if "--dev" in argv:
        return "dev"
    if "--part" in argv:
        i = argv.index("--part")
        name = argv[i + 1] if i + 1 < len(argv) else ""
        if name not in (*PARTS, "all"):
            raise SystemExit(f"--part must be one of {', '.join([*PARTS, 'all'])} (got {name!r})")
        return name
    return "all"


def sources(docs: list[dict]) -> list[SourceText]:
    return [SourceText(d["id"], d["text"], tuple((b.start, b.end) for b in d["blocks"])) for d in docs]


def score(docs: list[dict], mentions: list) -> dict[str, dict[str, tuple[int, int]]]:
    """split -> kind -> (hits, total) for recall, and 'precision' -> (good, predicted)."""
    by_doc = defaultdict(list)
    for m in mentions:
        by_doc[m.document_id].append(m)
    result: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for d in docs:
        covered = [False] * len(d["text"])
        for m in by_doc[d["id"]]:
            for i in range(m.start, m.end):
                covered[i] = True
        split = part_of(d)
        for s, e, kind, _ in d["gold"]:
            hit = all(covered[slice(*must_hide(d["text"], s, e, kind))])
            for bucket in (split, "all"):
                for k in (kind, "ALL"):
                    result[bucket][k][0] += hit
                    result[bucket][k][1] += 1
        for m in by_doc[d["id"]]:
            good = any(m.start < e and s < m.end for s, e, _, _ in d["gold"])
            for bucket in (split, "all"):
                result[bucket]["precision"][0] += good
                result[bucket]["precision"][1] += 1
    return result


def must_hide(text: str, start: int, end: int, kind: str = "") -> tuple[int, int]:
    """The part of a gold mention that must be replaced: without a leading title or
    article and a trailing possessive, which identify no one."""
    for lead in (ARTICLE, PERSON_TITLE if kind == "PERSON" else OLD_TITLE):
        match = lead.match(text, start, end)
        if match and match.end() < end:
            start = match.end()
    tail = POSSESSIVE.search(text, start, end)
    return start, tail.start() if tail and tail.start() > start else end


def consistency(docs: list[dict], mentions: list) -> tuple[float, float]:
    codes_of, entities_of = defaultdict(set), defaultdict(set)
    for d in docs:
        for m in (m for m in mentions if m.document_id == d["id"]):
            gold = [g for g in d["gold"] if m.start < g[1] and g[0] < m.end]
            if gold:
                entity = (gold[0][2], gold[0][3])
                codes_of[entity].add(m.code)
                entities_of[m.code].add(entity)
    counts = defaultdict(int)
    for d in docs:
        for g in d["gold"]:
            counts[(g[2], g[3])] += 1
    repeated = [e for e in codes_of if counts[e] > 1]
    one_code = sum(len(codes_of[e]) == 1 for e in repeated) / max(len(repeated), 1)
    pure = sum(len(v) == 1 for v in entities_of.values()) / max(len(entities_of), 1)
    return one_code, pure


def run(docs, names, model) -> list:
    mentions = detect(sources(docs), names, model)
    return assign_codes(mentions, {})[0]


def fmt(pair) -> str:
    hits, total = pair
    return f"{hits / total:.3f} ({hits}/{total})" if total else "-"


def report(name: str, docs: list[dict], mentions: list) -> None:
    result = score(docs, mentions)
    one_code, pure = consistency(docs, mentions)
    print(f"\n== {name}")
    parts = [s for s in PARTS.values() if result[s]["ALL"][1]]
    for split in (["all"] if len(parts) > 1 else []) + parts:
        row = "  ".join(f"{k} {fmt(result[split][k])}" for k in KINDS + ["ALL"])
        print(f"  recall [{split}]  {row}")
        print(f"  precision [{split}]  {fmt(result[split]['precision'])}")
    print(f"  consistency: entities with one code {one_code:.3f}; codes naming one entity {pure:.3f}")


def main() -> None:
    from pipeline.pseudonymise.ner import find_entities, load_ner

    part = chosen_part(sys.argv[1:])
    with tempfile.TemporaryDirectory() as tmp:
        docs = load_set(Path(tmp))
    if part != "all":  # while detection is being changed, the held-out part must not be looked at
        docs = select(docs, part)
    if not docs:
        raise SystemExit(f"--part {part}: no transcripts of that part in {DATA}")
    total = sum(len(d["gold"]) for d in docs)
    per_kind = {k: sum(g[2] == k for d in docs for g in d["gold"]) for k in KINDS}
    words = sum(len(d["text"].split()) for d in docs)
    print(f"test set: {len(docs)} transcripts, {words} words, {total} gold mentions: "
          + ", ".join(f"{k} {n}" for k, n in per_kind.items()))
    started = time.perf_counter()
    nlp = load_ner()
    print(f"model load: {time.perf_counter() - started:.2f} s")
    model = lambda text, spans: find_entities(text, spans, nlp)  # noqa: E731
    speakers = study_names({}, [b.speaker for d in docs for b in d["blocks"] if b.speaker])
    listed = load_names(DATA / "names.txt")
    dev_docs = [d for d in docs if part_of(d) == "dev"] or docs
    if "--speed" in sys.argv[1:]:  # only the speed figure (on a quiet machine)
        return speed(dev_docs, listed + speakers, model)
    if "--annomi" in sys.argv[1:]:  # real transcripts without gold: what is proposed, for reading
        return annomi(int(sys.argv[sys.argv.index("--annomi") + 1]), model)
    if "--compare-model" in sys.argv[1:]:  # a candidate model beside the default, same texts, one run
        return compare_models(docs, dev_docs, listed + speakers, nlp, sys.argv[sys.argv.index("--compare-model") + 1:])
    report("rules only (baseline)", docs, run(docs, [], None))
    report("names list + rules, no model", docs, run(docs, listed + speakers, None))
    report("model, no list", docs, run(docs, [], model))
    report("model + speaker labels", docs, run(docs, speakers, model))
    report("model + speaker labels + names list", docs, run(docs, listed + speakers, model))
    speed(dev_docs, listed + speakers, model)


def annomi(limit: int, model) -> None:
    """Proposals (model, rules and patterns, no names list) on the first ``limit`` AnnoMI
    transcripts: real counselling conversations whose few names are the role-play clients'
    and counsellors'. There is no gold, so no recall or precision: the count per 10,000
    words and the most frequent proposals show what a reviewer would have to reject."""
    import csv
    from collections import Counter

    from _annomi import require_annomi

    turns: dict[str, list[str]] = defaultdict(list)
    with require_annomi().open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            turns[row["transcript_id"]].append(f"{row['interlocutor'].title()}: {row['utterance_text']}")
    chosen = sorted(turns, key=int)[:limit]
    found_sources = []
    for tid in chosen:
        text, spans, at = "\n".join(turns[tid]), [], 0
        for line in turns[tid]:
            spans.append((at, at + len(line)))
            at += len(line) + 1
        found_sources.append(SourceText(tid, text, tuple(spans)))
    words = sum(len(s.text.split()) for s in found_sources)
    found = detect(found_sources, [], model)
    print(f"\nAnnoMI, first {len(chosen)} transcripts, {words} words: {len(found)} proposals, "
          f"{10_000 * len(found) / words:.0f} per 10,000 words; by how found: "
          + ", ".join(f"{k} {n}" for k, n in Counter(m.source for m in found).most_common()))
    print("  most frequent: " + "; ".join(f"{t!r} {k} {n}" for (t, k), n in
                                           Counter((m.text, m.kind) for m in found).most_common(25)))


def compare_models(docs: list[dict], dev_docs: list[dict], names, default, folders: list[str]) -> None:
    """The names-list configuration and speed with the default model, then with each
    candidate spaCy pipeline folder (loaded offline with the same components)."""
    import spacy

    from pipeline.pseudonymise.ner import find_entities

    for label, nlp in [("default (en_core_web_sm 3.8.0)", default), *[(f, None) for f in folders]]:
        if nlp is None:
            started = time.perf_counter()
            nlp = spacy.load(label, exclude=["parser", "lemmatizer", "attribute_ruler", "senter", "tagger"])
            print(f"\nmodel load ({label}): {time.perf_counter() - started:.2f} s")
        model = lambda text, spans, nlp=nlp: find_entities(text, spans, nlp)  # noqa: E731
        report(f"model + speaker labels + names list: {label}", docs, run(docs, names, model))
        speed(dev_docs, names, model)


def speed(docs: list[dict], names, model) -> None:
    parts, words = [], 0
    while words < 10_000:  # whole transcripts, in order, until 10,000 words are reached
        for d in docs:
            parts.append(d["text"])
            words += len(d["text"].split())
            if words >= 10_000:
                break
    text = "\n".join(parts)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.txt"
        path.write_text(text, encoding="utf-8")
        blocks = read_file(path)[0].blocks
    source = SourceText("long", text, tuple((b.start, b.end) for b in blocks))
    times, cpu = [], []
    for _ in range(2):
        started, started_cpu = time.perf_counter(), time.process_time()
        found = detect([source], names, model)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    started = time.perf_counter()
    detect([source], names, None)
    baseline = time.perf_counter() - started
    print(f"\nspeed: {len(text.split())}-word transcript, {len(found)} mentions: detection {min(times):.2f} s wall, "
          f"{min(cpu):.2f} s CPU (best of 2; target < 5 s; model load not included); "
          f"without the model (lists and rules only) {baseline:.2f} s")


if __name__ == "__main__":
    main()
