// Serve the ipywidgets HTML manager from the book itself (see _ext/offline_assets.py).
//
// Loaded after require.js and before embed-amd.js on every page that holds
// widget state. It finds this book's _static/ folder from its own URL, so the
// same file works at any page depth and under any host or sub-path.
function pgbookWhenReady(fn) {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fn);
  } else {
    fn();
  }
}

(function () {
  "use strict";
  var here = document.currentScript.src;
  var staticRoot = here.substring(0, here.lastIndexOf("/") + 1);

  // The manager reads this attribute from any <script> tag to know where
  // widget modules live; without it, it would ask a public CDN.
  document.currentScript.setAttribute("data-jupyter-widgets-cdn", staticRoot);

  // Modules the bundle asks require.js for, mapped to the local copy of the
  // html-manager package instead of the CDN. embed-amd.js defines these
  // modules itself; each finds its fonts in the folder of the URL require.js
  // gives its name, so every name maps to a file name in dist/, where the
  // fonts are (mapped to the package root, a module asked for
  // _static/@jupyter-widgets/<hash>.woff2, which does not exist).
  var packageRoot = staticRoot + "@jupyter-widgets/html-manager";
  var paths = {};
  ["base", "base7", "controls", "controls7", "html-manager", "output"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = packageRoot + "/dist/" + name;
  });
  // and the manager's own modules ("@jupyter-widgets/html-manager/dist/...") are in dist/
  paths["@jupyter-widgets/html-manager/dist"] = packageRoot + "/dist";
  window.require.config({ paths: paths });
})();

// Accessible controls. The widget library renders a slider handle with no
// name and with the option's index as its value ("4" where the readout shows
// θ = 0), and toggle buttons that don't say which one is selected. Once the
// widgets are drawn, and after every change, give each slider handle its
// label as aria-label and the readout as aria-valuetext, and each toggle
// button aria-pressed; a toggle group gets role=group named by its label.
(function () {
  "use strict";
  function text(el) { return el ? el.textContent.trim() : ""; }

  function label(widget) {
    var own = widget.querySelector(":scope > .widget-label");
    return text(own);
  }

  function enhance() {
    // The page shows each widget's first frames as a still (_ext/widget_frames.py) until the
    // library has drawn the live widget, which it puts between the still and its view script.
    document.querySelectorAll(".pgbook-widget-still").forEach(function (still) {
      var live = still.nextElementSibling;
      if (live && live.classList.contains("widget-subarea") && live.querySelector(".pgbook-frame")) {
        still.remove();
      }
    });
    document.querySelectorAll(".widget-slider").forEach(function (slider) {
      var handle = slider.querySelector(".noUi-handle[role=slider]");
      if (!handle) { return; }
      var name = label(slider) || "value";
      var value = text(slider.querySelector(".widget-readout"));
      if (handle.getAttribute("aria-label") !== name) { handle.setAttribute("aria-label", name); }
      if (value && handle.getAttribute("aria-valuetext") !== value) {
        handle.setAttribute("aria-valuetext", value);
      }
    });
    document.querySelectorAll(".widget-toggle-buttons").forEach(function (group) {
      var name = label(group);
      if (group.getAttribute("role") !== "group") { group.setAttribute("role", "group"); }
      if (name && group.getAttribute("aria-label") !== name) { group.setAttribute("aria-label", name); }
      group.querySelectorAll("button").forEach(function (button) {
        var pressed = button.classList.contains("mod-active") ? "true" : "false";
        if (button.getAttribute("aria-pressed") !== pressed) { button.setAttribute("aria-pressed", pressed); }
      });
    });
  }

  var queued = false;
  function schedule() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () {
      queued = false;
      enhance();
      if (window.pgbookMarkScrollers) { window.pgbookMarkScrollers(); }  // pgbook.js: wide frames
    });
  }

  pgbookWhenReady(function () {
    // Widgets render asynchronously after the page has loaded; watch for them,
    // and for every change a control makes (readout text, active button).
    new MutationObserver(schedule).observe(document.body, {
      subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ["class", "aria-valuenow"],
    });
    schedule();
  });
})();
