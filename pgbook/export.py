"""Student and instructor editions of the book, one Jupyter notebook per chapter.

    pgbook export --edition student    --out DIR [--chapters NAME ...] [--force] [--book BOOK]
    pgbook export --edition instructor --out DIR [--chapters NAME ...] [--force] [--book BOOK]

Convention for exercises in the chapter sources
-----------------------------------------------
Chapters are MyST Markdown notebooks (a jupytext header with a kernelspec).

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
  where the student writes (nbgrader's placeholder for written answers). A one-piece ``{solution}`` directive is removed the
  same way (it cannot hold code cells, so prefer the start/end pair).

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

What is written
---------------
For each chapter listed in ``_toc.yml`` that is a notebook (pages without a
kernelspec, such as the references, are skipped), ``DIR/<name>.ipynb`` with no
outputs, where ``<name>`` is the source's file name without ``.md``; and
``DIR/README.md``, saying how to run them. Nothing else is copied: the notebooks
``import pgbook``, which the student installs (``pip install -e <the book's
repository>``).

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

__all__ = [
    "EDITIONS",
    "ExportError",
    "find_book",
    "toc_chapters",
    "chapter_notebook",
    "student_notebook",
    "stub_solution_regions",
    "export",
]

EDITIONS = ("student", "instructor")
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"
SOLUTION_TAG = "solution"

_BEGIN = re.compile(r"^(?P<indent>[ \t]*)###\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^[ \t]*###\s*END SOLUTION\s*$")
_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:.-]+)\}(?P<argument>.*)$")


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


def _is_notebook(path: Path) -> bool:
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
        if path is None or not _is_notebook(path):
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
        "environment of your Jupyter kernel, from the book's repository:",
        "",
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
            "code cells (nbgrader's markers) and the blocks between `solution-start` and",
            "`solution-end` in markdown. Do not give it to students.",
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

    notebooks = {}
    for name in names:
        source = available[name]
        notebook = chapter_notebook(source)
        if edition == "student":
            notebook = student_notebook(notebook, where=str(source))
        notebooks[f"{name}.ipynb"] = nbformat.writes(_finish(notebook, name, edition, source, root)) + "\n"
    files = {**notebooks, "README.md": _readme(edition, names)}

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
            path.write_text(text, encoding="utf-8")
        except OSError as err:
            raise ExportError(f"cannot write {path}: {err.strerror or err}") from err
        written.append(path)
    return written
