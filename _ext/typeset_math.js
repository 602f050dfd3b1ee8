// Typeset TeX into MathJax's SVG output, in node, for _ext/static_math.py.
//
// It runs the same MathJax the pages used to load (the vendored mathjax 3.2.2
// package's node entry point, es5/node-main.js), with the same TeX input
// (input/tex: base, ams, newcommand, require, autoload, configmacros), and
// keeps the hidden MathML copy that screen readers read (a11y/assistive-mml).
//
// The output is SVG, with each glyph drawn once per page (fontCache "global":
// the page's glyph outlines are <path>s in one hidden <svg>, and a formula
// places them with <use>). MathJax nests a <g> per MathML node, each moving its
// children; flatten() folds those moves into the glyphs themselves, so a
// formula is an <svg> holding one <use> per glyph and one <rect> per rule.
// That is fewer than half the elements CommonHTML needs for the same maths,
// and the browser lays them out with no fonts to load or text to shape.
//
// stdin:  {"mathjax": ".../es5/node-main.js",
//          "pages": [{"name": "book/objective.html", "items": [["P_\\theta(\\tau)", true], ...]}]}
// stdout: {"pages": [{"html": ["<mjx-container ...>", ...], "css": "...", "glyphs": "<svg ...>"}]}
// A TeX error (an undefined macro included) exits 1, naming the page and the TeX.
"use strict";

const fs = require("fs");

const IDENTITY = [1, 0, 0, 1, 0, 0];

// An affine map [a, b, c, d, e, f] (SVG's matrix(a b c d e f)) from an SVG
// transform list, or null for a list with anything but translate, scale and matrix.
function parseTransform(text) {
  let m = IDENTITY;
  const step = /(translate|scale|matrix)\(([^)]*)\)/g;
  let found;
  while ((found = step.exec(text || ""))) {
    const v = found[2].split(/[\s,]+/).filter(Boolean).map(Number);
    const n = found[1] === "translate" ? [1, 0, 0, 1, v[0], v[1] || 0]
      : found[1] === "scale" ? [v[0], 0, 0, v.length > 1 ? v[1] : v[0], 0, 0]
        : v;
    m = compose(m, n);
  }
  return (text || "").replace(step, "").trim() ? null : m;
}

// p after q: the map that applies q, then p (SVG's "p q" transform list)
function compose(p, q) {
  return [p[0] * q[0] + p[2] * q[1], p[1] * q[0] + p[3] * q[1],
    p[0] * q[2] + p[2] * q[3], p[1] * q[2] + p[3] * q[3],
    p[0] * q[4] + p[2] * q[5] + p[4], p[1] * q[4] + p[3] * q[5] + p[5]];
}

const num = (v) => String(Math.round(v * 10) / 10);  // MathJax's units are 1/1000 em
const isIdentity = (m) => m.every((v, i) => v === IDENTITY[i]);

function formatTransform(m) {
  const [a, b, c, d, e, f] = m;
  if (b !== 0 || c !== 0) return `matrix(${m.map((v) => String(Math.round(v * 1000) / 1000)).join(" ")})`;
  const move = e || f ? `translate(${num(e)},${num(f)})` : "";
  if (a === 1 && d === 1) return move;
  const scale = a === d ? `scale(${Math.round(a * 1000) / 1000})` : `scale(${a},${d})`;
  return move ? `${move} ${scale}` : scale;
}

// Fold every <g> that only groups and moves (no id, colour or other attribute)
// into its children, under the <svg> of one formula.
const MOVE_ONLY = /^(data-mml-node|data-mjx-texclass|transform)$/;
function flatten(adaptor, svg) {
  // the nodes that take `node`'s place, `outer` being the move of the <g>s folded above it
  function place(node, outer) {
    const kind = adaptor.kind(node);
    if (kind === "#text" || kind === "#comment") return [node];
    const own = parseTransform(adaptor.getAttribute(node, "transform"));
    if (kind === "g" && own && adaptor.allAttributes(node).every((a) => MOVE_ONLY.test(a.name))) {
      const inner = compose(outer, own);
      return adaptor.childNodes(node).slice().flatMap((child) => place(child, inner));
    }
    replaceChildren(node);
    if (kind === "use") {
      adaptor.setAttribute(node, "href", adaptor.getAttribute(node, "xlink:href"));
      adaptor.removeAttribute(node, "xlink:href");
      adaptor.removeAttribute(node, "data-c");
    }
    if (isIdentity(outer)) return [node];
    if (own && kind !== "svg") {
      const m = compose(outer, own);
      if (kind === "use" && m[0] === 1 && m[1] === 0 && m[2] === 0 && m[3] === 1) {
        // a glyph that only moves: x and y say it in fewer bytes
        adaptor.removeAttribute(node, "transform");
        if (m[4]) adaptor.setAttribute(node, "x", num(m[4]));
        if (m[5]) adaptor.setAttribute(node, "y", num(m[5]));
      } else if (isIdentity(m)) {
        adaptor.removeAttribute(node, "transform");
      } else {
        adaptor.setAttribute(node, "transform", formatTransform(m));
      }
      return [node];
    }
    const group = adaptor.node("g", { transform: formatTransform(outer) });  // a nested <svg> keeps its own box
    adaptor.append(group, node);
    return [group];
  }
  function replaceChildren(parent) {
    for (const child of adaptor.childNodes(parent).slice()) {
      const nodes = place(child, IDENTITY);
      if (nodes.length === 1 && nodes[0] === child) continue;
      for (const n of nodes) adaptor.insert(n, child);
      adaptor.remove(child);
    }
  }
  replaceChildren(svg);
  // implied by <svg> in HTML, or said already by aria-hidden
  for (const name of ["xmlns", "xmlns:xlink", "role", "focusable"]) adaptor.removeAttribute(svg, name);
}

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const MathJaxNode = require(request.mathjax);

MathJaxNode.init({
  loader: { load: ["input/tex", "output/svg", "a11y/assistive-mml"] },
  tex: {
    // an undefined macro is an error here, not red text on the page
    packages: { "[-]": ["noundefined"] },
    formatError: (jax, err) => { throw err; },
  },
  svg: { fontCache: "global" },
}).then(async (MathJax) => {
  const adaptor = MathJax.startup.adaptor;
  const output = MathJax.startup.output;
  const pages = [];
  for (const page of request.pages) {
    output.fontCache.clearCache();  // each page holds the glyphs it uses, and only those
    const html = [];
    for (const [tex, display] of page.items) {
      let node;
      try {
        node = await MathJax.tex2svgPromise(tex, { display });
      } catch (err) {
        process.stderr.write(`${page.name}: cannot typeset ${JSON.stringify(tex)}: ${err.message}\n`);
        process.exit(1);
      }
      for (const svg of adaptor.childNodes(node).filter((c) => adaptor.kind(c) === "svg")) flatten(adaptor, svg);
      html.push(adaptor.outerHTML(node));
    }
    const defs = adaptor.outerHTML(output.fontCache.getCache());
    pages.push({
      html,
      css: adaptor.textContent(MathJax.svgStylesheet()),
      glyphs: `<svg style="display: none;" id="MJX-SVG-global-cache" aria-hidden="true">${defs}</svg>`,
    });
  }
  process.stdout.write(JSON.stringify({ pages }));
}).catch((err) => {
  process.stderr.write(`typeset_math: ${err.stack || err}\n`);
  process.exit(1);
});
