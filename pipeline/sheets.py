"""The spreadsheet toolkit: the one module that puts text from outside into a workbook cell.

Every workbook writer (review queue, summary, audit) writes cells, headers and sheet
names through here, so the rules cannot drift between copies:

- every string is stored as a string (``data_type`` "s"), never as a formula, whatever
  it starts with; text that a spreadsheet would take for a formula when edited or
  re-typed (``=``, ``+``, ``-``, ``@``, tab, carriage return, and their full-width
  forms) also gets Excel's quote prefix, so it stays text after an edit;
- characters XML 1.0 cannot hold (control characters such as vertical tab, lone
  surrogates, U+FFFE/U+FFFF) are dropped from what is shown, and text is cut at
  Excel's cell limit: a cell never breaks the file or makes Excel offer a repair;
- sheet names drop ``[]:*?/\\`` and control characters, are cut to 31 characters and
  made unique ignoring case (Excel's rules).

Large workbooks (the review queue) are written row by row by ``pipeline.sheets_stream``
(XlsxWriter), which owns the text rule (``cell_text``) that ``put_text`` applies here too.

It also owns the shared look (font, header fill), page setup, reading a workbook back
with a clear error, and saving, and it is the only module that imports openpyxl: the
writers take the building blocks they need (styles, validations, images) from here.
``pipeline.untrusted`` holds the character rules, which the CSV exports share.
"""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.errors import WorkbookError
from pipeline.sheets_stream import MAX_CELL, cell_text
from pipeline.untrusted import FORMULA_STARTS, clean_text

__all__ = ["FONT", "HEADER_FILL", "HEADER_FONT", "WRAP_TOP", "MAX_CELL", "FORMULA_STARTS", "put_text", "put",
           "header_row", "sheet_title", "new_sheet", "page_setup", "open_workbook", "edit_workbook", "save_workbook",
           "clean_text",
           # the openpyxl building blocks the writers use, so that no writer imports openpyxl itself
           "Alignment", "Border", "Cell", "CellIsRule", "DataValidation", "DefinedName", "Font", "Image",
           "PatternFill", "Protection", "Side", "Workbook", "Worksheet", "get_column_letter", "quote_sheetname"]

FONT = "Calibri"  # named everywhere: a nameless font renders as a serif in LibreOffice
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(name=FONT, bold=True, color="FFFFFF")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def put_text(cell: Cell, value: str) -> None:
    """Put text in a cell so that no spreadsheet ever evaluates it."""
    text, quoted = cell_text(value)  # the rule is shared with the streaming writer
    cell.value = text
    cell.data_type = "s"  # openpyxl would otherwise store '=...' as a formula
    if quoted:
        cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def put(cell: Cell, value: Any) -> None:
    """Any value: text through ``put_text``; numbers as numbers; None and NaN leave the cell blank."""
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        cell.value = None
    elif isinstance(value, str):
        put_text(cell, value)
    elif isinstance(value, (bool, int, float, Decimal, datetime.date, datetime.time, datetime.timedelta)):
        cell.value = value  # openpyxl writes these as typed values, which cannot be formulas
    else:  # anything else is shown as its text, never evaluated
        put_text(cell, str(value))


def header_row(sheet: Worksheet, row: int, headers: Iterable[str], start: int = 1,
               widths: Sequence[float] | None = None) -> None:
    """A header row in the shared style; headers are outside text too (code labels, coder names)."""
    for j, text in enumerate(headers, start=start):
        cell = sheet.cell(row, j)
        put_text(cell, str(text))
        cell.fill, cell.font, cell.alignment = HEADER_FILL, HEADER_FONT, HEADER_ALIGNMENT
        if widths is not None:
            sheet.column_dimensions[get_column_letter(j)].width = widths[j - start]


def sheet_title(book: Workbook, title: str) -> str:
    """A legal sheet name, unique in ``book`` ignoring case, for any text."""
    name = _BAD_TITLE.sub("_", clean_text(title)).strip().strip("'")[:31].strip() or "Sheet"
    taken = {s.lower() for s in book.sheetnames}
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    return name


def new_sheet(book: Workbook, title: str) -> Worksheet:
    """A new sheet at the end of ``book`` under a safe, unique name."""
    return book.create_sheet(sheet_title(book, title))


def page_setup(sheet: Worksheet, fit_width: bool = True, title_rows: str | None = None) -> None:
    """Printing (and PDF): A4 landscape, every column on the page, header rows on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    if fit_width:  # quote-heavy sheets stay readable at full size instead
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def open_workbook(path: Path, what: str, data_only: bool = True) -> Any:
    """A workbook opened read-only, or WorkbookError saying what to give instead."""
    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise WorkbookError(f"{path}: not a readable .xlsx workbook ({exc}); {what}") from exc


def edit_workbook(path: Path, what: str) -> Workbook:
    """A whole workbook opened for changing (e.g. to copy it with text replaced), or WorkbookError."""
    try:
        return load_workbook(path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise WorkbookError(f"{path}: not a readable .xlsx workbook ({exc}); {what}") from exc


def save_workbook(book: Workbook, path: Path, hint: str = "check the folder exists and the file is not open") -> None:
    """Save, stamping the creator; a failure names the file and says what to do."""
    book.properties.creator = "deductive"
    if book.properties.title:
        book.properties.title = clean_text(book.properties.title)
    try:
        book.save(path)
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot write the workbook ({exc}); {hint}") from exc
