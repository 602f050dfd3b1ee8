"""Widget 2, the cost of the chain rule: how many terms, how long, and where it ends.

The chain-rule gradient of chapter 2 (:func:`pgbook.exact.chain_rule_gradient`)
differentiates J(θ) = Σ_ξ P_θ(ξ) R(ξ) term by term. With S states, A actions,
horizon T and d = dim θ, when no start state and no transition has probability
0, it sums over K = (S·A)^T trajectories and evaluates

    n_terms(S, A, T)              = T · (S·A)^T
    n_multiplications(S, A, T, d) = T · (S·A)^T · (2T − 1 + d)

(one term per trajectory and step; per term, 2T − 2 products of the other
factors of P_θ(ξ), one by R(ξ), and d to scale the vector ∇π_θ(a_t|s_t)).
The dynamic-programming gradient :func:`pgbook.exact.exact_gradient` costs
about T·S²·A + S·A·d: linear in T.

:func:`measure_chain_rule_cost` times both on random MDPs of each horizon, but
runs the enumeration only while it stays small (``max_multiplications``); the
time beyond is *extrapolated* as t₀ + c · n_multiplications, with t₀ the fastest
measured call and c the seconds per multiplication of the largest measured
case: a model through that one measurement, not a least-squares fit. Times are
kept as log10 seconds, since the extrapolated ones overflow a float (64^500 is
about 10^903).
:func:`draw_chain_rule_cost` draws one such record; :func:`chain_rule_cost`
is the widget: a toggle for (S, A), a slider for T.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..exact import chain_rule_gradient, exact_gradient
from ..mdp import random_mdp
from ..plots import SMALL, new_figure
from ..policies import TabularSoftmax
from ..validate import check_int
from .core import FigureGrid

__all__ = [
    "HORIZONS",
    "PAIRS",
    "n_terms",
    "n_multiplications",
    "ChainRuleCost",
    "measure_chain_rule_cost",
    "draw_chain_rule_cost",
    "ChainRuleCostWidget",
    "chain_rule_cost",
    "SECONDS",
]

# Reference durations, in seconds, drawn as horizontal lines.
SECONDS = {
    "1 second": 1.0,
    "1 hour": 3600.0,
    "1 year": 365.25 * 24 * 3600.0,
    "age of the universe": 13.8e9 * 365.25 * 24 * 3600.0,
}


def n_terms(n_states: int, n_actions: int, horizon: int) -> int:
    """T · (S·A)^T: product-rule terms, one per trajectory and step (an exact Python int)."""
    S, A, T = (check_int(k, v, minimum=1) for k, v in
               (("n_states", n_states), ("n_actions", n_actions), ("horizon", horizon)))
    return T * (S * A) ** T


def n_multiplications(n_states: int, n_actions: int, horizon: int, n_params: int) -> int:
    """T · (S·A)^T · (2T − 1 + d): the multiplications of the chain-rule gradient (exact int)."""
    d = check_int("n_params", n_params, minimum=1)
    return n_terms(n_states, n_actions, horizon) * (2 * horizon - 1 + d)


def _best_time(fn, budget: float = 0.05, repeats: int = 3) -> float:
    """The fastest of up to ``repeats`` runs of fn(); stops repeating once ``budget`` s is spent.

    The minimum, not the mean: other processes only ever add time (as in ``timeit``).
    """
    best, spent = math.inf, 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent > budget:
            break
    return best


@dataclass
class ChainRuleCost:
    """Counts and times of the chain-rule gradient and of the DP gradient, per horizon.

    n_states, n_actions, n_params   S, A and d = S·A (a tabular softmax policy)
    horizons            (H,) int   the horizons T
    n_terms             list of H exact ints, T·(S·A)^T
    n_multiplications   list of H exact ints, T·(S·A)^T·(2T−1+d)
    measured            (H,) bool  the enumeration was run (and timed) at this T
    enumeration_seconds (H,)       its measured time; NaN where not measured
    dp_seconds          (H,)       measured time of ``exact_gradient`` (always run)
    seconds_per_multiplication     c: time / n_multiplications of the largest
                                   measured case (the closest to the extrapolated ones)
    overhead_seconds               t₀: the fastest measured enumeration (fixed cost
                                   of a call, which dominates at small T)
    max_abs_difference  (H,)       max |chain rule − DP| where measured (NaN elsewhere)
    """

    n_states: int
    n_actions: int
    n_params: int
    horizons: np.ndarray
    n_terms: list
    n_multiplications: list
    measured: np.ndarray
    enumeration_seconds: np.ndarray
    dp_seconds: np.ndarray
    seconds_per_multiplication: float
    overhead_seconds: float
    max_abs_difference: np.ndarray = field(repr=False)

    @property
    def log10_enumeration_seconds(self) -> np.ndarray:
        """log10 of the time: measured where ``measured``, else c · n_multiplications."""
        out = self.log10_extrapolated_seconds.copy()
        out[self.measured] = np.log10(self.enumeration_seconds[self.measured])
        return out

    @property
    def log10_extrapolated_seconds(self) -> np.ndarray:
        """log10(t₀ + c · n_multiplications) at every horizon (the model line)."""
        return np.array([self.log10_model_seconds(int(T)) for T in self.horizons])

    def log10_model_seconds(self, horizon: int) -> float:
        """log10(t₀ + c · n_multiplications(S, A, T, d)), for any T (exact ints, no overflow)."""
        m = n_multiplications(self.n_states, self.n_actions, horizon, self.n_params)
        c, t0 = self.seconds_per_multiplication, self.overhead_seconds
        big = math.log10(c) + math.log10(m)
        return big + math.log10(1 + t0 / 10 ** big) if big < 300 else big

    def index(self, horizon: int) -> int:
        """Position of ``horizon`` in ``horizons``."""
        hits = np.flatnonzero(self.horizons == horizon)
        if hits.size == 0:
            raise ValueError(f"horizon: expected one of {self.horizons.tolist()}, got {horizon}")
        return int(hits[0])


_CACHE: dict = {}


def measure_chain_rule_cost(n_states: int, n_actions: int, horizons: Sequence[int],
                            max_multiplications: float = 1.2e7, seed: int = 0) -> ChainRuleCost:
    """Time the chain-rule gradient (where affordable) and the DP gradient at each horizon.

    For each T: a ``random_mdp(S, A, T, default_rng(seed))`` (dense p0 and P, so
    every one of the (S·A)^T trajectories is possible), the uniform-ish policy
    θ = 0.1·N(0, 1) from ``default_rng(seed + 1)``, and the best of up to 3 runs
    of each method. The enumeration runs only when n_multiplications ≤
    ``max_multiplications`` (about 0.2 s here at 1.2·10^7). Results are cached
    per arguments, so a chapter and its widget measure once.
    """
    S = check_int("n_states", n_states, minimum=1)
    A = check_int("n_actions", n_actions, minimum=1)
    horizons = np.array([check_int("horizons", T, minimum=1) for T in horizons])
    key = (S, A, tuple(horizons.tolist()), float(max_multiplications), seed)
    if key in _CACHE:
        return _CACHE[key]
    policy = TabularSoftmax(S, A)
    d = policy.n_params
    theta = 0.1 * np.random.default_rng(seed + 1).standard_normal(d)
    H = len(horizons)
    terms = [n_terms(S, A, int(T)) for T in horizons]
    mults = [n_multiplications(S, A, int(T), d) for T in horizons]
    measured = np.array([m <= max_multiplications for m in mults])
    enum_s, dp_s, diff = np.full(H, np.nan), np.zeros(H), np.full(H, np.nan)
    for h, T in enumerate(horizons):
        mdp = random_mdp(S, A, int(T), np.random.default_rng(seed))
        dp_s[h] = _best_time(lambda: exact_gradient(mdp, policy, theta))
        if measured[h]:
            enum_s[h] = _best_time(lambda: chain_rule_gradient(mdp, policy, theta))
            result = chain_rule_gradient(mdp, policy, theta)
            if result.n_terms != terms[h] or result.n_multiplications != mults[h]:
                raise AssertionError(f"count formula disagrees with chain_rule_gradient at T={T}")
            diff[h] = np.abs(result.gradient - exact_gradient(mdp, policy, theta)).max()
    if not measured.any():
        raise ValueError(f"max_multiplications: {max_multiplications:g} is below the cost of "
                         f"the smallest horizon ({mults[0]:,} multiplications); nothing to time")
    largest = max(np.flatnonzero(measured), key=lambda h: mults[h])
    c = float(enum_s[largest] / mults[largest])
    t0 = float(np.nanmin(enum_s))
    cost = ChainRuleCost(S, A, d, horizons, terms, mults, measured, enum_s, dp_s, c, t0, diff)
    _CACHE[key] = cost
    return cost


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(y, _pos=None) -> str:
    """Tick label 10ᵏ in Unicode superscripts (mathtext would triple the drawing time)."""
    return "10" + str(int(round(y))).translate(_SUPERSCRIPT)


def _duration(log10_s: float) -> str:
    """A time given as log10 seconds, in words: '0.12 ms', '3.4 hours', '10¹⁸ years'."""
    s = 10.0 ** min(log10_s, 300.0)
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    for unit, size in (("s", 1.0), ("minutes", 60.0), ("hours", 3600.0), ("days", 86400.0)):
        if s < 60 * size or unit == "days" and s < SECONDS["1 year"]:
            return f"{s / size:.3g} {unit}"
    years = log10_s - math.log10(SECONDS["1 year"])
    if years < 6:
        return f"{10 ** years:.3g} years"
    return "10" + f"{years:.0f}".translate(_SUPERSCRIPT) + " years"


def draw_chain_rule_cost(cost: ChainRuleCost, horizon: int | None = None,
                         max_horizon: int | None = None, ax=None):
    """Time against T, log scale: measured enumeration (dots), its model line, DP (squares).

    The model line is t₀ + c · n_multiplications(T), through the largest
    measurement (see :class:`ChainRuleCost`); past the last measured T it is an
    extrapolation (dashed). The DP's time at the last horizon shown is written
    next to its last square. With ``horizon``, that T is marked and its numbers
    are written in the title. Returns the figure.
    """
    if ax is None:
        fig, ax = new_figure(6.0, 3.6)
    else:
        fig = ax.figure
    T = cost.horizons
    max_horizon = max_horizon or int(T.max())
    shown = T <= max_horizon
    line = cost.log10_extrapolated_seconds
    m = cost.measured & shown
    last = T[cost.measured].max()
    fine = np.arange(1, max_horizon + 1)
    model = np.array([cost.log10_model_seconds(int(t)) for t in fine])
    ax.plot(fine[fine <= last], model[fine <= last], "-", color="C3", lw=1.2,
            label="model t₀ + c·n_mult")
    ax.plot(fine[fine >= last], model[fine >= last], "--", color="C3", lw=1.2,
            label="model, extrapolated")
    ax.plot(T[m], np.log10(cost.enumeration_seconds[m]), "o", color="C3",
            label="chain rule, measured")
    dp = np.log10(cost.dp_seconds[shown])
    ax.plot(T[shown], dp, "s-", color="C0", ms=4, lw=1, label="DP, measured")
    if horizon is None:  # no title to read it from: write the DP's last time
        ax.annotate(f"DP: {_duration(dp[-1])}", (T[shown][-1], dp[-1]),
                    xytext=(0, 6), textcoords="offset points", ha="right",
                    va="bottom", fontsize=SMALL, color="C0")
    top = max(model.max(), 1.0)
    for name, seconds in SECONDS.items():
        y = math.log10(seconds)
        # on a huge range (T in the hundreds) only the last line is readable
        if y < top + 1 and (top < 60 or name == "age of the universe"):
            ax.axhline(y, color="0.75", lw=0.8, zorder=0)
            ax.text(max_horizon + 0.3, y, name, fontsize=SMALL, color="0.4", va="bottom", ha="right")
    title = f"|S| = {cost.n_states}, |A| = {cost.n_actions}"
    if horizon is not None:
        h = cost.index(horizon)
        y = cost.log10_enumeration_seconds[h]
        # clip_on=False: the ring is never cut by the frame (see the x margin below)
        ax.plot([horizon], [y], "o", ms=11, mfc="none", mec="black", mew=1.5, clip_on=False)
        ax.axvline(horizon, color="black", lw=0.6, zorder=0)
        how = "measured" if cost.measured[h] else "extrapolated"
        title += (f", T = {horizon}: {_sci(cost.n_terms[h])} terms\n"
                  f"chain rule {_duration(y)} ({how});  "
                  f"DP {_duration(math.log10(cost.dp_seconds[h]))} (measured)")
    # y=1.0: at the top of the panel; left to itself, matplotlib looks for ticks above the
    # panel on every draw (there are none), a fifth of a widget's redraw
    ax.set_title(title, fontsize=10, y=1.0)
    ax.set_xlabel("horizon T")
    ax.set_ylabel("seconds (log scale)")
    # a right margin in proportion to the range, so a mark at T = max_horizon
    # stays inside the frame (half a step at T = 12, 15 steps at T = 500)
    ax.set_xlim(0.5, max_horizon + max(0.5, 0.03 * max_horizon))
    # room below the lowest point (the DP), so its squares sit clear of the bottom
    floor = math.floor(min(dp.min(), model.min()))
    low = floor - max(0.5, 0.05 * (top - floor))
    ax.set_ylim(low, top + 0.1 * (top - low) + 0.5)
    from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator, NullLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    if top - low < 80:  # a minor tick at every power of ten, where they stay apart
        ax.yaxis.set_minor_locator(MultipleLocator(1))
    else:  # (said, for an axes drawn into again)
        ax.yaxis.set_minor_locator(NullLocator())
    ax.legend(loc="upper left")
    return fig


def _sci(n: int) -> str:
    """An exact int in short form: 5,120 or 6.3e+31 (works past float range)."""
    if n < 10**6:
        return f"{n:,}"
    e = len(str(n)) - 1
    return f"{int(str(n)[:2]) / 10:.1f}·10" + str(e).translate(_SUPERSCRIPT)


# The widget's grid: (S, A) pairs and horizons.
PAIRS = ((2, 2), (3, 3), (4, 4))
HORIZONS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 20, 50, 500)


class ChainRuleCostWidget:
    """A toggle for (|S|, |A|) and a slider for T over :func:`draw_chain_rule_cost`.

    Times are measured once, at construction, for every pair (cached by
    :func:`measure_chain_rule_cost`); moving a control only redraws. ``costs``
    maps (S, A) to its :class:`ChainRuleCost`; ``last`` holds the numbers of the
    figure drawn last (S, A, T, n_terms, log10 seconds, measured or not).
    """

    def __init__(self, pairs=PAIRS, horizons=HORIZONS, max_multiplications: float = 1.2e7,
                 initial: tuple[int, int] = (0, 7), precompute: bool | None = None,
                 dpi: int = 90):
        self.pairs = [tuple(p) for p in pairs]
        self.horizons = list(horizons)
        self.costs = {p: measure_chain_rule_cost(*p, self.horizons, max_multiplications)
                      for p in self.pairs}
        self.last: dict = {}
        # one figure for every state (see _laid_out_figure)
        self._figure = None
        labels = [f"|S|={S}, |A|={A}" for S, A in self.pairs]
        self._pair_of = dict(zip(labels, self.pairs))
        self.grid = FigureGrid(labels, self.horizons, self._draw, outer_label="states, actions",
                               inner_label="horizon T", initial=initial,
                               precompute=precompute, dpi=dpi)
        self.widget = self.grid.widget
        self.outer_control, self.inner_control = self.grid.outer_control, self.grid.inner_control
        self.images = self.grid.images

    def _draw(self, label, horizon):
        pair = self._pair_of[label]
        cost = self.costs[pair]
        h = cost.index(horizon)
        self.last = dict(n_states=pair[0], n_actions=pair[1], horizon=int(horizon),
                         n_terms=cost.n_terms[h],
                         log10_seconds=float(cost.log10_enumeration_seconds[h]),
                         measured=bool(cost.measured[h]),
                         dp_seconds=float(cost.dp_seconds[h]))
        if self._figure is None:
            self._figure = self._laid_out_figure()
        ax = self._figure.axes[0]
        # take the last state's marks off, but keep the axes: ax.clear() would also throw
        # away every tick, and making them again took a third of a redraw
        for artist in [*ax.lines, *ax.texts, *ax.collections, *ax.patches]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        fig = draw_chain_rule_cost(cost, horizon, max_horizon=max(12, int(horizon)), ax=ax)
        how = "measured" if cost.measured[h] else "extrapolated from the count"
        y = cost.log10_enumeration_seconds[h]
        alt = (f"Seconds against the horizon T, log scale, for |S| = {pair[0]}, "
               f"|A| = {pair[1]}. At T = {horizon}: {_sci(cost.n_terms[h])} terms; "
               f"the chain rule takes {_duration(y)} ({how}), the DP "
               f"{_duration(math.log10(cost.dp_seconds[h]))} (measured).")
        return fig, alt

    def _laid_out_figure(self):
        """The one figure every state is drawn into, its layout solved once and then kept.

        Solving the constrained layout took half of each redraw. It is solved
        for the state with the widest labels (the largest |S|, |A| and T: the
        most digits on the time axis), so every other state fits the same
        margins. The figure, its canvas and the canvas's cache of parsed labels
        then live from one frame to the next.
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.0, 3.6), layout="constrained")
        widest = self.costs[self.pairs[-1]]
        draw_chain_rule_cost(widest, self.horizons[-1], max_horizon=max(12, self.horizons[-1]),
                             ax=fig.add_subplot())
        fig.draw_without_rendering()  # solve the layout once ...
        fig.set_layout_engine("none")  # ... and keep it
        return fig

    def render(self, i: int, j: int) -> None:
        """Draw the figure for pair i and horizon j (what a control change does in a kernel)."""
        self.grid.render(i, j)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def chain_rule_cost(pairs=PAIRS, horizons=HORIZONS, **kw) -> ChainRuleCostWidget:
    """Widget 2: the chain rule's terms and time against T, next to the DP (see module doc)."""
    return ChainRuleCostWidget(pairs, horizons, **kw)
