"""Widget 3 (the score-function estimator) and the one-step problems behind it.

Unit tests compare every computed number with an exact one: closed forms,
finite differences, enumeration over arms, Gauss–Hermite moments. The live test
runs the widget in a real kernel (nbclient), moves its control, and checks that
the new state was drawn from the numbers for the new N.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_in_kernel

from pgbook.envs import two_state_mdp
from pgbook.exact import enumerate_trajectories, finite_difference_gradient, sample_trajectories
from pgbook.policies import TabularSoftmax
from pgbook.score_function import (GaussianQuadratic, SoftmaxBandit, false_alarm_rate, gradient_ascent,
                                   sample_variance, trajectory_log_prob)
from pgbook.widgets.score_function import (ScoreFunctionExplorer, sampled_estimates,
                                           score_function_explorer)

BANDIT = SoftmaxBandit([1.0, 2.0, 4.0])
THETA = np.array([0.0, 0.5, -0.5])
GAUSS = GaussianQuadratic(target=1.0)
THETA_G = np.array([0.3, np.log(0.7)])


# --------------------------------------------------------------- the bandit
def test_bandit_gradient_is_closed_form_and_finite_differences():
    exact = BANDIT.exact_gradient(THETA)
    pi = BANDIT.probs(THETA)
    assert np.allclose(exact, pi * (BANDIT.rewards - pi @ BANDIT.rewards))
    assert np.allclose(exact, finite_difference_gradient(BANDIT.objective, THETA), atol=1e-8)


def test_bandit_score_is_e_a_minus_pi():
    for a in range(3):
        fd = finite_difference_gradient(lambda th: BANDIT.log_prob(th, np.array(a)), THETA)
        assert np.allclose(BANDIT.score(THETA, np.array(a)), fd, atol=1e-8)


def test_bandit_log_probs_do_not_overflow():
    assert np.allclose(BANDIT.probs(np.array([1000.0, 0.0, -1000.0])), [1.0, 0.0, 0.0])


def test_bandit_term_moments_by_enumeration():
    m = BANDIT.term_moments(THETA)
    pi, g = BANDIT.probs(THETA), BANDIT.term_table(THETA)
    assert np.allclose(m.mean, BANDIT.exact_gradient(THETA))
    second = np.einsum("a,ak,al->kl", pi, g, g)
    assert np.allclose(m.covariance, second - np.outer(m.mean, m.mean))


def test_bandit_multinomial_estimates_match_direct_averages():
    """estimates() uses arm counts; it must have the law of the mean of N sampled terms."""
    n, size = 7, 20000
    counts_way = BANDIT.estimates(THETA, n, size, np.random.default_rng(0))
    arms = BANDIT.sample(THETA, n * size, np.random.default_rng(1)).reshape(size, n)
    direct = BANDIT.term_table(THETA)[arms].mean(axis=1)
    exact_var = np.diag(BANDIT.term_moments(THETA).covariance) / n
    for est in (counts_way, direct):
        se_mean = est.std(axis=0, ddof=1) / np.sqrt(size)
        assert np.all(np.abs(est.mean(axis=0) - BANDIT.exact_gradient(THETA)) <= 4 * se_mean)
        centred2 = (est - est.mean(axis=0)) ** 2
        se_var = centred2.std(axis=0, ddof=1) / np.sqrt(size)
        assert np.all(np.abs(est.var(axis=0, ddof=1) - exact_var) <= 4 * se_var)


def test_bandit_shift_keeps_the_gradient():
    for c in (-7.0, 3.0):
        assert np.allclose(BANDIT.shifted(c).term_moments(THETA).mean, BANDIT.exact_gradient(THETA))


def test_bandit_input_errors_speak_plainly():
    with pytest.raises(ValueError, match="at least 2 arms"):
        SoftmaxBandit([1.0])
    with pytest.raises(ValueError, match="theta: expected shape"):
        BANDIT.probs(np.zeros(4))
    with pytest.raises(ValueError, match=r"arms in \[0, 3\)"):
        BANDIT.score(THETA, np.array([3]))
    with pytest.raises(TypeError, match="Generator"):
        BANDIT.sample(THETA, 3, 0)


# ------------------------------------------------------------- the Gaussian
def test_gaussian_gradient_and_score():
    assert np.allclose(GAUSS.exact_gradient(THETA_G),
                       finite_difference_gradient(GAUSS.objective, THETA_G), atol=1e-7)
    for a in (-1.3, 0.2, 2.5):
        fd = finite_difference_gradient(lambda th: GAUSS.log_prob(th, a), THETA_G)
        assert np.allclose(GAUSS.score(THETA_G, a), fd, atol=1e-6)


def test_gaussian_term_moments_match_closed_form():
    """Var[g_μ] = (d⁴ + 18 d²σ² + 15 σ⁴)/σ² − 4d², from the moments of ε ~ N(0, 1)."""
    m = GAUSS.term_moments(THETA_G)
    d, sigma = THETA_G[0] - GAUSS.target, np.exp(THETA_G[1])
    assert np.allclose(m.mean, GAUSS.exact_gradient(THETA_G))
    closed = (d**4 + 18 * d**2 * sigma**2 + 15 * sigma**4) / sigma**2 - 4 * d**2
    assert np.isclose(m.covariance[0, 0], closed)


def test_gaussian_estimates_are_unbiased():
    est = GAUSS.estimates(THETA_G, 20, 20000, np.random.default_rng(2))
    se = est.std(axis=0, ddof=1) / np.sqrt(len(est))
    assert np.all(np.abs(est.mean(axis=0) - GAUSS.exact_gradient(THETA_G)) <= 4 * se)


# ----------------------------------------------------- surrogate, ascent, trajectories
@pytest.mark.parametrize("problem, theta", [(BANDIT, THETA), (GAUSS, THETA_G)])
def test_surrogate_gradient_is_the_estimator(problem, theta):
    x = problem.sample(theta, 12, np.random.default_rng(3))
    g_hat = problem.terms(theta, x).mean(axis=0)
    assert np.allclose(finite_difference_gradient(lambda th: problem.surrogate(th, x), theta),
                       g_hat, atol=1e-6)


def test_gradient_ascent_is_deterministic_and_improves_J():
    a = gradient_ascent(BANDIT, THETA, n=30, step_size=0.2, iterations=80, seed=0)
    b = gradient_ascent(BANDIT, THETA, n=30, step_size=0.2, iterations=80, seed=0)
    assert np.array_equal(a.thetas, b.thetas)
    assert a.objective[-1] > a.objective[0] + 1.0
    assert np.allclose(a.loss, -a.surrogate)


def test_trajectory_log_prob_matches_enumeration():
    mdp = two_state_mdp(horizon=3)
    policy = TabularSoftmax(2, 2)
    theta = np.array([0.5, -0.5, -1.0, 1.0])
    enum = enumerate_trajectories(mdp, policy, theta)
    assert np.allclose(np.exp(trajectory_log_prob(mdp, policy, theta, enum.as_batch())), enum.probs)
    batch = sample_trajectories(mdp, policy, theta, 5, np.random.default_rng(0))
    assert np.all(np.isfinite(trajectory_log_prob(mdp, policy, theta, batch)))


# ------------------------------------------------- judging a sampled check
def test_false_alarm_rate_matches_running_the_check_on_sampled_arms():
    """The multinomial shortcut has the law of the check run on N sampled terms, all coordinates."""
    n, z, repeats = 30, 2.0, 40000
    fa = false_alarm_rate(BANDIT.term_table(THETA), BANDIT.probs(THETA), n,
                          np.random.default_rng(1), z=z, repeats=repeats)
    arms = BANDIT.sample(THETA, n * repeats, np.random.default_rng(2)).reshape(repeats, n)
    terms = BANDIT.term_table(THETA)[arms]                        # (repeats, n, K)
    se = terms.std(axis=1, ddof=1) / np.sqrt(n)
    direct = np.mean(np.any(np.abs(terms.mean(axis=1) - BANDIT.exact_gradient(THETA)) > z * se, axis=1))
    assert 0.05 < fa.rate < 0.5 and fa.repeats == repeats
    assert abs(fa.rate - direct) <= 4 * np.sqrt(2) * fa.stderr


def test_false_alarm_rate_of_one_normal_like_coordinate():
    """Many equally likely symmetric values, large N: close to 2Φ(−z) for z = 2 (0.0455)."""
    values = np.linspace(-1.0, 1.0, 41)
    fa = false_alarm_rate(values, np.full(41, 1 / 41), 400, np.random.default_rng(3), z=2.0,
                          repeats=50000)
    assert abs(fa.rate - 0.0455) <= 4 * fa.stderr + 0.003   # + the t/CLT corrections at N = 400


def test_false_alarm_rate_input_errors_speak_plainly():
    with pytest.raises(ValueError, match="sum to 1"):
        false_alarm_rate([[1.0], [2.0]], [0.5, 0.6], 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="probs: expected shape"):
        false_alarm_rate([[1.0], [2.0]], [1.0], 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="positive number of standard errors"):
        false_alarm_rate([[1.0], [2.0]], [0.5, 0.5], 10, np.random.default_rng(0), z=0.0)


def test_sample_variance_standard_error_is_biased_low_for_a_high_kurtosis_term():
    """sample_variance's docstring: for one Gaussian term (kurtosis ≈ 180) its SE is too small on average."""
    gauss, theta = GaussianQuadratic(target=1.0), np.array([0.0, np.log(0.5)])
    x, w = np.polynomial.hermite_e.hermegauss(20)
    w = w / w.sum()
    c = gauss.terms(theta, theta[0] + np.exp(theta[1]) * x)[:, 1]
    c = c - w @ c
    m = 4000
    exact_sd = np.sqrt((w @ c**4) / m - (w @ c**2) ** 2 * (m - 3) / (m * (m - 1)))
    rng = np.random.default_rng(13)
    se = np.array([sample_variance(gauss.estimates(theta, 1, m, rng)[:, 1]).stderr for _ in range(300)])
    assert se.mean() < exact_sd - 4 * se.std(ddof=1) / np.sqrt(len(se))


# --------------------------------------------------------------------- the widget
def test_widget_numbers_against_the_exact_oracle():
    sizes = [1, 10, 100]
    w = score_function_explorer(BANDIT, THETA, coordinate=2, sizes=sizes, n_estimates=3000,
                                seed=4, precompute=False)
    assert np.isclose(w.exact, BANDIT.exact_gradient(THETA)[2])
    assert np.isclose(w.single_variance, BANDIT.term_moments(THETA).covariance[2, 2])
    for n, est, var in zip(sizes, w.estimates, w.variances):
        centred2 = (est - est.mean()) ** 2
        assert abs(var - w.single_variance / n) <= 4 * centred2.std(ddof=1) / np.sqrt(est.size)
        assert abs(est.mean() - w.exact) <= 4 * est.std(ddof=1) / np.sqrt(est.size)


def test_widget_draws_are_seeded_per_N_and_do_not_sample():
    sizes = [1, 5, 50]
    w = score_function_explorer(BANDIT, THETA, coordinate=0, sizes=sizes, n_estimates=500,
                                seed=7, precompute=False)
    # the estimates for N come from default_rng((seed, N)), whatever the grid around it
    alone = sampled_estimates(BANDIT, THETA, [50], n_estimates=500, seed=7)[0][:, 0]
    assert np.array_equal(w.estimates[2], alone)
    # only the initial state is drawn; rendering another draws it from cached numbers
    assert [bool(img.value) for img in w.images] == [True, False, False]
    before = [e.copy() for e in w.estimates]
    w.render(1)
    assert w.images[1].value and w.last["n"] == 5
    assert all(np.array_equal(a, b) for a, b in zip(before, w.estimates))


def test_widget_density_ticks_are_labelled_and_fit_every_state():
    """The left panel's density axis has tick labels, and the layout solved once fits them all."""
    import matplotlib.pyplot as plt

    w = score_function_explorer(BANDIT, THETA, coordinate=2, n_estimates=500, precompute=False)
    for n in w.sizes:
        fig, _alt = w.draw(n)
        fig.canvas.draw()
        left = fig.axes[0]
        labels = [t.get_text() for t in left.get_yticklabels() if t.get_visible()]
        assert len([x for x in labels if x]) >= 2 and "00.00" not in labels
        box = left.get_tightbbox(fig.canvas.get_renderer())
        assert box.x0 >= 0, f"N = {n}: the density tick labels are cut off"
        plt.close(fig)


def test_widget_frames_say_what_they_show():
    """Each frame's alt text is computed from the numbers that drew it, and reaches the Image."""
    import matplotlib.pyplot as plt

    w = score_function_explorer(BANDIT, THETA, coordinate=2, sizes=[1, 100], n_estimates=400,
                                seed=3, precompute=False)
    fig, alt = w.draw(100)
    plt.close(fig)
    last = w.last
    assert len(alt) >= 12 and not alt.startswith("Figure at")
    assert "N = 100" in alt and "400 estimates" in alt and "∂J/∂θ₂" in alt
    assert f"{last['exact']:.3f}" in alt and f"{last['mean']:.3f}" in alt
    assert f"{last['variance']:.2e}" in alt and f"{last['exact_variance']:.2e}" in alt
    w.render(1)
    assert w.images[1].tooltip == alt


def test_widget_precompute_draws_every_state():
    w = score_function_explorer(BANDIT, THETA, sizes=[1, 10], n_estimates=200, precompute=True)
    assert all(img.value for img in w.images)


def test_widget_refuses_a_bad_coordinate():
    with pytest.raises(ValueError, match="coordinate"):
        ScoreFunctionExplorer(BANDIT, THETA, coordinate=3, precompute=False)


LIVE_SETUP = """
import numpy as np
from pgbook.score_function import SoftmaxBandit
from pgbook.widgets.score_function import score_function_explorer
w = score_function_explorer(SoftmaxBandit([1.0, 2.0, 4.0]), np.array([0.0, 0.5, -0.5]),
                            coordinate=2, precompute=False)
drawn_at_start = [bool(img.value) for img in w.images]
assert sum(drawn_at_start) == 1 and w.last["n"] == 10
"""

LIVE_MOVE = """
k = w.sizes.index(1000)
w.control.index = k            # what moving the slider does in Jupyter
assert w.images[k].value, "the state for N = 1000 was not drawn"
assert w.last["n"] == 1000
assert np.isclose(w.last["variance"], w.estimates[k].var(ddof=1))
assert np.isclose(w.last["exact_variance"], w.single_variance / 1000)
assert w.images[k].value != w.images[w.sizes.index(10)].value
print("live ok", w.last["n"], w.last["variance"])
"""


@pytest.mark.slow
def test_widget_recomputes_in_a_live_kernel():
    assert "live ok 1000" in run_in_kernel(LIVE_SETUP, LIVE_MOVE)
