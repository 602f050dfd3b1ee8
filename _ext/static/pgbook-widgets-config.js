// Serve the ipywidgets HTML manager from the book itself (see _ext/offline_assets.py).
//
// Loaded after require.js and before embed-amd.js on every page that holds
// widget state. It finds this book's _static/ folder from its own URL, so the
// same file works at any page depth and under any host or sub-path.
(function () {
  "use strict";
  var here = document.currentScript.src;
  var staticRoot = here.substring(0, here.lastIndexOf("/") + 1);

  // The manager reads this attribute from any <script> tag to know where
  // widget modules live; without it, it would ask a public CDN.
  document.currentScript.setAttribute("data-jupyter-widgets-cdn", staticRoot);

  // Modules the bundle asks require.js for, mapped to the local copy of the
  // html-manager package instead of the CDN. The bundle asks for its fonts as
  // "<module>/dist/<hash>.woff2", so each path is the package root, not dist/.
  var packageRoot = staticRoot + "@jupyter-widgets/html-manager";
  var paths = {};
  ["base", "base7", "controls", "controls7", "html-manager", "output"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = packageRoot;
  });
  window.require.config({ paths: paths });

  // html-manager 1.x typesets widget labels through MathJax 2's Hub.Queue;
  // the book runs MathJax 3, whose API is typesetPromise. Once MathJax 3 has
  // loaded (it is deferred, so it has by DOMContentLoaded), give it a Hub
  // that forwards to MathJax 3.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub) { return; }
    mj.Hub = {
      Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : undefined;
        if (mj.typesetPromise) {
          return mj.typesetPromise(element ? [element] : undefined);
        }
      },
    };
  });
})();
