"""Sphinx extension: the references page in the order a reader expects, and citations resolved fast.

* **Sorted by the name shown.** pybtex's ``plain`` style sorts by the BibTeX
  source of the first author's name, so a corporate author written in braces
  (``{{PyTorch Contributors}}``) sorts by ``{`` and lands after "Zhang".
  The style ``convbook`` (``bibtex_default_style`` in ``_config.yml``) is
  ``plain`` with a sorting key made of what the page shows: braces and LaTeX
  accents removed, case ignored (:func:`plain_key`). An entry without an
  author goes under its title.
* **Plugin lookups kept.** sphinxcontrib-bibtex asks pybtex for its style
  plugins at every ``{cite}`` it resolves, and pybtex looks each up in every
  installed package's entry points (``importlib.metadata``): 5-15 ms a time,
  over a second for the book's hundred-odd citations, in every build (each
  language, and the PDF's single page). The installed plugins do not change
  while Sphinx runs: each lookup's answer is kept.

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import codecs
import functools
import unicodedata

#: The name of the formatting style (and of its sorting style) registered here.
STYLE_NAME = "convbook"


def plain_key(latex: str) -> str:
    """A BibTeX string as the reader sees it, for sorting: no LaTeX, no braces, lower case.

    >>> plain_key("{PyTorch Contributors}")
    'pytorch contributors'
    >>> plain_key('M{\\\\"u}ller')
    'muller'
    """
    import latexcodec  # noqa: F401  (registers the "ulatex" codec)

    text = unicodedata.normalize("NFKD", codecs.decode(latex, "ulatex"))
    kept = "".join(c for c in text if c.isalnum() or c.isspace())
    return " ".join(kept.lower().split())


@functools.cache
def _style_classes():
    """The sorting and formatting style classes (pybtex imported only when Sphinx loads us)."""
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.sorting.author_year_title import SortingStyle as AuthorYearTitle

    class ByNameShown(AuthorYearTitle):
        """First author's name as shown (then the others'), year, title; no author: the title."""

        def sorting_key(self, entry):
            author_key, year, title = super().sorting_key(entry)
            return (author_key or plain_key(title), year, plain_key(title))

        def person_key(self, person):
            parts = (person.prelast_names + person.last_names,
                     person.first_names + person.middle_names,
                     person.lineage_names)
            return "  ".join(plain_key(" ".join(part)) for part in parts)

    class Style(PlainStyle):
        default_sorting_style = STYLE_NAME

    return ByNameShown, Style


def register_style() -> None:
    """Make ``bibtex_default_style: convbook`` known to pybtex (before any lookup)."""
    from pybtex.plugin import register_plugin

    sorting, formatting = _style_classes()
    register_plugin("pybtex.style.sorting", STYLE_NAME, sorting)
    register_plugin("pybtex.style.formatting", STYLE_NAME, formatting)


def remember_plugin_lookups() -> None:
    """Keep the answer of each of pybtex's entry-point lookups (once per process)."""
    import pybtex.plugin

    lookup = pybtex.plugin._load_entry_point
    if not hasattr(lookup, "cache_info"):
        pybtex.plugin._load_entry_point = functools.lru_cache(maxsize=None)(lookup)


def setup(app):
    register_style()
    remember_plugin_lookups()
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
