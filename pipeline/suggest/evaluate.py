"""Evaluate stored suggestions against gold labels, beside two simple baselines.

Gold rows are joined to segments on the external id (the tabular id columns joined
with ":"). Gold values that are not codes of the codebook, and ids that match no
segment, are counted and reported, never silently dropped. The candidate codes are the
known gold codes plus the rest of their exclusive group; the prediction for a segment
is its shown suggestion among them ("no code" if none), and top-k recall asks whether
the gold code is among the k best stored candidates. "forced" is the same run forced to
choose: its best stored candidate, shown or not, as the baselines choose.

Calibration: the score of each segment's best stored candidate against whether that candidate
is the gold code: expected calibration error (10 equal-width bins, weighted by their size)
and, per score band, how many segments fall in it and how often the best code is right.

Baselines on the same segments, each forced to choose among the candidates: the majority
code; TF-IDF cosine to the same code texts the embedding method uses (scikit-learn); and the
naive script a researcher could write with the same model (cosine to "label: definition"
plus the mean cosine to the code's two most similar examples), from the vectors the run
cached (left out, and said, if the cache no longer holds them).

A run made with a learned model is scored only on segments that model was not trained
on; how many gold rows were left out for that reason is reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

from pipeline.codebook import Codebook
from pipeline.embed.cache import cached_vectors
from pipeline.errors import InputError
from pipeline.store import Store
from pipeline.suggest.scoring import code_texts

__all__ = ["Evaluation", "evaluate_run", "metrics", "calibration", "read_gold", "tfidf_choice", "naive_choice",
           "naive_scores", "NO_CODE", "BANDS"]

NO_CODE = "(no code)"
BANDS = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)


@dataclass
class Evaluation:
    gold_column: str
    rows: int
    evaluated: int
    unknown_values: dict[str, int]
    unmatched_ids: int
    unmatched_examples: list[str]
    candidates: list[str]
    methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_method: str = ""  # how the evaluated run suggested (definitions only, or a learned model)
    left_out_trained: int = 0  # gold rows on segments the run's learned model was trained on
    notes: list[str] = field(default_factory=list)  # baselines that could not be computed, and why

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def read_gold(path: Any, gold_column: str, id_columns: Sequence[str]) -> pd.DataFrame:
    """Gold file -> DataFrame(external_id, gold)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the gold file ({exc})") from exc
    missing = [c for c in [gold_column, *id_columns] if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: no column(s) {', '.join(missing)}; available: {', '.join(frame.columns)}")
    if not id_columns:
        raise InputError(f"{path}: give --id-column (one or more) to join gold rows to segments")
    ids = frame[list(id_columns)].astype(str).agg(":".join, axis=1)
    return pd.DataFrame({"external_id": ids, "gold": frame[gold_column].str.strip()})


def metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Per-code P/R/F1, macro-F1, accuracy, Cohen's kappa, confusion matrix."""
    gold, predicted = list(gold), list(predicted)
    p, r, f, support = precision_recall_fscore_support(gold, predicted, labels=list(labels), zero_division=0)
    all_labels = list(labels) + ([NO_CODE] if NO_CODE in predicted else [])
    confusion = pd.crosstab(pd.Series(gold, name="gold"), pd.Series(predicted, name="predicted")).reindex(
        index=list(labels), columns=all_labels, fill_value=0)
    return {
        "n": len(gold),
        "accuracy": float(np.mean([g == q for g, q in zip(gold, predicted)])) if gold else float("nan"),
        "kappa": float(cohen_kappa_score(gold, predicted)) if len(set(gold) | set(predicted)) > 1 else float("nan"),
        "macro_f1": float(np.mean(f)),
        "per_code": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(support[i])}
                     for i, c in enumerate(labels)},
        "confusion": confusion.to_dict(orient="index"),
    }


def evaluate_run(store: Store, run_id: str, codebook: Codebook, gold: pd.DataFrame, gold_column: str, top_k: int = 2) -> Evaluation:
    codable = {c.id for c in codebook.codable}
    known = gold[gold["gold"].isin(codable)]
    unknown = gold.loc[~gold["gold"].isin(codable), "gold"].value_counts().to_dict()
    segs = pd.DataFrame([dict(r) for r in store.query(
        "SELECT id AS segment_id, external_id, text FROM current_segments WHERE external_id IS NOT NULL")],
        columns=["segment_id", "external_id", "text"])
    joined = known.merge(segs, on="external_id", how="left")
    unmatched = joined[joined["segment_id"].isna()]
    joined = joined.dropna(subset=["segment_id"])
    run_method, model, trained = _run_training(store, run_id)
    # A learned run is never scored on the segments it learned from: that is a leak.
    left_out = joined["segment_id"].isin(trained)
    joined = joined[~left_out]
    if joined.empty:
        raise InputError(f"no gold row of column '{gold_column}' matches a segment with a known code"
                         + (f" that the run's learned model was not trained on ({int(left_out.sum())} were)" if left_out.any() else "")
                         + "; check --id-column and the codes")
    candidates = _candidates(codebook, set(joined["gold"]))
    stored = pd.DataFrame([dict(r) for r in store.query(
        "SELECT segment_id, code_id, rank, suggested, score FROM suggestions WHERE run_id = ? ORDER BY segment_id, rank", (run_id,))],
        columns=["segment_id", "code_id", "rank", "suggested", "score"])
    stored = stored[stored["code_id"].isin(candidates)]
    shown = stored[stored["suggested"] == 1].groupby("segment_id")["code_id"].first()
    ranked = stored.groupby("segment_id")["code_id"].apply(list)
    predicted = joined["segment_id"].map(lambda s: shown.get(s, NO_CODE))
    result = Evaluation(gold_column, len(gold), len(joined), unknown, len(unmatched),
                        unmatched["external_id"].head(5).tolist(), candidates,
                        run_method=run_method, left_out_trained=int(left_out.sum()))
    embedding = metrics(joined["gold"], predicted, candidates)
    lists = joined["segment_id"].map(ranked)
    embedding[f"top{top_k}_recall"] = float(np.mean([
        g in (lst[:top_k] if isinstance(lst, list) else []) for g, lst in zip(joined["gold"], lists)]))
    best = stored.sort_values(["segment_id", "rank"]).groupby("segment_id").first()
    scored = joined.join(best[["code_id", "score"]], on="segment_id").dropna(subset=["score"])
    embedding["calibration"] = calibration(scored["score"].to_numpy(float), (scored["code_id"] == scored["gold"]).to_numpy())
    result.methods["embedding"] = embedding
    result.methods["forced"] = metrics(joined["gold"], joined["segment_id"].map(best["code_id"]).fillna(NO_CODE), candidates)
    majority = joined["gold"].value_counts().idxmax()
    result.methods["majority"] = metrics(joined["gold"], [majority] * len(joined), candidates)
    result.methods["tfidf"] = metrics(joined["gold"], tfidf_choice(codebook, candidates, joined["text"].tolist()), candidates)
    try:
        naive = naive_choice(codebook, candidates, joined["text"].tolist(),
                             lambda texts: cached_vectors(store, model, texts))
    except RuntimeError:  # the cache no longer holds a code text or segment of this run's model
        result.notes.append(f"naive baseline left out: the embedding cache lacks some texts of model {model} "
                            "(run `deductive suggest` with that model again to cache them)")
    else:
        result.methods["naive"] = metrics(joined["gold"], naive, candidates)
    return result


def calibration(scores: np.ndarray, correct: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Expected calibration error and precision per score band of the best candidates."""
    scores, correct = np.asarray(scores, dtype=float), np.asarray(correct, dtype=bool)
    if not len(scores):
        return {"ece": float("nan"), "bands": []}
    which = np.clip(np.digitize(scores, np.linspace(0, 1, bins + 1)[1:-1]), 0, bins - 1)
    ece = sum(abs(scores[which == b].mean() - correct[which == b].mean()) * np.mean(which == b)
              for b in range(bins) if np.any(which == b))
    bands = []
    for lo, hi in zip(BANDS[:-1], BANDS[1:]):
        inside = (scores >= lo) & ((scores < hi) if hi < 1.0 else (scores <= hi))
        bands.append({"band": f"{lo:.2f}-{hi:.2f}", "n": int(inside.sum()),
                      "mean_score": float(scores[inside].mean()) if inside.any() else float("nan"),
                      "precision": float(correct[inside].mean()) if inside.any() else float("nan")})
    return {"ece": float(ece), "bands": bands}
def _run_training(store: Store, run_id: str) -> tuple[str, str, set[str]]:
    """The run's method, its embedding model and the segments its learned model was trained on.

    Refuses a learned run that does not say which segments trained it (made before
    runs recorded them, or with a model converted from an old pickle)."""
    row = store.conn.execute("SELECT method, params, model FROM suggestion_runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise InputError(f"no suggestion run '{run_id}'; see `deductive suggestions`")
    params = json.loads(row[1])
    if "learned_model" not in params:
        return row[0], row[2], set()
    if params.get("trained_on") is None:
        raise InputError(f"run {run_id} ({row[0]}) used learned model {params['learned_model']} but does not record which "
                         f"segments trained it, so it cannot be evaluated without a leak; re-learn and re-suggest "
                         f"(`deductive learn`, `deductive suggest`) or evaluate a definitions-only run")
    return row[0], row[2], set(params["trained_on"])


def _candidates(codebook: Codebook, gold_codes: set[str]) -> list[str]:
    """Gold codes plus their exclusive siblings, in codebook order."""
    wanted = set(gold_codes)
    for ids in codebook.exclusive_groups().values():
        if wanted & set(ids):
            wanted |= set(ids)
    return [c.id for c in codebook.codable if c.id in wanted]


def naive_scores(codebook: Codebook, candidates: list[str], X: np.ndarray,
                 vectors: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """The naive script's scores (rows of ``X`` x candidates): cos(text, "label: definition") plus
    the mean of the text's two highest cosines to the code's examples (``vectors``: unit vectors
    of code texts; ``X``: unit vectors of the texts scored)."""
    scores = np.zeros((len(X), len(candidates)))
    for j, code_id in enumerate(candidates):
        code = codebook.get(code_id)
        sims = X @ np.asarray(vectors([f"{code.label}: {code.definition}", *code.examples])).T
        scores[:, j] = sims[:, 0] + (np.sort(sims[:, 1:], axis=1)[:, -2:].mean(axis=1) if code.examples else 0.0)
    return scores


def naive_choice(codebook: Codebook, candidates: list[str], texts: list[str],
                 vectors: Callable[[list[str]], np.ndarray]) -> list[str]:
    """The naive script's choice among ``candidates`` for each text (``naive_scores``)."""
    scores = naive_scores(codebook, candidates, np.asarray(vectors(texts)), vectors)
    return [candidates[j] for j in scores.argmax(axis=1)]


def tfidf_choice(codebook: Codebook, candidates: list[str], texts: list[str]) -> list[str]:
    texts_of = code_texts(codebook)
    code_text = {c: " ".join(t.text for t in texts_of if t.code == c and t.role != "exclusion") for c in candidates}
    vectorizer = TfidfVectorizer(sublinear_tf=True).fit(list(code_text.values()) + texts)
    codes = vectorizer.transform([code_text[c] for c in candidates])
    sims = (vectorizer.transform(texts) @ codes.T).toarray()
    return [candidates[j] for j in sims.argmax(axis=1)]
