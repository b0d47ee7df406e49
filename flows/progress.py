"""A process-local hook through which flows report progress to whoever is watching.

Prefect parameters must be plain data, so the terminal display of ``deductive run`` is
not passed into the flow: the CLI installs a reporter here and the flow calls
``report(stage, done, total)``; with no reporter installed it does nothing.
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
