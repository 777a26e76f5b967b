"""Shared fixtures: the sample photo, the lesson's filters, a built site."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import convbook

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """The sample photo as the lesson loads it, (H, W) float32 in [0, 1]."""
    return convbook.load_grayscale(convbook.sample_image_path())


@pytest.fixture(scope="session")
def lesson_filters() -> np.ndarray:
    """The lesson's four 4x4 filters, (4, 4, 4)."""
    return convbook.edge_filters()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """Build the whole book once per test run, from scratch, strictly, in every language.

    The build goes into a fresh folder, so nothing comes from the execution
    cache: a changed ``code/`` is always seen. Set ``CONVBOOK_SITE`` to an
    already built ``_build/html`` folder to reuse it while iterating on tests.

    Returns
    -------
    pathlib.Path
        The ``html`` folder of the built site.
    """
    reuse = os.environ.get("CONVBOOK_SITE")
    if reuse:
        return Path(reuse).resolve()
    output = tmp_path_factory.mktemp("book")
    # English, then Korean under html/ko/ from English's execution cache,
    # exactly as `make book` does (scripts/build_book.py).
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
    return output / "_build" / "html"


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
