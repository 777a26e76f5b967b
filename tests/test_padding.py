"""Output-size formula and strided / padded feature maps against nn.Conv2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convbook import (
    conv_output_size,
    kernel_starts,
    plot_maps_to_scale,
    same_padding,
    strided_feature_map,
    unused_inputs,
)

# (size, kernel, padding, stride)
CASES = [
    (7, 3, 0, 1), (7, 3, 1, 1), (7, 3, 0, 2), (7, 3, 1, 2), (8, 4, 0, 1),
    (8, 4, 1, 2), (8, 4, 2, 3), (32, 5, 2, 1), (32, 5, 0, 2), (427, 4, 0, 1),
    (640, 4, 0, 4), (5, 5, 0, 1), (1, 3, 1, 1), (10, 1, 0, 3), (11, 2, 0, 5),
]


@pytest.mark.parametrize("size, kernel, padding, stride", CASES)
def test_output_size_formula_matches_nn_conv2d(size, kernel, padding, stride):
    layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, bias=False)
    with torch.no_grad():
        out = layer(torch.zeros(1, 1, size, size + 3))
    assert conv_output_size(size, kernel, padding, stride) == out.shape[2]
    assert conv_output_size(size + 3, kernel, padding, stride) == out.shape[3]


def test_output_size_by_hand():
    assert conv_output_size(427, 4) == 424
    assert conv_output_size(640, 4, 0, 2) == 319  # (640 - 4) // 2 + 1
    assert conv_output_size(5, 3, 1, 2) == 3


def torch_unused_columns(size, kernel, padding, stride):
    """Input columns whose gradient of the output's sum is zero, by autograd.

    With every weight 1, the gradient at a column counts the kernel positions
    that cover it: zero exactly where no position does.
    """
    x = torch.zeros(1, 1, 1, size, requires_grad=True)
    layer = nn.Conv2d(1, 1, (1, kernel), stride=stride, padding=(0, padding), bias=False)
    with torch.no_grad():
        layer.weight.fill_(1.0)
    layer(x).sum().backward()
    return [int(i) for i in torch.nonzero(x.grad[0, 0, 0] == 0).flatten()]


@pytest.mark.parametrize("size, kernel, padding, stride", CASES + [
    (11, 2, 0, 3), (11, 2, 0, 4), (11, 2, 0, 6), (11, 2, 1, 3), (9, 1, 0, 2), (12, 3, 2, 5),
])
def test_unused_inputs_match_autograd(size, kernel, padding, stride):
    assert unused_inputs(size, kernel, padding, stride) == torch_unused_columns(
        size, kernel, padding, stride)


@pytest.mark.parametrize("size, kernel, padding, stride", CASES)
def test_kernel_starts_count_is_the_output_size(size, kernel, padding, stride):
    starts = kernel_starts(size, kernel, padding, stride)
    assert len(starts) == conv_output_size(size, kernel, padding, stride)
    assert starts[0] == 0 and all(b - a == stride for a, b in zip(starts, starts[1:]))
    assert starts[-1] + kernel <= size + 2 * padding < starts[-1] + stride + kernel


def test_unused_inputs_by_hand():
    # Stride 3 divides 11 - 2 = 9, yet the kernel skips a column between positions.
    assert kernel_starts(11, 2, 0, 3) == [0, 3, 6, 9]
    assert unused_inputs(11, 2, 0, 3) == [2, 5, 8]
    # Stride 2 does not divide 9: only the last column is left out.
    assert unused_inputs(11, 2, 0, 2) == [10]
    # Both at once.
    assert unused_inputs(11, 2, 0, 5) == [2, 3, 4, 7, 8, 9, 10]
    assert unused_inputs(640, 4, 0, 1) == []


def test_unused_inputs_refuses_bad_arguments():
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        unused_inputs(11, 2, 0, 0)
    with pytest.raises(ValueError, match="does not fit"):
        kernel_starts(2, 5)
    with pytest.raises(ValueError, match="padding must be an integer >= 0"):
        unused_inputs(11, 2, -1, 1)


@pytest.mark.parametrize("kernel, expected", [(1, (0, 0)), (3, (1, 1)), (4, (1, 2)), (5, (2, 2))])
def test_same_padding(kernel, expected):
    assert same_padding(kernel) == expected


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), (4, 0), (2, 1), (3, 2)])
def test_strided_map_equals_nn_conv2d_on_the_photo(photo, lesson_filters, stride, padding):
    kernel = lesson_filters[0].astype(np.float32)
    layer = nn.Conv2d(1, 1, 4, stride=stride, padding=padding, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(kernel)[None, None])
        expected = layer(torch.from_numpy(photo)[None, None])[0, 0].numpy()
    got = strided_feature_map(photo, kernel, stride=stride, padding=padding)
    assert got.shape == (conv_output_size(photo.shape[0], 4, padding, stride),
                         conv_output_size(photo.shape[1], 4, padding, stride))
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel:UserWarning")
def test_same_padding_keeps_the_size_and_matches_torch(photo, lesson_filters):
    kernel = lesson_filters[2].astype(np.float32)
    layer = nn.Conv2d(1, 1, 4, padding="same", bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(kernel)[None, None])
        expected = layer(torch.from_numpy(photo)[None, None])[0, 0].numpy()
    got = strided_feature_map(photo, kernel, padding="same")
    assert got.shape == photo.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_stride_two_keeps_every_other_value_of_stride_one(photo, lesson_filters):
    kernel = lesson_filters[0]
    full = strided_feature_map(photo, kernel)
    np.testing.assert_array_equal(strided_feature_map(photo, kernel, stride=2), full[::2, ::2])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        conv_output_size(7, 3, 0, 0)
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(2, 5, 1, 1)
    with pytest.raises(ValueError, match='needs stride 1'):
        strided_feature_map(np.ones((8, 8)), np.ones((3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be"):
        strided_feature_map(np.ones((8, 8)), np.ones((3, 3)), padding="valid-ish")


def test_maps_to_scale_draws_one_panel_per_map_sized_by_width():
    maps = [np.zeros((40, 60)), np.zeros((20, 30))]
    fig = plot_maps_to_scale(maps, ["a", "b"])
    axes = fig.axes
    assert len(axes) == 2
    width_a = axes[0].get_position().width
    width_b = axes[1].get_position().width
    assert width_a == pytest.approx(2 * width_b, rel=0.05)
    assert "20 x 30" in axes[1].get_title()


def test_maps_to_scale_titles_stay_readable_when_the_page_shrinks_the_figure():
    # A figure w inches wide is shown at most 6.72 inches wide: text of s
    # points is about 9.3 s / w px tall there, so s >= 1.4 w keeps it >= 9 px.
    wide = plot_maps_to_scale([np.zeros((400, 640)), np.zeros((400, 640))], ["a", "b"],
                              pixels_per_inch=100)
    width = wide.get_size_inches()[0]
    assert width > 10
    for ax in wide.axes:
        size = ax.title.get_fontsize()
        assert size >= 1.4 * width and 9.3 * size / width >= 9
    narrow = plot_maps_to_scale([np.zeros((40, 30))], ["a"], pixels_per_inch=12)
    assert narrow.axes[0].title.get_fontsize() == 9


def test_maps_to_scale_colour_scales():
    maps = [np.array([[-2.0, 1.0], [0.0, 0.5]]), np.array([[3.0, 0.0]])]
    symmetric = plot_maps_to_scale(maps, ["a", "b"])
    assert symmetric.axes[0].images[0].get_clim() == (-3.0, 3.0)
    full = plot_maps_to_scale(maps, ["a", "b"], symmetric=False)
    assert full.axes[1].images[0].get_clim() == (-2.0, 3.0)


def test_maps_to_scale_magnify_draws_a_pooled_map_over_its_source_area():
    source = np.arange(16.0).reshape(4, 4)
    pooled = source.reshape(2, 2, 2, 2).max(axis=(1, 3))     # 2x2 max pooling by hand
    fig = plot_maps_to_scale([source, pooled], ["a", "b"], magnify=[1, 2], grid=2)
    a, b = fig.axes
    # Same drawn width: the pooled pixel (i, j) covers the source's block (2i:2i+2, 2j:2j+2).
    assert a.get_position().width == pytest.approx(b.get_position().width, rel=0.01)
    assert b.images[0].get_extent() == [-0.5, 3.5, 3.5, -0.5]
    assert "2 x 2, drawn 2x" in b.get_title()
    # One vertical and one horizontal grid line inside each 4x4-drawn panel, at 1.5.
    for ax in (a, b):
        positions = sorted({tuple(line.get_xdata()) for line in ax.lines})
        assert positions == [(-0.5, 3.5), (1.5, 1.5)]
    with pytest.raises(ValueError, match="magnify"):
        plot_maps_to_scale([source], ["a"], magnify=[0])
    with pytest.raises(ValueError, match="grid"):
        plot_maps_to_scale([source], ["a"], grid=0)


# Kernels, strides and paddings whose two sides differ: a function that uses
# the height's setting on the width axis (or the other way round) gets a
# wrong shape here, where a square kernel would hide it.
# (kernel (kh, kw), stride (sh, sw), padding (ph, pw)); images are 13 x 10.
UNEQUAL_SIDES = [
    ((2, 3), (1, 1), (0, 0)), ((3, 2), (1, 1), (1, 0)), ((1, 4), (2, 3), (0, 2)),
    ((5, 2), (3, 1), (2, 1)), ((4, 1), (1, 2), (0, 0)), ((2, 5), (4, 2), (1, 2)),
]


@pytest.mark.parametrize("kernel, stride, padding", UNEQUAL_SIDES)
def test_output_size_and_starts_use_each_axis_own_settings(kernel, stride, padding):
    height, width = 13, 10
    out = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, bias=False)(
        torch.zeros(1, 1, height, width))
    for axis, size in enumerate((height, width)):
        assert conv_output_size(size, kernel[axis], padding[axis], stride[axis]) \
            == out.shape[2 + axis]
        assert len(kernel_starts(size, kernel[axis], padding[axis], stride[axis])) \
            == out.shape[2 + axis]


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel:UserWarning")
@pytest.mark.parametrize("kh, kw", [(2, 3), (3, 2), (1, 4), (4, 1), (2, 5), (3, 3), (4, 4)])
def test_same_padding_with_a_non_square_kernel_matches_torch(kh, kw):
    # Even kernels on one axis only: PyTorch puts the extra zero after on
    # that axis and splits evenly on the other.
    rng = np.random.default_rng(kh * 10 + kw)
    image = rng.random((9, 12)).astype(np.float32)
    kernel = rng.normal(size=(kh, kw)).astype(np.float32)
    expected = F.conv2d(torch.from_numpy(image)[None, None],
                        torch.from_numpy(kernel)[None, None], padding="same")[0, 0].numpy()
    got = strided_feature_map(image, kernel, padding="same")
    assert got.shape == expected.shape == image.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("kernel, stride, padding", [
    (k, s, p) for k, (s, _), (p, _) in UNEQUAL_SIDES])
def test_strided_map_with_a_non_square_kernel_matches_conv2d(kernel, stride, padding):
    # The function takes one stride and one padding for both axes; the kernel
    # is the part whose sides differ.
    rng = np.random.default_rng(sum(kernel) + 7 * stride + padding)
    image = rng.random((13, 10)).astype(np.float32)
    weights = rng.normal(size=kernel).astype(np.float32)
    expected = F.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(weights)[None, None],
                        stride=stride, padding=padding)[0, 0].numpy()
    got = strided_feature_map(image, weights, stride=stride, padding=padding)
    assert got.shape == expected.shape == (
        conv_output_size(13, kernel[0], padding, stride),
        conv_output_size(10, kernel[1], padding, stride))
    np.testing.assert_allclose(got, expected, atol=1e-5)
