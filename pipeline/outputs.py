"""Whether a study's summary or audit files are up to date with their inputs.

A stage's output depends on the decision log, the latest suggestion run and its shown
suggestions, the current documents and segments, the codebook and the code of the stage
itself. ``inputs_stamp`` writes that down; ``saved_outputs`` returns the files written for
an identical stamp (so a re-run can skip the stage), ``record_outputs`` keeps the stamp.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["STAGES", "code_digest", "inputs_stamp", "record_outputs", "saved_outputs"]

STAGES = {"summary": "summarize", "audit": "audit"}  # output name -> pipeline package that writes it


def code_digest(package_dir: Path) -> str:
    """Hash of a package's source files: changed code invalidates its earlier outputs."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def inputs_stamp(study: "StudyContext", stage: str) -> dict[str, Any] | None:
    """What ``stage`` ("summary" or "audit") depends on; None when there is nothing to work on."""
    from pipeline.review import decision_table
    from pipeline.suggest.stage import latest_run

    run = latest_run(study.store)
    decisions = len(decision_table(study, history=True))
    if run is None and not decisions:
        return None
    shown = study.store.query("SELECT COUNT(*) AS n FROM suggestions WHERE run_id = ? AND suggested = 1", (run,))
    return {
        "decisions": decisions,
        "run": run,
        "suggestions": int(shown[0]["n"]),
        "documents": len(study.documents()),
        "segments": len(study.segments()),
        "code": code_digest(Path(__file__).parent / STAGES[stage]),
        "codebook": study.codebook().version,
    }


def saved_outputs(stamp_file: Path, stamp: dict[str, Any] | None) -> dict[str, str]:
    """The files recorded for ``stamp``, if it is unchanged and they all still exist."""
    if stamp is None or not stamp_file.is_file():
        return {}
    saved = json.loads(stamp_file.read_text(encoding="utf-8"))
    files = saved.get("files", {})
    unchanged = saved.get("inputs") == stamp and files and all(Path(f).is_file() for f in files.values())
    return dict(files) if unchanged else {}


def record_outputs(stamp_file: Path, stamp: dict[str, Any] | None, files: dict[str, str]) -> None:
    stamp_file.parent.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(json.dumps({"inputs": stamp, "files": files}, indent=1), encoding="utf-8")
