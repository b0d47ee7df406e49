"""Blocks from normalised text: speaker turns for transcripts, paragraphs otherwise.

Readers describe their text as ``Span``s (paragraphs, with a page number for PDFs; a
"fixed" span is a docx table row, which is always its own paragraph). ``build_blocks``
finds speaker labels at line starts and decides whether the document is a transcript.

The speaker pattern is a regular expression matched at the start of each line (leading
blanks skipped). Its named groups:

- ``speaker`` (required): the label, returned without colon or brackets.
- any group whose name starts with ``timestamp`` (optional): the first one that matched
  is the turn's timestamp, as written (``00:12:31``).

The turn's text starts after the match (blanks skipped). A match whose ``speaker`` is a
word from ``NON_SPEAKERS`` ("Date:", "Note:", "[Laughter]") is not a label. In a
transcript, labels used only once before the first speaker who speaks twice are header
fields ("Interviewer: Jane Smith" above the conversation), not turns.

The transcript rule: a document is a transcript when (1) at least two lines carry a
label, (2) labelled lines make up at least a third of its paragraphs (counting each
labelled line as the start of a paragraph) and (3) when there are more than two labels,
at least one speaker speaks twice. Rule 2 keeps a policy paper with a few "Summary: ..."
lines prose; rule 3 keeps a list of "Recommendation 1: ...", "Recommendation 2: ..." prose.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterator

from pipeline.errors import ConfigError
from pipeline.records import Block

__all__ = [
    "DEFAULT_SPEAKER_PATTERN",
    "NON_SPEAKERS",
    "Span",
    "build_blocks",
    "compile_speaker_pattern",
    "label_match",
    "text_spans",
    "trimmed",
]

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A capitalised word: "Interviewer", "I", "P3", "JKG-01", "Dr.", "O'Neil", "Émile".
_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’.\-]*"
_LABEL = rf"{_WORD}(?:[ ]{_WORD}){{0,2}}(?:[ ]\d{{1,3}})?"

DEFAULT_SPEAKER_PATTERN = (
    # optional leading timestamp: [00:12:31]  00:12:31  (00:12)  [12:31], maybe then " - "
    rf"(?:[\[(]?(?P<timestamp>{_TIME})[\])]?[ \t]+(?:[-–][ \t]+)?)?"
    # "[Speaker 2]" (colon optional) or "Speaker 2:" / "Speaker 2 (00:12):"
    rf"(?P<bracket>\[)?(?P<speaker>{_LABEL})"
    rf"(?(bracket)\]:?|(?:[ \t]*[\[(](?P<timestamp_after>{_TIME})[\])])?[ \t]*:)"
    r"(?=\s|$)"
)

# Words that look like labels at a line start but name no speaker: header fields of a
# transcript and transcribers' annotations. Compared case-insensitively.
NON_SPEAKERS = frozenset(
    """
    date time location place venue duration length note notes title subject topic
    project study site setting transcript transcription interview recording file
    filename version page source language summary keywords comment comments attendees
    present participants laughter laughs laughing inaudible crosstalk pause silence
    noise music applause unclear overlapping interruption break end start
    """.split()
)

_MIN_LABEL_SHARE = 1 / 3
_LEADING_BLANKS = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class Span:
    """A paragraph ``text[start:end]`` as the reader found it.

    fixed: never a turn and never part of one (a docx table row).
    """

    start: int
    end: int
    page: int | None = None
    fixed: bool = False


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    span: Span
    first_in_span: bool
    speaker: str | None = None
    timestamp: str | None = None
    content_start: int = 0


def compile_speaker_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a speaker pattern, checking that it has a ``speaker`` group."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"speaker_pattern is not a valid regular expression: {exc}") from exc
    if "speaker" not in compiled.groupindex:
        raise ConfigError(
            "speaker_pattern needs a named group (?P<speaker>...) for the label; "
            "see pipeline/ingest/transcript.py for the default pattern"
        )
    return compiled


def label_match(pattern: re.Pattern[str], line: str) -> tuple[str, str | None, int] | None:
    """Return (speaker, timestamp, content offset) if ``line`` starts with a label."""
    pos = _LEADING_BLANKS.match(line).end()  # type: ignore[union-attr]
    match = pattern.match(line, pos)
    if match is None:
        return None
    speaker = (match.group("speaker") or "").strip()
    if not speaker or speaker.lower().rstrip(".") in NON_SPEAKERS:
        return None
    timestamp = next(
        (value for name, value in match.groupdict().items()
         if name.startswith("timestamp") and value),
        None,
    )
    return speaker, timestamp, match.end()


def text_spans(text: str, *, markdown: bool = False) -> list[Span]:
    """Split text into paragraphs on blank lines (markdown: headings stand alone)."""
    spans: list[Span] = []
    start: int | None = None
    end = 0
    for line_start, line_end in _lines(text, 0, len(text)):
        line = text[line_start:line_end]
        if not line.strip():
            if start is not None:
                spans.append(Span(start, end))
            start = None
            continue
        if markdown and line.lstrip().startswith("#"):
            if start is not None:
                spans.append(Span(start, end))
            spans.append(Span(line_start, line_end))
            start = None
            continue
        if start is None:
            start = line_start
        end = line_end
    if start is not None:
        spans.append(Span(start, end))
    return spans


def build_blocks(
    text: str, spans: list[Span], pattern: re.Pattern[str]
) -> tuple[Block, ...]:
    """Turn blocks if the text is a transcript (see module docstring), else paragraphs."""
    lines = list(_labelled_lines(text, spans, pattern))
    if _is_transcript(lines, spans):
        return tuple(_turn_blocks(text, _header_fields_unlabelled(lines)))
    blocks = (_paragraph(text, s.start, s.end, s.page) for s in spans)
    return tuple(b for b in blocks if b is not None)


def trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Shrink ``text[start:end]`` to exclude surrounding whitespace; None if empty."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each line of ``text[start:end]``, without the newline."""
    pos = start
    while pos <= end:
        newline = text.find("\n", pos, end)
        if newline == -1:
            yield pos, end
            return
        yield pos, newline
        pos = newline + 1


def _labelled_lines(
    text: str, spans: list[Span], pattern: re.Pattern[str]
) -> Iterator[_Line]:
    for span in spans:
        for index, (start, end) in enumerate(_lines(text, span.start, span.end)):
            found = None if span.fixed else label_match(pattern, text[start:end])
            if found is None:
                yield _Line(start, end, span, index == 0)
            else:
                speaker, timestamp, offset = found
                yield _Line(start, end, span, index == 0, speaker, timestamp, start + offset)


def _is_transcript(lines: list[_Line], spans: list[Span]) -> bool:
    labelled = [line for line in lines if line.speaker is not None]
    if len(labelled) < 2:
        return False
    paragraphs = sum(1 for s in spans if not s.fixed)
    paragraphs += sum(1 for line in labelled if not line.first_in_span)
    if len(labelled) < _MIN_LABEL_SHARE * paragraphs:
        return False
    speakers = {line.speaker for line in labelled}
    return len(labelled) == 2 or len(speakers) < len(labelled)


def _header_fields_unlabelled(lines: list[_Line]) -> list[_Line]:
    """Treat "Interviewer: Jane Smith" in a transcript's header as header text.

    Labels used once, before the first speaker who speaks twice, are header fields.
    """
    counts = Counter(line.speaker for line in lines if line.speaker is not None)
    first_repeated = next(
        (i for i, line in enumerate(lines) if line.speaker and counts[line.speaker] > 1), 0)
    return [
        _Line(line.start, line.end, line.span, line.first_in_span)
        if index < first_repeated and line.speaker and counts[line.speaker] == 1 else line
        for index, line in enumerate(lines)
    ]


@dataclass
class _Region:
    """A turn (opened by a labelled line) or a paragraph outside turns, being collected."""

    first: _Line
    end: int
    span: Span  # the span of the region's last line


def _turn_blocks(text: str, lines: list[_Line]) -> Iterator[Block]:
    """Labelled lines open turns; unlabelled lines continue the open turn.

    Before the first turn, and after a fixed span, unlabelled lines form paragraphs.
    """
    regions: list[_Region] = []
    for line in lines:
        if regions and line.speaker is None and _continues(regions[-1], line):
            regions[-1].end, regions[-1].span = line.end, line.span
        else:
            regions.append(_Region(line, line.end, line.span))
    number = 0
    for region in regions:
        first = region.first
        if first.speaker is None:
            block = _paragraph(text, first.start, region.end, first.span.page)
            if block is not None:
                yield block
            continue
        span = trimmed(text, first.content_start, region.end)
        if span is not None:  # a label with nothing said is not a turn
            number += 1
            yield Block(span[0], span[1], "turn", first.speaker, number, first.timestamp,
                        first.span.page)


def _continues(region: _Region, line: _Line) -> bool:
    """Whether an unlabelled line belongs to the region before it."""
    if line.span.fixed or region.span.fixed:
        return False  # a table row stands alone and closes the turn before it
    if region.first.speaker is not None:
        return True  # later paragraphs of an answer
    return line.span is region.span  # a paragraph outside turns ends at a blank line


def _paragraph(text: str, start: int, end: int, page: int | None) -> Block | None:
    span = trimmed(text, start, end)
    return None if span is None else Block(span[0], span[1], "paragraph", page=page)
