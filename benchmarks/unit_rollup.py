"""Rolling sentence evidence up to a larger unit: the rule of pipeline.suggest.units beside
the alternatives, on AnnoMI turns whose gold label belongs to the whole turn.

Each sampled multi-sentence utterance (a speaker turn) is cut into sentences by the
project's segmenter; the definition suggester scores every sentence; the turn's score per
code comes from its sentences by one rule; the turn's label is the best code of its
group. Beside it, in the same run: the whole turn embedded as one text (what a turn
segmentation gives), the first sentence alone, and the majority label. The rule
(max + mean) / 2 was fixed in the code before this benchmark first ran; AnnoMI is this
project's development data, so these figures show how the rules compare, not the
engine's quality on unseen data.

    python benchmarks/unit_rollup.py [--per-role 300] [--seed 0]

Embeddings are cached in ~/.cache/deductive-benchmarks, so a re-run only scores.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _annomi import CODEBOOK, require_annomi  # noqa: E402
from pipeline.codebook import load_codebook  # noqa: E402
from pipeline.config import SegmentSettings  # noqa: E402
from pipeline.embed import EmbedSettings, load_embedder  # noqa: E402
from pipeline.records import Block  # noqa: E402
from pipeline.segment import segment_blocks  # noqa: E402
from pipeline.suggest.scoring import CodebookSuggester  # noqa: E402
from pipeline.suggest.units import roll_up  # noqa: E402

CACHE = Path.home() / ".cache" / "deductive-benchmarks"
ROLES = {"therapist": ("main_therapist_behaviour", "therapist_behaviour"),
         "client": ("client_talk_type", "client_talk")}
RULES = {
    "(max+mean)/2 (deductive)": lambda s: roll_up(s, [range(len(s))])[0],
    "max": lambda s: s.max(axis=0),
    "mean": lambda s: s.mean(axis=0),
    "noisy-OR": lambda s: 1.0 - np.prod(1.0 - s, axis=0),
    "first sentence": lambda s: s[0],
}


def sentences(text: str) -> list[str]:
    spans = segment_blocks(text, [Block(0, len(text))], SegmentSettings(unit="sentence"))
    return [text[s.start:s.end] for s in spans]


def sample(frame: pd.DataFrame, role: str, n: int, seed: int) -> pd.DataFrame:
    column = ROLES[role][0]
    rows = frame[(frame["interlocutor"] == role) & (frame[column] != "n/a")].copy()
    rows["sentences"] = rows["utterance_text"].map(sentences)
    rows = rows[rows["sentences"].map(len) >= 2]
    return rows.sample(n=min(n, len(rows)), random_state=seed).reset_index(drop=True)


def cached_embed(embedder, texts: list[str]) -> np.ndarray:
    key = hashlib.sha256("\0".join([embedder.identity, *texts]).encode()).hexdigest()[:20]
    path = CACHE / f"rollup-{key}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors, allow_pickle=False)
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-role", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    frame = pd.read_csv(require_annomi(), dtype=str, keep_default_na=False)
    book = load_codebook(CODEBOOK)
    embedder = load_embedder(EmbedSettings())
    data = {role: sample(frame, role, args.per_role, args.seed) for role in ROLES}
    sents = [s for rows in data.values() for ss in rows["sentences"] for s in ss]
    turns = [t for rows in data.values() for t in rows["utterance_text"]]
    vectors = dict(zip(sents + turns, cached_embed(embedder, sents + turns)))
    embed = lambda texts: cached_embed(embedder, list(texts))  # noqa: E731
    # Each variant is calibrated on its own segments, as a study segmented that way would be.
    by_sentence = CodebookSuggester(3, 0.0).fit(book, embed, np.stack([vectors[s] for s in sents]))
    by_turn = CodebookSuggester(3, 0.0).fit(book, embed, np.stack([vectors[t] for t in turns]))
    codes = by_sentence.codes_
    print(f"AnnoMI, {args.per_role} multi-sentence turns per role (seed {args.seed}); "
          f"{len(sents)} sentences; model {embedder.identity}")
    print(f"{'role':<10} {'method':<26} {'accuracy':>8} {'kappa':>6}")
    for role, rows in data.items():
        group = [codes.index(c) for c in book.exclusive_groups()[ROLES[role][1]]]
        gold = rows[ROLES[role][0]].tolist()
        results = {}
        for name, rule in RULES.items():
            pred = []
            for ss in rows["sentences"]:
                s = by_sentence.calibration_.transform(by_sentence.raw_scores(np.stack([vectors[x] for x in ss])))
                pred.append(codes[group[int(np.argmax(rule(s)[group]))]])
            results[name] = pred
        whole = by_turn.calibration_.transform(by_turn.raw_scores(np.stack([vectors[t] for t in rows["utterance_text"]])))
        results["whole turn embedded"] = [codes[group[int(np.argmax(r[group]))]] for r in whole]
        majority = max(set(gold), key=gold.count)
        results["majority label"] = [majority] * len(gold)
        for name, pred in results.items():
            accuracy = float(np.mean([p == g for p, g in zip(pred, gold)]))
            kappa = cohen_kappa_score(gold, pred) if len(set(pred)) > 1 else 0.0
            print(f"{role:<10} {name:<26} {accuracy:>8.3f} {kappa:>6.3f}")


if __name__ == "__main__":
    main()
