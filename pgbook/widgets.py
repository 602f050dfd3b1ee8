"""Figures with controls that respond in a live kernel *and* in the static built book.

A static page has no Python behind it, so a callback cannot redraw a figure
there. The pattern used throughout the book therefore draws the figure for
every value on a grid of control values up front, keeps the PNGs as the
children of a ``widgets.Stack``, and links the control's ``index`` to the
stack's ``selected_index`` with ``widgets.jslink``. The link runs in the browser,
so moving the slider switches figures with no kernel at all. In a live kernel
the same widget works unchanged, and figures are drawn lazily: a value's PNG is
drawn the first time the reader selects it (``precompute=False``), so the first
paint is quick.
"""

from __future__ import annotations

import io
from typing import Callable, Sequence

import ipywidgets as widgets
import matplotlib

from .validate import check_int

__all__ = ["figure_png", "FigureSlider"]


def figure_png(fig, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    # metadata={"Software": None}: no version string in the PNG, so two builds give the same bytes
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _format_value(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


class FigureSlider:
    """A slider over ``values`` that shows ``draw(value)``, in Jupyter and in the built book.

    values:  the control grid, e.g. ``np.linspace(-3, 3, 13)``
    draw:    value -> matplotlib Figure
    label:   the slider's description (a symbol from the math, e.g. "θ")
    precompute: draw every figure now (needed for the static book; the default),
             or only the initial one, drawing the others on first selection.

    ``self.widget`` is the ipywidgets box to display; ``self.slider``,
    ``self.stack`` and ``self.images`` are exposed for tests.
    """

    def __init__(
        self,
        values: Sequence,
        draw: Callable,
        label: str = "value",
        initial: int = 0,
        precompute: bool = True,
        dpi: int = 80,
    ):
        values = list(values)
        if len(values) == 0:
            raise ValueError("values: expected at least one control value, got an empty sequence")
        initial = check_int("initial", initial)
        if initial >= len(values):
            raise ValueError(f"initial: expected an index below {len(values)}, got {initial}")
        self.values, self.draw, self.dpi = values, draw, dpi
        self.images = [widgets.Image(format="png") for _ in values]
        self.stack = widgets.Stack(self.images, selected_index=initial)
        self.slider = widgets.SelectionSlider(
            options=[(_format_value(v), i) for i, v in enumerate(values)],
            value=initial,
            description=label,
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
        )
        # The browser-side link: works with no kernel (static book) and with one.
        widgets.jslink((self.slider, "index"), (self.stack, "selected_index"))
        # The kernel-side path: draw a figure the first time its value is chosen.
        self.slider.observe(self._on_change, names="index")
        for i in range(len(values)) if precompute else [initial]:
            self.render(i)
        self.widget = widgets.VBox([self.slider, self.stack])

    def render(self, index: int) -> None:
        """Draw the figure for ``values[index]`` into its Image."""
        with matplotlib.rc_context({"figure.max_open_warning": 0}):
            self.images[index].value = figure_png(self.draw(self.values[index]), dpi=self.dpi)

    def _on_change(self, change) -> None:
        index = change["new"]
        if index is not None and not self.images[index].value:
            self.render(index)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
