"""Tabular input (.csv, .xlsx): one text per row, e.g. survey answers or utterances.

Every cell is read as a string (no "1.0" ids, no "NA" turned into missing). Each row
with text becomes a "row" block; the document text is the row texts, one per line.
Columns that are not the text, id, case, speaker or timestamp column become block
attributes; with a case column, a column whose value never varies within any case
becomes a case attribute (``ParsedDocument.attributes``) instead.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from pipeline.errors import IngestError
from pipeline.ingest.decode import read_decoded
from pipeline.records import Block, ParsedDocument

__all__ = ["TableColumns", "read_csv", "read_xlsx", "table_documents"]

ROW_SEPARATOR = "\n"
ID_SEPARATOR = ":"
_DELIMITERS = (",", ";", "\t")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_MAX_LISTED_ROWS = 20
# A worksheet cell with a formula (<f>) and no cached value (<v>).
_FORMULA_NO_VALUE = re.compile(r"<c\b[^>]*>\s*(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


@dataclass(frozen=True)
class TableColumns:
    """Which column plays which role (names as in the header row)."""

    text: str | None
    ids: tuple[str, ...] = ()
    case: str | None = None
    speaker: str | None = None
    timestamp: str | None = None


def read_csv(path: Path, columns: TableColumns) -> list[ParsedDocument]:
    """Read a CSV file (comma, semicolon or tab separated, any supported encoding)."""
    decoded = read_decoded(path)
    text = decoded.text.lstrip("\ufeff")
    delimiter = _sniff_delimiter(text)
    _check_field_counts(path, text, delimiter)
    try:
        # index_col=False: a row with more fields than the header never turns the
        # first column into the index (which shifted every value; issue 15).
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, index_col=False,
                            keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise IngestError(path, f"is not a readable CSV file ({exc}): check quoting and "
                                "delimiters, or save it again from a spreadsheet") from exc
    docs = table_documents(frame, path, columns, "csv")
    return [_with_decoding(doc, decoded.encoding, decoded.warnings) for doc in docs]


def read_xlsx(path: Path, columns: TableColumns, sheet: str | None) -> list[ParsedDocument]:
    """Read one sheet (default: the first) of an Excel workbook."""
    if not zipfile.is_zipfile(path):
        raise IngestError(path, "is not an Excel workbook (an .xlsx file is a zip archive; this one is not): "
                                "open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx), or "
                                "export it as .csv")
    try:
        book = pd.ExcelFile(path)
        if sheet is not None and sheet not in book.sheet_names:
            raise IngestError(path, f"has no sheet named {sheet!r}; its sheets are: "
                                    + ", ".join(map(repr, book.sheet_names)))
        frame = pd.read_excel(book, sheet_name=sheet if sheet is not None else 0, dtype=str,
                              keep_default_na=False)
    except IngestError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many types on damaged files
        raise IngestError(path, f"is not a readable Excel workbook ({type(exc).__name__}: "
                                f"{exc}): open it in Excel or LibreOffice and save it "
                                "again as .xlsx") from exc
    try:
        docs = table_documents(frame, path, columns, "xlsx")
    except IngestError as exc:
        formulas = formulas_without_values(path)
        if formulas:
            raise IngestError(path, _formula_advice(formulas)) from exc
        raise
    if any("with no text" in w for doc in docs for w in doc.warnings):
        formulas = formulas_without_values(path)
        if formulas:
            docs = [replace(doc, warnings=doc.warnings + (_formula_advice(formulas),)) for doc in docs]
    return docs


def formulas_without_values(path: Path, limit: int = 50_000_000) -> int:
    """Cells holding a formula but no saved value (a file written by a script, never opened
    in a spreadsheet program): pandas reads them as empty."""
    count = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.startswith("xl/worksheets/") and info.file_size <= limit:
                    xml = archive.read(info).decode("utf-8", "replace")
                    count += len(_FORMULA_NO_VALUE.findall(xml))
    except (zipfile.BadZipFile, OSError, KeyError):
        return 0
    return count


def _formula_advice(count: int) -> str:
    return (f"{count} cell(s) hold formulas without saved values, which read as empty text: open the file in "
            "Excel or LibreOffice and save it (the values are stored then), or paste the column as values; "
            "then ingest again")


def table_documents(frame: pd.DataFrame, path: Path, columns: TableColumns,
                    fmt: str) -> list[ParsedDocument]:
    """Documents from a frame of strings: one, or one per case in order of appearance."""
    frame = frame.rename(columns=lambda name: str(name).strip())
    _check_columns(frame, path, columns)
    names = [str(name) for name in frame.columns]
    cells = zip(*(frame.iloc[:, i].fillna("").tolist() for i in range(len(names))))
    records: list[dict[str, str]] = []
    row_numbers: list[int] = []
    for row_number, row in enumerate(cells, start=2):  # the header is row 1
        record = dict(zip(names, map(_clean, row)))
        if any(record.values()):  # rows with no value at all are padding
            records.append(record)
            row_numbers.append(row_number)
    if columns.case is None:
        return [_document(records, row_numbers, columns, path, fmt, None, {})]
    return _case_documents(records, row_numbers, columns, path, fmt)


def _check_field_counts(path: Path, text: str, delimiter: str) -> None:
    """Reject a CSV whose rows have more fields than its header, naming the rows."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, [])
        wide = []
        for record in reader:
            if len(record) > len(header):
                wide.append((reader.line_num, len(record)))
    except csv.Error as exc:
        raise IngestError(path, f"is not a readable CSV file (line {reader.line_num}: {exc}); check quoting, "
                                "or save it again from a spreadsheet") from exc
    if wide:
        line, n = wide[0]
        more = f" (and {len(wide) - 1} more row(s))" if len(wide) > 1 else ""
        raise IngestError(path, f"line {line} has {n} fields but the header has {len(header)}{more}: a value "
                                f"holds an unquoted '{delimiter}' or a column is missing from the header; "
                                f"quote that value or add the header, then ingest again")


def _sniff_delimiter(text: str) -> str:
    """The delimiter that occurs most often in the header line (comma if none)."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _check_columns(frame: pd.DataFrame, path: Path, columns: TableColumns) -> None:
    available = ", ".join(repr(name) for name in frame.columns)
    if columns.text is None:
        raise IngestError(path, "is tabular: name the column that holds the text "
                                f"(text_column); available columns: {available}")
    roles = {"text": [columns.text], "id": list(columns.ids), "case": [columns.case],
             "speaker": [columns.speaker], "timestamp": [columns.timestamp]}
    for role, names in roles.items():
        for name in names:
            if name is not None and name not in frame.columns:
                raise IngestError(path, f"has no {role} column {name!r}; available "
                                        f"columns: {available}")


def _case_documents(records: list[dict[str, str]], row_numbers: list[int],
                    columns: TableColumns, path: Path, fmt: str) -> list[ParsedDocument]:
    assert columns.case is not None
    by_case: dict[str, list[int]] = {}
    missing = []
    for index, record in enumerate(records):
        case = record[columns.case]
        if case:
            by_case.setdefault(case, []).append(index)
        elif record[columns.text]:  # type: ignore[index]
            missing.append(row_numbers[index])
    if missing:
        raise IngestError(path, f"rows {_row_list(missing)} have text but no value in case "
                                f"column {columns.case!r}: fill them in or remove them")
    constant = _constant_columns(records, by_case, _other_columns(records, columns))
    documents = []
    for case, indexes in by_case.items():
        first = records[indexes[0]]
        attributes = {name: first[name] for name in constant if first[name]}
        document = _document([records[i] for i in indexes], [row_numbers[i] for i in indexes],
                             columns, path, fmt, case, attributes, constant)
        if document.blocks:
            documents.append(document)
    if not documents:
        raise _no_text_error(path, columns)
    return documents


def _document(records: list[dict[str, str]], row_numbers: list[int], columns: TableColumns,
              path: Path, fmt: str, case: str | None, attributes: dict[str, str],
              case_columns: tuple[str, ...] = ()) -> ParsedDocument:
    others = [name for name in _other_columns(records, columns) if name not in case_columns]
    texts: list[str] = []
    blocks: list[Block] = []
    empty: list[int] = []
    offset = 0
    for record, row_number in zip(records, row_numbers):
        text = record[columns.text]  # type: ignore[index]
        if not text:
            empty.append(row_number)
            continue
        if texts:
            offset += len(ROW_SEPARATOR)
        blocks.append(_row_block(record, offset, offset + len(text), columns, others))
        texts.append(text)
        offset += len(text)
    if not blocks and case is None:
        raise _no_text_error(path, columns)
    warnings = _warnings(blocks, empty, columns)
    return ParsedDocument(ROW_SEPARATOR.join(texts), tuple(blocks), fmt, warnings=warnings,
                          case=case, key_suffix=case or "", attributes=attributes)


def _row_block(record: dict[str, str], start: int, end: int, columns: TableColumns,
               others: list[str]) -> Block:
    ids = [record[name] for name in columns.ids]
    return Block(
        start, end, kind="row",
        speaker=record[columns.speaker] or None if columns.speaker else None,
        timestamp=record[columns.timestamp] or None if columns.timestamp else None,
        external_id=ID_SEPARATOR.join(ids) if any(ids) else None,
        attributes={name: record[name] for name in others if record[name]},
    )


def _other_columns(records: list[dict[str, str]], columns: TableColumns) -> list[str]:
    if not records:
        return []
    used = {columns.text, columns.case, columns.speaker, columns.timestamp, *columns.ids}
    return [name for name in records[0] if name not in used]


def _constant_columns(records: list[dict[str, str]], by_case: dict[str, list[int]],
                      names: list[str]) -> tuple[str, ...]:
    """Columns whose value is the same on every row of each case (blank counts)."""
    return tuple(
        name for name in names
        if all(len({records[i][name] for i in indexes}) == 1 for indexes in by_case.values())
    )


def _warnings(blocks: list[Block], empty: list[int], columns: TableColumns) -> tuple[str, ...]:
    warnings = []
    if empty:
        warnings.append(f"skipped {len(empty)} row(s) with no text in column "
                        f"{columns.text!r}: rows {_row_list(empty)} (header = row 1)")
    ids = Counter(block.external_id for block in blocks if block.external_id)
    repeated = [value for value, count in ids.items() if count > 1]
    if repeated:
        warnings.append(f"ids repeat, so rows cannot be told apart by id: "
                        f"{', '.join(repeated[:_MAX_LISTED_ROWS])}; check id_columns")
    return tuple(warnings)


def _clean(value: object) -> str:
    """A cell as one NFC line: line breaks inside the cell become single spaces."""
    text = str(value)
    if "\n" in text or "\r" in text:
        text = _LINE_BREAKS.sub(" ", text)
    return unicodedata.normalize("NFC", text).strip()


def _row_list(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:_MAX_LISTED_ROWS]))
    more = len(rows) - _MAX_LISTED_ROWS
    return f"{shown} and {more} more" if more > 0 else shown


def _no_text_error(path: Path, columns: TableColumns) -> IngestError:
    return IngestError(path, f"has no rows with text in column {columns.text!r}: "
                             "check that text_column names the column with the text")


def _with_decoding(doc: ParsedDocument, encoding: str,
                   warnings: tuple[str, ...]) -> ParsedDocument:
    return ParsedDocument(doc.text, doc.blocks, doc.format, encoding, warnings + doc.warnings,
                          doc.case, doc.key_suffix, doc.attributes)
