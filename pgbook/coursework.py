"""Graded editions of the chapters: nbgrader source notebooks and otter-assign master notebooks.

    pgbook export --edition nbgrader --out COURSE [--chapters NAME ...] [--force]
    pgbook export --edition otter    --out DIR    [--chapters NAME ...] [--force]

Both read the exercises of a chapter the way the student edition does
(:mod:`pgbook.export`) and add what the grading tool needs.

**Points.** Each ``{exercise}`` states what it is worth with a ``:points:`` option::

    ```{exercise}
    :label: ex-qw-reward-to-go
    :points: 3
    ```

A graded export stops, naming the chapter and the exercise, when an exercise
has no label, shares its label with another, or has no points or points that
are not a non-negative number.

**Code exercises** (a code cell with ``### BEGIN SOLUTION`` after the exercise,
then a check cell calling ``check_x(fn)``) are graded by their check, on every
case: a student's function that passes 4 of 6 cases of a 3-point exercise
scores 2. **Written exercises** (no such cell: a derivation, an experiment) are
graded by hand, from one answer cell; their solution (its text, and its code as
code blocks) fills that cell in the instructor's notebook only. A code
exercise's written solution explains the reference; the graded editions leave
it out (the instructor edition has it).

**nbgrader.** ``COURSE`` becomes an nbgrader course folder, one assignment per chapter
(pages with no exercise are left out, unless named with ``--chapters``)::

    COURSE/nbgrader_config.py          what grading the chapters needs (the per-cell timeout)
    COURSE/README.md                   the commands, from generate_assignment to feedback
    COURSE/source/<chapter>/<chapter>.ipynb

In each source notebook (nbgrader metadata, schema 3):

- the cell holding ``### BEGIN SOLUTION`` is an autograded answer
  (solution, ``grade_id`` ``<label>-code``);
- the check cell stays as it is, for the student to run while working;
- after it, a locked test cell (grade, ``grade_id`` the exercise's label, its
  points) ends in ``grade(check_x, fn, points=3)``, which prints the check's
  message and returns the score, which nbgrader reads as partial credit;
- a written exercise's answer is a markdown cell marked solution and grade
  (manually graded, its points), holding the solution; nbgrader releases it
  as ``YOUR ANSWER HERE``.

No other cell holds solution text or a solution marker, so nbgrader's release
holds no line of a solution.

**otter.** ``DIR/<chapter>.ipynb`` is an otter-assign master notebook (format v1): a
``# ASSIGNMENT CONFIG`` raw cell, and for each exercise a question
(``# BEGIN QUESTION`` with ``name`` = the label and ``points``) holding its
statement, its solution (``# BEGIN SOLUTION`` ... ``# END SOLUTION``) and, for
a code exercise, its check cell and one test per case of the check
(``# BEGIN TESTS``), each worth an equal share of the points. The stub otter
writes is the student edition's (``# YOUR CODE HERE`` / ``raise
NotImplementedError()``). Written exercises are ``manual: true`` questions.
The config turns off otter's init, check and export cells (the chapter's own
check cells give feedback, and a student needs no otter to run the notebook)
and ``run_tests`` (``otter run`` on the autograder notebook, which holds the
solutions, checks the tests against them: see the README it writes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .export import (
    SOLUTION_TAG,
    ExportError,
    _closes,
    _Fence,
    _opening,
    _Plain,
    chapter_notebook,
    exercise_points,
)

__all__ = ["GRADED_EDITIONS", "Exercise", "read_exercises", "nbgrader_notebook", "otter_notebook",
           "graded_files", "NBGRADER_TIMEOUT"]

GRADED_EDITIONS = ("nbgrader", "otter")
CHECK_TAG = "exercise-check"
#: seconds a cell may run while nbgrader grades (nbgrader's default is 30); the
#: slowest chapter cells train CartPole and Pendulum policies for about a minute
NBGRADER_TIMEOUT = 300

_CHECK_CALL = re.compile(r"(?<![\w.])(check_\w+)\(\s*([A-Za-z_]\w*)\s*[,)]")
_GRADE_ID = re.compile(r"[^A-Za-z0-9_-]")
_BEGIN_MARK = re.compile(r"^(?P<indent>[ \t]*)###\s*BEGIN SOLUTION\s*$")
_END_MARK = re.compile(r"^(?P<indent>[ \t]*)###\s*END SOLUTION\s*$")
#: what nbgrader reads as a solution region or hidden tests in *any* cell (substrings)
_NBGRADER_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


@dataclass
class Exercise:
    """One ``{exercise}`` of a chapter, as the graded exports see it."""

    label: str
    points: float
    statement: str                                  # the directive, MyST as written
    stubs: list = field(default_factory=list)       # code cells with ### BEGIN SOLUTION
    checks: list = field(default_factory=list)      # (check name, function name) of its check cell
    solution: list = field(default_factory=list)    # ("markdown", text) or ("code", source)
    has_solution_block: bool = False

    @property
    def is_code(self) -> bool:
        return bool(self.stubs)


def _first_words(lines: list[str]) -> str:
    text = " ".join(line.strip() for line in lines if line.strip() and not line.strip().startswith(":"))
    text = re.sub(r"\s+", " ", text)
    return (text[:60] + "...") if len(text) > 60 else text


class _Reader:
    """Splits a chapter's cells into prose, exercises, their stubs, checks and solutions.

    ``items`` is the chapter in order: ("markdown", text), ("exercise", Exercise),
    ("stub", cell, Exercise), ("check", cell, Exercise), ("code", cell),
    ("raw", cell), ("answer", Exercise) where a written solution stood.
    """

    def __init__(self, where: str):
        self.where = where
        self.items: list[tuple] = []
        self.exercises: dict[str, Exercise] = {}
        self.current: Exercise | None = None
        self.in_solution: Exercise | None = None
        self.count = 0

    # ------------------------------------------------------------ markdown
    def markdown(self, source: str) -> None:
        lines = source.split("\n")
        prose: list[str] = []
        stack: list[_Fence] = []

        def flush():
            text = "\n".join(prose).strip("\n")
            if text.strip():
                if self.in_solution is not None:
                    self.in_solution.solution.append(("markdown", text))
                else:
                    self.items.append(("markdown", text))
            prose.clear()

        def block_end(start: int, fence: str) -> int:
            closing = _Fence(fence[0], len(fence), literal=True)
            j = start + 1
            while j < len(lines) and not _closes(lines[j], closing):
                j += 1
            if j == len(lines):
                raise ExportError(f"{self.where}: the directive {lines[start].strip()!r} is never closed "
                                  f"(no line {fence} after it in the same cell)", code=1)
            return j

        i = 0
        while i < len(lines):
            line = lines[i]
            if self.in_solution is not None:
                opening = _opening(line)
                if opening and opening[1] == "solution-end":
                    flush()
                    i = block_end(i, opening[0]) + 1
                    self.in_solution = None
                    continue
                if opening and opening[1] in ("solution-start", "exercise", "exercise-start"):
                    raise ExportError(f"{self.where}: {{{opening[1]}}} inside the solution of "
                                      f"{self.in_solution.label}: a solution-end is missing before it", code=1)
                prose.append(line)
                i += 1
                continue
            if stack:
                if _closes(line, stack[-1]):
                    stack.pop()
                elif not stack[-1].literal:
                    opening = _opening(line)
                    if opening and opening[1] in ("exercise", "exercise-start", "solution-start", "solution"):
                        raise ExportError(f"{self.where}: a {{{opening[1]}}} inside another directive; "
                                          "the graded exports need exercises and solutions at the top level",
                                          code=1)
                    if opening:
                        stack.append(_Fence(opening[0][0], len(opening[0]), literal=opening[1] is None))
                prose.append(line)
                i += 1
                continue
            opening = _opening(line)
            if opening is None:
                prose.append(line)
                i += 1
                continue
            fence, name, argument = opening
            if name in ("exercise", "exercise-start"):
                flush()
                end = block_end(i, fence)
                self.exercise(lines[i:end + 1], fence)
                i = end + 1
                continue
            if name == "exercise-end":
                i = block_end(i, fence) + 1
                continue
            if name in ("solution-start", "solution"):
                flush()
                end = block_end(i, fence)
                target = self.solution_target(argument, name)
                target.has_solution_block = True
                self.items.append(("answer", target))
                if name == "solution":
                    body = _Plain._options(lines[i + 1:end])[1]
                    text = "\n".join(body).strip("\n")
                    if text.strip():
                        target.solution.append(("markdown", text))
                else:
                    self.in_solution = target
                i = end + 1
                continue
            if name == "solution-end":
                raise ExportError(f"{self.where}: a solution-end with no solution-start before it", code=1)
            stack.append(_Fence(fence[0], len(fence), literal=name is None))
            prose.append(line)
            i += 1
        flush()

    def exercise(self, block: list[str], fence: str) -> None:
        self.finish_exercise()
        self.count += 1
        options, body = _Plain._options(block[1:-1])
        raw_label = options.get("label", "").strip()
        about = _first_words(body)
        if not raw_label:
            raise ExportError(f"{self.where}: exercise {self.count} ({about!r}) has no :label:; the graded "
                              "exports name each exercise's grade after its label", code=1)
        if raw_label in self.exercises:
            raise ExportError(f"{self.where}: exercise {self.count} ({about!r}) has the label {raw_label!r}, "
                              "which an earlier exercise of the chapter has too; labels must be unique", code=1)
        if "points" not in options:
            raise ExportError(f"{self.where}: exercise {raw_label} has no :points:; add a line such as "
                              "':points: 3' under its :label:", code=1)
        try:
            points = exercise_points(options["points"], f"{self.where}: exercise {raw_label}")
        except ValueError as err:
            raise ExportError(str(err), code=1) from None
        exercise = Exercise(raw_label, points, "\n".join(block))
        self.exercises[raw_label] = exercise
        self.current = exercise
        self.items.append(("exercise", exercise))

    def solution_target(self, argument: str, name: str) -> Exercise:
        label = argument.split()[0] if argument.split() else ""
        if not label:
            if self.current is None:
                raise ExportError(f"{self.where}: a {{{name}}} with no label and no exercise before it", code=1)
            return self.current
        if label not in self.exercises:
            raise ExportError(f"{self.where}: a {{{name}}} for {label!r}, which is not the label of an "
                              "exercise before it in the chapter", code=1)
        return self.exercises[label]

    # ---------------------------------------------------------------- code
    def code(self, cell) -> None:
        source = cell.source
        tags = cell.metadata.get("tags", [])
        if self.in_solution is not None:
            self.in_solution.solution.append(("code", source))
            return
        if SOLUTION_TAG in tags:
            if self.current is not None:
                self.current.solution.append(("code", source))
            return
        has_region = any(_BEGIN_MARK.match(line) for line in source.split("\n"))
        if has_region:
            if self.current is None:
                raise ExportError(f"{self.where}: a code cell with ### BEGIN SOLUTION before any exercise; "
                                  "put it after the {exercise} it answers", code=1)
            if self.current.checks:
                raise ExportError(f"{self.where}: exercise {self.current.label} has a code cell with "
                                  "### BEGIN SOLUTION after its check cell; the check comes last", code=1)
            self.current.stubs.append(cell)
            self.items.append(("stub", cell, self.current))
            return
        exercise = self.current
        if exercise is not None and exercise.is_code and not exercise.checks:
            calls = _CHECK_CALL.findall(source)
            if CHECK_TAG in tags or calls:
                if not calls:
                    raise ExportError(f"{self.where}: the check cell of exercise {exercise.label} calls no "
                                      "check_*(function), e.g. check_reward_to_go(reward_to_go)", code=1)
                seen = []
                for call in calls:
                    if call not in seen:
                        seen.append(call)
                exercise.checks = seen
                self.items.append(("check", cell, exercise))
                return
        self.items.append(("code", cell))

    def finish_exercise(self) -> None:
        exercise = self.current
        if exercise is not None and exercise.is_code and not exercise.checks:
            raise ExportError(f"{self.where}: exercise {exercise.label} is a code exercise (### BEGIN SOLUTION) "
                              "with no check cell after it; add a code cell tagged exercise-check that calls "
                              "its check, e.g. check_reward_to_go(reward_to_go)", code=1)

    def finish(self) -> list[tuple]:
        if self.in_solution is not None:
            raise ExportError(f"{self.where}: solution-start {self.in_solution.label} has no solution-end "
                              "after it", code=1)
        self.finish_exercise()
        return self.items


def read_exercises(notebook, where: str) -> list[tuple]:
    """The cells of ``notebook`` (a chapter, as :func:`pgbook.export.chapter_notebook` reads it), in order:
    ("markdown", text), ("exercise", Exercise), ("stub", cell, Exercise), ("check", cell, Exercise),
    ("code", cell), ("raw", cell), and ("answer", Exercise) where a written solution stood.
    Raises ExportError (code 1) on a malformed exercise."""
    reader = _Reader(where)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            reader.markdown(cell.source)
        elif cell.cell_type == "code":
            reader.code(cell)
        else:
            reader.items.append(("raw", cell))
    return reader.finish()


# ------------------------------------------------------------ shared pieces

def _points_text(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def _statement(exercise: Exercise, convert) -> str:
    text = convert(exercise.statement)
    head, sep, rest = text.partition("\n")
    return f"{head} ({_points_text(exercise.points)}){sep}{rest}"


def _written_solution(exercise: Exercise, convert) -> str:
    parts = []
    for kind, text in exercise.solution:
        if kind == "markdown":
            parts.append(convert(text))
        elif text.strip():
            parts.append("```python\n" + text.strip("\n") + "\n```")
    if not parts:
        return "(The book gives no written solution for this exercise.)"
    return "\n\n".join(parts)


def _grade_id(label: str) -> str:
    return _GRADE_ID.sub("_", label)


def _imports(exercise: Exercise, extra: str = "") -> str:
    """The import line of a test cell: the checks pgbook has, and ``extra``."""
    from . import checks as checks_module

    names = [check for check, _ in exercise.checks if check in getattr(checks_module, "__all__", ())]
    names = list(dict.fromkeys(names + ([extra] if extra else [])))
    return f"from pgbook.checks import {', '.join(names)}\n" if names else ""


def _share(points: float, n: int) -> float:
    share = points / n
    return int(share) if share == int(share) else round(share, 6)


# ----------------------------------------------------------------- nbgrader

def _nbgrader_meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None) -> dict:
    meta = {"schema_version": 3, "grade": grade, "solution": solution, "locked": locked,
            "task": False, "grade_id": grade_id}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _test_cell_source(exercise: Exercise, title: str) -> str:
    share = _share(exercise.points, len(exercise.checks))
    calls = " + ".join(f"grade({check}, {fn}, points={share})" for check, fn in exercise.checks)
    return (f"# Graded test of {title}: {_points_text(exercise.points)}, a share for each case "
            "its check passes.\n"
            "# nbgrader runs this cell when it grades; it is locked.\n"
            + _imports(exercise, "grade") + "\n" + calls)


def nbgrader_notebook(source: Path, name: str, where: str | None = None, resolve=None, notebooks=()):
    """The nbgrader source notebook of the chapter at ``source`` (see the module doc)."""
    import nbformat

    where = where or str(source)
    notebook = chapter_notebook(source)
    items = read_exercises(notebook, where)
    convert = _Plain(resolve, notebooks).convert
    cells = []
    answers = []  # (cell, exercise): filled once the whole chapter is read

    def answer_cell(exercise: Exercise) -> None:
        cell = nbformat.v4.new_markdown_cell("")
        cell.metadata.update(_nbgrader_meta(_grade_id(exercise.label), grade=True, solution=True,
                                            locked=False, points=exercise.points))
        cells.append(cell)
        answers.append((cell, exercise))

    for item in items:
        kind = item[0]
        if kind == "markdown":
            text = convert(item[1])
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "exercise":
            exercise = item[1]
            cells.append(nbformat.v4.new_markdown_cell(_statement(exercise, convert)))
            if not exercise.is_code and not exercise.has_solution_block:
                answer_cell(exercise)
        elif kind == "stub":
            cell, exercise = item[1], item[2]
            number = exercise.stubs.index(cell) + 1
            grade_id = f"{_grade_id(exercise.label)}-code" + (f"-{number}" if number > 1 else "")
            new = nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata))
            new.metadata.update(_nbgrader_meta(grade_id, grade=False, solution=True, locked=False))
            cells.append(new)
        elif kind == "check":
            cell, exercise = item[1], item[2]
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata)))
            title = (resolve("exercise", exercise.label) if resolve else None) or "the exercise"
            test = nbformat.v4.new_code_cell(_test_cell_source(exercise, f"{title} ({exercise.label})"))
            test.metadata.update(_nbgrader_meta(_grade_id(exercise.label), grade=True, solution=False,
                                                locked=True, points=exercise.points))
            cells.append(test)
        elif kind == "answer":
            exercise = item[1]
            if not exercise.is_code and all(done is not exercise for _, done in answers):
                answer_cell(exercise)
        elif kind == "code":
            cell = item[1]
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata)))
        elif kind == "raw":
            cells.append(item[1])
    for cell, exercise in answers:
        cell.source = _written_solution(exercise, convert)

    for cell in cells:
        if "nbgrader" in cell.metadata and cell.metadata["nbgrader"]["solution"]:
            continue
        for marker in _NBGRADER_MARKERS:
            if marker in cell.source:
                raise ExportError(f"{where}: a cell that is not an exercise's answer holds {marker!r}, which "
                                  f"nbgrader would read as a solution region:\n{cell.source[:200]}", code=1)
    _unique_grade_ids(cells, where)
    notebook.cells = cells
    return notebook


def _unique_grade_ids(cells, where: str) -> None:
    seen: dict[str, int] = {}
    for cell in cells:
        meta = cell.metadata.get("nbgrader")
        if not meta:
            continue
        if meta["grade_id"] in seen:
            raise ExportError(f"{where}: two exercises give the nbgrader grade id {meta['grade_id']!r} "
                              "(labels that differ only in characters other than letters, digits, - and _)",
                              code=1)
        seen[meta["grade_id"]] = 1


def _nbgrader_config() -> str:
    return (
        "# nbgrader settings for the chapters of 'The policy gradient, from first principles'\n"
        "# (written by `pgbook export --edition nbgrader`; merge these lines into your course's\n"
        "# nbgrader_config.py if you have one).\n"
        "c = get_config()  # noqa: F821 - nbgrader defines get_config\n"
        "\n"
        "# Seconds a cell may run while nbgrader autogrades (its default is 30). Most chapter cells\n"
        "# take well under a second, but training CartPole and Pendulum policies (chapters 4 and 5)\n"
        f"# takes about a minute.\n"
        f"c.Execute.timeout = {NBGRADER_TIMEOUT}\n"
    )


def _nbgrader_readme(names: list[str]) -> str:
    first = names[0]
    return "\n".join([
        "# nbgrader course: 'The policy gradient, from first principles'",
        "",
        "Written by `pgbook export --edition nbgrader`. This folder is an nbgrader course: one",
        "assignment per chapter, in `source/<chapter>/`, with the solutions, the points and the",
        "graded test cells. Do not give this folder to students.",
        "",
        "Assignments: " + ", ".join(f"`{name}`" for name in names) + ".",
        "",
        "From this folder (the grading environment needs pgbook and nbgrader installed):",
        "",
        "```bash",
        f"nbgrader generate_assignment {first}       # writes release/{first}/: hand THAT out",
        f"# collect each student's notebook as submitted/<student>/{first}/{first}.ipynb, then",
        f"nbgrader autograde {first}",
        f"nbgrader generate_feedback {first}         # feedback/<student>/{first}/{first}.html",
        "```",
        "",
        "Hand out `release/<chapter>/`, not pgbook's student edition: nbgrader restores the graded",
        "test cells from its database when it grades, but it does not put back a test cell that is",
        "missing, and the student edition has none, so it would score 0.",
        "",
        "Code exercises are graded by their checks, with partial credit (points times the fraction",
        "of the check's cases passed); written exercises are graded by hand (`nbgrader formgrader`,",
        "or the gradebook) from the answer cell under each exercise.",
        "",
        "`nbgrader_config.py` raises nbgrader's per-cell timeout; keep that line if you merge it",
        "into a course of your own.",
        "",
    ])


# -------------------------------------------------------------------- otter

def _raw(text: str):
    import nbformat

    return nbformat.v4.new_raw_cell(text)


def _otter_stub(source: str, where: str) -> str:
    """The stub cell in otter's markers: the reference between ``# BEGIN SOLUTION NO PROMPT`` and
    ``# END SOLUTION``, then the student edition's stub as otter's prompt (kept for the student,
    a string the reference never reaches in the autograder's copy)."""
    out = []
    for line in source.split("\n"):
        begin = _BEGIN_MARK.match(line)
        end = _END_MARK.match(line)
        if begin:
            out.append(f"{begin['indent']}# BEGIN SOLUTION NO PROMPT")
        elif end:
            indent = end["indent"]
            out += [f"{indent}# END SOLUTION",
                    f'{indent}""" # BEGIN PROMPT',
                    f"{indent}# YOUR CODE HERE",
                    f"{indent}raise NotImplementedError()",
                    f'{indent}""" # END PROMPT']
        else:
            if re.search(r"#\s*(SOLUTION|SEED|IGNORE|BEGIN PROMPT|END PROMPT)\b", line):
                raise ExportError(f"{where}: a line of an exercise's code cell ends in an otter marker "
                                  f"comment, which otter would act on: {line.strip()!r}", code=1)
            out.append(line)
    return "\n".join(out)


def _otter_tests(exercise: Exercise) -> list[str]:
    from . import checks as checks_module

    tests = []
    for check, fn in exercise.checks:
        found = getattr(checks_module, check, None)
        try:
            count = checks_module.case_count(found) if found is not None else None
        except TypeError:  # a check that cannot run its cases one by one
            count = None
        if not count:  # a check pgbook does not know, or cannot split: one test for all its cases
            tests.append(_imports(exercise) + f"result = {check}({fn})\nassert result.passed, result.message")
            continue
        for case in range(1, count + 1):
            tests.append(f"from pgbook.checks import {check}\n"
                         f"result = {check}({fn}, case={case})\n"
                         "assert result.passed, result.message")
    return tests


def otter_notebook(source: Path, name: str, where: str | None = None, resolve=None, notebooks=()):
    """The otter-assign master notebook of the chapter at ``source`` (see the module doc)."""
    import nbformat
    import yaml

    where = where or str(source)
    notebook = chapter_notebook(source)
    items = read_exercises(notebook, where)
    convert = _Plain(resolve, notebooks).convert
    config = {
        "name": name,
        "init_cell": False,
        "check_all_cell": False,
        "export_cell": False,
        "run_tests": False,
        "tests": {"files": False, "ok_format": True},
    }
    cells = [_raw("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False).strip())]
    answers = []  # (cell, exercise): filled once the whole chapter is read
    state = {"open": None, "checked": False}

    def begin(exercise: Exercise) -> None:
        question = {"name": exercise.label, "points": exercise.points}
        if exercise.is_code:
            question["check_cell"] = False  # the chapter's own check cell follows the solution
        else:
            question["manual"] = True
        cells.append(_raw("# BEGIN QUESTION\n" + yaml.safe_dump(question, sort_keys=False).strip()))
        cells.append(nbformat.v4.new_markdown_cell(_statement(exercise, convert)))
        state.update(open=exercise, checked=False)

    def end(force: bool = False) -> None:
        exercise = state["open"]
        if exercise is None:
            return
        if exercise.is_code and not state["checked"] and not force:
            return  # a code question runs from its statement to its check cell
        if exercise.is_code:
            cells.append(_raw("# BEGIN TESTS"))
            cells.extend(nbformat.v4.new_code_cell(test) for test in _otter_tests(exercise))
            cells.append(_raw("# END TESTS"))
        else:
            cells.append(_raw("# BEGIN SOLUTION"))
            answer = nbformat.v4.new_markdown_cell("")
            cells.append(answer)
            answers.append((answer, exercise))
            cells.append(_raw("# END SOLUTION"))
        cells.append(_raw("# END QUESTION"))
        state.update(open=None, checked=False)

    for item in items:
        kind = item[0]
        if kind == "exercise":
            end(force=True)
            begin(item[1])
        elif kind == "stub":
            cell, exercise = item[1], item[2]
            cells.append(_raw("# BEGIN SOLUTION"))
            cells.append(nbformat.v4.new_code_cell(_otter_stub(cell.source, f"{where}, exercise {exercise.label}"),
                                                   metadata=dict(cell.metadata)))
            cells.append(_raw("# END SOLUTION"))
        elif kind == "check":
            cells.append(nbformat.v4.new_code_cell(item[1].source, metadata=dict(item[1].metadata)))
            state["checked"] = True
            end()
        elif kind == "answer":
            end()
        elif kind == "markdown":
            end()
            text = convert(item[1])
            if text.strip():
                cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code":
            end()
            cells.append(nbformat.v4.new_code_cell(item[1].source, metadata=dict(item[1].metadata)))
        elif kind == "raw":
            end()
            cells.append(item[1])
    end(force=True)
    for cell, exercise in answers:
        cell.source = _written_solution(exercise, convert)
    notebook.cells = cells
    return notebook


def _otter_readme(names: list[str]) -> str:
    first = names[0]
    zip_glob = f"dist/{first}/autograder/{first}-autograder_*.zip"
    return "\n".join([
        "# otter-grader master notebooks: 'The policy gradient, from first principles'",
        "",
        "Written by `pgbook export --edition otter`: one otter-assign master notebook per chapter,",
        "with the solutions, the points and the tests. Do not give these to students.",
        "",
        "```bash",
        f"otter assign {first}.ipynb dist/{first}",
        f"# hand out dist/{first}/student/{first}.ipynb; to grade one submission:",
        "mkdir -p results",
        f"otter run -a {zip_glob} -o results SUBMISSION.ipynb",
        "# to check the tests against the solutions (full marks expected):",
        f"otter run -a {zip_glob} -o results dist/{first}/autograder/{first}.ipynb",
        "```",
        "",
        "(otter names the autograder zip with the time it was built, hence the `*`.)",
        "",
        "`otter run` grades one submission in the current environment (no Docker): it needs pgbook,",
        "otter-grader and ipykernel installed. Code exercises have one test per case of their check,",
        "each worth an equal share of the points; written exercises are `manual` questions.",
        "To grade with `otter grade` (Docker) or Gradescope, the autograder image needs pgbook:",
        "list the pgbook wheel in a requirements file and name it under `requirements` in the",
        "notebook's ASSIGNMENT CONFIG cell.",
        "",
    ])


# --------------------------------------------------------------- the files

def graded_files(edition: str, sources: dict[str, Path], root: Path, skip_empty: bool = False) -> dict[str, str]:
    """{relative path: text} of the ``edition`` ("nbgrader" or "otter") of ``sources``
    ({chapter name: source path}, in reading order).

    skip_empty: leave out the pages with no exercise (an assignment with nothing to grade);
    ``pgbook export`` does when no chapters are named. Raises ExportError if none is left.
    """
    import nbformat

    if edition not in GRADED_EDITIONS:
        raise ExportError(f"edition must be one of {', '.join(GRADED_EDITIONS)}, got {edition!r}")
    from .export import source_resolver

    files: dict[str, str] = {}
    names = list(sources)
    resolve = source_resolver(root)
    for name, source in sources.items():
        try:
            where = source.relative_to(root).as_posix()
        except ValueError:
            where = source.name
        if edition == "nbgrader":
            notebook = nbgrader_notebook(source, name, where, resolve)
            path = f"source/{name}/{name}.ipynb"
        else:
            notebook = otter_notebook(source, name, where, resolve)
            path = f"{name}.ipynb"
        graded = any(("nbgrader" in c.metadata and c.metadata["nbgrader"]["grade"])
                     or (c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")) for c in notebook.cells)
        if skip_empty and not graded:
            names.remove(name)
            continue
        for index, cell in enumerate(notebook.cells):
            cell["id"] = f"{name[:40]}-{index:03d}"
        notebook.metadata["pgbook"] = {"edition": edition, "source": where}
        nbformat.validate(notebook)
        files[path] = nbformat.writes(notebook) + "\n"
    if not names:
        raise ExportError("none of the chapters has an exercise: nothing to grade", code=2)
    if edition == "nbgrader":
        files["nbgrader_config.py"] = _nbgrader_config()
        files["README.md"] = _nbgrader_readme(names)
    else:
        files["README.md"] = _otter_readme(names)
    return files
