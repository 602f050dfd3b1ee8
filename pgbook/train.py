"""REINFORCE: roll out π_θ, estimate ∇J(θ), step θ uphill; repeat.

    for k = 0, 1, ...:
        ξ_1..ξ_N ~ π_{θ_k}                       (rollout)
        ĝ_k = (1/N) Σ_i g(ξ_i)                   (an estimator from pgbook.estimators)
        θ_{k+1} = optimizer.step(θ_k, ĝ_k)       (ascent: SGD or Adam)

:func:`reinforce` runs that loop and returns a :class:`LearningCurve`.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from . import estimators
from .batch import Batch
from .optim import Adam
from .rollout import collect, make_vector_env
from .validate import as_array, check_finite, check_generator, check_int, check_shape

__all__ = ["LearningCurve", "reinforce", "baseline_values"]


@dataclass(frozen=True)
class LearningCurve:
    """What REINFORCE did, one entry per iteration k (all arrays of shape (iterations,)).

    env_steps:   steps in the batches of iterations 0..k (cumulative; steps simulated
                 but not kept, such as autoreset steps, are not counted)
    episodes:    episodes in the batches of iterations 0..k (cumulative)
    mean_return: (1/N) Σ_i R(ξ_i) of iteration k's batch, sampled from π_{θ_k} (before its step)
    wall_time:   seconds spent in iterations 0..k (cumulative; callback time not counted)
    theta:       (n_params,) the last θ: the one after the final step, or the θ_k whose
                 batch reached target_return
    reached_target: whether a batch's mean return reached target_return
    """

    env_steps: np.ndarray
    episodes: np.ndarray
    mean_return: np.ndarray
    wall_time: np.ndarray
    theta: np.ndarray
    reached_target: bool = False

    @property
    def iterations(self) -> int:
        """The number of iterations run."""
        return len(self.mean_return)


BASELINES = ("none", "mean")


def baseline_values(batch: Batch, kind: str = "mean", gamma: float = 1.0) -> np.ndarray | None:
    """The baseline b_t for each step of a batch, shape (T, N), or None for no baseline.

    kind = "none": b_t = 0.
    kind = "mean": b_t^{(i)} = the mean reward-to-go G^γ_t = Σ_{t'≥t} γ^{t'−t} r_{t'}
    over the *other* episodes j ≠ i still running at step t (0 if none is). It
    tracks how much reward is typically still to come at step t, on the same
    scale as the G^γ_t it is subtracted from (``gamma`` is the estimator's
    discount). Leaving episode i out matters: a baseline built from episode i's
    own G^γ_t would be correlated with its score and bias ĝ by O(1/N). Built
    from the others it is exactly independent of episode i when every episode
    runs in its own copy of the env (``batch_episodes`` ≤ ``num_envs``). With
    more episodes than copies, or with a step budget (``batch_steps``), which
    other episodes are in the batch depends a little on episode i's length
    (rollouts keep the episodes that start first), a far smaller effect.
    """
    if kind not in BASELINES:
        raise ValueError(f"baseline: expected one of {BASELINES} or a number or array, got {kind!r}")
    if kind == "none":
        return None
    togo = estimators.reward_to_go(batch.rewards, batch.mask, gamma)  # (T, N), 0 after each end
    total = togo.sum(axis=1, keepdims=True)                    # Σ_j G_t^j over running episodes
    count = batch.mask.sum(axis=1, keepdims=True)              # how many are running at t
    others = count - batch.mask                                # running at t, excluding i
    return np.where(others > 0, (total - togo) / np.maximum(others, 1), 0.0)


def reinforce(env, policy, theta0, *, iterations: int, rng, batch_steps: int | None = None,
              batch_episodes: int | None = None, optimizer=None,
              estimator=estimators.reward_to_go_estimator, baseline="mean", gamma: float = 1.0,
              num_envs: int = 16, max_steps: int | None = None, callback=None,
              progress: bool = True, target_return: float | None = None) -> LearningCurve:
    """Train π_θ by REINFORCE for up to ``iterations`` steps of θ; return the learning curve.

    env:            a gymnasium env id (a vector env of ``num_envs`` copies is made
                    and closed here), a gymnasium.Env or a gymnasium.vector.VectorEnv
    policy, theta0: a pgbook policy and θ_0, shape (policy.n_params,)
    iterations:     the most iterations to run
    rng:            numpy Generator; every random draw comes from it, so a seed fixes the run
    batch_steps:    each batch holds whole episodes, ≥ batch_steps steps in all
                    (default 2000 when neither is given) ...
    batch_episodes: ... or exactly this many episodes (give one of the two)
    optimizer:      SGD or Adam (default Adam(lr=0.2), tuned on CartPole-v1 with a
                    linear softmax policy); its state carries over iterations
    estimator:      estimator(batch, policy, theta, ...) → Estimate (default reward-to-go)
    baseline:       "mean" (see :func:`baseline_values`), "none", or a fixed number,
                    (T,) or (T, N) array passed to the estimator as is
    gamma:          discount passed to the estimator (1: none, as in the book)
    num_envs:       sub-envs stepped together when ``env`` is an id
    max_steps:      cut episodes after this many steps (truncation)
    callback:       called after every iteration as callback(curve_so_far); return
                    False (or raise StopIteration) to stop training there
    progress:       show a tqdm progress bar
    target_return:  stop as soon as a batch's mean return reaches this value
    """
    rng = check_generator("rng", rng)
    iterations = check_int("iterations", iterations, minimum=1)
    if batch_steps is not None and batch_episodes is not None:
        raise TypeError("batch_steps: give batch_steps or batch_episodes, not both")
    if batch_episodes is not None:
        check_int("batch_episodes", batch_episodes, minimum=1)
    else:
        batch_steps = 2000 if batch_steps is None else check_int("batch_steps", batch_steps, minimum=1)
    theta = check_finite("theta0", check_shape("theta0", as_array("theta0", theta0), (policy.n_params,)))
    theta = theta.copy()
    optimizer = Adam(lr=0.2) if optimizer is None else optimizer
    if not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer: expected an object with step(theta, grad), got {optimizer!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected a callable or None, got {callback!r}")
    if target_return is not None:
        target_return = float(target_return)
    estimate = _estimator_with_baseline(estimator, baseline, gamma)

    venv = make_vector_env(env, num_envs) if isinstance(env, str) else env
    steps, episodes, returns, seconds = [], [], [], []
    total_steps = total_episodes = 0
    elapsed, reached = 0.0, False
    bar = tqdm(total=iterations, disable=not progress, desc="REINFORCE", unit="it")
    try:
        for _ in range(iterations):
            start = time.perf_counter()
            batch, _info = collect(venv, policy, theta, rng, n_steps=batch_steps,
                                   n_episodes=batch_episodes, max_steps=max_steps)
            mean_return = float(batch.returns.mean())
            reached = target_return is not None and mean_return >= target_return
            if not reached:  # keep the θ that reached the target
                theta = optimizer.step(theta, estimate(batch, policy, theta).gradient)
            elapsed += time.perf_counter() - start

            total_steps += int(batch.mask.sum())
            total_episodes += batch.n_episodes
            steps.append(total_steps)
            episodes.append(total_episodes)
            returns.append(mean_return)
            seconds.append(elapsed)
            bar.set_postfix(mean_return=f"{mean_return:.1f}", refresh=False)
            bar.update()
            if callback is not None:
                try:
                    verdict = callback(_curve(steps, episodes, returns, seconds, theta, reached))
                except StopIteration:
                    break
                # None (no return statement) means go on; any falsy answer, numpy's
                # False included, means stop
                if verdict is not None and not verdict:
                    break
            if reached:
                break
    finally:
        bar.close()
        if venv is not env:
            venv.close()
    return _curve(steps, episodes, returns, seconds, theta, reached)


def _curve(steps, episodes, returns, seconds, theta, reached) -> LearningCurve:
    return LearningCurve(np.array(steps), np.array(episodes), np.array(returns),
                         np.array(seconds), theta.copy(), bool(reached))


def _estimator_with_baseline(estimator, baseline, gamma):
    """estimator(batch, policy, theta) with the baseline and gamma filled in."""
    if not callable(estimator):
        raise TypeError(f"estimator: expected a callable, got {estimator!r}")
    if isinstance(baseline, str):
        if baseline not in BASELINES:
            raise ValueError(f"baseline: expected one of {BASELINES} or a number or array, got {baseline!r}")
    if baseline is None or (isinstance(baseline, str) and baseline == "none"):
        return lambda batch, policy, theta: estimator(batch, policy, theta, gamma=gamma)
    if "baseline" not in inspect.signature(estimator).parameters:
        name = getattr(estimator, "__name__", repr(estimator))
        raise TypeError(f"baseline: {name} takes no baseline; pass baseline='none'")
    if isinstance(baseline, str):  # "mean": recomputed from every batch
        return lambda batch, policy, theta: estimator(
            batch, policy, theta, baseline=baseline_values(batch, baseline, gamma), gamma=gamma)
    return lambda batch, policy, theta: estimator(batch, policy, theta, baseline=baseline, gamma=gamma)
