"""How the command line shows progress: a bar with counts and time left on a terminal,
one line per finished step otherwise (logs, CI). Library stages report through
``pipeline.progress``; commands wrap their work in ``with shown():``."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Any, Iterator

import click

from pipeline.progress import reporting

__all__ = ["TerminalProgress", "shown"]


class TerminalProgress:
    """One bar per step, replaced when the step changes; a line per step when not a terminal."""

    def __init__(self, tty: bool | None = None) -> None:
        self.tty = sys.stderr.isatty() if tty is None else tty
        self._bar: Any = None
        self._step: str | None = None
        self._started = 0.0

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self._step:
            self._close()
            self._step, self._started = step, time.perf_counter()
            if self.tty:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=f"{step:>9}", unit="", file=sys.stderr, leave=True,
                                 bar_format="{desc}: {bar:30} {n_fmt}/{total_fmt} [{elapsed}<{remaining}]")
        if self._bar is not None:
            self._bar.total = total
            self._bar.n = done
            self._bar.refresh()
        if done >= total:
            if not self.tty:
                click.echo(f"{step:>9}: {done}/{total} in {time.perf_counter() - self._started:.1f} s", err=True)
            self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._step = None, None


@contextmanager
def shown(enabled: bool = True) -> Iterator[TerminalProgress | None]:
    """Show the progress the library reports while the block runs (not with --json, whose
    output a program reads)."""
    if not enabled:
        yield None
        return
    display = TerminalProgress()
    with reporting(display):
        try:
            yield display
        finally:
            display._close()
