"""``write_summary``: the summary's files (summary.xlsx, summary.html, charts/*.png)."""

from __future__ import annotations

from pathlib import Path

from pipeline.summarize.summary import Summary, SummaryFiles

__all__ = ["write_summary"]


def write_summary(summary: Summary, out_dir: Path | str, overwrite: bool = False) -> SummaryFiles:
    """Write summary.xlsx, summary.html and charts/*.png into ``out_dir``.

    An existing summary.xlsx whose Ratings sheet holds ratings the store does not have is
    not replaced unless ``overwrite``: read them in with `deductive ratings` first.
    """
    # imported here so that `import pipeline.summarize` does not load openpyxl (command-line start-up)
    from pipeline.summarize.excel import guard_unread_ratings, write_workbook
    from pipeline.summarize.report import write_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    workbook = out / "summary.xlsx"
    if workbook.exists() and not overwrite:
        guard_unread_ratings(workbook, summary.ratings)
    chart_dir = out / "charts"
    chart_dir.mkdir(exist_ok=True)
    paths = []
    for name, png in summary.charts.items():
        path = chart_dir / f"{name}.png"
        path.write_bytes(png)
        paths.append(path)
    write_workbook(summary, workbook)
    report = out / "summary.html"
    write_report(summary, report)
    return SummaryFiles(workbook, report, tuple(paths))
