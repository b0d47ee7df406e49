"""How SEGMENT_WIDENING (pipeline/suggest/calibration.py, method.md step 3) was chosen.

The codebook's texts ask for a temperature (leave-one-out over the code texts); segments
are scored at that temperature times a widening. This prints, on the development data only
(AnnoMI, both tasks, every utterance: no split is needed, as no label is learned from), the
calibration error of the top score for each widening from 1.00 to 2.00, and the one with the
lowest mean of the two tasks: the rule that set SEGMENT_WIDENING. Kappa does not depend on
the widening (the top code within a group is the same at every temperature).

``--held-out`` prints the same table for the held-out benchmarks (bill titles, MentalManip),
for reading, not for choosing: the value in calibration.py is the development data's choice.

    python benchmarks/temperature_widening.py [--held-out]
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _datasets  # noqa: E402
from zero_shot import Engine, candidates, ece, fit_vectors  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.suggest.calibration import SEGMENT_WIDENING  # noqa: E402

GRID = np.round(np.arange(1.0, 2.0001, 0.05), 2)
DEVELOPMENT = ("annomi-counsellor", "annomi-client")
HELD_OUT = ("cap", "mentalmanip")


def errors(name: str, embedder: _datasets.BenchEmbedder) -> list[float]:
    """ECE of the top score over every unit of one benchmark, per widening of GRID."""
    b = _datasets.load(name)
    book = load_codebook(b.codebook)
    codes = candidates(book, b.labels)
    X = embedder.embed(b.texts)
    engine = Engine(book, embedder, X, fit=fit_vectors(b.texts, embedder))
    cols = [engine.codes.index(c) for c in codes]
    gold = np.array(b.labels)
    out = []
    for widening in GRID:
        cal = replace(engine.calibration, temperatures=[t * widening for t in engine.text_temperatures])
        scores = cal.scores(X)[:, cols]
        out.append(ece(scores.max(axis=1), np.array(codes)[scores.argmax(axis=1)] == gold))
    return out


def main() -> None:
    names = HELD_OUT if "--held-out" in sys.argv[1:] else DEVELOPMENT
    embedder = _datasets.BenchEmbedder()
    table = {name: errors(name, embedder) for name in names}
    print("widening  " + "  ".join(f"{n:>18s}" for n in names) + "        mean")
    for i, widening in enumerate(GRID):
        print(f"{widening:8.2f}  " + "  ".join(f"{table[n][i]:18.3f}" for n in names)
              + f"  {np.mean([table[n][i] for n in names]):10.4f}")
    best = min(range(len(GRID)), key=lambda i: (np.mean([table[n][i] for n in names]), GRID[i]))
    print(f"\nlowest mean ECE: widening {GRID[best]:.2f}; calibration.SEGMENT_WIDENING = {SEGMENT_WIDENING}")


if __name__ == "__main__":
    main()
