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
def test_reference_bodies_are_hidden_in_the_built_book(path):
    """A code cell holding a reference solution (### BEGIN SOLUTION) is tagged hide-input,
    so the built book folds it away like the solution dropdowns."""
    notebook = jupytext.read(path)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
            assert "hide-input" in cell.metadata.get("tags", []), (
                f"{path.name}: a cell with a reference solution is not tagged hide-input:\n{cell.source[:200]}"
            )
