"""Choosing a learned model's configuration (feature views, C, mix) from its grouped
cross-validation: the candidates' scores, per fold and over all rows, and the rule that
picks one (pipeline.suggest.learner).

Candidates are ordered simplest first: zero-shot (mix 0), then fewer feature views, then
less weight on the classifier. Each rule starts from the candidate with the best pooled
score (ties go to the simpler):

- "guard" (what `deductive learn` uses) deploys it only if its fold-by-fold gain over
  zero-shot is more than one standard error of that gain; otherwise zero-shot. Chosen on
  AnnoMI (development data): with "best", uncertainty-sampled client talk fell below
  zero-shot (the folds of a small sample of hard cases favour whatever fits them).
- "best" deploys it.
- "one_se" deploys the simplest candidate within one standard error of it (the
  one-standard-error rule, Hastie, Tibshirani & Friedman, The Elements of Statistical
  Learning, 7.10); on AnnoMI it gave up too much (fewer views, smaller mixes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import cohen_kappa_score

__all__ = ["Candidate", "candidate", "choose", "score", "SELECTIONS"]

SELECTIONS = ("best", "one_se", "guard")


@dataclass(frozen=True)
class Candidate:
    """One configuration cross-validated for a unit: its out-of-fold scores, mixed."""

    views: tuple[str, ...]
    C: float
    mix: float
    scores: np.ndarray  # (rows, codes) out-of-fold, already mixed with the zero-shot scores
    pooled: float  # the score over all rows
    per_fold: np.ndarray  # the score in each fold


def candidate(views: tuple[str, ...], C: float, mix: float, scores: np.ndarray, target: np.ndarray,
              folds: list, weights: np.ndarray) -> Candidate:
    n_codes = scores.shape[1]
    per_fold = np.array([score(target[test], scores[test], n_codes, weights[test]) for _, test in folds])
    return Candidate(views, C, mix, scores, score(target, scores, n_codes, weights), per_fold)


def choose(candidates: list[Candidate], selection: str) -> Candidate | None:
    """The configuration to deploy. Candidates are ordered simplest first: zero-shot (mix
    0), then fewer views, then less weight on the classifier; ties go to the simpler."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda c: (c.mix > 0, len(c.views), c.mix, c.C))
    best = max(ordered, key=lambda c: c.pooled)  # max keeps the first (simplest) of equals
    if selection == "best":
        return best
    if selection == "guard":  # leave zero-shot only for a gain clearly above the folds' noise
        return best if not _within_noise(best, ordered[0]) else ordered[0]
    return next((c for c in ordered if _within_noise(best, c)), best)


def _within_noise(best: Candidate, other: Candidate) -> bool:
    """Whether other's fold-by-fold shortfall against best is within one standard error."""
    shortfall = best.per_fold - other.per_fold
    se = shortfall.std(ddof=1) / np.sqrt(len(shortfall)) if len(shortfall) > 1 else 0.0
    return bool(shortfall.mean() <= se)


def score(target: np.ndarray, scores: np.ndarray, n_codes: int, weights: np.ndarray | None = None) -> float:
    """What the configuration is chosen for: kappa of the group's choice; for one code,
    minus the Brier score; each row counted with its importance weight."""
    if n_codes == 1:
        return -float(np.average((scores[:, 0] - target) ** 2, weights=weights))
    predicted = scores.argmax(axis=1)
    if len(set(predicted)) == 1 and len(set(target)) == 1:
        return 0.0
    kappa = cohen_kappa_score(target, predicted, sample_weight=weights)
    return 0.0 if np.isnan(kappa) else float(kappa)  # undefined in a fold with one class on both sides
