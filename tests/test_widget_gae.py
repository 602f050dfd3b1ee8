"""Chapter 6's widget: the exact and sampled bias and variance of the GAE(λ) estimate against λ."""

import numpy as np
import pytest

from conftest import run_in_kernel

from pgbook import exact
from pgbook.critic import gae_moments
from pgbook.envs import two_state_mdp
from pgbook.policies import TabularSoftmax
from pgbook.widgets.gae import GAEExplorer, gae_explorer

MDP = two_state_mdp(horizon=4)
POLICY = TabularSoftmax(2, 2)
THETA = np.random.default_rng(0).normal(0.0, 0.5, POLICY.n_params)


def small(**kw) -> GAEExplorer:
    kw.setdefault("precompute", False)
    return gae_explorer(MDP, POLICY, THETA, epsilons=[0.0, 1.0], lams=[0.0, 0.5, 1.0],
                        n_samples=500, fine=5, **kw)


def test_draw_returns_a_figure_and_an_alt_with_its_numbers():
    w = small()
    fig, alt = w.draw(1.0, 0.5)
    s = w.state(1.0, 0.5)
    assert hasattr(fig, "savefig") and isinstance(alt, str)
    for value in (s["bias"], s["variance"], s["sampled_bias"], s["sampled_variance"]):
        assert f"{value:.2f}" in alt
    assert "ε = 1" in alt and "λ = 0.5" in alt


def test_exact_numbers_match_the_enumeration_and_the_limits():
    w = small()
    grad = exact.exact_gradient(MDP, POLICY, THETA)
    for eps in (0.0, 1.0):
        m = gae_moments(MDP, POLICY, THETA, w.critic(eps), 0.5)
        s = w.state(eps, 0.5)
        assert np.isclose(s["bias"], np.linalg.norm(m.mean - grad))
        assert np.isclose(s["variance"], np.trace(m.covariance))
    assert w.state(0.0, 0.0)["bias"] < 1e-12      # V = V^π: no bias at any λ
    assert w.state(1.0, 1.0)["bias"] < 1e-12      # λ = 1: a baseline, no bias
    assert w.state(1.0, 0.0)["bias"] > 0.1        # λ = 0 with a wrong critic: biased


def test_sampled_variance_within_4_standard_errors():
    w = small()
    exact_var = np.array([[w.state(e, l)["variance"] for l in w.lams] for e in w.epsilons])
    assert np.all(np.abs(w.sampled_variance - exact_var) <= 4 * w.variance_se)


def test_precompute_draws_every_frame():
    w = small(precompute=True)
    assert all(img.value for row in w.images for img in row)


@pytest.mark.parametrize("kw, name", [
    (dict(lams=[0.0, 1.5]), "lam"),
    (dict(lams=[0.5, 0.2]), "lams"),
    (dict(epsilons=[]), "epsilons"),
    (dict(error=np.ones(3)), "error"),
    (dict(theta=np.zeros(3)), "theta"),
])
def test_bad_input_is_refused_by_name(kw, name):
    args = dict(epsilons=[0.0, 1.0], lams=[0.0, 1.0], n_samples=50, precompute=False)
    args.update(kw)
    theta = args.pop("theta", THETA)
    with pytest.raises(ValueError, match=name):
        GAEExplorer(MDP, POLICY, theta, **args)


def test_live_kernel_draws_a_frame_when_a_control_moves():
    out = run_in_kernel(
        "import numpy as np\n"
        "from pgbook.envs import two_state_mdp\n"
        "from pgbook.policies import TabularSoftmax\n"
        "from pgbook.widgets.gae import gae_explorer\n"
        "p = TabularSoftmax(2, 2)\n"
        "theta = np.random.default_rng(0).normal(0.0, 0.5, p.n_params)\n"
        "w = gae_explorer(two_state_mdp(horizon=4), p, theta, epsilons=[0.0, 1.0],\n"
        "                 lams=[0.0, 0.5, 1.0], n_samples=200, precompute=False)\n"
        "before = bool(w.images[0][0].value)\n"
        "w.grid.outer_control.index = 0\n"
        "w.grid.inner_control.index = 0\n"
        "print(before, bool(w.images[0][0].value), w.images[0][0].tooltip.startswith('Two panels'))")
    assert out.split() == ["False", "True", "True"]
