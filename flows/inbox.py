"""``deductive serve``: code whatever lands in an inbox folder, until Ctrl+C.

The watcher polls the inbox itself every ``interval`` seconds and runs ``code_study``
over it when a file was added, changed or removed. Prefect's temporary local server
cannot schedule a served deployment, so relying on ``flow.serve`` meant that, with the
default setup, nothing ever ran; each pass here is an ordinary flow run (visible in the
Prefect UI when a server is running). Ingest is incremental: files already stored are
skipped and only new or changed ones are parsed, segmented, embedded and suggested.
Put each file in a folder named after its case, or add a cases.csv.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from flows.code_study import RunReport, run_code_study

__all__ = ["inbox_state", "poll_inbox", "watch_inbox"]


def poll_inbox(study_dir: Path | str, inbox: Path | str, *, coders: Sequence[str] = (),
               model: str | None = None) -> RunReport:
    """One pass over the inbox: one run of ``code_study`` over everything in it."""
    Path(inbox).mkdir(parents=True, exist_ok=True)
    return run_code_study(study_dir, paths=[Path(inbox)], coders=coders, model=model)


def inbox_state(inbox: Path | str) -> tuple[tuple[str, int, int], ...]:
    """Every file under the inbox with its size and modification time: a change means a new pass."""
    root = Path(inbox)
    files = (f for f in root.rglob("*") if f.is_file() and not f.name.startswith((".", "~$")))
    return tuple(sorted((f.relative_to(root).as_posix(), f.stat().st_size, f.stat().st_mtime_ns) for f in files))


def watch_inbox(study_dir: Path | str, inbox: Path | str, interval: float, *, coders: Sequence[str] = (),
                model: str | None = None, on_run: Callable[[RunReport], None] = lambda report: None,
                passes: int | None = None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Run a pass whenever the inbox changed, checking every ``interval`` seconds.

    Stops after ``passes`` checks if given (tests), else runs until interrupted: Ctrl+C
    raises KeyboardInterrupt between or during passes, which the caller turns into a clean
    exit. Returns the number of flow runs made.
    """
    Path(inbox).mkdir(parents=True, exist_ok=True)
    seen: tuple[tuple[str, int, int], ...] | None = None
    runs = checks = 0
    while passes is None or checks < passes:
        state = inbox_state(inbox)
        if state and state != seen:
            on_run(poll_inbox(study_dir, inbox, coders=coders, model=model))
            runs += 1
            seen = inbox_state(inbox)  # files written during the pass count as seen
        checks += 1
        if passes is None or checks < passes:
            sleep(interval)
    return runs
