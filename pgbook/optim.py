"""Optimizers for gradient *ascent*: we maximise J(θ), so every step goes up the gradient.

Each optimizer is pure in θ: ``step(theta, grad)`` returns a new θ and never
modifies the arrays it is given. What an optimizer remembers between steps
(Adam's moment estimates) lives in the optimizer object; ``reset()`` forgets it.
"""

from __future__ import annotations

import numbers

import numpy as np

from .validate import as_array, check_finite, check_shape

__all__ = ["SGD", "Adam"]


def _check_rate(name: str, value, low: float = 0.0, high: float = np.inf, low_closed: bool = False) -> float:
    """A real number in the interval (low, high), or [low, high) with ``low_closed``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    above = value >= low if low_closed else value > low
    if not (above and value < high):
        interval = f"{'[' if low_closed else '('}{low:g}, {high:g})"
        raise ValueError(f"{name}: expected a number in {interval}, got {value:g}")
    return value


def _check_step(theta, grad) -> tuple[np.ndarray, np.ndarray]:
    theta = check_finite("theta", as_array("theta", theta))
    grad = check_finite("grad", as_array("grad", grad))
    check_shape("grad", grad, theta.shape)
    return theta, grad


class SGD:
    """Plain gradient ascent: θ ← θ + α ĝ.

    lr : α > 0, the step size.
    """

    def __init__(self, lr: float):
        self.lr = _check_rate("lr", lr)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr:g})"

    def step(self, theta, grad) -> np.ndarray:
        """θ + α ĝ, a new array of θ's shape."""
        theta, grad = _check_step(theta, grad)
        return theta + self.lr * grad

    def reset(self) -> None:
        """SGD remembers nothing; here for a uniform interface."""


class Adam:
    """Adam (Kingma & Ba, 2015) for ascent. With ĝ_k the k-th gradient (k = 1, 2, ...):

        m_k = β₁ m_{k−1} + (1 − β₁) ĝ_k          running mean of ĝ
        v_k = β₂ v_{k−1} + (1 − β₂) ĝ_k²         running mean of ĝ² (elementwise)
        m̂_k = m_k / (1 − β₁^k),  v̂_k = v_k / (1 − β₂^k)   bias corrections for m_0 = v_0 = 0
        θ_k = θ_{k−1} + α m̂_k / (√v̂_k + eps)

    Each coordinate moves by about α per step whatever the gradient's scale,
    which is why Adam's α needs little tuning across problems.

    lr: α > 0; beta1, beta2: decay rates in [0, 1); eps > 0: a small constant that guards the division
    (Adam's paper calls it ε; in this book ε is only the Gaussian noise).
    """

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr = _check_rate("lr", lr)
        self.beta1 = _check_rate("beta1", beta1, 0.0, 1.0, low_closed=True)
        self.beta2 = _check_rate("beta2", beta2, 0.0, 1.0, low_closed=True)
        self.eps = _check_rate("eps", eps)
        self.reset()

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}, eps={self.eps:g})"

    def reset(self) -> None:
        """Forget the moment estimates: the next step is step k = 1 again."""
        self.m = self.v = None
        self.k = 0

    def step(self, theta, grad) -> np.ndarray:
        """θ + α m̂ / (√v̂ + eps), a new array of θ's shape; updates m, v and k."""
        theta, grad = _check_step(theta, grad)
        if self.m is None:
            self.m, self.v = np.zeros_like(grad), np.zeros_like(grad)
        elif self.m.shape != grad.shape:
            raise ValueError(
                f"grad: expected shape {self.m.shape} as in earlier steps, got shape {grad.shape} "
                "(call reset() to start on a new θ)"
            )
        self.k += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.k)
        v_hat = self.v / (1 - self.beta2**self.k)
        return theta + self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
