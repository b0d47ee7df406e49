"""The audit chart: per-code kappa with its bootstrap interval, as PNG bytes.

Drawn on a bare matplotlib Figure with the Agg canvas: no pyplot, no global state, no
display needed.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["kappa_chart"]

# Landis & Koch (1977) bands, drawn faintly as a reading aid, not as a verdict.
BANDS = ((0.0, 0.2, "slight"), (0.2, 0.4, "fair"), (0.4, 0.6, "moderate"), (0.6, 0.8, "substantial"),
         (0.8, 1.0, "almost perfect"))


def kappa_chart(per_code: pd.DataFrame, title: str = "Per-code kappa (95% bootstrap interval)") -> bytes:
    """A horizontal dot-and-whisker chart, one line per code; undefined kappa shown as 'n/a'."""
    n = max(len(per_code), 1)
    figure = Figure(figsize=(7.5, 1.2 + 0.32 * n), dpi=110)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    y = np.arange(len(per_code))[::-1]
    kappa = per_code["kappa"].to_numpy(dtype=float)
    low = per_code.get("kappa_low", pd.Series(np.nan, index=per_code.index)).to_numpy(dtype=float)
    high = per_code.get("kappa_high", pd.Series(np.nan, index=per_code.index)).to_numpy(dtype=float)
    for start, end, name in BANDS:
        ax.axvspan(start, end, color="#1F4E78", alpha=0.03 + 0.025 * BANDS.index((start, end, name)), lw=0)
    ax.axvline(0, color="#808080", lw=0.8)
    # Codes coded too rarely for kappa to mean anything are drawn in grey (see stats.POSITIVES_RULE).
    reported = per_code.get("reported", pd.Series(True, index=per_code.index)).to_numpy(dtype=bool)
    colour = np.where(reported, "#1F4E78", "#BFBFBF")
    has_ci = np.isfinite(low) & np.isfinite(high) & np.isfinite(kappa)
    ax.hlines(y[has_ci], low[has_ci], high[has_ci], colors=list(colour[has_ci]), lw=2, alpha=0.6)
    defined = np.isfinite(kappa)
    ax.scatter(kappa[defined], y[defined], c=list(colour[defined]), s=36, zorder=3)
    for yi in y[~defined]:
        ax.text(0.02, yi, "n/a (undefined)", va="center", fontsize=8, color="#A6A6A6")
    labels = [f"{label} (n={n_units})" + ("" if ok else ", too few coded") for label, n_units, ok
              in zip(per_code["label"], per_code["n_units"], reported)]
    ax.set_yticks(y, labels, fontsize=8)
    for tick, ok in zip(ax.get_yticklabels(), reported):
        tick.set_color("#222222" if ok else "#A6A6A6")
    ax.set_ylim(-0.7, len(per_code) - 0.3)
    finite = np.concatenate([kappa[defined], low[has_ci]])
    ax.set_xlim(min(-0.1, float(finite.min()) - 0.05) if finite.size else -0.1, 1.02)
    ax.set_xlabel("kappa (Cohen for two coders, Fleiss for more)", fontsize=9)
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
