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
        # -- convbook's plotting functions (their own words)
        "Filter {n}": "필터 {n}",
        "Output {n}": "출력 {n}",
        "Filter": "필터",
        "column": "열",
        "row": "행",
        "Image patch": "이미지 패치",
        "Product (sum = {sum})": "곱 (합 = {sum})",
        "image ({size})": "이미지 ({size})",
        "patch matrix ({size})": "패치 행렬 ({size})",
        "patch number r * W' + c": "패치 번호 r * W' + c",
        "weight index": "가중치 번호",
        "loss L(w)": "손실 L(w)",
        "tangent at w = {w}, slope {slope}": "w = {w}에서의 접선, 기울기 {slope}",
        "gradient-descent steps": "경사 하강법의 스텝",
        "weight w": "가중치 w",
        "the digit": "숫자",
        "the digit ({label})": "숫자 ({label})",
        "lesson {n}": "강의 {n}",
        "learned {n}": "학습 {n}",
        "{n}: right {similarity}": "{n}: 오른쪽 {similarity}",
        "{n}: down-right {similarity}": "{n}: 오른쪽 아래 {similarity}",
        "{n}: down {similarity}": "{n}: 아래 {similarity}",
        "{n}: down-left {similarity}": "{n}: 왼쪽 아래 {similarity}",
        "{n}: left {similarity}": "{n}: 왼쪽 {similarity}",
        "{n}: up-left {similarity}": "{n}: 왼쪽 위 {similarity}",
        "{n}: up {similarity}": "{n}: 위 {similarity}",
        "{n}: up-right {similarity}": "{n}: 오른쪽 위 {similarity}",
        "{n}: no clear direction": "{n}: 뚜렷한 방향 없음",
        # The book's notation for an output value, as in its formulas and alt texts.
        "out[{row}, {col}] = {value}": "out[{row}, {col}] = {value}",
        "image": "이미지",
        "shifted ({rows}, {cols})": "이동 ({rows}, {cols})",
        "filtered": "필터 적용",
        "shift, then filter": "이동 후 필터",
        "filter, then shift": "필터 후 이동",
        "difference:": "차이:",
        "top − bottom": "위 − 아래",
        "output": "출력",
        "input": "입력",
        "input with zeros": "0을 채운 입력",
        "snapshots": "스냅숏",
        "gradient step": "경사 하강 스텝",
        "loss (mean squared error)": "손실 (평균 제곱 오차)",
        "at the random start": "무작위 시작점",
        "after training": "학습 후",
        "eigenvalue of the Hessian (curvature)": "헤세 행렬의 고윳값 (곡률)",
        "|weight error along it|": "|그 방향의 가중치 오차|",
        "{size}, drawn {factor}x": "{size}, {factor}배로 그림",
        "|gradient|, {size}": "|그래디언트|, {size}",
        "measured": "측정값",
        "normal curve": "정규 곡선",
        "column in the receptive field": "수용 영역 안의 열",
        "share of |gradient|": "|그래디언트|의 비율",
        "parameters": "매개변수",
        "operations (millions)": "연산 (백만 번)",
        "direct: 2 k\u00b2 per output": "직접 계산: 출력마다 2 k\u00b2",
        "FFT: the same for every k": "FFT: 모든 k에서 같음",
        "k = {k}": "k = {k}",
        "kernel size k (a k x k kernel)": "커널 크기 k (k x k 커널)",
        "first": "첫 번째",
        "then": "그다음",
        "= one kernel": "= 커널 하나",
        "{size} kernel": "{size} 커널",
        "then {size}": "그다음 {size}",
        "= one {size} kernel": "= {size} 커널 하나",
        # -- the chapters' titles and labels, by chapter
        # images, filters, conv-layer, activation
        "Photo": "사진",
        "ReLU": "ReLU",
        "ReLU({map})": "ReLU({map})",
        "Sum = |{map}|": "합 = |{map}|",
        # bias-nonlinearity
        "bias {value}": "편향 {value}",
        "no ReLU = one {size} kernel": "ReLU 없음 = {size} 커널 하나",
        "ReLU between": "사이에 ReLU",
        "best single {size} kernel": "가장 좋은 단일 {size} 커널",
        "error of the best kernel": "가장 좋은 커널의 오차",
        # classic-kernels (the first figure titles the kernels by their keys)
        "sobel_x": "소벨 x",
        "sobel_y": "소벨 y",
        "laplacian": "라플라시안",
        "Sobel x": "소벨 x",
        "Sobel y": "소벨 y",
        "Laplacian": "라플라시안",
        "edge strength": "에지 강도",
        "photo": "사진",
        "blur": "블러",
        "sharpen": "샤프닝",
        "blur, then Sobel x": "블러 후 소벨 x",
        "one {size} kernel": "{size} 커널 하나",
        # colour
        "red part": "빨강 부분",
        "green part": "초록 부분",
        "blue part": "파랑 부분",
        "sum = output": "합 = 출력",
        "gray ({weights})": "회색 ({weights})",
        "red - blue": "빨강 - 파랑",
        # correlation
        "Python loop": "Python 반복문",
        "nn.Conv2d": "nn.Conv2d",
        "cv2.filter2D (interior)": "cv2.filter2D (안쪽)",
        "zero padding": "제로 패딩",
        "reflect padding": "반사 패딩",
        "filter_1": "filter_1",
        "filter_1 rotated 180°": "180° 회전한 filter_1",
        # padding-stride
        "stride {n}": "스트라이드 {n}",
        "padding 0 (valid)": "패딩 0 (유효)",
        'padding "same"': '패딩 "same"',
        "left border": "왼쪽 가장자리",
        "right border": "오른쪽 가장자리",
        # pooling
        "activated (ReLU)": "활성화 (ReLU)",
        "MaxPool2d(2, 2)": "MaxPool2d(2, 2)",
        "AvgPool2d(2, 2)": "AvgPool2d(2, 2)",
        "activated": "활성화",
        "max pooled": "최대 풀링",
        "average pooled": "평균 풀링",
        # receptive-field, deeper-cnn
        "1 layer: {size}": "층 1개: {size}",
        "{n} layers: {size}": "층 {n}개: {size}",
        "{size}, dilation {d}": "{size}, 팽창 {d}",
        "{size}, then dilation {d}": "{size}, 그다음 팽창 {d}",
        "first layer": "첫 번째 층",
        "second layer": "두 번째 층",
        # backprop, layer-matrix
        "output gradient g": "출력 그래디언트 g",
        "g padded with zeros": "0으로 둘러싼 g",
        "flipped kernel": "뒤집은 커널",
        "input gradient": "입력 그래디언트",
        "map": "맵",
        "gradient of\nthe pooled map": "풀링된 맵의\n그래디언트",
        "gradient\nto the map": "맵으로 가는\n그래디언트",
        "{size} kernel, stride {n}": "{size} 커널, 스트라이드 {n}",
        # learning
        "step {n}": "스텝 {n}",
        "learned filter {n}": "학습된 필터 {n}",
        "\u03bb = {value}": "\u03bb = {value}",
        # training-practice
        "photo as it is (rate {rate})": "원래 사진 (학습률 {rate})",
        "centred photo (rate {rate})": "중심화한 사진 (학습률 {rate})",
        "largest |weight - filter 1|": "가장 큰 |가중치 - 필터 1|",
        "layer": "층",
        "RMS of the activations": "활성화의 RMS",
        "PyTorch's default": "PyTorch 기본값",
        "He: g = \u221a2": "He: g = \u221a2",
        "g = 2": "g = 2",
        "epoch": "에포크",
        "training loss (cross-entropy)": "학습 손실 (교차 엔트로피)",
        "without batch norm": "배치 정규화 없음",
        "with batch norm": "배치 정규화 있음",
        # variants
        "two {size} layers": "{size} 층 두 개",
        "one {size} layer": "{size} 층 하나",
        "bottleneck": "병목",
        "{size}, {n} groups": "{size}, 그룹 {n}개",
        "depthwise-separable": "깊이별 분리",
        "operations (billions)": "연산 (십억 번)",
    },
}

#: A letter of any script but Hangul: a text without one is drawn as it is.
_LETTER = re.compile(r"[^\W\d_\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
#: Letters that are not words: the "x" of a size ("4x4", "213 x 320") and
#: the "e" of a number ("2e-06").
_SIZE_TIMES = re.compile(r"(?<=\d)\s*x\s*(?=\d)|(?<=\d)e(?=[-+\u2212]?\d)")
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
    """Whether ``text`` holds a word to translate: not a number, a sign, ``$math$`` or Hangul only."""
    stripped = text.strip()
    # A size such as "4x4" or "213 x 320" is drawn as it is.
    if not _LETTER.search(_SIZE_TIMES.sub(" ", stripped)):
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
    table = FIGURE_TEXT[language]
    if text in table:
        return table[text]
    if "\n" in text:
        return "\n".join(translate_figure_text(line, language) for line in text.split("\n"))
    if not needs_translation(text):
        return text
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

    path = str(_font_file())
    manager = font_manager.fontManager
    manager.addfont(path)
    # This file before any other of the same name (a system's NanumGothic):
    # the font manager takes the first of equally good matches.
    manager.ttflist.sort(key=lambda entry: entry.fname != path)
    manager._findfont_cached.cache_clear()
    return font_manager.FontProperties(fname=path).get_name()


#: The fallback family drawn after the English font, per language.
_FALLBACK_FAMILY = {"ko": korean_font_family}


def figure_texts(fig) -> list:
    """Every :class:`matplotlib.text.Text` of ``fig`` that draws a non-empty string."""
    from matplotlib.text import Text

    return list({id(text): text for text in fig.findobj(Text) if text.get_text()}.values())


def has_words(fig) -> bool:
    """Whether ``fig`` draws a word to translate (else every language's drawing is the same)."""
    return bool(_fixed_formatters(fig)) or any(needs_translation(text.get_text()) for text in figure_texts(fig))


def _fixed_formatters(fig) -> list[tuple[object, str]]:
    """Tick labels given as words (``ax.set_yticks(positions, names)``): ``(holder, attribute)``.

    The axis writes them into its tick labels while drawing, from its
    formatter: a ``FixedFormatter``'s ``seq``, or the position -> label
    dictionary of the ``FuncFormatter`` that ``set_ticks`` makes.
    """
    import functools

    from matplotlib.ticker import FixedFormatter, FuncFormatter

    found = []
    for ax in fig.get_axes():
        for axis in ax._axis_map.values():
            for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                if isinstance(formatter, FixedFormatter):
                    found.append((formatter, "seq"))
                elif (isinstance(formatter, FuncFormatter) and isinstance(formatter.func, functools.partial)
                      and formatter.func.args and isinstance(formatter.func.args[0], dict)):
                    found.append((formatter.func.args[0], None))
    # Axes that share an axis share its formatter: each once.
    return list({id(holder): (holder, attribute) for holder, attribute in found}.values())


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
            if "\n" in text:  # the lines one by one: only the untranslated ones stay English
                return "\n".join(translate(line) for line in text.split("\n"))
            untranslated.append(text)
            return text

    family = _FALLBACK_FAMILY[language]() if language in _FALLBACK_FAMILY else None
    texts, formatters = [], []
    try:
        for holder, attribute in _fixed_formatters(fig):
            if attribute is None:  # a dictionary, changed in place
                formatters.append((holder, None, dict(holder)))
                holder.update({key: translate(str(label)) for key, label in holder.items()})
            else:
                formatters.append((holder, attribute, getattr(holder, attribute)))
                setattr(holder, attribute, [translate(str(label)) for label in getattr(holder, attribute)])
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
        for holder, attribute, labels in formatters:
            if attribute is None:
                holder.update(labels)
            else:
                setattr(holder, attribute, labels)
