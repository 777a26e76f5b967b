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
    np.testing.assert_array_equal(max_pool(maps, size, stride), nn.MaxPool2d(size, stride)(x)[0].numpy())
    np.testing.assert_allclose(avg_pool(maps, size, stride), nn.AvgPool2d(size, stride)(x)[0].numpy(), atol=1e-6)
    assert max_pool(maps, size, stride).shape[1:] == pool_output_shape(13, 10, size, stride)


def test_bad_window_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        max_pool(np.ones((1, 3)), 2)
    with pytest.raises(ValueError, match="size must be an integer >= 1"):
        pool_output_shape(4, 4, 0)
