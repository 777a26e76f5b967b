"""Sphinx extension: a Korean search language for the site's search (issue 12).

Sphinx has none: with ``language = "ko"`` it indexes whole words, and
Korean writes particles onto the word they follow (배열로, 합성곱은,
특성 맵을), so searching 배열 would not find a page that only says 배열로.
This language strips the particles (and the plural 들) from the end of a
Hangul word, the same rule in the index (Python, :meth:`SearchKorean.stem`)
and in the reader's browser (JavaScript, generated from the same
:data:`PARTICLES` list by :func:`javascript_stemmer`), so both see 배열.

Latin words (code names, English terms in parentheses) are only lowercased,
as they are written in the Korean text.
"""

from __future__ import annotations

import json
import re

from sphinx.search import SearchLanguage

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


def stem_korean(word: str) -> str:
    """A Hangul word without its particle and plural suffix, lowercased.

    >>> [stem_korean(w) for w in ["배열로", "합성곱은", "맵을", "필터들을", "Filter", "맵"]]
    ['배열', '합성곱', '맵', '필터', 'filter', '맵']
    """
    word = word.lower()
    if not HANGUL_END.search(word):
        return word
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) > len(particle):
            word = word[: -len(particle)]
            break
    if word.endswith(PLURAL) and len(word) > len(PLURAL):
        word = word[: -len(PLURAL)]
    return word


def javascript_stemmer() -> str:
    """The browser's ``Stemmer`` class: :func:`stem_korean` in JavaScript."""
    return f"""
/* Korean particle stripping: book/_ext/convbook_search_ko.py, the same
   rule as the search index's. */
var Stemmer = function() {{
  const particles = {json.dumps(list(PARTICLES), ensure_ascii=False)};
  const plural = {json.dumps(PLURAL, ensure_ascii=False)};
  const hangulEnd = /[\\uac00-\\ud7a3]$/;
  this.stemWord = function(word) {{
    word = word.toLowerCase();
    if (!hangulEnd.test(word)) return word;
    for (const particle of particles) {{
      if (word.endsWith(particle) && word.length > particle.length) {{
        word = word.slice(0, word.length - particle.length);
        break;
      }}
    }}
    if (word.endsWith(plural) && word.length > plural.length) {{
      word = word.slice(0, word.length - plural.length);
    }}
    return word;
  }};
}};
"""


class SearchKorean(SearchLanguage):
    """Korean for Sphinx's search: words split as in English, particles stripped."""

    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = javascript_stemmer()

    def stem(self, word: str) -> str:
        return stem_korean(word)


def setup(app):
    app.add_search_language(SearchKorean)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
