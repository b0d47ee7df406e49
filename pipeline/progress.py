"""A process-local hook through which long steps report progress to whoever is watching.

The library never prints: a stage calls ``report(step, done, total)`` as it goes, and the
command line installs a reporter (a progress bar on a terminal, one line per step in a
log) with ``reporting``. With no reporter installed, ``report`` does nothing. Flows use
the same hook, since Prefect parameters must be plain data and cannot carry a display.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["Reporter", "report", "reporting"]

Reporter = Callable[[str, int, int], None]
_reporter: Reporter | None = None


def report(stage: str, done: int, total: int) -> None:
    if _reporter is not None:
        _reporter(stage, done, total)


@contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Install ``reporter`` for the duration of a ``with`` block."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield
    finally:
        _reporter = previous
