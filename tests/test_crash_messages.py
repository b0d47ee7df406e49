"""Crashes of issue 15 reproduced with the real conditions (beyond the hostile-inputs table)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.store as store_module
from pipeline.errors import StudyError
from pipeline.segment import segment_blocks
from pipeline.config import SegmentSettings
from pipeline.records import Block
from pipeline.study import Study

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("unit", ["paragraph"])  # sentence: the hostile table ingests one
def test_a_paragraph_over_a_million_characters_segments(unit: str) -> None:
    # spaCy refuses texts over 1,000,000 characters (E088); before issue 15 ingest crashed.
    text = "We met again. " * 75_000 + "word " * 5_000
    spans = segment_blocks(text, [Block(0, len(text), "paragraph")], SegmentSettings(unit=unit))
    assert spans and all(text[s.start:s.end] == text[s.start:s.end].strip() for s in spans)
    assert all(b.start >= a.end for a, b in zip(spans, spans[1:]))  # in order, no overlaps


def test_a_store_locked_too_long_says_so_and_changes_nothing(study_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.3)
    holder = sqlite3.connect(study_dir / "data" / "study.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writes and does not let go
    try:
        with Study(study_dir) as study, pytest.raises(StudyError, match="locked by another program"):
            study.add_codebook(study.root / "codebook" / "mini.yaml")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux) to take the loopback away")
def test_run_without_loopback_says_what_to_do(study_dir: Path) -> None:
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.decode()[:200]}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "-rn", sys.executable, "-m", "cli", "run", str(study_dir)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "need the loopback network (127.0.0.1)" in done.stderr and "Traceback" not in done.stderr
