"""`deductive report-methods`: a Methods paragraph filled with the study's own facts."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import STUDY, open_study

__all__ = ["report_methods"]


@click.command("report-methods")
@STUDY
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Markdown file to write (default: print it).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=500, show_default=True,
              help="Bootstrap replicates for the agreement interval.")
def report_methods(study_dir: Path, out: Path | None, bootstrap: int) -> None:
    """Write a Methods paragraph for a paper: model, codebook version, settings, coders, agreement."""
    
    with open_study(study_dir) as study:
        text = study.methods_paragraph(bootstrap=bootstrap)
    if out is None:
        click.echo(text)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")
