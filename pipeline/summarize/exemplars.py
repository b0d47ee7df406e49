"""Exemplar quotes per code and case: the most central segments, not the first ones.

Central: the segments whose embedding is closest (cosine) to the centroid of all the
segments coded with the code, across cases; so the quotes picked for each case are the
ones that say most typically what the code is about. Vectors come from the study's
embedding cache (each text is embedded once per model). Without an embedder the longest
segments are taken instead, and the method column says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.store import Store
from pipeline.summarize.source import SummaryCoding
from pipeline.embed.cache import TextEmbedder, embed_cached

__all__ = ["exemplars", "EXEMPLAR_COLUMNS"]

EXEMPLAR_COLUMNS = ["code_id", "case", "rank", "segment_id", "document", "speaker", "start", "end", "text",
                    "centrality", "method", "decision_ids"]


def exemplars(coding: SummaryCoding, per_case: int = 3, store: Store | None = None,
              embedder: TextEmbedder | None = None) -> pd.DataFrame:
    """Up to ``per_case`` quotes per code and case, most central first."""
    joined = coding.applied.merge(coding.segments, on="segment_id")
    if joined.empty:
        return pd.DataFrame(columns=EXEMPLAR_COLUMNS)
    if embedder is not None and store is not None:
        texts = sorted(set(joined["text"]))
        vectors, _ = embed_cached(store, embedder, texts)
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        row_of = {t: i for i, t in enumerate(texts)}
        joined["centrality"] = _centrality(joined, unit, row_of)
        method = f"closest to the code's centroid ({embedder.identity})"
    else:
        joined["centrality"] = joined["text"].str.len().astype(float)
        method = "longest (no embedder)"
    joined = joined.sort_values(["code_id", "case", "centrality", "seq"], ascending=[True, True, False, True])
    picked = joined.groupby(["code_id", "case"], sort=False).head(per_case).copy()
    picked["rank"] = picked.groupby(["code_id", "case"]).cumcount() + 1
    picked["method"] = method
    return picked[EXEMPLAR_COLUMNS].reset_index(drop=True)


def _centrality(joined: pd.DataFrame, unit: np.ndarray, row_of: dict[str, int]) -> pd.Series:
    rows = joined["text"].map(row_of).to_numpy()
    scores = np.zeros(len(joined))
    codes = joined["code_id"].to_numpy()
    for code in np.unique(codes):
        mask = codes == code
        members = unit[rows[mask]]
        centroid = members.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        scores[mask] = members @ centroid
    return pd.Series(scores, index=joined.index)
