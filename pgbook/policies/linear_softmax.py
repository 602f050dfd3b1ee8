"""The linear softmax policy: logits linear in features of the state.

    π_θ(a|s) = softmax(φ(s)ᵀW)_a = exp(φ(s)ᵀW_{:,a}) / Σ_b exp(φ(s)ᵀW_{:,b})

θ is flat, of length d·A, read row-major as ``W = theta.reshape(d, A)``:
column a of W holds the weights of action a's logit. Its score is an outer product,

    ∇_W log π_θ(a|s) = φ(s) (e_a − π_θ(·|s))ᵀ,

features times "the action taken minus the average action", flattened like θ.
With one-hot features φ(s) = e_s this is exactly the tabular softmax.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from ..validate import as_array, check_finite, check_generator, check_int, check_shape
from ._features import Features, feature_count
from ._noise import noise_rows

__all__ = ["LinearSoftmax"]


class LinearSoftmax:
    """π_θ(a|s) = softmax(φ(s)ᵀW)_a, with W = θ.reshape(d, A).

    Parameters
    ----------
    n_features : int
        The length of φ(s). With ``features=None``, φ is the identity and
        observations must be vectors of this length (CartPole: 4).
    n_actions : int
        A, the number of actions (actions are integers in [0, A)).
    features : callable, optional
        φ: an array of observations ``batch + obs_shape`` → ``batch + (n_features,)``.
    bias : bool, default False
        Append a constant feature 1, so φ(s) = [s, 1] has d = n_features + 1
        entries and each action gets an intercept. Off by default: CartPole is
        symmetric under s → −s, so its linear policy needs none.

    The policy holds only the structure; θ (shape ``(d·A,)``) is passed to every method.
    """

    def __init__(self, n_features: int, n_actions: int, features=None, *, bias: bool = False):
        n_features = check_int("n_features", n_features, minimum=1)
        self.n_actions = check_int("n_actions", n_actions, minimum=1)
        self.phi = Features(n_features, features, bias)

    @classmethod
    def from_space(cls, observation_space, action_space, features=None, *, bias: bool = False):
        """The policy for a gymnasium env: d from a 1-D Box observation space, A from a Discrete action space."""
        if not isinstance(action_space, spaces.Discrete):
            raise TypeError(
                f"action_space: expected a Discrete action space, got {action_space} "
                "(for continuous actions use LinearGaussian)"
            )
        if int(action_space.start) != 0:
            raise ValueError(f"action_space: expected actions numbered from 0, got {action_space}")
        n_features = feature_count(observation_space, features)
        return cls(n_features, int(action_space.n), features, bias=bias)

    def __repr__(self) -> str:
        return (f"LinearSoftmax(n_features={self.n_features}, n_actions={self.n_actions}, "
                f"features={self.phi!r})")

    @property
    def n_features(self) -> int:
        """The length of φ(s) before any bias feature."""
        return self.phi.n_features

    @property
    def n_params(self) -> int:
        """d·A, the length of θ (d = n_features, plus 1 with a bias feature)."""
        return self.phi.dim * self.n_actions

    # ------------------------------------------------------------------ checks
    def _weights(self, theta) -> np.ndarray:
        """W = θ.reshape(d, A), after checking θ."""
        theta = check_shape("theta", as_array("theta", theta), (self.n_params,))
        return check_finite("theta", theta).reshape(self.phi.dim, self.n_actions)

    def _actions(self, actions, batch: tuple) -> np.ndarray:
        """Integer actions in [0, A) of shape ``batch``."""
        raw = np.asarray(actions)
        if raw.dtype == bool or not (
            np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)
        ):
            raise TypeError(f"actions: expected integers in [0, {self.n_actions}), got dtype {raw.dtype}")
        if raw.shape != batch:
            raise ValueError(f"actions: expected shape {batch} (one per observation), got shape {raw.shape}")
        if np.issubdtype(raw.dtype, np.floating) and np.any(raw != np.round(raw)):
            raise ValueError(f"actions: expected integers in [0, {self.n_actions}), got non-integer values")
        out = raw.astype(np.int64)
        if out.size and (out.min() < 0 or out.max() >= self.n_actions):
            bad = out[(out < 0) | (out >= self.n_actions)].flat[0]
            raise ValueError(f"actions: expected integers in [0, {self.n_actions}), got {bad}")
        return out

    # ------------------------------------------------------------- the policy
    def init_theta(self, rng=None) -> np.ndarray:
        """θ_0: zeros (the uniform policy), or small N(0, 0.01²) weights if ``rng`` is given."""
        if rng is None:
            return np.zeros(self.n_params)
        return 0.01 * check_generator("rng", rng).standard_normal(self.n_params)

    def logits(self, theta, obs) -> np.ndarray:
        """z = φ(s)ᵀW for each observation, shape ``batch + (A,)``."""
        return self.phi(obs) @ self._weights(theta)

    def log_probs(self, theta, obs) -> np.ndarray:
        """log π_θ(·|s) for every action, shape ``batch + (A,)``.

        Computed as z_a − max_b z_b − log Σ_b exp(z_b − max_b z_b): subtracting
        the largest logit first keeps exp from overflowing for huge logits.
        """
        z = self.logits(theta, obs)
        shifted = z - z.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))

    def probs(self, theta, obs) -> np.ndarray:
        """π_θ(·|s), shape ``batch + (A,)``; sums to 1 along the last axis."""
        return np.exp(self.log_probs(theta, obs))

    def log_prob(self, theta, obs, actions) -> np.ndarray:
        """log π_θ(a|s) for each (observation, action) pair, shape ``batch``."""
        logp = self.log_probs(theta, obs)
        actions = self._actions(actions, logp.shape[:-1])
        return np.take_along_axis(logp, actions[..., None], axis=-1)[..., 0]

    def score(self, theta, obs, actions) -> np.ndarray:
        """∇_θ log π_θ(a|s) = φ(s) (e_a − π_θ(·|s))ᵀ flattened, shape ``batch + (d·A,)``.

        The outer product of the features (d,) with "one-hot action minus
        probabilities" (A,) is a (d, A) matrix shaped like W, flattened row-major like θ.
        """
        W = self._weights(theta)
        phi = self.phi(obs)                                 # batch + (d,)
        z = phi @ W
        pi = np.exp(z - z.max(axis=-1, keepdims=True))
        pi /= pi.sum(axis=-1, keepdims=True)                # batch + (A,)
        actions = self._actions(actions, pi.shape[:-1])
        e_minus_pi = np.eye(self.n_actions)[actions] - pi   # e_a − π, batch + (A,)
        outer = phi[..., :, None] * e_minus_pi[..., None, :]  # batch + (d, A)
        return outer.reshape(pi.shape[:-1] + (self.n_params,))

    def sample(self, theta, obs, rng) -> np.ndarray:
        """a ~ π_θ(·|s) for each observation, shape ``batch`` (int64), by the Gumbel-max trick."""
        rng = check_generator("rng", rng)
        phi, W = self.phi(obs), self._weights(theta)
        if self.n_actions == 2:
            return _two_action_draw(phi.dot(W[:, 1] - W[:, 0]), rng)
        return _gumbel_max(phi @ W, rng)

    def _sampler(self, theta, rng, batch_shape: tuple):
        """``sample`` for the rollout's inner loop: ``draw(obs, out)`` writes a ~ π_θ(·|s) into ``out``.

        θ is checked once here and obs never (the rollout checks its first one
        with :meth:`sample`). The noise comes from ``rng`` in blocks
        (:func:`._noise.noise_rows`), so n calls draw exactly what n calls of
        ``sample(theta, obs, rng)`` would. ``out``: an int64 array of shape ``batch_shape``.
        """
        W, phi = self._weights(theta), self.phi.unchecked
        if self.n_actions == 2:
            w_diff = W[:, 1] - W[:, 0]  # (.dot rather than @: less overhead per call, same result)
            logistic = noise_rows(rng.logistic, batch_shape)

            def draw(obs, out):
                np.less(next(logistic), phi(obs).dot(w_diff), out=out)  # as in _two_action_draw

            return draw
        gumbel = noise_rows(rng.gumbel, tuple(batch_shape) + (self.n_actions,))

        def draw(obs, out):
            np.argmax(phi(obs) @ W + next(gumbel), axis=-1, out=out)  # as in _gumbel_max

        return draw


def _gumbel_max(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """argmax_a (z_a + g_a) with g_a iid Gumbel(0, 1), shape z.shape[:-1].

    The Gumbel-max trick: P(argmax_a (z_a + g_a) = a) = softmax(z)_a exactly,
    so sampling from a softmax needs no normalising.
    """
    return np.argmax(z + rng.gumbel(size=z.shape), axis=-1).astype(np.int64)


def _two_action_draw(z_diff: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gumbel-max for two actions, given z_1 − z_0 = φ(s)ᵀ(w_1 − w_0): a = 1 iff X < z_1 − z_0.

    a = 1 iff z_1 + g_1 > z_0 + g_0 iff X = g_0 − g_1 < z_1 − z_0, and the difference
    X of two iid Gumbels is Logistic(0, 1). So P(a = 1) = sigmoid(z_1 − z_0) = softmax(z)_1,
    with one random number per state instead of two.
    """
    return (rng.logistic(size=z_diff.shape) < z_diff).astype(np.int64)

