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
