"""Student and instructor editions of the book, one Jupyter notebook per chapter.

    pgbook export --edition student    --out DIR [--chapters NAME ...] [--force] [--book BOOK]
    pgbook export --edition instructor --out DIR [--chapters NAME ...] [--force] [--book BOOK]
    pgbook export --edition nbgrader   --out DIR [--chapters NAME ...] [--force] [--book BOOK]
    pgbook export --edition otter      --out DIR [--chapters NAME ...] [--force] [--book BOOK]

The nbgrader and otter editions (graded coursework, with the points each
``{exercise}`` states in its ``:points:`` option) are written by
:mod:`pgbook.coursework`; this module writes the other two.

**Convention for exercises in the chapter sources.** Chapters are MyST Markdown notebooks (a jupytext header with a kernelspec).

* An exercise is a sphinx-exercise ``{exercise}`` directive with a ``:label:``,
  followed by its solution between the markers::

      ```{solution-start} <label>
      :class: dropdown
      ```
      ... markdown and {code-cell} cells: the solution ...
      ```{solution-end}
      ```

  Everything between ``solution-start`` and ``solution-end`` (markdown *and*
  code cells, the markers included) is solution. The student edition removes
  it entirely. Where the exercise has no stubbed code cell (a derivation, an
  experiment), it leaves one markdown cell ``YOUR ANSWER HERE`` in its place,
  where the student writes (nbgrader's placeholder for written answers). A
  one-piece ``{solution}`` directive is removed the same way (it cannot hold
  code cells, so prefer the start/end pair).

* A code exercise has, *before* its solution block and outside it, a code cell
  holding the student's function, with the reference body between nbgrader's
  markers::

      def reward_to_go(rewards, mask, gamma):
          ### BEGIN SOLUTION
          ...reference body...
          ### END SOLUTION

  The student edition replaces the two marker lines and everything between
  them with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, indented as
  the BEGIN line was. Right after that cell, a check cell calls the check:
  ``check_reward_to_go(reward_to_go)``. Checks never raise, so the check cell
  shows "not implemented yet" and the notebook goes on.

* Solution code always sits inside function bodies, so a stub raises
  ``NotImplementedError`` only when its function is called, and every later
  cell still runs (a cell that calls the function fails with
  ``NotImplementedError``, and only that cell).

* Cell tags are the alternative: a code cell tagged ``solution`` (MyST:
  ``:tags: [solution]``) is removed entirely from the student edition.

The instructor edition keeps everything: solutions, markers and tags.

**Plain Markdown.** Both editions turn the chapters' MyST into the Markdown
Jupyter renders (:func:`plain_markdown`): an ``{exercise}`` becomes a bold
heading, ``{eq}`` and ``{prf:ref}`` become their text, a dropdown a folded
``<details>`` block. The book's build writes each chapter's student edition the
same way, for the download menu of the chapter's page, with the numbers and
glued values of the build filled in.

**What is written.** For each chapter listed in ``_toc.yml`` that is a notebook (pages without a
kernelspec, such as the references, are skipped), ``DIR/<name>.ipynb`` with no
outputs, where ``<name>`` is the source's file name without ``.md``; and
``DIR/README.md``, saying how to run them. Nothing else is copied: the notebooks
``import pgbook``, which the student installs (the wheel the built book serves,
or ``pip install -e <the book's repository>``).

Export first converts every chapter in memory, then checks that no file it
would write exists (unless ``force``), and only then writes. A refusal, a bad
chapter name or a malformed solution marker changes nothing on disk.

Exit codes of the command: 0 done; 2 a usage error or a refusal (bad chapter
name, no ``_toc.yml``, files that exist without ``--force``, a folder that
cannot be written); 1 a malformed exercise in a chapter source.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

__all__ = [
    "EDITIONS",
    "NOTEBOOK_EDITIONS",
    "ExportError",
    "find_book",
    "toc_chapters",
    "chapter_notebook",
    "student_notebook",
    "stub_solution_regions",
    "exercise_points",
    "is_notebook",
    "plain_markdown",
    "plain_notebook",
    "source_resolver",
    "edition_notebook",
    "export",
]

EDITIONS = ("student", "instructor", "nbgrader", "otter")
NOTEBOOK_EDITIONS = ("student", "instructor")  # one plain notebook per chapter (edition_notebook)
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"
SOLUTION_TAG = "solution"

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)###\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^[ \t]*###\s*END SOLUTION\s*$")
_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:.-]+)\}(?P<argument>.*)$")


def exercise_points(value: str | None, where: str = "an exercise") -> float:
    """The ``:points:`` option of an ``{exercise}`` directive, as a number.

    Points are a non-negative number: ``3``, ``1.5``. Raises ValueError naming
    ``where`` (the chapter and the exercise), what was expected and what came.
    Sphinx calls it with the option's text while the book is built
    (``_ext/exercise_cells.py`` registers the option), and the graded exports
    (``--edition nbgrader``, ``--edition otter``) with ``where`` filled in.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError(f"{where}: :points: needs a value, a non-negative number such as 3 or 1.5")
    try:
        points = float(text)
    except ValueError:
        points = None
    if points is None or points != points or points in (float("inf"), float("-inf")) or points < 0:
        raise ValueError(f"{where}: :points: must be a non-negative number such as 3 or 1.5, got {text!r}")
    return int(points) if points == int(points) else points


class ExportError(Exception):
    """A problem the user can fix, with the command's exit code (2 usage/refusal, 1 a source)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------- the book

def find_book(book: str | os.PathLike | None = None) -> Path:
    """The folder holding ``_toc.yml``: ``book`` if given, else the current folder or a
    parent of it, else the repository pgbook was installed from (editable install)."""
    if book is not None:
        root = Path(book)
        if root.name == "_toc.yml" and root.is_file():
            return root.parent.resolve()
        if not (root / "_toc.yml").is_file():
            raise ExportError(f"no _toc.yml in {root}: --book must be the folder that holds the book's _toc.yml")
        return root.resolve()
    here = Path.cwd().resolve()
    candidates = [here, *here.parents, Path(__file__).resolve().parent.parent]
    for folder in candidates:
        if (folder / "_toc.yml").is_file():
            return folder
    raise ExportError(
        f"no _toc.yml found in {here}, its parents, or {candidates[-1]}: run from the book's folder, "
        "or pass --book with the folder that holds the book's _toc.yml"
    )


def _toc_files(root: Path) -> list[str]:
    """Every ``file`` entry of ``_toc.yml``, in reading order (root first)."""
    import yaml

    try:
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ExportError(f"{root / '_toc.yml'} is not valid YAML: {err}") from err
    files = [toc["root"]] if "root" in toc else []

    def walk(entries):
        for entry in entries or []:
            if isinstance(entry, dict):
                if "file" in entry:
                    files.append(entry["file"])
                for key in ("parts", "chapters", "sections"):
                    walk(entry.get(key))

    for key in ("parts", "chapters", "sections"):
        walk(toc.get(key))
    return files


def _source_path(root: Path, entry: str) -> Path | None:
    path = root / entry
    if path.suffix in (".md", ".ipynb") and path.is_file():
        return path
    for suffix in (".md", ".ipynb"):
        if path.with_name(path.name + suffix).is_file():
            return path.with_name(path.name + suffix)
    return None


def is_notebook(path: Path) -> bool:
    """True if ``path`` is a notebook: an ``.ipynb``, or a MyST ``.md`` whose header has a kernelspec."""
    if path.suffix == ".ipynb":
        return True
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    header = text.split("\n---", 1)[0]
    return "kernelspec:" in header


def toc_chapters(root: Path) -> dict[str, Path]:
    """{name: source path} for every notebook page in ``_toc.yml``, in reading order.

    name is the source's file name without its suffix (``book/objective.md`` → ``objective``).
    """
    chapters: dict[str, Path] = {}
    for entry in _toc_files(root):
        path = _source_path(root, entry)
        if path is None or not is_notebook(path):
            continue
        if path.stem in chapters:
            raise ExportError(f"two chapters are named {path.stem!r}: {chapters[path.stem]} and {path}")
        chapters[path.stem] = path
    return chapters


# ----------------------------------------------------------- one chapter

def chapter_notebook(path: Path):
    """The chapter at ``path`` as an nbformat v4 notebook with no outputs (the instructor edition)."""
    import jupytext
    import nbformat

    notebook = jupytext.read(path) if path.suffix == ".md" else nbformat.read(path, as_version=4)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata.setdefault("language_info", {"name": "python"})
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return notebook


@dataclass
class _Fence:
    char: str
    length: int
    literal: bool  # a code block (its lines are text), not a directive (its lines are MyST)


def _opening(line: str):
    """(fence, directive name or None, argument) if ``line`` opens a fenced block, else None."""
    match = _FENCE.match(line)
    if not match or not match["info"].strip():
        return (match["fence"], None, "") if match else None
    directive = _DIRECTIVE.match(match["info"].strip())
    if directive:
        return match["fence"], directive["name"], directive["argument"].strip()
    return match["fence"], None, match["info"].strip()


def _closes(line: str, fence: _Fence) -> bool:
    stripped = line.strip()
    return len(stripped) >= fence.length and set(stripped) == {fence.char}


class _SolutionStripper:
    """Walks a notebook's cells, dropping solution regions (they may span several cells)."""

    def __init__(self, where: str):
        self.where = where
        self.in_solution: str | None = None  # the label of the open solution-start, if any
        self.stubbed = False  # a code cell was stubbed since the last {exercise}
        self.cells: list = []

    def _placeholder(self):
        import nbformat

        cell = nbformat.v4.new_markdown_cell(ANSWER_PLACEHOLDER)
        cell.metadata["tags"] = ["answer"]
        self.cells.append(cell)

    def markdown(self, cell) -> None:
        """Keep the lines of ``cell`` outside solutions; it may split into several cells."""
        import nbformat

        pieces: list[list[str]] = [[]]
        lines = cell.source.split("\n")
        stack: list[_Fence] = []
        i = 0

        def skip_directive(start: int, fence: str) -> int:
            """Index just past the closing fence of the directive opened at ``start``."""
            closing = _Fence(fence[0], len(fence), literal=True)
            j = start + 1
            while j < len(lines) and not _closes(lines[j], closing):
                j += 1
            if j == len(lines):
                raise ExportError(
                    f"{self.where}: the directive {lines[start].strip()!r} is never closed "
                    f"(no line {fence} after it in the same cell)", code=1)
            return j + 1

        while i < len(lines):
            line = lines[i]
            if self.in_solution is not None:
                opening = _opening(line)
                if opening and opening[1] == "solution-end":
                    i = skip_directive(i, opening[0])
                    self.in_solution = None
                    pieces.append([])
                    continue
                if opening and opening[1] in ("solution-start", "exercise", "exercise-start"):
                    what = f"{{{opening[1]}}} {opening[2]}".strip()
                    raise ExportError(
                        f"{self.where}: {what} inside the solution of "
                        f"{self.in_solution}: a solution-end is missing before it", code=1)
                i += 1
                continue
            if stack and _closes(line, stack[-1]):
                stack.pop()
                pieces[-1].append(line)
                i += 1
                continue
            if stack and stack[-1].literal:
                pieces[-1].append(line)
                i += 1
                continue
            opening = _opening(line)
            if opening is None:
                pieces[-1].append(line)
                i += 1
                continue
            fence, name, argument = opening
            if name == "solution-start":
                i = skip_directive(i, fence)
                self.in_solution = argument or "(no label)"
                if not self.stubbed:  # a code exercise has its stub cell to write in
                    pieces.append(None)  # where the answer placeholder goes
                pieces.append([])
                continue
            if name == "solution-end":
                raise ExportError(f"{self.where}: a solution-end with no solution-start before it", code=1)
            if name == "solution":
                i = skip_directive(i, fence)
                if not self.stubbed:
                    pieces.append(None)
                pieces.append([])
                continue
            if name == "exercise" or name == "exercise-start":
                self.stubbed = False
            stack.append(_Fence(fence[0], len(fence), literal=name is None))
            pieces[-1].append(line)
            i += 1

        for piece in pieces:
            if piece is None:
                self._placeholder()
                continue
            text = "\n".join(piece).strip("\n")
            if text.strip():
                new = nbformat.v4.new_markdown_cell(text)
                new.metadata = dict(cell.metadata)
                self.cells.append(new)

    def code(self, cell, index: int) -> None:
        if self.in_solution is not None:
            return
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            return
        stubbed = stub_solution_regions(cell.source, f"{self.where}, code cell {index}")
        self.stubbed = self.stubbed or stubbed != cell.source
        cell.source = stubbed
        self.cells.append(cell)

    def finish(self) -> list:
        if self.in_solution is not None:
            raise ExportError(
                f"{self.where}: solution-start {self.in_solution} has no solution-end after it", code=1)
        return self.cells


def stub_solution_regions(source: str, where: str) -> str:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by the stub."""
    out: list[str] = []
    indent: str | None = None
    for line in source.split("\n"):
        begin = _BEGIN.match(line)
        if indent is None:
            if begin:
                indent = begin["indent"]
                out.extend(indent + stub for stub in STUB)
            elif _END.match(line):
                raise ExportError(f"{where}: ### END SOLUTION with no ### BEGIN SOLUTION before it", code=1)
            else:
                out.append(line)
        elif _END.match(line):
            indent = None
        elif begin:
            raise ExportError(f"{where}: ### BEGIN SOLUTION inside another solution region", code=1)
    if indent is not None:
        raise ExportError(f"{where}: ### BEGIN SOLUTION with no ### END SOLUTION after it", code=1)
    return "\n".join(out)


def student_notebook(notebook, where: str = "chapter"):
    """A copy of ``notebook`` with every solution removed and every solution region stubbed."""
    import copy

    notebook = copy.deepcopy(notebook)
    stripper = _SolutionStripper(where)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            stripper.markdown(cell)
        elif cell.cell_type == "code":
            stripper.code(cell, index)
        elif stripper.in_solution is None and SOLUTION_TAG not in cell.metadata.get("tags", []):
            stripper.cells.append(cell)
    notebook.cells = stripper.finish()
    return notebook


def _finish(notebook, name: str, edition: str, source: Path, root: Path):
    """Stable cell ids, provenance metadata, and a schema check."""
    import nbformat

    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{name[:40]}-{index:03d}"
    try:
        relative = source.relative_to(root).as_posix()
    except ValueError:
        relative = source.name
    notebook.metadata["pgbook"] = {"edition": edition, "source": relative}
    nbformat.validate(notebook)
    return notebook


# ------------------------------------------------- MyST to plain Markdown

#: What a resolver is given, and what it answers. ``resolve(kind, target)``
#: returns the text the built book shows for a reference, or None when it cannot
#: tell (then the plain form below is used). ``kind`` is a role name as written
#: (``"eq"``, ``"prf:ref"``, ``"ref"``, ``"numref"``, ``"doc"``, ``"cite:p"``,
#: ``"glue:text"``, ...) or, for a numbered block's own heading, the directive's
#: name (``"prf:theorem"``, ``"exercise"``, ``"math"``), with its label as target.
Resolver = Callable[[str, str], "str | None"]

_ADMONITIONS = ("admonition", "note", "tip", "hint", "important", "warning", "caution",
                "attention", "danger", "error", "seealso")
_DROP = ("bibliography", "toctree", "tableofcontents", "contents", "glossary")
_CODE = ("code-block", "code", "sourcecode", "code-cell")
_ROLE_OR_CODE_OR_LINK = re.compile(
    r"\{(?P<role>[A-Za-z][\w:.+-]*)\}(?P<rticks>`+)(?P<rtext>.+?)(?P=rticks)(?!`)"
    r"|(?P<cticks>`+).+?(?P=cticks)(?!`)"
    r"|(?P<bang>!?)\[(?P<ltext>[^\]\n]*)\]\((?P<url>[^()\s]*)(?P<ltitle>\s+\"[^\"]*\")?\)",
    re.DOTALL,
)
_TARGET = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
_COMMENT = re.compile(r"^\s*%")
_LABELLED_DOLLARS = re.compile(r"^(?P<body>.*?)\$\$\s*\((?P<label>[^()\s]+)\)\s*$")
_EXPLICIT = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


def _titled(text: str) -> tuple[str | None, str]:
    """(explicit title or None, target) of a role's text: ``title <target>`` or ``target``."""
    match = _EXPLICIT.match(text.strip())
    if match and match["title"]:
        return match["title"], match["target"].strip()
    return None, text.strip()


def _short(target: str) -> str:
    """A Python object's name as a role shows it: ``~a.b.c`` → ``c``; ``.c`` → ``c``."""
    if target.startswith("~"):
        return target[1:].rsplit(".", 1)[-1]
    return target.lstrip(".!")


class _Plain:
    """Turns the MyST of one markdown cell into the Markdown Jupyter renders."""

    def __init__(self, resolve: Resolver | None, notebooks):
        self.resolve = resolve or (lambda kind, target: None)
        self.notebooks = set(notebooks or ())

    def _lookup(self, kind: str, target: str) -> str | None:
        try:
            found = self.resolve(kind, target)
        except Exception:  # a resolver that fails must not lose the page: use the plain form
            return None
        return found.strip() if isinstance(found, str) and found.strip() else None

    # ---------------------------------------------------------------- inline
    def role(self, name: str, text: str) -> str:
        title, target = _titled(text)
        name = name.lower()
        if name in ("math",):
            return f"${text}$"
        if name.startswith("glue"):
            key = text.strip()
            value = self._lookup(name, key)
            if value is None:
                shown = key.split("::")[-1]
                shown = shown.rsplit(":", 1)[0] if name == "glue:text" else shown
                return f"`{shown}`"
            return f"${value}$" if name == "glue:math" else value
        if name in ("eq",):
            return self._lookup("eq", target) or f"({target})"
        if name in ("prf:ref", "ref", "numref", "doc", "term", "any", "std:ref", "std:doc"):
            if title is not None and name != "numref":
                return title
            found = self._lookup(name, target)
            if found:
                return found
            return title or (target.rsplit("/", 1)[-1] if name == "doc" else target)
        if name.startswith("cite"):
            return self._lookup(name, target) or "[" + ", ".join(k.strip() for k in target.split(",")) + "]"
        if name.startswith("py:") or name in ("func", "class", "meth", "mod", "attr", "data", "obj", "exc"):
            return f"`{title if title is not None else _short(target)}`"
        if name in ("sub", "sup", "kbd", "abbr"):
            tag = {"abbr": "abbr"}.get(name, name)
            return f"<{tag}>{title or target}</{tag}>"
        if name in ("download",):
            return title or target
        return title or target  # any other role: its text

    def link(self, bang: str, text: str, url: str, title: str) -> str:
        if bang or re.match(r"^[a-z][a-z0-9+.-]*:", url, re.IGNORECASE):
            return f"{bang}[{text}]({url}{title or ''})"  # an image, or a link to another site
        path, _, fragment = url.partition("#")
        stem = Path(path).stem if path.endswith((".md", ".ipynb")) else (Path(path).name if path else "")
        if path and stem in self.notebooks:
            return f"[{text or stem}]({stem}.ipynb)"
        if not path and fragment and not text:
            return self._lookup("ref", fragment) or fragment
        return text or self._lookup("doc", path) or stem or fragment

    def inline(self, text: str) -> str:
        def replace(match: re.Match) -> str:
            if match["role"]:
                return self.role(match["role"], match["rtext"])
            if match["cticks"]:
                return match[0]
            return self.link(match["bang"], match["ltext"], match["url"], match["ltitle"])

        return _ROLE_OR_CODE_OR_LINK.sub(replace, text)

    # ---------------------------------------------------------------- blocks
    def convert(self, text: str) -> str:
        out = self.block(text.split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")

    def block(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        prose: list[str] = []

        def flush():
            if prose:
                out.extend(self.inline("\n".join(prose)).split("\n"))
                prose.clear()

        i = 0
        while i < len(lines):
            line = lines[i]
            opening = _opening(line)
            if opening is not None:
                fence, name, argument = opening
                closing = _Fence(fence[0], len(fence), literal=True)
                end = i + 1
                while end < len(lines) and not _closes(lines[end], closing):
                    end += 1
                body = lines[i + 1:end]
                indent = line[: len(line) - len(line.lstrip())]
                flush()
                if name is None:  # a code block: every line kept as written
                    out.extend(lines[i:end + 1])
                else:
                    out.extend(self.directive(name, argument, body, indent, fence))
                i = end + 1
                continue
            if _TARGET.match(line) or _COMMENT.match(line):
                i += 1
                continue
            labelled = _LABELLED_DOLLARS.match(line)
            if labelled and "$$" in "\n".join(prose + [labelled["body"]]):
                tag = self._tag(labelled["label"])
                prose.append(labelled["body"] + (tag + " " if tag else "") + "$$")
                i += 1
                continue
            prose.append(line)
            i += 1
        flush()
        return out

    def _tag(self, label: str) -> str:
        number = self._lookup("eq", label)
        return f"\\tag{{{number.strip('()')}}}" if number else ""

    @staticmethod
    def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
        """A directive's ``:key: value`` (or YAML ``---``) options, and the rest of its body."""
        options: dict[str, str] = {}
        rest = list(body)
        if rest and rest[0].strip() == "---":
            end = next((k for k in range(1, len(rest)) if rest[k].strip() == "---"), None)
            if end is not None:
                for raw in rest[1:end]:
                    key, _, value = raw.strip().partition(":")
                    options[key.strip()] = value.strip()
                rest = rest[end + 1:]
        while rest and re.match(r"^\s*:[\w-]+:", rest[0]):
            key, _, value = rest.pop(0).strip()[1:].partition(":")
            options[key] = value.strip()
        return options, rest

    def directive(self, name: str, argument: str, body: list[str], indent: str, fence: str) -> list[str]:
        options, content = self._options(body)
        content = [line[len(indent):] if line.startswith(indent) else line.lstrip() for line in content]
        while content and not content[0].strip():
            content.pop(0)
        while content and not content[-1].strip():
            content.pop()
        label = options.get("label", "")
        title = self.inline(argument) if argument else ""
        classes = options.get("class", "").split()
        inner = self.block(content)

        def indented(lines):
            return [indent + line if line.strip() else "" for line in lines]

        def heading(kind: str, fallback: str) -> str:
            number = self._lookup(kind, label) if label and "nonumber" not in options else None
            shown = number or fallback
            return f"**{shown}**" + (f" ({title})" if title else "")

        if name == "math":
            tag = self._tag(label) if label and not re.search(r"\\tag|\\begin\{(align|equation|gather|multline)", "\n".join(content)) else ""
            math = [line for line in content]
            return indented(["", "$$", *math, *([tag] if tag else []), "$$", ""])
        if name in _CODE:
            language = argument.split()[0] if argument else ""
            language = "python" if language in ("ipython3", "ipython") else language
            return indented(["```" + language, *content, "```"])
        if name in _DROP:
            return []
        if name == "raw":
            return indented(content) if argument.strip().lower() in ("html", "markdown", "md") else []
        if name.startswith("prf:"):
            kind = name[4:]
            if kind == "proof":
                head = "*Proof.*" + (f" ({title})" if title else "")
                return indented(["", head, "", *inner, "", "∎", ""])
            return indented(["", heading(name, kind.title()), "", *inner, ""])
        if name in ("exercise", "exercise-start"):
            return indented(["", heading("exercise", "Exercise"), "", *inner, ""])
        if name in ("exercise-end",):
            return []
        if name in ("solution-start", "solution"):
            target = argument.split()[0] if argument.split() else ""
            number = self._lookup("exercise", target) if target else None
            head = f"**Solution to {number}**" if number else "**Solution**"
            return indented(["", head, "", *inner, ""])
        if name == "solution-end":
            return indented(["", "*End of the solution.*", ""])
        if name in ("dropdown", "toggle") or (name in _ADMONITIONS and "dropdown" in classes):
            summary = title or ("Details" if name in ("dropdown", "toggle", "admonition") else name.title())
            return indented(["", "<details>", f"<summary>{summary}</summary>", "", *inner, "", "</details>", ""])
        if name in _ADMONITIONS:
            # a bold title, not a block quote: Jupyter reads "> " inside a $$ block as TeX
            head = title if name == "admonition" and title else ("See also" if name == "seealso" else name.title())
            return indented(["", f"**{head}**", "", *inner, ""])
        if name in ("figure", "image"):
            alt = options.get("alt") or " ".join(content).strip() or argument
            return indented([f"![{alt}]({argument})"])
        if name.startswith("glue"):
            key = argument.strip()
            value = self._lookup(name, key)
            return indented([value if value else f"`{key}` (computed in a cell above)"])
        if name == "rubric":
            return indented(["", f"**{title}**", ""])
        # anything else (margin, sidebar, epigraph, only, div, card, topic, ...): its content
        return indented(([f"**{title}**", ""] if title else []) + inner)


def plain_markdown(text: str, resolve: Resolver | None = None, notebooks=()) -> str:
    """MyST Markdown ``text`` turned into the plain Markdown that Jupyter renders.

    - ``{exercise}``, ``{prf:theorem}`` and other numbered blocks become a bold
      heading (**Exercise 1.2** (title)) followed by their text; ``{prf:proof}``
      becomes *Proof.* ... ∎; admonitions become block quotes, and dropdowns
      (``:class: dropdown``, ``{dropdown}``) a folded ``<details>`` block;
    - ``{math}`` blocks become ``$$`` blocks, tagged with their number when
      ``resolve`` knows it; ``(label)=`` targets and ``%`` comments are dropped;
    - roles become text: ``{eq}`` → (4.2), ``{prf:ref}`` → Theorem 3.1, ``{ref}``
      → the section's title, ``{cite}`` → the citation, ``{glue:text}`` → the
      value, ``{py:func}`` → the name in code font;
    - a link to a chapter listed in ``notebooks`` (names without suffix) points
      at its ``.ipynb``; a link to another page of the book keeps only its text.

    Without ``resolve`` (or where it returns None), a reference shows its label:
    ``{eq}`eq-score``` → (eq-score), a citation its key in brackets, a glued
    number its name in code font. Code blocks and inline code are left as written.
    """
    return _Plain(resolve, notebooks).convert(text)


def plain_notebook(notebook, resolve: Resolver | None = None, notebooks=()):
    """``notebook`` with every markdown cell passed through :func:`plain_markdown` (in place)."""
    converter = _Plain(resolve, notebooks)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = converter.convert(cell.source)
    notebook.cells = [c for c in notebook.cells if c.cell_type != "markdown" or c.source.strip()]
    return notebook


def edition_notebook(source: Path, name: str, edition: str, root: Path,
                     resolve: Resolver | None = None, notebooks=()):
    """The ``edition`` ("student" or "instructor") of the chapter at ``source``, as Jupyter opens it.

    This is what ``pgbook export`` writes for each chapter, and what the built
    book offers for download on each chapter's page (where ``resolve`` supplies
    the book's numbers and glued values): the chapter with no outputs, the
    student edition's solutions removed and stubs in place, and its MyST turned
    into plain Markdown (:func:`plain_markdown`).
    """
    if edition not in NOTEBOOK_EDITIONS:
        raise ExportError(f"edition must be one of {', '.join(NOTEBOOK_EDITIONS)}, got {edition!r}")
    notebook = chapter_notebook(source)
    if edition == "student":
        notebook = student_notebook(notebook, where=str(source))
    plain_notebook(notebook, resolve, notebooks)
    return _finish(notebook, name, edition, source, root)


# ------------------------------------------------ numbers from the sources

_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$")


def _numbered_entries(root: Path) -> list[str]:
    """The ``file`` entries of the numbered parts of ``_toc.yml``, in order: chapter k is entry k-1."""
    import yaml

    try:
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    entries = []
    for part in toc.get("parts", []) or []:
        if isinstance(part, dict) and part.get("numbered"):
            entries += [c["file"] for c in part.get("chapters", []) or [] if isinstance(c, dict) and "file" in c]
    return entries


def _scan_targets(text: str, chapter: int | None) -> dict[tuple[str, str], str]:
    """{(kind, label): text} for the numbered things of one source, as the book numbers them:
    labelled equations (3.2), exercises Exercise 3.1, ``{prf:...}`` blocks Theorem 3.1 (one
    counter per kind), and section targets ``(label)=`` → the heading under them."""
    found: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}

    def number(kind: str) -> str:
        counters[kind] = counters.get(kind, 0) + 1
        return f"{chapter}.{counters[kind]}" if chapter else str(counters[kind])

    lines = text.split("\n")
    stack: list[_Fence] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if stack and _closes(line, stack[-1]):
            stack.pop()
            i += 1
            continue
        if stack and stack[-1].literal:  # a code cell or code block: its lines are code
            i += 1
            continue
        target = _TARGET.match(line)
        if target:
            heading = next((m for m in (_HEADING.match(l) for l in lines[i + 1:i + 4]) if m), None)
            if heading:
                found[("ref", target["label"].lower())] = heading["title"]
            i += 1
            continue
        dollars = _LABELLED_DOLLARS.match(line)
        if dollars and "$$" in line[:-len(dollars["label"]) - 2]:
            found[("eq", dollars["label"])] = f"({number('eq')})"
            i += 1
            continue
        opening = _opening(line)
        if opening is None:
            i += 1
            continue
        fence, name, _ = opening
        literal = name is None or name in _CODE
        stack.append(_Fence(fence[0], len(fence), literal=literal))
        if literal:
            i += 1
            continue
        options, j = {}, i + 1
        if j < len(lines) and lines[j].strip() == "---":
            j += 1
            while j < len(lines) and lines[j].strip() != "---":
                key, _, value = lines[j].strip().partition(":")
                options[key.strip()] = value.strip()
                j += 1
            j += 1
        while j < len(lines) and _OPTION.match(lines[j]):
            match = _OPTION.match(lines[j])
            options[match["key"]] = match["value"]
            j += 1
        label = options.get("label", "").strip()
        if label and "nonumber" not in options:
            if name == "math":
                found[("eq", label)] = f"({number('eq')})"
            elif name in ("exercise", "exercise-start"):
                found[("exercise", label)] = f"Exercise {number('exercise')}"
            elif name.startswith("prf:") and name != "prf:proof":
                kind = name[4:]
                found[("prf", label)] = f"{kind.title()} {number(name)}"
        i = j
    return found


def source_resolver(root: Path) -> Resolver:
    """``resolve(kind, target)`` for :func:`plain_markdown`, from the book's sources alone.

    Numbers equations (3.2), exercises (Exercise 3.1) and ``{prf:...}`` blocks
    (Theorem 3.1) the way the built book does: within each chapter of the numbered
    parts of ``_toc.yml``, labelled blocks only, one counter per kind of block.
    ``{ref}`` to a section gives its heading. What it cannot tell (citations,
    glued values, pages outside the numbered parts) is left to the plain form.
    """
    numbered = _numbered_entries(root)
    index: dict[tuple[str, str], str] = {}
    for entry in _toc_files(root):
        path = _source_path(root, entry)
        if path is None or path.suffix != ".md":
            continue
        chapter = numbered.index(entry) + 1 if entry in numbered else None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for key, value in _scan_targets(text, chapter).items():
            index.setdefault(key, value)

    def resolve(kind: str, target: str) -> str | None:
        if kind in ("eq", "math"):
            return index.get(("eq", target))
        if kind in ("exercise", "exercise-start"):
            return index.get(("exercise", target))
        if kind.startswith("prf:"):
            return index.get(("prf", target))
        if kind in ("ref", "std:ref", "numref"):
            return (index.get(("exercise", target)) or index.get(("prf", target))
                    or index.get(("ref", target.lower())))
        return None

    return resolve


# ------------------------------------------------------------- the export

def _readme(edition: str, names: list[str]) -> str:
    lines = [
        f"# The policy gradient, from first principles: {edition} edition",
        "",
        "One Jupyter notebook per chapter, in reading order:",
        "",
        *[f"{i}. `{name}.ipynb`" for i, name in enumerate(names, start=1)],
        "",
        "The notebooks `import pgbook`, the book's helper package. Install it once, in the",
        "environment of your Jupyter kernel: the wheel the built book serves (its page *Run the",
        "chapters* links it), or the book's repository:",
        "",
        "    pip install pgbook-<version>-py3-none-any.whl jupyterlab",
        "    pip install -e path/to/the/book/repository",
        "",
        "Run each notebook top to bottom.",
    ]
    if edition == "student":
        lines += [
            "",
            "Exercises: write your answer in the cell that says `YOUR ANSWER HERE`. For a code",
            "exercise, replace `# YOUR CODE HERE` and `raise NotImplementedError()` with your code,",
            "then run the check cell below it (for example `check_reward_to_go(reward_to_go)`):",
            "it tests your function and says which case fails, with the expected output.",
        ]
    else:
        lines += [
            "",
            "This edition holds the solutions: `### BEGIN SOLUTION` / `### END SOLUTION` regions in",
            "code cells (nbgrader's markers), and each written solution between a **Solution to",
            "Exercise ...** heading and *End of the solution.* Do not give it to students.",
        ]
    return "\n".join(lines) + "\n"


def _select(chapters: dict[str, Path], wanted: list[str] | None, root: Path) -> list[str]:
    if not chapters:
        raise ExportError(f"{root / '_toc.yml'} lists no notebook chapters")
    if not wanted:
        return list(chapters)
    names = []
    for raw in wanted:
        name = Path(raw).stem if raw.endswith((".md", ".ipynb")) else Path(raw).name
        if name not in chapters:
            raise ExportError(
                f"no chapter named {raw!r} in {root / '_toc.yml'}; the chapters are: "
                + ", ".join(chapters)
            )
        if name not in names:
            names.append(name)
    return [name for name in chapters if name in names]  # reading order


def export(
    edition: str,
    out: str | os.PathLike,
    chapters: list[str] | None = None,
    force: bool = False,
    book: str | os.PathLike | None = None,
) -> list[Path]:
    """Write the ``edition`` of the chosen chapters (default: all) into ``out``; return the files written.

    Raises :class:`ExportError` (and writes nothing) on a bad edition or chapter
    name, a malformed solution marker, files that exist when ``force`` is False,
    or an ``out`` that cannot be written.
    """
    import nbformat

    if edition not in EDITIONS:
        raise ExportError(f"edition must be one of {', '.join(EDITIONS)}, got {edition!r}")
    root = find_book(book)
    available = toc_chapters(root)
    names = _select(available, chapters, root)

    if edition in NOTEBOOK_EDITIONS:
        notebooks = {}
        resolve = source_resolver(root)
        for name in names:
            notebook = edition_notebook(available[name], name, edition, root, resolve=resolve, notebooks=names)
            notebooks[f"{name}.ipynb"] = nbformat.writes(notebook) + "\n"
        files = {**notebooks, "README.md": _readme(edition, names)}
    else:  # nbgrader, otter: see pgbook.coursework
        from .coursework import graded_files

        files = graded_files(edition, {name: available[name] for name in names}, root, skip_empty=not chapters)

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExportError(f"cannot write to {out}: it is a file, not a folder")
    existing = [out / filename for filename in files if (out / filename).exists() or (out / filename).is_symlink()]
    if existing and not force:
        raise ExportError(
            f"refusing to overwrite {len(existing)} file(s) in {out} (pass --force to overwrite them):\n"
            + "\n".join(f"  {path}" for path in existing)
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot create the folder {out}: {err.strerror or err}") from err
    if not os.access(out, os.W_OK):
        raise ExportError(f"cannot write to the folder {out}: permission denied")
    written = []
    for filename, text in files.items():
        path = out / filename
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as err:
            raise ExportError(f"cannot write {path}: {err.strerror or err}") from err
        written.append(path)
    return written
