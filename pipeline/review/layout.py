"""The review workbook's layout and vocabulary, shared by the writer and the reader.

Columns are found by their header text when a workbook comes back, never by position,
so the names here are the contract between `queue` and `confirm`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.codebook import Codebook
from pipeline.hashing import sha256

__all__ = [
    "QUEUE_SHEET", "INSTRUCTIONS_SHEET", "CODEBOOK_SHEET", "KEY_COLUMNS", "ADD_SLOTS",
    "ACCEPT", "REJECT", "NOTHING_APPLIES", "NO_CODE_LABEL", "decision_header", "suggestion_header",
    "add_header", "text_fingerprint", "WorkbookMeta", "choice_text", "parse_verdict", "resolve_code", "score_band", "SCORE_BANDS",
    "UnknownCode", "HIERARCHY_SEPARATOR",
]

QUEUE_SHEET = "Queue"
INSTRUCTIONS_SHEET = "Instructions"
CODEBOOK_SHEET = "Codebook"

# Visible, read-only columns: (header, width in characters).
INFO_COLUMNS = (("#", 5), ("Case", 12), ("Document", 22), ("Where", 11), ("Speaker", 10),
                ("Before", 30), ("Segment", 62), ("After", 30))
SUGGESTION_WIDTH, DECISION_WIDTH, ADD_WIDTH = 24, 11, 26
NOTHING_HEADER, MEMO_HEADER = "Nothing applies", "Memo"
NOTHING_WIDTH, MEMO_WIDTH = 11, 36
# Add code cells per row (issue 15: two were too few for segments that touch several constructs).
ADD_SLOTS = 4
HIERARCHY_SEPARATOR = " > "

# Hidden, locked key columns. Their headers are the only ones `confirm` cannot do without.
WORKBOOK_KEY, SEGMENT_KEY, SUGGESTIONS_KEY, HASH_KEY = "workbook_id", "segment_id", "suggestion_ids", "text_hash"
KEY_COLUMNS = (WORKBOOK_KEY, SEGMENT_KEY, SUGGESTIONS_KEY, HASH_KEY)

ACCEPT, REJECT = "accept", "reject"
NOTHING_APPLIES = "yes"
NO_CODE_LABEL = "(no code fits)"
SUGGESTION_SEPARATOR = " "

INPUT_COLOUR, NO_CODE_COLOUR = "DDEBF7", "EDEDED"
# Lower bound of each score band -> fill colour and its meaning for the legend.
SCORE_BANDS = ((0.75, "C6EFCE", "strong (0.75 or more)"),
               (0.5, "FFF2CC", "fair (0.50 to 0.74)"),
               (0.0, "FCE4D6", "weak (below 0.50)"))



@dataclass(frozen=True)
class WorkbookMeta:
    """Who a review workbook is for and where it comes from (its Instructions sheet and keys)."""

    workbook_id: str
    coder: str
    created_at: str
    study: str
    run_id: str | None
    left_out: tuple[str, ...] = ()  # segments in scope not in this queue, one line per reason


_VERDICT_WORDS = {
    "accept": "accepted", "accepted": "accepted", "yes": "accepted", "y": "accepted",
    "reject": "rejected", "rejected": "rejected", "no": "rejected", "n": "rejected",
}
_ID_IN_BRACKETS = re.compile(r"\[([^\[\]]+)\]\s*$")


def suggestion_header(slot: int) -> str:
    return f"Suggestion {slot}"


def decision_header(slot: int) -> str:
    return f"Decision {slot}"


def add_header(slot: int) -> str:
    return f"Add code {slot}"


def text_fingerprint(text: str) -> str:
    """A short fingerprint of the segment text a coder was shown (16 hex digits of its
    SHA-256), kept in the workbook to notice text that changed before it came back."""
    return sha256(text)[:16]


def choice_text(label: str, code_id: str, groups: tuple[str, ...] = ()) -> str:
    """How a code appears in the add-code dropdown: its groups and label ('Domain > Construct'), exact id."""
    return HIERARCHY_SEPARATOR.join((*groups, label)) + f" [{code_id}]"


class UnknownCode(ValueError):
    """A cell names no code of the codebook: in an Add code cell, a proposed (emergent) code."""

    def __init__(self, text: str, message: str) -> None:
        self.text = text
        super().__init__(message)


def score_band(score: float | None) -> str | None:
    """Fill colour for a suggestion's score (None: no colour)."""
    if score is None:
        return None
    for lower, colour, _ in SCORE_BANDS:
        if score >= lower:
            return colour
    return SCORE_BANDS[-1][1]


def parse_verdict(value: object) -> str | None:
    """'accepted' / 'rejected' / None (blank); raises ValueError for anything else."""
    text = _cell_text(value).lower()
    if not text:
        return None
    if text in _VERDICT_WORDS:
        return _VERDICT_WORDS[text]
    raise ValueError(f"'{_cell_text(value)}' is not a decision; choose {ACCEPT} or {REJECT} from the dropdown")


def parse_nothing(value: object) -> bool:
    text = _cell_text(value).lower()
    if not text:
        return False
    if text in ("yes", "y", "x", "true", "1", "nothing applies", "no code applies"):
        return True
    raise ValueError(f"'{_cell_text(value)}' is not understood; choose '{NOTHING_APPLIES}' or leave it blank")


def resolve_code(value: object, codebook: Codebook) -> str | None:
    """The code id a cell names ('Label [id]', the id, or a unique label); None if blank.

    Raises ValueError naming what is wrong when the code is not a codable code of this
    codebook version.
    """
    text = _cell_text(value)
    if not text:
        return None
    match = _ID_IN_BRACKETS.search(text)
    candidates = [match.group(1).strip()] if match else [text]
    ids = {c.id: c for c in codebook.codes}
    by_label = {}
    for code in codebook.codes:
        by_label.setdefault(code.label.strip().lower(), []).append(code)
    for candidate in candidates:
        code = ids.get(candidate) or _unique(by_label.get(candidate.lower(), []))
        if code is None:
            continue
        if not code.codable:
            raise ValueError(f"'{text}' is a group heading, not a codable code; pick one of its codes")
        return code.id
    message = (f"'{text}' is not a code of codebook {codebook.name} version {codebook.version}; "
               f"pick a code from the dropdown (the Codebook sheet lists them)")
    if match:  # 'Label [id]' with an unknown id: a pick from another codebook, not a new theme
        raise ValueError(message)
    raise UnknownCode(text, message)


def _unique(codes: list) -> object:
    return codes[0] if len(codes) == 1 else None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass(frozen=True)
class Columns:
    """The header of a Queue sheet for a given number of suggestion slots."""

    slots: int

    @property
    def visible(self) -> list[tuple[str, int]]:
        cols = list(INFO_COLUMNS)
        for slot in range(1, self.slots + 1):
            cols += [(suggestion_header(slot), SUGGESTION_WIDTH), (decision_header(slot), DECISION_WIDTH)]
        cols += [(add_header(slot), ADD_WIDTH) for slot in range(1, ADD_SLOTS + 1)]
        cols += [(NOTHING_HEADER, NOTHING_WIDTH), (MEMO_HEADER, MEMO_WIDTH)]
        return cols

    @property
    def headers(self) -> list[str]:
        return [name for name, _ in self.visible] + list(KEY_COLUMNS)

    @property
    def editable(self) -> list[str]:
        return self.editable_in(self.slots)

    def editable_in(self, suggestions: int) -> list[str]:
        """The cells a coder may fill in a row with this many suggestions."""
        names = [decision_header(s) for s in range(1, suggestions + 1)]
        names += [add_header(s) for s in range(1, ADD_SLOTS + 1)]
        return names + [NOTHING_HEADER, MEMO_HEADER]
