"""Helpers shared by tests/test_site.py and scripts/ (page weight, Lighthouse).

``serve_site`` serves a built site the way GitHub Pages serves a project site:
under a sub-path (``/conv-book/``), text files gzip-compressed when the
client accepts it.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from conftest import CHROMIUM, CHROMIUM_ARGS, SITE_PREFIX  # noqa: E402
from page_weight import COMPRESSED  # noqa: E402
from test_book import toc_pages  # noqa: E402

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "SITE_PREFIX", "serve_site", "toc_pages", "page_slug"]


def page_slug(page: str) -> str:
    """A file-name-safe form of a page name: ``book/images`` -> ``book-images``."""
    return page.replace("/", "-")


class _Handler(http.server.SimpleHTTPRequestHandler):
    site: Path
    compress = True

    def translate_path(self, path):
        path = path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith(SITE_PREFIX):
            return str(self.site / "__outside_the_site__")
        return super().translate_path("/" + path[len(SITE_PREFIX):])

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if not (self.compress and accepts_gzip and path.is_file() and path.suffix.lower() in COMPRESSED):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self):
        # What GitHub Pages sends: cacheable for ten minutes.
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_site(site: Path, compress: bool = True):
    """Serve ``site`` on 127.0.0.1 (a free port) under ``/conv-book/``; yield the URL."""
    handler = type("SiteHandler", (_Handler,), {"site": Path(site), "compress": compress})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{SITE_PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
