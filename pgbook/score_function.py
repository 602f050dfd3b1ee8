"""The score-function (likelihood-ratio) estimator, on one-step problems first.

For a distribution p_θ(x) and a reward f(x) that does not depend on θ,

    J(θ) = E_{x~p_θ}[f(x)],    ∇J(θ) = E_{x~p_θ}[∇log p_θ(x) f(x)],

because ∇p_θ(x) = p_θ(x) ∇log p_θ(x). The N-sample score-function estimator is

    ĝ_N = (1/N) Σ_i g(x_i),    g(x) = ∇log p_θ(x) f(x),    x_i ~ p_θ i.i.d.,

unbiased, with covariance Cov[g]/N. ∇log p_θ(x) is called the *score*.

Two one-step problems whose J and ∇J are known in closed form, so every
sampled number can be compared with the exact one (chapter 3):

    SoftmaxBandit      K arms, reward f(a), π_θ = softmax(θ), θ ∈ R^K
    GaussianQuadratic  a ~ N(μ, σ_π²), θ = (μ, log σ_π), reward f(a) = −(a − a*)²

Both offer the same methods: ``probs``/``log_prob``, ``score``, ``sample``,
``objective``, ``exact_gradient``, ``terms``, ``estimate``, ``estimates``
(many independent N-sample estimates at once), ``term_moments`` (the exact
mean and covariance of one term g(x)) and ``surrogate`` (the "loss" whose
gradient is the estimator). Plus :func:`trajectory_log_prob`, log P_θ(ξ) of
sampled trajectories of a tabular MDP, straight from its definition, and two
tools for judging a sampled check: :func:`sample_variance` (a sample variance
with its standard error) and :func:`false_alarm_rate` (how often a
"within z standard errors" check fails by chance).
"""

from __future__ import annotations

import numpy as np

from dataclasses import dataclass
from typing import Callable, NamedTuple

from .batch import Batch
from .estimators import Estimate
from .exact import Moments
from .validate import as_array, check_finite, check_generator, check_int, check_shape

__all__ = [
    "SoftmaxBandit",
    "GaussianQuadratic",
    "Ascent",
    "gradient_ascent",
    "trajectory_log_prob",
    "finite_difference_score",
    "SampleVariance",
    "sample_variance",
    "FalseAlarm",
    "false_alarm_rate",
]


def _estimate(terms: np.ndarray) -> Estimate:
    return Estimate(gradient=terms.mean(axis=0), terms=terms)


class SoftmaxBandit:
    """A K-armed bandit: one step, arm a pays f(a); the policy is π_θ = softmax(θ).

    rewards: f, shape (K,), one deterministic reward per arm.

    θ ∈ R^K holds one logit per arm. The formulas, with π = π_θ and e_a the
    a-th unit vector of R^K:

        π_θ(a)          = exp θ_a / Σ_b exp θ_b
        J(θ)            = Σ_a π(a) f(a)
        ∇log π_θ(a)     = e_a − π                     (the score, shape (K,))
        ∇J(θ)           = Σ_a π(a) (e_a − π) f(a) = π ⊙ (f − J)
        g(a)            = (e_a − π) f(a)              (one sample's term)
    """

    def __init__(self, rewards):
        rewards = check_finite("rewards", check_shape("rewards", as_array("rewards", rewards), (None,)))
        if rewards.shape[0] < 2:
            raise ValueError(f"rewards: expected at least 2 arms, got {rewards.shape[0]}")
        self.rewards = rewards

    def __repr__(self) -> str:
        return f"SoftmaxBandit(rewards={self.rewards.tolist()})"

    @property
    def n_arms(self) -> int:
        """The number of arms, K."""
        return self.rewards.shape[0]

    @property
    def n_params(self) -> int:
        """The number of parameters, one logit per arm (equal to K)."""
        return self.rewards.shape[0]

    def reward(self, actions) -> np.ndarray:
        """f(a) for each sampled arm, shape ``actions.shape``."""
        return self.rewards[self._actions(actions)]

    def shifted(self, c: float) -> "SoftmaxBandit":
        """The same bandit with every reward moved by c: f(a) + c."""
        return SoftmaxBandit(self.rewards + c)

    # ------------------------------------------------------------------ checks
    def _theta(self, theta) -> np.ndarray:
        theta = check_shape("theta", as_array("theta", theta), (self.n_params,))
        return check_finite("theta", theta)

    def _actions(self, actions) -> np.ndarray:
        actions = np.asarray(actions)
        if not np.issubdtype(actions.dtype, np.integer):
            raise TypeError(f"actions: expected integer arms in [0, {self.n_arms}), got dtype {actions.dtype}")
        if actions.size and (actions.min() < 0 or actions.max() >= self.n_arms):
            raise ValueError(f"actions: expected arms in [0, {self.n_arms}), got "
                             f"{actions[(actions < 0) | (actions >= self.n_arms)].flat[0]}")
        return actions

    # -------------------------------------------------------------- the policy
    def log_probs(self, theta) -> np.ndarray:
        """log π_θ(a) for every arm, shape (K,): θ_a − log Σ_b exp θ_b (max subtracted first)."""
        theta = self._theta(theta)
        shifted = theta - theta.max()
        return shifted - np.log(np.exp(shifted).sum())

    def probs(self, theta) -> np.ndarray:
        """π_θ, shape (K,)."""
        return np.exp(self.log_probs(theta))

    def log_prob(self, theta, actions) -> np.ndarray:
        """log π_θ(a) for each sampled arm, shape ``actions.shape``."""
        return self.log_probs(theta)[self._actions(actions)]

    def score(self, theta, actions) -> np.ndarray:
        """∇log π_θ(a) = e_a − π for each arm a, shape ``actions.shape + (K,)``."""
        actions = self._actions(actions)
        return np.eye(self.n_arms)[actions] - self.probs(theta)

    def sample(self, theta, n: int, rng) -> np.ndarray:
        """n arms a_i ~ π_θ, i.i.d., shape (n,) int."""
        n = check_int("n", n, minimum=1)
        return check_generator("rng", rng).choice(self.n_arms, size=n, p=self.probs(theta))

    # ------------------------------------------------------------ exact values
    def objective(self, theta) -> float:
        """J(θ) = Σ_a π_θ(a) f(a)."""
        return float(self.probs(theta) @ self.rewards)

    def exact_gradient(self, theta) -> np.ndarray:
        """∇J(θ) = π ⊙ (f − J), shape (K,)."""
        pi = self.probs(theta)
        return pi * (self.rewards - pi @ self.rewards)

    def term_table(self, theta) -> np.ndarray:
        """g(a) = (e_a − π) f(a) for every arm: row a, shape (K, K)."""
        return (np.eye(self.n_arms) - self.probs(theta)) * self.rewards[:, None]

    def term_moments(self, theta) -> Moments:
        """Exact mean (K,) and covariance (K, K) of one term g(a), a ~ π_θ, summed over the K arms.

        mean = Σ_a π(a) g(a) (= ∇J), cov = Σ_a π(a) (g(a) − mean)(g(a) − mean)ᵀ.
        The N-sample estimator's covariance is cov / N.
        """
        pi, g = self.probs(theta), self.term_table(theta)
        mean = pi @ g
        centred = g - mean
        return Moments(mean=mean, covariance=(centred * pi[:, None]).T @ centred)

    # ------------------------------------------------------------- estimators
    def terms(self, theta, actions) -> np.ndarray:
        """g(a_i) = ∇log π_θ(a_i) f(a_i) for each sample, shape (n, K)."""
        actions = self._actions(actions)
        return self.score(theta, actions) * self.rewards[actions][:, None]

    def estimate(self, theta, n: int, rng) -> Estimate:
        """ĝ_N = (1/N) Σ_i ∇log π_θ(a_i) f(a_i) from N fresh arms, with its N terms."""
        return _estimate(self.terms(theta, self.sample(theta, n, rng)))

    def estimates(self, theta, n: int, size: int, rng) -> np.ndarray:
        """``size`` independent N-sample estimates ĝ_N, shape (size, K).

        Only how many times each arm was drawn matters, so each estimate is
        (counts / N) @ term_table with counts ~ Multinomial(N, π_θ): exactly the
        distribution of the mean of N i.i.d. terms, at a cost that does not grow with N.
        """
        n, size = check_int("n", n, minimum=1), check_int("size", size, minimum=1)
        counts = check_generator("rng", rng).multinomial(n, self.probs(theta), size=size)
        return (counts / n) @ self.term_table(theta)

    def surrogate(self, theta, actions) -> float:
        """L(θ) = (1/N) Σ_i log π_θ(a_i) f(a_i), the arms a_i held fixed.

        Its gradient at the θ that drew the arms is ĝ_N. Its value is not J.
        """
        actions = self._actions(actions)
        return float(np.mean(self.log_prob(theta, actions) * self.rewards[actions]))


class GaussianQuadratic:
    """One continuous action a ~ N(μ, σ_π²), θ = (μ, log σ_π), reward f(a) = −(a − a*)².

    target: a*, the best action. With δ = μ − a* and ε = (a − μ)/σ_π ~ N(0, 1):

        log p_θ(a)       = −(a − μ)²/(2σ_π²) − log σ_π − ½ log 2π
        ∇log p_θ(a)      = ((a − μ)/σ_π², (a − μ)²/σ_π² − 1)   (∂/∂μ, ∂/∂log σ_π)
        J(θ)             = −(δ² + σ_π²)
        ∇J(θ)            = (−2δ, −2σ_π²)

    J is best at μ = a* and σ_π → 0: aim at a*, and stop exploring.
    """

    def __init__(self, target: float = 0.0):
        self.target = float(check_finite("target", as_array("target", target)))

    def __repr__(self) -> str:
        return f"GaussianQuadratic(target={self.target:g})"

    n_params = 2

    def _theta(self, theta):
        theta = check_finite("theta", check_shape("theta", as_array("theta", theta), (2,)))
        return theta[0], np.exp(theta[1])

    def reward(self, actions) -> np.ndarray:
        """f(a) = −(a − a*)², shape ``actions.shape``."""
        return -(np.asarray(actions, dtype=float) - self.target) ** 2

    def log_prob(self, theta, actions) -> np.ndarray:
        """log p_θ(a), shape ``actions.shape``."""
        mu, sigma = self._theta(theta)
        z = (np.asarray(actions, dtype=float) - mu) / sigma
        return -0.5 * z**2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)

    def score(self, theta, actions) -> np.ndarray:
        """∇log p_θ(a) = ((a − μ)/σ_π², (a − μ)²/σ_π² − 1), shape ``actions.shape + (2,)``."""
        mu, sigma = self._theta(theta)
        z = (np.asarray(actions, dtype=float) - mu) / sigma
        return np.stack([z / sigma, z**2 - 1.0], axis=-1)

    def sample(self, theta, n: int, rng) -> np.ndarray:
        """n actions a_i = μ + σ_π ε_i, ε_i ~ N(0, 1) i.i.d., shape (n,)."""
        mu, sigma = self._theta(theta)
        n = check_int("n", n, minimum=1)
        return mu + sigma * check_generator("rng", rng).standard_normal(n)

    def objective(self, theta) -> float:
        """J(θ) = −((μ − a*)² + σ_π²)."""
        mu, sigma = self._theta(theta)
        return float(-((mu - self.target) ** 2 + sigma**2))

    def exact_gradient(self, theta) -> np.ndarray:
        """∇J(θ) = (−2(μ − a*), −2σ_π²): ∂/∂μ and ∂/∂log σ_π."""
        mu, sigma = self._theta(theta)
        return np.array([-2.0 * (mu - self.target), -2.0 * sigma**2])

    def term_moments(self, theta, nodes: int = 20) -> Moments:
        """Exact mean (2,) and covariance (2, 2) of one term g(a) = ∇log p_θ(a) f(a).

        g is a polynomial of degree ≤ 4 in ε = (a − μ)/σ_π, so its moments are
        exact integrals against N(0, 1) of polynomials of degree ≤ 8; Gauss–
        Hermite quadrature with ``nodes`` points is exact up to degree 2·nodes − 1.
        """
        mu, sigma = self._theta(theta)
        eps, w = np.polynomial.hermite_e.hermegauss(nodes)
        w = w / w.sum()  # weights of N(0, 1)
        g = self.terms(theta, mu + sigma * eps)
        mean = w @ g
        centred = g - mean
        return Moments(mean=mean, covariance=(centred * w[:, None]).T @ centred)

    def terms(self, theta, actions) -> np.ndarray:
        """g(a_i) = ∇log p_θ(a_i) f(a_i), shape (n, 2)."""
        return self.score(theta, actions) * self.reward(actions)[..., None]

    def estimate(self, theta, n: int, rng) -> Estimate:
        """ĝ_N from N fresh actions, with its N terms."""
        return _estimate(self.terms(theta, self.sample(theta, n, rng)))

    def estimates(self, theta, n: int, size: int, rng) -> np.ndarray:
        """``size`` independent N-sample estimates ĝ_N, shape (size, 2), drawn in chunks."""
        n, size = check_int("n", n, minimum=1), check_int("size", size, minimum=1)
        rng = check_generator("rng", rng)
        rows = max(1, 2_000_000 // n)  # keep each chunk to about 2M draws
        out = []
        for start in range(0, size, rows):
            m = min(rows, size - start)
            actions = self.sample(theta, n * m, rng).reshape(m, n)
            out.append(self.terms(theta, actions).mean(axis=1))
        return np.concatenate(out, axis=0)

    def surrogate(self, theta, actions) -> float:
        """L(θ) = (1/N) Σ_i log p_θ(a_i) f(a_i), the actions held fixed."""
        return float(np.mean(self.log_prob(theta, actions) * self.reward(actions)))


@dataclass(frozen=True)
class Ascent:
    """What :func:`gradient_ascent` recorded, one entry per iteration k = 0, …, M−1.

    thetas        (M+1, n_params)  θ_0, …, θ_M
    objective     (M,)             J(θ_k), exact
    batch_reward  (M,)             (1/N) Σ_i f(x_i) on batch k: an unbiased estimate of J(θ_k)
    surrogate     (M,)             L_k(θ_k) = (1/N) Σ_i log p_θk(x_i) f(x_i) on batch k
    """

    thetas: np.ndarray
    objective: np.ndarray
    batch_reward: np.ndarray
    surrogate: np.ndarray

    @property
    def loss(self) -> np.ndarray:
        """The number an autodiff "loss" would print, −L_k(θ_k) (minimised instead of L maximised)."""
        return -self.surrogate


def gradient_ascent(problem, theta, n: int, step_size: float, iterations: int, seed: int) -> Ascent:
    """Stochastic gradient ascent with the score-function estimator, recording J and the "loss".

    For k = 0, …, M−1 (M = ``iterations``): draw a fresh batch x_1..x_N ~ p_θk (from
    ``np.random.default_rng((seed, k))``), record J(θ_k), the batch's mean
    reward and the surrogate L_k(θ_k) on that batch, then step
    θ_{k+1} = θ_k + step_size · ĝ_N.
    """
    n, iterations = check_int("n", n, minimum=1), check_int("iterations", iterations, minimum=1)
    theta = np.array(theta, dtype=float)
    thetas, objective, batch_reward, surrogate = [theta.copy()], [], [], []
    for k in range(iterations):
        x = problem.sample(theta, n, np.random.default_rng((seed, k)))
        objective.append(problem.objective(theta))
        batch_reward.append(float(problem.reward(x).mean()))
        surrogate.append(problem.surrogate(theta, x))
        theta = theta + step_size * problem.terms(theta, x).mean(axis=0)
        thetas.append(theta.copy())
    return Ascent(np.array(thetas), np.array(objective), np.array(batch_reward), np.array(surrogate))


def trajectory_log_prob(mdp, policy, theta, batch: Batch) -> np.ndarray:
    """log P_θ(ξ_i) for each trajectory of a batch, straight from the definition, shape (N,).

        log P_θ(ξ) = log p0(s_0) + Σ_{t<T} log π_θ(a_t|s_t) + Σ_{t<T−1} log P(s_{t+1}|s_t, a_t)

    This uses the dynamics P. (Chapter 4 shows that its gradient does not need them.)
    Every trajectory must be full length (mask all True); ``policy`` is tabular.
    """
    if not np.all(batch.mask):
        raise ValueError("batch: expected full-length trajectories (mask all True)")
    s, a = batch.obs, batch.actions  # (T, N)
    log_pi = np.log(policy.probs(theta))[s, a].sum(axis=0)
    with np.errstate(divide="ignore"):
        log_dyn = np.log(mdp.P[s[:-1], a[:-1], s[1:]]).sum(axis=0)
        log_start = np.log(mdp.p0[s[0]])
    return log_start + log_pi + log_dyn


def finite_difference_score(log_prob: Callable, theta, eps: float = 1e-6) -> np.ndarray:
    """∇log p_θ(x_k) for many outcomes at once, by central differences, shape (n_outcomes, n_params).

        ∂ log p_θ(x_k) / ∂θ_j ≈ (log p_{θ+h e_j}(x_k) − log p_{θ−h e_j}(x_k)) / 2h

    log_prob: θ ↦ the (n_outcomes,) array of log p_θ(x_k) for fixed outcomes x_k
    (trajectories), in the same order for every θ. ``eps`` is the step h. Costs
    2·n_params calls; no formula for the score needed.
    """
    theta = check_finite("theta", check_shape("theta", as_array("theta", theta), (None,)))
    if not (np.isscalar(eps) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps: expected a positive step size, got {eps!r}")
    columns = [(np.asarray(log_prob(theta + eps * e)) - np.asarray(log_prob(theta - eps * e))) / (2 * eps)
               for e in np.eye(theta.shape[0])]
    return np.stack(columns, axis=-1)


class SampleVariance(NamedTuple):
    """A sample variance s² and its standard error, per coordinate."""

    value: np.ndarray
    stderr: np.ndarray


def sample_variance(samples, axis: int = 0) -> SampleVariance:
    """s² = Σ (x_i − x̄)² / (m − 1) along ``axis``, with its standard error sd((x − x̄)²) / √m.

    m is the number of samples along ``axis``. The standard error is that of
    the mean of the m squared deviations, which s² is up to the factor
    m/(m − 1). It assumes no normal distribution, but it is itself an
    estimate, of the fourth moment of x, from the same m values. When x is
    skewed with a high kurtosis (a few rare, large values carry much of that
    moment), most samples miss them, and the standard error comes out too
    small on average (chapter 3 measures this). A check of such a variance
    against "within z standard errors" is then tighter than it looks.
    """
    x = np.asarray(samples, dtype=float)
    m = x.shape[axis]
    if m < 2:
        raise ValueError(f"samples: expected at least 2 along axis {axis}, got {m}")
    squared = (x - x.mean(axis=axis, keepdims=True)) ** 2
    return SampleVariance(value=x.var(axis=axis, ddof=1),
                          stderr=squared.std(axis=axis, ddof=1) / np.sqrt(m))


class FalseAlarm(NamedTuple):
    """How often a check fails by chance: its rate over ``repeats`` simulated runs, and that rate's standard error."""

    rate: float
    stderr: float
    repeats: int


def false_alarm_rate(values, probs, n: int, rng, z: float = 4.0, repeats: int = 200_000) -> FalseAlarm:
    """The chance that "every coordinate within z standard errors" fails when the estimator is right.

    The check, as the chapters run it: draw N i.i.d. terms g_i, which take the
    value ``values[k]`` (a row, shape (n_params,)) with probability ``probs[k]``;
    estimate each coordinate's standard error from the same N terms,
    sd(g)/√N (ddof 1); fail if *any* coordinate of the mean is more than
    z of them from the exact mean Σ_k probs[k] values[k].

    This simulates that check ``repeats`` times. Only how many times each value
    was drawn matters, so each run is one Multinomial(N, probs) draw of counts,
    at a cost that does not grow with N. No normal approximation is made: the
    rate includes the effect of skewed terms, of the estimated standard errors,
    and of testing every coordinate. For comparison, one normal coordinate with
    a known standard deviation exceeds z = 4 with probability 2Φ(−4) ≈ 6.3e-5.

    values: (n_values, n_params); probs: (n_values,), summing to 1.
    Returns the rate, its standard error √(rate(1 − rate)/repeats), and repeats.
    """
    values = check_finite("values", as_array("values", values))
    if values.ndim == 1:
        values = values[:, None]
    probs = check_finite("probs", check_shape("probs", as_array("probs", probs), (values.shape[0],)))
    if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0):
        raise ValueError(f"probs: expected probabilities that sum to 1, got sum {probs.sum():.6g}")
    n = check_int("n", n, minimum=2)
    repeats = check_int("repeats", repeats, minimum=1)
    rng = check_generator("rng", rng)
    if not (np.isscalar(z) and np.isfinite(z) and z > 0):
        raise ValueError(f"z: expected a positive number of standard errors, got {z!r}")
    exact = probs @ values
    centred = values - exact  # sums of squares about the exact mean: no cancellation
    failures, chunk = 0, max(1, 2_000_000 // values.size)
    for start in range(0, repeats, chunk):
        counts = rng.multinomial(n, probs, size=min(chunk, repeats - start))
        error = counts @ centred / n                       # ĝ_N − ∇J, per coordinate
        second = counts @ centred**2 / n
        variance = np.maximum(second - error**2, 0.0) * n / (n - 1)
        outside = np.abs(error) > z * np.sqrt(variance / n)
        failures += int(np.any(outside, axis=1).sum())
    rate = failures / repeats
    return FalseAlarm(rate=rate, stderr=float(np.sqrt(rate * (1 - rate) / repeats)), repeats=repeats)
