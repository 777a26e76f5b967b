#!/usr/bin/env python3
"""Each page's weight as GitHub Pages serves it: the page and all it loads.

Opens every page of the table of contents in headless Chromium (desktop
viewport, light theme), records every request the page makes while it loads
and renders (scripts, styles, fonts, images, MathJax's fonts and modules), and
adds up what each file costs over the wire: text files (HTML, CSS, JS, JSON,
SVG, ...) as gzip-compressed, as GitHub Pages sends them, and binary files
(PNG, JPEG, WOFF2, ...) as they are.

    python scripts/page_weight.py [SITE_HTML_DIR]      (default: _build/html)

Prints a table and exits 1 if a page is over the limit (1.5 MB). The tests
(tests/test_site.py) use :func:`served_size` and :func:`page_weight` on the
requests they record themselves.
"""

from __future__ import annotations

import functools
import gzip
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]

#: The most a page with everything it loads may weigh, as served.
LIMIT_BYTES = 1_500_000

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


def record_page_requests(context, url: str) -> list[str]:
    """Every URL one page requests while it loads and settles."""
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(url, wait_until="load")
    settle(page)
    page.close()
    return urls


def settle(page) -> None:
    """Wait for fonts, MathJax typesetting and lazy images to finish."""
    page.evaluate(
        """async () => {
            if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                await MathJax.startup.promise;
            }
            await document.fonts.ready;
            // Lazy images load now too: they are part of the page's weight.
            document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = 'eager'; });
            await Promise.all(Array.from(document.images).map(img => img.decode().catch(() => null)));
        }"""
    )
    page.wait_for_load_state("networkidle")


def format_table(rows, limit: int = LIMIT_BYTES) -> str:
    lines = ["| page | weight as served (kB) | files | heaviest file |", "| --- | ---: | ---: | --- |"]
    for page, total, ranked in rows:
        flag = "" if total <= limit else "  **over the limit**"
        heaviest = f"{ranked[0][1]} ({ranked[0][0] / 1000:.0f} kB)" if ranked else ""
        lines.append(f"| {page} | {total / 1000:.0f}{flag} | {len(ranked)} | {heaviest} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from site_tools import CHROMIUM, CHROMIUM_ARGS, serve_site, toc_pages

    from playwright.sync_api import sync_playwright

    site = Path(argv[0] if argv else ROOT / "_build" / "html").resolve()
    if not (site / "index.html").is_file():
        print(f"no built site at {site}: run `make book` first", file=sys.stderr)
        return 2
    rows = []
    with serve_site(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
        for page in toc_pages():
            urls = record_page_requests(context, f"{base_url}{page}.html")
            total, ranked = page_weight(urls, site, base_url)
            rows.append((page, total, ranked))
        browser.close()
    print(f"Page weights (desktop, light theme; text gzip-compressed), limit {LIMIT_BYTES / 1e6:.1f} MB:\n")
    print(format_table(rows))
    return 0 if all(total <= LIMIT_BYTES for _, total, _ in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
