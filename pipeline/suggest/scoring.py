"""Suggest: score every segment against every codable code, calibrate, choose.

How a code is scored (the README has the same paragraph for users). A codable code is
represented by several texts: "label: definition", its inclusion criteria, each of its
examples, and "parent label: parent definition. label: definition" as context. For a
segment we take the cosine similarity to each text and combine them as a weighted mean
(definition 1, inclusion 0.5, examples 1.5, context 0.5; the example part is the mean of
the two most similar examples, so one lucky example does not decide). Parts a code does
not have are left out of the mean. If the segment is more similar to the code's
exclusion criteria than to the code itself, the score is lowered by half the difference.

Calibration. Raw cosines are not comparable across codes: a long, generic definition
is close to everything. So each code's raw scores are standardised against a background
of the study's own segments, robustly (median and 1.4826 x MAD): z says how unusual
this segment's similarity is *for this code*. The calibrated score is a logistic
function of z, the same for every code: score = 1 / (1 + exp(-2 (z - 1.5))), so 0.5
means 1.5 robust standard deviations above the code's typical similarity, 0.73 means 2,
0.88 means 2.5. The background statistics are stored with the run, so later segments
are scored on the same scale.

Choosing. Codes under a parent marked ``exclusive`` get one choice per segment (the best
of the group, if it passes the threshold); other codes are multi-label. At most
``top_k`` suggestions are shown; runners-up are kept (``suggested=False``) for top-k
evaluation; when nothing passes, an explicit "no code" is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from pipeline.codebook import Codebook
from pipeline.errors import InputError

__all__ = [
    "CodeText",
    "Calibration",
    "Choice",
    "CodebookSuggester",
    "code_texts",
    "combine_scores",
    "choose",
    "DEFAULT_WEIGHTS",
]

DEFAULT_WEIGHTS = {"definition": 1.0, "inclusion": 0.5, "examples": 1.5, "context": 0.5}
EXCLUSION_WEIGHT = 0.5
TOP_EXAMPLES = 2
Z_OFFSET, Z_SLOPE = 1.5, 2.0
MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class CodeText:
    code: str
    role: str  # definition | inclusion | examples | context | exclusion
    text: str


@dataclass(frozen=True)
class Choice:
    """One stored suggestion row: code index into the suggester's codes, or None."""

    code: int | None
    rank: int
    raw: float | None
    score: float | None
    suggested: bool


def code_texts(codebook: Codebook) -> list[CodeText]:
    """The texts that represent each codable code, in codebook order."""
    texts: list[CodeText] = []
    for code in codebook.codable:
        head = f"{code.label}: {code.definition}"
        texts.append(CodeText(code.id, "definition", head))
        if code.inclusion:
            texts.append(CodeText(code.id, "inclusion", code.inclusion))
        texts += [CodeText(code.id, "examples", e) for e in code.examples]
        parents = codebook.ancestors(code.id)
        if parents and parents[0].definition:
            texts.append(CodeText(code.id, "context", f"{parents[0].label}: {parents[0].definition} {head}"))
        if code.exclusion:
            texts.append(CodeText(code.id, "exclusion", code.exclusion))
    return texts


def combine_scores(
    segments: np.ndarray,
    text_vectors: np.ndarray,
    texts: Sequence[CodeText],
    codes: Sequence[str],
    weights: dict[str, float] = DEFAULT_WEIGHTS,
) -> np.ndarray:
    """Raw score matrix (segments x codes) from unit-normalised vectors."""
    sims = segments @ text_vectors.T
    columns: dict[tuple[str, str], list[int]] = {}
    for i, t in enumerate(texts):
        columns.setdefault((t.code, t.role), []).append(i)
    raw = np.zeros((segments.shape[0], len(codes)), dtype=np.float32)
    for j, code in enumerate(codes):
        total, weight_sum = 0.0, 0.0
        for role, weight in weights.items():
            cols = columns.get((code, role))
            if not cols:
                continue
            part = sims[:, cols]
            if role == "examples" and len(cols) > 1:
                part = np.sort(part, axis=1)[:, -TOP_EXAMPLES:]
            total = total + weight * part.mean(axis=1)
            weight_sum += weight
        score = total / weight_sum
        if (code, "exclusion") in columns:
            exclusion = sims[:, columns[(code, "exclusion")]].max(axis=1)
            score = score - EXCLUSION_WEIGHT * np.maximum(0.0, exclusion - score)
        raw[:, j] = score
    return raw


@dataclass(frozen=True)
class Calibration:
    """Per-code robust centre and scale of raw scores over a background of segments."""

    center: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, background_raw: np.ndarray) -> "Calibration":
        if background_raw.shape[0] < 2:
            raise InputError("calibration needs at least two segments; ingest documents before `suggest`")
        center = np.median(background_raw, axis=0)
        mad = np.median(np.abs(background_raw - center), axis=0) * MAD_TO_SD
        return cls(center.astype(np.float64), np.maximum(mad, 1e-3).astype(np.float64))

    def transform(self, raw: np.ndarray) -> np.ndarray:
        z = (raw - self.center) / self.scale
        return 1.0 / (1.0 + np.exp(-Z_SLOPE * (z - Z_OFFSET)))

    def to_dict(self) -> dict[str, list[float]]:
        return {"center": [round(float(x), 6) for x in self.center], "scale": [round(float(x), 6) for x in self.scale]}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> "Calibration":
        return cls(np.asarray(data["center"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64))


def choose(
    raw: np.ndarray,
    scores: np.ndarray,
    groups: Sequence[Sequence[int]],
    free: Sequence[int],
    top_k: int,
    threshold: float,
) -> list[list[Choice]]:
    """Per segment: suggested codes, runners-up and the explicit "no code"."""
    out = []
    for i in range(scores.shape[0]):
        row = scores[i]
        shown: list[int] = []
        kept: list[int] = []
        for group in groups:
            ranked = sorted(group, key=lambda j: (-row[j], j))[:top_k]
            if row[ranked[0]] >= threshold:
                shown.append(ranked[0])
                kept += ranked[1:]
            else:
                kept += ranked
        ranked_free = sorted(free, key=lambda j: (-row[j], j))[:top_k]
        shown += [j for j in ranked_free if row[j] >= threshold]
        kept += [j for j in ranked_free if row[j] < threshold]
        shown.sort(key=lambda j: (-row[j], j))
        kept += shown[top_k:]
        shown = shown[:top_k]
        kept.sort(key=lambda j: (-row[j], j))
        choices = [Choice(j, r + 1, float(raw[i, j]), float(row[j]), True) for r, j in enumerate(shown)]
        if not shown:
            choices.append(Choice(None, 1, None, None, True))
        base = len(choices)
        choices += [Choice(j, base + r + 1, float(raw[i, j]), float(row[j]), False) for r, j in enumerate(kept)]
        out.append(choices)
    return out


class CodebookSuggester:
    """Definition-based suggester: ``fit`` on a codebook, ``predict`` on segment vectors.

    ``embed`` maps texts to unit-normalised vectors (for example a cached embedder).
    """

    def __init__(self, top_k: int = 3, threshold: float = 0.5, weights: dict[str, float] | None = None) -> None:
        self.top_k = top_k
        self.threshold = threshold
        self.weights = weights

    def fit(
        self,
        codebook: Codebook,
        embed: Callable[[list[str]], np.ndarray],
        background: np.ndarray,
        calibration: Calibration | None = None,
    ) -> "CodebookSuggester":
        if not codebook.codable:
            raise InputError(f"codebook '{codebook.name}' has no codable codes; mark codes `codable: true` and give them definitions")
        self.codes_ = [c.id for c in codebook.codable]
        self.texts_ = code_texts(codebook)
        self.text_vectors_ = embed([t.text for t in self.texts_])
        grouped = {c for ids in codebook.exclusive_groups().values() for c in ids}
        index = {c: j for j, c in enumerate(self.codes_)}
        self.groups_ = [[index[c] for c in ids] for ids in codebook.exclusive_groups().values() if ids]
        self.free_ = [j for j, c in enumerate(self.codes_) if c not in grouped]
        self.calibration_ = calibration or Calibration.fit(self.raw_scores(background))
        return self

    def raw_scores(self, segments: np.ndarray) -> np.ndarray:
        return combine_scores(segments, self.text_vectors_, self.texts_, self.codes_, self.weights or DEFAULT_WEIGHTS)

    def predict(self, segments: np.ndarray) -> list[list[Choice]]:
        raw = self.raw_scores(segments)
        return choose(raw, self.calibration_.transform(raw), self.groups_, self.free_, self.top_k, self.threshold)
