"""Widget 4 (the variance explorer), against the exact oracle and in a live kernel.

Unit tests check every number the widget shows against an exact one: the mean
and covariance of each estimator's term by enumeration (which must match the
DP gradient), the measured spread of the N-sample estimates against Σ/N, and
the reshaping that forms those estimates. The live test runs the widget in a
real kernel (nbclient), moves its controls, and checks that the new state was
drawn from the numbers for the new N and estimator.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_in_kernel

from pgbook.envs import two_state_mdp
from pgbook.exact import exact_gradient
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax
from pgbook.widgets.variance import (ESTIMATOR_NAMES, estimator_spec, n_sample_estimates,
                                     variance_explorer)

MDP = two_state_mdp(horizon=4)
POLICY = TabularSoftmax(2, 2)
THETA = np.array([0.5, -0.5, -1.0, 1.0])
RAND = random_mdp(3, 2, 3, np.random.default_rng(4))
RAND_POLICY = TabularSoftmax(3, 2)
RAND_THETA = np.random.default_rng(1).normal(size=6)


@pytest.fixture(scope="module")
def explorer():
    """Every built-in estimator on the random MDP, nothing drawn yet."""
    return variance_explorer(RAND, RAND_POLICY, RAND_THETA, estimators=ESTIMATOR_NAMES,
                             n_values=(1, 10, 100), pool_size=40_000, precompute=False)


# ------------------------------------------------------------- the numbers
@pytest.mark.parametrize("name", ESTIMATOR_NAMES)
def test_every_builtin_estimator_is_unbiased_by_enumeration(explorer, name):
    assert np.allclose(explorer.moments[name].mean, exact_gradient(RAND, RAND_POLICY, RAND_THETA),
                       rtol=0, atol=1e-10)


def test_exact_q_has_the_smallest_variance_here(explorer):
    """Not a theorem for every MDP, but a sanity check on this one: Q beats the total return."""
    trace = {n: np.trace(m.covariance) for n, m in explorer.moments.items()}
    assert trace["exact Q"] < trace["reward-to-go"] < trace["total return"]


@pytest.mark.parametrize("name", ["total return", "reward-to-go, state-value baseline"])
def test_pool_terms_have_the_exact_mean_and_variance(explorer, name):
    terms, m = explorer.terms[name], explorer.moments[name]
    n = terms.shape[0]
    se_mean = terms.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(terms.mean(axis=0) - m.mean) <= 5 * se_mean)
    centred2 = (terms - terms.mean(axis=0)) ** 2
    se_var = centred2.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(terms.var(axis=0, ddof=1) - np.diag(m.covariance)) <= 5 * se_var)


def test_measured_variance_follows_sigma_over_n(explorer):
    k = explorer.coordinate
    for n in explorer.n_values:
        est = explorer.values("total return", n)
        exact = explorer.exact_variance("total return", n)
        assert np.isclose(exact, explorer.moments["total return"].covariance[k, k] / n)
        se_var = ((est - est.mean()) ** 2).std(ddof=1) / np.sqrt(est.size)
        assert abs(explorer.measured_variance("total return", n) - exact) <= 5 * se_var


def test_n_sample_estimates_reshape_without_reuse():
    terms = np.arange(23.0)[:, None] * np.array([1.0, -2.0])
    est = n_sample_estimates(terms, 5)
    assert est.shape == (4, 2)
    assert np.allclose(est[:, 0], [2.0, 7.0, 12.0, 17.0])       # means of 0..4, 5..9, ...
    assert np.allclose(est[:, 1], -2 * est[:, 0])
    assert np.allclose(n_sample_estimates(terms, 1), terms)
    with pytest.raises(ValueError, match="fewer than N"):
        n_sample_estimates(terms, 24)


def test_error_mode_expects_trace_over_n():
    w = variance_explorer(MDP, POLICY, THETA, coordinate="error", n_values=(1, 4, 16),
                          pool_size=20_000, precompute=False)
    cov = w.moments["total return"].covariance
    for n in w.n_values:
        assert np.isclose(w.exact_variance("total return", n), np.trace(cov) / n)
        sq = w.values("total return", n)
        assert abs(sq.mean() - np.trace(cov) / n) <= 5 * sq.std(ddof=1) / np.sqrt(sq.size)


def test_constant_and_time_baselines_are_the_documented_ones():
    from pgbook.exact import state_distributions, state_values

    expected_togo = (state_distributions(MDP, POLICY, THETA) * state_values(MDP, POLICY, THETA)).sum(1)
    spec = estimator_spec("reward-to-go, time baseline", MDP, POLICY, THETA)
    assert np.allclose(spec.kwargs["baseline"], expected_togo)
    spec = estimator_spec("reward-to-go, constant baseline", MDP, POLICY, THETA)
    assert np.isclose(spec.kwargs["baseline"], expected_togo.mean())
    assert estimator_spec("with a baseline", MDP, POLICY, THETA).name == \
        "reward-to-go, state-value baseline"


def test_custom_estimator_tuple_is_accepted():
    from pgbook.estimators import total_return_estimator

    w = variance_explorer(MDP, POLICY, THETA, estimators=[("mine", total_return_estimator, {})],
                          n_values=(1, 10), pool_size=1000, precompute=False)
    assert w.specs[0].name == "mine"
    assert np.allclose(w.moments["mine"].mean, exact_gradient(MDP, POLICY, THETA))


# ------------------------------------------------------------ the widget
def test_static_and_live_states_are_the_same_images():
    """Precomputed (book build) and drawn on demand in another order (live): same PNG bytes."""
    kw = dict(estimators=["total return", "exact Q"], n_values=(1, 10, 100), pool_size=5000)
    static = variance_explorer(MDP, POLICY, THETA, precompute=True, **kw)
    live = variance_explorer(MDP, POLICY, THETA, precompute=False, **kw)
    for i, j in [(1, 2), (0, 1), (1, 0), (0, 2)]:
        live.render(i, j)
    for i in range(2):
        for j in range(3):
            if live.figures.images[i][j].value:
                assert live.figures.images[i][j].value == static.figures.images[i][j].value


def test_only_the_first_state_is_drawn_live():
    w = variance_explorer(MDP, POLICY, THETA, n_values=(1, 10, 100), pool_size=5000,
                          precompute=False)
    drawn = [bool(img.value) for img in w.figures.images]
    assert drawn == [True, False, False]
    assert w.estimator_control is None and w.control is w.inner_control


def test_normal_curve_from_normal_from_on_and_bars_clear_the_frame():
    """No normal curve beside the few spikes of small N; a margin around the outer bars."""
    w = variance_explorer(MDP, POLICY, THETA, n_values=(1, 3, 10, 30), pool_size=3000,
                          precompute=False)
    assert w.normal_from == 10
    for n in w.n_values:
        fig, _alt = w.draw("total return", n)
        curve = w._artists["curve"].get_ydata()
        assert w.last["normal_curve"] == (n >= 10)
        assert np.all(np.isnan(curve)) == (n < 10)
        lo, hi = w.xlim(n)
        x0, x1 = fig.axes[0].get_xlim()
        assert x0 < lo and x1 > hi                    # the outermost bins stand inside
        assert lo <= w.values("total return", n).min() and w.values("total return", n).max() <= hi
    w = variance_explorer(MDP, POLICY, THETA, n_values=(1, 3), pool_size=300, normal_from=1,
                          precompute=False)
    w.draw("total return", 1)
    assert w.last["normal_curve"] and not np.any(np.isnan(w._artists["curve"].get_ydata()))


def test_histogram_has_a_labelled_density_axis_inside_the_figure():
    """The y-axis says what the bars are (a density: area 1), in every state, and its tick
    labels fit in the figure, whose layout is solved once for all states."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    w = variance_explorer(MDP, POLICY, THETA, estimators=["total return", "exact Q"],
                          n_values=(1, 10, 1000), pool_size=20_000, precompute=False)
    for name in ("total return", "exact Q"):
        for n in w.n_values:
            fig, _alt = w.draw(name, n)
            ax = fig.axes[0]
            assert ax.get_ylabel() == "density"
            canvas = FigureCanvasAgg(fig)      # as savefig draws it
            canvas.draw()
            renderer = canvas.get_renderer()
            labels = [t for t in ax.get_yticklabels() if t.get_text()]
            assert len(labels) >= 2
            width = fig.bbox.width
            for artist in labels + [ax.yaxis.label]:
                box = artist.get_window_extent(renderer)
                assert 0 <= box.x0 and box.x1 <= width, (name, n, artist.get_text())
            heights = w._artists["hist"].get_data().values
            edges = w._artists["hist"].get_data().edges
            inside = heights * np.diff(edges)
            share_in_view = np.mean((w.last["values"] >= edges[0]) & (w.last["values"] <= edges[-1]))
            assert np.isclose(inside.sum(), share_in_view)   # the bars are a density


def test_input_errors_speak_plainly():
    with pytest.raises(ValueError, match="unknown estimator 'bogus'"):
        variance_explorer(MDP, POLICY, THETA, estimators=["bogus"], precompute=False)
    with pytest.raises(ValueError, match="exceeds pool_size"):
        variance_explorer(MDP, POLICY, THETA, n_values=(10, 2000), pool_size=1000,
                          precompute=False)
    with pytest.raises(ValueError, match="coordinate: expected an index below 4"):
        variance_explorer(MDP, POLICY, THETA, coordinate=7, precompute=False)


LIVE_CELL = """
import json
import numpy as np
from pgbook.envs import two_state_mdp
from pgbook.policies import TabularSoftmax
from pgbook.widgets.variance import variance_explorer

mdp = two_state_mdp(horizon=4)
w = variance_explorer(mdp, TabularSoftmax(2, 2), np.array([0.5, -0.5, -1.0, 1.0]),
                      estimators=["total return", "exact Q"], n_values=(1, 10, 100, 1000),
                      precompute=False)
report = {"before": [[bool(i.value) for i in row] for row in w.figures.images]}
w.inner_control.index = 2                     # N = 100, as a slider move would
report["after_n"] = dict(n=w.last["n"], estimator=w.last["estimator"],
                         count=int(w.last["values"].size),
                         drawn=bool(w.figures.images[0][2].value),
                         exact_var=w.last["exact_var"],
                         expected_var=float(w.exact_variance("total return", 100)))
w.estimator_control.index = 1                 # exact Q, still N = 100
report["after_estimator"] = dict(n=w.last["n"], estimator=w.last["estimator"],
                                 drawn=bool(w.figures.images[1][2].value),
                                 exact_var=w.last["exact_var"],
                                 expected_var=float(w.exact_variance("exact Q", 100)))
print("REPORT" + json.dumps(report))
"""


def test_live_kernel_redraws_for_the_new_state():
    out = run_in_kernel(LIVE_CELL, timeout=180)
    report = json.loads(out.split("REPORT", 1)[1])
    assert report["before"] == [[True, False, False, False], [False, False, False, False]]
    after_n = report["after_n"]
    assert after_n["drawn"] and after_n["n"] == 100 and after_n["estimator"] == "total return"
    assert after_n["count"] == 100_000 // 100                 # ⌊M/N⌋ estimates from the pool
    assert np.isclose(after_n["exact_var"], after_n["expected_var"])
    after_est = report["after_estimator"]
    assert after_est["drawn"] and after_est["n"] == 100 and after_est["estimator"] == "exact Q"
    assert np.isclose(after_est["exact_var"], after_est["expected_var"])
    assert after_est["exact_var"] < after_n["exact_var"]      # Q has the smaller variance here


def test_each_frame_says_what_it_shows_from_its_own_numbers():
    """A frame's alt text names the estimator, N and the variances it draws, so it cannot go stale."""
    w = variance_explorer(MDP, POLICY, THETA, estimators=["total return", "exact Q"],
                          n_values=(1, 10, 100), pool_size=3000, precompute=False)
    _fig, alt = w.draw("exact Q", 10)
    last = w.last
    assert "exact Q estimator" in alt and "N = 10 trajectories" in alt
    assert f"{last['values'].size:,} estimates" in alt
    assert f"exact variance {last['exact_var']:.3g}, measured {last['measured_var']:.3g}" in alt
    assert "normal curve" in alt and "from 1 to 100" in alt
    _fig, alt_1 = w.draw("total return", 1)
    assert "normal curve" not in alt_1 and alt_1 != alt
    image = w.figures.images[0][0]
    w.render(0, 0)
    assert image.tooltip == alt_1
