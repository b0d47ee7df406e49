"""int8 recipes for the packaged model: speed against torch and quality, in one run.

    python benchmarks/int8_recipes.py [--n 1000] [--rounds 2] [--threads 2] [--recipes a,b]

Builds each recipe once from the project's fp32 export (files kept under
~/.cache/deductive/onnx/<model>/recipes/) and, on a seeded sample of AnnoMI utterances:
- speed: sentences/s of each embedder, rounds alternating between them (best of --rounds),
  and the ratio to the project's torch embedder (the baseline, same run);
- agreement: cosine to torch (mean, 1st percentile) and the share of utterances whose
  top suggestion (code or "no code", study defaults) is the same as with torch;
- quality: Cohen's kappa of the forced-choice top code against AnnoMI's gold labels
  (therapist behaviour on therapist turns, client talk type on client turns), and its
  change from torch. Targets for int8: >= 3.5x torch, >= 97% same top code, kappa loss <= 0.01.

Recipes (ONNX Runtime 1.2x quantisation tools):
  fp32          the project's export (backend "onnx")
  r1            backend "onnx-int8" before recipe r2: dynamic, per-channel, attention and FFN output projections float
  all           dynamic, per-channel, every weight MatMul int8
  fused         fp32 with ORT's BERT fusions (Attention, SkipLayerNorm, FastGelu)
  fused-r1      fused, then int8 as r1
  fused-all     fused, then every MatMul and Attention int8 (per-channel)
  fused-ffn     fused, then int8 except the FFN output projections (backend "onnx-int8" from recipe r2)
  static        static (calibrated) QDQ: weights int8 per channel, activations uint8 with ranges
                calibrated (99.999th percentile) on generic text, every weight MatMul
  static-ffn    static, FFN output projections float
  all-but-ffnL  every MatMul int8 but layer L's FFN output projection (L = 0-5): which layer's
                error matters most
The static recipes are calibrated on the background sentences and the shipped codebooks'
texts (pipeline.suggest.background, codebook/*.yaml), never on the AnnoMI sample: a model is
exported once, before any study exists.
The sample is seeded and none of these recipes was tuned on it.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from _annomi import CODEBOOK, READ, ROLES, require_annomi  # noqa: E402

from pipeline.embed import DEFAULT_MODEL, EmbedSettings, load_embedder, resolve_model  # noqa: E402
from pipeline.embed.onnx_backend import OnnxEmbedder, load_tokenizer, _open_session  # noqa: E402
from pipeline.embed.onnx_export import atomic_write, onnx_model_file  # noqa: E402
from pipeline.embed.source import read_max_tokens  # noqa: E402

RECIPES = ("fp32", "r1", "all", "fused", "fused-r1", "fused-all", "fused-ffn", "static", "static-ffn")
GOLD = ("main_therapist_behaviour", "client_talk_type")
CALIBRATION_TOKENS = 64


# --------------------------------------------------------------------------- building the recipes


def _quantize(source: Path, target: Path, exclude: list[str], ops: list[str]) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)
    # Fused ops (com.microsoft domain) defeat shape inference: say their outputs are float.
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=ops, nodes_to_exclude=exclude,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _calibration_texts() -> list[str]:
    from pipeline.codebook import load_codebook
    from pipeline.suggest.background import BACKGROUND
    from pipeline.suggest.scoring import code_texts

    texts = list(BACKGROUND)
    for path in sorted((HERE.parent / "codebook").glob("*.yaml")):
        texts += [t.text for t in code_texts(load_codebook(path))]
    return texts


def _quantize_static(source: Path, target: Path, exclude: list[str]) -> None:
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    model = DEFAULT_MODEL
    tokenizer = load_tokenizer(resolve_model(model), read_max_tokens(resolve_model(model).path))

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(_calibration_texts())

        def get_next(self):  # noqa: ANN201
            text = next(self.items, None)
            if text is None:
                return None
            # one length for every text: the percentile calibrator stacks what it collects
            enc = tokenizer.encode(text)
            ids, mask = np.zeros((1, CALIBRATION_TOKENS), dtype=np.int64), np.zeros((1, CALIBRATION_TOKENS), dtype=np.int64)
            n = min(len(enc.ids), CALIBRATION_TOKENS)
            ids[0, :n], mask[0, :n] = enc.ids[:n], 1
            return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    graph = onnx.load(str(source), load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    weighted = [n.name for n in graph.node if n.op_type == "MatMul" and any(i in weights for i in n.input)]
    logging.getLogger().setLevel(logging.ERROR)
    quantize_static(str(source), str(target), Reader(), quant_format=QuantFormat.QDQ, op_types_to_quantize=["MatMul"],
                    nodes_to_quantize=[n for n in weighted if n not in set(exclude)], per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=CalibrationMethod.Percentile, extra_options={"CalibPercentile": 99.999})


def _matmuls(path: Path, fragment: str) -> list[str]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and fragment in n.name]


def _fuse(source: Path, target: Path) -> None:
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=1)
    model.save_model_to_file(str(target))


def _ffn_output(path: Path) -> list[str]:
    """The FFN output projections (…/output/dense/…), not the attention output ones."""
    return [n for n in _matmuls(path, "/output/dense/") if "/attention/" not in n]


def build(recipe: str, fp32: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fused = folder / "fused.onnx"
    if recipe.startswith("fused") and not fused.exists():
        atomic_write(fused, lambda tmp: _fuse(fp32, tmp))
    target = folder / f"{recipe}.onnx"
    if recipe == "fp32":
        return fp32
    if recipe == "fused":
        return fused
    if target.exists():
        return target
    if recipe.startswith("all-but-ffn"):  # every MatMul int8 but one layer's FFN output projection
        layer = f"/layer.{recipe.removeprefix('all-but-ffn')}/"
        return atomic_write(target, lambda tmp: _quantize(fp32, tmp, [n for n in _ffn_output(fp32) if layer in n], ["MatMul"]))
    steps = {
        "r1": lambda tmp: _quantize(fp32, tmp, _matmuls(fp32, "/output/dense/"), ["MatMul"]),
        "all": lambda tmp: _quantize(fp32, tmp, [], ["MatMul"]),
        "fused-r1": lambda tmp: _quantize(fused, tmp, _matmuls(fused, "/output/dense/"), ["MatMul"]),
        "fused-all": lambda tmp: _quantize(fused, tmp, [], ["MatMul", "Attention"]),
        "fused-ffn": lambda tmp: _quantize(fused, tmp, _ffn_output(fused), ["MatMul", "Attention"]),
        "static": lambda tmp: _quantize_static(fp32, tmp, []),
        "static-ffn": lambda tmp: _quantize_static(fp32, tmp, _ffn_output(fp32)),
    }
    return atomic_write(target, steps[recipe])


# --------------------------------------------------------------------------- measuring


class Precomputed:
    """Vectors computed beforehand, served to the suggest stage under their own identity."""

    def __init__(self, identity: str, texts: list[str], vectors: np.ndarray, fallback) -> None:  # noqa: ANN001
        self.identity = identity
        self.by_text = dict(zip(texts, vectors))
        self.fallback = fallback  # for the codebook's texts

    def embed(self, texts):  # noqa: ANN001, ANN201
        missing = [t for t in texts if t not in self.by_text]
        if missing:
            self.by_text.update(zip(missing, self.fallback(missing)))
        return np.stack([self.by_text[t] for t in texts])


def sample(n: int, seed: int) -> pd.DataFrame:
    frame = pd.read_csv(require_annomi(), dtype=str, keep_default_na=False)
    frame = frame[frame["utterance_text"].str.strip() != ""]
    return frame.sample(n=min(n, len(frame)), random_state=seed)


def quality(frame: pd.DataFrame, embedder, tmp: Path) -> tuple[pd.Series, dict[str, float]]:  # noqa: ANN001
    """Top suggestion per utterance (study defaults) and forced-choice kappa per gold column."""
    from pipeline.suggest.evaluate import read_gold
    from pipeline.study import Study

    table = tmp / f"{embedder.identity}.csv"
    frame.to_csv(table, index=False)
    with Study.create(tmp / embedder.identity, codebook=CODEBOOK) as study:
        study.settings = dataclasses.replace(study.settings.override("segment", unit="row"), roles=ROLES)
        study.ingest([table], read=READ)
        run = study.suggest(embedder=embedder, learned=False)
        top = study.suggestions(run.run_id).drop_duplicates("segment_id").set_index("segment_id")["code"]
        top = top.reindex(study.segments()["segment_id"]).fillna("(no code)").reset_index(drop=True)
        study.settings = study.settings.override("suggest", threshold=0.0, top_k=4)
        forced = study.suggest(embedder=embedder, learned=False)
        kappas = {}
        for column in GOLD:
            result = study.evaluate(read_gold(table, column, READ.id_columns), column, forced.run_id, top_k=2)
            kappas[column] = result.methods["embedding"]["kappa"]
    return top, kappas


def timed_rounds(embedders: dict, texts: list[str], rounds: int) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Texts/s of each embedder (best of ``rounds``, the order rotating each round so load
    changes hit all of them) and the vectors each gave."""
    best: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    names = list(embedders)
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            embedders[name].embed(texts[:32])
            started = time.perf_counter()
            vectors[name] = embedders[name].embed(texts)
            best[name] = max(best.get(name, 0.0), len(texts) / (time.perf_counter() - started))
    return best, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recipes", default=",".join(RECIPES))
    args = parser.parse_args()
    frame = sample(args.n, args.seed)
    texts = frame["utterance_text"].tolist()
    source = resolve_model(DEFAULT_MODEL)
    fp32 = onnx_model_file(source, Path("~/.cache/deductive/onnx").expanduser(), int8=False)
    folder = fp32.parent / "recipes"
    max_tokens = read_max_tokens(source.path)
    embedders = {"torch": load_embedder(EmbedSettings(backend="torch", threads=args.threads))}
    for recipe in args.recipes.split(","):
        path = build(recipe, fp32, folder)
        embedders[recipe] = OnnxEmbedder(_open_session(path, args.threads), load_tokenizer(source, max_tokens),
                                         f"recipe-{recipe}", max_tokens)
    print(f"{len(texts)} AnnoMI utterances (seed {args.seed}), {args.threads} threads, best of {args.rounds} "
          f"alternating rounds, load average {os.getloadavg()[0]:.1f}")
    best, vectors = timed_rounds(embedders, texts, args.rounds)
    names = list(embedders)
    with tempfile.TemporaryDirectory() as tmp:
        reference = embedders["torch"].embed
        results = {name: quality(frame, Precomputed(f"q-{name}", texts, vectors[name], reference), Path(tmp))
                   for name in names}
    torch_top, torch_kappa = results["torch"]
    print(f"\n{'embedder':10} {'sent/s':>7} {'x torch':>8} {'cos mean':>9} {'cos p1':>8} {'same top':>9} "
          + " ".join(f"{'kappa ' + c[:12]:>19} {'change':>7}" for c in GOLD))
    for name in names:
        cos = (vectors[name] * vectors["torch"]).sum(axis=1)
        top, kappa = results[name]
        same = float((top == torch_top).mean())
        print(f"{name:10} {best[name]:7.1f} {best[name] / best['torch']:8.2f} {cos.mean():9.5f} "
              f"{np.percentile(cos, 1):8.5f} {100 * same:8.1f}% "
              + " ".join(f"{kappa[c]:19.3f} {kappa[c] - torch_kappa[c]:+7.3f}" for c in GOLD))
    print(f"(load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
