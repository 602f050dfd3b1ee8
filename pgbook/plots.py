"""Shared look of the book's figures: sizes, colours, type, and the marks that recur.

Every figure in the book is a small matplotlib figure with ``layout="constrained"``
(so labels are never clipped), drawn by a function in a widget module or called
from a chapter cell. The estimators keep one colour each across all chapters.

Type: a figure inch is 80 CSS px on the page (a 5×3 in figure is 400×240 px),
so a point is 80/72 CSS px. Importing this module sets the book's type sizes
(:data:`STYLE`): nothing smaller than :data:`SMALL` = 9 pt, which is 10 CSS px
at desktop width. Use ``fontsize=SMALL`` for legends and notes, never a
smaller number.

Sharpness: in a Jupyter kernel, importing this module also makes inline
figures "retina" PNGs (2 image pixels per CSS pixel), so the book's static
figures are as crisp as its maths on high-density screens.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["new_figure", "ESTIMATOR_COLORS", "EXACT_COLOR", "mark_exact", "SMALL", "STYLE"]

#: The smallest type in any figure, in points (10 CSS px on the page).
SMALL = 9
#: The book's type sizes, applied to matplotlib's rcParams on import.
STYLE = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": SMALL,
    "ytick.labelsize": SMALL,
    "legend.fontsize": SMALL,
    "legend.title_fontsize": SMALL,
    "figure.titlesize": 11,
}
plt.rcParams.update(STYLE)


def _inline_retina() -> None:
    """In an IPython kernel, draw inline figures as 2× PNGs (a no-op elsewhere)."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


_inline_retina()

#: One colour per gradient estimator, the same in every chapter.
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
#: The colour of an exact value (from the DP oracle) in every figure.
EXACT_COLOR = "black"


def new_figure(width: float = 5.0, height: float = 3.0, ncols: int = 1, nrows: int = 1, **kw):
    """``plt.subplots`` with the book's defaults: constrained layout, a 5×3 in panel."""
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained", **kw)


def mark_exact(ax, value: float, orientation: str = "vertical", label: str = "exact"):
    """Draw the exact value (from the DP oracle) as a black line across the axes."""
    line = ax.axvline if orientation == "vertical" else ax.axhline
    return line(value, color=EXACT_COLOR, linewidth=1.5, linestyle="--", label=label)
