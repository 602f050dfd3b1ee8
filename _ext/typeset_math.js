// Typeset TeX into MathJax's CommonHTML, in node, for _ext/static_math.py.
//
// It runs the same MathJax the pages used to load (the vendored mathjax 3.2.2
// package's node entry point, es5/node-main.js), with the same TeX input
// (input/tex: base, ams, newcommand, require, autoload, configmacros) and
// the same output (CHTML, with the hidden MathML copy that screen readers
// read: a11y/assistive-mml).
//
// stdin:  {"mathjax": ".../es5/node-main.js",
//          "pages": [{"name": "book/objective", "fontURL": "../_static/...",
//                     "items": [["P_\\theta(\\tau)", true], ...]}]}
// stdout: {"pages": [{"html": ["<mjx-container ...>", ...], "css": "..."}]}
// A TeX error (an undefined macro included) exits 1, naming the page and the TeX.
"use strict";

const fs = require("fs");

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const MathJaxNode = require(request.mathjax);

MathJaxNode.init({
  loader: { load: ["input/tex", "output/chtml", "a11y/assistive-mml"] },
  tex: {
    // an undefined macro is an error here, not red text on the page
    packages: { "[-]": ["noundefined"] },
    formatError: (jax, err) => { throw err; },
  },
  // the size that matches the text font is set in the page's CSS (static_math.CONTAINER_CSS)
  chtml: { matchFontHeight: false },
}).then(async (MathJax) => {
  const adaptor = MathJax.startup.adaptor;
  const output = MathJax.startup.output;
  const pages = [];
  for (const page of request.pages) {
    // each page gets the CSS of the characters it uses, and its own font path
    output.clearCache();
    output.font.options.fontURL = page.fontURL;
    output.options.fontURL = page.fontURL;
    const html = [];
    for (const [tex, display] of page.items) {
      let node;
      try {
        node = await MathJax.tex2chtmlPromise(tex, { display });
      } catch (err) {
        process.stderr.write(`${page.name}: cannot typeset ${JSON.stringify(tex)}: ${err.message}\n`);
        process.exit(1);
      }
      html.push(adaptor.outerHTML(node));
    }
    pages.push({ html, css: adaptor.textContent(MathJax.chtmlStylesheet()) });
  }
  process.stdout.write(JSON.stringify({ pages }));
}).catch((err) => {
  process.stderr.write(`typeset_math: ${err.stack || err}\n`);
  process.exit(1);
});
