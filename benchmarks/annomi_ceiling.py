"""The ceiling on AnnoMI with every training label: what learning could reach at most here.

Same benchmarks, split and vectors as benchmarks/learning_curve.py (benchmarks/_datasets.py:
whole transcripts held out). Per group (counsellor behaviour on counsellor turns, client
talk on client turns) it prints, in one run, Cohen's kappa and macro-F1 on the test
transcripts for: the zero-shot engine (codebook texts only, the baseline); a plain
logistic regression on every training label; the same with the previous utterance's
vector beside each utterance's; and the learner `deductive learn` fits, on every training
label. Human agreement (Fleiss' kappa, the ten-annotator transcripts) is printed beside.

    python benchmarks/annomi_ceiling.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _datasets import embed_texts, load  # noqa: E402
from learning_curve import HUMAN, Task, fit_learned, learned_scores, prepare  # noqa: E402


def figures(task: Task, predicted: np.ndarray) -> tuple[float, float]:
    gold = task.y[task.test]
    return float(cohen_kappa_score(gold, predicted)), float(f1_score(gold, predicted, average="macro"))


def regression(task: Task, features: np.ndarray) -> tuple[float, float]:
    model = LogisticRegression(max_iter=2000).fit(features[task.train], task.y[task.train])
    return figures(task, model.predict(features[task.test]))


def main() -> None:
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"  {'group':<18} {'method':<52} {'kappa':>6} {'macroF1':>8}")
    for name in ("annomi-counsellor", "annomi-client"):
        bench = load(name)
        task = prepare(bench)
        kept = np.flatnonzero(np.isin(bench.labels, task.codes))  # the rows prepare kept, in order
        previous = embed_texts(bench.previous)[kept]  # "" (the first turn) embeds as a vector too
        rows = [("zero-shot (codebook texts only)", figures(task, task.prior[task.test].argmax(axis=1))),
                (f"logistic regression, all {len(task.train)} training labels", regression(task, task.X)),
                ("  + previous utterance's vector", regression(task, np.hstack([task.X, previous]))),
                ("the deployed learner, all training labels",
                 figures(task, learned_scores(task, fit_learned(task, task.train), task.test).argmax(axis=1)))]
        for method, (kappa, f1) in rows:
            print(f"  {name:<18} {method:<52} {kappa:>6.3f} {f1:>8.3f}")
        print(f"  {name:<18} {'human vs human (Fleiss, 10 annotators)':<52} {HUMAN[name]:>6.3f}")


if __name__ == "__main__":
    main()
