"""Convolution as a matrix product: im2col and unfold + matmul against independent references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convbook import conv2d_matmul, correlate2d_loop, feature_maps, im2col, plot_patch_matrix


def test_im2col_of_a_small_image_by_hand():
    image = np.arange(16, dtype=np.float32).reshape(4, 4)
    expected = np.array(
        [
            [0, 1, 2, 4, 5, 6, 8, 9, 10],
            [1, 2, 3, 5, 6, 7, 9, 10, 11],
            [4, 5, 6, 8, 9, 10, 12, 13, 14],
            [5, 6, 7, 9, 10, 11, 13, 14, 15],
        ],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(im2col(image, 2), expected)


@pytest.mark.parametrize("shape, kernel", [((7, 6), (2, 3)), ((3, 9, 5), (4, 1)), ((2, 5, 5), 5)])
def test_im2col_equals_torch_unfold(shape, kernel):
    values = np.random.default_rng(0).random(shape).astype(np.float32)
    channels = values if values.ndim == 3 else values[None]
    expected = F.unfold(torch.from_numpy(channels)[None], kernel)[0].numpy()
    np.testing.assert_array_equal(im2col(values, kernel), expected)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    c, h, w = channels.shape
    assert im2col(values, kernel).shape == (c * kh * kw, (h - kh + 1) * (w - kw + 1))


def test_weights_times_patch_matrix_is_the_loop_correlation(photo, lesson_filters):
    crop = photo[:30, :40]
    maps = lesson_filters.reshape(4, -1) @ im2col(crop, 4)
    for k in range(4):
        np.testing.assert_allclose(maps[k].reshape(27, 37), correlate2d_loop(crop, lesson_filters[k]), atol=1e-5)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv2d_matmul_equals_conv2d(stride):
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(2, 3, 11, 9, generator=generator)
    weight = torch.randn(5, 3, 3, 2, generator=generator)
    out = conv2d_matmul(images, weight, stride=stride)
    expected = F.conv2d(images, weight, stride=stride)
    assert out.shape == expected.shape == (2, 5, (11 - 3) // stride + 1, (9 - 2) // stride + 1)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_conv2d_matmul_equals_the_lessons_layer(photo, lesson_filters):
    images = torch.from_numpy(photo)[None, None]
    weight = torch.from_numpy(lesson_filters.astype(np.float32))[:, None]
    out = conv2d_matmul(images, weight)[0].numpy()
    np.testing.assert_allclose(out, feature_maps(photo, lesson_filters)[0], atol=1e-4)


def test_bad_input_raises_value_error():
    good = torch.zeros(1, 1, 5, 5)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        im2col(np.zeros((5, 5)), (2, 2, 2))
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        im2col(np.zeros((5, 5)), 2.5)
    with pytest.raises(ValueError, match="kernel_size must be positive"):
        im2col(np.zeros((5, 5)), 0)
    with pytest.raises(ValueError, match="larger than the image"):
        im2col(np.zeros((5, 5)), 6)
    with pytest.raises(ValueError, match="image must be 2-D"):
        im2col(np.zeros((1, 2, 5, 5)), 2)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="finite"):
            im2col(np.full((5, 5), bad), 2)
        with pytest.raises(ValueError, match="images must hold finite values"):
            conv2d_matmul(torch.full((1, 1, 5, 5), bad), torch.zeros(1, 1, 2, 2))
        with pytest.raises(ValueError, match="weight must hold finite values"):
            conv2d_matmul(good, torch.full((1, 1, 2, 2), bad))
    with pytest.raises(ValueError, match="images must be a torch.Tensor"):
        conv2d_matmul(np.zeros((1, 1, 5, 5)), torch.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="weight must be a 4-D tensor"):
        conv2d_matmul(good, torch.zeros(2, 2))
    with pytest.raises(ValueError, match="as many input channels"):
        conv2d_matmul(good, torch.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        conv2d_matmul(good, torch.zeros(1, 1, 2, 2), stride=0)
    with pytest.raises(ValueError, match="larger than the images"):
        conv2d_matmul(good, torch.zeros(1, 1, 6, 2))
    with pytest.raises(ValueError, match="floating-point"):
        conv2d_matmul(torch.zeros(1, 1, 5, 5, dtype=torch.int64), torch.zeros(1, 1, 2, 2))


def test_plot_patch_matrix_writes_every_value_and_outlines_one_column():
    image = np.arange(16, dtype=np.float32).reshape(4, 4)
    fig = plot_patch_matrix(image, 2, highlight=(1, 2))
    image_ax, matrix_ax = fig.axes
    assert len(image_ax.texts) == 16 and len(matrix_ax.texts) == 4 * 9
    # The outlined column is patch number 1 * 3 + 2 = 5.
    assert matrix_ax.patches[0].get_x() == pytest.approx(5 - 0.5)
    assert tuple(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)  # opaque white, not only opaque
    with pytest.raises(ValueError, match="highlight"):
        plot_patch_matrix(image, 2, highlight=(3, 0))
