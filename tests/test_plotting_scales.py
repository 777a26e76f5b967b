"""Colour scales that show a photo's maps, and outlined zoom regions (issue 20).

``plot_feature_maps(..., percentile=p)`` ends a symmetric scale at the p-th
percentile of the absolute values, ``per_panel=True`` gives each panel its
own scale and colour bar; ``plot_maps_to_scale(..., boxes=...)`` outlines the
regions a zoomed figure enlarges. Each against NumPy's own percentile and
maximum, and the defaults unchanged.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

import convbook
from convbook.padding import plot_maps_to_scale


def panel_images(fig):
    return [ax.images[0] for ax in fig.axes if ax.images]


@pytest.fixture(scope="module")
def maps(photo, lesson_filters):
    return convbook.feature_maps(photo[:120, :160], lesson_filters)[0]


def test_the_default_scale_still_ends_at_the_largest_value(maps):
    fig = convbook.plot_feature_maps(maps, cmap="RdBu_r", symmetric=True, colorbar=True)
    limit = float(np.abs(maps).max())
    assert all(image.norm.vmin == -limit and image.norm.vmax == limit for image in panel_images(fig))
    assert len(fig.axes[-1].images) == 0 and len(fig.axes) == 5  # four panels, one colour bar
    assert panel_images(fig)[-1].colorbar.extend == "neither"


@pytest.mark.parametrize("percentile", [50, 99, 100])
def test_a_percentile_ends_the_shared_scale_there(maps, percentile):
    fig = convbook.plot_feature_maps(maps, cmap="RdBu_r", symmetric=True, colorbar=True, percentile=percentile)
    expected = float(np.percentile(np.abs(maps), percentile))
    for image in panel_images(fig):
        assert image.norm.vmin == pytest.approx(-expected) and image.norm.vmax == pytest.approx(expected)
    # Pointed ends (extend="both") exactly when some values lie beyond the scale.
    beyond = float(np.abs(maps).max()) > expected
    assert panel_images(fig)[-1].colorbar.extend == ("both" if beyond else "neither")
    assert plt.get_fignums() == []


def test_per_panel_scales_and_colour_bars(maps):
    scaled = maps * np.array([1.0, 10.0, 0.1, 3.0])[:, None, None]
    fig = convbook.plot_feature_maps(scaled, ncols=2, cmap="RdBu_r", symmetric=True, colorbar=True,
                                     per_panel=True, percentile=99.5)
    images = panel_images(fig)
    assert len(images) == 4 and len(fig.axes) == 8  # a colour bar beside every panel
    for image, values in zip(images, scaled):
        expected = float(np.percentile(np.abs(values), 99.5))
        assert image.norm.vmax == pytest.approx(expected) and image.norm.vmin == pytest.approx(-expected)
    # Without a percentile, each panel ends at its own largest value.
    fig = convbook.plot_feature_maps(scaled, cmap="RdBu_r", symmetric=True, per_panel=True)
    assert [image.norm.vmax for image in panel_images(fig)] == pytest.approx(list(np.abs(scaled).max(axis=(1, 2))))


@pytest.mark.parametrize(
    "options",
    [{"percentile": 99}, {"per_panel": True}, {"symmetric": True, "percentile": 0},
     {"symmetric": True, "percentile": 101}, {"symmetric": True, "percentile": -5}],
)
def test_bad_scale_options_are_refused_clearly(maps, options):
    with pytest.raises(ValueError, match="percentile|per_panel"):
        convbook.plot_feature_maps(maps, **options)


def test_boxes_outline_the_zoomed_regions():
    wide = np.arange(40 * 60, dtype=np.float32).reshape(40, 60)
    narrow = np.ones((30, 20), dtype=np.float32)
    fig = plot_maps_to_scale([wide, narrow], ["a", "b"], boxes=[[(5, 0, 10, 8), (5, 52, 10, 8)], None])
    orange = to_rgba("#ffb000")
    outlined = [[p for p in ax.patches if isinstance(p, Rectangle) and p.get_edgecolor() == orange]
                for ax in fig.axes]
    assert [len(boxes) for boxes in outlined] == [2, 0]
    # Pixel centres sit on integers: a box's outer edge is half a pixel before its first pixel.
    assert [(b.get_x(), b.get_y(), b.get_width(), b.get_height()) for b in outlined[0]] == [
        (-0.5, 4.5, 8, 10), (51.5, 4.5, 8, 10)]


@pytest.mark.parametrize("boxes", [[None], [[(0, 0, 5, 61)], None], [[(0, 0, 0, 3)], None]])
def test_bad_boxes_are_refused_clearly(boxes):
    with pytest.raises(ValueError, match="box"):
        plot_maps_to_scale([np.zeros((40, 60)), np.zeros((30, 20))], ["a", "b"], boxes=boxes)
