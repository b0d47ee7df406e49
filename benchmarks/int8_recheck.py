"""What it would take for int8 to keep torch's top suggestions: re-embedding the least certain share in fp32.

    python benchmarks/int8_recheck.py [--recipe all] [--n 1000] [--rounds 2] [--threads 2]

Not a backend: a measurement of one design the project did not build (docs/speed.md).
An int8 file of the model (a recipe of benchmarks/int8_recipes.py, built there if
missing) changes the top suggestion of ~5% of AnnoMI utterances against torch, almost
all of them near-ties. The design: embed everything in int8, score, and embed again with
the exact fp32 file only the segments whose best score is closest to the runner-up or to
the 0.5 threshold (the smaller of the two margins). This prints, in one run:

- speed: texts/s of the project's torch embedder, its fp32 ONNX embedder and the int8
  recipe on a seeded sample of --n utterances (rounds alternating, best of --rounds), and
  the rate a cascade re-embedding a share f in fp32 would have, 1 / (1/int8 + f/fp32);
- agreement: for each AnnoMI task (the development benchmark's test split, the engine as
  benchmarks/zero_shot.py runs it, torch vectors as the reference), the share of test
  units whose top suggestion (the best code if it reaches 0.5, else "no code") is the
  same with int8 alone and after re-checking the least certain 5-20% in fp32 (those
  then have torch's suggestion: fp32 ONNX gives torch's vectors).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import _datasets  # noqa: E402
from int8_recipes import build, sample, timed_rounds  # noqa: E402
from zero_shot import Engine, fit_vectors  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.embed import DEFAULT_MODEL, EmbedSettings, load_embedder, resolve_model  # noqa: E402
from pipeline.embed.onnx_backend import OnnxEmbedder, _open_session, load_tokenizer  # noqa: E402
from pipeline.embed.onnx_export import onnx_model_file  # noqa: E402
from pipeline.embed.source import read_max_tokens  # noqa: E402

SHARES = (0.05, 0.10, 0.15, 0.20)
TASKS = ("annomi-counsellor", "annomi-client")


def top_suggestion(scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The stored top suggestion: the best code if it reaches the threshold, else -1 (no code)."""
    return np.where(scores.max(axis=1) >= threshold, scores.argmax(axis=1), -1)


def margin(scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """How far each segment is from another top suggestion: to the runner-up or to the threshold."""
    ranked = np.sort(scores, axis=1)
    return np.minimum(ranked[:, -1] - ranked[:, -2], np.abs(ranked[:, -1] - threshold))


def agreement(int8: OnnxEmbedder, bench: _datasets.BenchEmbedder, name: str) -> tuple[float, list[float]]:
    b = _datasets.load(name)
    X = bench.embed(b.texts)
    engine = Engine(load_codebook(b.codebook), bench, X, fit=fit_vectors(b.texts, bench))
    test = np.flatnonzero(b.test)
    exact, draft = engine.proba(X[test]), engine.proba(int8.embed([b.texts[i] for i in test]))
    same = top_suggestion(exact) == top_suggestion(draft)
    order = np.argsort(margin(draft))
    rechecked = []
    for share in SHARES:
        fixed = same.copy()
        fixed[order[: int(share * len(order))]] = True
        rechecked.append(float(fixed.mean()))
    return float(same.mean()), rechecked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="all")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    source = resolve_model(DEFAULT_MODEL)
    max_tokens = read_max_tokens(source.path)
    fp32 = onnx_model_file(source, Path("~/.cache/deductive/onnx").expanduser(), int8=False)
    path = build(args.recipe, fp32, fp32.parent / "recipes")
    int8 = OnnxEmbedder(_open_session(path, args.threads), load_tokenizer(source, max_tokens), f"recipe-{args.recipe}",
                        max_tokens)
    embedders = {"torch": load_embedder(EmbedSettings(backend="torch", threads=args.threads)),
                 "onnx": load_embedder(EmbedSettings(backend="onnx", threads=args.threads)), args.recipe: int8}
    texts = sample(args.n, args.seed)["utterance_text"].tolist()
    rate, _ = timed_rounds(embedders, texts, args.rounds)
    print(f"{len(texts)} AnnoMI utterances (seed {args.seed}), best of {args.rounds} alternating rounds, load average "
          f"{os.getloadavg()[0]:.1f}")
    for name, r in rate.items():
        print(f"  {name:10s} {r:7.1f} texts/s  {r / rate['torch']:5.2f}x torch")
    print(f"\nint8 recipe {args.recipe!r}, re-embedding the least certain share in fp32 ({TASKS[0]} / {TASKS[1]}, test split)")
    print(f"  {'re-checked':>10} {'x torch (estimated)':>20} {'same top suggestion as torch':>30}")
    bench = _datasets.BenchEmbedder()
    results = [agreement(int8, bench, name) for name in TASKS]
    for k, share in enumerate((0.0, *SHARES)):
        cascade = 1.0 / (1.0 / rate[args.recipe] + share / rate["onnx"])
        shares = [alone if k == 0 else rechecked[k - 1] for alone, rechecked in results]
        print(f"  {share:>10.0%} {cascade / rate['torch']:>19.2f}x {' / '.join(f'{100 * s:.1f}%' for s in shares):>30}")
    print(f"(load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
