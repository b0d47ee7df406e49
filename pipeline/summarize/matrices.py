"""Case x code matrices: segments, documents, informants and shares, with roll-ups.

A parent code (a CFIR domain, say) counts a segment when the parent itself or any code
below it was applied to the segment, so a segment with two constructs of one domain
counts once for the domain, not twice.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.codebook import Codebook
from pipeline.summarize.source import SummaryCoding

__all__ = ["ALL_CASES", "natural_key", "sorted_cases", "expand_rollups", "code_order", "case_code_counts", "wide",
           "presence"]

ALL_CASES = "(all cases)"
COUNT_COLUMNS = ["case", "code_id", "depth", "segments", "documents", "informants", "case_segments", "share"]


def natural_key(name: object) -> tuple:
    """Sort 'case 2' before 'case 10': runs of digits compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", str(name)) if part)


def sorted_cases(names: object) -> list[str]:
    return sorted(set(names), key=natural_key)  # type: ignore[arg-type]


def code_order(codebook: Codebook) -> list[str]:
    """Codes depth first in codebook order: each parent followed by everything below it."""
    out: list[str] = []

    def visit(parent: str | None) -> None:
        for code in codebook.children(parent):
            out.append(code.id)
            visit(code.id)

    visit(None)
    return out


def expand_rollups(applied: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """(segment, code) for each applied code and every ancestor of it, without repeats."""
    rows = []
    for segment, code in zip(applied["segment_id"], applied["code_id"]):
        rows.append((segment, code, code))
        rows.extend((segment, a.id, code) for a in codebook.ancestors(code))
    frame = pd.DataFrame(rows, columns=["segment_id", "code_id", "via"])
    return frame.drop_duplicates(["segment_id", "code_id"]).reset_index(drop=True)


def case_code_counts(coding: SummaryCoding, *, with_total: bool = True) -> pd.DataFrame:
    """One row per case and code (zeros included), plus an '(all cases)' row per code."""
    book = coding.codebook
    order = code_order(book)
    columns = ["segment_id", "case", "document_id", "informant"] + (["role"] if "role" in coding.segments else [])
    segs = coding.segments[columns]
    coded = expand_rollups(coding.applied, book).merge(segs, on="segment_id")
    cases = sorted_cases(set(coding.cases["case"]) | set(segs["case"]))
    frames = [_counts(coded, segs, cases, order, book)]
    if with_total:
        # The same speaker label in two cases is two people.
        everyone = coded.assign(informant=coded["case"] + "/" + coded["informant"], case=ALL_CASES)
        frames.append(_counts(everyone, segs.assign(case=ALL_CASES), [ALL_CASES], order, book))
    out = pd.concat(frames, ignore_index=True)
    out["depth"] = out["code_id"].map(book.depth)
    return out[COUNT_COLUMNS]


def _counts(coded: pd.DataFrame, segs: pd.DataFrame, cases: list[str], order: list[str],
            book: Codebook | None = None) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([cases, order], names=["case", "code_id"])
    grouped = coded.groupby(["case", "code_id"])
    table = pd.DataFrame({
        "segments": grouped["segment_id"].nunique(),
        "documents": grouped["document_id"].nunique(),
        "informants": grouped["informant"].nunique(),  # nunique skips None: documents have no informant
    }).reindex(grid, fill_value=0).reset_index()
    table["case_segments"] = _scoped_sizes(table, segs, book)
    table["share"] = (table["segments"] / table["case_segments"].where(table["case_segments"] > 0)).fillna(0.0)
    for column in ("segments", "documents", "informants"):
        table[column] = table[column].astype(int)
    return table


def _scoped_sizes(table: pd.DataFrame, segs: pd.DataFrame, book: Codebook | None) -> pd.Series:
    """Each row's denominator: the case's segments whose speaker the code applies to
    (its scope, pipeline.suggest.scope; text without a speaker always counts)."""
    from pipeline.suggest.scope import in_scope

    if book is None or "role" not in segs:
        sizes = segs.groupby("case")["segment_id"].nunique()
        return table["case"].map(sizes).fillna(0).astype(int)
    by_scope: dict[tuple[str, ...], pd.Series] = {}
    out = []
    for case, code in zip(table["case"], table["code_id"]):
        scope = book.scope_of(code)
        if scope not in by_scope:
            keep = [in_scope(book, code, r if isinstance(r, str) else None) for r in segs["role"]]
            by_scope[scope] = segs[keep].groupby("case")["segment_id"].nunique()
        out.append(int(by_scope[scope].get(case, 0)))
    return pd.Series(out, index=table.index, dtype=int)


def wide(counts: pd.DataFrame, value: str, codes: list[str] | None = None) -> pd.DataFrame:
    """Rows cases (all-cases row last), columns codes in the given order."""
    table = counts.pivot(index="case", columns="code_id", values=value)
    columns = [c for c in (codes or list(dict.fromkeys(counts["code_id"]))) if c in table.columns]
    rows = sorted_cases(i for i in table.index if i != ALL_CASES) + ([ALL_CASES] if ALL_CASES in table.index else [])
    return table.loc[rows, columns]


def presence(counts: pd.DataFrame, codes: list[str] | None = None) -> pd.DataFrame:
    """Binary case x code matrix (1 = at least one segment), without the all-cases row."""
    table = wide(counts[counts["case"] != ALL_CASES], "segments", codes)
    return (table > 0).astype(int)
