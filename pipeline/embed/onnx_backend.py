"""The "onnx" and "onnx-int8" embedding backends: the model exported once, run with onnxruntime.

Tokenisation uses the ``tokenizers`` library on the model folder's tokenizer.json; mean
pooling and normalisation are done in numpy, which is all that all-MiniLM-L6-v2's
pooling module does. Making the files (export, check, quantisation) is in
``pipeline.embed.onnx_export``.

"onnx" (fp32) is the default backend because it gives sentence-transformers' vectors
(checked once per model and runtime, see ``onnx_export.checked_cosine``) faster than
torch; it raises ``CannotReproduce`` for a model it cannot reproduce, and the caller
(``pipeline.embed.backends``) then uses torch for that model. Where OpenVINO is installed,
compiles the export and passes the same check, "onnx" runs the export with OpenVINO in
float32 instead (``openvino_backend.load_openvino_fp32``: ~1.1x onnxruntime's speed, the
same vectors to ~5e-7); this module is its onnxruntime runner.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from pipeline.embed.onnx_export import MIN_COSINE, RECIPE, CannotReproduce, atomic_write, checked_cosine, onnx_model_file
from pipeline.embed.seam import DEFAULT_ONNX_CACHE, EmbedSettings, normalize_rows
from pipeline.embed.source import ModelSource, read_max_tokens
from pipeline.errors import ModelError

__all__ = ["RECIPE", "CannotReproduce", "OnnxEmbedder", "atomic_write", "batches", "check_pooling", "embed_by_length",
           "load_onnx_embedder", "load_tokenizer", "model_tokenizer", "onnx_model_file", "pooling_modes", "token_arrays"]

# Pooling config keys of sentence-transformers before 6 (one flag per mode), and their names in
# the single "pooling_mode" key that sentence-transformers 6 writes (a fine-tuned model has it).
_LEGACY_POOLING = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                   "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                   "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}
BATCH_SPREAD = 0.8  # a batch's shortest text has at least this share of its longest's word pieces
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
        return embed_by_length(self.tokenizer, texts, self.batch_size, self.dimension, self._run)

    def forward(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """The model's last hidden state for a batch's token arrays."""
        return self.session.run(None, {name: arrays[name] for name in self._input_names})[0]

    def _run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return mean_pool(self.forward(arrays), arrays["attention_mask"])


def embed_by_length(tokenizer: Any, texts: Sequence[str], batch_size: int, dimension: int,
                    run: Callable[[dict[str, np.ndarray]], np.ndarray]) -> np.ndarray:
    """Tokenise every text first, then ``run`` batches of texts with the same number of word
    pieces or close to it, each padded to its longest: sorting by characters left a third
    of the tokens run as padding on AnnoMI utterances (benchmarks/onnx_wrapper.py).
    ``run`` maps a batch's token arrays to its pooled vectors; rows come back in input order."""
    texts = list(texts)
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    if not texts:
        return out
    encodings = tokenizer.encode_batch(texts)  # truncated, not padded
    for rows in batches([len(e.ids) for e in encodings], batch_size):
        out[rows] = run(token_arrays([encodings[i] for i in rows]))
    return out


def token_arrays(encodings: list[Any]) -> dict[str, np.ndarray]:
    """input_ids, attention_mask and token_type_ids of a batch, padded to its longest with 0."""
    width = max(len(e.ids) for e in encodings)
    arrays = {name: np.zeros((len(encodings), width), dtype=np.int64)
              for name in ("input_ids", "attention_mask", "token_type_ids")}
    for row, e in enumerate(encodings):
        n = len(e.ids)
        arrays["input_ids"][row, :n] = e.ids  # pad id 0, as the tokenizer pads ([PAD] = 0)
        arrays["attention_mask"][row, :n] = 1
        arrays["token_type_ids"][row, :n] = e.type_ids
    return arrays


def batches(lengths: Sequence[int], size: int, spread: float = BATCH_SPREAD) -> list[list[int]]:
    """Indices in batches of at most ``size``, longest first, a batch ending where a text is
    shorter than ``spread`` x the batch's longest: padding stays under 1 - ``spread`` of a
    batch even in the long tail of lengths, where batches of a fixed size padded ~30%."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    out: list[list[int]] = []
    for i in order:
        if not out or len(out[-1]) >= size or lengths[i] < spread * lengths[out[-1][0]]:
            out.append([])
        out[-1].append(i)
    return out


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average the token vectors that are not padding, then scale to unit length."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    return normalize_rows(summed / np.maximum(weights.sum(axis=1), 1e-9))


# --------------------------------------------------------------------------- loading


def load_onnx_embedder(source: ModelSource, settings: EmbedSettings) -> OnnxEmbedder:
    """Export (first time) and load ``source`` for backend "onnx" or "onnx-int8".

    "onnx" raises CannotReproduce when the model's pooling, tokenizer, export or
    vectors do not match sentence-transformers'; "onnx-int8" raises ModelError.
    """
    int8 = settings.backend == "onnx-int8"
    try:
        max_tokens, tokenizer = model_tokenizer(source)
    except CannotReproduce as exc:
        if int8:
            raise ModelError(str(exc)) from exc
        raise
    cache_dir = (settings.cache_dir or DEFAULT_ONNX_CACHE).expanduser()
    path = onnx_model_file(source, cache_dir, int8=int8)
    embedder = OnnxEmbedder(
        session=_open_session(path, settings.threads),
        tokenizer=tokenizer,
        identity=source.identity(settings.backend),
        max_tokens=max_tokens,
        batch_size=settings.batch_size,
    )
    if not int8:
        cosine = checked_cosine(source, path, embedder.embed)
        if cosine < MIN_COSINE:
            raise CannotReproduce(
                f"embedding model {source.name!r}: its ONNX export gives other vectors than "
                f"sentence-transformers (lowest cosine {cosine:.5f} < {MIN_COSINE})"
            )
    return embedder


def _open_session(path: Path, threads: int | None) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0 = onnxruntime's default (all cores)
    options.inter_op_num_threads = 1
    # Idle worker threads sleep instead of spinning: with other processes on the cores,
    # spinning threads take CPU the working ones need (600 AnnoMI texts, load ~4:
    # 82 texts/s without spinning, 68 with; torch 54). Results are the same either way.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(
            f"the ONNX export {path} cannot be opened ({exc}); delete it and it will be "
            "exported again on the next run"
        ) from exc


def model_tokenizer(source: ModelSource) -> tuple[int, Any]:
    """The model's window (in word pieces) and its tokenizer, for the backends that tokenise,
    batch and mean-pool with this module (onnx, onnx-int8, torch-bf16, openvino-bf16);
    CannotReproduce where that would not give the model's vectors (its pooling or tokenizer)."""
    check_pooling(source)
    max_tokens = read_max_tokens(source.path)
    return max_tokens, load_tokenizer(source, max_tokens)


def load_tokenizer(source: ModelSource, max_tokens: int) -> Any:
    # Without this, tokenizers' own thread pool fights onnxruntime for the cores
    # (measured 2.5-3x slower on 2 cores).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from tokenizers import Tokenizer

    path = source.path / "tokenizer.json"
    if not path.is_file():
        raise CannotReproduce(f"embedding model {source.name!r}: the onnx backends need {path}, which is missing")
    tokenizer = Tokenizer.from_file(str(path))
    padding = tokenizer.padding or {}
    if padding.get("pad_id", 0) != 0:  # OnnxEmbedder pads with 0 itself
        raise CannotReproduce(f"embedding model {source.name!r}: its tokenizer pads with id {padding['pad_id']}, "
                              "the onnx backends pad with 0")
    tokenizer.enable_truncation(max_length=max_tokens)
    # The shipped file pads every text to 128; OnnxEmbedder pads each batch to its longest.
    tokenizer.no_padding()
    return tokenizer


def pooling_modes(config: dict) -> set[str]:
    """The pooling modes a sentence-transformers Pooling config turns on, in either format."""
    modes = {_LEGACY_POOLING.get(key, key) for key, value in config.items()
             if key.startswith("pooling_mode_") and value is True}
    current = config.get("pooling_mode")
    if isinstance(current, str):
        modes.add(current)
    elif isinstance(current, list):
        modes.update(str(mode) for mode in current)
    return modes


def check_pooling(source: ModelSource) -> None:
    """Refuse models whose pooling the numpy code would not reproduce exactly."""
    modules_file = source.path / "modules.json"
    if not modules_file.is_file():
        return  # sentence-transformers itself falls back to mean pooling
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    for module in modules:
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind not in _MODULES_OK:
            raise CannotReproduce(
                f"embedding model {source.name!r} has a {kind} module, which the onnx backends do not reproduce"
            )
        if kind == "Pooling":
            config_file = source.path / module.get("path", "") / "config.json"
            config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
            modes = pooling_modes(config)
            if modes != {"mean"}:
                raise CannotReproduce(
                    f"embedding model {source.name!r} pools with {sorted(modes)}; the onnx backends do mean pooling only"
                )
