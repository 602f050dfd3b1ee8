"""A widget's still: its first frames, on the page before the widget library draws it.

_ext/widget_frames.py puts, before each widget's view script, the frames the
widget shows before any control moves, so a reader sees the figure at once
(and for good with no script); pgbook-widgets-config.js removes the still once
the live widget is drawn (tests/test_book.py checks that in Chromium).
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
from widget_frames import add_stills, still  # noqa: E402


def frame(name: str, loading: str = ' loading="lazy" decoding="async"') -> str:
    return f'<div class="pgbook-frame-box"><img class="widget-image pgbook-frame" src="{name}.png" alt="{name}"{loading}></div>'


MODELS = {
    "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_stack", "IPY_MODEL_note"]}},
    "slider": {"model_name": "SelectionSliderModel", "state": {"description": "θ"}},
    "stack": {"model_name": "StackModel", "state": {"selected_index": 1,
                                                    "children": ["IPY_MODEL_f0", "IPY_MODEL_f1", "IPY_MODEL_f2"]}},
    "f0": {"model_name": "HTMLModel", "state": {"value": frame("f0")}},
    "f1": {"model_name": "HTMLModel", "state": {"value": frame("f1")}},
    "f2": {"model_name": "HTMLModel", "state": {"value": frame("f2")}},
    "note": {"model_name": "HTMLModel", "state": {"value": "<p>not a frame</p>"}},
}
VIEW = '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "%s", "version_major": 2}</script>'


def test_the_still_is_the_frame_the_stack_starts_on():
    assert still(MODELS, "box") == frame("f1")


def test_a_widget_with_no_frame_or_an_unknown_model_has_no_still():
    assert still(MODELS, "slider") == ""
    assert still(MODELS, "no-such-model") == ""
    assert still(dict(MODELS, stack={"model_name": "StackModel", "state": {"selected_index": None,
                                                                           "children": ["IPY_MODEL_f0"]}}), "box") == ""


def test_each_view_script_is_preceded_by_its_still():
    page = f"<div>{VIEW % 'box'}</div><div>{VIEW % 'slider'}</div>"
    # the still's frame leaves how it loads to light_pages (eager if it is the page's first figure)
    assert add_stills(page, MODELS) == (f'<div><div class="pgbook-widget-still">{frame("f1", "")}</div>{VIEW % "box"}</div>'
                                        f"<div>{VIEW % 'slider'}</div>")


@pytest.mark.slow
def test_every_widget_of_the_built_book_has_a_still_with_alt_text(built_book):
    views = re.compile(r'(<div class="pgbook-widget-still">(?:(?!<script).)*)?'
                       r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', re.S)
    seen = 0
    for path in sorted((built_book / "book").glob("*.html")):
        for match in views.finditer(path.read_text(encoding="utf-8")):
            model = json.loads(match.group(2))["model_id"]
            assert match.group(1), f"{path.name}: widget {model} has no still"
            assert re.search(r'<img [^>]*alt="[^"]{20,}"', match.group(1)), f"{path.name}: widget {model}'s still has no alt"
            seen += 1
    assert seen >= 8, f"only {seen} widgets in the book?"
