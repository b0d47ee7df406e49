"""How confirmations make suggestions better, on every benchmark, on held-out groups.

For AnnoMI (counsellor and client: development data), the CAP bill titles and MentalManip
(held out: never tuned on), a simulated coder confirms N = 0, 25, 50, 100, 200 units per
code (N x codes in all) from the training groups, the gold code standing in for the
coder's decision. The units are drawn either truly at random (not stratified by the gold
code: a coder does not know it in advance) or by uncertainty sampling
(pipeline.suggest.active.uncertainty_order, refitting after each budget). At each budget,
on the held-out test groups (benchmarks/_datasets.py, split by group), Cohen's kappa of:

- zero-shot: the calibrated definition scores alone (pipeline.suggest.scoring);
- learned: pipeline.suggest.learner.LearnedSuggester, exactly what `deductive learn` fits;
- plain LR: sklearn LogisticRegression() on the embeddings of the same confirmed units.

Then, at 100 per code (random), extra features beside the embedding and the zero-shot
scores: none; a question mark and the length where cross-validation says; plus context
(the embedding of the previous unit in the same transcript; AnnoMI only, the other data
sets have no order); and what `deductive learn` fits: the question mark and length, then
hashed word 1-2-grams and character 3-grams, each where the learner's own grouped
cross-validation says it helps. Each with its fitting time. Human agreement where
published (AnnoMI: 0.74 counsellor, 0.47 client) is printed beside.

Variants (printed as such, never what `learn` fits) re-run the same draws with another
selection rule (--selection best|one_se), with importance-weighted cross-validation
(--importance) or without the n-gram view (--no-lexical): how the design was chosen on
AnnoMI.

    python benchmarks/learning_curve.py [--only cap] [--seed 0] [--selection best] [--importance] [--no-lexical]

Embeddings are cached on disk (benchmarks/_datasets.py), so a re-run encodes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _datasets import BENCHMARKS, Benchmark, embed_texts, load  # noqa: E402

from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.suggest.active import uncertainty_order  # noqa: E402
from pipeline.suggest.learner import Labels, LearnedSuggester, lexical_features, surface_features  # noqa: E402
from pipeline.suggest.scoring import CodebookSuggester  # noqa: E402

BUDGETS = (0, 25, 50, 100, 200)
HUMAN = {"annomi-counsellor": 0.74, "annomi-client": 0.47}
TARGET = {"annomi-counsellor": 0.70, "annomi-client": 0.40}
FEATURE_BUDGET = 100


@dataclass
class Task:
    """One benchmark ready to simulate: vectors, zero-shot scores, gold as code indices."""

    bench: Benchmark
    codes: list[str]
    X: np.ndarray
    prior: np.ndarray  # (n, codes) calibrated zero-shot scores
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray
    docs: np.ndarray
    surface: np.ndarray  # '?' and length: extra features the deployed learner may use
    lexical: object  # hashed n-grams (sparse): the other view the deployed learner may use


def prepare(bench: Benchmark) -> Task:
    book = load_codebook(bench.codebook)
    gold = set(bench.labels)
    group = next(ids for ids in book.exclusive_groups().values() if gold & set(ids))
    codes = [c for c in group]
    keep = np.array([label in codes for label in bench.labels])
    X = embed_texts(bench.texts)
    # The calibration background is every unit, as in a study where all segments are ingested.
    suggester = CodebookSuggester(threshold=0).fit(book, embed_texts, X)
    scores = suggester.predict_proba(X)
    prior = scores[:, [suggester.codes_.index(c) for c in codes]]
    idx = np.flatnonzero(keep)
    y = np.array([codes.index(label) for label in np.asarray(bench.labels)[idx]])
    test = bench.test[idx]
    texts = [bench.texts[i] for i in idx]
    return Task(bench, codes, X[idx], prior[idx], y, np.flatnonzero(~test), np.flatnonzero(test),
                np.asarray(bench.groups)[idx], surface_features(texts), lexical_features(texts))


def one_hot(y: np.ndarray, k: int) -> np.ndarray:
    m = np.zeros((len(y), k), dtype=np.int8)
    m[np.arange(len(y)), y] = 1
    return m


DEPLOYED = "deployed"
SETTINGS: dict = {}  # LearnedSuggester options (--selection, --importance); default: what `learn` uses
LEXICAL = True  # --no-lexical: leave the n-gram view out


def fit_learned(task: Task, rows: np.ndarray, extra: np.ndarray | None | str = DEPLOYED) -> LearnedSuggester | None:
    """What `deductive learn` fits (extra=DEPLOYED: the surface and lexical views, the
    pool's zero-shot scores for the importance weights), or a variant (extra: a dense
    matrix of other features, no lexical view)."""
    if len(rows) == 0:
        return None
    labels = Labels(task.codes, one_hot(task.y[rows], len(task.codes)), [list(range(len(task.codes)))])
    surface, lexical = _views(task, extra)
    return LearnedSuggester(**SETTINGS).fit(task.X[rows], labels, task.prior[rows], task.docs[rows],
                                            None if surface is None else surface[rows],
                                            None if lexical is None else lexical[rows], pool_prior=task.prior)


def _views(task: Task, extra):
    if isinstance(extra, str):
        return task.surface, (task.lexical if LEXICAL else None)
    return extra, None


def learned_scores(task: Task, model: LearnedSuggester | None, rows: np.ndarray,
                   extra: np.ndarray | None | str = DEPLOYED) -> np.ndarray:
    if model is None:
        return task.prior[rows]
    surface, lexical = _views(task, extra)
    return model.predict_proba(task.X[rows], task.prior[rows], None if surface is None else surface[rows],
                               None if lexical is None else lexical[rows])


def kappa(task: Task, scores: np.ndarray) -> float:
    return float(cohen_kappa_score(task.y[task.test], scores.argmax(axis=1)))


def plain_lr(task: Task, rows: np.ndarray) -> float:
    if len(set(task.y[rows])) < 2:
        return float("nan")
    model = LogisticRegression(max_iter=1000).fit(task.X[rows], task.y[rows])
    return float(cohen_kappa_score(task.y[task.test], model.predict(task.X[task.test])))


def random_rows(task: Task, n: int, rng: np.random.Generator) -> np.ndarray:
    """n units drawn at random from the training groups (not stratified by gold)."""
    return rng.permutation(task.train)[: min(n, len(task.train))]


def uncertainty_curve(task: Task) -> dict[int, np.ndarray]:
    """Labelled rows at each budget, each batch chosen by the model fitted on the previous."""
    labelled: list[int] = []
    out = {}
    k = len(task.codes)
    for n in BUDGETS:
        want = min(n * k, len(task.train)) - len(labelled)
        if want > 0:
            model = fit_learned(task, np.array(labelled, dtype=int))
            scores = learned_scores(task, model, task.train)
            position = {int(r): i for i, r in enumerate(task.train)}
            order = uncertainty_order(scores, [list(range(k))], [], task.X[task.train], want,
                                      exclude=[position[r] for r in labelled])
            labelled += [int(task.train[i]) for i in order]
            if len(labelled) < min(n * k, len(task.train)):  # ran out of uncertain rows: fill at random
                rest = np.setdiff1d(task.train, labelled)
                labelled += [int(r) for r in np.random.default_rng(0).permutation(rest)[: min(n * k, len(task.train)) - len(labelled)]]
        out[n] = np.array(labelled, dtype=int)
    return out


def variants(task: Task, idx: np.ndarray) -> dict[str, np.ndarray | None | str]:
    """Feature sets beside the embedding and the zero-shot scores, to compare."""
    bench = task.bench
    out: dict[str, np.ndarray | None | str] = {"none": None, "? + length if CV says": task.surface}
    if any(bench.previous):
        out["+ previous unit"] = np.hstack([task.surface, embed_texts(bench.previous)[idx]])
    out["? + length, n-grams if CV says (deployed)"] = DEPLOYED
    return out


def run(name: str, seed: int) -> None:
    started = time.perf_counter()
    bench = load(name)
    task = prepare(bench)
    keep = np.array([label in task.codes for label in bench.labels])
    k, total = len(task.codes), len(bench.texts)
    human = HUMAN.get(name)
    print(f"\n== {name} ({'development' if bench.development else 'held out'}): {k} codes, {len(task.train)} training / "
          f"{len(task.test)} test units, {len(set(task.docs[task.test]))} test groups; human agreement "
          f"{'%.2f' % human if human else 'not known'}")
    zero = kappa(task, task.prior[task.test])
    rng = np.random.default_rng(seed)
    active = uncertainty_curve(task)
    print(f"  {'N/code':>6} {'confirmed':>9} {'% units':>7} {'zero-shot':>9} | {'random: learned':>15} {'plain LR':>8} "
          f"{'diff':>6} | {'uncertainty: learned':>20} {'plain LR':>8} {'diff':>6}")
    for n in BUDGETS:
        rows = random_rows(task, n * k, rng)
        r_l, r_p = kappa(task, learned_scores(task, fit_learned(task, rows), task.test)), plain_lr(task, rows)
        a = active[n]
        a_l, a_p = kappa(task, learned_scores(task, fit_learned(task, a), task.test)), plain_lr(task, a)
        print(f"  {n:>6} {len(rows):>9} {100 * len(rows) / total:>6.1f}% {zero:>9.3f} | {r_l:>15.3f} {r_p:>8.3f} "
              f"{r_l - r_p if n else float('nan'):>+6.3f} | {a_l:>20.3f} {a_p:>8.3f} {a_l - a_p if n else float('nan'):>+6.3f}")
    if name in TARGET:
        within = [n for n in BUDGETS if n * k <= 0.10 * total]
        print(f"  target kappa >= {TARGET[name]:.2f} with <= 10% of units confirmed (N <= {max(within)} per code here)")
    rows = random_rows(task, FEATURE_BUDGET * k, np.random.default_rng(seed + 1))
    print(f"  extra features at {FEATURE_BUDGET}/code (random {len(rows)}), learned kappa (fit seconds): ", end="")
    extra = variants(task, np.flatnonzero(keep))
    parts = [f"plain LR {plain_lr(task, rows):.3f}"]
    for label, matrix in extra.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            began = time.perf_counter()
            model = fit_learned(task, rows, matrix)
            took = time.perf_counter() - began
            parts.append(f"{label} {kappa(task, learned_scores(task, model, task.test, matrix)):.3f} ({took:.1f} s)")
    print("; ".join(parts))
    print(f"  ({time.perf_counter() - started:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(BENCHMARKS), action="append", help="Run only these benchmarks.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--selection", choices=["best", "one_se", "guard"], help="Variant: how the learner picks its configuration.")
    parser.add_argument("--importance", action="store_true", help="Variant: CV weighted to the pool (importance weights).")
    parser.add_argument("--no-lexical", action="store_true", help="Variant: no n-gram view.")
    args = parser.parse_args()
    global LEXICAL
    LEXICAL = not args.no_lexical
    SETTINGS.update({"selection": args.selection} if args.selection else {})
    SETTINGS.update({"importance": True} if args.importance else {})
    if SETTINGS or not LEXICAL:
        print(f"VARIANT (not what `deductive learn` fits): {SETTINGS} lexical={LEXICAL}")
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("kappa on held-out test groups; 'diff' = learned - plain LR on the same labels (target >= +0.03 from 100/code)")
    for name in args.only or list(BENCHMARKS):
        run(name, args.seed)


if __name__ == "__main__":
    main()
