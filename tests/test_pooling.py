"""Max and average pooling against nn.MaxPool2d / nn.AvgPool2d and by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from convbook import avg_pool, feature_maps, max_pool, pool_output_shape


def test_pooling_by_hand():
    maps = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 7, 8], [0, 1, 6, 9], [9, 9, 9, 9]], dtype=np.float32)
    np.testing.assert_array_equal(max_pool(maps), [[4, 5], [1, 9]])
    np.testing.assert_array_equal(avg_pool(maps), [[2.5, 1.75], [0.25, 7.5]])


def test_on_the_activated_maps_equals_torch(photo, lesson_filters):
    _, activated = feature_maps(photo, lesson_filters)
    x = torch.from_numpy(activated)[None]
    expected_max = nn.MaxPool2d(2, 2)(x)[0].numpy()
    expected_avg = nn.AvgPool2d(2, 2)(x)[0].numpy()
    got_max, got_avg = max_pool(activated), avg_pool(activated)
    assert got_max.shape == expected_max.shape == (4, activated.shape[1] // 2, activated.shape[2] // 2)
    np.testing.assert_array_equal(got_max, expected_max)
    np.testing.assert_allclose(got_avg, expected_avg, atol=1e-6)


@pytest.mark.parametrize("size, stride", [(3, 3), (3, 2), (2, 1)])
def test_other_windows_equal_torch(size, stride):
    rng = np.random.default_rng(3)
    maps = rng.normal(size=(2, 13, 10)).astype(np.float32)
    x = torch.from_numpy(maps)[None]
    expected_max = nn.MaxPool2d(size, stride)(x)[0].numpy()
    expected_avg = nn.AvgPool2d(size, stride)(x)[0].numpy()
    got_max, got_avg = max_pool(maps, size, stride), avg_pool(maps, size, stride)
    # Shapes first (against torch, not against pool_output_shape, which
    # max_pool itself uses), then every value.
    assert got_max.shape == got_avg.shape == expected_max.shape == expected_avg.shape
    np.testing.assert_array_equal(got_max, expected_max)
    np.testing.assert_allclose(got_avg, expected_avg, atol=1e-6)


def test_bad_window_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        max_pool(np.ones((1, 3)), 2)
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        pool_output_shape(4, 4, 0)


@pytest.mark.parametrize("height, width", [(2, 2), (5, 9), (13, 10), (16, 7)])
@pytest.mark.parametrize("size, stride", [(2, None), (2, 1), (3, 2), (2, 3), (5, 5)])
def test_pool_output_shape_equals_torch(height, width, size, stride):
    if size > min(height, width):
        with pytest.raises(ValueError, match="does not fit"):
            pool_output_shape(height, width, size, stride)
        return
    x = torch.zeros(1, 1, height, width)
    expected = tuple(nn.MaxPool2d(size, stride)(x).shape[2:])
    assert pool_output_shape(height, width, size, stride) == expected


def test_each_window_by_explicit_loop():
    # Overlapping windows (size 3, stride 2): every output value is the max
    # (mean) of its own 3x3 window, found by loops over the windows.
    rng = np.random.default_rng(5)
    maps = rng.normal(size=(2, 9, 8)).astype(np.float32)
    got_max, got_avg = max_pool(maps, 3, 2), avg_pool(maps, 3, 2)
    assert got_max.shape == (2, 4, 3)
    for k in range(2):
        for r in range(4):
            for c in range(3):
                window = maps[k, 2 * r:2 * r + 3, 2 * c:2 * c + 3]
                assert got_max[k, r, c] == window.max()
                assert got_avg[k, r, c] == pytest.approx(window.mean(), abs=1e-6)


def test_max_pool_follows_shifts_by_its_stride_only():
    # Shifting a map by the stride (2) shifts the pooled map by exactly one;
    # a one-pixel shift changes it. Reference: nn.MaxPool2d on the shifted map.
    rng = np.random.default_rng(5)
    maps = rng.random((1, 20, 26)).astype(np.float32)
    pooled = max_pool(maps)[0]
    by_two = max_pool(maps[:, :, 2:])[0]
    np.testing.assert_array_equal(by_two, pooled[:, 1 : by_two.shape[1] + 1])
    torch_by_one = nn.MaxPool2d(2, 2)(torch.from_numpy(maps[:, :, 1:])[None])[0, 0].numpy()
    by_one = max_pool(maps[:, :, 1:])[0]
    np.testing.assert_array_equal(by_one, torch_by_one)
    assert not np.array_equal(by_one, pooled[:, : by_one.shape[1]])


def test_relu_commutes_with_max_pool_but_not_with_avg_pool():
    rng = np.random.default_rng(7)
    maps = rng.normal(size=(3, 10, 12)).astype(np.float32)
    maps[0, :2, :2] = -1.0  # a window that ReLU turns into four tied zeros
    relu = lambda a: np.maximum(a, 0)
    np.testing.assert_array_equal(max_pool(relu(maps)), relu(max_pool(maps)))
    assert max_pool(relu(maps))[0, 0, 0] == 0
    # By hand: mean(1, -1, 1, -1) = 0, but the mean after ReLU is 0.5.
    window = np.array([[1.0, -1.0], [-1.0, 1.0]])
    assert relu(avg_pool(window))[0, 0] == 0 and avg_pool(relu(window))[0, 0] == 0.5


def test_non_finite_maps_are_refused():
    bad = np.ones((4, 4))
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="maps must hold finite values only"):
        max_pool(bad)
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="maps must hold finite values only"):
        avg_pool(bad)
