"""Charts as PNG bytes: the case x code heatmap and per-group bar charts.

Drawn on matplotlib's Agg canvas directly (no pyplot, no display, no global state).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from pipeline.summarize.crosscase import MISSING_GROUP
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["heatmap", "bar_shares", "group_bars", "MAX_HEATMAP_CASES", "MAX_BAR_CODES"]

MAX_HEATMAP_CASES = 80
MAX_BAR_CODES = 15
DPI = 110


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def heatmap(shares: pd.DataFrame, labels: dict[str, str], title: str) -> bytes:
    """Cases x codes coloured by the share of the case's segments.

    With fewer cases than codes the codes run down the page (long code labels read
    better there); otherwise the cases do.
    """
    data = shares.iloc[:MAX_HEATMAP_CASES].rename(columns=labels)
    codes_down = data.shape[0] < data.shape[1]
    if codes_down:
        data = data.T
    rows, cols = data.shape
    figure = Figure(figsize=(min(3.5 + 0.5 * cols, 22), min(1.6 + 0.22 * rows, 40)))
    axes = figure.add_subplot()
    values = data.to_numpy(dtype=float) * 100
    top = max(float(np.nanmax(values)) if values.size else 1.0, 1.0)
    image = axes.imshow(values, aspect="auto", cmap="YlGnBu", vmin=0, vmax=top)
    axes.set_xticks(range(cols), [str(c) for c in data.columns], rotation=0 if codes_down else 55,
                    ha="center" if codes_down else "right", fontsize=8)
    axes.set_yticks(range(rows), [str(i) for i in data.index], fontsize=8 if rows <= 50 else 6)
    if codes_down:
        axes.xaxis.tick_top()
    if rows * cols <= 600:
        for (i, j), value in np.ndenumerate(values):
            if value > 0:
                axes.text(j, i, f"{value:.0f}" if value >= 1 else "<1", ha="center", va="center", fontsize=7,
                          color="white" if value > 0.6 * top else "black")
    figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02).set_label("% of the case's segments", fontsize=8)
    suffix = f" (first {MAX_HEATMAP_CASES} of {len(shares)} cases)" if len(shares) > MAX_HEATMAP_CASES else ""
    axes.set_title(title + suffix, fontsize=10, loc="left", pad=24 if codes_down else 6)
    return _png(figure)


def bar_shares(table: pd.DataFrame) -> pd.DataFrame:
    """Code x group shares for the bar chart: the codes whose shares differ most between the
    groups compared. Cases without a value are left out of the comparison, so out of its chart."""
    pivot = table.pivot(index="code_id", columns="group", values="share").fillna(0.0)
    pivot = pivot.drop(columns=[MISSING_GROUP], errors="ignore")
    spread = (pivot.max(axis=1) - pivot.min(axis=1)).sort_values(ascending=False)
    return pivot.loc[list(spread.index[:MAX_BAR_CODES])]


def group_bars(table: pd.DataFrame, labels: dict[str, str], attribute: str, title: str) -> bytes:
    """Share of segments per code, one bar per group; the codes whose shares differ most."""
    pivot = bar_shares(table)
    codes, groups = list(pivot.index), list(pivot.columns)
    figure = Figure(figsize=(min(3 + 0.55 * len(codes) * max(len(groups), 2) / 2, 16), 4.2))
    axes = figure.add_subplot()
    width = 0.8 / max(len(groups), 1)
    x = np.arange(len(codes))
    for i, group in enumerate(groups):
        axes.bar(x + (i - (len(groups) - 1) / 2) * width, pivot[group].to_numpy() * 100, width, label=str(group))
    axes.set_xticks(x, [labels.get(c, c) for c in codes], rotation=40, ha="right", fontsize=8)
    axes.set_ylabel("% of the group's segments", fontsize=8)
    axes.legend(title=attribute, fontsize=8, title_fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(title, fontsize=10, loc="left")
    return _png(figure)
