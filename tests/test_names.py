"""One name per language, everywhere the book names itself (issue 18).

The book is "The Convolutional Layer, Executed", in Korean "실행하며 배우는
합성곱 층": in every page's sidebar and ``<title>``, on the landing page (the
site root, English and /ko/), in every notebook's banner, and on the PDF's
title page and in its metadata (``tests/test_pdf.py``, which builds the PDF,
checks that with these names). The shorter names it once had beside these
("The Convolutional Layer", "합성곱 층") appear in none of those places.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.book

NAMES = {"en": "The Convolutional Layer, Executed", "ko": "실행하며 배우는 합성곱 층"}
#: Where each language's pages are in the site.
PREFIX = {"en": "", "ko": "ko/"}
#: The English short name anywhere but inside the full one.
SHORT_ENGLISH = re.compile(r"The Convolutional Layer(?!, Executed)")

_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_LOGO = re.compile(r'<p class="title logo__title">(.*?)</p>', re.S)
_HOME_LINK = re.compile(r'bd-sidenav__home-link">\s*<li[^>]*>\s*<a[^>]*>(.*?)</a>', re.S)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def site_pages(site: Path, language: str) -> list[Path]:
    """Every HTML page of one language's site (the other language's folder left out)."""
    folder = site / PREFIX[language]
    pages = [p for p in folder.rglob("*.html") if "_static" not in p.parts]
    if language == "en":
        pages = [p for p in pages if p.relative_to(site).parts[0] != "ko"]
    return sorted(pages)


def test_the_sources_name_the_book_once():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["title"] == NAMES["en"]
    assert f"# {NAMES['en']}\n" in (ROOT / "book" / "index.md").read_text(encoding="utf-8")
    import polib

    for catalog in ("theme.po", "book/index.po"):
        entries = {e.msgid: e.msgstr for e in polib.pofile(str(ROOT / "locale" / "ko" / "LC_MESSAGES" / catalog))}
        assert entries.get(NAMES["en"]) == NAMES["ko"], f"{catalog} does not translate the book's name"
        assert "The Convolutional Layer" not in entries, f"{catalog} still translates the short name"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_page_names_the_book_one_way(site, language):
    name = NAMES[language]
    pages = site_pages(site, language)
    assert len(pages) > 20
    problems = []
    for path in pages:
        page = path.relative_to(site).as_posix()
        source = path.read_text(encoding="utf-8")
        titles = _TITLE.findall(source)
        if len(titles) != 1:
            problems.append(f"{page}: {len(titles)} <title>s")
            continue
        title = text(titles[0])
        if page in (f"{PREFIX[language]}index.html", f"{PREFIX[language]}book/index.html"):
            if title != name:
                problems.append(f"{page}: <title> {title!r}, not {name!r}")
        elif not re.fullmatch(rf".+ (\u2014|-) {re.escape(name)}", title):  # the search page's title has "-"
            problems.append(f"{page}: <title> {title!r} does not end with the book's name")
        if page != f"{PREFIX[language]}index.html":  # the landing page has no sidebar
            logos, homes = _LOGO.findall(source), _HOME_LINK.findall(source)
            if [text(logo) for logo in logos] != [name]:
                problems.append(f"{page}: the sidebar's title reads {[text(logo) for logo in logos]}")
            if homes and text(homes[0]) != name:
                problems.append(f"{page}: the sidebar's first entry reads {text(homes[0])!r}")
        short = SHORT_ENGLISH.search(source)
        if short:
            problems.append(f"{page}: the short name: {source[max(0, short.start() - 80):short.end() + 20]!r}")
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_notebook_banner_names_the_book(site, language):
    notebooks = sorted((site / PREFIX[language] / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        markdown = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]
        # The banner: the note just before the first code cell (the install cell).
        install = next(i for i, cell in enumerate(cells) if cell["cell_type"] == "code")
        banner = "".join(cells[install - 1]["source"])
        assert f"[{NAMES[language]}](" in banner, f"{path.name}: the banner does not name the book: {banner}"
        assert not SHORT_ENGLISH.search("\n".join(markdown)), f"{path.name}: the short name"
