"""Applying reviewed replacements to a text: the new text, its blocks with offsets mapped,
and restoring codes in a report. Pure functions; the stage module stores the result."""

from __future__ import annotations

import bisect
import re
from dataclasses import replace
from typing import Callable, Mapping, Sequence

from pipeline.errors import InputError
from pipeline.pseudonymise.entities import CODE_RE
from pipeline.records import Block

__all__ = ["Replacement", "replace_spans", "map_blocks", "find_added", "make_restorer"]

Replacement = tuple[int, int, str]  # start, end, code


def replace_spans(text: str, replacements: Sequence[Replacement]) -> str:
    """The text with each span replaced by its code; spans must not overlap."""
    out, last = [], 0
    for start, end, code in sorted(replacements):
        if start < last:
            raise InputError(f"two replacements overlap at character {start}; reject one of them")
        out += [text[last:start], code]
        last = end
    return "".join(out) + text[last:]


def map_offset(replacements: Sequence[Replacement], offset: int, is_end: bool) -> int:
    """Where ``offset`` of the old text lands in the new one (inside a span: its edge)."""
    delta = 0
    for start, end, code in sorted(replacements):
        if offset <= start:
            break
        if offset >= end:
            delta += len(code) - (end - start)
            continue
        return start + delta + (len(code) if is_end else 0)
    return offset + delta


def map_blocks(blocks: Sequence[Block], replacements: Sequence[Replacement],
               speakers: Mapping[str, str]) -> tuple[Block, ...]:
    """Blocks with offsets into the new text and speaker labels pseudonymised too."""
    return tuple(
        replace(b, start=map_offset(replacements, b.start, False), end=map_offset(replacements, b.end, True),
                speaker=_speaker(b.speaker, speakers))
        for b in blocks
    )


def _speaker(label: str | None, speakers: Mapping[str, str]) -> str | None:
    if not label:
        return label
    for written in sorted(speakers, key=len, reverse=True):
        label = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", speakers[written], label, flags=re.IGNORECASE)
    return label


def find_added(text: str, written: str, taken: Sequence[Replacement]) -> list[tuple[int, int]]:
    """Whole-word occurrences of ``written`` in any case (spaces match any whitespace),
    leaving out those that overlap a replacement already made."""
    body = r"\s+".join(map(re.escape, written.split()))
    starts = sorted((s, e) for s, e, _ in taken)
    found = []
    for match in re.finditer(rf"(?<!\w){body}(?!\w)", text, flags=re.IGNORECASE):
        i = bisect.bisect_left(starts, (match.end(), -1))
        if not any(s < match.end() and match.start() < e for s, e in starts[max(0, i - 1):i + 1]):
            found.append((match.start(), match.end()))
    return found


def make_restorer(originals: Mapping[str, str], escape: Callable[[str], str] = str) -> Callable[[str], str]:
    """A function that puts each known code back to its original (escaped for the format)."""
    def restore(text: str) -> str:
        return CODE_RE.sub(lambda m: escape(originals[m.group(0)]) if m.group(0) in originals else m.group(0), text)
    return restore
