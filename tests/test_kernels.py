"""Classic kernels, their composition and the named filter sets."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convbook import (
    FILTER_SETS,
    classic_kernels,
    compose_kernels,
    correlate2d_fast,
    edge_filters,
    filter_set,
)


def test_classic_kernels_by_hand():
    k = classic_kernels()
    np.testing.assert_array_equal(k["sobel_x"], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(k["sobel_y"], [[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    assert k["blur"].sum() == pytest.approx(1.0)
    assert k["sharpen"].sum() == pytest.approx(1.0)
    assert k["laplacian"].sum() == 0
    assert set(k) == {"sobel_x", "sobel_y", "blur", "sharpen", "laplacian"}


def test_sobel_x_equals_cv2_sobel_on_the_photo_interior(photo):
    ours = correlate2d_fast(photo, classic_kernels()["sobel_x"])[0]
    reference = cv2.Sobel(photo, cv2.CV_32F, 1, 0, ksize=3)
    np.testing.assert_allclose(ours, reference[1:-1, 1:-1], atol=1e-5)
    ours_y = correlate2d_fast(photo, classic_kernels()["sobel_y"])[0]
    np.testing.assert_allclose(ours_y, cv2.Sobel(photo, cv2.CV_32F, 0, 1, ksize=3)[1:-1, 1:-1], atol=1e-5)


def test_sobel_names_follow_columns_for_x_and_rows_for_y():
    # x is the column index (left to right), y the row index (top to bottom);
    # Gonzalez & Woods call the row direction x, so their g_x is sobel_y.
    k = classic_kernels()
    ramp_right = np.tile(np.arange(6, dtype=np.float32), (6, 1))    # brighter to the right
    ramp_down = ramp_right.T.copy()                                    # brighter downwards
    assert np.all(correlate2d_fast(ramp_right, k["sobel_x"]) == 8)   # (1 + 2 + 1) * 2 per step
    assert np.all(correlate2d_fast(ramp_right, k["sobel_y"]) == 0)
    assert np.all(correlate2d_fast(ramp_down, k["sobel_y"]) == 8)
    assert np.all(correlate2d_fast(ramp_down, k["sobel_x"]) == 0)
    np.testing.assert_array_equal(k["sobel_y"], k["sobel_x"].T)


def test_blur_equals_cv2_blur_interior(photo):
    ours = correlate2d_fast(photo, classic_kernels()["blur"])[0]
    np.testing.assert_allclose(ours, cv2.blur(photo, (3, 3))[1:-1, 1:-1], atol=1e-5)


def test_composed_kernel_equals_two_passes(photo):
    k = classic_kernels()
    two_passes = correlate2d_fast(correlate2d_fast(photo, k["blur"])[0], k["sobel_x"])[0]
    combined = compose_kernels(k["blur"], k["sobel_x"])
    assert combined.shape == (5, 5)
    np.testing.assert_allclose(correlate2d_fast(photo, combined)[0], two_passes, atol=1e-5)


def test_compose_by_hand():
    # [1, 1] then [1, -1]: (x[c] + x[c+1]) - (x[c+1] + x[c+2]) = x[c] - x[c+2]
    np.testing.assert_array_equal(compose_kernels([[1, 1]], [[1, -1]]), [[1, 0, -1]])


def test_filter_sets():
    filters, titles = filter_set("lesson")
    np.testing.assert_array_equal(filters, edge_filters())
    assert titles == ["Filter 1", "Filter 2", "Filter 3", "Filter 4"]
    for name in FILTER_SETS:
        filters, titles = filter_set(name)
        assert filters.ndim == 3 and len(titles) == len(filters)
    sobel, _ = filter_set("sobel")
    np.testing.assert_array_equal(sobel[1], -classic_kernels()["sobel_x"])
    with pytest.raises(ValueError, match="must be one of lesson, sobel, blur, laplacian; got 'emboss'"):
        filter_set("emboss")


@pytest.mark.parametrize("first, second", [((2, 3), (3, 1)), ((1, 4), (2, 2)), ((3, 2), (1, 3))])
def test_compose_kernels_with_unequal_sides_equals_two_stacked_conv2d(first, second):
    rng = np.random.default_rng(sum(first) * 10 + sum(second))
    a, b = (rng.normal(size=shape).astype(np.float32) for shape in (first, second))
    image = torch.from_numpy(rng.random((1, 1, 11, 9)).astype(np.float32))
    two_layers = F.conv2d(F.conv2d(image, torch.from_numpy(a)[None, None]),
                          torch.from_numpy(b)[None, None])
    combined = compose_kernels(a, b)
    assert combined.shape == (first[0] + second[0] - 1, first[1] + second[1] - 1)
    one_layer = F.conv2d(image, torch.from_numpy(combined)[None, None])
    assert one_layer.shape == two_layers.shape
    torch.testing.assert_close(one_layer, two_layers, atol=1e-5, rtol=1e-5)
