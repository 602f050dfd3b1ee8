"""What the tests, the preview tool and the page benchmarks share to look at a built book.

- ``CHROMIUM`` and ``CHROMIUM_ARGS``: Debian's Chromium, headless, with the
  flags that keep it from reaching for any network (this machine has none).
- ``serve(folder, gzip=False)``: serve a folder on a free loopback port, as a
  context manager yielding the base URL. With ``gzip``, text files (HTML, JS,
  CSS, JSON, SVG) are sent gzip-compressed to a client that accepts it, as any
  static web host does; the Lighthouse benchmark measures the book that way.
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


class _GzipHandler(_QuietHandler):
    """Sends text files gzip-compressed when the client accepts gzip (compressed once, kept)."""

    TEXT = (".html", ".js", ".css", ".json", ".svg", ".txt", ".map")
    _cache: dict = {}

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (not path.is_file() or not path.name.endswith(self.TEXT)
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().do_GET()
        import gzip

        key = (str(path), path.stat().st_mtime_ns)
        if key not in self._cache:
            self._cache[key] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        body = self._cache[key]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serve(folder: Path, gzip: bool = False):
    """Serve ``folder`` over HTTP on 127.0.0.1 at a free port; yields ``http://127.0.0.1:PORT/``."""
    handler = functools.partial(_GzipHandler if gzip else _QuietHandler, directory=str(folder))
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
