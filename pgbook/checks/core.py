"""The checking machinery behind every ``check_*`` function of the book's exercises.

A check runs a student's function on a list of :class:`Case` s, smallest first,
compares each answer with a reference implementation, and stops at the first
case that fails. So the case it reports is the smallest input on which the
student's function goes wrong, given with its input, the expected output and
what came back::

    >>> check_reward_to_go(reward_to_go)
    ✗ reward_to_go failed case 2 of 7: one episode of 3 steps, gamma = 1
    ...

Checks never raise, so a failing check does not stop a notebook: they return a
:class:`CheckResult`, which is truthy iff every case passed and prints itself
in Jupyter.

For grading, a check can run every case instead of stopping at the first
failure (``check_x(fn, all_cases=True)``): the result then counts the cases
passed, and ``result.score(points)`` is the partial credit, points × the
fraction passed. :func:`pgbook.checks.grade` prints the message and returns
that score, which is what nbgrader reads from a test cell. ``check_x(fn,
case=k)`` runs case k alone (one otter test case each). An autograder that
wants all or nothing writes ``result = check_x(fn)`` then ``assert result,
result.message``, or ``check_x(fn).assert_passed()``: both raise
``AssertionError`` with the message (a bare ``assert check_x(fn)`` would raise
it with no message).

What a student function may do, and what the student is told:

======================================  ==============================================
the function...                         message
======================================  ==============================================
raises ``NotImplementedError``          "`name` is not implemented yet: replace ..."
raises anything else                    the exception's type and message, the line of
                                        the student's code that raised, and the case;
                                        no traceback from inside pgbook
returns ``None``                        "did you forget `return`?"
returns something that is not a number  its type, and what was expected
returns the wrong shape                 both shapes
returns NaN or ±inf                     where
returns wrong values                    the first wrong entry, and a hint when the
                                        answer matches a known mistake
runs longer than ``time_limit``         the limit and the case
======================================  ==============================================

The time limit uses ``signal.setitimer`` / ``SIGALRM``, which only the main
thread of a process can use, and which Windows lacks. Off the main thread, or on
Windows, checks run with no time limit. Jupyter kernels (ipykernel) run cells in
the main thread, so the limit holds in notebooks.
"""

from __future__ import annotations

import copy
import html
import inspect
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Case", "CheckResult", "check_function", "compare_arrays", "described", "function_name"]

# Tolerances for comparing floating-point answers: a correct answer computed in
# another order differs by rounding only, far below these.
RTOL = 1e-6
ATOL = 1e-9


@dataclass(frozen=True)
class Case:
    """One input to a student's function: ``fn(*args, **kwargs)``.

    description: what the case is, in words the student knows
                 ("two episodes of lengths 3 and 1 (mask), gamma = 0.9").
    """

    description: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


class described:
    """A function argument that prints as a formula, e.g. ``f(θ) = Σ θ_i²``, in messages."""

    def __init__(self, fn: Callable, text: str):
        self.fn = fn
        self.text = text

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a check: truthy iff every case passed.

    passed:  True iff every case passed
    message: one line on success ("✓ reward_to_go passed 7 cases"), else a first
             line saying what failed, followed by the detail
    """

    name: str
    passed: bool
    message: str
    n_passed: int = 0
    n_cases: int = 0

    @property
    def fraction(self) -> float:
        """The fraction of the cases that passed, in [0, 1]. A check that stopped at
        its first failure (the default) counts the cases it did not run as failed."""
        if self.n_cases <= 0:
            return 1.0 if self.passed else 0.0
        return self.n_passed / self.n_cases

    def score(self, points: float) -> float:
        """Partial credit: ``points`` × the fraction of cases passed, rounded to 4 decimals."""
        if isinstance(points, bool) or not isinstance(points, (int, float, np.integer, np.floating)) \
                or not np.isfinite(points) or points < 0:
            raise ValueError(f"points: expected a non-negative number, got {points!r}")
        return round(float(points) * (1.0 if self.passed else self.fraction), 4)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.passed else "#c62828"
        head, _, rest = self.message.partition("\n")
        body = f"<pre style='margin:0.3em 0 0 0;white-space:pre-wrap'>{html.escape(rest)}</pre>" if rest else ""
        return (
            f"<div style='border-left:4px solid {colour};padding:0.2em 0.8em'>"
            f"<strong style='color:{colour}'>{html.escape(head)}</strong>{body}</div>"
        )

    def assert_passed(self) -> None:
        """Raise ``AssertionError(message)`` unless passed; for all-or-nothing autograder tests.

        Returns None, so a test cell ending in it shows no value (nbgrader reads a
        cell's value as a partial score). The traceback shows this method's frame;
        a test cell that should show only its own line and the message writes
        ``result = check_x(fn)`` then ``assert result, result.message``.
        """
        __tracebackhide__ = True  # noqa: F841 - pytest leaves this frame out
        if not self.passed:
            raise AssertionError(self.message)


def function_name(fn, default: str) -> str:
    """The name the student gave ``fn`` (for messages), or ``default`` for lambdas and callables."""
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else default


class _TimeLimitExceeded(BaseException):
    """Raised by SIGALRM inside the student's function. A BaseException, so that
    a student's ``except Exception:`` cannot swallow it."""


def _call_with_time_limit(fn: Callable, args: tuple, kwargs: dict, seconds: float | None):
    """``fn(*args, **kwargs)``, interrupted after ``seconds`` in the main thread (see module doc)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        return fn(*args, **kwargs)

    def on_alarm(signum, frame):
        raise _TimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay > 0:  # someone else's alarm (pytest-timeout, say) was pending: put it back
            left = max(outer_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def _show(value) -> str:
    """A value as a student would type it, arrays printed in full (cases are small)."""
    with np.printoptions(precision=6, suppress=True, threshold=200, linewidth=88):
        if isinstance(value, np.ndarray):
            return repr(value)
        if isinstance(value, (float, np.floating)):
            return repr(float(value))
        return repr(value)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join((prefix + line).rstrip() for line in text.splitlines())


def _show_input(reference_fn: Callable, case: Case) -> str:
    """``name = value`` per argument, named after the reference function's parameters."""
    try:
        bound = inspect.signature(reference_fn).bind(*case.args, **case.kwargs)
        items = list(bound.arguments.items())
    except (TypeError, ValueError):
        items = [(f"arg{i}", a) for i, a in enumerate(case.args)] + list(case.kwargs.items())
    lines = []
    for name, value in items:
        shown = _show(value)
        if "\n" in shown:
            lines.append(f"{name} =\n{_indent(shown)}")
        else:
            lines.append(f"{name} = {shown}")
    return "\n".join(lines)


def _type_name(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def compare_arrays(got, expected, rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """None if ``got`` matches ``expected`` (a float or an array of floats), else what is wrong.

    In order: None returned, not a number, wrong shape, NaN/inf, wrong values.
    """
    expected = np.asarray(expected, dtype=float)
    want_scalar = expected.ndim == 0
    if got is None:
        return "it returned None: did you forget `return`?"
    if isinstance(got, (str, bytes, dict, set)) or callable(got):
        what = "a single number" if want_scalar else f"an array of shape {expected.shape}"
        return f"it returned {_type_name(got)}; expected {what}"
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        what = "a single number" if want_scalar else f"an array of shape {expected.shape}"
        return f"it returned {_type_name(got)}, which is not numeric; expected {what}"
    if array.shape != expected.shape:
        if want_scalar:
            return f"wrong shape: expected a single number, got {_type_name(got)}"
        return f"wrong shape: expected shape {expected.shape}, got shape {array.shape}"
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        where = f" at index {tuple(int(i) for i in bad)}" if array.ndim else ""
        value = array[tuple(bad)] if array.ndim else array
        return (
            f"it returned {float(value)}{where}: expected finite numbers "
            "(an overflow in exp? a division by zero?)"
        )
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    if not np.all(close):
        if want_scalar:
            return f"wrong value: expected {float(expected):.10g}, got {float(array):.10g}"
        bad = tuple(int(i) for i in np.argwhere(~close)[0])
        n_bad = int((~close).sum())
        return (
            f"wrong values in {n_bad} of {array.size} entries; the first at index {bad}: "
            f"expected {float(expected[bad]):.10g}, got {float(array[bad]):.10g}"
        )
    return None


_CHECKS_DIR = str(Path(__file__).resolve().parent)


def _where_it_raised(error: BaseException) -> str:
    """'line 4 of your code: `return x[t+1]`', from the last frame outside pgbook.checks and numpy."""
    frames = traceback.extract_tb(error.__traceback__)
    np_dir = str(Path(np.__file__).resolve().parent)
    theirs = [
        f for f in frames
        if not f.filename.startswith(_CHECKS_DIR) and not f.filename.startswith(np_dir)
    ]
    if not theirs:
        return ""
    frame = theirs[-1]
    line = (frame.line or "").strip()
    where = f"in `{frame.name}`, line {frame.lineno}"
    return f"{where}: `{line}`" if line else where


def _copy(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an uncopyable argument is passed as it is
        return value


def check_function(
    student_fn: Callable,
    reference_fn: Callable,
    cases: Sequence[Case],
    name: str,
    compare: Callable[[Any, Any], str | None] | None = None,
    time_limit: float | None = 2.0,
    *,
    mistakes: Sequence[tuple[Callable, str]] = (),
    all_cases: bool = False,
    case: int | None = None,
) -> CheckResult:
    """Run ``student_fn`` against ``reference_fn`` on ``cases``, smallest first; never raises.

    compare(got, expected) -> None (or "") when ``got`` is right, else a sentence saying
        what is wrong. Default: :func:`compare_arrays` (shape, finiteness, values to
        rtol 1e-6, atol 1e-9).
    time_limit: seconds per call of ``student_fn``; None for no limit.
    mistakes: pairs (wrong_fn, hint). When an answer is wrong and equals
        ``wrong_fn(*args)`` on that case, the hint is added to the message
        ("did you divide by N·T instead of N?"). The first matching hint is shown.
    all_cases: run every case, not only up to the first that fails, and count
        those that pass (``result.n_passed`` of ``result.n_cases``), for partial
        credit. The message names every failing case and details the first. A
        function that raises NotImplementedError is not run further: it passes none.
    case: run only the case with this number (1 for the first), for an
        autograder that gives each case a test of its own.

    Each call gets its own deep copy of the case's arguments, so a function that
    changes its input in place cannot change the next call's.
    """
    compare = compare or compare_arrays
    head_fail = f"✗ {name}"
    total = len(cases)
    numbered = list(enumerate(cases, start=1))
    if case is not None:
        if isinstance(case, bool) or not isinstance(case, (int, np.integer)) or not 1 <= case <= total:
            raise ValueError(f"case: expected a case number from 1 to {total}, got {case!r}")
        numbered = [numbered[int(case) - 1]]
    if not callable(student_fn):
        return CheckResult(
            name, False,
            f"{head_fail}: expected a function, got {_type_name(student_fn)}.\n"
            f"Pass the function itself, without calling it: check_{name}({name}), not check_{name}({name}(...)).",
            0, len(numbered),
        )

    failures: list[tuple[int, str]] = []  # (case number, the full report)
    n_passed = 0
    for number, one in numbered:
        report = _run_case(student_fn, reference_fn, one, number, total, name, compare, time_limit, mistakes)
        if report is _NOT_IMPLEMENTED:
            return CheckResult(
                name, False,
                f"✗ `{name}` is not implemented yet: replace `raise NotImplementedError()` with your code.",
                0, len(numbered),
            )
        if report is None:
            n_passed += 1
            continue
        failures.append((number, report))
        if not (all_cases and case is None):
            break
    if not failures:
        if case is not None:
            return CheckResult(name, True, f"✓ {name} passed case {case} of {total}: {cases[case - 1].description}",
                               1, 1)
        return CheckResult(name, True, f"✓ {name} passed {total} cases", total, total)
    if case is not None or not all_cases:
        return CheckResult(name, False, failures[0][1], n_passed, len(numbered))
    failing = ", ".join(str(number) for number, _ in failures)
    head = (f"✗ {name} passed {n_passed} of {total} cases; "
            f"{'it fails case' if len(failures) == 1 else 'it fails cases'} {failing}. The first that fails:")
    return CheckResult(name, False, f"{head}\n{failures[0][1]}", n_passed, total)


_NOT_IMPLEMENTED = object()


def _run_case(student_fn, reference_fn, case: Case, number: int, total: int, name: str,
              compare, time_limit, mistakes):
    """None if ``student_fn`` is right on ``case``, _NOT_IMPLEMENTED, or the report of what went wrong."""
    expected = reference_fn(*_copy(case.args), **_copy(case.kwargs))
    header = f"✗ {name} failed case {number} of {total}: {case.description}"
    shown_input = "input:\n" + _indent(_show_input(reference_fn, case))
    try:
        with np.errstate(all="ignore"):
            got = _call_with_time_limit(student_fn, _copy(case.args), _copy(case.kwargs), time_limit)
    except NotImplementedError:
        return _NOT_IMPLEMENTED
    except _TimeLimitExceeded:
        return (f"{header}\nit ran longer than the time limit of {time_limit:g} s "
                f"(an endless loop? a loop over far more items than the input holds?)\n{shown_input}")
    except Exception as error:  # noqa: BLE001 - the student's error, reported, not raised
        where = _where_it_raised(error)
        where = f"\n{where}" if where else ""
        return f"{header}\nit raised {type(error).__name__}: {error}{where}\n{shown_input}"
    try:
        problem = compare(got, expected)
    except Exception as error:  # noqa: BLE001 - an answer the comparison cannot read
        problem = f"its answer could not be compared ({type(error).__name__}: {error})"
    if problem is True:
        problem = None
    elif problem is False:
        problem = "wrong answer"
    if not problem:
        return None
    hints = [hint for wrong_fn, hint in mistakes if _matches(wrong_fn, case, got)]
    hint = f"\nhint: {hints[0]}" if hints else ""
    return (f"{header}\n{problem}{hint}\n{shown_input}\n"
            f"expected:\n{_indent(_show(expected))}\ngot:\n{_indent(_show(got))}")


def _matches(wrong_fn: Callable, case: Case, got) -> bool:
    """Does ``got`` equal what the known mistake ``wrong_fn`` computes on ``case``?"""
    try:
        with np.errstate(all="ignore"):
            wrong = wrong_fn(*_copy(case.args), **_copy(case.kwargs))
        return compare_arrays(got, wrong) is None
    except Exception:  # noqa: BLE001 - a hint that cannot be computed is not given
        return False
