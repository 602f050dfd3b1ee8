"""Every widget control in the built book responds, with no kernel behind the page.

For each widget on each page, the test reads the saved widget state from the
HTML (controls, the jslinks from controls to Stacks, and the frame file each
Stack child shows: _ext/widget_frames.py moved the PNGs out of the page),
then in Chromium moves every control once (arrow key on a slider's handle, a
click on a toggle button) and checks that the figure shown changed and is the
very PNG precomputed for the new value (compared by SHA-256 of its bytes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from conftest import HTML, PAGES

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CONTROLS = {"SelectionSliderModel": "slider", "ToggleButtonsModel": "toggle"}
REF = "IPY_MODEL_"


def widget_state(html: str) -> dict:
    match = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))["state"] if match else {}


def view_ids(html: str) -> list[str]:
    views = re.findall(r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', html, re.S)
    return [json.loads(v)["model_id"] for v in views]


def _refs(value) -> list[str]:
    """Model ids referenced by a state value (a reference or a list of them)."""
    values = value if isinstance(value, list) else [value]
    return [v[len(REF):] for v in values if isinstance(v, str) and v.startswith(REF)]


class LinkedFigure:
    """One displayed widget: its controls in DOM order and the stacks they switch."""

    def __init__(self, state: dict, view_id: str, page_dir=HTML):
        self.state, self.page_dir = state, page_dir
        self.order = []  # model ids of the subtree, depth first (the DOM order)
        self._walk(view_id)
        self.controls = [m for m in self.order if state[m]["model_name"] in CONTROLS]
        # control id -> ids of the stacks it drives, via LinkModels
        self.drives = {}
        for model in state.values():
            if model["model_name"] != "LinkModel":
                continue
            (src,), (dst,) = _refs(model["state"]["source"][0]), _refs(model["state"]["target"][0])
            if src in self.controls and state[dst]["model_name"] == "StackModel":
                self.drives.setdefault(src, []).append(dst)
        self.controls = [c for c in self.controls if c in self.drives]
        self.index = {c: state[c]["state"]["index"] for c in self.controls}
        children = {k for m in self.order if state[m]["model_name"] == "StackModel"
                    for k in _refs(state[m]["state"]["children"])}
        stacks = [m for m in self.order if state[m]["model_name"] == "StackModel"]
        self.top = next((m for m in stacks if m not in children), None)

    def _walk(self, model_id: str) -> None:
        self.order.append(model_id)
        for child in _refs(self.state[model_id]["state"].get("children", [])):
            self._walk(child)

    def kind(self, control: str) -> str:
        return CONTROLS[self.state[control]["model_name"]]

    def n_options(self, control: str) -> int:
        return len(self.state[control]["state"]["_options_labels"])

    def expected_sha(self) -> str:
        """SHA-256 of the PNG the current control indices should show."""
        node = self.top
        while self.state[node]["model_name"] == "StackModel":
            driver = next(c for c, stacks in self.drives.items() if node in stacks)
            node = _refs(self.state[node]["state"]["children"])[self.index[driver]]
        model = self.state[node]
        if model["model_name"] == "HTMLModel":  # a frame moved out of the page
            src = re.search(r'<img [^>]*src="([^"]+)"', model["state"]["value"]).group(1)
            return hashlib.sha256((self.page_dir / src).read_bytes()).hexdigest()
        buffer = next(b for b in model["buffers"] if b["path"] == ["value"])
        return hashlib.sha256(base64.b64decode(buffer["data"])).hexdigest()


SHOWN_SHA = """async (modelId) => {
  const script = Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'))
    .find(s => JSON.parse(s.textContent).model_id === modelId);
  const imgs = Array.from(script.parentElement.querySelectorAll('img.widget-image'))
    .filter(i => i.offsetParent !== null && i.getAttribute('src'));
  if (imgs.length !== 1) return `expected one visible figure, found ${imgs.length}`;
  const bytes = await (await fetch(imgs[0].src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, '0')).join('');
}"""

CONTAINER = """(modelId) => Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'))
    .findIndex(s => JSON.parse(s.textContent).model_id === modelId)"""


def figures_on(page_path: str) -> list[tuple[str, LinkedFigure]]:
    html = (HTML / page_path).read_text(encoding="utf-8")
    state = widget_state(html)
    page_dir = (HTML / page_path).parent
    figures = [(v, LinkedFigure(state, v, page_dir)) for v in view_ids(html) if v in state]
    return [(v, f) for v, f in figures if f.controls and f.top]


def move(page, container, figure: LinkedFigure, control: str, position: int) -> None:
    """Move one control to its next value (or its previous one at the end)."""
    n, now = figure.n_options(control), figure.index[control]
    target = now + 1 if now + 1 < n else now - 1
    if figure.kind(control) == "slider":
        handle = container.locator(".noUi-handle").nth(position)
        handle.focus()
        handle.press("ArrowRight" if target > now else "ArrowLeft")
    else:
        group = container.locator(".widget-toggle-buttons").nth(position)
        group.locator("button").nth(target).click()
    figure.index[control] = target


@pytest.mark.parametrize("path", PAGES)
def test_every_control_switches_to_its_precomputed_figure(browser, book_url, path):
    figures = figures_on(path)
    if not figures:
        pytest.skip(f"{path} has no linked widget controls")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(book_url + path, wait_until="networkidle")
    for view_id, figure in figures:
        index = page.evaluate(CONTAINER, view_id)
        container = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').nth(index).locator("xpath=..")
        container.scroll_into_view_if_needed()
        page.wait_for_function(
            "(el) => el.querySelector('img.widget-image')", arg=container.element_handle(), timeout=10000
        )
        shown = page.evaluate(SHOWN_SHA, view_id)
        assert shown == figure.expected_sha(), f"{path}: initial figure is not the precomputed one"
        sliders = [c for c in figure.controls if figure.kind(c) == "slider"]
        toggles = [c for c in figure.controls if figure.kind(c) == "toggle"]
        for control in figure.controls:
            kind_list = sliders if figure.kind(control) == "slider" else toggles
            before = shown
            move(page, container, figure, control, kind_list.index(control))
            want = figure.expected_sha()
            page.wait_for_timeout(150)
            shown = page.evaluate(SHOWN_SHA, view_id)
            assert shown == want, f"{path}: after moving a {figure.kind(control)}, the figure is not the precomputed one"
            if want != before:
                assert shown != before
    page.close()
    assert errors == []


def test_the_book_has_linked_widgets(built_book):
    """Guard against a vacuous pass: at least one page has a control linked to figures."""
    assert sum(len(figures_on(p)) for p in PAGES) >= 1
