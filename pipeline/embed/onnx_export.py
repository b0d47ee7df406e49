"""Making the ONNX files: exported once per model, checked against sentence-transformers,
optionally quantised to int8; each file written atomically under the cache folder.

The transformer is exported with torch's TorchScript-based exporter (``dynamo=False``: it
needs no extra package and the graph it writes ran ~40% faster here than the new
exporter's). After the first export the fp32 file is checked once: it embeds
``CHECK_TEXTS`` with sentence-transformers and with onnxruntime, and the lowest cosine
is kept in ``check.<recipe>.json`` beside the export. Below ``MIN_COSINE`` the model
counts as not reproduced and the "onnx" backend uses torch for it
(``pipeline.embed.backends``); the check is not repeated on later loads.

Exports live under ``cache_dir/<name>@<digest>/``. Each file is written under a
temporary name and renamed, so a killed run leaves no half file, and two processes
exporting at once each write a whole file (the last rename wins).
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.embed.seam import INT8_RECIPE
from pipeline.embed.source import ModelSource, go_offline
from pipeline.errors import ModelError

__all__ = ["CHECK_TEXTS", "INT8_RECIPE", "MIN_COSINE", "RECIPE", "CannotReproduce", "atomic_write", "checked_cosine",
           "export_onnx", "onnx_model_file", "quantize_int8"]

log = logging.getLogger(__name__)

# Bump when the export or quantisation recipe changes, so stale files are not reused
# (INT8_RECIPE is part of the int8 backend's identity too: its vectors change with it).
RECIPE = "r1"
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MIN_COSINE = 0.9999  # fp32 in another runtime differs by rounding only: ~1e-6 here

# Short and long (past the 256-piece window: both must truncate alike), punctuation,
# numbers, accents, a transcript line and a single word.
CHECK_TEXTS = (
    "ok",
    "Yeah.",
    "The nurses were trained to use the new system before it went live.",
    "Interviewer: And how did the managers react? P3: Honestly... they were worried about cost [laughs].",
    "We spent 12,500 EUR on licences in 2023 - about 40% more than planned!",
    "Die Pflegekräfte waren skeptisch; l'équipe a adapté le logiciel à ses routines.",
    "It fit how we already worked, so we changed very little, except the handover forms.",
    " ".join(["The pilot ward kept a paper backup while the software was rolled out."] * 30),
)


class CannotReproduce(ModelError):
    """The ONNX path cannot give this model's vectors; the "onnx" backend uses torch instead."""


def onnx_model_file(source: ModelSource, cache_dir: Path, int8: bool) -> Path:
    """The cached ONNX file for ``source``, exporting/quantising it if it is missing.

    CannotReproduce if the export fails; ModelError if quantising fails.
    """
    folder = cache_dir / f"{source.name}@{source.digest}"
    fp32 = folder / f"model.{RECIPE}.onnx"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not fp32.exists():
            _with_progress(f"exporting embedding model {source.name!r} to ONNX (once per model) under {folder}",
                           lambda: atomic_write(fp32, lambda tmp: export_onnx(source.path, tmp)))
    except Exception as exc:
        raise CannotReproduce(
            f"embedding model {source.name!r}: exporting it to ONNX under {folder} failed: {exc}"
        ) from exc
    if not int8:
        return fp32
    quantised = folder / f"model.{RECIPE}.int8-{INT8_RECIPE}.onnx"
    try:
        if not quantised.exists():
            _with_progress(f"quantising {source.name!r} to int8 (once per model)",
                           lambda: atomic_write(quantised, lambda tmp: quantize_int8(fp32, tmp, source.path)))
    except Exception as exc:
        raise ModelError(
            f"embedding model {source.name!r}: quantising it to int8 under {folder} failed: {exc}. "
            "Use backend 'onnx' or 'torch', or check that the folder is writable"
        ) from exc
    return quantised


def checked_cosine(source: ModelSource, export: Path, embed: Callable[[Sequence[str]], np.ndarray],
                   runner: str = "", threshold: float = MIN_COSINE) -> float:
    """The lowest cosine between ``embed`` (the export, run by ``runner``: "" for
    onnxruntime) and sentence-transformers on CHECK_TEXTS, computed once per export and
    runner and then read from its check file (which records the caller's ``threshold``)."""
    record = export.with_name(f"check.{export.stem}{'.' + runner if runner else ''}.json")
    if record.is_file():
        try:
            return float(json.loads(record.read_text(encoding="utf-8"))["min_cosine"])
        except (ValueError, KeyError, TypeError):
            pass  # unreadable: check again
    from pipeline.embed.seam import EmbedSettings
    from pipeline.embed.torch_backend import SentenceTransformerEmbedder

    reference = SentenceTransformerEmbedder.load(source, EmbedSettings(model=str(source.path), backend="torch"))
    cosine = float((np.asarray(embed(CHECK_TEXTS)) * reference.embed(CHECK_TEXTS)).sum(axis=1).min())
    payload = {"min_cosine": cosine, "texts": len(CHECK_TEXTS), "threshold": threshold, "model": source.name}
    atomic_write(record, lambda tmp: tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8"))
    return cosine


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary file beside ``target``, then rename it into place."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _with_progress(what: str, work: Callable[[], Any]) -> Any:
    """Log a start line and a done line (the CLI shows the library's INFO lines on stderr)."""
    log.info("%s ...", what)
    started = time.perf_counter()
    result = work()
    log.info("done in %.0f s", time.perf_counter() - started)
    return result


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


def quantize_int8(fp32: Path, target: Path, model_dir: Path) -> None:
    """int8 recipe r2: ONNX Runtime's BERT fusions, then dynamic int8 quantisation of the
    weight MatMuls and the fused attention, per output channel, except the feed-forward
    output projections.

    Those stay float because their inputs (after the GELU) carry outliers that one
    per-tensor activation scale flattens. The fusions (Attention, SkipLayerNormalization,
    BiasGelu) let the attention's Q, K, V projections be quantised as one op. Chosen with
    benchmarks/int8_recipes.py: same top suggestion as torch for 97.3% (seed 1) and 93.8%
    (seed 2) of AnnoMI utterances against r1's 88.7% and 93.7%, no kappa loss on either;
    speed ratios were not reliable on the loaded machine (docs/speed.md).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    fused = target.with_name(f".{target.name}.fused.{os.getpid()}.tmp")
    root = logging.getLogger()
    # They log hints and fusion counts on the root logger; the library stays quiet.
    quiet = _DropMessages("")
    root.addFilter(quiet)
    try:
        heads, hidden = _attention_shape(model_dir)
        model = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
        model.save_model_to_file(str(fused))
        graph = onnx.load(str(fused), load_external_data=False).graph
        keep_float = [n.name for n in graph.node
                      if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name]
        quantize_dynamic(
            str(fused),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            nodes_to_exclude=keep_float,
            # Fused ops (com.microsoft domain) defeat shape inference: their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.removeFilter(quiet)
        fused.unlink(missing_ok=True)


def _attention_shape(model_dir: Path) -> tuple[int, int]:
    """(attention heads, hidden size) from the model's config.json; (0, 0) lets the fuser guess."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        return int(config.get("num_attention_heads", 0)), int(config.get("hidden_size", 0))
    except (OSError, ValueError, TypeError):
        return 0, 0


class _DropMessages(logging.Filter):
    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.fragment = fragment

    def filter(self, record: logging.LogRecord) -> bool:
        return self.fragment not in record.getMessage()


