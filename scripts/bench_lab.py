#!/usr/bin/env python3
"""How fast the CNN lab answers in the browser (for ``make bench``).

Serves the built site under ``/conv-book/`` (as GitHub Pages does), opens the
lab (``book/lab.md``) in headless Chromium and prints two medians, each of
times the page measures itself with ``performance.now()``:

* **a drawing's update**, from the pointer event to the input, the 80 maps
  and the bars drawn (the canvas read back, the preprocessing, the forward
  pass, the drawing calls), over a stroke of ``--moves`` pointer moves;
  budget 16 ms (one frame at 60 Hz);
* **the test accuracy after an edit**, all test digits through the edited
  network, over ``--edits`` edits of a weight; budget 200 ms.

    python scripts/bench_lab.py [--site _build/html] [--moves 40] [--edits 10]

Exits 1 if a median is over its budget. Build the site first
(``scripts/build_book.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_playground import CHROMIUM, CHROMIUM_ARGS, PREFIX, serve  # noqa: E402

PAGE = "book/lab.html"
UPDATE_BUDGET_MS = 16.0
ACCURACY_BUDGET_MS = 200.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html", help="the built site")
    parser.add_argument("--moves", type=int, default=40, help="pointer moves to time (default 40)")
    parser.add_argument("--edits", type=int, default=10, help="weight edits to time (default 10)")
    args = parser.parse_args(argv)
    if not (args.site / PAGE).is_file():
        print(f"no lab page at {args.site / PAGE}: build the book first (scripts/build_book.py)", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    server = serve(args.site.resolve())
    url = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}{PAGE}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_selector("#conv-lab[data-ready='true']", timeout=30_000)
            canvas = page.locator("#conv-lab canvas.cl-canvas")
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            before = page.evaluate("window.convLab.timings.length")
            page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.2 * box["height"])
            page.mouse.down()
            for i in range(args.moves):  # a zigzag down the square, one frame per move
                x = 0.3 + 0.4 * (i % 2)
                y = 0.2 + 0.6 * i / args.moves
                page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
                page.wait_for_timeout(20)
            page.mouse.up()
            updates = page.evaluate(f"window.convLab.timings.slice({before})")
            accuracy = []
            for i in range(args.edits):
                page.fill("#cl-cell-4", str(0.5 * (i + 1)))
                accuracy.append(page.evaluate("window.convLab.snapshot().accuracyMs"))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()

    update_median, accuracy_median = statistics.median(updates), statistics.median(accuracy)
    print(f"lab update while drawing: median {update_median:.1f} ms of {len(updates)} updates "
          f"(min {min(updates):.1f}, max {max(updates):.1f}; budget {UPDATE_BUDGET_MS:.0f} ms)")
    print(f"lab test accuracy after an edit: median {accuracy_median:.1f} ms of {len(accuracy)} edits "
          f"(min {min(accuracy):.1f}, max {max(accuracy):.1f}; budget {ACCURACY_BUDGET_MS:.0f} ms)")
    return 0 if update_median <= UPDATE_BUDGET_MS and accuracy_median <= ACCURACY_BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
