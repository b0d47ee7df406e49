"""`confirm`: returned workbooks become decisions, whatever the coder did to the sheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.errors import WorkbookError
from pipeline.review import QueueOptions, confirm, queue
from pipeline.review import log as decision_log
from pipeline.study import Study
from review_helpers import current, decisions, edit, segment_rows, store_snapshot


@pytest.fixture
def queued(review_study: Path) -> tuple[Path, Path, list[str]]:
    """(study, workbook, segment ids in queue order) with one workbook for 'ana'."""
    with Study(review_study) as study:
        [book] = queue(study, QueueOptions(coder="ana", include_uncoded=True))
    order = sorted(segment_rows(book.path).items(), key=lambda kv: kv[1])
    return review_study, book.path, [segment for segment, _ in order]


def _confirm(study_dir: Path, path: Path):
    with Study(study_dir) as study:
        return confirm(study, path)


def _code(study_dir: Path, segment: str, rank: int) -> str | None:
    with Study(study_dir) as study:
        return study.store.query("SELECT code_id FROM suggestions WHERE segment_id = ? AND rank = ? AND suggested = 1",
                                 (segment, rank))[0]["code_id"]


# Queue order follows the fixture pattern: s[0] culture+adoption, s[1] policy,
# s[2] "no code", s[3] implementation+culture+policy, then again.

def test_round_trip_records_every_kind_of_verdict(queued) -> None:
    study, path, s = queued
    edit(path, fill={
        s[0]: {"Decision 1": "accept", "Decision 2": "reject", "Memo": "clear case"},
        s[1]: {"Decision 1": "reject", "Add code 1": "Implementation [implementation]"},
        s[2]: {"Decision 1": "accept"},  # accepting "no code fits"
        s[3]: {"Decision 1": "reject", "Decision 2": "reject", "Decision 3": "reject"},
        s[4]: {"Nothing applies": "yes"},
    })
    report = _confirm(study, path)
    assert report.status == "imported" and report.coder == "ana"
    assert report.counts == {"accepted": 1, "rejected": 5, "added": 1, "none": 2}
    assert report.decided_rows == 5 and report.blank_rows == len(s) - 5
    now = current(study, "ana")
    assert now[(s[0], "culture")] == "accepted" and now[(s[0], "adoption")] == "rejected"
    assert now[(s[1], "policy")] == "rejected" and now[(s[1], "implementation")] == "added"
    assert now[(s[2], None)] == "none" and now[(s[4], None)] == "none"
    memo = [d for d in decisions(study) if d["segment_id"] == s[0]]
    assert {d["memo"] for d in memo} == {"clear case"} and all(d["suggestion_id"] for d in memo)
    assert all(d["workbook_id"] == report.workbook_id for d in decisions(study))


def test_blank_rows_stay_queued(queued) -> None:
    study, path, s = queued
    edit(path, fill={s[0]: {"Decision 1": "accept"}})
    _confirm(study, path)
    with Study(study) as st:
        [again] = queue(st, QueueOptions(coder="ana", include_uncoded=True, requeue=True))
    assert again.segments == len(s) - 1 and s[0] not in segment_rows(again.path)


def test_sorted_hidden_renamed_and_deleted_rows(queued, tmp_path: Path) -> None:
    study, path, s = queued
    renamed = tmp_path / "my review (final).xlsx"
    edit(path, renamed, fill={s[0]: {"Decision 1": "accept"}, s[5]: {"Decision 1": "reject"}},
         sort_by=lambda row: str(row[6]), delete=(s[7], s[9]), hide=("Before", "After", "segment_id"))
    report = _confirm(study, renamed)
    assert current(study, "ana") == {(s[0], "culture"): "accepted", (s[5], _code(study, s[5], 1)): "rejected"}
    assert len(report.warnings) == 1 and "2 row(s) were deleted" in report.warnings[0]


def test_partly_finished_workbook_then_finished(queued) -> None:
    study, path, s = queued
    edit(path, fill={s[0]: {"Decision 1": "accept"}})
    first = _confirm(study, path)
    edit(path, fill={s[1]: {"Decision 1": "accept"}})
    second = _confirm(study, path)
    assert first.counts == {"accepted": 1} and second.counts == {"accepted": 1} and second.unchanged == 1
    assert len(decisions(study)) == 2


def test_same_file_twice_changes_nothing(queued) -> None:
    study, path, s = queued
    edit(path, fill={s[0]: {"Decision 1": "accept"}})
    _confirm(study, path)
    before = store_snapshot(study)
    copy = path.with_name("copy.xlsx")
    shutil.copy(path, copy)
    report = _confirm(study, copy)
    assert report.status == "already imported" and store_snapshot(study) == before


def test_later_workbook_supersedes_and_keeps_history(queued) -> None:
    study, path, s = queued
    with Study(study) as st:  # queued again before the first came back: both hold s[0]
        [later] = queue(st, QueueOptions(coder="ana", requeue=True, include_uncoded=True, limit=2))
    edit(path, fill={s[0]: {"Decision 1": "accept"}, s[1]: {"Decision 1": "accept"}})
    edit(later.path, fill={s[0]: {"Decision 1": "reject", "Nothing applies": "yes"}})
    first, second = _confirm(study, path), _confirm(study, later.path)
    now = current(study, "ana")
    assert now[(s[0], "culture")] == "rejected" and now[(s[0], None)] == "none"
    assert now[(s[1], "policy")] == "accepted"
    history = [(d["code_id"], d["verdict"], d["workbook_id"]) for d in decisions(study) if d["segment_id"] == s[0]]
    assert history[0] == ("culture", "accepted", first.workbook_id)
    assert ("culture", "rejected", second.workbook_id) in history


def test_nothing_applies_then_a_code_retires_the_nothing(queued) -> None:
    study, path, s = queued
    edit(path, fill={s[1]: {"Nothing applies": "yes"}})
    _confirm(study, path)
    edit(path, fill={s[1]: {"Nothing applies": None, "Decision 1": "accept"}})
    _confirm(study, path)
    now = current(study, "ana")
    assert now[(s[1], "policy")] == "accepted" and now[(s[1], None)] == "rejected"


def test_second_coder_decisions_are_separate(review_study: Path) -> None:
    with Study(review_study) as study:
        books = queue(study, QueueOptions(coder="ana", overlap=1.0, with_coder="ben"))
    for book, verdict in zip(books, ("accept", "reject")):
        first = min(segment_rows(book.path).items(), key=lambda kv: kv[1])[0]
        edit(book.path, fill={first: {"Decision 1": verdict}})
        _confirm(review_study, book.path)
    assert list(current(review_study, "ana").values()) == ["accepted"]
    assert list(current(review_study, "ben").values()) == ["rejected"]


@pytest.mark.parametrize("change, message", [
    # why: every way a workbook can be wrong names the row and column and rejects everything
    ({"cells": {(0, "workbook_id"): "wb-000000000000"}}, "unknown workbook id"),
    ({"cells": {(1, "segment_id"): "not-a-segment"}}, "edited key"),
    ({"cells": {(1, "text_hash"): "0000000000000000"}}, "text hash differs"),
    ({"cells": {(1, "suggestion_ids"): "x y"}}, "suggestion ids differ"),
    ({"cells": {(1, "segment_id"): None}}, "missing key"),
    ({"fill": {1: {"Add code 1": "Leadership [leadership]"}}}, "not a code of codebook mini"),
    ({"fill": {1: {"Add code 1": "Setting [setting]"}}}, "group heading"),
    ({"fill": {0: {"Decision 1": "reject", "Add code 1": "Culture [culture]"}}}, "both rejected and added"),
    ({"fill": {0: {"Decision 1": "accept", "Nothing applies": "yes"}}}, "contradicts"),
    ({"fill": {0: {"Decision 1": "maybe"}}}, "'maybe' is not a decision"),
    ({"fill": {1: {"Decision 2": "accept"}}}, "no suggestion 2"),
])
def test_invalid_workbook_is_rejected_whole(queued, change: dict, message: str) -> None:
    study, path, s = queued
    fill = {s[i]: values for i, values in change.get("fill", {}).items()}
    fill.setdefault(s[3], {"Decision 1": "accept"})  # a valid row that must not be written either
    cells = {(s[i], header): value for (i, header), value in change.get("cells", {}).items()}
    edit(path, fill=fill, cells=cells)
    before = store_snapshot(study)
    with pytest.raises(WorkbookError) as caught:
        _confirm(study, path)
    text = str(caught.value)
    assert message in text and "nothing was imported" in text
    assert "sheet 'Queue' row" in text and ("column '" in text or "keep one" in text or "clear one" in text)
    assert store_snapshot(study) == before


def test_workbook_from_elsewhere_is_unknown(queued) -> None:
    study, path, s = queued
    edit(path, cells={(seg, "workbook_id"): "wb-elsewhere" for seg in s})
    with pytest.raises(WorkbookError, match="unknown workbook id 'wb-elsewhere'.*column 'workbook_id'"):
        _confirm(study, path)


def test_conflicting_duplicate_rows_are_rejected(queued, tmp_path: Path) -> None:
    study, path, s = queued
    from openpyxl import load_workbook

    edit(path, fill={s[0]: {"Decision 1": "accept"}})
    book = load_workbook(path)
    sheet = book["Queue"]
    last = sheet.max_row + 1
    for col in range(1, sheet.max_column + 1):
        sheet.cell(last, col).value = sheet.cell(2, col).value
    sheet.cell(last, 10).value = "reject"  # Decision 1 of the copied row
    book.save(path)
    with pytest.raises(WorkbookError, match="different decisions"):
        _confirm(study, path)


def test_store_text_changed_since_queue(queued) -> None:
    study, path, s = queued
    edit(path, fill={s[0]: {"Decision 1": "accept"}})
    with Study(study) as st:
        st.store.conn.execute("UPDATE segments SET text = 'changed' WHERE id = ?", (s[0],))
    with pytest.raises(WorkbookError, match="no longer matches"):
        _confirm(study, path)


def test_crash_midway_leaves_store_unchanged_then_confirm_completes(queued, monkeypatch) -> None:
    study, path, s = queued
    edit(path, fill={seg: {"Decision 1": "accept"} for seg in s[:6]})
    before = store_snapshot(study)
    written = []
    real = decision_log.write_decision

    def crash_after_three(*args, **kwargs):
        if len(written) == 3:
            raise KeyboardInterrupt("killed")  # like Ctrl-C halfway through
        written.append(args)
        real(*args, **kwargs)

    monkeypatch.setattr(decision_log, "write_decision", crash_after_three)
    with pytest.raises(KeyboardInterrupt):
        _confirm(study, path)
    assert len(written) == 3 and store_snapshot(study) == before
    monkeypatch.setattr(decision_log, "write_decision", real)
    report = _confirm(study, path)
    assert report.status == "imported" and sum(report.counts.values()) == 6


def test_cli_confirm_reports_and_fails_cleanly(queued, tmp_path: Path) -> None:
    study, path, s = queued
    edit(path, fill={s[0]: {"Decision 1": "accept"}})
    bad = tmp_path / "bad.xlsx"
    edit(path, bad, cells={(s[1], "segment_id"): "zzz"})
    result = CliRunner().invoke(cli, ["confirm", str(study), str(path), str(bad)])
    assert result.exit_code == 1
    assert "1 accepted" in result.output and "edited key" in result.output
    result = CliRunner().invoke(cli, ["confirm", str(study), str(path)])
    assert result.exit_code == 0 and "already imported" in result.output


def test_not_a_workbook(review_study: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a zip")
    with pytest.raises(WorkbookError, match="not a readable .xlsx"):
        _confirm(review_study, junk)
