"""Agreement coefficients on reliability matrices, and bootstrap intervals."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

from pipeline.errors import InputError
from pipeline.reliability.matrix import (
    LEVELS,
    Coded,
    Matrix,
    Statistic,
    as_matrix,
    encode,
    is_number,
    missing_mask,
)


def _pa_and_pi(coded: Coded) -> tuple[float, np.ndarray]:
    """Gwet's (2014, ch. 2 and 5) percent agreement over units rated at least twice and
    category proportions averaged over units rated at least once (missing data allowed)."""
    counts = coded.counts()
    raters = counts.sum(axis=1)
    pairable = raters >= 2
    if not pairable.any():
        return float("nan"), np.zeros(len(coded.categories))
    c, r = counts[pairable], raters[pairable]
    pa = float(np.mean((c * (c - 1)).sum(axis=1) / (r * (r - 1))))
    rated = raters >= 1
    pi = (counts[rated] / raters[rated, None]).mean(axis=0)
    return pa, pi


def _chance_corrected(pa: float, pe: float) -> float:
    """(pa - pe) / (1 - pe); NaN when chance agreement is total (0/0)."""
    if np.isnan(pa) or np.isclose(pe, 1.0):
        return float("nan")
    return float((pa - pe) / (1 - pe))


def percent_agreement(data: Matrix) -> float:
    """Share of agreeing coder pairs per unit, averaged over units rated by 2+ coders.

    For two coders this is the plain proportion of units they agree on; for more coders
    it is Fleiss' (1971) mean pairwise agreement P-bar, as generalised to missing
    ratings by Gwet (2014, Handbook of Inter-Rater Reliability, 4th ed.)."""
    return _pa_and_pi(encode(data))[0]


def fleiss_kappa(data: Matrix) -> float:
    """Fleiss' (1971) kappa; any number of coders, missing ratings allowed.

    pe = sum_k pi_k^2 with pi_k the per-unit share of category k averaged over units;
    with no missing data this is exactly Fleiss' statistic (Gwet 2014, ch. 5)."""
    pa, pi = _pa_and_pi(encode(data))
    return _chance_corrected(pa, float(np.sum(pi**2)))


def gwet_ac1(data: Matrix, categories: Sequence[Any] | None = None) -> float:
    """Gwet's AC1 (Gwet 2008, Br. J. Math. Stat. Psychol. 61:29-48; Handbook 2014).

    pe = sum_k pi_k (1 - pi_k) / (q - 1), q = number of categories. Give ``categories``
    when some possible values were never used (e.g. ``(0, 1)`` for presence data)."""
    coded = encode(data, categories)
    q = len(coded.categories)
    if q < 2:
        return float("nan")
    pa, pi = _pa_and_pi(coded)
    return _chance_corrected(pa, float(np.sum(pi * (1 - pi)) / (q - 1)))


def pabak(data: Matrix, categories: Sequence[Any] | None = None) -> float:
    """Prevalence- and bias-adjusted kappa (Byrt, Bishop & Carlin 1993, J Clin Epidemiol
    46:423-429): (q * po - 1) / (q - 1), which is 2 po - 1 for a yes/no code. q is the
    number of ``categories``, or of observed values (at least 2) when not given."""
    coded = encode(data, categories)
    q = max(len(coded.categories), 2)
    return float((q * _pa_and_pi(coded)[0] - 1) / (q - 1))


def prevalence(data: Matrix, positive: Any = 1) -> float:
    """Share of all given ratings that equal ``positive`` (how often a code is used)."""
    arr = as_matrix(data)
    present = arr[~missing_mask(arr)]
    return float(np.mean(present == positive)) if present.size else float("nan")


def prevalence_index(data: Matrix, positive: Any = 1) -> float:
    """|a - d| / n for two coders (Byrt et al. 1993; Sim & Wright 2005, Phys Ther 85:257):
    a = units both coded ``positive``, d = units both coded otherwise, n = units both rated."""
    arr = _two_coders(data)
    both = ~missing_mask(arr).any(axis=0)
    if not both.any():
        return float("nan")
    yes = arr[:, both] == positive
    a, d = np.sum(yes.all(axis=0)), np.sum((~yes).all(axis=0))
    return float(abs(a - d) / both.sum())


def _two_coders(data: Matrix) -> np.ndarray:
    arr = as_matrix(data)
    if arr.shape[0] != 2:
        raise InputError(f"this statistic compares exactly two coders; the matrix has {arr.shape[0]} rows")
    return arr


def cohen_kappa(data: Matrix, weights: Literal["linear", "quadratic"] | None = None) -> float:
    """Cohen's (1960) kappa for two coders over the units both rated (via scikit-learn).

    Weighted kappa (Cohen 1968) places categories by rank among the values the two
    coders used, as R's irr::kappa2 and SAS PROC FREQ do."""
    coded = encode(_two_coders(data))
    both = (coded.codes >= 0).all(axis=0)
    used = np.unique(coded.codes[:, both])
    if used.size < 2:  # one shared value: chance agreement is 1, kappa is 0/0
        return float("nan")
    a, b = coded.codes[0, both], coded.codes[1, both]
    return float(cohen_kappa_score(a, b, labels=used, weights=weights))


def krippendorff_alpha(
    data: Matrix,
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "nominal",
    value_domain: Sequence[Any] | None = None,
) -> float:
    """Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's
    Alpha-Reliability") via the ``krippendorff`` package; missing data allowed.

    ``ordinal`` is Krippendorff's rank metric (not Gwet's ordinal weights). Values
    that are not numbers need ``value_domain`` (their order) for ``ordinal`` and
    cannot be ``interval``/``ratio``."""
    if level not in LEVELS:
        raise InputError(f"unknown level of measurement {level!r}; use one of {', '.join(LEVELS)}")
    coded = encode(data, value_domain)
    numeric = all(is_number(v) for v in coded.categories)
    if not numeric and level in ("interval", "ratio"):
        raise InputError(f"{level} alpha needs numeric values; got {list(coded.categories)[:5]!r}")
    if not numeric and level == "ordinal" and value_domain is None:
        raise InputError("ordinal alpha on text values needs value_domain listing the values in order")
    pairable = (coded.codes >= 0).sum(axis=0) >= 2
    if len(np.unique(coded.codes[:, pairable][coded.codes[:, pairable] >= 0])) < 2:
        return float("nan")  # nothing to pair, or one value only: expected disagreement 0
    # Text categories go to the package as their rank (enough for nominal and ordinal).
    domain = np.asarray(coded.categories if numeric else range(len(coded.categories)), dtype=float)
    values = np.where(coded.codes >= 0, domain[np.maximum(coded.codes, 0)], np.nan)
    return float(krippendorff.alpha(values, value_domain=domain, level_of_measurement=level))


def masi_distance(a: Iterable[Hashable], b: Iterable[Hashable]) -> float:
    """MASI distance between two label sets (Passonneau 2006, LREC): 1 - J * M with J
    the Jaccard index and M = 1 (equal), 2/3 (one contains the other), 1/3 (they
    overlap), 0 (disjoint). Two empty sets are equal (distance 0)."""
    a, b = frozenset(a), frozenset(b)
    if a == b:
        return 0.0
    common = len(a & b)
    if not common:
        return 1.0
    m = 2 / 3 if (a <= b or b <= a) else 1 / 3
    return 1.0 - common / len(a | b) * m


def _masi_matrix(sets: Sequence[frozenset]) -> np.ndarray:
    """:func:`masi_distance` between every pair of ``sets``, vectorised (a coding can
    hold hundreds of distinct code sets)."""
    labels = {label: k for k, label in enumerate(frozenset().union(*sets))}
    member = np.zeros((len(sets), len(labels)))
    for i, s in enumerate(sets):
        member[i, [labels[x] for x in s]] = 1
    size = member.sum(axis=1)
    common = member @ member.T
    union = size[:, None] + size[None, :] - common
    smaller = np.minimum(size[:, None], size[None, :])
    larger = np.maximum(size[:, None], size[None, :])
    m = np.where(common == 0, 0.0, np.where(common == smaller, np.where(common == larger, 1.0, 2 / 3), 1 / 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = np.where(union == 0, 1.0, common / union * m)  # two empty sets are equal
    return 1.0 - similarity


def _alpha_from_distance(coded: Coded, delta: np.ndarray) -> float:
    """Alpha = 1 - Do / De from the coincidences of pairable values (Krippendorff 2011)."""
    counts = coded.counts()
    m = counts.sum(axis=1)
    counts, m = counts[m >= 2], m[m >= 2]
    n = m.sum()
    if n == 0:
        return float("nan")
    observed = ((counts @ delta) * counts).sum(axis=1) / (m - 1)
    totals = counts.sum(axis=0)
    expected = totals @ delta @ totals / (n - 1)
    return float("nan") if np.isclose(expected, 0.0) else float(1 - observed.sum() / expected)


def krippendorff_alpha_masi(data: Matrix) -> float:
    """Krippendorff's alpha over each unit's *set* of codes with the MASI distance
    (Passonneau 2006). Cells hold sets (an empty set = decided, no code); None = missing.
    With one code per cell it equals nominal alpha."""
    arr = as_matrix(data)
    if arr.dtype != object:
        if np.isnan(arr).all():
            return float("nan")
        raise InputError("MASI alpha needs cells holding sets of codes, not single numbers")
    cells = np.empty(arr.shape, dtype=object)
    for idx, value in np.ndenumerate(arr):
        if isinstance(value, str):  # frozenset("abc") would silently split it into letters
            raise InputError(f"MASI alpha cell {idx} holds the text {value!r}; give a set of codes, e.g. {{{value!r}}}")
        cells[idx] = None if value is None else frozenset(value)
    coded = encode(cells)
    return _alpha_from_distance(coded, _masi_matrix(coded.categories))


@dataclass(frozen=True)
class Bootstrap:
    """How to bootstrap confidence intervals: replicates, random seed, coverage."""

    n_boot: int = 1000
    seed: int = 0
    level: float = 0.95


def bootstrap_ci(
    statistic: Statistic, data: Matrix, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval (Efron & Tibshirani 1993, ch. 13) resampling units.

    Units (columns) are drawn with replacement ``n_boot`` times and ``statistic`` is
    computed on each resample; replicates where it is undefined (NaN) are dropped, so
    a statistic that is often undefined gives an optimistic interval. Returns NaNs when
    fewer than two replicates are defined."""
    if not 0 < level < 1:
        raise InputError(f"confidence level must be between 0 and 1, got {level}")
    arr = as_matrix(data)
    rng = np.random.default_rng(seed)
    n = arr.shape[1]
    if n == 0:
        return float("nan"), float("nan")
    reps = np.array([statistic(arr[:, rng.integers(0, n, n)]) for _ in range(n_boot)], dtype=float)
    reps = reps[np.isfinite(reps)]
    if reps.size < 2:
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    low, high = np.quantile(reps, [tail, 1 - tail])
    return float(low), float(high)
