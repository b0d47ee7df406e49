"""Zero-shot suggestion quality on every benchmark, beside the naive script, TF-IDF and the majority code.

For each benchmark (benchmarks/_datasets.py) the engine (pipeline.suggest.scoring, the same
code the suggest stage runs) sees every text of the data set as the study's unlabelled
segments, and is scored on the TEST split only, against:
  naive     argmax over codes of cos(text, "label: definition") + mean of the two highest
            cosines to the code's examples (the ten-line script a researcher would write)
  tfidf     TF-IDF cosine to the same code texts (pipeline.suggest.evaluate.tfidf_choice)
  majority  the most common code of the TRAIN split
Kappa and macro-F1 use each method's top code (forced choice, as every unit has a gold
code); top-2 recall asks whether the gold code is among the two best; ECE (10 equal bins)
compares the engine's top probability with how often the top code is right ("engine, texts'
temperature": the same scores at the temperature the code texts ask for, before the widening
of method.md step 3, its baseline in the same run); "shown" is the
share of test units whose top code reaches 0.5 (shown as a suggestion by default). "group fit"
is the engine's label-free test of whether the gold codes' group belongs to the study
(pipeline.suggest.calibration.study_fit, on all texts or, if they are longer, a sample of
their sentences as the suggest stage does; no gold codes).

The gain over the naive script comes with a 95% interval from a bootstrap over whole groups
(the groups the split keeps together: transcripts, dialogues, blocks of 100 bill numbers), paired (the same resample for both methods),
and, as a second look, on ALL units of the data set (both splits; the engine never sees a
label, so the train split is as fair a test as the test split).

Context variants (AnnoMI only: the other benchmarks have no order): a segment vector mixed
with the previous utterance's vector, unit(x + w * previous). Foreign codebooks: the share of
test units that get any suggestion >= 0.5 from a codebook that does not belong to the text.

    python benchmarks/zero_shot.py [--backend torch|onnx|onnx-int8|torch-bf16] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _datasets  # noqa: E402
from _datasets import Benchmark, BenchEmbedder  # noqa: E402

from pipeline.codebook import Codebook, load_codebook  # noqa: E402
from pipeline.embed import BACKENDS  # noqa: E402
from pipeline.suggest.background import BACKGROUND  # noqa: E402
from pipeline.suggest import evaluate  # noqa: E402
from pipeline.suggest.evaluate import tfidf_choice  # noqa: E402
from pipeline.suggest.fit_sample import fit_sentences  # noqa: E402
from pipeline.suggest.calibration import Calibration, codebook_temperature, fit_calibration  # noqa: E402
from pipeline.suggest.scoring import code_texts  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONTEXT_WEIGHTS = (0.25, 0.5)
FOREIGN = [  # (codebook, benchmark whose texts it does not belong to)
    (ROOT / "codebook" / "cfir2.yaml", "annomi-counsellor"),
    (ROOT / "codebook" / "cfir2.yaml", "annomi-client"),
    (_datasets.CODEBOOKS / "cap.yaml", "mentalmanip"),
    (_datasets.CODEBOOKS / "mentalmanip.yaml", "cap"),
    (ROOT / "benchmarks" / "annomi_codebook.yaml", "cap"),
]


def candidates(book: Codebook, labels: list[str]) -> list[str]:
    """The exclusive group that holds the gold codes, in codebook order; in a codebook without
    such a group (every code multi-label), the gold codes themselves."""
    for ids in book.exclusive_groups().values():
        if set(labels) <= set(ids):
            return list(ids)
    codable = [c.id for c in book.codable]
    if set(labels) <= set(codable):
        return [c for c in codable if c in set(labels)]
    raise SystemExit(f"{book.name}: the gold codes {sorted(set(labels) - set(codable))} are not codes of the codebook")


def unit(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


class Engine:
    """The scoring module on one benchmark: fit on all its texts, probabilities for any vectors."""

    def __init__(self, book: Codebook, embedder: BenchEmbedder, study: np.ndarray, steps: int | None = None,
                 fit: np.ndarray | None = None) -> None:
        self.codes = [c.id for c in book.codable]
        self.texts = code_texts(book)
        self.vectors = embedder.embed([t.text for t in self.texts] + list(BACKGROUND))
        index = {c: j for j, c in enumerate(self.codes)}
        self.groups = [[index[c] for c in ids] for ids in book.exclusive_groups().values() if ids]
        self.study, self.steps = study, steps
        self.calibration: Calibration = self.calibrate()
        if fit is not None and any(self.calibration.set_aside()):  # as the stage: sentences decide a failed test
            self.calibration = self.calibrate(fit)
        n = len(self.texts)
        center = self.vectors[n:].mean(axis=0)  # the background's mean, as fit_calibration centres
        # the temperatures the code texts ask for, before SEGMENT_WIDENING (the comparison row)
        self.text_temperatures = [codebook_temperature(self.vectors[:n], self.texts, [self.codes[j] for j in g], center)
                                  for g in self.groups]

    def calibrate(self, fit_segments: np.ndarray | None = None) -> Calibration:
        """The calibration of the study, its fit tested on ``fit_segments`` (default the study itself)."""
        kwargs = {} if self.steps is None else {"steps": self.steps}
        n = len(self.texts)
        return fit_calibration(self.study, self.vectors[:n], self.texts, self.codes, self.groups, self.vectors[n:],
                               fit_segments=fit_segments, **kwargs)

    def proba(self, X: np.ndarray) -> np.ndarray:
        return self.calibration.scores(X)


def fit_vectors(texts: list[str], embedder: BenchEmbedder) -> np.ndarray | None:
    """What the suggest stage tests the group fit on when a set fails on the texts themselves:
    their sentences, if they are longer."""
    sentences = fit_sentences(texts)
    return None if sentences is None else embedder.embed(sentences)


def naive_scores(book: Codebook, embedder: BenchEmbedder, X: np.ndarray, codes: list[str]) -> np.ndarray:
    """The naive script (pipeline.suggest.evaluate.naive_scores, what `deductive evaluate` prints)."""
    return evaluate.naive_scores(book, codes, X, embedder.embed)


def ece(top: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(top, edges[1:-1]), 0, bins - 1)
    return float(sum(abs(top[which == b].mean() - correct[which == b].mean()) * np.mean(which == b)
                     for b in range(bins) if np.any(which == b)))


def figures(gold: np.ndarray, scores: np.ndarray | None, codes: list[str], predicted: np.ndarray | None = None,
            proba: bool = False) -> dict[str, float]:
    if predicted is None:
        predicted = np.array(codes)[scores.argmax(axis=1)]
    out = {"kappa": cohen_kappa_score(gold, predicted), "macro_f1": f1_score(gold, predicted, average="macro", labels=codes)}
    if scores is not None:
        top2 = np.array(codes)[np.argsort(-scores, axis=1)[:, :2]]
        out["top2"] = float(np.mean([g in t for g, t in zip(gold, top2)]))
    if proba:
        top = scores.max(axis=1)
        out["ece"] = ece(top, predicted == gold)
        out["shown"] = float(np.mean(top >= 0.5))
    return out


def run_benchmark(b: Benchmark, embedder: BenchEmbedder) -> dict[str, dict[str, float]]:
    book = load_codebook(b.codebook)
    codes = candidates(book, b.labels)
    X = embedder.embed(b.texts)
    gold = np.array(b.labels)[b.test]
    sentences = fit_vectors(b.texts, embedder)
    engine = Engine(book, embedder, X, fit=sentences)
    cols = [engine.codes.index(c) for c in codes]
    rows = {"engine": figures(gold, engine.proba(X)[b.test][:, cols], codes, proba=True)}
    cal = engine.calibration
    unwidened = replace(cal, temperatures=engine.text_temperatures)
    rows["engine, texts' temperature"] = figures(gold, unwidened.scores(X)[b.test][:, cols], codes, proba=True)
    # method step 5: the EM estimate of the code frequencies, applied (off in the engine)
    rows["engine, EM priors"] = figures(gold, replace(cal, use_priors=True).scores(X)[b.test][:, cols], codes, proba=True)
    fit, n = next(((f, n) for g, f, n in zip(cal.groups, cal.group_fit, cal.group_sizes()) if set(cols) <= set(g)),
                  (cal.free_fit, cal.free_n))
    rows["engine"]["study_fit"], rows["engine"]["belongs"] = fit, float(cal.fits(fit, n))
    flat = Engine(book, embedder, X, steps=0, fit=sentences)
    rows["engine, not adapted"] = figures(gold, flat.proba(X)[b.test][:, cols], codes, proba=True)
    if any(b.previous):
        P = embedder.embed(b.previous)
        for w in CONTEXT_WEIGHTS:
            Xc = unit(X + w * P)
            rows[f"engine + previous x{w}"] = figures(gold, Engine(book, embedder, Xc, fit=sentences).proba(Xc)[b.test][:, cols], codes,
                                                      proba=True)
    naive_all = naive_scores(book, embedder, X, codes)
    rows["naive"] = figures(gold, naive_all[b.test], codes)
    engine_all = np.array(codes)[engine.proba(X)[:, cols].argmax(axis=1)]
    naive_pick = np.array(codes)[naive_all.argmax(axis=1)]
    labels, groups = np.array(b.labels), np.array(b.groups)
    rows["gain"] = {"ci": paired_interval(labels[b.test], engine_all[b.test], naive_pick[b.test], groups[b.test]),
                    "all": cohen_kappa_score(labels, engine_all) - cohen_kappa_score(labels, naive_pick)}
    test_texts = [t for t, m in zip(b.texts, b.test) if m]
    rows["tfidf"] = figures(gold, None, codes, np.array(tfidf_choice(book, codes, test_texts)))
    train = np.array(b.labels)[~b.test]
    majority = max(codes, key=lambda c: (np.sum(train == c), c))
    rows["majority"] = figures(gold, None, codes, np.array([majority] * len(gold)))
    return rows


def paired_interval(gold: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray, draws: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of kappa(a) - kappa(b), resampling whole groups with replacement."""
    rng = np.random.default_rng(seed)
    names, index = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(index == g) for g in range(len(names))]
    gains = []
    for _ in range(draws):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(names), len(names))])
        gains.append(cohen_kappa_score(gold[rows], a[rows]) - cohen_kappa_score(gold[rows], b[rows]))
    low, high = np.percentile(gains, [2.5, 97.5])
    return float(low), float(high)


def foreign_share(path: Path, b: Benchmark, embedder: BenchEmbedder) -> float:
    book = load_codebook(path)
    X = embedder.embed(b.texts)
    return float(np.mean(Engine(book, embedder, X, fit=fit_vectors(b.texts, embedder)).proba(X)[b.test].max(axis=1) >= 0.5))


def print_table(name: str, b: Benchmark, rows: dict[str, dict[str, float]]) -> None:
    dev = " (development data: tuned here)" if b.development else " (held out)"
    print(f"\n{name}{dev}: {int(b.test.sum())} test units, {len(set(b.labels))} codes")
    print(f"  {'method':26s} {'kappa':>6s} {'mF1':>6s} {'top2':>6s} {'ECE':>6s} {'shown':>6s}")
    fmt = lambda r, k: f"{r[k]:6.3f}" if k in r else f"{'-':>6s}"  # noqa: E731
    e = rows["engine"]
    print(f"  group fit (unlabelled, share beating the median background sentence - 1/2): {e['study_fit']:+.3f}"
          f" -> {'belongs to the study' if e['belongs'] else 'set aside (scores x evidence)'}")
    for method, r in rows.items():
        if method != "gain":
            print(f"  {method:26s} {fmt(r, 'kappa')} {fmt(r, 'macro_f1')} {fmt(r, 'top2')} {fmt(r, 'ece')} {fmt(r, 'shown')}")
    gain = rows["engine"]["kappa"] - rows["naive"]["kappa"]
    low, high = rows["gain"]["ci"]
    print(f"  engine - naive kappa: {gain:+.3f} (95% interval {low:+.3f} to {high:+.3f}, bootstrap over groups; "
          f"target >= +0.05); on all units: {rows['gain']['all']:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="torch", choices=list(BACKENDS))
    parser.add_argument("--only", nargs="*", choices=list(_datasets.BENCHMARKS), help="benchmarks to run (default: all)")
    args = parser.parse_args()
    embedder = BenchEmbedder(args.backend)
    started = time.perf_counter()
    loaded = {name: _datasets.load(name) for name in (args.only or _datasets.BENCHMARKS)}
    summary = []
    for name, b in loaded.items():
        rows = run_benchmark(b, embedder)
        print_table(name, b, rows)
        summary.append((name, rows["engine"]["kappa"], rows["naive"]["kappa"], rows["engine"]["ece"]))
    print("\nforeign codebooks (share of test units with any suggestion >= 0.5; target < 0.05):")
    for path, name in FOREIGN:
        if name in loaded:
            print(f"  {path.name:22s} on {name:18s} {foreign_share(path, loaded[name], embedder):.3f}")
    print("\nsummary: benchmark, engine kappa, naive kappa, gain, engine ECE")
    for name, k, n, e in summary:
        print(f"  {name:18s} {k:.3f} {n:.3f} {k - n:+.3f} {e:.3f}")
    print(f"\n({time.perf_counter() - started:.0f} s; embeddings cached under {_datasets.CACHE})")


if __name__ == "__main__":
    main()
