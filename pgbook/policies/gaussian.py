"""The linear Gaussian policy, for continuous actions.

    a ~ N(μ_θ(s), diag σ_π²),   μ_θ(s) = φ(s)ᵀW,   σ_π = exp(log σ_π)

θ = [W.ravel(), log σ_π]: the first d·D entries are W (shape (d, D), row-major),
the last D are log σ_π, one per action dimension, the same in every state.
Learning log σ_π rather than σ_π keeps σ_π > 0 with no constraint. Per dimension j,

    log π_θ(a|s) = Σ_j [ −(a_j − μ_j)² / (2σ_{π,j}²) − log σ_{π,j} − ½ log 2π ]

and the score, by the chain rule through μ = φ(s)ᵀW,

    ∇_W log π         = φ(s) ((a − μ) / σ_π²)ᵀ    (d, D)
    ∇_{log σ_π} log π = (a − μ)² / σ_π² − 1       (D,)

Actions are never clipped here: ``sample`` returns the Gaussian draw itself, and
``log_prob``/``score`` refer to that same draw. Keeping actions inside an env's
bounds is the env's job (Pendulum clips its torque; gymnasium's ``ClipAction``
wrapper does it for any Box env). Clipping before recording would make the
recorded action differ from the sampled one, and the score would be wrong.
"""

from __future__ import annotations

import numpy as np

from ..validate import as_array, check_finite, check_generator, check_int, check_shape
from ._features import Features, check_box, feature_count
from ._noise import noise_rows

__all__ = ["LinearGaussian"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


class LinearGaussian:
    """a ~ N(φ(s)ᵀW, diag exp(2 log σ_π)), θ = [W.ravel(), log σ_π].

    Parameters
    ----------
    n_features : int
        The length of φ(s) (with ``features=None``: the observation vector's length).
    action_dim : int
        D, the number of action dimensions; actions have shape ``batch + (D,)``.
    features : callable, optional
        φ: observations ``batch + obs_shape`` → ``batch + (n_features,)``; identity if None.
    bias : bool, default False
        Append a constant feature 1, so μ gets an intercept; d = n_features + 1.

    The policy holds only the structure; θ (shape ``(d·D + D,)``) is passed to every method.
    """

    def __init__(self, n_features: int, action_dim: int, features=None, *, bias: bool = False):
        n_features = check_int("n_features", n_features, minimum=1)
        self.action_dim = check_int("action_dim", action_dim, minimum=1)
        self.phi = Features(n_features, features, bias)

    @classmethod
    def from_space(cls, observation_space, action_space, features=None, *, bias: bool = False):
        """The policy for a gymnasium env: d from a 1-D Box observation space, D from a 1-D Box action space."""
        action_dim = check_box("action_space", action_space, "action")
        n_features = feature_count(observation_space, features)
        return cls(n_features, action_dim, features, bias=bias)

    def __repr__(self) -> str:
        return (f"LinearGaussian(n_features={self.n_features}, action_dim={self.action_dim}, "
                f"features={self.phi!r})")

    @property
    def n_features(self) -> int:
        """The length of φ(s) before any bias feature."""
        return self.phi.n_features

    @property
    def n_params(self) -> int:
        """d·D + D, the length of θ: the weights W, then log σ_π."""
        return (self.phi.dim + 1) * self.action_dim

    # ------------------------------------------------------------------ checks
    def split(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """θ → (W of shape (d, D), log σ_π of shape (D,)), after checking θ."""
        theta = check_shape("theta", as_array("theta", theta), (self.n_params,))
        theta = check_finite("theta", theta)
        n_w = self.phi.dim * self.action_dim
        return theta[:n_w].reshape(self.phi.dim, self.action_dim), theta[n_w:]

    def _actions(self, actions, batch: tuple) -> np.ndarray:
        actions = check_finite("actions", as_array("actions", actions))
        return check_shape("actions", actions, batch + (self.action_dim,))

    # ------------------------------------------------------------- the policy
    def init_theta(self, rng=None, log_sigma: float = 0.0) -> np.ndarray:
        """θ_0: W = 0 (or small N(0, 0.01²) if ``rng`` is given) and log σ_π = ``log_sigma`` (σ_π = 1)."""
        theta = np.zeros(self.n_params)
        if rng is not None:
            n_w = self.phi.dim * self.action_dim
            theta[:n_w] = 0.01 * check_generator("rng", rng).standard_normal(n_w)
        theta[-self.action_dim:] = log_sigma
        return theta

    def mean(self, theta, obs) -> np.ndarray:
        """μ_θ(s) = φ(s)ᵀW, shape ``batch + (D,)``."""
        W, _ = self.split(theta)
        return self.phi(obs) @ W

    def log_prob(self, theta, obs, actions) -> np.ndarray:
        """log π_θ(a|s) = Σ_j [−(a_j − μ_j)²/(2σ_{π,j}²) − log σ_{π,j} − ½ log 2π], shape ``batch``."""
        W, log_sigma = self.split(theta)
        mu = self.phi(obs) @ W
        a = self._actions(actions, mu.shape[:-1])
        z = (a - mu) * np.exp(-log_sigma)                   # standardised action (a − μ)/σ_π
        return (-0.5 * z**2 - log_sigma - _HALF_LOG_2PI).sum(axis=-1)

    def score(self, theta, obs, actions) -> np.ndarray:
        """∇_θ log π_θ(a|s) = [φ(s)((a − μ)/σ_π²)ᵀ flattened, (a − μ)²/σ_π² − 1].

        Shape ``batch + (n_params,)``: the W block (d·D entries), then the log σ_π block (D).
        """
        W, log_sigma = self.split(theta)
        phi = self.phi(obs)                                 # batch + (d,)
        mu = phi @ W
        a = self._actions(actions, mu.shape[:-1])
        inv_var = np.exp(-2.0 * log_sigma)                  # 1/σ_π², (D,)
        d_mu = (a - mu) * inv_var                           # ∇_μ log π, batch + (D,)
        d_log_sigma = (a - mu) ** 2 * inv_var - 1.0         # batch + (D,)
        d_W = phi[..., :, None] * d_mu[..., None, :]        # batch + (d, D)
        batch = mu.shape[:-1]
        return np.concatenate([d_W.reshape(batch + (-1,)), d_log_sigma], axis=-1)

    def sample(self, theta, obs, rng) -> np.ndarray:
        """a = μ_θ(s) + σ_π ε, ε ~ N(0, I), shape ``batch + (D,)``; never clipped (see module docstring)."""
        rng = check_generator("rng", rng)
        W, log_sigma = self.split(theta)
        mu = self.phi(obs) @ W
        return mu + np.exp(log_sigma) * rng.standard_normal(mu.shape)

    def _sampler(self, theta, rng, batch_shape: tuple):
        """``sample`` for the rollout's inner loop: ``draw(obs, out)`` writes a = μ_θ(s) + σ_π ε into ``out``.

        θ is checked once here and obs never; ε comes from ``rng`` in blocks
        (:func:`._noise.noise_rows`), so n calls draw exactly what n calls of
        ``sample(theta, obs, rng)`` would. ``out``: shape ``batch_shape + (D,)``.
        """
        W, log_sigma = self.split(theta)
        sigma, phi = np.exp(log_sigma), self.phi.unchecked
        eps = noise_rows(rng.standard_normal, tuple(batch_shape) + (self.action_dim,))

        def draw(obs, out):
            np.add(phi(obs) @ W, sigma * next(eps), out=out)

        return draw

