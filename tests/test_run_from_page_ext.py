"""_ext/run_from_page.py on a tiny Sphinx project: the wheel, the page notebooks, the repository
link, and what a bad input does (a page with no kernelspec, a wheel that cannot be built).

Each build copies the book's pyproject.toml, README.md and pgbook/ into a temporary project, so
the wheel is the real one; a build takes a few seconds plus one `pip wheel`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import run_from_page  # noqa: E402
from sphinx.errors import ExtensionError  # noqa: E402

pytestmark = pytest.mark.slow

CONF = """
import os, sys
sys.path.insert(0, {ext!r})
extensions = ["myst_nb", "run_from_page"]
html_theme = "sphinx_book_theme"
html_theme_options = {{"repository_url": os.environ.get("REPO_URL", ""), "use_download_button": True}}
nb_execution_mode = "off"
exclude_patterns = ["_build", "pgbook", "README.md"]
"""
NOTEBOOK = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

(sec-a)=
## A section

See {ref}`sec-a` and {eq}`eq-a`.

```{math}
:label: eq-a

x = 1
```

```{code-cell} ipython3
1 + 1
```
"""
PLAIN = """# A plain page

Run [the chapter](chapter.md).

```{if-repository}
The source is in {repository}`the repository`.
```
"""


def make_project(tmp: Path) -> Path:
    project = tmp / "project"
    project.mkdir()
    (project / "conf.py").write_text(CONF.format(ext=str(ROOT / "_ext")))
    (project / "index.md").write_text(PLAIN + "\n```{toctree}\nchapter\n```\n")
    (project / "chapter.md").write_text(NOTEBOOK)
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "pgbook", project / "pgbook", ignore=shutil.ignore_patterns("__pycache__"))
    return project


def build(project: Path, repo_url: str = "", warnings_are_errors: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sphinx", "-b", "html", *(["-W", "--keep-going"] if warnings_are_errors else []),
               str(project), str(project / "_build" / "html")]
    env = {**os.environ, "REPO_URL": repo_url}
    return subprocess.run(command, capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("tiny"))
    done = build(project)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return project, done


def test_the_notebook_page_offers_its_notebook_and_the_plain_page_does_not(built):
    project, done = built
    html = project / "_build" / "html"
    assert "btn-download-notebook-button" in (html / "chapter.html").read_text()
    assert "btn-download-notebook-button" not in (html / "index.html").read_text()
    notebook = (html / "_sources" / "chapter.ipynb").read_text()
    assert "(1)" in notebook and "\\\\tag{1}" in notebook  # {eq} and its equation, numbered by the build
    assert "A section" in notebook and "{ref}" not in notebook
    assert not (html / "_sources" / "index.ipynb").exists()
    # an info line, not a warning: the build passed with -W
    assert "no .ipynb in the download menu of 1 page(s)" in done.stdout + done.stderr
    assert "index" in (done.stdout + done.stderr).split("no .ipynb in the download menu")[1].splitlines()[0]


def test_the_downloads_are_served(built):
    project, _ = built
    html = project / "_build" / "html"
    version = run_from_page.project_version(project)
    wheel = html / "downloads" / f"pgbook-{version}-py3-none-any.whl"
    assert wheel.is_file()
    with zipfile.ZipFile(html / "downloads" / "pgbook-notebooks.zip") as bundle:
        names = sorted(Path(n).name for n in bundle.namelist())
    assert names == sorted(["chapter.ipynb", wheel.name, "requirements.txt", "README.md"])


def test_no_repository_means_no_button_and_no_sentence(built):
    project, _ = built
    page = (project / "_build" / "html" / "index.html").read_text()
    assert "btn-source-repository-button" not in page and "The source is in" not in page


def test_a_repository_url_shows_the_button_and_the_sentence(tmp_path):
    project = make_project(tmp_path)
    url = "https://github.com/example/pgbook"
    done = build(project, repo_url=url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = (project / "_build" / "html" / "index.html").read_text()
    assert "btn-source-repository-button" in page
    assert f'<a class="reference external" href="{url}">the repository</a>' in page


def test_the_repository_role_with_no_url_is_an_error_not_a_dead_link(tmp_path):
    project = make_project(tmp_path)
    (project / "index.md").write_text("# Plain\n\nSee {repository}`the repository`.\n\n```{toctree}\nchapter\n```\n")
    done = build(project)
    assert done.returncode != 0
    assert "sets no repository url" in done.stdout + done.stderr


def test_a_bad_repository_url_is_named(tmp_path):
    project = make_project(tmp_path)
    done = build(project, repo_url="github.com/example")
    assert done.returncode != 0
    assert "repository.url in _config.yml" in done.stderr and "'github.com/example'" in done.stderr


def test_a_wheel_that_cannot_be_built_fails_the_build_loudly(tmp_path):
    project = make_project(tmp_path)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace('build-backend = "setuptools.build_meta"',
                                                         'build-backend = "no_such_backend"'))
    done = build(project, warnings_are_errors=False)  # even without -W
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "pgbook wheel" in output and "pip wheel" in output and "no_such_backend" in output
    assert not (project / "_build" / "html" / "downloads").exists()


def test_a_missing_package_fails_the_build_loudly(tmp_path):
    project = make_project(tmp_path)
    shutil.rmtree(project / "pgbook")
    done = build(project, warnings_are_errors=False)
    assert done.returncode != 0
    assert "missing from the book's folder" in done.stdout + done.stderr


def test_a_wheel_without_the_package_is_refused(tmp_path):
    project = make_project(tmp_path)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text.replace('include = ["pgbook*"]', 'include = ["nothing*"]'))
    with pytest.raises(ExtensionError, match=r"lacks \['pgbook/__init__.py'"):
        run_from_page.build_wheel(project, tmp_path / "cache")


def test_the_wheel_is_reused_until_a_package_file_changes(tmp_path):
    project = make_project(tmp_path)
    first = run_from_page.build_wheel(project, tmp_path / "cache")
    assert run_from_page.build_wheel(project, tmp_path / "cache") == first
    (project / "pgbook" / "mdp.py").write_text((project / "pgbook" / "mdp.py").read_text() + "\n# changed\n")
    second = run_from_page.build_wheel(project, tmp_path / "cache")
    assert second != first and second.is_file() and not first.exists()
