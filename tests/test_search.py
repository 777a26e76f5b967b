"""Search as a reader uses it (issue 18), in Chromium, in English and in Korean.

One browser tab per language types the issue's queries one after the other
into the site's search page and reads what a reader sees: the results in
order, each with its snippet. The expected first result comes from the
sources, not from the search's code: the chapter whose Markdown title holds
the query's word (English), or whose Korean page title does (Hangul
queries). Snippets are checked against the result's own built page: none
holds a 40-character stretch of the page's code, none shows the page's
chrome, and a formula appears once, as the chapter's source writes it.
"""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from site_tools import toc_pages

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from convbook_search_ko import stem_korean  # noqa: E402

pytestmark = pytest.mark.book

PAGES = toc_pages()
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: The page chrome the snippets used to carry (issue 18): the download menu's
#: "(.zip)" / "(.pdf)", the "Contents" sidebar's title in both languages (as a
#: word of its own: 내용을 is Korean prose), the search box.
#: The page's chrome. "내용" alone is the contents' label; in prose it takes a
#: particle or a gloss ("내용이", "내용(여기서는 0)").
CHROME = re.compile(r"\.zip\)|\.pdf\)|\bContents\b|(?<![\uac00-\ud7a3])내용(?![\uac00-\ud7a3(])|Ctrl\+K")
#: A snippet holding this many characters of its page's code shows code.
CODE_WINDOW = 40

#: Every result as the reader sees it: title, link, snippet.
RESULTS_JS = """() => Array.from(document.querySelectorAll('#search-results ul.search > li')).map((li) => {
    const link = li.querySelector('a'), snippet = li.querySelector('p.context');
    return {title: link.textContent, href: link.getAttribute('href'), snippet: snippet && snippet.textContent};
})"""
#: Sphinx writes the summary line ("found 3 pages ...") once every result is listed.
FINISHED_JS = """() => { const s = document.querySelector('#search-results .search-summary');
    return s && s.textContent.trim().length > 0; }"""


def md_title(page: str) -> str:
    for line in (ROOT / f"{page}.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise AssertionError(f"{page}.md has no '# ' title")


def chapter_titled(word: str, titles: dict[str, str]) -> str:
    """The one page whose title has ``word`` (or its plural) as a word."""
    found = [page for page, title in titles.items()
             if re.search(rf"(?<!\w){re.escape(word)}s?(?!\w)", title, re.I)]
    assert len(found) == 1, f"want one page titled with {word!r}, found {found} in {titles}"
    return found[0]


def built_titles(site: Path, prefix: str) -> dict[str, str]:
    """Each page's title as its built page shows it (its first ``<h1>``)."""
    titles = {}
    for page in PAGES:
        text = (site / prefix / f"{page}.html").read_text(encoding="utf-8")
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
        titles[page] = " ".join(unescape(re.sub(r"<[^>]+>", " ", heading[1])).split()) if heading else ""
    return titles


def code_text(site: Path, prefix: str, page: str) -> str:
    """All the code and outputs of a built page (its ``<pre>`` blocks), as one line."""
    text = (site / prefix / f"{page}.html").read_text(encoding="utf-8")
    blocks = re.findall(r"<pre\b[^>]*>(.*?)</pre>", text, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", " ".join(blocks))).split())


def inline_code_text(site: Path, prefix: str, page: str) -> str:
    """The code a page's prose quotes (``<code>`` outside ``<pre>``), as one line: prose, not code."""
    text = (site / prefix / f"{page}.html").read_text(encoding="utf-8")
    text = re.sub(r"<pre\b[^>]*>.*?</pre>", " ", text, flags=re.S)
    quoted = re.findall(r"<code\b[^>]*>(.*?)</code>", text, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", "", " ".join(quoted))).split())


def page_of(href: str) -> str:
    return urlsplit(href).path.removesuffix(".html")


def search(tab, base: str, query: str) -> list[dict]:
    tab.goto(f"{base}search.html?q={quote(query)}", wait_until="load")
    tab.wait_for_function(FINISHED_JS, timeout=15_000)
    return tab.evaluate(RESULTS_JS)


def ranking_problems(query: str, results: list[dict], first: str) -> list[str]:
    where = f"search.html?q={query}"
    if not results:
        return [f"{where}: no results (want {first} first)"]
    problems = []
    pages = [page_of(result["href"]) for result in results]
    if pages[0] != first:
        problems.append(f"{where}: first result {pages[0]} ({results[0]['title']!r}), want {first}; "
                        f"results: {pages}")
    twice = sorted({page for page in pages if pages.count(page) > 1})
    if twice:
        problems.append(f"{where}: listed more than once: {twice}")
    return problems


def snippet_problems(site: Path, prefix: str, query: str, results: list[dict]) -> list[str]:
    problems = []
    for result in results:
        where = f"{prefix}search.html?q={query} -> {result['href']}"
        snippet = " ".join((result["snippet"] or "").split())
        if not snippet:
            problems.append(f"{where}: no snippet")
            continue
        problems += [f"{where}: the page's chrome {bit[0]!r} in {snippet!r}" for bit in CHROME.finditer(snippet)]
        if "\\" in snippet or "\u200b" in snippet:
            problems.append(f"{where}: a formula's TeX or KaTeX's HTML copy in {snippet!r}")
        if prefix == "ko/" and not HANGUL.search(snippet):
            problems.append(f"{where}: a Korean result's snippet has no Korean: {snippet!r}")
        code = code_text(site, prefix, page_of(result["href"]))
        # A layer's repr quoted in a sentence is prose, though an output prints it too.
        quoted = inline_code_text(site, prefix, page_of(result["href"]))
        words = snippet.strip("…").strip()
        shown = [words[i:i + CODE_WINDOW] for i in range(0, max(len(words) - CODE_WINDOW, 0) + 1, 10)
                 if words[i:i + CODE_WINDOW] in code and words[i:i + CODE_WINDOW] not in quoted]
        if shown:
            problems.append(f"{where}: the snippet shows the page's code {shown[0]!r}")
    return problems


def fail_if(problems, message: str) -> None:
    if problems:
        pytest.fail(message + "\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture()
def tab(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(lambda url: not url.startswith(site_url), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught {error}"))
    page.errors = errors
    try:
        yield page
    finally:
        context.close()


def test_english_search_ranks_the_titled_chapter_first_with_prose_snippets(tab, site, site_url):
    titles = {page: md_title(page) for page in PAGES}
    problems = []
    for query in ("padding", "stride"):
        results = search(tab, site_url, query)
        problems += ranking_problems(query, results, chapter_titled(query, titles))
        problems += snippet_problems(site, "", query, results)

    # A formula once, as the chapter's source writes it (no TeX, no KaTeX copies).
    chapter = chapter_titled("padding", titles)
    source = (ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    sentence = re.search(r"(padded axis has length) \$([^$\\]+)\$(, and the)", source)
    assert sentence, f"{chapter}.md no longer says 'the padded axis has length $...$, and the'"
    expected = f"{sentence[1]} {sentence[2]}{sentence[3]}"
    results = search(tab, site_url, "padded axis")
    snippets = {page_of(result["href"]): " ".join((result["snippet"] or "").split()) for result in results}
    if expected not in snippets.get(chapter, ""):
        problems.append(f"search.html?q=padded axis: {chapter}'s snippet does not read {expected!r}: "
                        f"{snippets.get(chapter)!r}")

    # A Hangul query offers the Korean edition's search, which finds the chapter.
    query = "스트라이드"
    search(tab, site_url, query)
    offer = tab.locator("#search-results a[hreflang='ko']")
    if offer.count() != 1:
        problems.append(f"search.html?q={query}: {offer.count()} links to the Korean search, want 1")
    else:
        offer.click()
        tab.wait_for_url(re.compile(r"/ko/search\.html\?q="), timeout=10_000)
        tab.wait_for_function(FINISHED_JS, timeout=15_000)
        results = tab.evaluate(RESULTS_JS)
        ko_first = chapter_titled(query, built_titles(site, "ko"))
        problems += ranking_problems(f"{query} (from the English offer)", results, ko_first)
    problems += [f"console: {error}" for error in tab.errors]
    fail_if(problems, "English search:")


def test_korean_search_ranks_the_titled_chapter_first_with_prose_snippets(tab, site, site_url):
    english = {page: md_title(page) for page in PAGES}
    korean = built_titles(site, "ko")
    problems = []
    base = f"{site_url}ko/"
    # English words typed on /ko/: the chapter whose English title has them.
    for query, first in (("stride", chapter_titled("stride", english)),
                         ("padding", chapter_titled("padding", english)),
                         ("strides", chapter_titled("stride", english)),
                         ("스트라이드", chapter_titled("스트라이드", korean))):
        results = search(tab, base, query)
        problems += ranking_problems(f"ko/{query}", results, first)
        problems += snippet_problems(site, "ko/", query, results)
    # English words are stemmed as on the English site (Sphinx's Porter stemmer).
    from sphinx.search.en import SearchEnglish

    english_stem = SearchEnglish({}).stem
    words = ["strides", "padding", "convolutions", "Filters", "activations", "ReLU"]
    stems = tab.evaluate("(words) => words.map((w) => new Stemmer().stemWord(w))", words)
    want = [english_stem(word) for word in words]
    if stems != want or [stem_korean(word) for word in words] != want:
        problems.append(f"Korean stemmer on English words: browser {stems}, index "
                        f"{[stem_korean(word) for word in words]}, English {want}")
    problems += [f"console: {error}" for error in tab.errors]
    fail_if(problems, "Korean search:")


def test_a_formula_reads_once_in_a_snippet_as_plain_text():
    """The snippets' formulas: TeX made readable, hand-written expectations."""
    from convbook_search import tex_to_text

    cases = {
        r"k_l \times k_l": "k_l × k_l",
        r"W_\text{out} = \left\lfloor \frac{W + 2P - K}{S} \right\rfloor + 1": "W_out = ⌊(W + 2P - K)/S⌋ + 1",
        r"\sum_{i,j} x_{i+m}": "∑_(i,j) x_(i+m)",
        r"\mathrm{ReLU}(x) = \max(0, x)": "ReLU(x) = max(0, x)",
        r"\sigma^{2}": "σ^2",
    }
    assert {tex: tex_to_text(tex) for tex in cases} == cases
