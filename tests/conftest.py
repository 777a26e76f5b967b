"""Shared fixtures: the sample photo, the lesson's filters, a built site."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import convbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from convbook_translation import book_languages  # noqa: E402

#: The book's languages, ``languages:`` in ``_config.yml``: English first, at
#: the site's root, each other one under ``<code>/``. The tests follow them.
LANGUAGES = book_languages(ROOT / "_config.yml")
#: The translated editions, their folders in the site.
TRANSLATIONS = LANGUAGES[1:]
#: The tests of the Korean edition itself (its words, catalogs and search):
#: a fork that takes Korean out of ``languages:`` has no Korean to test.
korean_edition = pytest.mark.skipif("ko" not in LANGUAGES, reason="Korean is not in `languages:` (_config.yml)")


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """The sample photo as the lesson loads it, (H, W) float32 in [0, 1]."""
    return convbook.load_grayscale(convbook.sample_image_path())


@pytest.fixture(scope="session")
def lesson_filters() -> np.ndarray:
    """The lesson's four 4x4 filters, (4, 4, 4)."""
    return convbook.edge_filters()


@pytest.fixture(scope="session")
def site(request, tmp_path_factory) -> Path:
    """Build the whole book once per test run, from scratch, strictly, in every language.

    The build goes into a fresh folder, so nothing comes from the execution
    cache: a changed ``code/`` is always seen. Set ``CONVBOOK_SITE`` to an
    already built ``_build/html`` folder to reuse it while iterating on tests.
    Once it is built, the slow work that only reads it (:func:`after_the_build`)
    starts in the background.

    Returns
    -------
    pathlib.Path
        The ``html`` folder of the built site.
    """
    reuse = os.environ.get("CONVBOOK_SITE")
    if reuse:
        html = Path(reuse).resolve()
    else:
        output = tmp_path_factory.mktemp("book")
        # English, then each translation (Korean) under html/<code>/ from
        # English's execution cache, exactly as `make book` does
        # (scripts/build_book.py).
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build_book.py"), "--path-output", str(output)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        log = output / "build.log"
        log.write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
            pytest.fail(f"strict book build failed (exit {result.returncode}); log tail:\n{tail}")
        html = output / "_build" / "html"
    for language in TRANSLATIONS:
        assert (html / language / "index.html").is_file(), (
            f"the site has no {language!r} edition ({html / language} is missing), though `languages:` in "
            "_config.yml names it: build every language (scripts/build_book.py)")
    wanted = request.config.stash.get(_WANTED, set())
    _start_in_background([name for name in _AFTER_THE_BUILD if name in wanted], html, tmp_path_factory)
    return html


# --- Slow work on the built site, started as soon as it exists (issue 10) ----
#
# LinkChecker, the PDF, the fork's build and the gettext extraction each read
# the built site and wait on one program that mostly uses one core, while the
# tests before theirs keep the other core busy or wait on a browser. So each
# starts in a thread of its own as soon as the site is built (only when a
# selected test needs it), and its fixture collects the result, or runs it
# there and then when it never started. Each writes only into its own folder.

#: Work registered with :func:`after_the_build`: fixture name -> function(site, tmp_path_factory).
_AFTER_THE_BUILD: dict[str, Callable] = {}
_STARTED: dict[str, Future] = {}
_WANTED = pytest.StashKey[set]()


def after_the_build(fixture: str) -> Callable:
    """Register ``function(site, tmp_path_factory)`` as the slow part of ``fixture``.

    The fixture gets its result from :func:`result_of_work_on_the_site`.
    """
    def register(function: Callable) -> Callable:
        _AFTER_THE_BUILD[fixture] = function
        return function

    return register


def _start_in_background(names: list[str], site: Path, tmp_path_factory) -> None:
    names = [name for name in names if name not in _STARTED]
    if not names:
        return
    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="after-the-build")
    for name in names:
        _STARTED[name] = pool.submit(_AFTER_THE_BUILD[name], site, tmp_path_factory)
    pool.shutdown(wait=False)


def result_of_work_on_the_site(fixture: str, site: Path, tmp_path_factory):
    """The result of the work registered for ``fixture``: waited for, or done now."""
    future = _STARTED.pop(fixture, None)
    if future is not None:
        return future.result()
    return _AFTER_THE_BUILD[fixture](site, tmp_path_factory)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Remember which background work the selected tests need."""
    used = set().union(*(item.fixturenames for item in items)) if items else set()
    config.stash[_WANTED] = used


# --- Serving the site and driving a browser --------------------------------

#: The sub-path a GitHub Pages project site is served under.
SITE_PREFIX = "/conv-book/"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Flags that keep headless Chromium off the (closed) network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def site_url(site):
    """Serve the built site on 127.0.0.1 under ``/conv-book/``; yield its URL."""
    import functools
    import http.server
    import threading

    class SubPathHandler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path):
            if not path.startswith(SITE_PREFIX):
                return str(site / "__outside_the_site__")
            return super().translate_path("/" + path[len(SITE_PREFIX):])

        def log_message(self, *args):  # keep pytest's output readable
            pass

    handler = functools.partial(SubPathHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{SITE_PREFIX}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium, driven by Playwright (never skipped)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"Chromium not found at {CHROMIUM}: `make test` installs Debian's "
        "chromium package; set CHROMIUM to use another binary"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The pinned axe-core script from node_modules (installed by `make setup`)."""
    path = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    assert path.is_file(), f"{path} is missing: run `make setup` (npm ci)"
    return path.read_text()
