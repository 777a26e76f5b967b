"""Sphinx extension: the package's code listings show the lines that teach.

A chapter shows an implementation of ``convbook`` with
``{literalinclude} ../code/convbook/<module>.py`` and ``:pyobject:``
(the one source of truth: the package's own code). Its docstring and its
input checks are for the package's users, not for the lesson, so a listing of
the package (issue 21):

* shows the object without its docstrings and without the statements that
  only check or normalise the input (:func:`teaching_source`);
* offers the full source right below it, folded (an HTML ``<details>``: no
  script needed, and Chromium's find-in-page opens it).

``:start-at:``, ``:end-at:`` and ``:dedent:`` narrow the shown lines further
to the part of the object that the text explains (:func:`part_of`, say a
function's loop); the folded full source stays whole.

Every ``literalinclude`` of a file under ``code/convbook/`` with
``:pyobject:`` gets this; other listings are left alone. The notebooks
(``convbook_notebooks.py``) show the same two parts.

What counts as an input check (only statements directly in the function's
body, or in a class's methods' bodies):

* ``if ...: raise ...`` with nothing else in it, and a ``for`` loop whose
  body is only such ``if`` statements;
* a call of a checker as a statement of its own (``check_kernel_fits(...)``);
* re-binding an argument to its checked form (``image = as_image(image)``,
  ``size, kernel = as_int(size, ...), as_int(kernel, ...)``).

A checker is a function of ``convbook/_validation.py`` or a private
function named ``_check_...`` or ``_one_...``. The comment lines right above
a dropped statement go with it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from docutils import nodes
from sphinx.directives.code import LiteralInclude

#: The summary of the folded full source, per language (English by default).
SUMMARY = {
    "en": "Full source, with its docstring and input checks",
    "ko": "설명 문서와 입력 검사까지 담은 전체 코드",
}
CLASS = "convbook-full-source"
_PACKAGE = ("code", "convbook")
_CHECKER_NAME = re.compile(r"^_(check|one)_\w+$")
_VALIDATION_MODULE = "_validation"


def _validation_names() -> set[str]:
    path = Path(__file__).resolve().parents[2] / "code" / "convbook" / f"{_VALIDATION_MODULE}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def find_object(tree: ast.Module, dotted: str):
    """The class or function ``dotted`` (``"Net"``, ``"Net.forward"``) of a module, or None."""
    scope, found = tree.body, None
    for name in dotted.split("."):
        found = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.name == name), None)
        if found is None:
            return None
        scope = found.body
    return found


def _call_name(node) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _is_checker(name: str | None, checkers: set[str]) -> bool:
    return name is not None and (name in checkers or bool(_CHECKER_NAME.match(name)))


def _is_raise_only_if(node) -> bool:
    return isinstance(node, ast.If) and not node.orelse and all(isinstance(s, ast.Raise) for s in node.body)


def _is_check(node, checkers: set[str]) -> bool:
    """Whether a statement only checks (or normalises) the function's input."""
    if _is_raise_only_if(node):
        return True
    if isinstance(node, ast.For) and not node.orelse and all(_is_raise_only_if(s) for s in node.body):
        return True
    if isinstance(node, ast.Expr) and _is_checker(_call_name(node.value), checkers):
        return True
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
        pairs = (list(zip(target.elts, value.elts)) if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                 and len(target.elts) == len(value.elts) else [(target, value)])
        if isinstance(target, ast.Tuple) and not isinstance(value, ast.Tuple):
            # a, b = _check_rate(a, b): every name re-bound from one checker call
            names = [t.id for t in target.elts if isinstance(t, ast.Name)]
            args = [a.id for a in getattr(value, "args", []) if isinstance(a, ast.Name)]
            return _is_checker(_call_name(value), checkers) and len(names) == len(target.elts) and names == args
        for t, v in pairs:
            args = getattr(v, "args", [])
            if not (isinstance(t, ast.Name) and _is_checker(_call_name(v), checkers)
                    and args and isinstance(args[0], ast.Name) and args[0].id == t.id):
                return False
        return True
    return False


def _docstring_node(body):
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first
    return None


def _dropped_lines(node, checkers: set[str], lines: list[str]) -> set[int]:
    """The 1-based line numbers of ``node``'s docstrings and input checks (and their comments)."""
    dropped: set[int] = set()
    bodies = [node.body]
    if isinstance(node, ast.ClassDef):
        bodies += [n.body for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for body in bodies:
        for statement in body:
            if statement is _docstring_node(body) or _is_check(statement, checkers):
                span = set(range(statement.lineno, statement.end_lineno + 1))
                above = statement.lineno - 1
                while above >= 1 and lines[above - 1].strip().startswith("#"):
                    span.add(above)
                    above -= 1
                dropped |= span
    return dropped


def teaching_source(source: str, pyobject: str) -> tuple[str, str]:
    """``(shown, full)``: the object's source without and with its docstrings and input checks.

    ``full`` is what ``literalinclude`` with ``:pyobject:`` shows; ``shown``
    is ``full`` less the dropped lines, with no two blank lines in a row and
    none right after a ``def`` or ``class`` line.
    """
    lines = source.splitlines()
    node = find_object(ast.parse(source), pyobject)
    if node is None:
        raise ValueError(f"{pyobject} not found")
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    full = lines[start - 1 : node.end_lineno]
    dropped = _dropped_lines(node, _validation_names(), lines)
    kept: list[str] = []
    for number, line in enumerate(full, start=start):
        if number in dropped:
            continue
        blank = not line.strip()
        if blank and (not kept or not kept[-1].strip() or kept[-1].rstrip().endswith(":")):
            continue  # no double blank lines, no blank line opening a body
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) + "\n", "\n".join(full) + "\n"


def part_of(shown: str, options: dict) -> str:
    """The lines of ``shown`` from ``:start-at:`` to ``:end-at:``, less ``:dedent:`` spaces.

    Each marker is the first line that contains it (the end at or after the
    start); a missing marker is an error, as in Sphinx's ``literalinclude``.
    """
    lines = shown.rstrip("\n").splitlines()
    first, last = 0, len(lines) - 1
    if options.get("start-at"):
        first = next((i for i, line in enumerate(lines) if options["start-at"] in line), None)
        if first is None:
            raise ValueError(f"start-at {options['start-at']!r} not in the shown lines")
    if options.get("end-at"):
        last = next((i for i in range(first, len(lines)) if options["end-at"] in lines[i]), None)
        if last is None:
            raise ValueError(f"end-at {options['end-at']!r} not in the shown lines")
    dedent = int(options.get("dedent") or 0)
    part = lines[first : last + 1]
    if any(line[:dedent].strip() for line in part):
        raise ValueError(f"dedent {dedent} would cut into the code")
    return "\n".join(line[dedent:] for line in part) + "\n"


def is_package_listing(path: str, options: dict) -> bool:
    """Whether a ``literalinclude`` of ``path`` shows an object of the package."""
    parts = Path(path).resolve().parts
    return "pyobject" in options and any(parts[i : i + 2] == _PACKAGE for i in range(len(parts) - 1))


def summary(language: str | None) -> str:
    return SUMMARY.get((language or "en").split("_")[0], SUMMARY["en"])


class PackageLiteralInclude(LiteralInclude):
    """``literalinclude``: for the package's objects, the teaching lines and the full source folded."""

    def run(self):
        result = super().run()
        rel_filename, filename = self.env.relfn2path(self.arguments[0])
        if not is_package_listing(filename, self.options) or len(result) != 1:
            return result
        block = result[0]
        if not isinstance(block, nodes.literal_block):
            return result
        shown, full = teaching_source(Path(filename).read_text(encoding="utf-8"), self.options["pyobject"])
        shown = part_of(shown, self.options)
        if shown == full:
            return result
        teaching = block.deepcopy()
        teaching.children = [nodes.Text(shown)]
        teaching.rawsource = shown
        folded = block.deepcopy()
        folded.children = [nodes.Text(full)]
        folded.rawsource = full
        language = self.env.config.language
        opening = nodes.raw("", f'<details class="{CLASS}"><summary>{summary(language)}</summary>\n',
                            format="html")
        closing = nodes.raw("", "</details>\n", format="html")
        return [teaching, opening, folded, closing]


def setup(app):
    app.add_directive("literalinclude", PackageLiteralInclude, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
