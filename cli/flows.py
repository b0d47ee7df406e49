"""The flow commands: run, demo, serve (thin wrappers over the Prefect flows in ``flows/``).

The library never imports Prefect; these commands import ``flows`` inside their bodies,
after ``flows.settings.configure`` has set Prefect's environment for the study.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cli.options import STUDY
from cli.progress import shown

__all__ = ["run_command", "demo_command", "serve_command"]

MODEL = click.option("--model", help="Embedding model for this run: the packaged default, a local path, or 'fake'.")
CODERS = click.option("--coder", "coders", multiple=True,
                      help="Write a review workbook for this coder (repeat for several).")


def _prepare(study_dir: Path, verbose: bool) -> None:
    from flows.settings import check_loopback, configure

    configure(study_dir, quiet=not verbose)
    check_loopback()


def _print_run(report: Any) -> None:
    from flows.code_study import output_paths

    ing = report.ingest
    counts = {s: sum(o.status == s for o in ing.outcomes) for s in ("new", "new version", "resegmented", "unchanged")}
    click.echo("documents: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + f", {len(report.failed)} failed")
    if report.suggest is not None:
        s = report.suggest
        click.echo(f"suggestions: run {s.run_id}, {s.new_segments} of {s.segments} segments new, "
                   f"{report.embedded} texts embedded in {report.embed_batches} batch task(s), {s.shown} shown")
    for note in report.notes:
        click.echo(f"note: {note}")
    for name, path in output_paths(report).items():
        click.echo(f"{name}: {path}")
    click.echo(f"finished in {report.seconds:.1f} s")


def _fail_on_bad_documents(report: Any) -> None:
    if report.failed:
        click.echo(f"{len(report.failed)} document(s) failed (the others were processed):", err=True)
        for outcome in report.failed:
            click.echo(f"  {outcome.path}: {outcome.reason}", err=True)
        sys.exit(1)


@click.command("run")
@STUDY
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@CODERS
@MODEL
@click.option("--codebook", "codebook_version", help="Codebook version or name (default: the latest added).")
@click.option("--dask-address", help="Run the tasks on an existing Dask cluster (e.g. tcp://10.0.0.5:8786).")
@click.option("--dask-workers", type=click.IntRange(min=1), help="Start a local Dask cluster with N worker processes.")
@click.pass_context
def run_command(ctx: click.Context, study_dir: Path, paths: tuple[Path, ...], coders: tuple[str, ...],
                model: str | None, codebook_version: str | None, dask_address: str | None,
                dask_workers: int | None) -> None:
    """Run the whole study as a Prefect flow: ingest new or changed files (default: DIR/data/documents), segment, suggest, queue, summarize, audit."""
    _prepare(study_dir, bool(ctx.obj and ctx.obj.get("verbose")))
    from flows.code_study import run_code_study

    with shown():
        report = run_code_study(study_dir, paths=list(paths) or None, coders=coders, model=model,
                                codebook=codebook_version, dask_address=dask_address, dask_workers=dask_workers)
    _print_run(report)
    _fail_on_bad_documents(report)


@click.command("demo")
@click.argument("study_dir", metavar="[DIR]", required=False, type=click.Path(file_okay=False, path_type=Path))
@MODEL
@click.pass_context
def demo_command(ctx: click.Context, study_dir: Path | None, model: str | None) -> None:
    """Copy the demo study into DIR (default: a new ./deductive-demo folder) and code it end to end."""
    from pipeline.errors import StudyError

    from_repo = study_dir is None
    study_dir = study_dir or _default_demo_dir()
    if study_dir.exists() and any(study_dir.iterdir()):
        raise StudyError(f"{study_dir}: the folder is not empty; give a new folder for the demo")
    _prepare(study_dir, bool(ctx.obj and ctx.obj.get("verbose")))
    from flows.demo import demo_flow, prepare_demo, repository_root
    from pipeline.embed import DEFAULT_MODEL

    prepare_demo(study_dir)
    click.echo(f"demo study: {study_dir}{' (a new folder)' if from_repo else ''}")
    reviews = repository_root() / "data" / "reviews"
    # The coders filled workbooks queued from the packaged model's suggestions; another
    # model makes other suggestions, so their keys would not match.
    use_reviews = reviews.is_dir() and model in (None, DEFAULT_MODEL)
    with shown():
        report = demo_flow(study_dir, reviews if use_reviews else None, model)
    _print_run(report.run)
    if not reviews.is_dir():
        click.echo(f"note: no pre-filled review workbooks at {reviews}; skipped importing the coders' decisions")
    elif not use_reviews:
        click.echo(f"note: the coders' workbooks in {reviews} were filled from the packaged model's suggestions; "
                   f"with --model {model} they do not match, so they were not imported")
    for outcome in report.reviews:
        detail = outcome.reason if outcome.status == "failed" else f"{outcome.coder}: {outcome.counts}"
        click.echo(f"review {Path(outcome.path).name}: {outcome.status} ({detail})")
    click.echo("\nwhere to look:")
    for name, path in report.outputs.items():
        click.echo(f"  {name}: {path}")
    _fail_on_bad_documents(report.run)
    if any(o.status == "failed" for o in report.reviews):
        sys.exit(1)


def _default_demo_dir() -> Path:
    """./deductive-demo, or -2, -3 ... if taken: the demo never writes into an existing study."""
    candidate, n = Path("deductive-demo"), 1
    while candidate.exists():
        n += 1
        candidate = Path(f"deductive-demo-{n}")
    return candidate


@click.command("serve")
@STUDY
@click.option("--inbox", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to watch; put files in a sub-folder named after their case (or add a cases.csv).")
@click.option("--interval", type=click.FloatRange(min=1), default=30, show_default=True,
              help="Seconds between checks of the inbox; a run starts when a file was added or changed.")
@CODERS
@MODEL
@click.pass_context
def serve_command(ctx: click.Context, study_dir: Path, inbox: Path, interval: float, coders: tuple[str, ...],
                  model: str | None) -> None:
    """Keep running: code new or changed files dropped into the inbox, until Ctrl+C."""
    from pipeline.study import Study

    Study(study_dir).close()  # a clear error now rather than on the first run
    _prepare(study_dir, bool(ctx.obj and ctx.obj.get("verbose")))
    from flows.inbox import watch_inbox

    def report(run: Any) -> None:
        _print_run(run)
        click.echo(f"watching {inbox} again; Ctrl+C stops")

    click.echo(f"watching {inbox} every {interval:g} s for {study_dir}; Ctrl+C stops")
    try:
        runs = watch_inbox(study_dir, inbox, interval, coders=coders, model=model, on_run=report)
    except KeyboardInterrupt:
        click.echo(f"\nstopped; results are in {study_dir} (summary and audit under its results folder)")
        return
    click.echo(f"stopped after {runs} run(s)")
