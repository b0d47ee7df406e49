"""Pseudonymisation commands: pseudonymise (propose, then --apply) and reidentify."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from cli.options import STUDY, open_study

__all__ = ["pseudonymise", "reidentify", "echo_proposal", "KEY_OPTION", "NAMES_OPTION"]

KEY_OPTION = click.option(
    "--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
    help="The key file (code -> original), kept OUTSIDE the study folder; created if missing.")
NAMES_OPTION = click.option(
    "--names", "names_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A names list (.txt: 'name | nickname' a line; .csv: name, kind, variants) always found.")


@click.command("pseudonymise")
@STUDY
@KEY_OPTION
@NAMES_OPTION
@click.option("--workbook", "workbook_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the review workbook (default: beside the key; never inside the study).")
@click.option("--apply", "apply_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Apply a reviewed workbook: write the pseudonymised text as new document versions.")
@click.option("--no-model", is_flag=True, help="Use the names lists, rules and patterns only (no named-entity model).")
def pseudonymise(study_dir: Path, key_path: Path | None, names_path: Path | None, workbook_path: Path | None,
                 apply_path: Path | None, no_model: bool) -> None:
    """Find names, places, organisations, e-mails and phone numbers and propose study-wide
    codes in a review workbook; with --apply, write the reviewed replacements as new versions.
    Assisted, not guaranteed: review every row and add what was missed."""
    if key_path is None:
        raise click.UsageError("give --key PATH: where the key is kept (outside the study folder)")
    with open_study(study_dir) as study:
        if apply_path:
            result = study.apply_pseudonyms(apply_path, key_path)
            click.echo(f"pseudonymised {result.documents} document(s) as new versions: {result.replacements} "
                       f"replacements ({result.added} added), {result.rejected} rejected, {result.new_codes} new codes")
            click.echo(f"key updated: {key_path} (keep it apart from the study)")
            return
        report = study.propose_pseudonyms(key_path, names_path, workbook_path, model=not no_model)
    echo_proposal(report)


def echo_proposal(report) -> None:
    kinds = Counter(m.kind for m in report.mentions)
    sources = Counter(m.source for m in report.mentions)
    entities = len({m.code for m in report.mentions})
    click.echo(f"found {len(report.mentions)} identifier(s) of {entities} entities in {report.documents} document(s): "
               + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) + "  (by "
               + ", ".join(f"{k} {n}" for k, n in sorted(sources.items())) + ")")
    for key in report.skipped:
        click.echo(f"skipped (already pseudonymised): {key}")
    click.echo(f"review: {report.workbook}")
    click.echo(f"key:    {report.key} (keep it apart from the study)")
    click.echo(f"then:   deductive pseudonymise DIR --apply {report.workbook} --key {report.key}")


@click.command("reidentify")
@STUDY
@KEY_OPTION
@click.option("--in", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A report with codes (.html, .csv, .xlsx, .txt, .md).")
@click.option("--out", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the re-identified copy (outside the study folder).")
def reidentify(study_dir: Path, key_path: Path | None, source: Path, target: Path) -> None:
    """Put the original names back into a report's quotes, for the researcher who holds the key."""
    if key_path is None:
        raise click.UsageError("give --key PATH: the key written by `deductive pseudonymise`")
    with open_study(study_dir) as study:
        result = study.reidentify(key_path, source, target)
    click.echo(f"restored {result.restored} code(s) in {target}")
    if result.unknown:
        click.echo(f"not in the key (left as they are): {', '.join(result.unknown[:20])}", err=True)
