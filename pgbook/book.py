"""The two layers of a chapter page: a proof cell's one-line result, and numbers glued into prose.

Every chapter has a *reading layer* (prose, equations, the code a reader should
read, figures, widgets) and a *proof layer* (the cells that check a claim the
prose makes). A proof cell is tagged ``hide-input``: its code is folded, and
what shows is its output, one line written by :func:`checked`::

    assert abs(z) < 4
    checked("the estimate is within 4 standard errors of the exact gradient",
            f"{abs(z):.1f} SE")

prints ``✓ checked: the estimate is within 4 standard errors of the exact
gradient (0.8 SE)``. The asserts above it still fail the build when the claim
is false, so the line is printed only when it is true.

A number the prose states and a cell computes is handed over with :func:`glue`
and written in the prose as ``{glue:text}`name:.2f```` (MyST-NB), so the text
cannot drift from the computation.
"""

from __future__ import annotations

import sys

__all__ = ["checked", "glue"]

MARK = "✓ checked: "


def checked(claim: str, detail: str | None = None) -> None:
    """Print a proof cell's one-line result: ``✓ checked: <claim> (<detail>)``.

    Call it last in a proof cell, after the asserts that check ``claim``: it is
    reached only when they all pass. ``detail`` is the key figure, such as
    ``"0.8 SE"`` or ``"max error 3e-16"``. Returns None, so that a cell ending in
    ``checked(...)`` shows the line once, not again as the cell's value.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError(f"claim: expected a non-empty sentence, got {claim!r}")
    if detail is not None and not isinstance(detail, str):
        raise TypeError(f"detail: expected a string such as '0.8 SE' or None, got {type(detail).__name__}")
    line = MARK + claim.strip() + (f" ({detail})" if detail else "")
    # one write, so the kernel cannot flush the line and its newline as two outputs
    sys.stdout.write(line + "\n")


def glue(name: str, value, display: bool = False) -> None:
    """Hand ``value`` to the page's prose under ``name`` (MyST-NB's ``glue``).

    In the built book the prose reads it as ``{glue:text}`name:fmt```. Outside a
    book build, where MyST-NB may not be installed (a student's Jupyter, a
    graded notebook), this does nothing: the value is still in the cell's
    variables.
    """
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"name: expected a name of letters, digits, '_' or '-', got {name!r}")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()  # np.float64(0.2) would glue as the text 'np.float64(0.2)'
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=display)
