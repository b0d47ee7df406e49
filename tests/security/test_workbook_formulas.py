"""No text from outside ever becomes a spreadsheet formula (issue 16, point 1).

Every workbook deductive writes for the hostile study (queues, summary, audit report and
disagreements) is walked cell by cell; then LibreOffice opens them and exports every sheet
as CSV, which shows the text of a text cell and the result of a formula cell.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
from openpyxl import load_workbook

from pipeline.sheets import FORMULA_STARTS
from hostile_study import CODERS, LINK

CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
ROOT = Path(__file__).resolve().parents[2]


def _text_cells(path: Path) -> Iterator[tuple[str, object]]:
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield sheet.title, cell


def _texts(path: Path, sheet: str) -> set[str]:
    return {c.value for t, c in _text_cells(path) if t == sheet and isinstance(c.value, str)}


def test_the_hostile_text_reaches_every_kind_of_cell(hostile) -> None:
    """Guards the tests below against checking nothing: the payloads are really there."""
    data = hostile.root / "data"
    queue = data / "queued" / "queue.xlsx"
    assert LINK in _texts(queue, "Queue")  # a case name
    assert "=Interviewer" in _texts(queue, "Queue")  # a speaker
    assert LINK in _texts(queue, "Codebook")  # a code label
    audit = data / "hostile-audit" / "audit.xlsx"
    assert LINK in _texts(audit, "Batches")  # a code label as a header (the reported live formula)
    disagreements = _texts(data / "hostile-audit" / "disagreements.xlsx", "Disagreements")
    assert f"{CODERS[0]}: memo" in disagreements and "=1+1" in disagreements  # coder name header, memo
    summary = load_workbook(data / "hostile-summary" / "summary.xlsx")
    assert "By =region" in summary.sheetnames  # an attribute name in a sheet name
    assert LINK in _texts(data / "hostile-summary" / "summary.xlsx", "Cases")


def test_no_cell_of_any_workbook_is_a_formula(hostile) -> None:
    books = hostile.workbooks()
    assert len(books) == 5, books  # two queues, summary, audit report, disagreements
    for book in books:
        formulas = [f"{sheet}!{cell.coordinate}" for sheet, cell in _text_cells(book) if cell.data_type == "f"]
        assert not formulas, f"{book.name}: formulas in {formulas[:5]}"
        with zipfile.ZipFile(book) as archive:  # the file itself, not openpyxl's reading of it
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    assert not re.search(rb"<(\w+:)?f[ >]", archive.read(name)), f"{book.name}!{name} holds a formula"


def test_text_starting_like_a_formula_keeps_the_quote_prefix(hostile) -> None:
    starting = 0
    for book in hostile.workbooks():
        for sheet, cell in _text_cells(book):
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                starting += 1
                assert cell.data_type == "s" and cell.quotePrefix, f"{book.name} {sheet}!{cell.coordinate}"
    assert starting > 100


def test_characters_xml_cannot_hold_are_dropped_not_fatal(hostile) -> None:
    """A vertical tab in a document crashed the summary before; the store keeps it, the cells drop it."""
    shown = "A verticaltab inside a sentence about the team culture."
    assert shown in _texts(hostile.root / "data" / "queued" / "queue.xlsx", "Queue")
    assert shown in _texts(hostile.root / "data" / "hostile-summary" / "summary.xlsx", "Evidence")
    assert shown in _texts(hostile.root / "data" / "hostile-audit" / "disagreements.xlsx", "Disagreements")
    for book in hostile.workbooks():
        for sheet, cell in _text_cells(book):
            assert not (isinstance(cell.value, str) and re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", cell.value)), \
                f"{book.name} {sheet}!{cell.coordinate}"


def test_sheet_names_from_outside_are_legal(hostile) -> None:
    for book in hostile.workbooks():
        names = load_workbook(book).sheetnames
        assert len({n.lower() for n in names}) == len(names)
        for name in names:
            assert 0 < len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name), (book.name, name)


# --- a real spreadsheet program ----------------------------------------------------------


def _libreoffice_sheets(soffice, book: Path, out: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``book`` as LibreOffice computes it: sheet name -> rows of cell text."""
    out.mkdir(parents=True)
    done = soffice(["--convert-to", CSV_ALL_SHEETS, "--outdir", str(out), str(book)], cwd=out)
    assert done.returncode == 0, done.stderr
    sheets = {}
    for path in out.glob(f"{book.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem[len(book.stem) + 1:]] = list(csv.reader(handle))
    return sheets


@pytest.mark.integration
def test_libreoffice_shows_the_text_and_evaluates_nothing(hostile, soffice, tmp_path: Path) -> None:
    checked = 0
    for i, book in enumerate(hostile.workbooks()):
        computed = _libreoffice_sheets(soffice, book, tmp_path / str(i))
        for sheet, cell in _text_cells(book):
            if not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)):
                continue
            rows = computed[sheet]
            shown = rows[cell.row - 1][cell.column - 1]
            # LibreOffice writes line ends as LF; a formula would show its result ("x", 2, Err:509)
            expected = cell.value.replace("\r\n", "\n").replace("\r", "\n")
            assert shown == expected, f"{book.name} {sheet}!{cell.coordinate}"
            checked += 1
    assert checked > 100


@pytest.mark.integration
def test_the_demo_writes_no_formula(tmp_path: Path) -> None:
    """The demo (fake model) runs the whole loop; none of its workbooks holds a formula."""
    target = tmp_path / "demo"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "cli", "demo", str(target), "--model", "fake"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    books = sorted(target.rglob("*.xlsx"))
    assert any("summary" in b.name for b in books) and any("queue" in b.name for b in books), books
    for book in books:
        formulas = [f"{sheet}!{cell.coordinate}" for sheet, cell in _text_cells(book) if cell.data_type == "f"]
        assert not formulas, f"{book.name}: {formulas[:5]}"
