"""`pgbook export`: the student edition holds no solution and runs, failing only with
NotImplementedError; the instructor edition runs clean; export never overwrites by
surprise. Run on a small fixture book (tests/data/minibook) and on the book's own
chapters as listed in _toc.yml when the tests run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from pgbook.cli import main
from pgbook.export import ExportError, plain_markdown, source_resolver, student_notebook, toc_chapters

ROOT = Path(__file__).resolve().parent.parent
MINIBOOK = Path(__file__).resolve().parent / "data" / "minibook"
BOOK_CHAPTERS = list(toc_chapters(ROOT))
SECRETS = ["SECRET-DERIVATION-TEXT", "SECRET_DERIVATION_CODE", "SECRET_RTG_BODY", "SECRET-RTG-EXPLANATION",
           "SECRET_TAGGED_CELL", "SECRET-ONE-PIECE", "BEGIN SOLUTION", "END SOLUTION", "solution-start",
           "solution-end", "{solution}"]


def export(tmp: Path, edition: str, *extra: str, book: Path = MINIBOOK) -> Path:
    out = tmp / edition
    assert main(["export", "--edition", edition, "--out", str(out), "--book", str(book), *extra]) == 0
    return out


def sources(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells)


def execute(path: Path, allow_errors: bool):
    notebook = nbformat.read(path, as_version=4)
    # 300 s a cell, as the nbgrader export asks of nbgrader (chapter 5's CartPole grid
    # takes about a minute on a quiet machine)
    client = NotebookClient(notebook, kernel_name="python3", timeout=300, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


def cell_text(cell) -> str:
    """Everything a code cell showed: streams, results (text and html) and errors."""
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "")]
        if output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "\n".join(parts)


def errors(notebook) -> list[tuple[int, str]]:
    return [(i, o.ename) for i, c in enumerate(notebook.cells) if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


def solution_lines(md: Path) -> list[str]:
    """Distinctive lines of every solution in a chapter source, found independently of pgbook.export:
    solution-start/end blocks, one-piece {solution} directives, BEGIN/END SOLUTION regions and
    code cells tagged solution. Lines that also occur outside solutions are left out."""
    lines = md.read_text().splitlines()
    solution, rest = [], []
    state, fence, i = None, "", 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if state == "start":
            if stripped.startswith("```{code-cell}") and i + 1 < len(lines) and lines[i + 1].strip() == "---":
                # the cell's YAML options (tags, alt text) become metadata, not source
                i = next(j for j in range(i + 2, len(lines)) if lines[j].strip() == "---") + 1
                continue
            solution.append(line)
            state = None if "{solution-end}" in line else state
        elif state == "piece":
            solution.append(line)
            state = None if stripped == fence else state
        elif state == "region":
            solution.append(line)
            state = None if re.match(r"###\s*END SOLUTION", stripped) else state
        elif "{solution-start}" in line:
            state = "start"
        elif m := re.match(r"^(`{3,}|:{3,})\{solution\}", stripped):
            state, fence = "piece", m[1]
        elif re.match(r"###\s*BEGIN SOLUTION", stripped):
            state = "region"
        elif stripped.startswith("```{code-cell}"):
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            block = lines[i:end + 1]
            options = [b for b in block if b.strip().startswith(":tags:")]
            (solution if any("solution" in o for o in options) else rest).extend(block)
            i = end
        else:
            rest.append(line)
        i += 1
    rest_text = "\n".join(rest)
    return [s.strip() for s in solution
            if len(s.strip()) >= 12 and s.strip() not in rest_text and not s.strip().startswith((":", "```", "###"))]


# ------------------------------------------------------------- the fixture book

@pytest.fixture(scope="module")
def minibook_editions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("minibook")
    return export(tmp, "student"), export(tmp, "instructor")


def test_minibook_student_edition_has_no_solution_and_has_stubs(minibook_editions):
    student, _ = minibook_editions
    assert sorted(p.name for p in student.iterdir()) == ["README.md", "chapter.ipynb"]  # the plain page is skipped
    raw = (student / "chapter.ipynb").read_text()
    notebook = nbformat.read(student / "chapter.ipynb", as_version=4)
    lines = solution_lines(MINIBOOK / "chapter.md")
    assert len(lines) >= 6
    for secret in SECRETS + lines:
        assert secret not in raw and secret not in sources(notebook), secret
    stub = next(c for c in notebook.cells if "def reward_to_go" in c.source)
    assert stub.source.endswith('zero where the mask is False."""\n    # YOUR CODE HERE\n    raise NotImplementedError()')
    assert "KEPT-PROSE" in raw and "check_reward_to_go(reward_to_go)" in raw
    answers = [c for c in notebook.cells if c.source == "YOUR ANSWER HERE"]
    assert len(answers) == 2  # the two written exercises; the code exercise has its stub
    assert all(c.outputs == [] and c.execution_count is None for c in notebook.cells if c.cell_type == "code")
    assert notebook.metadata["pgbook"] == {"edition": "student", "source": "chapter.md"}
    assert "jupytext" not in notebook.metadata


# MyST that the editions turn into plain Markdown (pgbook.export.plain_markdown)
MYST_MARKERS = ["solution-start", "solution-end", "{solution}"]


def test_minibook_instructor_edition_keeps_everything(minibook_editions):
    """Every solution line is kept; the MyST around the solutions becomes headings Jupyter renders."""
    _, instructor = minibook_editions
    raw = (instructor / "chapter.ipynb").read_text()
    text = sources(nbformat.read(instructor / "chapter.ipynb", as_version=4))
    for secret in [s for s in SECRETS if s not in MYST_MARKERS] + solution_lines(MINIBOOK / "chapter.md"):
        assert secret in text or plain_markdown(secret) in text, secret
    for marker in MYST_MARKERS:
        assert marker not in text, f"{marker} left raw in the instructor edition"
    assert text.count("**Solution") == 3 and text.count("*End of the solution.*") == 2
    assert "YOUR CODE HERE" not in raw and "YOUR ANSWER HERE" not in raw


def test_minibook_student_edition_runs_failing_only_with_not_implemented(minibook_editions):
    student, _ = minibook_editions
    notebook = execute(student / "chapter.ipynb", allow_errors=True)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "a cell did not run"
    assert [name for _, name in errors(notebook)] == ["NotImplementedError"]
    check = next(c for c in code if c.source.startswith("check_reward_to_go"))
    assert "✗ `reward_to_go` is not implemented yet" in cell_text(check)
    assert "still running" in cell_text(code[-1])


def test_minibook_instructor_edition_runs_with_no_error(minibook_editions):
    _, instructor = minibook_editions
    notebook = execute(instructor / "chapter.ipynb", allow_errors=False)
    check = next(c for c in notebook.cells if c.source.startswith("check_reward_to_go"))
    assert "✓ reward_to_go passed 6 cases" in cell_text(check)


def test_a_student_fills_in_the_stub_wrong_then_right(minibook_editions, tmp_path):
    """What a student sees: a wrong answer names the case and the mistake; a right one passes."""
    student, _ = minibook_editions
    notebook = nbformat.read(student / "chapter.ipynb", as_version=4)
    stub = next(c for c in notebook.cells if "def reward_to_go" in c.source)
    stub.source = stub.source.replace("    # YOUR CODE HERE\n    raise NotImplementedError()", (
        "    togo = np.zeros_like(rewards)\n"
        "    for t in range(len(rewards) - 1):\n"
        "        togo[t] = (rewards[t + 1:] * mask[t + 1:]).sum(axis=0)\n"
        "    return togo"))
    right = "\n".join([
        "def reward_to_go(rewards, mask, gamma):",
        "    togo = np.zeros_like(rewards)",
        "    running = 0.0",
        "    for t in reversed(range(len(rewards))):",
        "        running = rewards[t] * mask[t] + gamma * running",
        "        togo[t] = running",
        "    return togo * mask",
        "",
        "check_reward_to_go(reward_to_go)",
    ])
    notebook.cells.append(nbformat.v4.new_code_cell(right))
    path = tmp_path / "filled.ipynb"
    nbformat.write(notebook, path)
    done = execute(path, allow_errors=True)
    assert errors(done) == []
    wrong = cell_text(next(c for c in done.cells if c.source.startswith("check_reward_to_go")))
    assert "✗ reward_to_go failed case 1 of 6: one episode of length 1" in wrong
    assert "off by one" in wrong and "expected:" in wrong
    assert "✓ reward_to_go passed 6 cases" in cell_text(done.cells[-1])


# ------------------------------------------------------------- the book's chapters

@pytest.fixture(scope="module")
def book_editions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("book")
    return export(tmp, "student", book=ROOT), export(tmp, "instructor", book=ROOT)


def test_the_book_has_chapters_to_export():
    assert BOOK_CHAPTERS, "no notebook chapter in _toc.yml"


@pytest.mark.parametrize("name", BOOK_CHAPTERS)
def test_book_student_edition_has_no_solution(book_editions, name):
    student, instructor = book_editions
    source = toc_chapters(ROOT)[name]
    student_raw = (student / f"{name}.ipynb").read_text()
    student_text = sources(nbformat.reads(student_raw, as_version=4))
    instructor_text = sources(nbformat.read(instructor / f"{name}.ipynb", as_version=4))
    resolve = source_resolver(ROOT)
    for line in solution_lines(source):
        assert line not in student_text, f"{name}: solution line left in: {line}"
        # as export writes it: MyST made plain, with the book's numbers (Theorem 1.1, (1.2))
        assert line in instructor_text or plain_markdown(line, resolve) in instructor_text, line
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "{solution-start}", "{solution-end}"):
        assert marker not in student_raw
    regions = len(re.findall(r"###\s*BEGIN SOLUTION", source.read_text()))
    assert student_raw.count("raise NotImplementedError()") >= regions


@pytest.mark.slow
@pytest.mark.parametrize("name", BOOK_CHAPTERS)
def test_book_student_edition_runs(book_editions, name):
    student, _ = book_editions
    notebook = execute(student / f"{name}.ipynb", allow_errors=True)
    assert all(c.execution_count is not None for c in notebook.cells if c.cell_type == "code")
    bad = [(i, ename) for i, ename in errors(notebook) if ename != "NotImplementedError"]
    assert not bad, f"{name}: cells failed with something else than NotImplementedError: {bad}"


# Chapters whose cells train on gymnasium environments for minutes. Their instructor edition
# is not run again here: its code cells are the book's own (checked below for every chapter),
# and the book build runs exactly those cells and fails on any error (-W). Their student
# edition, the one whose cells differ, still runs in full above.
TRAINING_CHAPTERS = {"log_factorization", "q_weighted"}


def test_book_instructor_edition_code_is_the_books(book_editions):
    """The instructor edition runs the very code cells the book build executes, in order."""
    import jupytext

    _, instructor = book_editions
    for name, source in toc_chapters(ROOT).items():
        edition = [c.source for c in nbformat.read(instructor / f"{name}.ipynb", as_version=4).cells
                   if c.cell_type == "code"]
        book = [c.source for c in jupytext.read(source).cells if c.cell_type == "code"]
        assert edition == book, f"{name}: the instructor edition's code differs from the chapter's"


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in BOOK_CHAPTERS if n not in TRAINING_CHAPTERS])
def test_book_instructor_edition_runs(book_editions, name):
    _, instructor = book_editions
    try:
        execute(instructor / f"{name}.ipynb", allow_errors=False)
    except CellExecutionError as err:
        pytest.fail(f"{name}: {err}")


def test_training_chapters_are_chapters():
    assert TRAINING_CHAPTERS <= set(BOOK_CHAPTERS), "TRAINING_CHAPTERS names a chapter the toc no longer has"


# ------------------------------------------------------------- the command

def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


def test_refuses_to_overwrite_and_changes_nothing(tmp_path, capsys):
    out = export(tmp_path, "student")
    before = snapshot(out)
    code = main(["export", "--edition", "instructor", "--out", str(out), "--book", str(MINIBOOK)])
    err = capsys.readouterr().err
    assert code == 2
    assert "refusing to overwrite 2 file(s)" in err and "--force" in err
    assert str(out / "chapter.ipynb") in err and str(out / "README.md") in err
    assert snapshot(out) == before


def test_refuses_when_only_some_files_exist_and_writes_none(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("mine")
    (out / "notes.txt").write_text("unrelated")
    code = main(["export", "--edition", "student", "--out", str(out), "--book", str(MINIBOOK)])
    assert code == 2 and str(out / "README.md") in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "notes.txt"]
    assert (out / "README.md").read_text() == "mine"


def test_force_overwrites(tmp_path):
    out = export(tmp_path, "student")
    fresh = (out / "chapter.ipynb").read_text()
    (out / "chapter.ipynb").write_text("scribbled over")
    (out / "notes.txt").write_text("unrelated")
    assert main(["export", "--edition", "student", "--out", str(out), "--book", str(MINIBOOK), "--force"]) == 0
    assert (out / "chapter.ipynb").read_text() == fresh  # export is deterministic
    assert (out / "notes.txt").read_text() == "unrelated"


def test_bad_chapter_name_lists_the_chapters(tmp_path, capsys):
    code = main(["export", "--edition", "student", "--out", str(tmp_path / "o"), "--book", str(MINIBOOK),
                 "--chapters", "chaptre"])
    err = capsys.readouterr().err
    assert code == 2 and "no chapter named 'chaptre'" in err and "the chapters are: chapter" in err
    assert not (tmp_path / "o").exists()


def test_chosen_chapters_only(tmp_path):
    out = export(tmp_path, "student", "--chapters", "notation", book=ROOT)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "notation.ipynb"]


def test_unwritable_folder_is_named(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "sub"
    code = main(["export", "--edition", "student", "--out", str(out), "--book", str(MINIBOOK)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot create the folder {out}" in err
    code = main(["export", "--edition", "student", "--out", str(blocker), "--book", str(MINIBOOK)])
    assert code == 2 and f"cannot write to {blocker}: it is a file, not a folder" in capsys.readouterr().err


def test_no_toc_is_a_clear_error(tmp_path, capsys):
    code = main(["export", "--edition", "student", "--out", str(tmp_path / "o"), "--book", str(tmp_path)])
    assert code == 2 and f"no _toc.yml in {tmp_path}" in capsys.readouterr().err


def test_bad_edition_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--edition", "teacher", "--out", str(tmp_path)])
    assert exit_.value.code == 2 and "invalid choice: 'teacher'" in capsys.readouterr().err


def test_version_still_works(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("pgbook ")


def test_console_command_finds_the_book_from_the_current_folder(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pgbook.cli", "export", "--edition", "student",
                           "--out", str(tmp_path / "o")], cwd=MINIBOOK, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "student edition: 1 notebook(s) written" in done.stdout
    assert (tmp_path / "o" / "chapter.ipynb").is_file()


# ------------------------------------------------------------- the stripping rules

def markdown_notebook(*sources: str, code: str | None = None):
    cells = [nbformat.v4.new_markdown_cell(s) for s in sources]
    if code is not None:
        cells.append(nbformat.v4.new_code_cell(code))
    return nbformat.v4.new_notebook(cells=cells)


def test_solution_markers_inside_a_literal_block_are_kept():
    text = "How to write one:\n\n````markdown\n```{solution-start} ex\n:class: dropdown\n```\n````\n\nAfter."
    out = student_notebook(markdown_notebook(text))
    assert sources(out) == text


def test_a_solution_spanning_cells_and_a_split_cell():
    notebook = markdown_notebook(
        "Before.\n\n```{solution-start} ex\n:class: dropdown\n```\n\nHIDDEN one",
        "HIDDEN two",
        "HIDDEN three\n\n```{solution-end}\n```\n\nAfter.",
    )
    notebook.cells.insert(2, nbformat.v4.new_code_cell("hidden = 'HIDDEN code'"))
    out = student_notebook(notebook)
    assert [c.source for c in out.cells] == ["Before.", "YOUR ANSWER HERE", "After."]


@pytest.mark.parametrize("source, problem", [
    ("```{solution-start} ex\n:class: dropdown\n```\n\nnever ends", "solution-start ex has no solution-end"),
    ("```{solution-end}\n```", "a solution-end with no solution-start"),
    ("```{solution-start} a\n```\n\ntext\n\n```{solution-start} b\n```\n\n```{solution-end}\n```",
     "{solution-start} b inside the solution of a: a solution-end is missing"),
])
def test_malformed_solution_blocks_are_errors(source, problem):
    with pytest.raises(ExportError, match=problem) as err:
        student_notebook(markdown_notebook(source), where="book/x.md")
    assert err.value.code == 1 and "book/x.md" in str(err.value)


@pytest.mark.parametrize("code, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "no ### END SOLUTION"),
    ("def f():\n    return 1\n    ### END SOLUTION\n", "no ### BEGIN SOLUTION"),
])
def test_malformed_solution_regions_are_errors(code, problem):
    with pytest.raises(ExportError, match=problem):
        student_notebook(markdown_notebook(code=code), where="book/x.md")


def test_a_malformed_chapter_exits_1_and_writes_nothing(tmp_path, capsys):
    book = tmp_path / "book"
    book.mkdir()
    (book / "_toc.yml").write_text("format: jb-book\nroot: chapter\n")
    text = (MINIBOOK / "chapter.md").read_text().replace("```{solution-end}\n```\n\nSome prose", "Some prose")
    (book / "chapter.md").write_text(text)
    code = main(["export", "--edition", "student", "--out", str(tmp_path / "o"), "--book", str(book)])
    assert code == 1 and ("{exercise} inside the solution of ex-mini-derive: a solution-end is missing"
                          in capsys.readouterr().err)
    assert not (tmp_path / "o").exists()


def test_stub_keeps_the_indentation_of_the_marker():
    code = "class A:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n\nx = 1"
    out = student_notebook(markdown_notebook(code=code))
    assert out.cells[0].source == (
        "class A:\n    def f(self):\n        # YOUR CODE HERE\n        raise NotImplementedError()\n\nx = 1")
