"""Build the book as ``make book`` does: run the chapters two at a time, then ``jupyter-book build``.

    python tools/build_book.py [BOOK_ROOT]      # default: the repository

jupyter-book runs a book's notebooks one after another, so a clean build on two
cores used one of them for about five minutes. This script first runs every
chapter whose outputs are not in the execution cache, ``--jobs`` at a time
(default: the number of cores), longest first, and stores the results in the
jupyter-cache that MyST-NB reads (``_build/.jupyter_cache``, the ``cache`` mode
of ``_config.yml``). The build that follows then finds every chapter cached and
executes nothing.

The cache is keyed on each notebook's code and kernel, exactly as MyST-NB keys
it, so the outputs are the same as if the build had run the chapters itself. A
chapter that fails here is left out of the cache: the build runs it again and
reports its error, and ``-W`` fails the build.

Every build of the book goes through :func:`build` (the Makefile, the tests'
fixture, ``make bench`` and ``tools/preview.py``), with the widgets in their
static mode (``PGBOOK_STATIC_WIDGETS=1``) and matplotlib's inline backend.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INLINE = "module://matplotlib_inline.backend_inline"


def build_env() -> dict:
    """The environment of every book build: the venv first on PATH, inline figures, static widgets."""
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                MPLBACKEND=INLINE, PGBOOK_STATIC_WIDGETS="1")


def toc_files(root: Path) -> list[str]:
    """Every page of ``_toc.yml``, root first, as paths without extension (``book/intro``)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return files


def notebook_sources(root: Path) -> list[Path]:
    """The pages of the toc that are notebooks: MyST Markdown with a kernelspec (jupytext header)."""
    found = []
    for name in toc_files(root):
        path = root / f"{name}.md"
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if text.startswith("---") and "kernelspec:" in text.split("\n---", 1)[0]:
            found.append(path)
    return found


def _execute(path: str, timeout: int) -> tuple[str, object, float, str | None]:
    """Run one chapter in a fresh kernel, in its own folder (a worker process)."""
    from jupyter_cache.executors.utils import single_nb_execution
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(Path(path).read_text(encoding="utf-8"), path=path)
    result = single_nb_execution(notebook, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=False, meta_override=True)
    error = None if result.err is None else f"{type(result.err).__name__}: {result.err}"
    return path, result.nb, result.time, error


def execute_chapters(root: Path, jobs: int) -> int:
    """Execute every uncached chapter, ``jobs`` at a time; return how many failed."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from myst_nb.core.read import read_myst_markdown_notebook

    config = yaml.safe_load((root / "_config.yml").read_text())
    timeout = int(config.get("execute", {}).get("timeout", 30))
    cache = get_cache(str(root / "_build" / ".jupyter_cache"))
    seconds = {}  # the last recorded run time of each chapter: the longest go first
    for record in cache.list_cache_records():
        seconds[record.uri] = record.data.get("execution_seconds", 0.0)
    todo = []
    for path in notebook_sources(root):
        notebook = read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=str(path))
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo.append(str(path))
    if not todo:
        return 0
    todo.sort(key=lambda p: (-seconds.get(p, 0.0), -Path(p).stat().st_size))
    print(f"[pgbook] executing {len(todo)} chapter(s), {jobs} at a time: "
          + ", ".join(Path(p).stem for p in todo), flush=True)
    failed = 0
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_execute, path, timeout) for path in todo]
        for future in as_completed(futures):
            path, notebook, took, error = future.result()
            if error is not None:
                failed += 1
                print(f"[pgbook] {path}: failed after {took:.1f} s, left to the build to report: "
                      f"{error.splitlines()[0][:300]}", flush=True)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(notebook, path, data={"execution_seconds": took}),
                                        check_validity=False, overwrite=True)
            print(f"[pgbook] {path}: executed in {took:.1f} s", flush=True)
    print(f"[pgbook] chapters executed in {time.perf_counter() - start:.1f} s", flush=True)
    return failed


def build(root: Path = ROOT, jobs: int | None = None, **run) -> subprocess.CompletedProcess:
    """Execute the uncached chapters in parallel, then build with ``-W -n --keep-going``.

    ``run`` goes to :func:`subprocess.run` for the build (e.g. ``capture_output=True``).
    """
    jobs = jobs or os.cpu_count() or 1
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(root), "--execute-only",
                           "--jobs", str(jobs)], cwd=root, env=build_env(), **run)
    if done.returncode not in (0, 3):  # 3: some chapter failed; the build reports it
        return done
    built = subprocess.run([str(BIN / "jupyter-book"), "build", str(root), "--warningiserror",
                            "--nitpick", "--keep-going"], cwd=root, env=build_env(), **run)
    if run.get("capture_output"):
        built = subprocess.CompletedProcess(built.args, built.returncode, done.stdout + built.stdout,
                                            done.stderr + built.stderr)
    return built


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(ROOT), help="the book's folder (default: this repository)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="chapters executed at once (default: the number of cores)")
    parser.add_argument("--execute-only", action="store_true", help="fill the execution cache, do not build")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f"--jobs: expected a whole number of at least 1, got {args.jobs}")
    root = Path(args.root).resolve()
    if not (root / "_toc.yml").exists():
        parser.error(f"root: expected a book folder holding _toc.yml, got {root}")
    if args.execute_only:
        return 3 if execute_chapters(root, args.jobs) else 0
    return build(root, args.jobs).returncode


if __name__ == "__main__":
    sys.exit(main())
