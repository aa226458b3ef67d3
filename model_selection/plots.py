"""The residual plot logged with each candidate (matplotlib's object API: no pyplot state).

Kept cheap: fixed margins rather than a layout engine, and the histogram drawn as one outline
rather than a patch per bar (each halves the drawing time).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def residual_figure(y_true: np.ndarray, y_pred: np.ndarray, title: str, unit: str) -> Figure:
    """Residuals (truth - estimate) against the estimate, and their histogram."""
    residuals = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    figure = Figure(figsize=(10, 4), dpi=80)
    figure.subplots_adjust(left=0.09, right=0.98, bottom=0.13, top=0.85, wspace=0.25)
    scatter, histogram = figure.subplots(1, 2)
    scatter.scatter(y_pred, residuals, s=4, alpha=0.4, linewidths=0)
    scatter.axhline(0, color="black", linewidth=0.8)
    scatter.set(xlabel=f"estimate ({unit})", ylabel=f"residual ({unit})", title="residuals")
    counts, edges = np.histogram(residuals, bins=50)
    histogram.stairs(counts, edges, fill=True)
    histogram.set(xlabel=f"residual ({unit})", ylabel="rows", title="distribution")
    figure.suptitle(title)
    return figure
