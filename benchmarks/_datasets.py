"""Benchmark data sets for suggestion quality: loaders, fixed grouped splits, cached embeddings.

Each loader returns a ``Benchmark``: one text per unit to code, its gold code id (an id of
the benchmark's codebook), the group it belongs to (a transcript, a bill's Congress, a
dialogue), the text of the unit before it in the same group (empty when there is none, or
when the data set has no order), and a fixed train/test split by group.

- AnnoMI (development data: tune only here): counsellor behaviour on therapist utterances,
  client talk type on client utterances; group = transcript.
- CAP US Congress bill titles (held out): the 20 major topics; group = the Congress (107-110)
  crossed with the bill number's hundred, so that bills filed together share a side.
- MentalManip (held out): dialogues the majority file calls manipulative and gives exactly
  one technique (single label, 11 techniques); group = the dialogue.

Data are read from ../shared/benchmarks beside the repository at run time, never copied.
Embeddings of benchmark texts are cached on disk under ~/.cache/deductive/bench/<model>/,
keyed by a hash of the exact list of texts, so a second run does not encode anything.
"""

from __future__ import annotations

import csv
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

HERE = Path(__file__).resolve().parent


def _shared() -> Path:
    """../shared/benchmarks beside the repository (or beside the folder of its git worktrees)."""
    if os.environ.get("DEDUCTIVE_SHARED"):
        return Path(os.environ["DEDUCTIVE_SHARED"]) / "benchmarks"
    candidates = [HERE.parent.parent / "shared", HERE.parent.parent.parent / "shared"]
    return next((c for c in candidates if c.exists()), candidates[0]) / "benchmarks"


SHARED = _shared()
CODEBOOKS = HERE / "codebooks"
CACHE = Path(os.environ.get("DEDUCTIVE_BENCH_CACHE", "~/.cache/deductive/bench")).expanduser()
SEED = 13
TEST_FRACTION = 0.5

__all__ = ["Benchmark", "load", "load_all", "embed_texts", "BENCHMARKS", "CAP_TOPICS", "MENTALMANIP_TECHNIQUES"]


@dataclass(frozen=True)
class Benchmark:
    """One coding task: texts, gold codes, groups, previous units and the fixed split."""

    name: str
    codebook: Path
    texts: list[str]
    labels: list[str]
    groups: list[str]
    previous: list[str]  # the unit before in the same group ("" if none or unordered)
    test: np.ndarray  # bool mask: True = test split
    development: bool  # True: tuning is allowed on this benchmark

    @property
    def codes(self) -> list[str]:
        """Gold codes that occur, sorted (the codebook fixes the candidate set)."""
        return sorted(set(self.labels))

    def subset(self, mask: np.ndarray) -> "Benchmark":
        idx = np.flatnonzero(mask)
        pick = lambda xs: [xs[i] for i in idx]  # noqa: E731
        return Benchmark(self.name, self.codebook, pick(self.texts), pick(self.labels), pick(self.groups),
                         pick(self.previous), self.test[idx], self.development)


def split_by_group(groups: Sequence[str], seed: int = SEED, test_fraction: float = TEST_FRACTION) -> np.ndarray:
    """A fixed test mask: whole groups go to test, chosen by a seeded hash of the group name."""
    def draw(group: str) -> float:
        digest = hashlib.sha256(f"{seed}\0{group}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64
    chosen = {g: draw(g) < test_fraction for g in set(groups)}
    return np.array([chosen[g] for g in groups], dtype=bool)


def _require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"needs {path} (the shared benchmark data beside the repository)")
    return path


# --------------------------------------------------------------------------- AnnoMI


def _annomi(role: str, column: str, name: str) -> Benchmark:
    import pandas as pd

    frame = pd.read_csv(_require(SHARED / "annomi" / "AnnoMI-simple.csv"), dtype=str, keep_default_na=False)
    frame["order"] = frame["utterance_id"].astype(int)
    frame = frame.sort_values(["transcript_id", "order"], kind="stable")
    frame["previous"] = frame.groupby("transcript_id")["utterance_text"].shift(1).fillna("")
    rows = frame[(frame["interlocutor"] == role) & (frame[column] != "n/a")]
    groups = [f"annomi-{t}" for t in rows["transcript_id"]]
    return Benchmark(name, HERE / "annomi_codebook.yaml", rows["utterance_text"].tolist(), rows[column].tolist(),
                     groups, rows["previous"].tolist(), split_by_group(groups), True)


def annomi_counsellor() -> Benchmark:
    return _annomi("therapist", "main_therapist_behaviour", "annomi-counsellor")


def annomi_client() -> Benchmark:
    return _annomi("client", "client_talk_type", "annomi-client")


# --------------------------------------------------------------------------- CAP

# CAP major topic number -> code id in benchmarks/codebooks/cap.yaml
CAP_TOPICS = {
    1: "macroeconomics", 2: "civil_rights", 3: "health", 4: "agriculture", 5: "labour_immigration",
    6: "education", 7: "environment", 8: "energy", 10: "transportation", 12: "law_crime_family",
    13: "social_welfare", 14: "housing_community", 15: "banking_commerce", 16: "defence",
    17: "science_technology", 18: "foreign_trade", 19: "international_affairs", 20: "government_operations",
    21: "public_lands", 99: "other",
}


def cap() -> Benchmark:
    with open(_require(SHARED / "cap" / "USCongress.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [r["text"].strip() for r in rows]
    labels = [CAP_TOPICS[int(r["major"])] for r in rows]
    # bills are numbered in filing order; neighbouring numbers are often companion bills
    groups = [f"cap-{r['cong']}-{r['h_or_sen']}-{int(r['billnum']) // 100}" for r in rows]
    return Benchmark("cap", CODEBOOKS / "cap.yaml", texts, labels, groups, [""] * len(rows),
                     split_by_group(groups), False)


# --------------------------------------------------------------------------- MentalManip

# technique name in the data -> code id in benchmarks/codebooks/mentalmanip.yaml
MENTALMANIP_TECHNIQUES = {
    "Denial": "denial", "Evasion": "evasion", "Feigning Innocence": "feigning_innocence",
    "Rationalization": "rationalization", "Playing Victim Role": "playing_victim",
    "Playing Servant Role": "playing_servant", "Shaming or Belittlement": "shaming_belittlement",
    "Intimidation": "intimidation", "Brandishing Anger": "brandishing_anger", "Accusation": "accusation",
    "Persuasion or Seduction": "persuasion_seduction",
}


def mentalmanip() -> Benchmark:
    """Manipulative dialogues (majority label) with exactly one technique agreed by two annotators."""
    with open(_require(SHARED / "mentalmanip" / "mentalmanip_maj.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = [r for r in rows if r["Manipulative"] == "1" and r["Technique"].strip()
            and len([t for t in r["Technique"].split(",") if t.strip()]) == 1]
    texts = [r["Dialogue"].strip() for r in kept]
    labels = [MENTALMANIP_TECHNIQUES[r["Technique"].strip()] for r in kept]
    groups = [f"mm-{r['ID']}" for r in kept]
    return Benchmark("mentalmanip", CODEBOOKS / "mentalmanip.yaml", texts, labels, groups, [""] * len(kept),
                     split_by_group(groups), False)


BENCHMARKS: dict[str, Callable[[], Benchmark]] = {
    "annomi-counsellor": annomi_counsellor,
    "annomi-client": annomi_client,
    "cap": cap,
    "mentalmanip": mentalmanip,
}


def load(name: str) -> Benchmark:
    return BENCHMARKS[name]()


def load_all(names: Sequence[str] | None = None) -> list[Benchmark]:
    return [BENCHMARKS[n]() for n in (names or BENCHMARKS)]


# --------------------------------------------------------------------------- embeddings


class BenchEmbedder:
    """The packaged model (loaded on first need) behind an on-disk cache of whole text lists."""

    def __init__(self, backend: str = "torch", model: str | None = None) -> None:
        self.backend = backend
        self.model = model
        self._embedder = None

    def _load(self):
        if self._embedder is None:
            from pipeline.embed import EmbedSettings, load_embedder
            from pipeline.embed.seam import DEFAULT_MODEL

            self._embedder = load_embedder(EmbedSettings(model=self.model or DEFAULT_MODEL, backend=self.backend))
        return self._embedder

    @property
    def identity(self) -> str:
        return self._load().identity

    def _key(self) -> str:
        # the identity needs the model loaded; the cheap key names model and backend, and the
        # identity is checked against a marker file written with the first vectors
        return hashlib.sha256(f"{self.model or 'default'}\0{self.backend}".encode()).hexdigest()[:16]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        folder = CACHE / self._key()
        digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:24]
        path = folder / f"{digest}-{len(texts)}.npy"
        if path.exists():
            return np.load(path, allow_pickle=False)
        vectors = self._load().embed(texts).astype(np.float32)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "identity.txt").write_text(self._load().identity + "\n", encoding="utf-8")
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors, allow_pickle=False)
        tmp.replace(path)
        return vectors


def embed_texts(texts: Sequence[str], backend: str = "torch") -> np.ndarray:
    """Unit vectors of ``texts`` from the packaged model, cached on disk."""
    return BenchEmbedder(backend).embed(texts)
