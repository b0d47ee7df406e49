"""Learning from confirmed coding: a classifier on the embeddings, blended with the
definition-based scores by how much evidence each code has.

Labels come from the decision log. For a segment a coder decided, a code is positive
if accepted or added, negative if rejected, and negative too if the coder decided the
segment and did not apply it (for a code of an exclusive group: if they chose a
sibling). Codes of an exclusive group get one multinomial logistic regression over the
group; other codes one binary logistic regression each (class weights balanced). The
blended score of code c is ``w * p_learned + (1 - w) * s_definition`` with
``w = n_c / (n_c + PRIOR_STRENGTH)``, n_c the code's positive examples: with no
confirmations it is the definition score, with a hundred mostly the classifier's.

Trust: cross-validation grouped by document (never by segment, which would leak
neighbouring sentences of one interview into training and test), per-code precision,
recall and kappa, and a permutation test of the out-of-fold AUC; codes whose AUC is not
better than chance (p >= 0.05) are flagged untrusted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import GroupKFold

__all__ = ["Labels", "LearnedSuggester", "blend", "cross_validate", "PRIOR_STRENGTH", "MIN_POSITIVES"]

PRIOR_STRENGTH = 20.0
MIN_POSITIVES = 3  # below this a code keeps its definition score only
UNKNOWN = -1


@dataclass
class Labels:
    """Per-code labels over the rows of X: 1 positive, 0 negative, -1 unknown."""

    codes: list[str]
    matrix: np.ndarray  # (n_rows, n_codes) int8
    groups: list[list[int]] = field(default_factory=list)  # exclusive groups as code indices

    def positives(self) -> np.ndarray:
        return (self.matrix == 1).sum(axis=0)


class LearnedSuggester:
    """Per-group multinomial and per-code binary logistic regressions on embeddings."""

    def __init__(self, C: float = 1.0, prior_strength: float = PRIOR_STRENGTH) -> None:
        self.C = C
        self.prior_strength = prior_strength

    def fit(self, X: np.ndarray, labels: Labels) -> "LearnedSuggester":
        self.codes_ = list(labels.codes)
        self.evidence_ = labels.positives().astype(float)
        self.models_: list[tuple[list[int], LogisticRegression]] = []
        grouped = {j for g in labels.groups for j in g}
        for group in labels.groups:
            self._fit_group(X, labels.matrix, group)
        for j in range(len(self.codes_)):
            if j not in grouped:
                self._fit_binary(X, labels.matrix[:, j], j)
        return self

    def _fit_group(self, X: np.ndarray, Y: np.ndarray, group: list[int]) -> None:
        sub = Y[:, group]
        rows = np.where((sub == 1).sum(axis=1) == 1)[0]
        target = sub[rows].argmax(axis=1)
        present = [k for k in range(len(group)) if (target == k).sum() >= MIN_POSITIVES]
        if len(present) < 2:
            return
        keep = np.isin(target, present)
        model = _logistic(self.C).fit(X[rows][keep], np.asarray(group)[target[keep]])
        self.models_.append(([group[k] for k in present], model))

    def _fit_binary(self, X: np.ndarray, y: np.ndarray, j: int) -> None:
        rows = y != UNKNOWN
        if (y[rows] == 1).sum() < MIN_POSITIVES or (y[rows] == 0).sum() < MIN_POSITIVES:
            return
        self.models_.append(([j], _logistic(self.C).fit(X[rows], y[rows])))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, codes) probabilities; NaN for codes without a model."""
        out = np.full((X.shape[0], len(self.codes_)), np.nan)
        for codes, model in self.models_:
            proba = model.predict_proba(X)
            if len(codes) == 1:
                out[:, codes[0]] = proba[:, list(model.classes_).index(1)]
            else:
                for col, cls in enumerate(model.classes_):
                    out[:, int(cls)] = proba[:, col]
        return out

    def weights(self) -> np.ndarray:
        return self.evidence_ / (self.evidence_ + self.prior_strength)


def _logistic(C: float) -> LogisticRegression:
    return LogisticRegression(C=C, max_iter=500, class_weight="balanced")


def blend(definition: np.ndarray, learned: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Evidence-weighted mix; codes without a learned model keep the definition score."""
    w = np.where(np.isnan(learned), 0.0, weights[None, :])
    return w * np.nan_to_num(learned) + (1.0 - w) * definition


@dataclass(frozen=True)
class CodeTrust:
    code: str
    positives: int
    precision: float
    recall: float
    kappa: float
    auc: float
    p_value: float
    trusted: bool


def cross_validate(
    X: np.ndarray,
    labels: Labels,
    documents: Sequence[str],
    definition: np.ndarray,
    folds: int = 5,
    permutations: int = 200,
    seed: int = 0,
) -> list[CodeTrust]:
    """Out-of-fold blended scores, grouped by document; per-code metrics and trust."""
    documents = np.asarray(documents)
    n_folds = min(folds, len(set(documents)))
    scores = np.full(labels.matrix.shape, np.nan)
    if n_folds >= 2:
        for train, test in GroupKFold(n_splits=n_folds).split(X, groups=documents):
            part = Labels(labels.codes, labels.matrix[train], labels.groups)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = LearnedSuggester().fit(X[train], part)
            scores[test] = blend(definition[test], model.predict_proba(X[test]), model.weights())
    rng = np.random.default_rng(seed)
    return [_trust(labels, j, scores[:, j], rng, permutations) for j in range(len(labels.codes))]


def _trust(labels: Labels, j: int, score: np.ndarray, rng: np.random.Generator, permutations: int) -> CodeTrust:
    y = labels.matrix[:, j]
    rows = (y != UNKNOWN) & ~np.isnan(score)
    y, s = y[rows], score[rows]
    positives = int((y == 1).sum())
    if positives < 2 or positives == len(y):
        return CodeTrust(labels.codes[j], positives, *(float("nan"),) * 4, 1.0, False)
    predicted = (s >= 0.5).astype(int)
    p, r, _, _ = precision_recall_fscore_support(y, predicted, average="binary", zero_division=0)
    auc = roc_auc_score(y, s)
    null = np.array([roc_auc_score(rng.permutation(y), s) for _ in range(permutations)])
    p_value = (1 + (null >= auc).sum()) / (permutations + 1)
    kappa = cohen_kappa_score(y, predicted) if len(set(predicted)) > 1 or len(set(y)) > 1 else float("nan")
    return CodeTrust(labels.codes[j], positives, float(p), float(r), float(kappa), float(auc), float(p_value), bool(p_value < 0.05))
