"""The words drawn in the book's figures, in every language of the book.

The figures are drawn in the chapters' kernels, where the book's gettext
catalogs (``locale/``) are not available; their words are translated here,
from one message table, :data:`FIGURE_TEXT`. A plotting function draws its
English words; :func:`translated_figure` swaps every word of a finished
figure for its translation while the figure is saved, and puts the English
back afterwards, so that one figure gives a PNG per language with exactly
the same data, colour limits, ticks and layout (``use_book_style``, in
:mod:`convbook.plotting`, does so for every figure a chapter shows).

An entry is an English text and its translation. ``{name}`` in both stands
for any text: ``"Filter {n}"`` translates ``"Filter 3"`` as ``"필터 3"``, the
text in the braces translated in turn (a number needs no translation).
A text of several lines is translated line by line. A text without a letter
(a number, a sign) or entirely ``$math$`` is drawn as it is; every other text
needs an entry (``tests/test_korean_figures.py``, and the Korean build, which
fails on a figure word without one). Names that stay in Latin letters in the
Korean book (ReLU, Sobel) have entries that keep them.

Hangul is drawn with NanumGothic from the PyPI package ``koreanize-matplotlib``
(only its font file is used: importing it would change matplotlib's global
settings), as a fallback after the English font, so that digits, letters and
minus signs are drawn exactly as in the English figure.
"""

from __future__ import annotations

import importlib.util
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

__all__ = ["FIGURE_TEXT", "translate_figure_text", "translated_figure", "figure_texts",
           "UntranslatedFigureText", "korean_font_family"]

#: The language the plotting functions draw in.
SOURCE_LANGUAGE = "en"

#: English text -> translation, per language. ``{name}`` stands for any text,
#: translated in turn (module docstring).
FIGURE_TEXT: dict[str, dict[str, str]] = {
    "ko": {
        # -- plotting.py: the lesson's figures
        "Filter {n}": "필터 {n}",
        "Output {n}": "출력 {n}",
        "Filter": "필터",
        "column": "열",
        "row": "행",
        "Image patch": "이미지 조각",
        "Product (sum = {sum})": "곱 (합 = {sum})",
    },
}

#: A letter of any script: a text without one is drawn as it is.
_LETTER = re.compile(r"[^\W\d_]")
#: A ``{name}`` placeholder of an entry.
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class UntranslatedFigureText(LookupError):
    """A figure text has no entry in :data:`FIGURE_TEXT` for the language."""


@lru_cache(maxsize=None)
def _patterns(language: str) -> list[tuple[re.Pattern, str, int]]:
    """The table's entries with placeholders, as regular expressions, most literal text first."""
    patterns = []
    for english, translation in FIGURE_TEXT[language].items():
        if not _PLACEHOLDER.search(english):
            continue
        parts = _PLACEHOLDER.split(english)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        literal = sum(len(part) for part in parts[::2])
        patterns.append((re.compile(regex + r"\Z", re.S), translation, literal))
    patterns.sort(key=lambda entry: -entry[2])
    return patterns


def needs_translation(text: str) -> bool:
    """Whether ``text`` holds a word: not a number, a sign or ``$math$`` only."""
    stripped = text.strip()
    if not _LETTER.search(stripped):
        return False
    return not (len(stripped) > 1 and stripped.startswith("$") and stripped.endswith("$")
                and stripped.count("$") == 2)


def translate_figure_text(text: str, language: str) -> str:
    """``text`` as drawn in a ``language`` figure.

    Parameters
    ----------
    text : str
        A text an English figure draws (a title, a label, a legend entry).
    language : str
        ``"en"`` (returned as it is) or a language of :data:`FIGURE_TEXT`.

    Raises
    ------
    UntranslatedFigureText
        When a word of ``text`` has no entry for ``language``.
    ValueError
        For a language without a table.

    >>> translate_figure_text("Filter 2", "ko")
    '필터 2'
    >>> translate_figure_text("-0.25", "ko")
    '-0.25'
    """
    if language == SOURCE_LANGUAGE:
        return text
    if language not in FIGURE_TEXT:
        raise ValueError(f"no figure texts for language {language!r}; the languages are "
                         f"{[SOURCE_LANGUAGE, *FIGURE_TEXT]} (convbook/figure_text.py)")
    if "\n" in text:
        return "\n".join(translate_figure_text(line, language) for line in text.split("\n"))
    if not needs_translation(text):
        return text
    table = FIGURE_TEXT[language]
    if text in table:
        return table[text]
    for pattern, translation, _ in _patterns(language):
        match = pattern.match(text)
        if match is None:
            continue
        try:
            values = {name: translate_figure_text(value, language) for name, value in match.groupdict().items()}
        except UntranslatedFigureText:
            continue
        return translation.format(**values)
    raise UntranslatedFigureText(f"no {language!r} entry for the figure text {text!r} in "
                                 "convbook/figure_text.py FIGURE_TEXT")


def _font_file(name: str = "NanumGothic.ttf") -> Path:
    # The package's font file, found without importing the package (its
    # import changes matplotlib's global rcParams).
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "drawing a Korean figure needs the font of koreanize-matplotlib: "
            "pip install koreanize-matplotlib", name="koreanize_matplotlib")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / name
    if not path.is_file():
        raise FileNotFoundError(f"koreanize-matplotlib has no font {path}; reinstall it")
    return path


@lru_cache(maxsize=None)
def korean_font_family() -> str:
    """The family name of the Korean font, registered with matplotlib's font manager."""
    from matplotlib import font_manager

    path = _font_file()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


#: The fallback family drawn after the English font, per language.
_FALLBACK_FAMILY = {"ko": korean_font_family}


def figure_texts(fig) -> list:
    """Every :class:`matplotlib.text.Text` of ``fig`` that draws a non-empty string."""
    from matplotlib.text import Text

    return [text for text in fig.findobj(Text) if text.get_text()]


def _fixed_formatters(fig) -> list:
    # Tick labels given as words (ax.set_yticks(positions, names)): the axis
    # writes them into its tick labels while drawing, from the formatter.
    from matplotlib.ticker import FixedFormatter

    formatters = []
    for ax in fig.get_axes():
        for axis in ax._axis_map.values():
            for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                if isinstance(formatter, FixedFormatter):
                    formatters.append(formatter)
    return formatters


@contextmanager
def translated_figure(fig, language: str, untranslated: list[str] | None = None):
    """Inside the ``with`` block, ``fig`` draws its words in ``language``.

    Every text artist's string (and every tick label given as a word) is
    swapped for its translation, with the language's font as a fallback
    family; on leaving, the English strings and fonts come back. Nothing
    else of the figure changes: the images, lines, colour limits and ticks
    are the English figure's.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    language : str
        ``"en"`` (nothing changes) or a language of :data:`FIGURE_TEXT`.
    untranslated : list of str, optional
        Where a text without an entry is appended (it is then drawn in
        English); without the list, such a text raises
        :class:`UntranslatedFigureText`.
    """
    if language == SOURCE_LANGUAGE:
        yield fig
        return

    def translate(text: str) -> str:
        try:
            return translate_figure_text(text, language)
        except UntranslatedFigureText:
            if untranslated is None:
                raise
            untranslated.append(text)
            return text

    family = _FALLBACK_FAMILY[language]() if language in _FALLBACK_FAMILY else None
    texts, formatters = [], []
    try:
        for formatter in _fixed_formatters(fig):
            formatters.append((formatter, formatter.seq))
            formatter.seq = [translate(str(label)) for label in formatter.seq]
        for text in figure_texts(fig):
            english = text.get_text()
            translated = translate(english)
            if translated == english:
                continue
            texts.append((text, english, text.get_fontproperties().copy()))
            text.set_text(translated)
            if family is not None:
                families = list(text.get_fontproperties().get_family())
                text.set_fontfamily([*families, family] if family not in families else families)
        if family is not None and formatters:
            for ax in fig.get_axes():
                for axis in ax._axis_map.values():
                    for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                        for label in (tick.label1, tick.label2):
                            families = list(label.get_fontproperties().get_family())
                            if family not in families:
                                texts.append((label, label.get_text(), label.get_fontproperties().copy()))
                                label.set_fontfamily([*families, family])
        yield fig
    finally:
        for text, english, font in reversed(texts):
            text.set_text(english)
            text.set_fontproperties(font)
        for formatter, seq in formatters:
            formatter.seq = seq
