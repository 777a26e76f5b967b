"""Sphinx extension: execute the chapters in parallel before Sphinx reads them.

MyST-NB executes a notebook while Sphinx reads its page, one page after
another, and Jupyter Book 1's command line cannot run Sphinx in parallel. So
a clean build's time was the *sum* of the chapters' execution times. This
extension runs first: when Sphinx is about to read the pages
(``env-before-read-docs``), it executes every notebook page that the
execution cache does not hold yet, several kernels at a time, and stores the
results in the same cache (MyST-NB's ``execution_cache_path``) with jupyter-cache's
own functions. MyST-NB then finds every page in the cache and only renders.

Nothing changes in what the book shows: the notebooks are read with MyST-NB's
reader, executed with jupyter-cache's ``single_nb_execution`` exactly as
MyST-NB's cache mode does, in the page's folder. A notebook that fails is not
cached; MyST-NB then executes it again itself and reports the error as
always, so a failing cell still fails the strict build with its traceback.

Only active with ``execute_notebooks: cache`` (``nb_execution_mode``).
``CONVBOOK_EXECUTION_WORKERS`` sets the number of kernels at a time
(default: the number of CPU cores, at least 2). When
``CONVBOOK_CACHE_READY`` names a file, it is touched once the cache is
filled (``scripts/build_book.py`` then starts the translations' builds).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _workers() -> int:
    configured = os.environ.get("CONVBOOK_EXECUTION_WORKERS")
    if configured:
        return max(1, int(configured))
    return max(2, os.cpu_count() or 1)


def _notebook_pages(app, docnames) -> list[tuple[str, Path]]:
    from myst_nb.core.read import is_myst_markdown_notebook

    pages = []
    for docname in sorted(docnames):
        path = Path(app.env.doc2path(docname))
        if path.suffix == ".md" and is_myst_markdown_notebook(path.read_text(encoding="utf-8")):
            pages.append((docname, path))
    return pages


def _execute(path: Path, timeout: int, allow_errors: bool):
    """Read and execute one page's notebook as MyST-NB's cache mode does."""
    from jupyter_cache.executors.utils import single_nb_execution
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(path.read_text(encoding="utf-8"))
    result = single_nb_execution(
        notebook, cwd=str(path.parent), timeout=timeout, allow_errors=allow_errors, meta_override=True
    )
    return notebook, result


def execute_uncached(app, env, docnames) -> None:
    try:
        _execute_uncached(app, env, docnames)
    finally:
        # scripts/build_book.py starts the translations' builds on this signal:
        # from now on they find every page in the cache.
        ready = os.environ.get("CONVBOOK_CACHE_READY")
        if ready:
            Path(ready).touch()


def _execute_uncached(app, env, docnames) -> None:
    # MyST-NB's resolved settings (it fills in the cache path at builder-inited).
    config = getattr(env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache" or not docnames:
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from myst_nb.core.read import read_myst_markdown_notebook

    cache = get_cache(config.execution_cache_path)
    todo = []
    for docname, path in _notebook_pages(app, docnames):
        notebook = read_myst_markdown_notebook(path.read_text(encoding="utf-8"))
        if not any(cell.cell_type == "code" for cell in notebook.cells):
            continue
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo.append((docname, path))
    if not todo:
        return
    workers = min(_workers(), len(todo))
    if workers > 1:
        # One thread per kernel: several kernels at a time already fill the
        # cores, and PyTorch's or OpenBLAS's own threads would only compete.
        # Set before any kernel starts, so every kernel of this build (and
        # MyST-NB's own, for a page it executes again) runs the same way.
        for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(variable, "1")
    logger.info(f"[convbook] executing {len(todo)} notebooks, {workers} kernels at a time")
    start = time.perf_counter()
    serial_sum = 0.0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(_execute, path, config.execution_timeout, config.execution_allow_errors): (docname, path)
            for docname, path in todo
        }
        for done, future in enumerate(as_completed(futures), start=1):
            docname, path = futures[future]
            notebook, result = future.result()
            if result.err is not None:
                # Not cached: MyST-NB executes it again and reports the error.
                logger.info(f"[convbook] {done}/{len(todo)} {docname}: failed ({type(result.err).__name__})")
                continue
            serial_sum += result.time
            # Cache writes happen here, in one thread: SQLite has one writer.
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, str(path), data={"execution_seconds": result.time}),
                check_validity=False,
                overwrite=True,
            )
            logger.info(f"[convbook] {done}/{len(todo)} {docname}: {result.time:.1f} s")
    wall = time.perf_counter() - start
    logger.info(
        f"[convbook] executed in {wall:.1f} s wall clock; the notebooks' own times add up to "
        f"{serial_sum:.1f} s (ratio {wall / serial_sum if serial_sum else 0:.2f})"
    )


def setup(app):
    # The cache's other half: emptied when the package changed, and every
    # page read again when the build's extensions or templates changed
    # (book/_ext/convbook_freshness.py).
    app.setup_extension("convbook_freshness")
    app.connect("env-before-read-docs", execute_uncached)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
