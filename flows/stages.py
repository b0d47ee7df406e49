"""One flow per stage, and the steps they share with ``code_study``.

Each ``*_step`` function does a stage's work inside whatever flow run is active (so
``code_study`` runs them as one flow, without the cost of a sub-flow per stage); each
``*_flow`` wraps one step as a flow of its own, for running a single stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from prefect import flow

from pipeline.progress import report
from flows.settings import RESULTS_FOLDER
from flows.tasks import (
    TaskEmbedder, audit_study, embedder_identity, has_stage, import_workbook, parse_file,
    register_cases_task, segment_document, store_file, summarize_study, write_queue,
)
from pipeline.embed import EmbedSettings
from pipeline.errors import DeductiveError, WorkbookError
from pipeline.ingest.read import ReadOptions
from pipeline.outputs import record_outputs, saved_outputs
from pipeline.ingest.stage import Candidate, FileOutcome, IngestOptions, IngestReport, discover
from pipeline.study import Study
from pipeline.suggest.stage import SuggestReport

__all__ = [
    "open_study", "cached_embedder", "results_folder", "default_inputs", "read_options", "embed_settings",
    "ingest_step", "segment_step", "suggest_step", "queue_step", "confirm_step", "summarize_step", "audit_step",
    "ingest_flow", "segment_flow", "suggest_flow", "queue_flow", "confirm_flow", "summarize_flow", "audit_flow",
    "ConfirmOutcome", "Refresh", "EMBED_BATCH_TEXTS", "INPUT_FOLDER",
]

INPUT_FOLDER = Path("data") / "documents"  # where a study keeps its raw inputs
EMBED_BATCH_TEXTS = 256  # texts per embedding task: seconds of work, so task overhead stays small


def open_study(study_dir: Path | str, model: str | None = None) -> Study:
    """The study, with the embedding model overridden for this run if ``model`` is given."""
    study = Study(study_dir)
    study.settings = study.settings.override("embedding", model=model)
    return study


def results_folder(study: Study) -> Path:
    """Where pure tasks persist their results and cache records: inside the study."""
    return (study.root / RESULTS_FOLDER).resolve()


def default_inputs(study: Study) -> list[Path]:
    folder = study.root / INPUT_FOLDER
    return [folder] if folder.is_dir() else []


def read_options(study: Study, read: ReadOptions | None) -> ReadOptions:
    return read if read is not None else study.read_options()


def embed_settings(study: Study, threads: int | None = None) -> EmbedSettings:
    """The study's embedding settings; ``threads`` (per worker) overrides the configured count."""
    return study.settings.override("embedding", threads=threads or None).embedding


# --------------------------------------------------------------------------- steps


def ingest_step(study: Study, paths: Sequence[Path], read: ReadOptions | None = None) -> IngestReport:
    """Parse files concurrently (cached by content), store them one at a time.

    A file that cannot be parsed, or whose parse task fails for any other reason,
    becomes a failed outcome; the other files are still stored.
    """
    read = read_options(study, read)
    candidates, cases_file, skipped = discover([Path(p) for p in paths], None)
    added = register_cases_task(study, cases_file) if cases_file else ()
    options = IngestOptions(read=read, segment=study.settings.segment)
    parse = parse_file.with_options(result_storage=results_folder(study))
    futures = [parse.submit(c, read) for c in candidates]
    outcomes = list(skipped)
    for done, (candidate, future) in enumerate(zip(candidates, futures), start=1):
        parsed = _parsed_or_failure(candidate, future)
        outcomes.append(store_file(study, candidate, parsed, options))
        report("ingest", done, len(candidates))
    return IngestReport(tuple(outcomes), added)


def _parsed_or_failure(candidate: Candidate, future: Any) -> Any:
    """The parse result, or a failed outcome naming why the task failed (after retries)."""
    state = future.wait() or future.state
    if state.is_completed():
        return future.result()
    try:
        future.result(raise_on_failure=True)
    except Exception as exc:  # noqa: BLE001 - any task failure becomes this file's reason
        return FileOutcome(str(candidate.path), "failed", reason=f"{type(exc).__name__}: {exc}")
    return FileOutcome(str(candidate.path), "failed", reason=f"parse task ended {state.name}")


def segment_step(study: Study) -> int:
    """Give every current document the study's segmentation (one task per document that needs it)."""
    ids = study.stale_documents()
    changed = 0
    for done, doc_id in enumerate(ids, start=1):
        changed += 1 if segment_document(study, doc_id) else 0
        report("segment", done, len(ids))
    return changed


def suggest_step(study: Study, codebook: str | None = None, threads: int | None = None,
                 batch_texts: int = EMBED_BATCH_TEXTS) -> tuple[SuggestReport, TaskEmbedder]:
    """Embed what the store lacks (one task per batch), then suggest codes for new segments."""
    embedder = cached_embedder(study, threads, batch_texts)
    # Through the Study, so that a learned suggester is used (and refreshed) as in `deductive suggest`.
    return study.suggest(codebook, embedder=embedder), embedder


def cached_embedder(study: Study, threads: int | None = None, batch_texts: int = EMBED_BATCH_TEXTS) -> TaskEmbedder:
    settings = embed_settings(study, threads)
    return TaskEmbedder(embedder_identity(settings), settings, batch_texts,
                            on_batch=lambda done, total: report("embed", done, total),
                            result_storage=results_folder(study))


def queue_step(study: Study, coders: Sequence[str]) -> list[Any]:
    """Each coder's workbook of segments not yet queued for them; skipped without the review stage."""
    if not coders or not has_stage("pipeline.review"):
        return []
    return [book for coder in coders for book in write_queue(study, coder)]


@dataclass(frozen=True)
class ConfirmOutcome:
    path: str
    status: str  # imported | already imported | failed
    coder: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    reason: str = ""


def confirm_step(study: Study, workbooks: Sequence[Path]) -> list[ConfirmOutcome]:
    """Import returned workbooks one by one; a rejected workbook does not stop the others."""
    outcomes = []
    for path in workbooks:
        try:
            r = import_workbook(study, Path(path))
        except WorkbookError as exc:
            outcomes.append(ConfirmOutcome(str(path), "failed", reason=str(exc)))
            continue
        outcomes.append(ConfirmOutcome(str(path), r.status, r.coder, dict(r.counts)))
    return outcomes


@dataclass(frozen=True)
class Refresh:
    """Summary and audit files, and why a stage wrote nothing (no decisions yet, unchanged...)."""

    files: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def summarize_step(study: Study, embedder: Any = None) -> Refresh:
    """Refresh the summary when its inputs changed since the last one (or its files are gone)."""
    if not has_stage("pipeline.summarize"):
        return Refresh(notes=("summary skipped: this version has no summarize stage",))
    coders = _coders(study)
    stamp = study.outputs_stamp("summary")
    if stamp is None:
        return Refresh(notes=("summary skipped: no suggestions and no decisions yet",))
    saved = saved_outputs(_stamp_file(study, "summary"), stamp)
    if saved:
        return Refresh(saved, ("summary unchanged since the last run",))
    files = {k: str(v) for k, v in summarize_study(study, bool(coders), embedder).items()}
    record_outputs(_stamp_file(study, "summary"), stamp, files)
    note = () if coders else ("summary is of the unconfirmed suggestions: no decisions yet",)
    return Refresh(files, note)


def audit_step(study: Study) -> Refresh:
    """Refresh the audit once at least one coder has decisions (compared with the model, and each other)."""
    if not has_stage("pipeline.audit"):
        return Refresh(notes=("audit skipped: this version has no audit stage",))
    coders = _coders(study)
    if not coders:
        return Refresh(notes=("audit skipped: no decisions yet",))
    stamp = study.outputs_stamp("audit")
    saved = saved_outputs(_stamp_file(study, "audit"), stamp)
    if saved:
        return Refresh(saved, ("audit unchanged since the last run",))
    try:
        files = {k: str(v) for k, v in audit_study(study).items()}
    except DeductiveError as exc:  # e.g. no segment decided by all coders yet
        return Refresh(notes=(f"audit skipped: {exc}",))
    record_outputs(_stamp_file(study, "audit"), stamp, files)
    return Refresh(files)


def _coders(study: Study) -> list[str]:
    if not has_stage("pipeline.review"):
        return []
    return study.coders()


def _stamp_file(study: Study, stage: str) -> Path:
    return results_folder(study) / f"{stage}-inputs.json"


# --------------------------------------------------------------------------- one flow per stage


@flow(name="ingest")
def ingest_flow(study_dir: Path, paths: list[Path] | None = None, read: ReadOptions | None = None) -> IngestReport:
    """Ingest new and changed files (default: the study's data/documents folder)."""
    with open_study(study_dir) as study:
        return ingest_step(study, paths or default_inputs(study), read)


@flow(name="segment")
def segment_flow(study_dir: Path) -> int:
    """Re-segment documents whose segmentation differs from the study's settings."""
    with open_study(study_dir) as study:
        return segment_step(study)


@flow(name="suggest")
def suggest_flow(study_dir: Path, model: str | None = None, codebook: str | None = None) -> SuggestReport:
    """Embed and suggest codes for segments the current run has not seen."""
    with open_study(study_dir, model) as study:
        return suggest_step(study, codebook)[0]


@flow(name="queue")
def queue_flow(study_dir: Path, coders: list[str]) -> list[Any]:
    """Write each coder's review workbook."""
    with open_study(study_dir) as study:
        return queue_step(study, coders)


@flow(name="confirm")
def confirm_flow(study_dir: Path, workbooks: list[Path]) -> list[ConfirmOutcome]:
    """Append the decisions of returned review workbooks."""
    with open_study(study_dir) as study:
        return confirm_step(study, workbooks)


@flow(name="summarize")
def summarize_flow(study_dir: Path, model: str | None = None) -> Refresh:
    """Refresh the case and cross-case summaries from the decisions so far."""
    with open_study(study_dir, model) as study:
        return summarize_step(study, cached_embedder(study))


@flow(name="audit")
def audit_flow(study_dir: Path) -> Refresh:
    """Measure agreement between coders, and between each coder and the model."""
    with open_study(study_dir) as study:
        return audit_step(study)
