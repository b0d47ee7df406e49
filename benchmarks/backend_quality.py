"""Zero-shot quality of every embedding backend on every benchmark, in one run.

For each benchmark of zero_shot.py and each backend this machine can run, the engine's
forced-choice kappa on the test split (as zero_shot.py's "engine" row computes it), its
change from torch, and the share of test units whose top code is torch's. Issue 18's
limits for a faster backend: >= 97% the same top code, kappa loss <= 0.01 on every
benchmark. The approximate backends (onnx-int8, torch-bf16, openvino-bf16) give other
vectors, so this is where their cost in quality shows; "onnx" should match torch exactly.

    python benchmarks/backend_quality.py [--backends torch,onnx,...] [--only NAME ...] [--limit N]

--limit N keeps the first N texts of each benchmark (a quick check, not a figure).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _datasets  # noqa: E402
from _datasets import Benchmark, BenchEmbedder  # noqa: E402
from zero_shot import Engine, candidates, fit_vectors  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.embed import BACKENDS, runnable_backends  # noqa: E402


def top_codes(b: Benchmark, backend: str) -> tuple[np.ndarray, list[str]]:
    """The engine's top code for each test unit, with this backend's vectors."""
    embedder = BenchEmbedder(backend)
    book = load_codebook(b.codebook)
    codes = candidates(book, b.labels)
    X = embedder.embed(b.texts)
    engine = Engine(book, embedder, X, fit=fit_vectors(b.texts, embedder))
    cols = [engine.codes.index(c) for c in codes]
    return np.array(codes)[engine.proba(X)[b.test][:, cols].argmax(axis=1)], codes


def limited(b: Benchmark, n: int | None) -> Benchmark:
    return b if not n else b.subset(np.arange(len(b.texts)) < n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--only", nargs="*", choices=list(_datasets.BENCHMARKS), help="benchmarks (default: all)")
    parser.add_argument("--limit", type=int, help="first N texts of each benchmark (a quick check)")
    args = parser.parse_args()
    can = runnable_backends()
    backends = ["torch"] + [b for b in args.backends.split(",") if b and b != "torch" and b in can]
    started = time.perf_counter()
    print(f"backends: {', '.join(backends)} (torch is the reference)")
    print(f"\n{'benchmark':18} {'backend':14} {'kappa':>6} {'change':>7} {'same top as torch':>18}")
    worst: dict[str, tuple[float, float]] = {}
    for name in args.only or list(_datasets.BENCHMARKS):
        b = limited(_datasets.load(name), args.limit)
        gold = np.asarray(b.labels)[b.test]
        reference = None
        for backend in backends:
            top, codes = top_codes(b, backend)
            kappa = cohen_kappa_score(gold, top)
            if reference is None:
                reference = (top, kappa)
            same, change = float(np.mean(top == reference[0])), kappa - reference[1]
            print(f"{name:18} {backend:14} {kappa:6.3f} {change:+7.3f} {100 * same:17.1f}%")
            low_same, low_change = worst.get(backend, (1.0, 0.0))
            worst[backend] = (min(low_same, same), min(low_change, change))
    print("\nper backend over the benchmarks: lowest share with torch's top code, largest kappa loss "
          "(limits for a faster backend: >= 97%, <= 0.01)")
    for backend, (same, change) in worst.items():
        verdict = "within" if same >= 0.97 and change >= -0.01 else "outside"
        print(f"  {backend:14} {100 * same:5.1f}%  {change:+.3f}  {verdict} the limits")
    print(f"\n({time.perf_counter() - started:.0f} s; embeddings cached under {_datasets.CACHE})")


if __name__ == "__main__":
    main()
