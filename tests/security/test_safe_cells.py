"""The rules of pipeline.sheets and pipeline.untrusted, case by case (issue 16, points 1-2)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from pipeline.sheets import MAX_CELL, put, put_text, sheet_title
from pipeline.sheets_stream import StreamBook
from pipeline.untrusted import clean_text, neutralise, write_csv

ROOT = Path(__file__).resolve().parents[2]
WRITERS = ("pipeline/review/workbook.py", "pipeline/summarize/excel.py", "pipeline/audit/excel.py")
# XlsxWriter's methods that put a value into a cell; writers call StreamSheet.put instead.
XLSXWRITER_VALUES = {"write", "write_string", "write_formula", "write_array_formula", "write_dynamic_array_formula",
                     "write_url", "write_rich_string", "write_row", "write_column", "write_number", "write_blank",
                     "write_boolean", "write_datetime", "add_write_handler"}

FORMULA_LIKE = [
    '=HYPERLINK("http://evil.example/","x")',  # the reported live formula
    "+SUM(1,2)",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",  # OWASP: tab and carriage return start a formula in some importers
    "\r=1+1",
    "\uff1d1+1",  # full-width equals sign: some input methods turn it into '='
    "\uff0b1", "\uff0d1", "\uff20SUM(1)",
]
PLAIN = ["plain text", " =1+1 (a leading space keeps it text)", "1+1", "", "'quoted"]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_is_stored_as_text_with_the_quote_prefix(text: str) -> None:
    cell = Workbook().active.cell(1, 1)
    put_text(cell, text)
    assert cell.value == text and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_text_without_a_prefix(text: str) -> None:
    cell = Workbook().active.cell(1, 1)
    put_text(cell, text)
    assert cell.value == text and cell.data_type == "s" and not cell.quotePrefix


@pytest.mark.parametrize("raw, shown", [
    ("vertical\vtab", "verticaltab"),  # crashed the summary before
    ("form\ffeed", "formfeed"),
    ("nul\x00 and bell\x07", "nul and bell"),
    ("lone \ud800 surrogate", "lone  surrogate"),  # cannot be encoded in UTF-8 at all
    ("non\ufffecharacter", "noncharacter"),
    ("tab\tnewline\ncr\rkept", "tab\tnewline\ncr\rkept"),  # XML allows these three
    ("emoji \U0001F600 kept", "emoji \U0001F600 kept"),
])
def test_characters_xml_cannot_hold_are_dropped(raw: str, shown: str) -> None:
    assert clean_text(raw) == shown
    cell = Workbook().active.cell(1, 1)
    put_text(cell, raw)
    assert cell.value == shown


def test_text_is_cut_at_the_cell_limit() -> None:
    cell = Workbook().active.cell(1, 1)
    put_text(cell, "=" + "x" * 40_000)
    assert len(cell.value) == MAX_CELL and cell.quotePrefix


def _streamed(tmp_path: Path, values: list) -> list:
    """Write ``values`` down column A with the streaming writer; read the cells back."""
    book = StreamBook(tmp_path / "stream.xlsx")
    sheet, style = book.sheet("S"), book.style({"text_wrap": True})
    for row, value in enumerate(values):
        sheet.put(row, 0, value, style)
    book.save("stream")
    return [load_workbook(book.path)["S"].cell(r, 1) for r in range(1, len(values) + 1)]


def _shown(value: str) -> str:  # the file format's _xHHHH_ escapes, as Excel shows them
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def test_the_streaming_writer_keeps_the_same_rules(tmp_path: Path) -> None:
    """The review queue is written by XlsxWriter (pipeline.sheets_stream): the same guarantees."""
    cells = _streamed(tmp_path, FORMULA_LIKE + ["plain text", " =1+1", "vertical\vtab", "=" + "x" * 40_000])
    for cell, text in zip(cells, FORMULA_LIKE):
        assert _shown(cell.value) == text and cell.data_type == "s" and cell.quotePrefix, text
    plain, spaced, tab, long = cells[len(FORMULA_LIKE):]
    assert plain.value == "plain text" and not plain.quotePrefix
    assert spaced.value == " =1+1" and spaced.data_type == "s" and not spaced.quotePrefix
    assert tab.value == "verticaltab"
    assert len(long.value) == MAX_CELL and long.quotePrefix


def test_the_streaming_writer_keeps_numbers_numbers(tmp_path: Path) -> None:
    cells = _streamed(tmp_path, [3, 0.5, float("nan"), None, True, "", "=1"])
    assert [c.value for c in cells] == [3, 0.5, None, None, True, None, "=1"]
    assert [c.data_type for c in cells] == ["n", "n", "n", "n", "b", "n", "s"]


@pytest.mark.parametrize("value, stored, kind", [
    (3, 3, "n"), (0.5, 0.5, "n"), (float("nan"), None, "n"), (None, None, "n"), (True, True, "b"),
    ("=1", "=1", "s"), (pd.Timestamp("2024-05-01"), pd.Timestamp("2024-05-01"), "d"),
])
def test_put_keeps_numbers_numbers_and_text_text(value, stored, kind: str) -> None:
    cell = Workbook().active.cell(1, 1)
    put(cell, value)
    assert cell.value == stored and cell.data_type == kind


@pytest.mark.parametrize("title, expected", [
    ("By =region", "By =region"),
    ("FW a/b:c*d?e[f]g\\h", "FW a_b_c_d_e_f_g_h"),
    ("x" * 40, "x" * 31),
    ("'quoted'", "quoted"),  # Excel refuses names that start or end with '
    ("tab\there", "tab_here"),
    ("", "Sheet"),
])
def test_sheet_titles_follow_excel_rules(title: str, expected: str) -> None:
    book = Workbook()
    book.active.title = "Taken"
    assert sheet_title(book, title) == expected


def test_sheet_titles_are_unique_ignoring_case() -> None:
    book = Workbook()
    book.active.title = "Codes"
    assert sheet_title(book, "CODES") == "CODES (2)"
    book.create_sheet("x" * 31)
    assert sheet_title(book, "x" * 40) == "x" * 27 + " (2)"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("\uff1d1", "'\uff1d1"), ("plain", "plain"), ("", ""), (-1.5, -1.5), (3, 3), (None, None),
])
def test_neutralise_follows_owasp(value, expected) -> None:
    assert neutralise(value) == expected


def test_write_csv_neutralises_text_cells_and_headers_unless_raw(tmp_path: Path) -> None:
    frame = pd.DataFrame({"=head": ["=1+1", "ok"], "score": [-0.5, 1.0], "memo": ["@x", None]})
    write_csv(frame, tmp_path / "safe.csv")
    safe = pd.read_csv(tmp_path / "safe.csv", keep_default_na=False)
    assert list(safe.columns) == ["'=head", "score", "memo"]
    assert list(safe["'=head"]) == ["'=1+1", "ok"] and list(safe["memo"]) == ["'@x", ""]
    assert list(safe["score"]) == [-0.5, 1.0]  # numbers are numbers, not text
    write_csv(frame, tmp_path / "raw.csv", raw=True)
    raw = pd.read_csv(tmp_path / "raw.csv", keep_default_na=False)
    assert list(raw.columns) == ["=head", "score", "memo"] and list(raw["=head"]) == ["=1+1", "ok"]


@pytest.mark.parametrize("path", WRITERS)
def test_writers_put_no_value_into_a_cell_except_through_the_toolkit(path: str) -> None:
    """``cell.value = ...``, ``sheet.cell(r, c, value)``, ``create_sheet`` and XlsxWriter's
    ``write*`` bypass the rules; the writers must use put/put_text/header_row/new_sheet
    (openpyxl) or StreamSheet.put/header (XlsxWriter) instead."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    assert not (isinstance(leaf, ast.Attribute) and leaf.attr == "value"), \
                        f"{path}:{node.lineno} assigns .value"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            value_given = name == "cell" and (len(node.args) > 2 or bool(node.keywords))
            assert not value_given, f"{path}:{node.lineno} cell(r, c, value)"
            assert name != "create_sheet", f"{path}:{node.lineno} calls create_sheet(); use new_sheet()"
            assert name not in XLSXWRITER_VALUES, f"{path}:{node.lineno} calls {name}(); use StreamSheet.put()"
