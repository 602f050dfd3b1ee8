"""What the tests, the preview tool and the page benchmarks share to look at a built book.

- ``CHROMIUM`` and ``CHROMIUM_ARGS``: Debian's Chromium, headless, with the
  flags that keep it from reaching for any network (this machine has none).
- ``serve(folder)``: serve a folder on a free loopback port, as a context manager
  yielding the base URL.
- ``copy_tree(dest, untracked=...)``: copy the repository's files (as git lists
  them) and the fetched ``_vendor/`` into another folder, to build there.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("PGBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test and tool output readable
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` over HTTP on 127.0.0.1 at a free port; yields ``http://127.0.0.1:PORT/``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def copy_tree(dest: Path, untracked: bool = False) -> None:
    """Copy the files git tracks (and, with ``untracked``, the new ones it doesn't ignore) to ``dest``.

    ``_vendor/`` (ignored by git, fetched by tools/vendor_assets.py) is copied too,
    once, so the copy builds offline.
    """
    listing = ["git", "ls-files", "-z"] + (["-co", "--exclude-standard"] if untracked else [])
    files = subprocess.run(listing, cwd=ROOT, check=True, capture_output=True).stdout.decode()
    for rel in filter(None, files.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if not (dest / "_vendor").exists():
        shutil.copytree(ROOT / "_vendor", dest / "_vendor")
