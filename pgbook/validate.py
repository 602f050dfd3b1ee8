"""Argument checks that speak the reader's language.

Every public function in pgbook checks what it is given with these helpers, so a
mistake surfaces as one sentence naming the argument, what was expected and what
came, for example::

    ValueError: theta: expected shape (12,), got shape (3, 4)

instead of a numpy broadcast traceback from deep inside a computation.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_array",
    "check_shape",
    "check_finite",
    "check_int",
    "check_distribution",
    "check_generator",
]


def _describe(value) -> str:
    """A short description of what came: its shape for arrays, else its repr."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_array(name: str, value, dtype=float) -> np.ndarray:
    """Convert ``value`` to an ndarray of ``dtype``, or say which argument could not be."""
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name}: expected an array of {np.dtype(dtype).name} values, got {_describe(value)}"
        ) from err


def check_shape(name: str, array: np.ndarray, shape: tuple) -> np.ndarray:
    """Require ``array.shape == shape``; ``None`` in ``shape`` matches any length."""
    ok = array.ndim == len(shape) and all(
        want is None or want == got for want, got in zip(shape, array.shape)
    )
    if not ok:
        pretty = "(" + ", ".join("any" if s is None else str(s) for s in shape)
        pretty += ",)" if len(shape) == 1 else ")"
        raise ValueError(f"{name}: expected shape {pretty}, got shape {array.shape}")
    return array


def check_finite(name: str, array: np.ndarray) -> np.ndarray:
    """Require every entry to be finite (no NaN, no ±inf)."""
    array = np.asarray(array)
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        where = tuple(int(i) for i in bad) if array.ndim else ()
        raise ValueError(
            f"{name}: expected finite numbers, got {array[tuple(bad)] if array.ndim else array} "
            f"at index {where}"
        )
    return array


def check_int(name: str, value, minimum: int = 0) -> int:
    """Require a whole number ``>= minimum`` (bools are refused: ``True`` is not a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer >= {minimum}, got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_distribution(name: str, p: np.ndarray, axis: int = -1, atol: float = 1e-8) -> np.ndarray:
    """Require non-negative entries that sum to 1 along ``axis``."""
    p = check_finite(name, np.asarray(p, dtype=float))
    if np.any(p < 0):
        raise ValueError(f"{name}: expected probabilities >= 0, got minimum {p.min():.3g}")
    sums = p.sum(axis=axis)
    if not np.allclose(sums, 1.0, atol=atol):
        worst = np.argmax(np.abs(sums - 1.0))
        where = np.unravel_index(worst, np.shape(sums)) if np.ndim(sums) else ()
        raise ValueError(
            f"{name}: expected probabilities that sum to 1 along axis {axis}, "
            f"got a sum of {np.ravel(sums)[worst]:.6g} at index {tuple(int(i) for i in where)}"
        )
    return p


def check_generator(name: str, rng) -> np.random.Generator:
    """Require a ``numpy.random.Generator``: every random draw in pgbook goes through one."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: expected a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {_describe(rng)}"
        )
    return rng
