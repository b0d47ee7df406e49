"""The suggest stage scores and stores in chunks (bounded memory on large studies):
chunking changes nothing it reports or shows; scores agree to float32 rounding. Studies
under SCORE_CHUNK segments (the demo, AnnoMI) are scored in one chunk, as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.embed import FakeEmbedder
from pipeline.study import Study

ROOT = Path(__file__).resolve().parents[1]
LINES = ["Staff said the new system saved time.", "Managers worried about the cost of licences.",
         "The training was too short for the night shift.", "Nobody used the dashboard after May.",
         "We adapted the forms to our own routines.", "Yeah.", "The board agreed to the pilot."]


def suggestions_of(tmp_path: Path, name: str) -> tuple[list[tuple], tuple]:
    (tmp_path / f"{name}.txt").write_text("\n\n".join(LINES * 3), encoding="utf-8")
    with Study.create(tmp_path / name, codebook=ROOT / "codebook" / "demo_study.yaml") as study:
        study.ingest([tmp_path / f"{name}.txt"], case="one")
        report = study.suggest(embedder=FakeEmbedder(), learned=False)
        rows = study.store.query("SELECT s.id, s.code_id, s.rank, s.raw_score, s.score, s.suggested FROM suggestions s"
                                 " JOIN segments g ON g.id = s.segment_id ORDER BY g.seq, s.rank")
        return [tuple(r) for r in rows], (report.segments, report.new_segments, report.shown, report.no_code)


def test_scoring_in_chunks_stores_and_reports_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.suggest.stage as stage

    whole, whole_report = suggestions_of(tmp_path, "whole")
    monkeypatch.setattr(stage, "SCORE_CHUNK", 2)  # 21 segments in 11 chunks
    chunked, chunked_report = suggestions_of(tmp_path, "chunked")
    assert whole_report[0] == 21 and whole_report == chunked_report
    # the same codes, ranks and shown flags; scores equal up to float32 summation order
    # (a matrix product over fewer rows may add in another order: ~1e-8 here)
    assert [(r[1], r[2], r[5]) for r in chunked] == [(r[1], r[2], r[5]) for r in whole]
    scores = [[np.nan if v is None else v for v in r[3:5]] for r in (*chunked, *whole)]
    np.testing.assert_allclose(scores[: len(chunked)], scores[len(chunked):], atol=1e-6)
    assert len(chunked) > 21
