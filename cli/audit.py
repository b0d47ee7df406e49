"""The audit commands: audit, resolve, merge-coders (thin wrappers over pipeline.audit)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import STUDY, split_names, verdict_counts, open_study
from cli.progress import shown
from pipeline.errors import ConfigError

# pipeline.audit.CONSENSUS, spelled here so --help need not import the audit package
# (pandas, scikit-learn, matplotlib); tests/test_cli_startup.py checks they agree.
CONSENSUS = "consensus"

__all__ = ["audit_command", "resolve_command", "merge_coders_command"]


@click.command("audit")
@STUDY
@click.option("--coders", multiple=True, help="Coders to compare, comma-separated or repeated (default: all but 'consensus').")
@click.option("--include-model", is_flag=True, help="Add the suggestion run as coder 'model:RUN' (its shown suggestions).")
@click.option("--run", "run_id", help="The suggestion run for --include-model (default: the latest for the codebook).")
@click.option("--codes", multiple=True, help="Only these codes and their sub-codes (comma-separated or repeated).")
@click.option("--codebook", "codebook_version", help="Codebook version or name (default: the latest).")
@click.option("--bootstrap", type=int, default=500, show_default=True,
              help="Bootstrap resamples for the 95% intervals; 0 for none (faster).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the bootstrap.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for audit.xlsx, disagreements.xlsx, audit.html, audit.json, kappa.png (default: DIR/data/audit).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON instead of the table.")
def audit_command(study_dir: Path, coders: tuple[str, ...], include_model: bool, run_id: str | None,
                  codes: tuple[str, ...], codebook_version: str | None, bootstrap: int, seed: int,
                  out: Path | None, as_json: bool) -> None:
    """Inter-coder reliability on the segments all compared coders decided, disagreements and drift."""
    from pipeline.audit import AuditOptions, terminal_table

    options = AuditOptions(coders=split_names(coders), include_model=include_model, run_id=run_id, codes=split_names(codes),
                           codebook_version=codebook_version, bootstrap=bootstrap, seed=seed)
    with open_study(study_dir) as study:
        with shown(enabled=not as_json):
            result = study.audit(options)
        paths = study.write_audit(result, out)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(terminal_table(result))
    click.echo(f"wrote {paths['workbook']}, {paths['disagreements']} and {paths['html']} "
               f"({result.seconds:.1f} s)")


@click.command("resolve")
@STUDY
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coder", default=CONSENSUS, show_default=True, help="Record the resolutions as decisions of this coder.")
def resolve_command(study_dir: Path, workbook: Path, coder: str) -> None:
    """Import a filled-in disagreements workbook as decisions of the coder 'consensus'."""
    with open_study(study_dir) as study:
        report = study.resolve(workbook, coder)
    if report.status == "already imported":
        click.echo(f"{workbook}: already imported for {coder}; nothing changed")
        return
    counts = verdict_counts(report.counts)
    click.echo(f"{workbook}: {report.resolved} segments resolved for {coder} ({counts}); "
               f"{report.unresolved} left unresolved")
    if report.agreed:
        click.echo(f"{report.agreed} segments all coders coded alike were recorded for {coder} too")


@click.command("merge-coders")
@STUDY
@click.option("--coders", multiple=True, required=True, help="The coders to merge, comma-separated or repeated.")
@click.option("--rule", type=click.Choice(["unanimous", "majority"]), default="unanimous", show_default=True,
              help="Keep a code all coders applied, or more than half of them.")
@click.option("--at-least", "at_least", type=int, help="Keep a code at least K coders applied (instead of --rule).")
@click.option("--into", default=CONSENSUS, show_default=True, help="The coder who receives the merged decisions.")
@click.option("--codebook", "codebook_version", help="Codebook version or name (default: the latest).")
def merge_coders_command(study_dir: Path, coders: tuple[str, ...], rule: str, at_least: int | None, into: str,
                         codebook_version: str | None) -> None:
    """Merge several coders' decisions by a rule into one coder (default 'consensus')."""
    if at_least is not None and at_least < 1:
        raise ConfigError(f"--at-least must be 1 or more, got {at_least}")
    chosen = ("at_least", at_least) if at_least is not None else rule
    with open_study(study_dir) as study:
        report = study.merge_coders(split_names(coders), chosen, into, codebook_version)
    if report.status == "already merged":
        click.echo(f"{into}: already holds this merge of {report.segments} segments; nothing changed")
        return
    counts = verdict_counts(report.counts)
    click.echo(f"merged {report.segments} segments into {into}: {counts}")
    if report.kept_resolutions:
        click.echo(f"{report.kept_resolutions} segments resolved by hand (`deductive resolve`) were left as resolved")
