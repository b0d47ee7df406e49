"""The Methods paragraph: every fact in it comes from the study, and the agreement figure
is the audit's own."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.main import cli
from pipeline.audit import AuditOptions, audit
from pipeline.methods import methods_facts, methods_paragraph
from pipeline.study import Study

from audit_helpers import add_decisions


def _coded(root: Path, corpus: Path) -> list[str]:
    with Study(root) as study:
        study.ingest([corpus], cases=corpus / "cases.csv")
        segs = list(study.segments()["segment_id"])
        add_decisions(study, "ana", {s: (["culture"] if i % 3 == 0 else ["policy"] if i % 3 == 1 else []) for i, s in enumerate(segs[:12])})
        add_decisions(study, "ben", {s: (["culture"] if i % 4 == 0 else ["policy"] if i % 3 == 1 else []) for i, s in enumerate(segs[:12])})
    return segs


def test_facts_come_from_the_study(study_dir: Path, corpus: Path) -> None:
    segs = _coded(study_dir, corpus)
    with Study(study_dir) as study:
        facts = methods_facts(study, bootstrap=50)
        expected = audit(study, AuditOptions(coders=("ana", "ben"), bootstrap=50)).agreement
        book = study.codebook()
    assert facts.segments == len(segs) and facts.documents > 0 and facts.cases == 2
    assert facts.codebook_version == book.version and facts.codable_codes == len(book.codable)
    assert facts.decisions_by_coder == {"ana": 12, "ben": 12}
    assert facts.model is None  # no suggestion run yet, and the text says so rather than inventing one
    assert facts.agreement["masi_alpha"] == expected.overall.masi_alpha
    assert (facts.agreement["low"], facts.agreement["high"]) == (expected.masi_low, expected.masi_high)
    text = methods_paragraph(facts)
    assert f"{expected.overall.masi_alpha:.2f}" in text and book.version in text
    assert "(no suggestion run yet)" in text


def test_one_coder_gets_a_note_instead_of_a_figure(study_dir: Path, corpus: Path, tmp_path: Path) -> None:
    with Study(study_dir) as study:
        study.ingest([corpus], cases=corpus / "cases.csv")
        add_decisions(study, "ana", {s: ["culture"] for s in list(study.segments()["segment_id"])[:3]})
    out = tmp_path / "methods.md"
    result = CliRunner().invoke(cli, ["report-methods", str(study_dir), "--out", str(out), "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "needs at least two coders" in text and "ana (3 segments)" in text
