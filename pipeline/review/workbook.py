"""Write the review workbook and read its Queue sheet back.

Writing goes through ``pipeline.sheets_stream`` (XlsxWriter, row by row: a whole study's
queue in a few seconds and constant memory); reading through ``pipeline.sheets``
(openpyxl). Every text cell is stored as a string, never a formula, with the quote prefix
on text that starts like one; characters XML cannot hold are dropped from what is shown
(the keys and the text hash always refer to the stored text); keys live in hidden,
locked columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from pipeline.codebook import Codebook
from pipeline.errors import WorkbookError
from pipeline.review import layout as L
from pipeline.review.layout import WorkbookMeta
from pipeline.review.instructions import instruction_rows
from pipeline.review.selection import QueueItem
from pipeline.sheets_stream import HEADER_STYLE, StreamBook, StreamSheet, column_letter

__all__ = ["WorkbookMeta", "SheetRow", "write_workbook", "read_queue_sheet"]

CHOICES_NAME = "CodeChoices"

# XlsxWriter format properties of each kind of cell (the look the openpyxl writer had).
CELL = {"text_wrap": True, "valign": "top", "bottom": 1, "bottom_color": "#D9D9D9"}
KINDS = {
    "text": CELL,
    "context": {**CELL, "font_color": "#808080", "italic": True, "font_size": 9},
    "key": {**CELL, "font_color": "#A6A6A6", "font_size": 8},
    "input": {**CELL, "locked": False, "bg_color": f"#{L.INPUT_COLOUR}", "pattern": 1},
    "no-code": {**CELL, "italic": True, "bg_color": f"#{L.NO_CODE_COLOUR}", "pattern": 1},
    "score:": {**CELL, "bold": True},
    **{f"score:{colour}": {**CELL, "bold": True, "bg_color": f"#{colour}", "pattern": 1}
       for _, colour, _ in L.SCORE_BANDS},
}
INSTRUCTION_KINDS = {
    "title": {"text_wrap": True, "valign": "top", "bold": True, "font_size": 16, "font_color": "#1F4E78"},
    "heading": {"text_wrap": True, "valign": "top", "bold": True, "font_size": 12, "font_color": "#1F4E78"},
    "term": {"text_wrap": True, "valign": "top", "bold": True},
    "": {"text_wrap": True, "valign": "top"},
}
DECISION_FILLS = {L.ACCEPT: "#A9D08E", L.REJECT: "#F4B183"}
A4 = 9
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
    book = StreamBook(path)
    _instructions(book, book.sheet(L.INSTRUCTIONS_SHEET), meta, codebook, columns)
    queue = book.sheet(L.QUEUE_SHEET)
    _queue(book, queue, items, columns, meta)
    choices = _codebook(book, book.sheet(L.CODEBOOK_SHEET), codebook)
    book.define_name(CHOICES_NAME, f"='{L.CODEBOOK_SHEET}'!$A$2:$A${max(choices + 1, 2)}")
    queue.layout.activate()
    # The workbook id is in the title and in every row's hidden key (what confirm reads).
    book.save(f"Review queue {meta.workbook_id} for {meta.coder}")


def _instructions(book: StreamBook, sheet: StreamSheet, meta: WorkbookMeta, codebook: Codebook,
                  columns: L.Columns) -> None:
    layout = sheet.layout
    layout.set_column(0, 0, 26)
    layout.set_column(1, 1, 100)
    plain = book.style(INSTRUCTION_KINDS[""])
    for r, (left, right, kind) in enumerate(instruction_rows(meta, codebook, columns)):
        if kind == "title":
            layout.set_row(r, 26)
        else:
            layout.set_row(r, LINE_POINTS * max(1, math.ceil(len(right) / 95), right.count("\n") + 1))
        if kind.startswith("fill:"):
            left_style = book.style({**INSTRUCTION_KINDS[""], "bg_color": f"#{kind[5:]}", "pattern": 1})
        else:
            left_style = book.style(INSTRUCTION_KINDS[kind])
        sheet.put(r, 0, left, left_style)
        sheet.put(r, 1, right, plain)
    _print_setup(layout, landscape=False)
    layout.protect()


def _queue(book: StreamBook, sheet: StreamSheet, items: Sequence[QueueItem], columns: L.Columns,
           meta: WorkbookMeta) -> None:
    headers = columns.headers
    layout = sheet.layout
    for col, (_name, width) in enumerate(columns.visible):
        layout.set_column(col, col, width)
    for name in L.KEY_COLUMNS:  # one by one: readers look a hidden column up by its own letter
        col = headers.index(name)
        layout.set_column(col, col, None, None, {"hidden": True})
    layout.set_row(0, 30)
    sheet.header(0, headers, book.style(HEADER_STYLE))
    styles = {kind: book.style(props) for kind, props in KINDS.items()}
    for r, item in enumerate(items, start=1):
        layout.set_row(r, _row_height(item))  # before the row's cells: rows go to disk in order
        values = _row_values(item, meta)
        values["#"] = r
        editable = set(columns.editable_in(len(item.suggestions)))
        kinds = _suggestion_kinds(item)
        for col, name in enumerate(headers):
            kind = "input" if name in editable else kinds.get(name) or _KIND_OF.get(name, "text")
            sheet.put(r, col, values.get(name), styles[kind])
    last = max(len(items), 1)
    _validations(book, layout, last, columns, {name: i for i, name in enumerate(headers)})
    layout.autofilter(0, 0, len(items), len(columns.visible) - 1)
    layout.freeze_panes(1, 1)
    _print_setup(layout, landscape=True)
    layout.repeat_rows(0)
    # No password: coders may unprotect to sort in Excel; confirm checks the keys anyway.
    layout.protect("", {"sort": True, "autofilter": True, "format_columns": True, "format_rows": True})


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


def _row_height(item: QueueItem) -> float:
    """Explicit heights: spreadsheets do not grow wrapped rows on open (and PDFs overlap)."""
    def lines(text: str, width: int) -> int:
        return sum(max(1, math.ceil(len(part) / width)) for part in text.split("\n")) if text else 1

    text = lines(item.text, 58) * LINE_POINTS
    context = max(lines(item.before, 34), lines(item.after, 34)) * CONTEXT_LINE_POINTS
    labels = max([lines(s.label, 20) for s in item.suggestions] + [1]) * LINE_POINTS
    return min(409.0, max(text, context, labels, 2 * LINE_POINTS) + 4)


def _validations(book: StreamBook, layout: Any, last: int, columns: L.Columns, index: dict[str, int]) -> None:
    def spans(names: list[str]) -> str:
        return " ".join(f"{column_letter(index[n])}2:{column_letter(index[n])}{last + 1}" for n in names)

    decisions = [L.decision_header(slot) for slot in range(1, columns.slots + 1)]
    adds = [L.add_header(slot) for slot in range(1, L.ADD_SLOTS + 1)]
    first = index[decisions[0]]
    layout.data_validation(1, first, last, first, {
        "validate": "list", "source": [L.ACCEPT, L.REJECT], "multi_range": spans(decisions),
        "error_title": "Decision", "error_message": f"Choose {L.ACCEPT} or {L.REJECT}, or leave the cell blank."})
    # A warning, not a stop: a code typed that is not in the list is kept as a proposed
    # (emergent) code, which `confirm` records and `codebook accept-emergent` adds.
    layout.data_validation(1, index[adds[0]], last, index[adds[0]], {
        "validate": "list", "source": f"={CHOICES_NAME}", "multi_range": spans(adds), "error_type": "warning",
        "error_title": "Add code", "error_message": "Not in the codebook: keep it to propose it as a new "
                                                   "(emergent) code, or pick a code from the list (the Codebook sheet)."})
    nothing = index[L.NOTHING_HEADER]
    layout.data_validation(1, nothing, last, nothing, {
        "validate": "list", "source": [L.NOTHING_APPLIES], "error_title": L.NOTHING_HEADER,
        "error_message": f"Choose '{L.NOTHING_APPLIES}' when no code of the codebook applies."})
    for verdict, colour in DECISION_FILLS.items():
        fill = book.fill(colour)
        for name in decisions:
            layout.conditional_format(1, index[name], last, index[name], {
                "type": "cell", "criteria": "==", "value": f'"{verdict}"', "format": fill})


def _print_setup(layout: Any, landscape: bool) -> None:
    """Printing (and PDF): A4, every column on the page (pipeline.sheets.page_setup)."""
    if landscape:
        layout.set_landscape()
        layout.set_margins(left=0.4, right=0.4)
    layout.set_paper(A4)
    layout.fit_to_pages(1, 0)


def _codebook(book: StreamBook, sheet: StreamSheet, codebook: Codebook) -> int:
    """The codable codes, one per row; column A feeds the add-code dropdowns."""
    headers = [("Pick as", 30), ("ID", 20), ("Label", 24), ("Group", 26), ("Definition", 60),
               ("Include when", 45), ("Exclude when", 45)]
    sheet.header(0, [name for name, _ in headers], book.style(HEADER_STYLE), widths=[width for _, width in headers])
    style = book.style(CELL)
    codes = codebook.codable
    for r, code in enumerate(codes, start=1):
        longest = max(len(code.definition) / 56, len(code.inclusion) / 42, len(code.exclusion) / 42, 1)
        sheet.layout.set_row(r, min(409.0, LINE_POINTS * math.ceil(longest) + 4))
        groups = tuple(a.label for a in reversed(codebook.ancestors(code.id)))
        row = [L.choice_text(code.label, code.id, groups), code.id, code.label, " › ".join(groups),
               code.definition, code.inclusion, code.exclusion]
        for col, value in enumerate(row):
            sheet.put(r, col, value, style)
    sheet.layout.freeze_panes(1, 1)
    sheet.layout.autofilter(0, 0, len(codes), len(headers) - 1)
    sheet.layout.protect("", {"sort": True, "autofilter": True, "format_columns": True})
    return len(codes)


def read_queue_sheet(path: Path) -> list[SheetRow]:
    """Every non-empty row of the Queue sheet, keyed by header; never by position."""
    from pipeline.sheets import open_workbook  # openpyxl: loaded by the commands that read workbooks

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
    letters = {name: column_letter(i) for name, i in names.items()}
    out = []
    for r, values in enumerate(rows, start=2):
        record = {name: values[i] if i < len(values) else None for name, i in names.items()}
        if any(v is not None and str(v).strip() for v in record.values()):
            out.append(SheetRow(r, record, letters))
    return out
