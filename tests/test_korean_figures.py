"""Figures in Korean (issue 24): the words translated, nothing else changed.

Every plotting function of ``convbook`` is drawn (with the valid arguments of
``tests/test_input_checks.py``) in English and in Korean
(:func:`convbook.figure_text.translated_figure`): the Korean drawing has the
same image arrays, line data, colour limits and tick positions, no word of
the function's own without a Korean entry, no glyph missing from the fonts
(no tofu), and the English figure is drawn byte for byte as before. The
chapters' own words (titles they pass) are checked by the Korean build,
which fails on a figure word without an entry
(``book/_ext/convbook_figure_languages.py``), and on the built site below.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D

import convbook
from convbook.figure_text import (FIGURE_TEXT, UntranslatedFigureText, figure_texts,
                                  translate_figure_text, translated_figure)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from test_input_checks import CASES, Case  # noqa: E402

#: The plotting functions that take no array (so not in that table), with valid arguments.
NO_ARRAY = [
    Case("plot_conv_arithmetic", dict(input_size=5, kernel_size=3, stride=2, padding=1), ()),
    Case("plot_conv_arithmetic", dict(input_size=3, kernel_size=3, stride=2, padding=1, transposed=True), ()),
    Case("plot_curves", dict(curves={"a": np.array([1.0, 0.5, 0.25])}, xlabel="b", ylabel="c"), ()),
]
PLOT_CASES = [case for case in CASES if case.name.startswith("plot_")] + NO_ARRAY
HANGUL = re.compile("[\uac00-\ud7a3]")


def test_every_plotting_function_is_drawn_here():
    exported = {name for name in convbook.__all__ if name.startswith("plot_")}
    assert {case.name for case in PLOT_CASES} == exported


def _given_words(arguments: dict) -> set[str]:
    # Words a caller passed (titles, names): the chapters' entries, checked by the build.
    words = set()
    for value in arguments.values():
        values = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple, dict)) else []
        words.update(line for item in values if isinstance(item, str) for line in item.split("\n"))
    return words


def _drawn(fig) -> tuple[list, bytes]:
    """What a figure shows apart from its words (images, lines, collections, colour limits, ticks), and its pixels."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    shown = []
    for ax in fig.axes:
        shown.append(("axes", ax.get_position().bounds, ax.get_xlim(), ax.get_ylim(),
                      tuple(ax.get_xticks()), tuple(ax.get_yticks())))
        for artist in ax.get_children():
            if isinstance(artist, AxesImage):
                shown.append(("image", np.asarray(artist.get_array()).tobytes(), artist.get_clim(),
                              artist.get_cmap().name))
            elif isinstance(artist, Line2D):
                shown.append(("line", np.asarray(artist.get_xydata()).tobytes()))
            elif isinstance(artist, Collection):
                shown.append(("collection", np.asarray(artist.get_offsets()).tobytes()))
    return shown, bytes(canvas.buffer_rgba())


@pytest.mark.parametrize("case", PLOT_CASES, ids=lambda case: case.name)
def test_a_korean_figure_changes_only_the_words(case):
    fig = case.function()(**case.arguments)
    english_data, english_png = _drawn(fig)
    english_words = [text.get_text() for text in figure_texts(fig)]
    untranslated: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)": tofu
        with translated_figure(fig, "ko", untranslated):
            korean_data, korean_png = _drawn(fig)
            korean_words = [text.get_text() for text in figure_texts(fig)]
    assert korean_data == english_data
    own = sorted(set(untranslated) - _given_words(case.arguments))
    assert not own, f"{case.name}: figure words without a Korean entry in convbook/figure_text.py: {own}"
    worded = [line for word in english_words for line in word.split("\n")
              if line not in _given_words(case.arguments) and translate_figure_text(line, "ko") != line]
    if worded:
        assert korean_png != english_png
        assert any(HANGUL.search(word) for word in korean_words), case.name
    # Everything back as it was: the English figure draws as before.
    assert [text.get_text() for text in figure_texts(fig)] == english_words
    assert _drawn(fig) == (english_data, english_png)


def test_fixed_tick_labels_are_translated_and_restored():
    fig = convbook.plot_layer_costs(["bottleneck", "depthwise-separable"], np.array([1.0, 2.0]),
                                    np.array([3.0, 4.0]))
    FigureCanvasAgg(fig).draw()
    with translated_figure(fig, "ko"):
        FigureCanvasAgg(fig).draw()
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["병목", "깊이별 분리"]
    FigureCanvasAgg(fig).draw()
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["bottleneck", "depthwise-separable"]


def test_hangul_falls_back_to_nanum_and_digits_stay_english():
    fig = convbook.plot_filters(convbook.edge_filters()[:1])
    title = fig.axes[0].title
    english_family = list(title.get_fontproperties().get_family())
    with translated_figure(fig, "ko"):
        assert title.get_text() == "필터 1"
        # The English font first (digits, minus signs), NanumGothic after it.
        assert list(title.get_fontproperties().get_family()) == [*english_family, "NanumGothic"]
        assert "NanumGothic" not in fig.axes[0].texts[0].get_fontproperties().get_family()
    assert list(title.get_fontproperties().get_family()) == english_family


def test_translations_follow_the_table():
    assert translate_figure_text("Filter 12", "ko") == "필터 12"
    assert translate_figure_text("ReLU(Output 3)", "ko") == "ReLU(출력 3)"
    assert translate_figure_text("Sobel x\n213 x 320, drawn 2x", "ko") == "소벨 x\n213 x 320, 2배로 그림"
    assert translate_figure_text("gradient of\nthe pooled map", "ko") == "풀링된 맵의\n그래디언트"
    assert translate_figure_text("3x3, then dilation 2", "ko") == "3x3, 그다음 팽창 2"
    for text in ("-0.25", "4x4", "213 x 320", "$w_1$", "×0.5"):
        assert translate_figure_text(text, "ko") == text
    with pytest.raises(UntranslatedFigureText, match="'Filters 1'"):
        translate_figure_text("Filters 1", "ko")
    with pytest.raises(ValueError, match="language"):
        translate_figure_text("Filter 1", "fr")


def test_every_entry_is_korean_and_keeps_its_placeholders():
    placeholder = re.compile(r"\{\w+\}")
    for english, korean in FIGURE_TEXT["ko"].items():
        assert sorted(placeholder.findall(english)) == sorted(placeholder.findall(korean)), english
        if HANGUL.search(korean) is None:
            # Kept as it is: a name or code the Korean book writes in Latin letters too.
            assert korean == english, english


def test_use_book_style_draws_each_shown_figure_in_both_languages(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import print_figure
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    png = shell.display_formatter.formatters["image/png"]
    before = png.type_printers.copy()
    try:
        monkeypatch.setenv("CONVBOOK_FIGURE_LANGUAGES", "ko")
        convbook.use_book_style()
        fig = convbook.plot_filters(convbook.edge_filters()[:2])
        data, metadata = shell.display_formatter.format(fig)
        # English exactly as IPython's own formatter draws it (the inline backend's settings).
        assert data["image/png"] == print_figure(fig, "png", bbox_inches="tight", base64=True)
        korean = metadata["image/png"]["convbook_figure_languages"]["ko"]
        assert korean["untranslated"] == [] and korean["png"] != data["image/png"]
        # A Korean notebook: the figure shown is the Korean one, nothing more.
        monkeypatch.delenv("CONVBOOK_FIGURE_LANGUAGES")
        convbook.use_book_style(language="ko")
        data, metadata = shell.display_formatter.format(fig)
        assert data["image/png"] == korean["png"] and "image/png" not in metadata
        with pytest.raises(ValueError, match="language"):
            convbook.use_book_style(language="fr")
    finally:
        png.type_printers.clear()
        png.type_printers.update(before)
        InteractiveShell.clear_instance()
    assert Figure not in png.type_printers


def _notebook(untranslated=()):
    drawings = {"ko": {"png": "S09SRUFO", "untranslated": list(untranslated)}}
    figure = {"output_type": "display_data", "data": {"image/png": "RU5HTElTSA==", "text/plain": "<Figure size 1 with 1 Axes>"},
              "metadata": {"image/png": {"convbook_figure_languages": drawings}}}
    return {"cells": [{"cell_type": "code", "outputs": [figure]}]}


def test_each_build_shows_its_languages_drawing():
    from convbook_figure_languages import localize_outputs

    english = _notebook()
    assert localize_outputs(english, "en") == []
    assert english["cells"][0]["outputs"][0]["data"]["image/png"] == "RU5HTElTSA=="
    assert english["cells"][0]["outputs"][0]["metadata"] == {}
    korean = _notebook()
    assert localize_outputs(korean, "ko") == []
    assert korean["cells"][0]["outputs"][0]["data"]["image/png"] == "S09SRUFO"
    assert korean["cells"][0]["outputs"][0]["metadata"] == {}
    problems = localize_outputs(_notebook(["Filters 1"]), "ko")
    assert len(problems) == 1 and "'Filters 1'" in problems[0]
    stale = _notebook()
    del stale["cells"][0]["outputs"][0]["metadata"]["image/png"]
    assert "without a 'ko' drawing" in localize_outputs(stale, "ko")[0]


# -- on the built site ---------------------------------------------------------

def _figure_pngs(notebook_path: Path) -> list[bytes]:
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    return [base64.b64decode(output["data"]["image/png"])
            for cell in notebook["cells"] for output in cell.get("outputs", [])
            if "<Figure size" in "".join(output.get("data", {}).get("text/plain", ""))]


def test_korean_pages_and_notebooks_show_the_korean_figures(site):
    if not (site / "ko").is_dir():
        pytest.skip("an English-only build (languages: [en])")
    translated = 0
    for english_notebook in sorted((site / "notebooks").glob("*.ipynb")):
        korean_notebook = site / "ko" / "notebooks" / english_notebook.name
        english, korean = _figure_pngs(english_notebook), _figure_pngs(korean_notebook)
        assert len(english) == len(korean)
        differ = sum(en != ko for en, ko in zip(english, korean))
        translated += differ
        page = english_notebook.stem
        shown = [set(re.findall(r'src="\.\./_images/([0-9a-f]{64})\.png"',
                                (folder / "book" / f"{page}.html").read_text(encoding="utf-8")))
                 for folder in (site, site / "ko")]
        # The page shows the notebook's Korean drawings: as many new images as
        # figures with words (a photo without a title is the same in both).
        assert len(shown[1] - shown[0]) == differ, f"{page}: the Korean page shows an English figure"
        for notebook in (english_notebook, korean_notebook):
            # The drawings in other languages stay in the execution cache.
            assert "convbook_figure_languages" not in notebook.read_text(encoding="utf-8"), notebook
        if korean:
            assert 'use_book_style(language=\\"ko\\")' in korean_notebook.read_text(encoding="utf-8"), page
    assert translated >= 40
