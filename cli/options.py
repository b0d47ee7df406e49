"""Shared pieces of the command line: the study argument and the group that turns
library errors into one clear line and exit code 1 (`--verbose` shows the traceback)."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import click

from pipeline.errors import DeductiveError

__all__ = ["STUDY", "RAW_CSV", "ErrorGroup", "split_names"]

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
