"""The tabular softmax policy: one logit per (state, action) pair.

    π_θ(a|s) = exp θ[s,a] / Σ_b exp θ[s,b]

θ is flat, of length S·A, read row-major as a table ``theta.reshape(S, A)``:
row s holds the logits of state s. Its score is the softmax's own derivative,

    ∇_θ log π_θ(a|s) = e_{s,a} − π_θ(·|s) on row s,  0 on every other row,

that is: +1 at the entry (s, a) that was taken, minus the probabilities of
row s, and nothing for the states that were not visited.

State aliasing (optional): with ``observe`` (an int array of length S), state s
uses row o(s) = observe[s] of θ, so states with the same observation share
their logits: π_θ(a|s) = softmax(θ[o(s), :])[a], and the score lives on row
o(s). ``observe=np.zeros(S, int)`` is a policy that cannot tell states apart,
like the agent of Sutton & Barto's short corridor (Example 13.1).
"""

from __future__ import annotations

import numpy as np

from ..validate import as_array, check_finite, check_generator, check_int, check_shape

__all__ = ["TabularSoftmax"]


class TabularSoftmax:
    """π_θ(a|s) = softmax(θ[s, :])[a] over ``n_states`` states and ``n_actions`` actions.

    Parameters
    ----------
    n_states : int
        S, the number of states (observations are integers in [0, S)).
    n_actions : int
        A, the number of actions (actions are integers in [0, A)).
    observe : int array of shape (S,), optional
        o(s), the row of θ that state s uses (state aliasing); default o(s) = s.

    The policy holds only the sizes; θ (shape ``(n_rows·A,)``, n_rows = S unless
    ``observe`` merges states) is passed to every method.
    """

    def __init__(self, n_states: int, n_actions: int, observe=None):
        self.n_states = check_int("n_states", n_states, minimum=1)
        self.n_actions = check_int("n_actions", n_actions, minimum=1)
        if observe is None:
            self.observe = np.arange(self.n_states)
        else:
            observe = np.asarray(observe)
            if not np.issubdtype(observe.dtype, np.integer):
                raise TypeError(f"observe: expected integers (one row index per state), got dtype {observe.dtype}")
            check_shape("observe", observe, (self.n_states,))
            if observe.min() < 0:
                raise ValueError(f"observe: expected row indices >= 0, got {observe.min()}")
            self.observe = observe.astype(np.int64)
        self.n_rows = int(self.observe.max()) + 1

    def __repr__(self) -> str:
        extra = "" if self.n_rows == self.n_states and np.all(self.observe == np.arange(self.n_states)) \
            else f", observe={self.observe.tolist()}"
        return f"TabularSoftmax(n_states={self.n_states}, n_actions={self.n_actions}{extra})"

    @property
    def n_params(self) -> int:
        """n_rows·A, the length of θ (S·A without aliasing)."""
        return self.n_rows * self.n_actions

    # ------------------------------------------------------------------ checks
    def _theta(self, theta) -> np.ndarray:
        theta = check_shape("theta", as_array("theta", theta), (self.n_params,))
        return check_finite("theta", theta)

    def _index(self, name: str, values, size: int) -> np.ndarray:
        """Integer states or actions in [0, size); floats like 2.0 are accepted, 2.5 is not."""
        raw = np.asarray(values)
        if raw.dtype == bool or not (
            np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)
        ):
            raise TypeError(f"{name}: expected integers in [0, {size}), got dtype {raw.dtype}")
        if np.issubdtype(raw.dtype, np.floating):
            check_finite(name, raw)
            if np.any(raw != np.round(raw)):
                raise ValueError(f"{name}: expected integers in [0, {size}), got non-integer values")
        out = raw.astype(np.int64)
        if out.size and (out.min() < 0 or out.max() >= size):
            bad = out[(out < 0) | (out >= size)].flat[0]
            raise ValueError(f"{name}: expected integers in [0, {size}), got {bad}")
        return out

    def _states_actions(self, states, actions):
        states = self._index("states", states, self.n_states)
        actions = self._index("actions", actions, self.n_actions)
        if states.shape != actions.shape:
            raise ValueError(
                f"actions: expected the same shape as states {states.shape}, got shape {actions.shape}"
            )
        return states, actions

    # ------------------------------------------------------------- the policy
    def init_theta(self, rng=None) -> np.ndarray:
        """θ_0: zeros (the uniform policy), or small N(0, 0.01²) logits if ``rng`` is given."""
        if rng is None:
            return np.zeros(self.n_params)
        return 0.01 * check_generator("rng", rng).standard_normal(self.n_params)

    def log_probs(self, theta) -> np.ndarray:
        """log π_θ(a|s) for every state and action, shape (S, A).

        Computed as θ[s,a] − max_b θ[s,b] − log Σ_b exp(θ[s,b] − max_b θ[s,b]):
        subtracting the row maximum first keeps exp from overflowing for huge logits.
        """
        logits = self._theta(theta).reshape(self.n_rows, self.n_actions)
        shifted = logits - logits.max(axis=1, keepdims=True)
        rows = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return rows[self.observe]  # state s reads row o(s)

    def probs(self, theta) -> np.ndarray:
        """The whole table π_θ(a|s), shape (S, A); each row sums to 1."""
        return np.exp(self.log_probs(theta))

    def log_prob(self, theta, states, actions) -> np.ndarray:
        """log π_θ(a|s) for each (state, action) pair, shape ``states.shape``."""
        states, actions = self._states_actions(states, actions)
        return self.log_probs(theta)[states, actions]

    def score(self, theta, states, actions) -> np.ndarray:
        """∇_θ log π_θ(a|s) = e_{s,a} − π_θ(·|s) on row s, shape ``states.shape + (n_params,)``.

        Built as a zero (…, S, A) table per pair: row s gets −π_θ(·|s), then
        entry (s, a) gets +1, and the table is flattened row-major like θ.
        (With aliasing, "row s" is row o(s).)
        """
        states, actions = self._states_actions(states, actions)
        pi = self.probs(theta)
        flat_s, flat_a = states.ravel(), actions.ravel()
        row = self.observe[flat_s]
        pair = np.arange(flat_s.size)
        grad = np.zeros((flat_s.size, self.n_rows, self.n_actions))
        grad[pair, row, :] = -pi[flat_s]
        grad[pair, row, flat_a] += 1.0
        return grad.reshape(states.shape + (self.n_params,))

    def sample(self, theta, states, rng) -> np.ndarray:
        """a ~ π_θ(·|s) for each state, shape ``states.shape`` (int).

        Inverse-CDF sampling, vectorized: draw u ~ U[0,1) per state and take the
        first action whose cumulative probability exceeds u.
        """
        rng = check_generator("rng", rng)
        states = self._index("states", states, self.n_states)
        cdf = np.cumsum(self.probs(theta), axis=1)[states]  # shape states.shape + (A,)
        u = rng.random(states.shape + (1,))
        # (u >= cdf).sum() counts the actions passed; clip guards cdf[-1] = 1 - 1e-16
        return np.minimum((u >= cdf).sum(axis=-1), self.n_actions - 1).astype(np.int64)
