"""The pseudonymisation review workbook, and re-identified copies of report workbooks:
the one module of this package that writes workbooks (through pipeline.sheets).

The workbook shows identifiable text (every finding in its context), so it is written
beside the key, outside the study folder. Text goes into cells through the project's
guard for untrusted cell text (``safe_text``: never a formula, no illegal characters).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence


from pipeline.errors import WorkbookError
from pipeline.pseudonymise.entities import KINDS
from pipeline.sheets import (
    Alignment, DataValidation, Font, PatternFill, Protection, Workbook, edit_workbook, open_workbook, put,
    save_workbook,
)

__all__ = [
    "ACCEPT", "REJECT", "REVIEW_SHEET", "ADD_SHEET", "ReviewItem", "ReviewRow", "AddRow",
    "write_review", "read_review", "reidentify_workbook",
]

ACCEPT, REJECT = "accept", "reject"
REVIEW_SHEET, ADD_SHEET, HELP_SHEET = "Replacements", "Add missed", "Instructions"
REVIEW_HEADERS = ("Decision", "Code", "Kind", "Found text", "Context", "Found by", "Document",
                  "document id", "start", "end")
ADD_HEADERS = ("Text", "Kind", "Code (optional)", "Document (blank: every document)")
IDENTIFIER_PREFIX = "deductive-pseudonymise:"
_HEADER = (PatternFill("solid", fgColor="1F4E78"), Font(name="Calibri", bold=True, color="FFFFFF"))
_INPUT = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")
_HELP = (
    "Pseudonymisation review. This workbook holds identifiable text: keep it with the key, outside the study.",
    "Replacements: one row per finding. Decision: 'accept' (replace it with its code) or 'reject' (leave it).",
    "Code: change it to merge two entities (give both the same code) or type a new code such as [PERSON_12].",
    "Add missed: a name or number that was not found. Every whole-word occurrence (any case) is replaced,",
    "in the named document (its source key as shown in the Document column) or, left blank, in every document.",
    "Then run: deductive pseudonymise DIR --apply THIS_WORKBOOK --key KEY",
    "Found by: list (the names list, case names or speaker labels), rule (e-mail, phone, URL, postcode/ID) or model.",
)


@dataclass(frozen=True)
class ReviewItem:
    """One proposed replacement as the workbook shows it."""

    code: str
    kind: str
    text: str
    context: str
    source: str
    document: str
    document_id: str
    start: int
    end: int


@dataclass(frozen=True)
class ReviewRow:
    row: int
    decision: str
    code: str
    kind: str
    text: str
    document_id: str
    start: str
    end: str


@dataclass(frozen=True)
class AddRow:
    row: int
    text: str
    kind: str
    code: str
    document: str


def _put(cell, value: object) -> None:
    """The one place this module puts a value into a cell: through the shared guard."""
    put(cell, value)


def write_review(path: Path, items: Sequence[ReviewItem], study: str) -> None:
    book = Workbook()
    help_sheet = book.active
    help_sheet.title = HELP_SHEET
    for i, line in enumerate(_HELP, start=1):
        _put(help_sheet.cell(i, 1), line)
    help_sheet.column_dimensions["A"].width = 120
    _review_sheet(book.create_sheet(REVIEW_SHEET), items)
    _add_sheet(book.create_sheet(ADD_SHEET))
    book.active = 1
    book.properties.identifier = IDENTIFIER_PREFIX + study
    save_workbook(book, path)


def _header(sheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    for col, (name, width) in enumerate(zip(headers, widths), start=1):
        cell = sheet.cell(1, col)
        _put(cell, name)
        cell.fill, cell.font = _HEADER
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"


def _review_sheet(sheet, items: Sequence[ReviewItem]) -> None:
    _header(sheet, REVIEW_HEADERS, (10, 14, 9, 24, 70, 9, 28, 10, 8, 8))
    for r, item in enumerate(items, start=2):
        values = (ACCEPT, item.code, item.kind, item.text, item.context, item.source, item.document,
                  item.document_id, item.start, item.end)
        for c, value in enumerate(values, start=1):
            _put(sheet.cell(r, c), value)
        for c in (1, 2):
            sheet.cell(r, c).fill, sheet.cell(r, c).protection = _INPUT, Protection(locked=False)
        sheet.cell(r, 5).alignment = _WRAP
    for letter in ("H", "I", "J"):
        sheet.column_dimensions[letter].hidden = True
    decide = DataValidation(type="list", formula1=f'"{ACCEPT},{REJECT}"', allow_blank=False, showErrorMessage=True)
    sheet.add_data_validation(decide)
    decide.add(f"A2:A{max(len(items) + 1, 2)}")
    sheet.auto_filter.ref = f"A1:G{max(len(items) + 1, 2)}"
    sheet.protection.sheet = True  # keys and found text stay as written; Decision and Code are open
    sheet.protection.autoFilter = False
    sheet.protection.sort = False


def _add_sheet(sheet) -> None:
    _header(sheet, ADD_HEADERS, (30, 10, 16, 40))
    kinds = DataValidation(type="list", formula1='"' + ",".join(KINDS) + '"', allow_blank=True, showErrorMessage=True)
    sheet.add_data_validation(kinds)
    kinds.add("B2:B2000")


def read_review(path: Path) -> tuple[str, list[ReviewRow], list[AddRow]]:
    """The study id the workbook was written for, its review rows and its added rows."""
    book = open_workbook(path, "give the review workbook written by `deductive pseudonymise`")
    try:
        identifier = book.properties.identifier or ""
        if not identifier.startswith(IDENTIFIER_PREFIX) or REVIEW_SHEET not in book.sheetnames:
            raise WorkbookError(f"{path}: not a pseudonymisation review workbook written by `deductive pseudonymise`")
        reviews = [ReviewRow(r, *(_text(v) for v in values[:4]), *(_text(v) for v in values[7:10]))
                   for r, values in _rows(book[REVIEW_SHEET], REVIEW_HEADERS, path)]
        added = ([AddRow(r, *(_text(v) for v in values[:4])) for r, values in _rows(book[ADD_SHEET], ADD_HEADERS, path)]
                 if ADD_SHEET in book.sheetnames else [])
    finally:
        book.close()
    return identifier[len(IDENTIFIER_PREFIX):], reviews, added


def _rows(sheet, headers: Sequence[str], path: Path) -> Iterator[tuple[int, tuple]]:
    rows = sheet.iter_rows(values_only=True, max_col=len(headers))
    first = tuple(_text(v) for v in next(rows, ()))
    if first[:len(headers)] != tuple(headers):
        raise WorkbookError(f"{path}: sheet '{sheet.title}': the header row was changed; expected {', '.join(headers)}")
    for number, values in enumerate(rows, start=2):
        values = tuple(values) + (None,) * (len(headers) - len(values))
        if any(v not in (None, "") for v in values):
            yield number, values


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def reidentify_workbook(source: Path, target: Path, restore: Callable[[str], str]) -> int:
    """Copy a report workbook with codes restored in its text cells; returns cells changed."""
    book = edit_workbook(source, "give a workbook written by deductive")
    changed = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type == "s":
                    restored = restore(cell.value)
                    if restored != cell.value:
                        _put(cell, restored)
                        changed += 1
    save_workbook(book, target)
    return changed
