"""The suggest stage: run the suggester over a study's segments and store the results.

A run is identified by the codebook version, the embedding model's identity, the method
and its parameters. Re-running with the same inputs adds suggestions only for segments
the run has not seen (on the calibration stored with the run), so results reproduce;
a new codebook or model makes a new run and keeps the old one.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook
from pipeline.config import SuggestSettings
from pipeline.errors import InputError
from pipeline.store import Store
from pipeline.suggest.scoring import DEFAULT_WEIGHTS, EXCLUSION_WEIGHT, Z_OFFSET, Z_SLOPE, Calibration, CodebookSuggester, choose
from pipeline.embed.cache import TextEmbedder, embed_cached

if TYPE_CHECKING:
    from pipeline.suggest.training import LearnedModel

# The learner (scikit-learn) is imported where a learned model is used, so the review
# commands, which import latest_run from here, start without scikit-learn.

__all__ = ["SuggestReport", "suggest_segments", "latest_run", "suggestions_frame", "METHOD"]

METHOD = "definition-similarity-v1"
SCORE_CHUNK = 20_000  # segments scored and stored per step: bounds the score matrices and rows in memory
LEARNED_METHOD = "learned-blend-v1"
UNTRUSTED_CAP = 0.5
# all-MiniLM-L6-v2 reads at most 256 word pieces; about 4 characters each in English.
WINDOW_CHARS = 1000


@dataclass(frozen=True)
class SuggestReport:
    run_id: str
    codebook_version: str
    model: str
    segments: int
    new_segments: int
    embedded_now: int
    shown: int
    no_code: int
    too_long: int
    seconds: float


def _run_id(codebook_version: str, model: str, params: dict) -> str:
    payload = json.dumps([codebook_version, model, METHOD, params], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _params(settings: SuggestSettings) -> dict:
    return {
        "top_k": settings.top_k,
        "threshold": settings.threshold,
        "weights": DEFAULT_WEIGHTS,
        "exclusion_weight": EXCLUSION_WEIGHT,
        "z_offset": Z_OFFSET,
        "z_slope": Z_SLOPE,
    }


def suggest_segments(
    store: Store,
    codebook: Codebook,
    embedder: TextEmbedder,
    settings: SuggestSettings,
    learned: LearnedModel | None = None,
) -> SuggestReport:
    """Suggest codes for every current segment the run has not yet seen.

    With a learned model, confirmed examples join the codes' texts and the classifier's
    probabilities are blended in (pipeline.suggest.learner); codes it could not show to be better
    than chance are capped at UNTRUSTED_CAP so they are never shown as confident.
    """
    started = time.perf_counter()
    version = codebook.version  # confirmed examples below do not make a new codebook version
    if learned is not None:
        from pipeline.suggest.training import with_examples

        codebook = with_examples(codebook, learned.card["confirmed_examples"])
    segments = store.query("SELECT id, text FROM current_segments ORDER BY document_id, seq")
    if not segments:
        raise InputError("the study has no segments; ingest documents first (`deductive ingest DIR PATH`)")
    params = _params(settings)
    if learned is not None:
        params.update(learned_model=learned.id, untrusted=learned.untrusted, untrusted_cap=UNTRUSTED_CAP)
    run_id = _run_id(version, embedder.identity, params)
    run = store.conn.execute("SELECT params FROM suggestion_runs WHERE id = ?", (run_id,)).fetchone()
    done = {r[0] for r in store.query("SELECT DISTINCT segment_id FROM suggestions WHERE run_id = ?", (run_id,))}
    todo = [s for s in segments if s["id"] not in done]
    embedded = 0

    def embed(texts: list[str]) -> np.ndarray:
        nonlocal embedded
        vectors, count = embed_cached(store, embedder, texts)
        embedded += count
        return vectors

    calibration = Calibration.from_dict(json.loads(run["params"])["calibration"]) if run else None
    if calibration is None:
        background = embed([s["text"] for s in segments])  # the background is every segment
        # The rows still to do of the one vector array: no second copy when that is all of them.
        rows = [i for i, s in enumerate(segments) if s["id"] not in done]
        X = background if len(rows) == len(segments) else background[rows]
    else:
        X = embed([s["text"] for s in todo]) if todo else None
        background = np.zeros((0, 0))
    suggester = CodebookSuggester(settings.top_k, settings.threshold).fit(codebook, embed, background, calibration)
    if X is None:
        X = np.zeros((0, suggester.text_vectors_.shape[1]), np.float32)
    counts = {"shown": 0, "no_code": 0}

    def rows(start: int) -> Iterator[tuple]:
        """Suggestion rows of SCORE_CHUNK segments from ``start``, made as they are stored:
        a list of every row of a large study (~10 per segment) took more memory than its vectors."""
        chunk = todo[start:start + SCORE_CHUNK]
        for segment, row in zip(chunk, _choose(suggester, X[start:start + SCORE_CHUNK], learned, settings)):
            for choice in row:
                code = None if choice.code is None else suggester.codes_[choice.code]
                counts["no_code"] += code is None
                counts["shown"] += bool(choice.suggested) and code is not None
                sid = hashlib.sha256(f"{run_id}\0{segment['id']}\0{choice.rank}".encode()).hexdigest()[:16]
                yield (sid, run_id, segment["id"], code, choice.rank, choice.raw, choice.score, int(choice.suggested))

    with store.transaction() as conn:
        if run is None:
            conn.execute(
                "INSERT INTO suggestion_runs(id, codebook_version, model, method, params) VALUES (?,?,?,?,?)",
                (run_id, version, embedder.identity, METHOD if learned is None else LEARNED_METHOD,
                 json.dumps({**params, "codes": suggester.codes_, "calibration": suggester.calibration_.to_dict()})),
            )
        for start in range(0, len(todo), SCORE_CHUNK):
            conn.executemany(
                "INSERT INTO suggestions(id, run_id, segment_id, code_id, rank, raw_score, score, suggested)"
                " VALUES (?,?,?,?,?,?,?,?)",
                rows(start),
            )
    shown, no_code = counts["shown"], counts["no_code"]
    too_long = sum(1 for s in todo if len(s["text"]) > WINDOW_CHARS)
    return SuggestReport(run_id, version, embedder.identity, len(segments), len(todo), embedded,
                         shown, no_code, too_long, time.perf_counter() - started)


def _choose(suggester: CodebookSuggester, X: np.ndarray, learned: LearnedModel | None, settings: SuggestSettings) -> list:
    raw = suggester.raw_scores(X)
    scores = suggester.calibration_.transform(raw)
    if learned is not None and len(X):
        from pipeline.suggest.learner import blend

        model = learned.model
        order = [model.codes_.index(c) if c in model.codes_ else None for c in suggester.codes_]
        proba = model.predict_proba(X)
        aligned = np.column_stack([proba[:, j] if j is not None else np.full(len(X), np.nan) for j in order])
        weights = np.array([model.weights()[j] if j is not None else 0.0 for j in order])
        scores = blend(scores, aligned, weights)
        for j, code in enumerate(suggester.codes_):
            if code in learned.untrusted:
                scores[:, j] = np.minimum(scores[:, j], UNTRUSTED_CAP)
    return choose(raw, scores, suggester.groups_, suggester.free_, settings.top_k, settings.threshold)


def latest_run(store: Store, codebook_version: str | None = None) -> str | None:
    """The newest suggestion run (of a codebook version, if given)."""
    sql = "SELECT id FROM suggestion_runs"
    args: tuple = ()
    if codebook_version:
        sql += " WHERE codebook_version = ?"
        args = (codebook_version,)
    row = store.conn.execute(sql + " ORDER BY created_at DESC, rowid DESC LIMIT 1", args).fetchone()
    return None if row is None else str(row[0])


SUGGESTION_COLUMNS = ["segment_id", "external_id", "case", "document", "speaker", "text", "code", "score", "rank", "suggested", "raw_score", "run_id"]


def suggestions_frame(store: Store, run_id: str, shown_only: bool = True) -> pd.DataFrame:
    """The run's suggestions joined with their segments, for export and evaluation."""
    rows = store.query(
        "SELECT g.segment_id, s.external_id, d.case_name AS 'case', d.source_key AS document, s.speaker, s.text,"
        " g.code_id AS code, g.score, g.rank, g.suggested, g.raw_score, g.run_id"
        " FROM suggestions g JOIN segments s ON s.id = g.segment_id JOIN documents d ON d.id = s.document_id"
        " WHERE g.run_id = ?" + (" AND g.suggested = 1" if shown_only else "") + " ORDER BY d.case_name, d.source_key, s.seq, g.rank",
        (run_id,),
    )
    return pd.DataFrame([dict(r) for r in rows], columns=SUGGESTION_COLUMNS)

