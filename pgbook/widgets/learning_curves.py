"""Widget 5, learning curves (chapters 4–5): REINFORCE with each estimator, side by side.

Controls: the learning rate α and the batch size N (episodes per iteration),
and, in a live kernel, the estimator. Two parts:

* **the comparison grid** (static book and Jupyter alike): for each (α, N) on a
  small grid, one figure overlaying the learning curves of every estimator,
  trained from θ_0 = 0 with one fixed seed. It is a
  :class:`~pgbook.widgets.core.FigureGrid`: all figures are drawn when the book
  is built, lazily in a live kernel.
* **the live panel** (Jupyter only): pick an estimator and press *Run*. The
  curve is drawn as training runs, redrawn after every iteration (from
  ``reinforce``'s per-iteration callback), *Stop* ends the run at the next
  iteration, and every run stays in the figure, overlaid, until *Clear*.
  Training runs in a background thread, so the notebook stays usable.

Two kinds of environment:

* a gymnasium id such as ``"CartPole-v1"``: :func:`pgbook.train.reinforce` with
  a linear softmax policy and Adam(α); the curve is the mean return of each
  batch against the environment steps used so far, up to ``budget`` steps.
  No oracle: the only baseline is the leave-one-out *batch baseline*
  (``"reward-to-go, batch baseline"``), an estimate of
  E[G_t | the episode is still running at step t];
* a :class:`pgbook.mdp.TabularMDP` (e.g. ``pgbook.envs.gridworld()``):
  :func:`pgbook.variance_reduction.tabular_reinforce` with a tabular softmax
  and plain gradient ascent θ ← θ + α ĝ; the curve is the *exact* J(θ_k) after
  each of ``budget`` iterations.

Every run is cached in this module by (environment, estimator, α, N, seed,
budget): the grid, the chapter's figures and a live *Run* with the same settings
share one computation, and give the same numbers (the seed fixes the run).

    w = learning_curves("CartPole-v1")
    w                         # display it
    w.run("reward-to-go")     # train once, drawing each iteration (blocks)
    w.start(); w.stop()       # the same in a background thread, and stop it
    w.runs, w.n_draws         # what the live figure shows, and how often it was redrawn
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .. import estimators
from ..mdp import TabularMDP
from ..plots import ESTIMATOR_COLORS
from .core import FigureGrid, make_control, static_build

__all__ = [
    "CARTPOLE_ESTIMATORS",
    "TABULAR_ESTIMATORS",
    "Run",
    "train",
    "draw_comparison",
    "LiveFigure",
    "LearningCurves",
    "learning_curves",
]

#: What REINFORCE can use on a gymnasium env (no oracle there). The *batch
#: baseline* of episode i at step t is the mean reward-to-go G_t of the *other*
#: episodes of the batch still running at step t (leave-one-out,
#: ``pgbook.train.baseline_values``). It estimates E[G_t | the episode is still
#: running at step t], not the time baseline E[G_t] of a tabular MDP
#: ("reward-to-go, time baseline", exact from the oracle), which also counts
#: episodes that ended before t with G_t = 0; the two agree when every episode
#: runs all T steps.
CARTPOLE_ESTIMATORS = ("total return", "reward-to-go", "reward-to-go, batch baseline")
#: Old names still accepted on a gymnasium env (scripts written before the rename).
_GYM_ALIASES = {"reward-to-go, time baseline": "reward-to-go, batch baseline"}
#: The estimators shown by default on a tabular MDP. There the oracle supplies
#: Q_t, V_t and b_t exactly, so every name of
#: ``pgbook.variance_reduction.ESTIMATORS`` works.
TABULAR_ESTIMATORS = ("total return", "reward-to-go", "reward-to-go, state-value baseline",
                      "exact Q", "exact advantage")

COLORS = {**ESTIMATOR_COLORS, "exact advantage": "C6",
          "reward-to-go, batch baseline": "C8"}
_CACHE: dict = {}


@dataclass
class Run:
    """One REINFORCE run and its learning curve.

    x: env steps so far (gymnasium) or the iteration k = 0..M (tabular)
    y: the batch mean return (gymnasium) or the exact J(θ_k) (tabular)
    """

    estimator: str
    lr: float
    batch: int
    seed: int
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stopped: bool = False
    tabular: bool = False

    @property
    def iterations(self) -> int:
        """How many iterations (steps of θ) the curve holds (a tabular y also holds J(θ_0))."""
        return max(len(self.y) - (1 if self.tabular else 0), 0)

    @property
    def label(self) -> str:
        """The run's settings in a few words, for legends and the status line."""
        return f"{self.estimator}, α={self.lr:g}, N={self.batch}, seed {self.seed}"


# ----------------------------------------------------------------- training
def _env_key(env):
    if isinstance(env, str):
        return env
    if isinstance(env, TabularMDP):
        digest = hashlib.sha1()
        for array in (env.p0, env.P, env.R):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(f"{env.horizon},{env.gamma}".encode())
        return ("tabular", env.name, digest.hexdigest())
    raise TypeError(f"env: expected a gymnasium env id or a pgbook TabularMDP, got {type(env).__name__}")


def _default_budget(env) -> int:
    return 60 if isinstance(env, TabularMDP) else 40_000


def _estimator_names(env) -> tuple:
    """The estimators shown by default for this kind of environment."""
    return TABULAR_ESTIMATORS if isinstance(env, TabularMDP) else CARTPOLE_ESTIMATORS


def _allowed(env) -> tuple:
    """Every estimator a run on this environment can use."""
    from ..variance_reduction import ESTIMATORS

    return ESTIMATORS if isinstance(env, TabularMDP) else CARTPOLE_ESTIMATORS


def _canonical(env, estimator: str) -> str:
    """The estimator's current name (old gymnasium names are mapped to new ones)."""
    return estimator if isinstance(env, TabularMDP) else _GYM_ALIASES.get(estimator, estimator)


def train(env, estimator: str, lr: float, batch: int, seed: int = 0, budget: int | None = None,
          callback=None) -> Run:
    """Train from θ_0 = 0 with ``estimator``, step size ``lr`` and ``batch`` episodes per iteration.

    gymnasium id: Adam(lr), a linear softmax over the observation, stops once
      ``budget`` env steps (default 40,000) have been used; x = env steps.
    TabularMDP: θ ← θ + lr·ĝ, tabular softmax, ``budget`` iterations (default
      60); x = iteration, y = exact J(θ_k) including θ_0.
    The run's rng is ``np.random.default_rng(seed)``. ``callback(run)`` is called
    after every iteration with the run so far; returning False stops it there.
    Runs without a callback are cached by their settings.
    """
    budget = _default_budget(env) if budget is None else int(budget)
    estimator = _canonical(env, estimator)
    key = (_env_key(env), estimator, float(lr), int(batch), int(seed), budget)
    if key in _CACHE:
        run = _CACHE[key]
        if callback is not None:
            callback(run)
        return run
    if estimator not in _allowed(env):
        raise ValueError(f"estimator: expected one of {_allowed(env)}, got {estimator!r}")
    run = Run(estimator, float(lr), int(batch), int(seed), tabular=isinstance(env, TabularMDP))
    rng = np.random.default_rng(int(seed))
    if isinstance(env, TabularMDP):
        _train_tabular(env, run, budget, rng, callback)
    else:
        _train_gym(env, run, budget, rng, callback)
    if not run.stopped:
        _CACHE[key] = run
    return run


def _train_gym(env_id: str, run: Run, budget: int, rng, callback) -> None:
    import gymnasium as gym

    from ..optim import Adam
    from ..policies import LinearSoftmax
    from ..train import reinforce

    probe = gym.make(env_id)
    policy = LinearSoftmax.from_space(probe.observation_space, probe.action_space)
    probe.close()
    if run.estimator == "total return":
        est, baseline = estimators.total_return_estimator, "none"
    else:
        est = estimators.reward_to_go_estimator
        baseline = "mean" if "baseline" in run.estimator else "none"

    def each(curve):
        run.x, run.y = curve.env_steps.copy(), curve.mean_return.copy()
        if callback is not None and callback(run) is False:
            run.stopped = True
            return False
        return bool(curve.env_steps[-1] < budget)

    reinforce(env_id, policy, policy.init_theta(), iterations=10**6, rng=rng,
              batch_episodes=run.batch, num_envs=min(16, run.batch), optimizer=Adam(run.lr),
              estimator=est, baseline=baseline, callback=each, progress=False)


def _train_tabular(mdp: TabularMDP, run: Run, budget: int, rng, callback) -> None:
    from ..exact import objective
    from ..policies import TabularSoftmax
    from ..variance_reduction import tabular_reinforce

    policy = TabularSoftmax(mdp.n_states, mdp.n_actions)

    def each(curve):
        run.y = curve.objective.copy()
        run.x = np.arange(len(run.y))
        if callback is not None and callback(run) is False:
            run.stopped = True
            return False
        return True

    theta0 = policy.init_theta()
    run.y, run.x = np.array([objective(mdp, policy, theta0)]), np.zeros(1)
    tabular_reinforce(mdp, policy, theta0, run.estimator, lr=run.lr, n_episodes=run.batch,
                      iterations=budget, rng=rng, callback=each)


# ------------------------------------------------------------------ drawing
def _axes_labels(ax, tabular: bool) -> None:
    if tabular:
        ax.set(xlabel="iteration k", ylabel=r"exact $J(\theta_k)$")
    else:
        ax.set(xlabel="environment steps", ylabel="mean return of the batch")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x / 1000:g}k"))


def draw_comparison(env, lr: float, batch: int, estimators_=None, seeds=(0,), budget=None,
                    figsize=(5.6, 3.2)) -> Figure:
    """One figure: every estimator's learning curve at (lr, batch), one line per seed.

    Uses (and fills) the run cache. Returns a matplotlib Figure (not pyplot's:
    it is safe to draw from a background thread and needs no closing).
    """
    tabular = isinstance(env, TabularMDP)
    names = _estimator_names(env) if estimators_ is None else estimators_
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for name in names:
        for k, seed in enumerate(seeds):
            run = train(env, name, lr, batch, seed, budget)
            ax.plot(run.x, run.y, color=COLORS[name], linewidth=1.4, alpha=0.9,
                    label=name if k == 0 else None)
    _axes_labels(ax, tabular)
    optimizer = "gradient ascent" if tabular else "Adam"
    ax.set_title(f"{optimizer}, α = {lr:g}, N = {batch} episodes per batch", fontsize=10)
    ax.legend(loc="best")
    return fig


def _return_range(env) -> tuple[float, float]:
    """Fixed y limits for the live figure: the range a return (or J) can take.

    Tabular: T·min(r, 0) to T·max(r, 0). gymnasium: 0 to the env's step limit,
    which is the largest return when every step pays at most 1 (CartPole).
    """
    if isinstance(env, TabularMDP):
        lo, hi = env.horizon * min(env.R.min(), 0.0), env.horizon * max(env.R.max(), 0.0)
    else:
        import gymnasium as gym

        spec = gym.spec(env)
        hi = float(spec.max_episode_steps or 500)  # CartPole: one reward per step, 500 steps
        lo = 0.0
    pad = 0.03 * (hi - lo or 1.0)
    return lo - pad, hi + pad


class LiveFigure:
    """The live panel's figure: one persistent matplotlib Figure, one line per run.

    Redrawn after every training iteration, so it is built for speed: the
    constrained layout is computed once, with the y range fixed to the range
    returns can take (``_return_range``) so no label ever changes width,
    then frozen; an update only moves line data, rescales x, and saves a PNG.
    """

    def __init__(self, env, figsize=(5.6, 3.2), dpi: int = 80):
        self.tabular = isinstance(env, TabularMDP)
        self.dpi = dpi
        self.fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_subplot()
        _axes_labels(self.ax, self.tabular)
        self.ax.set_ylim(*_return_range(env))
        self.ax.set_xlim(0, 1)
        self.ax.set_title("your runs (live)", fontsize=10)
        self.fig.canvas.draw()               # lay out once ...
        self.fig.set_layout_engine("none")   # ... and keep that layout
        self.lines: list = []

    def update(self, runs) -> bytes:
        """Show ``runs`` (one line each, in order), and return the figure as PNG bytes."""
        styles = ["-", "--", ":", "-."]
        changed = len(self.lines) != len(runs)
        while len(self.lines) > len(runs):
            self.lines.pop().remove()
        for i, run in enumerate(runs):
            if i == len(self.lines):
                seen = sum(r.estimator == run.estimator for r in runs[:i])
                (line,) = self.ax.plot([], [], color=COLORS[run.estimator], linewidth=1.4,
                                       linestyle=styles[seen % len(styles)], label=run.label)
                self.lines.append(line)
            self.lines[i].set_data(run.x, run.y)
        right = max([r.x[-1] for r in runs if len(r.x)] + [1])
        self.ax.set_xlim(0, right * 1.02)
        if changed:
            legend = self.ax.get_legend()
            if legend is not None:
                legend.remove()
            if runs:
                self.ax.legend(loc="upper left")
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=self.dpi, metadata={"Software": None})
        return buffer.getvalue()


# ------------------------------------------------------------------- widget
def _panel_item(name: str, doc: str) -> property:
    """A read-only attribute that builds the live panel on first use and returns its ``name``."""
    return property(lambda self: self._live_panel()[name], doc=doc)


class LearningCurves:
    """Widget 5. ``grid`` compares the estimators over (α, N); ``live`` trains while you watch.

    env:            a gymnasium id ("CartPole-v1") or a TabularMDP
    learning_rates: the α grid (outer control); default (0.01, 0.1, 1.0) for
                    Adam on a gymnasium env, (0.3, 1.0) for ascent on a tabular MDP
    batch_sizes:    the N grid (inner control), episodes per iteration
    estimators:     names from CARTPOLE_ESTIMATORS or TABULAR_ESTIMATORS
    budget:         env steps (gymnasium) or iterations (tabular) per run
    precompute:     draw the whole grid now (default: only while building the book)
    live:           show the live panel (default: not while building the book)

    Attributes for tests: ``grid`` (a FigureGrid), ``last_drawn`` ((α, N) and the
    runs of the grid figure drawn last), ``estimator_control``, ``run_button``,
    ``stop_button``, ``clear_button``, ``live_image``, ``runs`` (the live runs
    overlaid), ``n_draws`` (live redraws so far), ``running``.

    The live panel's widgets are made when the panel is shown, or when one of
    them is first used. A static page therefore holds only what it shows: no
    empty image, no buttons that could not work without a kernel.
    """

    def __init__(self, env="CartPole-v1", learning_rates=None, batch_sizes=None, estimators=None,
                 budget=None, precompute=None, live=None, initial=(1, 1)):
        self.env = env
        self.tabular = isinstance(env, TabularMDP)
        _env_key(env)  # checks the type
        self.learning_rates = list(learning_rates or ((0.3, 1.0) if self.tabular else (0.01, 0.1, 1.0)))
        self.batch_sizes = list(batch_sizes or ((2, 8) if self.tabular else (5, 20)))
        names = estimators or _estimator_names(env)
        self.estimators = tuple(_canonical(env, name) for name in names)
        for name in self.estimators:
            if name not in _allowed(env):
                raise ValueError(f"estimators: {name!r} is not one of {_allowed(env)}")
        self.budget = _default_budget(env) if budget is None else int(budget)
        self.last_drawn = None
        initial = (min(initial[0], len(self.learning_rates) - 1), min(initial[1], len(self.batch_sizes) - 1))
        self.grid = FigureGrid(self.learning_rates, self.batch_sizes, self._draw_cell,
                               outer_label="learning rate α", inner_label="batch size N (episodes)",
                               outer_kind="toggle", inner_kind="toggle", initial=initial,
                               precompute=precompute)

        # the live panel: estimator, Run / Stop / Clear, and the figure of the runs
        self.runs: list[Run] = []
        self.n_draws = 0
        self._figure = None  # the LiveFigure, made on the first redraw
        self._stop = threading.Event()
        self._thread = None
        self._panel: dict | None = None  # the live panel's widgets, made by _live_panel
        show_live = (not static_build()) if live is None else live
        self.widget = widgets.VBox([self.grid.widget] + ([self.live] if show_live else []))

    def _live_panel(self) -> dict:
        """The live panel's widgets by name, made on first use (see the class docstring)."""
        if self._panel is None:
            run_button = widgets.Button(description="Run", icon="play", button_style="success")
            stop_button = widgets.Button(description="Stop", icon="stop", button_style="danger",
                                         disabled=True)
            clear_button = widgets.Button(description="Clear", icon="trash")
            run_button.on_click(lambda _b: self.start())
            stop_button.on_click(lambda _b: self.stop())
            clear_button.on_click(lambda _b: self.clear())
            panel = {
                "estimator_control": make_control(list(self.estimators), "estimator", 0, "toggle"),
                "run_button": run_button, "stop_button": stop_button, "clear_button": clear_button,
                "status": widgets.Label("Choose α and N above, an estimator here, then Run."),
                "live_image": widgets.Image(format="png"),
            }
            panel["live"] = widgets.VBox([
                widgets.HTML("<b>Train your own</b> (runs in this kernel; each run stays in the figure)"),
                panel["estimator_control"],
                widgets.HBox([run_button, stop_button, clear_button]),
                panel["status"], panel["live_image"],
            ])
            self._panel = panel
        return self._panel

    live = _panel_item("live", "The live panel, a VBox of the widgets below.")
    estimator_control = _panel_item("estimator_control", "The live panel's choice of estimator.")
    run_button = _panel_item("run_button", "The button that starts a run in the background.")
    stop_button = _panel_item("stop_button", "The button that stops the run after its current iteration.")
    clear_button = _panel_item("clear_button", "The button that forgets the live runs.")
    status = _panel_item("status", "The live panel's status line.")
    live_image = _panel_item("live_image", "The live figure, a PNG redrawn after every iteration.")

    # -- the grid
    def _draw_cell(self, lr, batch) -> tuple[Figure, str]:
        """The grid's figure at (α, N), and its text alternative from the same runs."""
        fig = draw_comparison(self.env, lr, batch, self.estimators, budget=self.budget)
        runs = [train(self.env, name, lr, batch, 0, self.budget) for name in self.estimators]
        self.last_drawn = ((lr, batch), runs)
        if self.tabular:
            where = f"exact J(θ) after {runs[0].iterations} iterations of gradient ascent"
        else:
            where = f"mean return of the last batch, after {self.budget:,} steps with Adam"
        ends = "; ".join(f"{run.estimator} {run.y[-1]:.1f}" for run in runs)
        alt = (f"Learning curves of {len(runs)} estimators at α = {lr:g}, N = {batch} "
               f"episodes per batch, seed 0. {where[0].upper() + where[1:]}: {ends}.")
        return fig, alt

    # -- the live panel
    @property
    def lr(self) -> float:
        """The α chosen on the grid's control."""
        return self.learning_rates[self.grid.outer_control.index]

    @property
    def batch(self) -> int:
        """The N chosen on the grid's control."""
        return self.batch_sizes[self.grid.inner_control.index]

    @property
    def running(self) -> bool:
        """True while a run started by :meth:`start` is training."""
        return self._thread is not None and self._thread.is_alive()

    def redraw(self) -> None:
        """Draw every run so far into the live image."""
        if self._figure is None:
            self._figure = LiveFigure(self.env)
        self.live_image.value = self._figure.update(self.runs)
        self.n_draws += 1

    def run(self, estimator=None, lr=None, batch=None, seed=None, budget=None) -> Run:
        """Train one run here (blocking), redrawing the live figure after every iteration.

        Defaults: the estimator, α and N chosen on the controls; the seed is the
        number of earlier runs with the same settings (so repeating a run shows
        another sample of its randomness); the widget's budget. The run is
        trained step by step (not taken from the cache), so the figure grows
        as it runs; *Stop* (or :meth:`stop`) ends it after the current iteration.
        """
        shown, budget = self._prepare(estimator, lr, batch, seed, budget)
        return self._train(shown, budget)

    def start(self, estimator=None, lr=None, batch=None, seed=None, budget=None) -> None:
        """:meth:`run` in a background thread (what the Run button does); ignored while one runs.

        The run is set up (its settings read from the controls, and added to
        ``runs``) before this returns, so a :meth:`stop` right after it stops it.
        """
        if self.running:
            return
        shown, budget = self._prepare(estimator, lr, batch, seed, budget)
        self._thread = threading.Thread(target=self._train, args=(shown, budget), daemon=True)
        self._thread.start()

    def _prepare(self, estimator, lr, batch, seed, budget):
        estimator = self.estimators[self.estimator_control.index] if estimator is None else estimator
        estimator = _canonical(self.env, estimator)
        if estimator not in _allowed(self.env):
            raise ValueError(f"estimator: expected one of {_allowed(self.env)}, got {estimator!r}")
        lr = float(self.lr if lr is None else lr)
        batch = int(self.batch if batch is None else batch)
        if seed is None:
            seed = sum((r.estimator, r.lr, r.batch) == (estimator, lr, batch) for r in self.runs)
        budget = self.budget if budget is None else int(budget)
        self._stop.clear()
        shown = Run(estimator, lr, batch, int(seed), tabular=self.tabular)
        self.runs.append(shown)
        self._set_running(True, f"training: {shown.label}")
        return shown, budget

    def _train(self, shown: Run, budget: int) -> Run:
        def each(run):
            shown.x, shown.y = run.x, run.y
            self.redraw()
            what = "J" if self.tabular else "mean return"
            self.status.value = (f"training: {shown.label}: iteration {shown.iterations}, "
                                 f"last {what} {shown.y[-1]:.1f}")
            return not self._stop.is_set()

        try:
            key = (_env_key(self.env), shown.estimator, shown.lr, shown.batch, shown.seed, budget)
            _CACHE.pop(key, None)  # train step by step, so the figure grows as it runs
            done = train(self.env, shown.estimator, shown.lr, shown.batch, shown.seed, budget,
                         callback=each)
            shown.x, shown.y, shown.stopped = done.x, done.y, done.stopped
        finally:
            end = "stopped" if shown.stopped else "done"
            self._set_running(False, f"{end}: {shown.label}, {shown.iterations} iterations")
            self.redraw()
        return shown

    def stop(self) -> None:
        """Stop the current run after the iteration in progress (the Stop button)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for a run started by :meth:`start` to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def clear(self) -> None:
        """Forget the live runs (the Clear button); ignored while one runs."""
        if not self.running:
            self.runs = []
            self.redraw()

    def _set_running(self, running: bool, message: str) -> None:
        self.run_button.disabled = running
        self.clear_button.disabled = running
        self.stop_button.disabled = not running
        self.status.value = message

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def learning_curves(env="CartPole-v1", **kw) -> LearningCurves:
    """Widget 5 in one line: ``learning_curves("CartPole-v1")`` or ``learning_curves(gridworld())``."""
    return LearningCurves(env, **kw)
