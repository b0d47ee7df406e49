"""Code co-occurrence: how often two codes were applied to the same segment or document.

Counts use the codes as applied (no roll-ups), so a construct never co-occurs with its
own domain. The diagonal holds how many segments (documents) carry the code at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.summarize.matrices import code_order
from pipeline.summarize.source import SummaryCoding

__all__ = ["cooccurrence", "top_pairs"]


def cooccurrence(coding: SummaryCoding, within: str = "segment") -> pd.DataFrame:
    """Square code x code matrix of shared segments (``within='segment'``) or documents."""
    if within not in ("segment", "document"):
        raise ValueError(f"within must be 'segment' or 'document', not {within!r}")
    applied = coding.applied.merge(coding.segments[["segment_id", "document_id"]], on="segment_id")
    unit = "segment_id" if within == "segment" else "document_id"
    used = set(applied["code_id"])
    codes = [c for c in code_order(coding.codebook) if c in used]
    if not codes:
        return pd.DataFrame(dtype=int)
    incidence = pd.crosstab(applied[unit], applied["code_id"]).reindex(columns=codes, fill_value=0)
    binary = (incidence.to_numpy() > 0).astype(np.int64)
    return pd.DataFrame(binary.T @ binary, index=codes, columns=codes)


def top_pairs(matrix: pd.DataFrame, limit: int = 30) -> pd.DataFrame:
    """The pairs of different codes that share the most units, with the Jaccard index."""
    rows = []
    codes = list(matrix.index)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            both = int(matrix.loc[a, b])
            if both:
                either = int(matrix.loc[a, a] + matrix.loc[b, b] - both)
                rows.append({"code_a": a, "code_b": b, "together": both, "jaccard": both / either})
    frame = pd.DataFrame(rows, columns=["code_a", "code_b", "together", "jaccard"])
    return frame.sort_values(["together", "jaccard"], ascending=False).head(limit).reset_index(drop=True)
