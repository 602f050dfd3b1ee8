"""Widget 3, the score-function estimator (chapter 3): move the sample size N.

Left panel: a histogram of many independent N-sample estimates ĝ_N of one
coordinate of ∇J(θ), as a density (labelled ticks), against the exact gradient
(dashed) and the normal curve N(∇J, Var[g]/N) that the central limit theorem
predicts for large N. At small N the estimate takes few values (on a grid set
by the arm counts), so single bins stand above the curve: the curve is a
large-N limit, and its legend says so.
Right panel: the variance of ĝ_N measured over those estimates, for every N on
the grid, on log-log axes, against the exact line Var[g]/N; the current N is
marked.

Everything random is drawn once, when the widget is made: the estimates for
sample size N come from ``np.random.default_rng((seed, N))``, so a live kernel
and the built book show the same numbers. Redrawing a state only plots.

    w = score_function_explorer(bandit, theta, coordinate=2)
    w              # display it
    w.last         # the numbers behind the figure drawn last (for tests)
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from ..plots import EXACT_COLOR, SMALL, new_figure
from ..validate import check_int
from .core import FigureSlider

__all__ = [
    "DEFAULT_SIZES",
    "ScoreFunctionExplorer",
    "score_function_explorer",
    "sampled_estimates",
    "plot_variance_against_n",
]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

# N on a log grid from 1 to 10⁴: 1, 2, 5 per decade.
DEFAULT_SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


def sampled_estimates(problem, theta, sizes, n_estimates: int = 2000, seed: int = 0) -> list:
    """For each N in ``sizes``: ``n_estimates`` independent N-sample estimates ĝ_N, shape (n_estimates, n_params).

    The draws for N come from ``np.random.default_rng((seed, N))``: one fixed
    seed per N, whatever else is computed, so results never depend on the order.
    ``problem`` is a :class:`pgbook.score_function.SoftmaxBandit` or
    :class:`~pgbook.score_function.GaussianQuadratic` (anything with ``estimates``).
    """
    n_estimates = check_int("n_estimates", n_estimates, minimum=2)
    return [problem.estimates(theta, int(n), n_estimates, np.random.default_rng((seed, int(n))))
            for n in sizes]


def _plain(value, _pos=None) -> str:
    """A log-axis tick label as plain text ("100", "1e-04"): no mathtext, quick to draw."""
    return f"{value:g}"


def plot_variance_against_n(ax, sizes, variances, single_variance: float, *,
                            color: str = "C0", label: str = "measured", current=None,
                            exact_label: str | None = "exact Var[g] / N",
                            exact_color: str = EXACT_COLOR):
    """Log-log plot of measured variances of ĝ_N against N, with the exact line Var[g]/N.

    sizes, variances: (M,) arrays; single_variance: Var[g] of one term, exact.
    current: an N to mark (the widget's control), or None.
    exact_label: the exact line's legend entry (None: no entry).
    """
    sizes = np.asarray(sizes, dtype=float)
    ax.loglog(sizes, single_variance / sizes, color=exact_color, linestyle="--", linewidth=1.2,
              label=exact_label if exact_label is not None else "_nolegend_")
    ax.loglog(sizes, variances, "o", color=color, markersize=4, label=label)
    if current is not None:
        k = int(np.flatnonzero(sizes == current)[0])
        ax.loglog([sizes[k]], [variances[k]], "o", color="C3", markersize=10, mfc="none", mew=2,
                  label=f"N = {int(current)}")
    # Plain-text labels: mathtext would cost a redraw tens of milliseconds.
    ax.set(xlabel="N (samples per estimate)", ylabel="variance of the estimate")
    # Decades only, no minor ticks, plain labels: each tick is an object to build
    # and draw, and a log axis's many minor ticks cost more than the data.
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, numticks=6))
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(FuncFormatter(_plain))
    ax.legend(fontsize=SMALL, loc="upper right")
    return ax


class ScoreFunctionExplorer:
    """The score-function estimator of one coordinate of ∇J(θ), as the sample size N moves.

    problem:     a one-step problem from :mod:`pgbook.score_function`
    theta:       the parameters, shape (problem.n_params,)
    coordinate:  which entry k of the gradient to show (∂J/∂θ_k)
    sizes:       the grid of N (the control's values)
    n_estimates: how many independent N-sample estimates make each histogram
    seed:        the draws for N use ``np.random.default_rng((seed, N))``
    precompute:  draw every figure now (default: only while building the book)

    Attributes: ``exact`` (∂J/∂θ_k), ``single_variance`` (Var[g_k] of one term,
    exact), ``estimates`` (one (n_estimates,) array per N), ``variances`` (their
    measured variances, (M,)), ``slider`` (the :class:`FigureSlider`),
    ``control``, ``images``, and ``last``: the numbers of the figure drawn last.
    """

    def __init__(self, problem, theta, coordinate: int = 0, sizes=DEFAULT_SIZES,
                 n_estimates: int = 2000, seed: int = 0, initial: int | None = None,
                 precompute: bool | None = None, dpi: int = 80):
        self.problem = problem
        self.theta = np.asarray(theta, dtype=float)
        self.coordinate = check_int("coordinate", coordinate)
        if self.coordinate >= problem.n_params:
            raise ValueError(f"coordinate: expected an index below {problem.n_params}, got {coordinate}")
        self.sizes = [check_int("sizes", int(n), minimum=1) for n in sizes]
        k = self.coordinate
        self.exact = float(problem.exact_gradient(self.theta)[k])
        self.single_variance = float(problem.term_moments(self.theta).covariance[k, k])
        # The only sampling: once, here, one fixed seed per N.
        self.estimates = [e[:, k] for e in sampled_estimates(problem, self.theta, self.sizes,
                                                             n_estimates, seed)]
        self.variances = np.array([e.var(ddof=1) for e in self.estimates])
        self.last: dict | None = None
        self._positions = None  # axes positions, from the first figure's constrained layout
        if initial is None:
            initial = self.sizes.index(10) if 10 in self.sizes else 0
        self.slider = FigureSlider(self.sizes, self.draw, label="N", initial=initial,
                                   precompute=precompute, dpi=dpi)

    # the FigureSlider's parts, for tests and chapters
    @property
    def control(self):
        return self.slider.control

    @property
    def images(self):
        return self.slider.images

    @property
    def widget(self):
        return self.slider.widget

    def render(self, index: int) -> None:
        """Draw the figure for ``sizes[index]`` into its image."""
        self.slider.render(index)

    def draw(self, n: int):
        """``(figure, alt)`` for sample size N (no sampling here: the estimates were drawn once).

        ``alt`` says what the frame shows, from the numbers that drew it.
        """
        index = self.sizes.index(n)
        est = self.estimates[index]
        mean, var = float(est.mean()), float(self.variances[index])
        exact_var = self.single_variance / n
        self.last = {"n": n, "estimates": est, "mean": mean, "variance": var,
                     "exact": self.exact, "exact_variance": exact_var}

        fig, (left, right) = self._new_figure()
        k = str(self.coordinate).translate(_SUBSCRIPTS)
        # The window follows N: the exact mean ± 4.5 exact standard deviations of ĝ_N,
        # so the shape stays visible while it shrinks (the tick labels show by how much).
        sd = np.sqrt(exact_var)
        lo, hi = self.exact - 4.5 * sd, self.exact + 4.5 * sd
        edges = np.linspace(lo, hi, 46)
        counts, _ = np.histogram(est, bins=edges)
        heights = counts / (est.size * (edges[1] - edges[0]))  # density over all estimates
        outside = est.size - int(counts.sum())
        left.stairs(heights, edges, fill=True, color="C0", alpha=0.55,
                    label=f"{est.size} estimates" + (f" ({outside} outside)" if outside else ""))
        x = np.linspace(lo, hi, 300)
        normal = np.exp(-0.5 * ((x - self.exact) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
        left.plot(x, normal, color="C1", linewidth=1.2,
                  label="normal, exact variance (the large-N limit)")
        left.axvline(self.exact, color=EXACT_COLOR, linestyle="--", linewidth=1.5,
                     label=f"exact ∂J/∂θ{k}")
        left.set(xlim=(lo, hi), xlabel=f"estimate of ∂J/∂θ{k} from N samples", ylabel="density",
                 ylim=(0, 1.45 * max(heights.max(), normal.max())))  # room for the legend
        left.set_title(f"N = {n}: mean {mean:.3f}, exact {self.exact:.3f}", fontsize=10)
        left.xaxis.set_major_locator(MaxNLocator(5))
        left.yaxis.set_major_locator(MaxNLocator(4))
        left.legend(fontsize=SMALL, loc="upper left")

        plot_variance_against_n(right, self.sizes, self.variances, self.single_variance, current=n)
        right.set_title(f"variance {var:.2e}, exact {exact_var:.2e}", fontsize=10)
        if self._positions is None:
            # Lay out once with a y tick label as wide as any state's ("0.25", "60"),
            # then keep those positions for every state, this one included.
            left.yaxis.set_major_formatter(FuncFormatter(lambda _v, _p: "00.00"))
            fig.draw_without_rendering()  # runs the constrained layout once
            self._positions = [ax.get_position() for ax in (left, right)]
            fig.set_layout_engine("none")
        left.yaxis.set_major_formatter(FuncFormatter(_plain))
        return fig, self._alt(n, est.size, mean, var, exact_var)

    def _alt(self, n: int, count: int, mean: float, var: float, exact_var: float) -> str:
        """The frame's text alternative, from the numbers it plots."""
        k = str(self.coordinate).translate(_SUBSCRIPTS)
        return (f"Left: histogram of {count} estimates of ∂J/∂θ{k} at sample size N = {n}, "
                f"in a window centred on the exact value {self.exact:.3f} (their mean {mean:.3f}), "
                f"against the normal curve of the central limit theorem. "
                f"Right: their variance against N on log-log axes, on the exact line Var[g]/N; "
                f"at N = {n} measured {var:.2e}, exact {exact_var:.2e}.")

    def _new_figure(self):
        """The two panels: constrained layout the first time, then the same positions.

        Every state has the same kind of labels (short density tick labels, room
        for which is reserved in the first layout, and at most six short x tick
        labels on the left; the same variance data on the right), so the layout
        solved for the first figure fits them all. Reusing it, with no
        layout engine at all, keeps a redraw under the 150 ms target: the solver
        and the extra drawing pass it needs cost about as much as the drawing itself.
        """
        if self._positions is None:
            return new_figure(8.4, 3.1, ncols=2, width_ratios=[1.25, 1])
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(8.4, 3.1), layout="none")
        return fig, [fig.add_axes(position) for position in self._positions]

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def score_function_explorer(problem, theta, coordinate: int = 0, **kw) -> ScoreFunctionExplorer:
    """Widget 3: the distribution and variance of the score-function estimator as N moves.

    See :class:`ScoreFunctionExplorer` for the keyword arguments (sizes,
    n_estimates, seed, initial, precompute).
    """
    return ScoreFunctionExplorer(problem, theta, coordinate, **kw)
