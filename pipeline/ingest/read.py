"""The readers' public entry point: one file in, parsed documents out.

Readers are pure: no store, no printing. Every block of every document satisfies
``doc.text[b.start:b.end]`` == the block's content (non-empty, no surrounding
whitespace), and blocks are in order without overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import IngestError
from pipeline.ingest.decode import read_text
from pipeline.ingest.docx_file import read_docx
from pipeline.ingest.pdf_file import read_pdf
from pipeline.ingest.subtitles import read_subtitles
from pipeline.ingest.tabular import TableColumns, read_csv, read_xlsx
from pipeline.ingest.transcript import (
    DEFAULT_SPEAKER_PATTERN,
    build_blocks,
    compile_speaker_pattern,
    text_spans,
)
from pipeline.records import ParsedDocument

__all__ = ["DEFAULT_SPEAKER_PATTERN", "SUPPORTED_EXTENSIONS", "ReadOptions", "read_file"]

# File extension -> ParsedDocument.format
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".md": "markdown",
    ".docx": "docx",
    ".pdf": "pdf",
    ".vtt": "vtt",
    ".srt": "srt",
    ".csv": "csv",
    ".xlsx": "xlsx",
}


@dataclass(frozen=True)
class ReadOptions:
    """How to read files; the tabular fields matter only for .csv and .xlsx.

    speaker_pattern: regex for a speaker label at a line start, with a named group
    ``speaker`` and optional groups named ``timestamp...`` (see transcript.py).
    id_columns: their values, joined with ":", become ``Block.external_id``.
    case_column: one document per distinct value, in order of first appearance.
    sheet: the sheet of an .xlsx workbook; default the first.
    """

    speaker_pattern: str = DEFAULT_SPEAKER_PATTERN
    text_column: str | None = None
    id_columns: tuple[str, ...] = ()
    case_column: str | None = None
    speaker_column: str | None = None
    timestamp_column: str | None = None
    sheet: str | None = None


def read_file(path: Path, options: ReadOptions = ReadOptions()) -> list[ParsedDocument]:
    """Read one file into one or more ParsedDocuments (several for tabular case input).

    Raises IngestError (naming the file) when the file cannot be read, and ConfigError
    when ``options.speaker_pattern`` is not a usable pattern.
    """
    path = Path(path)
    fmt = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise IngestError(path, f"has an unsupported file type {path.suffix or '(none)'!r}; "
                                f"supported: {supported}")
    if not path.is_file():
        raise IngestError(path, "does not exist or is not a file: check the path")
    pattern = compile_speaker_pattern(options.speaker_pattern)
    if fmt in ("text", "markdown"):
        decoded = read_text(path)
        spans = text_spans(decoded.text, markdown=fmt == "markdown")
        blocks = build_blocks(decoded.text, spans, pattern)
        return [ParsedDocument(decoded.text, blocks, fmt, decoded.encoding,
                               decoded.warnings)]
    if fmt == "docx":
        return read_docx(path, pattern)
    if fmt == "pdf":
        return read_pdf(path, pattern)
    if fmt in ("vtt", "srt"):
        return read_subtitles(path, pattern, fmt)
    columns = TableColumns(options.text_column, tuple(options.id_columns),
                           options.case_column, options.speaker_column,
                           options.timestamp_column)
    if fmt == "csv":
        return read_csv(path, columns)
    return read_xlsx(path, columns, options.sheet)
