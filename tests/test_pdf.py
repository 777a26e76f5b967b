"""The offline edition (issue 11): the book as one PDF, printed pages, the site as a zip.

The PDF is built once per test run (``scripts/build_pdf.py``, as ``make pdf``
runs it) from a copy of the test run's build folder, so every chapter comes
from the execution cache: nothing executes again. It is then read back with
Debian's poppler-utils (``pdftotext``, ``pdfimages``, ``pdftoppm``) and pypdf,
and checked against references that do not come from the PDF: the chapters'
Markdown sources and ``_toc.yml`` for the chapter titles, and the built
site's pages for the exercises, solutions and figures.

Printing is checked on the site itself too: a chapter printed from dark mode
and from light mode must give the same page, with body text and headings at
WCAG AA contrast (4.5:1) measured on the printed page's pixels. The zip is
unpacked and read from ``file://`` with no server and no network.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import unicodedata
import zipfile
from html import unescape
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import after_the_build, result_of_work_on_the_site
from site_tools import toc_pages

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import build_pdf  # noqa: E402
import convbook_print  # noqa: E402

pytestmark = pytest.mark.book

PAGES = toc_pages()
#: WCAG 2 AA contrast for body text.
AA_CONTRAST = 4.5
POPPLER = {tool: shutil.which(tool) for tool in ("pdftotext", "pdfimages", "pdftoppm")}


def fail_if(problems, message: str) -> None:
    if problems:
        pytest.fail(message + "\n  " + "\n  ".join(problems), pytrace=False)


def squash(text: str) -> str:
    """Text as compared here: NFKC (no ligatures), no white space, no hyphens.

    ``pdftotext`` joins a word broken at a hyphen at the end of a line
    without its hyphen ("conv-" and "book" give "convbook").
    """
    return "".join(unicodedata.normalize("NFKC", text).replace("-", "").split())


def plain(html: str) -> str:
    """The text of an HTML fragment, without its "#" heading links and MathML copies."""
    html = re.sub(r'<a class="headerlink".*?</a>', "", html, flags=re.S)
    html = re.sub(r'<span class="katex-mathml">.*?</math></span>', "", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def run(*command: str) -> str:
    tool = POPPLER.get(command[0], command[0])
    assert tool, f"{command[0]} not found: `make pdf` installs Debian's poppler-utils"
    result = subprocess.run([tool, *command[1:]], capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed: {result.stderr[-1000:]}"
    return result.stdout


# --- The PDF, built once -------------------------------------------------------------

@pytest.fixture(scope="session")
def offline(site, tmp_path_factory) -> dict:
    """``scripts/build_pdf.py`` run on a copy of the test run's build folder."""
    return result_of_work_on_the_site("offline", site, tmp_path_factory)


@after_the_build("offline")
def build_offline_edition(site: Path, tmp_path_factory) -> dict:
    """Run ``scripts/build_pdf.py`` (started as soon as the site is built)."""
    output = tmp_path_factory.mktemp("pdf")
    shutil.copytree(site.parent, output / "_build", symlinks=True)
    # The zip holds every language's PDF that is printed (issue 18). Printing
    # the Korean one too would double this build's time, and only the zip's
    # packaging of it is under test: a one-page stand-in takes its place.
    korean = build_pdf.pdf_path(output / "_build" / "pdf", "ko")
    korean.parent.mkdir(parents=True, exist_ok=True)
    korean.write_bytes(stand_in_pdf())
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_pdf.py"), "--path-output", str(output), "--verbose"],
        cwd=ROOT, capture_output=True, text=True,
    )
    log = result.stdout + result.stderr
    (output / "build_pdf.log").write_text(log)
    if result.returncode != 0:
        tail = "\n".join(log.splitlines()[-40:])
        pytest.fail(f"scripts/build_pdf.py failed (exit {result.returncode}):\n{tail}", pytrace=False)
    assert "[convbook] executing" not in log, "the PDF's build executed notebooks instead of using the cache"
    pdf = output / "_build" / "pdf" / build_pdf.PDF_NAME
    return {"pdf": pdf, "zip": output / "_build" / "pdf" / build_pdf.SITE_ZIP_NAME, "log": log, "ko_pdf": korean}


def stand_in_pdf() -> bytes:
    """A one-page PDF (pypdf's blank page)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def pdf(offline) -> Path:
    return offline["pdf"]


@pytest.fixture(scope="session")
def pages_text(pdf) -> list[str]:
    """``pdftotext``'s text of each page (index 0 is page 1)."""
    return run("pdftotext", "-enc", "UTF-8", str(pdf), "-").split("\f")[:-1]


@pytest.fixture(scope="session")
def reader(pdf):
    from pypdf import PdfReader

    return PdfReader(pdf)


@pytest.fixture(scope="session")
def pdf_images(pdf) -> list[dict]:
    """Every image drawn in the PDF, in order, from ``pdfimages -list``."""
    rows = []
    for line in run("pdfimages", "-list", str(pdf)).splitlines()[2:]:
        cells = line.split()
        if cells[2] == "image":
            rows.append({"page": int(cells[0]), "width": int(cells[3]), "height": int(cells[4]),
                         "x_ppi": int(cells[12]), "y_ppi": int(cells[13])})
    return rows


def md_title(page: str) -> str:
    """A chapter's title from its Markdown source: its first ``# `` heading."""
    for line in (ROOT / f"{page}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise AssertionError(f"{page}.md has no '# ' title")


_ADMONITION_TITLE = re.compile(
    r'<div class="(?P<kind>exercise|solution)\b[^"]*"[^>]*>\s*<p class="admonition-title">(?P<title>.*?)</p>', re.S)
_FIGURE = re.compile(r"<figure\b.*?</figure>", re.S)


def site_exercises(site) -> list[tuple[str, str]]:
    """Every exercise's and solution's title in the site, in reading order: (page, title)."""
    found = []
    for page in PAGES:
        html = (site / f"{page}.html").read_text(encoding="utf-8")
        found += [(page, plain(m["title"])) for m in _ADMONITION_TITLE.finditer(html)]
    return found


def site_figures(site) -> list[dict]:
    """Every figure of the site, in reading order: page, caption text, images."""
    figures = []
    for page in PAGES:
        html = (site / f"{page}.html").read_text(encoding="utf-8")
        for match in _FIGURE.finditer(html):
            caption = re.search(r"<figcaption>(.*?)</figcaption>", match.group(0), flags=re.S)
            figures.append({"page": page, "caption": plain(caption.group(1)) if caption else "",
                            "images": len(re.findall(r"<img\b", match.group(0)))})
    return figures


def find_in_order(haystack: list[str], needles: list[str]) -> list[str]:
    """The needles not found in the pages' text in this order (each after the one before)."""
    text = squash("".join(haystack))
    missing, position = [], 0
    for needle in needles:
        found = text.find(squash(needle), position)
        if found < 0:
            missing.append(needle)
        else:
            position = found + len(squash(needle))
    return missing


# --- The PDF --------------------------------------------------------------------------

def test_make_pdf_writes_the_pdf_and_the_zip(offline):
    pdf, archive = offline["pdf"], offline["zip"]
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", f"no PDF at {pdf}"
    assert archive.is_file() and zipfile.is_zipfile(archive), f"no zip at {archive}"
    size = pdf.stat().st_size
    assert size <= build_pdf.TARGET_BYTES, f"the PDF is {size / 1e6:.1f} MB, over {build_pdf.TARGET_BYTES / 1e6:.0f} MB"
    assert "[convbook] PDF (en):" in offline["log"], offline["log"][-2000:]


def test_title_page_then_contents_with_page_numbers(pdf, pages_text):
    title = md_title(PAGES[0])
    assert squash(title) in squash(pages_text[0]), f"page 1 is not the title page: {pages_text[0][:300]!r}"
    # The page as laid out: each entry's title and page number on one line.
    contents = run("pdftotext", "-layout", "-enc", "UTF-8", "-f", "2", "-l", "2", str(pdf), "-")
    assert squash("Contents") in squash(contents), f"page 2 is not the contents: {contents[:300]!r}"
    # Each chapter's line in the contents ends with the page its title is on.
    problems = []
    lines = [" ".join(line.split()) for line in contents.splitlines() if line.strip()]
    for page in PAGES[1:]:
        title = md_title(page)
        line = next((line for line in lines if squash(title) in squash(line)), None)
        number = re.search(r"(\d+)$", line or "")
        if not number:
            problems.append(f"{title!r}: no line with a page number in the contents ({line!r})")
            continue
        printed = pages_text[int(number[1]) - 1] if int(number[1]) <= len(pages_text) else ""
        if squash(title) not in squash(printed[:400]):
            problems.append(f"{title!r}: the contents say page {number[1]}, whose top reads {printed[:120]!r}")
    fail_if(problems, "the table of contents is wrong:")


def test_every_chapter_in_order_each_on_a_new_page(pages_text):
    titles = [md_title(page) for page in PAGES]
    body = pages_text[2:]  # after the title page and the contents
    missing = find_in_order(body, titles)
    fail_if(missing, "chapter titles from _toc.yml missing from the PDF's text, or out of order:")
    # Each chapter starts a page: its title (after its number) is the first text on a page.
    starts = [re.sub(r"^\d+\.", "", squash(text)) for text in body]
    late = [title for title in titles if not any(start.startswith(squash(title)) for start in starts)]
    fail_if(late, "chapters that do not start on a new page:")


def test_bookmarks_name_every_chapter_and_their_sections(reader, pages_text):
    top, children = [], {}
    outline = reader.outline
    for index, item in enumerate(outline):
        if isinstance(item, list):
            continue
        top.append(str(item.title))
        following = outline[index + 1] if index + 1 < len(outline) else None
        children[str(item.title)] = following if isinstance(following, list) else []
    problems = []
    for page in PAGES:
        title = md_title(page)
        match = next((mark for mark in top if squash(mark).endswith(squash(title))), None)
        if match is None:
            problems.append(f"no top-level bookmark for {title!r}")
        elif page not in {"book/glossary", "book/references"} and not children[match]:
            problems.append(f"the bookmark {match!r} has no section bookmarks under it")
    fail_if(problems, f"bookmarks (top level: {top}):")
    # Bookmarks lead to the page where their heading is printed.
    for item in outline:
        if not isinstance(item, list):
            page = reader.get_destination_page_number(item)
            text = squash(pages_text[page])
            assert squash(str(item.title)) in text, f"the bookmark {item.title!r} leads to page {page + 1}, without it"


def test_internal_links_lead_somewhere(reader):
    names = set(reader.named_destinations)
    internal, broken = 0, []
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            target = annotation.get("/Dest")
            action = annotation.get("/A")
            if target is None and action is not None and action.get("/S") == "/GoTo":
                target = action.get("/D")
            if target is None:
                continue
            internal += 1
            if isinstance(target, str) and target not in names:
                broken.append(f"page {number}: link to {target!r}, no such destination")
    assert internal > 100, f"only {internal} internal links in the PDF: the book cross-references far more"
    fail_if(broken[:20], f"{len(broken)} internal link(s) lead nowhere:")


def test_pages_are_numbered(pages_text):
    unnumbered = [str(number) for number, text in enumerate(pages_text, start=1)
                  if not re.search(rf"(?<!\d){number}\s*$", text.rstrip())]
    fail_if(unnumbered[:20], f"{len(unnumbered)} page(s) without their number at the foot:")


def test_every_exercise_and_solution_heading(site, pages_text):
    expected = site_exercises(site)
    assert len(expected) > 50, f"the site has only {len(expected)} exercise and solution titles"
    missing = find_in_order(pages_text, [title for _, title in expected])
    fail_if(missing, "exercise or solution titles of the site missing from the PDF (or out of order):")
    text = "\n".join(pages_text)
    for toggle in ("Click to show", "Click to hide"):
        assert toggle not in text, f"the PDF prints the toggle text {toggle!r}"


def test_math_is_typeset(pages_text):
    text = "\n".join(pages_text)
    raw = [delimiter for delimiter in ("\\(", "\\)", "$$", "\\begin{", "\\end{", "\\frac", "\\sum_", "\\mathrm")
           if delimiter in text]
    assert not raw, f"raw TeX in the PDF's text: {raw}"


def test_every_figure_with_its_caption(site, pages_text, pdf_images):
    figures = site_figures(site)
    assert len(figures) >= 20, f"the site has only {len(figures)} figures"
    missing = find_in_order(pages_text, [figure["caption"] for figure in figures])
    fail_if(missing, "figure captions missing from the PDF (or out of order):")
    expected = sum(figure["images"] for figure in figures)
    assert len(pdf_images) >= expected, f"the PDF has {len(pdf_images)} images, the site's figures {expected}"


def test_figure_and_caption_on_the_same_page(site, pages_text, pdf_images):
    """The n-th figure image of the PDF is on the page that prints the n-th caption."""
    figures = site_figures(site)
    pages = [squash(text) for text in pages_text]
    images = iter(pdf_images)
    problems = []
    for figure in figures:
        caption = squash(figure["caption"])
        found = [number for number, text in enumerate(pages, start=1) if caption[:60] in text]
        drawn = [next(images, {"page": None})["page"] for _ in range(figure["images"])]
        if not found or any(page not in found for page in drawn):
            problems.append(f"{figure['caption'][:60]!r}: caption on page(s) {found}, image(s) on {drawn}")
    fail_if(problems, "figures printed apart from their captions:")


def test_figures_print_at_150_ppi_or_more(pdf_images):
    low = [f"page {image['page']}: {image['width']}x{image['height']} px at "
           f"{image['x_ppi']}x{image['y_ppi']} ppi" for image in pdf_images
           if min(image["x_ppi"], image["y_ppi"]) < convbook_print.PRINT_PPI]
    fail_if(low, f"figures printed at under {convbook_print.PRINT_PPI} ppi:")


def test_interactive_parts_print_as_a_note(pages_text):
    text = squash("\n".join(pages_text))
    url = squash(convbook_print.page_url(_config(), "book/playground"))
    assert url in text, f"the playground's note with its address ({url}) is not in the PDF"
    for control in ("Last update", "Use your own photo", "Loading the playground"):
        assert squash(control) not in text, f"the PDF prints the playground's {control!r}"


def _config():
    """The settings convbook_print reads, as the build derives them from _config.yml."""
    import types

    import yaml
    from convbook_repository import site_url_for

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    baseurl = (config.get("html") or {}).get("baseurl") or site_url_for(config["repository"]["url"])
    return types.SimpleNamespace(language="en", html_baseurl=baseurl)


# --- Download links in the site --------------------------------------------------------

def test_every_page_links_the_pdf_and_the_zip(site):
    urls = convbook_print.download_urls(_config())
    assert urls["pdf"].endswith("/" + build_pdf.PDF_NAME) and urls["zip"].endswith("/" + build_pdf.SITE_ZIP_NAME)
    problems = []
    for page in PAGES:
        html = (site / f"{page}.html").read_text(encoding="utf-8")
        for url in urls.values():
            if f'href="{url}"' not in html:
                problems.append(f"{page}: no link to {url}")
        if not re.search(r'<link[^>]*href="[^"]*_static/print\.css[^"]*"[^>]*media="print"', html) and \
                not re.search(r'<link[^>]*media="print"[^>]*href="[^"]*_static/print\.css', html):
            problems.append(f"{page}: no print stylesheet")
    landing = (site / f"{PAGES[0]}.html").read_text(encoding="utf-8")
    article = landing[landing.find('<article class="bd-article"'):]
    for url in urls.values():
        if f'href="{url}"' not in article:
            problems.append(f"{PAGES[0]}: its text does not link {url}")
    fail_if(problems, "pages without the offline edition's links or the print stylesheet:")


# --- Printing a page of the site from either mode --------------------------------------

def luminance(rgb) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0-255)."""
    channels = [c / 255 for c in rgb]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def word_contrasts(raster: np.ndarray, words: list[tuple[float, float, float, float]], scale: float) -> list[float]:
    """Each word's text-to-background contrast, measured on the printed page's pixels.

    The background is the most common colour in the word's box; the text is
    the box's pixel that differs most from it (a glyph's inked core).
    """
    ratios = []
    for x0, y0, x1, y1 in words:
        box = raster[int(y0 * scale):int(np.ceil(y1 * scale)), int(x0 * scale):int(np.ceil(x1 * scale))]
        pixels = box.reshape(-1, 3)
        if len(pixels) < 20:
            continue
        colours, counts = np.unique(pixels, axis=0, return_counts=True)
        background = colours[np.argmax(counts)]
        lum = np.array([luminance(c) for c in colours])
        ground = luminance(background)
        ink = colours[np.argmax(np.abs(lum - ground))]
        ratios.append(contrast(ink, background))
    return ratios


def words_of(bbox_html: str, phrase: str) -> list[tuple[float, float, float, float]]:
    """The boxes (in points) of the words of ``phrase`` where it is printed, from ``pdftotext -bbox``."""
    words = [(unescape(m[5]), tuple(float(m[i]) for i in range(1, 5))) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', bbox_html)]
    wanted = [squash(word) for word in phrase.split()][:12]
    for start in range(len(words)):
        if [squash(w) for w, _ in words[start:start + len(wanted)]] == wanted:
            return [box for _, box in words[start:start + len(wanted)]]
    return []


def first_paragraph(site, page: str) -> str:
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    article = html[html.find('<article class="bd-article"'):]
    return plain(re.search(r"<p>(.*?)</p>", article, flags=re.S).group(1))


@pytest.fixture(scope="module")
def printed_chapter(browser, site_url, tmp_path_factory) -> dict:
    """One chapter of the site printed from each colour mode, and its first page as pixels."""
    out = tmp_path_factory.mktemp("printed")
    page_name = "book/images"
    results = {}
    for mode in ("light", "dark"):
        context = browser.new_context(color_scheme=mode, viewport={"width": 1280, "height": 900})
        context.route(lambda url: not url.startswith(site_url), lambda route: route.abort())
        tab = context.new_page()
        try:
            tab.goto(f"{site_url}{page_name}.html", wait_until="load")
            tab.evaluate("async () => { await document.fonts.ready; }")
            shown = tab.evaluate("() => document.documentElement.dataset.theme")
            assert shown == mode, f"{page_name} shows the {shown} theme in {mode} mode"
            path = out / f"{mode}.pdf"
            tab.pdf(path=str(path), format="A4")
            after = tab.evaluate("() => document.documentElement.dataset.theme")
            assert after == mode, f"after printing, {page_name} stays in the {after} theme, not {mode}"
        finally:
            context.close()
        run("pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", str(path), str(out / mode))
        raster = next(out.glob(f"{mode}*.png"))
        results[mode] = {
            "pdf": path,
            "raster": np.asarray(Image.open(raster).convert("RGB")),
            "bbox": run("pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"),
            "text": run("pdftotext", "-enc", "UTF-8", str(path), "-"),
        }
    results["page"] = page_name
    return results


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_printed_text_is_readable_from_either_mode(site, printed_chapter, mode):
    printed = printed_chapter[mode]
    page = printed_chapter["page"]
    scale = 100 / 72
    checks = {"body text": first_paragraph(site, page), "the chapter's title": md_title(page)}
    for what, phrase in checks.items():
        boxes = words_of(printed["bbox"], phrase)
        assert boxes, f"{page} printed from {mode} mode: {what} ({phrase[:60]!r}) not found on page 1"
        ratios = word_contrasts(printed["raster"], boxes, scale)
        assert ratios, f"{page} printed from {mode} mode: {what} has no measurable pixels"
        median = statistics.median(ratios)
        assert median >= AA_CONTRAST, (
            f"{page} printed from {mode} mode: {what} has contrast {median:.2f}:1 on paper "
            f"(words: {', '.join(f'{r:.1f}' for r in ratios)}), under WCAG AA's {AA_CONTRAST}:1")


def test_dark_and_light_mode_print_the_same_page(printed_chapter):
    light, dark = printed_chapter["light"], printed_chapter["dark"]
    assert light["text"] == dark["text"], "the text printed from dark mode differs from light mode's"
    assert light["raster"].shape == dark["raster"].shape
    difference = np.abs(light["raster"].astype(int) - dark["raster"].astype(int))
    changed = float((difference.max(axis=2) > 32).mean())
    assert changed < 0.001, f"{changed:.2%} of page 1's pixels differ between dark-mode and light-mode prints"


def test_printed_page_has_no_toggle_text_or_buttons(printed_chapter):
    text = printed_chapter["light"]["text"]
    for noise in ("Click to show", "Click to hide", "Search", "Ctrl+K", "Launch", "Download this page"):
        assert noise not in text, f"the printed chapter shows the screen's {noise!r}"


# --- The site as a zip, read from file:// ----------------------------------------------

#: The download menu's entries, where the browser resolves their links.
DOWNLOADS_JS = """() => Array.from(document.querySelectorAll('.dropdown-download-buttons a'))
    .map((a) => ({label: a.textContent.trim(), href: a.href}))"""
#: The search page's results: link and snippet.
SEARCH_RESULTS_JS = """() => Array.from(document.querySelectorAll('#search-results ul.search > li'))
    .map((li) => ({href: li.querySelector('a').href, snippet: (li.querySelector('p.context') || {}).textContent}))"""


def test_the_zip_reads_offline_from_disk(offline, browser, tmp_path):
    pdfs = {f"{build_pdf.ZIP_FOLDER}/{build_pdf.PDF_NAME}": offline["pdf"],
            f"{build_pdf.ZIP_FOLDER}/ko/{build_pdf.PDF_NAME}": offline["ko_pdf"]}
    with zipfile.ZipFile(offline["zip"]) as archive:
        names = archive.namelist()
        assert all(name.startswith(build_pdf.ZIP_FOLDER + "/") for name in names)
        assert not any(name.endswith(".zip") for name in names), "the zip holds itself"
        for name, pdf in pdfs.items():
            assert name in names and archive.read(name) == pdf.read_bytes(), f"the zip does not hold {pdf} as {name}"
        assert sorted(name for name in names if name.endswith(".pdf")) == sorted(pdfs), "other PDFs in the zip"
        archive.extractall(tmp_path)
    folder = tmp_path / build_pdf.ZIP_FOLDER
    chapter = next(page for page in PAGES if page.endswith("padding-stride"))
    problems = []
    context = browser.new_context()
    # Nothing may come from anywhere but the disk.
    context.route(lambda url: not url.startswith("file:"), lambda route: route.abort())
    try:
        for page, query in (("index.html", None), ("book/filters.html", None), ("book/playground.html", None),
                            ("ko/book/filters.html", None), ("search.html", "padding"), ("ko/search.html", "stride")):
            tab = context.new_page()
            errors = []
            tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            tab.on("pageerror", lambda error: errors.append(f"uncaught {error}"))
            tab.on("requestfailed", lambda request: errors.append(f"failed {request.url}")
                   if not request.url.endswith("favicon.svg") else None)
            tab.goto((folder / page).as_uri() + (f"?q={query}" if query else ""), wait_until="load")
            if page.endswith("playground.html"):
                tab.wait_for_selector("#conv-playground[data-ready='true']", timeout=30_000)
            if query:
                # Search from disk (issue 18): results, each with its snippet, and no fetches.
                tab.wait_for_function("() => { const s = document.querySelector('#search-results .search-summary');"
                                      " return s && s.textContent.trim().length > 0; }", timeout=15_000)
                results = tab.evaluate(SEARCH_RESULTS_JS)
                if not results or not results[0]["href"].split("#")[0].endswith(f"/{chapter}.html"):
                    problems.append(f"{page}?q={query}: want {chapter} first, got {[r['href'] for r in results]}")
                problems += [f"{page}?q={query}: no snippet for {r['href']}" for r in results if not r["snippet"]]
            tab.wait_for_timeout(500)
            if page.endswith("filters.html"):
                shown = tab.evaluate("() => document.querySelectorAll('.bd-article .math').length")
                assert shown > 0, "the filters chapter shows no math from the zip"
                # The download menu: this language's PDF inside the zip, no "Site (.zip)".
                language_pdf = folder / page.replace("book/filters.html", build_pdf.PDF_NAME)
                entries = tab.evaluate(DOWNLOADS_JS)
                links = [entry["href"] for entry in entries]
                if language_pdf.as_uri() not in links:
                    problems.append(f"{page}: the download menu does not link {language_pdf.as_uri()}: {entries}")
                problems += [f"{page}: the download menu links {link} (online, or the zip itself)"
                             for link in links if link.endswith((".pdf", ".zip")) and link != language_pdf.as_uri()]
            problems += [f"{page}: {error}" for error in errors]
            tab.close()
    finally:
        context.close()
    fail_if(problems, "reading the zipped site from file://:")


def test_the_pdf_names_the_book_one_way(reader):
    # Issue 18: one name per language (tests/test_names.py checks the site's and the notebooks').
    from test_names import NAMES, SHORT_ENGLISH

    assert reader.metadata.title == NAMES["en"]
    first = " ".join(reader.pages[0].extract_text().split())
    assert NAMES["en"] in first, f"the title page: {first[:200]!r}"
    for number, page in enumerate(reader.pages, start=1):
        assert not SHORT_ENGLISH.search(" ".join(page.extract_text().split())), f"page {number}: the short name"
