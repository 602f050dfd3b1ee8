"""Checks as autograder tests: partial credit for nbgrader, one test per case for otter.

nbgrader scores a graded test cell by its outputs: an error, or anything written
to stderr, scores 0; a value that reads as a number (the cell's last
expression) scores that many points, clipped to the cell's points; anything
else scores full marks. So a test cell ends in :func:`grade`::

    from pgbook.checks import check_reward_to_go, grade
    grade(check_reward_to_go, reward_to_go, points=3)

which runs every case of the check, prints the check's message (which cases
fail, the first in detail; "not implemented yet" for a stub) and returns
points × the fraction of cases passed: 3.0, 1.5, 0.0. It never raises and
writes nothing to stderr, so no traceback from inside pgbook reaches the
feedback, and a warning raised by the student's code cannot zero the score.

otter gives each test case of a question its share of the points and passes a
case that raises nothing. Its tests call ``check_x(fn, case=k)``, one case a
test, and assert in the test's own code, so a failure shows the check's message
and no frame of pgbook::

    result = check_reward_to_go(reward_to_go, case=3)
    assert result.passed, result.message

:func:`case_count` says how many cases a check has (the export writes that many tests).
"""

from __future__ import annotations

import contextlib
import io
import numbers
import warnings
from typing import Callable

from .core import CheckResult

__all__ = ["grade", "case_count"]


def _check_name(check) -> str:
    return getattr(check, "__name__", None) or type(check).__name__


def _points(points) -> float:
    if isinstance(points, bool) or not isinstance(points, numbers.Real) or not points >= 0 \
            or points == float("inf"):
        raise ValueError(f"points: expected a non-negative number such as 3 or 1.5, got {points!r}")
    return float(points)


def _run_all(check: Callable, fn) -> CheckResult:
    if not callable(check):
        raise TypeError(f"check: expected a check function such as check_reward_to_go, got {check!r}")
    try:
        result = check(fn, all_cases=True)
    except TypeError as err:
        if "all_cases" not in str(err):
            raise
        raise TypeError(f"check: {_check_name(check)} takes no all_cases=...; pass a check of "
                        "pgbook.checks, which can run all its cases") from None
    if not isinstance(result, CheckResult):
        raise TypeError(f"check: {_check_name(check)} returned {type(result).__name__}, not a CheckResult")
    return result


def grade(check: Callable, fn, points) -> float:
    """Run ``check(fn)`` on all its cases, print its message and return the partial score.

    check:  a check of :mod:`pgbook.checks`, e.g. ``check_reward_to_go``
    fn:     the student's function
    points: what the exercise is worth (a non-negative number)

    Returns ``points`` × (cases passed / cases), rounded to 4 decimals: the value
    nbgrader reads as the cell's score. Output the student's function writes
    while it is checked (prints, warnings) is left out, so the cell shows the
    check's message and the score only, and nothing reaches stderr.
    """
    points = _points(points)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = _run_all(check, fn)
    score = result.score(points)
    print(f"{result.message}\nscore: {score:g} of {points:g} point{'' if points == 1 else 's'}")
    return score


def _not_implemented(*args, **kwargs):
    raise NotImplementedError()


def case_count(check: Callable) -> int:
    """How many cases ``check`` runs (it is called once, on a stub)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run_all(check, _not_implemented).n_cases
