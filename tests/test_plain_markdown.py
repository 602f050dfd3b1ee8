"""pgbook.export.plain_markdown: the chapters' MyST becomes Markdown that Jupyter renders.

The same function writes `pgbook export` and the notebooks the built book
offers on each chapter's page; there, a resolver fills in the build's numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pgbook.export import edition_notebook, find_book, plain_markdown, toc_chapters

ROOT = Path(__file__).resolve().parent.parent

# What Jupyter would show raw: a directive fence, a role, a target, a dollar-math label.
RAW_MYST = re.compile(r"^\s*(`{3,}|:{3,})\{[\w:.-]+\}|\{[\w:.+-]+\}`|^\s*\([\w-]+\)=\s*$|\$\$\s*\([\w-]+\)",
                      re.MULTILINE)


def numbers(kind: str, target: str) -> str | None:
    """A stand-in for the build: every label has a number."""
    return {
        "eq": "(4.2)",
        "exercise": "Exercise 1.3",
        "prf:theorem": "Theorem 3.1",
        "prf:ref": "Theorem 3.1",
        "ref": "The objective",
        "cite:p": "(Williams, 1992)",
        "glue:text": "0.25",
    }.get(kind)


def test_roles_become_text_with_the_build_numbers():
    text = ("By {eq}`eq-score` and {prf:ref}`thm-score`, see {ref}`sec-objective` "
            "and {cite:p}`williams1992`; the estimate is {glue:text}`ch1-est:.2f`.")
    assert plain_markdown(text, numbers) == (
        "By (4.2) and Theorem 3.1, see The objective and (Williams, 1992); the estimate is 0.25.")


def test_roles_without_a_build_show_their_labels():
    text = ("By {eq}`eq-score`, {prf:ref}`the baseline theorem <thm-baseline>`, {ref}`sec-x`, "
            "{cite}`williams1992,sutton2018` and {glue:text}`ch1-est:.2f`; call "
            "{py:func}`~pgbook.exact.exact_gradient` or {py:class}`pgbook.policies.TabularSoftmax`.")
    assert plain_markdown(text) == (
        "By (eq-score), the baseline theorem, sec-x, [williams1992, sutton2018] and `ch1-est`; call "
        "`exact_gradient` or `pgbook.policies.TabularSoftmax`.")


def test_a_role_split_over_two_lines_is_converted():
    assert plain_markdown("as {prf:ref}`the baseline\ntheorem <thm-b>` says") == "as the baseline\ntheorem says"


def test_code_is_left_as_written():
    text = "Write ``{eq}`label` `` in MyST.\n\n```python\nx = '{eq}`no`'\n```\n\n```{code-block} python\n{ref}`kept`\n```"
    out = plain_markdown(text)
    assert "``{eq}`label` ``" in out and "x = '{eq}`no`'" in out
    assert "```python\n{ref}`kept`\n```" in out


def test_numbered_blocks_become_bold_headings():
    text = ("```{prf:theorem} Unbiased\n:label: thm-mc\n\n$E[\\hat J] = J$.\n```\n\n"
            "```{prf:proof}\nBy linearity.\n```\n\n"
            "```{exercise}\n:label: ex-a\n\nShow it.\n```")
    assert plain_markdown(text, numbers) == (
        "**Theorem 3.1** (Unbiased)\n\n$E[\\hat J] = J$.\n\n*Proof.*\n\nBy linearity.\n\n∎\n\n"
        "**Exercise 1.3**\n\nShow it.")
    assert plain_markdown(text).startswith("**Theorem** (Unbiased)")


def test_math_gets_its_number_as_a_tag():
    text = "```{math}\n:label: eq-a\n\nx = 1\n```\n\nand\n\n$$\ny = 2\n$$ (eq-b)"
    assert plain_markdown(text, numbers) == "$$\nx = 1\n\\tag{4.2}\n$$\n\nand\n\n$$\ny = 2\n\\tag{4.2} $$"
    assert plain_markdown(text) == "$$\nx = 1\n$$\n\nand\n\n$$\ny = 2\n$$"


def test_dropdowns_fold_and_admonitions_keep_their_title():
    text = ("::::{admonition} Going deeper: the closed form\n:class: dropdown\n\nThe text.\n\n"
            "```{math}\nv = 1\n```\n::::\n\n```{note}\nA note.\n```")
    assert plain_markdown(text) == (
        "<details>\n<summary>Going deeper: the closed form</summary>\n\nThe text.\n\n$$\nv = 1\n$$\n\n"
        "</details>\n\n**Note**\n\nA note.")


def test_targets_comments_and_bibliography_go():
    text = "(sec-a)=\n## A\n\n% a comment\nText.\n\n```{bibliography}\n:filter: docname in docnames\n```"
    assert plain_markdown(text) == "## A\n\nText."


def test_links_to_chapters_point_at_their_notebooks():
    text = "See the [notation page](notation.md#symbols), [references](references.md) and [a site](https://x.org/a.md)."
    assert plain_markdown(text, notebooks=["notation"]) == (
        "See the [notation page](notation.ipynb), references and [a site](https://x.org/a.md).")


def test_a_nested_directive_inside_a_list_keeps_its_indentation():
    text = "- item\n\n  ```{math}\n  x\n  ```\n- next"
    assert plain_markdown(text) == "- item\n\n  $$\n  x\n  $$\n\n- next"


@pytest.mark.parametrize("name", list(toc_chapters(ROOT)))
@pytest.mark.parametrize("edition", ["student", "instructor"])
def test_no_myst_left_in_the_book_notebooks(name, edition):
    """Every exported chapter, in both editions: no directive, role or target shows raw in Jupyter."""
    root = find_book(ROOT)
    source = toc_chapters(root)[name]
    notebook = edition_notebook(source, name, edition, root, notebooks=list(toc_chapters(root)))
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        prose = re.sub(r"``.*?``|`[^`\n]*`", "", re.sub(r"```(?!\{).*?```", "", cell.source, flags=re.DOTALL))
        raw = RAW_MYST.findall(prose)
        assert not raw, f"{name} ({edition}), cell {index}: MyST left raw: {raw[:3]}\n{cell.source[:300]}"
