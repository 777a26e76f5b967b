"""Sphinx extension: a Korean search language for the site's search (issue 12).

Sphinx has none: with ``language = "ko"`` it indexes whole words, and
Korean writes particles onto the word they follow (배열로, 합성곱은,
특성 맵을), so searching 배열 would not find a page that only says 배열로.
This language strips the particles (and the plural 들) from the end of a
Hangul word, the same rule in the index (Python, :meth:`SearchKorean.stem`)
and in the reader's browser (JavaScript, generated from the same
:data:`PARTICLES` list by :func:`javascript_stemmer`), so both see 배열.

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

import snowballstemmer
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
#: The plural suffix, stripped after the particle (필터들을 -> 필터들 -> 필터).
PLURAL = "들"
HANGUL_END = re.compile(r"[\uac00-\ud7a3]$")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: The English site's stemmer (Sphinx's SearchEnglish uses the same).
_PORTER = snowballstemmer.stemmer("porter")


def stem_korean(word: str) -> str:
    """A Hangul word without its particle and plural suffix; a Latin word stemmed as in English.

    >>> [stem_korean(w) for w in ["배열로", "합성곱은", "맵을", "필터들을", "Filters", "strides를", "맵"]]
    ['배열', '합성곱', '맵', '필터', 'filter', 'stride', '맵']
    """
    word = word.lower()
    if not HANGUL_END.search(word):
        return word if HANGUL.search(word) else _PORTER.stemWord(word)
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) > len(particle):
            word = word[: -len(particle)]
            break
    if word.endswith(PLURAL) and len(word) > len(PLURAL):
        word = word[: -len(PLURAL)]
    # A Latin word with a particle (strides를): the word, stemmed as in English.
    return word if HANGUL.search(word) else _PORTER.stemWord(word)


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
   rule as the search index's; Latin words go to the English stemmer. */
var Stemmer = function() {{
  const particles = {json.dumps(list(PARTICLES), ensure_ascii=False)};
  const plural = {json.dumps(PLURAL, ensure_ascii=False)};
  const hangulEnd = /[\\uac00-\\ud7a3]$/;
  const hangul = /[\\uac00-\\ud7a3]/;
  const english = new EnglishStemmer();
  const latin = (word) => hangul.test(word) ? word : english.stemWord(word);
  this.stemWord = function(word) {{
    word = word.toLowerCase();
    if (!hangulEnd.test(word)) return latin(word);
    for (const particle of particles) {{
      if (word.endsWith(particle) && word.length > particle.length) {{
        word = word.slice(0, word.length - particle.length);
        break;
      }}
    }}
    if (word.endsWith(plural) && word.length > plural.length) {{
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

    def stem(self, word: str) -> str:
        return stem_korean(word)


def setup(app):
    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
