"""The ``pgbook`` command line.

    pgbook --version      print the package version
"""

from __future__ import annotations

import argparse
import sys

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgbook",
        description="Helpers for the book 'The policy gradient, from first principles'.",
    )
    parser.add_argument("--version", action="version", version=f"pgbook {__version__}")
    parser.set_defaults(run=lambda args: parser.print_help() or 0)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
