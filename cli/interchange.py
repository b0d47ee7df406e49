"""REFI-QDA project exchange: `export` and `import` (.qdpx)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import STUDY, split_names, open_study
from cli.progress import shown

__all__ = ["export", "import_"]


@click.command()
@STUDY
@click.option("--format", "fmt", type=click.Choice(["qdpx"]), default="qdpx", show_default=True,
              help="Exchange format (REFI-QDA project).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The .qdpx file to write.")
@click.option("--coders", multiple=True, help="Export only these coders (comma-separated or repeated); default: all.")
@click.option("--include-model", is_flag=True,
              help="Also export shown suggestions, one user per suggestion run, apart from human codings.")
@click.option("--codebook", "codebook_id", help="Codebook version to export; default: the latest.")
def export(study_dir: Path, fmt: str, out: Path, coders: tuple[str, ...], include_model: bool,
           codebook_id: str | None) -> None:
    """Export documents, codebook, cases and confirmed codings as a REFI-QDA project (.qdpx)."""
    with open_study(study_dir) as study:
        report = study.export_project(out, codebook_version=codebook_id, coders=list(split_names(coders)) or None,
                                      include_model=include_model)
    click.echo(f"wrote {report.path}: {report.documents} documents, {report.cases} cases, {report.variables} variables, "
               f"{report.selections} selections, {report.codings} human codings"
               + (f", {report.model_codings} model codings" if include_model else ""))
    click.echo("users: " + (", ".join(report.users) or "none"))
    if report.skipped_outdated:
        click.echo(f"note: {report.skipped_outdated} decisions are on segments that are no longer current "
                   "(re-ingested or re-segmented documents) and were not exported", err=True)


@click.command("import")
@STUDY
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(study_dir: Path, path: Path) -> None:
    """Import a REFI-QDA project (.qdpx): sources, codes and codings (as decisions of their users)."""
    with open_study(study_dir) as study:
        with shown():
            report = study.import_project(path)
    click.echo(f"imported {path} (import {report.import_id}): {report.sources} sources "
               f"({report.documents_new} new documents), {len(report.cases_added)} new cases")
    click.echo(f"codes: {report.codes} in the file, {len(report.codes_added)} added to the codebook "
               f"(version {report.codebook_version or '-'})")
    click.echo(f"codings: {report.codings} in the file, {report.codings_mapped} mapped to segments, "
               f"{report.decisions} decisions written; users: {', '.join(report.users) or 'none'}")
    for line in report.unmapped:
        click.echo(f"not mapped: {line}", err=True)
    for line in report.skipped_sources:
        click.echo(f"skipped: {line}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
