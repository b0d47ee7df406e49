"""Frozen records passed between stages.

A reader turns one file into one or more ``ParsedDocument``: the normalised text that
the store keeps, and its ``Block``s (speaker turns, paragraphs, table rows, tabular
rows) as character offsets into that text. The segmenter cuts blocks into segments and
never lets a segment cross a block of kind "turn" or "row".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["Block", "ParsedDocument"]

BLOCK_KINDS = ("turn", "paragraph", "row")


@dataclass(frozen=True)
class Block:
    """A stretch ``text[start:end]`` of a parsed document.

    kind: "turn" (a speaker turn of a transcript), "paragraph" (prose, a docx table row,
    a heading) or "row" (one row of tabular input: always exactly one segment).
    start/end exclude speaker labels and leading timestamps: they cover what was said.
    """

    start: int
    end: int
    kind: str = "paragraph"
    speaker: str | None = None
    turn: int | None = None
    timestamp: str | None = None
    page: int | None = None
    external_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedDocument:
    """One document as the store keeps it.

    text is normalised (Unicode NFC, LF line endings, no BOM). ``case`` is set by
    readers that know it (tabular input with a case column); otherwise the ingest stage
    assigns it. ``key_suffix`` distinguishes several documents made from one file.
    """

    text: str
    blocks: tuple[Block, ...]
    format: str
    encoding: str | None = None
    warnings: tuple[str, ...] = ()
    case: str | None = None
    key_suffix: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
