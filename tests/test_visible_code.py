"""The visible-code rule: what a reader sees runs on its own.

The code cells a reader sees, taken in order, run without error in a fresh
kernel. Hidden cells (``remove-cell``, ``remove-input``) only glue and assert:
they define nothing that visible code uses, and only they import ``myst_nb``.
Each chapter runs here with its hidden cells dropped, exactly as a reader
who copies the page's code would run it.
"""

from __future__ import annotations

import ast
import sys
from concurrent.futures import ThreadPoolExecutor
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


@pytest.fixture(scope="module")
def visible_runs() -> dict[str, str | None]:
    """Run every chapter's visible cells, two kernels at a time (2-core CI).

    Returns ``{page: None}`` for a chapter that ran, or the error message.
    """

    def run(page: str) -> str | None:
        try:
            run_chapter(ROOT / f"{page}.md", visible_only=True)
        except ChapterError as error:
            return str(error)
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CHAPTERS, pool.map(run, CHAPTERS)))


@pytest.mark.parametrize("page", CHAPTERS)
def test_visible_cells_run_alone_in_a_fresh_kernel(visible_runs, page):
    error = visible_runs[page]
    assert error is None, error


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
