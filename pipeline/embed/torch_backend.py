"""The "torch" backend: a sentence-transformers model on the CPU (imported lazily:
sentence_transformers costs ~4.5 s to import)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.embed.seam import EmbedSettings
from pipeline.embed.source import ModelSource, go_offline
from pipeline.errors import ModelError

__all__ = ["SentenceTransformerEmbedder"]


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU.

    Texts longer than ``max_tokens`` word pieces are truncated by the model: only their
    beginning shapes the vector. The store keeps the full text regardless.
    """

    def __init__(self, model: Any, identity: str, batch_size: int = 64) -> None:
        self.model = model
        self.identity = identity
        self.batch_size = batch_size
        # sentence-transformers 6 renamed the method; older releases only have the long name.
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        self.max_tokens = int(model.max_seq_length)

    @classmethod
    def load(cls, source: ModelSource, settings: EmbedSettings) -> SentenceTransformerEmbedder:
        """Load ``source`` offline on the CPU; ModelError if it cannot be loaded."""
        return cls(_load_sentence_transformer(source, settings.threads), source.identity("torch"), settings.batch_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # encode() sorts by length itself and returns rows in input order.
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)



def _load_sentence_transformer(source: ModelSource, threads: int | None) -> Any:
    go_offline()
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            f"embedding model {source.name!r}: sentence-transformers is not installed "
            "(pip install sentence-transformers)"
        ) from exc
    if threads is not None:
        torch.set_num_threads(threads)  # process-wide: torch has no per-model setting
    try:
        return SentenceTransformer(str(source.path), device="cpu", local_files_only=True)
    except Exception as exc:
        raise ModelError(
            f"embedding model {source.name!r} at {source.path} cannot be loaded: {exc}. "
            "Check that the folder holds a complete sentence-transformers model"
        ) from exc


