"""Emergent codes: typed under Add code, proposed at confirm, accepted into a new codebook version (issue 15, point 5)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import cli
from pipeline.codebook import load_codebook
from pipeline.review import QueueOptions, confirm, queue
from pipeline.review.emergent import pending
from pipeline.summarize.source import SourceOptions, load_summary_coding as load_coding
from pipeline.study import Study
from review_helpers import edit, segment_rows


def _queued(study_dir: Path) -> tuple[Path, list[str]]:
    with Study(study_dir) as study:
        [book] = queue(study, QueueOptions(coder="ana"))
    order = [s for s, _ in sorted(segment_rows(book.path).items(), key=lambda kv: kv[1])]
    return book.path, order


def test_a_typed_code_is_proposed_not_rejected_and_accepted_into_a_new_version(review_study: Path) -> None:
    path, s = _queued(review_study)
    edit(path, fill={s[0]: {"Decision 1": "accept", "Add code 3": "Staff turnover", "Memo": "nurses leave"},
                     s[1]: {"Add code 1": "staff turnover"},  # the same theme, another case
                     s[2]: {"Add code 4": "Leadership buy-in"}})  # a row with only a proposal
    with Study(review_study) as study:
        report = confirm(study, path)  # before issue 15: the whole workbook was rejected
        assert report.status == "imported" and report.counts == {"accepted": 1}
        assert [(p.label, p.segment_id) for p in report.proposed] == [
            ("Staff turnover", s[0]), ("staff turnover", s[1]), ("Leadership buy-in", s[2])]
        stored = study.store.query("SELECT label, coder, segment_id, text, memo FROM proposed_codes ORDER BY id")
        texts = dict(zip(study.segments()["segment_id"], study.segments()["text"]))
        assert [(r["coder"], r["text"]) for r in stored] == [("ana", texts[s[0]]), ("ana", texts[s[1]]), ("ana", texts[s[2]])]
        assert stored[0]["memo"] == "nurses leave"
        assert [p.label for p in pending(study)] == ["Staff turnover", "Leadership buy-in"]
        old_version = study.codebook().version

    dry = CliRunner().invoke(cli, ["codebook", "accept-emergent", str(review_study), "--dry-run"])
    assert dry.exit_code == 0 and "dry run: nothing changed" in dry.output
    with Study(review_study) as study:
        assert study.codebook().version == old_version

    result = CliRunner().invoke(cli, ["codebook", "accept-emergent", str(review_study), "--code", "Staff turnover"])
    assert result.exit_code == 0, result.output
    assert "emergent.staff_turnover" in result.output and "2 segment(s)" in result.output
    with Study(review_study) as study:
        book = study.codebook()
        assert book.version != old_version
        code = book.get("emergent.staff_turnover")
        assert code.parent == "emergent" and code.codable and not book.get("emergent").codable
        assert [p.label for p in pending(study)] == ["Leadership buy-in"]
        coding = load_coding(study, SourceOptions(coder="ana"))
        applied = set(zip(coding.applied["segment_id"], coding.applied["code_id"]))
        assert {(s[0], "emergent.staff_turnover"), (s[1], "emergent.staff_turnover")} <= applied
    # The YAML copy in the study's codebook folder is a valid codebook of the same version.
    [copy] = (review_study / "codebook").glob("*-emergent-*.yaml")
    assert load_codebook(copy).version == book.version


def test_queue_offers_more_add_slots_and_a_hierarchical_dropdown(review_study: Path) -> None:
    path, _ = _queued(review_study)
    workbook = load_workbook(path)
    header = [c.value for c in workbook["Queue"][1]]
    assert [h for h in header if str(h).startswith("Add code")] == [f"Add code {i}" for i in range(1, 5)]
    picks = [workbook["Codebook"].cell(r, 1).value for r in range(2, workbook["Codebook"].max_row + 1)]
    assert "Setting > Culture [culture]" in picks and "Phase > Adoption [adoption]" in picks
    add = next(dv for dv in workbook["Queue"].data_validations.dataValidation if dv.formula1 == "CodeChoices")
    assert add.errorStyle == "warning"  # typing a new theme is allowed, with a warning


def test_a_group_heading_under_add_code_is_still_a_problem(review_study: Path) -> None:
    path, s = _queued(review_study)
    edit(path, fill={s[0]: {"Add code 1": "Phase [phase]"}})
    with Study(review_study) as study:
        try:
            confirm(study, path)
        except Exception as exc:  # noqa: BLE001 - the message is what matters
            assert "group heading" in str(exc)
        else:
            raise AssertionError("a group heading was accepted as a code")
        assert not study.store.query("SELECT 1 FROM proposed_codes")
