"""A small ingested study with suggestion rows made by SQL (no embedding model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.study import Study

RUN_ID = "run-test-1"
# Per segment position (cycling): the codes suggested, best first, with scores. An empty
# code id is the explicit "no code" suggestion.
PATTERN = (
    (("culture", 0.82), ("adoption", 0.55)),
    (("policy", 0.61),),
    ((None, 0.9),),
    (("implementation", 0.77), ("culture", 0.42), ("policy", 0.30)),
)


def add_suggestions(study: Study, run_id: str = RUN_ID, pattern=PATTERN, created_at: str | None = None) -> int:
    """One suggestion run over every current segment; returns the number of suggestion rows."""
    version = study.codebook().version
    segments = study.segments()
    with study.store.transaction() as conn:
        conn.execute("INSERT INTO suggestion_runs(id, codebook_version, model, method, params, created_at)"
                     " VALUES (?,?,?,?,?,COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
                     (run_id, version, "fake", "test", "{}", created_at))
        n = 0
        for i, segment_id in enumerate(segments["segment_id"]):
            for rank, (code, score) in enumerate(pattern[i % len(pattern)], start=1):
                conn.execute("INSERT INTO suggestions(id, run_id, segment_id, code_id, rank, raw_score, score, suggested)"
                             " VALUES (?,?,?,?,?,?,?,1)",
                             (f"{run_id}:{segment_id}:{rank}", run_id, segment_id, code, rank, score, score))
                n += 1
            # A runner-up that coders must never see.
            conn.execute("INSERT INTO suggestions(id, run_id, segment_id, code_id, rank, raw_score, score, suggested)"
                         " VALUES (?,?,?,?,?,?,?,0)", (f"{run_id}:{segment_id}:9", run_id, segment_id, "policy", 9, 0.1, 0.1))
    return n


@pytest.fixture
def suggestions_adder():
    """``add_suggestions`` for tests that build their own studies."""
    return add_suggestions


@pytest.fixture
def review_study(study_dir: Path, corpus: Path) -> Path:
    with Study(study_dir) as study:
        study.ingest([corpus], cases=corpus / "cases.csv")
        add_suggestions(study)
    return study_dir
