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
    try {
      localStorage.setItem("mode", next);
      localStorage.setItem("theme", next);
    } catch (e) { /* storage may be off: the switch still works for this page */ }
  }, true);
})();

// A display equation or a figure wider than the column scrolls in its box (pgbook.css).
// A keyboard user must be able to scroll it too, so an overflowing box (and
// only such a box) joins the tab order, named as an equation or a figure that scrolls.
// The equations themselves stay out of the tab order. The boxes are measured
// once the page is idle after loading (and after a resize): measured at the
// load event, they made the browser lay out the whole chapter again, in one
// long task, while the fonts were still arriving.
(function () {
  "use strict";
  var BOXES = { "div.math": "Equation", ".pgbook-frame-box": "Figure",
                ".cell_output:has(> img, > a > img)": "Figure" };
  function mark() {
    // every box is measured first, then marked: a change made between two
    // measurements would make the browser lay the page out again for the next
    var found = [];
    Object.keys(BOXES).forEach(function (selector) { document.querySelectorAll(selector).forEach(function (box) {
      found.push([box, BOXES[selector], box.scrollWidth > box.clientWidth + 1]);
    }); });
    found.forEach(function (item) {
      var box = item[0];
      if (item[2]) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", item[1] + ", scrolls sideways");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
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
