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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook
from pipeline.config import RoleSettings, SuggestSettings
from pipeline.errors import InputError
from pipeline.store import Store
from pipeline.suggest.scoring import PARAMETERS, Calibration, CodebookSuggester
from pipeline.embed.cache import TextEmbedder, embed_cached
from pipeline.suggest.units import load_layout  # issue 13: speaker scope, units, hierarchy

if TYPE_CHECKING:
    from pipeline.suggest.training import LearnedModel

# The learner (scikit-learn) is imported where a learned model is used, so the review
# commands, which import latest_run from here, start without scikit-learn.

__all__ = ["SuggestReport", "suggest_segments", "latest_run", "suggestions_frame", "METHOD"]

METHOD = "definition-similarity-v2"
LEARNED_METHOD = "learned-mix-v2"
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
        "scoring": PARAMETERS,
    }


def suggest_segments(
    store: Store,
    codebook: Codebook,
    embedder: TextEmbedder,
    settings: SuggestSettings,
    learned: LearnedModel | None = None,
    roles: RoleSettings | None = None,
) -> SuggestReport:
    """Suggest codes for every current segment the run has not yet seen.

    With a learned model, its scores replace the zero-shot ones (pipeline.suggest.learner);
    codes it could not show to be better than chance are capped at UNTRUSTED_CAP so they
    are never shown as confident. The run records the segments the model was trained on
    (``trained_on``), so evaluation and audits can leave them out.
    """
    started = time.perf_counter()
    version = codebook.version
    segments = store.query("SELECT id, text FROM current_segments ORDER BY document_id, seq")
    if not segments:
        raise InputError("the study has no segments; ingest documents first (`deductive ingest DIR PATH`)")
    # --- units and scope (pipeline.suggest.units): checked before anything is embedded or stored
    layout = load_layout(store, codebook, roles or RoleSettings())
    params = {**_params(settings), **layout.params()}
    if learned is not None:
        params.update(learned_model=learned.id, untrusted=learned.untrusted, untrusted_cap=UNTRUSTED_CAP,
                      trained_on=learned.trained_on)
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
        vectors = embed([s["text"] for s in segments])  # the background is every segment
        by_id = dict(zip((s["id"] for s in segments), vectors))
        background = vectors  # the study's segments: the unlabelled data the scores adapt to
    else:  # an earlier part of this run stored the scale: only the new segments are embedded
        by_id = dict(zip((s["id"] for s in todo), embed([s["text"] for s in todo]))) if todo else {}
        background = np.zeros((0, 0))
    suggester = CodebookSuggester(settings.top_k, settings.threshold).fit(codebook, embed, background, calibration)
    X = np.stack([by_id[s["id"]] for s in todo]) if todo else np.zeros((0, suggester.dimension_), np.float32)
    raw, scores = _scores(suggester, X, learned, [s["text"] for s in todo])
    # --- units and scope: each code chosen at its unit, only for speakers in its scope
    choices = layout.choose(codebook, suggester.codes_, [s["id"] for s in todo], raw, scores, suggester.choose)
    rows = []
    for segment, row in zip(todo, choices):
        for unit_choice in row:
            choice = unit_choice.choice
            code = None if choice.code is None else suggester.codes_[choice.code]
            sid = hashlib.sha256(f"{run_id}\0{segment['id']}\0{choice.rank}".encode()).hexdigest()[:16]
            rows.append((sid, run_id, segment["id"], code, choice.rank, choice.raw, choice.score, int(choice.suggested),
                         unit_choice.unit, unit_choice.start, unit_choice.end))
    with store.transaction() as conn:
        if run is None:
            conn.execute(
                "INSERT INTO suggestion_runs(id, codebook_version, model, method, params) VALUES (?,?,?,?,?)",
                (run_id, version, embedder.identity, METHOD if learned is None else LEARNED_METHOD,
                 json.dumps({**params, "codes": suggester.codes_, "calibration": suggester.calibration_.to_dict()})),
            )
        conn.executemany(
            "INSERT INTO suggestions(id, run_id, segment_id, code_id, rank, raw_score, score, suggested,"
            " unit, unit_start, unit_end) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    shown = sum(1 for r in rows if r[7] and r[3] is not None)
    no_code = sum(1 for r in rows if r[3] is None)
    too_long = sum(1 for s in todo if len(s["text"]) > WINDOW_CHARS)
    return SuggestReport(run_id, version, embedder.identity, len(segments), len(todo), embedded,
                         shown, no_code, too_long, time.perf_counter() - started)


def _scores(suggester: CodebookSuggester, X: np.ndarray, learned: LearnedModel | None,
            texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Raw and calibrated scores (segments x codes), the learned model's scores mixed in."""
    raw, scores = suggester.raw_scores(X), suggester.predict_proba(X)
    if learned is not None and len(X):
        scores = learned.scores(suggester.codes_, X, scores, texts)
        for j, code in enumerate(suggester.codes_):
            if code in learned.untrusted:
                scores[:, j] = np.minimum(scores[:, j], UNTRUSTED_CAP)
    return raw, scores


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

