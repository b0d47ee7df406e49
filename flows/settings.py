"""Prefect's environment for a study, set before Prefect is first imported.

Prefect reads its settings from the environment when it is imported, so the CLI calls
``configure(study_dir)`` first and imports the flows afterwards. Values the user has
already set win (``setdefault``): a team that runs its own Prefect server keeps it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["configure", "check_loopback", "PREFECT_FOLDER", "RESULTS_FOLDER", "OFFLINE_ENV"]

PREFECT_FOLDER = ".prefect"  # Prefect's home (its SQLite database, logs) inside the study
RESULTS_FOLDER = ".prefect-results"  # persisted task results and cache records

# Nothing phones home: no usage telemetry, no analytics from the local server.
OFFLINE_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # The tokenizers' own thread pool fights torch for the two cores (FACTS.md).
    "TOKENIZERS_PARALLELISM": "false",
    # The temporary local server builds its database on a study's first run; on a busy
    # machine that takes longer than Prefect's default 20 s wait.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def configure(study_dir: Path | str | None = None, *, quiet: bool = False) -> dict[str, str]:
    """Set Prefect's defaults for this process; returns the values now in effect.

    study_dir: PREFECT_HOME defaults to ``study_dir/.prefect``, so the run history and
    artifacts travel with the study. quiet: only warnings from Prefect's loggers (the
    CLI shows its own progress line instead).
    """
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    if study_dir is not None:
        home = (Path(study_dir) / PREFECT_FOLDER).resolve()
        home.mkdir(parents=True, exist_ok=True)  # Prefect warns if it cannot create it itself
        os.environ.setdefault("PREFECT_HOME", str(home))
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")  # shutdown noise of the temporary server
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    keys = (*OFFLINE_ENV, "PREFECT_HOME", "PREFECT_LOGGING_LEVEL")
    return {k: os.environ[k] for k in keys if k in os.environ}


def check_loopback() -> None:
    """Fail fast, with what to do, when Prefect's temporary local server cannot run.

    Without a PREFECT_API_URL, each flow run starts a server on 127.0.0.1; on a machine
    whose loopback interface is down that ended in tracebacks after a long wait (issue 15).
    """
    import socket

    from pipeline.errors import StudyError

    if os.environ.get("PREFECT_API_URL"):
        return  # the team's own Prefect server: Prefect reports its own connection errors
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=5):
                pass
    except OSError as exc:
        raise StudyError(
            f"the flow commands need the loopback network (127.0.0.1) for Prefect's local server, and it is not "
            f"usable here ({exc.strerror or exc}); bring it up (e.g. `ip link set lo up`), set PREFECT_API_URL to "
            f"a running Prefect server, or run the steps one by one: `deductive ingest`, `segment`, `suggest`, "
            f"`queue`, `summarize`") from exc
