"""REFI-QDA exchange commands: `codebook import`, `codebook export`, `export`, `import`."""

from __future__ import annotations

from pathlib import Path

import click

from pipeline.cli import STUDY, cli
from pipeline.cli import codebook as codebook_group
from pipeline.study import Study

__all__ = ["codebook_import", "codebook_export", "export", "import_"]


@codebook_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the codebook as YAML to this file.")
@click.option("--study", "study_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Add the codebook to this study as a new version (a YAML copy goes into its codebook/ folder).")
def codebook_import(path: Path, out: Path | None, study_dir: Path | None) -> None:
    """Import a REFI-QDA codebook (.qdc) or a CFIR-style spreadsheet (.xlsx/.csv) as YAML and/or into a study."""
    from pipeline.interchange.codebooks import import_codebook

    if out is None and study_dir is None:
        raise click.UsageError("say where the codebook goes: --out FILE.yaml and/or --study DIR")
    if study_dir is None:
        result = import_codebook(path, out=out)
    else:
        with Study(study_dir) as study:
            result = import_codebook(path, out=out, study=study)
    book = result.codebook
    click.echo(f"codebook {book.name}: {len(book.codes)} codes ({len(book.codable)} codable), version {book.version}")
    if result.yaml_path:
        click.echo(f"wrote {result.yaml_path}")
    if result.study_copy:
        click.echo(f"added to {study_dir} (copy in {result.study_copy})")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@codebook_group.command("export")
@STUDY
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The .qdc file to write.")
@click.option("--codebook", "codebook_id", help="Codebook version (or a unique prefix, or its name); default: the latest.")
def codebook_export(study_dir: Path, out: Path, codebook_id: str | None) -> None:
    """Write the study's codebook as a REFI-QDA .qdc file (deterministic GUIDs)."""
    from pipeline.interchange.codebooks import export_codebook

    with Study(study_dir) as study:
        book, path = export_codebook(study, out, codebook_id)
    click.echo(f"wrote {path}: {len(book.codes)} codes of codebook {book.name} {book.version}")


def _coders(values: tuple[str, ...]) -> list[str] | None:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


@cli.command()
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
    from pipeline.interchange.qdpx import export_project

    with Study(study_dir) as study:
        report = export_project(study.store, out, name=study.root.resolve().name, codebook_version=codebook_id,
                                coders=_coders(coders), include_model=include_model)
    click.echo(f"wrote {report.path}: {report.documents} documents, {report.cases} cases, {report.variables} variables, "
               f"{report.selections} selections, {report.codings} human codings"
               + (f", {report.model_codings} model codings" if include_model else ""))
    click.echo("users: " + (", ".join(report.users) or "none"))
    if report.skipped_outdated:
        click.echo(f"note: {report.skipped_outdated} decisions are on segments that are no longer current "
                   "(re-ingested or re-segmented documents) and were not exported", err=True)


@cli.command("import")
@STUDY
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(study_dir: Path, path: Path) -> None:
    """Import a REFI-QDA project (.qdpx): sources, codes and codings (as decisions of their users)."""
    from pipeline.interchange.qdpx_import import import_project

    with Study(study_dir) as study:
        report = import_project(study.store, path, study.settings.segment, study.settings.ingest.speaker_pattern)
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
