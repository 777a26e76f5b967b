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
def pages_layout_text(pdf) -> list[str]:
    """The same, in the page's physical layout: the footer is its last line.

    In reading order, a formula set near the foot (its tall root sign) can
    come after the footer's page number.
    """
    return run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-").split("\f")[:-1]


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


def contents_pages(pages_text) -> list[int]:
    """The pages (from 1) of the table of contents: from page 2 up to the first chapter's."""
    first = squash(md_title(PAGES[0]))
    end = next(number for number, text in enumerate(pages_text[2:], start=3)
               if squash(text).startswith(first))
    return list(range(2, end))


def site_sections(site, page: str) -> list[str]:
    """A chapter's sections (its second-level headings, numbered) as the site shows them."""
    html = (site / f"{page}.html").read_text(encoding="utf-8")
    article = html[html.find('<article class="bd-article"'):]
    return [plain(m) for m in re.findall(r"<h2>(.*?)</h2>", article, flags=re.S)]


def test_title_page_then_contents_with_page_numbers(site, pdf, pages_text):
    title = md_title(PAGES[0])
    assert squash(title) in squash(pages_text[0]), f"page 1 is not the title page: {pages_text[0][:300]!r}"
    pages = contents_pages(pages_text)
    # The pages as laid out: each entry's title and page number on one line.
    contents = run("pdftotext", "-layout", "-enc", "UTF-8", "-f", str(pages[0]), "-l", str(pages[-1]), str(pdf), "-")
    assert squash("Contents") in squash(contents[:200]), f"page 2 is not the contents: {contents[:300]!r}"
    # Each chapter's and section's line in the contents ends with the page its title is on.
    problems = []
    lines = [" ".join(line.split()) for line in contents.splitlines() if line.strip()]
    entries = [(page, md_title(page)) for page in PAGES[1:]]
    entries += [(page, section) for page in PAGES for section in site_sections(site, page)]
    assert len(entries) > 60, f"only {len(entries)} chapters and sections"
    for page, title in entries:
        line = next((line for line in lines if squash(line).startswith(squash(title))
                     or re.sub(r"^(\d+\.)+", "", squash(line)).startswith(squash(title))), None)
        number = re.search(r"(\d+)$", line or "")
        if not number:
            problems.append(f"{title!r}: no line with a page number in the contents ({line!r})")
            continue
        printed = pages_text[int(number[1]) - 1] if int(number[1]) <= len(pages_text) else ""
        if squash(title) not in squash(printed):
            problems.append(f"{title!r}: the contents say page {number[1]}, which does not print it")
    fail_if(problems, "the table of contents is wrong:")


def test_contents_have_dot_leaders(pdf, pages_text):
    """Between each entry's title and its page number, a dotted line (drawn, so measured
    on the page's pixels): many short dark runs along the entry's baseline."""
    pages = contents_pages(pages_text)
    boxes = run("pdftotext", "-bbox", "-f", str(pages[0]), "-l", str(pages[0]), str(pdf), "-")
    words = [(float(m[1]), float(m[2]), float(m[3]), float(m[4]), unescape(m[5])) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', boxes)]
    # Above the page's foot (its footer has a number too).
    numbers = [word for word in words if re.fullmatch(r"\d+", word[4]) and word[0] > 300 and word[3] < FOOT_PT]
    assert len(numbers) > 20, f"only {len(numbers)} page numbers on the first contents page"
    scale = 100 / 72
    out = Path(str(pdf) + ".contents")
    run("pdftoppm", "-r", "100", "-gray", "-f", str(pages[0]), "-l", str(pages[0]), "-png", str(pdf), str(out))
    raster = np.asarray(Image.open(next(out.parent.glob(out.name + "*.png"))).convert("L"))
    without = []
    for x0, y0, x1, y1, text in numbers:
        # The entry's title ends where the last word before the number on its line ends.
        line = [word for word in words if abs(word[3] - y1) < 2 and word[2] < x0]
        if not line:
            continue
        start = max(word[2] for word in line)
        band = raster[int(y0 * scale):int(np.ceil(y1 * scale)), int(start * scale) + 4:int(x0 * scale) - 4]
        columns = (band < 160).any(axis=0)
        runs = int(np.count_nonzero(columns[1:] & ~columns[:-1]))
        width = band.shape[1]
        if width > 30 and runs < width / 12:
            without.append(f"{' '.join(w[4] for w in line)[:50]!r} ... {text}: {runs} dots over {width} px")
    fail_if(without, "contents entries without a dot leader:")


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


def test_pages_are_numbered(pages_layout_text):
    """Every page after the title page ends with its number; the title page has none."""
    pages_text = pages_layout_text
    assert not re.search(r"\d\s*$", pages_text[0].rstrip()), \
        f"the title page has a number at its foot: {pages_text[0][-80:]!r}"
    unnumbered = [str(number) for number, text in enumerate(pages_text, start=1)
                  if number > 1 and not re.search(rf"(?<!\d){number}\s*$", text.rstrip())]
    fail_if(unnumbered[:20], f"{len(unnumbered)} page(s) without their number at the foot:")


def chapter_ranges(reader) -> dict[str, range]:
    """Each chapter's pages (from 1), from the PDF's top-level bookmarks (checked above
    against the pages that print their headings)."""
    starts = []
    for item in reader.outline:
        if not isinstance(item, list):
            starts.append((str(item.title), reader.get_destination_page_number(item) + 1))
    ranges = {}
    for (title, start), (_, end) in zip(starts, starts[1:] + [("", len(reader.pages) + 1)]):
        ranges[title] = range(start, max(end, start + 1))
    return ranges


#: Where a page's bottom margin starts, in points from its top (A4, 18 mm margin).
FOOT_PT = (297 - 18) / 25.4 * 72


@pytest.fixture(scope="session")
def footers(pdf) -> list[str]:
    """Each page's footer: the words printed in its bottom margin, left to right."""
    found = []
    for page in run("pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-").split("<page ")[1:]:
        words = [(float(m[1]), unescape(m[3])) for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">(.*?)</word>', page)
            if float(m[2]) > FOOT_PT]
        found.append(" ".join(word for _, word in sorted(words)))
    return found


def test_footer_names_the_chapter(reader, footers):
    """Each page of a chapter carries the chapter's title in its footer, then its number."""
    ranges = chapter_ranges(reader)
    problems = []
    for page in PAGES:
        title = md_title(page)
        mark = next((mark for mark in ranges if squash(mark).endswith(squash(title))), None)
        assert mark, f"no bookmark for {title!r}"
        for number in ranges[mark]:
            if squash(footers[number - 1]) != squash(mark) + str(number):
                problems.append(f"page {number} ({title}): its footer reads {footers[number - 1]!r}")
    fail_if(problems[:20], f"{len(problems)} page(s) whose footer does not name their chapter:")


@pytest.fixture(scope="session")
def page_fills(pdf) -> list[float]:
    """Each page's share of the text area above its lowest inked row, at 30 dpi (the
    margins as print.css sets them: 16 mm at the top, 18 mm at the foot)."""
    out = Path(str(pdf) + ".fill")
    out.mkdir(exist_ok=True)
    run("pdftoppm", "-r", "30", "-gray", "-png", str(pdf), str(out / "page"))
    fills = []
    for path in sorted(out.glob("page-*.png")):
        pixels = np.asarray(Image.open(path).convert("L"))
        area = pixels[round(16 / 25.4 * 30):pixels.shape[0] - round(18 / 25.4 * 30)]
        inked = np.nonzero((area < 230).any(axis=1))[0]
        fills.append((inked.max() + 1) / area.shape[0] if len(inked) else 0.0)
    assert len(fills) == len(list(out.glob("page-*.png"))) > 100
    return fills


def test_no_page_holds_only_its_footer(page_fills):
    empty = [str(number) for number, fill in enumerate(page_fills, start=1) if fill == 0 and number > 1]
    fail_if(empty, "pages that hold nothing but their footer:")


def test_pages_are_at_least_half_filled(reader, page_fills, pdf_images, pages_text):
    """No page is less than half filled, but a chapter's last, the contents' last, or one
    followed by a figure that did not fit on it (long listings and solutions break across
    pages)."""
    last_pages = {max(pages) for pages in chapter_ranges(reader).values()}
    last_pages.add(max(contents_pages(pages_text)))
    figure_pages = {image["page"] for image in pdf_images}
    low = [f"page {number}: {fill:.0%}" for number, fill in enumerate(page_fills, start=1)
           if fill < 0.5 and number > 1 and number not in last_pages and number + 1 not in figure_pages]
    fail_if(low, "pages less than half filled mid-chapter:")


def test_every_exercise_and_solution_heading(site, pages_text):
    expected = site_exercises(site)
    assert len(expected) > 50, f"the site has only {len(expected)} exercise and solution titles"
    missing = find_in_order(pages_text, [title for _, title in expected])
    fail_if(missing, "exercise or solution titles of the site missing from the PDF (or out of order):")
    text = "\n".join(pages_text)
    for toggle in ("Click to show", "Click to hide"):
        assert toggle not in text, f"the PDF prints the toggle text {toggle!r}"


def _body_text(pages_text: list[str], footers: list[str]) -> list[str]:
    """Each page's text without its footer (which ``pdftotext`` may put between two
    lines of a paragraph), with the site's typographic quotes and dashes as the
    sources type them; squashed."""
    table = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                           "\u200b": ""})
    return [squash(text.translate(table)).replace(squash(footer), "", 1) if footer.strip()
            else squash(text.translate(table)) for text, footer in zip(pages_text, footers)]


def _titled(title: str, pieces: list[str]) -> str:
    """A title with the words that open its body, when the body opens with plain words.

    A title alone might be found in a cross-reference to it ("see Exercise 2.1"):
    with its first words it is found only where it heads its exercise. Not when
    the first line holds math, whose fractions and exponents ``pdftotext`` may
    print before the line's words.
    """
    from source_text import fragments

    text = " ".join(" ".join(pieces).split())
    first_line = next((line for line in "\n".join(pieces).splitlines() if line.strip()), "")
    first = next(iter(fragments(text)), "")
    if not first or not text.startswith(first) or "$" in first_line:
        return title
    return f"{title} {' '.join(first.split()[:6])}"


def test_every_exercise_and_solution_of_the_sources_prints(pages_text, footers):
    """Issue 19: every exercise and solution of the chapters' sources, by its title
    ("Exercise 2.1", numbered as ``_toc.yml`` numbers the chapters), with its
    opening words, and every plain-word run of its body, in order (checked
    against the sources, not the site: a loss the site shares is caught too)."""
    from source_text import chapter_numbers, exercises, fragments

    numbers = chapter_numbers()
    asked, answered, words = [], [], []
    for page in PAGES:
        for index, exercise in enumerate(exercises(page), start=1):
            # The index page is not numbered: its exercises are 1, 2, 3.
            title = f"Exercise {numbers[page]}.{index}" if page in numbers else f"Exercise {index}"
            asked.append(_titled(title, [exercise.body]))
            words += fragments(exercise.body)
            if exercise.solved:
                opening = [] if exercise.solution_opens_with_code else exercise.solution
                answered.append(_titled(f"Solution to {title}", opening))
                words += [run for piece in exercise.solution for run in fragments(piece)]
    assert len(asked) > 50 and len(answered) > 50, f"{len(asked)} exercises, {len(answered)} solutions"
    pages_text = _body_text(pages_text, footers)
    missing = find_in_order(pages_text, asked) + find_in_order(pages_text, answered)
    # Typeset math's fractions and exponents print as stray digits between a
    # paragraph's lines: the words are compared without digits (the numbers are
    # checked against the code by tests/test_prose_numbers.py).
    missing += find_in_order([re.sub(r"\d", "", text) for text in pages_text],
                             [re.sub(r"\d", "", run) for run in words])
    fail_if(missing[:20], f"{len(missing)} exercise or solution titles or words of the sources "
                          "missing from the PDF (or out of order):")


def test_every_figure_caption_of_the_sources_prints(pages_text, footers):
    """Issue 19: every figure caption of the chapters' sources, each plain-word run
    of it in order (the site's captions are compared in
    ``test_every_figure_with_its_caption``; a caption the site lost too is caught here)."""
    from source_text import figure_captions, fragments

    expected = [run for page in PAGES for caption in figure_captions(page) for run in fragments(caption)]
    assert len(expected) > 100, f"only {len(expected)} pieces of captions in the sources"
    missing = find_in_order(_body_text(pages_text, footers), expected)
    fail_if(missing[:20], f"{len(missing)} pieces of the sources' figure captions missing from the PDF "
                          "(or out of order):")


def visible_code_lines() -> list[tuple[str, str]]:
    """Every line of every code cell a reader sees, in the chapters' sources: (page, line)."""
    from run_chapter import read_chapter, visible_code_cells

    return [(page, line) for page in PAGES
            for cell in visible_code_cells(read_chapter(ROOT / f"{page}.md"))
            for line in cell.source.splitlines()]


def test_every_visible_code_line_prints(pages_text):
    # What the reader runs is on paper, in the chapters' order: every
    # non-blank line of every visible code cell of the sources (a print
    # stylesheet that hid code, or a cell the single-page build dropped,
    # would lose lines the site comparison never sees).
    # pdftotext lays a line's parts that are aligned by runs of spaces (end-of-
    # line comments, padded strings) out as separate columns, so each line's
    # first part is found in order, its other parts anywhere.
    parts = [re.split(r"\s{2,}", line.strip()) for _, line in visible_code_lines() if line.strip()]
    missing = find_in_order(pages_text, [first for first, *_ in parts])
    text = squash("".join(pages_text))
    missing += [part for _, *rest in parts for part in rest if squash(part) not in text]
    fail_if(missing[:20], f"{len(missing)} visible code lines missing from the PDF (or out of order):")


def test_visible_code_lines_fit_the_paper():
    lines = visible_code_lines()
    assert len(lines) > 500, f"only {len(lines)} visible code lines"
    long = [f"{page}: {len(line)} characters: {line}" for page, line in lines
            if len(line) > convbook_print.CODE_COLUMNS]
    fail_if(long, f"visible code lines over {convbook_print.CODE_COLUMNS} characters (they wrap on paper):")


def test_a_full_code_line_prints_on_one_line(pdf):
    """The longest code lines of the chapters (up to 88 characters) print each on one
    line: the paper shows 88 monospace characters (print.css)."""
    longest = sorted({line.strip() for _, line in visible_code_lines()}, key=len)[-5:]
    assert len(longest[0]) >= 80, f"the longest code lines are short: {longest}"
    lines = {squash(line) for line in run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-").splitlines()}
    broken = [line for line in longest if squash(line) not in lines]
    fail_if(broken, "code lines that do not print on one line of the PDF:")


def test_wrapped_lines_hang_with_a_continuation_sign(pdf):
    """A longer line (an output) wraps with a continuation sign on each wrapped part."""
    text = run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-")
    signs = [line for line in text.splitlines() if line.lstrip().startswith("\u21aa")]
    assert signs, "no wrapped code line in the PDF carries the continuation sign \u21aa"
    # Each sign starts a row printed right of the line it continues (a hanging indent).
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("\u21aa"):
            above = lines[index - 1]
            assert len(line) - len(line.lstrip()) > len(above) - len(above.lstrip()) - 1, \
                f"a continuation does not hang: {above!r} / {line!r}"


def font_runs(reader, number: int) -> list[tuple[str, str]]:
    """The text runs of a page (from 1) with their fonts' names, in drawing order."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip() and font is not None:
            runs.append((text, str(font.get("/BaseFont", ""))))

    reader.pages[number - 1].extract_text(visitor_text=visit)
    return runs


def test_glued_numbers_print_as_text(reader, pages_text):
    """A number glued into the prose prints in the prose's weight, not bold."""
    phrase = re.compile(r"wastes\s*(\d+)\s*%")
    number = next((i for i, text in enumerate(pages_text, start=1) if phrase.search(text)), None)
    assert number, "no page prints 'wastes N %' (book/padding-stride.md)"
    value = phrase.search(pages_text[number - 1])[1]
    runs = font_runs(reader, number)
    glued = [font for text, font in runs if text.strip() == value or re.search(rf"wastes\s*{value}\b", text)]
    assert glued, f"page {number}: no text run holds {value!r}: {runs[:40]}"
    bold = [font for font in glued if "Bold" in font]
    assert not bold, f"page {number}: the glued number {value} prints in {bold}"


def test_captions_print_legibly(site, reader, pdf, pages_text):
    """A figure's caption prints in the body's regular weight, at WCAG AA contrast."""
    caption = site_figures(site)[0]["caption"]
    words = caption.split()[2:14]  # after "Fig. 1.1"
    number = next(i for i, text in enumerate(pages_text, start=1) if squash(" ".join(words)) in squash(text))
    fonts = {font for text, font in font_runs(reader, number) if text.strip() and text.strip() in caption}
    light = [font for font in fonts if re.search(r"Light|Thin", font)]
    assert fonts and not light, f"page {number}: the caption prints in {fonts}"
    out = Path(str(pdf) + f".caption{number}")
    run("pdftoppm", "-r", "100", "-f", str(number), "-l", str(number), "-png", str(pdf), str(out))
    raster = np.asarray(Image.open(next(out.parent.glob(out.name + "*.png"))).convert("RGB"))
    boxes = words_of(run("pdftotext", "-bbox", "-f", str(number), "-l", str(number), str(pdf), "-"), " ".join(words))
    assert boxes, f"page {number}: the caption's words are not found"
    ratio = statistics.median(word_contrasts(raster, boxes, 100 / 72))
    assert ratio >= AA_CONTRAST, f"page {number}: the caption prints at contrast {ratio:.2f}:1"


def test_solution_titles_link_without_a_leading_space(site):
    """"Solution to Exercise 2.1": no link in the title starts with a space (it printed
    underlined), and the title reads with single spaces."""
    found, spaced = 0, []
    for page in PAGES:
        html = (site / f"{page}.html").read_text(encoding="utf-8")
        for title in re.findall(r'<p class="admonition-title">(.*?)</p>', html, flags=re.S):
            text = plain(title)
            if text.startswith("Solution to"):
                found += 1
                if not re.fullmatch(r"Solution to Exercise \d+(\.\d+)?( \(.*\))?", " ".join(text.split())):
                    spaced.append(f"{page}: {text!r}")
            spaced += [f"{page}: {text!r}" for link in re.findall(r"<a\b[^>]*>(.*?)</a>", title, flags=re.S)
                       if link[:1].isspace()]
    assert found > 30, f"only {found} solution titles"
    fail_if(spaced, "admonition titles whose link starts with a space, or a solution title that reads oddly:")


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
    # The landing pages (issue 18, 6): each link to the PDF or the zip, in the menus
    # and in the text ("... or the whole site, conv-book-site.zip"), leads to a file
    # inside the zip, never online.
    for landing in ("book/index.html", "ko/book/index.html"):
        text = (folder / landing).read_text(encoding="utf-8")
        links = re.findall(r'<a\b[^>]*\bhref="([^"]+)"[^>]*>(?:(?!</a>).)*?(conv-book(?:-site)?\.(?:pdf|zip))',
                           text, flags=re.S)
        assert {name for _, name in links} == {build_pdf.PDF_NAME, build_pdf.SITE_ZIP_NAME}, f"{landing}: {links}"
        links += [(href, href) for href in re.findall(r'href="([^"]+\.(?:pdf|zip))"', text)]
        problems += [f"{landing}: {name!r} links {href}, not a file in the zip" for href, name in links
                     if "://" in href or not ((folder / landing).parent / href).resolve().is_file()]
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


def test_the_pdf_names_the_book_one_way(reader, pages_text):
    # Issue 18: one name per language (tests/test_names.py checks the site's and the notebooks').
    # Each page's text is pdftotext's, read once for all the PDF tests (pypdf's
    # extract_text finds the same names, at a dozen times the cost).
    from test_names import NAMES, SHORT_ENGLISH

    assert reader.metadata.title == NAMES["en"]
    assert len(pages_text) == len(reader.pages)
    first = " ".join(pages_text[0].split())
    assert NAMES["en"] in first, f"the title page: {first[:200]!r}"
    for number, text in enumerate(pages_text, start=1):
        assert not SHORT_ENGLISH.search(" ".join(text.split())), f"page {number}: the short name"


def test_headings_are_found_as_whole_lines_after_the_contents():
    """The bookmarks and the contents' page numbers come from where the printed text
    holds each heading: whole lines (a wrapped heading over two, or its number read after
    its words), never prose quoting a heading, never the contents' entry that lists it
    (ending in its page number or not)."""
    line = build_pdf.Line
    lines = [
        line(0, 50, 800, "Contents"), line(0, 50, 780, "1.Imagesasarrays"), line(0, 50, 760, "1.1.Loading3"),
        line(1, 50, 800, "1.Imagesasarrays"), line(1, 50, 700, "Asin1.1.Loading,wereadthephoto."),
        line(2, 50, 500, "1.1.Loading"), line(2, 60, 480, "andconverting"), line(3, 50, 400, "Exercises"),
        line(3, 60, 300, "Goingdeeper:stride"), line(3, 50, 290, "1.5.1."),
    ]
    headings = [(1, "Contents"), (0, "1. Images as arrays"), (0, "1.1. Loading"),
                (1, "1. Images as arrays"), (2, "1.1. Loading and converting"), (3, "Exercises"),
                (4, "1.5.1. Going deeper: stride")]
    marks = build_pdf.locate_headings(headings, lines)
    assert [(m.depth, m.title, m.page, m.top) for m in marks] == [
        (0, "Contents", 0, 800), (0, "1. Images as arrays", 1, 800),
        (1, "1.1. Loading and converting", 2, 500), (2, "Exercises", 3, 400),
        (3, "1.5.1. Going deeper: stride", 3, 300)]
    # Contents with their page numbers, read in any order: passed over as the pages they fill.
    shuffled = [line(0, 50, 800, "Contents"), line(0, 50, 780, "2"), line(0, 50, 760, "Loading"),
                line(0, 50, 740, "1.Images"), line(0, 50, 720, "asarrays1.1."), *lines[3:]]
    assert build_pdf.locate_headings(headings, shuffled, front=1) == marks
    # pdftotext's text of a heading: ligatures, KaTeX's zero-width spaces, soft hyphens.
    assert build_pdf.squash("9.1.1. \u200bThe ﬁlter's bi\u00adas") == build_pdf.squash("9.1.1. The filter's bias")
    with pytest.raises(SystemExit, match="Missing"):
        build_pdf.locate_headings([*headings, (2, "Missing")], lines)
