"""Shared by the AnnoMI benchmarks: where the data is and how it is ingested."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline.config import RoleSettings
from pipeline.ingest.read import ReadOptions

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("DEDUCTIVE_SHARED") or HERE.parent.parent / "shared")  # as in tests/shared_data.py
ANNOMI = SHARED / "benchmarks" / "annomi" / "AnnoMI-simple.csv"
CODEBOOK = HERE / "annomi_codebook.yaml"
READ = ReadOptions(
    text_column="utterance_text",
    id_columns=("transcript_id", "utterance_id"),
    case_column="transcript_id",
    speaker_column="interlocutor",
    timestamp_column="timestamp",
)

# The codebook scopes counsellor codes to counsellors and client codes to clients
# (docs/units-and-scope.md); AnnoMI's interlocutor labels name those roles.
ROLES = RoleSettings((("counsellor", ("therapist",)), ("client", ("client",))))
ROLES_TOML = '\n[roles]\ncounsellor = ["therapist"]\nclient = ["client"]\n'  # the same, for deductive.toml


def require_annomi() -> Path:
    if not ANNOMI.exists():
        sys.exit(f"needs {ANNOMI} (the shared AnnoMI benchmark data beside the repository)")
    return ANNOMI


def first_rows(source: Path, limit: int | None, folder: Path) -> Path:
    """``source`` cut to its header and first ``limit`` rows (in ``folder``), or ``source`` itself."""
    if not limit:
        return source
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = folder / "annomi.csv"
    cut.write_text("".join(lines[: limit + 1]), encoding="utf-8")  # AnnoMI's rows hold no newlines
    return cut
