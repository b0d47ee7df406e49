"""The progress display: a line per finished step in a log, a bar with counts on a terminal."""

from __future__ import annotations

import pytest

from cli.progress import TerminalProgress
from pipeline.progress import report, reporting


def test_a_log_gets_one_line_per_finished_step(capsys: pytest.CaptureFixture[str]) -> None:
    display = TerminalProgress(tty=False)
    with reporting(display):
        for done in range(4):
            report("embed", done, 3)  # intermediate counts print nothing in a log
        report("suggest", 2, 2)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" in ")[0].strip() for line in lines] == ["embed: 3/3", "suggest: 2/2"]


def test_a_terminal_gets_a_bar_with_counts_and_time_left(capsys: pytest.CaptureFixture[str]) -> None:
    display = TerminalProgress(tty=True)
    with reporting(display):
        report("ingest", 1, 4)
        report("ingest", 4, 4)
    err = capsys.readouterr().err
    assert "ingest: " in err and "4/4" in err and "<" in err  # tqdm's elapsed<remaining


def test_nothing_is_reported_without_a_display() -> None:
    report("embed", 1, 2)  # no reporter installed: a no-op, not an error
