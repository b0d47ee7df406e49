"""Learning from confirmed coding: one logistic regression per code group that sees the
zero-shot scores beside the embedding, mixed with those scores by a weight that grouped
cross-validation chooses.

Labels come from the decision log (pipeline.suggest.training). Codes of an exclusive
group get one multinomial model over the group; other codes one binary model each. The
features of a model are the segment's embedding and the logits of the zero-shot scores
of the codes it decides, so the classifier can lean on the codebook where confirmations
are few. Its probability is then mixed with the zero-shot score,
``w * p_learned + (1 - w) * p_zero_shot``, and ``w`` and the regularisation ``C`` are
chosen per model by cross-validation grouped by document (never by segment: sentences
of one interview would leak between training and test). w = 0 is a candidate, so a
model with too little evidence keeps the zero-shot scores; w = 1 with the embedding is
a plain classifier, so with many confirmations the learner is at least that.

The fitted state is plain arrays (``to_arrays`` / ``from_arrays``), so a saved model is
numbers and JSON, never a pickle (pipeline.suggest.model_file).

Trust: the out-of-fold scores of the configuration that is deployed, per code precision,
recall, kappa and AUC, and a permutation test of the AUC that moves whole documents'
labels (``among_groups``: segments of one interview are not independent, so shuffling
them one by one would make chance look significant); codes whose AUC is not better than
chance (p >= 0.05) are flagged untrusted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support, roc_auc_score
from scipy.stats import rankdata
from sklearn.model_selection import GroupKFold, KFold
from threadpoolctl import threadpool_limits

from pipeline.suggest.selection import SELECTIONS, candidate, choose
from pipeline.suggest.features import importance_weights, lexical_features, logit, surface_features

__all__ = ["Labels", "LearnedSuggester", "CodeTrust", "trust", "surface_features", "lexical_features", "MIN_POSITIVES",
           "UNKNOWN", "logit", "VIEWS"]

MIN_POSITIVES = 3  # below this a code keeps its zero-shot score only
UNKNOWN = -1
MIX_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
C_GRID = (1.0,)  # C = 10 never won on the development data (AnnoMI) and tripled the time
PRIOR_SCALE = 0.1  # chosen on AnnoMI (development data); unscaled logits made the model lean on them too much
FOLDS = 5
# Extra feature views, in order of cost: a model may add them in this order only, each
# where grouped cross-validation says it helps.
VIEWS = ("surface", "lexical")


@dataclass
class Labels:
    """Per-code labels over the rows of X: 1 positive, 0 negative, -1 unknown."""

    codes: list[str]
    matrix: np.ndarray  # (n_rows, n_codes) int8
    groups: list[list[int]] = field(default_factory=list)  # exclusive groups as code indices

    def positives(self) -> np.ndarray:
        return (self.matrix == 1).sum(axis=0)


@dataclass
class _Unit:
    """One fitted model: the codes it decides (indices), its weights and its mix."""

    codes: list[int]
    coef: np.ndarray  # (classes or 1, features)
    intercept: np.ndarray
    mix: float
    C: float
    views: tuple[str, ...] = ()  # extra feature views it uses (chosen by cross-validation)


class LearnedSuggester:
    """Per-group multinomial and per-code binary logistic regressions on the embedding
    and the zero-shot scores, mixed with the zero-shot scores by a cross-validated weight.

    fit(X, labels, prior, documents, views) -> self; predict_proba(X, prior, views) ->
    (n, codes) scores: for codes with a model the mix, for the others the prior unchanged.
    views: optional extra feature matrices by name ("surface": dense, "lexical": sparse);
    each model uses the ones grouped cross-validation chooses, in the order of VIEWS.

    selection: "guard" (the default) takes the configuration with the best
    cross-validated score, but keeps the zero-shot scores unless its fold-by-fold gain
    over them is more than one standard error of that gain (a gain within the folds'
    noise is not evidence); "best" takes the best score regardless; "one_se" the simplest
    configuration (zero-shot first, then fewer views, then less weight on the classifier)
    within one standard error of the best (Hastie, Tibshirani & Friedman 7.10).
    importance: weight the cross-validation by importance_weights (sample -> pool) when
    fit is given the pool's zero-shot scores. Off by default: on AnnoMI (development
    data) it changed nothing measurable once the guard was in place.
    """

    def __init__(self, mix_grid: Sequence[float] = MIX_GRID, C_grid: Sequence[float] = C_GRID,
                 folds: int = FOLDS, class_weight: str | None = None, use_prior: bool = True,
                 prior_scale: float = PRIOR_SCALE, selection: str = "guard", importance: bool = False) -> None:
        self.mix_grid = tuple(mix_grid)
        self.prior_scale = prior_scale
        self.C_grid = tuple(C_grid)
        self.folds = folds
        self.class_weight = class_weight
        self.use_prior = use_prior
        self.selection = selection
        self.importance = importance

    def fit(self, X: np.ndarray, labels: Labels, prior: np.ndarray, documents: Sequence[str] | None = None,
            extra: np.ndarray | None = None, lexical: sparse.spmatrix | None = None,
            pool_prior: np.ndarray | None = None) -> "LearnedSuggester":
        """X: (n, d) embeddings; prior: (n, codes) zero-shot scores in [0, 1]; documents:
        the document of each row, for grouped cross-validation; extra: the surface
        features; lexical: the lexical features; pool_prior: (m, codes) zero-shot scores
        of the study's segments, to weight the cross-validation to the pool."""
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {', '.join(SELECTIONS)}, not {self.selection!r}")
        self.codes_ = list(labels.codes)
        self.evidence_ = labels.positives().astype(int)
        self.units_: list[_Unit] = []
        self.oof_ = np.full(labels.matrix.shape, np.nan)  # out-of-fold scores of the deployed configuration
        docs = np.asarray(documents if documents is not None else np.arange(len(X)).astype(str))
        views = _views(extra, lexical)
        grouped = {j for g in labels.groups for j in g}
        # Small problems: BLAS threads only add overhead (10x slower on a busy machine).
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            for group in labels.groups:
                self._fit_unit(X, views, prior, pool_prior, docs, *_group_target(labels.matrix, group))
            for j in range(len(self.codes_)):
                if j not in grouped:
                    self._fit_unit(X, views, prior, pool_prior, docs, *_binary_target(labels.matrix, j))
        return self

    def predict_proba(self, X: np.ndarray, prior: np.ndarray, extra: np.ndarray | None = None,
                      lexical: sparse.spmatrix | None = None) -> np.ndarray:
        out = np.array(prior, dtype=float, copy=True)
        views = _views(extra, lexical)
        for unit in self.units_:
            out[:, unit.codes] = self._mixed(unit, X, views, prior)
        return out

    def modelled(self) -> list[str]:
        """Codes that have a learned model (the others keep their zero-shot score)."""
        return [self.codes_[j] for u in self.units_ for j in u.codes]

    def uses(self, view: str) -> bool:
        """Whether any fitted model uses this extra feature view."""
        return any(view in u.views for u in self.units_)

    # --- fitting ------------------------------------------------------------------

    def _fit_unit(self, X: np.ndarray, views: dict, prior: np.ndarray, pool_prior: np.ndarray | None, docs: np.ndarray,
                  rows: np.ndarray, codes: list[int], target: np.ndarray) -> None:
        """Choose C, the feature views and the mix by grouped CV; fit the chosen model."""
        if codes is None:
            return
        P = prior[rows][:, codes]
        weights = importance_weights(P, None if pool_prior is None or not self.importance else pool_prior[:, codes])
        folds = self._folds(docs[rows], target)
        sub = {name: m[rows] for name, m in views.items()}
        candidates = []
        for chosen in _view_sets(views):
            design = self._design(X[rows], sub, chosen, prior[rows], codes)
            for C in self.C_grid:
                q = None if folds is None else self._out_of_fold(design, target, folds, C, len(codes))
                if q is not None:
                    candidates += [candidate(chosen, C, m, m * q + (1 - m) * P, target, folds, weights) for m in self.mix_grid]
        best = choose(candidates, self.selection)
        views_used, C, mix = ((), self.C_grid[0], 0.0) if best is None else (best.views, best.C, best.mix)
        model = self._logistic(C).fit(self._design(X[rows], sub, views_used, prior[rows], codes), target)
        self.units_.append(_Unit(codes, model.coef_.copy(), model.intercept_.copy(), float(mix), float(C), views_used))
        deployed = P if best is None else best.scores
        for k, j in enumerate(codes):
            self.oof_[rows, j] = deployed[:, k]

    def _folds(self, docs: np.ndarray, target: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Folds grouped by document (rows without documents: plain folds); None if a fold's
        training part would have only one class."""
        n_groups = len(set(docs))
        splitter = GroupKFold(min(self.folds, n_groups)) if n_groups >= 2 else None
        if splitter is None:
            if len(target) < 2 * self.folds:
                return None
            splitter = KFold(self.folds, shuffle=True, random_state=0)
        folds = list(splitter.split(np.zeros(len(target)), target, groups=docs))
        return None if any(len(set(target[train])) < 2 for train, _ in folds) else folds

    def _out_of_fold(self, Z, target: np.ndarray, folds: list, C: float, n_codes: int) -> np.ndarray:
        out = np.full((len(target), n_codes), np.nan)
        for train, test in folds:
            model = self._logistic(C).fit(Z[train], target[train])
            out[test] = _sklearn_proba(model, Z[test], n_codes)
        return out

    def _design(self, X: np.ndarray, views: dict, chosen: tuple[str, ...], prior: np.ndarray, codes: list[int]):
        """The model's inputs: embedding, chosen views, scaled zero-shot logits (sparse if a view is)."""
        parts = [X] + [views[name] for name in chosen] + ([self.prior_scale * logit(prior[:, codes])] if self.use_prior else [])
        if any(sparse.issparse(p) for p in parts):
            return sparse.hstack([sparse.csr_matrix(p) for p in parts], format="csr")
        return np.hstack(parts)

    def _mixed(self, unit: _Unit, X: np.ndarray, views: dict, prior: np.ndarray) -> np.ndarray:
        P = prior[:, unit.codes]
        missing = [v for v in unit.views if v not in views]
        if missing:
            raise ValueError(f"the learned model uses the {', '.join(missing)} features; pass them")
        Z = self._design(X, views, unit.views, prior, unit.codes)
        if Z.shape[1] != unit.coef.shape[1]:
            raise ValueError(f"the learned model expects {unit.coef.shape[1]} features, got {Z.shape[1]}")
        return unit.mix * _proba(unit.coef, unit.intercept, Z, len(unit.codes)) + (1 - unit.mix) * P

    def _logistic(self, C: float) -> LogisticRegression:
        return LogisticRegression(C=C, max_iter=300, class_weight=self.class_weight)

    # --- arrays -------------------------------------------------------------------

    def to_arrays(self) -> tuple[dict, dict[str, np.ndarray]]:
        """The fitted state as (JSON-able metadata, named arrays)."""
        meta = {"codes": self.codes_, "evidence": [int(e) for e in self.evidence_], "use_prior": self.use_prior,
                "prior_scale": self.prior_scale,
                "units": [{"codes": u.codes, "mix": u.mix, "C": u.C, "views": list(u.views),
                           "extra": "surface" in u.views} for u in self.units_]}
        arrays = {}
        for k, u in enumerate(self.units_):
            arrays[f"coef_{k}"], arrays[f"intercept_{k}"] = u.coef, u.intercept
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict[str, np.ndarray]) -> "LearnedSuggester":
        model = cls(use_prior=bool(meta["use_prior"]), prior_scale=float(meta.get("prior_scale", 1.0)))
        model.codes_ = [str(c) for c in meta["codes"]]
        model.evidence_ = np.asarray(meta["evidence"], dtype=int)
        model.units_ = [_Unit([int(j) for j in u["codes"]], np.asarray(arrays[f"coef_{k}"], dtype=float),
                              np.asarray(arrays[f"intercept_{k}"], dtype=float), float(u["mix"]), float(u["C"]),
                              _stored_views(u))
                        for k, u in enumerate(meta["units"])]
        return model


def _views(extra: np.ndarray | None, lexical: sparse.spmatrix | None) -> dict:
    return {name: m for name, m in (("surface", extra), ("lexical", lexical)) if m is not None}


def _view_sets(views: dict) -> list[tuple[str, ...]]:
    """Candidate feature sets: none, then each available view added in the order of VIEWS."""
    present = [v for v in VIEWS if v in views]
    return [tuple(present[:k]) for k in range(len(present) + 1)]


def _stored_views(unit: dict) -> tuple[str, ...]:
    """A saved unit's views (models saved before views were named stored only 'extra')."""
    if "views" in unit:
        names = tuple(str(v) for v in unit["views"])
        unknown = [v for v in names if v not in VIEWS]
        if unknown:
            raise ValueError(f"unknown feature view(s) {', '.join(unknown)}; known: {', '.join(VIEWS)}")
        return names
    return ("surface",) if unit.get("extra") else ()


def _group_target(Y: np.ndarray, group: list[int]) -> tuple[np.ndarray, list[int] | None, np.ndarray]:
    """Rows with exactly one code of the group applied, the codes with enough of them."""
    sub = Y[:, group]
    rows = np.where((sub == 1).sum(axis=1) == 1)[0]
    target = sub[rows].argmax(axis=1)
    present = [k for k in range(len(group)) if (target == k).sum() >= MIN_POSITIVES]
    if len(present) < 2:
        return rows, None, target
    keep = np.isin(target, present)
    remap = {k: i for i, k in enumerate(present)}
    return rows[keep], [group[k] for k in present], np.array([remap[t] for t in target[keep]])


def _binary_target(Y: np.ndarray, j: int) -> tuple[np.ndarray, list[int] | None, np.ndarray]:
    rows = np.where(Y[:, j] != UNKNOWN)[0]
    y = Y[rows, j].astype(int)
    if (y == 1).sum() < MIN_POSITIVES or (y == 0).sum() < MIN_POSITIVES:
        return rows, None, y
    return rows, [j], y


def _sklearn_proba(model: LogisticRegression, Z: np.ndarray, n_codes: int) -> np.ndarray:
    """(n, n_codes) probabilities; a class missing from a training fold gets 0."""
    proba = model.predict_proba(Z)
    if n_codes == 1:
        return proba[:, list(model.classes_).index(1)][:, None]
    out = np.zeros((Z.shape[0], n_codes))
    out[:, model.classes_.astype(int)] = proba
    return out


def _proba(coef: np.ndarray, intercept: np.ndarray, Z: np.ndarray, n_codes: int) -> np.ndarray:
    """(n, n_codes) probabilities from logistic weights: softmax over a group, sigmoid for one code."""
    z = Z @ coef.T + intercept
    if n_codes == 1:
        return 1.0 / (1.0 + np.exp(-z))
    if z.shape[1] == 1:  # a group with two codes: sklearn keeps one column for the second class
        p = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return np.column_stack([1 - p, p])
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


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


def trust(model: LearnedSuggester, labels: Labels, documents: Sequence[str], permutations: int = 200,
          seed: int = 0) -> list[CodeTrust]:
    """Per-code trust from the fitted model's out-of-fold scores (the deployed configuration)."""
    rng = np.random.default_rng(seed)
    docs = np.asarray(documents)
    return [_trust(labels, j, model.oof_[:, j], docs, rng, permutations) for j in range(len(labels.codes))]


def _trust(labels: Labels, j: int, score: np.ndarray, docs: np.ndarray, rng: np.random.Generator,
           permutations: int) -> CodeTrust:
    y = labels.matrix[:, j]
    rows = (y != UNKNOWN) & ~np.isnan(score)
    y, s, d = y[rows], score[rows], docs[rows]
    positives = int((y == 1).sum())
    if positives < 2 or positives == len(y):
        return CodeTrust(labels.codes[j], int((labels.matrix[:, j] == 1).sum()), *(float("nan"),) * 4, 1.0, False)
    predicted = (s >= 0.5).astype(int)
    p, r, _, _ = precision_recall_fscore_support(y, predicted, average="binary", zero_division=0)
    auc = roc_auc_score(y, s)
    ranks = rankdata(s)  # the AUC from ranks (Mann-Whitney): the scores' ranks are computed once
    null = np.array([_rank_auc(among_groups(y, d, rng), ranks) for _ in range(permutations)])
    p_value = (1 + (null >= auc).sum()) / (permutations + 1)
    kappa = cohen_kappa_score(y, predicted) if len(set(predicted)) > 1 or len(set(y)) > 1 else float("nan")
    return CodeTrust(labels.codes[j], positives, float(p), float(r), float(kappa), float(auc), float(p_value), bool(p_value < 0.05))


def among_groups(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation of y that moves whole documents' label runs: the documents are put in
    a random order and their labels, kept together and in order, laid over the rows.

    Labels of one document stay together, so the null keeps the dependence between
    neighbouring segments that a segment-by-segment shuffle would destroy (which makes
    chance look significant); with one segment per document it is a plain permutation.
    """
    order = np.argsort(groups, kind="stable")
    blocks = [y[order][groups[order] == g] for g in np.unique(groups)]
    out = np.empty_like(y)
    out[order] = np.concatenate([blocks[k] for k in rng.permutation(len(blocks))])
    return out


def _rank_auc(y: np.ndarray, ranks: np.ndarray) -> float:
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return 0.5
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
