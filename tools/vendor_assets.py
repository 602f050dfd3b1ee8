"""Fetch the JavaScript the built book serves itself, so no page asks another host.

The built book must render math and widgets with no network: MathJax, RequireJS
and the ipywidgets HTML manager are served from the book's own ``_static``
folder. This script takes them from the npm registry with ``npm pack`` at the
exact versions below, checks each tarball against its pinned sha512 integrity,
and unpacks only the files the book uses into ``_vendor/`` (git-ignored; the
Sphinx extension ``_ext/offline_assets.py`` serves it).

Run by ``make book``; safe to run again (it does nothing when ``_vendor`` is
already complete for these versions).

``--test`` fetches, the same way, what only the tests use: axe-core, which the
accessibility tests inject into each page. It goes to ``.test_vendor/``
(git-ignored, never served by the book).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "_vendor"

# name, version, sha512 integrity (as npm reports it), folders/files to keep
# (relative to the package root) and the folder under _vendor they go to.
PACKAGES = [
    (
        "mathjax",
        "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        ["es5"],
        "mathjax",
    ),
    (
        "@jupyter-widgets/html-manager",
        "1.0.15",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        ["dist"],
        "@jupyter-widgets/html-manager",
    ),
    (
        "requirejs",
        "2.3.7",
        "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
        ["require.js"],
        "requirejs",
    ),
]
# Used by the tests only (tests/test_accessibility.py), never served by the book.
TEST_VENDOR = ROOT / ".test_vendor"
TEST_PACKAGES = [
    (
        "axe-core",
        "4.14.1",
        "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        ["axe.min.js"],
        "axe-core",
    ),
]
# Source maps are large and only help debugging the libraries themselves.
SKIP_SUFFIXES = (".map",)
STAMP_NAME = "versions.json"


def wanted_stamp(packages=PACKAGES) -> dict:
    return {name: version for name, version, *_ in packages}


def is_current(packages=PACKAGES, target: Path = VENDOR) -> bool:
    stamp = target / STAMP_NAME
    return stamp.exists() and json.loads(stamp.read_text()) == wanted_stamp(packages)


def integrity_of(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def npm_pack(spec: str, dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(
            "vendor_assets: npm is needed once, to fetch MathJax and the widget manager "
            "that the book serves offline. Install Node.js (which brings npm) and run again."
        )
    out = subprocess.run(
        [npm, "pack", "--json", "--silent", spec],
        cwd=dest, check=True, capture_output=True, text=True,
    )
    filename = json.loads(out.stdout)[0]["filename"]
    return dest / filename


def unpack(tarball: Path, keep: list[str], target: Path) -> None:
    """Extract package/<keep...> from an npm tarball into target."""
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            rel = Path(member.name).relative_to("package")
            if not member.isfile() or member.name.endswith(SKIP_SUFFIXES):
                continue
            if not any(rel == Path(k) or Path(k) in rel.parents for k in keep):
                continue
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)


def fetch(packages=PACKAGES, target: Path = VENDOR) -> Path:
    """Make ``target`` hold exactly ``packages`` (pinned, integrity-checked); return it."""
    if is_current(packages, target):
        print(f"vendor_assets: {target.relative_to(ROOT)}/ is up to date")
        return target
    if target.exists():
        shutil.rmtree(target)
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, integrity, keep, folder in packages:
            tarball = npm_pack(f"{name}@{version}", Path(tmp))
            got = integrity_of(tarball)
            if got != integrity:
                sys.exit(f"vendor_assets: {name}@{version}: expected integrity {integrity}, got {got}")
            unpack(tarball, keep, target / folder)
            print(f"vendor_assets: {name}@{version} verified and unpacked")
    (target / STAMP_NAME).write_text(json.dumps(wanted_stamp(packages), indent=1) + "\n")
    return target


def main(argv: list[str]) -> int:
    if argv not in ([], ["--test"]):
        sys.exit(f"vendor_assets: expected no argument or --test, got {' '.join(argv)}")
    if argv == ["--test"]:
        fetch(TEST_PACKAGES, TEST_VENDOR)
    else:
        fetch()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
