"""Where the ONNX backends' time goes, and what the wrapper leaves on the table, in one run.

    python benchmarks/onnx_wrapper.py [--n 2000] [--rounds 2] [--threads 2] [--seed 3]

On a seeded sample of AnnoMI utterances (a different seed from the other benchmarks'),
rounds alternating between them (best of --rounds), texts/s and the ratio to the project's
torch embedder for:
- the project's embedders (`torch`, `onnx`, `onnx-int8`), as the suggest stage calls them,
  and the `onnx` wrapper on onnxruntime ("onnx, onnxruntime"), which `onnx` runs where
  OpenVINO cannot;
- a bare onnxruntime loop over the same exported files (pre-tokenised texts, batches of
  64 in token-length order, onnxruntime's default session options): the hardware's speed
  for this model and file, without our wrapper;
- the bare loop with idle threads spinning (onnxruntime's default) and with our
  no-spinning option, which is what the backends set;
- the same loop over the fp32 file compiled by OpenVINO in float32 ("bare fp32 openvino",
  what `onnx` runs where it can), and, on a CPU with native bfloat16, the `openvino-bf16`
  backend.
Then, for the ONNX embedders, the seconds and the share of them spent tokenising, running
the model and pooling, and how many of the tokens run are padding,
with batches made as the wrapper makes them (word-piece order, cut where lengths drop
below BATCH_SPREAD of the batch's longest), of a fixed size in word-piece order, and of
a fixed size in character order (what the wrapper did before).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from _annomi import require_annomi  # noqa: E402

from pipeline.embed import DEFAULT_MODEL, EmbedSettings, load_embedder, resolve_model, runnable_backends  # noqa: E402
from pipeline.embed.onnx_backend import (BATCH_SPREAD, OnnxEmbedder, _open_session, batches, load_tokenizer,  # noqa: E402
                                         mean_pool)
from pipeline.embed.onnx_export import onnx_model_file  # noqa: E402
from pipeline.embed.source import read_max_tokens  # noqa: E402


def sample(n: int, seed: int) -> list[str]:
    import pandas as pd

    column = pd.read_csv(require_annomi(), usecols=["utterance_text"])["utterance_text"].dropna().astype(str)
    texts = [t for t in column if t.strip()]
    picked = np.random.default_rng(seed).choice(len(texts), size=min(n, len(texts)), replace=False)
    return [texts[i] for i in picked]


def bare_loop(path: Path, tokenizer, threads: int, spinning: bool, batch: int = 64):  # noqa: ANN001, ANN201
    """The model file run by onnxruntime with nothing around it; tokenising is done beforehand."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def prepare(texts: list[str]) -> list[dict[str, np.ndarray]]:
        encodings = sorted(tokenizer.encode_batch(texts), key=lambda e: -len(e.ids))
        feeds = []
        for start in range(0, len(encodings), batch):
            arrays = padded(encodings[start:start + batch])
            feeds.append({k: arrays[k] for k in names})
        return feeds

    def run(feeds: list[dict[str, np.ndarray]]) -> None:
        for feed in feeds:
            session.run(None, feed)

    return prepare, run


def bare_openvino(path: Path, tokenizer, threads: int, batch: int = 64):  # noqa: ANN001, ANN201
    """The fp32 file compiled by OpenVINO in float32, with nothing around it (as bare_loop)."""
    import openvino

    compiled = openvino.Core().compile_model(str(path), "CPU", {
        "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads})
    request = compiled.create_infer_request()
    names = [port.get_any_name() for port in compiled.inputs]

    def prepare(texts: list[str]) -> list[dict[str, np.ndarray]]:
        encodings = sorted(tokenizer.encode_batch(texts), key=lambda e: -len(e.ids))
        return [{k: v for k, v in padded(encodings[start:start + batch]).items() if k in names}
                for start in range(0, len(encodings), batch)]

    def run(feeds: list[dict[str, np.ndarray]]) -> None:
        for feed in feeds:
            request.infer(feed)

    return prepare, run


def padded(encodings: list) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Input arrays of unpadded encodings, padded with 0 to the longest (as OnnxEmbedder does)."""
    width = max(len(e.ids) for e in encodings)
    arrays = {k: np.zeros((len(encodings), width), dtype=np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    for row, e in enumerate(encodings):
        arrays["input_ids"][row, :len(e.ids)] = e.ids
        arrays["attention_mask"][row, :len(e.ids)] = 1
        arrays["token_type_ids"][row, :len(e.ids)] = e.type_ids
    return arrays


ORDERS = ("wrapper", "word pieces", "characters")


def profile(embedder, texts: list[str], order: str) -> tuple[float, float, float, float]:  # noqa: ANN001
    """Seconds tokenising, running the model (``forward``) and pooling, and the padding share of the tokens run,
    for batches as the wrapper makes them (``batches``: word-piece order, a batch cut where
    lengths drop below BATCH_SPREAD of its longest), or of the embedder's batch size in
    word-piece order, or in character order (what the wrapper did before)."""
    t0 = time.perf_counter()
    encodings = embedder.tokenizer.encode_batch(texts)
    tokenize = time.perf_counter() - t0
    run = pool = 0.0
    real = total = 0
    lengths = [len(texts[i]) if order == "characters" else len(encodings[i].ids) for i in range(len(texts))]
    for rows in batches(lengths, embedder.batch_size, BATCH_SPREAD if order == "wrapper" else 0.0):
        t0 = time.perf_counter()
        arrays = padded([encodings[i] for i in rows])
        t1 = time.perf_counter()
        hidden = embedder.forward(arrays)
        t2 = time.perf_counter()
        mean_pool(hidden, arrays["attention_mask"])
        t3 = time.perf_counter()
        tokenize, run, pool = tokenize + t1 - t0, run + t2 - t1, pool + t3 - t2
        real += int(arrays["attention_mask"].sum())
        total += int(arrays["attention_mask"].size)
    return tokenize, run, pool, 1 - real / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    texts = sample(args.n, args.seed)
    source = resolve_model(DEFAULT_MODEL)
    tokenizer = load_tokenizer(source, read_max_tokens(source.path))
    cache = Path("~/.cache/deductive/onnx").expanduser()
    backends = [b for b in ("torch", "onnx", "onnx-int8", "openvino-bf16") if b in runnable_backends()]
    ours = {b: load_embedder(EmbedSettings(backend=b, threads=args.threads)) for b in backends}
    fp32 = onnx_model_file(source, cache, int8=False)
    ours["onnx, onnxruntime"] = OnnxEmbedder(_open_session(fp32, args.threads), tokenizer, "ort",
                                            read_max_tokens(source.path))
    contenders = {name: (lambda e=e: None, lambda _, e=e: e.embed(texts)) for name, e in ours.items()}
    for label, int8 in (("fp32", False), ("int8", True)):
        path = onnx_model_file(source, cache, int8=int8)
        for spinning in (True, False):
            prepare, run = bare_loop(path, tokenizer, args.threads, spinning)
            contenders[f"bare {label}{'' if spinning else ' no-spin'}"] = (lambda p=prepare: p(texts), run)
    prepare, run = bare_openvino(fp32, tokenizer, args.threads)
    contenders["bare fp32 openvino"] = (lambda p=prepare: p(texts), run)
    words = [len(t.split()) for t in texts]
    print(f"{len(texts)} AnnoMI utterances (seed {args.seed}; words mean {np.mean(words):.1f}, median "
          f"{np.median(words):.0f}, max {max(words)}), {args.threads} threads, best of {args.rounds} alternating "
          f"rounds, load average {os.getloadavg()[0]:.2f}")
    best: dict[str, float] = {}
    names = list(contenders)
    for round_no in range(args.rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            prepare, run = contenders[name]
            ready = prepare()  # the bare loops tokenise here, untimed
            run(ready)  # warm-up pass (the first run of a session allocates its buffers)
            started = time.perf_counter()
            run(ready)
            best[name] = max(best.get(name, 0.0), len(texts) / (time.perf_counter() - started))
    print(f"\n{'embedder':<20} {'texts/s':>8} {'x torch':>8}")
    for name in names:
        print(f"{name:<20} {best[name]:8.1f} {best[name] / best['torch']:8.2f}")
    print(f"\n{'where the time goes':<32} {'seconds':>7} {'tokenise':>9} {'run':>6} {'pool':>6} {'padding':>8}")
    for name in ("onnx", "onnx, onnxruntime", "onnx-int8"):
        for order in ORDERS:
            tok, run, pool, padding = profile(ours[name], texts, order)
            total = tok + run + pool
            label = f"{name}, {order}"
            print(f"{label:<32} {total:7.1f} {100 * tok / total:8.1f}% {100 * run / total:5.1f}% {100 * pool / total:5.1f}% "
                  f"{100 * padding:7.1f}%")
    print(f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
