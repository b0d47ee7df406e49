"""The linear ceiling on AnnoMI: a logistic regression trained on every training-half label.

Same split as benchmarks/annomi_learning_curve.py (seed 0: transcripts halved, one half
held out) and the same sentence embeddings. Per group (counsellor behaviour, client
talk) it prints, in one run, Cohen's kappa and macro-F1 on the held-out half for:
the zero-shot suggester (codebook texts only, the baseline); a logistic regression on
all training-half labels; and the same regression with the previous utterance of the
transcript as context (its embedding concatenated). Human-vs-human Fleiss' kappa (10
annotators) is printed beside.

    python benchmarks/annomi_ceiling.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from annomi_learning_curve import GROUPS, Simulation, human_agreement, open_study  # noqa: E402
from _annomi import require_annomi  # noqa: E402


def with_previous(sim: Simulation) -> np.ndarray:
    """Each row's vector beside the previous utterance's in its transcript (zeros for the first)."""
    transcript = sim.frame["transcript_id"].to_numpy()
    previous = np.zeros_like(sim.X)
    same = np.r_[False, transcript[1:] == transcript[:-1]]
    previous[same] = sim.X[np.where(same)[0] - 1]
    return np.hstack([sim.X, previous])


def regression(sim: Simulation, features: np.ndarray, column: str, codes: list[str]) -> tuple[float, float]:
    gold = sim.frame[column].to_numpy()
    train = np.where(~sim.held_out & np.isin(gold, codes))[0]
    test = np.where(sim.held_out & np.isin(gold, codes))[0]
    model = LogisticRegression(max_iter=2000).fit(features[train], gold[train])
    proba = model.predict_proba(features)
    scores = proba[:, [list(model.classes_).index(c) for c in codes]]
    return sim.evaluate(column, codes, scores, test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "deductive" / "benchmarks" / "annomi-study")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    require_annomi()
    sim = Simulation(open_study(args.cache), args.seed)
    context = with_previous(sim)
    humans = human_agreement()
    print(f"held-out transcripts: {sim.frame.loc[sim.held_out, 'transcript_id'].nunique()} (seed {args.seed})")
    print(f"  {'group':<10} {'method':<44} {'kappa':>6} {'macroF1':>8}")
    for name, (column, codes) in GROUPS.items():
        gold = sim.frame[column].to_numpy()
        n_train = int((~sim.held_out & np.isin(gold, codes)).sum())
        rows = [("zero-shot (codebook texts only)", sim.evaluate(column, codes, sim.scores(column, codes, []),
                                                                  np.where(sim.held_out & np.isin(gold, codes))[0])),
                (f"logistic regression, all {n_train} training labels", regression(sim, sim.X, column, codes)),
                ("  + previous utterance as context", regression(sim, context, column, codes))]
        for method, (kappa, f1) in rows:
            print(f"  {name:<10} {method:<44} {kappa:>6.3f} {f1:>8.3f}")
        print(f"  {name:<10} {'human vs human (Fleiss, 10 annotators)':<44} {humans.get(name, float('nan')):>6.3f}")


if __name__ == "__main__":
    main()
