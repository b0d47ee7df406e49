"""A small study (the mini codebook and the two-case corpus) for the audit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.study import Study


@pytest.fixture
def coded(study_dir: Path, corpus: Path) -> tuple[Path, list[str]]:
    """The mini study with the two-case corpus ingested; returns (dir, segment ids)."""
    with Study(study_dir) as study:
        study.ingest([corpus], cases=corpus / "cases.csv")
        segments = list(study.segments()["segment_id"])
    return study_dir, segments
