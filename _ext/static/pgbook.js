// pgbook: one site-wide fix to the theme's colour-mode button.
//
// The theme cycles light -> auto -> dark. With the book's default (light) on a
// light system, the first click goes to "auto", which looks the same, so the
// button seemed broken. Here a click switches between light and dark, what
// the reader sees, and remembers the choice as the theme does (localStorage
// "mode" and "theme").
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".theme-switch-button");
    if (!button) { return; }
    event.stopPropagation();
    event.preventDefault();
    var root = document.documentElement;
    var next = root.dataset.theme === "dark" ? "light" : "dark";
    root.dataset.mode = next;
    root.dataset.theme = next;
    if (window.pgbookMarkScrollers) { window.pgbookMarkScrollers(); }  // the covers take the new colours
    try {
      localStorage.setItem("mode", next);
      localStorage.setItem("theme", next);
    } catch (e) { /* storage may be off: the switch still works for this page */ }
  }, true);
})();

// A display equation or a figure wider than the column scrolls in its box (pgbook.css).
// A keyboard user must be able to scroll it too, so an overflowing box (and
// only such a box) joins the tab order, named as an equation or a figure that scrolls.
// An inline formula wider than its paragraph (a long one, on a phone) cannot wrap and
// was cut off at the edge of the column: it is marked "pgbook-wide", which puts it on a
// line of its own that scrolls like a display equation's.
// The equations themselves stay out of the tab order. The boxes are measured
// once the page is idle after loading (and after a resize): measured at the
// load event, they made the browser lay out the whole chapter again, in one
// long task, while the fonts were still arriving.
(function () {
  "use strict";
  var BOXES = { "div.math": "Equation", ".pgbook-frame-box": "Figure",
                ".cell_output:has(> img, > a > img)": "Figure" };
  var INLINE = "mjx-container:not([display])";
  var BLOCK = "p, li, dd, dt, td, th, figcaption, summary, blockquote, h1, h2, h3, h4, h5, h6, div";

  // The colour the box sits on, its ancestors' backgrounds laid one over another: the edge
  // shadow's covers (pgbook.css) take it, so they match a tinted theorem or exercise box.
  function backdrop(box) {
    var layers = [];
    for (var el = box.parentElement; el; el = el.parentElement) {
      var rgba = (getComputedStyle(el).backgroundColor.match(/[\d.]+/g) || []).map(Number);
      var alpha = rgba.length > 3 ? rgba[3] : (rgba.length ? 1 : 0);
      if (alpha > 0) { layers.push([rgba[0], rgba[1], rgba[2], alpha]); }
      if (alpha >= 1) { break; }
    }
    if (!layers.length || layers[layers.length - 1][3] < 1) { return null; }
    var colour = layers.pop();
    while (layers.length) {
      var top = layers.pop();
      colour = [0, 1, 2].map(function (i) { return top[3] * top[i] + (1 - top[3]) * colour[i]; });
    }
    return "rgb(" + colour.slice(0, 3).map(Math.round).join(", ") + ")";
  }

  function scrolls(item) {
    var box = item.box;
    if (item.cover) { box.style.setProperty("--pgbook-cover", item.cover); }
    box.setAttribute("tabindex", "0");
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", item.label + ", scrolls sideways");
    if (item.inline) { box.classList.add("pgbook-wide"); }
  }
  function fits(item) {
    var box = item.box;
    if (box.getAttribute("tabindex") === "0") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
    if (item.inline && box.classList.contains("pgbook-wide")) { box.classList.remove("pgbook-wide"); }
  }

  function mark() {
    // every box is measured first, then marked: a change made between two
    // measurements would make the browser lay the page out again for the next
    var found = [];
    Object.keys(BOXES).forEach(function (selector) { document.querySelectorAll(selector).forEach(function (box) {
      found.push({ box: box, label: BOXES[selector], inline: false,
                   overflows: box.scrollWidth > box.clientWidth + 1 });
    }); });
    document.querySelectorAll(INLINE).forEach(function (formula) {
      var drawn = formula.querySelector(":scope > svg");
      var block = formula.parentElement && formula.parentElement.closest(BLOCK);
      if (!drawn || !block) { return; }
      found.push({ box: formula, label: "Equation", inline: true,
                   overflows: drawn.getBoundingClientRect().width > block.clientWidth + 1 });
    });
    found.forEach(function (item) { if (item.overflows) { item.cover = backdrop(item.box); } });
    found.forEach(function (item) { if (item.overflows) { scrolls(item); } else { fits(item); } });
  }
  function whenIdle() {
    if (window.requestIdleCallback) {
      window.requestIdleCallback(mark, { timeout: 2000 });
    } else {
      window.setTimeout(mark, 200);
    }
  }
  window.addEventListener("load", whenIdle);
  // (pgbook-widgets-config.js calls this after the widgets draw or change their frames)
  window.pgbookMarkScrollers = whenIdle;
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(whenIdle, 100);
  });
})();

// The theme, at the load event, makes each code block or output that scrolls a tab stop
// (tabindex 0, else -1), measuring and setting each in turn: every setting made the
// browser lay the page out again before the next measurement, about a hundred times on a
// chapter. Setting the same values here first, measured all at once, leaves the theme's
// pass nothing to change, so it lays nothing out. (Same selector and rule as the theme's
// addTabStopsToScrollableElements, pydata-sphinx-theme 0.17.)
(function () {
  "use strict";
  var SCROLLABLE = "pre, .nboutput > .output_area, .cell_output > .output, .jp-RenderedHTMLCommon, " +
                   ".pst-scrollable-table-container";
  function setTabStops() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(SCROLLABLE));
    var stops = boxes.map(function (box) {
      return box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight ? 0 : -1;
    });
    boxes.forEach(function (box, i) {
      if (box.getAttribute("tabindex") !== String(stops[i])) { box.tabIndex = stops[i]; }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setTabStops);
  } else {
    setTabStops();
  }
})();
