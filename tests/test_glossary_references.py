"""The glossary in the reader's alphabet, and a references page without LaTeX (issue 20).

* The English glossary lists its terms in alphabetical order (case
  ignored), in the source and on the built page.
* The Korean glossary lists its *translated* terms in 가나다 order, Hangul
  first and the terms that stay in Latin letters after them: Sphinx's own
  ``:sorted:`` would sort the English terms before translation, so the
  build sorts them afterwards (``book/_ext/convbook_translation.py``).
  The expected order here is the Unicode order of the Hangul syllables,
  which is 가나다 order by construction, computed independently of the
  extension's key.
* The rendered references page, in both languages, holds no backslash and
  no brace: nothing of BibTeX's LaTeX reaches the reader.
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TERM = re.compile(r"<dt[^>]*>(.*?)</dt>", re.S)
TAG = re.compile(r"<[^>]+>")


def page_terms(page: Path) -> list[str]:
    """The glossary's terms, in the order the page shows them."""
    text = page.read_text(encoding="utf-8")
    return [html.unescape(TAG.sub("", term)).replace("#", "").strip() for term in TERM.findall(text)]


def main_text(page: Path) -> str:
    """What the reader reads on a page: its main element, as text."""
    text = page.read_text(encoding="utf-8")
    main = text[text.index("<main"): text.index("</main>")]
    main = re.sub(r"<script.*?</script>", "", main, flags=re.S)
    return html.unescape(TAG.sub("", main))


def is_hangul_syllable(character: str) -> bool:
    return unicodedata.name(character, "").startswith("HANGUL SYLLABLE")


def ganada_order(terms: list[str]) -> list[str]:
    """Hangul terms by syllable (가 < 나 < 다 ...), then the Latin ones by letter."""
    hangul = [t for t in terms if is_hangul_syllable(t[0])]
    latin = [t for t in terms if not is_hangul_syllable(t[0])]
    return sorted(hangul) + sorted(latin, key=str.lower)


def source_terms() -> list[str]:
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    body = text[text.index("```{glossary}"):]
    body = body[body.index("\n") + 1: body.rindex("```")]
    return [line for line in body.splitlines() if line and not line[0].isspace()]


def test_the_english_glossary_source_is_alphabetical():
    terms = source_terms()
    assert len(terms) >= 40
    assert terms == sorted(terms, key=str.lower)


def test_the_glossary_has_the_terms_the_chapters_rely_on():
    terms = {term.lower() for term in source_terms()}
    for wanted in ["loss", "gradient", "gradient descent", "optimizer", "tensor", "fully connected layer",
                   "invariance", "transposed convolution", "minibatch", "stochastic gradient descent (sgd)",
                   "softmax", "cross-entropy", "global average pooling", "condition number"]:
        assert wanted in terms, wanted


def test_the_built_english_glossary_is_alphabetical(site):
    terms = page_terms(site / "book" / "glossary.html")
    assert terms == source_terms()


def test_the_built_korean_glossary_is_in_ganada_order(site):
    terms = page_terms(site / "ko" / "book" / "glossary.html")
    assert len(terms) == len(source_terms())
    assert sum(is_hangul_syllable(t[0]) for t in terms) >= len(terms) - 3, terms
    assert terms == ganada_order(terms)


def test_the_extension_key_sorts_like_a_korean_dictionary():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from convbook_translation import glossary_sort_key

    words = ["필터", "ReLU", "가중치", "im2col", "커널", "나비", "다리", "강", "각"]
    assert sorted(words, key=glossary_sort_key) == ["가중치", "각", "강", "나비", "다리", "커널", "필터", "im2col", "ReLU"]


@pytest.mark.parametrize("language", ["", "ko"])
def test_the_references_page_holds_no_latex(site, language):
    page = site / language / "book" / "references.html" if language else site / "book" / "references.html"
    text = main_text(page)
    assert "Goodfellow" in text and "Udacity" in text  # the bibliography is there
    for character in "\\{}":
        where = text.find(character)
        assert where < 0, f"{character!r} on the references page: ...{text[max(where - 60, 0): where + 60]}..."
    # Case kept where it matters: acronyms and names are not lowercased.
    for kept in ["RGB", "OpenCV", "PyTorch", "CS231n", "Intro to Deep Learning with PyTorch"]:
        assert kept in text, kept


CITATION = re.compile(r'<div class="citation"[^>]*>(.*?)</div>', re.S)


def latex_to_text(latex: str) -> str:
    """A BibTeX value as plain text for matching and sorting: no LaTeX, no braces, accents folded."""
    import codecs

    import latexcodec  # noqa: F401  (registers the "ulatex" codec)

    text = unicodedata.normalize("NFKD", codecs.decode(latex, "ulatex"))
    return " ".join("".join(c for c in text if c.isalnum() or c.isspace()).lower().split())


def expected_sort_names() -> dict[str, str]:
    """Each bib entry's title (as text) -> the name a reader sorts it by.

    A corporate author (written in double braces) by its whole name, a person by
    the first author's surname, an entry without an author by its title.
    """
    from pybtex.database import parse_file

    names = {}
    for entry in parse_file(str(ROOT / "book" / "references.bib")).entries.values():
        title = latex_to_text(entry.fields["title"])
        authors = entry.persons.get("author")
        if not authors:
            names[title] = title
        else:
            first = authors[0]
            names[title] = latex_to_text(" ".join(first.prelast_names + first.last_names))
    return names


@pytest.mark.parametrize("language", ["", "ko"])
def test_the_references_are_in_alphabetical_order_of_the_names_shown(site, language):
    page = site / language / "book" / "references.html" if language else site / "book" / "references.html"
    text = page.read_text(encoding="utf-8")
    main = text[text.index("<main"): text.index("</main>")]
    shown = [latex_to_text(html.unescape(TAG.sub("", entry))) for entry in CITATION.findall(main)]
    assert len(shown) >= 40
    names = expected_sort_names()
    order = []
    for entry in shown:
        matches = [title for title in names if title in entry]
        assert matches, entry[:80]
        order.append(names[max(matches, key=len)])
    assert order == sorted(order), order
    # The corporate authors stand among the names of their own letter.
    assert order.index("prewitt") < order.index("pytorch contributors") < order.index("rumelhart")
    assert order.index("nvidia") < order.index("odena") < order.index("opencv team")
