"""Figures with controls that respond in a live kernel *and* in the static built book.

A static page has no Python behind it, so a callback cannot redraw a figure
there. Every widget in the book therefore rests on one pattern: draw the figure
for each value on a grid of control values, keep the PNGs as the children of an
``ipywidgets.Stack``, and link the control's ``index`` to the stack's
``selected_index`` with ``ipywidgets.jslink``. The link runs in the browser, so
moving the control switches figures with no kernel at all.

The same widget works unchanged in a live kernel. There, figures are drawn
when first selected (a control's ``observe`` callback), so the first paint is
quick; when the book is built, every figure is drawn up front so that the saved
page holds them all. Which of the two happens is decided by ``precompute``; its
default is the environment variable ``PGBOOK_STATIC_WIDGETS``, which the book
build sets to ``1``.

Each frame carries a text alternative. ``draw`` may return ``(figure, alt)``,
where ``alt`` says what the frame shows at its control values, from the same
numbers that drew it ("Histogram of 100,000 estimates at N = 10; exact
variance 0.48, measured 0.48"); a bare figure gets "<label> = <value>". The
text is the Image's ``tooltip`` in a live kernel, and the ``alt`` of the frame's
``<img>`` in the built book.

In the built book each frame is drawn at :data:`STATIC_SCALE` image pixels per
CSS pixel, so it stays sharp on high-density screens, while its displayed size
(``Image.width``, in CSS px) is that of a 1× frame; ``_ext/widget_frames.py``
then moves the PNGs out of the page into files that load when first shown.
A live kernel draws 1× frames, the quickest to redraw.

Two controls (:class:`FigureGrid`): one inner Stack per value of the outer
control, each linked to the inner control, inside an outer Stack linked to the
outer control.
"""

from __future__ import annotations

import io
import os
from typing import Callable, Sequence

import ipywidgets as widgets

from .. import plots as _plots  # noqa: F401  (the book's figure style)
from ..validate import check_int

__all__ = ["figure_png", "static_build", "FigureSlider", "FigureGrid", "STATIC_SCALE"]

#: Image pixels per CSS pixel of a frame in the built book (2: sharp on 2× screens).
STATIC_SCALE = 2


def static_build() -> bool:
    """True while the book is being built (``PGBOOK_STATIC_WIDGETS=1``): draw every state."""
    return os.environ.get("PGBOOK_STATIC_WIDGETS", "") == "1"


def figure_png(fig, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes, drawing it once, and close it.

    A figure a widget draws again for every state keeps one Agg canvas at the
    dpi it is rendered at: the canvas's renderer, and with it the cache of
    parsed mathtext labels (the powers of ten on a log axis, ∂J/∂θ), then
    live from one frame to the next. ``savefig`` on a bare Figure, or at
    another dpi, makes a new renderer every time, parses every label again
    and draws the figure twice (once only to run its layout engine, which
    drawing runs anyway): it took twice as long. Closing keeps Jupyter from
    showing the figure a second time.
    """
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    buffer = io.BytesIO()
    # metadata={"Software": None}: no version string in the PNG, so two builds give the same bytes
    canvas.print_png(buffer, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def draw_frame(image, drawn, dpi: int, default_alt: str) -> None:
    """Put a drawn frame into ``image``: PNG bytes, CSS width and text alternative.

    ``drawn`` is what a widget's draw function returned: a Figure, or
    ``(Figure, alt)``. ``dpi`` is CSS px per figure inch; the PNG has
    :data:`STATIC_SCALE` times as many pixels while the book is built.
    """
    fig, alt = drawn if isinstance(drawn, tuple) else (drawn, None)
    if alt is not None and (not isinstance(alt, str) or not alt.strip()):
        raise ValueError(f"draw: expected (figure, alt) with alt a non-empty sentence, got alt={alt!r}")
    scale = STATIC_SCALE if static_build() else 1
    width = str(round(fig.get_figwidth() * dpi))
    png = figure_png(fig, dpi=dpi * scale)
    image.tooltip = alt.strip() if alt else default_alt
    image.width = width
    image.value = png


def _format_value(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _check_values(name: str, values) -> list:
    values = list(values)
    if len(values) == 0:
        raise ValueError(f"{name}: expected at least one control value, got an empty sequence")
    return values


def _check_initial(name: str, initial, n: int) -> int:
    initial = check_int(name, initial)
    if initial >= n:
        raise ValueError(f"{name}: expected an index below {n}, got {initial}")
    return initial


def make_control(values: list, label: str, initial: int, kind: str = "slider"):
    """A control over ``values`` whose ``index`` is the position of the chosen value.

    kind="slider": a SelectionSlider (ordered numbers: N, T, a learning rate);
    kind="toggle": ToggleButtons (a few named choices: an estimator).
    """
    options = [(_format_value(v), i) for i, v in enumerate(values)]
    if kind == "slider":
        return widgets.SelectionSlider(
            options=options, value=initial, description=label,
            continuous_update=True, layout=widgets.Layout(width="440px"),
            style={"description_width": "initial"},
        )
    if kind == "toggle":
        return widgets.ToggleButtons(
            options=options, value=initial, description=label,
            style={"description_width": "initial", "button_width": "auto"},
        )
    raise ValueError(f"kind: expected 'slider' or 'toggle', got {kind!r}")


class FigureSlider:
    """One control over ``values`` showing ``draw(value)``, in Jupyter and in the built book.

    values:      the control grid, e.g. ``np.linspace(-3, 3, 13)`` or ``[10, 100, 1000]``
    draw:        value -> matplotlib Figure (use ``layout="constrained"``)
    label:       the control's description, a symbol from the math ("θ", "N")
    initial:     index of the value shown first
    kind:        "slider" or "toggle" (see :func:`make_control`)
    precompute:  draw every figure now (default: only while building the book)

    Attributes for tests and chapters: ``widget`` (what to display), ``control``,
    ``stack``, ``images`` (one ``widgets.Image`` per value).
    """

    def __init__(self, values: Sequence, draw: Callable, label: str = "value",
                 initial: int = 0, kind: str = "slider", precompute: bool | None = None,
                 dpi: int = 80):
        self.values = _check_values("values", values)
        initial = _check_initial("initial", initial, len(self.values))
        self.draw, self.dpi, self.label = draw, dpi, label
        self.images = [widgets.Image(format="png") for _ in self.values]
        self.stack = widgets.Stack(self.images, selected_index=initial)
        self.control = make_control(self.values, label, initial, kind)
        # Browser side: works with no kernel (static book) and with one.
        widgets.jslink((self.control, "index"), (self.stack, "selected_index"))
        # Kernel side: draw a figure the first time its value is chosen.
        self.control.observe(self._on_change, names="index")
        precompute = static_build() if precompute is None else precompute
        for i in range(len(self.values)) if precompute else [initial]:
            self.render(i)
        self.widget = widgets.VBox([self.control, self.stack])

    def render(self, index: int) -> None:
        """Draw the figure for ``values[index]`` into its Image."""
        value = self.values[index]
        draw_frame(self.images[index], self.draw(value), self.dpi,
                   f"Figure at {self.label} = {_format_value(value)}")

    def _on_change(self, change) -> None:
        index = change["new"]
        if index is not None and not self.images[index].value:
            self.render(index)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class FigureGrid:
    """Two controls, an outer and an inner one, showing ``draw(outer, inner)``.

    outer_values, inner_values: the two control grids
    draw:        (outer, inner) -> matplotlib Figure
    outer_kind, inner_kind: "toggle" or "slider" for each control
    initial:     (outer index, inner index) shown first
    precompute:  draw all len(outer)·len(inner) figures now (default: only while building the book)

    The images are ``images[i][j]`` for outer value i and inner value j.
    Page weight grows with the grid: a 5×3 in figure at dpi 80 is about 15–20 KB.
    """

    def __init__(self, outer_values: Sequence, inner_values: Sequence, draw: Callable,
                 outer_label: str = "outer", inner_label: str = "inner",
                 outer_kind: str = "toggle", inner_kind: str = "slider",
                 initial: tuple[int, int] = (0, 0), precompute: bool | None = None,
                 dpi: int = 80):
        self.outer_values = _check_values("outer_values", outer_values)
        self.inner_values = _check_values("inner_values", inner_values)
        i0 = _check_initial("initial[0]", initial[0], len(self.outer_values))
        j0 = _check_initial("initial[1]", initial[1], len(self.inner_values))
        self.draw, self.dpi = draw, dpi
        self.labels = (outer_label, inner_label)
        self.images = [[widgets.Image(format="png") for _ in self.inner_values]
                       for _ in self.outer_values]
        self.outer_control = make_control(self.outer_values, outer_label, i0, outer_kind)
        self.inner_control = make_control(self.inner_values, inner_label, j0, inner_kind)
        inner_stacks = [widgets.Stack(row, selected_index=j0) for row in self.images]
        for stack in inner_stacks:
            widgets.jslink((self.inner_control, "index"), (stack, "selected_index"))
        self.stack = widgets.Stack(inner_stacks, selected_index=i0)
        widgets.jslink((self.outer_control, "index"), (self.stack, "selected_index"))
        self.outer_control.observe(self._on_change, names="index")
        self.inner_control.observe(self._on_change, names="index")
        precompute = static_build() if precompute is None else precompute
        cells = [(i, j) for i in range(len(self.outer_values)) for j in range(len(self.inner_values))]
        for i, j in cells if precompute else [(i0, j0)]:
            self.render(i, j)
        self.widget = widgets.VBox([self.outer_control, self.inner_control, self.stack])

    def render(self, i: int, j: int) -> None:
        """Draw the figure for (outer_values[i], inner_values[j]) into its Image."""
        outer, inner = self.outer_values[i], self.inner_values[j]
        draw_frame(self.images[i][j], self.draw(outer, inner), self.dpi,
                   f"Figure at {self.labels[0]} = {_format_value(outer)}, "
                   f"{self.labels[1]} = {_format_value(inner)}")

    def _on_change(self, change) -> None:
        i, j = self.outer_control.index, self.inner_control.index
        if i is not None and j is not None and not self.images[i][j].value:
            self.render(i, j)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
