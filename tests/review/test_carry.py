"""Re-segmenting and new document versions carry coders' decisions (issue 15, points 1-2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from pipeline.interchange.qdpx import export_project
from pipeline.review import QueueOptions, confirm, queue
from pipeline.summarize.source import SourceOptions, load_summary_coding as load_coding
from pipeline.study import Study
from review_helpers import edit, segment_rows


def _coded(study_dir: Path) -> list[str]:
    """Queue everything for 'ana', code the first rows, confirm; returns the queued segment ids in order."""
    with Study(study_dir) as study:
        [book] = queue(study, QueueOptions(coder="ana", include_uncoded=True))
    order = [s for s, _ in sorted(segment_rows(book.path).items(), key=lambda kv: kv[1])]
    edit(book.path, fill={
        order[0]: {"Decision 1": "accept", "Decision 2": "reject"},
        order[1]: {"Decision 1": "accept"},
        order[3]: {"Decision 1": "accept", "Decision 2": "reject"},
        order[4]: {"Nothing applies": "yes"},
        order[5]: {"Add code 1": "Culture [culture]"},
    })
    with Study(study_dir) as study:
        confirm(study, book.path)
    return order


def _current_on_current(study_dir: Path, coder: str = "ana") -> set[tuple[str, str | None, str]]:
    """(segment text, code, verdict) of the coder's current decisions on current segments."""
    with Study(study_dir) as study:
        rows = study.store.query(
            "SELECT s.text, d.code_id, d.verdict FROM current_decisions d JOIN current_segments s ON s.id = d.segment_id"
            " WHERE d.coder = ?", (coder,))
    return {(r[0], r[1], r[2]) for r in rows}


def _applied_codes(study_dir: Path) -> set[str]:
    with Study(study_dir) as study:
        coding = load_coding(study, SourceOptions(coder="ana"))
    return set(coding.applied["code_id"])


def test_resegmenting_carries_every_decision_and_back(review_study: Path) -> None:
    order = _coded(review_study)
    before = _current_on_current(review_study)
    codes_before = _applied_codes(review_study)
    assert codes_before  # the coding the re-segmenting must not hide

    result = CliRunner().invoke(cli, ["segment", str(review_study), "--unit", "paragraph"])
    assert result.exit_code == 0, result.output
    assert "carried" in result.output and "could not carry" in result.output

    after = _current_on_current(review_study)
    assert after, "the coding vanished from the current segments"
    assert {c for _, c, v in after if v in ("accepted", "added")} == codes_before
    assert _applied_codes(review_study) == codes_before
    with Study(review_study) as study:
        # Every applied code on a sentence is now on the paragraph that contains it.
        for text, code, verdict in before:
            if verdict in ("accepted", "added"):
                assert any(text in p and c == code and v in ("accepted", "added") for p, c, v in after), (text, code)
        carried = study.store.query("SELECT COUNT(*) FROM decisions WHERE carried_from IS NOT NULL")[0][0]
        assert carried > 0
        # Export sees the coding on the new segments (before issue 15: 0 human codings).
        exported = export_project(study.store, review_study / "x.qdpx", name="s")
        assert exported.codings >= len({(t, c) for t, c, v in after if v in ("accepted", "added") and c})
        assert exported.skipped_outdated == 0  # the sentence decisions were carried, not left behind
        # Decided paragraphs are not queued again; the others are.
        queued = {r["segment_id"] for r in study.store.query(
            "SELECT d.segment_id FROM current_decisions d JOIN current_segments s ON s.id = d.segment_id")}
        [book] = queue(study, QueueOptions(coder="ana", include_uncoded=True))
        assert not set(segment_rows(book.path)) & queued

    back = CliRunner().invoke(cli, ["segment", str(review_study), "--unit", "sentence"])
    assert back.exit_code == 0, back.output
    assert _current_on_current(review_study) == before  # the original sentence coding, unchanged
    assert order


def test_conflicting_sentences_land_on_one_paragraph_with_the_applied_code(review_study: Path) -> None:
    """'no code applies' on one sentence and a code on another: the paragraph gets the code,
    and the 'none' is reported as not carried (it stays in the log)."""
    with Study(review_study) as study:
        [book] = queue(study, QueueOptions(coder="ana", include_uncoded=True))
        sentences = study.segments()
    rows = segment_rows(book.path)
    para = sentences[sentences["text"].str.startswith("The team adopted")]
    first, second = para["segment_id"].iloc[0], sentences.loc[para.index[0] + 1, "segment_id"]
    edit(book.path, fill={first: {"Add code 1": "Adoption [adoption]"}, second: {"Nothing applies": "yes"}})
    with Study(review_study) as study:
        confirm(study, book.path)
        study.settings = study.settings.override("segment", unit="paragraph")
        report = study.segment()
        assert report.carry.not_carried and "contradicts" in report.carry.not_carried[0][1]
    after = _current_on_current(review_study)
    assert any(code == "adoption" and "Funding came" in text for text, code, _ in after)
    assert not any(code is None and v == "none" and "Funding came" in text for text, code, v in after)
    assert rows


def test_new_version_carries_decisions_on_unchanged_text(review_study: Path, corpus: Path) -> None:
    _coded(review_study)
    before = _current_on_current(review_study)
    notes = corpus / "alpha" / "notes.md"
    notes.write_text(notes.read_text(encoding="utf-8") + "\nA new closing paragraph was added later.\n", encoding="utf-8")
    with Study(review_study) as study:
        report = study.ingest([corpus])
        assert any(o.status == "new version" for o in report.outcomes)
    after = _current_on_current(review_study)
    assert before == after  # the appended text changed nothing that was coded


def test_new_version_reports_decisions_on_changed_text(review_study: Path, corpus: Path) -> None:
    with Study(review_study) as study:
        [book] = queue(study, QueueOptions(coder="ana", include_uncoded=True))
        seg = study.segments()
    target = seg[seg["text"].str.startswith("Culture matters here") & (seg["case"] == "alpha")]["segment_id"].iloc[0]
    edit(book.path, fill={target: {"Add code 1": "Culture [culture]"}})
    with Study(review_study) as study:
        confirm(study, book.path)
    notes = corpus / "alpha" / "notes.md"
    notes.write_text(notes.read_text(encoding="utf-8").replace("Culture matters here", "Culture matters a lot"),
                     encoding="utf-8")
    with Study(review_study) as study:
        report = study.ingest([corpus])
    [outcome] = [o for o in report.outcomes if o.status == "new version"]
    assert outcome.not_carried and "text changed" in outcome.not_carried[0][1]
    assert not any(c == "culture" and "Culture matters" in t for t, c, _ in _current_on_current(review_study))


def test_workbook_queued_before_reingest_lands_on_current_segments(review_study: Path, corpus: Path) -> None:
    with Study(review_study) as study:
        [book] = queue(study, QueueOptions(coder="ana", include_uncoded=True))
        seg = study.segments()
    alpha = seg[seg["case"] == "alpha"]
    kept = alpha[alpha["text"].str.startswith("The team adopted")]["segment_id"].iloc[0]
    changed = alpha[alpha["text"].str.startswith("Culture matters here")]["segment_id"].iloc[0]
    notes = corpus / "alpha" / "notes.md"
    notes.write_text(notes.read_text(encoding="utf-8").replace("Culture matters here", "Culture matters a lot"),
                     encoding="utf-8")
    with Study(review_study) as study:
        study.ingest([corpus])
    edit(book.path, fill={kept: {"Add code 1": "Adoption [adoption]"}, changed: {"Add code 1": "Culture [culture]"}})
    with Study(review_study) as study:
        report = confirm(study, book.path)
        on_old = study.store.query(
            "SELECT COUNT(*) FROM decisions d WHERE d.segment_id IN (?, ?)", (kept, changed))[0][0]
    assert on_old == 0  # never stored on superseded segments
    assert any("text changed" in w and "row" in w for w in report.warnings), report.warnings
    after = _current_on_current(review_study)
    assert any(c == "adoption" and t.startswith("The team adopted") for t, c, _ in after)
    assert not any(c == "culture" for t, c, _ in after)


@pytest.mark.parametrize("unit", ["paragraph", "turn"])
def test_segment_report_counts_match_the_log(review_study: Path, unit: str) -> None:
    _coded(review_study)
    with Study(review_study) as study:
        study.settings = study.settings.override("segment", unit=unit)
        report = study.segment()
        carried = study.store.query("SELECT COUNT(DISTINCT carried_from) FROM decisions WHERE carried_from IS NOT NULL")[0][0]
        decided = study.store.query("SELECT COUNT(*) FROM current_decisions WHERE carried_from IS NULL")[0][0]
    assert len(report.carry.carried) == carried
    assert len(report.carry.carried) + len(report.carry.not_carried) == decided


def test_audit_sees_two_coders_after_resegmenting(review_study: Path) -> None:
    from pipeline.audit import AuditOptions, load_audit_sample as audit_coding
    from pipeline.review import log

    with Study(review_study) as study:
        version = study.codebook().version
        segs = list(study.segments()["segment_id"])[:6]
        with study.store.transaction() as conn:
            for coder, codes in (("ana", ["culture", "policy"]), ("ben", ["culture", "adoption"])):
                import_id = log.insert_import(conn, "csv", None, f"test-{coder}", "test")
                for i, seg in enumerate(segs):
                    log.write_decision(conn, import_id, coder, None, version,
                                       log.Decision(seg, codes[i % 2], "added"))
        before = audit_coding(study, AuditOptions(coders=("ana", "ben"), bootstrap=0)).sample
        study.settings = study.settings.override("segment", unit="paragraph")
        study.segment()
        after = audit_coding(study, AuditOptions(coders=("ana", "ben"), bootstrap=0))
        current = set(study.segments()["segment_id"])
    assert before and after.sample  # the audit still has a shared sample on the new segments
    assert set(after.sample) <= current
