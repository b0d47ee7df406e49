"""Decisions as tables: export the log, import coding done elsewhere."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.errors import ConfigError, WorkbookError
from pipeline.review import ImportOptions, QueueOptions, confirm, decision_table, import_decisions, queue
from pipeline.study import Study
from review_helpers import current, edit, segment_rows, store_snapshot


@pytest.fixture
def tabular_study(study_dir: Path, tmp_path: Path) -> Path:
    """Pre-segmented rows with external ids, as from a survey export."""
    table = tmp_path / "answers.csv"
    table.write_text("resp,q,answer\nr1,1,We always help each other out here.\nr1,2,The board agreed to buy it.\n"
                     "r2,1,Our policy needs two signatures.\nr2,2,Nothing much to say.\n", encoding="utf-8")
    from pipeline.ingest.read import ReadOptions

    with Study(study_dir) as study:
        study.settings = study.settings.override("segment", unit="row")
        study.ingest([table], case="survey", read=ReadOptions(text_column="answer", id_columns=("resp", "q")))
    return study_dir


def _import(study_dir: Path, path: Path, **options):
    with Study(study_dir) as study:
        return import_decisions(study, path, ImportOptions(**options))


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gold.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _segment(study_dir: Path, external_id: str) -> str:
    with Study(study_dir) as study:
        return study.store.query("SELECT id FROM current_segments WHERE external_id = ?", (external_id,))[0]["id"]


def test_import_with_one_coder(tabular_study: Path, tmp_path: Path) -> None:
    path = _csv(tmp_path, "resp,q,label\nr1,1,culture\nr1,2,Adoption\nr2,1,policy; Culture [culture]\nr2,2,\n")
    report = _import(tabular_study, path, code_column="label", id_columns=("resp", "q"), coder="gold")
    assert report.status == "imported" and report.counts == {"added": 4} and report.skipped_blank == 1
    now = current(tabular_study, "gold")
    assert now[(_segment(tabular_study, "r2:1"), "policy")] == "added"
    assert now[(_segment(tabular_study, "r1:2"), "adoption")] == "added"
    again = _import(tabular_study, path, code_column="label", id_columns=("resp", "q"), coder="gold")
    assert again.status == "already imported"


def test_import_with_coder_verdict_memo_and_none_columns(tabular_study: Path, tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,who,code,verdict,note\nr1:1,ann,culture,rejected,too vague\nr1:1,bob,culture,,\n"
                          "r2:2,ann,-,,\n")
    report = _import(tabular_study, path, code_column="code", id_columns=("id",), coder_column="who",
                     verdict_column="verdict", memo_column="note", none_value="-")
    assert report.coders == ("ann", "bob") and report.counts == {"rejected": 1, "added": 1, "none": 1}
    assert current(tabular_study, "ann")[(_segment(tabular_study, "r2:2"), None)] == "none"
    table = decision_table(Study(tabular_study), coder="ann")
    assert set(table["memo"]) == {"too vague", ""}


@pytest.mark.parametrize("text, message", [
    # why: the same validation as a workbook, each naming the row and column
    ("id,code\nr1:1,leadership\n", "row 2, column 'code': 'leadership' is not a code"),
    ("id,code\nr1:1,phase\n", "group heading"),
    ("id,code\nr9:9,culture\n", "row 2, column 'id': id 'r9:9' matches no current segment"),
    ("id,code\nr1:1,culture\nr1:1,culture\nr2:1,policy\n", None),  # repeats are fine
    ("id,code,v\nr1:1,culture,accepted\nr1:1,culture,rejected\n", "both accepted and rejected"),
    ("id,code,v\nr1:1,culture,maybe\n", "'maybe' is not a verdict"),
])
def test_import_validation(tabular_study: Path, tmp_path: Path, text: str, message: str | None) -> None:
    path = _csv(tmp_path, text)
    options = dict(code_column="code", id_columns=("id",), coder="gold", verdict_column="v" if ",v\n" in text else None)
    before = store_snapshot(tabular_study)
    if message is None:
        assert _import(tabular_study, path, **options).counts == {"added": 2}
        return
    with pytest.raises(WorkbookError, match=message):
        _import(tabular_study, path, **options)
    assert store_snapshot(tabular_study) == before


@pytest.mark.parametrize("options, error, message", [
    ({"coder": "a", "coder_column": "who"}, ConfigError, "exactly one"),
    ({}, ConfigError, "exactly one"),
    ({"coder": "a", "memo_column": "nope"}, WorkbookError, "no column 'nope'"),
])
def test_import_option_errors(tabular_study: Path, tmp_path: Path, options: dict, error: type, message: str) -> None:
    path = _csv(tmp_path, "id,code\nr1:1,culture\n")
    with pytest.raises(error, match=message):
        _import(tabular_study, path, code_column="code", id_columns=("id",), **options)


def test_export_current_and_history(review_study: Path, tmp_path: Path) -> None:
    with Study(review_study) as study:
        [book] = queue(study, QueueOptions(coder="ana"))
    first = min(segment_rows(book.path).items(), key=lambda kv: kv[1])[0]
    edit(book.path, fill={first: {"Decision 1": "accept", "Memo": "=not a formula"}})
    with Study(review_study) as study:
        confirm(study, book.path)
    edit(book.path, fill={first: {"Decision 1": "reject"}})
    with Study(review_study) as study:
        confirm(study, book.path)
        now, log = decision_table(study), decision_table(study, history=True)
    assert list(now["verdict"]) == ["rejected"] and list(log["verdict"]) == ["accepted", "rejected"]
    assert now.iloc[0]["code_label"] == "Culture" and now.iloc[0]["score"] == pytest.approx(0.82)
    out = tmp_path / "decisions.csv"
    result = CliRunner().invoke(cli, ["decisions", str(review_study), "--out", str(out), "--history", "--coder", "ana"])
    assert result.exit_code == 0 and "2 logged decisions" in result.output
    exported = pd.read_csv(out, keep_default_na=False)
    assert list(exported["memo"]) == ["'=not a formula", "'=not a formula"]  # neutralised for spreadsheets
    result = CliRunner().invoke(cli, ["decisions", str(review_study), "--out", str(out), "--history", "--raw"])
    assert result.exit_code == 0
    assert list(pd.read_csv(out, keep_default_na=False)["memo"]) == ["=not a formula", "=not a formula"]


def test_exported_decisions_import_back_for_another_coder(review_study: Path, tmp_path: Path) -> None:
    with Study(review_study) as study:
        [book] = queue(study, QueueOptions(coder="ana", limit=3))
    rows = segment_rows(book.path)
    edit(book.path, fill={seg: {"Decision 1": "accept"} for seg in rows})
    out = tmp_path / "ana.csv"
    with Study(review_study) as study:
        confirm(study, book.path)
        decision_table(study).to_csv(out, index=False)
    result = CliRunner().invoke(cli, ["import-decisions", str(review_study), str(out), "--coder", "copy",
                                      "--code-column", "code_id", "--id-column", "segment_id",
                                      "--verdict-column", "verdict"])
    assert result.exit_code == 0, result.output
    assert set(current(review_study, "copy").items()) == set(current(review_study, "ana").items())
