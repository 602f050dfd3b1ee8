"""Sphinx extension: a code exercise shows its stub, and its reference only inside the solution.

A code exercise in a chapter source is one code cell whose function body holds
the reference between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (the
convention of ``pgbook.export``), followed by a check cell tagged
``exercise-check``. The build runs both as written, so later cells can call the
reference. On the page, though, a reader must see what a student sees:

1. the exercise cell shows its *stub*, the same text ``pgbook export`` writes
   into the student edition (``# YOUR CODE HERE`` / ``raise NotImplementedError()``);
2. the reference source moves into the exercise's labelled solution dropdown
   (the next ``{solution-start}`` on the page), headed "The reference solution";
3. the check cell's output ("✓ ... passed") moves there too: under the exercise
   it would claim a pass before the reader has written anything.

A code exercise with no solution dropdown after it is a build error, since its
reference would otherwise be lost from the page.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

from pgbook.export import exercise_points, stub_solution_regions

logger = logging.getLogger(__name__)

CHECK_TAG = "exercise-check"
_MARKER = re.compile(r"^[ \t]*###\s*(BEGIN|END) SOLUTION\s*$")


def _is_cell(node, element: str) -> bool:
    return isinstance(node, nodes.container) and node.get("nb_element") == element


def _tags(cell) -> list:
    return list((cell.get("cell_metadata") or {}).get("tags", []))


def _reference_source(source: str) -> str:
    """The exercise cell's source with the two marker lines dropped: the full reference."""
    return "\n".join(line for line in source.split("\n") if not _MARKER.match(line))


class ExerciseCells(SphinxTransform):
    # after sphinx-exercise merges solution-start ... solution-end into one node (priority 10)
    default_priority = 50

    def apply(self) -> None:
        from sphinx_exercise.nodes import solution_node

        pending: list[nodes.Node] = []   # what the next solution dropdown receives
        pending_where = None
        for node in list(self.document.findall(lambda n: _is_cell(n, "cell_code")
                                               or isinstance(n, solution_node))):
            if isinstance(node, solution_node):
                if pending:
                    content = next((c for c in node.children if isinstance(c, nodes.section)), node)
                    for i, extra in enumerate(pending):
                        content.insert(i, extra)
                    pending, pending_where = [], None
                continue
            source_nodes = [n for n in node.findall(nodes.literal_block)
                            if any(_is_cell(p, "cell_code_source") for p in _ancestors(n))]
            if CHECK_TAG in _tags(node):
                for output in [c for c in node.children if _is_cell(c, "cell_code_output")]:
                    node.remove(output)
                    pending.append(output)
                continue
            for block in source_nodes:
                source = block.astext()
                if "### BEGIN SOLUTION" not in source:
                    continue
                where = f"{self.env.docname}, line {node.line or '?'}"
                stub = stub_solution_regions(source, where)
                shown = nodes.literal_block(stub, stub, **{k: v for k, v in block.attributes.items()
                                                           if k in ("language", "classes", "linenos")})
                block.replace_self(shown)
                reference = _reference_source(source)
                heading = nodes.paragraph()
                heading += nodes.strong(text="The reference solution")
                code = nodes.literal_block(reference, reference, language=block.get("language", "ipython3"))
                pending.extend([heading, code])
                pending_where = where
        if pending_where is not None:
            logger.error(f"{pending_where}: a code exercise with no solution dropdown after it; "
                         "its reference solution would not appear on the page",
                         location=self.env.docname)


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def _points_option(argument):
    """``:points: 3`` on an {exercise}: what the graded exports (nbgrader, otter) give it.
    The page does not show it; a value that is not a non-negative number stops the build."""
    return exercise_points(argument, "the exercise")


def setup(app: Sphinx) -> dict:
    from sphinx_exercise.directive import ExerciseDirective, ExerciseStartDirective

    for directive in (ExerciseDirective, ExerciseStartDirective):
        directive.option_spec = {**directive.option_spec, "points": _points_option}
    app.add_transform(ExerciseCells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
