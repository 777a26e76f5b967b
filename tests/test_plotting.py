"""The plotting functions: what they draw, and that they touch no global state."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import convbook


def test_plot_filters_annotates_every_weight(lesson_filters):
    fig = convbook.plot_filters(lesson_filters)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    for k, ax in enumerate(fig.axes):
        assert ax.get_title() == f"Filter {k + 1}"
        texts = ax.texts
        assert len(texts) == 16
        for text in texts:
            col, row = (round(v) for v in text.xy)
            weight = lesson_filters[k, row, col]
            assert text.get_text() == str(weight)
            expected = "white" if weight < 0 else "black"
            assert to_rgba(text.get_color()) == to_rgba(expected)
    assert plt.get_fignums() == [], "plot functions must not register pyplot figures"


def test_plot_filters_formats_fractional_weights():
    fig = convbook.plot_filters(np.array([[0.5, -0.25], [1.0, 0.0]]))
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.50", "-0.25", "1", "0"]
    assert [to_rgba(t.get_color()) for t in fig.axes[0].texts][1] == to_rgba("white")


def test_plot_feature_maps_panels_and_shared_scale(photo, lesson_filters):
    conv, _ = convbook.feature_maps(photo[:40, :50], lesson_filters)
    fig = convbook.plot_feature_maps(conv)
    assert [ax.get_title() for ax in fig.axes] == [f"Output {i}" for i in range(1, 5)]
    shared = convbook.plot_feature_maps(conv, cmap="RdBu_r", symmetric=True, colorbar=True, ncols=2)
    limit = float(np.abs(conv).max())
    images = [ax.images[0] for ax in shared.axes if ax.images]
    assert len(images) == 4
    for image in images:
        assert image.get_clim() == pytest.approx((-limit, limit))
    assert len(shared.axes) == 5  # four panels and the colour bar


def test_plot_feature_maps_checks_titles():
    with pytest.raises(ValueError, match="expected 2 titles, one per panel, got 1"):
        convbook.plot_feature_maps(np.zeros((2, 5, 5)), ["only one"])


def test_plot_feature_maps_scales_each_panel_to_its_own_range():
    maps = np.stack([np.linspace(-1, 3, 20).reshape(4, 5), np.linspace(-4, 1, 20).reshape(4, 5)])
    fig = convbook.plot_feature_maps(maps)
    # Per panel: black at the panel's own minimum, white at its maximum, so
    # zero sits at (0 - min) / (max - min): 1/4 of the way up in panel 1, 4/5 in panel 2.
    assert [float(ax.images[0].norm(0.0)) for ax in fig.axes] == pytest.approx([0.25, 0.8])


def test_plot_feature_maps_outlines_the_box_on_every_panel():
    maps = np.zeros((3, 20, 30))
    fig = convbook.plot_feature_maps(maps, box=(4, 7, 5, 10))
    for ax in fig.axes:
        (rectangle,) = ax.patches
        x0, y0, x1, y1 = rectangle.get_bbox().extents
        # imshow puts pixel (row, col) at x = col, y = row: the outline must
        # enclose the centres of rows 4..8 and columns 7..16, and no others.
        assert (x0 < 7 < 16 < x1) and not (x0 < 6) and not (17 < x1)
        assert (y0 < 4 < 8 < y1) and not (y0 < 3) and not (9 < y1)


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ((1, 2, 3), r"box must be four integers \(top, left, height, width\), got \(1, 2, 3\)"),
        ((1.5, 2, 3, 4), r"box must be four integers"),
        ((0, 0, 0, 4), r"positive height and width and lie inside maps of size 20x30"),
        ((-1, 0, 3, 4), r"lie inside maps of size 20x30"),
        ((18, 0, 3, 4), r"lie inside maps of size 20x30, got \(top, left, height, width\) = \(18, 0, 3, 4\)"),
        ((0, 27, 3, 4), r"lie inside maps of size 20x30"),
    ],
)
def test_plot_feature_maps_rejects_a_bad_box(box, message):
    with pytest.raises(ValueError, match=message):
        convbook.plot_feature_maps(np.zeros((2, 20, 30)), box=box)


def test_plot_feature_maps_limits_set_each_panels_colour_scale():
    # Maps shrunk for drawing, with the ranges of the full-size maps they
    # came from: the colours stand for the given ranges, not the arrays'.
    maps = np.stack([np.linspace(-1, 1, 20).reshape(4, 5), np.linspace(0, 2, 20).reshape(4, 5)])
    fig = convbook.plot_feature_maps(maps, limits=[(-3.0, 5.0), (0.0, 4.0)])
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(-3.0, 5.0), (0.0, 4.0)]
    assert float(fig.axes[1].images[0].norm(2.0)) == pytest.approx(0.5)
    # One symmetric scale: -m to m, m the largest |limit|; the colour bar shows it.
    shared = convbook.plot_feature_maps(maps, cmap="RdBu_r", symmetric=True, colorbar=True,
                                        limits=[(-3.0, 5.0), (0.0, 4.0)])
    *panels, colour_bar = shared.axes
    assert [ax.images[0].get_clim() for ax in panels] == [(-5.0, 5.0)] * 2
    assert colour_bar.get_ylim() == (-5.0, 5.0)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ([(0.0, 1.0)], r"limits must be 2 pairs \(low, high\)"),
        ([(0.0, 1.0), (2.0, 1.0)], r"with low <= high"),
        ([(0.0, 1.0), (0.0, np.nan)], r"limits must hold finite values only"),
    ],
)
def test_plot_feature_maps_rejects_bad_limits(limits, message):
    with pytest.raises(ValueError, match=message):
        convbook.plot_feature_maps(np.zeros((2, 4, 5)), limits=limits)


def test_plot_pixel_values_writes_each_value(photo):
    fig = convbook.plot_pixel_values(photo, 10, 20, size=3)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [f"{v:.2f}" for v in photo[10:13, 20:23].ravel()]
    with pytest.raises(ValueError, match="does not fit"):
        convbook.plot_pixel_values(photo, 425, 0, size=8)


def test_plot_patch_product_sums_to_the_layer_output(photo, lesson_filters):
    row, col = 100, 200
    patch = photo[row:row + 4, col:col + 4]
    fig = convbook.plot_patch_product(patch, lesson_filters[0])
    expected = convbook.feature_maps(photo, lesson_filters[0])[0][0, row, col]
    assert fig.axes[2].get_title() == f"Product (sum = {expected:.2f})"
    assert len(fig.axes[2].texts) == 16
    with pytest.raises(ValueError, match="patch's shape"):
        convbook.plot_patch_product(patch, np.ones((3, 3)))


def test_figures_have_an_opaque_background(photo):
    for fig in (convbook.plot_image(photo), convbook.plot_filters(convbook.edge_filters())):
        assert to_rgba(fig.get_facecolor())[3] == 1.0


def test_importing_convbook_changes_no_global_state():
    script = (
        "import matplotlib, torch\n"
        "rc = dict(matplotlib.rcParams); backend = matplotlib.get_backend()\n"
        "state = (torch.get_default_dtype(), torch.get_num_threads(), torch.is_grad_enabled())\n"
        "import convbook\n"
        "assert dict(matplotlib.rcParams) == rc, 'rcParams changed on import'\n"
        "assert matplotlib.get_backend() == backend\n"
        "assert (torch.get_default_dtype(), torch.get_num_threads(), torch.is_grad_enabled()) == state\n"
        "convbook.use_book_style()\n"
        "assert matplotlib.rcParams['figure.facecolor'] == 'white'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def _page_px(fontsize: float, fig: Figure) -> float:
    """How tall (em size, px) text of ``fontsize`` points is on a 672 px page.

    A figure ``w`` inches wide is drawn at 100 dpi and scaled down to the page
    only when wider than 672 px; a point is 100 / 72 px at 100 dpi.
    """
    width_px = fig.get_figwidth() * 100
    return fontsize * 100 / 72 * min(1.0, 672 / width_px)


def _numbers_drawn(fig: Figure):
    """Every text of the figure that shows a digit: annotations, ticks, titles."""
    for ax in fig.axes:
        candidates = [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]
        for text in candidates:
            if any(ch.isdigit() for ch in text.get_text()):
                yield text


# The book's rule: numbers at least 9 px tall on the page. Digits are about
# 0.73 em tall in DejaVu Sans, so the em size must be at least 9 / 0.73 = 12.3
# px, which is also what "font size >= 1.4 x figure width in inches" gives.
MIN_EM_PX = 9 / 0.73


def test_plot_patch_product_numbers_are_readable_on_the_page(photo, lesson_filters):
    fig = convbook.plot_patch_product(photo[271:275, 312:316], lesson_filters[0])
    texts = list(_numbers_drawn(fig))
    assert len(texts) == 3 * 16 + 1  # every cell, and the sum in the last title
    for text in texts:
        assert _page_px(text.get_fontsize(), fig) >= MIN_EM_PX, text.get_text()
        assert text.get_fontsize() >= 1.4 * fig.get_figwidth(), text.get_text()


def test_plot_pixel_values_numbers_are_readable_on_the_page(photo):
    fig = convbook.plot_pixel_values(photo, 310, 307, size=8)
    texts = list(_numbers_drawn(fig))
    assert len(texts) == 64 + 8 + 8  # every pixel, and the row and column numbers
    for text in texts:
        assert _page_px(text.get_fontsize(), fig) >= MIN_EM_PX, text.get_text()


# --- Text colours at the boundaries: the right colour, and readable ----------


def relative_luminance(colour) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    channels = np.asarray(to_rgba(colour)[:3])
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(first, second) -> float:
    light, dark = sorted([relative_luminance(first), relative_luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def texts_on_cells(ax):
    """Each text of ``ax`` with the colour matplotlib draws its cell in."""
    image = ax.images[0]
    cells = image.to_rgba(image.get_array())
    for text in ax.texts:
        col, row = (round(v) for v in text.xy)
        yield text, row, col, tuple(cells[row, col])


def test_plot_filters_text_colour_at_the_sign_boundary():
    # The lesson's rule: white text on a negative weight, black otherwise --
    # zero (and negative zero) included.
    weights = np.array([[0.0, -1e-6, 1e-6, -1.0, 1.0, -0.0]])
    expected = ["black", "white", "black", "white", "black", "black"]
    fig = convbook.plot_filters(weights)
    texts = sorted(fig.axes[0].texts, key=lambda t: t.xy[0])
    assert [t.get_text() for t in texts] == ["0", "-0.00", "0.00", "-1", "1", "0"]
    for text, colour, weight in zip(texts, expected, weights[0]):
        assert to_rgba(text.get_color()) == to_rgba(colour), f"weight {weight!r}"


@pytest.mark.parametrize(
    "filters",
    [
        convbook.edge_filters(),
        np.full((3, 3), 1 / 9),  # the box blur: every weight positive
        -np.full((2, 2), 0.5),  # every weight negative
        np.array([[[0.0, -1e-6], [1e-6, 3.0]], [[-3.0, 0.5], [-0.5, 0.0]]]),
        np.zeros((2, 2)),
    ],
    ids=["lesson", "blur", "all-negative", "boundaries", "zeros"],
)
def test_plot_filters_text_is_readable_on_its_cell(filters):
    # The lesson's rule on a gray scale centred on zero gives at least 3.98:1
    # (white on a cell just below mid-gray); WCAG asks 3:1 for large text.
    fig = convbook.plot_filters(filters)
    for ax in fig.axes:
        for text, row, col, cell in texts_on_cells(ax):
            ratio = contrast(text.get_color(), cell)
            assert ratio >= 3.9, f"{ax.get_title()} [{row}, {col}] {text.get_text()}: {ratio:.2f}:1"


def assert_best_of_black_and_white(ax):
    # The text colour contrasts more with its cell than the other choice,
    # and so reaches at least 4.5:1 (WCAG AA for normal text).
    for text, row, col, cell in texts_on_cells(ax):
        colour = to_rgba(text.get_color())
        assert colour in (to_rgba("black"), to_rgba("white"))
        other = to_rgba("white") if colour == to_rgba("black") else to_rgba("black")
        where = f"{ax.get_title()} [{row}, {col}] {text.get_text()}"
        assert contrast(colour, cell) >= contrast(other, cell), where
        assert contrast(colour, cell) >= 4.5, where


def test_plot_pixel_values_text_colours_at_the_boundaries():
    values = np.array([[0.0, 1e-6, 0.25], [0.46, 0.5 - 1e-6, 0.5], [0.5 + 1e-6, 1 - 1e-6, 1.0]])
    fig = convbook.plot_pixel_values(values, 0, 0, size=3)
    ax = fig.axes[0]
    assert_best_of_black_and_white(ax)
    colours = {(row, col): to_rgba(text.get_color()) for text, row, col, _ in texts_on_cells(ax)}
    assert colours[0, 0] == colours[0, 1] == to_rgba("white")  # black and near-black cells
    assert colours[2, 1] == colours[2, 2] == to_rgba("black")  # white and near-white cells


def test_plot_patch_product_text_colours_at_the_boundaries():
    patch = np.array([[0.0, 1e-6, 0.5], [0.5, 1.0, 1.0], [1.0, 0.25, 1 - 1e-6]])
    kernel = np.array([[1.0, 1.0, 0.0], [-1e-6, 1e-6, -1.0], [-1.0, 0.0, 1.0]])
    fig = convbook.plot_patch_product(patch, kernel)
    for ax in fig.axes:
        assert_best_of_black_and_white(ax)
    colours = [
        {(row, col): to_rgba(text.get_color()) for text, row, col, _ in texts_on_cells(ax)}
        for ax in fig.axes
    ]
    white, black = to_rgba("white"), to_rgba("black")
    assert colours[0][0, 0] == colours[0][0, 1] == white  # patch 0 and 1e-6: black cells
    assert colours[0][1, 1] == black  # patch 1: a white cell
    assert colours[1][1, 2] == white and colours[1][2, 2] == black  # kernel -1 and 1
    # The product's scale is centred on zero: 0 and +-1e-6 sit on a near-white
    # cell; -1 and 1 (the ends of the scale) on dark blue and dark red.
    product = patch * kernel
    assert product[0, 2] == 0 and 0 < -product[1, 0] < 1e-6 and 0 < product[1, 1] < 1e-5
    assert colours[2][0, 2] == colours[2][1, 0] == colours[2][1, 1] == black
    assert product[1, 2] == -1 and product[2, 2] == pytest.approx(1, abs=1e-5)
    assert colours[2][1, 2] == colours[2][2, 2] == white


def test_plot_pixel_values_axis_labels_and_ticks_name_rows_and_columns():
    # A tall image and a crop whose top and left differ, so that swapping the
    # two axes (labels, ticks or values) shows.
    image = np.arange(30 * 20, dtype=np.float32).reshape(30, 20) / 600
    top, left, size = 12, 3, 4
    ax = convbook.plot_pixel_values(image, top, left, size=size).axes[0]
    assert ax.get_xlabel() == "column" and ax.get_ylabel() == "row"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(left + c) for c in range(size)]
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(top + r) for r in range(size)]
    assert list(ax.get_xticks()) == list(range(size)) == list(ax.get_yticks())
    # The text at (x=col, y=row) is the pixel image[top + row, left + col].
    for text in ax.texts:
        col, row = text.xy
        assert text.get_text() == f"{image[top + row, left + col]:.2f}"
    assert ax.images[0].get_clim() == (0.0, 1.0)


def test_each_panel_colour_limits():
    filters = np.array([[[-0.5, 1.0], [0.0, 0.25]], [[2.0, -1.0], [0.5, 0.0]]])
    # Filters share one scale centred on zero: [-2, 2].
    for ax in convbook.plot_filters(filters).axes:
        assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert convbook.plot_image(np.full((5, 7), 0.3)).axes[0].images[0].get_clim() == (0.0, 1.0)
    patch, kernel = np.array([[0.2, 0.4], [0.6, 0.8]]), np.array([[-1.0, 2.0], [0.5, 0.0]])
    limits = [ax.images[0].get_clim() for ax in convbook.plot_patch_product(patch, kernel).axes]
    # Patch on the image's 0..1 scale; kernel on its own range; the product
    # (-0.2, 0.8, 0.3, 0) on a scale centred on zero.
    assert limits == [(0.0, 1.0), (-1.0, 2.0), pytest.approx((-0.8, 0.8))]


def _rendered(fig: Figure) -> np.ndarray:
    """The figure's pixels as PNG output draws them, (H, W, 4) uint8."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def test_figures_background_is_opaque_white(photo, lesson_filters):
    # Not only opaque: black text on a black (or dark) face would be
    # unreadable, and the book's figures sit on dark pages too.
    maps, _ = convbook.feature_maps(photo[:30, :40], lesson_filters)
    figures = [
        convbook.plot_image(photo[:30, :40]),
        convbook.plot_pixel_values(photo, 0, 0, size=3),
        convbook.plot_filters(lesson_filters),
        convbook.plot_feature_maps(maps),
        convbook.plot_patch_product(photo[:4, :4], lesson_filters[0]),
    ]
    for fig in figures:
        assert to_rgba(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
        pixels = _rendered(fig)
        for corner in (pixels[0, 0], pixels[0, -1], pixels[-1, 0], pixels[-1, -1]):
            assert tuple(corner) == (255, 255, 255, 255)
