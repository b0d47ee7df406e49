"""Subtitle transcripts (.vtt, .srt): cues merged into speaker turns.

A cue's speaker comes from a WebVTT voice tag (``<v Dr Smith>``) or, failing that, from a
speaker label at the start of its text ("Dr Smith: ..."), matched with the same pattern
as plain-text transcripts. Consecutive cues of the same speaker form one turn. Cues
without any speaker also merge, but a pause of ``PAUSE_SECONDS`` or more starts a new
block, so that uncaptioned stretches do not become one endless paragraph.

The rendered document has one block per paragraph, ``[HH:MM:SS] Speaker: text``; the
block covers the text only, and its timestamp is the first cue's start,
``HH:MM:SS.mmm`` (fraction digits as written, always after a dot).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.ingest.decode import read_decoded
from pipeline.ingest.transcript import label_match
from pipeline.records import Block, ParsedDocument

__all__ = ["PAUSE_SECONDS", "read_subtitles"]

PAUSE_SECONDS = 2.0
PARAGRAPH_SEPARATOR = "\n\n"

_CLOCK = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*(?P<start>{_CLOCK})\s*-->\s*(?P<end>{_CLOCK})(?:\s.*)?$")
_CLOCK_PARTS = re.compile(_CLOCK)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-like tags and ASS overrides ({\an8})
_SPACES = re.compile(r"\s+")
_SKIPPED_VTT_BLOCKS = ("NOTE", "STYLE", "REGION")


@dataclass(frozen=True)
class _Cue:
    start: str  # "HH:MM:SS.mmm"
    start_seconds: float
    end_seconds: float
    speaker: str | None
    text: str


def read_subtitles(path: Path, pattern: re.Pattern[str], fmt: str) -> list[ParsedDocument]:
    """Read a .vtt or .srt file (``fmt`` "vtt" or "srt") into one document."""
    decoded = read_decoded(path)  # not normalised, so that line numbers match the file
    text = decoded.text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    cues = _parse_cues(text, path, fmt, pattern)
    if not cues:
        raise IngestError(path, "has no subtitle cues with text: check that it is a "
                                f"{fmt.upper()} file")
    groups = _merge(cues)
    has_speakers = any(group[0].speaker for group in groups)
    parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    for number, group in enumerate(groups, start=1):
        first = group[0]
        prefix = f"[{first.start[:8]}] " + (f"{first.speaker}: " if first.speaker else "")
        body = " ".join(cue.text for cue in group)
        if parts:
            offset += len(PARAGRAPH_SEPARATOR)
        start = offset + len(prefix)
        blocks.append(Block(
            start, start + len(body),
            kind="turn" if has_speakers else "paragraph",
            speaker=first.speaker,
            turn=number if has_speakers else None,
            timestamp=first.start,
        ))
        parts.append(prefix + body)
        offset += len(prefix) + len(body)
    return [ParsedDocument(PARAGRAPH_SEPARATOR.join(parts), tuple(blocks), fmt,
                           encoding=decoded.encoding, warnings=decoded.warnings)]


def _parse_cues(text: str, path: Path, fmt: str, pattern: re.Pattern[str]) -> list[_Cue]:
    cues: list[_Cue] = []
    for index, (first_line, lines) in enumerate(_chunks(text)):
        if fmt == "vtt" and (index == 0 and lines[0].startswith("WEBVTT")
                             or lines[0].split(" ")[0] in _SKIPPED_VTT_BLOCKS):
            continue
        timing_index = _timing_index(lines)
        if timing_index is None:
            if cues and not lines[0].strip().isdigit():
                # A blank line inside a cue's text: keep the text with that cue.
                extra = _cue_text(lines)
                last = cues[-1]
                cues[-1] = _Cue(last.start, last.start_seconds, last.end_seconds,
                                last.speaker, f"{last.text} {extra}".strip())
                continue
            raise _missing_timing(path, first_line, lines)
        cue = _cue(lines, timing_index, first_line, path, pattern)
        if cue is not None:
            cues.append(cue)
    return cues


def _missing_timing(path: Path, first_line: int, lines: list[str]) -> IngestError:
    # After an SRT cue number the timing line is expected on the next line.
    index = 1 if lines[0].strip().isdigit() else 0
    found = lines[index] if index < len(lines) else "nothing"
    return IngestError(path, f"line {first_line + index}: expected a cue timing line such "
                             f"as '00:00:01.000 --> 00:00:04.000', found '{found}'")


def _chunks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated groups of lines, each with the 1-based number of its first line."""
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            chunks.append((start, current))
            current = []
    if current:
        chunks.append((start, current))
    return chunks


def _timing_index(lines: list[str]) -> int | None:
    """Index of the timing line: first line, or second after a cue identifier."""
    for index in (0, 1):
        if index < len(lines) and "-->" in lines[index]:
            return index
    return None


def _cue(lines: list[str], timing_index: int, first_line: int, path: Path,
         pattern: re.Pattern[str]) -> _Cue | None:
    timing = _TIMING.match(lines[timing_index])
    if timing is None:
        raise IngestError(
            path,
            f"line {first_line + timing_index}: malformed cue timing "
            f"'{lines[timing_index].strip()}': expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm'",
        )
    payload = lines[timing_index + 1:]
    voice = next((m.group(1).strip() for line in payload if (m := _VOICE.search(line))), None)
    text = _cue_text(payload)
    speaker = voice
    if speaker is None:
        found = label_match(pattern, text)
        if found is not None:
            speaker, text = found[0], text[found[2]:].strip()
    if not text:
        return None
    start, start_seconds = _clock(timing.group("start"))
    _, end_seconds = _clock(timing.group("end"))
    return _Cue(start, start_seconds, end_seconds, speaker, text)


def _cue_text(lines: list[str]) -> str:
    text = html.unescape(_TAG.sub("", " ".join(lines)))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _clock(value: str) -> tuple[str, float]:
    """("HH:MM:SS.mmm" with the fraction as written, seconds) for a cue time."""
    match = _CLOCK_PARTS.fullmatch(value)
    assert match is not None  # value was matched by _TIMING already
    hours, minutes, seconds, fraction = match.groups()
    h = int(hours or 0)
    total = h * 3600 + int(minutes) * 60 + int(seconds) + int(fraction) / 10 ** len(fraction)
    return f"{h:02d}:{int(minutes):02d}:{seconds}.{fraction}", total


def _merge(cues: list[_Cue]) -> list[list[_Cue]]:
    """Group consecutive cues of one speaker; speakerless cues split at long pauses."""
    groups: list[list[_Cue]] = []
    for cue in cues:
        if groups:
            last = groups[-1][-1]
            same = cue.speaker == last.speaker
            paused = cue.speaker is None and cue.start_seconds - last.end_seconds >= PAUSE_SECONDS
            if same and not paused:
                groups[-1].append(cue)
                continue
        groups.append([cue])
    return groups
