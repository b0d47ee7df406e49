"""The "openvino-bf16" backend: the model's ONNX export run by OpenVINO in bfloat16.

OpenVINO compiles the same fp32 export the "onnx" backend runs (``onnx_export``) for the
CPU and, asked for bfloat16 inference, runs its matrix products in bfloat16 on a CPU that
computes it natively (AMX or AVX-512 BF16), keeping the rest in float32. On this project's
machine kind that embeds about 4x as fast as the torch backend, with a cosine of ~0.99997
to its vectors (``benchmarks/suggest_speed.py``, ``benchmarks/embed_backends.py``): faster
than "torch-bf16" and "onnx-int8", and closer to torch than either. The vectors are not
identical, so it has its own identity in the embedding cache, like the other approximate
backends. On a CPU without native bfloat16 OpenVINO would quietly compute in float32
under this backend's name, so loading refuses instead.

``load_openvino_fp32`` compiles the same export in float32 for the default "onnx" backend: the
same vectors as onnxruntime's to ~5e-7, about 1.1x its speed here (``benchmarks/onnx_wrapper.py``),
so "onnx" uses it where OpenVINO is installed and passes the same check, and onnxruntime
otherwise.

Tokenising, batching by word pieces and mean pooling are the onnx backend's. Imports
openvino lazily.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.embed import onnx_backend  # its helpers are looked up when called (tests replace some)
from pipeline.embed.onnx_export import MIN_COSINE, CannotReproduce, checked_cosine
from pipeline.embed.seam import DEFAULT_ONNX_CACHE, EmbedSettings
from pipeline.embed.source import ModelSource
from pipeline.errors import ModelError

__all__ = ["OpenVinoEmbedder", "load_openvino_embedder", "load_openvino_fp32", "openvino_bf16"]

log = logging.getLogger(__name__)

BACKEND = "openvino-bf16"
# bfloat16 keeps 8 bits of mantissa: the packaged model's check texts reach a cosine of 0.99995
# to sentence-transformers (the fp32 backends' bar, 0.9999, would be a coin toss for other
# models); a compiled model below 0.999 is not computing this model.
MIN_BF16_COSINE = 0.999


class OpenVinoEmbedder:
    """A mean-pooled transformer compiled by OpenVINO; same contract as the other embedders.

    Texts longer than ``max_tokens`` word pieces are truncated: only their beginning
    shapes the vector. Vectors come back as float32 of unit length.
    """

    def __init__(self, compiled: Any, tokenizer: Any, identity: str, max_tokens: int, batch_size: int = 64) -> None:
        self.compiled = compiled
        self.request = compiled.create_infer_request()
        self.tokenizer = tokenizer
        self.identity = identity
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.dimension = int(compiled.outputs[0].get_partial_shape()[-1].get_length())
        self._input_names = [port.get_any_name() for port in compiled.inputs]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return onnx_backend.embed_by_length(self.tokenizer, texts, self.batch_size, self.dimension, self._run)

    def forward(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """The model's last hidden state for a batch's token arrays."""
        hidden = self.request.infer({name: arrays[name] for name in self._input_names})[self.compiled.outputs[0]]
        return np.asarray(hidden, dtype=np.float32)

    def _run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return onnx_backend.mean_pool(self.forward(arrays), arrays["attention_mask"])


def openvino_bf16(core: Any = None) -> bool:
    """True if OpenVINO is installed and can compute bfloat16 natively on this CPU."""
    if core is None:
        try:
            import openvino
        except ImportError:
            return False
        core = openvino.Core()
    return "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def load_openvino_embedder(source: ModelSource, settings: EmbedSettings) -> OpenVinoEmbedder:
    """Export (first time, shared with "onnx") and compile ``source`` for bfloat16; ModelError
    if openvino is missing, the CPU has no native bfloat16, or the model cannot be run this way."""
    try:
        import openvino
    except ImportError as exc:
        raise ModelError(f"the {BACKEND} backend needs OpenVINO (pip install openvino)") from exc
    core = openvino.Core()
    if not openvino_bf16(core):
        raise ModelError(f"the {BACKEND} backend needs a CPU with native bfloat16 (AMX or AVX-512 BF16); on this one "
                         "OpenVINO would compute in float32. Use the default backend 'onnx' instead")
    try:
        max_tokens, tokenizer, path = _export(source, settings)
    except CannotReproduce as exc:
        raise ModelError(str(exc).replace("the onnx backends", f"the onnx and {BACKEND} backends")) from exc
    try:
        compiled = _compile(core, path, "bf16", settings.threads)
    except Exception as exc:
        raise ModelError(f"OpenVINO cannot compile the ONNX export {path} ({exc}); delete it and it will be "
                         "exported again on the next run, or use the default backend 'onnx'") from exc
    embedder = OpenVinoEmbedder(compiled, tokenizer, source.identity(BACKEND), max_tokens, settings.batch_size)
    cosine = checked_cosine(source, path, embedder.embed, BACKEND, MIN_BF16_COSINE)
    if cosine < MIN_BF16_COSINE:
        raise ModelError(f"embedding model {source.name!r}: OpenVINO in bfloat16 gives other vectors than "
                         f"sentence-transformers (lowest cosine {cosine:.5f} < {MIN_BF16_COSINE}); use the backend 'onnx'")
    return embedder


def load_openvino_fp32(source: ModelSource, settings: EmbedSettings) -> OpenVinoEmbedder | None:
    """The "onnx" backend's fp32 export compiled by OpenVINO in float32; None (onnxruntime
    runs it instead) if openvino is missing, cannot compile the file, or gives other vectors
    than sentence-transformers (the "onnx" check, ``MIN_COSINE``). CannotReproduce where the
    ONNX path cannot serve the model at all, as ``onnx_backend.load_onnx_embedder``. Its
    vectors are torch's to rounding (~5e-7), so it keeps the "onnx" identity (torch's)."""
    max_tokens, tokenizer, path = _export(source, settings)
    try:
        import openvino

        compiled = _compile(openvino.Core(), path, "f32", settings.threads)
    except Exception as exc:  # not installed, or this file or CPU is not supported: onnxruntime it is
        log.debug("OpenVINO does not run %s (%s); using onnxruntime", path, exc)
        return None
    embedder = OpenVinoEmbedder(compiled, tokenizer, source.identity("onnx"), max_tokens, settings.batch_size)
    cosine = checked_cosine(source, path, embedder.embed, "openvino")
    if cosine < MIN_COSINE:
        log.debug("OpenVINO float32 gives other vectors for %s (lowest cosine %.6f); using onnxruntime", path, cosine)
        return None
    return embedder


def _export(source: ModelSource, settings: EmbedSettings) -> tuple[int, Any, Path]:
    """The model's window, tokenizer and fp32 export (made once); CannotReproduce if the ONNX
    path cannot give its vectors (pooling, tokenizer, export)."""
    max_tokens, tokenizer = onnx_backend.model_tokenizer(source)
    return max_tokens, tokenizer, onnx_backend.onnx_model_file(
        source, (settings.cache_dir or DEFAULT_ONNX_CACHE).expanduser(), int8=False)


def _compile(core: Any, path: Path, precision: str, threads: int | None) -> Any:
    """The export compiled for the CPU at ``precision`` ("f32" or "bf16"), for one request at a time."""
    config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": "LATENCY"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = int(threads)
    return core.compile_model(str(path), "CPU", config)
