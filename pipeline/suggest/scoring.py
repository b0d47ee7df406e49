"""Suggest: score every segment against every codable code, turn scores into probabilities, choose.

How a code is scored (docs/method.md says the same for users).

1. Prototype. A code is the mean of its texts: "label: definition", its inclusion criteria,
   each example, and "parent label: parent definition. label: definition" (exclusion
   criteria are not part of it). Vectors are first centred on the mean of a fixed set of
   generic background sentences (pipeline.suggest.background), which removes the direction
   every English sentence shares.
2. Adapt to the study (exclusive groups only). Five times: each of the study's segments is
   shared among the group's codes (softmax of cosine / 0.02), and each prototype becomes the
   code texts plus half the mean of the segments it was given. The codebook stays the anchor;
   the study's unlabelled segments teach it how this study says things.
3. P(code | the group applies) = softmax of cosines / T over the group's codes. T comes from
   the codebook itself: each of the group's code texts is classified against prototypes made
   without it (leave one out), and T is the temperature under which those classifications
   are most likely (lowest log loss). A codebook whose codes are hard to tell apart gets a
   cautious T, one whose codes stand apart a confident one. A group with fewer than
   MIN_TEXTS texts for some code keeps the default TEMPERATURE.
4. Absolute evidence. In a second view centred on the study's own mean segment, a code's
   evidence for a segment is logistic((cosine to the code - bar) / GATE_WIDTH), where the bar
   is the highest cosine any background sentence reaches for that code: above 0.5 only when
   the segment is closer to the code than every piece of unrelated text.
   Does a set of codes (an exclusive group, or all codes outside groups) belong to the study?
   ``study_fit`` compares the study's segments with the background sentences themselves: it
   is the share of segments that beat the median generic sentence, minus 1/2. A set is set
   aside only when the study is measurably less like it than generic text (a sign test at
   FIT_Z standard errors; a small study cannot show that, so its codebook is trusted). A
   group that belongs gets the conditional probabilities above (every segment needs one of
   its codes); a group set aside gets them multiplied by the segment's evidence; free codes
   get their evidence, or nothing when their set is set aside. So a codebook that does not
   belong to the text shows nothing, without a genre-dependent share. The test looks at
   sentences, like the background it is compared with: segments longer than a sentence are
   represented by a seeded sample of their sentences (pipeline.suggest.fit_sample). A set
   scoped to some speakers adapts (step 2) and is tested on those speakers' text only.
5. Priors. Each group's code frequencies are estimated from the study's unlabelled segments
   by EM prior adjustment (Saerens et al. 2002) and stored with the run; re-weighting the
   probabilities by them lowered kappa on the development data, so it is off (USE_PRIORS).

Choosing. Codes under a parent marked ``exclusive`` get one choice per segment (the best of
the group, if it passes the threshold); other codes are multi-label. At most ``top_k``
suggestions are shown; runners-up are kept (``suggested=False``) for top-k evaluation; when
nothing passes, an explicit "no code" is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from pipeline.codebook import Codebook
from pipeline.errors import InputError
from pipeline.suggest.background import BACKGROUND
from pipeline.suggest.calibration import (ADAPT_STEPS, ADAPT_TEMPERATURE, ADAPT_WEIGHT, FIT_Z, GATE_WIDTH,
                                          PROTOTYPE_ROLES, TEMPERATURE, TEMPERATURE_GRID, USE_PRIORS, Calibration,
                                          CodeText, adapt, codebook_temperature, conditional_probabilities,
                                          em_priors, fit_calibration, outside_groups, prototypes)

# Calibration's names are re-exported: callers read the whole method from this module.
__all__ = [
    "CodeText",
    "Calibration",
    "Choice",
    "CodebookSuggester",
    "code_texts",
    "prototypes",
    "adapt",
    "fit_calibration",
    "em_priors",
    "codebook_temperature",
    "conditional_probabilities",
    "outside_groups",
    "choose",
    "PARAMETERS",
    "TEMPERATURE",
    "TEMPERATURE_GRID",
]

PARAMETERS = {
    "roles": list(PROTOTYPE_ROLES), "temperature": "codebook leave-one-out", "default_temperature": TEMPERATURE,
    "adapt_temperature": ADAPT_TEMPERATURE,
    "adapt_weight": ADAPT_WEIGHT, "adapt_steps": ADAPT_STEPS, "gate_width": GATE_WIDTH,
    "fit_z": FIT_Z, "fit_on": "sentences", "use_priors": USE_PRIORS, "background": len(BACKGROUND),
    "fit_within": "speaker scope",
}


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
    """Definition-based suggester: ``fit`` on a codebook and the study's segments, then
    ``raw_scores``/``predict_proba`` on vectors and ``choose`` on the scores (the suggest stage
    calls exactly these, mixing in a learned model's probabilities between the last two).

    ``embed`` maps texts to unit-normalised vectors (for example a cached embedder); it is
    called for the code texts and the few background sentences only. ``background`` is the
    study's segment vectors (the unlabelled data the scores adapt to).
    """

    def __init__(self, top_k: int = 3, threshold: float = 0.5) -> None:
        self.top_k = top_k
        self.threshold = threshold

    def fit(
        self,
        codebook: Codebook,
        embed: Callable[[list[str]], np.ndarray],
        background: np.ndarray,
        calibration: Calibration | None = None,
        fit_segments: np.ndarray | None = None,
        scope: np.ndarray | None = None,
        fit_scope: np.ndarray | None = None,
        set_aside: bool = True,
    ) -> "CodebookSuggester":
        """``background``: the study's segment vectors; ``fit_segments``, ``scope``, ``fit_scope``,
        ``set_aside``: see ``fit_calibration`` (scope columns in the order of ``codebook.codable``)."""
        if not codebook.codable:
            raise InputError(f"codebook '{codebook.name}' has no codable codes; mark codes `codable: true` and give them definitions")
        self.codes_ = [c.id for c in codebook.codable]
        self.texts_ = code_texts(codebook)
        index = {c: j for j, c in enumerate(self.codes_)}
        groups = {parent: ids for parent, ids in codebook.exclusive_groups().items() if ids}
        self.groups_ = [[index[c] for c in ids] for ids in groups.values()]
        self.group_names_ = list(groups)
        self.free_ = outside_groups(self.groups_, len(self.codes_))
        if calibration is None:
            vectors = embed([t.text for t in self.texts_] + list(BACKGROUND))
            n = len(self.texts_)
            calibration = fit_calibration(background, vectors[:n], self.texts_, self.codes_, self.groups_, vectors[n:],
                                          fit_segments=fit_segments, scope=scope, fit_scope=fit_scope,
                                          set_aside=set_aside)
        self.calibration_ = calibration
        return self

    @property
    def dimension_(self) -> int:
        return int(self.calibration_.center.shape[0])

    def raw_scores(self, segments: np.ndarray) -> np.ndarray:
        return self.calibration_.raw(segments)

    def predict_proba(self, segments: np.ndarray) -> np.ndarray:
        """Probabilities (segments x codes): what the stage shows and evaluate calibrates."""
        return self.calibration_.scores(segments)

    def choose(self, raw: np.ndarray, scores: np.ndarray) -> list[list[Choice]]:
        """Per segment: the shown codes, runners-up and "no code" (``choose`` with this fit's groups)."""
        return choose(raw, scores, self.groups_, self.free_, self.top_k, self.threshold)

    def set_aside_(self) -> list[str]:
        """The exclusive groups (parent ids) and, as "", the codes outside groups that the study
        is measurably less like than generic text (method step 4): shown only on clear evidence."""
        groups, free = self.calibration_.set_aside()
        return [self.group_names_[i] for i in groups] + ([""] if free else [])
