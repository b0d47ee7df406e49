"""Case and cross-case summaries of the confirmed coding (or, flagged, of the first pass).

    coding     source.py       which codes count, segments and cases (the denominators)
    tables     matrices.py     case x code counts with roll-ups, shares, presence
               crosscase.py    across cases, by attribute (interval + test), phases
               cooccurrence.py codes within segments and documents
               exemplars.py    central quotes per code and case
               framework.py    framework matrices and the evidence behind every cell
               ratings.py      analysts' ratings: shown by summarize, read back by `ratings`
    summary    summary.py      summarize(): every table above as one Summary
    output     charts.py       PNG charts; excel.py the workbook; report.py the HTML page;
               write.py        write_summary(): all the files
"""

from pipeline.summarize.ratings import RatingsReport, import_ratings
from pipeline.summarize.source import SummaryCoding, SourceOptions, load_summary_coding
from pipeline.summarize.summary import GroupComparison, Summary, SummaryFiles, SummaryOptions, summarize
from pipeline.summarize.write import write_summary

__all__ = ["SummaryCoding", "SourceOptions", "load_summary_coding", "SummaryOptions", "Summary", "GroupComparison", "SummaryFiles",
           "summarize", "write_summary", "read_ratings", "RatingsReport"]


def read_ratings(study, path, analyst: str = "") -> RatingsReport:  # type: ignore[no-untyped-def]
    """Read the Ratings sheet of a summary workbook into the store (changed rows only)."""
    from pathlib import Path

    from pipeline.summarize.excel import read_ratings_sheet

    rows, sheet, columns = read_ratings_sheet(Path(path))
    return import_ratings(study, path, rows, sheet, columns, analyst)
