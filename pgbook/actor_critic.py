"""Actor-critic: REINFORCE with the reward-to-go replaced by GAE(λ) from a critic learned alongside θ.

    for k = 0, 1, ...:
        ξ_1..ξ_N ~ π_{θ_k}                                  (rollout)
        V_t^i = φ(s_t^i, t)ᵀ w_k                            (the critic, fitted on earlier batches)
        Â = GAE(λ) from the rewards and V                   (pgbook.critic.gae)
        ĝ_k = (1/N) Σ_i Σ_t γ^t ∇log π_θk(a_t|s_t) Â_t      (the actor's gradient)
        θ_{k+1} = optimizer.step(θ_k, ĝ_k)
        w_{k+1} = least squares of φᵀw on Â + V             (the critic's λ-return targets)

The critic used on batch k was fitted on batch k − 1 only, so it does not
depend on the episodes it weighs: with λ = 1 it is a baseline and adds no
bias; with λ < 1 the estimate is biased by whatever error the critic has
(:func:`pgbook.critic.gae_bias_variance` computes that bias exactly on a
tabular MDP). :func:`actor_critic` mirrors :func:`pgbook.train.reinforce`
argument for argument and returns the same learning curve, plus the critic.

The default critic is linear in simple features of the state *and the time*,
φ(s, t) = [1, 1 − t/H, s, s²] (:func:`time_state_features`): in a task with a
time limit H, such as CartPole-v1 (H = 500), the value of a state depends on
how many steps are left, and a critic that cannot see t cannot represent it
(Pardo et al., 2018, *Time limits in reinforcement learning*).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from .critic import check_lambda, fit_value, gae
from .estimators import weighted_score_estimator
from .optim import Adam
from .rollout import collect, make_vector_env
from .train import LearningCurve
from .validate import as_array, check_finite, check_generator, check_int, check_shape

__all__ = ["ActorCriticCurve", "time_state_features", "actor_critic"]


@dataclass(frozen=True)
class ActorCriticCurve(LearningCurve):
    """A :class:`pgbook.train.LearningCurve`, plus the critic's weights at the end.

    critic:  (d,) w, the last critic's weights; V(s, t) = φ(s, t)ᵀ w
    """

    critic: np.ndarray | None = None


def time_state_features(obs, horizon: int) -> np.ndarray:
    """φ(s_t, t) = [1, 1 − t/H, s, s²] for every step of a (T, N) batch of observations; H = ``horizon``.

    t is each entry's row (the time axis of a :class:`pgbook.batch.Batch`).
    1 − t/H is the fraction of the time limit still left; s² lets a linear
    critic see that the state's distance from 0, in either direction, matters.

    Shapes
    ------
    obs : (T, N, n)
        s_t, n numbers each (CartPole: 4)
    φ : (T, N, 2 + 2n)
        the result
    """
    horizon = check_int("horizon", horizon, minimum=1)
    obs = check_finite("obs", as_array("obs", obs))
    if obs.ndim != 3:
        raise ValueError(f"obs: expected shape (T, N, n), observation vectors on the batch layout, got shape {obs.shape}")
    T, N = obs.shape[:2]
    left = np.broadcast_to(1.0 - np.arange(T)[:, None, None] / horizon, (T, N, 1))
    return np.concatenate([np.ones((T, N, 1)), left, obs, obs**2], axis=-1)


def _horizon(env, venv, max_steps) -> int | None:
    """The time limit H: max_steps, else the env's registered max_episode_steps, else None."""
    if max_steps is not None:
        return max_steps
    spec = getattr(venv, "spec", None) or getattr(env, "spec", None)
    limit = getattr(spec, "max_episode_steps", None)
    return None if limit is None else int(limit)


def actor_critic(env, policy, theta0, *, iterations: int, rng, batch_steps: int | None = None,
                 batch_episodes: int | None = None, optimizer=None, lam: float = 0.95, gamma: float = 1.0,
                 critic_features=None, ridge: float = 1e-3, num_envs: int = 16,
                 max_steps: int | None = None, callback=None, progress: bool = True,
                 target_return: float | None = None) -> ActorCriticCurve:
    """Train π_θ by actor-critic for up to ``iterations`` steps of θ; return the learning curve and the critic.

    The arguments are those of :func:`pgbook.train.reinforce` (env,
    policy, theta0, iterations, rng, batch_steps, batch_episodes, optimizer,
    gamma, num_envs, max_steps, callback, progress, target_return; the
    estimator and baseline are replaced by the critic), and:

    lam:              λ of GAE(λ), in [0, 1] (default 0.95; 1 makes the critic a plain baseline)
    critic_features:  φ(obs, horizon) → (T, N, d), the critic's features for a (T, N, n)
                      batch of observations, given the time limit H (max_steps, else the
                      env's registered one, else None); default :func:`time_state_features`
    ridge:            the critic's least-squares ridge (≥ 0), for features that are
                      nearly collinear early on

    The critic starts at w = 0 (V = 0: the first step is plain reward-to-go),
    and is refitted by least squares after every batch to that batch's λ-returns
    Â_t + V(s_t). Episodes end at termination or at the time limit, and the
    value after the last step is taken as 0 in both cases: the objective is the
    return within the time limit, and the time feature tells the critic how
    much of it is left. mean_return is that of iteration k's batch, before its step.
    """
    rng = check_generator("rng", rng)
    iterations = check_int("iterations", iterations, minimum=1)
    lam = check_lambda(lam)
    if isinstance(gamma, bool) or not (isinstance(gamma, numbers.Real) and 0.0 < gamma <= 1.0):
        raise ValueError(f"gamma: expected a discount in (0, 1], got {gamma!r}")
    if isinstance(ridge, bool) or not isinstance(ridge, numbers.Real) or ridge < 0:
        raise ValueError(f"ridge: expected a number >= 0, got {ridge!r}")
    if batch_steps is not None and batch_episodes is not None:
        raise TypeError("batch_steps: give batch_steps or batch_episodes, not both")
    if batch_episodes is not None:
        check_int("batch_episodes", batch_episodes, minimum=1)
    else:
        batch_steps = 2000 if batch_steps is None else check_int("batch_steps", batch_steps, minimum=1)
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, minimum=1)
    theta = check_finite("theta0", check_shape("theta0", as_array("theta0", theta0), (policy.n_params,))).copy()
    optimizer = Adam(lr=0.2) if optimizer is None else optimizer
    if not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer: expected an object with step(theta, grad), got {optimizer!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback: expected a callable or None, got {callback!r}")
    if critic_features is not None and not callable(critic_features):
        raise TypeError(f"critic_features: expected a callable (obs, horizon) -> (T, N, d), got {critic_features!r}")
    features = time_state_features if critic_features is None else critic_features
    if target_return is not None:
        target_return = float(target_return)

    venv = make_vector_env(env, num_envs) if isinstance(env, str) else env
    horizon = _horizon(env, venv, max_steps)
    if horizon is None and critic_features is None:
        if venv is not env:
            venv.close()
        raise ValueError("max_steps: the env has no registered time limit, so the default critic features "
                         "cannot tell how many steps are left; pass max_steps or critic_features")
    w = None  # the critic's weights; None: V = 0
    steps, episodes, returns, seconds = [], [], [], []
    total_steps = total_episodes = 0
    elapsed, reached = 0.0, False

    def curve() -> ActorCriticCurve:
        return ActorCriticCurve(np.array(steps), np.array(episodes), np.array(returns), np.array(seconds),
                                theta.copy(), bool(reached), None if w is None else w.copy())

    bar = tqdm(total=iterations, disable=not progress, desc="actor-critic", unit="it")
    try:
        for _ in range(iterations):
            start = time.perf_counter()
            batch, _info = collect(venv, policy, theta, rng, n_steps=batch_steps,
                                   n_episodes=batch_episodes, max_steps=max_steps)
            mean_return = float(batch.returns.mean())
            reached = target_return is not None and mean_return >= target_return
            if not reached:  # keep the θ that reached the target
                phi = np.asarray(features(batch.obs, horizon), dtype=float)  # (T, N, d)
                if phi.ndim != 3 or phi.shape[:2] != batch.rewards.shape:
                    raise ValueError(f"critic_features: expected shape {batch.rewards.shape + ('d',)}, "
                                     f"got shape {phi.shape}")
                values = np.zeros(batch.rewards.shape) if w is None else phi @ w
                advantage = gae(batch.rewards, values, batch.mask, gamma, lam=lam)  # critic from earlier batches
                theta = optimizer.step(theta, weighted_score_estimator(batch, policy, theta, advantage, gamma).gradient)
                w = fit_value(phi, advantage + values, batch.mask, ridge)  # λ-returns: the next critic
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
                    verdict = callback(curve())
                except StopIteration:
                    break
                if verdict is not None and not verdict:  # None: go on; any falsy answer: stop
                    break
            if reached:
                break
    finally:
        bar.close()
        if venv is not env:
            venv.close()
    return curve()
