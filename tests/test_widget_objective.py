"""Widget 1 (the objective explorer) of chapter 1.

Unit tests compare the widget's numbers with exact ones (the DP objective and
the exact variance of a return). The live test runs the widget in a real kernel
(nbclient), moves both controls, and checks that the new state was drawn, from
the numbers for the new x and N. The Monte Carlo helpers it uses are tested in
test_chapter_objective.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_in_kernel

from pgbook import exact
from pgbook.envs import corridor
from pgbook.policies import TabularSoftmax
from pgbook.widgets.objective import ObjectiveExplorer, objective_explorer

ALIASED = TabularSoftmax(4, 2, observe=np.zeros(4, int))


def small_explorer(**kw) -> ObjectiveExplorer:
    kw.setdefault("precompute", False)
    return objective_explorer(corridor(horizon=20), ALIASED, [0, 1], np.linspace(-1, 1, 3),
                              ns=[1, 8, 64], **kw)


# ------------------------------------------------------------------ widget
def test_widget_numbers_against_the_exact_oracle():
    w = small_explorer()
    hall = corridor(horizon=20)
    for x, theta, J in zip(w.xs, w.thetas, w.exact):
        assert np.allclose(theta, [0.0, x])
        assert np.isclose(J, exact.objective(hall, ALIASED, theta))
    assert np.allclose(w.curve_J, [exact.objective(hall, ALIASED, np.array([0.0, x]))
                                   for x in w.curve_x])
    st = w.state(1, 2)                                      # x = 0, N = 64
    assert st["n"] == 64 and st["x"] == 0.0
    assert np.allclose(st["estimates"], w.returns[:, :64].mean(axis=1))
    assert np.allclose(st["standard_errors"], w.returns[:, :64].std(axis=1, ddof=1) / 8)
    # 64 rollouts: every estimate within 4 exact standard errors of the exact J
    assert np.all(np.abs(st["estimates"] - w.exact) < 4 * w.sigma / 8)


def test_widget_samples_are_seeded_per_x_value():
    w = small_explorer(seed=5)
    for i, theta in enumerate(w.thetas):
        again = exact.sample_trajectories(w.mdp, ALIASED, theta, 64, np.random.default_rng([5, i]))
        assert np.array_equal(w.returns[i], again.returns)
    assert np.array_equal(small_explorer(seed=5).returns, w.returns)
    assert not np.array_equal(small_explorer(seed=6).returns, w.returns)


def test_widget_n_equal_1_has_no_standard_error():
    w = small_explorer()
    st = w.state(0, 0)
    assert np.all(np.isnan(st["standard_errors"]))
    assert np.array_equal(st["estimates"], w.returns[:, 0])
    fig, alt = w.draw(w.xs[0], 1)   # draws without error bars
    assert alt == w.alt(0, 0) and not alt.startswith("Figure at") and len(alt) >= 12
    assert fig.axes                  # a matplotlib Figure


def test_widget_precompute_draws_every_state():
    w = small_explorer(precompute=True)
    assert all(img.value for row in w.images for img in row)
    lazy = small_explorer(initial=(2, 1))
    drawn = [(i, j) for i, row in enumerate(lazy.images) for j, img in enumerate(row) if img.value]
    assert drawn == [(2, 1)]


def test_widget_frames_carry_alt_text_and_are_2x_in_the_book(monkeypatch):
    """Each frame's tooltip (the <img> alt in the book) states its own numbers; 2x PNGs when built."""
    import struct

    monkeypatch.delenv("PGBOOK_STATIC_WIDGETS", raising=False)  # `make test` exports it
    w = small_explorer(initial=(2, 1), x_label="x")
    image = w.images[2][1]
    st = w.state(2, 1)
    assert "N = 8 rollouts" in image.tooltip and "x = 1" in image.tooltip
    assert f"J = {st['exact'][2]:.2f}" in image.tooltip
    assert f"estimate is {st['estimates'][2]:.2f}" in image.tooltip
    assert "bars" not in w.alt(0, 0)                          # N = 1: no standard error
    png_width = lambda png: struct.unpack(">I", png[16:20])[0]  # noqa: E731
    assert image.width == "640" and png_width(image.value) == 640      # live: 1x
    monkeypatch.setenv("PGBOOK_STATIC_WIDGETS", "1")
    built = small_explorer(precompute=True)
    assert built.images[0][0].width == "640" and png_width(built.images[0][0].value) == 1280
    assert all(img.tooltip for row in built.images for img in row)


def test_widget_input_errors_speak_plainly():
    with pytest.raises(ValueError, match="direction: expected shape"):
        objective_explorer(corridor(horizon=5), ALIASED, [0, 1, 2], [0.0], precompute=False)
    with pytest.raises(ValueError, match="ns: expected increasing"):
        objective_explorer(corridor(horizon=5), ALIASED, [0, 1], [0.0], ns=[4, 2],
                           precompute=False)


LIVE_SETUP = """
import numpy as np
from pgbook.envs import corridor
from pgbook.policies import TabularSoftmax
from pgbook.widgets.objective import objective_explorer
w = objective_explorer(corridor(horizon=20), TabularSoftmax(4, 2, observe=np.zeros(4, int)),
                       [0, 1], np.linspace(-1, 1, 3), ns=[1, 8, 64], initial=(0, 0),
                       precompute=False)
w
"""

LIVE_MOVE = """
assert w.images[0][0].value and not w.images[0][2].value
w.inner_control.index = 2          # N = 64, as a slider move in the browser would set it
assert w.images[0][2].value, "the state for N = 64 was not drawn"
assert w.last["n"] == 64 and w.last["x"] == -1.0
assert np.allclose(w.last["estimates"], w.returns[:, :64].mean(axis=1))
assert w.last["returns"].shape == (64,)
w.outer_control.index = 2          # x = 1
assert w.images[2][2].value, "the state for x = 1 was not drawn"
assert w.last["x"] == 1.0 and np.array_equal(w.last["returns"], w.returns[2, :64])
print("live ok", w.last["n"], w.last["x"])
"""


@pytest.mark.slow
def test_widget_recomputes_in_a_live_kernel():
    assert "live ok 64 1.0" in run_in_kernel(LIVE_SETUP, LIVE_MOVE)
