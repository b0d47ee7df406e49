"""The suggest stage: run the suggester over a study's segments and store the results.

A run is identified by the codebook version, the embedding model's identity, the method
and its parameters. Re-running with the same inputs adds suggestions only for segments
the run has not seen (on the calibration stored with the run), so results reproduce;
a new codebook or model makes a new run and keeps the old one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook
from pipeline.config import RoleSettings, SuggestSettings
from pipeline.errors import InputError
from pipeline.store import Store
from pipeline.suggest.fit_sample import sentence_sample
from pipeline.suggest.scope import scope_mask
from pipeline.suggest.calibration import Calibration
from pipeline.suggest.scoring import PARAMETERS, CodebookSuggester
from pipeline.embed.cache import EMBED_CHUNK, TextEmbedder, cache_texts, cached_vectors, embed_cached
from pipeline.suggest.units import LARGER_UNITS, Layout, load_layout  # issue 13: speaker scope, units, hierarchy

if TYPE_CHECKING:
    from pipeline.suggest.training import LearnedModel

# The learner (scikit-learn) is imported where a learned model is used, so the review
# commands, which import latest_run from here, start without scikit-learn.

__all__ = ["SuggestReport", "suggest_segments", "latest_run", "suggestions_frame", "set_aside_labels", "segment_texts",
           "METHOD"]

METHOD = "definition-similarity-v2"
LEARNED_METHOD = "learned-mix-v2"
# Memory of a large study (neither enters a run's identity; a study within both is scored exactly as in one step):
SCORE_CHUNK = 20_000  # segments scored and stored per step (in whole documents if a code rolls up to a larger unit)
CALIBRATION_SAMPLE = 50_000  # segments the calibration is fitted on (evenly spaced beyond that)
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
    set_aside: tuple[str, ...] = ()  # labels of the code sets the study does not seem to talk about (scoring step 4)
    few_examples: tuple[str, ...] = ()  # labels of the codes in those sets with fewer than two examples


def _run_id(codebook_version: str, model: str, params: dict) -> str:
    payload = json.dumps([codebook_version, model, METHOD, params], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _params(settings: SuggestSettings) -> dict:
    return {
        "top_k": settings.top_k,
        "threshold": settings.threshold,
        "scoring": PARAMETERS,
        **({} if settings.set_aside else {"set_aside": False}),  # runs made with the default keep their ids
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
    # ids only: a large study's texts are read a chunk at a time
    segments = [r[0] for r in store.query("SELECT id FROM current_segments ORDER BY document_id, seq")]
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
    todo = [s for s in segments if s not in done]
    calibration = Calibration.from_dict(json.loads(run["params"])["calibration"]) if run else None
    # Embed (and store) every text first, then read vectors back a chunk at a time: no step
    # holds the whole study's vectors, and a new run embeds in the same batches as before.
    embedded = 0
    for page in _pages(segments if calibration is None else todo, EMBED_CHUNK):
        embedded += cache_texts(store, embedder, segment_texts(store.conn, page))

    def embed(texts: list[str]) -> np.ndarray:  # the code texts and background sentences
        nonlocal embedded
        vectors, count = embed_cached(store, embedder, texts)
        embedded += count
        return vectors

    # the study's segments (all of them up to CALIBRATION_SAMPLE): the unlabelled data the scores adapt to
    sample = _calibration_sample(segments) if calibration is None else []
    sample_texts = segment_texts(store.conn, sample)
    background = cached_vectors(store, embedder.identity, sample_texts) if sample else np.zeros((0, 0))
    # each set of codes adapts and is tested for fit on its own speakers' segments (scope); if a set
    # fails on whole segments that are longer than a sentence, their sentences decide (fit_sample)
    scope = scope_mask(codebook, [c.id for c in codebook.codable], [layout.segments[s].role for s in sample])

    def fitted(sentences: tuple[list[str], np.ndarray] | None) -> CodebookSuggester:
        return CodebookSuggester(settings.top_k, settings.threshold).fit(
            codebook, embed, background, calibration, fit_segments=embed(sentences[0]) if sentences else None,
            scope=scope, fit_scope=scope[sentences[1]] if sentences else None, set_aside=settings.set_aside)

    suggester = fitted(None)
    if calibration is None and suggester.set_aside_():
        sentences = sentence_sample(sample_texts)
        if sentences is not None:
            suggester = fitted(sentences)
    del background, sample_texts
    counts = {"shown": 0, "no_code": 0, "too_long": 0}
    with store.transaction() as conn:
        if run is None:
            stored = {**params, "codes": suggester.codes_, "calibration": suggester.calibration_.to_dict()}
            if len(sample) < len(segments):  # recorded, not part of the run's identity
                stored["calibration_sample"] = {"segments": len(sample), "of": len(segments)}
            conn.execute(
                "INSERT INTO suggestion_runs(id, codebook_version, model, method, params) VALUES (?,?,?,?,?)",
                (run_id, version, embedder.identity, METHOD if learned is None else LEARNED_METHOD, json.dumps(stored)),
            )
        whole = any(codebook.unit_of(c.id) in LARGER_UNITS for c in codebook.codable)
        for chunk in _chunks(todo, layout, SCORE_CHUNK, whole_documents=whole):
            conn.executemany(
                "INSERT INTO suggestions(id, run_id, segment_id, code_id, rank, raw_score, score, suggested,"
                " unit, unit_start, unit_end) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                _chunk_rows(store, run_id, chunk, codebook, suggester, learned, layout, embedder.identity, counts),
            )
    set_aside = _labels(codebook, suggester.set_aside_())
    return SuggestReport(run_id, version, embedder.identity, len(segments), len(todo), embedded,
                         counts["shown"], counts["no_code"], counts["too_long"], time.perf_counter() - started, set_aside,
                         _few_examples(codebook, suggester))


def _few_examples(codebook: Codebook, suggester: CodebookSuggester) -> tuple[str, ...]:
    """Labels of the codes in the sets the run set aside that have fewer than two examples:
    short utterances look less like a bare definition than generic sentences do, so such a
    set can be set aside although it belongs (docs/benchmarks.md, "Sparser codebooks")."""
    groups, free = suggester.calibration_.set_aside()
    rows = [j for i in groups for j in suggester.calibration_.groups[i]] + (suggester.free_ if free else [])
    codes = [codebook.get(suggester.codes_[j]) for j in rows]
    return tuple(code.label for code in codes if len(code.examples) < 2)


def _labels(codebook: Codebook, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(codebook.get(name).label if name else "the codes outside exclusive groups" for name in names)


def set_aside_labels(codebook: Codebook, params: dict) -> tuple[str, ...]:
    """The code sets a stored run set aside as not belonging to the study (its calibration's fit
    test, method step 4), by label; () for runs made without the test or with it turned off."""
    stored = params.get("calibration")
    if not stored or "codes" not in params:
        return ()
    calibration = Calibration.from_dict(stored)
    groups, free = calibration.set_aside()
    codes = params["codes"]
    parents = [codebook.get(codes[calibration.groups[i][0]]).parent for i in groups]
    return _labels(codebook, [p or "" for p in parents] + ([""] if free else []))


def _pages(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def segment_texts(conn: sqlite3.Connection, ids: Sequence[str]) -> list[str]:
    """The segments' texts, in the order of ``ids``."""
    text = {}
    for page in _pages(list(ids), 500):  # host parameters per SELECT stay under SQLite's limit
        marks = ",".join("?" * len(page))
        text.update(conn.execute(f"SELECT id, text FROM segments WHERE id IN ({marks})", page).fetchall())
    return [text[i] for i in ids]


def _calibration_sample(segments: list[str]) -> list[str]:
    """Every segment, or CALIBRATION_SAMPLE of them evenly spaced in document order (bounds the
    calibration's float64 copies of a large study; its mean and code shares are estimated as well)."""
    if len(segments) <= CALIBRATION_SAMPLE:
        return segments
    return [segments[int(i)] for i in np.linspace(0, len(segments) - 1, CALIBRATION_SAMPLE).round()]


def _chunks(todo: list[str], layout: Layout, size: int, whole_documents: bool = True) -> Iterator[list[str]]:
    """``todo`` (in document order) cut into runs of whole documents of at most ``size`` segments
    (a larger document is a chunk by itself): a unit's roll-up needs its document's segments together.
    Without codes at a larger unit nothing rolls up, so any run of ``size`` segments will do and one
    very long document (a survey of a million rows) is never held at once."""
    if not whole_documents:
        yield from _pages(todo, size)
        return
    chunk: list[str] = []
    for _, group in itertools.groupby(todo, key=lambda s: layout.segments[s].document_id):
        document = list(group)
        if chunk and len(chunk) + len(document) > size:
            yield chunk
            chunk = []
        chunk += document
    if chunk:
        yield chunk


def _chunk_rows(store: Store, run_id: str, chunk: list[str], codebook: Codebook, suggester: CodebookSuggester,
                learned: LearnedModel | None, layout: Layout, model: str, counts: dict[str, int]) -> Iterator[tuple]:
    """The suggestion rows of one chunk of whole documents, made as SQLite stores them."""
    texts = segment_texts(store.conn, chunk)
    counts["too_long"] += sum(len(t) > WINDOW_CHARS for t in texts)
    X = cached_vectors(store, model, texts, suggester.dimension_)
    raw, scores = _scores(suggester, X, learned, texts)
    del X
    # --- units and scope: each code chosen at its unit, only for speakers in its scope
    choices = layout.choose(codebook, suggester.codes_, chunk, raw, scores, suggester.choose)
    for segment, row in zip(chunk, choices):
        for unit_choice in row:
            choice = unit_choice.choice
            code = None if choice.code is None else suggester.codes_[choice.code]
            counts["no_code"] += code is None
            counts["shown"] += bool(choice.suggested) and code is not None
            sid = hashlib.sha256(f"{run_id}\0{segment}\0{choice.rank}".encode()).hexdigest()[:16]
            yield (sid, run_id, segment, code, choice.rank, choice.raw, choice.score, int(choice.suggested),
                   unit_choice.unit, unit_choice.start, unit_choice.end)


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

