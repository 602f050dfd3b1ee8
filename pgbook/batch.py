"""A batch of trajectories as fixed-shape arrays with a time axis and an episode axis.

Everything that samples trajectories (tabular MDPs in ``pgbook.mdp``, gymnasium
envs in ``pgbook.rollout``) returns a :class:`Batch`, and every gradient
estimator in ``pgbook.estimators`` reads one. Layout, as in CleanRL::

    obs      (T, N, *obs_shape)   s_t of episode i at [t, i]
    actions  (T, N, *act_shape)   a_t
    rewards  (T, N)               r_t = r(s_t, a_t)
    mask     (T, N) bool          True where step t of episode i happened

Episodes that end before the horizon have ``mask`` False after their last step,
and zeros in the other arrays there. So a sum over the steps of episode i is
``(x * mask)[:, i].sum()``, and the number of real steps is ``mask.sum()``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validate import check_shape


@dataclass(frozen=True)
class Batch:
    """N trajectories of up to T steps each (see the module docstring for shapes)."""

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray

    def __post_init__(self):
        T, N = self.rewards.shape
        check_shape("mask", self.mask, (T, N))
        check_shape("obs", self.obs[..., 0] if self.obs.ndim > 2 else self.obs, (T, N))
        check_shape(
            "actions", self.actions[..., 0] if self.actions.ndim > 2 else self.actions, (T, N)
        )

    @property
    def horizon(self) -> int:
        """T, the length of the time axis."""
        return self.rewards.shape[0]

    @property
    def n_episodes(self) -> int:
        """N, the number of trajectories."""
        return self.rewards.shape[1]

    @property
    def returns(self) -> np.ndarray:
        """R(ξ_i) = Σ_{t<T} r_t for each episode, shape (N,)."""
        return (self.rewards * self.mask).sum(axis=0)

    @property
    def lengths(self) -> np.ndarray:
        """Number of real steps in each episode, shape (N,)."""
        return self.mask.sum(axis=0)
