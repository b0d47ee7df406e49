"""Segments where coders differ, and the layout of the sheet that lists them.

The disagreements workbook (written by pipeline.audit.excel) has one row per sample
segment whose coders applied different code sets, each coder's codes and memos side by
side, and resolution cells: codes picked from a dropdown, or 'no code'.
pipeline.audit.resolve reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.audit.sample import AuditSample
from pipeline.review.layout import text_fingerprint

__all__ = ["Disagreement", "find_disagreements", "ResolvedRow", "SHEET", "NO_CODE", "KEYS",
           "RESOLUTION_MEMO", "resolution_header", "codes_header", "memo_header"]

SHEET = "Disagreements"
NO_CODE = "no code"
SEGMENT_KEY, HASH_KEY, VERSION_KEY = "segment_id", "text_hash", "codebook_version"
KEYS = (SEGMENT_KEY, HASH_KEY, VERSION_KEY)
RESOLUTION_MEMO = "Resolution memo"


def resolution_header(slot: int) -> str:
    return f"Resolution {slot}"


def codes_header(coder: str) -> str:
    return f"{coder}: codes"


def memo_header(coder: str) -> str:
    return f"{coder}: memo"


@dataclass(frozen=True)
class Disagreement:
    segment_id: str
    case: str
    document: str
    seq: int
    text: str
    text_hash: str
    codes: dict[str, tuple[str, ...]]  # coder -> code ids applied (codebook order)
    memos: dict[str, str]


def find_disagreements(coding: AuditSample) -> list[Disagreement]:
    """Sample segments whose coders did not all apply the same set of audited codes."""
    sets, order = coding.code_sets(), {c: i for i, c in enumerate(coding.codes)}
    memo = {(c, u): m for c, u, m in zip(coding.decisions["coder"], coding.decisions["unit"], coding.decisions["memo"])}
    out = []
    for seg in coding.segments.to_dict("records"):
        per_coder = {c: sets.get((c, seg["id"]), frozenset()) for c in coding.coders}
        if len(set(per_coder.values())) == 1:
            continue
        out.append(Disagreement(
            seg["id"], seg["case"], seg["document"], int(seg["seq"]), seg["text"], text_fingerprint(seg["text"]),
            {c: tuple(sorted(s, key=order.__getitem__)) for c, s in per_coder.items()},
            {c: memo.get((c, seg["id"]), "") for c in coding.coders}))
    return out


@dataclass(frozen=True)
class ResolvedRow:
    """One filled-in row of a returned disagreements sheet (read by pipeline.audit.excel)."""

    row: int
    values: dict[str, Any]
    letters: dict[str, str] = field(default_factory=dict)

    def where(self, header: str) -> str:
        letter = self.letters.get(header, "?")
        return f"sheet '{SHEET}' row {self.row} column '{header}' (cell {letter}{self.row})"
