"""``deductive serve``: a locally served deployment that codes whatever lands in an inbox.

Every ``interval`` seconds the deployment runs ``code_study`` over the inbox folder.
Ingest is incremental, so files already stored are skipped (their parse results come
from the cache) and only new or changed files are parsed, segmented, embedded and
suggested. Put each file in a folder named after its case, or add a cases.csv.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from flows.code_study import RunReport, code_study, run_code_study

__all__ = ["poll_inbox", "serve_inbox", "DEPLOYMENT"]

DEPLOYMENT = "deductive-inbox"


def poll_inbox(study_dir: Path | str, inbox: Path | str, *, coders: Sequence[str] = (),
               model: str | None = None) -> RunReport:
    """One pass over the inbox: what a scheduled run of the deployment does."""
    Path(inbox).mkdir(parents=True, exist_ok=True)
    return run_code_study(study_dir, paths=[Path(inbox)], coders=coders, model=model)


def serve_inbox(study_dir: Path | str, inbox: Path | str, interval: float, *, coders: Sequence[str] = (),
                model: str | None = None) -> None:
    """Serve the deployment until interrupted (Ctrl+C); runs show up in the Prefect UI."""
    Path(inbox).mkdir(parents=True, exist_ok=True)
    code_study.serve(
        name=DEPLOYMENT,
        interval=interval,
        parameters={"study_dir": str(Path(study_dir).resolve()), "paths": [str(Path(inbox).resolve())],
                    "coders": list(coders), "model": model},
        description=f"Code documents dropped into {inbox}",
    )
