"""Sphinx extension: the reference pages of ``pgbook`` (autodoc, napoleon, viewcode) read well under -W -n.

The package's docstrings state formulas in the book's notation, in Unicode, and
the shapes of arrays. This extension makes them render as written:

1. **Formula displays stay displays.** A docstring sets a formula apart as an
   indented block after a blank line (``    G_t = Σ_{t'≥t} γ^{t'−t} r_{t'}``);
   reStructuredText would make it a block quote in proportional type, losing
   its alignment. Such a block becomes a literal block (class
   ``pgbook-formula``), shown as written. So does an aligned table introduced
   by a line ending in "be" or ":" with no blank line ("baseline b_t may be"
   followed by indented rows), which reStructuredText would read as a
   definition list.
2. **Shapes have their section.** A numpy-style ``Shapes`` section, written
   like ``Parameters`` (``name : (T, N)``, its meaning indented below), renders
   as a table of array, shape and meaning under the heading Shapes. Markdown
   habits render too: ``## Heading`` as a heading, ``| pipe | tables |`` as
   tables, aligned ``name:  meaning`` lines as a two-column table.
3. **Short names resolve.** ``:class:`Batch``` in ``pgbook.rollout`` means
   ``pgbook.batch.Batch``. When Sphinx's own lookup fails and the name ends
   exactly one documented ``pgbook`` object, the reference goes there; an
   ambiguous or unknown name is still reported (``-n``). A reference to a
   private helper (``:func:`_return_range```) shows as code with no link: the
   reference leaves private helpers out on purpose.
4. **Every public module has a source page.** viewcode writes a page for each
   module that defines a documented object; a package's ``__init__`` that only
   re-exports gets one too, and every module's entry ends with a link to its
   source (the ``pgbook-source`` role). viewcode's own index of source pages
   gets properly nested lists, and a NamedTuple's "Alias for field number 0"
   fields are left out (the class docstring describes them).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re
import shutil

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole
from sphinx.util.nodes import make_refnode

logger = logging.getLogger(__name__)

PACKAGE = "pgbook"
SOURCE_PAGES = "_modules"  # viewcode's folder


def public_modules(package: str = PACKAGE) -> list[str]:
    """Every importable module of ``package`` with no ``_``-prefixed part, the package itself first."""
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return names


# --------------------------------------------------------------- docstrings
#
# pgbook's docstrings are plain text with a little markup: ``literals``,
# :func:`roles`, ``::`` literal blocks, bullet lists, numpy "Parameters"
# sections, and also Markdown habits (## headings, | pipe | tables |) and
# aligned "name:  meaning" tables. reStructuredText reads several of these as
# something else (a "|" starts a substitution, an indented line a block quote or
# a definition list) and -W turns each into a failed build. render_docstring
# turns each habit into the reStructuredText that shows it as meant.

_HEADING = re.compile(r"^(?P<indent>\s*)#{1,6}\s+(?P<text>\S.*?)\s*#*\s*$")
_SECTION_RULE = re.compile(r"^\s*[-=~^]{3,}\s*$")
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)]|#\.)\s+\S")
_ENTRY = re.compile(
    r"^(?P<indent>\s*)(?P<name>[A-Za-z_*][\w.*]*(?:\(\))?(?:,\s*[A-Za-z_*][\w.*]*)*)"
    r"(?:(?P<colon>:)\s+|\s{2,})(?P<desc>\S.*)$")
_INLINE_MARKUP = re.compile(r"``.+?``|:[\w:.+-]+:`[^`]*`|`[^`]+`_{0,2}")
_NUMPY_SECTIONS = {"parameters", "other parameters", "returns", "yields", "raises", "attributes",
                   "shapes", "see also", "notes", "references", "examples", "warns", "receives",
                   "methods", "keyword arguments", "warnings"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


_QUOTED_TEX = re.compile(r"""(?<![`\w])r?("[^"\n]*[$\\][^"\n]*"|'[^'\n]*[$\\][^'\n]*')""")


def escape_prose(text: str) -> str:
    """``|``, a lone ``*`` before a name and a trailing ``_`` escaped, outside inline markup.

    A quoted string holding ``$`` or a backslash (a matplotlib label such as
    ``r"$\\theta$"``) becomes an inline literal: shown as written, not as math.
    """
    protected = _INLINE_MARKUP.pattern
    parts = re.split(f"({protected})", text)
    text = "".join(part if k % 2 else _QUOTED_TEX.sub(lambda m: f"``{m[0]}``", part)
                   for k, part in enumerate(parts))
    out, last = [], 0
    for match in _INLINE_MARKUP.finditer(text):
        out.append(_escape(text[last:match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _escape(text: str) -> str:
    text = re.sub(r"(?<!\\)\|", r"\\|", text)

    def star(match: re.Match) -> str:
        # emphasis only if the very next star closes it: *word* or **a few words**
        run, rest = match[1], text[match.end():]
        following = re.search(r"\*+", rest)
        closes = (following is not None and following[0] == run and following.start() > 0
                  and not rest[following.start() - 1].isspace()
                  and not re.match(r"\w", rest[following.end():following.end() + 1]))
        return match[0] if closes else "\\" + "\\".join(run)

    text = re.sub(r"(?<![\w*\\])(\*{1,2})(?=[\w(])", star, text)
    return re.sub(r"(?<=\w)_(?=\s|$|[.,;:)\]])", r"\\_", text)


def _blocks(lines: list[str]) -> list[list[str]]:
    """The lines split into blocks at blank lines (each blank line a block of its own)."""
    blocks, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        else:
            if current:
                blocks.append(current)
                current = []
            blocks.append([""])
    if current:
        blocks.append(current)
    return blocks


def _scrolling(table: list[str], pad: str) -> list[str]:
    """``table`` (reStructuredText lines at indent ``pad``) inside a box that scrolls sideways."""
    return [pad + ".. container:: pgbook-scroll", ""] + [
        ("   " + line) if line.strip() else "" for line in table] + [""]


def _pipe_table(block: list[str]) -> list[str] | None:
    rows = [line.strip() for line in block]
    if len(rows) < 3 or not all(r.startswith("|") and r.endswith("|") for r in rows):
        return None
    if not re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", rows[1]):
        return None
    cells = [[c.strip() for c in r[1:-1].split("|")] for r in rows[:1] + rows[2:]]
    pad = " " * _indent(block[0])
    out = [pad + ".. list-table::", pad + "   :header-rows: 1", pad + "   :class: pgbook-table", ""]
    for row in cells:
        for k, cell in enumerate(row):
            out.append(pad + ("   * - " if k == 0 else "     - ") + (escape_prose(cell) or "\\ "))
    return _scrolling(out, pad)


def _field_table(block: list[str]) -> list[str] | None:
    """An aligned "name: meaning" table (two or more entries, or one with continuation lines)."""
    first = _ENTRY.match(block[0])
    if not first:
        return None
    base = len(first["indent"])
    entries: list[list[str]] = []
    for line in block:
        match = _ENTRY.match(line)
        if match and _indent(line) == base:
            entries.append([match["name"], match["desc"].strip()])
        elif _indent(line) > base and entries:
            entries[-1][1] += " " + line.strip()
        else:
            return None
    if len(entries) < 2 and len(block) < 2:
        return None
    pad = " " * base
    out = [pad + ".. list-table::", pad + "   :class: pgbook-fields", pad + "   :widths: auto", ""]
    for name, desc in entries:
        out += [pad + f"   * - ``{name}``", pad + "     - " + escape_prose(desc)]
    return _scrolling(out, pad)


_SHAPE_FIELD = re.compile(r"^(?P<indent>\s*)(?P<name>[^:\s][^:]*?)\s+:\s+(?P<shape>\S.*?)\s*$")


def _is_shape_field(block: list[str], indent: int) -> bool:
    match = _SHAPE_FIELD.match(block[0])
    return bool(match) and _indent(block[0]) == indent


def _shapes_table(body: list[str], indent: int) -> list[str]:
    """A numpy-style "Shapes" section (``name : (T, N)``, its meaning indented below) as a table."""
    rows: list[list[str]] = []
    for line in body:
        match = _SHAPE_FIELD.match(line)
        if match and _indent(line) == indent:
            rows.append([match["name"].strip(), match["shape"], ""])
        elif rows and line.strip():
            rows[-1][2] = (rows[-1][2] + " " + line.strip()).strip()
        elif line.strip():
            raise ValueError(f"Shapes section: expected 'name : shape' lines, got {line.strip()!r}")
    pad = " " * indent
    # the blank line before: two blank lines end a numpy section above it, for napoleon
    out = ["", pad + ".. rubric:: Shapes", "", pad + ".. list-table::", pad + "   :header-rows: 1",
           pad + "   :class: pgbook-shapes", pad + "   :widths: auto", "",
           pad + "   * - array", pad + "     - shape", pad + "     - what it holds"]
    for name, shape, meaning in rows:
        out += [pad + f"   * - ``{name}``", pad + f"     - {escape_prose(shape)}",
                pad + "     - " + (escape_prose(meaning) or "\\ ")]
    return out[:2] + _scrolling(out[2:], pad)


def _literal(block: list[str], base: int) -> list[str]:
    pad = " " * base
    return ([pad + ".. code-block:: none", pad + "   :class: pgbook-formula", ""]
            + [pad + "   " + line[base:] if line.strip() else "" for line in block] + [""])


def render_docstring(lines: list[str]) -> list[str]:
    """Docstring lines in pgbook's plain style, as reStructuredText that renders them as written."""
    out: list[str] = []
    blocks = _blocks(lines)
    prose_indent = 0       # the indentation of the last prose paragraph
    keep_deeper = None     # inside a literal block or a directive: keep lines indented deeper than this
    in_section = False     # inside a numpy section (napoleon parses it)
    i = 0
    while i < len(blocks):
        block = blocks[i]
        i += 1
        if block == [""]:
            out.append("")
            continue
        indent = _indent(block[0])
        if keep_deeper is not None:
            if indent > keep_deeper:
                out += block
                continue
            keep_deeper = None
        # a Shapes section: a table of array, shape and meaning
        if len(block) >= 2 and _SECTION_RULE.match(block[1]) and block[0].strip().lower() == "shapes":
            body = block[2:]
            while i < len(blocks) and (blocks[i] == [""] and i + 1 < len(blocks)
                                       and _is_shape_field(blocks[i + 1], indent)):
                body += blocks[i + 1]
                i += 2
            out += _shapes_table(body, indent)
            in_section = False
            continue
        # a numpy section header: napoleon's to parse
        if len(block) >= 2 and _SECTION_RULE.match(block[1]) and block[0].strip().lower() in _NUMPY_SECTIONS:
            in_section, prose_indent = True, indent
            out += block[:2] + [escape_prose(l) for l in block[2:]]
            continue
        if in_section:
            fieldlike = len(block) > 1 and _indent(block[1]) > indent or " : " in block[0]
            if indent > prose_indent or fieldlike:
                out += [escape_prose(l) for l in block]
                continue
            in_section = False
            out.append("")  # two blank lines end a numpy section for napoleon
        heading = _HEADING.match(block[0])
        if heading:
            out += [heading["indent"] + ".. rubric:: " + escape_prose(heading["text"]), ""]
            rest = block[1:]
            if rest:
                blocks.insert(i, rest)
            continue
        if re.match(r"^\s*(=+(\s+=+)+|\+(-+\+)+)\s*$", block[0]):  # a reStructuredText table
            out += _scrolling(block, " " * indent)
            continue
        if block[0].lstrip().startswith(".. ") or block[-1].rstrip().endswith("::"):
            out += block if block[0].lstrip().startswith(".. ") else [escape_prose(l) for l in block]
            keep_deeper = indent
            continue
        table = _pipe_table(block)
        if table:
            out += table
            continue
        previous = next((l for l in reversed(out) if l.strip()), None)
        if previous is not None and indent > prose_indent and not _LIST_ITEM.match(previous) \
                and not previous.lstrip().startswith(":"):
            out += _literal(block, prose_indent)  # a display: a formula set apart
            continue
        fields = _field_table(block)
        if fields:
            out += fields
            prose_indent = indent
            continue
        if _LIST_ITEM.match(block[0]):
            out += [escape_prose(l) for l in block]
            continue
        # prose: an indented run inside it is a display (after "...:" or "... be") or a wrapped line
        prose_indent = indent
        k, start, hanging = 0, len(out), False
        while k < len(block):
            line = block[k]
            if _indent(line) > indent and k > 0:
                run = []
                while k < len(block) and _indent(block[k]) > indent:
                    run.append(block[k])
                    k += 1
                if re.search(r"(:|\bbe)\s*$", block[k - len(run) - 1]):
                    out += [""] + _literal(run, indent)
                else:  # a hanging indent: the lines continue the one above, an item of a list of lines
                    out[-1] = out[-1] + " " + " ".join(escape_prose(l.strip()) for l in run)
                    hanging = True
                continue
            out.append(escape_prose(line))
            k += 1
        if hanging:  # each line at the block's indent is an item: keep them on lines of their own
            out[start:] = [" " * indent + "| " + line.strip() if line.strip() else line for line in out[start:]]
    return out


_RENDERED: dict[int, list[str]] = {}


def process_docstring(app: Sphinx, what: str, name: str, obj, options, lines: list[str]) -> None:
    """Before napoleon (priority 400): render pgbook's plain style (see render_docstring)."""
    lines[:] = render_docstring(lines)
    if what == "module" and name.split(".")[0] == PACKAGE:
        lines += ["", f"Source: :pgbook-source:`{name}`"]
    if what in ("attribute", "property", "data"):
        _RENDERED[id(lines)] = list(lines)


def undo_attribute_types(app: Sphinx, what: str, name: str, obj, options, lines: list[str]) -> None:
    """After napoleon (priority 600): an attribute's docstring as rendered, not split at its first colon.

    napoleon reads "text: more" on an attribute's first line as "type: description";
    pgbook's attribute docstrings are sentences ("Standard error of ĝ: std(g)/√N"), not types.
    """
    rendered = _RENDERED.pop(id(lines), None)
    if rendered is not None:
        lines[:] = rendered


def skip_tuple_fields(app: Sphinx, what: str, name: str, obj, skip: bool, options):
    """A NamedTuple's fields say only "Alias for field number 0": its class docstring describes them."""
    doc = getattr(obj, "__doc__", None) or ""
    if doc.startswith("Alias for field number"):
        return True
    return None


# ----------------------------------------------------------- short names

def resolve_short_name(app: Sphinx, env, node, contnode):
    """A Python reference that Sphinx did not find, resolved when one pgbook object has that name."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "").lstrip(".~")
    if target.rsplit(".", 1)[-1].startswith("_") and not target.endswith("__"):
        return contnode  # a private helper: not in the reference by design; its code is a [source] away
    if not target or target.startswith(PACKAGE + "."):  # a full path that does not exist: report it
        return None
    domain = env.get_domain("py")
    kinds = domain.objtypes_for_role(node.get("reftype", "obj")) or []
    names = {name for name, obj in domain.objects.items()
             if name.startswith(PACKAGE + ".") and name.endswith("." + target) and not obj.aliased
             and (node.get("reftype") in ("obj", "any") or obj.objtype in kinds)}
    if len(names) != 1:
        return None
    name = names.pop()
    obj = domain.objects[name]
    return make_refnode(app.builder, node["refdoc"], obj.docname, obj.node_id, contnode, name)


# ---------------------------------------------------------- source pages

class source_link(nodes.Inline, nodes.Element):
    """A link to a module's source page, made into a reference once pages have names."""


class SourceRole(SphinxRole):
    """``:pgbook-source:`pgbook.exact``` → a link "pgbook/exact.py" to that module's source page."""

    def run(self):
        modname = self.text.strip()
        spec = importlib.util.find_spec(modname)
        if spec is None or not spec.origin:
            message = self.inliner.reporter.error(f"pgbook-source: no module named {modname!r}", line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, message)], [message]
        shown = modname.replace(".", "/") + ("/__init__.py" if spec.origin.endswith("__init__.py") else ".py")
        node = source_link(reftarget=f"{SOURCE_PAGES}/{modname.replace('.', '/')}")
        node += nodes.literal(shown, shown)
        return [node], []


class SourceLinks(SphinxPostTransform):
    default_priority = 100

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(source_link)):
            if self.app.builder.format == "html":
                ref = make_refnode(self.app.builder, self.env.docname, node["reftarget"], "",
                                   node.children[0].deepcopy())
                ref["classes"].append("pgbook-source-link")
                node.replace_self(ref)
            else:
                node.replace_self(node.children[0].deepcopy())


def add_package_source_pages(app: Sphinx, env) -> None:
    """Give each public module viewcode has no page for (a re-exporting ``__init__``) a source page."""
    if "sphinx.ext.viewcode" not in app.extensions:
        return
    modules = env.__dict__.setdefault("_viewcode_modules", {})
    for modname in public_modules():
        if modules.get(modname):
            continue
        analyzer = ModuleAnalyzer.for_module(modname)
        analyzer.find_tags()
        modules[modname] = (analyzer.code, analyzer.tags, {}, modname)


def nest_module_index(app: Sphinx, pagename: str, templatename, context: dict, doctree) -> None:
    """viewcode's ``_modules/index`` puts a sub-list straight inside a list (axe: "list"); nest it in its item."""
    if pagename != SOURCE_PAGES + "/index" or "body" not in context:
        return
    tokens = re.split(r"(<ul>|</ul>|</li>)", context["body"])
    out: list[str] = []
    open_items = []  # per open list: whether its last item was left open for a sub-list
    for k, token in enumerate(tokens):
        if token == "</li>":
            following = next((t for t in tokens[k + 1:] if t.strip()), "")
            if following == "<ul>":
                open_items[-1] = True  # keep this item open: the sub-list goes inside it
                continue
            out.append(token)
        elif token == "<ul>":
            open_items.append(False)
            out.append(token)
        elif token == "</ul>":
            out.append(token)
            open_items.pop()
            if open_items and open_items[-1]:
                out.append("</li>")
                open_items[-1] = False
        else:
            out.append(token)
    context["body"] = "".join(out)


def fresh_source_pages(app: Sphinx) -> list:
    """Have viewcode write every source page again: it skips a page older than its module only,
    so a page kept from an earlier build would show that build's sidebar (a retitled chapter).

    Runs on ``html-collect-pages`` just before viewcode's own handler, never earlier: a build
    with nothing out of date stops before that event, and must keep the pages it has.
    """
    folder = os.path.join(app.outdir, SOURCE_PAGES)
    if app.builder.format == "html" and os.path.isdir(folder):
        shutil.rmtree(folder)
    return []


def add_static(app: Sphinx, config) -> None:
    """Serve ``_ext/api_static/pgbook-api.css`` (the look of formula blocks and source links)."""
    config.html_static_path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "api_static"))
    app.add_css_file("pgbook-api.css")


def setup(app: Sphinx) -> dict:
    app.connect("autodoc-process-docstring", process_docstring, priority=400)  # before napoleon (500)
    app.connect("autodoc-process-docstring", undo_attribute_types, priority=600)
    app.connect("autodoc-skip-member", skip_tuple_fields)
    app.connect("missing-reference", resolve_short_name, priority=900)  # after every other resolver
    app.connect("env-updated", add_package_source_pages)
    app.add_node(source_link)
    app.add_role("pgbook-source", SourceRole())
    app.add_post_transform(SourceLinks)
    app.connect("config-inited", add_static)
    app.connect("html-page-context", nest_module_index)
    app.connect("html-collect-pages", fresh_source_pages, priority=400)  # viewcode: 500
    return {"parallel_read_safe": True, "parallel_write_safe": True}
