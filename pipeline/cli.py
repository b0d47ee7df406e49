"""The `deductive` command line: each command opens the study, calls one library
function and prints its result. Library errors become one line on stderr and exit 1
(`--verbose` shows the traceback)."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from pipeline.codebook import Codebook, load_codebook
from pipeline.config import UNITS
from pipeline.errors import DeductiveError
from pipeline.ingest.read import ReadOptions
from pipeline.study import Study

__all__ = ["main", "cli"]


class _Group(click.Group):
    """Turns library errors into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DeductiveError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            click.echo(f"error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", is_flag=True, help="Show the full traceback when a command fails.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """deductive: NLP-assisted deductive qualitative coding, on your own machine."""
    ctx.ensure_object(dict)["verbose"] = verbose


def main() -> None:
    cli(obj={})


STUDY = click.argument("study_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))


@cli.command()
@STUDY
@click.option("--codebook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A codebook (.yaml, .csv, .xlsx) to copy into the study and load.")
def init(study_dir: Path, codebook: Path | None) -> None:
    """Create a study folder (codebook/, data/, models/, deductive.toml) and its store."""
    with Study.create(study_dir, codebook=codebook) as study:
        click.echo(f"created study {study.root} (store schema {study.store.schema_version})")
        for book in study.codebooks().to_dict("records"):
            click.echo(f"codebook {book['name']} version {book['version']}: {book['codable']} codable codes")


@cli.command()
@STUDY
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--cases", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with a case column (case, case_id or case_name) and attribute columns.")
@click.option("--case", help="Assign every ingested file to this case.")
@click.option("--unit", type=click.Choice(UNITS), help="Segmentation unit for this run (default: deductive.toml).")
@click.option("--text-column", help="Tabular input: the column holding the text.")
@click.option("--id-column", "id_columns", multiple=True, help="Tabular input: id column(s); repeat to join several into one external id.")
@click.option("--case-column", help="Tabular input: the column naming each row's case.")
@click.option("--speaker-column", help="Tabular input: the column naming the speaker.")
@click.option("--timestamp-column", help="Tabular input: the column holding a timestamp.")
@click.option("--sheet", help="Excel input: the sheet to read (default: the first).")
def ingest(study_dir: Path, paths: tuple[Path, ...], cases: Path | None, case: str | None, unit: str | None,
           text_column: str | None, id_columns: tuple[str, ...], case_column: str | None,
           speaker_column: str | None, timestamp_column: str | None, sheet: str | None) -> None:
    """Read documents and transcripts (txt, md, docx, pdf, vtt, srt, csv, xlsx) into the study and segment them."""
    with Study(study_dir) as study:
        study.settings = study.settings.override("segment", unit=unit)
        read = ReadOptions(
            **({"speaker_pattern": study.settings.ingest.speaker_pattern} if study.settings.ingest.speaker_pattern else {}),
            text_column=text_column, id_columns=id_columns, case_column=case_column,
            speaker_column=speaker_column, timestamp_column=timestamp_column, sheet=sheet,
        )
        report = study.ingest(paths, cases=cases, case=case, read=read)
    for outcome in report.outcomes:
        if outcome.status == "failed":
            continue
        click.echo(f"{outcome.status:>11}  {outcome.path}  ({outcome.documents} doc, {outcome.segments} segments)")
        for warning in outcome.warnings:
            click.echo(f"{'warning':>11}  {outcome.path}: {warning}")
    counts = {s: sum(o.status == s for o in report.outcomes) for s in ("new", "new version", "resegmented", "unchanged")}
    click.echo("ingested: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + f", {len(report.failed)} failed")
    if report.failed:
        click.echo(f"{len(report.failed)} file(s) could not be ingested (the others were):", err=True)
        for outcome in report.failed:
            click.echo(f"  {outcome.path}: {outcome.reason}", err=True)
        sys.exit(1)


@cli.command()
@STUDY
@click.option("--unit", type=click.Choice(UNITS), help="Segmentation unit (default: deductive.toml).")
@click.option("--min-chars", type=int, help="Merge shorter fragments with a neighbour in the same turn.")
@click.option("--max-chars", type=int, help="Split longer turns/paragraphs at sentence boundaries.")
def segment(study_dir: Path, unit: str | None, min_chars: int | None, max_chars: int | None) -> None:
    """Re-segment the study's current documents (earlier segmentations are kept)."""
    with Study(study_dir) as study:
        study.settings = study.settings.override("segment", unit=unit, min_chars=min_chars, max_chars=max_chars)
        changed = study.segment()
        total = len(study.segments())
    click.echo(f"re-segmented {changed} document(s); {total} current segments")


@cli.command()
@STUDY
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(study_dir: Path, as_json: bool) -> None:
    """Report cases, documents, segments per case and unit, and codebook versions."""
    with Study(study_dir) as study:
        info = study.status()
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    click.echo(f"study {info['study']}: {info['cases']} cases, {info['documents']} documents "
               f"({info['older_versions']} older versions), {info['segments']} segments")
    for name, entry in info["by_case"].items():
        units = ", ".join(f"{n} {u}" for u, n in sorted(entry["segments"].items())) or "no segments"
        click.echo(f"  {name}: {entry['documents']} documents, {units}")
    for book in info["codebooks"] or [{"name": "none", "version": "-", "codes": 0, "codable": 0}]:
        click.echo(f"codebook {book['name']} {book['version']}: {book['codes']} codes, {book['codable'] or 0} codable")


@cli.group(cls=_Group)
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
        click.echo(f"{'  ' * depth}{code.id}: {code.label}{flags}")
        if code.definition:
            click.echo(f"{'  ' * (depth + 1)}{code.definition[:110]}{'...' if len(code.definition) > 110 else ''}")
        _print_tree(book, code.id, depth + 1)


@codebook.command("add")
@STUDY
@click.argument("path", type=click.Path(path_type=Path))
def codebook_add(study_dir: Path, path: Path) -> None:
    """Validate a codebook and store it in the study as a new version."""
    with Study(study_dir) as study:
        book = study.add_codebook(path)
    click.echo(f"codebook {book.name} version {book.version}: {len(book.codable)} codable codes")
