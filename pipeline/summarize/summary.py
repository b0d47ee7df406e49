"""``summarize``: every table of the case and cross-case summary, as data.

    summary = summarize(study, SummaryOptions(by=("country",)), embedder=FakeEmbedder())

The files are written by pipeline.summarize.write (``write_summary``), which sits above
the writers (excel, report) that read the ``Summary`` defined here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.summarize import charts
from pipeline.progress import report
from pipeline.summarize.cooccurrence import cooccurrence
from pipeline.summarize.crosscase import case_groups, compare_groups, group_counts, overall, phase_table
from pipeline.summarize.exemplars import exemplars
from pipeline.summarize.framework import domains, evidence_table, framework_matrix
from pipeline.summarize.matrices import ALL_CASES, case_code_counts, code_order, natural_key, wide
from pipeline.summarize.ratings import ratings_frame, stored_ratings
from pipeline.summarize.source import SummaryCoding, SourceOptions, load_summary_coding
from pipeline.embed.cache import TextEmbedder

if TYPE_CHECKING:
    from pipeline.context import StudyContext

__all__ = ["SummaryOptions", "Summary", "GroupComparison", "SummaryFiles", "summarize"]


@dataclass(frozen=True)
class SummaryOptions:
    """What to summarize: the coding source, the attributes to compare groups of cases by,
    how many exemplar quotes per code and case, how many quotes per framework cell."""

    source: SourceOptions = field(default_factory=SourceOptions)
    by: tuple[str, ...] = ()
    exemplars: int = 3
    quotes_per_cell: int = 8


@dataclass(frozen=True)
class GroupComparison:
    attribute: str
    groups: pd.Series  # case -> group
    counts: pd.DataFrame  # code x group: segments, group_segments, share, cases_present, cases
    comparison: pd.DataFrame  # one row per code: shares, difference, interval, test


@dataclass(frozen=True)
class Summary:
    coding: SummaryCoding
    created_at: str
    counts: pd.DataFrame
    overall: pd.DataFrame
    groups: tuple[GroupComparison, ...]
    phases: pd.DataFrame
    cooccurrence_segments: pd.DataFrame
    cooccurrence_documents: pd.DataFrame
    exemplars: pd.DataFrame
    evidence: pd.DataFrame
    framework: dict[str, pd.DataFrame]
    ratings: pd.DataFrame
    cases: pd.DataFrame
    charts: dict[str, bytes]

    @property
    def labels(self) -> dict[str, str]:
        book = self.coding.codebook
        return {c.id: book.path_label(c.id) for c in book.codes}  # "Domain > Construct" (issue 13)

    @property
    def order(self) -> list[str]:
        return code_order(self.coding.codebook)


@dataclass(frozen=True)
class SummaryFiles:
    workbook: Path
    report: Path
    charts: tuple[Path, ...]


def summarize(study: "StudyContext", options: SummaryOptions | None = None, embedder: TextEmbedder | None = None) -> Summary:
    """Build every table from the store; nothing is written."""
    options = options or SummaryOptions()
    report("summarize", 0, 3)
    coding = load_summary_coding(study, options.source)
    groups_of = {attribute: case_groups(coding, attribute) for attribute in options.by}  # fail early on bad --by
    counts = case_code_counts(coding)
    order = code_order(coding.codebook)
    comparisons = []
    for attribute, groups in groups_of.items():
        table = group_counts(counts, groups)
        comparisons.append(GroupComparison(attribute, groups, table, compare_groups(table, order)))
    report("summarize", 1, 3)
    evidence = evidence_table(coding)
    framework = {root: framework_matrix(coding, evidence, codes, options.quotes_per_cell)
                 for root, codes in domains(coding).items()}
    summary = Summary(
        coding=coding, created_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), counts=counts,
        overall=overall(counts), groups=tuple(comparisons), phases=phase_table(coding),
        cooccurrence_segments=cooccurrence(coding, "segment"), cooccurrence_documents=cooccurrence(coding, "document"),
        exemplars=exemplars(coding, options.exemplars, study.store, embedder), evidence=evidence, framework=framework,
        ratings=ratings_frame(coding, counts, evidence, stored_ratings(study)), cases=_cases(coding, counts),
        charts={})
    report("summarize", 2, 3)
    summary = _with_charts(summary)
    report("summarize", 3, 3)
    return summary


def _cases(coding: SummaryCoding, counts: pd.DataFrame) -> pd.DataFrame:
    segs = coding.segments
    coded = set(coding.applied["segment_id"])
    rows = []
    for case_name, part in segs.groupby("case"):
        rows.append({"case": case_name, "documents": part["document_id"].nunique(), "segments": len(part),
                     "reviewed": int(part["segment_id"].isin(coding.reviewed).sum()),
                     "coded": int(part["segment_id"].isin(coded).sum()), "informants": part["informant"].nunique()})
    frame = pd.DataFrame(rows, columns=["case", "documents", "segments", "reviewed", "coded", "informants"])
    frame = frame.sort_values("case", key=lambda s: s.map(natural_key)).reset_index(drop=True)
    attributes = coding.cases.drop_duplicates("case")
    return attributes.merge(frame, on="case", how="right") if len(attributes.columns) > 1 else frame


def _with_charts(summary: Summary) -> Summary:
    labels, order = summary.labels, summary.order
    used = [c for c in order if c in set(summary.coding.applied["code_id"])]
    images: dict[str, bytes] = {}
    if used:
        shares = wide(summary.counts[summary.counts["case"] != ALL_CASES], "share", used)
        images["heatmap"] = charts.heatmap(shares, labels, "Share of each case's segments coded (%)")
        for group in summary.groups:
            table = group.counts[group.counts["code_id"].isin(used)]
            images[f"by_{_slug(group.attribute)}"] = charts.group_bars(
                table, labels, group.attribute, f"Share of segments by {group.attribute} (codes that differ most)")
    return Summary(**{**summary.__dict__, "charts": images})


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower() or "attribute"
