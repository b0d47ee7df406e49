"""Write the review workbook and read its Queue sheet back (through ``pipeline.sheets``).

Every text cell goes through ``pipeline.sheets`` (stored as a string, never a formula;
characters XML cannot hold dropped from what is shown: the keys and the text hash always
refer to the stored text); keys live in hidden, locked columns.
"""

from __future__ import annotations

import math
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from pipeline.codebook import Codebook
from pipeline.errors import WorkbookError
from pipeline.review import layout as L
from pipeline.review.layout import WorkbookMeta
from pipeline.review.instructions import instruction_rows
from pipeline.review.selection import QueueItem
from pipeline.sheets import (
    FONT, WRAP_TOP, Border, Cell, CellIsRule, DataValidation, DefinedName, Font, get_column_letter,
    header_row, new_sheet, open_workbook, page_setup, PatternFill, Protection, put, put_text, quote_sheetname,
    save_workbook, Side, Workbook, Worksheet,
)

__all__ = ["WorkbookMeta", "SheetRow", "write_workbook", "read_queue_sheet"]

CHOICES_NAME = "CodeChoices"

INPUT_FILL = PatternFill("solid", fgColor=L.INPUT_COLOUR)
NO_CODE_FILL = PatternFill("solid", fgColor=L.NO_CODE_COLOUR)
KEY_FONT = Font(name=FONT, color="A6A6A6", size=8)
CONTEXT_FONT = Font(name=FONT, color="808080", italic=True, size=9)
TEXT_FONT = Font(name=FONT, size=11)
GRID = Border(bottom=Side(style="thin", color="D9D9D9"))
UNLOCKED = Protection(locked=False)
LINE_POINTS, CONTEXT_LINE_POINTS = 15.0, 12.5


@dataclass(frozen=True)
class SheetRow:
    """One non-empty row of a returned Queue sheet, as text keyed by header."""

    row: int
    values: dict[str, Any]
    letters: dict[str, str]

    def cell(self, header: str) -> str:
        """'Decision 2 (cell L14)': where to look, for error messages."""
        letter = self.letters.get(header)
        return f"column '{header}'" + (f" (cell {letter}{self.row})" if letter else "")


def write_workbook(path: Path, items: Sequence[QueueItem], codebook: Codebook, meta: WorkbookMeta) -> None:
    """Write the Instructions, Queue and Codebook sheets to ``path``."""
    columns = L.Columns(slots=max([len(i.suggestions) for i in items] + [1]))
    book = Workbook()
    _instructions(book.active, meta, codebook, columns)
    _queue(new_sheet(book, L.QUEUE_SHEET), items, columns, meta)
    choices = _codebook(new_sheet(book, L.CODEBOOK_SHEET), codebook)
    ref = f"{quote_sheetname(L.CODEBOOK_SHEET)}!$A$2:$A${max(choices + 1, 2)}"
    book.defined_names[CHOICES_NAME] = DefinedName(CHOICES_NAME, attr_text=ref)
    book.active = 1
    book.properties.title = f"Review queue {meta.workbook_id} for {meta.coder}"
    book.properties.identifier = meta.workbook_id
    save_workbook(book, path)


def _instructions(sheet: Worksheet, meta: WorkbookMeta, codebook: Codebook, columns: L.Columns) -> None:
    sheet.title = L.INSTRUCTIONS_SHEET
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 100
    for r, (left, right, style) in enumerate(instruction_rows(meta, codebook, columns), start=1):
        a, b = sheet.cell(r, 1), sheet.cell(r, 2)
        put_text(a, left)
        put_text(b, right)
        a.alignment = b.alignment = WRAP_TOP
        if style == "title":
            a.font = Font(name=FONT, bold=True, size=16, color="1F4E78")
            sheet.row_dimensions[r].height = 26
            continue
        elif style == "heading":
            a.font = Font(name=FONT, bold=True, size=12, color="1F4E78")
        elif style == "term":
            a.font = Font(name=FONT, bold=True)
        elif style.startswith("fill:"):
            a.fill = PatternFill("solid", fgColor=style[5:])
        sheet.row_dimensions[r].height = LINE_POINTS * max(1, math.ceil(len(right) / 95), right.count("\n") + 1)
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.protection.sheet = True


def _queue(sheet: Worksheet, items: Sequence[QueueItem], columns: L.Columns, meta: WorkbookMeta) -> None:
    headers = columns.headers
    index = {name: i + 1 for i, name in enumerate(headers)}
    for name, width in columns.visible:
        sheet.column_dimensions[get_column_letter(index[name])].width = width
    for name in L.KEY_COLUMNS:
        sheet.column_dimensions[get_column_letter(index[name])].hidden = True
    header_row(sheet, 1, headers)
    sheet.row_dimensions[1].height = 30
    styles = _Styles()
    for r, item in enumerate(items, start=2):
        values = _row_values(item, meta)
        values["#"] = r - 1
        editable = set(columns.editable_in(len(item.suggestions)))
        kinds = _suggestion_kinds(item)
        for name in headers:
            cell = sheet.cell(r, index[name])
            styles.apply(cell, "input" if name in editable else kinds.get(name) or _KIND_OF.get(name, "text"))
            value = values.get(name)
            put(cell, value)
        sheet.row_dimensions[r].height = _row_height(item)
    _validations(sheet, len(items), columns, index)
    last_visible = get_column_letter(len(columns.visible))
    sheet.auto_filter.ref = f"A1:{last_visible}{len(items) + 1}"
    sheet.freeze_panes = "B2"
    page_setup(sheet, title_rows="1:1")
    _protect(sheet)


def _row_values(item: QueueItem, meta: WorkbookMeta) -> dict[str, Any]:
    values: dict[str, Any] = {
        "Case": item.case, "Document": item.document, "Where": item.location,
        "Speaker": item.speaker, "Before": item.before, "Segment": item.text, "After": item.after,
        L.WORKBOOK_KEY: meta.workbook_id, L.SEGMENT_KEY: item.segment_id,
        L.SUGGESTIONS_KEY: " ".join(s.id for s in item.suggestions), L.HASH_KEY: item.text_hash,
    }
    for slot, suggestion in enumerate(item.suggestions, start=1):
        score = "" if suggestion.score is None else f" ({suggestion.score:.2f})"
        values[L.suggestion_header(slot)] = suggestion.label + score
    return values


_KIND_OF = {"Before": "context", "After": "context", **{name: "key" for name in L.KEY_COLUMNS}}


def _suggestion_kinds(item: QueueItem) -> dict[str, str]:
    """Style kind of each suggestion cell: 'no-code' or 'score:<colour>'."""
    return {L.suggestion_header(slot): "no-code" if s.code_id is None else f"score:{L.score_band(s.score) or ''}"
            for slot, s in enumerate(item.suggestions, start=1)}


class _Styles:
    """One style per kind of cell, built once and copied: setting fonts and fills cell by
    cell makes openpyxl hash style objects millions of times (minutes for 10,000 rows)."""

    def __init__(self) -> None:
        self._made: dict[str, Any] = {}

    def apply(self, cell: Cell, kind: str) -> None:
        made = self._made.get(kind)
        if made is not None:
            cell._style = copy(made)
            return
        cell.alignment, cell.border, cell.font = WRAP_TOP, GRID, TEXT_FONT
        if kind == "context":
            cell.font = CONTEXT_FONT
        elif kind == "key":
            cell.font = KEY_FONT
        elif kind == "input":
            cell.protection, cell.fill = UNLOCKED, INPUT_FILL
        elif kind == "no-code":
            cell.font, cell.fill = Font(name=FONT, italic=True), NO_CODE_FILL
        elif kind.startswith("score:"):
            cell.font = Font(name=FONT, bold=True)
            if kind[6:]:
                cell.fill = PatternFill("solid", fgColor=kind[6:])
        self._made[kind] = copy(cell._style)


def _row_height(item: QueueItem) -> float:
    """Explicit heights: spreadsheets do not grow wrapped rows on open (and PDFs overlap)."""
    def lines(text: str, width: int) -> int:
        return sum(max(1, math.ceil(len(part) / width)) for part in text.split("\n")) if text else 1

    text = lines(item.text, 58) * LINE_POINTS
    context = max(lines(item.before, 34), lines(item.after, 34)) * CONTEXT_LINE_POINTS
    labels = max([lines(s.label, 20) for s in item.suggestions] + [1]) * LINE_POINTS
    return min(409.0, max(text, context, labels, 2 * LINE_POINTS) + 4)


def _validations(sheet: Worksheet, rows: int, columns: L.Columns, index: dict[str, int]) -> None:
    last = max(rows + 1, 2)

    def span(name: str) -> str:
        letter = get_column_letter(index[name])
        return f"{letter}2:{letter}{last}"

    decide = DataValidation(type="list", formula1=f'"{L.ACCEPT},{L.REJECT}"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Decision",
                            error=f"Choose {L.ACCEPT} or {L.REJECT}, or leave the cell blank.")
    # A warning, not a stop: a code typed that is not in the list is kept as a proposed
    # (emergent) code, which `confirm` records and `codebook accept-emergent` adds.
    add = DataValidation(type="list", formula1=CHOICES_NAME, allow_blank=True, showErrorMessage=True,
                         errorStyle="warning", errorTitle="Add code",
                         error="Not in the codebook: keep it to propose it as a new (emergent) code, "
                               "or pick a code from the list (the Codebook sheet).")
    nothing = DataValidation(type="list", formula1=f'"{L.NOTHING_APPLIES}"', allow_blank=True,
                             showErrorMessage=True, errorTitle=L.NOTHING_HEADER,
                             error=f"Choose '{L.NOTHING_APPLIES}' when no code of the codebook applies.")
    for slot in range(1, columns.slots + 1):
        decide.add(span(L.decision_header(slot)))
        sheet.conditional_formatting.add(span(L.decision_header(slot)), CellIsRule(
            operator="equal", formula=[f'"{L.ACCEPT}"'], fill=PatternFill("solid", bgColor="A9D08E")))
        sheet.conditional_formatting.add(span(L.decision_header(slot)), CellIsRule(
            operator="equal", formula=[f'"{L.REJECT}"'], fill=PatternFill("solid", bgColor="F4B183")))
    for slot in range(1, L.ADD_SLOTS + 1):
        add.add(span(L.add_header(slot)))
    nothing.add(span(L.NOTHING_HEADER))
    for validation in (decide, add, nothing):
        sheet.add_data_validation(validation)


def _protect(sheet: Worksheet) -> None:
    # No password: coders may unprotect to sort in Excel; confirm checks the keys anyway.
    protection = sheet.protection
    protection.sheet = True
    protection.sort = protection.autoFilter = False
    protection.formatColumns = protection.formatRows = False


def _codebook(sheet: Worksheet, codebook: Codebook) -> int:
    """The codable codes, one per row; column A feeds the add-code dropdowns."""
    headers = [("Pick as", 30), ("ID", 20), ("Label", 24), ("Group", 26), ("Definition", 60),
               ("Include when", 45), ("Exclude when", 45)]
    header_row(sheet, 1, [name for name, _ in headers], widths=[width for _, width in headers])
    codes = codebook.codable
    for r, code in enumerate(codes, start=2):
        groups = tuple(a.label for a in reversed(codebook.ancestors(code.id)))
        group = " › ".join(groups)
        row = [L.choice_text(code.label, code.id, groups), code.id, code.label, group,
               code.definition, code.inclusion, code.exclusion]
        for col, value in enumerate(row, start=1):
            cell = sheet.cell(r, col)
            put_text(cell, value)
            cell.alignment, cell.border = WRAP_TOP, GRID
        longest = max(len(code.definition) / 56, len(code.inclusion) / 42, len(code.exclusion) / 42, 1)
        sheet.row_dimensions[r].height = min(409.0, LINE_POINTS * math.ceil(longest) + 4)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:G{len(codes) + 1}"
    sheet.protection.sheet = True
    sheet.protection.autoFilter = sheet.protection.sort = sheet.protection.formatColumns = False
    return len(codes)


def read_queue_sheet(path: Path) -> list[SheetRow]:
    """Every non-empty row of the Queue sheet, keyed by header; never by position."""
    try:
        book = open_workbook(path, "save it as Excel Workbook (.xlsx) and try again", data_only=False)
    except WorkbookError:
        raise
    except Exception as exc:  # damaged XML inside the zip: openpyxl raises the XML parser's errors
        raise _damaged(path, exc) from exc
    try:
        if L.QUEUE_SHEET not in book.sheetnames:
            raise WorkbookError(f"{path}: no sheet named '{L.QUEUE_SHEET}' (found: {', '.join(book.sheetnames)}); "
                                f"rename the review sheet back to '{L.QUEUE_SHEET}'")
        sheet = book[L.QUEUE_SHEET]
        sheet.reset_dimensions()  # some writers store a wrong used range
        return _rows(path, sheet)
    except WorkbookError:
        raise
    except Exception as exc:  # the sheet's XML is damaged (seen: ParseError) - name the file
        raise _damaged(path, exc) from exc
    finally:
        book.close()


def _damaged(path: Path, exc: Exception) -> WorkbookError:
    return WorkbookError(f"{path}: damaged workbook, sheet '{L.QUEUE_SHEET}' cannot be read "
                         f"({type(exc).__name__}: {exc}); open it in Excel or LibreOffice, save it again as "
                         f"Excel Workbook (.xlsx) and confirm it again; nothing was imported from it")


def _rows(path: Path, sheet: Any) -> list[SheetRow]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    names: dict[str, int] = {}
    for i, value in enumerate(header):
        if value is not None and str(value).strip():
            names.setdefault(str(value).strip(), i)
    missing = [k for k in L.KEY_COLUMNS if k not in names]
    if missing:
        raise WorkbookError(f"{path}: sheet '{L.QUEUE_SHEET}' row 1 has no column {', '.join(map(repr, missing))}; "
                            f"the hidden key columns were removed or renamed. Use the workbook as "
                            f"`deductive queue` wrote it (copy your decisions into a fresh queue if needed)")
    letters = {name: get_column_letter(i + 1) for name, i in names.items()}
    out = []
    for r, values in enumerate(rows, start=2):
        record = {name: values[i] if i < len(values) else None for name, i in names.items()}
        if any(v is not None and str(v).strip() for v in record.values()):
            out.append(SheetRow(r, record, letters))
    return out
