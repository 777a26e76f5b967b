"""Cross-correlation by hand, against torch, cv2.filter2D and hand-computed values."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convbook import (
    convolve2d_loop,
    correlate2d_fast,
    correlate2d_loop,
    feature_maps,
    flip_kernel,
)


def torch_valid(image, kernel):
    x = torch.from_numpy(np.asarray(image, np.float32))[None, None]
    w = torch.from_numpy(np.asarray(kernel, np.float32))[None, None]
    return F.conv2d(x, w)[0, 0].numpy()


def test_loop_on_tiny_image_matches_hand_computed_values():
    image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float32)
    kernel = np.array([[1, 0], [0, -1]], dtype=np.float32)
    # out[r, c] = image[r, c] - image[r + 1, c + 1] = -4 everywhere.
    np.testing.assert_array_equal(correlate2d_loop(image, kernel), np.full((2, 2), -4.0))
    kernel2 = np.array([[1, 2], [3, 4]], dtype=np.float32)
    # top-left: 1*1 + 2*2 + 4*3 + 5*4 = 37
    expected = np.array([[37, 47], [67, 77]], dtype=np.float32)
    np.testing.assert_array_equal(correlate2d_loop(image, kernel2), expected)


def test_convolution_flips_the_kernel_by_hand():
    image = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float32)
    kernel = np.array([[1, 2], [3, 4]], dtype=np.float32)
    # top-left with the flipped kernel [[4, 3], [2, 1]]: 4 + 6 + 8 + 5 = 23
    expected = np.array([[23, 33], [53, 63]], dtype=np.float32)
    np.testing.assert_array_equal(convolve2d_loop(image, kernel), expected)
    np.testing.assert_array_equal(flip_kernel(kernel), [[4, 3], [2, 1]])


def test_loop_on_the_photo_equals_torch_and_filter2d_interior(photo, lesson_filters):
    kernel = lesson_filters[0].astype(np.float32)
    looped = correlate2d_loop(photo, kernel)
    assert looped.shape == (photo.shape[0] - 3, photo.shape[1] - 3)
    np.testing.assert_allclose(looped, torch_valid(photo, kernel), atol=1e-5)
    # cv2.filter2D with its default anchor (the kernel's centre, (2, 2) for a
    # 4x4 kernel) reflects at the border; its interior is the valid map shifted.
    filtered = cv2.filter2D(photo, -1, kernel)
    interior = filtered[2 : 2 + looped.shape[0], 2 : 2 + looped.shape[1]]
    np.testing.assert_allclose(looped, interior, atol=1e-5)


@pytest.mark.parametrize("shape", [(4, 4), (3, 3), (2, 5), (1, 4)])
@pytest.mark.parametrize("torch_mode, cv2_border", [
    ("reflect", cv2.BORDER_REFLECT_101), ("replicate", cv2.BORDER_REPLICATE),
])
def test_padding_mode_reproduces_filter2d_border_included(photo, shape, torch_mode, cv2_border):
    # cv2.filter2D's default anchor is the kernel cell (kh // 2, kw // 2): that
    # many made-up rows / columns before the image, the rest after.
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=shape).astype(np.float32)
    image = photo[:60, :90]
    kh, kw = shape
    pad = (kw // 2, kw - 1 - kw // 2, kh // 2, kh - 1 - kh // 2)  # left, right, top, bottom
    x = F.pad(torch.from_numpy(image)[None, None], pad, mode=torch_mode)
    ours = F.conv2d(x, torch.from_numpy(kernel)[None, None])[0, 0].numpy()
    expected = cv2.filter2D(image, -1, kernel, borderType=cv2_border)
    assert ours.shape == image.shape
    np.testing.assert_allclose(ours, expected, atol=1e-5)


@pytest.mark.parametrize("shape", [(5, 7), (4, 4), (9, 3)])
def test_loop_equals_torch_on_random_images_and_kernels(shape):
    rng = np.random.default_rng(1)
    image = rng.normal(size=(12, 11)).astype(np.float32)
    kernel = rng.normal(size=shape).astype(np.float32)
    np.testing.assert_allclose(correlate2d_loop(image, kernel), torch_valid(image, kernel), atol=1e-5)
    flipped = torch_valid(image, kernel[::-1, ::-1].copy())
    np.testing.assert_allclose(convolve2d_loop(image, kernel), flipped, atol=1e-5)


def test_fast_equals_feature_maps_on_the_photo(photo, lesson_filters):
    fast = correlate2d_fast(photo, lesson_filters)
    conv, _ = feature_maps(photo, lesson_filters)
    assert fast.shape == conv.shape == (4, photo.shape[0] - 3, photo.shape[1] - 3)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, conv, atol=1e-5)


def test_fast_equals_feature_maps_for_odd_and_rectangular_kernels():
    rng = np.random.default_rng(2)
    image = rng.random((30, 41)).astype(np.float32)
    for shape in [(3, 3), (5, 2), (1, 7)]:
        kernels = rng.normal(size=(2, *shape)).astype(np.float32)
        np.testing.assert_allclose(correlate2d_fast(image, kernels), feature_maps(image, kernels)[0], atol=1e-5)


def test_bad_input_is_refused_with_a_clear_message(photo):
    with pytest.raises(ValueError, match="one 2-D kernel"):
        correlate2d_loop(photo, np.ones((2, 3, 3)))
    with pytest.raises(ValueError, match="larger than the image"):
        correlate2d_loop(np.ones((3, 3)), np.ones((4, 4)))
    with pytest.raises(ValueError, match="2-D grayscale"):
        correlate2d_fast(np.ones((5, 5, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="finite"):
        correlate2d_loop(np.full((5, 5), np.nan), np.ones((2, 2)))
