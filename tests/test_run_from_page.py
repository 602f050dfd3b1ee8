"""Run it from the page: the built book serves every chapter as a notebook, the pgbook wheel,
a zip of it all and the pinned requirements, and a reference of the package with its source.

On the built book (the ``built_book`` and ``book_url`` fixtures of conftest.py), plus one slow
test that does what a reader does: a fresh venv with only the served wheel, chapter 1's
notebook downloaded from the site, run top to bottom.
"""

from __future__ import annotations

import html as html_lib
import importlib
import io
import json
import os
import re
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import pytest
import yaml

from pgbook.export import edition_notebook, find_book, toc_chapters

ROOT = Path(__file__).resolve().parent.parent
VERSION = importlib.import_module("pgbook").__version__
WHEEL = f"pgbook-{VERSION}-py3-none-any.whl"
# MyST that Jupyter would show raw: a directive fence, a role, a target, a dollar-math label
RAW_MYST = re.compile(r"^\s*(`{3,}|:{3,})\{[\w:.-]+\}|\{[\w:.+-]+\}`|^\s*\([\w-]+\)=\s*$|\$\$\s*\([\w-]+\)",
                      re.MULTILINE)


def numbered_chapters() -> list[str]:
    """The docnames of the numbered part(s) of _toc.yml: the chapters."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [entry["file"] for part in toc.get("parts", []) if part.get("numbered")
            for entry in part.get("chapters", [])]


CHAPTERS = numbered_chapters()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, url
        return response.read()


def notebook_link(page_html: str) -> str | None:
    """The href of the .ipynb entry of the theme's download menu, if the page has one."""
    for anchor in re.findall(r"<a\b[^>]*>", page_html):
        if "btn-download-notebook-button" in anchor:
            return html_lib.unescape(re.search(r'href="([^"]+)"', anchor).group(1))
    return None


def prose(notebook) -> str:
    """The markdown of a notebook, without its code spans and code blocks."""
    text = "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    text = re.sub(r"```(?!\{).*?```", "", text, flags=re.DOTALL)
    return re.sub(r"``.*?``|`[^`\n]*`", "", text)


# --------------------------------------------------------------- chapter notebooks

def test_the_book_has_numbered_chapters():
    assert len(CHAPTERS) >= 5, CHAPTERS


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_offers_its_notebook(built_book, book_url, chapter):
    """The download menu of a chapter's page has an .ipynb entry, served, and it is that chapter."""
    page = f"{chapter}.html"
    href = notebook_link((built_book / page).read_text(encoding="utf-8"))
    assert href, f"{page}: no .ipynb in its download menu"
    url = urljoin(book_url + page, href)
    notebook = nbformat.reads(fetch(url).decode("utf-8"), as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["pgbook"] == {"edition": "student", "source": f"{chapter}.md"}
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert all(c.outputs == [] for c in notebook.cells if c.cell_type == "code")
    raw = RAW_MYST.findall(prose(notebook))
    assert not raw, f"{url}: MyST shows raw in Jupyter: {raw[:5]}"
    text = json.dumps(notebook)
    for secret in ("BEGIN SOLUTION", "END SOLUTION", "solution-start", "solution-end"):
        assert secret not in text, f"{url} holds a solution ({secret})"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_is_the_student_edition_with_the_book_numbers(built_book, chapter):
    """Same cells as `pgbook export --edition student`; the build's numbers and glued values filled in."""
    root = find_book(ROOT)
    names = list(toc_chapters(root))
    source = ROOT / f"{chapter}.md"
    served = nbformat.read(built_book / "_sources" / f"{chapter}.ipynb", as_version=4)
    exported = edition_notebook(source, source.stem, "student", root, notebooks=names)
    assert [c.source for c in served.cells if c.cell_type == "code"] == \
           [c.source for c in exported.cells if c.cell_type == "code"]
    text = prose(served)
    source_text = source.read_text(encoding="utf-8")
    for label in set(re.findall(r"\{eq\}`([^`]+)`", source_text)):
        assert f"({label})" not in text, f"{chapter}: equation {label} has no number in the notebook"
    if "{eq}`" in source_text:
        assert re.search(r"\(\d+\.\d+\)", text), f"{chapter}: no equation number like (1.2)"
    for name in set(re.findall(r"\{glue:text\}`([\w-]+)", source_text)):
        assert f"`{name}`" not in "\n".join(c.source for c in served.cells if c.cell_type == "markdown"), \
            f"{chapter}: the glued value {name} was not filled in"
    exercises = len(re.findall(r"^```\{exercise\}", source_text, re.MULTILINE))
    assert len(re.findall(r"\*\*Exercise \d+\.\d+\*\*", text)) == exercises


@pytest.mark.slow
def test_a_page_without_kernelspec_offers_no_notebook(built_book):
    page = (built_book / "book" / "references.html").read_text(encoding="utf-8")
    assert "btn-download-source-button" in page  # the menu is there, with the source only
    assert notebook_link(page) is None
    assert not (built_book / "_sources" / "book" / "references.ipynb").exists()


# --------------------------------------------------------------- the downloads

@pytest.fixture(scope="module")
def run_page(built_book) -> str:
    return (built_book / "book" / "run.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_run_page_links_the_wheel_the_zip_and_the_requirements(run_page, book_url):
    links = {Path(h).name: h for h in re.findall(r'class="pgbook-download[^"]*" href="([^"]+)"', run_page)}
    assert {WHEEL, "pgbook-notebooks.zip", "requirements.txt"} <= set(links), links
    base = book_url + "book/run.html"
    wheel = zipfile.ZipFile(io.BytesIO(fetch(urljoin(base, links[WHEEL]))))
    names = set(wheel.namelist())
    assert "pgbook/__init__.py" in names and "pgbook/exact.py" in names
    assert fetch(urljoin(base, links["requirements.txt"])) == (ROOT / "requirements.txt").read_bytes()
    bundle = zipfile.ZipFile(io.BytesIO(fetch(urljoin(base, links["pgbook-notebooks.zip"]))))
    inside = {Path(n).name for n in bundle.namelist()}
    chapters = {f"{name}.ipynb" for name in toc_chapters(ROOT)}
    assert chapters | {WHEEL, "requirements.txt", "README.md"} == inside
    readme = bundle.read("pgbook-notebooks/README.md").decode()
    assert f"pip install {WHEEL} jupyterlab" in readme


@pytest.mark.slow
def test_run_page_gives_the_commands_with_the_real_wheel_name(run_page):
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", run_page))
    assert f".venv/bin/pip install {WHEEL} jupyterlab" in text
    assert ".venv/bin/jupyter lab" in text
    assert f".venv/bin/pip install --no-deps {WHEEL}" in text and "pip install -r requirements.txt" in text


@pytest.mark.slow
def test_run_page_links_every_chapter_notebook(run_page, built_book):
    for name, source in toc_chapters(ROOT).items():
        docname = source.relative_to(ROOT).with_suffix("").as_posix()
        assert f'href="../_sources/{docname}.ipynb"' in run_page, docname
        assert (built_book / "_sources" / f"{docname}.ipynb").is_file()


@pytest.mark.slow
def test_no_repository_is_named_when_none_is_configured(built_book, run_page):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = (config.get("repository") or {}).get("url")
    page = (built_book / "book" / "intro.html").read_text(encoding="utf-8")
    if url:
        assert "btn-source-repository-button" in page and url in page
    else:
        assert "btn-source-repository-button" not in page
        assert "From the repository" not in run_page


# --------------------------------------------------------------- the reference

def public_modules() -> list[str]:
    sys.path.insert(0, str(ROOT / "_ext"))
    from api_reference import public_modules as modules

    return modules()


def _documented_ids(built_book: Path) -> set[str]:
    ids = set()
    for page in (built_book / "book" / "api").glob("*.html"):
        ids |= set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))
    return ids


@pytest.mark.slow
@pytest.mark.parametrize("module", public_modules())
def test_reference_documents_the_module_and_serves_its_source(built_book, module):
    ids = _documented_ids(built_book)
    assert f"module-{module}" in ids, f"{module}: no entry in book/api/"
    source = built_book / "_modules" / (module.replace(".", "/") + ".html")
    assert source.is_file(), f"{module}: no source page {source.relative_to(built_book)}"
    code = source.read_text(encoding="utf-8")
    assert "viewcode-block" in code or "highlight" in code
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name)
        home = getattr(obj, "__module__", module)
        # documented where it is defined, or at a package that re-exports it (pgbook.policies.TabularSoftmax)
        parents = [".".join(module.split(".")[:k]) for k in range(1, module.count(".") + 1)]
        documented = {f"{module}.{name}", f"{home}.{name}"} | {
            f"{parent}.{name}" for parent in parents
            if getattr(importlib.import_module(parent), name, None) is obj}
        if not callable(obj) and not isinstance(obj, type):
            continue  # constants are documented only when they carry a docstring comment
        assert documented & ids, f"{module}.{name}: no autodoc entry"


@pytest.mark.slow
def test_reference_entries_link_their_source(built_book):
    page = (built_book / "book" / "api" / "exact.html").read_text(encoding="utf-8")
    assert 'href="../../_modules/pgbook/exact.html#exact_gradient"' in page
    assert "viewcode-link" in page


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_links_into_the_reference_at_least_three_times(built_book, chapter):
    page = (built_book / f"{chapter}.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="api/\w+\.html#(pgbook\.[\w.]+)"', page))
    assert len(links) >= 3, f"{chapter}: links {sorted(links)} of the reference; expected at least 3 helpers"


@pytest.mark.slow
def test_reference_shows_no_markup_error(built_book):
    for page in sorted((built_book / "book" / "api").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert 'class="problematic"' not in text and "system-message" not in text, page.name


# --------------------------------------------------------------- a reader's venv

@pytest.mark.slow
def test_chapter_1_runs_in_a_fresh_venv_from_the_served_wheel(built_book, book_url, tmp_path):
    """A fresh venv, the served wheel (pip takes its dependencies from the package index, as a
    reader's would), nbclient and ipykernel; every module of pgbook imported (so pyproject.toml
    declares every dependency); chapter 1's .ipynb (the student edition) downloaded from its page; run."""
    chapter = CHAPTERS[0]
    run_page = (built_book / "book" / "run.html").read_text(encoding="utf-8")
    wheel_href = re.search(r'class="pgbook-download[^"]*" href="([^"]+\.whl)"', run_page).group(1)
    wheel_url = urljoin(book_url + "book/run.html", wheel_href)
    page = f"{chapter}.html"
    notebook_url = urljoin(book_url + page, notebook_link((built_book / page).read_text(encoding="utf-8")))
    work = tmp_path / "reader"
    work.mkdir()
    (work / "chapter.ipynb").write_bytes(fetch(notebook_url))

    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PGBOOK_STATIC_WIDGETS", "MPLBACKEND", "JUPYTER_PATH")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin"
    env["JUPYTER_DATA_DIR"] = str(tmp_path / "jupyter")  # no kernel of the user's: the venv's own python3
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run(pip + [wheel_url, "nbclient", "ipykernel"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import pgbook; print(pgbook.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), f"pgbook imported from {where}, not from the venv"
    # every module imports with only the declared dependencies (a missing one is a ModuleNotFoundError)
    importer = ("import importlib, pkgutil, pgbook\n"
                "names = [m.name for m in pkgutil.walk_packages(pgbook.__path__, 'pgbook.')]\n"
                "for name in names:\n"
                "    importlib.import_module(name)\n"
                "print('imported', len(names), 'modules')\n")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", importer], cwd=work, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, f"a pgbook module does not import in a fresh venv:\n{done.stderr[-3000:]}"
    assert int(done.stdout.split()[1]) >= 30, done.stdout
    runner = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read('chapter.ipynb', as_version=4)\n"
        "nb.cells.append(nbformat.v4.new_code_cell('import sys, pgbook; print(\"KERNEL\", sys.executable, pgbook.__file__)'))\n"
        "NotebookClient(nb, kernel_name='python3', timeout=600, allow_errors=False,\n"
        "               resources={'metadata': {'path': '.'}}).execute()\n"
        "errors = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs if o.output_type == 'error']\n"
        "print('cells run:', sum(c.cell_type == 'code' for c in nb.cells), 'errors:', len(errors))\n"
        "print(''.join(o.get('text', '') for o in nb.cells[-1].outputs))\n"
    )
    done = subprocess.run([str(venv / "bin" / "python"), "-c", runner], cwd=work, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{notebook_url} failed in a fresh venv:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert "errors: 0" in done.stdout
    kernel = re.search(r"KERNEL (\S+) (\S+)", done.stdout)
    assert kernel and kernel[1].startswith(str(venv)) and kernel[2].startswith(str(venv)), done.stdout[-500:]
