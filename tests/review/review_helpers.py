"""Act as a coder: fill, sort, delete and hide in a queued workbook with openpyxl."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Mapping

from openpyxl import load_workbook

from pipeline.study import Study


def headers(sheet) -> dict[str, int]:
    return {str(c.value): c.column for c in sheet[1] if c.value is not None}


def hidden_columns(sheet) -> set[int]:
    """Column numbers hidden on ``sheet``: a <col> element may cover a range (as Excel and
    XlsxWriter write adjacent alike columns), which openpyxl keys by its first letter."""
    return {c for dim in sheet.column_dimensions.values() if dim.hidden for c in range(dim.min, dim.max + 1)}


def excel_text(value: str) -> str:
    """A cell's text as Excel and LibreOffice show it: the file format writes a control
    character such as a carriage return as _x000D_ (and a literal '_x' as _x005F_x), which
    openpyxl leaves undecoded."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def segment_rows(path: Path) -> dict[str, int]:
    """segment id -> sheet row."""
    sheet = load_workbook(path)["Queue"]
    col = headers(sheet)["segment_id"]
    return {sheet.cell(r, col).value: r for r in range(2, sheet.max_row + 1) if sheet.cell(r, col).value}


def edit(path: Path, out: Path | None = None, *, fill: Mapping[str, Mapping[str, object]] = (),
         sort_by: Callable[[list], object] | None = None, delete: tuple[str, ...] = (),
         hide: tuple[str, ...] = (), cells: Mapping[tuple[str, str], object] = ()) -> Path:
    """Fill cells by (segment id -> {header: value}), then sort/delete rows, hide columns.

    ``cells`` sets any column (keys included) of a segment's row: (segment id, header) -> value.
    """
    book = load_workbook(path)
    sheet = book["Queue"]
    cols = headers(sheet)
    rows = {sheet.cell(r, cols["segment_id"]).value: r for r in range(2, sheet.max_row + 1)}
    for segment, values in dict(fill).items():
        for header, value in values.items():
            sheet.cell(rows[segment], cols[header]).value = value
    for (segment, header), value in dict(cells).items():
        sheet.cell(rows[segment], cols[header]).value = value
    for segment in delete:
        sheet.delete_rows(segment_rows_now(sheet, cols)[segment])
    if sort_by is not None:
        _sort(sheet, sort_by)
    for header in hide:
        sheet.column_dimensions[sheet.cell(1, cols[header]).column_letter].hidden = True
    target = out or path
    book.save(target)
    return target


def segment_rows_now(sheet, cols: dict[str, int]) -> dict[str, int]:
    return {sheet.cell(r, cols["segment_id"]).value: r for r in range(2, sheet.max_row + 1)}


def _sort(sheet, key: Callable[[list], object]) -> None:
    """Rewrite the data rows in a new order (values only, as a sort does)."""
    width = sheet.max_column
    rows = [[sheet.cell(r, c).value for c in range(1, width + 1)] for r in range(2, sheet.max_row + 1)]
    rows.sort(key=key)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(r, c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # keep text that looks like a formula as text


def decisions(study_dir: Path, coder: str | None = None) -> list[dict]:
    with Study(study_dir) as study:
        sql = "SELECT * FROM decisions" + (" WHERE coder = ?" if coder else "") + " ORDER BY id"
        return [dict(r) for r in study.store.query(sql, (coder,) if coder else ())]


def current(study_dir: Path, coder: str) -> dict[tuple[str, str | None], str]:
    with Study(study_dir) as study:
        rows = study.store.query("SELECT segment_id, code_id, verdict FROM current_decisions WHERE coder = ?", (coder,))
        return {(r["segment_id"], r["code_id"]): r["verdict"] for r in rows}


def store_snapshot(study_dir: Path) -> dict[str, list[tuple]]:
    with Study(study_dir) as study:
        return {t: [tuple(r) for r in study.store.query(f"SELECT * FROM {t} ORDER BY rowid")]
                for t in ("imports", "decisions", "workbooks", "workbook_items")}
