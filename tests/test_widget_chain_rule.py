"""Widget 2 (chain-rule cost) and chapter 2's finite-difference helpers.

* Counts: the formulas n_terms = T·(S·A)^T and n_multiplications =
  T·(S·A)^T·(2T−1+d) against what ``exact.chain_rule_gradient`` counted, and
  the chain-rule gradient against the DP oracle, in ``measure_chain_rule_cost``.
* Extrapolation: beyond the measured horizons the time is t₀ + c·n_mult, kept
  as log10 seconds (64^500 overflows a float).
* Live kernel (nbclient): with precompute=False, moving a control draws the
  figure of the new state, and ``w.last`` holds the new numbers.
* Finite differences of a Monte Carlo objective: the sampled estimates have the
  exact mean and standard deviation of ``predicted_error``.

Times are never asserted on: they vary from run to run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import run_in_kernel

from pgbook import exact
from pgbook.envs import two_state_mdp
from pgbook.finite_differences import (measured_rmse, monte_carlo_partials, predicted_error,
                                       predicted_rmse, return_variance)
from pgbook.mdp import random_mdp
from pgbook.policies import TabularSoftmax
from pgbook.widgets.chain_rule import (ChainRuleCostWidget, _duration, draw_chain_rule_cost,
                                       measure_chain_rule_cost, n_multiplications, n_terms)


@pytest.mark.parametrize("S, A, T", [(1, 1, 1), (2, 2, 3), (3, 2, 4), (2, 3, 5), (4, 4, 2)])
def test_count_formulas_match_the_enumeration(S, A, T):
    policy = TabularSoftmax(S, A)
    mdp = random_mdp(S, A, T, np.random.default_rng(S * 100 + T))
    theta = np.random.default_rng(1).standard_normal(policy.n_params)
    result = exact.chain_rule_gradient(mdp, policy, theta)
    assert result.n_trajectories == (S * A) ** T
    assert result.n_terms == n_terms(S, A, T) == T * (S * A) ** T
    assert result.n_multiplications == n_multiplications(S, A, T, policy.n_params)
    assert np.allclose(result.gradient, exact.exact_gradient(mdp, policy, theta), atol=1e-12)


def test_counts_are_exact_integers_far_beyond_float_range():
    big = n_terms(16, 4, 500)
    assert isinstance(big, int) and big == 500 * 64**500
    assert math.log10(big) > 900


def test_measure_records_agreement_counts_and_extrapolation():
    horizons = (1, 2, 3, 4, 6, 20, 500)
    cost = measure_chain_rule_cost(2, 2, horizons, max_multiplications=2e4)
    # measured exactly where the count is within budget
    assert cost.measured.tolist() == [n <= 2e4 for n in cost.n_multiplications]
    assert cost.measured[:4].all() and not cost.measured[4:].any()
    assert np.nanmax(cost.max_abs_difference) < 1e-12
    assert cost.n_terms == [T * 4**T for T in horizons]
    assert np.isnan(cost.enumeration_seconds[~cost.measured]).all()
    assert (cost.dp_seconds > 0).all() and cost.seconds_per_multiplication > 0
    # extrapolation: t0 + c·n_mult, increasing with T, finite at T = 500
    log10 = cost.log10_enumeration_seconds
    assert np.isfinite(log10).all() and (np.diff(log10[cost.measured.sum() - 1:]) > 0).all()
    m500 = n_multiplications(2, 2, 500, 4)
    assert cost.log10_model_seconds(500) == pytest.approx(
        math.log10(cost.seconds_per_multiplication) + math.log10(m500))
    # cached: the same arguments return the same record
    assert measure_chain_rule_cost(2, 2, horizons, max_multiplications=2e4) is cost


def test_measure_refuses_a_budget_below_every_horizon():
    with pytest.raises(ValueError, match="max_multiplications"):
        measure_chain_rule_cost(2, 2, (3, 4), max_multiplications=10)


def test_durations_read_as_words():
    assert _duration(-4) == "0.1 ms"
    assert _duration(math.log10(7200)) == "2 hours"
    assert _duration(math.log10(3 * 365.25 * 86400)) == "3 years"
    assert _duration(900).endswith("years") and "10" in _duration(900)


def test_widget_draws_each_state_on_demand_and_keeps_its_numbers():
    w = ChainRuleCostWidget(pairs=((2, 2), (3, 2)), horizons=(1, 2, 3, 10),
                            max_multiplications=1e5, initial=(0, 1), precompute=False)
    assert w.images[0][1].value and not w.images[1][3].value
    w.render(1, 3)
    assert w.images[1][3].value[:4] == b"\x89PNG"
    assert w.last == dict(n_states=3, n_actions=2, horizon=10, n_terms=10 * 6**10,
                          log10_seconds=pytest.approx(w.costs[(3, 2)].log10_model_seconds(10)),
                          measured=False, dp_seconds=pytest.approx(w.costs[(3, 2)].dp_seconds[3]))
    # the frame's text alternative says what it shows
    alt = w.images[1][3].tooltip
    assert "|S| = 3, |A| = 2" in alt and "T = 10" in alt and "extrapolated" in alt


def test_the_mark_at_the_last_horizon_sits_inside_the_frame():
    # at T = 500 the ring used to sit on the right edge, cut in half by the axes
    cost = measure_chain_rule_cost(2, 2, (1, 2, 3, 500), max_multiplications=1e4)
    fig = draw_chain_rule_cost(cost, 500, max_horizon=500)
    ax = fig.axes[0]
    ring, = [line for line in ax.lines if line.get_markersize() == 11]
    assert ring.get_xdata()[0] == 500
    x_pixels = ax.transData.transform((500, ring.get_ydata()[0]))[0]
    right = ax.transAxes.transform((1, 0))[0]
    radius = ring.get_markersize() / 2 * fig.dpi / 72
    assert x_pixels + radius < right
    import matplotlib.pyplot as plt
    plt.close(fig)


LIVE = """
from pgbook.widgets.chain_rule import chain_rule_cost
w = chain_rule_cost(pairs=((2, 2), (3, 2)), horizons=(1, 2, 3, 4, 10),
                    max_multiplications=1e5, initial=(0, 1), precompute=False)
assert w.images[0][1].value and not w.images[0][3].value
w.inner_control.index = 3                       # T = 4
assert w.images[0][3].value[:4] == b"\\x89PNG"
assert w.last["horizon"] == 4 and w.last["n_terms"] == 4 * 4 ** 4
assert w.last["measured"]
w.outer_control.index = 1                       # |S| = 3, |A| = 2
assert w.images[1][3].value and w.last["n_states"] == 3
assert w.last["n_terms"] == 4 * 6 ** 4
w.inner_control.index = 4                       # T = 10: extrapolated
assert w.last["horizon"] == 10 and not w.last["measured"]
print("live ok", sum(bool(i.value) for row in w.images for i in row))
"""


@pytest.mark.slow
def test_live_kernel_redraws_when_a_control_moves():
    assert "live ok 4" in run_in_kernel(LIVE)   # the initial figure and the three chosen ones, no others


# ------------------------------------------------------------ finite differences
MDP = two_state_mdp(horizon=4)
POLICY = TabularSoftmax(2, 2)
THETA = np.array([0.5, -0.5, 0.2, -0.3])


def test_return_variance_matches_sampling():
    sigma2 = return_variance(MDP, POLICY, THETA)
    batch = exact.sample_trajectories(MDP, POLICY, THETA, 200_000, np.random.default_rng(3))
    returns = batch.rewards.sum(axis=0)
    # the sample variance's standard error is about σ² √(2/n) (a bit more: the
    # returns are not normal); allow 6 of those
    assert abs(returns.var() - sigma2) < 6 * sigma2 * math.sqrt(2 / returns.size)


@pytest.mark.parametrize("h, n", [(0.01, 500), (0.3, 100)])
def test_monte_carlo_partials_have_the_predicted_mean_and_sd(h, n):
    reps = 400
    est = monte_carlo_partials(MDP, POLICY, THETA, 2, h, n, reps, seed=9)
    pred = predicted_error(MDP, POLICY, THETA, 2, h, n)
    centre = exact.exact_gradient(MDP, POLICY, THETA)[2] + pred.bias
    assert abs(est.mean() - centre) < 4 * pred.sd / math.sqrt(reps)   # 4 SE
    assert abs(est.std(ddof=1) / pred.sd - 1) < 4 / math.sqrt(2 * (reps - 1))


def test_common_random_numbers_cancel_most_of_the_noise():
    indep = monte_carlo_partials(MDP, POLICY, THETA, 0, 0.01, 200, 200, seed=1)
    common = monte_carlo_partials(MDP, POLICY, THETA, 0, 0.01, 200, 200, seed=1, common=True)
    assert common.std() < indep.std() / 5


def test_rmse_curves_and_bias_order():
    steps = np.array([0.1, 0.01])
    bias = [predicted_error(MDP, POLICY, THETA, 0, h, 1).bias for h in steps]
    assert 80 < bias[0] / bias[1] < 120                 # O(h²)
    pred = predicted_rmse(MDP, POLICY, THETA, 0, steps, 300)
    meas = measured_rmse(MDP, POLICY, THETA, 0, steps, 300, reps=200, seed=4)
    assert np.all(np.abs(meas / pred - 1) < 4 / math.sqrt(2 * 200))
