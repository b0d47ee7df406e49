"""Merging several coders' labels into one label set per unit (consensus rules)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.reliability.matrix import CODER, LABEL, UNIT, check_columns

Rule = str | tuple[str, int]


def _threshold(rule: Rule, n_coders: pd.Series) -> pd.Series:
    """Coders needed per unit for a label to be kept under ``rule``."""
    if rule == "unanimous":
        return n_coders
    if rule == "majority":
        return n_coders // 2 + 1
    if isinstance(rule, tuple) and len(rule) == 2 and rule[0] == "at_least":
        k = rule[1]
        if isinstance(k, int) and not isinstance(k, bool) and k >= 1:
            return pd.Series(k, index=n_coders.index)
    raise InputError(
        f"unknown consensus rule {rule!r}; use 'unanimous', 'majority' or ('at_least', k) with an int k >= 1"
    )


def merge_coders(labels: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """Merge coders' labels per unit into (unit, label) rows.

    ``labels`` has one row per (unit, coder, label); a row with a missing label says
    the coder decided the unit and applied no label, so it counts towards the unit's
    coders. A label is kept when the number of distinct coders who applied it meets
    the rule: ``"unanimous"`` (all the unit's coders), ``"majority"`` (more than half)
    or ``("at_least", k)``. Units and labels keep their order of first appearance."""
    check_columns(labels, (UNIT, CODER, LABEL), "label table")
    n_coders = labels.groupby(UNIT, sort=False)[CODER].nunique()
    need = _threshold(rule, n_coders)
    applied = labels.dropna(subset=[LABEL]).drop_duplicates([UNIT, CODER, LABEL])
    votes = applied.groupby([UNIT, LABEL], sort=False).size().rename("votes").reset_index()
    kept = votes[votes["votes"].to_numpy() >= need.loc[votes[UNIT]].to_numpy()]
    # Votes follow the first labelled row of a unit; re-order by the unit's first row.
    position = pd.Series(np.arange(len(n_coders)), index=n_coders.index)
    kept = kept.iloc[np.argsort(position.loc[kept[UNIT]].to_numpy(), kind="stable")]
    return kept[[UNIT, LABEL]].reset_index(drop=True)
