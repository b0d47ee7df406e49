"""The "onnx" and "onnx-int8" embedding backends: the model exported once, run with onnxruntime.

The transformer is exported with torch's TorchScript-based exporter (``dynamo=False``: it
needs no extra package and the graph it writes ran ~40% faster here than the new
exporter's). Tokenisation uses the ``tokenizers`` library on the model folder's
tokenizer.json; mean pooling and normalisation are done in numpy, which is all that
all-MiniLM-L6-v2's pooling module does.

Exports live under ``cache_dir/<name>@<digest>/`` and are reused by later loads. Each
file is written under a temporary name and renamed, so a killed run leaves no half file.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.embed.seam import DEFAULT_ONNX_CACHE, EmbedSettings, embed_in_length_order, normalize_rows
from pipeline.embed.source import ModelSource, go_offline, read_max_tokens
from pipeline.errors import ModelError

__all__ = ["OnnxEmbedder", "atomic_write", "load_onnx_embedder", "onnx_model_file"]

# Bump when the export or quantisation recipe changes, so stale files are not reused.
RECIPE = "r1"
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_POOLING_OK = {"pooling_mode_mean_tokens": True}
_MODULES_OK = ("Transformer", "Pooling", "Normalize")


class OnnxEmbedder:
    """A mean-pooled transformer run by onnxruntime; same contract as the torch embedder.

    Texts longer than ``max_tokens`` word pieces are truncated: only their beginning
    shapes the vector. The store keeps the full text regardless.
    """

    def __init__(self, session: Any, tokenizer: Any, identity: str, max_tokens: int, batch_size: int = 64) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.identity = identity
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.dimension = int(session.get_outputs()[0].shape[-1])
        self._input_names = [i.name for i in session.get_inputs()]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return embed_in_length_order(texts, self.batch_size, self._encode_batch, self.dimension)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        arrays = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        hidden = self.session.run(None, {name: arrays[name] for name in self._input_names})[0]
        return mean_pool(hidden, arrays["attention_mask"])


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average the token vectors that are not padding, then scale to unit length."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    return normalize_rows(summed / np.maximum(weights.sum(axis=1), 1e-9))


# --------------------------------------------------------------------------- loading


def load_onnx_embedder(source: ModelSource, settings: EmbedSettings) -> OnnxEmbedder:
    """Export (first time) and load ``source`` for backend "onnx" or "onnx-int8"."""
    _check_pooling(source)
    cache_dir = (settings.cache_dir or DEFAULT_ONNX_CACHE).expanduser()
    path = onnx_model_file(source, cache_dir, int8=settings.backend == "onnx-int8")
    max_tokens = read_max_tokens(source.path)
    return OnnxEmbedder(
        session=_open_session(path, settings.threads),
        tokenizer=_load_tokenizer(source, max_tokens),
        identity=source.identity(settings.backend),
        max_tokens=max_tokens,
        batch_size=settings.batch_size,
    )


def onnx_model_file(source: ModelSource, cache_dir: Path, int8: bool) -> Path:
    """The cached ONNX file for ``source``, exporting/quantising it if it is missing."""
    folder = cache_dir / f"{source.name}@{source.digest}"
    fp32 = folder / f"model.{RECIPE}.onnx"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not fp32.exists():
            atomic_write(fp32, lambda tmp: export_onnx(source.path, tmp))
        if not int8:
            return fp32
        quantised = folder / f"model.{RECIPE}.int8.onnx"
        if not quantised.exists():
            atomic_write(quantised, lambda tmp: quantize_int8(fp32, tmp))
        return quantised
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"embedding model {source.name!r}: exporting it to ONNX under {folder} failed: {exc}. "
            "Use backend 'torch', or check that the folder is writable"
        ) from exc


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary file beside ``target``, then rename it into place."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def export_onnx(model_dir: Path, target: Path) -> None:
    """Export the transformer (token ids -> last hidden state) with dynamic batch and length."""
    go_offline()
    import torch
    from transformers import AutoModel

    # Eager attention traces to plain MatMul/Softmax, which onnxruntime fuses well.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True)
    wrapper = _last_hidden_state_only(model)
    ids = torch.tensor([[101, 2023, 2003, 1037, 6251, 102], [101, 2460, 102, 0, 0, 0]], dtype=torch.long)
    dummy = (ids, (ids != 0).long(), torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter warns that it is deprecated and about traced shapes.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            dummy,
            str(target),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _last_hidden_state_only(model: Any) -> Any:
    """Wrap the transformer so the exported graph has one output, the token vectors."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    return LastHiddenState().eval()


def quantize_int8(fp32: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weight MatMuls, per output channel.

    The feed-forward output and attention output projections stay float: their inputs
    carry outliers that per-tensor activation scales flatten (mean cosine to the float
    model 0.98 with them quantised, ~0.991 without, on AnnoMI utterances).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    keep_float = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and "/output/dense/" in node.name
    ]
    root = logging.getLogger()
    # It logs a pre-processing hint on the root logger; the library stays quiet.
    quiet = _DropMessages("pre-processing before quantization")
    root.addFilter(quiet)
    try:
        quantize_dynamic(
            str(fp32),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=keep_float,
        )
    finally:
        root.removeFilter(quiet)


class _DropMessages(logging.Filter):
    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.fragment = fragment

    def filter(self, record: logging.LogRecord) -> bool:
        return self.fragment not in record.getMessage()


def _open_session(path: Path, threads: int | None) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0 = onnxruntime's default (all cores)
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(
            f"the ONNX export {path} cannot be opened ({exc}); delete it and it will be "
            "exported again on the next run"
        ) from exc


def _load_tokenizer(source: ModelSource, max_tokens: int) -> Any:
    # Without this, tokenizers' own thread pool fights onnxruntime for the cores
    # (measured 2.5-3x slower on 2 cores).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from tokenizers import Tokenizer

    path = source.path / "tokenizer.json"
    if not path.is_file():
        raise ModelError(
            f"embedding model {source.name!r}: the onnx backends need {path}, which is "
            "missing; use backend 'torch' for this model"
        )
    tokenizer = Tokenizer.from_file(str(path))
    padding = tokenizer.padding or {}
    tokenizer.enable_truncation(max_length=max_tokens)
    # The shipped file pads every text to 128; pad to the longest in the batch instead.
    tokenizer.enable_padding(pad_id=padding.get("pad_id", 0), pad_token=padding.get("pad_token", "[PAD]"))
    return tokenizer


def _check_pooling(source: ModelSource) -> None:
    """Refuse models whose pooling the numpy code would not reproduce exactly."""
    modules_file = source.path / "modules.json"
    if not modules_file.is_file():
        return  # sentence-transformers itself falls back to mean pooling
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    for module in modules:
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind not in _MODULES_OK:
            raise ModelError(
                f"embedding model {source.name!r} has a {kind} module, which the onnx backends "
                "do not reproduce; use backend 'torch' for this model"
            )
        if kind == "Pooling":
            config_file = source.path / module.get("path", "") / "config.json"
            config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
            modes = {key for key, value in config.items() if key.startswith("pooling_mode") and value}
            if modes != set(_POOLING_OK):
                raise ModelError(
                    f"embedding model {source.name!r} pools with {sorted(modes)}; the onnx "
                    "backends do mean pooling only; use backend 'torch' for this model"
                )
