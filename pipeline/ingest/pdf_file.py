"""PDF documents: the text layer of each page, rejoined into paragraphs.

The only module that imports pypdf. pypdf returns one string per page with a newline at
every printed line end; paragraph ends are not marked. A paragraph ends where the gap to
the next line is clearly larger than the page's usual line spacing (positions come from
pypdf's text visitor), where the next line starts with a speaker label or a bullet, and
at a blank line. Words hyphenated at a line end are rejoined.
"""

from __future__ import annotations

import logging
import re
import struct
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError

from pipeline.errors import IngestError
from pipeline.ingest.transcript import Span, build_blocks, label_match
from pipeline.records import ParsedDocument

__all__ = ["read_pdf"]

PARAGRAPH_SEPARATOR = "\n\n"
# A line gap this many times the page's usual line spacing ends a paragraph.
_GAP_FACTOR = 1.5
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl",
                            "\u00ad": None})
_PAGE_NUMBER = re.compile(r"(?i)^\W*(?:page\s+)?\d{1,4}(?:\s+(?:of|/)\s+\d{1,4})?\W*$")
_BULLET = re.compile(r"^(?:[•●▪◦‣–\-*]\s|\d{1,2}[.)]\s)")
_HYPHENATED = re.compile(r"[^\W\d_]-$")
# Exceptions pypdf lets through on damaged files besides its own PyPdfError.
_DAMAGED = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, RecursionError, zlib.error, struct.error)

# pypdf logs damage it works around ("EOF marker not found"); without a handler Python
# would print that on stderr. Applications that configure logging still receive it.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class _Line:
    text: str
    y: float | None  # baseline height on the page; None when pypdf gave no position


def read_pdf(path: Path, pattern: re.Pattern[str]) -> list[ParsedDocument]:
    """Read a PDF's text layer into one document; blocks carry their 1-based page."""
    reader = _open(path)
    parts: list[str] = []
    spans: list[Span] = []
    warnings: list[str] = []
    blank_pages: list[int] = []
    offset = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            lines = _page_lines(page)
        except _DAMAGED as exc:
            warnings.append(f"page {number} could not be read ({exc}): its text is missing")
            continue
        paragraphs = _paragraphs(lines, pattern)
        if not paragraphs:
            blank_pages.append(number)
        for paragraph in paragraphs:
            if parts:
                offset += len(PARAGRAPH_SEPARATOR)
            spans.append(Span(offset, offset + len(paragraph), page=number))
            parts.append(paragraph)
            offset += len(paragraph)
    if not parts:
        raise IngestError(
            path,
            "has no text layer (it is probably a scan): run OCR first, e.g. "
            "`ocrmypdf in.pdf out.pdf`, and ingest the result",
        )
    if blank_pages:
        pages = ", ".join(map(str, blank_pages))
        warnings.append(f"pages without text (scanned or images only): {pages}; "
                        "run OCR (e.g. ocrmypdf) if they hold text")
    text = PARAGRAPH_SEPARATOR.join(parts)
    blocks = build_blocks(text, spans, pattern)
    return [ParsedDocument(text, blocks, "pdf", warnings=tuple(warnings))]


def _open(path: Path) -> PdfReader:
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(
                path, "is password-protected: remove the password and ingest again")
        len(reader.pages)  # the page tree is parsed lazily; fail here, not later
        return reader
    except DependencyError as exc:
        raise IngestError(
            path,
            "is encrypted with AES, which needs the 'cryptography' package: remove the "
            "encryption (or install cryptography) and ingest again",
        ) from exc
    except _DAMAGED as exc:
        raise IngestError(
            path,
            f"is not a readable PDF ({type(exc).__name__}: {exc}): check the file, or "
            "re-save it with a PDF viewer and ingest again",
        ) from exc


def _page_lines(page: object) -> list[_Line]:
    """Printed lines of a page with their heights, from pypdf's text visitor."""
    lines: list[_Line] = []
    current: list[str] = []
    current_y: float | None = None

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        nonlocal current, current_y
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index:
                lines.append(_Line(_clean("".join(current)), current_y))
                current, current_y = [], None
            if piece.strip() and current_y is None and tm != [1, 0, 0, 1, 0, 0]:
                current_y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            current.append(piece)

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    lines.append(_Line(_clean("".join(current)), current_y))
    return _drop_page_numbers(lines)


def _clean(line: str) -> str:
    return unicodedata.normalize("NFC", line.translate(_LIGATURES)).strip()


def _drop_page_numbers(lines: list[_Line]) -> list[_Line]:
    """Drop a running page number printed as the first or last line of a page."""
    with_text = [index for index, line in enumerate(lines) if line.text]
    ends = {index for index in with_text[:1] + with_text[-1:]
            if _PAGE_NUMBER.match(lines[index].text)}
    return [line for index, line in enumerate(lines) if index not in ends]


def _paragraphs(lines: list[_Line], pattern: re.Pattern[str]) -> list[str]:
    spacing = _line_spacing(lines)
    paragraphs: list[str] = []
    current = ""
    previous: _Line | None = None
    for line in lines:
        if not line.text:  # an empty line always ends a paragraph
            paragraphs.append(current)
            current, previous = "", None
            continue
        if previous is not None and _breaks(previous, line, spacing, pattern):
            paragraphs.append(current)
            current = ""
        current = _join(current, line.text)
        previous = line
    paragraphs.append(current)
    return [p for p in paragraphs if p.strip()]


def _line_spacing(lines: list[_Line]) -> float | None:
    """The page's usual distance between lines: the most common gap, the smaller on a tie.

    A median would be pulled up by paragraph gaps on pages with few lines.
    """
    gaps = Counter(round(a.y - b.y) for a, b in zip(lines, lines[1:])
                   if a.y is not None and b.y is not None and a.y - b.y >= 1)
    if not gaps:
        return None
    return float(min(gaps, key=lambda gap: (-gaps[gap], gap)))


def _breaks(previous: _Line, line: _Line, spacing: float | None,
            pattern: re.Pattern[str]) -> bool:
    """Whether ``line`` starts a new paragraph."""
    if _BULLET.match(line.text) or label_match(pattern, line.text):
        return True
    if spacing is None or previous.y is None or line.y is None:
        return False
    gap = previous.y - line.y
    # A negative gap means the text moved up: a new column or a text box.
    return gap < 0 or gap > _GAP_FACTOR * spacing


def _join(paragraph: str, line: str) -> str:
    if not paragraph:
        return line
    if _HYPHENATED.search(paragraph) and line[:1].islower():
        return paragraph[:-1] + line
    return f"{paragraph} {line}"
