"""Sphinx extension: every figure in the page's language (issue 24).

The chapters execute once, in the English build; each figure they show is
drawn there in every language of the book (``convbook.use_book_style``, with
the words of ``convbook/figure_text.py``): the English PNG is the output's
image, the others go into the output's metadata
(:data:`convbook.plotting.FIGURE_LANGUAGES_KEY`), and so into the execution
cache that every language's build reads. This extension

* tells the kernels which languages to draw (the environment variable
  :data:`convbook.plotting.FIGURE_LANGUAGES_VARIABLE`, set before any kernel
  starts, from ``languages:``);
* when MyST-NB has taken a page's outputs from the cache, puts the build's
  language's drawing in place of the English image and removes the other
  drawings (:func:`localize_outputs`), so the page, the PDF printed from it
  and the notebook MyST-NB writes carry the figure in the page's language;
  ``convbook_notebooks`` does the same for the reader's notebooks;
* fails a translated build (a warning; the build is strict) when a figure
  has a word without a translation, or a figure has no drawing in the
  language (an execution cache filled before the language was added: empty
  it with ``make clean``).
"""

from __future__ import annotations

import os

from convbook_translation import SOURCE_LANGUAGE, configured_languages
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Kept in step with convbook.plotting (not imported: the build's process
#: need not import the package's plotting code).
FIGURE_LANGUAGES_VARIABLE = "CONVBOOK_FIGURE_LANGUAGES"
FIGURE_LANGUAGES_KEY = "convbook_figure_languages"

#: The language of this process's build (one Sphinx build per process).
_language = SOURCE_LANGUAGE
_patched = False


def _is_figure(output) -> bool:
    # A matplotlib figure's plain-text representation, beside its PNG.
    text = (output.get("data") or {}).get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return "image/png" in (output.get("data") or {}) and text.startswith("<Figure size")


def localize_outputs(notebook, language: str) -> list[str]:
    """Show every figure of an executed ``notebook`` in ``language``; return what is missing.

    In place: each figure output's PNG becomes its drawing in ``language``
    (English stays), and the drawings in other languages leave the
    metadata. Returns one sentence per problem: a figure without a drawing
    in ``language``, or words drawn without a translation.
    """
    problems = []
    for number, cell in enumerate(notebook.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            metadata = output.get("metadata") or {}
            image = metadata.get("image/png") or {}
            drawings = image.pop(FIGURE_LANGUAGES_KEY, None) if isinstance(image, dict) else None
            if drawings is not None and not image:
                del metadata["image/png"]
            if language == SOURCE_LANGUAGE:
                continue
            if drawings is None or language not in drawings:
                if _is_figure(output):
                    problems.append(f"cell {number}: a figure without a {language!r} drawing (an execution "
                                    "cache filled before the language was added? `make clean`, then build)")
                continue
            drawing = drawings[language]
            output["data"]["image/png"] = drawing["png"]
            if drawing.get("untranslated"):
                problems.append(f"cell {number}: figure words without a {language!r} entry in "
                                f"code/convbook/figure_text.py: {drawing['untranslated']!r}")
    return problems


def _patch_myst_nb() -> None:
    """Localise a page's outputs as soon as MyST-NB's client has them (from the cache or executed)."""
    global _patched
    if _patched:
        return
    from myst_nb.core.execute.base import NotebookClientBase

    enter = NotebookClientBase.__enter__

    def localized_enter(self):
        client = enter(self)
        for problem in localize_outputs(self.notebook, _language):
            logger.warning(f"[convbook] {self.path}: {problem}", type="convbook", subtype="figure-language")
        return client

    NotebookClientBase.__enter__ = localized_enter
    _patched = True


def set_up(app, config) -> None:
    global _language
    _language = config.language or SOURCE_LANGUAGE
    others = [code for code in configured_languages(app) if code != SOURCE_LANGUAGE]
    # Read by use_book_style in every kernel this process starts.
    os.environ[FIGURE_LANGUAGES_VARIABLE] = ",".join(others)
    _patch_myst_nb()


def setup(app):
    # After convbook_translation records the languages (priority 200).
    app.connect("config-inited", set_up, priority=250)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
