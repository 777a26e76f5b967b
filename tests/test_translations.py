"""The Korean edition (issue 12): catalogs complete and current, the site at /ko/.

* Every catalog in ``locale/ko/LC_MESSAGES`` is 100 % translated, nothing
  fuzzy, and every translation keeps its English's roles and targets, glue
  keys, math, inline code and link addresses (``scripts/translations.py``).
* The catalogs follow the English: the messages Sphinx extracts from the
  chapters now (the gettext builder, from the test run's execution cache)
  are exactly the catalogs' messages. An English edit without its Korean
  fails here, naming each message; ``make translations`` refreshes them.
* The Korean site: every page of the table of contents under ``ko/`` with
  ``lang="ko"``, mostly Hangul prose, the same figures and glued numbers as
  the English page, a language switcher whose links resolve both ways,
  ``hreflang`` alternates, and a Korean search that strips particles, the
  same rule in the index and in the browser.

The browser checks every English page gets (console errors, axe, requests,
dark mode, phone width, alt text, here in Korean) run on the Korean pages
in ``tests/test_site.py``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import polib
import pytest

from conftest import after_the_build, korean_edition, result_of_work_on_the_site
from site_tools import toc_pages

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import translations  # noqa: E402  scripts/translations.py
from convbook_search_ko import (  # noqa: E402
    PARTICLES, VOCABULARY_GLOBAL, VOCABULARY_NAME, javascript_stemmer, stem_korean, words_of,
)

pytestmark = pytest.mark.book

PAGES = toc_pages()
LANGUAGE = "ko"
# Each language named in its own language, as a reader looks for it in a switcher.
OWN_NAMES = {"en": "English", "ko": "한국어"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]")
#: Least share of Hangul among the letters of a Korean page's prose.
HANGUL_SHARE = 0.7


# --- The catalogs ------------------------------------------------------------------


@korean_edition
def test_every_message_is_translated_and_keeps_what_must_stay():
    found = [line for path in translations.catalogs(LANGUAGE) for line in translations.problems(path)]
    assert translations.catalogs(LANGUAGE), "no Korean catalogs in locale/ko/LC_MESSAGES"
    assert not found, (f"{len(found)} message(s) need a translator (fix the msgstr, or run "
                       "`make translations` after an English edit):\n  " + "\n  ".join(found[:40]))


def test_the_checker_catches_a_changed_glue_key_math_and_role_target():
    english = "The {glue:text}`n` values of {term}`filters <filter>` sum to $0$ in `np.sum`."
    good = "{term}`필터 <filter>`의 값 {glue:text}`n`개는 합이 $0$입니다(`np.sum`)."
    assert translations.tokens(english) == translations.tokens(good)
    for bad in (good.replace("`n`", "`m`"), good.replace("$0$", "$1$"),
                good.replace("<filter>", "<kernel>"), good.replace("`np.sum`", "np.sum")):
        assert translations.tokens(english) != translations.tokens(bad), bad


def test_a_changed_message_shows_what_changed():
    """A long message changed near its end: the report shows the change, not two identical beginnings."""
    start = "The four filters of the lesson are 4 x 4 arrays of weights; " * 3
    before, after = start + "each one sums to 0.", start + "each one sums to zero, as a detector of edges does."
    assert before[:90] == after[:90]
    shown = translations.difference(before, after)
    assert "[-0-]{+zero, as a detector of edges does+}." in shown, shown
    assert len(shown) < 120 and shown.startswith("…")
    assert translations.closest(after, {before, "Exercises", "A glossary of the terms."}) == before
    assert translations.closest("Something else entirely, about pooling.", {before}) is None


@pytest.fixture(scope="module")
def extracted(site, tmp_path_factory) -> dict[str, set[str]]:
    return result_of_work_on_the_site("extracted", site, tmp_path_factory)


@after_the_build("extracted")
def extract_messages(site: Path, tmp_path_factory) -> dict[str, set[str]]:
    """The messages of the English as it is now: Sphinx's gettext builder.

    It reads a copy of the test run's execution cache, so no chapter
    executes again (and the cache it reads changes under no other reader).
    """
    build = tmp_path_factory.mktemp("gettext")
    shutil.copytree(site.parent / ".jupyter_cache", build / "_build" / ".jupyter_cache")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_book.py"), "--path-output", str(build),
         "--language", "en", "--builder", "gettext", "--quiet"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Executing notebook" not in result.stdout + result.stderr
    folder = build / "_build" / "en-gettext" / "_build" / "gettext"
    return {
        pot.relative_to(folder).with_suffix("").as_posix(): {e.msgid for e in polib.pofile(str(pot)) if e.msgid}
        for pot in folder.rglob("*.pot")
    }


@korean_edition
def test_catalogs_follow_the_english(extracted):
    """An English change without its Korean fails here, naming the message."""
    folder = ROOT / "locale" / LANGUAGE / "LC_MESSAGES"
    problems = []
    for domain, english in sorted(extracted.items()):
        po = folder / f"{domain}.po"
        if not po.exists():
            problems.append(f"{po.relative_to(ROOT)}: missing ({len(english)} messages)")
            continue
        catalog = {e.msgid for e in polib.pofile(str(po)) if not e.obsolete}
        gone = catalog - english
        for message in sorted(english - catalog):
            # A changed message: only the part that changed, with some context.
            before = translations.closest(message, gone)
            if before is not None:
                gone.discard(before)
                problems.append(f"{po.relative_to(ROOT)}: changed English: {translations.difference(before, message)!r}")
            else:
                problems.append(f"{po.relative_to(ROOT)}: new English: {message[:90]!r}")
        problems += [f"{po.relative_to(ROOT)}: no longer in the English: {m[:90]!r}" for m in sorted(gone)]
    assert not problems, "run `make translations`, then translate:\n  " + "\n  ".join(problems[:40])
    for page in PAGES:
        assert page in extracted, f"no messages extracted from {page}"


# --- The Korean site -----------------------------------------------------------------


class _Page(HTMLParser):
    """The facts of one built page this file checks."""

    SKIP = ("cell_input", "cell_output", "highlight", "math", "bibliography", "citation")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.switcher: list[dict] = []
        self.alternates: dict[str, str] = {}
        self.pasted: list[str] = []
        self.images: list[str] = []
        self.prose: list[str] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, skipping, pasted)
        self._in_article = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "link" and attrs.get("rel") == "alternate" and attrs.get("hreflang"):
            self.alternates[attrs["hreflang"]] = attrs["href"]
        if tag == "a" and "convbook-language" in classes:
            self.switcher.append(attrs)
        if tag in ("meta", "link", "img", "br", "hr", "input", "source"):
            if tag == "img" and self._in_article:
                self.images.append(attrs.get("src", ""))
            return
        parent_skip = self._stack[-1][1] if self._stack else False
        skipping = parent_skip or tag in ("script", "style", "pre", "code") or any(
            c in self.SKIP or c.startswith("highlight") for c in classes)
        self._stack.append((tag, skipping, "pasted-text" in classes))
        if tag == "article":
            self._in_article += 1

    def handle_endtag(self, tag):
        if tag not in (name for name, _, _ in self._stack):
            return  # a stray end tag closes nothing
        while self._stack:
            name, _, _ = self._stack.pop()
            if name == "article":
                self._in_article -= 1
            if name == tag:
                break

    def handle_data(self, data):
        if not self._stack or not self._in_article:
            return
        _, skipping, pasted = self._stack[-1]
        if pasted:
            self.pasted.append(data.strip())
        if not skipping:
            self.prose.append(data)


def read_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@functools.lru_cache(maxsize=None)
def korean_prose(path: Path) -> str:
    """A built Korean page's prose as one text, read once per test run (the search tests ask often)."""
    return " ".join(read_page(path).prose)


@pytest.fixture(scope="module")
def pages(site):
    return {(language, page): read_page(site / prefix / f"{page}.html")
            for page in PAGES for language, prefix in (("en", "."), (LANGUAGE, LANGUAGE))}


@korean_edition
@pytest.mark.parametrize("page", PAGES)
def test_korean_page_exists_in_korean(site, pages, page):
    assert (site / LANGUAGE / f"{page}.html").is_file(), f"{LANGUAGE}/{page}.html was not built"
    korean = pages[LANGUAGE, page]
    assert korean.lang == LANGUAGE, f"{LANGUAGE}/{page}.html: <html lang={korean.lang!r}>"
    assert pages["en", page].lang == "en"
    text = re.sub(r"https?://\S+", " ", " ".join(korean.prose))  # addresses are not prose
    hangul, latin = len(HANGUL.findall(text)), len(LATIN.findall(text))
    share = hangul / max(hangul + latin, 1)
    assert share >= HANGUL_SHARE, (
        f"{LANGUAGE}/{page}.html: only {share:.0%} of the prose's letters are Hangul "
        f"({hangul} Hangul, {latin} Latin): untranslated text?")


def same_in_other_units(english_only: Counter, korean_only: Counter) -> bool:
    """Whether each glued value only the Korean page shows is one only the English shows, in other units.

    ``scripts/translations.py`` lets a translation glue a number in its own
    units (``GLUE_IN_OTHER_UNITS``: 295 billion is 2,950억, 17 million
    1,700만), so the value differs by a power of ten, 10 to 10 000, and nothing else.

    >>> same_in_other_units(Counter(["295", "17"]), Counter(["2,950", "1,700"]))
    True
    >>> same_in_other_units(Counter(["295"]), Counter(["2,953"]))
    False
    """
    def number(text: str) -> float | None:
        try:
            return float(text.replace(",", ""))
        except ValueError:
            return None

    english = [number(value) for value in english_only.elements()]
    for value in map(number, korean_only.elements()):
        match = next((other for other in english if value is not None and other
                      and any(abs(value - other * 10 ** k) < 1e-9 * value for k in range(1, 5))), None)
        if match is None:
            return False
        english.remove(match)
    return not english


def test_values_in_other_units_are_told_from_other_values():
    assert same_in_other_units(Counter(["295", "17"]), Counter(["2,950", "1,700"]))
    assert not same_in_other_units(Counter(["295"]), Counter(["2,953"]))  # another number
    assert not same_in_other_units(Counter(["295", "64"]), Counter(["2,950"]))  # one missing
    assert not same_in_other_units(Counter(), Counter(["12"]))


def _digest(html_file: Path, src: str) -> str:
    return hashlib.sha256((html_file.parent / unquote(src)).resolve().read_bytes()).hexdigest()


@korean_edition
@pytest.mark.parametrize("page", PAGES)
def test_korean_page_has_the_same_figures_and_numbers(site, pages, page):
    english, korean = pages["en", page], pages[LANGUAGE, page]
    en_figures = [_digest(site / f"{page}.html", src) for src in english.images]
    ko_figures = [_digest(site / LANGUAGE / f"{page}.html", src) for src in korean.images]
    # The same figures in the same order, each the English one or, where it
    # has words, its Korean drawing (issue 24, tests/test_korean_figures.py).
    assert len(en_figures) == len(ko_figures) and all(
        ko == en or ko not in en_figures for en, ko in zip(en_figures, ko_figures)
    ), f"{page}: the Korean page's figures are not the English page's"
    # Glued values: the same numbers, whatever order the Korean sentence puts them in,
    # except those a translation states in its own units (295 billion: 2,950억).
    english_only = Counter(english.pasted) - Counter(korean.pasted)
    korean_only = Counter(korean.pasted) - Counter(english.pasted)
    assert Counter(english.pasted) == Counter(korean.pasted) or same_in_other_units(english_only, korean_only), (
        f"{page}: glued values differ: English only {sorted((Counter(english.pasted) - Counter(korean.pasted)).elements())}, "
        f"Korean only {sorted((Counter(korean.pasted) - Counter(english.pasted)).elements())}")


@korean_edition
@pytest.mark.parametrize("page", PAGES)
def test_switcher_links_each_page_to_itself_in_the_other_language(site, pages, page):
    for language, prefix, other in (("en", ".", LANGUAGE), (LANGUAGE, LANGUAGE, "en")):
        here = site / prefix / f"{page}.html"
        links = pages[language, page].switcher
        assert len(links) == 1, f"{here.relative_to(site)}: {len(links)} language links"
        link = links[0]
        assert link.get("hreflang") == other and link.get("lang") == other, link
        target = (here.parent / urlsplit(link["href"]).path).resolve()
        expected = (site / (LANGUAGE if other == LANGUAGE else ".") / f"{page}.html").resolve()
        assert target == expected, f"{here.relative_to(site)}: the switcher points at {target}, not {expected}"
        # Its words name the other language, in that language (never the
        # page's own language): written out here, not read from the extension.
        words = re.findall(r'<a class="[^"]*convbook-language[^"]*"[^>]*>([^<]*)</a>',
                           here.read_text(encoding="utf-8"))
        assert words == [OWN_NAMES[other]], f"{here.relative_to(site)}: the switcher says {words}"
        alternates = pages[language, page].alternates
        assert set(alternates) == {"en", LANGUAGE}, alternates
        assert alternates[LANGUAGE].endswith(f"/{LANGUAGE}/{page}.html") and alternates["en"].endswith(f"/{page}.html")


@korean_edition
def test_theme_strings_are_korean(site):
    text = (site / LANGUAGE / "book" / "filters.html").read_text(encoding="utf-8")
    for english, korean in (("Skip to main content", "본문으로 건너뛰기"), ("Color mode", "색상 모드"),
                            ("Search this book...", "이 책에서 검색..."), ("Toggle primary sidebar", None),
                            # Issue 24: the theme's own Korean lacks a space; the footer.
                            ("전체 화면으로보기", "전체 화면으로 보기"), ("The convbook authors", "지은이: convbook 저자들"),
                            ("© Copyright", "저작권 © "), ('aria-label="Page"', 'aria-label="페이지 목차"')):
        assert english not in text, f"the Korean page still says {english!r}"
        if korean:
            assert korean in text, f"the Korean page does not say {korean!r}"
    assert "<title>" in text and "합성곱 층" in text.split("<title>", 1)[1].split("</title>", 1)[0]


@korean_edition
def test_korean_search_page_and_scripts_have_no_english(site):
    """Issue 24: the search page without JavaScript, the copy and toggle buttons' scripts."""
    from korean_interface import english_words, load_allowlist
    page = (site / LANGUAGE / "search.html").read_text(encoding="utf-8")
    noscript = re.findall(r"<noscript>(.*?)</noscript>", page, re.S)
    texts = [" ".join(re.sub(r"<[^>]*>", " ", re.sub(r"<style.*?</style>", " ", block, flags=re.S)).split())
             for block in noscript]
    texts = [text for text in texts if text]
    assert any(HANGUL.search(text) for text in texts), f"the search page's <noscript> says {texts}"
    assert not english_words(texts, load_allowlist()), texts
    # The buttons' words are written by their scripts, in the Korean site's copies.
    static = site / LANGUAGE / "_static"
    copy = static.joinpath("copybutton.js").read_text(encoding="utf-8")
    korean = json.loads(re.search(r'"ko": (\{.*?\}),\n', copy.replace(",\n  }", "\n  }"), re.S)[1])
    assert set(korean) == {"copy", "copy_to_clipboard", "copy_success", "copy_failure"}
    assert all(HANGUL.search(text) for text in korean.values()), korean
    toggle = static.joinpath("togglebutton.js").read_text(encoding="utf-8")
    assert "Toggle hidden content" not in toggle and 'aria-label="숨긴 내용 보이기/숨기기"' in toggle


# --- Korean search ---------------------------------------------------------------------


#: A hand-written vocabulary: the words a book would write bare (no 정, no 차).
BOOK_WORDS = frozenset({"배열", "합성곱", "맵", "필터", "특성", "커널", "층", "값", "가중치", "에지", "패딩",
                        "정의", "정도", "차이", "이"})


def test_korean_stemmer_strips_particles():
    # Hand-written pairs, independent of the particle list's order.
    cases = {"배열로": "배열", "배열": "배열", "합성곱은": "합성곱", "합성곱의": "합성곱", "맵을": "맵",
             "필터들을": "필터", "특성": "특성", "맵": "맵", "커널에서는": "커널", "ReLU를": "relu",
             "Conv2d": "conv2d", "이": "이", "층의": "층", "값이": "값", "strides를": "stride"}
    assert {word: stem_korean(word, BOOK_WORDS) for word in cases} == cases


def test_korean_stemmer_strips_only_down_to_a_word_of_the_book():
    """Issue 24: 정의 and 정도 end like the particles 의 and 도, but 정 is no word of the book."""
    cases = {"정의": "정의", "정도": "정도", "정의를": "정의", "정도로": "정도", "차이": "차이", "차이가": "차이",
             "정의들": "정의"}
    assert {word: stem_korean(word, BOOK_WORDS) for word in cases} == cases
    # Were 정 a word of the book, 정의 would be 정 + 의: the vocabulary decides.
    assert stem_korean("정의", BOOK_WORDS | {"정"}) == "정"
    # Without a vocabulary a Hangul word stays whole; a Latin one still loses its particle.
    assert [stem_korean(word) for word in ("배열로", "맵을", "ReLU를")] == ["배열로", "맵을", "relu"]


def test_browser_stemmer_is_the_index_stemmer(browser):
    """The JavaScript the site ships strips the same particles as the index's Python."""
    words = ["배열로", "합성곱은", "특성", "맵을", "필터들을", "가중치가", "ReLU를", "이", "차이",
             "에지에서는", "패딩으로", "층마다", "정의", "정도", "정의를", "차이가", "층의", "값이"] \
        + [f"커널{p}" for p in PARTICLES] + [f"값들{p}" for p in PARTICLES] + [f"정{p}" for p in PARTICLES]
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_content("<html></html>")
        stem_all = ("(args) => { eval(args.code + '; window.S = Stemmer;');"
                    " if (args.vocabulary) window[args.name] = args.vocabulary;"
                    " return args.words.map(w => new window.S().stemWord(w)); }")
        # Before the page's vocabulary has loaded: nothing Hangul is stripped.
        bare = tab.evaluate(stem_all, {"code": javascript_stemmer(), "words": words, "vocabulary": None,
                                       "name": VOCABULARY_GLOBAL})
        stems = tab.evaluate(stem_all, {"code": javascript_stemmer(), "words": words,
                                        "vocabulary": sorted(BOOK_WORDS), "name": VOCABULARY_GLOBAL})
    finally:
        context.close()
    assert bare == [stem_korean(word) for word in words]
    assert stems == [stem_korean(word, BOOK_WORDS) for word in words]


@korean_edition
def test_search_vocabulary_is_the_words_of_the_korean_pages(site):
    """The vocabulary shipped with the index holds the Hangul words the Korean pages write."""
    script = (site / LANGUAGE / "_static" / VOCABULARY_NAME).read_text(encoding="utf-8")
    vocabulary = set(json.loads(script.split("=", 1)[1].strip().rstrip(";")))
    written = set()
    for page in PAGES:
        html = (site / LANGUAGE / f"{page}.html").read_text(encoding="utf-8")
        # Print-only notes are added as the pages are written, after Sphinx read them.
        html = re.sub(r'<(\w+) class="onlyprint[^"]*"[^>]*>.*?</\1>', "", html, flags=re.DOTALL)
        parsed = _Page()
        parsed.feed(html)
        written |= words_of(" ".join(parsed.prose))
    missing = sorted(written - vocabulary)
    assert not missing, f"words of the Korean pages missing from the search vocabulary: {missing[:20]}"
    assert {"정의", "정도", "맵", "층", "값", "배열"} <= vocabulary and "정" not in vocabulary


def _pages_with_word(site, term: str) -> set[str]:
    """Pages whose Korean prose has ``term`` followed by nothing or a particle."""
    found = set()
    pattern = re.compile(rf"(?<![\uac00-\ud7a3]){re.escape(term)}(?:{'|'.join(map(re.escape, PARTICLES))})?"
                         r"(?![\uac00-\ud7a3])")
    for page in PAGES:
        if pattern.search(korean_prose(site / LANGUAGE / f"{page}.html")):
            found.add(page)
    return found


def _search(browser, site_url, query: str) -> set[str]:
    context = browser.new_context()
    context.route(lambda url: not url.startswith(site_url), lambda route: route.abort())
    tab = context.new_page()
    try:
        tab.goto(f"{site_url}{LANGUAGE}/search.html?q={query}", wait_until="load")
        tab.wait_for_function(
            "() => { const s = document.querySelector('#search-results .search-summary');"
            " return s && s.textContent.trim().length > 0; }", timeout=15000)
        links = tab.eval_on_selector_all("#search-results ul.search a", "as => as.map(a => a.href)")
    finally:
        context.close()
    return {urlsplit(link).path.split(f"/{LANGUAGE}/", 1)[-1].removesuffix(".html") for link in links}


@korean_edition
@pytest.mark.parametrize("query", ["배열", "합성곱", "특성 맵"])
def test_korean_search_finds_the_pages_that_contain_it(site, browser, site_url, query):
    words = query.split()
    expected = set.intersection(*(_pages_with_word(site, word) for word in words))
    assert expected, f"no Korean page contains {query!r}: is the site translated?"
    found = _search(browser, site_url, query)
    missing = sorted(expected - found)
    assert not missing, f"searching {query!r} on /{LANGUAGE}/ missed pages that contain it: {missing} (found {sorted(found)})"


@korean_edition
def test_korean_search_finds_a_word_only_written_with_a_particle(site, browser, site_url):
    """The issue's case: a page that says 배열로 (never 배열 alone) is found by 배열."""
    bare = re.compile(r"배열(?![\uac00-\ud7a3])")
    with_particle = [page for page in PAGES
                     if "배열로" in korean_prose(site / LANGUAGE / f"{page}.html")]
    assert with_particle, "no Korean page says 배열로"
    only = [page for page in with_particle
            if not bare.search(korean_prose(site / LANGUAGE / f"{page}.html"))]
    found = _search(browser, site_url, "배열")
    assert set(with_particle) <= found, f"pages saying 배열로 not found by 배열: {sorted(set(with_particle) - found)}"
    # Without particle stripping, these could not be found at all.
    assert all(page in found for page in only)


#: Issue 24: each word with a particle, and the word the search must see in it.
WITH_PARTICLES = {"맵을": "맵", "층의": "층", "값이": "값", "배열로": "배열", "정의": "정의", "정도": "정도"}


@korean_edition
def test_korean_search_strips_particles_but_keeps_words_apart(site, browser, site_url):
    """On /ko/search.html: 맵을 finds what 맵 finds, and 정의 and 정도 stay apart (one page load)."""
    context = browser.new_context()
    context.route(lambda url: not url.startswith(site_url), lambda route: route.abort())
    tab = context.new_page()
    queries = [*WITH_PARTICLES, *dict.fromkeys(WITH_PARTICLES.values())]
    try:
        tab.goto(f"{site_url}{LANGUAGE}/search.html", wait_until="load")
        tab.wait_for_function(f"() => Search._index && window.{VOCABULARY_GLOBAL}", timeout=15000)
        stems, found = tab.evaluate(
            """(queries) => [queries.map((q) => new Stemmer().stemWord(q)),
                             queries.map((q) => Search._performSearch(...Search._parseQuery(q)).map((r) => r[0]))]""",
            queries)
        vocabulary = tab.evaluate(f"() => window.{VOCABULARY_GLOBAL}")
    finally:
        context.close()
    stems, found = dict(zip(queries, stems)), {q: set(pages) for q, pages in zip(queries, found)}
    assert {word: stems[word] for word in WITH_PARTICLES} == WITH_PARTICLES
    # The index stems the same way (Python, with the vocabulary the page loaded).
    assert {word: stem_korean(word, set(vocabulary)) for word in WITH_PARTICLES} == WITH_PARTICLES
    for word, bare in WITH_PARTICLES.items():
        assert found[word] == found[bare], f"{word!r} finds {sorted(found[word])}, {bare!r} finds {sorted(found[bare])}"
        expected = _pages_with_word(site, bare)
        assert expected and expected <= found[word], f"{word!r} misses pages that say {bare}: {sorted(expected - found[word])}"
    # 정의 (definition) and 정도 (degree) are different words: neither finds
    # a page that says only the other.
    only = {word: _pages_with_word(site, word) - _pages_with_word(site, other)
            for word, other in (("정의", "정도"), ("정도", "정의"))}
    assert only["정의"] and only["정도"], f"the check needs pages that say only one of them: {only}"
    assert not found["정의"] & only["정도"], f"searching 정의 finds pages that only say 정도: {sorted(found['정의'] & only['정도'])}"
    assert not found["정도"] & only["정의"], f"searching 정도 finds pages that only say 정의: {sorted(found['정도'] & only['정의'])}"


@korean_edition
def test_korean_site_root_is_korean(site):
    root = (site / LANGUAGE / "index.html").read_text(encoding="utf-8")
    assert f'<html lang="{LANGUAGE}">' in root
    title = root.split("<title>", 1)[1].split("</title>", 1)[0]
    assert HANGUL.search(title), f"the Korean root page's title is {title!r}"
    assert 'href="book/index.html"' in root and (site / LANGUAGE / "book" / "index.html").is_file()
