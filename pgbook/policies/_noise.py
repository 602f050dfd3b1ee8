"""Noise for the rollout's inner loop, drawn a block of rows at a time.

A rollout samples a_t ~ π_θ(·|s_t) once per vector-env step, from noise u_t of a
fixed shape (one logistic number per sub-env, say). One call to the Generator per
step costs more than the arithmetic it feeds, so :func:`noise_rows` draws
``block`` rows in one call and hands them out one by one.

This changes the cost, not the numbers: a numpy Generator fills an array of
shape (B,) + shape entry by entry from one stream, so the rows of one
``draw(size=(B,) + shape)`` are exactly what B calls ``draw(size=shape)`` would
have returned. (``tests/test_policies_continuous.py`` checks this for every policy.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

BLOCK = 64  # rows per call to the Generator


def noise_rows(draw: Callable[..., np.ndarray], shape: tuple, block: int = BLOCK) -> Iterator[np.ndarray]:
    """An endless iterator of noise rows u_0, u_1, ..., each of shape ``shape``.

    draw: a Generator method taking ``size``, e.g. ``rng.logistic`` or ``rng.standard_normal``.
    The rng advances a whole block at a time, so after the rollout it has moved
    past the rows drawn but not used.
    """
    while True:
        yield from draw(size=(block,) + tuple(shape))  # iterating an array yields its rows
