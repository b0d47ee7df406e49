"""A real client: LibreOffice opens, converts and re-saves the review workbooks."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.review import QueueOptions, confirm, queue
from pipeline.study import Study
from review_helpers import current, edit, headers, segment_rows

pytestmark = pytest.mark.integration

CSV_UTF8_QUEUE_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2"
FORMULA_TEXT = "=HYPERLINK(\"http://x\",\"click\") said the nurse · ›"


@pytest.fixture
def workbooks(review_study: Path, tmp_path: Path) -> list[Path]:
    """Three generated workbooks: a full queue and an overlapping pair for two other coders."""
    with Study(review_study) as study:
        first = study.segments()["segment_id"][0]
        study.store.conn.execute("UPDATE segments SET text = ? WHERE id = ?", (FORMULA_TEXT, first))
        books = queue(study, QueueOptions(coder="ana", include_uncoded=True), tmp_path / "in" / "ana.xlsx")
        books += queue(study, QueueOptions(coder="ben", overlap=0.3, with_coder="cy"), tmp_path / "in" / "ben.xlsx")
    return [b.path for b in books]


def _convert(soffice, paths: list[Path], target: str, outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    result = soffice(["--convert-to", target, "--outdir", str(outdir), *map(str, paths)], cwd=outdir)
    assert result.returncode == 0, result.stderr


def _values(path: Path, sheet: str) -> list[list]:
    ws = load_workbook(path)[sheet]
    return [[c.value for c in row] for row in ws.iter_rows()]


def _validations(path: Path) -> dict[str, set[str]]:
    """Dropdown list -> every cell it covers."""
    ws = load_workbook(path)["Queue"]
    out: dict[str, set[str]] = {}
    for dv in ws.data_validations.dataValidation:
        cells = out.setdefault(dv.formula1, set())
        for rng in dv.sqref.ranges:
            cells |= {c.coordinate for row in ws.iter_rows(min_row=rng.min_row, max_row=rng.max_row,
                                                           min_col=rng.min_col, max_col=rng.max_col) for c in row}
    return out


def test_libreoffice_round_trip_keeps_values_dropdowns_and_protection(soffice, workbooks: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "lo"
    _convert(soffice, workbooks, "xlsx", out)
    for original in workbooks:
        resaved = out / original.name
        assert resaved.exists(), f"LibreOffice did not convert {original.name}"
        for sheet in ("Instructions", "Queue", "Codebook"):
            assert _values(resaved, sheet) == _values(original, sheet), f"{original.name}: {sheet} changed"
        assert _validations(resaved) == _validations(original)
        book = load_workbook(resaved)
        assert book.defined_names["CodeChoices"].attr_text.replace("'", "") == "Codebook!$A$2:$A$5"
        ws = book["Queue"]
        cols = headers(ws)
        hidden = {c for dim in ws.column_dimensions.values() if dim.hidden for c in range(dim.min, dim.max + 1)}
        assert {cols[k] for k in ("workbook_id", "segment_id", "suggestion_ids", "text_hash")} <= hidden
        assert ws.protection.sheet and ws.cell(2, cols["segment_id"]).protection.locked
        assert not ws.cell(2, cols["Decision 1"]).protection.locked
    first = load_workbook(out / workbooks[0].name)["Queue"]
    cell = first.cell(2, headers(first)["Segment"])
    assert cell.value == FORMULA_TEXT and cell.data_type == "s"


def test_csv_export_of_queue_sheet_is_utf8_and_complete(soffice, workbooks: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "csv"
    _convert(soffice, workbooks[:1], CSV_UTF8_QUEUE_SHEET, out)
    [written] = list(out.glob("*.csv"))
    with written.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    expected = _values(workbooks[0], "Queue")
    assert rows[0] == expected[0]
    assert len(rows) == len(expected)
    segment = expected[0].index("Segment")
    assert [r[segment] for r in rows[1:]] == [r[segment] for r in expected[1:]]
    assert rows[1][segment] == FORMULA_TEXT  # text, not a formula result


def test_coder_edited_sorted_and_resaved_by_libreoffice_imports(soffice, review_study: Path, workbooks: list[Path],
                                                                 tmp_path: Path) -> None:
    ana = workbooks[0]
    order = [seg for seg, _ in sorted(segment_rows(ana).items(), key=lambda kv: kv[1])]
    with Study(review_study) as study:
        codes = {r["segment_id"]: r["code_id"] for r in study.store.query(
            "SELECT segment_id, code_id FROM suggestions WHERE rank = 1 AND suggested = 1")}
    edited = tmp_path / "edited" / "ana-done.xlsx"
    edited.parent.mkdir()
    shutil.copy(ana, edited)
    edit(edited, fill={
        order[0]: {"Decision 1": "accept", "Memo": "+ looks right"},
        order[1]: {"Decision 1": "reject", "Add code 1": "Culture [culture]"},
        order[4]: {"Nothing applies": "yes"},
    }, sort_by=lambda row: str(row[6]), delete=(order[6],))
    out = tmp_path / "resaved"
    _convert(soffice, [edited], "xlsx", out)
    with Study(review_study) as study:
        report = confirm(study, out / edited.name)
    assert report.counts == {"accepted": 1, "rejected": 1, "added": 1, "none": 1}
    assert report.warnings and "1 row(s) were deleted" in report.warnings[0]
    now = current(review_study, "ana")
    assert now[(order[0], codes[order[0]])] == "accepted"
    assert now[(order[1], codes[order[1]])] == "rejected" and now[(order[1], "culture")] == "added"
    assert now[(order[4], None)] == "none"
    with Study(review_study) as study:
        memo = study.store.query("SELECT memo FROM decisions WHERE segment_id = ?", (order[0],))[0]["memo"]
    assert memo == "+ looks right"
