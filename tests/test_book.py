"""The built book: every page in the table of contents, its figures, no errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from sphinx_external_toc.parsing import parse_toc_yaml

from conftest import TRANSLATIONS

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
        assert not meaningless_alt(alt), f"{page}: image {image.get('src')} has no descriptive alt text: {alt!r}"


def meaningless_alt(alt: str) -> bool:
    """Alt text that says nothing: empty, matplotlib's repr, or a file name or path.

    >>> [meaningless_alt(a) for a in ("", "<Figure size 640x480>", "maps.png", "../_images/a1b2.png")]
    [True, True, True, True]
    """
    alt = alt.strip()
    if not alt or alt.startswith("<Figure"):
        return True
    # One word that names a file ("maps.png") or a path ("../_images/….png", "_images/maps").
    return " " not in alt and (re.search(r"\.(png|svg|jpe?g|gif|webp)$", alt, re.I) is not None or "/" in alt)


def test_alt_text_check_catches_file_names_and_paths():
    for alt in ("", "  ", "<Figure size 1000x400 with 4 Axes>", "feature_maps.png", "rocket.JPG",
                "../_images/c2f1e9b8a7.png", "_images/4f3a…d1.png", "book/_images/maps"):
        assert meaningless_alt(alt), alt
    for alt in ("Four 4x4 filters, drawn as gray squares", "The photo in grayscale (a PNG file)",
                "Sobel x / Sobel y maps side by side"):
        assert not meaningless_alt(alt), alt


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


# --- Math typeset at build time (issue 10) ---------------------------------------

class MathScan(HTMLParser):
    """Every formula (``class="math"``) with what it holds, and the page's scripts."""

    def __init__(self):
        super().__init__()
        self.formulas: list[dict] = []
        self.scripts: list[str] = []
        self._open: list[tuple[str, dict | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "script":
            self.scripts.append(attrs.get("src") or "")
        current = next((f for _, f in reversed(self._open) if f is not None), None)
        formula = None
        if "math" in classes and tag in ("span", "div") and current is None:
            formula = {"tag": tag, "katex": False, "mathml": False, "error": False, "text": ""}
            self.formulas.append(formula)
        elif current is not None:
            current["katex"] |= "katex" in classes
            current["mathml"] |= tag == "math"
            current["error"] |= "katex-error" in classes
        if tag not in ("br", "img", "meta", "link", "input", "hr", "mspace"):
            self._open.append((tag, formula))

    def handle_endtag(self, tag):
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        current = next((f for _, f in reversed(self._open) if f is not None), None)
        if current is not None and len(current["text"]) < 60:
            current["text"] += data


@pytest.mark.parametrize("page", toc_pages())
def test_math_is_rendered_in_the_html(site, page):
    """Each formula is KaTeX's HTML with MathML beside it, and no page loads a math script."""
    for html_file in (site / f"{page}.html", *(site / code / f"{page}.html" for code in TRANSLATIONS)):
        scan = MathScan()
        scan.feed(html_file.read_text())
        name = html_file.relative_to(site)
        math_scripts = [src for src in scan.scripts if re.search(r"mathjax|katex", src, re.I)]
        assert not math_scripts, f"{name}: loads a math-typesetting script: {math_scripts}"
        for formula in scan.formulas:
            text = formula["text"].strip()[:60]
            assert formula["katex"] and formula["mathml"], f"{name}: a formula not rendered at build time: {text!r}"
            assert not formula["error"], f"{name}: KaTeX could not typeset a formula: {text!r}"


def test_book_has_math(site):
    """The check above is not vacuous: the chapters do have formulas."""
    scan = MathScan()
    scan.feed((site / "book" / "backprop.html").read_text())
    assert len(scan.formulas) >= 20, f"book/backprop.html has {len(scan.formulas)} formulas"


def test_operator_names_in_scripts_give_valid_mathml():
    """KaTeX writes ``\\lambda_{\\max}`` as a three-child ``msub``; the build makes it valid."""
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from convbook_math import fix_mathml

    katex = ('<span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML">'
             '<semantics><mrow><msub><mi>λ</mi><mi>max</mi><mo>\u2061</mo></msub></mrow>'
             '<annotation encoding="application/x-tex">\\lambda_{\\max}</annotation></semantics></math></span>'
             '<span class="katex-html" aria-hidden="true">λ</span></span>')
    fixed = fix_mathml(katex)
    assert "<msub><mi>λ</mi><mrow><mi>max</mi><mo>\u2061</mo></mrow></msub>" in fixed
    assert fixed.endswith('<span class="katex-html" aria-hidden="true">λ</span></span>')
    assert fix_mathml(fixed) == fixed
