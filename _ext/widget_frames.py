"""Sphinx extension: widget frames leave the page and load as image files, with their alt text.

Every widget in the book is a stack of precomputed PNG frames (pgbook.widgets.core).
MyST-NB saves them inside the page, base64-encoded in the widget state: a
widget chapter's HTML was 1.7 to 3.6 MB, almost all of it frames, and every
frame downloaded before the text could show. After the HTML pages are
written, this extension rewrites each page's widget state:

- each ``ImageModel`` holding a PNG becomes an ``HTMLModel`` whose value is
  ``<img src="…/_images/frames/<sha256>.png" alt="…" width height loading="lazy">``.
  The PNG is written once under ``_images/frames/``, named by its content, so
  two builds give the same files and pages;
- the ``alt`` is the Image's ``tooltip``, which the widget wrote from the same
  numbers that drew the frame;
- ``width``/``height`` are the frame's CSS size (the Image's ``width``), so a 2×
  PNG shows sharp at its intended size, and the page does not shift as it loads.

Before each widget's view script goes its *still*: the frames it starts on
(a Stack's selected child), as plain images with their alt text. The page shows
them at once, before the widget library has loaded, and for good with no
script; pgbook-widgets-config.js removes the still once the live widget is drawn.

``loading="lazy"``: a frame is fetched when first shown, so a page loads only
the frames its controls start on. Nothing here needs a kernel, a server or
another host; the jslinks between controls and stacks are untouched.

Idempotent: a page whose state holds no PNG ImageModel is left as it is, so an
incremental build (which rewrites only changed pages) stays consistent.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import struct
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

STATE = re.compile(r'(<script type="application/vnd\.jupyter\.widget-state\+json">)(.*?)(</script>)', re.S)
VIEW = re.compile(r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', re.S)
FRAMES = "_images/frames"
STYLE_ID = "pgbook-frame-style"
FALLBACK_ALT = "Widget frame (no description)"

# The state ipywidgets 8.1 writes for widgets.HTML and its style (controls 2.0.0).
HTML_STATE = {
    "_dom_classes": [], "_model_module": "@jupyter-widgets/controls", "_model_module_version": "2.0.0",
    "_model_name": "HTMLModel", "_view_count": None, "_view_module": "@jupyter-widgets/controls",
    "_view_module_version": "2.0.0", "_view_name": "HTMLView", "description": "",
    "description_allow_html": False, "placeholder": "\u200b", "tabbable": None, "tooltip": None,
}
STYLE_MODEL = {
    "model_name": "HTMLStyleModel", "model_module": "@jupyter-widgets/controls",
    "model_module_version": "2.0.0",
    "state": {"_model_module": "@jupyter-widgets/controls", "_model_module_version": "2.0.0",
              "_model_name": "HTMLStyleModel", "_view_count": None, "_view_module": "@jupyter-widgets/base",
              "_view_module_version": "2.0.0", "_view_name": "StyleView", "background": None,
              "description_width": "", "font_size": None, "text_color": None},
}


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


LAZY = ' loading="lazy" decoding="async"'  # how a frame inside the live widget loads


def frame_img(src: str, alt: str, css_width: int, png: bytes) -> str:
    width, height = png_size(png)
    css_height = round(height * css_width / width)
    # in a box of its own, which scrolls sideways where the column is narrower than the frame
    return (f'<div class="pgbook-frame-box"><img class="widget-image pgbook-frame" src="{html.escape(src)}" '
            f'alt="{html.escape(alt)}" width="{css_width}" height="{css_height}"{LAZY}></div>')


def rewrite_state(state: dict, prefix: str, frames: Path, where: str) -> int:
    """Turn the PNG ImageModels of one page's widget state into lazy <img> HTMLModels; return how many."""
    models = state["state"]
    done = 0
    for model_id, model in list(models.items()):
        if model.get("model_name") != "ImageModel" or model["state"].get("format") != "png":
            continue
        buffer = next((b for b in model.get("buffers", []) if b.get("path") == ["value"]), None)
        if buffer is None:
            continue  # a frame never drawn (cannot happen in a static build): leave it
        png = base64.b64decode(buffer["data"])
        if not png:
            continue  # an Image with nothing drawn in it (a live-only panel): nothing to move
        # pgbook.widgets.core writes the text alternative into the Image's tooltip;
        # an output cached before it did gets FALLBACK_ALT, which the accessibility
        # test refuses, so it cannot reach a finished book unnoticed.
        alt = (model["state"].get("tooltip") or "").strip() or FALLBACK_ALT
        try:
            css_width = int(model["state"].get("width") or 0) or png_size(png)[0]
        except ValueError as exc:
            raise ExtensionError(f"{where}: widget frame {model_id}: {exc}") from exc
        name = hashlib.sha256(png).hexdigest()[:20] + ".png"
        target = frames / name
        if not target.exists():
            target.write_bytes(png)
        value = frame_img(f"{prefix}{FRAMES}/{name}", alt, css_width, png)
        models[model_id] = {
            "model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls",
            "model_module_version": "2.0.0",
            "state": dict(HTML_STATE, layout=model["state"]["layout"], style=f"IPY_MODEL_{STYLE_ID}",
                          value=value),
        }
        done += 1
    if done:
        models[STYLE_ID] = STYLE_MODEL
    return done


def still(models: dict, model_id: str) -> str:
    """The frames a widget shows before any control moves, as HTML: what the page shows
    until the widget library has loaded and drawn the live widget (and for good with no
    script). Boxes give their children in order, a Stack its selected child."""
    model = models.get(model_id)
    if model is None:
        return ""
    state = model["state"]
    children = [c.removeprefix("IPY_MODEL_") for c in state.get("children", [])]
    if model["model_name"] == "StackModel":
        index = state.get("selected_index")
        children = [children[index]] if index is not None and 0 <= index < len(children) else []
    if model["model_name"] == "HTMLModel" and 'class="pgbook-frame-box"' in state.get("value", ""):
        return state["value"]
    return "".join(still(models, child) for child in children)


def add_stills(text: str, models: dict) -> str:
    """Each widget view of a page preceded by its still (see ``still``); pgbook-widgets-config.js
    removes it once the live widget is drawn in its place."""
    def view(match: re.Match) -> str:
        frames = still(models, json.loads(match.group(1))["model_id"])
        # how it loads is light_pages' to say: eager if it is the page's first figure, else lazy
        frames = frames.replace(LAZY, "")
        return (f'<div class="pgbook-widget-still">{frames}</div>' if frames else "") + match.group(0)
    return VIEW.sub(view, text)


def rewrite_pages(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    frames = out / FRAMES
    frames.mkdir(parents=True, exist_ok=True)
    total = 0
    for page in sorted(out.rglob("*.html")):
        rel = page.relative_to(out)
        if rel.parts[0] in ("_static", "_sources", "_images", "_modules"):
            continue
        text = page.read_text(encoding="utf-8")
        match = STATE.search(text)
        if not match:
            continue
        state = json.loads(match.group(2))
        prefix = "../" * (len(rel.parts) - 1)
        n = rewrite_state(state, prefix, frames, rel.as_posix())
        if n:
            # "</" inside a <script> would end it early: escape it as JSON allows
            body = json.dumps(state, ensure_ascii=False).replace("</", "<\\/")
            text = text[:match.start(2)] + body + text[match.end(2):]
            page.write_text(add_stills(text, state["state"]), encoding="utf-8")
            total += n
    if total:
        logger.info(f"widget frames: {total} moved out of the pages into {FRAMES}/")


def setup(app: Sphinx) -> dict:
    app.connect("build-finished", rewrite_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
