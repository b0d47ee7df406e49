"""The test double: a deterministic embedder with no model behind it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from pipeline.embed.seam import embed_in_length_order, normalize_rows

__all__ = ["FakeEmbedder"]


_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1 << 16)
def _slot(feature: str, dimension: int) -> tuple[int, float]:
    """A stable column and sign for a feature (Python's hash() changes per process)."""
    value = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
    return value % dimension, (1.0 if (value >> 63) & 1 else -1.0)


class FakeEmbedder:
    """Deterministic stand-in for a model: hashed word and character-trigram features.

    Texts sharing words (or word pieces) get similar vectors, which is all the
    suggester's unit tests need. Like a real model it reads only the first
    ``max_tokens`` words.
    """

    WORD_WEIGHT = 1.0
    TRIGRAM_WEIGHT = 0.3  # trigrams let "implement" and "implementation" overlap a little

    def __init__(self, dimension: int = 64, max_tokens: int = 256) -> None:
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.identity = "fake-v1" if dimension == 64 else f"fake-v1-d{dimension}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return embed_in_length_order(texts, 64, self._encode_batch, self.dimension)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return normalize_rows(np.stack([self._vector(text) for text in texts]))

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        words = _WORD.findall(text.lower())[: self.max_tokens]
        for word in words:
            column, sign = _slot("w:" + word, self.dimension)
            vector[column] += sign * self.WORD_WEIGHT
            padded = f"<{word}>"
            for i in range(len(padded) - 2):
                column, sign = _slot("c:" + padded[i : i + 3], self.dimension)
                vector[column] += sign * self.TRIGRAM_WEIGHT
        if not vector.any():
            # Empty or punctuation-only text: a fixed unit vector, never NaN.
            column, sign = _slot("<empty>", self.dimension)
            vector[column] = sign
        return vector


