"""The built site as readers get it, proven in headless Chromium (issue 3).

Every page in ``_toc.yml`` is opened once in each of four combinations --
phone (390x844) and desktop (1280x900), light and dark colour scheme -- from
a server on 127.0.0.1 under ``/conv-book/``, the way GitHub Pages serves a
project site. Two browsers at once, one context per combination; each
visit records what the page did (responses, console, requests -- those
before any scrolling apart --, images, layout, its math, axe-core's
findings) and saves a screenshot to ``_build/screenshots/`` (the whole page
on a phone, the first screen on a desktop). The
tests below then check those records, each failure naming the page, the
viewport and theme, and the problem.

Site-wide checks follow: LinkChecker (internal links and anchors, in file
mode; external links listed, not fetched), the Nu Html Checker (vnu),
figure backgrounds for dark mode, page weight (and a phone's first view,
issue 10), and the search page.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import socket
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import TRANSLATIONS, after_the_build, result_of_work_on_the_site
from site_tools import CHROMIUM, CHROMIUM_ARGS, page_slug, toc_pages

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from korean_interface import INTERFACE_TEXT_JS, english_words, load_allowlist  # noqa: E402
from page_weight import (  # noqa: E402
    FIRST_VIEW_LIMIT_BYTES, LIMIT_BYTES, NetworkWatch, page_weight, settle, settle_first_view, url_to_file,
)

pytestmark = pytest.mark.book

PAGES = toc_pages()
#: The translated editions' pages (issue 12: Korean), under /ko/ of the
#: same site; none when `languages:` in _config.yml is English only.
KO_PAGES = [f"{language}/{page}" for language in TRANSLATIONS for page in PAGES]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
THEMES = ("light", "dark")
COMBOS = [(viewport, theme) for viewport in VIEWPORTS for theme in THEMES]
#: The Korean pages get the same checks in two of the four combinations,
#: which between them cover the phone, the desktop, and both themes.
KO_COMBOS = [("phone", "dark"), ("desktop", "light")]
#: Every visit: (page, viewport, theme).
VISITS = ([(page, viewport, theme) for page in PAGES for viewport, theme in COMBOS]
          + [(page, viewport, theme) for page in KO_PAGES for viewport, theme in KO_COMBOS])
SCREENSHOTS = ROOT / "_build" / "screenshots"
REPORTS = ROOT / "_build" / "reports"
AXE_VERSION = "4.14.1"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: Alt text that says nothing: empty, a file name, matplotlib's repr.
MEANINGLESS_ALT = re.compile(r"^\s*$|^<Figure size|^[\w./-]+\.(png|jpe?g|svg|gif|webp)$", re.I)


def fail_if(problems, message: str) -> None:
    """Fail with ``message`` and one problem a line, without pytest's repr noise."""
    if problems:
        pytest.fail(message + "\n  " + "\n  ".join(problems), pytrace=False)


def where(page: str, viewport: str | None = None, theme: str | None = None) -> str:
    """How a failure names its place: ``book/images [phone 390x844, dark]``."""
    if viewport is None:
        return page
    size = VIEWPORTS[viewport]
    return f"{page} [{viewport} {size['width']}x{size['height']}, {theme}]"


@dataclass
class Visit:
    """What one page did in one viewport and theme."""

    page: str
    viewport: str
    theme: str
    url: str
    status: int | None = None
    load_error: str | None = None
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    theme_shown: str | None = None
    icon: str | None = None
    #: Problems with the page's math (issue 10): formulas not typeset at build
    #: time, without MathML, cut off, raw TeX left in the text, a math script.
    math: list[str] = field(default_factory=list)
    #: What the page requested before anything scrolled (issue 10).
    first_view: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    layout: dict = field(default_factory=dict)
    axe: list[dict] = field(default_factory=list)
    #: A Korean page's interface text (issue 24: tests/korean_interface.py).
    interface_text: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return where(self.page, self.viewport, self.theme)


PAGE_FACTS_JS = """() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const article = document.querySelector('.bd-article') || document.body;
    const images = Array.from(document.images).map(img => {
        const box = img.getBoundingClientRect();
        const style = getComputedStyle(img);
        return {
            src: img.currentSrc || img.src,
            alt: img.getAttribute('alt'),
            complete: img.complete,
            naturalWidth: img.naturalWidth,
            inArticle: article.contains(img),
            left: box.left + window.scrollX,
            right: box.right + window.scrollX,
            width: box.width,
            visible: box.width > 0 && style.visibility !== 'hidden',
            background: style.backgroundColor,
        };
    });
    const wide = Array.from(document.querySelectorAll('body *')).filter(el => {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.right <= width + 1) return false;
        // Inside a box that scrolls or clips on its own: not the page's problem.
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const o = getComputedStyle(p).overflowX;
            if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return false;
        }
        return true;
    }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' (right edge ' + Math.round(el.getBoundingClientRect().right) + 'px)');
    const icon = document.querySelector('link[rel~="icon"]');
    // Math is typeset at build time (KaTeX): every formula carries KaTeX's
    // HTML and MathML, none is cut off, no TeX is left in the text, and no
    // math-typesetting script is on the page.
    const math = [];
    const short = el => el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60);
    article.querySelectorAll('.math').forEach(el => {
        const katex = el.querySelector('.katex');
        if (!katex) { math.push('not typeset at build time: ' + short(el)); return; }
        if (!katex.querySelector('.katex-mathml math')) math.push('no MathML (screen readers): ' + short(el));
        if (el.querySelector('.katex-error')) math.push('KaTeX could not typeset: ' + short(el));
    });
    const articleBox = article.getBoundingClientRect();
    article.querySelectorAll('.katex-display > .katex > .katex-html').forEach(el => {
        const box = el.getBoundingClientRect();
        if (box.left < articleBox.left - 1 || box.right > articleBox.right + 1)
            math.push(`display math wider than the page and cut off (${Math.round(box.width)}px): ` + short(el));
    });
    const prose = article.cloneNode(true);
    prose.querySelectorAll('pre, code, .katex, script, style, .cell_output').forEach(el => el.remove());
    const tex = prose.textContent.match(/\\\\[()\\[\\]]|\\$\\$|\\\\(?:frac|sum|partial|text|operatorname|begin|cdot|times|max|left|right)\\b/g);
    if (tex) math.push('TeX left in the text: ' + Array.from(new Set(tex)).join(' '));
    for (const name of ['MathJax', 'katex', 'renderMathInElement'])
        if (window[name] !== undefined) math.push(`a math-typesetting script runs on the page (window.${name})`);
    return {
        math,
        icon: icon ? icon.href : null,
        theme: root.dataset.theme,
        layout: {scrollWidth: Math.max(root.scrollWidth, document.body.scrollWidth), clientWidth: width, wide},
        images,
    };
}"""

AXE_JS = """async () => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.html.replace(/\\s+/g, ' ').slice(0, 160)),
        count: v.nodes.length,
    }));
}"""


def visit(context, base_url: str, page: str, viewport: str, theme: str, axe_source: str) -> Visit:
    record = Visit(page, viewport, theme, f"{base_url}{page}.html")
    tab = context.new_page()
    tab.on("console", lambda msg: record.console_errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda error: record.console_errors.append(f"uncaught {error}"))
    tab.on("request", lambda request: record.requests.append(request.url))
    tab.on("requestfailed", lambda request: record.failed_requests.append(
        f"{request.url} ({request.failure})"))

    def on_response(response):
        # 304: Chromium revalidated its cached copy, which the server had sent with 200.
        if response.status not in (200, 304):
            record.bad_responses.append(f"{response.url} answered HTTP {response.status}")

    tab.on("response", on_response)
    watch = NetworkWatch(tab)
    try:
        response = tab.goto(record.url, wait_until="load")
        record.status = response.status if response else None
        settle_first_view(tab, watch)
        record.first_view = list(record.requests)
        settle(tab, watch)
        facts = tab.evaluate(PAGE_FACTS_JS)
        record.theme_shown = facts["theme"]
        record.icon = facts["icon"]
        record.math = facts["math"]
        record.images = facts["images"]
        record.layout = facts["layout"]
        if page.startswith("ko/"):
            record.interface_text = tab.evaluate(INTERFACE_TEXT_JS)
        # JPEG: for a person to look at, and several times faster to encode
        # than a full-page PNG. The whole page on a phone; on a desktop the
        # first screen (a full 1280-px-wide page is 30-40 megapixels to draw).
        tab.screenshot(path=SCREENSHOTS / f"{page_slug(page)}--{viewport}-{theme}.jpg",
                       full_page=viewport == "phone", type="jpeg", quality=70)
        tab.add_script_tag(content=axe_source)
        record.axe = tab.evaluate(AXE_JS)
    except Exception as error:  # recorded, reported by test_page_loads
        record.load_error = f"{type(error).__name__}: {error}"
    finally:
        tab.close()
    return record


@pytest.fixture(scope="module")
def visits(site, site_url, axe_source) -> dict[tuple[str, str, str], Visit]:
    """Every TOC page in every viewport and theme, visited once, two browsers at a time.

    The page loads, axe-core and the screenshots run in Chromium's own
    processes, so two browsers (one per thread: Playwright is used per
    thread) keep both cores of a 2-core machine busy. Each page still loads
    alone in its own tab; the threads only split the combinations.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SCREENSHOTS.glob("*.png"), *SCREENSHOTS.glob("*.jpg")]:
        old.unlink()
    combos = [(viewport, theme) for viewport, theme in COMBOS
              if any((v, t) == (viewport, theme) for _, v, t in VISITS)]
    # Alternate combinations, so that each browser gets as many visits.
    groups = [combos[0::2], combos[1::2]]
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        parts = list(pool.map(lambda group: _visit_combos(site_url, axe_source, group), groups))
    # The checks of these records run on one core: the Nu Html Checker uses
    # the other meanwhile (test_html_is_valid collects its report).
    _start_html_check(site)
    return {key: record for part in parts for key, record in part.items()}


def _visit_combos(site_url: str, axe_source: str, combos) -> dict[tuple[str, str, str], Visit]:
    """One browser of its own visits every page of these (viewport, theme) combinations."""
    from playwright.sync_api import sync_playwright

    records = {}
    with _nowhere() as dead_end, sync_playwright() as playwright:
        # Nothing may leave the machine: every request to anything but the
        # site's own host and port (another port on 127.0.0.1 too) goes to a
        # proxy that refuses it, so it is recorded, then fails. Not
        # context.route, which would also do it: routing turns off the
        # browser's HTTP cache and stops every request for a round trip to
        # this process, and then each visit downloads every style sheet,
        # script and font of the site again.
        args = [*CHROMIUM_ARGS, f"--proxy-server=http://127.0.0.1:{dead_end}",
                f"--proxy-bypass-list=<-loopback>;{urlsplit(site_url).netloc}"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            for viewport, theme in combos:
                context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=theme,
                                              device_scale_factor=1, service_workers="block")
                for page in [p for p, v, t in VISITS if (v, t) == (viewport, theme)]:
                    records[page, viewport, theme] = visit(context, site_url, page, viewport, theme, axe_source)
                context.close()
        finally:
            browser.close()
    return records


@contextlib.contextmanager
def _nowhere():
    """A port on 127.0.0.1 that refuses every connection (bound, never listening), for as long as it is open."""
    with socket.socket() as dead_end:
        dead_end.bind(("127.0.0.1", 0))
        yield dead_end.getsockname()[1]


def combos():
    return pytest.mark.parametrize(
        "page, viewport, theme", VISITS, ids=[f"{page}-{viewport}-{theme}" for page, viewport, theme in VISITS],
    )


@combos()
def test_page_loads_with_every_resource(visits, page, viewport, theme):
    record = visits[page, viewport, theme]
    assert record.load_error is None, f"{record.name}: the page did not load: {record.load_error}"
    assert record.status == 200, f"{record.name}: the page answered HTTP {record.status}"
    problems = record.bad_responses + [f"request failed: {r}" for r in record.failed_requests]
    fail_if(problems, f"{record.name}: resources that did not answer HTTP 200:")


@pytest.mark.parametrize("page", PAGES + KO_PAGES)
def test_page_has_its_own_favicon(site, site_url, visits, page):
    # Without <link rel="icon">, browsers (and Lighthouse) fetch /favicon.ico
    # from the server root: outside a project site, a 404 console error.
    record = visits[page, "desktop", "light"]
    assert record.icon, f"{record.name}: no <link rel=\"icon\">: browsers will ask for /favicon.ico"
    assert url_to_file(record.icon, site, site_url), f"{record.name}: the favicon {record.icon} is not in the site"


@combos()
def test_no_console_errors(visits, page, viewport, theme):
    record = visits[page, viewport, theme]
    fail_if(record.console_errors, f"{record.name}: {len(record.console_errors)} console error(s):")


@combos()
def test_theme_is_applied(visits, page, viewport, theme):
    record = visits[page, viewport, theme]
    assert record.theme_shown == theme, (
        f"{record.name}: the reader's colour scheme is {theme}, the page shows {record.theme_shown!r}"
    )


@combos()
def test_nothing_is_fetched_from_elsewhere(visits, site_url, page, viewport, theme):
    record = visits[page, viewport, theme]
    foreign = sorted({url for url in record.requests
                      if not url.startswith(site_url) and not url.startswith(("data:", "blob:"))})
    fail_if(foreign, f"{record.name}: requests to hosts other than the site itself (the site must read offline):")

@combos()
def test_math_is_typeset_at_build_time(visits, site_url, page, viewport, theme):
    # Issue 10: the HTML carries KaTeX's rendering and MathML; no script
    # typesets math in the browser, and KaTeX's CSS and fonts come from the site.
    record = visits[page, viewport, theme]
    scripts = [url for url in record.requests if re.search(r"(mathjax|katex)[^/]*\.m?js\b", url, re.I)]
    fail_if(scripts, f"{record.name}: the page loads a math-typesetting script:")
    katex = [url for url in record.requests if "katex" in url.lower()]
    # The site's own, or the translation's (ko/_static/katex/).
    own = re.compile(re.escape(site_url) + r"(?:[a-z]{2}/)?_static/katex/")
    elsewhere = [url for url in katex if not own.match(url)]
    fail_if(elsewhere, f"{record.name}: KaTeX's files not from the site's own _static/katex/:")
    fail_if(record.math, f"{record.name}: math:")


@combos()
def test_images_load_and_have_descriptive_alt_text(visits, page, viewport, theme):
    record = visits[page, viewport, theme]
    problems = []
    for image in record.images:
        name = urlsplit(image["src"]).path.rsplit("/", 1)[-1] or image["src"][:60]
        if not image["complete"] or image["naturalWidth"] == 0:
            problems.append(f"{name}: did not load (naturalWidth 0)")
        alt = image["alt"]
        if alt is None or MEANINGLESS_ALT.match(alt):
            problems.append(f"{name}: alt text {alt!r} does not describe the image")
        elif page.startswith("ko/") and image["inArticle"] and not HANGUL.search(alt):
            problems.append(f"{name}: the Korean page's alt text is not in Korean: {alt[:60]!r}")
    fail_if(problems, f"{record.name}: images:")


@combos()
def test_axe_finds_no_violations(visits, page, viewport, theme):
    record = visits[page, viewport, theme]
    assert record.load_error is None, f"{record.name}: not checked, the page did not load: {record.load_error}"
    lines = []
    for violation in record.axe:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                     f"-- {violation['count']} element(s)")
        lines.extend(f"    {node}" for node in violation["nodes"])
    fail_if(lines, f"{record.name}: axe-core {AXE_VERSION} violations:")


@pytest.mark.parametrize("page", KO_PAGES)
def test_korean_interface_has_no_english(visits, page):
    """Issue 24: no English on a /ko/ page outside code, outputs, citations and the allowlist."""
    record = visits[page, "desktop", "light"]
    assert record.interface_text, f"{where(page)}: no interface text was collected ({record.load_error})"
    english = english_words(record.interface_text, load_allowlist())
    fail_if(english, f"{where(page)}: English in the Korean interface (translate it in locale/ko, "
                     "or allow a name in locale/ko/latin-allowlist.txt with its reason)")


@pytest.mark.parametrize("page, theme", [(page, theme) for page, viewport, theme in VISITS if viewport == "phone"])
def test_no_sideways_scroll_on_a_phone(visits, page, theme):
    record = visits[page, "phone", theme]
    layout = record.layout
    assert layout, f"{record.name}: not measured: {record.load_error}"
    assert layout["scrollWidth"] <= layout["clientWidth"], (
        f"{record.name}: the page scrolls sideways: {layout['scrollWidth']}px of content in a "
        f"{layout['clientWidth']}px viewport; too wide: {layout['wide']}"
    )
    too_wide = [f"{urlsplit(i['src']).path.rsplit('/', 1)[-1]} ({i['width']:.0f}px wide, right edge {i['right']:.0f}px)"
                for i in record.images if i["inArticle"] and i["visible"] and i["right"] > layout["clientWidth"] + 1]
    assert not too_wide, f"{record.name}: figures that do not scale down to the screen: {too_wide}"


class _MetaDescription(HTMLParser):
    def __init__(self):
        super().__init__()
        self.descriptions: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "description":
            self.descriptions.append(attrs.get("content") or "")


@pytest.mark.parametrize("page", PAGES + KO_PAGES)
def test_page_has_a_meta_description(site, page):
    scan = _MetaDescription()
    scan.feed((site / f"{page}.html").read_text())
    assert len(scan.descriptions) == 1, (
        f"{page}: {len(scan.descriptions)} <meta name=\"description\"> tags, want exactly one"
    )
    description = scan.descriptions[0]
    assert 50 <= len(description) <= 160, (
        f"{page}: the meta description is {len(description)} characters (want 50-160): {description!r}"
    )


# --- Figures in dark mode -------------------------------------------------------

class _ArticleImages(HTMLParser):
    """The ``src`` of every image inside the page's article."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article" and "bd-article" in (attrs.get("class") or ""):
            self.depth = 1
        elif self.depth and tag == "article":
            self.depth += 1
        if self.depth and tag == "img" and attrs.get("src"):
            self.sources.append(attrs["src"])

    def handle_endtag(self, tag):
        if self.depth and tag == "article":
            self.depth -= 1


def _background_problem(path: Path) -> str | None:
    """Why a figure would be unreadable on a dark page, or None."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        if "A" in image.getbands() or "transparency" in image.info:
            alpha = image.convert("RGBA").getchannel("A")
            if alpha.getextrema()[0] < 255:
                return "has transparent pixels, which show the dark page through"
        gray = image.convert("L")
        width, height = gray.size
        border = [gray.getpixel((x, y)) for x in range(width) for y in (0, height - 1)]
        border += [gray.getpixel((x, y)) for y in range(height) for x in (0, width - 1)]
        mean = sum(border) / len(border)
        if mean < 200:
            return f"its border is not light (mean gray {mean:.0f} of 255), so it has no light background"
    return None


@pytest.mark.parametrize("page", PAGES)
def test_figures_have_an_opaque_light_background(site, visits, page):
    """Dark lines and text need a light, opaque ground in dark mode."""
    html_file = site / f"{page}.html"
    scan = _ArticleImages()
    scan.feed(html_file.read_text())
    problems = []
    for src in scan.sources:
        path = (html_file.parent / src).resolve()
        if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp"):
            problem = _background_problem(path)
        elif path.suffix.lower() == ".svg":
            # An SVG is drawn on whatever the theme puts behind it.
            shown = [i for i in visits[page, "desktop", "dark"].images if i["src"].endswith(src.rsplit("/", 1)[-1])]
            problem = None if shown and shown[0]["background"] in ("rgb(255, 255, 255)",) else (
                "an SVG without a white background from the theme in dark mode")
        else:
            problem = None
        if problem:
            problems.append(f"{src}: {problem}")
    fail_if(problems, f"{where(page, 'desktop', 'dark')}: figures unreadable in dark mode:")


# --- Weight -----------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES + KO_PAGES)
def test_page_weight_as_served(site, site_url, visits, page):
    record = visits[page, "desktop", "light"]
    total, ranked = page_weight(record.requests, site, site_url)
    heaviest = ", ".join(f"{name} {size / 1000:.0f} kB" for size, name in ranked[:5])
    assert total <= LIMIT_BYTES, (
        f"{record.name}: the page and what it loads weigh {total / 1e6:.2f} MB as served "
        f"(gzip for text), over {LIMIT_BYTES / 1e6:.1f} MB; heaviest: {heaviest}"
    )


@pytest.mark.parametrize("page", PAGES + KO_PAGES)
def test_first_view_on_a_phone_within_budget(site, site_url, visits, page):
    # Issue 10: what a phone loads before the reader scrolls (390x844, lazy
    # figures left lazy) weighs at most 500 kB as served.
    record = visits[page, "phone", "dark" if page in KO_PAGES else "light"]
    assert record.first_view, f"{record.name}: not measured: {record.load_error}"
    total, ranked = page_weight(record.first_view, site, site_url)
    heaviest = ", ".join(f"{name} {size / 1000:.0f} kB" for size, name in ranked[:5])
    assert total <= FIRST_VIEW_LIMIT_BYTES, (
        f"{record.name}: the first view loads {total / 1000:.0f} kB as served, over "
        f"{FIRST_VIEW_LIMIT_BYTES / 1000:.0f} kB; heaviest: {heaviest}"
    )


def test_figures_are_optimised_pngs(site):
    """Figure PNGs are already as small as a lossless re-encode makes them."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from convbook_site import optimise_png

    problems = []
    for png in sorted((site / "_images").glob("*.png")):
        data = png.read_bytes()
        smaller = optimise_png(data)
        if len(smaller) < 0.97 * len(data):
            problems.append(f"{png.name}: {len(data)} bytes, {len(smaller)} after a lossless re-encode")
        from PIL import Image

        with Image.open(png) as image:
            dpi = image.info.get("dpi", (100, 100))[0]
            if not 72 <= round(dpi) <= 200 or max(image.size) > 2400:
                problems.append(f"{png.name}: {image.size[0]}x{image.size[1]} px at {dpi:.0f} dpi "
                                "(want 72-200 dpi, at most 2400 px)")
    fail_if(problems, "figures not optimised:")


# --- Search -------------------------------------------------------------------------

def test_search_for_relu_lists_the_activation_chapter(browser, site_url):
    chapter = next((page for page in PAGES if "activation" in page), None)
    assert chapter, f"no activation chapter in _toc.yml (pages: {PAGES})"
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    context.route(lambda url: not url.startswith(site_url), lambda route: route.abort())
    tab = context.new_page()
    try:
        tab.goto(f"{site_url}search.html?q=ReLU", wait_until="load")
        tab.wait_for_function(
            "() => { const s = document.querySelector('#search-results .search-summary');"
            " return s && s.textContent.trim().length > 0; }",
            timeout=15000,
        )
        links = tab.eval_on_selector_all("#search-results ul.search a", "as => as.map(a => a.href)")
    finally:
        context.close()
    found = [link for link in links if urlsplit(link).path.endswith(f"/{chapter}.html")]
    assert found, (
        f"search.html?q=ReLU [desktop 1280x900, light]: the results do not list {chapter}; they list: {links}"
    )


# --- Links and HTML -------------------------------------------------------------------

LINKCHECKER_CONFIG = """\
[filtering]
checkextern=0
[AnchorCheck]
"""

#: LinkChecker without its drop to `nobody`'s privileges, and faster on deep pages.
RUN_LINKCHECKER = ROOT / "tests" / "run_linkchecker.py"


@after_the_build("linkchecker_run")
def run_linkchecker(site: Path, tmp_path_factory) -> subprocess.CompletedProcess:
    """LinkChecker over the whole site (both languages), its CSV report on stdout."""
    config = tmp_path_factory.mktemp("linkchecker") / "linkcheckerrc"
    config.write_text(LINKCHECKER_CONFIG)
    return subprocess.run(
        [sys.executable, str(RUN_LINKCHECKER), "-f", str(config), "--no-status", "-v",
         "-o", "csv", "-t", "2", (site / "index.html").as_uri()],
        capture_output=True, text=True, timeout=900,
    )


@pytest.fixture(scope="module")
def linkchecker_run(site, tmp_path_factory) -> subprocess.CompletedProcess:
    return result_of_work_on_the_site("linkchecker_run", site, tmp_path_factory)


def test_links_and_anchors_resolve(site, linkchecker_run):
    result = linkchecker_run
    # Comments start with "# "; a row for a same-page link starts with "#id".
    lines = result.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("urlname;")), len(lines))
    lines = [line for line in lines[start:] if not line.startswith("# ")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"))
    assert rows, f"LinkChecker reported nothing (exit {result.returncode}):\n{result.stderr[-2000:]}"
    broken, external = [], set()
    prefix = site.as_uri()
    for row in rows:
        parent = row["parentname"].replace(prefix + "/", "") or "(start)"
        if row["result"] == "filtered" or (row["urlname"].startswith(("http:", "https:", "mailto:"))):
            external.add(row["url"] or row["urlname"])
            continue
        if row["valid"] != "True":
            broken.append(f"{parent}: link {row['urlname']!r} is broken: {row['result']}")
        elif "Anchor" in (row["warningstring"] or ""):
            broken.append(f"{parent}: link {row['urlname']!r}: {row['warningstring'].split('. Available')[0]}")
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "external-links.txt").write_text(
        "# External links in the site (listed, not fetched: there is no network)\n"
        + "\n".join(sorted(external)) + "\n"
    )
    checked = len(rows) - len(external)
    assert checked > len(PAGES), f"LinkChecker checked only {checked} internal links: did it crawl the site?"
    fail_if(broken, "LinkChecker (file mode, AnchorCheck): broken internal links or anchors:")


def run_html_check(site: Path) -> subprocess.CompletedProcess:
    """The Nu Html Checker (--errors-only, JSON on stderr) over every page of the site."""
    java = shutil.which("java")
    assert java, "java is needed for the Nu Html Checker (vnu.jar)"
    assert VNU_JAR.is_file(), f"{VNU_JAR} is missing: run `make setup` (npm ci)"
    # Theme template fragments in _static are not pages.
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)
    return subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True, text=True, timeout=600,
    )


#: The Nu Html Checker's run, once started beside the other checks (:func:`_start_html_check`).
_HTML_CHECK: dict[Path, Future] = {}


def _start_html_check(site: Path) -> None:
    if site not in _HTML_CHECK:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vnu")
        _HTML_CHECK[site] = pool.submit(run_html_check, site)
        pool.shutdown(wait=False)


def test_html_is_valid(site):
    started = _HTML_CHECK.pop(site, None)
    result = started.result() if started is not None else run_html_check(site)
    report = json.loads(result.stderr or '{"messages": []}')
    errors = [
        f"{Path(urlsplit(m.get('url', '')).path).relative_to(site)}:{m.get('lastLine', '?')}: {m.get('message')}"
        for m in report["messages"] if m.get("type") in ("error", "non-document-error")
    ]
    assert result.returncode == 0 or errors, f"vnu failed (exit {result.returncode}): {result.stderr[-2000:]}"
    fail_if(errors[:50], f"vnu (--errors-only) found {len(errors)} error(s):")


def test_png_optimisation_is_lossless():
    """The build's PNG re-encoding keeps every pixel (gray, palette and colour)."""
    import numpy as np
    from PIL import Image

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from convbook_site import optimise_png

    rng = np.random.default_rng(0)
    gray = np.repeat(rng.integers(0, 256, (40, 60, 1), dtype=np.uint8), 3, axis=2)
    few = rng.choice(np.array([[255, 0, 0], [0, 0, 255], [255, 255, 255]], dtype=np.uint8), (40, 60))
    many = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    for name, pixels in (("gray", gray), ("three colours", few), ("many colours", many)):
        rgba = np.dstack([pixels, np.full((40, 60), 255, np.uint8)])
        buffer = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
        result = Image.open(io.BytesIO(optimise_png(buffer.getvalue()))).convert("RGBA")
        assert np.array_equal(np.asarray(result), rgba), f"optimise_png changed the pixels of a {name} image"
