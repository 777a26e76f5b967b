"""Sphinx extension: pages that print well, and the book's offline edition (issue 11).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``. What it does:

* **A print stylesheet on every page.** ``_static/print.css`` (media
  ``print``) and a few lines of script: while the browser prints, the page
  switches to the light theme and opens every closed ``<details>``, then
  switches back. So a page printed from dark mode is the same page as one
  printed from light mode.
* **Sharp figures in print.** Every figure PNG gets its print width,
  ``--convbook-print-width`` in its ``style`` attribute, such that it prints
  at :data:`PRINT_PPI` pixels per inch (the figures are drawn at 100 dpi and
  shown one image pixel per CSS pixel, which prints at 96 ppi). The screen
  ignores the property: phones get the same files and the same layout.
* **A note for interactive parts.** An interactive part written as raw HTML
  (the kernel playground, or an element of class ``convbook-interactive``)
  is followed by a print-only note with the page's address; print.css hides
  the part itself.
* **Download links.** Every page's download menu gets the whole book as one
  PDF and the site as a zip (``scripts/build_pdf.py`` makes both; the Pages
  workflow publishes them at the site's root); ``{{ book_pdf }}`` and
  ``{{ book_site_zip }}`` are links to them in any page's text.
* **The single-page build the PDF is printed from** (``singlehtml``): the
  page is written at the output's root (where its relative links point),
  links to its own anchors stay inside the page, each chapter's headings
  move up a level (a chapter is an ``h1``, so the PDF's bookmarks list the
  chapters), and it opens with a title page and a table of contents of the
  chapters and their sections, whose page numbers ``scripts/build_pdf.py``
  fills in. Each chapter is a named page whose footer shows its title; each
  line of code is an element of its own, so that one too long for the paper
  wraps with a hanging indent and a continuation sign (``print.css``).
* **Solution titles** ("Solution to Exercise 2.1") link from their first
  word, not from a space before it, which prints underlined.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import shutil
import unicodedata
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

from convbook_site import png_size  # book/_ext, beside this module

#: Pixels per inch of every figure on paper (at least 150, issue 11).
PRINT_PPI = 150
#: The print width aims this many ppi higher, so that rounding never takes a
#: figure under PRINT_PPI (a 549x232 figure once printed at 150x149 ppi).
PRINT_PPI_MARGIN = 2
#: CSS pixels per inch, fixed by CSS.
CSS_PX_PER_INCH = 96
#: The published files, at the site's root (``scripts/build_pdf.py`` names them).
PDF_NAME = "conv-book.pdf"
SITE_ZIP_NAME = "conv-book-site.zip"
#: The language built at the site's root; every other one lives under ``<language>/``.
ROOT_LANGUAGE = "en"

#: The extension's own words, by language (English for any other language).
WORDS = {
    "en": {
        "pdf": "Book (.pdf)",
        "pdf_tip": "Download the whole book as one PDF",
        "zip": "Site (.zip)",
        "zip_tip": "Download the whole site, to read offline",
        "interactive": "This part of the page is interactive and does not print. Use it at",
        "contents": "Contents",
        "edition": "Printed from the executed sources on {date}.",
        "online": "Read it online, with its interactive parts, at",
    },
    "ko": {
        "pdf": "책 전체 (.pdf)",
        "pdf_tip": "책 전체를 PDF 한 파일로 내려받기",
        "zip": "사이트 (.zip)",
        "zip_tip": "오프라인으로 읽을 수 있도록 사이트 전체를 내려받기",
        "interactive": "이 부분은 브라우저에서 실행되는 대화형 기능이라 인쇄되지 않습니다. 다음 주소에서 사용하세요:",
        "contents": "차례",
        "edition": "{date}에 실행된 소스에서 인쇄했습니다.",
        "online": "대화형 기능이 있는 온라인 판:",
    },
}

#: While printing: the light theme, every <details> open; restored afterwards.
PRINT_SCRIPT = """(() => {
  const root = document.documentElement;
  let theme = null, opened = [];
  addEventListener("beforeprint", () => {
    theme = root.dataset.theme;
    root.dataset.theme = "light";
    opened = Array.from(document.querySelectorAll("details:not([open])"));
    opened.forEach((d) => { d.open = true; });
  });
  addEventListener("afterprint", () => {
    if (theme !== null) root.dataset.theme = theme;
    opened.forEach((d) => { d.open = false; });
    theme = null; opened = [];
  });
})();"""


def words(config) -> dict[str, str]:
    return WORDS.get((config.language or ROOT_LANGUAGE).split("_")[0], WORDS[ROOT_LANGUAGE])


def _language_site(config) -> str:
    """The address of this language's site: the root, or ``<root><language>/``."""
    base = config.html_baseurl or ""
    if base and not base.endswith("/"):
        base += "/"
    language = (config.language or ROOT_LANGUAGE).split("_")[0]
    if language != ROOT_LANGUAGE and base and not base.endswith(f"/{language}/"):
        base += f"{language}/"
    return base


def download_urls(config) -> dict[str, str]:
    """Where the Pages workflow publishes this language's PDF and the site's zip."""
    site = _language_site(config)
    language = (config.language or ROOT_LANGUAGE).split("_")[0]
    root = site[: -len(f"{language}/")] if language != ROOT_LANGUAGE and site.endswith(f"/{language}/") else site
    return {"pdf": site + PDF_NAME, "zip": root + SITE_ZIP_NAME}


def page_url(config, docname: str) -> str:
    return _language_site(config) + docname + ".html"


# --- Configuration --------------------------------------------------------------

def add_substitutions(app, config) -> None:
    """``{{ book_pdf }}`` and ``{{ book_site_zip }}``: links to the downloads."""
    urls = download_urls(config)
    substitutions = dict(config.myst_substitutions or {})
    substitutions.setdefault("book_pdf", f"[{PDF_NAME}]({urls['pdf']})")
    substitutions.setdefault("book_site_zip", f"[{SITE_ZIP_NAME}]({urls['zip']})")
    config.myst_substitutions = substitutions


# --- Doctrees ---------------------------------------------------------------------

def _docname_of(node, default: str) -> str:
    """The page a node comes from; in the single-page build, the inlined file's."""
    # Sphinx's single-page builder marks each inlined file's sections with
    # their "docname" (and does not set the inlined nodes' parent to its
    # start_of_file node).
    parent = node
    while parent is not None:
        if isinstance(parent, (addnodes.start_of_file, nodes.section)) and parent.get("docname"):
            return parent["docname"]
        parent = parent.parent
    return default


#: Raw HTML that is interactive: the kernel playground, or anything marked so.
INTERACTIVE = re.compile(r'class="[^"]*\b(?:conv-playground|convbook-interactive)\b')
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.S)


def interactive_notes(app, doctree, docname) -> None:
    """After an interactive part (raw HTML), a print-only note with the page's address."""
    if app.builder.format != "html":
        return
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split() or not INTERACTIVE.search(raw.astext()):
            continue
        url = page_url(app.config, _docname_of(raw, docname))
        if app.builder.name == "singlehtml":
            # The single page only prints, and print.css hides the part: its
            # scripts (the playground's computes every preset) would only
            # slow the PDF's page load.
            quiet = nodes.raw("", _SCRIPT.sub("", raw.astext()), format=raw["format"])
            raw.replace_self(quiet)
            raw = quiet
        text = html.escape(words(app.config)["interactive"])
        note = nodes.raw(
            "",
            f'<p class="onlyprint convbook-print-note">{text} '
            f'<a href="{html.escape(url)}">{html.escape(url)}</a></p>',
            format="html",
        )
        raw.parent.insert(raw.parent.index(raw) + 1, note)


# --- Pages --------------------------------------------------------------------------

def _png_width(path: Path) -> int | None:
    size = png_size(path)
    return size[0] if size else None


_IMG_SRC = re.compile(r'<img\b([^>]*?)\bsrc="(?P<src>[^"]*?_images/(?P<name>[^"/]+\.png))"')


def print_widths(app, body: str) -> str:
    """Give every figure PNG its print width (``--convbook-print-width``)."""
    sources = {name: Path(app.srcdir, source) for source, name in app.builder.images.items()}

    def replace(match):
        if "--convbook-print-width" in match.group(0):
            return match.group(0)
        source = sources.get(match["name"])
        width = _png_width(source) if source else None
        if width is None:
            source = Path(app.outdir, "_images", match["name"])
            width = _png_width(source)
        if not width:
            return match.group(0)
        # Rounded down, and sized for PRINT_PPI_MARGIN more: the browser sets
        # the height from the width and snaps it to the page's device pixels,
        # which could otherwise take a figure's height just under PRINT_PPI.
        css_px = width * CSS_PX_PER_INCH // (PRINT_PPI + PRINT_PPI_MARGIN)
        return match.group(0).replace("<img", f'<img style="--convbook-print-width: {css_px}px"', 1)

    return _IMG_SRC.sub(replace, body)


def add_downloads(app, pagename, templatename, context, doctree) -> None:
    """The PDF and the zip in the page's download menu."""
    say = words(app.config)
    urls = download_urls(app.config)
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = group.setdefault("buttons", [])
        labels = {button.get("label") for button in buttons}
        if "download-book-pdf-button" not in labels:
            buttons.append({"type": "link", "url": urls["pdf"], "text": say["pdf"], "tooltip": say["pdf_tip"],
                            "icon": "fas fa-book", "label": "download-book-pdf-button"})
        if "download-site-zip-button" not in labels:
            buttons.append({"type": "link", "url": urls["zip"], "text": say["zip"], "tooltip": say["zip_tip"],
                            "icon": "fas fa-file-zipper", "label": "download-site-zip-button"})


#: An admonition title's link that starts with a space ("Solution to<a> Exercise
#: 2.1</a>", from sphinx-exercise), which prints underlined: the space goes before it.
_TITLE_LINK_SPACE = re.compile(r'(<p class="admonition-title">[^<]*?)(<a\b[^>]*>)\s+')


def page_context(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html":
        return
    add_downloads(app, pagename, templatename, context, doctree)
    body = context.get("body")
    if not body:
        return
    body = print_widths(app, body)
    body = _TITLE_LINK_SPACE.sub(r"\1 \2", body)
    if app.builder.name == "singlehtml" and pagename == app.config.root_doc:
        body = single_page(app, body)
    context["body"] = body


# --- The single-page build ------------------------------------------------------------

def _numbered(env, root: str, docname: str, anchor: str, title: str) -> str:
    """A title with its section number ("3.1. Title"), as its heading prints it."""
    # The single-page builder merges every page's numbers under the root
    # document, as "<docname>/<anchor>".
    number = (env.toc_secnumbers.get(docname, {}).get(anchor)
              or env.toc_secnumbers.get(root, {}).get(f"{docname}/{anchor}"))
    return ".".join(map(str, number)) + ". " + title if number else title


def _sections(env, docname: str) -> list[tuple[str, str]]:
    """A page's sections (its second-level headings): (anchor, title)."""
    toc = env.tocs.get(docname)
    found = []
    if toc is None:
        return found
    for chapter in toc.findall(nodes.list_item):
        for sublist in chapter.children:
            if not isinstance(sublist, nodes.bullet_list):
                continue
            for item in sublist.children:
                reference = next(item.findall(nodes.reference), None)
                if reference is not None and reference.get("anchorname"):
                    found.append((reference["anchorname"], reference.astext()))
        break
    return found


def _toc_parts(app) -> list[tuple[str, list[tuple[str, str, list[tuple[str, str]]]]]]:
    """The book's parts in reading order: (caption, [(docname, numbered title, sections)]),
    each section (anchor, numbered title)."""
    env = app.env
    root = app.config.root_doc
    parts = []
    doctree = env.get_doctree(root)
    for toctree in doctree.findall(addnodes.toctree):
        chapters = []
        for _title, docname in toctree["entries"]:
            if docname not in env.titles:
                continue
            title = _numbered(env, root, docname, "", env.titles[docname].astext())
            sections = [(anchor, _numbered(env, root, docname, anchor, text))
                        for anchor, text in _sections(env, docname)]
            chapters.append((docname, title, sections))
        parts.append((toctree.get("caption") or "", chapters))
    return parts


def _build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now(datetime.timezone.utc))
    return when.date().isoformat()


def title_and_contents(app) -> str:
    """The title page and the table of contents (page numbers filled in when printed)."""
    say = words(app.config)
    root = app.config.root_doc
    title = app.env.titles[root].astext() if root in app.env.titles else app.config.project
    site = _language_site(app.config)
    esc = html.escape
    lines = [
        '<div class="convbook-title-page onlyprint">',
        f'<p class="convbook-title">{esc(title)}</p>',
        f'<p class="convbook-author">{esc(app.config.author or "")}</p>',
        f'<p class="convbook-edition">{esc(say["edition"].format(date=_build_date()))}</p>',
    ]
    if site:
        lines.append(f'<p class="convbook-online">{esc(say["online"])} <a href="{esc(site)}">{esc(site)}</a></p>')
    lines += ["</div>", '<nav class="convbook-contents onlyprint" aria-labelledby="convbook-contents">',
              f'<h1 id="convbook-contents">{esc(say["contents"])}</h1>']

    def entry(level: int, target: str, text: str) -> str:
        return (f'<li class="convbook-toc-{level}"><a href="#{esc(target)}">'
                f'<span class="convbook-toc-title">{esc(text)}</span>'
                '<span class="convbook-toc-leader" aria-hidden="true"></span>'
                '<span class="convbook-toc-page"></span></a></li>')

    lines.append('<ul class="convbook-toc-part-list">')
    lines.append(entry(1, root, title))
    lines += [entry(2, _section_target(root, anchor), text) for anchor, text in _sections(app.env, root)]
    lines.append("</ul>")
    for caption, chapters in _toc_parts(app):
        if caption:
            lines.append(f'<p class="convbook-toc-part">{esc(caption)}</p>')
        lines.append('<ul class="convbook-toc-part-list">')
        for docname, chapter, sections in chapters:
            lines.append(entry(1, f"document-{docname}", chapter))
            lines += [entry(2, _section_target(docname, anchor), text) for anchor, text in sections]
        lines.append("</ul>")
    lines.append("</nav>")
    return "\n".join(lines)


def _section_target(docname: str, anchor: str) -> str:
    """The id the single page gives a chapter's section (ids repeat from page to page:
    every chapter has its "exercises")."""
    return "convbook-section-" + re.sub(r"[^A-Za-z0-9_-]+", "-", f"{docname}-{anchor.lstrip('#')}")


def _chapter_starts(body: str, docnames: list[str]) -> list[tuple[str, int]]:
    """Where each chapter of the single page starts: (docname, offset in the body)."""
    starts = []
    for docname in docnames:
        found = body.find(f'<span id="document-{html.escape(docname)}"></span>')
        if found >= 0:
            starts.append((docname, found))
    return sorted(starts, key=lambda start: start[1])


def section_targets(app, body: str) -> str:
    """Give each chapter's sections the ids the table of contents links to."""
    root = app.config.root_doc
    chapters = [docname for _, entries in _toc_parts(app) for docname, _, _ in entries]
    starts = [(root, 0)] + _chapter_starts(body, chapters)
    pieces, previous = [], 0
    bounds = [offset for _, offset in starts[1:]] + [len(body)]
    for (docname, start), end in zip(starts, bounds):
        segment = body[start:end]
        for anchor, _ in _sections(app.env, docname):
            marker = re.search(rf'<section\b[^>]*\bid="{re.escape(html.escape(anchor.lstrip("#")))}"[^>]*>',
                               segment)
            if marker:
                at = marker.end()
                segment = (segment[:at] + f'<span id="{_section_target(docname, anchor)}"></span>'
                           + segment[at:])
        pieces.append(body[previous:start] + segment)
        previous = end
    return "".join(pieces) + body[previous:]


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _css_id(docname: str) -> str:
    return html.escape(docname).replace('"', "").replace("\\", "")


def page_styles(app, book_title: str) -> str:
    """The pages' footers: each chapter's title on its pages (a named page each), the
    book's title on the contents, nothing on the title page; the page number at the right."""
    rules = [
        f"@page {{ @bottom-left {{ content: {_css_string(book_title)}; font: 8pt sans-serif; color: #333; }} }}",
        # The title page is the first.
        "@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }",
    ]
    root = app.config.root_doc
    chapters = [(root, book_title)] + [(docname, title) for _, entries in _toc_parts(app)
                                       for docname, title, _ in entries]
    for index, (docname, title) in enumerate(chapters):
        name = f"convbook-chapter-{index}"
        rules.append(f"@page {name} {{ @bottom-left {{ content: {_css_string(title)}; font: 8pt sans-serif; "
                     "color: #333; } }")
        rules.append(f'section[data-convbook-chapter="{_css_id(docname)}"] {{ page: {name}; }}')
    return '<style media="print">\n' + "\n".join(rules) + "\n</style>"


#: A <pre>'s content, and its tags and text.
_PRE = re.compile(r"(<pre\b[^>]*>)(.*?)(</pre>)", re.S)
_TAG_OR_TEXT = re.compile(r"(<[^>]+>)|([^<]+)")
_TAG = re.compile(r"<[^>]+>")
#: Characters of code that fit one line on paper (book/_static/print.css).
CODE_COLUMNS = 88


def _width(text: str) -> int:
    """The columns a line of code takes (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in html.unescape(text))


def code_lines(body: str) -> str:
    """Each line of every <pre> in a block of its own (``.convbook-line``), so that a
    line too long for the paper wraps with a hanging indent and a continuation sign
    (``.convbook-wraps``, print.css)."""

    def split(match):
        inner = match.group(2)
        lines, current, text_width, open_tags = [], [], [0], []

        def finish():
            # The tags still open close at the line's end and reopen on the next.
            current.extend("</span>" for _ in open_tags)
            lines.append(("".join(current), text_width[0]))

        for tag, text in _TAG_OR_TEXT.findall(inner):
            if tag:
                current.append(tag)
                if tag.startswith("</"):
                    if open_tags:
                        open_tags.pop()
                elif not tag.endswith("/>"):
                    open_tags.append(tag)
                continue
            parts = text.split("\n")
            for index, part in enumerate(parts):
                if index:
                    finish()
                    current, text_width = list(open_tags), [0]
                current.append(part)
                text_width[0] += _width(part)
        if any(part and not part.startswith("<") for part in current):
            finish()
        # else: the <pre> ends with a line break; the tags left to close close
        # only what the empty last line reopened.
        out = []
        for index, (line, width) in enumerate(lines):
            wraps = " convbook-wraps" if width > CODE_COLUMNS else ""
            newline = "\n" if index < len(lines) - 1 else ""
            # A wrapped part hangs under the line's own indentation, and further.
            text = _TAG.sub("", line)
            indent = min(len(text) - len(text.lstrip(" ")), CODE_COLUMNS // 2) if wraps else 0
            style = f' style="--convbook-indent: {indent}"' if indent else ""
            out.append(f'<span class="convbook-line{wraps}"{style}>{line}{newline}</span>')
        return match.group(1) + "".join(out) + match.group(3)

    return _PRE.sub(split, body)


_HEADING = re.compile(r"<(/?)h([2-6])\b")


#: A chapter's anchor, then its section (the root document's, or one of the
#: single page's "document-<docname>").
_CHAPTER_START = re.compile(r'<span id="(?P<id>[^"]+)"></span>\s*<section\b(?P<attributes>[^>]*)>')


def _chapter_section(match) -> str:
    """The chapter's section, marked, with its anchor inside it: nothing of a chapter
    sits between two chapters (each a named page, print.css), where it would take a
    page of its own."""
    docname = html.unescape(match["id"]).removeprefix("document-")
    return (f'<section data-convbook-chapter="{_css_id(docname)}"{match["attributes"]}>'
            f'<span id="{match["id"]}"></span>')


def single_page(app, body: str) -> str:
    """The single page as the PDF prints it (see the module's docstring)."""
    own = app.config.root_doc + app.builder.out_suffix
    # Links to the page's own anchors: "book/index.html#x" is "#x" here.
    body = body.replace(f'href="{own}#', 'href="#')
    # Each chapter (after the root document's own text) is one heading level up.
    start = body.find('<div class="toctree-wrapper')
    if start >= 0:
        body = body[:start] + _HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) - 1}", body[start:])
    root_anchor = f'<span id="{html.escape(app.config.root_doc)}"></span>'
    body = _CHAPTER_START.sub(_chapter_section, root_anchor + body)
    body = code_lines(section_targets(app, body))
    root = app.config.root_doc
    book_title = app.env.titles[root].astext() if root in app.env.titles else app.config.project
    return page_styles(app, book_title) + "\n" + title_and_contents(app) + "\n" + body


def move_single_page(app, exception) -> None:
    """Write the single page at the output's root, where its relative links point."""
    if exception is not None or app.builder.name != "singlehtml":
        return
    outdir = Path(app.outdir)
    page = outdir / (app.config.root_doc + app.builder.out_suffix)
    if page.parent != outdir and page.is_file():
        shutil.copyfile(page, outdir / "index.html")


def setup(app):
    app.add_css_file("print.css", media="print")
    app.add_js_file(None, body=PRINT_SCRIPT)
    # After convbook_repository derives html_baseurl (priority 400).
    app.connect("config-inited", add_substitutions, priority=600)
    app.connect("doctree-resolved", interactive_notes)
    # After the theme's buttons (501) and convbook_repository's rewrite (600).
    app.connect("html-page-context", page_context, priority=700)
    app.connect("build-finished", move_single_page)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

