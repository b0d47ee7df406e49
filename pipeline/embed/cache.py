"""The embedding cache: every text is embedded at most once per model identity.

Vectors live in the study store (table ``embeddings``), keyed by the SHA-256 of the text
and the embedder's identity (model name, a hash of its weights, backend). Duplicate texts
in one call ("Yeah.", "Okay.") are embedded once.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np

from pipeline.hashing import sha256
from pipeline.store import Store

__all__ = ["TextEmbedder", "embed_cached", "stored_vectors", "embedding_key"]

_CHUNK = 500  # host parameters per SELECT stay well under SQLite's limit


class TextEmbedder(Protocol):
    identity: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def embedding_key(text: str) -> str:
    """The key a text's vector is cached under in the store (its full SHA-256)."""
    return sha256(text)


def embed_cached(store: Store, embedder: TextEmbedder, texts: Sequence[str]) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` in order, and how many texts had to be embedded now."""
    hashes = [embedding_key(t) for t in texts]
    first_text = dict(zip(hashes, texts))
    found = stored_vectors(store.conn, embedder.identity, list(first_text))
    missing = [h for h in first_text if h not in found]
    if missing:
        vectors = np.asarray(embedder.embed([first_text[h] for h in missing]), dtype=np.float32)
        with store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO embeddings(text_hash, model, dimension, vector) VALUES (?,?,?,?)",
                [(h, embedder.identity, vectors.shape[1], v.tobytes()) for h, v in zip(missing, vectors)],
            )
        found.update(zip(missing, vectors))
    if not hashes:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.stack([found[h] for h in hashes]), len(missing)


def stored_vectors(conn: Any, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """Cached vectors of ``model`` for those of ``hashes`` the store has (text hash -> vector)."""
    found: dict[str, np.ndarray] = {}
    for i in range(0, len(hashes), _CHUNK):
        chunk = hashes[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
            (model, *chunk),
        )
        for h, blob in rows:
            found[h] = np.frombuffer(blob, dtype=np.float32)
    return found
