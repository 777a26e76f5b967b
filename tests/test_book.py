"""The built book: every page in the table of contents, its figures, no errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from sphinx_external_toc.parsing import parse_toc_yaml

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.book


def toc_pages() -> list[str]:
    """Every document named in ``_toc.yml``, root first, in reading order."""
    # The same parser the build uses, so the tests see the book the build sees.
    return list(parse_toc_yaml(ROOT / "_toc.yml").keys())


def declared_figures(page: str) -> int:
    """How many code cells of a chapter declare a figure in their metadata."""
    source = (ROOT / f"{page}.md").read_text()
    cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", source, flags=re.S)
    count = 0
    for cell in cells:
        if cell.startswith("---\n"):
            header = cell.split("\n---\n", 1)[0]
            meta = yaml.safe_load(header[4:]) or {}
            if "figure" in (meta.get("mystnb") or {}):
                count += 1
    return count


class PageScan(HTMLParser):
    """Collects figures with images, their alt text, and error outputs."""

    def __init__(self):
        super().__init__()
        self.figure_depth = 0
        self.figures_with_images = 0
        self._image_in_figure = False
        self.images: list[dict[str, str]] = []
        self.error_outputs: list[str] = []
        self._cell_classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "figure":
            self.figure_depth += 1
            self._image_in_figure = False
        if tag == "img":
            self.images.append(attrs)
            if self.figure_depth and not self._image_in_figure:
                self.figures_with_images += 1
                self._image_in_figure = True
        if tag == "div" and "cell" in classes:
            self._cell_classes = classes
        if tag == "div" and ("traceback" in classes or "error" in classes or "stderr" in classes):
            if "tag_raises-exception" not in self._cell_classes:
                self.error_outputs.append(" ".join(classes))

    def handle_endtag(self, tag):
        if tag == "figure":
            self.figure_depth -= 1


@pytest.mark.parametrize("page", toc_pages())
def test_page_is_built_with_its_figures(site, page):
    html_file = site / f"{page}.html"
    assert html_file.is_file(), f"{page}: no HTML page at {html_file}"
    scan = PageScan()
    scan.feed(html_file.read_text())
    expected = declared_figures(page)
    assert scan.figures_with_images == expected, (
        f"{page}: {expected} figures declared in the source, "
        f"{scan.figures_with_images} rendered with an image"
    )
    assert not scan.error_outputs, f"{page}: error output in the page: {scan.error_outputs}"
    for image in scan.images:
        alt = (image.get("alt") or "").strip()
        assert alt and not alt.startswith("<Figure") and not re.fullmatch(r"[\w.-]+\.(png|svg|jpg)", alt), (
            f"{page}: image {image.get('src')} has no descriptive alt text: {alt!r}"
        )


def test_chapters_have_figures():
    # The lesson's chapters are about pictures: each must draw at least one.
    for page in toc_pages()[1:5]:
        assert declared_figures(page) >= 1, f"{page} declares no figure"


def test_root_index_is_valid_html(site):
    index = site / "index.html"
    assert index.is_file()
    text = index.read_text()
    assert text.lstrip().lower().startswith("<!doctype html>"), "index.html lacks a doctype"
    assert re.search(r"<title>[^<]+</title>", text), "index.html has no <title>"
    assert "<html" in text and "</html>" in text
