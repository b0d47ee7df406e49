"""Reliability matrices (coders x units) and their encoding as category indices."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import InputError

UNIT, CODER, CODE, LABEL = "unit", "coder", "code", "label"
LEVELS = ("nominal", "ordinal", "interval", "ratio")

Matrix = np.ndarray | pd.DataFrame | Sequence[Sequence[Any]]
Statistic = Callable[[np.ndarray], float]



def is_number(value: object) -> bool:
    """True for ints, floats, bools and their numpy kinds."""
    return isinstance(value, numbers.Real)


def as_matrix(data: Matrix) -> np.ndarray:
    """Coders x units as a float array (NaN missing) when every value is a number,
    otherwise an object array with ``None`` for missing cells."""
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy(dtype=object)
    elif isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        arr = data.astype(float)
    else:
        rows = [list(row) for row in data]
        width = len(rows[0]) if rows else 0
        if any(len(row) != width for row in rows):
            raise InputError("reliability matrix rows have different lengths; give one row per coder")
        # Filled cell by cell so that cells holding sets or lists stay single values.
        arr = np.empty((len(rows), width), dtype=object)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                arr[i, j] = value
    if arr.ndim != 2:
        raise InputError(f"reliability matrix must be 2-D (coders x units), got shape {arr.shape}")
    if arr.dtype == object:
        missing = pd.isna(arr)
        present = arr[~missing]
        if all(is_number(v) for v in present):
            out = np.full(arr.shape, np.nan)
            out[~missing] = present.astype(float)
            return out
        arr = arr.copy()
        arr[missing] = None
    return arr


def missing_mask(arr: np.ndarray) -> np.ndarray:
    """True where a cell of a matrix from :func:`as_matrix` is missing."""
    return np.isnan(arr) if arr.dtype.kind == "f" else pd.isna(arr)


@dataclass(frozen=True)
class Coded:
    """A reliability matrix as category indices plus the categories in their order."""

    codes: np.ndarray  # coders x units, category index, -1 where missing
    categories: tuple[Any, ...]

    def counts(self) -> np.ndarray:
        """Units x categories: how many coders gave each unit each category."""
        n, q = self.codes.shape[1], len(self.categories)
        rows, cols = np.nonzero(self.codes >= 0)
        flat = np.bincount(cols * q + self.codes[rows, cols], minlength=n * q)
        return flat.reshape(n, q).astype(float)


def encode(data: Matrix, categories: Sequence[Any] | None = None) -> Coded:
    """Index every value by its category: the given ``categories`` (their order matters
    for weighted and ordinal statistics) or the observed values, sorted when possible."""
    arr = as_matrix(data)
    missing = missing_mask(arr)
    present = arr[~missing]
    if arr.dtype.kind == "f" and (categories is None or all(is_number(v) for v in categories)):
        return _encode_numbers(arr, missing, categories)
    if categories is None:
        found = list(pd.unique(pd.Series(present, dtype=object))) if present.size else []
        try:
            categories = sorted(found)
        except TypeError:  # mixed types have no order: keep first appearance
            categories = found
    index = {value: i for i, value in enumerate(categories)}
    unknown = [v for v in pd.unique(pd.Series(present, dtype=object)) if v not in index]
    if unknown:
        raise InputError(
            f"values {unknown[:5]!r} are not in the given categories {list(categories)!r}; "
            "add them to the categories or fix the data"
        )
    codes = np.full(arr.shape, -1, dtype=int)
    codes[~missing] = [index[v] for v in present]
    return Coded(codes, tuple(categories))


def _encode_numbers(arr: np.ndarray, missing: np.ndarray, categories: Sequence[Any] | None) -> Coded:
    """Vectorised :func:`encode` for numeric matrices (the bootstrap calls it often)."""
    present = arr[~missing]
    domain = np.unique(present) if categories is None else np.asarray(categories, dtype=float)
    order = np.argsort(domain, kind="stable")
    pos = np.searchsorted(domain[order], present)
    pos = np.minimum(pos, len(domain) - 1) if len(domain) else pos
    if present.size and (not len(domain) or (domain[order][pos] != present).any()):
        unknown = sorted(set(present.tolist()) - set(domain.tolist()))
        raise InputError(
            f"values {unknown[:5]!r} are not in the given categories {list(categories or [])!r}; "
            "add them to the categories or fix the data"
        )
    codes = np.full(arr.shape, -1, dtype=int)
    codes[~missing] = order[pos]
    found = tuple(categories) if categories is not None else tuple(domain.tolist())
    return Coded(codes, found)


def check_columns(table: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    """Raise InputError naming the missing columns of ``table``."""
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise InputError(
            f"{what} lacks column(s) {absent}; it needs {list(needed)} and has {list(table.columns)}"
        )


def unique_sorted(values: Iterable[Any]) -> list[Any]:
    """Distinct values, sorted when they can be compared, else in first-seen order."""
    values = list(dict.fromkeys(values))
    try:
        return sorted(values)
    except TypeError:
        return values
