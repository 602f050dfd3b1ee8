"""Checks for chapter 2 (the gradient by brute force).

check_finite_difference_gradient(fn), for

    fn(f, theta, h) -> (n_params,)
    ĝ_i = (f(θ + h e_i) − f(θ − h e_i)) / (2h),   i = 0..dim θ − 1

the central difference along each coordinate, with f: (n_params,) -> float,
theta (n_params,) and the step h > 0. Its error is O(h²), against O(h) for the
forward difference (f(θ + h e_i) − f(θ)) / h.
"""

from __future__ import annotations

import numpy as np

from .core import Case, CheckResult, check_function, described, function_name

__all__ = ["finite_difference_gradient", "check_finite_difference_gradient"]


def finite_difference_gradient(f, theta, h) -> np.ndarray:
    """(f(θ + h e_i) − f(θ − h e_i)) / (2h) for each i, shape (n_params,) (reference solution)."""
    theta = np.asarray(theta, dtype=float)
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * h)
    return grad


def _cases() -> list[Case]:
    linear = described(lambda th: 3.0 * th[0], "f(θ) = 3 θ_0")
    cube = described(lambda th: th[0] ** 3, "f(θ) = θ_0³")
    square = described(lambda th: float(np.sum(th ** 2)), "f(θ) = Σ_i θ_i²")
    wavy = described(lambda th: float(np.sin(th[0]) * np.exp(th[1])), "f(θ) = sin(θ_0) exp(θ_1)")
    mixed = described(lambda th: float(th[0] * th[1] ** 2 + np.cos(th[2]) - th[3]),
                      "f(θ) = θ_0 θ_1² + cos(θ_2) − θ_3")
    return [
        Case("one parameter, f linear (every difference quotient is exact)", (linear, np.array([0.5]), 0.1)),
        Case("one parameter, f(θ) = θ_0³ at θ = 1, h = 0.1", (cube, np.array([1.0]), 0.1)),
        Case("three parameters, f(θ) = Σ θ_i², h = 0.01", (square, np.array([1.0, -2.0, 0.5]), 0.01)),
        Case("two parameters, f(θ) = sin(θ_0) exp(θ_1), h = 0.1", (wavy, np.array([0.3, -0.4]), 0.1)),
        Case("four parameters, h = 0.25", (mixed, np.array([1.5, -1.0, 0.7, 2.0]), 0.25)),
    ]


def _forward(f, theta, h):
    theta = np.asarray(theta, dtype=float)
    f0 = f(theta)
    return np.array([(f(theta + h * e) - f0) / h for e in np.eye(theta.size)])


def _half_step(f, theta, h):
    return 2.0 * finite_difference_gradient(f, theta, h)


MISTAKES = [
    (_forward, "this is the forward difference (f(θ + h e_i) − f(θ)) / h; the exercise asks for "
               "the central one, (f(θ + h e_i) − f(θ − h e_i)) / (2h)."),
    (_half_step, "the answer is twice the central difference: divide by 2h, the distance "
                 "between θ − h e_i and θ + h e_i."),
]


def check_finite_difference_gradient(fn, *, all_cases: bool = False, case: int | None = None) -> CheckResult:
    """Check ``fn(f, theta, h)`` against the central difference on 5 functions, one parameter first."""
    name = function_name(fn, "finite_difference_gradient")
    return check_function(fn, finite_difference_gradient, _cases(), name, mistakes=MISTAKES,
                          all_cases=all_cases, case=case)
