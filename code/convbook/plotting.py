"""Figures for the book: filters with their weights, images, feature maps.

Every function builds a :class:`matplotlib.figure.Figure` directly, without
pyplot, and returns it: nothing is shown, no global state is touched, and
the figure is garbage-collected like any object. In a notebook, end a cell
with the figure to display it. Each figure has an opaque white background,
so it stays readable when the site is in dark mode.
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validation import as_filters, as_float_array, as_image

__all__ = [
    "BOOK_STYLE",
    "use_book_style",
    "plot_image",
    "plot_pixel_values",
    "plot_filters",
    "plot_feature_maps",
    "plot_patch_product",
]

#: rcParams the book uses for every figure (applied by :func:`use_book_style`).
BOOK_STYLE: dict[str, object] = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "axes.facecolor": "white",
    "font.size": 11,
    "axes.titlesize": 12,
    "image.interpolation": "nearest",
}


#: Environment variable: the languages, besides the one shown, that every
#: figure a chapter shows is also drawn in (comma-separated, e.g. ``ko``).
#: The book's build sets it (``book/_ext/convbook_figure_languages.py``).
FIGURE_LANGUAGES_VARIABLE = "CONVBOOK_FIGURE_LANGUAGES"
#: Where a figure's drawings in other languages go: its PNG output's metadata.
FIGURE_LANGUAGES_KEY = "convbook_figure_languages"


def use_book_style(language: str = "en") -> None:
    """Apply :data:`BOOK_STYLE` to matplotlib's global rcParams; in IPython, draw figures in ``language``.

    Importing :mod:`convbook` changes nothing; a chapter calls this once,
    explicitly, so that figures it makes with pyplot look like the package's.
    In IPython (a notebook), every figure a cell shows is drawn with its
    words in ``language`` (:mod:`convbook.figure_text`): the Korean
    notebooks call ``use_book_style(language="ko")``. When the environment
    variable :data:`FIGURE_LANGUAGES_VARIABLE` names other languages (the
    book's build sets it), each figure is also drawn in each of them, and
    those PNGs go into the output's metadata, for the translated editions.

    Parameters
    ----------
    language : str
        ``"en"`` or a language of :data:`convbook.figure_text.FIGURE_TEXT`.

    Raises
    ------
    ValueError
        For a language without figure texts.
    """
    from .figure_text import FIGURE_TEXT, SOURCE_LANGUAGE

    languages = (SOURCE_LANGUAGE, *FIGURE_TEXT)
    if language not in languages:
        raise ValueError(f"language must be one of {list(languages)}, got {language!r}")
    mpl.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    others = [code.strip() for code in os.environ.get(FIGURE_LANGUAGES_VARIABLE, "").split(",")]
    others = [code for code in dict.fromkeys(others) if code and code != language and code in languages]
    png = shell.display_formatter.formatters["image/png"]
    try:
        draw = png.lookup_by_type(Figure)
    except KeyError:
        draw = None
    draw = getattr(draw, "english", draw)
    if draw is None:
        if language == SOURCE_LANGUAGE and not others:
            return  # nothing registered to wrap, nothing to translate
        from IPython.core.pylabtools import print_figure

        draw = functools.partial(print_figure, fmt="png", bbox_inches="tight", base64=True)
    png.for_type(Figure, _FigureInLanguages(draw, language, others))


class _FigureInLanguages:
    """IPython's PNG formatter for figures: the figure in one language, others in the metadata.

    ``english`` is the formatter it replaces (the inline backend's); each
    drawing is that formatter's, with the words translated
    (:func:`convbook.figure_text.translated_figure`), so that every language
    gets the same pixels but for the words.
    """

    def __init__(self, english, language: str, others: list[str]):
        self.english = english
        self.language = language
        self.others = others

    def __call__(self, fig):
        from .figure_text import has_words, translated_figure

        # A word without a translation (a reader's own title) stays English.
        with translated_figure(fig, self.language, []):
            shown = self.english(fig)
        if not self.others or shown is None:
            return shown
        worded = has_words(fig)
        drawings = {}
        for code in self.others:
            untranslated: list[str] = []
            if worded:
                with translated_figure(fig, code, untranslated):
                    drawn = self.english(fig)
            else:  # a photo without a title: the same in every language
                drawn = shown
            if isinstance(drawn, bytes):  # metadata is JSON: base64, as IPython's own
                drawn = base64.b64encode(drawn).decode("ascii")
            drawings[code] = {"png": drawn, "untranslated": sorted(set(untranslated))}
        return shown, {FIGURE_LANGUAGES_KEY: drawings}


def _new_figure(figsize: tuple[float, float]) -> Figure:
    # An opaque white face keeps black text readable on a dark page.
    return Figure(figsize=figsize, facecolor="white", dpi=BOOK_STYLE["figure.dpi"])


def plot_image(image, title: str | None = None, *, width: float = 6.0) -> Figure:
    """Draw a grayscale image, black at 0 and white at 1.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Gray values in [0, 1].
    title : str, optional
    width : float
        Figure width in inches; the height follows the image's aspect.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = as_image(image)
    height = width * image.shape[0] / image.shape[1] + (0.4 if title else 0.1)
    fig = _new_figure((width, height))
    ax = fig.add_subplot(xticks=[], yticks=[])
    ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_pixel_values(
    image, top: int, left: int, size: int = 8, *, decimals: int = 2, fontsize: float = 10.0
) -> Figure:
    """Draw a small crop of an image with each pixel's value written on it.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Gray values in [0, 1].
    top, left : int
        Row and column of the crop's top-left pixel.
    size : int
        The crop is ``size x size`` pixels.
    decimals : int
        Decimals shown for each value.
    fontsize : float
        Size in points of the values and of the row and column numbers.
        Each cell is 0.62 inch wide, so an 8x8 crop gives a figure 5.6
        inches wide, shown unscaled on a 672 px page: 10 points is about
        14 px.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = as_image(image)
    height, width = image.shape
    if not (0 <= top <= height - size and 0 <= left <= width - size and size > 0):
        raise ValueError(
            f"a {size}x{size} crop at row {top}, column {left} does not fit in "
            f"an image of size {height}x{width}"
        )
    crop = image[top : top + size, left : left + size]
    fig = _new_figure((0.62 * size + 0.6, 0.62 * size + 0.6))
    ax = fig.add_subplot()
    shown = ax.imshow(crop, cmap="gray", vmin=0.0, vmax=1.0)
    for row in range(size):
        for col in range(size):
            value = crop[row, col]
            ax.annotate(
                f"{value:.{decimals}f}",
                xy=(col, row),
                ha="center",
                va="center",
                fontsize=fontsize,
                color=_text_colour(shown, value),
            )
    ax.set_xticks(range(size), [str(left + c) for c in range(size)], fontsize=fontsize)
    ax.set_yticks(range(size), [str(top + r) for r in range(size)], fontsize=fontsize)
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    fig.tight_layout()
    return fig


def plot_filters(
    filters, titles: Sequence[str] | None = None, *, panel_size: float = 2.5
) -> Figure:
    """Draw filters in gray, each weight written on its cell (the lesson's figure).

    The text is white on negative cells and black otherwise, as in the lesson.
    The gray scale is centred on zero (mid-gray), so a negative weight's
    cell is always darker than mid-gray and a positive one's lighter.

    Parameters
    ----------
    filters : array_like, shape (n, kh, kw) or (kh, kw)
    titles : sequence of str, optional
        One per filter; ``"Filter 1"``, ``"Filter 2"``, ... by default.
    panel_size : float
        Width of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per filter, with ``kh * kw`` text annotations each.
    """
    original = np.asarray(filters)
    stack = as_filters(filters)
    if original.ndim == 2:
        original = original[np.newaxis]
    titles = _titles(titles, len(stack), "Filter")
    n = len(stack)
    kh, kw = stack.shape[1:]
    fig = _new_figure((panel_size * n, panel_size * kh / kw + 0.5))
    # Symmetric about zero, so that black text is never on a black cell
    # (as it would be for the box blur, whose weights are all 1/9).
    limit = float(np.abs(stack).max()) or 1.0
    for i in range(n):
        ax = fig.add_subplot(1, n, i + 1, xticks=[], yticks=[])
        ax.imshow(stack[i], cmap="gray", vmin=-limit, vmax=limit)
        ax.set_title(titles[i])
        for row in range(kh):
            for col in range(kw):
                value = original[i, row, col]
                ax.annotate(
                    _format_weight(value),
                    xy=(col, row),
                    ha="center",
                    va="center",
                    color="white" if value < 0 else "black",
                )
    fig.tight_layout()
    return fig


def plot_feature_maps(
    maps,
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    cmap: str = "gray",
    symmetric: bool = False,
    colorbar: bool = False,
    panel_width: float = 3.2,
    box: tuple[int, int, int, int] | None = None,
    percentile: float | None = None,
    per_panel: bool = False,
    limits: Sequence[tuple[float, float]] | None = None,
    magnitude_cmap: str | None = None,
) -> Figure:
    """Draw feature maps side by side (the lesson's ``viz_layer``).

    By default each panel is scaled to its own range, as the lesson draws
    it: the panel's smallest value is black and its largest white, so zero
    lands on a different gray in each panel. With ``symmetric=True`` all
    panels share one scale centred on zero instead.

    Parameters
    ----------
    maps : array_like, shape (n, H, W) or (H, W)
        The maps, for example the first result of ``feature_maps``.
    titles : sequence of str, optional
        One per map; ``"Output 1"``, ``"Output 2"``, ... by default.
    ncols : int, optional
        Panels per row; all in one row by default.
    cmap : str
        A matplotlib colour map.
    symmetric : bool
        If true, every panel shares one colour scale centred on zero,
        ``[-m, m]`` with ``m`` the largest absolute value, so that equal
        colours mean equal numbers. Use it with a diverging ``cmap``.
    colorbar : bool
        Add one colour bar for all panels (meaningful with ``symmetric``).
    panel_width : float
        Width of one panel in inches.
    box : tuple of int (top, left, height, width), optional
        Outline this rectangle of map positions on every panel, for
        example the region that a zoomed figure shows. It must lie inside
        the maps.
    percentile : float, optional
        With ``symmetric``: end the scale at this percentile (0 < p <= 100)
        of the absolute values instead of at the largest one, so that the
        many small responses of a photo's maps are not all drawn near zero's
        colour; larger values are drawn at the scale's ends, and the colour
        bars say so with pointed ends.
    per_panel : bool
        With ``symmetric``: give every panel its own scale, centred on zero
        (and, with ``colorbar``, its own colour bar), for maps whose ranges
        differ a lot. Colours then compare only within a panel.
    limits : sequence of (float, float), optional
        One ``(low, high)`` per map: the values the ends of the colour map
        stand for, in place of the maps' own smallest and largest values.
        For maps shrunk for drawing, pass the full-size maps' ranges, so
        that the colours mean the numbers of the full-size maps. With
        ``symmetric``, the shared scale is ``[-m, m]``, ``m`` the largest
        absolute ``low`` or ``high`` (with ``per_panel``, each map's own);
        ``limits`` take the place of ``percentile``.
    magnitude_cmap : str, optional
        With ``symmetric`` and ``per_panel``: draw every panel whose values
        are all non-negative (a magnitude, such as an edge strength) with
        this sequential colour map on ``[0, m]`` instead of ``cmap`` on
        ``[-m, m]``, so that no half of its colour bar stands for values
        the map cannot have.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For maps that are not 2-D or 3-D, NaN or infinite values, a wrong
        number of titles, a ``box`` that is not four integers with positive
        height and width inside the maps, a ``percentile`` outside (0, 100],
        ``percentile`` or ``per_panel`` without ``symmetric``,
        ``magnitude_cmap`` without ``per_panel``, or ``limits``
        that are not one finite ``(low, high)`` with ``low <= high`` per map.
    """
    stack = as_filters(maps, name="maps")
    if (percentile is not None or per_panel) and not symmetric:
        raise ValueError("percentile and per_panel need symmetric=True (a scale centred on zero)")
    if magnitude_cmap is not None and not (symmetric and per_panel):
        raise ValueError("magnitude_cmap needs symmetric=True and per_panel=True")
    if percentile is not None and not 0 < float(percentile) <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile!r}")
    n, height, width = stack.shape
    if box is not None:
        box = _check_box(box, height, width)
    titles = _titles(titles, n, "Output")
    if limits is not None:
        limits = _check_limits(limits, n)
    ncols = n if ncols is None else max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    title_room = 0.45
    # Room for the colour bars: one for the figure, or one beside each panel.
    bar_room = 0.7 * ncols + 0.2 if (colorbar and per_panel) else (0.9 if colorbar else 0.2)
    fig = _new_figure(
        (
            panel_width * ncols + bar_room,
            nrows * (panel_width * height / width + title_room) + 0.2,
        )
    )

    def symmetric_limit(values) -> float:
        magnitudes = np.abs(values)
        if percentile is None:
            return float(magnitudes.max()) or 1.0
        return float(np.percentile(magnitudes, float(percentile))) or float(magnitudes.max()) or 1.0

    # The values each panel's colours stand for: the maps' own, or the
    # ``limits`` given (the full-size maps' ranges, for maps shrunk to draw).
    ranges = stack if limits is None else np.asarray(limits, dtype=np.float64)
    if symmetric and not per_panel:
        limit = symmetric_limit(stack) if limits is None else float(np.abs(ranges).max()) or 1.0
        scales = [{"vmin": -limit, "vmax": limit}] * n
    elif symmetric:
        limits_each = (symmetric_limit(m) for m in stack) if limits is None \
            else (float(np.abs(pair).max()) or 1.0 for pair in ranges)
        scales = [{"vmin": -lim, "vmax": lim} for lim in limits_each]
    elif limits is not None:
        scales = [{"vmin": low, "vmax": high} for low, high in limits]
    else:
        scales = [{}] * n  # each panel its own smallest and largest value
    # A map that is never negative gets a sequential scale from zero.
    magnitudes = [magnitude_cmap is not None and float(m.min()) >= 0 for m in stack]
    scales = [{"vmin": 0.0, "vmax": sc["vmax"]} if mag else sc for sc, mag in zip(scales, magnitudes)]
    clipped = [bool(sc) and (float(m.max()) > sc["vmax"] or float(m.min()) < sc["vmin"])
               for m, sc in zip(stack, scales)]
    axes = []
    for i in range(n):
        ax = fig.add_subplot(nrows, ncols, i + 1, xticks=[], yticks=[])
        shown = ax.imshow(stack[i], cmap=magnitude_cmap if magnitudes[i] else cmap, **scales[i])
        ax.set_title(titles[i])
        if per_panel and colorbar:
            # a magnitude is clipped at its top only
            extend = ("max" if magnitudes[i] else "both") if clipped[i] else "neither"
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.03, extend=extend)
        if box is not None:
            top, left, box_height, box_width = box
            # Pixel centres sit on integers, so a pixel's outer edge is at -0.5.
            ax.add_patch(
                Rectangle(
                    (left - 0.5, top - 0.5), box_width, box_height,
                    fill=False, edgecolor="#ffb000", linewidth=1.5,
                )
            )
        axes.append(ax)
    fig.tight_layout()
    if colorbar and not per_panel:
        fig.subplots_adjust(right=1 - 0.9 / fig.get_figwidth())
        cax = fig.add_axes((1 - 0.75 / fig.get_figwidth(), 0.12, 0.12 / fig.get_figwidth(), 0.76))
        fig.colorbar(shown, cax=cax, extend="both" if any(clipped) else "neither")
    return fig


def plot_patch_product(patch, kernel, *, decimals: int = 2, fontsize: float = 11.0) -> Figure:
    """Draw one output value's arithmetic: patch, kernel, and their product.

    Three panels with every number written on its cell: the image patch,
    the kernel, and the element-wise product, whose sum (in the last
    title) is the convolution's output at that position.

    Parameters
    ----------
    patch : array_like, shape (kh, kw)
        The image values under the kernel.
    kernel : array_like, shape (kh, kw)
        The filter.
    decimals : int
        Decimals shown for the patch and the product.
    fontsize : float
        Size in points of the numbers and titles. Each cell is 0.5 inch
        wide, so a 4x4 kernel gives a figure 6.9 inches wide, scaled to
        about 97 % on a 672 px page: 11 points stays about 15 px tall.
        Meant for small kernels; a wider one makes a wider figure, scaled
        down further on the page.

    Returns
    -------
    matplotlib.figure.Figure
    """
    patch = as_image(patch, name="patch")
    kernel_stack = as_filters(kernel, name="kernel")
    if kernel_stack.shape[0] != 1 or kernel_stack.shape[1:] != patch.shape:
        raise ValueError(
            f"kernel must be one 2-D array of the patch's shape {patch.shape}, "
            f"got shape {np.asarray(kernel).shape}"
        )
    kernel = kernel_stack[0]
    product = patch * kernel
    kh, kw = patch.shape
    cell = 0.5  # inches per cell: room for "-0.44" at 11 points
    fig = _new_figure((3 * (cell * kw + 0.3), cell * kh + 0.8))
    limit = float(np.abs(product).max()) or 1.0
    panels = [
        ("Image patch", patch, "gray", 0.0, 1.0, decimals),
        ("Filter", kernel, "gray", float(kernel.min()), float(kernel.max()) or 1.0, None),
        (f"Product (sum = {product.sum():.{decimals}f})", product, "RdBu_r", -limit, limit, decimals),
    ]
    for i, (title, values, cmap, low, high, digits) in enumerate(panels):
        ax = fig.add_subplot(1, 3, i + 1, xticks=[], yticks=[])
        shown = ax.imshow(values, cmap=cmap, vmin=low, vmax=high if high > low else low + 1)
        ax.set_title(title, fontsize=fontsize)
        for row in range(kh):
            for col in range(kw):
                value = values[row, col]
                ax.annotate(
                    _format_weight(value) if digits is None else f"{value:.{digits}f}",
                    xy=(col, row),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color=_text_colour(shown, value),
                )
    fig.tight_layout()
    return fig


def _check_box(box, height: int, width: int) -> tuple[int, int, int, int]:
    # A rectangle (top, left, height, width) of whole pixels inside the maps.
    values = np.asarray(box)
    if values.shape != (4,) or not np.issubdtype(values.dtype, np.integer):
        raise ValueError(
            f"box must be four integers (top, left, height, width), got {box!r}"
        )
    top, left, box_height, box_width = (int(v) for v in values)
    if not (
        box_height > 0 and box_width > 0 and 0 <= top and 0 <= left
        and top + box_height <= height and left + box_width <= width
    ):
        raise ValueError(
            f"box must have a positive height and width and lie inside maps of "
            f"size {height}x{width}, got (top, left, height, width) = {box!r}"
        )
    return top, left, box_height, box_width


def _check_limits(limits, n: int) -> list[tuple[float, float]]:
    # One finite (low, high) per panel, low <= high.
    pairs = as_float_array(limits, name="limits")
    if pairs.shape != (n, 2) or (pairs[:, 0] > pairs[:, 1]).any():
        raise ValueError(
            f"limits must be {n} pairs (low, high) with low <= high, one per map, "
            f"got {np.asarray(limits).tolist()!r}"
        )
    return [(float(low), float(high)) for low, high in pairs]


def _titles(titles: Sequence[str] | None, n: int, stem: str) -> list[str]:
    if titles is None:
        return [f"{stem} {i + 1}" for i in range(n)]
    titles = list(titles)
    if len(titles) != n:
        raise ValueError(f"expected {n} titles, one per panel, got {len(titles)}")
    return titles


def _text_colour(image, value) -> str:
    """Black or white: whichever contrasts more with the cell ``value`` is drawn in.

    ``image`` is the ``AxesImage`` that draws the cell. The contrast ratio is
    WCAG's, ``(L1 + 0.05) / (L2 + 0.05)`` with ``L`` the relative luminance;
    the better of black and white always reaches at least 4.5:1.
    """
    channels = np.asarray(image.cmap(image.norm(value))[:3])
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])
    on_black = (luminance + 0.05) / 0.05
    on_white = 1.05 / (luminance + 0.05)
    return "black" if on_black >= on_white else "white"


def _format_weight(value) -> str:
    # Integers print as the lesson prints them; other weights get 2 decimals.
    if float(value).is_integer():
        return str(int(value))
    return f"{float(value):.2f}"
