"""The chapters open as notebooks in Jupyter: MyST Markdown that jupytext reads, with no outputs in git."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p for p in (ROOT / "book").glob("*.md") if "kernelspec:" in p.read_text())


def test_there_are_notebook_chapters():
    assert len(CHAPTERS) >= 2


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_reads_as_a_python_notebook(path):
    notebook = jupytext.read(path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["jupytext"]["text_representation"]["format_name"] == "myst"
    assert any(cell.cell_type == "code" for cell in notebook.cells)


def test_jupyterlab_opens_markdown_as_notebooks():
    """make installs JupyterLab's default-viewer override into the environment."""
    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert overrides.exists(), f"{overrides} missing: run `make env`"
    viewers = json.loads(overrides.read_text())["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == "Jupytext Notebook"


def test_no_notebook_outputs_in_git():
    assert not list((ROOT / "book").glob("*.ipynb")), "chapters are .md sources, not .ipynb"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_exercises_follow_the_page_convention(path):
    """A code exercise's cell (### BEGIN SOLUTION in its body) is not folded: the page shows
    it as the student's stub (_ext/exercise_cells.py), with the reference in the solution
    dropdown; a generic fold would reveal the reference unlabelled. The next code cell is
    its check, tagged exercise-check, whose "passed" output moves into the solution."""
    notebook = jupytext.read(path)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for i, cell in enumerate(code):
        if "### BEGIN SOLUTION" not in cell.source:
            continue
        tags = cell.metadata.get("tags", [])
        assert not {"hide-input", "hide-cell"} & set(tags), (
            f"{path.name}: an exercise cell is folded, which would show its reference:\n{cell.source[:200]}")
        assert i + 1 < len(code) and "exercise-check" in code[i + 1].metadata.get("tags", []), (
            f"{path.name}: the cell after an exercise is not its check tagged exercise-check:\n{cell.source[:200]}")
