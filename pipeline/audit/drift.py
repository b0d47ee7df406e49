"""Coder drift: how often each coder applies each code, against the others and over time.

Against the others: on the audited sample (the same segments for everyone, so rates are
comparable), a coder's rate of applying a code is set against the pooled rate of the
other compared coders. The flag rule, a screen rather than a formal test (the pooled
coders rated the same segments, so the two samples are not independent):

    at least MIN_SUPPORT applications of the code in all (coder + others), and
    a two-proportion z-test (statsmodels) with p < ALPHA, and
    the ratio coder rate / others' rate outside [1/RATIO, RATIO]

Over time: each coder's rates per batch of decisions (a review workbook, ordered by the
workbook's creation time; decisions imported from a table form a batch per import),
over every segment the coder decided in that batch, not only the sample.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from pipeline.audit.sample import BATCH, BATCH_AT, CODES, AuditSample
from pipeline.reliability import CODE, CODER, UNIT

__all__ = ["drift_table", "batch_rates", "MIN_SUPPORT", "ALPHA", "RATIO", "RULE"]

MIN_SUPPORT, ALPHA, RATIO = 5, 0.05, 2.0
RULE = (f"flagged when the code was applied at least {MIN_SUPPORT} times in all, a two-proportion z-test "
        f"gives p < {ALPHA}, and the coder's rate is below 1/{RATIO:g} or above {RATIO:g} times the others' pooled rate")
DRIFT_COLUMNS = [CODER, CODE, "label", "n_units", "count", "rate", "others_count", "others_units", "others_rate",
                 "ratio", "p_value", "flag"]


def drift_table(coding: AuditSample) -> pd.DataFrame:
    """One row per (coder, code) on the sample, with the over/under-application flag."""
    sample = set(coding.sample)
    counts = {(c, code): 0 for c in coding.coders for code in coding.codes}
    for coder, unit, codes in zip(coding.decisions[CODER], coding.decisions[UNIT], coding.decisions[CODES]):
        if unit in sample and coder in coding.coders:
            for code in codes & set(coding.codes):
                counts[(coder, code)] += 1
    n = len(sample)
    rows = []
    for coder in coding.coders:
        others = [c for c in coding.coders if c != coder]
        for code in coding.codes:
            x, y, m = counts[(coder, code)], sum(counts[(o, code)] for o in others), n * len(others)
            rows.append(_row(coder, code, coding.codebook.get(code).label, x, n, y, m))
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)


def _row(coder: str, code: str, label: str, x: int, n: int, y: int, m: int) -> dict:
    rate, others = x / n if n else np.nan, y / m if m else np.nan
    ratio = rate / others if others else (np.inf if rate else np.nan)
    p = _p_value(x, n, y, m)
    flag = ""
    if x + y >= MIN_SUPPORT and p < ALPHA and not (1 / RATIO <= ratio <= RATIO):
        flag = "over" if rate > others else "under"
    return {CODER: coder, CODE: code, "label": label, "n_units": n, "count": x, "rate": rate, "others_count": y,
            "others_units": m, "others_rate": others, "ratio": ratio, "p_value": p, "flag": flag}


def _p_value(x: int, n: int, y: int, m: int) -> float:
    if not n or not m or x + y in (0, n + m):  # no variation: nothing to test
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, p = proportions_ztest([x, y], [n, m])
    return float(p)


def batch_rates(coding: AuditSample) -> pd.DataFrame:
    """Wide table: one row per (coder, batch) in time order, one rate column per code."""
    rows = []
    for coder in coding.coders:
        mine = coding.decisions[coding.decisions[CODER] == coder]
        batches = mine.groupby(BATCH, sort=False).agg(batch_at=(BATCH_AT, "min"), n=(UNIT, "size"))
        batches = batches.sort_values(["batch_at"], kind="stable")
        for position, (batch, info) in enumerate(batches.iterrows(), start=1):
            sets = mine.loc[mine[BATCH] == batch, CODES]
            row = {CODER: coder, "position": position, BATCH: batch, BATCH_AT: info["batch_at"],
                   "n_units": int(info["n"])}
            for code in coding.codes:
                row[code] = sum(code in s for s in sets) / len(sets)
            rows.append(row)
    return pd.DataFrame(rows, columns=[CODER, "position", BATCH, BATCH_AT, "n_units", *coding.codes])
