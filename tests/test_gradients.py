"""The layer's gradients in NumPy against torch.autograd, explicit loops and
hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from torch import nn

from convbook import (
    conv_input_gradient,
    conv_weight_gradient,
    feature_maps,
    max_pool_gradient,
    plot_value_grids,
)


def autograd_conv(image, kernel, grad_output):
    """dL/dx and dL/dw from PyTorch, in float64, for L = sum(g * conv(x, w))."""
    x = torch.tensor(np.asarray(image, np.float64))[None, None].requires_grad_(True)
    w = torch.tensor(np.asarray(kernel, np.float64))[None, None].requires_grad_(True)
    torch.nn.functional.conv2d(x, w).backward(torch.tensor(np.asarray(grad_output, np.float64))[None, None])
    return x.grad[0, 0].numpy(), w.grad[0, 0].numpy()


def test_tiny_example_by_hand():
    w = np.array([[1, 2], [3, 4]], dtype=np.float32)
    g = np.array([[1, 0, -1], [2, 1, 0], [0, -1, 1]], dtype=np.float32)
    grad_x = conv_input_gradient(g, w)
    assert grad_x.shape == (4, 4)
    # dx[1, 1] = g[1,1] w[0,0] + g[1,0] w[0,1] + g[0,1] w[1,0] + g[0,0] w[1,1]
    assert grad_x[1, 1] == 1 * 1 + 2 * 2 + 0 * 3 + 1 * 4
    assert grad_x[0, 0] == 1 and grad_x[3, 3] == 4 and grad_x[0, 3] == -2
    # dw[i, j] = sum x[r+i, c+j] g[r, c]; with x = indicator of (1, 1), dw = g[1-i, 1-j].
    x = np.zeros((4, 4), dtype=np.float32)
    x[1, 1] = 1
    np.testing.assert_array_equal(conv_weight_gradient(x, g), [[1, 2], [0, 1]])


def test_input_gradient_equals_an_explicit_chain_rule_loop():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 4))
    g = rng.normal(size=(6, 5))
    expected = np.zeros((8, 8))
    for r in range(6):
        for c in range(5):
            for i in range(3):
                for j in range(4):
                    expected[r + i, c + j] += g[r, c] * w[i, j]
    np.testing.assert_allclose(conv_input_gradient(g, w), expected, atol=1e-5)


@pytest.mark.parametrize("image_shape, kernel_shape", [((7, 9), (3, 3)), ((5, 5), (5, 1)), ((6, 4), (1, 1))])
def test_both_gradients_equal_autograd_on_random_data(image_shape, kernel_shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=image_shape)
    w = rng.normal(size=kernel_shape)
    out_shape = (image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1)
    g = rng.normal(size=out_shape)
    expected_x, expected_w = autograd_conv(x, w, g)
    grad_x = conv_input_gradient(g, w)
    grad_w = conv_weight_gradient(x, g)
    assert grad_x.shape == image_shape and grad_w.shape == kernel_shape
    np.testing.assert_allclose(grad_x, expected_x, atol=1e-5)
    np.testing.assert_allclose(grad_w, expected_w, atol=1e-5)


def test_both_gradients_equal_autograd_on_the_photo(photo, lesson_filters):
    w = lesson_filters[0]
    g = np.random.default_rng(0).normal(size=(photo.shape[0] - 3, photo.shape[1] - 3))
    expected_x, expected_w = autograd_conv(photo, w, g)
    np.testing.assert_allclose(conv_input_gradient(g, w), expected_x, atol=1e-4)
    np.testing.assert_allclose(conv_weight_gradient(photo, g), expected_w,
                               atol=1e-4 * np.abs(expected_w).max())


def test_input_gradient_equals_conv_transpose():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(4, 4)).astype(np.float32)
    g = rng.normal(size=(9, 11)).astype(np.float32)
    by_transpose = torch.nn.functional.conv_transpose2d(torch.from_numpy(g)[None, None],
                                                        torch.from_numpy(w)[None, None])
    np.testing.assert_allclose(conv_input_gradient(g, w), by_transpose[0, 0].numpy(), atol=1e-5)


def test_max_pool_gradient_by_hand_and_ties():
    maps = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 7, 8], [0, 1, 6, 9]], dtype=np.float32)
    g = np.array([[0.5, -1], [2, 1.5]], dtype=np.float32)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[0, 2], expected[3, 1], expected[3, 3] = 0.5, -1, 2, 1.5
    np.testing.assert_array_equal(max_pool_gradient(maps, g), expected)
    # Ties: the first in reading order wins; no negative zeros appear.
    tied = np.array([[3, 0], [3, 3]], dtype=np.float32)
    got = max_pool_gradient(tied, [[-2.0]])
    np.testing.assert_array_equal(got, [[-2, 0], [0, 0]])
    assert not np.any(np.signbit(got) & (got == 0))


@pytest.mark.parametrize("size", [2, 3])
def test_max_pool_gradient_equals_autograd_with_ties_and_ragged_edges(size):
    rng = np.random.default_rng(4)
    # Few distinct values: many ties. 11 x 13 leaves rows and columns uncovered.
    maps = rng.integers(0, 3, size=(3, 11, 13)).astype(np.float32)
    x = torch.from_numpy(maps)[None].requires_grad_(True)
    pooled = nn.MaxPool2d(size)(x)
    g = rng.normal(size=pooled.shape[1:]).astype(np.float32)
    pooled.backward(torch.from_numpy(g)[None])
    np.testing.assert_array_equal(max_pool_gradient(maps, g, size), x.grad[0].numpy())


def test_max_pool_gradient_on_the_activated_photo(photo, lesson_filters):
    _, activated = feature_maps(photo, lesson_filters)
    x = torch.from_numpy(activated)[None].requires_grad_(True)
    pooled = nn.MaxPool2d(2, 2)(x)
    g = np.random.default_rng(5).normal(size=pooled.shape[1:]).astype(np.float32)
    pooled.backward(torch.from_numpy(g)[None])
    np.testing.assert_array_equal(max_pool_gradient(activated, g), x.grad[0].numpy())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: conv_input_gradient(np.ones((3, 3)), np.ones((2, 2, 2))), "kernel"),
        (lambda: conv_input_gradient(np.ones(3), np.ones((2, 2))), "grad_output"),
        (lambda: conv_input_gradient([[np.nan]], np.ones((2, 2))), "grad_output.*finite"),
        (lambda: conv_input_gradient([[1.0]], [[np.inf]]), "kernel.*finite"),
        (lambda: conv_weight_gradient(np.ones((3, 3)), np.ones((4, 3))), "larger"),
        (lambda: conv_weight_gradient(np.full((3, 3), np.nan), np.ones((2, 2))), "image.*finite"),
        (lambda: conv_weight_gradient(np.ones((3, 3)), [[np.inf]]), "grad_output.*finite"),
        (lambda: max_pool_gradient(np.ones((4, 4)), np.ones((3, 3))), "grad_output must have"),
        (lambda: max_pool_gradient(np.ones((4, 4)), np.ones((2, 2)), size=0), "size"),
        (lambda: max_pool_gradient(np.full((4, 4), np.nan), np.ones((2, 2))), "maps.*finite"),
        (lambda: max_pool_gradient(np.ones((4, 4)), np.full((2, 2), -np.inf)), "grad_output.*finite"),
        (lambda: plot_value_grids([np.ones((2, 2))], ["a", "b"]), "title"),
        (lambda: plot_value_grids([np.ones((2, 2))], ["a"], boxes=[(1, 0, 0, 1, 1)]), "boxes"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_plot_value_grids_writes_every_number_readably():
    grids = [np.array([[1, -2], [0.5, 3]]), np.arange(9.0).reshape(3, 3)]
    fig = plot_value_grids(grids, ["first", "second"], boxes=[(1, 0, 0, 2, 2)])
    assert isinstance(fig, Figure)
    assert to_rgba(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
    first, second = fig.axes
    assert [t.get_text() for t in first.texts] == ["1", "-2", "0.5", "3"]
    assert len(second.texts) == 9 and len(second.patches) == 1
    for ax in fig.axes:
        image = ax.images[0]
        cells = image.to_rgba(image.get_array())
        for text in ax.texts:
            assert text.get_fontsize() >= 1.4 * fig.get_figwidth()
            col, row = (round(v) for v in text.xy)
            assert _contrast(text.get_color(), cells[row, col]) >= 3.0, text.get_text()


def _luminance(colour) -> float:
    channels = np.asarray(to_rgba(colour)[:3])
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def _contrast(first, second) -> float:
    light, dark = sorted([_luminance(first), _luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_plot_value_grids_colour_limits_per_panel():
    grids = [np.array([[1.0, -2.0]]), np.array([[0.5], [-8.0]]), np.zeros((1, 1))]
    shared = plot_value_grids(grids, ["a", "b", "c"])
    assert [ax.images[0].get_clim() for ax in shared.axes] == [(-8.0, 8.0)] * 3
    own = plot_value_grids(grids, ["a", "b", "c"], shared_scale=False)
    # Each panel centred on zero at its own largest magnitude (1 for all zeros).
    assert [ax.images[0].get_clim() for ax in own.axes] == [(-2.0, 2.0), (-8.0, 8.0), (-1.0, 1.0)]
