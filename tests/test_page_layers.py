"""pgbook.book: the proof layer's one-line result and the glue that feeds numbers to the prose."""

from __future__ import annotations

import numpy as np
import pytest

from pgbook.book import checked, glue


def test_checked_prints_one_line_with_its_figure(capsys):
    assert checked("the estimate is within 4 standard errors of the exact gradient", "0.8 SE") is None
    line = "✓ checked: the estimate is within 4 standard errors of the exact gradient (0.8 SE)"
    assert capsys.readouterr().out == line + "\n"


def test_checked_without_a_figure(capsys):
    checked("the probabilities sum to 1")
    assert capsys.readouterr().out == "✓ checked: the probabilities sum to 1\n"


@pytest.mark.parametrize("claim", ["", "   ", None, 3])
def test_checked_refuses_an_empty_claim(claim):
    with pytest.raises(ValueError, match="claim: expected a non-empty sentence"):
        checked(claim)


def test_checked_refuses_a_figure_that_is_not_text():
    with pytest.raises(TypeError, match="detail: expected a string"):
        checked("x", 0.8)


def test_glue_refuses_a_bad_name():
    with pytest.raises(ValueError, match="name: expected a name of letters"):
        glue("two words", 1.0)


def test_glue_turns_numpy_scalars_into_plain_numbers(monkeypatch):
    """{glue:text}`x:.2f` parses the text/plain of the value; np.float64's repr would not parse."""
    import myst_nb

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: seen.update({name: value}))
    glue("sigma", np.float64(9.25))
    assert type(seen["sigma"]) is float and seen["sigma"] == 9.25
