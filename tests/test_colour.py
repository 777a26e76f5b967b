"""Colour input: load_colour, per-channel contributions, 1x1 convolution."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from convbook import (
    channel_contributions,
    colour_feature_maps,
    load_colour,
    load_grayscale,
    plot_colour_image,
    pointwise_conv,
    sample_image_path,
)


@pytest.fixture(scope="module")
def colour_photo():
    return load_colour(sample_image_path())


def test_load_colour_is_channels_first_rgb(colour_photo):
    bgr = cv2.imread(str(sample_image_path()))
    assert colour_photo.shape == (3, *bgr.shape[:2])
    assert colour_photo.dtype == np.float32
    np.testing.assert_allclose(colour_photo[0], bgr[..., 2] / 255, atol=1e-6)  # red
    np.testing.assert_allclose(colour_photo[2], bgr[..., 0] / 255, atol=1e-6)  # blue


def test_load_colour_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image file"):
        load_colour(tmp_path / "missing.jpg")
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="could not decode"):
        load_colour(junk)


def test_contributions_sum_to_nn_conv2d_output(colour_photo):
    rng = np.random.default_rng(4)
    weight = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    layer = nn.Conv2d(3, 2, 4, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        expected = layer(torch.from_numpy(colour_photo)[None])[0].numpy()
    np.testing.assert_allclose(colour_feature_maps(colour_photo, weight), expected, atol=1e-4)
    for out in range(2):
        parts = channel_contributions(colour_photo, weight[out])
        assert parts.shape == (3, colour_photo.shape[1] - 3, colour_photo.shape[2] - 3)
        np.testing.assert_allclose(parts.sum(axis=0), expected[out], atol=1e-4)


def test_contribution_of_a_channel_by_explicit_loop():
    rng = np.random.default_rng(5)
    image = rng.random((3, 6, 5)).astype(np.float32)
    kernel = rng.normal(size=(3, 2, 2)).astype(np.float32)
    parts = channel_contributions(image, kernel)
    for c in range(3):
        for r in range(5):
            for col in range(4):
                expected = float((image[c, r:r + 2, col:col + 2] * kernel[c]).sum())
                assert parts[c, r, col] == pytest.approx(expected, abs=1e-5)


def test_pointwise_conv_equals_1x1_conv2d_and_grayscale_weights(colour_photo):
    weights = np.array([[0.299, 0.587, 0.114], [1, -1, 0]], dtype=np.float32)
    layer = nn.Conv2d(3, 2, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weights)[:, :, None, None])
        expected = layer(torch.from_numpy(colour_photo)[None])[0].numpy()
    got = pointwise_conv(colour_photo, weights)
    assert got.shape == (2, *colour_photo.shape[1:])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # OpenCV's BGR -> gray uses these weights, so channel 0 is the gray photo
    # up to OpenCV's 8-bit rounding.
    gray = load_grayscale(sample_image_path())
    assert np.abs(got[0] - gray).max() <= 1 / 255 + 1e-6


def test_shape_mismatches_are_refused(colour_photo):
    with pytest.raises(ValueError, match=r"one 2-D kernel per input channel, shape \(3, kh, kw\)"):
        channel_contributions(colour_photo, np.ones((2, 3, 3)))
    with pytest.raises(ValueError, match=r"weight must have shape \(out, 3, kh, kw\)"):
        colour_feature_maps(colour_photo, np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"weights must have shape \(out, 3\)"):
        pointwise_conv(colour_photo, np.ones((2, 4)))
    with pytest.raises(ValueError, match="looks channels-last"):
        pointwise_conv(colour_photo.transpose(1, 2, 0), np.ones((1, 3)))


def test_plot_colour_image_shows_the_rgb_array(colour_photo):
    fig = plot_colour_image(colour_photo, "photo")
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (*colour_photo.shape[1:], 3)
    np.testing.assert_allclose(np.asarray(shown), colour_photo.transpose(1, 2, 0))
