"""Small batches (T, N) with masks, for the checks of chapters 4 and 5.

Where the mask is False (after an episode has ended) the arrays hold junk, not
zeros, so a function that forgets the mask gives a wrong answer the check sees.
"""

from __future__ import annotations

import numpy as np


def lengths_mask(lengths, horizon: int) -> np.ndarray:
    """mask (T, N) bool: True for t < lengths[i] in column i."""
    return np.arange(horizon)[:, None] < np.asarray(lengths)[None, :]


def junk_outside(array: np.ndarray, mask: np.ndarray, value: float = 7.0) -> np.ndarray:
    """A copy of ``array`` with ``value`` wherever the mask is False (a trailing axis allowed)."""
    out = np.array(array, dtype=float)
    keep = mask if out.ndim == mask.ndim else mask[..., None]
    return np.where(keep, out, value)


def random_batch(rng, lengths, horizon: int, n_params: int | None = None):
    """rewards (T, N), mask (T, N), and scores (T, N, n_params) if n_params is given; junk outside the mask."""
    mask = lengths_mask(lengths, horizon)
    n = len(lengths)
    rewards = junk_outside(np.round(rng.normal(1.0, 1.0, size=(horizon, n)), 2), mask)
    if n_params is None:
        return rewards, mask
    scores = junk_outside(np.round(rng.normal(size=(horizon, n, n_params)), 2), mask, -5.0)
    return scores, rewards, mask
