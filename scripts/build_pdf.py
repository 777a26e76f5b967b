"""The offline edition (``make pdf``): the whole book as one PDF, and the site as a zip.

::

    python scripts/build_pdf.py                   # _build/pdf/conv-book.pdf and conv-book-site.zip
    python scripts/build_pdf.py --language ko     # _build/pdf/ko/conv-book.pdf (needs a Korean font)
    python scripts/build_pdf.py --language all    # a PDF for each of `languages:` in _config.yml
    python scripts/build_pdf.py --path-output /tmp/b --no-zip

The PDF is printed by headless Chromium (Debian's, as the tests use) from the
book's single-page build (``singlehtml``, built by ``scripts/build_book.py``
from the execution cache of ``<path-output>/_build``: no chapter executes
again). ``book/_ext/convbook_print.py`` gives that page a title page and a
table of contents, and ``book/_static/print.css`` lays it out for paper.
Before printing, every image is loaded and decoded and MathJax has typeset
every formula (a formula left as TeX stops the build); Chromium then prints
it, and the printed text tells on which page each chapter and section
starts. Those numbers go into the table of contents, whose pages alone are
printed again and replace the first print's. The PDF has bookmarks for the
chapters and their sections (where their headings print), working internal
links, and page numbers in its footer.

The zip is the built site (``<path-output>/_build/html``), made to read from
``file://`` without a server. There a browser refuses whatever it must fetch
with CORS, which ``file://`` does not have: web fonts and CSS masks. The
pages already show math without web fonts when read from disk (MathML,
``book/_ext/convbook_math.py``); in the zip they also do not preload fonts,
and the stylesheets carry their small SVG images inline.

The zip also holds every language's PDF found in the output folder
(``conv-book.pdf``, ``ko/conv-book.pdf``), each where the site publishes it,
and its pages' "Book (.pdf)" entries and links point at those copies; the
"Site (.zip)" entry, which would download the zip that is open, is left out,
and a link to the zip in a page's text (the landing page's) opens the
zipped site's own ``index.html``.
Its search works from ``file://`` as it is: the snippets come from a script
the site already has (``book/_ext/convbook_search.py``), not from fetches.
To have both PDFs in the zip, print the other languages first::

    python scripts/build_pdf.py --language ko --no-zip
    python scripts/build_pdf.py                   # English, then the zip with both PDFs
    python scripts/build_pdf.py --zip-only        # or: only the zip, every PDF required

The Pages workflow copies ``_build/pdf/`` into the site's root, where every
page's download menu links to both (``book/_ext/convbook_print.py``).
"""

from __future__ import annotations

import argparse
import base64
import functools
import html
import http.server
import io
import itertools
import logging
import os
import posixpath
import re
import subprocess
import sys
import threading
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import build_book  # noqa: E402  (scripts/build_book.py, beside this file)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PDFTOTEXT = os.environ.get("PDFTOTEXT", "pdftotext")
#: Flags that keep headless Chromium off the network (as tests/conftest.py).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PDF_NAME = "conv-book.pdf"
SITE_ZIP_NAME = "conv-book-site.zip"
#: The folder the zip unpacks to.
ZIP_FOLDER = "conv-book"
#: Paper and margins, as book/_static/print.css sets them (its page numbers
#: and the book's title sit in the bottom margin).
PAPER = {"format": "A4", "margin": {"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}}
# pypdf warns about Chromium's cross-reference table ("Object count ...
# exceeds defined trailer size"), which it reads correctly all the same.
logging.getLogger("pypdf").setLevel(logging.ERROR)

#: Goals of issue 11, with the execution cache filled.
TARGET_SECONDS = 30
TARGET_BYTES = 10_000_000


class PdfError(SystemExit):
    """The PDF cannot be made as promised; the message says why."""

    def __init__(self, message: str):
        super().__init__(f"build_pdf: {message}")


# --- Serving the single page ----------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class serve:
    """Serve a folder on 127.0.0.1 while the ``with`` block runs; ``.url`` is its address."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# --- Printing ---------------------------------------------------------------------------

#: Load every image now (lazy ones too), wait for the math (typeset by
#: KaTeX at build time, or by MathJax here) and the fonts; return what is
#: still missing.
READY_JS = """async () => {
    // Solutions open now, once (togglebutton would open and close them
    // again around each print), every <details> too, and every font loaded.
    document.querySelectorAll(".admonition.toggle.toggle-hidden button.toggle-button")
        .forEach((button) => button.click());
    document.querySelectorAll("details:not([open])").forEach((details) => { details.open = true; });
    await Promise.all(Array.from(document.fonts).map((font) => font.load().catch(() => null)));
    const images = Array.from(document.images);
    images.forEach((img) => { img.loading = "eager"; });
    await Promise.all(images.map((img) => img.decode().catch(() => null)));
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    await document.fonts.ready;
    const broken = images.filter((img) => !img.complete || img.naturalWidth === 0)
        .map((img) => img.getAttribute("src"));
    const closed = document.querySelectorAll(".admonition.toggle.toggle-hidden").length;
    const untypeset = Array.from(document.querySelectorAll(".bd-article .math"))
        .filter((el) => !el.querySelector("mjx-container, .katex, math"))
        .map((el) => el.textContent.trim().slice(0, 80));
    return {broken, untypeset, closed, images: images.length};
}"""

#: The table of contents' entries, in order: [level, title], level 1 for a
#: chapter and 2 for one of its sections.
TOC_TITLES_JS = """() => Array.from(document.querySelectorAll(".convbook-contents li")).map((li) => [
    li.classList.contains("convbook-toc-2") ? 2 : 1,
    li.querySelector(".convbook-toc-title").textContent.replace(/\\s+/g, " ").trim()])"""

#: Write page numbers (a list, one per entry) into the table of contents.
TOC_FILL_JS = """(pages) => {
    document.querySelectorAll(".convbook-contents li").forEach((li, i) => {
        li.querySelector(".convbook-toc-page").textContent = pages[i] ? String(pages[i]) : "";
    });
}"""

#: The chapters out of the page (kept, to put back), or back in: the
#: contents' pages alone print in a moment, where every print of the whole
#: book lays all of it out again.
CHAPTERS_OUT_JS = """() => {
    window.convbookChapters = Array.from(document.querySelectorAll("section[data-convbook-chapter]"))
        .map((section) => { const mark = document.createComment(""); section.replaceWith(mark); return [mark, section]; });
    return window.convbookChapters.length;
}"""
CHAPTERS_BACK_JS = """() => { window.convbookChapters.forEach(([mark, section]) => mark.replaceWith(section)); }"""

#: Every heading the print shows, in order: [level, text] without its "#"
#: link (for the bookmarks; evaluated with the print stylesheet applied),
#: and, where they are, the contents' entries, level 0 (they print the
#: same words as the headings they list).
HEADINGS_JS = """() => Array.from(document.querySelectorAll(
        "h1, h2, h3, h4, h5, h6, .convbook-contents .convbook-toc-title"))
    .filter((h) => h.getClientRects().length > 0 && getComputedStyle(h).visibility === "visible")
    .map((h) => {
        const copy = h.cloneNode(true);
        copy.querySelectorAll(".headerlink").forEach((a) => a.remove());
        const level = /^H[1-6]$/.test(h.tagName) ? Number(h.tagName[1]) : 0;
        return [level, copy.textContent.replace(/\\s+/g, " ").trim()];
    })"""

#: The only scripts the print runs (of the page's own, ``_static``):
#: togglebutton.js makes the solutions' toggles, which the print opens. The
#: theme's scripts (navigation, search, copy buttons) print nothing and
#: took a third of the page's load.
PRINT_SCRIPTS = ("documentation_options.js", "togglebutton.js")


def squash(text: str) -> str:
    """Text without white space, invisible characters (zero-width spaces: KaTeX's, soft
    hyphens), hyphens or ligatures ("ﬁ" is "fi"), to compare headings.

    ``pdftotext`` keeps the hyphen where a heading is hyphenated at a line's end.
    """
    text = unicodedata.normalize("NFKC", text).replace("-", "").replace("\u2010", "")
    return "".join(char for char in "".join(text.split()) if unicodedata.category(char) != "Cf")


@dataclass
class Bookmark:
    depth: int
    title: str
    page: int  # from 0
    left: float
    top: float


@dataclass
class Line:
    """A line of a printed page's text above its footer, as ``pdftotext -bbox-layout`` reads it."""

    page: int  # from 0
    left: float  # points from the page's left edge
    top: float  # points from the page's foot (PDF coordinates)
    text: str  # squashed


_PAGE = re.compile(r'<page width="[\d.]+" height="(?P<height>[\d.]+)">(?P<body>.*?)</page>', re.S)
_LINE = re.compile(r"<line\b[^>]*>(?P<words>.*?)</line>", re.S)
_WORD = re.compile(r'<word xMin="(?P<x>[\d.]+)" yMin="(?P<y>[\d.]+)"[^>]*>(?P<text>.*?)</word>', re.S)
#: Icons (Font Awesome's, in Unicode's private use area) are no text: a
#: line of an icon alone is dropped.
_ICONS = re.compile("[\ue000-\uf8ff]")
#: Where a page's bottom margin (its footer) starts, in points from its top
#: (A4, print.css's 18 mm).
FOOT_PT = (297 - 18) / 25.4 * 72


def page_lines(pdf: bytes) -> list[Line]:
    """Every line of text of the PDF's pages, footers aside, in reading order."""
    result = subprocess.run([PDFTOTEXT, "-bbox-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True)
    if result.returncode != 0:
        raise PdfError(f"pdftotext failed: {result.stderr.decode(errors='replace')[-500:]}")
    lines = []
    for number, page in enumerate(_PAGE.finditer(result.stdout.decode("utf-8"))):
        height = float(page["height"])
        for line in _LINE.finditer(page["body"]):
            words = list(_WORD.finditer(line["words"]))
            if words and float(words[0]["y"]) < FOOT_PT:
                text = _ICONS.sub("", squash(html.unescape("".join(word["text"] for word in words))))
                if text:
                    lines.append(Line(number, float(words[0]["x"]), height - float(words[0]["y"]), text))
    return lines


#: The most lines one heading wraps over.
HEADING_LINES = 4


def _heading_at(lines: list[Line], start: int, target: str, entry: bool) -> int | None:
    """The last of the lines from ``start`` on that print ``target`` whole, or None.

    ``pdftotext`` may give a heading's number after its words (as two lines, where the
    number sits on another baseline); a contents' entry (``entry``) may end with its
    page number.
    """
    window: list[str] = []
    for end in range(start, min(start + HEADING_LINES, len(lines))):
        text = lines[end].text
        if entry and not window and text.startswith(target):
            return end
        if not text or text not in target:
            return None
        window.append(text)
        if sum(map(len, window)) > len(target):
            return None
        if any("".join(order) == target for order in itertools.permutations(window)):
            return end
    return None


def _pass_entries(lines: list[Line], position: int, entries: list[str]) -> int:
    """The line after the contents' entries, which start at ``position``.

    With their page numbers, ``pdftotext`` may read the entries in another
    order (a chapter's before or after its sections): each is the first
    line not taken yet that prints it, among the next few.
    """
    taken: set[int] = set()
    last = position - 1
    stop = min(len(lines), position + 4 * len(entries) + 40)
    for title in entries:
        target = squash(title)
        for start in range(position, stop):
            end = None if start in taken else _heading_at(lines, start, target, entry=True)
            if end is not None:
                taken.update(range(start, end + 1))
                last = max(last, end)
                break
        else:
            raise PdfError(f"the contents' entry {title!r} is not printed in the contents")
    return last + 1


def locate_headings(headings: list[tuple[int, str]], lines: list[Line], front: int | None = None) -> list[Bookmark]:
    """Each heading (level, text), in order, where the PDF prints it: a bookmark for it.

    A heading is the next run of whole lines whose text is the heading's, so prose that
    quotes a heading inside a line is never taken for it. A contents' entry (level 0)
    is passed over, the page number its line may end with included; where the contents
    are known to fill the first ``front`` pages (their numbers filled in, which
    ``pdftotext`` reads in no useful order), those pages are. A bookmark nests under
    the last one before it of a lower level, as Chromium's own outline does.
    """
    marks: list[Bookmark] = []
    levels: list[int] = []
    position = index = 0
    while index < len(headings):
        level, title = headings[index]
        if level == 0:
            entries = []
            while index < len(headings) and headings[index][0] == 0:
                entries.append(headings[index][1])
                index += 1
            if front is None:
                position = _pass_entries(lines, position, entries)
            else:
                position = next((i for i in range(position, len(lines)) if lines[i].page >= front), len(lines))
            continue
        index += 1
        target = squash(title)
        found = None
        for start in range(position, len(lines)) if target else ():
            end = _heading_at(lines, start, target, entry=level == 0)
            if end is not None:
                found = (start, end)
                break
        if found is None:
            raise PdfError(f"the heading {title!r} (h{level}) is not printed where expected, after "
                           f"{marks[-1].title if marks else 'the start'!r} (page {marks[-1].page + 1 if marks else 1})")
        position = found[1] + 1
        run = lines[found[0]:found[1] + 1]
        while levels and levels[-1] >= level:
            levels.pop()
        marks.append(Bookmark(len(levels), title, run[0].page, min(line.left for line in run),
                              max(line.top for line in run)))
        levels.append(level)
    return marks


def toc_marks(entries: list[tuple[int, str]], marks: list[Bookmark]) -> list[int]:
    """For each table-of-contents entry (level, title), the index of its bookmark in
    ``marks``: a chapter's (level 1) at the outline's top level, a section's (level 2)
    under its chapter."""
    pages, position = [], 0
    for level, title in entries:
        found = None
        for index in range(position, len(marks)):
            mark = marks[index]
            if level == 2 and mark.depth == 0:
                break  # the next chapter: no such section in this one
            if mark.depth == level - 1 and squash(mark.title) == squash(title):
                found = index
                break
        if found is None:
            raise PdfError(f"no bookmark for the contents' entry {title!r} (level {level}); "
                           f"bookmarks: {[m.title for m in marks if m.depth < level]}")
        pages.append(found)
        position = found + 1
    return pages


def print_pdf(url: str, title: str, author: str, language: str) -> tuple[bytes, dict]:
    """Print the single page at ``url``; return the PDF and facts about it.

    One print of the whole book, with the table of contents' page numbers
    left empty, tells where every chapter and section starts: its text
    (``pdftotext``) holds each heading, in order. The numbers go into the
    contents, and the title page and the contents alone, the chapters
    taken out of the page for a moment, are printed again and take the
    place of the first print's pages: a print of the whole book lays all of
    it out again, which is most of its time. The bookmarks come from the
    same headings. The PDF is not tagged: tags would double its size.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise PdfError(f"Chromium not found at {CHROMIUM}: `make pdf` installs Debian's chromium; "
                       "set CHROMIUM to use another binary")
    options = dict(PAPER, print_background=True, prefer_css_page_size=True)
    steps: dict[str, float] = {}

    def unneeded(target: str) -> bool:
        if not target.startswith(url):
            return True
        path = target.split("?")[0]
        return path.endswith(".js") and "/_static/" in path and not path.endswith(PRINT_SCRIPTS)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(color_scheme="light", viewport={"width": 1280, "height": 900},
                                          service_workers="block")
            context.route(unneeded, lambda route: route.abort())
            # A loaded two-core machine takes its time (Playwright's default is 30 s).
            context.set_default_timeout(300_000)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            clock = time.perf_counter()
            page.goto(url + "index.html", wait_until="load")
            ready = page.evaluate(READY_JS)
            if ready["broken"]:
                raise PdfError(f"{len(ready['broken'])} image(s) did not load: {ready['broken'][:5]}")
            if ready["untypeset"]:
                raise PdfError(f"{len(ready['untypeset'])} formula(s) not typeset: {ready['untypeset'][:5]}")
            if ready["closed"]:
                raise PdfError(f"{ready['closed']} solution(s) did not open")
            if errors:
                raise PdfError(f"the page raised errors: {errors[:5]}")
            titles = page.evaluate(TOC_TITLES_JS)
            if not titles:
                raise PdfError("the single page has no table of contents (is book/_ext/convbook_print.py loaded?)")
            page.emulate_media(media="print")
            page.evaluate("async () => { await document.fonts.ready; }")
            headings = page.evaluate(HEADINGS_JS)
            steps["page load"] = time.perf_counter() - clock
            clock = time.perf_counter()
            pdf = page.pdf(**options)
            steps["print"] = time.perf_counter() - clock
            filled, contents = None, None
            for _ in range(3):
                lines = page_lines(pdf)
                # A print with the contents filled in: they keep their pages.
                marks = locate_headings(headings, lines, None if filled is None else front)
                found = toc_marks(titles, marks)
                pages = [marks[index].page + 1 for index in found]
                if pages == filled:
                    break
                # The page numbers take no more room than the empty slots
                # did, so the contents keep their pages, and the book its
                # layout: checked letter by letter against a print of the
                # title page and the contents alone.
                page.evaluate(TOC_FILL_JS, pages)
                filled = pages
                clock = time.perf_counter()
                front = min(pages) - 1
                if not page.evaluate(CHAPTERS_OUT_JS):
                    raise PdfError("the single page has no chapters (section[data-convbook-chapter])")
                contents = page.pdf(**options)
                page.evaluate(CHAPTERS_BACK_JS)
                steps["contents' print"] = time.perf_counter() - clock
                if same_front(contents, pdf, front):
                    break
                # Laid out otherwise: all of it again, measured again.
                pdf, contents = page.pdf(**options), None
            else:
                raise PdfError("the contents' page numbers do not settle after three prints")
        finally:
            browser.close()
    check_chapter_pages(lines, [title for _, title in titles], pages)
    pdf = finish_pdf(pdf, marks, title, author, language, (contents, front) if contents else None)
    chapters = {title: number for (level, title), number in zip(titles, pages) if level == 1}
    return pdf, {"images": ready["images"], "chapters": chapters, "sections": len(titles) - len(chapters),
                 "steps": steps}


def same_front(contents: bytes, pdf: bytes, front: int) -> bool:
    """Whether the print of the title page and the contents alone is laid out as the whole
    book's first ``front`` pages: as many pages, each with the same letters but its numbers."""
    def words(texts: list[str]) -> list[list[str]]:
        # Each page's letters: pdftotext may read the entries in another order.
        return [sorted(re.sub(r"\d", "", squash(text))) for text in texts]

    short = page_texts(contents)
    return len(short) == front and words(short) == words(page_texts(pdf, last=front))


def page_texts(pdf: bytes, last: int | None = None) -> list[str]:
    """Each page's text, up to page ``last`` if given (``pdftotext``, from poppler-utils,
    which ``make pdf`` installs)."""
    pages = ["-l", str(last)] if last else []
    result = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", *pages, "-", "-"], input=pdf, capture_output=True)
    if result.returncode != 0:
        raise PdfError(f"pdftotext failed: {result.stderr.decode(errors='replace')[-500:]}")
    return result.stdout.decode("utf-8").split("\f")[:-1]


def check_chapter_pages(lines: list[Line], titles: list[str], pages: list[int]) -> None:
    """Each chapter's and section's title is on the page the contents (and the bookmarks) give."""
    printed: dict[int, str] = {}
    for line in lines:
        printed[line.page] = printed.get(line.page, "") + line.text
    moved = [f"{title!r} (page {number})" for title, number in zip(titles, pages)
             if squash(title) not in printed.get(number - 1, "")]
    if moved:
        raise PdfError(f"chapters or sections not on the pages the contents give: {moved}")


def finish_pdf(pdf: bytes, marks: list[Bookmark], title: str, author: str, language: str,
               front: tuple[bytes, int] | None = None) -> bytes:
    """The PDF with its bookmarks, title, author and language, and its first pages'
    content from another print of them (``front``: that PDF and how many pages), if given.

    The pages themselves stay, with their links and every named destination
    on them: the other print differs only in its numbers.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    if front:
        source = PdfReader(io.BytesIO(front[0]))
        for number in range(front[1]):
            page, new = writer.pages[number], source.pages[number]
            # The links stay: the same places on the same pages.
            for key in ("/Contents", "/Resources"):
                if key in new:
                    value = new.raw_get(key).clone(writer)
                    page[NameObject(key)] = value
    parents: list = []
    for mark in marks:
        del parents[mark.depth:]
        parent = parents[-1] if parents else None
        item = writer.add_outline_item(title=mark.title, page_number=mark.page, parent=parent,
                                       fit=Fit.xyz(left=mark.left, top=mark.top, zoom=None))
        parents.append(item)
    writer.add_metadata({"/Title": title, "/Author": author, "/Creator": "scripts/build_pdf.py"})
    writer._root_object[NameObject("/Lang")] = TextStringObject(language)
    # Open with the bookmarks shown.
    writer._root_object[NameObject("/PageMode")] = NameObject("/UseOutlines")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_facts(single: Path) -> tuple[str, str]:
    """The book's title and author, as the single page's title page prints them."""
    text = (single / "index.html").read_text(encoding="utf-8")
    found = {
        key: re.search(rf'<p class="convbook-{key}">(.*?)</p>', text, flags=re.S)
        for key in ("title", "author")
    }
    if not found["title"]:
        raise PdfError(f"{single / 'index.html'} has no title page: is book/_ext/convbook_print.py "
                       "in _config.yml's local_extensions?")
    return tuple(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else "" for m in found.values())


def check_font(language: str) -> None:
    """A language written in another script needs a font for it (Korean: fonts-nanum)."""
    if language != "ko":
        return
    found = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout.strip()
    if not found:
        raise PdfError("no Korean font installed: `make pdf PDF_LANGUAGE=ko` installs Debian's fonts-nanum")


# --- The site as a zip ------------------------------------------------------------------

_FONT_PRELOAD = re.compile(r'\s*<link rel="preload" as="font"[^>]*>')
_CSS_URL = re.compile(r'url\((["\']?)(?P<path>[^"\')]+\.svg)\1\)')
#: Files of the published site that are not part of the offline copy.
NOT_ZIPPED = {PDF_NAME, SITE_ZIP_NAME}


def offline_html(text: str) -> str:
    """A page that reads from file://: no font preloads (file:// cannot fetch them)."""
    return _FONT_PRELOAD.sub("", text)


def offline_css(text: str, folder: Path) -> str:
    """A stylesheet whose small SVG images are inline (file:// refuses CSS masks)."""

    def inline(match):
        target = (folder / match["path"]).resolve()
        if match["path"].startswith(("data:", "http:", "https:", "/")) or not target.is_file() \
                or target.stat().st_size > 32_000:
            return match.group(0)
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f'url("data:image/svg+xml;base64,{data}")'

    return _CSS_URL.sub(inline, text)


_CANONICAL = re.compile(r'<link rel="canonical" href="(?P<url>[^"]+)"')


def _language_folder(language: str) -> str:
    """Where a language lives in the site: ``""`` for the first, ``"ko/"`` for Korean."""
    return "" if language == build_book.LANGUAGES[0] else f"{language}/"


def offline_downloads(text: str, page: str, pdfs: set[str]) -> str:
    """A page whose download links point at the zip's own PDFs, without the zip's own entry.

    ``page`` is the page's path in the site (``ko/book/filters.html``);
    ``pdfs``, the paths in the site of the PDFs the zip holds. The published
    addresses come from the page's canonical link (its address on the site).
    """
    canonical = _CANONICAL.search(text)
    if not canonical or "://" not in canonical["url"] or not canonical["url"].endswith(page):
        return text
    site = canonical["url"][: -len(page)]
    folder = posixpath.dirname(page) or "."
    for pdf in sorted(pdfs):
        text = text.replace(f'href="{site}{pdf}"', f'href="{posixpath.relpath(pdf, folder)}"')
    # The menu's "Site (.zip)" entry: the reader has the site already.
    entry = re.compile(rf'<li>\s*<a href="{re.escape(site + SITE_ZIP_NAME)}"[^>]*>.*?</a>\s*</li>', re.S)
    text = entry.sub("", text)
    # A link to the zip in a page's text (the landing page's "or the whole
    # site, conv-book-site.zip, and open its index.html"): that index.html.
    language = page.split("/")[0] if page.split("/")[0] in build_book.LANGUAGES[1:] else build_book.LANGUAGES[0]
    home = posixpath.relpath(f"{_language_folder(language)}index.html", folder)
    return text.replace(f'href="{site}{SITE_ZIP_NAME}"', f'href="{home}"')


def build_zip(site: Path, target: Path, pdfs: dict[str, Path] | None = None) -> int:
    """Zip the built site for reading offline, with the PDFs given by language; return the number of files."""
    if not (site / "index.html").is_file():
        raise PdfError(f"no built site at {site}: run `make book` first")
    pdfs = pdfs or {}
    in_site = {f"{_language_folder(language)}{PDF_NAME}": path for language, path in pdfs.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    count = 0
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(site.rglob("*")):
            if not path.is_file() or path.name in NOT_ZIPPED:
                continue
            relative = path.relative_to(site).as_posix()
            name = f"{ZIP_FOLDER}/{relative}"
            if path.suffix == ".html":
                text = offline_html(path.read_text(encoding="utf-8"))
                archive.writestr(name, offline_downloads(text, relative, set(in_site)))
            elif path.suffix == ".css" and "_static" in path.relative_to(site).parts:
                archive.writestr(name, offline_css(path.read_text(encoding="utf-8"), path.parent))
            else:
                archive.write(path, name)
            count += 1
        for relative, pdf in sorted(in_site.items()):
            # Already compressed: stored as it is.
            archive.write(pdf, f"{ZIP_FOLDER}/{relative}", compress_type=zipfile.ZIP_STORED)
            count += 1
    partial.replace(target)
    return count


def zip_pdfs(out: Path, required: bool) -> dict[str, Path]:
    """Every language's PDF in ``out``; a missing one is an error when ``required``, else a warning."""
    found = {language: pdf_path(out, language) for language in build_book.LANGUAGES}
    missing = {language: path for language, path in found.items() if not path.is_file()}
    for language, path in missing.items():
        advice = f"`python scripts/build_pdf.py --language {language} --no-zip` first"
        if required:
            raise PdfError(f"no {language} PDF at {path} for the zip: run {advice}")
        print(f"warning: the zip has no {language} PDF ({path} is missing; run {advice}): "
              "its pages' \"Book (.pdf)\" entries point online", flush=True)
    return {language: path for language, path in found.items() if language not in missing}


# --- Main -------------------------------------------------------------------------------

def pdf_path(out: Path, language: str) -> Path:
    """``out/conv-book.pdf`` for the book's first language, ``out/<language>/conv-book.pdf`` otherwise."""
    return out / PDF_NAME if language == build_book.LANGUAGES[0] else out / language / PDF_NAME


def build_pdf(language: str, output: Path, out: Path, quiet: bool = True) -> tuple[Path, dict]:
    """Build the single page for ``language`` and print it; return the PDF's path and facts."""
    check_font(language)
    cache = output / "_build" / ".jupyter_cache"
    if not cache.exists():
        print(f"note: no execution cache in {cache}: the chapters execute now", flush=True)
    start = time.perf_counter()
    single = build_book.build(language, output, builder="singlehtml", quiet=quiet)
    built = time.perf_counter()
    title, author = page_facts(single)
    with serve(single) as server:
        pdf, facts = print_pdf(server.url, title, author, language)
    facts["seconds"] = {"single page": built - start, "printing": time.perf_counter() - built, **facts.pop("steps")}
    target = pdf_path(out, language)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pdf)
    return target, facts


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default=build_book.LANGUAGES[0],
                        help=f"one of `languages:` in _config.yml ({' '.join(build_book.LANGUAGES)}), "
                             "or all: one PDF each (default: the first)")
    parser.add_argument("--path-output", type=Path, default=ROOT,
                        help="the folder whose _build holds the execution cache (default: the repository)")
    parser.add_argument("--site", type=Path, help="the built site to zip (default: PATH_OUTPUT/_build/html)")
    parser.add_argument("--out", type=Path, help="where to write the PDF and zip (default: PATH_OUTPUT/_build/pdf)")
    parser.add_argument("--no-zip", action="store_true", help="only the PDF")
    parser.add_argument("--zip-only", action="store_true",
                        help="only the zip, with every language's PDF already printed into --out")
    parser.add_argument("--verbose", action="store_true", help="show the single-page build's log")
    args = parser.parse_args(argv)
    output = args.path_output.resolve()
    out = (args.out or output / "_build" / "pdf").resolve()
    site = (args.site or output / "_build" / "html").resolve()

    if args.zip_only and args.no_zip:
        parser.error("--zip-only and --no-zip ask for nothing")
    if args.zip_only:
        return write_zip(site, out, required=True)
    languages = build_book.LANGUAGES if args.language == "all" else (args.language,)
    if not set(languages) <= set(build_book.LANGUAGES):
        parser.error(f"--language {args.language}: the book's languages are {' '.join(build_book.LANGUAGES)} "
                     "(`languages:` in _config.yml), or all")
    for language in languages:
        start = time.perf_counter()
        pdf, facts = build_pdf(language, output, out, quiet=not args.verbose)
        seconds = time.perf_counter() - start
        size = pdf.stat().st_size
        print(f"[convbook] PDF ({language}): {page_count(pdf)} pages, {facts['images']} images, "
              f"{len(facts['chapters'])} chapters, {size / 1e6:.1f} MB, in {seconds:.1f} s ("
              + ", ".join(f"{step} {time_s:.1f} s" for step, time_s in facts["seconds"].items()) + f") -> {pdf}",
              flush=True)
        if size > TARGET_BYTES:
            print(f"warning: the PDF is {size / 1e6:.1f} MB, over the {TARGET_BYTES / 1e6:.0f} MB goal", flush=True)
    if not args.no_zip:
        # With every language printed, the zip must hold every PDF.
        return write_zip(site, out, required=args.language == "all")
    return 0


def write_zip(site: Path, out: Path, required: bool) -> int:
    """The site's zip, with the PDFs in ``out`` (all of them when ``required``)."""
    start = time.perf_counter()
    target = out / SITE_ZIP_NAME
    pdfs = zip_pdfs(out, required)
    count = build_zip(site, target, pdfs)
    print(f"[convbook] site zip: {count} files ({', '.join(sorted(pdfs))} PDF), "
          f"{target.stat().st_size / 1e6:.1f} MB, in {time.perf_counter() - start:.1f} s -> {target}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
