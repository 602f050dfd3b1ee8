"""Policies π_θ(a|s) with analytic score functions ∇_θ log π_θ(a|s).

Every policy follows one interface, so estimators and the training loop never
care which one they hold. θ is always a flat 1-D array of ``n_params`` numbers,
passed in explicitly: the policy object holds the structure (sizes, features),
never the parameters, so the math reads ∇_θ of a function of θ.

    policy.n_params                         int, the length of θ
    policy.init_theta(rng=None)             θ_0, shape (n_params,) (zeros unless rng given)
    policy.log_prob(theta, obs, actions)    log π_θ(a|s), shape batch
    policy.score(theta, obs, actions)       ∇_θ log π_θ(a|s), shape batch + (n_params,)
    policy.sample(theta, obs, rng)          a ~ π_θ(·|s), shape batch (+ action shape)

``obs`` has shape ``batch + obs_shape`` (tabular: integer states, obs_shape = ());
``batch`` is any leading shape, usually (T, N) from a :class:`pgbook.batch.Batch`.
"""

from .tabular import TabularSoftmax
from .linear_softmax import LinearSoftmax
from .gaussian import LinearGaussian

__all__ = ["TabularSoftmax", "LinearSoftmax", "LinearGaussian"]
