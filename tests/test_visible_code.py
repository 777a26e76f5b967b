"""The visible-code rule: what a reader sees runs on its own.

The code cells a reader sees, taken in order, run without error in a fresh
kernel. Hidden cells (``remove-cell``, ``remove-input``) only glue and assert:
they define nothing that visible code uses, and only they import ``myst_nb``.
Each chapter's notebook is its visible cells after an install cell, the
solutions' cells moved to the end (issue 18: a notebook shows no answer under
its exercise), and ``tests/test_notebooks.py`` runs every notebook in a fresh
kernel: that is the chapter run with its hidden cells dropped and its
solutions last, as a reader of the notebook runs it.
``scripts/run_chapter.py --visible`` runs a chapter's visible cells in the
page's order.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from run_chapter import ChapterError, read_chapter, run_chapter, visible_code_cells  # noqa: E402
from test_book import toc_pages  # noqa: E402


def chapters_with_code() -> list[str]:
    return [page for page in toc_pages() if visible_code_cells(read_chapter(ROOT / f"{page}.md"))]


CHAPTERS = chapters_with_code()


def python_source(cell_source: str) -> str:
    """A cell's code without IPython magics, which ``ast`` cannot parse."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.splitlines())


def names_used_by_glue(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [alias.name for alias in node.names]
            if (module or "").startswith("myst_nb") or any(name.startswith("myst_nb") for name in names):
                found.append("import of myst_nb")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "glue":
            found.append("a glue(...) call")
    return found


#: Where a solution starts and ends in a chapter's MyST source (plain or gated).
SOLUTION_MARK = re.compile(r"^ *(?:`{3,}|:{3,})\{(?P<mark>solution-start|solution-end|solution)\}", re.M)


def in_notebook_order(chapter) -> tuple[list[str], list[str]]:
    """A chapter's visible code cells as its notebook orders them: the page's, then the solutions'.

    A code cell belongs to a solution when the last solution mark in the
    Markdown before it opens one (``{solution-start}``) rather than closing
    it (``{solution-end}``). A plain ``{solution}`` directive holds no code cell.
    """
    page, solutions = [], []
    inside = False
    visible = {id(cell) for cell in visible_code_cells(chapter)}
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            marks = [m["mark"] for m in SOLUTION_MARK.finditer(cell.source) if m["mark"] != "solution"]
            if marks:
                inside = marks[-1] == "solution-start"
        elif id(cell) in visible:
            (solutions if inside else page).append(cell.source)
    return page, solutions


def test_chapters_are_found():
    # The lesson's chapters and the chapters beyond it all have code.
    assert len(CHAPTERS) >= 10


@pytest.mark.parametrize("page", CHAPTERS)
def test_visible_cells_do_not_glue(page):
    for cell in visible_code_cells(read_chapter(ROOT / f"{page}.md")):
        found = names_used_by_glue(ast.parse(python_source(cell.source)))
        assert not found, (
            f"{page}: a visible cell contains {found[0]}; glue belongs in a hidden "
            f"(remove-cell) cell:\n{cell.source[:300]}"
        )


@pytest.mark.parametrize("page", CHAPTERS)
def test_the_chapters_notebook_is_its_visible_code(site, page):
    """The downloadable notebook is exactly the visible cells after its install cell, solutions last.

    ``tests/test_notebooks.py`` runs every notebook in a fresh kernel of a
    bare environment (``test_every_notebook_runs_after_its_install_cell``):
    with this, that run is the run of each chapter's visible cells alone, so
    the chapters are not executed a second time here.
    """
    import nbformat

    notebook = nbformat.read(site / "notebooks" / f"{Path(page).name}.ipynb", as_version=4)
    # The code before the notebook's "Solutions" heading, and after it.
    heading = next((i for i, cell in enumerate(notebook.cells) if cell.source == "## Solutions"), len(notebook.cells))
    code, solutions_code = ([cell.source for cell in cells if cell.cell_type == "code"]
                            for cells in (notebook.cells[:heading], notebook.cells[heading:]))
    visible, solutions = in_notebook_order(read_chapter(ROOT / f"{page}.md"))
    assert code and "\"pip\", \"install\"" in code[0], f"{page}: the notebook does not start with its install cell"
    assert code[1:] == visible, f"{page}: the notebook's code cells are not the chapter's visible cells"
    assert solutions_code == solutions, f"{page}: the solutions' code is not under the notebook's Solutions heading"


def test_a_chapter_that_breaks_the_rule_is_caught(tmp_path):
    # The check itself: a visible cell that uses a name only a hidden cell
    # defines must fail, while the full chapter runs.
    chapter = tmp_path / "broken.md"
    chapter.write_text(
        "---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n# Broken\n\n"
        "```{code-cell} ipython3\n:tags: [remove-cell]\nhidden_value = 41\n```\n\n"
        "```{code-cell} ipython3\nprint(hidden_value + 1)\n```\n"
    )
    run_chapter(chapter)  # with the hidden cell, it runs
    with pytest.raises(ChapterError, match="hidden_value"):
        run_chapter(chapter, visible_only=True)


def test_a_visible_glue_import_is_caught():
    tree = ast.parse(python_source("%matplotlib inline\nfrom myst_nb import glue\nglue('x', 1)"))
    assert names_used_by_glue(tree) == ["import of myst_nb", "a glue(...) call"]
