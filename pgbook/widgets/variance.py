"""Widget 4, the variance explorer: how N-sample gradient estimates scatter around ∇J(θ).

Every sampling estimator of the book averages one term per trajectory,

    ĝ_N = (1/N) Σ_{i=1}^N g(ξ_i),      ξ_i ~ P_θ independent,

so on a tiny tabular MDP two things are known *exactly*, by enumerating every
trajectory (:func:`pgbook.exact.exact_moments`):

    E[ĝ_N]   = E[g(ξ)] = ∇J(θ)              (for the unbiased estimators)
    Var[ĝ_N] = Σ / N,   Σ = Cov[g(ξ)]        (n_params × n_params, one term's covariance)

The widget puts the measured spread next to those numbers. It draws one pool of
M trajectories once (a fixed seed), computes each estimator's M terms g(ξ_i)
once, and forms the N-sample estimates by reshaping: the first ⌊M/N⌋·N terms
become a (⌊M/N⌋, N, n_params) array whose mean over axis 1 holds ⌊M/N⌋ independent
estimates ĝ_N. So a state of the widget costs one reshape and one figure, and
the live kernel and the static book show the same samples.

Controls: the estimator (ToggleButtons; left out when only one is asked for)
× the sample size N (a slider). Left panel: the histogram of the ⌊M/N⌋
estimates of one coordinate of ∇J (or of the squared error ‖ĝ_N − ∇J‖²), drawn
as a density (the y-axis; the bars have total area 1), the
exact ∇J_k, and, from N = ``normal_from`` on (default 10), the normal curve with
the exact variance Σ_kk/N: the central limit theorem's large-N limit, which
would mislead next to the few spikes of N = 1 or 3. Right panel:
the variance against N on log-log axes, exact (the line Σ_kk/N) and measured
(dots), with the current N circled.

    variance_explorer(mdp, policy, theta)                                  # chapter 4
    variance_explorer(mdp, policy, theta, estimators=["total return", "reward-to-go",
                      "reward-to-go, state-value baseline", "exact Q"])    # chapter 5
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .. import estimators as est
from ..exact import (
    Moments,
    along_trajectories,
    exact_gradient,
    exact_moments,
    q_values,
    sample_trajectories,
    state_distributions,
    state_values,
)
from ..mdp import TabularMDP
from ..plots import ESTIMATOR_COLORS, EXACT_COLOR, SMALL, mark_exact
from ..validate import check_int
from ..variance_reduction import ESTIMATORS
from .core import FigureGrid, FigureSlider

__all__ = [
    "ESTIMATOR_NAMES",
    "EstimatorSpec",
    "estimator_spec",
    "n_sample_estimates",
    "VarianceExplorer",
    "variance_explorer",
]


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator, ready to be run on a sampled batch and on the enumeration.

    name:      its label (a key of ``pgbook.plots.ESTIMATOR_COLORS`` for the built-in ones)
    estimator: estimator(batch, policy, theta, **kwargs) -> Estimate, as in pgbook.estimators
    kwargs:    fixed keyword arguments; a callable value is called with the batch first
               (so a per-step baseline V_t(s_t) is looked up on whichever batch is used)
    """

    name: str
    estimator: Callable
    kwargs: dict

    def terms(self, batch, policy, theta, gamma: float) -> np.ndarray:
        """g(ξ_i) for every trajectory of ``batch``, shape (N, n_params)."""
        kw = {k: v(batch) if callable(v) else v for k, v in self.kwargs.items()}
        kw.setdefault("gamma", gamma)
        return np.asarray(self.estimator(batch, policy, theta, **kw).terms, dtype=float)

    def moments(self, mdp, policy, theta) -> Moments:
        """The exact mean (n_params,) and covariance Σ (n_params, n_params) of one term g(ξ)."""
        return exact_moments(self.estimator, mdp, policy, theta, **self.kwargs)


#: The built-in estimators, by name (the baselines are *fixed*, computed exactly from θ,
#: so that the estimators stay unbiased and their exact moments are defined).
# chapter 5's estimators (pgbook.variance_reduction), all but the exact advantage
# (weights Q_t − V_t), which this widget does not offer
ESTIMATOR_NAMES = tuple(n for n in ESTIMATORS if n != "exact advantage")
_ALIASES = {"with a baseline": "reward-to-go, state-value baseline", "exact-Q": "exact Q"}


def estimator_spec(name: str, mdp: TabularMDP, policy, theta) -> EstimatorSpec:
    """The built-in estimator called ``name`` (see ``ESTIMATOR_NAMES``), for this MDP and θ.

    total return                        g = (Σ_t ∇log π_θ(a_t|s_t)) R(ξ)
    reward-to-go                        g = Σ_t γ^t ∇log π_θ(a_t|s_t) G_t
    reward-to-go, constant baseline     ... (G_t − b),   b = (1/T) Σ_t E[G_t]
    reward-to-go, time baseline         ... (G_t − b_t), b_t = E[G_t] = Σ_s d_t(s) V_t(s)
    reward-to-go, state-value baseline  ... (G_t − V_t(s_t))   ("with a baseline")
    exact Q                             g = Σ_t γ^t ∇log π_θ(a_t|s_t) Q_t(s_t, a_t)
    """
    name = _ALIASES.get(name, name)
    if name == "total return":
        return EstimatorSpec(name, est.total_return_estimator, {})
    if name == "reward-to-go":
        return EstimatorSpec(name, est.reward_to_go_estimator, {})
    if name == "exact Q":
        Q = q_values(mdp, policy, theta)
        return EstimatorSpec(name, est.weighted_score_estimator,
                             {"weights": lambda batch: along_trajectories(Q, batch)})
    if name.startswith("reward-to-go, "):
        V = state_values(mdp, policy, theta)                              # (T, S)
        expected_togo = (state_distributions(mdp, policy, theta) * V).sum(axis=1)  # E[G_t], (T,)
        baselines = {
            "reward-to-go, constant baseline": float(expected_togo.mean()),
            "reward-to-go, time baseline": expected_togo,
            "reward-to-go, state-value baseline": lambda batch: along_trajectories(V, batch),
        }
        if name in baselines:
            return EstimatorSpec(name, est.reward_to_go_estimator, {"baseline": baselines[name]})
    raise ValueError(f"estimators: unknown estimator {name!r}; expected one of {ESTIMATOR_NAMES}, "
                     f"or a (name, estimator, kwargs) tuple")


def _as_spec(item, mdp, policy, theta) -> EstimatorSpec:
    if isinstance(item, EstimatorSpec):
        return item
    if isinstance(item, str):
        return estimator_spec(item, mdp, policy, theta)
    if isinstance(item, tuple) and len(item) == 3 and callable(item[1]):
        return EstimatorSpec(str(item[0]), item[1], dict(item[2]))
    raise TypeError(f"estimators: expected names or (name, estimator, kwargs) tuples, got {item!r}")


def n_sample_estimates(terms, n: int) -> np.ndarray:
    """⌊M/N⌋ independent N-sample estimates ĝ_N from M per-trajectory terms, shape (⌊M/N⌋, n_params).

    terms: (M, n_params), g(ξ_i) for M independent trajectories. The first ⌊M/N⌋·N rows
    are cut into consecutive groups of N, and each group is averaged:
    ĝ_N^(j) = (1/N) Σ_{i<N} g(ξ_{jN+i}). No trajectory is used twice.
    """
    terms = np.asarray(terms, dtype=float)
    n = check_int("n", n, minimum=1)
    m = terms.shape[0] // n
    if m == 0:
        raise ValueError(f"n: the pool holds {terms.shape[0]} trajectories, fewer than N = {n}")
    return terms[: m * n].reshape(m, n, -1).mean(axis=1)


class VarianceExplorer:
    """The variance explorer (see the module docstring). Build it with :func:`variance_explorer`.

    Attributes for chapters and tests:
      exact_gradient  ∇J(θ), (n_params,), by dynamic programming
      specs           the EstimatorSpec of each estimator, in control order
      terms[name]     g(ξ_i) on the pool, (M, n_params)
      moments[name]   exact mean and covariance Σ of g(ξ), by enumeration
      coordinate      the index k shown, or "error" for ‖ĝ_N − ∇J‖²
      last            the numbers of the last figure drawn: estimator, n, values (the
                      plotted estimates), exact_var, measured_var, exact_mean, measured_mean,
                      normal_curve (whether the normal curve is drawn)
      widget, control (the N slider, also ``inner_control``), estimator_control (or None)
      normal_from     the smallest N whose histogram gets the normal curve
    """

    def __init__(self, mdp: TabularMDP, policy, theta, estimators: Sequence = ("total return",),
                 n_values: Sequence[int] = (1, 3, 10, 30, 100, 300, 1000), coordinate=None,
                 pool_size: int = 100_000, seed: int = 0, bins: int = 40,
                 precompute: bool | None = None, initial: tuple[int, int] = (0, 0), dpi: int = 80,
                 normal_from: int = 10):
        theta = np.asarray(theta, dtype=float)
        self.mdp, self.policy, self.theta = mdp, policy, theta
        self.n_values = [check_int("n_values", n, minimum=1) for n in n_values]
        pool_size = check_int("pool_size", pool_size, minimum=1)
        if max(self.n_values) > pool_size:
            raise ValueError(f"n_values: the largest N ({max(self.n_values)}) exceeds "
                             f"pool_size ({pool_size}); raise pool_size")
        self.bins = check_int("bins", bins, minimum=2)
        self.normal_from = check_int("normal_from", normal_from, minimum=1)
        self.exact_gradient = exact_gradient(mdp, policy, theta)
        if coordinate is None:  # the coordinate where the gradient is largest
            coordinate = int(np.argmax(np.abs(self.exact_gradient)))
        if coordinate != "error":
            coordinate = check_int("coordinate", coordinate, minimum=0)
            if coordinate >= self.exact_gradient.size:
                raise ValueError(f"coordinate: expected an index below {self.exact_gradient.size} "
                                 f"(the length of θ) or 'error', got {coordinate}")
        self.coordinate = coordinate
        self.specs = [_as_spec(e, mdp, policy, theta) for e in estimators]
        if not self.specs:
            raise ValueError("estimators: expected at least one estimator")

        # Expensive parts, once: the pool, each estimator's terms on it, its exact moments.
        self.pool = sample_trajectories(mdp, policy, theta, pool_size, np.random.default_rng(seed))
        self.terms = {s.name: s.terms(self.pool, policy, theta, mdp.gamma) for s in self.specs}
        self.moments = {s.name: s.moments(mdp, policy, theta) for s in self.specs}
        self._estimates = {}  # (name, N) -> (⌊M/N⌋, n_params), filled as states are drawn
        self._xlims = {}  # N -> the x range shared by the estimators
        self.last: dict = {}
        self.figure = None  # made on the first draw, then reused by every state

        names = [s.name for s in self.specs]
        if len(names) == 1:
            self.figures = FigureSlider(self.n_values, lambda n: self.draw(names[0], n), label="N",
                                        initial=initial[1], precompute=precompute, dpi=dpi)
            self.control = self.figures.control
            self.estimator_control = None
        else:
            self.figures = FigureGrid(names, self.n_values, self.draw, outer_label="estimator",
                                      inner_label="N", initial=initial, precompute=precompute,
                                      dpi=dpi)
            self.control = self.figures.inner_control
            self.estimator_control = self.figures.outer_control
        self.inner_control = self.control
        self.widget = self.figures.widget

    # ---------------------------------------------------------------- numbers
    def estimates(self, name: str, n: int) -> np.ndarray:
        """The ⌊M/N⌋ estimates ĝ_N of estimator ``name`` from the pool, (⌊M/N⌋, n_params), cached."""
        key = (name, n)
        if key not in self._estimates:
            self._estimates[key] = n_sample_estimates(self.terms[name], n)
        return self._estimates[key]

    def exact_variance(self, name: str, n: int) -> float:
        """Var[ĝ_{N,k}] = Σ_kk / N, or E‖ĝ_N − ∇J‖² = (tr Σ + ‖bias‖²·N)/N for "error"."""
        m = self.moments[name]
        if self.coordinate == "error":
            bias = m.mean - self.exact_gradient
            return float(np.trace(m.covariance) / n + bias @ bias)
        return float(m.covariance[self.coordinate, self.coordinate] / n)

    def values(self, name: str, n: int) -> np.ndarray:
        """What the histogram shows: ĝ_{N,k} for each estimate, or ‖ĝ_N − ∇J‖²."""
        g = self.estimates(name, n)
        if self.coordinate == "error":
            return ((g - self.exact_gradient) ** 2).sum(axis=1)
        return g[:, self.coordinate]

    def measured_variance(self, name: str, n: int) -> float:
        """The sample variance of the ⌊M/N⌋ estimates (ddof=1), or their mean squared error."""
        v = self.values(name, n)
        if self.coordinate == "error":
            return float(v.mean())
        return float(v.var(ddof=1)) if v.size > 1 else float("nan")

    def xlim(self, n: int) -> tuple[float, float]:
        """The x range at sample size N, the same for every estimator (so their spreads compare).

        A coordinate: ∂J/∂θ_k ± 4 standard deviations of the widest estimator,
        √(max Σ_kk / N) (cut to the largest deviation actually seen, if smaller).
        The error: 0 to the 99th percentile of the widest estimator's ‖ĝ_N − ∇J‖².
        """
        if n not in self._xlims:
            if self.coordinate == "error":
                top = max(np.quantile(self.values(s.name, n), 0.99) for s in self.specs)
                self._xlims[n] = (0.0, float(max(top, 1e-12)))
            else:
                centre = self.exact_gradient[self.coordinate]
                half = max(4 * np.sqrt(self.exact_variance(s.name, n)) for s in self.specs)
                seen = max(np.abs(self.values(s.name, n) - centre).max() for s in self.specs)
                half = max(min(half, seen), 1e-12)
                self._xlims[n] = (float(centre - half), float(centre + half))
        return self._xlims[n]

    # ---------------------------------------------------------------- figure
    def _build_figure(self) -> None:
        """Make the one figure every state is drawn into, and freeze its layout.

        Building a matplotlib figure and solving its constrained layout costs most
        of the time of a redraw; a state only changes data, limits and text. So the
        figure is made once (a bare ``Figure``, never shown by pyplot), laid out
        once, and each state updates its artists. The axes of the variance panel
        are the same for every state, so its ticks never change width.
        """
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        k = self.coordinate
        fig = Figure(figsize=(8.0, 3.0), layout="constrained")
        ax, ax_var = fig.subplots(1, 2, width_ratios=[1.6, 1])
        a = self._artists = {}
        a["hist"] = ax.stairs(np.zeros(self.bins), np.arange(self.bins + 1.0), fill=True,
                              alpha=0.6, label="estimates")
        if k == "error":
            a["exact"] = ax.axvline(0, color=EXACT_COLOR, ls="--", lw=1.5,
                                    label=r"exact $E\|\hat g_N-\nabla J\|^2$")
            a["curve"] = ax.axvline(0, lw=1.5, label="measured mean")
            ax.set_xlabel(r"squared error $\|\hat g_N - \nabla J\|^2$")
            ax_var.set_title("mean squared error", fontsize=10, y=1.0)
        else:
            a["curve"], = ax.plot([], [], color="0.35", lw=1,
                                  label=f"normal, exact variance (N ≥ {self.normal_from})")
            a["exact"] = mark_exact(ax, 0.0, label=rf"exact $\partial J/\partial\theta_{{{k}}}$")
            ax.set_xlabel(rf"estimate of $\partial J/\partial\theta_{{{k}}}$")
            ax_var.set_title(rf"variance $\Sigma_{{{k}{k}}}/N$", fontsize=10, y=1.0)
        # a density: the bars have total area 1, like the normal curve beside them
        ax.set_ylabel("density", fontsize=SMALL)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
        ax.tick_params(axis="y", labelsize=SMALL)
        # below the panels, in one row: inside the histogram it ran into the numbers box
        a["legend"] = fig.legend(handles=ax.get_legend_handles_labels()[0], loc="outside lower left",
                                 ncols=3, fontsize=SMALL, frameon=False)
        # y=1.0: titles sit at the top of their panel; left to itself, matplotlib looks for
        # ticks above each panel on every redraw (there are none), a tenth of the time
        a["title"] = ax.set_title(" ", fontsize=10, y=1.0)
        a["text"] = ax.text(0.98, 0.97, " \n ", transform=ax.transAxes, ha="right", va="top",
                            fontsize=SMALL, bbox=dict(boxstyle="round", fc="white", ec="0.8"))

        ns = np.array(self.n_values, dtype=float)
        a["exact_var"], = ax_var.loglog(ns, ns, color=EXACT_COLOR, ls="--", lw=1, label="exact")
        a["measured"], = ax_var.loglog(ns, ns, "o", ms=4, label="measured")
        a["current"], = ax_var.loglog(ns[:1], ns[:1], "o", ms=10, mfc="none", mec=EXACT_COLOR)
        every = [v for s in self.specs for m in self.n_values
                 for v in (self.exact_variance(s.name, m), self.measured_variance(s.name, m))]
        every = np.array([v for v in every if np.isfinite(v) and v > 0])
        if every.size:
            ax_var.set_ylim(every.min() / 2, every.max() * 2)
        ax_var.set_xlim(ns.min() / 1.5, ns.max() * 1.5)
        ax_var.minorticks_off()  # log axes' minor ticks cost a third of the drawing time
        ax_var.set_xlabel("N (trajectories per estimate)")
        a["legend_var"] = ax_var.legend(fontsize=SMALL, frameon=False, loc="upper right")
        # the layout is solved once, so leave room for the widest density ticks
        # a state may need ("0.025", five characters)
        ax.set_ylim(0, 0.03)
        fig.draw_without_rendering()      # solve the constrained layout once ...
        fig.set_layout_engine("none")     # ... and keep it
        self.figure = fig

    def alt(self) -> str:
        """The text alternative of the figure last drawn, from the numbers it shows (``self.last``)."""
        last, k = self.last, self.coordinate
        ns = self.n_values
        if k == "error":
            left = (f"Left: histogram of the squared errors ‖ĝ_N − ∇J‖² of {last['values'].size:,} "
                    f"estimates by the {last['estimator']} estimator, each from N = {last['n']} "
                    f"trajectories; exact mean squared error {last['exact_var']:.3g}, measured "
                    f"{last['measured_var']:.3g}.")
            right = "the mean squared error"
        else:
            curve = "; the normal curve of the exact variance is drawn over it" if last["normal_curve"] else ""
            left = (f"Left: histogram of {last['values'].size:,} estimates of ∂J/∂θ_{k} by the "
                    f"{last['estimator']} estimator, each from N = {last['n']} trajectories, around "
                    f"the exact value {self.exact_gradient[k]:.3g}{curve}; exact variance "
                    f"{last['exact_var']:.3g}, measured {last['measured_var']:.3g}.")
            right = "the variance"
        return (f"{left} Right: {right} against N from {ns[0]} to {ns[-1]} on log-log axes, "
                f"exact (dashed line) and measured (dots), both falling as 1/N.")

    def draw(self, name: str, n: int):
        """The figure for one state: histogram of the estimates, and variance against N.

        Returns ``(figure, alt)``: the explorer's one persistent Figure, updated, and
        its text alternative (:meth:`alt`); the numbers it shows are kept in ``self.last``.
        """
        if self.figure is None:
            self._build_figure()
        a, k = self._artists, self.coordinate
        values = self.values(name, n)
        exact_var = self.exact_variance(name, n)
        measured_var = self.measured_variance(name, n)
        color = ESTIMATOR_COLORS.get(name, "C0")
        lo, hi = self.xlim(n)
        edges = np.linspace(lo, hi, self.bins + 1)
        # a margin, so the outermost bars do not touch the frame (none left of 0 for errors)
        pad = 0.05 * (hi - lo)
        view = (lo if k == "error" else lo - pad, hi + pad)
        counts, _ = np.histogram(values, bins=edges)
        density = counts / max(counts.sum(), 1) / (edges[1] - edges[0])
        a["hist"].set_data(density, edges)
        a["hist"].set_color(color)
        # the legends hold copies of the artists: recolour them with the estimator
        a["legend"].legend_handles[0].set_color(color)
        a["legend_var"].legend_handles[1].set_color(color)
        top = density.max()
        if k == "error":
            a["exact"].set_xdata([exact_var, exact_var])
            a["curve"].set_xdata([values.mean()] * 2)
            a["curve"].set_color(color)
            a["legend"].legend_handles[2].set_color(color)
            what = "mean sq. error"
        else:
            centre, sd = self.exact_gradient[k], np.sqrt(exact_var)
            x = np.linspace(*view, 300)
            y = (np.exp(-0.5 * ((x - centre) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
                 if sd > 0 else np.zeros_like(x))
            if n >= self.normal_from:
                top = max(top, y.max())
            else:  # a few spikes: a normal curve beside them would mislead
                y = np.full_like(x, np.nan)
            a["curve"].set_data(x, y)
            a["exact"].set_xdata([centre, centre])
            what = "variance"
        ax = a["hist"].axes
        ax.set_xlim(*view)
        ax.set_ylim(0, 1.3 * top if top > 0 else 1.0)
        a["title"].set_text(f"{name}, N = {n}")
        a["text"].set_text(f"{values.size:,} estimates of N = {n}\n"
                           f"exact {what}: {exact_var:.3g}\nmeasured: {measured_var:.3g}")

        ns = self.n_values
        a["exact_var"].set_ydata([self.exact_variance(name, m) for m in ns])
        a["measured"].set_ydata([self.measured_variance(name, m) for m in ns])
        a["measured"].set_color(color)
        a["current"].set_data([n], [measured_var])

        self.last = dict(estimator=name, n=n, values=values, exact_var=exact_var,
                         measured_var=measured_var, exact_mean=float(
                             self.moments[name].mean[k] if k != "error" else exact_var),
                         measured_mean=float(values.mean()),
                         normal_curve=k != "error" and n >= self.normal_from)
        return self.figure, self.alt()

    # ------------------------------------------------------------- rendering
    def render(self, *index) -> None:
        """Draw one state into its image: ``render(j)`` (one estimator) or ``render(i, j)``."""
        if self.estimator_control is None:
            self.figures.render(index[-1])
        else:
            self.figures.render(*index)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def variance_explorer(mdp: TabularMDP, policy, theta, estimators: Sequence = ("total return",),
                      n_values: Sequence[int] = (1, 3, 10, 30, 100, 300, 1000), coordinate=None,
                      pool_size: int = 100_000, seed: int = 0, **kw) -> VarianceExplorer:
    """Widget 4: the spread of N-sample gradient estimates, measured and exact.

    mdp, policy, theta: a tiny tabular MDP (its trajectories are enumerated), a
                 policy with ``probs`` (TabularSoftmax), and θ
    estimators:  names from ``ESTIMATOR_NAMES`` ("with a baseline" means the
                 state-value baseline), or (name, estimator, kwargs) tuples
    n_values:    the N grid of the slider
    coordinate:  which ∂J/∂θ_k to show (default: the largest |∂J/∂θ_k|), or
                 "error" for the squared error ‖ĝ_N − ∇J‖²
    pool_size:   M, trajectories sampled once (seed ``seed``); N = n gives ⌊M/n⌋ estimates
    kw:          bins, precompute, initial=(estimator index, N index), dpi, normal_from
                 (the smallest N whose histogram gets the normal curve, default 10)
    """
    return VarianceExplorer(mdp, policy, theta, estimators=estimators, n_values=n_values,
                            coordinate=coordinate, pool_size=pool_size, seed=seed, **kw)
