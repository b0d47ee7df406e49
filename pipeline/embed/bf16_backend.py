"""The "torch-bf16" backend: the model's transformer in bfloat16 on a CPU that computes it natively.

On CPUs with AMX or AVX-512 BF16 (Intel Sapphire Rapids and later, AMD Zen 4 and later),
PyTorch runs bfloat16 matrix products in hardware: the packaged MiniLM then embeds about
3.5x as fast as sentence-transformers' fp32 ``encode`` on a quiet machine (5x under load),
with a cosine of ~0.9999 to its vectors (``benchmarks/embed_backends.py``,
``benchmarks/suggest_speed.py``), much closer than int8 (~0.99). The vectors are not
identical, so the backend has its own identity in the embedding cache and its own runs,
like ``onnx-int8``. On a CPU without native bfloat16 it would be emulated and slower than
fp32, so loading refuses with a message instead of running slowly.

Tokenising, batching by word pieces and mean pooling are the onnx backend's
(``pipeline.embed.onnx_backend``); the weights are the model folder's own, cast once at
load time. Imports torch and transformers lazily.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.embed.onnx_backend import CannotReproduce, embed_by_length, mean_pool, model_tokenizer
from pipeline.embed.seam import EmbedSettings
from pipeline.embed.source import ModelSource
from pipeline.errors import ModelError

__all__ = ["Bf16Embedder", "load_bf16_embedder", "native_bf16"]


class Bf16Embedder:
    """A mean-pooled transformer in bfloat16; same contract as the other embedders.

    Texts longer than ``max_tokens`` word pieces are truncated: only their beginning
    shapes the vector. Vectors come back as float32 of unit length.
    """

    def __init__(self, model: Any, tokenizer: Any, identity: str, max_tokens: int, batch_size: int = 64) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.identity = identity
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.dimension = int(model.config.hidden_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return embed_by_length(self.tokenizer, texts, self.batch_size, self.dimension, self._run)

    def _run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            hidden = self.model(**{name: torch.from_numpy(array) for name, array in arrays.items()}).last_hidden_state
        # Pooling and normalising in float32: summing hundreds of bfloat16 values loses digits.
        return mean_pool(hidden.float().numpy(), arrays["attention_mask"])


def native_bf16() -> bool:
    """True if this CPU computes bfloat16 in hardware (AMX tiles or AVX-512 BF16)."""
    import torch

    checks = [getattr(torch.cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(check is not None and bool(check()) for check in checks)


def load_bf16_embedder(source: ModelSource, settings: EmbedSettings) -> Bf16Embedder:
    """Load ``source``'s transformer in bfloat16; ModelError if the CPU or the model does not allow it."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError("the torch-bf16 backend needs torch and transformers (pip install sentence-transformers)") from exc
    if not native_bf16():
        raise ModelError(
            "the torch-bf16 backend needs a CPU with native bfloat16 (AMX or AVX-512 BF16); this one "
            "would emulate it, slower than fp32. Use the default backend 'onnx' instead"
        )
    try:
        max_tokens, tokenizer = model_tokenizer(source)
    except CannotReproduce as exc:
        raise ModelError(str(exc).replace("the onnx backends", "the onnx and torch-bf16 backends")) from exc
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)  # process-wide: torch has no per-model setting
    folder = source.path / _transformer_folder(source)
    try:
        # Cast after loading: the keyword for a load-time dtype changed across transformers releases.
        model = AutoModel.from_pretrained(str(folder), local_files_only=True).to(torch.bfloat16)
    except Exception as exc:
        raise ModelError(
            f"embedding model {source.name!r} at {folder} cannot be loaded in bfloat16: {exc}. "
            "Check that the folder holds a complete sentence-transformers model"
        ) from exc
    return Bf16Embedder(model.eval(), tokenizer, source.identity("torch-bf16"), max_tokens, settings.batch_size)


def _transformer_folder(source: ModelSource) -> str:
    """The sub-folder of the model's Transformer module ("" for the model folder itself)."""
    modules_file = source.path / "modules.json"
    if not modules_file.is_file():
        return ""
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    return next((str(m.get("path", "")) for m in modules if str(m.get("type", "")).endswith("Transformer")), "")
