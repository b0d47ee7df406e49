"""Choosing the backend: ``load_embedder(settings)`` returns the embedder they ask for."""

from __future__ import annotations

from pipeline.embed.fake import FakeEmbedder
from pipeline.embed.seam import FAKE_MODEL, Embedder, EmbedSettings, check_settings
from pipeline.embed.source import go_offline, resolve_model

__all__ = ["load_embedder"]


def load_embedder(settings: EmbedSettings) -> Embedder:
    """The embedder ``settings`` ask for; ConfigError for bad settings, ModelError for models."""
    check_settings(settings)
    if settings.model == FAKE_MODEL:
        return FakeEmbedder()
    go_offline()
    source = resolve_model(settings.model)
    if settings.backend == "torch":
        from pipeline.embed.torch_backend import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder.load(source, settings)
    from pipeline.embed.onnx_backend import load_onnx_embedder

    return load_onnx_embedder(source, settings)
