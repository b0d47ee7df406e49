"""The summary commands: summarize (workbook + HTML report) and ratings (read ratings back)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.options import STUDY, open_study
from cli.progress import shown
from pipeline.errors import ModelError

if TYPE_CHECKING:
    from pipeline.study import Study

# pipeline.summarize.source.DEFAULT_INTERVIEWER, spelled here so --help need not import the
# summary package (pandas, scipy, matplotlib); tests/test_cli_startup.py checks they agree.
DEFAULT_INTERVIEWER = r"(i|int|q|interviewer|moderator|facilitator|researcher)(\s*\d+)?"

__all__ = ["summarize_command", "ratings_command"]


@click.command("summarize")
@STUDY
@click.option("--by", "by", multiple=True, help="Compare groups of cases by this case attribute (repeat for several).")
@click.option("--source", type=click.Choice(["confirmed", "suggested"]), default="confirmed", show_default=True,
              help="Confirmed decisions, or the suggestions of the latest run (labelled first pass, unconfirmed).")
@click.option("--coder", help="Use this coder's decisions.")
@click.option("--consensus", is_flag=True, help="Use the decisions of the coder named 'consensus'.")
@click.option("--any-coder", is_flag=True, help="With several coders: a code counts when any coder applied it.")
@click.option("--run", "run_id", help="With --source suggested: this suggestion run (default: the latest).")
@click.option("--codebook", "codebook_version", help="Codebook version or name (default: the latest).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for summary.xlsx, summary.html and charts/ (default: DIR/data/summary).")
@click.option("--exemplars", type=int, default=3, show_default=True, help="Exemplar quotes per code and case.")
@click.option("--model", help="Embedding model for central exemplars (default: the study's; 'none': longest quotes).")
@click.option("--interviewer", default=DEFAULT_INTERVIEWER, show_default=True,
              help="Regex (whole speaker label, any case) of speakers who are not informants.")
@click.option("--overwrite", is_flag=True, help="Replace summary.xlsx even if it holds ratings not yet read in.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts and comparisons as JSON.")
def summarize_command(study_dir: Path, by: tuple[str, ...], source: str, coder: str | None, consensus: bool,
                      any_coder: bool, run_id: str | None, codebook_version: str | None, out: Path | None,
                      exemplars: int, model: str | None, interviewer: str, overwrite: bool, as_json: bool) -> None:
    """Write the case and cross-case summary: matrices, framework matrices, ratings, comparisons, charts."""
    from pipeline.summarize import SourceOptions, SummaryOptions

    by = tuple(part.strip() for value in by for part in value.split(",") if part.strip())
    options = SummaryOptions(
        source=SourceOptions(source=source, coder=coder, consensus=consensus, any_coder=any_coder, run_id=run_id,
                             codebook_version=codebook_version, interviewer_pattern=interviewer),
        by=by, exemplars=exemplars)
    with open_study(study_dir) as study:
        embedder, warning = _embedder(study, model)
        with shown(enabled=not as_json):
            summary = study.summarize(options, embedder=embedder)
        files = study.write_summary(summary, out, overwrite=overwrite)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(_json(summary, files), indent=2, ensure_ascii=False))
        return
    coding = summary.coding
    click.echo(f"coding: {coding.label}")
    click.echo(f"{coding.segments['case'].nunique()} cases, {len(coding.segments)} segments, "
               f"{coding.applied['segment_id'].nunique()} with a code, {len(coding.applied)} codes applied")
    for note in coding.notes:
        click.echo(f"note: {note}")
    click.echo(f"workbook: {files.workbook}")
    click.echo(f"report:   {files.report}")


def _embedder(study: "Study", model: str | None) -> tuple[Any, str | None]:
    if model == "none":
        return None, None
    try:
        if model:
            study.settings = study.settings.override("embedding", model=model)
        return study.embedder(), None
    except ModelError as exc:
        return None, f"exemplars are the longest quotes, not the most central ones: {exc}"


def _records(frame: Any) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if hasattr(v, "item"):
            v = v.item()
        return None if isinstance(v, float) and math.isnan(v) else v

    return [{k: clean(v) for k, v in r.items()} for r in frame.to_dict("records")]


def _json(summary: Any, files: Any) -> dict[str, Any]:
    return {
        "source": summary.coding.label, "unconfirmed": summary.coding.unconfirmed,
        "codebook_version": summary.coding.codebook.version, "notes": list(summary.coding.notes),
        "workbook": str(files.workbook), "report": str(files.report), "charts": [str(p) for p in files.charts],
        "counts": _records(summary.counts), "overall": _records(summary.overall),
        "by": {g.attribute: {"counts": _records(g.counts), "comparison": _records(g.comparison)} for g in summary.groups},
        "phases": _records(summary.phases),
    }


@click.command("ratings")
@STUDY
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--analyst", default="", help="Name recorded with the ratings read in.")
def ratings_command(study_dir: Path, workbook: Path, analyst: str) -> None:
    """Read the ratings typed into a summary workbook's Ratings sheet into the study (changed ones only)."""
    with open_study(study_dir) as study:
        report = study.read_ratings(workbook, analyst)
    if report.status == "unchanged":
        click.echo(f"{workbook}: {report.rows} rows, no rating or note changed; nothing written")
        return
    cleared = f" ({report.cleared} cleared)" if report.cleared else ""
    click.echo(f"{workbook}: {report.rows} rows; stored {report.changed} changed ratings or notes{cleared}")
