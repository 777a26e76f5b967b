"""Every number in the prose is glued through a check, and a wrong one fails.

The rule: a chapter puts a number into its text only with
``convbook.prose.glue_checked(key, value, expected)``, in a hidden cell,
where ``expected`` reaches the same quantity another way. These tests check
the rule statically for every chapter (``expected`` may not repeat
``value``'s computation: not the same expression up to copies and
conversions, not one call on the same arguments, not the same method on the
same variable's data), and prove it works by planting a wrong value in a
copy of a chapter and running it as the build does.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from run_chapter import ChapterError, is_hidden, read_chapter, run_chapter  # noqa: E402
from test_book import toc_pages  # noqa: E402
from test_visible_code import python_source  # noqa: E402

GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)(?::[^`]*)?`")


@dataclass
class GlueCall:
    key: str  # a regular expression for f-string keys
    cell_source: str
    call: ast.Call
    hidden: bool

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(python_source(self.cell_source), node)


def _key_pattern(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value)
    if isinstance(node, ast.JoinedStr):  # f"zero_share_{i + 1}"
        return "".join(
            re.escape(part.value) if isinstance(part, ast.Constant) else ".+" for part in node.values
        )
    return None


def glue_calls(page: str) -> tuple[list[GlueCall], list[str]]:
    """The chapter's ``glue_checked`` calls, and a description of each plain ``glue`` call."""
    checked, plain = [], []
    for cell in read_chapter(ROOT / f"{page}.md").cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(python_source(cell.source))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "glue":
                plain.append(ast.get_source_segment(python_source(cell.source), node) or "glue(...)")
            elif name == "glue_checked" and node.args:
                checked.append(GlueCall(_key_pattern(node.args[0]) or "", cell.source, node, is_hidden(cell)))
    return checked, plain


def prose_keys(page: str) -> set[str]:
    return set(GLUE_ROLE.findall((ROOT / f"{page}.md").read_text(encoding="utf-8")))


PAGES = [page for page in toc_pages() if prose_keys(page) or glue_calls(page)[0] or glue_calls(page)[1]]


def test_the_book_glues_numbers():
    assert len(PAGES) >= 10


@pytest.mark.parametrize("page", PAGES)
def test_every_glue_is_checked_in_a_hidden_cell(page):
    checked, plain = glue_calls(page)
    assert not plain, f"{page}: plain glue call(s), use convbook.prose.glue_checked: {plain}"
    for call in checked:
        assert call.hidden, f"{page}: glue_checked({call.key}) in a visible cell"
        assert len(call.call.args) >= 3, f"{page}: glue_checked({call.key}) has no independent value"
        value, expected = call.call.args[1], call.call.args[2]
        same = same_computation(value, expected)
        assert not same, (
            f"{page}: glue_checked({call.key}) checks {call.segment(value)!r} against "
            f"{call.segment(expected)!r}, not an independent route: {same}"
        )


#: Calls that change a value's type or make a copy, not what it is.
NO_OP_FUNCTIONS = {"float", "int", "str", "bool", "asarray", "array", "tensor", "as_tensor",
                   "from_numpy", "LatexString"}
NO_OP_METHODS = {"item", "numpy", "detach", "clone", "copy", "tolist", "cpu", "contiguous",
                 "ravel", "flatten", "squeeze"}
#: Names of modules, whose functions are not data.
MODULES = {"np", "numpy", "torch", "F", "nn", "cv2", "math"}


class _StripNoOps(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in NO_OP_METHODS and not node.args:
            return func.value
        name = getattr(func, "id", None) or getattr(func, "attr", None)
        if name in NO_OP_FUNCTIONS and len(node.args) == 1 and not node.keywords:
            return node.args[0]
        return node


def _data_root(node: ast.AST) -> str | None:
    """The variable a chain like ``result.model[0].weight`` (or ``np.abs(x)``) starts from."""
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and _data_root(node.func.value) in MODULES:
                if not node.args:
                    return None
                node = node.args[0]  # np.abs(x): the data is x
            else:
                node = node.func
        else:
            return node.id if isinstance(node, ast.Name) else None


def _computations(node: ast.AST) -> set[tuple]:
    """Each call of an expression, and each method applied to a variable's data."""
    found = set()
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        found.add(("the call", ast.unparse(sub)))
        if isinstance(sub.func, ast.Attribute):
            root = _data_root(sub.func.value)
            if root and root not in MODULES:
                found.add((f".{sub.func.attr}() of", root))
    return found


def same_computation(value: ast.AST, expected: ast.AST) -> list[str]:
    """How ``expected`` repeats ``value``'s computation on the same data; empty if it does not.

    Both are compared after removing conversions and copies (``float``,
    ``.item()``, ``.clone()``, ``.detach()``, ...). They repeat each other if
    they are then the same expression, if one call (function and arguments)
    appears in both, or if both apply the same method to data reached from
    the same variable (``result.filters.min()`` and
    ``result.model[0].weight.min()``: one set of weights, one ``min``).
    """
    value, expected = (_StripNoOps().visit(ast.parse(ast.unparse(node), mode="eval").body)
                       for node in (value, expected))
    if ast.dump(value) == ast.dump(expected):
        return [f"the same expression {ast.unparse(value)!r}"]
    return sorted(" ".join(item) for item in _computations(value) & _computations(expected))


@pytest.mark.parametrize("value, expected, independent", [
    ("w.min()", "w.clone().min()", False),
    ("float(w.min())", "w.min().item()", False),
    ("result.filters.min()", "float(result.model[0].weight.min())", False),
    ("int(np.count_nonzero(predict(model, x) == y))", "predict(model, x).eq(y).sum()", False),
    ("float(np.abs(a).max())", "float(np.abs(b).max())", True),
    ("result.filters.min()", "min(float(v) for v in result.model[0].weight.flatten().tolist())", True),
    ("height", "maps.shape[1] + 4 - 1", True),
])
def test_the_rule_catches_the_same_call_on_the_same_data(value, expected, independent):
    same = same_computation(ast.parse(value, mode="eval").body, ast.parse(expected, mode="eval").body)
    assert (not same) == independent, same


@pytest.mark.parametrize("page", PAGES)
def test_every_number_in_the_prose_is_glued_checked(page):
    patterns = [call.key for call in glue_calls(page)[0]]
    for key in prose_keys(page):
        assert any(re.fullmatch(pattern, key) for pattern in patterns), (
            f"{page}: {{glue:text}}`{key}` is not glued by a glue_checked call in this chapter"
        )


def plant_wrong_value(page: str, key: str, tmp_path: Path) -> Path:
    """A copy of the chapter whose ``key`` is glued from a wrong value."""
    text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    call = next(c for c in glue_calls(page)[0] if re.fullmatch(c.key, key))
    original = call.segment(call.call)
    value = call.segment(call.call.args[1])
    planted = original.replace(value, f"(({value}) * 2 + 1)", 1)
    assert original in text and planted != original
    copy = tmp_path / "book" / f"{Path(page).name}.md"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(text.replace(original, planted, 1), encoding="utf-8")
    return copy


@pytest.mark.parametrize("page, key", [("book/filters", "out_w"), ("book/why-convolution", None)])
def test_a_planted_wrong_glue_value_fails_the_chapter(tmp_path, page, key):
    # Executing the chapter is what the build does first; with
    # raise_on_error, a failing cell fails the strict build.
    if key is None:
        key = next(call.key for call in glue_calls(page)[0] if not call.key.count(".+"))
        key = key.replace("\\", "")
    copy = plant_wrong_value(page, key, tmp_path)
    with pytest.raises(ChapterError, match="GlueCheckError"):
        run_chapter(copy)
