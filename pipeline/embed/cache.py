"""The embedding cache: every text is embedded at most once per model identity.

Vectors live in the study store (table ``embeddings``), keyed by the SHA-256 of the text
and the embedder's identity (model name, a hash of its weights, backend). Duplicate texts
in one call ("Yeah.", "Okay.") are embedded once.
"""

from __future__ import annotations

from typing import Any, Iterator, Protocol, Sequence

import numpy as np

from pipeline.hashing import sha256
from pipeline.store import Store

__all__ = ["TextEmbedder", "embed_cached", "cache_texts", "cached_vectors", "stored_vectors", "embedding_key"]

_CHUNK = 500  # host parameters per SELECT stay well under SQLite's limit
# Texts embedded (and stored) per step: bounds the memory of a cold run on a large study
# (~75 MB of vectors at 384 dimensions) while leaving the embedder large batches.
EMBED_CHUNK = 50_000


class TextEmbedder(Protocol):
    identity: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def embedding_key(text: str) -> str:
    """The key a text's vector is cached under in the store (its full SHA-256)."""
    return sha256(text)


def embed_cached(store: Store, embedder: TextEmbedder, texts: Sequence[str]) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` in order, and how many texts had to be embedded now.

    Memory stays at one copy of the result: cached rows and new ones are written straight
    into it, and new texts are embedded and stored EMBED_CHUNK at a time (a run that is
    stopped keeps every chunk already stored).
    """
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    hashes = [embedding_key(t) for t in texts]
    first: dict[str, int] = {}
    for i, h in enumerate(hashes):
        first.setdefault(h, i)
    out: Any = None  # allocated when the first vector shows the dimension
    missing = set(first)
    for h, blob in _stored_blobs(store.conn, embedder.identity, list(first)):
        row = np.frombuffer(blob, dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), row.shape[0]), dtype=np.float32)
        out[first[h]] = row
        missing.discard(h)
    todo = [h for h in first if h in missing]  # input order: texts of a document stay together
    for start in range(0, len(todo), EMBED_CHUNK):
        chunk = todo[start:start + EMBED_CHUNK]
        vectors = np.asarray(embedder.embed([texts[first[h]] for h in chunk]), dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        with store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO embeddings(text_hash, model, dimension, vector) VALUES (?,?,?,?)",
                ((h, embedder.identity, vectors.shape[1], v.tobytes()) for h, v in zip(chunk, vectors)),
            )
        out[[first[h] for h in chunk]] = vectors
    repeats = [(i, first[h]) for i, h in enumerate(hashes) if first[h] != i]
    if repeats:
        rows, sources = zip(*repeats)
        out[list(rows)] = out[list(sources)]
    return out, len(todo)


def cache_texts(store: Store, embedder: TextEmbedder, texts: Sequence[str]) -> int:
    """Embed and store the texts the cache lacks; how many were embedded now.

    The same batches as ``embed_cached`` (first occurrences in input order, EMBED_CHUNK at a
    time), but nothing is returned: a large study's vectors are read back a chunk at a time
    (``cached_vectors``) instead of being held all at once.
    """
    text_of: dict[str, str] = {}
    for t in texts:
        text_of.setdefault(embedding_key(t), t)
    first = list(text_of)
    present = set(_stored_keys(store.conn, embedder.identity, first))
    todo = [h for h in first if h not in present]
    for start in range(0, len(todo), EMBED_CHUNK):
        chunk = todo[start:start + EMBED_CHUNK]
        vectors = np.asarray(embedder.embed([text_of[h] for h in chunk]), dtype=np.float32)
        with store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO embeddings(text_hash, model, dimension, vector) VALUES (?,?,?,?)",
                ((h, embedder.identity, vectors.shape[1], v.tobytes()) for h, v in zip(chunk, vectors)),
            )
    return len(todo)


def cached_vectors(store: Store, model: str, texts: Sequence[str], dimension: int = 0) -> np.ndarray:
    """Vectors of ``texts`` (in order) from the cache, every one of which must be there
    (``cache_texts`` first); ``dimension`` shapes the result when ``texts`` is empty."""
    rows: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        rows.setdefault(embedding_key(t), []).append(i)
    out: Any = np.empty((0, dimension), dtype=np.float32) if not texts else None
    found = 0
    for h, blob in _stored_blobs(store.conn, model, list(rows)):
        row = np.frombuffer(blob, dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), row.shape[0]), dtype=np.float32)
        out[rows[h]] = row
        found += 1
    if found != len(rows):  # a bug, not bad input: the caller skipped cache_texts
        raise RuntimeError(f"{len(rows) - found} text(s) are not in the embedding cache of {model}")
    return out


def _stored_keys(conn: Any, model: str, hashes: Sequence[str]) -> Iterator[str]:
    for i in range(0, len(hashes), _CHUNK):
        chunk = hashes[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for (h,) in conn.execute(f"SELECT text_hash FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                                 (model, *chunk)):
            yield h


def _stored_blobs(conn: Any, model: str, hashes: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    for i in range(0, len(hashes), _CHUNK):
        chunk = hashes[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        yield from conn.execute(
            f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
            (model, *chunk),
        )


def stored_vectors(conn: Any, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """Cached vectors of ``model`` for those of ``hashes`` the store has (text hash -> vector)."""
    return {h: np.frombuffer(blob, dtype=np.float32) for h, blob in _stored_blobs(conn, model, hashes)}
