"""Sphinx extension: the built book carries what a reader needs to run it.

1. **Each chapter as a notebook.** Every page whose source is a notebook (a
   MyST ``.md`` with a kernelspec) gets ``_sources/<page>.ipynb``: its student
   edition, written by :func:`pgbook.export.edition_notebook`, the code behind
   ``pgbook export``, with the build's equation, theorem and exercise numbers,
   citations and glued values filled in. The theme's download menu offers it
   (sphinx-book-theme shows an ``.ipynb`` entry when the page context has
   ``ipynb_source``). A page with no kernelspec gets no entry, and the build log
   says so in an info line.
2. **The package.** The build makes the ``pgbook`` wheel from the book's own
   ``pyproject.toml`` and ``pgbook/`` (``pip wheel --no-deps --no-build-isolation
   --no-index``: no network), and serves it in ``downloads/`` with
   ``requirements.txt`` and ``pgbook-notebooks.zip`` (every chapter notebook,
   the wheel, the requirements and a README). A wheel that cannot be built
   stops the build with pip's output; every download link a page makes is
   checked against the built site at the end, so none can be dead.
3. **The repository, when there is one.** ``repository: url:`` in
   ``_config.yml`` (Jupyter Book passes it on as the theme's ``repository_url``)
   turns on the theme's repository button. ``{repository}`text``` links the
   text to it, and ``{if-repository}`` holds prose that only makes sense with
   one; with no URL, the block renders nothing, and a bare ``{repository}``
   role is a build error rather than a dead link.

Directives for the "Run the chapters" page: ``{pgbook-downloads}`` (the list of
files to download) and ``{pgbook-commands} unix|windows|pinned`` (the commands,
with the real wheel name).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError, ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

DOWNLOADS = "downloads"          # the site folder that holds the wheel, the zip, the requirements
ZIP_NAME = "pgbook-notebooks.zip"
ZIP_FOLDER = "pgbook-notebooks"  # the folder the zip unpacks into
REQUIREMENTS = "requirements.txt"
#: what the wheel is built from, relative to the book's root (pgbook/ is walked)
PACKAGE_FILES = ("pyproject.toml", "README.md")
PACKAGE_DIR = "pgbook"


# ------------------------------------------------------------------ the wheel

def _package_files(root: Path) -> list[Path]:
    files = [root / name for name in PACKAGE_FILES]
    missing = [str(p) for p in files + [root / PACKAGE_DIR] if not p.exists()]
    if missing:
        raise ExtensionError(f"pgbook wheel: cannot build it, missing from the book's folder: {', '.join(missing)}")
    files += sorted(p for p in (root / PACKAGE_DIR).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return files


def project_version(root: Path) -> str:
    """The version in ``pyproject.toml``'s ``[project]`` table."""
    import tomllib

    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        return str(project["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as err:
        raise ExtensionError(f"pgbook wheel: cannot read [project] version from {root / 'pyproject.toml'}: {err}") from err


def build_wheel(root: Path, cache: Path) -> Path:
    """The pgbook wheel built from ``root`` (reused from ``cache`` when no package file changed).

    Raises ExtensionError, with pip's output, when pip cannot build it or the
    wheel it builds is not the pgbook wheel of ``pyproject.toml``'s version.
    """
    root, cache = Path(root), Path(cache)
    files = _package_files(root)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    key = digest.hexdigest()[:16]
    version = project_version(root)
    name = f"pgbook-{version}-py3-none-any.whl"
    wheel = cache / key / name
    if wheel.is_file():
        return wheel
    with tempfile.TemporaryDirectory(prefix="pgbook-wheel-") as tmp:
        src = Path(tmp) / "src"
        for path in files:  # build from a copy: pip and setuptools write build/ and *.egg-info/ there
            (src / path.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / path.relative_to(root))
        out = Path(tmp) / "dist"
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                   "--disable-pip-version-check", "--wheel-dir", str(out), str(src)]
        done = subprocess.run(command, capture_output=True, text=True)
        built = sorted(out.glob("*.whl")) if out.is_dir() else []
        if done.returncode != 0 or [p.name for p in built] != [name]:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
            raise ExtensionError(
                f"pgbook wheel: `pip wheel` on {root} exited with {done.returncode} and made "
                f"{[p.name for p in built] or 'no wheel'}, expected {name}. The book serves this wheel "
                f"to its readers, so the build stops here. pip said:\n{tail}")
        check_wheel(built[0], root)
        if cache.exists():
            shutil.rmtree(cache)  # keep one wheel: the one for the current sources
        wheel.parent.mkdir(parents=True)
        shutil.copy2(built[0], wheel)
    return wheel


def check_wheel(wheel: Path, root: Path) -> None:
    """Every module of ``root/pgbook`` is in the wheel, and so is the console script."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
        scripts = archive.read(entry_points).decode() if entry_points else ""
    modules = {p.relative_to(root).as_posix() for p in (root / PACKAGE_DIR).rglob("*.py")
               if "__pycache__" not in p.parts}
    missing = sorted(modules - names)
    if missing or "pgbook = pgbook.cli:main" not in scripts:
        raise ExtensionError(f"pgbook wheel: {wheel.name} lacks {missing or 'the pgbook console script'}; "
                             "check [tool.setuptools] in pyproject.toml")


# ---------------------------------------------------------- page notebooks

def _toc_notebooks(app: Sphinx) -> dict[str, Path]:
    """{docname: source} for every notebook page, in reading order.

    The pages are those of ``_toc.yml`` that ``pgbook export`` exports (its
    :func:`~pgbook.export.toc_chapters`); a Sphinx project with no ``_toc.yml``
    takes its notebook pages in name order.
    """
    from pgbook.export import ExportError, is_notebook, toc_chapters

    root = Path(app.confdir)
    if not (root / "_toc.yml").is_file():
        docs = sorted(app.env.found_docs) if app.env is not None else []
        return {doc: Path(app.env.doc2path(doc)) for doc in docs if is_notebook(Path(app.env.doc2path(doc)))}
    try:
        chapters = toc_chapters(root)
    except ExportError as err:
        raise ExtensionError(f"page notebooks: {err}") from err
    return {path.relative_to(root).with_suffix("").as_posix(): path for path in chapters.values()}


def _xref(app: Sphinx, docname: str, domain: str, typ: str, target: str) -> str | None:
    """The text Sphinx shows for a reference ``domain:typ`` to ``target`` from ``docname``, or None."""
    node = addnodes.pending_xref("", refdomain=domain, reftype=typ, reftarget=target,
                                 refexplicit=False, refwarn=False, refdoc=docname)
    content = nodes.inline(target, target)
    node += content
    try:
        with logging.suppress_logging():
            found = app.env.get_domain(domain).resolve_xref(app.env, docname, app.builder, typ, target,
                                                            node, content)
    except Exception:  # an unknown label, a domain that wants more: the plain form is used
        return None
    return found.astext() if found is not None else None


def resolver(app: Sphinx, docname: str):
    """``resolve(kind, target)`` for :func:`pgbook.export.plain_markdown`, answered from this build."""
    from myst_nb.core.variables import format_plain_text
    from myst_nb.ext.glue.crossref import read_glue_cache

    env = app.env
    exercises = getattr(env, "sphinx_exercise_registry", {})
    proofs = getattr(env, "proof_list", {})

    def exercise(label: str) -> str | None:
        entry = exercises.get(label)
        if not entry or entry.get("type") not in ("exercise", "exercise-start"):
            return None
        numbers = env.toc_fignumbers.get(entry["docname"], {}).get("exercise", {}).get(label)
        return app.config.numfig_format["exercise"] % ".".join(map(str, numbers)) if numbers else None

    def glued(kind: str, text: str) -> str | None:
        doc, _, key = text.rpartition("::")
        fmt = ""
        if kind == "glue:text" and ":" in key:
            key, fmt = key.rsplit(":", 1)
        data = read_glue_cache(env.mystnb_config.output_folder, doc or docname).get(key, {}).get("data", {})
        if kind == "glue:math":
            return data.get("text/latex", "").strip().strip("$") or None
        if "text/plain" not in data:
            return None
        return format_plain_text(data["text/plain"], fmt or "")

    def resolve(kind: str, target: str) -> str | None:
        if kind.startswith("glue"):
            return glued(kind, target)
        if kind in ("eq", "math"):
            return _xref(app, docname, "math", "eq", target)
        if kind == "exercise" or (kind in ("ref", "numref", "std:ref") and target in exercises):
            return exercise(target)
        if kind.startswith("prf:"):
            return _xref(app, docname, "prf", "ref", target) if target in proofs else None
        if kind in ("ref", "std:ref", "numref", "doc", "std:doc"):
            typ = kind.split(":")[-1]
            return _xref(app, docname, "std", typ, target if typ == "doc" else target.lower())
        if kind.startswith("cite"):
            return _xref(app, docname, "cite", kind.split(":")[1] if ":" in kind else "p", target)
        return None

    return resolve


def write_page_notebooks(app: Sphinx) -> dict[str, Path]:
    """Write ``_sources/<docname>.ipynb`` for every notebook page; return {docname: path}."""
    import nbformat

    from pgbook.export import ExportError, edition_notebook

    root = Path(app.confdir)
    pages = _toc_notebooks(app)
    names = [Path(doc).name for doc in pages]
    written = {}
    for docname, source in pages.items():
        try:
            notebook = edition_notebook(source, Path(docname).name, "student", root,
                                        resolve=resolver(app, docname), notebooks=names)
        except ExportError as err:
            raise ExtensionError(f"page notebook for {docname}: {err}") from err
        path = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
        written[docname] = path
    return written


def offer_notebook(app: Sphinx, pagename: str, templatename, context: dict, doctree) -> None:
    """Put the page's notebook in the theme's download menu (before the theme builds it, priority 501)."""
    if app.builder.format != "html" or doctree is None:
        return
    if pagename in _notebook_pages(app):
        context["ipynb_source"] = f"{pagename}.ipynb"


def _notebook_pages(app: Sphinx) -> dict[str, Path]:
    if not hasattr(app, "_pgbook_notebook_pages"):
        app._pgbook_notebook_pages = _toc_notebooks(app)
    return app._pgbook_notebook_pages


def report_plain_pages(app: Sphinx, env) -> None:
    """Say, once a build, which pages get no notebook and why (an info line: -W stays quiet)."""
    if app.builder.format != "html":
        return
    notebooks = _notebook_pages(app)
    plain = sorted(doc for doc in env.found_docs if doc not in notebooks and doc in env.all_docs)
    if plain:
        logger.info(f"[pgbook] no .ipynb in the download menu of {len(plain)} page(s), because their "
                    f"source has no kernelspec (plain Markdown, not a notebook): {', '.join(plain)}")


# ------------------------------------------------------------- the downloads

def _zip(path: Path, files: dict[str, bytes]) -> None:
    """A zip of ``files`` ({name inside: content}) with fixed dates, so equal content gives equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(f"{ZIP_FOLDER}/{name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)


def commands(kind: str, wheel: str) -> str:
    """The shell commands of the "Run the chapters" page and the zip's README."""
    if kind == "unix":
        return (f"python3 -m venv .venv\n"
                f".venv/bin/pip install {wheel} jupyterlab\n"
                f".venv/bin/jupyter lab")
    if kind == "windows":
        return (f"py -m venv .venv\n"
                f".venv\\Scripts\\pip install {wheel} jupyterlab\n"
                f".venv\\Scripts\\jupyter lab")
    if kind == "pinned":
        return (f"python3 -m venv .venv\n"
                f".venv/bin/pip install -r {REQUIREMENTS}\n"
                f".venv/bin/pip install --no-deps {wheel}\n"
                f".venv/bin/jupyter lab")
    raise ValueError(f"kind: expected one of unix, windows, pinned, got {kind!r}")


def _zip_readme(app: Sphinx, wheel: str, names: list[str]) -> str:
    title = app.config.html_title or app.config.project
    lines = [
        f"# {title}: the chapters as notebooks",
        "",
        "One Jupyter notebook per chapter, in reading order:",
        "",
        *[f"{i}. `{name}.ipynb`" for i, name in enumerate(names, start=1)],
        "",
        f"They `import pgbook`, the book's helper package: `{wheel}`, in this folder. In this",
        "folder, set up a Python environment once (Python 3.10 or later; pip fetches numpy,",
        "matplotlib, ipywidgets, gymnasium and JupyterLab from the package index):",
        "",
        *["    " + line for line in commands("unix", wheel).splitlines()],
        "",
        "On Windows:",
        "",
        *["    " + line for line in commands("windows", wheel).splitlines()],
        "",
        f"For the exact versions the book was built with, use `{REQUIREMENTS}`:",
        "",
        *["    " + line for line in commands("pinned", wheel).splitlines()],
        "",
        "Then open a chapter and run its cells top to bottom (Run → Run All Cells). An exercise",
        "that asks you to implement a function has a cell with `# YOUR CODE HERE` /",
        "`raise NotImplementedError()`: replace those lines, then run the check cell below it.",
    ]
    return "\n".join(lines) + "\n"


def write_downloads(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.confdir)
    wheel = getattr(app, "_pgbook_wheel", None)
    if wheel is None or not Path(wheel).is_file():
        raise ExtensionError(f"pgbook wheel: {wheel or 'the wheel'} is missing at the end of the build; "
                             "the book would link a file it does not serve")
    notebooks = write_page_notebooks(app)
    out = Path(app.outdir) / DOWNLOADS
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(wheel, out / wheel.name)
    requirements = root / REQUIREMENTS
    if not requirements.is_file():
        raise ExtensionError(f"{requirements} is missing: the book serves the pinned requirements")
    shutil.copy2(requirements, out / REQUIREMENTS)
    names = [Path(doc).name for doc in notebooks]
    files = {f"{name}.ipynb": path.read_bytes() for name, path in zip(names, notebooks.values())}
    files[wheel.name] = wheel.read_bytes()
    files[REQUIREMENTS] = requirements.read_bytes()
    files["README.md"] = _zip_readme(app, wheel.name, names).encode()
    _zip(out / ZIP_NAME, files)
    logger.info(f"[pgbook] served {DOWNLOADS}/{wheel.name}, {DOWNLOADS}/{ZIP_NAME} "
                f"({len(notebooks)} notebooks) and {DOWNLOADS}/{REQUIREMENTS}")
    _check_links(app)


def _check_links(app: Sphinx) -> None:
    """Every download link a page made points at a file the site now serves."""
    dead = []
    for docname, targets in sorted(getattr(app.env, "pgbook_download_links", {}).items()):
        for target in targets:
            if not (Path(app.outdir) / target).is_file():
                dead.append(f"{docname} → {target}")
    if dead:
        raise ExtensionError("dead download links: " + "; ".join(dead))


def prepare_wheel(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    app._pgbook_wheel = build_wheel(Path(app.confdir), Path(app.outdir).parent / ".pgbook-wheel")
    logger.info(f"[pgbook] wheel {app._pgbook_wheel.name} ready")


# ------------------------------------------------------ directives and roles

def _link(directive: SphinxDirective, target: str, text: str) -> nodes.reference:
    """A link from the current page to ``target`` (a path in the built site), recorded for checking."""
    env = directive.env
    builder = env.app.builder
    uri = relative_uri(builder.get_target_uri(env.docname), target) if builder.format == "html" else target
    env.pgbook_download_links = getattr(env, "pgbook_download_links", {})
    env.pgbook_download_links.setdefault(env.docname, set()).add(target)
    return nodes.reference(text, text, refuri=uri, classes=["pgbook-download"])


def _wheel_name(directive: SphinxDirective) -> str:
    root = Path(directive.env.app.confdir)
    directive.env.note_dependency(str(root / "pyproject.toml"))  # the version names the wheel
    return f"pgbook-{project_version(root)}-py3-none-any.whl"


class DownloadsDirective(SphinxDirective):
    """The files a reader downloads to run the chapters, as a bullet list of links."""

    has_content = False

    def run(self):
        wheel = _wheel_name(self)
        pages = _toc_notebooks(self.env.app)
        items = nodes.bullet_list()

        def item(target: str, text: str, what: str):
            para = nodes.paragraph()
            para += _link(self, target, text)
            para += nodes.Text(what)
            items.append(nodes.list_item("", para))

        item(f"{DOWNLOADS}/{ZIP_NAME}", ZIP_NAME,
             f": every chapter as a notebook ({len(pages)} notebooks), the wheel below, the "
             "requirements and a README with these instructions, in one folder.")
        item(f"{DOWNLOADS}/{wheel}", wheel, ": the pgbook package, which the chapters import.")
        item(f"{DOWNLOADS}/{REQUIREMENTS}", REQUIREMENTS,
             ": the exact version of every package the book was built with.")
        return [items]


class NotebookListDirective(SphinxDirective):
    """Each chapter notebook, linked one by one, under its page's title."""

    has_content = False

    def run(self):
        pages = _toc_notebooks(self.env.app)
        items = nodes.bullet_list()
        for docname in pages:
            para = nodes.paragraph()
            para += _link(self, f"_sources/{docname}.ipynb", f"{Path(docname).name}.ipynb")
            para += nodes.Text(": ")
            title = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname,
                                          refexplicit=False, refwarn=True, refdoc=self.env.docname)
            title += nodes.inline(docname, docname, classes=["xref", "std", "std-doc"])
            para += title
            items.append(nodes.list_item("", para))
        return [items]


class CommandsDirective(SphinxDirective):
    """The commands that set up an environment and start JupyterLab, naming the real wheel."""

    required_arguments = 1

    def run(self):
        kind = self.arguments[0]
        if kind not in ("unix", "windows", "pinned"):
            raise self.error(f"pgbook-commands: expected unix, windows or pinned, got {kind!r}")
        text = commands(kind, _wheel_name(self))
        block = nodes.literal_block(text, text, language="powershell" if kind == "windows" else "bash")
        return [block]


def _repository_url(config) -> str:
    return str((config.html_theme_options or {}).get("repository_url") or "").strip()


class IfRepositoryDirective(SphinxDirective):
    """Its content, parsed as usual, only when ``_config.yml`` names a repository; else nothing."""

    has_content = True
    option_spec = {"class": directives.class_option}

    def run(self):
        if not _repository_url(self.config):
            return []
        container = nodes.container(classes=self.options.get("class", []))
        self.state.nested_parse(self.content, self.content_offset, container)
        return container.children


class RepositoryRole(SphinxRole):
    """``{repository}`text```: ``text`` linked to the repository of ``_config.yml``."""

    def run(self):
        url = _repository_url(self.config)
        if not url:
            message = self.inliner.reporter.error(
                "{repository} is used, but _config.yml sets no repository url (repository: url:). "
                "Set one, or put the sentence inside an {if-repository} block, which is left out "
                "when there is none.", line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, message)], [message]
        text = self.text.strip() or url
        return [nodes.reference(text, text, refuri=url)], []


def repository_button(app: Sphinx, config) -> None:
    """With a repository url, the theme shows its repository button; without one, no button at all."""
    options = config.html_theme_options
    url = _repository_url(config)
    if url and not re.match(r"^https?://[^/\s]+/\S+$", url):
        raise ConfigError(f"repository.url in _config.yml: expected the web address of the book's "
                          f"repository, such as https://github.com/<owner>/<name>, got {url!r}")
    options["use_repository_button"] = bool(url)


def purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, "pgbook_download_links", {}).pop(docname, None)


def merge(app: Sphinx, env, docnames, other) -> None:
    for docname in docnames:
        links = getattr(other, "pgbook_download_links", {}).get(docname)
        if links:
            env.pgbook_download_links = getattr(env, "pgbook_download_links", {})
            env.pgbook_download_links[docname] = links


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", repository_button)
    app.connect("builder-inited", prepare_wheel)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-updated", report_plain_pages)
    # before sphinx-book-theme's add_header_buttons (priority 501) reads ipynb_source
    app.connect("html-page-context", offer_notebook, priority=400)
    # before root_page and sphinx-external-toc (400, 500): the downloads are written first
    app.connect("build-finished", write_downloads, priority=300)
    app.add_directive("pgbook-downloads", DownloadsDirective)
    app.add_directive("pgbook-notebooks", NotebookListDirective)
    app.add_directive("pgbook-commands", CommandsDirective)
    app.add_directive("if-repository", IfRepositoryDirective)
    app.add_role("repository", RepositoryRole())
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
