"""Shared by the AnnoMI benchmarks: where the data is and how it is ingested."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline.ingest.read import ReadOptions

HERE = Path(__file__).resolve().parent
# ../shared beside the checkout; DEDUCTIVE_SHARED names it for a checkout elsewhere (a git worktree).
SHARED = Path(os.environ.get("DEDUCTIVE_SHARED", HERE.parent.parent / "shared"))
ANNOMI = SHARED / "benchmarks" / "annomi" / "AnnoMI-simple.csv"
CODEBOOK = HERE / "annomi_codebook.yaml"
READ = ReadOptions(
    text_column="utterance_text",
    id_columns=("transcript_id", "utterance_id"),
    case_column="transcript_id",
    speaker_column="interlocutor",
    timestamp_column="timestamp",
)


def require_annomi() -> Path:
    if not ANNOMI.exists():
        sys.exit(f"needs {ANNOMI} (the shared AnnoMI benchmark data beside the repository)")
    return ANNOMI
