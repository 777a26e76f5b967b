#!/usr/bin/env python3
"""Each page's weight as GitHub Pages serves it: the page and all it loads.

Opens every page of the table of contents in headless Chromium, records
every request the page makes while it loads and renders (scripts, styles,
fonts, images), and adds up what each file costs over the wire: text files
(HTML, CSS, JS, JSON, SVG, ...) as gzip-compressed, as GitHub Pages sends
them, and binary files (PNG, JPEG, WOFF2, ...) as they are. Three numbers
per page (issue 10):

* **desktop** (1280x900) and **phone** (390x844): everything the page loads,
  its lazily loaded figures included (as if the reader scrolled to the end);
* **phone, first view**: what a phone loads before the reader scrolls: the
  page at 390x844, loaded and settled, with lazy figures left to the browser
  (it fetches those near the screen only). Its budget is
  :data:`FIRST_VIEW_LIMIT_BYTES` on every page.

::

    python scripts/page_weight.py [SITE_HTML_DIR]      (default: _build/html)

Prints a table and exits 1 if a page is over a limit (1.5 MB in all, 500 kB
for the phone's first view). The tests (tests/test_site.py) use
:func:`served_size`, :func:`page_weight`, :func:`settle_first_view` and
:func:`settle` on the requests they record themselves.
"""

from __future__ import annotations

import functools
import gzip
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]

#: The most a page with everything it loads may weigh, as served.
LIMIT_BYTES = 1_500_000
#: The most a phone may load before the reader scrolls (issue 10).
FIRST_VIEW_LIMIT_BYTES = 500_000

#: The two views, as the site tests use them.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

#: Suffixes GitHub Pages compresses (text); everything else is sent as is.
COMPRESSED = {
    ".html", ".htm", ".css", ".js", ".mjs", ".json", ".map", ".svg", ".txt",
    ".xml", ".md", ".ttf", ".otf", ".eot", ".ico", ".inv",
}


@functools.lru_cache(maxsize=None)
def served_size(path: Path) -> int:
    """Bytes GitHub Pages sends for this file (gzip level 6 for text)."""
    data = Path(path).read_bytes()
    if Path(path).suffix.lower() in COMPRESSED:
        return len(gzip.compress(data, compresslevel=6, mtime=0))
    return len(data)


def url_to_file(url: str, site: Path, base_url: str) -> Path | None:
    """The file in the site that a request URL under ``base_url`` asks for."""
    if not url.startswith(base_url):
        return None
    rel = unquote(urlsplit(url).path)[len(urlsplit(base_url).path):]
    path = site / rel
    if rel == "" or rel.endswith("/"):
        path = path / "index.html"
    return path if path.is_file() else None


def page_weight(urls, site: Path, base_url: str) -> tuple[int, list[tuple[int, str]]]:
    """Total served bytes of the distinct local files among ``urls``.

    Returns the total and the files with their sizes, largest first.
    """
    files = {}
    for url in urls:
        path = url_to_file(url, site, base_url)
        if path is not None:
            files[path] = served_size(path)
    ranked = sorted(((size, str(path.relative_to(site))) for path, size in files.items()), reverse=True)
    return sum(files.values()), ranked


#: A promise that resolves after the browser has drawn two more frames.
TWO_FRAMES_JS = """() => new Promise(done => {
    requestAnimationFrame(() => requestAnimationFrame(done));
    setTimeout(done, 5000);  // a frame that never comes must not hang the caller (see BOUNDED)
})"""

#: Each wait of :func:`settle` and :func:`settle_first_view` ends after at
#: most this many milliseconds. Playwright's ``evaluate`` has no timeout of
#: its own, and on a loaded 2-core machine a whole test run once hung there
#: on the playground page: a promise (an image's decode or a transition's
#: end) that never settled. A wait that runs out is reported on stderr; the
#: checks that follow still see the page as it is.
BOUNDED_MS = 10_000
_BOUNDED_JS = """
    const bounded = (promise, what) => Promise.race([
        promise.then(() => null),
        new Promise(done => setTimeout(() => done(what), %d)),
    ]);
""" % BOUNDED_MS


def _report_unsettled(page, stalled) -> None:
    stalled = [what for what in stalled or [] if what]
    if stalled:
        print(f"page_weight: {page.url}: gave up waiting after {BOUNDED_MS} ms for {', '.join(stalled)}",
              file=sys.stderr)


class NetworkWatch:
    """The requests a page has in flight, watched from before it loads.

    :meth:`wait_until_quiet` is Playwright's ``networkidle`` (no request for
    500 ms) made exact and short: it waits until every request the page made
    has finished and none has started for :attr:`QUIET_MS`. Attach it before
    ``goto``, so that no request escapes it.
    """

    #: How long the network must stay quiet, after two animation frames (in
    #: which the browser starts the lazy figures near the screen).
    QUIET_MS = 150

    def __init__(self, page) -> None:
        self.page = page
        self.in_flight: set = set()
        self.last_change = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request) -> None:
        self.in_flight.add(request)
        self.last_change = time.monotonic()

    def _ended(self, request) -> None:
        self.in_flight.discard(request)
        self.last_change = time.monotonic()

    def wait_until_quiet(self, timeout_s: float = 30.0) -> None:
        self.page.evaluate(TWO_FRAMES_JS)
        deadline = time.monotonic() + timeout_s
        while self.in_flight or time.monotonic() - self.last_change < self.QUIET_MS / 1000:
            if time.monotonic() > deadline:
                pending = ", ".join(sorted(request.url for request in self.in_flight)[:5])
                raise TimeoutError(f"the network never went quiet in {timeout_s:.0f} s (in flight: {pending})")
            self.page.wait_for_timeout(25)


def settle_first_view(page, watch: NetworkWatch) -> None:
    """Wait until the page as first shown has loaded: fonts, visible figures, the network quiet.

    Nothing is scrolled and lazy figures stay lazy: the browser fetches the
    ones near the screen, as it would for a reader. The ``watch``, attached
    before the page loaded, tells when the network is quiet.
    """
    stalled = page.evaluate(
        """async () => {""" + _BOUNDED_JS + """
            const fonts = await bounded(document.fonts.ready, 'fonts');
            const eager = Array.from(document.images).filter(img => img.loading !== 'lazy');
            return [fonts, await bounded(Promise.all(eager.map(img => img.decode().catch(() => null))), 'images')];
        }"""
    )
    _report_unsettled(page, stalled)
    watch.wait_until_quiet()


def settle(page, watch: NetworkWatch) -> None:
    """Wait for fonts, every figure, the lazy ones too (as if the reader scrolled to the end), and transitions."""
    stalled = page.evaluate(
        """async () => {""" + _BOUNDED_JS + """
            const fonts = await bounded(document.fonts.ready, 'fonts');
            // Lazy images load now too: they are part of the page's weight.
            document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = 'eager'; });
            const images = await bounded(
                Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null))), 'images');
            // CSS transitions under way (the theme fades colours in) end first.
            const finite = document.getAnimations().filter(a => a.effect &&
                a.effect.getComputedTiming().endTime !== Infinity);
            return [fonts, images,
                    await bounded(Promise.all(finite.map(a => a.finished.catch(() => null))), 'transitions')];
        }"""
    )
    _report_unsettled(page, stalled)
    watch.wait_until_quiet()


def record_page_requests(context, url: str, first_view: bool = False) -> list[str]:
    """Every URL one page requests while it loads and settles.

    With ``first_view``, only what it loads before the reader scrolls.
    """
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    watch = NetworkWatch(page)
    page.goto(url, wait_until="load")
    settle_first_view(page, watch)
    if not first_view:
        settle(page, watch)
    page.close()
    return list(urls)


def format_table(rows) -> str:
    """Markdown: one row per page, ``(page, desktop, phone, first_view, first_ranked)``."""
    lines = [
        "| page | desktop (kB) | phone (kB) | phone, first view (kB) | heaviest in the first view |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for page, desktop, phone, first, ranked in rows:
        flags = ""
        if max(desktop, phone) > LIMIT_BYTES:
            flags += f" **over {LIMIT_BYTES / 1e6:.1f} MB**"
        if first > FIRST_VIEW_LIMIT_BYTES:
            flags += f" **first view over {FIRST_VIEW_LIMIT_BYTES / 1000:.0f} kB**"
        heaviest = ", ".join(f"{name} ({size / 1000:.0f})" for size, name in ranked[:2])
        lines.append(f"| {page} | {desktop / 1000:.0f} | {phone / 1000:.0f} | {first / 1000:.0f}{flags} | {heaviest} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from site_tools import CHROMIUM, CHROMIUM_ARGS, serve_site, toc_pages

    from playwright.sync_api import sync_playwright

    site = Path(argv[0] if argv else ROOT / "_build" / "html").resolve()
    if not (site / "index.html").is_file():
        print(f"no built site at {site}: run `make book` first", file=sys.stderr)
        return 2
    rows, ok = [], True
    with serve_site(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        def weigh(url: str, viewport: dict, first_view: bool = False) -> tuple[int, list]:
            # A fresh context each time: nothing comes from an earlier page's cache.
            context = browser.new_context(viewport=viewport, color_scheme="light", service_workers="block")
            try:
                return page_weight(record_page_requests(context, url, first_view), site, base_url)
            finally:
                context.close()

        for page in toc_pages():
            url = f"{base_url}{page}.html"
            desktop, _ = weigh(url, DESKTOP)
            phone, _ = weigh(url, PHONE)
            first, ranked = weigh(url, PHONE, first_view=True)
            rows.append((page, desktop, phone, first, ranked))
            ok = ok and max(desktop, phone) <= LIMIT_BYTES and first <= FIRST_VIEW_LIMIT_BYTES
        browser.close()
    print(f"Page weights as served (text gzip-compressed; light theme): everything a page loads on a desktop "
          f"(1280x900) and a phone (390x844), limit {LIMIT_BYTES / 1e6:.1f} MB; and what a phone loads "
          f"before scrolling (first view), limit {FIRST_VIEW_LIMIT_BYTES / 1000:.0f} kB.\n")
    print(format_table(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
