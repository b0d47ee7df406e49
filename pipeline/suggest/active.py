"""Active learning: which segments a coder should confirm next to teach the model most."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from pipeline.codebook import Codebook
from pipeline.embed.cache import embedding_key, stored_vectors

__all__ = ["uncertainty_order", "uncertainty_ranking"]


def uncertainty_order(
    scores: np.ndarray,
    groups: Sequence[Sequence[int]],
    free: Sequence[int],
    X: np.ndarray,
    n: int,
    exclude: Sequence[int] = (),
    near_duplicate: float = 0.95,
) -> list[int]:
    """Rows whose confirmation teaches the most: uncertain, diverse, covering every code.

    Uncertainty of a row for a code group is 1 minus the margin between its two best
    codes; for a free code, 1 minus twice the distance of its score from 0.5. Codes take
    turns (round robin): each picks its most uncertain row among those where it is a
    top-two candidate (or, for a free code, where its score is above 0.25), skipping
    rows nearly identical (cosine above ``near_duplicate``) to one already picked.
    """
    taken = set(exclude)
    per_code: list[list[int]] = []
    for group in groups:
        sub = scores[:, list(group)]
        order = np.argsort(-sub, axis=1)
        top = np.take_along_axis(sub, order[:, :2], axis=1)
        uncertainty = 1.0 - (top[:, 0] - top[:, 1]) if sub.shape[1] > 1 else np.ones(len(sub))
        for k, code in enumerate(group):
            rows = np.where((order[:, :2] == k).any(axis=1))[0]
            per_code.append([int(i) for i in rows[np.argsort(-uncertainty[rows], kind="stable")]])
    for code in free:
        s = scores[:, code]
        uncertainty = 1.0 - 2.0 * np.abs(s - 0.5)
        rows = np.where(s > 0.25)[0]
        per_code.append([int(i) for i in rows[np.argsort(-uncertainty[rows], kind="stable")]])
    picked: list[int] = []
    cursors = [0] * len(per_code)
    while len(picked) < n and any(c < len(rows) for c, rows in zip(cursors, per_code)):
        for k, rows in enumerate(per_code):
            while cursors[k] < len(rows) and len(picked) < n:
                i = rows[cursors[k]]
                cursors[k] += 1
                if i in taken or (picked and float(np.max(X[picked] @ X[i])) > near_duplicate):
                    continue
                picked.append(i)
                taken.add(i)
                break
    return picked


def uncertainty_ranking(conn: Any, codebook: Codebook, run_id: str, segment_ids: list[str], n: int) -> list[str]:
    """The first ``n`` of ``segment_ids`` to confirm next, most informative first.

    Scores come from the run's stored suggestions (shown ones and runners-up; codes not
    stored count as 0); vectors from the embedding cache of the run's model.
    """
    codes = [c.id for c in codebook.codable]
    index = {c: j for j, c in enumerate(codes)}
    row_of = {s: i for i, s in enumerate(segment_ids)}
    scores = np.zeros((len(segment_ids), len(codes)))
    model = _rows(conn, "SELECT model FROM suggestion_runs WHERE id = ?", (run_id,))[0][0]
    for r in _rows(conn, "SELECT segment_id, code_id, score FROM suggestions WHERE run_id = ? AND code_id IS NOT NULL", (run_id,)):
        if r["segment_id"] in row_of and r["code_id"] in index:
            scores[row_of[r["segment_id"]], index[r["code_id"]]] = r["score"]
    texts = {r["id"]: r["text"] for r in _rows(conn, "SELECT id, text FROM current_segments")}
    hashes = [embedding_key(texts.get(s, "")) for s in segment_ids]
    vectors = stored_vectors(conn, model, hashes)
    dim = len(next(iter(vectors.values()))) if vectors else 1
    X = np.stack([vectors.get(h, np.zeros(dim, np.float32)) for h in hashes])
    groups = [[index[c] for c in ids if c in index] for ids in codebook.exclusive_groups().values()]
    grouped = {j for g in groups for j in g}
    free = [j for j in range(len(codes)) if j not in grouped]
    picked = uncertainty_order(scores, [g for g in groups if g], free, X, n)
    return [segment_ids[i] for i in picked]


def _rows(conn: Any, sql: str, params: tuple = ()) -> list:
    return conn.execute(sql, params).fetchall()
