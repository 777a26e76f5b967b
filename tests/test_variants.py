"""The variants chapter's functions against independent references: F.conv2d
(with groups), explicit loops, an operation-counting FFT and hand values."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from convbook import (
    fft_correlate2d,
    fft_operation_count,
    implicit_gemm_conv2d,
    plot_crossover,
    plot_layer_costs,
    separable_kernel,
    winograd_f23,
)

RNG = np.random.default_rng(22)


def correlate_loop(image, kernel):
    """Valid cross-correlation by an explicit loop, in float64."""
    image, kernel = np.asarray(image, np.float64), np.asarray(kernel, np.float64)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = sum(image[r + i, c + j] * kernel[i, j] for i in range(kh) for j in range(kw))
    return out


def test_separable_kernel_equals_depthwise_then_pointwise():
    channels, out_channels = 3, 5
    depthwise = torch.randn(channels, 1, 3, 3, generator=torch.Generator().manual_seed(0))
    pointwise = torch.randn(out_channels, channels, 1, 1, generator=torch.Generator().manual_seed(1))
    x = torch.randn(2, channels, 9, 10, generator=torch.Generator().manual_seed(2))
    two_layers = F.conv2d(F.conv2d(x, depthwise, groups=channels), pointwise)
    full = torch.from_numpy(separable_kernel(depthwise.numpy(), pointwise.numpy()))
    assert full.shape == (out_channels, channels, 3, 3)
    torch.testing.assert_close(F.conv2d(x, full), two_layers, atol=1e-5, rtol=1e-5)
    # One weight by hand: W[o, c, i, j] = P[o, c] D[c, i, j].
    assert math.isclose(float(full[4, 2, 0, 1]), float(pointwise[4, 2, 0, 0] * depthwise[2, 0, 0, 1]),
                        rel_tol=1e-6)


def test_separable_kernel_refuses_channels_that_do_not_match():
    with pytest.raises(ValueError, match="must agree"):
        separable_kernel(np.ones((3, 1, 3, 3)), np.ones((4, 2, 1, 1)))
    with pytest.raises(ValueError, match="depthwise must have shape"):
        separable_kernel(np.ones((3, 3, 3)), np.ones((4, 3, 1, 1)))


@pytest.mark.parametrize("image_shape, kernel_shape", [((12, 17), (3, 3)), ((9, 8), (5, 2)), ((6, 6), (6, 6))])
def test_fft_correlation_equals_the_loop(image_shape, kernel_shape):
    image, kernel = RNG.random(image_shape), RNG.normal(size=kernel_shape)
    np.testing.assert_allclose(fft_correlate2d(image, kernel),
                               correlate_loop(image.astype(np.float32), kernel.astype(np.float32)),
                               atol=1e-9)


def counted_fft(values):
    """A recursive radix-2 FFT that returns (transform, real operations it made)."""
    n = len(values)
    if n == 1:
        return list(values), 0
    even, ops_even = counted_fft(values[0::2])
    odd, ops_odd = counted_fft(values[1::2])
    out, ops = [0j] * n, ops_even + ops_odd
    for k in range(n // 2):
        t = cmath.exp(-2j * cmath.pi * k / n) * odd[k]   # complex multiply: 4 mul + 2 add
        out[k], out[k + n // 2] = even[k] + t, even[k] - t  # two complex adds: 4
        ops += 6 + 4
    return out, ops


@pytest.mark.parametrize("height, width", [(8, 16), (32, 4)])
def test_fft_operation_count_matches_a_counting_fft(height, width):
    image = RNG.random((height, width))
    # 2-D transform: FFTs of every row, then of every column, counted.
    rows = [counted_fft(list(row)) for row in image]
    after_rows = np.array([r[0] for r in rows])
    columns = [counted_fft(list(col)) for col in after_rows.T]
    one_transform = sum(r[1] for r in rows) + sum(c[1] for c in columns)
    np.testing.assert_allclose(np.array([c[0] for c in columns]).T, np.fft.fft2(image), atol=1e-9)
    n = height * width
    # Three transforms and one complex product (6 operations) per point.
    assert fft_operation_count(height, width) == 3 * one_transform + 6 * n


def test_winograd_1d_by_hand_and_against_numpy():
    d, g = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 0.0, -1.0])
    np.testing.assert_allclose(winograd_f23(d, g), [1 - 3, 2 - 4], atol=1e-12)
    for _ in range(5):
        d, g = RNG.normal(size=4).astype(np.float32), RNG.normal(size=3).astype(np.float32)
        np.testing.assert_allclose(winograd_f23(d, g), np.correlate(d.astype(np.float64), g, "valid"),
                                   atol=1e-6)


def test_winograd_2d_against_the_loop():
    for _ in range(5):
        d, g = RNG.normal(size=(4, 4)).astype(np.float32), RNG.normal(size=(3, 3)).astype(np.float32)
        np.testing.assert_allclose(winograd_f23(d, g), correlate_loop(d, g), atol=1e-5)
    with pytest.raises(ValueError, match="shapes"):
        winograd_f23(np.ones(5), np.ones(3))


def test_implicit_gemm_equals_conv2d_and_holds_one_block():
    x = torch.randn(2, 3, 9, 11, generator=torch.Generator().manual_seed(3))
    w = torch.randn(4, 3, 2, 3, generator=torch.Generator().manual_seed(4))
    out, largest = implicit_gemm_conv2d(x, w, block=10)
    torch.testing.assert_close(out, F.conv2d(x, w), atol=1e-5, rtol=1e-5)
    assert largest == 3 * 2 * 3 * 10
    out_all, largest_all = implicit_gemm_conv2d(x, w, block=10_000)
    assert largest_all == F.unfold(x, (2, 3))[0].numel()
    torch.testing.assert_close(out_all, out)


def test_plot_layer_costs_draws_one_bar_per_design():
    fig = plot_layer_costs(["full", "separable"], [100, 20], [3e6, 1e6])
    assert isinstance(fig, Figure)
    left, right = fig.axes[:2]
    assert [p.get_width() for p in left.patches] == [100, 20]
    assert [p.get_width() for p in right.patches] == [3.0, 1.0]
    assert fig.get_facecolor()[3] == 1.0
    with pytest.raises(ValueError, match="one entry per design"):
        plot_layer_costs(["a"], [1, 2], [1, 2])


def test_plot_crossover_marks_the_first_size_where_the_fft_is_cheaper():
    sizes = np.arange(1, 8)
    direct = 2.0 * sizes ** 2 * 1e6
    fft = np.full(7, 40e6)
    fig = plot_crossover(sizes, direct, fft)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), direct / 1e6)
    # 2 k^2 > 40 first at k = 5 (2 * 25 = 50): the dotted line stands there.
    assert ax.lines[2].get_xdata()[0] == 5
    assert fig.get_facecolor()[3] == 1.0
