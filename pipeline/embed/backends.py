"""Choosing the backend: ``load_embedder(settings)`` returns the embedder they ask for.

"onnx" (the default) runs the model's fp32 ONNX export (with OpenVINO in float32 where it
gives the same vectors, else with onnxruntime); for a model it cannot reproduce
(no export, other pooling, or vectors that differ from sentence-transformers') it logs
one warning and uses torch, the same model. It never substitutes another model.
"onnx-int8", "torch-bf16" and "openvino-bf16" give approximate vectors, each under its own identity; each
refuses (ModelError) where it cannot run, and nothing falls back to them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from pipeline.embed.fake import FakeEmbedder
from pipeline.embed.seam import BACKENDS, FAKE_MODEL, Embedder, EmbedSettings, check_settings
from pipeline.embed.source import ModelSource, go_offline, resolve_model

__all__ = ["LazyEmbedder", "load_embedder", "open_embedder", "runnable_backends"]

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
    if settings.backend == "torch-bf16":
        from pipeline.embed.bf16_backend import load_bf16_embedder

        return load_bf16_embedder(source, settings)
    if settings.backend == "openvino-bf16":
        from pipeline.embed.openvino_backend import load_openvino_embedder

        return load_openvino_embedder(source, settings)
    from pipeline.embed.onnx_backend import CannotReproduce, load_onnx_embedder

    if settings.backend == "onnx-int8":
        return load_onnx_embedder(source, settings)
    from pipeline.embed.openvino_backend import load_openvino_fp32

    try:  # the fp32 export: OpenVINO where it runs it with the same vectors, else onnxruntime
        return load_openvino_fp32(source, settings) or load_onnx_embedder(source, settings)
    except CannotReproduce as exc:
        log.warning("note: %s; using the torch backend for this model (same vectors, slower)", exc)
        return _torch(source, settings)


def runnable_backends() -> list[str]:
    """The backends this machine can run: the bfloat16 ones only on a CPU that computes
    bfloat16 natively (each refuses to load elsewhere). Imports torch and openvino."""
    from pipeline.embed.bf16_backend import native_bf16
    from pipeline.embed.openvino_backend import openvino_bf16

    needs = {"torch-bf16": native_bf16, "openvino-bf16": openvino_bf16}
    return [b for b in BACKENDS if b not in needs or needs[b]()]


def _torch(source: ModelSource, settings: EmbedSettings) -> Embedder:
    from pipeline.embed.torch_backend import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder.load(source, settings)


def open_embedder(settings: EmbedSettings) -> Embedder:
    """Like ``load_embedder``, but the model is loaded on the first ``embed`` call.

    A re-run whose texts are all in the store's cache then never loads a model (or imports
    onnxruntime or torch). The model is found (and named) now: a missing model is a
    ModelError here, as with ``load_embedder``.
    """
    check_settings(settings)
    if settings.model == FAKE_MODEL:
        return FakeEmbedder()
    go_offline()
    return LazyEmbedder(resolve_model(settings.model).identity(settings.backend), settings)


class LazyEmbedder:
    """An embedder whose identity is known without loading it; loads on first use."""

    def __init__(self, identity: str, settings: EmbedSettings) -> None:
        self.identity = identity
        self.settings = settings
        self._loaded: Embedder | None = None

    @property
    def loaded(self) -> Embedder:
        if self._loaded is None:
            self._loaded = load_embedder(self.settings)
        return self._loaded

    @property
    def dimension(self) -> int:
        return self.loaded.dimension

    @property
    def max_tokens(self) -> int:
        return self.loaded.max_tokens

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.loaded.embed(texts)
