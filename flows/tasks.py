"""Prefect tasks: each one a short call into ``pipeline``.

Two kinds of task, kept apart on purpose:

- pure tasks (``parse_file``, ``embed_batch``) touch no store. They run concurrently on
  the flow's task runner (threads, or Dask workers), are retried on failure, and are
  cached on their inputs' content: the cache key is a hash of the file bytes (or the
  texts), the options and the identity of the code or model that does the work, and
  their results are persisted under the study's ``.prefect-results`` folder.
- store tasks (``store_file``, ``segment_document``, ``write_queue``...)
  write to the study's SQLite store, which has one writer. Flows call them directly, so
  they run one after another in the flow's process. They are not cached by Prefect: the
  store is content-addressed itself (a document whose text hash and segmentation id are
  stored is skipped, an embedding is stored once per text hash and model), and a
  skipped write must never be decided by a cache that can outlive the store.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from pipeline.embed import FAKE_MODEL, EmbedSettings, FakeEmbedder, load_embedder, resolve_model
from pipeline.ingest.read import ReadOptions
from pipeline.errors import ModelError
from pipeline.ingest.stage import Candidate, FileOutcome, IngestOptions, parse_candidate
from pipeline import outputs
from pipeline.study import Study
from pipeline.embed.cache import embedding_key

__all__ = [
    "parse_file", "store_file", "register_cases_task", "segment_document", "embed_batch",
    "write_queue", "import_workbook", "summarize_study", "audit_study",
    "parse_cache_key", "embed_cache_key", "code_digest", "embedder_identity", "TaskEmbedder",
    "has_stage", "TransientReadError",
]

PARSE_RETRIES = 2
EMBED_RETRIES = 1


class TransientReadError(OSError):
    """A file could not be read (locked, still being copied): worth another try."""


# --------------------------------------------------------------------------- identities


@lru_cache(maxsize=8)
def code_digest(package: str) -> str:
    """Hash of a package's source files, so a changed reader invalidates parse results."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return "missing"
    return outputs.code_digest(Path(next(iter(spec.submodule_search_locations))))


def embedder_identity(settings: EmbedSettings) -> str:
    """The model identity the store's embedding cache is keyed on, without loading torch."""
    if settings.model == FAKE_MODEL:
        return FakeEmbedder().identity
    return resolve_model(settings.model).identity(settings.backend)


def has_stage(module: str) -> bool:
    """Whether a pipeline stage (e.g. ``pipeline.summarize``) is installed in this version."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


# --------------------------------------------------------------------------- parse


def parse_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """File bytes + where it is + read options + reader code: any change re-parses."""
    candidate: Candidate = parameters["candidate"]
    options: ReadOptions = parameters["read"]
    try:
        content = hashlib.sha256(candidate.path.read_bytes()).hexdigest()
    except OSError:
        content = f"unreadable-{context.task_run.id}"  # never a cache hit
    return "parse-" + _key(str(candidate.path.resolve()), content, asdict(options), code_digest("pipeline.ingest"))


@task(name="parse", cache_key_fn=parse_cache_key, persist_result=True,
      retries=PARSE_RETRIES, retry_delay_seconds=1, task_run_name="parse {candidate.rest}")
def parse_file(candidate: Candidate, read: ReadOptions) -> Any:
    """Read one file into documents (no store): its documents and file hash, or a failed outcome."""
    result = parse_candidate(candidate, IngestOptions(read=read))
    if isinstance(result, FileOutcome) and result.reason.startswith("cannot read the file"):
        raise TransientReadError(f"{candidate.path}: {result.reason}")  # retried, then reported
    return result


@task(name="register-cases", cache_policy=NO_CACHE)
def register_cases_task(study: Study, cases_file: Path) -> tuple[str, ...]:
    return study.register_cases(cases_file)


@task(name="store", cache_policy=NO_CACHE, task_run_name="store {candidate.rest}")
def store_file(study: Study, candidate: Candidate, parsed: Any, options: IngestOptions) -> FileOutcome:
    """Store one parsed file in one transaction; its new documents are segmented there too."""
    if isinstance(parsed, FileOutcome):
        return parsed
    return study.store_parsed(candidate, parsed, options)


# --------------------------------------------------------------------------- segment


@task(name="segment", cache_policy=NO_CACHE, task_run_name="segment {document_id}")
def segment_document(study: Study, document_id: str) -> int:
    """Give one document the study's current segmentation; 0 if it already has it."""
    return study.segment_document(document_id)


# --------------------------------------------------------------------------- embed


# One model per process and one batch at a time through it: the model already uses the
# configured number of threads, so concurrent batches would only oversubscribe the cores.
_EMBED_LOCK = threading.Lock()


@lru_cache(maxsize=2)
def _embedder(settings: EmbedSettings) -> Any:
    return load_embedder(settings)


def embed_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Text hashes + model identity: the same batch under the same model is never embedded twice."""
    hashes = [embedding_key(t) for t in parameters["texts"]]
    return "embed-" + _key(parameters["identity"], hashes)


@task(name="embed", cache_key_fn=embed_cache_key, persist_result=True,
      retries=EMBED_RETRIES, retry_delay_seconds=1)
def embed_batch(texts: list[str], settings: EmbedSettings, identity: str) -> np.ndarray:
    """Vectors for one batch of segment texts (no store; runs on any worker)."""
    return _embed_here(texts, settings, identity)


def _embed_here(texts: list[str], settings: EmbedSettings, identity: str) -> np.ndarray:
    # A module-level helper, so that Dask pickles the task by reference, without the lock.
    with _EMBED_LOCK:
        model = _embedder(settings)
        if model.identity != identity:
            raise ModelError(f"the model loaded here is {model.identity}, the run expects {identity}; "
                             "use the same model files on every worker")
        return np.asarray(model.embed(texts), dtype=np.float32)


# Enough batches for a few Dask workers to share; few enough that orchestration is cheap.
MAX_EMBED_TASKS = 8


class TaskEmbedder:
    """The embedder the suggest stage sees: it sends texts to ``embed_batch`` tasks.

    ``suggest_segments`` embeds through the store's cache, so only texts the store lacks
    reach ``embed``; they are sorted by length (less padding) and cut into at most
    ``MAX_EMBED_TASKS`` batches of at least ``batch_texts``, one task each, which the
    flow's task runner spreads over its threads or Dask workers. Each task run costs a
    few hundred milliseconds of orchestration, so a large corpus gets large batches
    rather than many tasks. ``on_batch(done, total)`` reports progress.
    """

    def __init__(self, identity: str, settings: EmbedSettings, batch_texts: int,
                 on_batch: Callable[[int, int], None] | None = None, result_storage: Path | None = None) -> None:
        self.identity = identity
        self.settings = settings
        self.batch_texts = batch_texts
        self.on_batch = on_batch
        self.task = embed_batch.with_options(result_storage=result_storage) if result_storage else embed_batch
        self.embedded = 0
        self.batches = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = max(self.batch_texts, -(-len(texts) // MAX_EMBED_TASKS))
        chunks = [order[i:i + size] for i in range(0, len(order), size)]
        futures = [self.task.submit([texts[i] for i in rows], self.settings, self.identity) for rows in chunks]
        out: np.ndarray | None = None
        for done, (rows, future) in enumerate(zip(chunks, futures), start=1):
            vectors = future.result()
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
            if self.on_batch:
                self.on_batch(done, len(chunks))
        self.embedded += len(texts)
        self.batches += len(chunks)
        assert out is not None
        return out


# --------------------------------------------------------------------------- review, summaries, audit


@task(name="queue", cache_policy=NO_CACHE, task_run_name="queue for {coder}")
def write_queue(study: Study, coder: str) -> list[Any]:
    """Write ``coder``'s workbook of segments not yet queued for them ([] if none)."""
    from pipeline.review import QueueOptions

    # Every segment in scope, as `deductive queue` does by default (issue 15); what is left
    # out (decided before, spoken by an interviewer) is counted on the Instructions sheet.
    return study.queue(QueueOptions(coder=coder))


@task(name="confirm", cache_policy=NO_CACHE, task_run_name="confirm {path.name}")
def import_workbook(study: Study, path: Path) -> Any:
    """Append a returned workbook's decisions (a no-op if it was imported before)."""
    return study.confirm(path)


@task(name="summarize", cache_policy=NO_CACHE)
def summarize_study(study: Study, confirmed: bool, embedder: Any) -> dict[str, Path]:
    """Write the summary workbook and HTML report: from the decisions so far, or else
    (labelled unconfirmed) from the suggestions. Returns the files written."""
    from pipeline.summarize import SourceOptions, SummaryOptions

    source = SourceOptions(source="confirmed", any_coder=True) if confirmed else SourceOptions(source="suggested")
    files = study.write_summary(study.summarize(SummaryOptions(source=source), embedder=embedder))
    return {"summary workbook": files.workbook, "summary report": files.report}


@task(name="audit", cache_policy=NO_CACHE)
def audit_study(study: Study) -> dict[str, Path]:
    """Agreement between the coders, and with the model's suggestions; returns the files written."""
    from pipeline.audit import AuditOptions

    paths = study.write_audit(study.audit(AuditOptions(include_model=True)))
    return {"audit report": paths["html"], "audit workbook": paths["workbook"]}
