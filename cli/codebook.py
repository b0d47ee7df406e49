"""Codebook commands: validate, show, add, and REFI-QDA codebook import and export."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import STUDY, ErrorGroup, open_study
from pipeline.codebook import Codebook, load_codebook  # light: pandas only for table codebooks

__all__ = ["codebook"]


@click.group(cls=ErrorGroup)
def codebook() -> None:
    """Validate, show and add codebooks (YAML, CSV, XLSX)."""


@codebook.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def codebook_validate(path: Path) -> None:
    """Check a codebook file; list every problem with its row or key."""
    book = load_codebook(path)
    click.echo(f"{path}: valid; {len(book.codes)} codes ({len(book.codable)} codable), version {book.version}")


@codebook.command("show")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the codes as JSON.")
def codebook_show(path: Path, as_json: bool) -> None:
    """Print a codebook's hierarchy with each code's label and definition."""
    book = load_codebook(path)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps({"name": book.name, "version": book.version, "codes": [asdict(c) for c in book.codes]}, indent=2))
        return
    click.echo(f"{book.name} (version {book.version})")
    _print_tree(book, None, 1)


def _print_tree(book: Codebook, parent: str | None, depth: int) -> None:
    for code in book.children(parent):
        flags = "" if code.codable else " [group]"
        flags += " [one choice]" if code.exclusive else ""
        flags += f" [unit: {code.unit}]" if code.unit else ""
        flags += f" [scope: {', '.join(code.scope)}]" if code.scope else ""
        click.echo(f"{'  ' * depth}{code.id}: {code.label}{flags}")
        if code.definition:
            click.echo(f"{'  ' * (depth + 1)}{code.definition[:110]}{'...' if len(code.definition) > 110 else ''}")
        _print_tree(book, code.id, depth + 1)


@codebook.command("add")
@STUDY
@click.argument("path", type=click.Path(path_type=Path))
def codebook_add(study_dir: Path, path: Path) -> None:
    """Validate a codebook and store it in the study as a new version."""
    with open_study(study_dir) as study:
        book = study.add_codebook(path)
    click.echo(f"codebook {book.name} version {book.version}: {len(book.codable)} codable codes")




@codebook.command("accept-emergent")
@STUDY
@click.option("--code", "codes", multiple=True, help="Accept only this proposed code (its label or id); repeat for several.")
@click.option("--dry-run", is_flag=True, help="List the proposed codes and what would be added; change nothing.")
def codebook_accept_emergent(study_dir: Path, codes: tuple[str, ...], dry_run: bool) -> None:
    """Add codes that coders proposed under "Add code" to a new codebook version under 'emergent'."""
    with open_study(study_dir) as study:
        report = study.accept_emergent(codes, dry_run=dry_run)
    if not report.codes:
        click.echo("no proposed codes waiting; coders propose one by typing it under Add code")
        return
    for group in report.codes:
        click.echo(f"{group.code_id}: '{group.label}' proposed by {', '.join(group.coders)} on "
                   f"{len(group.proposals)} segment(s)")
    if dry_run:
        click.echo(f"dry run: nothing changed; without --dry-run these become codebook version {report.codebook_version}")
        return
    click.echo(f"codebook version {report.codebook_version} adds {len(report.codes)} emergent code(s) "
               f"({report.decisions} decisions recorded); written to {report.yaml_path}")


@codebook.command("import")
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
        with open_study(study_dir) as study:
            result = study.import_codebook(path, out=out)
    book = result.codebook
    click.echo(f"codebook {book.name}: {len(book.codes)} codes ({len(book.codable)} codable), version {book.version}")
    if result.yaml_path:
        click.echo(f"wrote {result.yaml_path}")
    if result.study_copy:
        click.echo(f"added to {study_dir} (copy in {result.study_copy})")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@codebook.command("export")
@STUDY
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The .qdc file to write.")
@click.option("--codebook", "codebook_id", help="Codebook version (or a unique prefix, or its name); default: the latest.")
def codebook_export(study_dir: Path, out: Path, codebook_id: str | None) -> None:
    """Write the study's codebook as a REFI-QDA .qdc file (deterministic GUIDs)."""
    with open_study(study_dir) as study:
        book, path = study.export_codebook(out, codebook_id)
    click.echo(f"wrote {path}: {len(book.codes)} codes of codebook {book.name} {book.version}")


