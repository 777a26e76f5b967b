"""Run a chapter's code cells in a fresh kernel, as a reader would.

    python scripts/run_chapter.py book/filters.md              # every cell
    python scripts/run_chapter.py book/filters.md --visible    # only what a reader sees

With ``--visible`` the hidden cells (tagged ``remove-cell`` or
``remove-input``) are dropped first: the book's rule is that the code cells a
reader sees, taken in order, run on their own, and hidden cells only glue and
assert. Cells tagged ``raises-exception`` may fail; any other error fails the
run. Prints each cell's time, so a slow chapter shows where its time goes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

#: Tags that keep a cell's code off the page.
HIDDEN_TAGS = {"remove-cell", "remove-input"}


def read_chapter(path: Path):
    """The chapter as a notebook, parsed the way myst-nb parses it for the build."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"))


def is_hidden(cell) -> bool:
    return bool(HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])))


def visible_code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code" and not is_hidden(cell)]


class ChapterError(RuntimeError):
    """A cell of a chapter failed."""


def run_chapter(path: Path, visible_only: bool = False, timeout: int = 300, verbose: bool = False) -> float:
    """Execute a chapter's code cells in order in a fresh ``python3`` kernel.

    Parameters
    ----------
    path
        The chapter's MyST Markdown file.
    visible_only
        Drop the hidden cells first (see :data:`HIDDEN_TAGS`).
    timeout
        Seconds one cell may take.
    verbose
        Print each cell's execution time.

    Returns
    -------
    float
        Seconds spent executing.

    Raises
    ------
    ChapterError
        When a cell not tagged ``raises-exception`` raises, naming the cell.
    """
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError

    notebook = read_chapter(path)
    if visible_only:
        notebook.cells = [cell for cell in notebook.cells if cell.cell_type != "code" or not is_hidden(cell)]
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if not code_cells:
        return 0.0
    client = nbclient.NotebookClient(
        notebook, timeout=timeout, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            cell_start = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                raise ChapterError(
                    f"{path.name}: cell {index} ({first_line!r}) failed"
                    f"{' with only the visible cells run' if visible_only else ''}:\n{error}"
                ) from None
            if verbose:
                print(f"  cell {index:3d} {time.perf_counter() - cell_start:6.2f} s  "
                      f"{cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ''}")
    nbformat.validate(notebook)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="+", type=Path, help="book/<chapter>.md files")
    parser.add_argument("--visible", action="store_true", help="run only the cells a reader sees")
    parser.add_argument("--quiet", action="store_true", help="do not print each cell's time")
    args = parser.parse_args()
    failed = 0
    for path in args.chapters:
        print(f"{path}{' (visible cells only)' if args.visible else ''}:", flush=True)
        try:
            seconds = run_chapter(path, visible_only=args.visible, verbose=not args.quiet)
        except ChapterError as error:
            print(error, file=sys.stderr)
            failed += 1
            continue
        print(f"  ok, {seconds:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
