"""The feature map φ(s) shared by the linear policies.

Both linear policies read an observation s through features φ(s) ∈ R^d and act
on φ(s)ᵀW. By default φ is the identity on the observation vector; a ``bias``
feature appends a constant 1, so φ(s) = [s, 1] and W gains one row.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from ..validate import as_array

__all__ = ["Features", "check_box", "feature_count"]


class Features:
    """φ: observations of shape ``batch + obs_shape`` → features of shape ``batch + (d,)``.

    n_features : the length of φ(s) before any bias feature (for the identity
        map: the length of the observation vector).
    features : optional callable obs → φ(obs) acting on the last axes; None for
        the identity.
    bias : append a constant 1 to φ(s), so d = n_features + 1.
    """

    def __init__(self, n_features: int, features=None, bias: bool = False):
        if features is not None and not callable(features):
            raise TypeError(f"features: expected a callable obs -> φ(obs) or None, got {features!r}")
        self.n_features = n_features
        self.map = features
        self.bias = bool(bias)
        self.dim = n_features + int(self.bias)

    def __call__(self, obs) -> np.ndarray:
        """φ(s) for a batch of observations, shape ``batch + (dim,)``, checked."""
        obs = as_array("obs", obs)
        if self.map is None:
            if obs.ndim == 0 or obs.shape[-1] != self.n_features:
                raise ValueError(
                    f"obs: policy expects {self.n_features} features, "
                    f"got observation of shape {obs.shape[-1:]}"
                )
            phi = obs
        else:
            phi = as_array("features", self.map(obs))
            if phi.ndim == 0 or phi.shape[-1] != self.n_features:
                raise ValueError(
                    f"features: policy expects φ(s) with {self.n_features} entries, "
                    f"got φ of shape {phi.shape[-1:]} for observations of shape {obs.shape}"
                )
        return self.append_bias(phi)

    def unchecked(self, obs) -> np.ndarray:
        """φ(s) without the checks, for the rollout's inner loop (obs already validated once)."""
        phi = obs if self.map is None else self.map(obs)
        return self.append_bias(phi)

    def append_bias(self, phi: np.ndarray) -> np.ndarray:
        if not self.bias:
            return phi
        return np.concatenate([phi, np.ones(phi.shape[:-1] + (1,), dtype=phi.dtype)], axis=-1)

    def __repr__(self) -> str:
        name = "identity" if self.map is None else getattr(self.map, "__name__", repr(self.map))
        return f"{name}{' + bias' if self.bias else ''}"


def check_box(name: str, space, what: str) -> int:
    """Require a 1-D Box space (observations or actions) and return its length."""
    if not isinstance(space, spaces.Box) or len(space.shape) != 1:
        raise TypeError(f"{name}: expected a 1-D Box {what} space, got {space}")
    return int(space.shape[0])


def feature_count(observation_space, features=None) -> int:
    """The length of φ(s) for observations from ``observation_space``.

    With the identity map, the length of a 1-D Box observation; with a feature
    map, the length of φ applied to an all-zero observation (no random draw).
    """
    if features is None:
        return check_box("observation_space", observation_space, "observation")
    probe = np.zeros(observation_space.shape, observation_space.dtype)
    return int(np.shape(features(probe))[-1])
