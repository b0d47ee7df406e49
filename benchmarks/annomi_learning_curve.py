"""How fast confirmations make the suggester agree with expert coders (AnnoMI).

Transcripts are split in half (training / held-out, by a seeded shuffle of transcript
ids). A simulated coder confirms N = 0, 10, 20, 50, 100, 200 segments per code from the
training transcripts, the gold label standing in for the coder's decision, chosen at
random or by uncertainty sampling (pipeline.suggest.learner.uncertainty_order, in rounds). At each
N the learned suggester (confirmed examples in the code texts + logistic regression,
blended by evidence, exactly as `deductive suggest` does) is scored on the held-out
transcripts: Cohen's kappa and macro-F1 with gold. In the same run, human-vs-human
agreement (Fleiss' kappa over the 10 annotators of AnnoMI-full.csv) is printed beside.

    python benchmarks/annomi_learning_curve.py [--cache DIR] [--seed 0]

The study (and its embedding cache) is kept in --cache so that later runs do not
embed the 9,699 utterances again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _annomi import ANNOMI, CODEBOOK, READ, require_annomi  # noqa: E402

from pipeline.suggest.active import uncertainty_order  # noqa: E402
from pipeline.suggest.learner import Labels, LearnedSuggester, blend  # noqa: E402
from pipeline.suggest.training import with_examples  # noqa: E402
from pipeline.reliability import fleiss_kappa  # noqa: E402
from pipeline.study import Study  # noqa: E402
from pipeline.suggest.scoring import CodebookSuggester  # noqa: E402
from pipeline.embed.cache import embed_cached  # noqa: E402

BUDGETS = (0, 10, 20, 50, 100, 200)
GROUPS = {
    "therapist": ("main_therapist_behaviour", ["reflection", "question", "therapist_input", "other"]),
    "client": ("client_talk_type", ["change", "sustain", "neutral"]),
}


def open_study(cache: Path) -> Study:
    if (cache / "data" / "study.sqlite").exists():
        return Study(cache)
    study = Study.create(cache, codebook=CODEBOOK)
    study.settings = study.settings.override("segment", unit="row")
    study.ingest([ANNOMI], read=READ)
    return study


class Simulation:
    """Everything fixed across budgets: vectors, gold, the split, the code texts."""

    def __init__(self, study: Study, seed: int) -> None:
        self.study, self.embedder = study, study.embedder()
        self.book = study.codebook()
        seg = study.segments()
        gold = pd.read_csv(ANNOMI, dtype=str, keep_default_na=False)
        gold["external_id"] = gold["transcript_id"] + ":" + gold["utterance_id"]
        self.frame = seg.merge(gold, on="external_id")
        self.X, _ = embed_cached(study.store, self.embedder, self.frame["text"].tolist())
        ids = sorted(self.frame["transcript_id"].unique(), key=int)
        rng = np.random.default_rng(seed)
        held = set(rng.permutation(ids)[: len(ids) // 2])
        self.held_out = self.frame["transcript_id"].isin(held).to_numpy()
        self.rng = rng

    def embed(self, texts: list[str]) -> np.ndarray:
        return embed_cached(self.study.store, self.embedder, texts)[0]

    def scores(self, column: str, codes: list[str], labelled: list[int]) -> np.ndarray:
        """Blended scores of every row for the group's codes, learning from `labelled` rows."""
        gold = self.frame[column].to_numpy()
        extra = {c: [self.frame["text"].iat[i] for i in labelled if gold[i] == c][-20:] for c in codes}
        book = with_examples(self.book, extra)
        definition = CodebookSuggester(threshold=0).fit(book, self.embed, self.X)
        index = [definition.codes_.index(c) for c in codes]
        scores = definition.predict_proba(self.X)[:, index]
        if not labelled:
            return scores
        matrix = np.full((len(labelled), len(codes)), 0, dtype=np.int8)
        for r, i in enumerate(labelled):
            matrix[r, codes.index(gold[i])] = 1
        model = LearnedSuggester().fit(self.X[labelled], Labels(codes, matrix, [list(range(len(codes)))]))
        return blend(scores, model.predict_proba(self.X), model.weights())

    def evaluate(self, column: str, codes: list[str], scores: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
        gold = self.frame[column].to_numpy()[rows]
        predicted = np.asarray(codes)[scores[rows].argmax(axis=1)]
        return cohen_kappa_score(gold, predicted), f1_score(gold, predicted, average="macro")

    def curve(self, column: str, codes: list[str], strategy: str) -> list[tuple[int, float, float]]:
        gold = self.frame[column].to_numpy()
        pool = np.where(~self.held_out & np.isin(gold, codes))[0]
        test = np.where(self.held_out & np.isin(gold, codes))[0]
        labelled: list[int] = []
        out = []
        for n in BUDGETS:
            if strategy == "random":
                labelled = [int(i) for c in codes for i in self.rng.permutation(pool[gold[pool] == c])[:n]]
            else:
                scores = self.scores(column, codes, labelled)
                want = n * len(codes) - len(labelled)
                if want > 0:
                    order = uncertainty_order(scores[pool], [list(range(len(codes)))], [], self.X[pool], want,
                                              exclude=[int(np.where(pool == i)[0][0]) for i in labelled])
                    labelled += [int(pool[i]) for i in order]
            kappa, f1 = self.evaluate(column, codes, self.scores(column, codes, labelled), test)
            out.append((len(labelled), kappa, f1))
        return out


def human_agreement() -> dict[str, float]:
    full = ANNOMI.with_name("AnnoMI-full.csv")
    if not full.exists():
        return {}
    raw = pd.read_csv(full, dtype=str, keep_default_na=False)
    counts = raw.groupby("transcript_id")["annotator_id"].nunique()
    raw = raw[raw["transcript_id"].isin(counts[counts == 10].index)]
    result = {}
    for name, (column, codes) in GROUPS.items():
        part = raw[raw[column].isin(codes)]
        matrix = part.pivot_table(index="annotator_id", columns=["transcript_id", "utterance_id"],
                                  values=column, aggfunc="first")
        result[name] = float(fleiss_kappa(matrix.to_numpy(dtype=object)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "deductive" / "benchmarks" / "annomi-study")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    require_annomi()
    sim = Simulation(open_study(args.cache), args.seed)
    humans = human_agreement()
    print(f"held-out transcripts: {sim.frame.loc[sim.held_out, 'transcript_id'].nunique()}, "
          f"training transcripts: {sim.frame.loc[~sim.held_out, 'transcript_id'].nunique()} (seed {args.seed})")
    for name, (column, codes) in GROUPS.items():
        human = humans.get(name, float("nan"))
        print(f"\n{name} codes ({', '.join(codes)}); human-vs-human Fleiss' kappa (10 annotators): {human:.3f}")
        print(f"  {'N/code':>6}  {'random: confirmed':>17} {'kappa':>6} {'macroF1':>8}   {'uncertainty: confirmed':>22} {'kappa':>6} {'macroF1':>8}")
        random_curve = sim.curve(column, codes, "random")
        active_curve = sim.curve(column, codes, "uncertainty")
        for n, r, a in zip(BUDGETS, random_curve, active_curve):
            print(f"  {n:>6}  {r[0]:>17} {r[1]:>6.3f} {r[2]:>8.3f}   {a[0]:>22} {a[1]:>6.3f} {a[2]:>8.3f}")
        for label, curve in (("random", random_curve), ("uncertainty", active_curve)):
            reached = [n for n, point in zip(BUDGETS, curve) if point[1] >= human]
            print(f"  {label}: " + (f"human-level kappa reached at N = {reached[0]} per code" if reached
                                    else f"human-level kappa ({human:.3f}) not reached by N = {BUDGETS[-1]} per code"))


if __name__ == "__main__":
    main()
