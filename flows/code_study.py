"""``code_study``: the whole run, as one flow.

Ingest new or changed documents, segment them, embed and suggest, write the coders'
queues, and refresh summaries and audit from the decisions so far. Failed documents are
listed in the report (and its artifact) without stopping the run; the CLI turns them
into a non-zero exit.

    from flows.settings import configure; configure(study_dir)   # before Prefect is imported
    from flows.code_study import run_code_study
    report = run_code_study(study_dir, coders=["ana", "ben"], dask_workers=2)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from flows.stages import (
    audit_step, default_inputs, ingest_step, open_study, queue_step, segment_step, suggest_step, summarize_step,
)
from pipeline.ingest.read import ReadOptions
from pipeline.ingest.stage import FileOutcome, IngestReport
from pipeline.study import Study
from pipeline.suggest.stage import SuggestReport

__all__ = ["RunReport", "code_study", "run_code_study", "task_runner", "worker_threads", "output_paths"]


@dataclass(frozen=True)
class RunReport:
    """What one ``code_study`` run did; ``failed`` lists the documents it could not ingest."""

    study: str
    ingest: IngestReport
    resegmented: int
    suggest: SuggestReport | None
    embedded: int  # texts sent to the model in this run (0 when everything was cached)
    embed_batches: int
    queues: tuple[str, ...] = ()
    outputs: dict[str, str] = field(default_factory=dict)  # name -> file (summary workbook, report ...)
    suggestions_per_code: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def failed(self) -> tuple[FileOutcome, ...]:
        return self.ingest.failed

    @property
    def ok(self) -> bool:
        return not self.failed


@flow(name="code_study")
def code_study(
    study_dir: Path,
    paths: list[Path] | None = None,
    read: ReadOptions | None = None,
    coders: list[str] | None = None,
    model: str | None = None,
    codebook: str | None = None,
    embed_threads: int | None = None,
) -> RunReport:
    """Run every stage over the study's inputs (default: DIR/data/documents).

    model: override the study's embedding model for this run ("fake" in tests).
    coders: write a review workbook for each. embed_threads: threads per embedding worker.
    """
    started = time.perf_counter()
    with open_study(study_dir, model) as study:
        ingested = ingest_step(study, paths or default_inputs(study), read)
        resegmented = segment_step(study)
        suggested, embedder = _suggest_if_possible(study, codebook, embed_threads)
        queues = queue_step(study, coders or [])
        summary = summarize_step(study, embedder)
        audited = audit_step(study)
        per_code = _per_code(study, suggested)
        report = RunReport(str(study.root), ingested, resegmented, suggested,
                           embedder.embedded if embedder else 0, embedder.batches if embedder else 0,
                           tuple(str(q.path) for q in queues), {**summary.files, **audited.files}, per_code,
                           summary.notes + audited.notes + _left_out(queues), time.perf_counter() - started)
    _artifacts(report)
    return report


def _suggest_if_possible(study: Study, codebook: str | None, threads: int | None) -> tuple[SuggestReport | None, Any]:
    """Nothing to suggest for a study without segments yet (e.g. every file failed)."""
    if not study.has_segments():
        return None, None
    return suggest_step(study, codebook, threads)


def _per_code(study: Study, suggested: SuggestReport | None) -> dict[str, int]:
    if suggested is None:
        return {}
    frame = study.suggestions(suggested.run_id)
    counts = frame["code"].fillna("(no code)").value_counts().sort_index()
    return {str(code): int(n) for code, n in counts.items()}


def _left_out(queues: list) -> tuple[str, ...]:
    """The segments each queue left out, and why (also on the workbook's Instructions sheet)."""
    return tuple(f"queue for {q.coder}: not queued: {line}" for q in queues for line in getattr(q, "left_out", ()))


def output_paths(report: RunReport) -> dict[str, str]:
    """Every file a person opens next: queues first, then summaries and reports."""
    named = {f"queue {Path(q).stem}": q for q in report.queues}
    return {**named, **report.outputs}


# --------------------------------------------------------------------------- artifacts


def _artifacts(report: RunReport) -> None:
    """Leave tables and links in the Prefect UI (under Artifacts, and on the flow run)."""
    root = Path(report.study)
    rows = [
        {"file": _relative(o.path, root), "status": o.status, "documents": o.documents,
         "segments": o.segments, "reason": o.reason}
        for o in report.ingest.outcomes
    ]
    create_table_artifact(rows or [{"file": "(no files)"}], key="deductive-documents",
                          description=f"Documents processed in {root.name}: {len(report.failed)} failed")
    per_code = [{"code": c, "suggestions shown": n} for c, n in report.suggestions_per_code.items()]
    create_table_artifact(per_code or [{"code": "(no suggestions)"}], key="deductive-suggestions-per-code",
                          description="Suggestions shown to coders, per code, in the latest run")
    links = output_paths(report)
    lines = [f"# Outputs of {root.name}", ""]
    lines += [f"- {name}: [{Path(p).name}]({Path(p).resolve().as_uri()})" for name, p in links.items()]
    if not links:
        lines.append("- no queue, summary or report was written in this run")
    if report.failed:
        lines += ["", "## Documents that failed", ""]
        lines += [f"- `{_relative(o.path, root)}`: {o.reason}" for o in report.failed]
    create_markdown_artifact("\n".join(lines), key="deductive-outputs", description="Queue workbooks and reports")


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


# --------------------------------------------------------------------------- running


def worker_threads(configured: int, workers: int | None) -> int | None:
    """Threads for each embedding worker, so that workers x threads fits the cores."""
    if not workers:
        return configured or None
    return max(1, (configured or os.cpu_count() or 1) // workers)


def task_runner(dask_address: str | None = None, dask_workers: int | None = None) -> Any:
    """Threads in this process by default; a Dask cluster when asked (address, or N local workers)."""
    if dask_address or dask_workers:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        # One thread per worker process: the embedding model gets its threads from us.
        return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1,
                                              "processes": True, "host": "127.0.0.1", "dashboard_address": None})
    return ThreadPoolTaskRunner(max_workers=os.cpu_count() or 1)


def run_code_study(study_dir: Path | str, *, paths: Sequence[Path] | None = None, read: ReadOptions | None = None,
                   coders: Sequence[str] = (), model: str | None = None, codebook: str | None = None,
                   dask_address: str | None = None, dask_workers: int | None = None) -> RunReport:
    """Run ``code_study`` on the chosen task runner; returns its report."""
    study_dir = Path(study_dir)
    with open_study(study_dir, model) as study:
        configured = study.settings.embedding.threads
    threads = worker_threads(configured, dask_workers if not dask_address else None)
    runner = task_runner(dask_address, dask_workers)
    return code_study.with_options(task_runner=runner)(
        study_dir, list(paths) if paths else None, read, list(coders), model, codebook, threads)
