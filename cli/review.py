"""The review commands: queue, confirm, decisions, import-decisions (thin wrappers)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.options import RAW_CSV, STUDY, split_names, verdict_counts, open_study
from pipeline.errors import DeductiveError, WorkbookError
from pipeline.untrusted import write_csv

__all__ = ["queue_command", "confirm_command", "decisions_command", "import_decisions_command"]


@click.command("queue")
@STUDY
@click.option("--coder", required=True, help="The coder who will review this workbook.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the .xlsx (default: DIR/data/review/queue-CODER-DATE-ID.xlsx).")
@click.option("--cases", multiple=True, help="Only these cases (repeat or separate with commas).")
@click.option("--codes", multiple=True, help="Only suggestions of these codes and their sub-codes (repeat or commas).")
@click.option("--limit", type=int, help="At most this many segments.")
@click.option("--order", type=click.Choice(["document", "score", "uncertainty"]), default="document", show_default=True,
              help="Document order, the most confident suggestions first, or the segments whose confirmation teaches the suggester most.")
@click.option("--include-uncoded/--only-suggested", "include_uncoded", default=None,
              help="Queue segments with no code suggested too, to add codes by hand (the default once there are "
                   "suggestions; without any, --include-uncoded queues every segment), or only those with a suggested code.")
@click.option("--requeue", is_flag=True, help="Also queue segments sent to this coder before but never decided.")
@click.option("--overlap", type=float, help="Share (0-1) of the queue that both --coder and --with review; the rest is split.")
@click.option("--with", "with_coder", help="The second coder for --overlap (gets a workbook of their own).")
@click.option("--run", "run_id", help="Suggestion run to queue (default: the latest for the codebook).")
@click.option("--codebook", "codebook_version", help="Codebook version or name (default: the latest).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed for choosing the --overlap share.")
def queue_command(study_dir: Path, coder: str, out: Path | None, cases: tuple[str, ...], codes: tuple[str, ...],
                  limit: int | None, order: str, include_uncoded: bool | None, requeue: bool, overlap: float | None,
                  with_coder: str | None, run_id: str | None, codebook_version: str | None, seed: int) -> None:
    """Write a review workbook of suggestions for a coder to accept, reject or add to in Excel."""
    from pipeline.review import QueueOptions

    options = QueueOptions(coder=coder, cases=split_names(cases), codes=split_names(codes), limit=limit, order=order,
                           include_uncoded=include_uncoded, requeue=requeue, overlap=overlap, with_coder=with_coder,
                           run_id=run_id, codebook_version=codebook_version, seed=seed)
    with open_study(study_dir) as study:
        written = study.queue(options, out)
    if not written:
        click.echo("nothing to queue: every matching segment is decided or already queued for this coder "
                   "(see --requeue, --include-uncoded)")
    for book in written:
        extra = f", {book.shared} shared with the other coder" if options.with_coder else ""
        click.echo(f"queued {book.segments} segments ({book.suggestions} suggestions{extra}) for {book.coder}: "
                   f"{book.path} (workbook {book.workbook_id})")
    if written:
        for line in written[0].left_out or ("every segment in scope was queued",):
            click.echo(f"  not queued: {line}" if written[0].left_out else f"  {line}")


@click.command("confirm")
@STUDY
@click.argument("workbooks", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def confirm_command(study_dir: Path, workbooks: tuple[Path, ...]) -> None:
    """Read returned review workbooks and append their decisions to the decision log."""
    failed = 0
    with open_study(study_dir) as study:
        for path in workbooks:
            try:
                report = study.confirm(path)
            except DeductiveError as exc:  # report this file; the other workbooks are still imported
                failed += 1
                click.echo(f"error: {exc}", err=True)
                continue
            if report.status == "already imported":
                click.echo(f"{path}: already imported (workbook {report.workbook_id}); nothing changed")
                continue
            counts = verdict_counts(report.counts)
            click.echo(f"{path}: workbook {report.workbook_id} ({report.coder}): {report.decided_rows} rows decided, "
                       f"{report.blank_rows} blank (still queued); {counts}"
                       + (f"; {report.unchanged} unchanged" if report.unchanged else ""))
            for warning in report.warnings:
                click.echo(f"warning: {warning}", err=True)
            for p in report.proposed:
                click.echo(f"{path}: row {p.row}: proposed new code '{p.label}' (not in the codebook) recorded "
                           f"for {report.coder}")
            if report.proposed:
                click.echo(f"review the proposals and add them with `deductive codebook accept-emergent {study_dir}`")
    if failed:
        click.echo(f"{failed} of {len(workbooks)} workbook(s) not imported (see the errors above); "
                   f"the others were", err=True)
        sys.exit(1)


@click.command("decisions")
@STUDY
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The CSV file to write.")
@click.option("--coder", help="Only this coder's decisions.")
@click.option("--history", is_flag=True, help="The whole append-only log, not just the current decisions.")
@RAW_CSV
def decisions_command(study_dir: Path, out: Path, coder: str | None, history: bool, raw: bool) -> None:
    """Export the current decisions (or the whole log) as a UTF-8 CSV (cells starting like a formula get a ' first)."""
    with open_study(study_dir) as study:
        table = study.decisions(coder=coder, history=history)
    write_csv(table, out, raw=raw)
    click.echo(f"wrote {len(table)} {'logged' if history else 'current'} decisions to {out}")


@click.command("import-decisions")
@STUDY
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coder", help="Record every row as decisions of this coder.")
@click.option("--coder-column", help="The column naming each row's coder (instead of --coder).")
@click.option("--code-column", required=True, help="The column with the code(s): id, 'Label [id]' or label; ';' between several.")
@click.option("--id-column", "id_columns", multiple=True, required=True,
              help="The column with the segment's external id (or segment id); repeat to join several with ':'.")
@click.option("--verdict-column", help="Column with accepted/rejected/added/none (default: every row is 'added').")
@click.option("--memo-column", help="Column with a memo for each row.")
@click.option("--none-value", help="A code cell equal to this (e.g. 'none') records 'no code applies'.")
@click.option("--codebook", "codebook_version", help="Codebook version or name the codes belong to (default: the latest).")
def import_decisions_command(study_dir: Path, table: Path, coder: str | None, coder_column: str | None,
                             code_column: str, id_columns: tuple[str, ...], verdict_column: str | None,
                             memo_column: str | None, none_value: str | None, codebook_version: str | None) -> None:
    """Record coding done elsewhere (another tool, gold labels) as decisions, validated like a workbook."""
    from pipeline.review import ImportOptions

    options = ImportOptions(code_column=code_column, id_columns=id_columns, coder=coder, coder_column=coder_column,
                            verdict_column=verdict_column, memo_column=memo_column, none_value=none_value,
                            codebook_version=codebook_version)
    with open_study(study_dir) as study:
        report = study.import_decisions(table, options)
    if report.status == "already imported":
        click.echo(f"{table}: already imported with these options; nothing changed")
        return
    counts = verdict_counts(report.counts)
    click.echo(f"{table}: {report.rows} rows ({report.skipped_blank} without a code skipped) for "
               f"{', '.join(report.coders) or 'nobody'}: {counts}" + (f"; {report.unchanged} unchanged" if report.unchanged else ""))
