"""One visit to each page of the built book, shared by the browser tests.

Loading a page in Chromium (MathJax, the widget library, every lazy frame) is
what the browser tests spend their time on, so each page is loaded once, at
1280 × 900, and everything the tests check is read from that one load:

- for tests/test_book.py: the requests (any to another host, any failed), the
  console errors, the status, typeset math, the visible prose, broken images
  and rendered widgets;
- for tests/test_accessibility.py: axe-core's violations (injected into the
  page), every image's alt text and density, the widget controls' names and
  values, and the equations in the tab order;
- then the same page resized to 390 × 844 and to 320 × 640, and measured for
  sideways overflow, for figures shrunk below the size their type was set for,
  and for widget controls or readouts off the screen.
"""

from __future__ import annotations

from urllib.parse import urlsplit

PHONES = [(390, 844), (320, 640)]

WAIT_FOR_RENDER = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  // the widget library loads when a widget nears the viewport (pgbook-widgets-loader.js)
  if (views.length) { views[0].parentElement.scrollIntoView(); }
  const deadline = Date.now() + 10000;
  // (lazy frames load when scrolled to; the broken-image check loads them itself)
  while (Date.now() < deadline) {
    const rendered = Array.from(views).every(s => s.parentElement.querySelector('.jupyter-widgets'));
    if (rendered) break;
    await new Promise(r => setTimeout(r, 100));
  }
}"""

# Text a reader sees, with code removed (code may legitimately hold "$" and "\\(").
VISIBLE_PROSE = """() => {
  const main = document.querySelector('main') || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, .cell_input').forEach(e => e.remove());
  return copy.innerText;
}"""


# Lazy frames below the fold may not have loaded yet: load each, then decode it
# (decode() rejects for a missing or undecodable file)
BROKEN_IMAGES = """async () => {
  const broken = [];
  await Promise.all(Array.from(document.images).map(async i => {
    i.loading = 'eager';
    try { await i.decode(); } catch (e) { broken.push(i.src); }
  }));
  return broken;
}"""

WIDGETS_RENDERED = """() => Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'))
  .filter(s => s.parentElement.querySelector('.jupyter-widgets')).length"""

NEXT_FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

# Load every image (frames are lazy), then report each one's alt and density.
IMAGES = """async () => {
  const imgs = Array.from(document.querySelectorAll('main img, article img'));
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.map(img => {
    const shown = img.getBoundingClientRect().width;
    const css = shown || Number(img.getAttribute('width')) || 0;
    return {src: img.getAttribute('src') || '', alt: img.getAttribute('alt'),
            natural: img.naturalWidth, css: css};
  });
}"""

CONTROLS = """() => {
  const sliders = Array.from(document.querySelectorAll('.widget-slider .noUi-handle[role=slider]')).map(h => {
    const readout = h.closest('.widget-slider').querySelector('.widget-readout');
    return {name: h.getAttribute('aria-label') || '', valuetext: h.getAttribute('aria-valuetext') || '',
            readout: readout ? readout.textContent.trim() : ''};
  });
  const toggles = Array.from(document.querySelectorAll('.widget-toggle-buttons button')).map(b => ({
    pressed: b.getAttribute('aria-pressed'), active: b.classList.contains('mod-active')}));
  return {sliders, toggles};
}"""

TAB_STOPS_IN_MATH = """() => Array.from(document.querySelectorAll('mjx-container'))
  .filter(m => m.tabIndex >= 0 || m.querySelector('[tabindex]:not([tabindex="-1"])')).length"""

OVERFLOW = """() => {
  const doc = document.documentElement;
  const wide = Array.from(document.querySelectorAll('main *')).filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > doc.clientWidth + 1 && !e.closest('mjx-container, pre, .highlight, .table-wrapper, div.math, .cell_output');
  }).slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + Array.from(e.classList).join('.'));
  return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
}"""


# A figure narrower on the page than the size its type was set for (its width attribute, or
# the width MyST-NB styles it with): its 10 px type would shrink with it, to 5 or 6 px on a phone.
SHRUNK_FIGURES = """() => Array.from(document.querySelectorAll('main img')).filter(img => {
  const designed = parseFloat(img.getAttribute('width')) || parseFloat(img.style.width) || 0;
  const shown = img.getBoundingClientRect().width;
  return designed > 0 && shown > 0 && shown < designed - 1;
}).slice(0, 3).map(img => (img.getAttribute('alt') || img.src).slice(0, 60))"""


# Widget controls and their readouts that are not wholly on screen (they must not need sideways scrolling).
CONTROLS_OFF_SCREEN = """() => Array.from(document.querySelectorAll(
    '.widget-readout, .widget-slider .noUi-handle, .widget-toggle-button, .widget-label')).filter(e => {
  const r = e.getBoundingClientRect();
  return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1);
}).slice(0, 3).map(e => e.className + ': ' + e.textContent.trim().slice(0, 30))"""


# Equations and figures wider than the screen that scroll in their box with no cue, or inline
# formulas wider than their paragraph left cut off at its edge: pgbook.js marks each overflowing
# box (tab stop, name; an inline formula goes on a line of its own) and pgbook.css draws its edge
# shadow. The resize handler waits 100 ms and then for an idle moment, so this waits past both.
SCROLLERS_WITHOUT_CUE = """async () => {
  await new Promise(r => setTimeout(r, 300));
  await new Promise(r => requestIdleCallback(r, {timeout: 2000}));
  const BLOCK = 'p, li, dd, dt, td, th, figcaption, summary, blockquote, h1, h2, h3, h4, h5, h6, div';
  // an inline formula wider than its paragraph cannot wrap: it must scroll in a box of its own
  const wideInline = Array.from(document.querySelectorAll('mjx-container:not([display])')).filter(m => {
    const svg = m.querySelector(':scope > svg'), block = m.parentElement.closest(BLOCK);
    return svg && block && svg.getBoundingClientRect().width > block.clientWidth + 1;
  });
  const boxes = Array.from(document.querySelectorAll('div.math, .pgbook-frame-box, .cell_output:has(> img, > a > img)'))
    .filter(b => b.scrollWidth > b.clientWidth + 1);
  return boxes.concat(wideInline)
    .filter(b => b.getAttribute('tabindex') !== '0' || !b.getAttribute('aria-label')
                 || !getComputedStyle(b).backgroundImage.includes('gradient')
                 || b.getBoundingClientRect().right > b.parentElement.closest(BLOCK).getBoundingClientRect().right + 1
                 // it opens on its start, not scrolled to its end
                 || (b.querySelector('svg, img')?.getBoundingClientRect().left ?? 0) < b.getBoundingClientRect().left - 1)
    .slice(0, 3).map(b => b.tagName.toLowerCase() + '.' + b.className + ': ' + (b.id || b.textContent.trim().slice(0, 30)));
}"""


def visit(browser, book_url: str, path: str, axe_script: str) -> dict:
    """Load ``path`` once and take every measurement of the browser tests (see the module docstring)."""
    host = urlsplit(book_url).netloc
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    record = {"external": [], "errors": [], "failed": []}

    def on_request(request):
        url = urlsplit(request.url)
        # data: and blob: URLs are made inside the page itself
        if url.scheme not in ("data", "blob") and url.netloc != host:
            record["external"].append(request.url)

    page.on("request", on_request)
    page.on("console", lambda m: record["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: record["errors"].append(f"page error: {e}"))
    page.on("response", lambda r: record["failed"].append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: record["failed"].append(f"failed {r.url}"))
    try:
        response = page.goto(book_url + path, wait_until="networkidle")
        record["status"] = response.status
        page.evaluate(WAIT_FOR_RENDER)
        page.wait_for_load_state("networkidle")
        record["math_sources"] = page.locator("main .math, main div.math, main span.math").count()
        record["mathjax"] = page.locator("mjx-container").count()
        record["prose"] = page.evaluate(VISIBLE_PROSE)
        record["broken_images"] = page.evaluate(BROKEN_IMAGES)
        record["figures"] = page.locator("main .cell_output img:not(.widget-image)").count()
        record["widget_views"] = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        record["widgets_rendered"] = page.evaluate(WIDGETS_RENDERED)
        # the stills the page showed until the widgets were drawn (_ext/widget_frames.py) are gone
        record["stills_left"] = page.locator(".pgbook-widget-still").count()
        # accessibility: what axe-core finds, the images, the controls, math tab stops
        record["images"] = page.evaluate(IMAGES)
        record["controls"] = page.evaluate(CONTROLS)
        record["math_tab_stops"] = page.evaluate(TAB_STOPS_IN_MATH)
        page.add_script_tag(path=axe_script)
        record["violations"] = page.evaluate(AXE_RUN)
        # phones: the same page, narrower
        record["overflow"], record["shrunk_figures"], record["controls_off_screen"] = {}, {}, {}
        record["scrollers_without_cue"] = {}
        for width, height in PHONES:
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate(NEXT_FRAME)
            record["overflow"][width, height] = page.evaluate(OVERFLOW)
            record["shrunk_figures"][width, height] = page.evaluate(SHRUNK_FIGURES)
            record["controls_off_screen"][width, height] = page.evaluate(CONTROLS_OFF_SCREEN)
            record["scrollers_without_cue"][width, height] = page.evaluate(SCROLLERS_WITHOUT_CUE)
    finally:
        page.close()
    return record
