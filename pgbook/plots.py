"""Shared look of the book's figures: sizes, colours, and the marks that recur.

Every figure in the book is a small matplotlib figure with ``layout="constrained"``
(so labels are never clipped), drawn by a function in a widget module or called
from a chapter cell. The estimators keep one colour each across all chapters.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["new_figure", "ESTIMATOR_COLORS", "EXACT_COLOR", "mark_exact"]

# One colour per gradient estimator, the same in every chapter.
ESTIMATOR_COLORS = {
    "total return": "C0",
    "reward-to-go": "C1",
    "reward-to-go, constant baseline": "C2",
    "reward-to-go, time baseline": "C4",
    "reward-to-go, state-value baseline": "C3",
    "exact Q": "C5",
    "exact advantage": "C6",
    "finite differences": "C7",
}
EXACT_COLOR = "black"


def new_figure(width: float = 5.0, height: float = 3.0, ncols: int = 1, nrows: int = 1, **kw):
    """``plt.subplots`` with the book's defaults: constrained layout, a 5×3 in panel."""
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kw)


def mark_exact(ax, value: float, orientation: str = "vertical", label: str = "exact"):
    """Draw the exact value (from the DP oracle) as a black line across the axes."""
    line = ax.axvline if orientation == "vertical" else ax.axhline
    return line(value, color=EXACT_COLOR, linewidth=1.5, linestyle="--", label=label)
