"""Word (.docx) documents: body paragraphs and table rows in document order.

The only module that imports python-docx. Headers, footers, footnotes, comments and
text boxes are not read.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import OpcError
from docx.table import Table, _Row
from docx.text.paragraph import Paragraph
from lxml.etree import LxmlError

from pipeline.errors import IngestError
from pipeline.ingest.decode import normalise_text
from pipeline.ingest.transcript import Span, build_blocks
from pipeline.records import ParsedDocument

__all__ = ["read_docx"]

CELL_SEPARATOR = " | "
PARAGRAPH_SEPARATOR = "\n\n"
_WHITESPACE_RUN = re.compile(r"\s+")
# python-docx lets these through on damaged packages besides its own OpcError.
_DAMAGED = (OpcError, zipfile.BadZipFile, LxmlError, KeyError, ValueError, AttributeError,
            TypeError, IndexError)


def read_docx(path: Path, pattern: re.Pattern[str]) -> list[ParsedDocument]:
    """Read a .docx file into one document (transcript or prose, see transcript.py)."""
    pieces = _pieces(path)
    if not pieces:
        raise IngestError(path, "is empty: the document has no text in its body")
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    for text, is_row in pieces:
        if parts:
            offset += len(PARAGRAPH_SEPARATOR)
        spans.append(Span(offset, offset + len(text), fixed=is_row))
        parts.append(text)
        offset += len(text)
    text = PARAGRAPH_SEPARATOR.join(parts)
    return [ParsedDocument(text, build_blocks(text, spans, pattern), "docx")]


def _pieces(path: Path) -> list[tuple[str, bool]]:
    """Non-empty paragraphs and table rows as (text, is_table_row), in body order."""
    try:
        document = docx.Document(str(path))
        pieces: list[tuple[str, bool]] = []
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                text = normalise_text(item.text)
                if text.strip():
                    pieces.append((text, False))
            elif isinstance(item, Table):
                pieces.extend((row, True) for row in _table_rows(item))
        return pieces
    except _DAMAGED as exc:
        raise IngestError(
            path,
            f"is not a readable Word document ({type(exc).__name__}: {exc}): open it in "
            "Word or LibreOffice and save it again as .docx",
        ) from exc


def _table_rows(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells = [_cell_text(text) for text in _row_cell_texts(row)]
        joined = CELL_SEPARATOR.join(cell for cell in cells if cell)
        if joined:
            rows.append(joined)
    return rows


def _row_cell_texts(row: _Row) -> list[str]:
    """Cell texts of a row, each merged cell once.

    python-docx repeats a horizontally merged cell for every grid column it spans, and
    returns the cell above for a vertically merged one; keep only this row's own cells.
    """
    own = list(row._tr.tc_lst)  # kept alive so that lxml proxies keep their identity
    cells = row.cells
    seen: list[object] = []
    texts = []
    for cell in cells:
        tc = cell._tc
        if any(tc is mine for mine in own) and not any(tc is done for done in seen):
            seen.append(tc)
            texts.append(cell.text)
    return texts


def _cell_text(text: str) -> str:
    # A row is one line: line breaks inside a cell become spaces.
    return _WHITESPACE_RUN.sub(" ", normalise_text(text)).strip()
