"""Sphinx extension: a build notices what changed outside the pages (issue 25).

Sphinx reads a page again when the page changed, and MyST-NB executes it
again when its code changed; neither sees the two other things a page's
output depends on. This extension fingerprints them:

* **The package** ``convbook`` (``code/convbook``, where the chapters import
  it from): when its source differs from the one the execution cache was
  filled with, the cache is emptied and every page is read again, so every
  chapter executes again and every figure is redrawn. The fingerprint the
  cache was filled with is kept in the cache's folder
  (:data:`CACHE_FINGERPRINT`). A package edit costs the chapters' execution,
  not a ``make clean`` that also throws away the rest.
* **The build's own code and files**, ``book/_ext``, ``book/_templates``,
  ``book/_static`` and ``book/_extra``: a change makes Sphinx read and write
  every page again (a configuration value of rebuild kind ``env``), so no
  page keeps what an older extension or template made of it. Sphinx copies
  the static and extra files only when it writes some page: without this, a
  stylesheet or script edited alone never reached the site.

A fingerprint is the SHA-256 of the files' relative paths and bytes
(``__pycache__`` aside): editing a file, adding one or removing one
changes it; touching one does not. Set up by
``convbook_parallel_execution`` (the extension that fills the cache).
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
#: What the pages' rendering depends on besides the pages: the extensions, the templates,
#: and the files copied beside the pages.
BUILD_FOLDERS = (HERE, *(HERE.parent / name for name in ("_templates", "_static", "_extra")))
#: The file in the execution cache's folder that names the package it was filled with.
CACHE_FINGERPRINT = "convbook-package.sha256"


def beside_the_execution_cache(app, name: str) -> Path:
    """A folder ``name`` next to the execution cache that every build of the book shares.

    The Korean, PDF and fork builds read English's execution cache, so what
    is kept here (optimised PNGs, the lab's trained export) is found by all
    of them; without a configured cache, next to the build's doctrees.
    """
    settings = getattr(app.env, "mystnb_config", None)
    cache = getattr(settings, "execution_cache_path", "") if settings is not None else ""
    cache = cache or getattr(app.config, "nb_execution_cache_path", "")
    return (Path(cache).parent if cache else Path(app.doctreedir).parent) / name


def fingerprint(folders) -> str:
    """SHA-256 of every file under ``folders`` (relative path and bytes), ``__pycache__`` aside."""
    digest = hashlib.sha256()
    for number, folder in enumerate(folders):
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(f"{number}:{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def package_folder() -> Path | None:
    """The folder of the ``convbook`` the chapters' kernels import (this process's import path)."""
    spec = importlib.util.find_spec("convbook")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).resolve().parent


def add_fingerprints(app, config) -> None:
    folder = package_folder()
    config.convbook_package_fingerprint = fingerprint([folder]) if folder else ""
    config.convbook_build_fingerprint = fingerprint(BUILD_FOLDERS)


def empty_a_stale_cache(app, env, docnames) -> None:
    """Empty the execution cache when it was filled with another ``convbook`` (before anything executes)."""
    settings = getattr(env, "mystnb_config", None)
    if settings is None or settings.execution_mode != "cache" or not settings.execution_cache_path:
        return
    cache = Path(settings.execution_cache_path)
    stamp = cache / CACHE_FINGERPRINT
    current = app.config.convbook_package_fingerprint
    recorded = stamp.read_text().strip() if stamp.is_file() else None
    if recorded == current:
        return
    if cache.is_dir() and any(path.name != CACHE_FINGERPRINT for path in cache.iterdir()):
        logger.info(f"[convbook] the package convbook changed since the execution cache was filled: "
                    f"emptying {cache}, every chapter executes again")
        shutil.rmtree(cache)
        # Every page, not only those Sphinx found changed, executes and is read again.
        docnames.extend(sorted(set(env.found_docs) - set(docnames)))
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")


def setup(app):
    # Kind "env": a change reads every page again (Sphinx compares them
    # with the values the stored pages were read with).
    app.add_config_value("convbook_package_fingerprint", "", "env")
    app.add_config_value("convbook_build_fingerprint", "", "env")
    app.connect("config-inited", add_fingerprints)
    # Before convbook_parallel_execution (priority 500) executes anything.
    app.connect("env-before-read-docs", empty_a_stale_cache, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
