"""Per-code and overall agreement from a coding table (unit, coder, code) and the
units each coder decided."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.reliability.coefficients import (
    Bootstrap,
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    krippendorff_alpha_masi,
    pabak,
    percent_agreement,
    prevalence,
    prevalence_index,
)
from pipeline.reliability.matrix import CODE, CODER, UNIT, Statistic, check_columns, unique_sorted



def _decided_by(table: pd.DataFrame, decided: Mapping[Any, Iterable[Any]]) -> dict[Any, set[Any]]:
    """Units each coder decided. A unit a coder applied a code to counts as decided
    even if ``decided`` forgot it: the code shows the coder looked at the unit."""
    out = {coder: set(units) for coder, units in decided.items()}
    for coder, units in table.groupby(CODER, sort=False)[UNIT]:
        out.setdefault(coder, set()).update(units)
    return out


@dataclass(frozen=True)
class _Frame:
    """Who decided what: the shared layout of every per-code matrix."""

    coders: list[Any]
    units: list[Any]
    decided: np.ndarray  # coders x units, True where the coder decided the unit

    def presence(self, table: pd.DataFrame, code: Any) -> np.ndarray:
        """1 where the coder applied ``code``, 0 where decided without it, else NaN."""
        out = np.where(self.decided, 0.0, np.nan)
        row = {c: i for i, c in enumerate(self.coders)}
        col = {u: j for j, u in enumerate(self.units)}
        hits = table[table[CODE] == code]
        for coder, unit in zip(hits[CODER], hits[UNIT]):
            if coder in row:
                out[row[coder], col[unit]] = 1.0
        return out


def _frame(table: pd.DataFrame, decided: Mapping[Any, Iterable[Any]], coders: Sequence[Any] | None) -> _Frame:
    check_columns(table, (UNIT, CODER, CODE), "coding table")
    seen = _decided_by(table, decided)
    coders = list(coders) if coders is not None else unique_sorted(seen)
    units = unique_sorted(u for c in coders for u in seen.get(c, ()))
    mask = np.array([[u in seen.get(c, ()) for u in units] for c in coders], dtype=bool)
    return _Frame(coders, units, mask.reshape(len(coders), len(units)))


def presence_matrix(
    table: pd.DataFrame,
    decided: Mapping[Any, Iterable[Any]],
    code: Any,
    coders: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Coders x units: 1 if the coder applied ``code`` to the unit, 0 if the coder
    decided the unit without it, NaN if the coder did not decide the unit."""
    frame = _frame(table, decided, coders)
    return pd.DataFrame(
        frame.presence(table, code),
        index=pd.Index(frame.coders, name=CODER),
        columns=pd.Index(frame.units, name=UNIT),
    )


def code_sets_matrix(
    table: pd.DataFrame,
    decided: Mapping[Any, Iterable[Any]],
    coders: Sequence[Any] | None = None,
    codes: Iterable[Any] | None = None,
) -> pd.DataFrame:
    """Coders x units holding the frozenset of codes each coder applied (empty when
    decided without codes, None when not decided); ``codes`` restricts the sets."""
    frame = _frame(table, decided, coders)
    keep = table if codes is None else table[table[CODE].isin(list(codes))]
    applied = keep.groupby([CODER, UNIT], sort=False)[CODE].agg(frozenset).to_dict()
    cells = np.empty(frame.decided.shape, dtype=object)
    for (i, j), was_decided in np.ndenumerate(frame.decided):
        if was_decided:
            cells[i, j] = applied.get((frame.coders[i], frame.units[j]), frozenset())
    index, columns = pd.Index(frame.coders, name=CODER), pd.Index(frame.units, name=UNIT)
    return pd.DataFrame(cells, index=index, columns=columns)


def _why_undefined(m: np.ndarray) -> str:
    """Say why kappa or alpha is NaN for a 0/1/NaN presence matrix."""
    if m.shape[0] < 2:
        return "needs at least two coders"
    pairable = (~np.isnan(m)).sum(axis=0) >= 2
    if not pairable.any():
        return "no unit was decided by two or more coders"
    shared = m[:, pairable]
    values = np.unique(shared[~np.isnan(shared)])
    if values.size == 1:
        who = "no coder applied this code to a" if values[0] == 0 else "every coder applied this code to every"
        return f"{who} shared unit: chance agreement is total, so kappa and alpha are 0/0"
    return "undefined for these data"


def _code_row(m: np.ndarray, boot: Bootstrap | None) -> dict[str, Any]:
    two = m.shape[0] == 2
    kappa: Statistic = cohen_kappa if two else fleiss_kappa
    stats: dict[str, Statistic] = {
        "kappa": kappa,
        "alpha": krippendorff_alpha,
        "ac1": lambda x: gwet_ac1(x, (0.0, 1.0)),
    }
    row: dict[str, Any] = {
        "n_units": int(((~np.isnan(m)).sum(axis=0) >= 2).sum()),
        "prevalence": prevalence(m),
        "percent_agreement": percent_agreement(m),
        "kappa_type": "cohen" if two else "fleiss",
        "pabak": pabak(m, (0.0, 1.0)),
        "prevalence_index": prevalence_index(m) if two else float("nan"),
    }
    for name, fn in stats.items():
        row[name] = fn(m) if m.shape[0] >= 2 else float("nan")
        if boot is not None:  # no interval around an undefined estimate
            bounds = bootstrap_ci(fn, m, boot.n_boot, boot.seed, boot.level) if np.isfinite(row[name]) else None
            row[f"{name}_low"], row[f"{name}_high"] = bounds or (float("nan"), float("nan"))
    row["note"] = _why_undefined(m) if np.isnan([row["kappa"], row["alpha"]]).any() else ""
    return row


def per_code_agreement(
    table: pd.DataFrame,
    decided: Mapping[Any, Iterable[Any]],
    coders: Sequence[Any] | None = None,
    codes: Iterable[Any] | None = None,
    bootstrap: Bootstrap | None = None,
) -> pd.DataFrame:
    """One row per code: n_units (decided by 2+ coders), prevalence, percent_agreement,
    kappa (Cohen for two coders, Fleiss for more; see kappa_type), alpha (nominal),
    ac1, pabak, prevalence_index (two coders), ``*_low``/``*_high`` bootstrap bounds
    for kappa, alpha and ac1 when ``bootstrap`` is given, and a note when undefined.

    Pass ``codes`` (e.g. the whole codebook) to report codes nobody applied."""
    codes = unique_sorted(table[CODE]) if codes is None else list(codes)
    frame = _frame(table, decided, coders)
    rows = []
    for code in codes:
        m = frame.presence(table, code)
        rows.append({CODE: code, **_code_row(m, bootstrap)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class OverallAgreement:
    """Agreement over the whole coding: MASI alpha over each unit's code set and the
    spread of per-code kappa (codes with undefined kappa left out and counted)."""

    masi_alpha: float
    n_units: int
    n_codes: int
    kappa_mean: float
    kappa_min: float
    kappa_max: float
    n_kappa_undefined: int


def overall_agreement(
    table: pd.DataFrame,
    decided: Mapping[Any, Iterable[Any]],
    coders: Sequence[Any] | None = None,
    codes: Iterable[Any] | None = None,
    per_code: pd.DataFrame | None = None,
) -> OverallAgreement:
    """MASI alpha over code sets plus mean/min/max of per-code kappa (reuses
    ``per_code`` from :func:`per_code_agreement` when given)."""
    codes = None if codes is None else list(codes)
    if per_code is None:
        per_code = per_code_agreement(table, decided, coders, codes)
    sets = code_sets_matrix(table, decided, coders, codes)
    kappa = per_code["kappa"].to_numpy(dtype=float)
    defined = kappa[np.isfinite(kappa)]
    spread = (defined.mean(), defined.min(), defined.max()) if defined.size else (np.nan,) * 3
    return OverallAgreement(
        masi_alpha=krippendorff_alpha_masi(sets) if sets.shape[0] >= 2 else float("nan"),
        n_units=int((sets.notna().sum(axis=0) >= 2).sum()),
        n_codes=len(per_code),
        kappa_mean=float(spread[0]),
        kappa_min=float(spread[1]),
        kappa_max=float(spread[2]),
        n_kappa_undefined=int(kappa.size - defined.size),
    )
