#!/usr/bin/env python3
"""How fast the kernel playground updates in the browser (for ``make bench``).

Serves the built site under ``/conv-book/`` (as GitHub Pages does), opens the
playground chapter in headless Chromium, types a new weight into one cell of
the kernel ``--edits`` times, and prints the median of the update times the
page measures itself with ``performance.now()``: the convolution of the
640x427 photo plus drawing both feature maps. The budget is 50 ms.

    python scripts/bench_playground.py [--site _build/html] [--edits 20]

When the site has no playground page yet, it first builds the book strictly
into a temporary folder. Exits 1 if the median is over the budget.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "/conv-book/"
PAGE = "book/playground.html"
BUDGET_MS = 50.0
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def serve(site: Path) -> http.server.ThreadingHTTPServer:
    """Serve ``site`` on 127.0.0.1 under :data:`PREFIX`, in a thread."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path):
            if not path.startswith(PREFIX):
                return str(site / "__outside_the_site__")
            return super().translate_path("/" + path[len(PREFIX):])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(page, edits: int = 20) -> list[float]:
    """Type ``edits`` new weights into one cell; return the page's update times (ms)."""
    for i in range(edits):
        page.fill("#cp-w-1-1", str(i % 5 - 2))
    return page.evaluate(f"window.convPlayground.timings.slice(-{edits})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html", help="the built site")
    parser.add_argument("--edits", type=int, default=20, help="edits to time (default 20)")
    args = parser.parse_args(argv)
    if not (args.site / PAGE).is_file():
        output = Path(tempfile.mkdtemp(prefix="bench-playground-"))
        print(f"no playground page at {args.site / PAGE}: building the book into {output}", file=sys.stderr)
        subprocess.run(
            [str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT), "--path-output",
             str(output), "-n", "-W", "--keep-going", "-q"],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )
        args.site = output / "_build" / "html"

    from playwright.sync_api import sync_playwright

    server = serve(args.site.resolve())
    url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}{PAGE}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_selector("#conv-playground[data-ready='true']", timeout=30_000)
            size = page.evaluate("window.convPlayground.snapshot().input")
            timings = measure(page, args.edits)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()

    median = statistics.median(timings)
    print(
        f"playground update, {size['width']}x{size['height']} photo, 4x4 kernel: "
        f"median {median:.1f} ms of {len(timings)} edits "
        f"(min {min(timings):.1f}, max {max(timings):.1f}; budget {BUDGET_MS:.0f} ms)"
    )
    return 0 if median < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
