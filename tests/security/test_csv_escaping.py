"""CSV exports are neutralised for spreadsheets by default, raw on request (issue 16, point 2)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from hostile_study import run
from pipeline.untrusted import FORMULA_STARTS

EXPORTS = [("decisions", ("--history",)), ("suggestions", ("--all",))]
CSV_IMPORT = "Text - txt - csv (StarCalc):44,34,76,1"  # comma, double quote, UTF-8, from row 1


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _risky(cell: str) -> bool:
    """Text a spreadsheet would read as a formula (a negative score is a number, not text)."""
    return cell.startswith(FORMULA_STARTS) and not _is_number(cell)


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


@pytest.mark.parametrize("command, extra", EXPORTS)
def test_export_neutralises_every_cell_that_starts_like_a_formula(hostile, tmp_path: Path, command: str,
                                                                  extra: tuple[str, ...]) -> None:
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    run(command, hostile.root, "--out", safe, *extra)
    run(command, hostile.root, "--out", raw, "--raw", *extra)
    safe_cells, raw_cells = _cells(safe), _cells(raw)
    assert len([c for c in raw_cells if _risky(c)]) >= 10  # the hostile texts, names and memos are there
    assert not [c for c in safe_cells if _risky(c)]
    assert len(safe_cells) == len(raw_cells)
    for s, r in zip(safe_cells, raw_cells):
        assert s == ("'" + r if _risky(r) else r)  # nothing else changes


def _formulas_after_libreoffice_import(soffice, path: Path, out: Path) -> int:
    out.mkdir()
    done = soffice(["--infilter=" + CSV_IMPORT, "--convert-to", "xlsx", "--outdir", str(out), str(path)], cwd=out)
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(out / (path.stem + ".xlsx")).active
    return sum(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.integration
@pytest.mark.parametrize("command, extra", EXPORTS)
def test_libreoffice_imports_the_export_without_formulas(hostile, soffice, tmp_path: Path, command: str,
                                                         extra: tuple[str, ...]) -> None:
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    run(command, hostile.root, "--out", safe, *extra)
    run(command, hostile.root, "--out", raw, "--raw", *extra)
    assert _formulas_after_libreoffice_import(soffice, raw, tmp_path / "raw") > 0  # the danger is real
    assert _formulas_after_libreoffice_import(soffice, safe, tmp_path / "safe") == 0
