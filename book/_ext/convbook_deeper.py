"""Sphinx extension: the deep dives ("Going deeper: ...") set apart.

A chapter marks a deep dive with a heading of its own whose English title
starts with ``Going deeper:`` (in the catalogs, "더 깊이: ..."). Such a
section, down to the next heading of the same or a higher level, is optional:
the main path reads, and runs, completely without it. This extension

* gives each such section the class ``going-deeper`` (before the page is
  translated, so the Korean page gets it too); ``book/_static/convbook.css``
  and ``print.css`` set it apart with a rule and a tint. The section stays
  open: find-in-page, print and screen readers reach it;
* checks every chapter's source as it is read: a code cell of the main path
  (any cell outside a going-deeper section, hidden ones included) must not
  use a name whose latest definition before it is in a going-deeper cell.
  A reader who skips the deep dive, in the page or in the notebook, would
  get a ``NameError`` (or another value). The check is a build warning, so
  the strict build fails (``tests/test_going_deeper.py`` runs it too).
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: The English title's prefix that makes a section a deep dive.
PREFIX = "Going deeper:"
CLASS = "going-deeper"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(`{3,}|~{3,}|:{3,})")
_BUILTINS = set(dir(builtins)) | {"display", "get_ipython", "__file__"}


class MarkGoingDeeper(SphinxTransform):
    """Adds the class ``going-deeper`` to every section titled "Going deeper: ...".

    Runs before Sphinx's ``Locale`` transform (priority 20) so that it sees
    the English title in every language.
    """

    default_priority = 15

    def apply(self, **kwargs) -> None:
        for section in self.document.findall(nodes.section):
            title = section.next_node(nodes.title)
            if title is not None and title.astext().startswith(PREFIX) and CLASS not in section["classes"]:
                section["classes"].append(CLASS)


@dataclass
class Cell:
    """One code cell of a chapter: its source, where it starts, whether it is in a deep dive."""

    source: str
    line: int
    deeper: str | None  # the going-deeper section's title, None on the main path
    tags: list[str] = field(default_factory=list)


def _code_body(lines: list[str]) -> tuple[list[str], list[str]]:
    """A code cell's Python lines (options and front matter blanked) and its tags."""
    body, tags = list(lines), []
    i = 0
    if body and body[0].strip() == "---":
        end = next((j for j in range(1, len(body)) if body[j].strip() == "---"), 0)
        for j in range(end + 1):
            tags += re.findall(r"[\w-]+", body[j].split("tags:", 1)[1]) if "tags:" in body[j] else []
            body[j] = ""
        i = end + 1
    while i < len(body) and body[i].startswith(":"):
        if body[i].startswith(":tags:"):
            tags += re.findall(r"[\w-]+", body[i][len(":tags:"):])
        body[i] = ""
        i += 1
    # IPython's magics and shell lines are not Python.
    body = ["" if line.lstrip().startswith(("%", "!")) else line for line in body]
    return body, tags


def code_cells(text: str) -> list[Cell]:
    """The code cells of a MyST chapter in order, each with the deep dive it belongs to."""
    cells: list[Cell] = []
    sections: list[tuple[int, str | None]] = []  # the open headings: (level, deep-dive title or None)
    lines = text.splitlines()
    i = 0
    if lines and lines[0].strip() == "---":  # the page's front matter
        i = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), 0) + 1
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            marker = fence.group(1)
            closing = re.compile(rf"^{re.escape(marker[0])}{{{len(marker)},}}\s*$")
            end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), len(lines))
            if line[len(marker):].strip().startswith("{code-cell}"):
                body, tags = _code_body(lines[i + 1:end])
                deeper = next((title for _, title in reversed(sections) if title), None)
                cells.append(Cell("\n".join(body), i + 2, deeper, tags))
            i = end + 1
            continue
        heading = _HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), heading.group(2)
            while sections and sections[-1][0] >= level:
                sections.pop()
            sections.append((level, title if title.startswith(PREFIX) else None))
        i += 1
    return cells


def _bound_and_used(source: str) -> tuple[set[str], set[str]]:
    """The names a cell binds at its top level, and the names it reads but does not bind itself.

    Names bound inside a function, class, lambda or comprehension are local:
    they bind nothing for later cells.
    """
    tree = ast.parse(source)
    bound: set[str] = set()
    local: set[str] = set()
    used: set[str] = set()
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
              ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

    def visit(node: ast.AST, inner: bool) -> None:
        names = local if inner else bound
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else names).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        for child in ast.iter_child_nodes(node):
            visit(child, inner or isinstance(node, scopes))

    visit(tree, False)
    return bound, used - bound - local - _BUILTINS


def main_path_violations(text: str) -> list[tuple[int, str, str]]:
    """(line, name, deep dive) for each main-path cell's use of a name a deep dive defined last.

    A name counts as the deep dive's when the latest cell before the use that
    binds it is in a going-deeper section; a cell that binds the name itself
    does not depend on it.
    """
    last_binding: dict[str, str | None] = {}  # name -> deep-dive title of its latest binding (None: main path)
    found: list[tuple[int, str, str]] = []
    for cell in code_cells(text):
        try:
            bound, used = _bound_and_used(cell.source)
        except SyntaxError:
            continue  # a deliberate syntax error is the build's business, not this check's
        if cell.deeper is None:
            found += [(cell.line, name, last_binding[name]) for name in sorted(used)
                      if last_binding.get(name)]
        for name in bound:
            last_binding[name] = cell.deeper
    return found


def check_main_path(app, docname: str, source: list[str]) -> None:
    """``source-read``: warn (a strict build fails) where the main path needs a deep dive."""
    text = source[0]
    if "{code-cell}" not in text:
        return
    for line, name, deeper in main_path_violations(text):
        logger.warning(
            f"main-path code cell uses {name!r}, defined only in the section {deeper!r}: "
            "define it on the main path, or move the cell into that section",
            location=(docname, line), type="convbook", subtype="going-deeper",
        )


def setup(app):
    app.add_transform(MarkGoingDeeper)
    app.connect("source-read", check_main_path)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
