"""Sphinx extension: a Korean search language for the site's search (issue 12).

Sphinx has none: with ``language = "ko"`` it indexes whole words, and
Korean writes particles onto the word they follow (배열로, 합성곱은,
특성 맵을), so searching 배열 would not find a page that only says 배열로.
This language strips the particles (and the plural 들) from the end of a
Hangul word, the same rule in the index (Python, :meth:`SearchKorean.stem`)
and in the reader's browser (JavaScript, generated from the same
:data:`PARTICLES` list by :func:`javascript_stemmer`), so both see 배열.

A particle is stripped only when what remains is a word the book itself
writes (issue 24): 정의 (definition) and 정도 (degree) end like 의 and 도
but 정 is no word of the book, so both stay whole and apart, while 맵을,
층의, 값이 and 배열로 become 맵, 층, 값 and 배열. The vocabulary is every
Hangul word of the Korean pages as written, gathered while Sphinx reads
them; the index's stemmer uses it, and the search page loads it
(``_static/convbook-search-vocabulary.js``, written beside the index,
loaded by the search page only: the other pages never stem a query).

Latin words (code names, English terms in parentheses: 스트라이드(stride))
are stemmed as the English site stems them, by Sphinx's own Porter stemmer
(Python's ``snowballstemmer`` in the index, Sphinx's JavaScript port in the
browser), so that ``strides`` typed on /ko/ finds ``stride`` as it does on
the English site (issue 18). English stop words (``and``, ``the``) are left
out of Korean queries as they are out of English ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

import snowballstemmer
from docutils import nodes
from sphinx.search import SearchLanguage
from sphinx.search.en import english_stopwords, js_porter_stemmer

#: Particles and copula endings stripped from the end of a Hangul word,
#: longest first so that 에서는 goes before 는. A word keeps at least one
#: syllable: 이 alone is a word, not a particle.
PARTICLES = (
    "에서부터", "으로부터", "이라는", "에서는", "에서도", "으로는", "으로도", "으로써", "에게서",
    "까지는", "부터는", "이라고", "입니다", "이라면",
    "에서", "으로", "에게", "까지", "부터", "처럼", "보다", "라는", "이란", "이나", "이며", "이고",
    "이다", "에는", "에도", "로는", "로도", "로써", "와는", "과는", "와의", "과의", "만큼", "마다",
    "은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만", "란", "인",
)
#: The search page's vocabulary script, in the build's ``_static``, and the global it sets.
VOCABULARY_NAME = "convbook-search-vocabulary.js"
VOCABULARY_GLOBAL = "CONVBOOK_SEARCH_VOCABULARY"
#: The plural suffix, stripped after the particle (필터들을 -> 필터들 -> 필터).
PLURAL = "들"
HANGUL_END = re.compile(r"[\uac00-\ud7a3]$")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: The English site's stemmer (Sphinx's SearchEnglish uses the same).
_PORTER = snowballstemmer.stemmer("porter")


def _known(word: str, vocabulary) -> bool:
    """Whether ``word`` may be what is left once a suffix is stripped.

    A Latin remainder always (strides를: a Hangul particle after a Latin
    word is nothing else); a Hangul one if the book writes it, or writes
    its singular (필터들을 -> 필터들 when the book writes 필터).
    """
    if not HANGUL.search(word):
        return True
    return word in vocabulary or (word.endswith(PLURAL) and len(word) > len(PLURAL)
                                  and word[: -len(PLURAL)] in vocabulary)


def stem_korean(word: str, vocabulary: Collection[str] = frozenset()) -> str:
    """A Hangul word without its particle and plural suffix; a Latin word stemmed as in English.

    A suffix goes only where what remains is in ``vocabulary`` (the Hangul
    words the book writes, lowercase); with none, Hangul words stay whole.

    >>> book = {"배열", "합성곱", "맵", "필터", "정의", "정도"}
    >>> [stem_korean(w, book) for w in ["배열로", "합성곱은", "맵을", "필터들을", "정의", "정도", "Filters", "strides를"]]
    ['배열', '합성곱', '맵', '필터', '정의', '정도', 'filter', 'stride']
    """
    word = word.lower()
    if not HANGUL_END.search(word):
        return word if HANGUL.search(word) else _PORTER.stemWord(word)
    for particle in PARTICLES:
        if (word.endswith(particle) and len(word) > len(particle)
                and _known(word[: -len(particle)], vocabulary)):
            word = word[: -len(particle)]
            break
    if word.endswith(PLURAL) and len(word) > len(PLURAL) and _known(word[: -len(PLURAL)], vocabulary):
        word = word[: -len(PLURAL)]
    # A Latin word with a particle (strides를): the word, stemmed as in English.
    return word if HANGUL.search(word) else _PORTER.stemWord(word)


def words_of(text: str) -> set[str]:
    """The vocabulary's words in ``text``: split as the index splits, lowercase, with Hangul.

    >>> sorted(words_of("정의를 보면 Conv2d 층의 값"))
    ['값', '보면', '정의를', '층의']
    """
    return {word for word in SearchLanguage._word_re.findall(text.lower()) if HANGUL.search(word)}


def _english_stemmer_js() -> str:
    """Sphinx's JavaScript Porter stemmer, as ``EnglishStemmer``."""
    name = "var Stemmer = function"
    if js_porter_stemmer.count(name) != 1:
        raise RuntimeError("sphinx.search.en.js_porter_stemmer no longer defines `var Stemmer`: "
                           "update book/_ext/convbook_search_ko.py")
    return js_porter_stemmer.replace(name, "var EnglishStemmer = function")


def javascript_stemmer() -> str:
    """The browser's ``Stemmer`` class: :func:`stem_korean` in JavaScript."""
    return _english_stemmer_js() + f"""
/* Korean particle stripping: book/_ext/convbook_search_ko.py, the same
   rule as the search index's; Latin words go to the English stemmer. A
   suffix goes only where the rest is a word of the book: the vocabulary
   the search page loads (window.{VOCABULARY_GLOBAL}). */
var Stemmer = function() {{
  const particles = {json.dumps(list(PARTICLES), ensure_ascii=False)};
  const plural = {json.dumps(PLURAL, ensure_ascii=False)};
  const hangulEnd = /[\\uac00-\\ud7a3]$/;
  const hangul = /[\\uac00-\\ud7a3]/;
  const english = new EnglishStemmer();
  const latin = (word) => hangul.test(word) ? word : english.stemWord(word);
  let vocabulary = null;
  const inBook = (word) => {{
    if (vocabulary === null) {{
      const words = window.{VOCABULARY_GLOBAL};
      if (!words) return false;  // not loaded (yet): strip nothing rather than too much
      vocabulary = new Set(words);
    }}
    return vocabulary.has(word);
  }};
  const known = (word) => !hangul.test(word) || inBook(word)
    || (word.endsWith(plural) && word.length > plural.length && inBook(word.slice(0, word.length - plural.length)));
  this.stemWord = function(word) {{
    word = word.toLowerCase();
    if (!hangulEnd.test(word)) return latin(word);
    for (const particle of particles) {{
      if (word.endsWith(particle) && word.length > particle.length
          && known(word.slice(0, word.length - particle.length))) {{
        word = word.slice(0, word.length - particle.length);
        break;
      }}
    }}
    if (word.endsWith(plural) && word.length > plural.length && known(word.slice(0, word.length - plural.length))) {{
      word = word.slice(0, word.length - plural.length);
    }}
    return latin(word);
  }};
}};
"""


class SearchKorean(SearchLanguage):
    """Korean for Sphinx's search: words split as in English, particles stripped."""

    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = javascript_stemmer()
    #: English stop words, for the English words of a Korean query or page.
    stopwords = english_stopwords
    #: The Hangul words of the book, set once Sphinx has read every page
    #: (:func:`update_vocabulary`), before any page is indexed.
    vocabulary: frozenset[str] = frozenset()

    def stem(self, word: str) -> str:
        return stem_korean(word, self.vocabulary)


def _is_korean(app) -> bool:
    return (app.config.language or "").split("_")[0] == SearchKorean.lang


def _texts(doctree):
    """The text Sphinx's index reads from a page, read as it reads it.

    As ``sphinx.search.IndexBuilder._word_collector``: every text node but
    comments', and raw HTML without its tags, styles and scripts.
    """
    def visit(node):
        if isinstance(node, nodes.comment):
            return
        if isinstance(node, nodes.raw):
            if "html" in node.get("format", "").split():
                text = re.sub(r"<style.*?</style>", "", node.astext(), flags=re.IGNORECASE | re.DOTALL)
                text = re.sub(r"<script.*?</script>", "", text, flags=re.IGNORECASE | re.DOTALL)
                yield re.sub(r"<[^<]+?>", "", text)
            return
        if isinstance(node, nodes.Text):
            yield node.astext()
        for child in node.children:
            yield from visit(child)
    return visit(doctree)


def collect_words(app, doctree) -> None:
    """The Hangul words of a page, as read (translated), kept in the environment."""
    if not _is_korean(app):
        return
    words = set()
    for text in _texts(doctree):
        words |= words_of(text)
    if not hasattr(app.env, "convbook_korean_words"):
        app.env.convbook_korean_words = {}
    app.env.convbook_korean_words[app.env.docname] = sorted(words)


def purge_words(app, env, docname) -> None:
    getattr(env, "convbook_korean_words", {}).pop(docname, None)


def merge_words(app, env, docnames, other) -> None:
    if not hasattr(env, "convbook_korean_words"):
        env.convbook_korean_words = {}
    for docname in docnames:
        if docname in getattr(other, "convbook_korean_words", {}):
            env.convbook_korean_words[docname] = other.convbook_korean_words[docname]


def update_vocabulary(app, env):
    """The book's vocabulary for the index's stemmer; every page re-indexed when it changed.

    Sphinx keeps an unchanged page's index entries from the last build; they
    were stemmed with the vocabulary of that build.
    """
    if not _is_korean(app):
        return None
    words = getattr(env, "convbook_korean_words", {})
    # A {ref} without its own text is written as the section's title, one
    # run of text ("torch.autograd가 계산하는 것", where the title itself has
    # code and words apart): its words are known only once every page is read.
    titles = (title for _, _, title in env.domaindata.get("std", {}).get("labels", {}).values())
    vocabulary = frozenset(word for page in words.values() for word in page) | frozenset(
        word for title in titles for word in words_of(title))
    SearchKorean.vocabulary = vocabulary
    previous = getattr(env, "convbook_korean_vocabulary", None)
    env.convbook_korean_vocabulary = vocabulary
    if previous is not None and previous != vocabulary:
        return sorted(env.found_docs)
    return None


def write_vocabulary(app, pagename, templatename, context, doctree) -> None:
    """On the search page: the vocabulary, as a script the page loads for its Stemmer."""
    if pagename != "search" or not _is_korean(app) or app.builder.format != "html" \
            or not hasattr(app.builder, "out_suffix"):
        return
    from convbook_search import write_global_script

    words = sorted(getattr(app.env, "convbook_korean_vocabulary", SearchKorean.vocabulary))
    write_global_script(app, VOCABULARY_NAME, VOCABULARY_GLOBAL, words)
    # Deferred: it runs before the search starts (on DOMContentLoaded).
    app.add_js_file(VOCABULARY_NAME, loading_method="defer")


def setup(app):
    app.add_search_language(SearchKorean)
    app.connect("doctree-read", collect_words)
    app.connect("env-purge-doc", purge_words)
    app.connect("env-merge-info", merge_words)
    app.connect("env-updated", update_vocabulary)
    app.connect("html-page-context", write_vocabulary)
    # env_version: an environment saved without the vocabulary is read afresh.
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.1", "env_version": 2}
