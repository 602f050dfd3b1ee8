"""Widget 1, the objective explorer: J(θ) along a line of policies, and its Monte Carlo estimates.

The policies are a one-parameter family θ(x) = θ_base + x·d through the policy's
parameter space (for the aliased corridor policy, θ = (0, x): x is the log-odds
of "right"). For each x on a grid the explorer shows

* the exact objective J(θ(x)) of the tabular MDP (dynamic programming,
  :func:`pgbook.exact.objective`), as a curve over a fine grid of x;
* its Monte Carlo estimate from N rollouts, Ĵ_N = (1/N) Σ_i R(ξ_i), with error
  bars of ±2 estimated standard errors s/√N, at each x of the control grid
  (no bars at N = 1: one return has no sample standard deviation);
* at the chosen x, the histogram of the N sampled returns, with J and Ĵ_N marked.

Two controls: x (outer) and N (inner). Sampling happens once, when the widget
is made: N_max = max(ns) trajectories at each x, drawn with a seed fixed per
x value (``np.random.default_rng([seed, i])`` for the i-th x), and the estimate
for N uses the first N of them. So the estimates for growing N are nested, the
live and the static widget show the same numbers, and redrawing a state only
averages cached returns and draws the changing artists onto a fixed background
(blitting), in about 50 ms.

Each frame carries a text alternative written from the numbers it shows
(:meth:`ObjectiveExplorer.alt`): the Image's tooltip in a live kernel, the
``alt`` of its ``<img>`` in the built book. In the book (``PGBOOK_STATIC_WIDGETS=1``)
frames are drawn at :data:`pgbook.widgets.core.STATIC_SCALE` image px per CSS px,
so they stay sharp on high-density screens; a live kernel draws 1x frames.

    objective_explorer(mdp, policy, direction=[0, 1], xs=..., ns=[1, 4, 16, 64, 256, 1024])
"""

from __future__ import annotations

import io
from typing import Sequence

import numpy as np

from ..exact import objective, sample_trajectories
from ..monte_carlo import return_moments
from ..plots import EXACT_COLOR, SMALL
from ..validate import as_array, check_finite, check_int
from .core import STATIC_SCALE, FigureGrid, static_build

__all__ = ["ObjectiveExplorer", "objective_explorer"]

FIGSIZE = (8.0, 3.0)   # inches; shown at grid_dpi CSS px per inch


class ObjectiveExplorer:
    """The exact J(θ(x)) curve and its Monte Carlo estimates Ĵ_N, with controls for x and N.

    mdp, policy:  a :class:`pgbook.mdp.TabularMDP` and a tabular policy for it
    direction:    d, shape (n_params,); the family is θ(x) = base + x·d
    xs:           the control grid of x (where estimates are drawn), e.g. 9 values
    ns:           the control grid of N, increasing, e.g. [1, 4, 16, 64, 256, 1024]
    base:         θ_base, shape (n_params,) (default zeros)
    seed:         the rollouts at xs[i] come from ``np.random.default_rng([seed, i])``
    fine:         how many x values the exact curve is drawn through
    x_label:      the control's label, also used in the histogram's title ("x = 0.5: …")
    axis_label:   the label of the x axis (default: x_label), e.g. r"$x$, with $\theta = (0, x)$"
    initial:      (x index, N index) shown first (default: the middle x, the third N)
    precompute:   draw all len(xs)·len(ns) states now (default: only while building the book)

    Attributes, computed once: ``thetas`` (len(xs), n_params), ``returns``
    (len(xs), N_max), ``exact`` J at each x, ``sigma`` the exact standard
    deviation of one return at each x, ``curve_x``/``curve_J`` the fine curve.
    ``last`` holds the numbers of the last figure drawn (see :meth:`state`).
    Display the explorer itself (or ``widget``); ``control`` (= ``outer_control``,
    x) and ``inner_control`` (N) are the two sliders, ``images[i][j]`` the PNGs.
    """

    def __init__(self, mdp, policy, direction, xs: Sequence[float], ns: Sequence[int],
                 base=None, seed: int = 0, fine: int = 121, x_label: str = "θ",
                 axis_label: str | None = None, initial: tuple[int, int] | None = None,
                 precompute: bool | None = None):
        n_params = policy.n_params
        self.direction = check_finite("direction", as_array("direction", direction))
        if self.direction.shape != (n_params,):
            raise ValueError(f"direction: expected shape ({n_params},), one entry per policy "
                             f"parameter, got shape {self.direction.shape}")
        self.base = np.zeros(n_params) if base is None else check_finite("base", as_array("base", base))
        if self.base.shape != (n_params,):
            raise ValueError(f"base: expected shape ({n_params},), got shape {self.base.shape}")
        self.xs = check_finite("xs", as_array("xs", xs))
        if self.xs.ndim != 1 or self.xs.size == 0:
            raise ValueError(f"xs: expected a non-empty 1-D grid of x values, got shape {self.xs.shape}")
        self.ns = [check_int("ns", n, minimum=1) for n in ns]
        if not self.ns or any(a >= b for a, b in zip(self.ns, self.ns[1:])):
            raise ValueError(f"ns: expected increasing sample sizes, got {list(ns)}")
        self.mdp, self.policy, self.x_label, self.seed = mdp, policy, x_label, seed
        self.axis_label = x_label if axis_label is None else axis_label

        # --- computed once: the exact curve, and N_max rollouts at each x
        self.thetas = np.array([self.theta(x) for x in self.xs])
        lo, hi = self.xs.min(), self.xs.max()
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        self.curve_x = np.linspace(lo - pad, hi + pad, fine)
        self.curve_J = np.array([objective(mdp, policy, self.theta(x)) for x in self.curve_x])
        moments = [return_moments(mdp, policy, th) for th in self.thetas]
        self.exact = np.array([m.mean for m in moments])
        self.sigma = np.sqrt([m.variance for m in moments])
        n_max = self.ns[-1]
        self.returns = np.array([
            sample_trajectories(mdp, policy, th, n_max, np.random.default_rng([seed, i])).returns
            for i, th in enumerate(self.thetas)
        ])
        # cumulative sums of R and R², so Ĵ_N and s/√N for any N cost O(len(xs))
        zero = np.zeros((len(self.xs), 1))
        self._sum = np.hstack([zero, np.cumsum(self.returns, axis=1)])
        self._sum_sq = np.hstack([zero, np.cumsum(self.returns ** 2, axis=1)])
        self._bins = self._histogram_bins()
        self.last: dict | None = None
        self.grid_dpi = 80   # CSS px per figure inch
        # image px per CSS px: 2 in the built book (sharp on 2x screens), 1 live
        self.scale = STATIC_SCALE if static_build() else 1

        if initial is None:
            initial = (len(self.xs) // 2, min(2, len(self.ns) - 1))
        self.grid = _ExplorerGrid(self, self.xs.tolist(), self.ns, outer_label=x_label,
                                  inner_label="N", outer_kind="slider", inner_kind="slider",
                                  initial=initial, precompute=precompute, dpi=self.grid_dpi)
        self.control, self.inner_control = self.grid.outer_control, self.grid.inner_control
        self.outer_control = self.control
        self.images, self.widget = self.grid.images, self.grid.widget

    # ------------------------------------------------------------ the numbers
    def theta(self, x: float) -> np.ndarray:
        """θ(x) = base + x·d."""
        return self.base + float(x) * self.direction

    def state(self, i: int, j: int) -> dict:
        """The numbers drawn for x = xs[i] and N = ns[j].

        estimates (len(xs),)   Ĵ_N at every x: the mean of the first N returns
        standard_errors        s/√N at every x (NaN for N = 1)
        exact (len(xs),)       J(θ(x)) from dynamic programming
        returns (N,)           the N returns sampled at xs[i]
        """
        n = self.ns[j]
        mean = self._sum[:, n] / n
        if n > 1:
            var = np.maximum(self._sum_sq[:, n] - n * mean ** 2, 0.0) / (n - 1)
            se = np.sqrt(var / n)
        else:
            se = np.full(len(self.xs), np.nan)
        return {"x": float(self.xs[i]), "theta": self.thetas[i], "n": n, "estimates": mean,
                "standard_errors": se, "exact": self.exact, "returns": self.returns[i, :n]}

    def _histogram_bins(self) -> np.ndarray:
        """One set of bins for every state, so histograms compare across x and N."""
        lo, hi = float(self.returns.min()), float(self.returns.max())
        values = np.unique(self.returns)
        if values.size <= 60 and np.allclose(values, np.round(values)):  # integer returns
            return np.arange(np.floor(lo) - 0.5, np.ceil(hi) + 1.5)
        return np.linspace(lo, hi if hi > lo else lo + 1, 41)

    # ------------------------------------------------------------ the figure
    def _build_figure(self) -> None:
        """Make the figure once: a static background, and the artists that change.

        Building a figure, laying it out and drawing its text costs far more
        than the data. So the layout is computed once, for the widest texts,
        and frozen (every state has the same axis limits, but for the
        histogram's height). Everything that never changes (axes, ticks, labels,
        the exact curve) is rendered once into a background; a state restores
        that background and draws only its own artists on top (blitting). That
        keeps a live redraw well under the 150 ms target.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure
        from matplotlib.ticker import FormatStrFormatter, MaxNLocator

        # a Figure outside pyplot: reused for every state, never shown by Jupyter itself
        fig = Figure(figsize=FIGSIZE, dpi=self.grid_dpi * self.scale, layout="constrained")
        FigureCanvasAgg(fig)
        ax, hx = fig.subplots(1, 2, width_ratios=(1.35, 1))
        ax.plot(self.curve_x, self.curve_J, color=EXACT_COLOR, lw=1.2, label=r"exact $J(\theta)$")
        bars = LineCollection([], colors="C0", linewidths=1.2)
        ax.add_collection(bars)
        (points,) = ax.plot(self.xs, self.exact, "o", color="C0", ms=4,
                            label=self._points_label(self.ns[-1]))
        (chosen,) = ax.plot([self.xs[0]], [self.exact[0]], "o", ms=10, mfc="none", mec="C3", mew=1.5)
        vline = ax.axvline(self.xs[0], color="C3", lw=0.8, alpha=0.5)
        ax.set(xlabel=self.axis_label, ylabel="return", ylim=self._ylim(), xlim=self.curve_x[[0, -1]])
        legend = ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, fontsize=SMALL,
                           frameon=False, borderaxespad=0.2)

        counts = hx.stairs(np.zeros(len(self._bins) - 1), self._bins, fill=True, color="C0",
                           alpha=0.7)
        j_line = hx.axvline(self.exact[0], color=EXACT_COLOR, ls="--", lw=1.5, label=r"exact $J$")
        est_line = hx.axvline(self.exact[0], color="C3", lw=1.5, label=r"$\hat J_N$")
        # a margin on both sides, so the extreme bins (e.g. the best return) stay visible
        lo, hi = self._bins[0], self._bins[-1]
        hx.set(xlabel=r"return $R(\xi)$", ylabel="fraction of the N rollouts",
               xlim=(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)), ylim=(0, 1.05))
        # ticks at round fractions (0.02, 0.05, 0.1, …), two decimals: no "0.03" at 0.025
        hx.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        hx.yaxis.set_major_formatter(FormatStrFormatter("%.2f"))
        hx_legend = hx.legend(fontsize=SMALL, frameon=False, loc="upper left")
        # the widest texts any state can have, for the one layout pass
        hx.set_title(self._histogram_title(-0.25, -00.00, -00.00), fontsize=SMALL)
        fig.canvas.draw()
        fig.set_layout_engine("none")

        dynamic = [bars, points, chosen, vline, legend, counts, j_line, est_line,
                   hx.yaxis, ax.title, hx.title, hx_legend]   # in drawing order: legend on top
        for artist in dynamic:
            artist.set_animated(True)   # left out of the background
        fig.canvas.draw()
        self._background = fig.canvas.copy_from_bbox(fig.bbox)
        self._fig, self._dynamic = fig, dynamic
        self._artists = dict(ax=ax, hx=hx, legend=legend, bars=bars, points=points,
                             chosen=chosen, vline=vline, counts=counts, j_line=j_line,
                             est_line=est_line)

    def update(self, i: int, j: int) -> dict:
        """Set the changing artists to the state (xs[i], ns[j]); return its numbers (also ``last``)."""
        x, n = float(self.xs[i]), self.ns[j]
        st = self.state(i, j)
        self.last = st
        if not hasattr(self, "_fig"):
            self._build_figure()
        a = self._artists
        est, se = st["estimates"], st["standard_errors"]
        a["points"].set_data(self.xs, est)
        if n > 1:
            a["bars"].set_segments([[(xk, e - 2 * s), (xk, e + 2 * s)]
                                    for xk, e, s in zip(self.xs, est, se)])
        else:  # one return has no standard error
            a["bars"].set_segments([])
        a["chosen"].set_data([x], [est[i]])
        a["vline"].set_xdata([x, x])
        a["legend"].get_texts()[1].set_text(self._points_label(n))

        heights = np.histogram(st["returns"], bins=self._bins)[0] / n
        a["counts"].set_data(heights)
        a["hx"].set_ylim(0, 1.15 * heights.max())
        a["j_line"].set_xdata([st["exact"][i]] * 2)
        a["est_line"].set_xdata([est[i]] * 2)
        a["hx"].set_title(self._histogram_title(x, st["exact"][i], est[i]), fontsize=SMALL)
        return st

    def png(self, i: int, j: int) -> bytes:
        """The figure of state (xs[i], ns[j]) as PNG bytes: the background, then this state's artists."""
        from PIL import Image

        self.update(i, j)
        canvas = self._fig.canvas
        canvas.restore_region(self._background)
        for artist in self._dynamic:
            self._fig.draw_artist(artist)
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png")
        return buffer.getvalue()

    def draw(self, x: float, n: int):
        """The whole figure for control values (x, N) and its text alternative: ``(fig, alt)``.

        ``fig`` is a matplotlib Figure (e.g. to save it), ``alt`` the sentence of
        :meth:`alt` for the same state. Slower than :meth:`png` (everything is
        redrawn); the widget itself uses :meth:`png`.
        """
        i = int(np.flatnonzero(np.isclose(self.xs, x))[0])
        j = self.ns.index(n)
        self.update(i, j)
        for artist in self._dynamic:
            artist.set_animated(False)
        try:
            self._fig.canvas.draw()
        finally:
            for artist in self._dynamic:
                artist.set_animated(True)
        return self._fig, self.alt(i, j)

    def alt(self, i: int, j: int) -> str:
        """The text alternative of state (xs[i], ns[j]): what the figure shows, from its numbers."""
        st = self.state(i, j)
        n, x = st["n"], st["x"]
        bars = "" if n == 1 else ", with bars of ±2 standard errors"
        return (f"Left: the exact J(θ) against {self.x_label}, and its Monte Carlo estimates "
                f"from N = {n} rollout{'s' if n > 1 else ''} at {len(self.xs)} values of "
                f"{self.x_label}{bars}. Right: histogram of the {n} return"
                f"{'s' if n > 1 else ''} at {self.x_label} = {x:g}, where J = "
                f"{st['exact'][i]:.2f} and the estimate is {st['estimates'][i]:.2f}.")

    @staticmethod
    def _points_label(n: int) -> str:
        return rf"$\hat J_N$ from N = {n} rollouts" + ("" if n == 1 else r" ($\pm$2 SE)")

    def _histogram_title(self, x: float, exact: float, estimate: float) -> str:
        return rf"{self.x_label} = {x:g}:  $J$ = {exact:.2f},  $\hat J_N$ = {estimate:.2f}"

    def _ylim(self) -> tuple[float, float]:
        """The same y limits in every state: from the lowest to the highest sampled return."""
        lo = min(self.curve_J.min(), self.returns.min())
        hi = max(self.curve_J.max(), self.returns.max())
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        return lo - pad, hi + pad

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def objective_explorer(mdp, policy, direction, xs, ns=(1, 4, 16, 64, 256, 1024), **kw) -> ObjectiveExplorer:
    """The objective explorer for ``mdp`` and ``policy`` along θ(x) = x·d (see :class:`ObjectiveExplorer`)."""
    return ObjectiveExplorer(mdp, policy, direction, xs, ns, **kw)


class _ExplorerGrid(FigureGrid):
    """A FigureGrid whose states are drawn by the explorer's blitting ``png`` (see ``_build_figure``)."""

    def __init__(self, explorer: ObjectiveExplorer, outer_values, inner_values, **kw):
        self._explorer = explorer
        super().__init__(outer_values, inner_values, explorer.draw, **kw)

    def render(self, i: int, j: int) -> None:
        """Draw the figure for (outer_values[i], inner_values[j]) into its Image, with its alt text."""
        explorer, image = self._explorer, self.images[i][j]
        png = explorer.png(i, j)
        image.tooltip = explorer.alt(i, j)
        image.width = str(round(FIGSIZE[0] * explorer.grid_dpi))   # CSS px, whatever the scale
        image.value = png
