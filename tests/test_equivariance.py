"""Shifts, the convolution as a matrix, parameter counts and the chapter's figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from convbook import (
    conv_as_matrix,
    conv_parameter_count,
    dense_parameter_count,
    feature_maps,
    plot_shift_equivariance,
    plot_sliding_window,
    shift_image,
)


def torch_correlate(image: np.ndarray, kernel: np.ndarray, stride: int = 1) -> np.ndarray:
    x = torch.from_numpy(np.asarray(image, dtype=np.float32))[None, None]
    w = torch.from_numpy(np.asarray(kernel, dtype=np.float32))[None, None]
    return F.conv2d(x, w, stride=stride)[0, 0].numpy()


def test_shift_image_by_hand():
    image = np.arange(1, 10, dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal(shift_image(image, 1, 0), [[0, 0, 0], [1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(shift_image(image, 0, -1), [[2, 3, 0], [5, 6, 0], [8, 9, 0]])
    np.testing.assert_array_equal(shift_image(image, -1, 2, fill=-1), [[-1, -1, 4], [-1, -1, 7], [-1, -1, -1]])
    np.testing.assert_array_equal(shift_image(image), image)
    np.testing.assert_array_equal(shift_image(image, 3, 0), np.zeros((3, 3)))
    assert shift_image(image, 1, 1).dtype == np.float32


@pytest.mark.parametrize("rows, cols", [(2, 3), (-4, 1), (0, -5), (-3, -2)])
def test_shift_image_equals_roll_where_nothing_wrapped(rows, cols):
    rng = np.random.default_rng(0)
    image = rng.random((9, 11)).astype(np.float32)
    rolled = np.roll(image, (rows, cols), axis=(0, 1))
    shifted = shift_image(image, rows, cols, fill=7.0)
    keep = np.zeros_like(image, dtype=bool)
    keep[max(rows, 0): 9 + min(rows, 0), max(cols, 0): 11 + min(cols, 0)] = True
    np.testing.assert_array_equal(shifted[keep], rolled[keep])
    assert np.all(shifted[~keep] == 7.0)
    assert (~keep).sum() == 9 * 11 - (9 - abs(rows)) * (11 - abs(cols))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image": np.full((3, 3), np.nan)}, "finite"),
        ({"image": np.array([[1.0, np.inf]])}, "finite"),
        ({"image": np.zeros((4, 4, 3))}, "2-D"),
        ({"image": np.zeros((3, 3)), "rows": 1.5}, "rows"),
        ({"image": np.zeros((3, 3)), "cols": True}, "cols"),
        ({"image": np.zeros((3, 3)), "fill": np.nan}, "fill"),
    ],
)
def test_shift_image_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        shift_image(**kwargs)


def test_convolution_is_equivariant_away_from_the_border():
    rng = np.random.default_rng(1)
    image = rng.random((20, 25)).astype(np.float32)
    kernel = rng.normal(size=(3, 4)).astype(np.float32)
    rows, cols = 4, 6
    moved_map = torch_correlate(shift_image(image, rows, cols), kernel)
    original = torch_correlate(image, kernel)
    # Below and right of the uncovered strip, the map of the shifted image is the map, moved.
    np.testing.assert_allclose(moved_map[rows:, cols:], original[: 18 - rows, : 22 - cols], atol=1e-5)
    # Stride 2 with a shift by one pixel is not equivariant; a shift by two is.
    strided = torch_correlate(image, kernel, stride=2)
    by_two = torch_correlate(shift_image(image, 0, 2), kernel, stride=2)
    np.testing.assert_allclose(by_two[:, 2:], strided[:, 1:-1], atol=1e-5)
    by_one = torch_correlate(shift_image(image, 0, 1), kernel, stride=2)
    assert not np.allclose(by_one[:, 2:], strided[:, 2:], atol=1e-2)
    assert not np.allclose(by_one[:, 2:], strided[:, 1:-1], atol=1e-2)


@pytest.mark.parametrize("shape, kernel_shape", [((4, 4), (2, 2)), ((7, 5), (3, 2)), ((5, 6), (1, 1)), ((3, 3), (3, 3))])
def test_conv_as_matrix_equals_conv2d(shape, kernel_shape):
    rng = np.random.default_rng(2)
    image = rng.normal(size=shape).astype(np.float32)
    kernel = rng.normal(size=kernel_shape).astype(np.float32)
    matrix = conv_as_matrix(kernel, shape)
    out_h, out_w = shape[0] - kernel_shape[0] + 1, shape[1] - kernel_shape[1] + 1
    assert matrix.shape == (out_h * out_w, shape[0] * shape[1])
    np.testing.assert_allclose((matrix @ image.ravel()).reshape(out_h, out_w), torch_correlate(image, kernel), atol=1e-5)
    # Locality and sharing: each row holds exactly the kernel's weights.
    for row in matrix:
        np.testing.assert_array_equal(np.sort(row[row != 0]), np.sort(kernel.ravel()[kernel.ravel() != 0]))


def test_conv_as_matrix_by_hand():
    matrix = conv_as_matrix([[1, 2]], (1, 3))
    np.testing.assert_array_equal(matrix, [[1, 2, 0], [0, 1, 2]])


@pytest.mark.parametrize(
    "kernel, shape, message",
    [
        (np.ones((3, 3)), (2, 5), "larger than the image"),
        (np.ones((2, 2)), (4,), "input_shape"),
        (np.ones((2, 2)), (0, 4), "input_shape"),
        (np.ones((2, 2, 2)), (4, 4), "kernel"),
        (np.array([[1.0, np.nan]]), (4, 4), "finite"),
    ],
)
def test_conv_as_matrix_refuses_bad_input(kernel, shape, message):
    with pytest.raises(ValueError, match=message):
        conv_as_matrix(kernel, shape)


@pytest.mark.parametrize("c_in, c_out, size, bias", [(1, 4, (4, 4), False), (3, 16, (3, 3), True), (2, 5, (1, 7), True)])
def test_conv_parameter_count_equals_pytorch(c_in, c_out, size, bias):
    layer = nn.Conv2d(c_in, c_out, size, bias=bias)
    assert conv_parameter_count(c_in, c_out, size, bias=bias) == sum(p.numel() for p in layer.parameters())


@pytest.mark.parametrize("n_in, n_out, bias", [(30, 24, False), (16, 9, True), (1, 1, False)])
def test_dense_parameter_count_equals_pytorch(n_in, n_out, bias):
    layer = nn.Linear(n_in, n_out, bias=bias)
    assert dense_parameter_count(n_in, n_out, bias=bias) == sum(p.numel() for p in layer.parameters())


def test_dense_count_for_the_photo_does_not_overflow(photo, lesson_filters):
    maps = feature_maps(photo, lesson_filters)[0]
    count = dense_parameter_count(photo.size, maps.size)
    assert count == 427 * 640 * 4 * 424 * 637 and isinstance(count, int)


@pytest.mark.parametrize(
    "call",
    [
        lambda: conv_parameter_count(0, 4, (4, 4)),
        lambda: conv_parameter_count(1, 4, 4),
        lambda: conv_parameter_count(1, 2.0, (4, 4)),
        lambda: dense_parameter_count(-1, 4),
        lambda: dense_parameter_count(3, True),
    ],
)
def test_counts_refuse_bad_sizes(call):
    with pytest.raises(ValueError, match="must be"):
        call()


def test_plot_sliding_window_titles_are_the_outputs():
    image = np.array([[1, 2, 0, 3], [4, 1, 2, 0], [0, 3, 1, 1], [2, 0, 4, 2]], dtype=np.float32)
    kernel = np.array([[1, 2], [-1, 1]], dtype=np.float32)
    fig = plot_sliding_window(image, kernel)
    assert isinstance(fig, Figure) and fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    expected = torch_correlate(image, kernel)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [f"out[{r}, {c}] = {int(expected[r, c])}" for r in range(3) for c in range(3)]
    # Every input value on every panel, plus one multiplier per covered cell.
    assert all(len(ax.texts) == 16 + 4 for ax in fig.axes)


def test_plot_sliding_window_refuses_large_images():
    with pytest.raises(ValueError, match="at most 8x8"):
        plot_sliding_window(np.zeros((9, 9)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="larger than the image"):
        plot_sliding_window(np.zeros((2, 2)), np.ones((3, 3)))


def test_plot_shift_equivariance(photo, lesson_filters):
    fig = plot_shift_equivariance(photo[125:185, 280:360], lesson_filters[0], 6, 10)
    assert isinstance(fig, Figure) and fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert len(fig.axes) == 7
    # The difference panel: exactly zero inside the frame, not zero in the strip.
    difference = fig.axes[-1].images[0].get_array()
    assert np.abs(difference[6:, 10:]).max() == 0
    assert np.abs(difference).max() > 1
    with pytest.raises(ValueError, match="rows"):
        plot_shift_equivariance(photo[:20, :20], lesson_filters[0], -1, 0)
