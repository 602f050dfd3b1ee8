"""_ext/api_reference.py: pgbook's plain docstrings become reStructuredText that shows them as written.

The built reference itself is tested in test_run_from_page.py; these are the rules, one by one.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from api_reference import escape_prose, nest_module_index, public_modules, render_docstring  # noqa: E402


def render(text: str) -> str:
    return "\n".join(render_docstring(inspect.cleandoc(text).splitlines()))


def test_a_formula_display_becomes_a_literal_block():
    out = render("""Every estimator averages one term per trajectory,

        ĝ = (1/N) Σ_i g(ξ_i),

    and returns both.""")
    assert ".. code-block:: none\n   :class: pgbook-formula\n\n       ĝ = (1/N) Σ_i g(ξ_i)," in out
    assert out.endswith("and returns both.")


def test_a_bar_a_lone_star_and_a_trailing_underscore_are_escaped():
    assert escape_prose("π(a|s), |Ξ|·T, fn(*args, **kwargs), x_ and *ascent*") == (
        "π(a\\|s), \\|Ξ\\|·T, fn(\\*args, \\*\\*kwargs), x\\_ and *ascent*")
    assert escape_prose("``a|b`` and :func:`x_y`") == "``a|b`` and :func:`x_y`"


def test_a_matplotlib_label_is_shown_as_code_not_math():
    assert escape_prose('e.g. r"$\\theta$"') == 'e.g. ``r"$\\theta$"``'


def test_an_aligned_name_table_becomes_a_two_column_table():
    out = render("""What REINFORCE did.

    env_steps:   steps in the batches (cumulative; steps simulated
                 but not kept are not counted)
    episodes:    episodes in the batches""")
    assert ".. list-table::" in out and "   * - ``env_steps``" in out.replace("      ", "   ")
    assert "steps in the batches (cumulative; steps simulated but not kept are not counted)" in out


def test_markdown_headings_and_pipe_tables():
    out = render("""A machine.

    ## States
    | s | meaning |
    |---|---------|
    | 0 | worn    |""")
    assert ".. rubric:: States" in out and ".. list-table::" in out and "- worn" in out


def test_a_shapes_section_becomes_a_table_after_napoleons_sections():
    out = render("""An MDP.

    Parameters
    ----------
    p0 : array
        the start.

    Shapes
    ------
    p0 : (S,)
        sums to 1
    P : (S, A, S)""")
    assert "\n\n\n.. rubric:: Shapes" in out  # two blank lines: napoleon's Parameters section ends
    assert "``p0``" in out and "(S, A, S)" in out and "sums to 1" in out


def test_a_hanging_indent_keeps_each_item_on_its_own_line():
    out = render("""Run the check.

    compare(got, expected) -> None when right, else a sentence saying
        what is wrong.
    time_limit: seconds per call.""")
    assert "| compare(got, expected) -> None when right, else a sentence saying what is wrong." in out
    assert "| time_limit: seconds per call." in out


def test_viewcode_index_lists_are_nested_in_their_items():
    context = {"body": "<ul><li>a</li>\n<ul><li>a.b</li>\n</ul></ul>"}
    nest_module_index(None, "_modules/index", None, context, None)
    assert context["body"] == "<ul><li>a\n<ul><li>a.b</li>\n</ul></li></ul>"


@pytest.mark.parametrize("module", public_modules())
def test_every_docstring_of_the_package_renders(module):
    """No docstring makes the renderer fail (its output is checked by the -W -n build)."""
    mod = importlib.import_module(module)
    docs = [inspect.getdoc(mod) or ""]
    for name in getattr(mod, "__all__", []):
        docs.append(inspect.getdoc(getattr(mod, name)) or "")
    for doc in docs:
        render_docstring(doc.splitlines())
