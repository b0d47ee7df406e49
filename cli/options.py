"""Shared pieces of the command line: the study argument and the group that turns
library errors into one clear line and exit code 1 (`--verbose` shows the traceback)."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.errors import DeductiveError

if TYPE_CHECKING:
    from pipeline.study import Study

__all__ = ["STUDY", "RAW_CSV", "ErrorGroup", "open_study", "show_library_messages", "split_names", "verdict_counts"]

STUDY = click.argument("study_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
# CSV exports are for people who open them in a spreadsheet: cells that start like a
# formula get a leading ' (OWASP's CSV-injection advice); --raw is for programs.
RAW_CSV = click.option("--raw", is_flag=True,
                       help="Write cells exactly as stored: no ' before cells starting with = + - @ tab or CR "
                            "(for programs, not for opening in a spreadsheet).")


class ErrorGroup(click.Group):
    """Turns library errors into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DeductiveError as exc:
            root = ctx.find_root()
            if root.obj and root.obj.get("verbose"):
                traceback.print_exc()
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


def split_names(values: tuple[str, ...]) -> tuple[str, ...]:
    """Names given repeated or comma-separated (``--coders a,b --coders c``), blanks dropped,
    duplicates dropped, order kept."""
    return tuple(dict.fromkeys(n.strip() for v in values for n in v.split(",") if n.strip()))


def open_study(study_dir: Path) -> Study:
    """The study in ``study_dir``. Imported here, not at the top of the command modules,
    so that `deductive --help` and the quick commands do not pay for pandas and friends."""
    from pipeline.study import Study

    return Study(study_dir)


class _EchoHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(record.getMessage(), err=True)


def show_library_messages() -> None:
    """Print the library's progress and notes (logger ``pipeline``, INFO and up) on stderr,
    e.g. the one-off ONNX export and a backend falling back to torch."""
    logger = logging.getLogger("pipeline")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        logger.addHandler(_EchoHandler())
    logger.setLevel(logging.INFO)


def verdict_counts(counts: dict[str, int]) -> str:
    """"3 accepted, 1 rejected" for a report's decisions written, per verdict."""
    return ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "no new decisions"
