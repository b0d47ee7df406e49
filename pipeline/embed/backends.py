"""Choosing the backend: ``load_embedder(settings)`` returns the embedder they ask for.

"onnx" (the default) runs the model's fp32 ONNX export; for a model it cannot reproduce
(no export, other pooling, or vectors that differ from sentence-transformers') it logs
one warning and uses torch, the same model. It never substitutes another model.
"""

from __future__ import annotations

import logging

from pipeline.embed.fake import FakeEmbedder
from pipeline.embed.seam import FAKE_MODEL, Embedder, EmbedSettings, check_settings
from pipeline.embed.source import ModelSource, go_offline, resolve_model

__all__ = ["load_embedder"]

log = logging.getLogger(__name__)


def load_embedder(settings: EmbedSettings) -> Embedder:
    """The embedder ``settings`` ask for; ConfigError for bad settings, ModelError for models."""
    check_settings(settings)
    if settings.model == FAKE_MODEL:
        return FakeEmbedder()
    go_offline()
    source = resolve_model(settings.model)
    if settings.backend == "torch":
        return _torch(source, settings)
    from pipeline.embed.onnx_backend import CannotReproduce, load_onnx_embedder

    if settings.backend == "onnx-int8":
        return load_onnx_embedder(source, settings)
    try:
        return load_onnx_embedder(source, settings)
    except CannotReproduce as exc:
        log.warning("note: %s; using the torch backend for this model (same vectors, slower)", exc)
        return _torch(source, settings)


def _torch(source: ModelSource, settings: EmbedSettings) -> Embedder:
    from pipeline.embed.torch_backend import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder.load(source, settings)
