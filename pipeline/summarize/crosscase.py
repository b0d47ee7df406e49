"""Across cases: how widely each code occurs, what distinguishes groups, phases by domain.

Groups come from a case attribute (``--by``). Per code and group: coded segments, the
group's segments, their share, and in how many of the group's cases the code occurs.
Two statistics sit beside the difference in share (first group minus second; with more
than two groups, the highest minus the lowest):

- a 95% Newcombe hybrid-score interval for the difference of the two segment shares,
  built from the two Wilson intervals. Segments of one case are not independent, so
  read it as descriptive: it is narrower than a case-level interval would be.
- a test at the level of cases, which are the units of a case study: Fisher's exact
  test on presence (cases with / without the code in each group) for two groups, the
  chi-square test of independence on the same table for more.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats

from pipeline.codebook import Codebook
from pipeline.errors import ConfigError
from pipeline.summarize.matrices import ALL_CASES, code_order, expand_rollups, sorted_cases
from pipeline.summarize.source import SummaryCoding

__all__ = ["overall", "group_counts", "compare_groups", "wilson", "newcombe", "phase_codes", "phase_table",
           "MISSING_GROUP", "Z95"]

Z95 = 1.959963984540054
MISSING_GROUP = "(not given)"
PHASE_PARENT = "phase"
PHASE_NAMES = ("adoption", "implementation", "assimilation")


def overall(counts: pd.DataFrame) -> pd.DataFrame:
    """Per code: cases where it occurs, segments in all, overall share, the case with the largest share."""
    by_case = counts[counts["case"] != ALL_CASES]
    total = counts[counts["case"] == ALL_CASES].set_index("code_id")
    n_cases = by_case["case"].nunique()
    rows = []
    for code, group in by_case.groupby("code_id", sort=False):
        present = group[group["segments"] > 0]
        top = group.loc[group["share"].idxmax()] if len(present) else None
        rows.append({"code_id": code, "cases_present": len(present), "cases": n_cases,
                     "segments": int(total.loc[code, "segments"]), "share": float(total.loc[code, "share"]),
                     "mean_case_share": float(group["share"].mean()) if len(group) else 0.0,
                     "top_case": None if top is None else top["case"],
                     "top_case_share": 0.0 if top is None else float(top["share"])})
    return pd.DataFrame(rows)


def case_groups(coding: SummaryCoding, attribute: str) -> pd.Series:
    """Case -> group value of ``attribute``; ConfigError if no case has it."""
    cases = coding.cases
    if attribute not in cases.columns or cases[attribute].replace("", pd.NA).dropna().empty:
        known = sorted(c for c in cases.columns if c != "case" and not cases[c].replace("", pd.NA).dropna().empty)
        raise ConfigError(f"--by '{attribute}': no case has this attribute; case attributes: "
                          f"{', '.join(known) or 'none (give cases.csv with attribute columns at ingest)'}")
    values = cases.set_index("case")[attribute].map(lambda v: MISSING_GROUP if v is None or str(v).strip() in ("", "nan") else str(v))
    return values


def group_counts(counts: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per code and group: segments, group segments, share, cases with the code, cases."""
    by_case = counts[counts["case"] != ALL_CASES].copy()
    by_case["group"] = by_case["case"].map(groups).fillna(MISSING_GROUP)
    by_case["present"] = (by_case["segments"] > 0).astype(int)
    table = (by_case.groupby(["code_id", "group"], sort=False)
             .agg(segments=("segments", "sum"), group_segments=("case_segments", "sum"),
                  cases_present=("present", "sum"), cases=("case", "nunique")).reset_index())
    table["share"] = (table["segments"] / table["group_segments"].where(table["group_segments"] > 0)).fillna(0.0)
    return table


def wilson(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion x/n."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2 (his method 10)."""
    p1, p2 = (x1 / n1 if n1 else 0.0), (x2 / n2 if n2 else 0.0)
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def compare_groups(table: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """One row per code: the share per group, the difference, its interval and the case-level test."""
    groups = sorted(g for g in table["group"].unique() if g != MISSING_GROUP)
    rows = []
    for code in [c for c in order if c in set(table["code_id"])]:
        part = table[(table["code_id"] == code) & (table["group"].isin(groups))].set_index("group").reindex(groups)
        part = part.fillna(0)
        row: dict[str, object] = {"code_id": code}
        for g in groups:
            row[f"share: {g}"] = float(part.loc[g, "share"])
            row[f"cases: {g}"] = f"{int(part.loc[g, 'cases_present'])}/{int(part.loc[g, 'cases'])}"
        if len(groups) >= 2:
            row.update(_difference(part, groups))
        rows.append(row)
    return pd.DataFrame(rows)


def _difference(part: pd.DataFrame, groups: list[str]) -> dict[str, object]:
    if len(groups) == 2:
        high, low = groups
    else:
        high, low = part["share"].idxmax(), part["share"].idxmin()
    x1, n1 = int(part.loc[high, "segments"]), int(part.loc[high, "group_segments"])
    x2, n2 = int(part.loc[low, "segments"]), int(part.loc[low, "group_segments"])
    low_ci, high_ci = newcombe(x1, n1, x2, n2)
    presence = [[int(part.loc[g, "cases_present"]), int(part.loc[g, "cases"] - part.loc[g, "cases_present"])] for g in groups]
    if len(groups) == 2:
        test, p = "Fisher exact, cases", float(stats.fisher_exact(presence).pvalue)
    else:
        test, p = "chi-square, cases", _chi2(presence)
    return {"compared": f"{high} - {low}", "difference": x1 / n1 - x2 / n2 if n1 and n2 else float("nan"),
            "ci_low": low_ci, "ci_high": high_ci, "test": test, "p": p}


def _chi2(table: list[list[int]]) -> float:
    columns = [sum(r[i] for r in table) for i in range(2)]
    if 0 in columns:  # the code is in every case or in none: nothing to test
        return 1.0
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def phase_codes(codebook: Codebook) -> list[str]:
    """Codable children of an exclusive parent whose id is 'phase', and codes named adoption,
    implementation or assimilation (by id or label)."""
    found = []
    for code in codebook.codes:
        parent = codebook.get(code.parent) if code.parent else None
        under_phase = parent is not None and parent.exclusive and parent.id.lower() == PHASE_PARENT
        named = code.id.lower() in PHASE_NAMES or code.label.strip().lower() in PHASE_NAMES
        if code.codable and (under_phase or named):
            found.append(code.id)
    return found


def phase_table(coding: SummaryCoding) -> pd.DataFrame:
    """Segments coded with a phase and with a code of a domain, per case, phase and domain.

    Domains are the top-level codes other than the phases and their parent. An empty
    frame when the codebook has no phase codes.
    """
    book = coding.codebook
    phases = phase_codes(book)
    if not phases:
        return pd.DataFrame(columns=["case", "phase", "domain", "segments"])
    excluded = set(phases) | {book.get(p).parent for p in phases}
    domains = [c for c in code_order(book) if book.get(c).parent is None and c not in excluded]
    coded = expand_rollups(coding.applied, book).merge(coding.segments[["segment_id", "case"]], on="segment_id")
    in_phase = coded[coded["code_id"].isin(phases)][["segment_id", "case", "code_id"]].rename(columns={"code_id": "phase"})
    in_domain = coded[coded["code_id"].isin(domains)][["segment_id", "code_id"]].rename(columns={"code_id": "domain"})
    both = in_phase.merge(in_domain, on="segment_id")
    cases = sorted_cases(coding.segments["case"])
    frames = []
    for case_name, part in [*((c, both[both["case"] == c]) for c in cases), (ALL_CASES, both)]:
        grid = pd.MultiIndex.from_product([phases, domains], names=["phase", "domain"])
        n = part.groupby(["phase", "domain"])["segment_id"].nunique().reindex(grid, fill_value=0)
        frames.append(n.rename("segments").reset_index().assign(case=case_name))
    return pd.concat(frames, ignore_index=True)[["case", "phase", "domain", "segments"]]
