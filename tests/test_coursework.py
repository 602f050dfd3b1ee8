"""Coursework that real graders accept: `pgbook export --edition nbgrader|otter`, then nbgrader
0.9.6 and otter-grader 7.0 themselves, run with the commands book/instructor.md gives.

The fast tests read the exports of a small fixture book (tests/data/minibook with points) and
the bad inputs that must stop an export. The slow ones grade chapter 3 (likelihood_ratio,
the chapter with a code exercise that runs fastest): nbgrader generates the assignment,
autogrades three students (a stub, the reference, a buggy function) and writes feedback;
otter assigns, then runs a stub and the solutions. The two tools run side by side, once per
module.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from pgbook.checks import case_count, check_softmax_score, grade
from pgbook.cli import main
from pgbook.coursework import NBGRADER_TIMEOUT
from pgbook.export import ExportError, export, exercise_points, plain_markdown
from test_export import solution_lines

ROOT = Path(__file__).resolve().parent.parent
MINIBOOK = Path(__file__).resolve().parent / "data" / "minibook"
CHAPTER = "likelihood_ratio"
BIN = Path(sys.executable).parent
INSTRUCTOR = ROOT / "book" / "instructor.md"
SECRETS = ["SECRET-DERIVATION-TEXT", "SECRET_DERIVATION_CODE", "SECRET_RTG_BODY", "SECRET_TAGGED_CELL",
           "SECRET-ONE-PIECE"]


# ------------------------------------------------------------------ the fixture book

def graded_minibook(tmp: Path, edit=None) -> Path:
    """A copy of the minibook whose exercises state their points; ``edit(text)`` changes its chapter."""
    book = tmp / "book"
    shutil.copytree(MINIBOOK, book)
    chapter = book / "chapter.md"
    text = chapter.read_text()
    text = text.replace(":label: ex-mini-derive\n", ":label: ex-mini-derive\n:points: 2\n")
    text = text.replace(":label: ex-mini-rtg\n", ":label: ex-mini-rtg\n:points: 3\n")
    text = text.replace(":label: ex-mini-short\n", ":label: ex-mini-short\n:points: 1.5\n")
    if edit is not None:
        text = edit(text)
    chapter.write_text(text)
    return book


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(scope="module")
def minibook_graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("graded")
    book = graded_minibook(tmp)
    for edition in ("nbgrader", "otter"):
        assert main(["export", "--edition", edition, "--out", str(tmp / edition), "--book", str(book)]) == 0
    return tmp / "nbgrader", tmp / "otter"


def test_nbgrader_edition_is_a_course_folder(minibook_graded):
    course, _ = minibook_graded
    files = sorted(p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file())
    assert files == ["README.md", "nbgrader_config.py", "source/chapter/chapter.ipynb"]
    config = (course / "nbgrader_config.py").read_text()
    assert f"c.Execute.timeout = {NBGRADER_TIMEOUT}" in config
    assert "nbgrader generate_assignment chapter" in (course / "README.md").read_text()


def test_nbgrader_cells_carry_the_metadata_nbgrader_needs(minibook_graded):
    course, _ = minibook_graded
    notebook = nbformat.read(course / "source" / "chapter" / "chapter.ipynb", as_version=4)
    marked = [(c.cell_type, nbgrader_meta(c)) for c in notebook.cells if nbgrader_meta(c)]
    for _, meta in marked:
        assert meta["schema_version"] == 3 and re.fullmatch(r"[A-Za-z0-9_-]+", meta["grade_id"])
    by_id = {meta["grade_id"]: (kind, meta) for kind, meta in marked}
    assert sorted(by_id) == ["ex-mini-derive", "ex-mini-rtg", "ex-mini-rtg-code", "ex-mini-short"]
    assert by_id["ex-mini-rtg-code"] == ("code", {**by_id["ex-mini-rtg-code"][1], "solution": True,
                                                  "grade": False, "locked": False})
    kind, test = by_id["ex-mini-rtg"]
    assert kind == "code" and test["grade"] and test["locked"] and not test["solution"] and test["points"] == 3
    for label, points in [("ex-mini-derive", 2), ("ex-mini-short", 1.5)]:
        kind, answer = by_id[label]
        assert kind == "markdown" and answer["solution"] and answer["grade"] and answer["points"] == points

    cells = notebook.cells
    solution = next(i for i, c in enumerate(cells) if nbgrader_meta(c).get("grade_id") == "ex-mini-rtg-code")
    assert "### BEGIN SOLUTION" in cells[solution].source
    assert "check_reward_to_go(reward_to_go)" in cells[solution + 1].source and not nbgrader_meta(cells[solution + 1])
    assert cells[solution + 2].source.endswith("grade(check_reward_to_go, reward_to_go, points=3)")
    statements = [c.source for c in cells if c.source.startswith("**Exercise")]
    assert [s.split("\n")[0] for s in statements] == [
        "**Exercise 1** (2 points)", "**Exercise 2** (3 points)", "**Exercise 3** (1.5 points)"]


def test_nbgrader_source_holds_solutions_only_in_solution_cells(minibook_graded):
    course, _ = minibook_graded
    notebook = nbformat.read(course / "source" / "chapter" / "chapter.ipynb", as_version=4)
    outside = "\n".join(c.source for c in notebook.cells if not nbgrader_meta(c).get("solution"))
    inside = "\n".join(c.source for c in notebook.cells if nbgrader_meta(c).get("solution"))
    for secret in ["SECRET-DERIVATION-TEXT", "SECRET_DERIVATION_CODE", "SECRET_RTG_BODY", "SECRET-ONE-PIECE"]:
        assert secret not in outside and secret in inside, secret
    assert "SECRET-RTG-EXPLANATION" not in outside + inside  # a code exercise's explanation is left out
    for marker in ["BEGIN SOLUTION", "END SOLUTION", "{exercise}", "{solution", "solution-end"]:
        assert marker not in outside, marker
    derive = next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == "ex-mini-derive")
    assert "```python\nsecret_derivation_value = 42" in derive.source  # its code, as a code block


def test_otter_master_notebook_has_questions_solutions_and_tests(minibook_graded):
    _, otter = minibook_graded
    assert sorted(p.name for p in otter.iterdir()) == ["README.md", "chapter.ipynb"]
    cells = nbformat.read(otter / "chapter.ipynb", as_version=4).cells
    raw = [c.source.split("\n")[0] for c in cells if c.cell_type == "raw"]
    assert raw[0] == "# ASSIGNMENT CONFIG"
    assert raw.count("# BEGIN QUESTION") == raw.count("# END QUESTION") == 3
    assert raw.count("# BEGIN TESTS") == 1 and raw.count("# BEGIN SOLUTION") == 3
    questions = [c.source for c in cells if c.source.startswith("# BEGIN QUESTION")]
    assert "name: ex-mini-rtg\npoints: 3" in questions[1] and "manual: true" in questions[0]
    config = cells[0].source
    assert "name: chapter" in config and "init_cell: false" in config
    stub = next(c.source for c in cells if "def reward_to_go" in c.source)
    assert "# BEGIN SOLUTION NO PROMPT" in stub and "### " not in stub
    tests = [c.source for c in cells if "case=" in c.source]
    assert len(tests) == case_count(__import__("pgbook.checks", fromlist=["x"]).check_reward_to_go) == 6
    assert tests[0].endswith("result = check_reward_to_go(reward_to_go, case=1)\nassert result.passed, result.message")


def test_graded_exports_render_in_plain_jupyter(minibook_graded):
    """No MyST left for Jupyter to show raw: no directive fence, role, target or comment."""
    raw_myst = re.compile(r"^\s*(`{3,}|:{3,})\{[\w:.-]+\}|\{[\w:.+-]+\}`|^\s*\([\w-]+\)=\s*$", re.MULTILINE)
    course, otter = minibook_graded
    for path in [course / "source" / "chapter" / "chapter.ipynb", otter / "chapter.ipynb"]:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                assert not raw_myst.search(cell.source), (path.name, cell.source[:200])


def test_book_chapters_number_their_exercises_and_equations(tmp_path):
    """The exports number as the built book does: Exercise 3.1, (3.6), Lemma 3.3."""
    files = export("nbgrader", tmp_path / "c", chapters=[CHAPTER], book=ROOT)
    notebook = nbformat.read(tmp_path / "c" / "source" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    text = "\n".join(c.source for c in notebook.cells)
    assert "**Exercise 3.1** (3 points)" in text and "**Exercise 3.4** (2 points)" in text
    assert "compare with (3.6)" in text.replace("\n", " ") and "Lemma 3.3" in text
    assert "{eq}" not in text and "{prf:ref}" not in text and len(files) == 3


def test_every_exercise_of_the_book_has_a_label_and_points(tmp_path):
    """The whole book exports in both graded editions: no exercise lacks a label or points."""
    for edition in ("nbgrader", "otter"):
        written = export(edition, tmp_path / edition, book=ROOT)
        assert len([p for p in written if p.suffix == ".ipynb"]) >= 5, edition


# -------------------------------------------------------------------- bad input

def labelled(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


BAD_SOURCES = [
    (lambda t: labelled(t, ":label: ex-mini-rtg\n", ""), "exercise 2 ('Implement `reward_to_go(rewards, mask, gamma)`.') has no :label:"),
    (lambda t: labelled(t, ":label: ex-mini-short\n", ":label: ex-mini-derive\n"),
     "exercise 3 ('Is $G_0$ the return?') has the label 'ex-mini-derive', which an earlier exercise"),
    (lambda t: labelled(t, ":points: 3\n", ""), "exercise ex-mini-rtg has no :points:"),
    (lambda t: labelled(t, ":points: 3\n", ":points: -1\n"),
     "exercise ex-mini-rtg: :points: must be a non-negative number such as 3 or 1.5, got '-1'"),
    (lambda t: labelled(t, ":points: 3\n", ":points: three\n"),
     "exercise ex-mini-rtg: :points: must be a non-negative number such as 3 or 1.5, got 'three'"),
    (lambda t: labelled(t, "check_reward_to_go(reward_to_go)\n```", "print('no check')\n```"),
     "exercise ex-mini-rtg is a code exercise (### BEGIN SOLUTION) with no check cell after it"),
]


@pytest.mark.parametrize("edition", ["nbgrader", "otter"])
@pytest.mark.parametrize("edit, message", BAD_SOURCES, ids=["no-label", "duplicate-label", "no-points",
                                                             "negative-points", "points-not-a-number", "no-check"])
def test_bad_exercises_stop_the_export_naming_chapter_and_exercise(tmp_path, capsys, edition, edit, message):
    book = graded_minibook(tmp_path, edit)
    out = tmp_path / "out"
    assert main(["export", "--edition", edition, "--out", str(out), "--book", str(book)]) == 1
    err = capsys.readouterr().err
    assert "chapter.md: " + message in err, err
    assert not out.exists()


def test_points_are_non_negative_numbers():
    assert exercise_points("3") == 3 and exercise_points(" 1.5 ") == 1.5 and exercise_points("0") == 0
    for bad in ["", "-2", "nan", "inf", "three", None]:
        with pytest.raises(ValueError, match="non-negative number"):
            exercise_points(bad, "book/x.md: exercise ex-a")


def test_graded_export_refuses_to_overwrite_without_force(minibook_graded, tmp_path, capsys):
    book = graded_minibook(tmp_path)
    out = tmp_path / "course"
    assert main(["export", "--edition", "nbgrader", "--out", str(out), "--book", str(book)]) == 0
    notebook = out / "source" / "chapter" / "chapter.ipynb"
    notebook.write_text("mine")
    assert main(["export", "--edition", "nbgrader", "--out", str(out), "--book", str(book)]) == 2
    assert "refusing to overwrite 3 file(s)" in capsys.readouterr().err and notebook.read_text() == "mine"
    assert main(["export", "--edition", "nbgrader", "--out", str(out), "--book", str(book), "--force"]) == 0
    assert notebook.read_text() != "mine"


# ---------------------------------------------------------------- partial credit

def naive_softmax_score(logits, action):
    """exp without the max shift: right on small logits, NaN on huge ones (cases 5 and 6)."""
    import numpy as np

    z = np.asarray(logits, dtype=float)
    p = np.exp(z) / np.exp(z).sum()
    score = -p
    score[action] += 1.0
    return score


def test_grade_prints_the_message_and_returns_partial_credit(capsys):
    def stub(logits, action):
        raise NotImplementedError()

    assert grade(check_softmax_score, naive_softmax_score, points=3) == 2.0
    out, err = capsys.readouterr()
    assert "passed 4 of 6 cases; it fails cases 5, 6" in out and "failed case 5 of 6: huge logits" in out
    assert "score: 2 of 3 points" in out and err == ""  # nbgrader scores any stderr output 0
    assert grade(check_softmax_score, stub, points=3) == 0.0
    assert "`stub` is not implemented yet" in capsys.readouterr().out
    with pytest.raises(ValueError, match="points: expected a non-negative number"):
        grade(check_softmax_score, stub, points=-1)


def test_one_case_at_a_time_and_all_or_nothing():
    assert check_softmax_score(naive_softmax_score, case=4).passed
    result = check_softmax_score(naive_softmax_score, case=5)
    assert not result.passed and result.message.startswith("✗ naive_softmax_score failed case 5 of 6")
    with pytest.raises(ValueError, match="case: expected a case number from 1 to 6, got 7"):
        check_softmax_score(naive_softmax_score, case=7)
    everything = check_softmax_score(naive_softmax_score, all_cases=True)
    assert (everything.n_passed, everything.n_cases, everything.score(3)) == (4, 6, 2.0)
    with pytest.raises(AssertionError, match="failed case 5 of 6"):
        check_softmax_score(naive_softmax_score).assert_passed()


# ------------------------------------------------- the tools, with instructor.md's commands

def documented_commands(name: str) -> list[str]:
    """The lines of the bash block that book/instructor.md marks with a `% ... name` comment."""
    text = INSTRUCTOR.read_text()
    match = re.search(rf"^%[^\n]*\b{re.escape(name)}\n```bash\n(.*?)\n```", text, re.MULTILINE | re.DOTALL)
    assert match, f"book/instructor.md has no bash block marked {name}"
    return [line for line in match.group(1).split("\n") if line.strip() and not line.startswith("#")]


def tool_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PGBOOK_STATIC_WIDGETS", "JUPYTER_PATH")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


def run_documented(name: str, cwd: Path, log: list) -> Path:
    """Run the documented block ``name`` line by line, as a shell would, from ``cwd``; return the
    folder it ends in (a `cd` line moves)."""
    for line in documented_commands(name):
        if line.startswith("cd "):
            cwd = cwd / line[3:].strip()
            continue
        done = subprocess.run(["bash", "-c", line], cwd=cwd, env=tool_env(), capture_output=True, text=True,
                              timeout=600)
        log.append((line, done.returncode, done.stdout[-3000:], done.stderr[-3000:]))
        assert done.returncode == 0, f"`{line}` failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return cwd


def set_code(notebook, grade_id: str, source: str):
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = source


BUGGY = '''def softmax_score(logits, action):
    z = np.asarray(logits, dtype=float)
    p = np.exp(z) / np.exp(z).sum()   # no shift by the max: exp(1000) overflows
    score = -p
    score[action] += 1.0
    return score'''


def nbgrader_flow(work: Path) -> dict:
    log: list = []
    course = run_documented("nbgrader-release", work, log)
    release = nbformat.read(course / "release" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    reference = next(c.source for c in source.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") == "ex-lr-softmax-score-code")
    students = {"stub": nbformat.from_dict(release), "reference": nbformat.from_dict(release),
                "buggy": nbformat.from_dict(release)}
    set_code(students["reference"], "ex-lr-softmax-score-code", reference)
    for cell in students["reference"].cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "My derivation: see the chapter."
    set_code(students["buggy"], "ex-lr-softmax-score-code", BUGGY)
    for student, notebook in students.items():
        folder = course / "submitted" / student / CHAPTER
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{CHAPTER}.ipynb")
    run_documented("nbgrader-grade", course, log)

    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            submission = gradebook.find_submission_notebook(CHAPTER, CHAPTER, student)
            scores[student] = {
                "code": (submission.code_score, submission.max_code_score),
                "manual": submission.needs_manual_grade,
                "grades": {g.name: g.auto_score for g in submission.grades},
            }
    feedback = {}
    for student in students:
        page = (course / "feedback" / student / CHAPTER / f"{CHAPTER}.html").read_text(encoding="utf-8")
        feedback[student] = html.unescape(re.sub(r"<[^>]+>", "", page))
    return {"course": course, "release": release, "scores": scores, "feedback": feedback, "log": log}


def otter_flow(work: Path) -> dict:
    log: list = []
    folder = run_documented("otter-assign", work, log)
    dist = folder / "dist" / CHAPTER
    student = nbformat.read(dist / "student" / f"{CHAPTER}.ipynb", as_version=4)
    (folder / "submissions").mkdir()
    nbformat.write(student, folder / "submissions" / "ada.ipynb")  # Ada hands in the stub
    run_documented("otter-run", folder, log)
    results = {name: json.loads((folder / "results" / name / "results.json").read_text())
               for name in ("ada", "solutions")}
    return {"student": student, "results": results, "log": log}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Both tools' flows, run side by side (each mostly waits on its own kernel)."""
    work = tmp_path_factory.mktemp("tools")
    (work / "n").mkdir()
    (work / "o").mkdir()
    results, errors = {}, {}

    def run(name, flow, folder):
        try:
            results[name] = flow(folder)
        except BaseException as err:  # noqa: BLE001 - reported by the test that needs it
            errors[name] = err

    threads = [threading.Thread(target=run, args=("nbgrader", nbgrader_flow, work / "n")),
               threading.Thread(target=run, args=("otter", otter_flow, work / "o"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.fixture(scope="module")
def nbgrader_run(graded):
    results, errors = graded
    if "nbgrader" in errors:
        raise errors["nbgrader"]
    return results["nbgrader"]


@pytest.fixture(scope="module")
def otter_run(graded):
    results, errors = graded
    if "otter" in errors:
        raise errors["otter"]
    return results["otter"]


def chapter_solution_lines() -> list[str]:
    source = ROOT / "book" / f"{CHAPTER}.md"
    lines = solution_lines(source)
    assert len(lines) >= 20
    return lines + [plain_markdown(line) for line in lines]


@pytest.mark.slow
def test_nbgrader_release_holds_no_line_of_a_solution(nbgrader_run):
    text = "\n".join(c.source for c in nbgrader_run["release"].cells)
    for line in chapter_solution_lines():
        assert line not in text, line
    assert "BEGIN SOLUTION" not in text and text.count("YOUR ANSWER HERE") == 3
    assert text.count("raise NotImplementedError()") == 1


@pytest.mark.slow
def test_nbgrader_scores_a_stub_zero_and_says_not_implemented(nbgrader_run):
    stub = nbgrader_run["scores"]["stub"]
    assert stub["code"] == (0.0, 3.0)
    assert "`softmax_score` is not implemented yet" in nbgrader_run["feedback"]["stub"]


@pytest.mark.slow
def test_nbgrader_gives_the_reference_full_marks(nbgrader_run):
    reference = nbgrader_run["scores"]["reference"]
    assert reference["code"] == (3.0, 3.0)
    assert reference["manual"]  # its written answers wait for the instructor
    assert "✓ softmax_score passed 6 cases" in nbgrader_run["feedback"]["reference"]


@pytest.mark.slow
def test_nbgrader_gives_a_buggy_function_partial_credit_naming_a_failing_case(nbgrader_run):
    buggy = nbgrader_run["scores"]["buggy"]
    assert buggy["code"] == (2.0, 3.0)
    page = nbgrader_run["feedback"]["buggy"]
    assert "passed 4 of 6 cases; it fails cases 5, 6" in page
    assert "failed case 5 of 6: huge logits [1000, 0, -1000]" in page and "score: 2 of 3 points" in page


@pytest.mark.slow
def test_nbgrader_feedback_shows_no_traceback_from_pgbook(nbgrader_run):
    for student, page in nbgrader_run["feedback"].items():
        assert "pgbook/checks" not in page and "Traceback (most recent call last)" not in page, student


@pytest.mark.slow
def test_otter_student_notebook_holds_no_solution(otter_run):
    text = "\n".join(c.source for c in otter_run["student"].cells)
    for line in chapter_solution_lines():
        assert line not in text, line
    assert "raise NotImplementedError()" in text and "BEGIN SOLUTION" not in text


@pytest.mark.slow
def test_otter_run_scores_the_stub_zero_and_the_solutions_full(otter_run):
    def score(results):
        return sum(t.get("score", 0) for t in results["tests"]), sum(t.get("max_score", 0) for t in results["tests"])

    ada, solutions = otter_run["results"]["ada"], otter_run["results"]["solutions"]
    assert score(ada) == (0, 3) and score(solutions) == (3, 3)
    output = "\n".join(t.get("output", "") for t in ada["tests"])
    assert "`softmax_score` is not implemented yet" in output and "pgbook/checks" not in output
