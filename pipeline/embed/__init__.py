"""Embeddings: the seam, its backends and the vector cache.

- ``seam``: the ``Embedder`` protocol and ``EmbedSettings``.
- ``backends``: ``load_embedder(settings)``, the one place that picks a backend.
- ``fake``: ``FakeEmbedder``, the deterministic test double.
- ``source``: finding a model folder offline and naming it by a hash of its files.
- ``torch_backend`` / ``onnx_backend``: sentence-transformers, or the same model in onnxruntime.
- ``bf16_backend`` / ``openvino_backend``: the same model in bfloat16 (torch, or OpenVINO on the ONNX export).
- ``cache``: every text embedded at most once per model, kept in the study store.
"""

from pipeline.embed.cache import TextEmbedder, embed_cached, stored_vectors, embedding_key
from pipeline.embed.fake import FakeEmbedder
from pipeline.embed.seam import (
    BACKENDS,
    DEFAULT_MODEL,
    DEFAULT_ONNX_CACHE,
    FAKE_MODEL,
    Embedder,
    EmbedSettings,
    embed_in_length_order,
    normalize_rows,
)
from pipeline.embed.source import ModelSource, resolve_model
from pipeline.embed.backends import LazyEmbedder, load_embedder, open_embedder, runnable_backends

__all__ = [
    "BACKENDS", "DEFAULT_MODEL", "DEFAULT_ONNX_CACHE", "FAKE_MODEL", "EmbedSettings", "Embedder",
    "FakeEmbedder", "ModelSource", "TextEmbedder", "embed_cached", "embed_in_length_order",
    "LazyEmbedder", "load_embedder", "normalize_rows", "open_embedder", "resolve_model", "runnable_backends",
    "stored_vectors",
    "embedding_key",
]
