"""Ranking variants tried on the development data and not kept, with the engine beside them.

    python benchmarks/ranking_variants.py

AnnoMI only (development data: counsellor behaviour and client talk, the AnnoMI codebook),
every utterance of each task (the engine sees no label, so both splits test it). Each
variant changes how a segment's codes are ranked within its exclusive group; kappa of the
top code and how often each code is chosen (the gold counts first):

- engine: cosine to the adapted prototypes (pipeline.suggest.calibration, as shipped);
- naive: the ten-line script (cosine to "label: definition" + mean of the two closest examples);
- + nearest examples x w: the engine's cosine plus w times the mean of the segment's two
  highest cosines to the code's own texts (the naive script's second term, centred);
- hubness correction (CSLS) k, b: the engine's cosine minus b times the mean of the code's
  k highest cosines over the study's segments, so a code close to many segments is not
  chosen for all of them.

A variant is kept only if it beats the engine on both tasks; the held-out benchmarks are not
run here.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import _datasets  # noqa: E402
import zero_shot  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.suggest.calibration import PROTOTYPE_ROLES  # noqa: E402

TASKS = ("annomi-counsellor", "annomi-client")


def nearest_texts(X: np.ndarray, T: np.ndarray, owners: list[str], codes: list[str]) -> np.ndarray:
    """Per segment and code: mean of the two highest cosines to the code's texts."""
    out = np.zeros((len(X), len(codes)))
    for j, code in enumerate(codes):
        sims = X @ T[[i for i, c in enumerate(owners) if c == code]].T
        out[:, j] = np.sort(sims, axis=1)[:, -2:].mean(axis=1)
    return out


def main() -> None:
    embedder = _datasets.BenchEmbedder("torch")
    for name in TASKS:
        b = _datasets.load(name)
        book = load_codebook(b.codebook)
        codes = zero_shot.candidates(book, b.labels)
        X = embedder.embed(b.texts)
        gold = np.array(b.labels)
        engine = zero_shot.Engine(book, embedder, X, fit=zero_shot.fit_vectors(b.texts, embedder))
        cal = engine.calibration
        R = cal.raw(X)[:, [engine.codes.index(c) for c in codes]]
        texts = [t for t in zero_shot.code_texts(book) if t.role in PROTOTYPE_ROLES]
        T = zero_shot.unit(embedder.embed([t.text for t in texts]) - cal.center)
        Xc = zero_shot.unit(X - cal.center)
        variants = {"engine": R, "naive": zero_shot.naive_scores(book, embedder, X, codes)}
        near = nearest_texts(Xc, T, [t.code for t in texts], codes)
        for w in (0.25, 0.5, 1.0):
            variants[f"+ nearest examples x{w}"] = R + w * near
        top = np.sort(R, axis=0)[::-1]
        for k in (10, 50, 200):
            for beta in (0.5, 1.0):
                variants[f"hubness correction k={k} b={beta}"] = R - beta * top[:k].mean(axis=0)
        print(f"\n{name} (development data, all {len(gold)} utterances)")
        print(f"  {'gold':34s}        " + "  ".join(f"{c} {n}" for c, n in sorted(Counter(gold).items())))
        for label, scores in variants.items():
            chosen = np.array(codes)[scores.argmax(axis=1)]
            counts = Counter(chosen)
            print(f"  {label:34s} {cohen_kappa_score(gold, chosen):6.3f} "
                  + "  ".join(f"{c} {counts.get(c, 0)}" for c in sorted(set(gold))))


if __name__ == "__main__":
    main()
