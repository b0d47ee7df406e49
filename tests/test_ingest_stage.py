"""The ingest stage on a study: cases, versions, batches with bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.errors import InputError
from pipeline.study import Study


def run(*args: str) -> "CliRunner.invoke":
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_folder_ingest_assigns_cases_and_segments(study_dir: Path, corpus: Path) -> None:
    with Study(study_dir) as study:
        report = study.ingest([corpus])
        assert report.ok and {o.status for o in report.outcomes} == {"new"}
        cases = study.cases().set_index("case")
        assert cases.loc["beta", "country"] == "Norway"
        docs = study.documents()
        assert sorted(docs["source_key"]) == ["alpha/interview_P3.txt", "alpha/notes.md", "beta/interview_P3.txt", "beta/notes.md"]
        segments = study.segments()
        texts = {r["id"]: r["text"] for r in study.store.query("SELECT id, text FROM documents")}
        for row in segments.itertuples():
            assert texts[row.document_id][row.start:row.end] == row.text
        turns = segments[segments.source_key == "alpha/interview_P3.txt"]
        assert set(turns.speaker.dropna()) == {"I", "P3a"}
        # the clock time in "We meet at 10:30" did not become a speaker
        assert not any(s and s.startswith("10") for s in turns.speaker.dropna())


def test_reingest_is_a_no_op_and_a_change_makes_a_new_version(study_dir: Path, corpus: Path) -> None:
    with Study(study_dir) as study:
        study.ingest([corpus])
        before = study.store.query("SELECT COUNT(*) FROM segments")[0][0]
        again = study.ingest([corpus])
        assert {o.status for o in again.outcomes} == {"unchanged"}
        assert study.store.query("SELECT COUNT(*) FROM segments")[0][0] == before
        notes = corpus / "alpha" / "notes.md"
        notes.write_text(notes.read_text() + "\nA new paragraph about money and the budget.\n")
        changed = study.ingest([corpus])
        assert [o.status for o in changed.outcomes if o.status != "unchanged"] == ["new version"]
        versions = study.documents(all_versions=True)
        assert versions[versions.source_key == "alpha/notes.md"]["version"].tolist() == [1, 2]
        assert len(study.documents()) == 4  # only the current versions
        assert study.status()["older_versions"] == 1


def test_unknown_case_is_an_error_once_cases_are_declared(study_dir: Path, corpus: Path) -> None:
    (corpus / "gamma").mkdir()
    (corpus / "gamma" / "x.txt").write_text("Some text about gamma that is long enough.")
    with Study(study_dir) as study:
        report = study.ingest([corpus])
        assert [o.path for o in report.failed] == [str(corpus / "gamma" / "x.txt")]
        assert "case 'gamma' is not in the cases file" in report.failed[0].reason
        assert len(study.documents()) == 4  # the good files are in


def test_duplicate_case_names_are_rejected_before_anything_is_stored(study_dir: Path, corpus: Path) -> None:
    (corpus / "cases.csv").write_text("case,country\nalpha,UK\nalpha,Norway\n")
    with Study(study_dir) as study:
        with pytest.raises(InputError, match="row 3: duplicate case name 'alpha'"):
            study.ingest([corpus])
        assert study.cases().empty and study.documents().empty


def test_batch_with_bad_files_cli(study_dir: Path, corpus: Path) -> None:
    (corpus / "alpha" / "empty.txt").write_text("")
    (corpus / "alpha" / "junk.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "alpha" / "slides.pptx").write_bytes(b"PK\x03\x04")
    result = run("ingest", study_dir, corpus)
    assert result.exit_code == 1
    assert "3 file(s) could not be ingested" in result.output
    for name, reason in [("empty.txt", "empty"), ("junk.txt", "not look like text"), ("slides.pptx", "unsupported file type")]:
        assert any(name in line and reason in line for line in result.output.splitlines()), name
    status = json.loads(run("status", study_dir, "--json").output)
    assert status["documents"] == 4 and status["cases"] == 2


def test_unit_flag_resegments_without_a_new_version(study_dir: Path, corpus: Path) -> None:
    assert run("ingest", study_dir, corpus).exit_code == 0
    result = run("ingest", study_dir, corpus, "--unit", "turn")
    assert "4 resegmented" in result.output
    status = json.loads(run("status", study_dir, "--json").output)
    assert set(status["by_case"]["alpha"]["segments"]) == {"turn"}
    assert status["older_versions"] == 0


def test_cli_errors_are_one_line_with_exit_code_1(tmp_path: Path) -> None:
    result = run("status", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.output.strip().startswith("error:") and "deductive init" in result.output
    assert "Traceback" not in result.output


def test_init_refuses_an_existing_study(study_dir: Path) -> None:
    result = run("init", study_dir)
    assert result.exit_code == 1 and "already a study" in result.output


def test_tabular_ingest_with_case_column(study_dir: Path, tmp_path: Path) -> None:
    table = tmp_path / "answers.csv"
    table.write_text("rid,site,who,answer,region\n1,s1,nurse,We had no time for training.,north\n"
                     "2,s1,manager,The budget was cut.,north\n3,s2,nurse,Great support from IT.,south\n")
    result = run("ingest", study_dir, table, "--text-column", "answer", "--id-column", "rid",
                 "--case-column", "site", "--speaker-column", "who", "--unit", "row")
    assert result.exit_code == 0, result.output
    with Study(study_dir) as study:
        segments = study.segments()
        assert segments["external_id"].tolist() == ["1", "2", "3"]
        assert segments["speaker"].tolist() == ["nurse", "manager", "nurse"]
        cases = study.cases().set_index("case")
        assert cases.loc["s1", "region"] == "north"  # constant within the case: a case attribute


def test_segment_command_resegments_only_stale_documents(study_dir: Path, corpus: Path) -> None:
    assert run("ingest", study_dir, corpus).exit_code == 0
    first = run("segment", study_dir, "--unit", "paragraph")
    assert "re-segmented 4 document(s)" in first.output
    again = run("segment", study_dir, "--unit", "paragraph")
    assert "re-segmented 0 document(s)" in again.output
    with Study(study_dir) as study:
        assert set(study.segments()["unit"]) == {"paragraph"}
        assert study.stale_documents() != []  # the study's own setting is still "sentence"


def test_one_case_folder_takes_its_case_from_the_cases_file(study_dir: Path, corpus: Path) -> None:
    # A researcher ingesting one case folder at a time: its files sit directly in it.
    result = CliRunner().invoke(cli, ["ingest", str(study_dir), str(corpus / "alpha"), "--cases", str(corpus / "cases.csv")])
    assert result.exit_code == 0, result.output
    with Study(study_dir) as study:
        assert set(study.documents()["case"]) == {"alpha"}


def test_a_folder_that_is_no_case_says_so_and_that_nothing_was_ingested(study_dir: Path, corpus: Path) -> None:
    result = CliRunner().invoke(cli, ["ingest", str(study_dir), str(corpus / "alpha")])
    assert result.exit_code == 1
    assert "sits directly in 'alpha', which is not a case of the study" in result.output
    assert "no file was ingested" in result.output and "the others were" not in result.output
