"""The ``pgbook`` command line.

    pgbook --version      print the package version
    pgbook export --edition student|instructor|nbgrader|otter --out DIR [--chapters NAME ...] [--force] [--book BOOK]
                          write one notebook per chapter (see pgbook.export), or an nbgrader
                          course / otter master notebooks (see pgbook.coursework)

Exit codes: 0 done; 2 a usage error or a refusal; 1 a malformed chapter source.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__


def _run_export(args: argparse.Namespace) -> int:
    from .export import ExportError, export

    try:
        written = export(args.edition, args.out, chapters=args.chapters, force=args.force, book=args.book)
    except ExportError as err:
        print(f"pgbook export: error: {err}", file=sys.stderr)
        return err.code
    except ImportError as err:  # jupytext, nbformat and pyyaml come with the book's environment
        print(f"pgbook export: error: {err.name or err} is needed: pip install -r requirements.txt",
              file=sys.stderr)
        return 2
    notebooks = [p for p in written if p.suffix == ".ipynb"]
    print(f"{args.edition} edition: {len(notebooks)} notebook(s) written to {args.out}")
    if args.edition in ("nbgrader", "otter"):
        print(f"  next: the commands in {Path(args.out) / 'README.md'}")
    for path in written:
        print(f"  {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgbook",
        description="Helpers for the book 'The policy gradient, from first principles'.",
    )
    parser.add_argument("--version", action="version", version=f"pgbook {__version__}")
    parser.set_defaults(run=lambda args: parser.print_help() or 0)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    export = commands.add_parser(
        "export",
        help="write the chapters as Jupyter notebooks: student, instructor, nbgrader or otter edition",
        description=(
            "Write one .ipynb per chapter listed in _toc.yml, with no outputs. The student edition "
            "removes every solution and replaces each '### BEGIN SOLUTION' ... '### END SOLUTION' "
            "region with a stub; the instructor edition keeps everything. The nbgrader edition is an "
            "nbgrader course folder (source/<chapter>/<chapter>.ipynb with solution and graded test "
            "cells, points from each exercise's :points:, and nbgrader_config.py); the otter edition "
            "is one otter-assign master notebook per chapter. Refuses to overwrite existing files "
            "unless --force."
        ),
    )
    export.add_argument("--edition", required=True, choices=["student", "instructor", "nbgrader", "otter"],
                        help="student: solutions removed, stubs in place; instructor: everything; "
                             "nbgrader: a course folder for nbgrader; otter: master notebooks for otter assign")
    export.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write the notebooks and a README.md into (created if missing); "
                             "for nbgrader, the course folder")
    export.add_argument("--chapters", nargs="+", metavar="NAME",
                        help="only these chapters, by file name without .md (e.g. q_weighted); default: all")
    export.add_argument("--force", action="store_true",
                        help="overwrite files that already exist in DIR")
    export.add_argument("--book", metavar="BOOK", default=None,
                        help="the folder holding the book's _toc.yml (default: the current folder "
                             "or a parent of it, else the repository pgbook is installed from)")
    export.set_defaults(run=_run_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
