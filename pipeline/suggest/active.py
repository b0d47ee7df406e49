"""Active learning: which segments a coder should confirm next to teach the model most."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from pipeline.codebook import Codebook
from pipeline.embed.cache import embedding_key, stored_vectors
from pipeline.suggest.stage import segment_texts

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
    hashes = [embedding_key(text) for text in segment_texts(conn, segment_ids)]
    groups = [[index[c] for c in ids if c in index] for ids in codebook.exclusive_groups().values()]
    grouped = {j for g in groups for j in g}
    free = [j for j in range(len(codes)) if j not in grouped]
    picked = uncertainty_order(scores, [g for g in groups if g], free, _VectorsOnDemand(conn, model, hashes), n)
    return [segment_ids[i] for i in picked]


class _VectorsOnDemand:
    """The candidates' vectors, read from the embedding cache as ``uncertainty_order`` looks
    at them (it compares each pick with the picks before it): a study's worth of candidates
    is never stacked in memory. A text the cache lacks counts as a zero vector."""

    def __init__(self, conn: Any, model: str, hashes: list[str]) -> None:
        self.conn, self.model, self.hashes = conn, model, hashes
        self.rows: dict[int, np.ndarray] = {}
        known = conn.execute("SELECT dimension FROM embeddings WHERE model = ? LIMIT 1", (model,)).fetchone()
        self.dimension = int(known[0]) if known else 1

    def _row(self, i: int) -> np.ndarray:
        if i not in self.rows:
            found = stored_vectors(self.conn, self.model, [self.hashes[i]]).get(self.hashes[i])
            self.rows[i] = found if found is not None else np.zeros(self.dimension, np.float32)
        return self.rows[i]

    def __getitem__(self, rows: int | Sequence[int]) -> np.ndarray:
        if isinstance(rows, (int, np.integer)):
            return self._row(int(rows))
        return np.stack([self._row(int(i)) for i in rows])


def _rows(conn: Any, sql: str, params: tuple = ()) -> list:
    return conn.execute(sql, params).fetchall()
