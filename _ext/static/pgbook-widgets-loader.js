// Load the widget library only when a widget is about to be seen.
//
// The ipywidgets HTML manager (embed-amd.js, 3.5 MB) and require.js used to
// load with every widget page, before the reader had scrolled anywhere near a
// widget. This loader watches the widget outputs; when the first comes within
// about a screen of the viewport, it loads require.js, the book's widget
// configuration (pgbook-widgets-config.js) and the manager, in that order.
// The manager renders every widget of the page once loaded (it renders at
// once when the page has already finished loading). No kernel, no other host.
(function () {
  "use strict";
  var here = document.currentScript.src;
  var root = here.substring(0, here.lastIndexOf("/") + 1);
  var started = false;

  function load(path) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root + path;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + path)); };
      document.head.appendChild(script);
    });
  }

  function start() {
    if (started) { return; }
    started = true;
    load("requirejs/require.js")
      .then(function () { return load("pgbook-widgets-config.js"); })
      .then(function () { return load("@jupyter-widgets/html-manager/dist/embed-amd.js"); })
      .catch(function (error) { console.error("pgbook widgets: " + error.message); });
  }

  function watch() {
    var views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    if (!views.length) { return; }
    if (!("IntersectionObserver" in window)) { start(); return; }
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        observer.disconnect();
        start();
      }
    }, { rootMargin: "1000px 0px" });
    views.forEach(function (view) { observer.observe(view.parentElement); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watch);
  } else {
    watch();
  }
})();
