"""convbook.Net and convbook.feature_maps against loops, OpenCV and hand values."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

import convbook


def correlate_loop(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Valid cross-correlation by explicit loops over every output position."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            total = 0.0
            for i in range(kh):
                for j in range(kw):
                    total += float(image[r + i, c + j]) * float(kernel[i, j])
            out[r, c] = total
    return out


def lesson_weight(filters: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(filters).unsqueeze(1).type(torch.FloatTensor)


def test_net_prints_as_the_lesson_shows(lesson_filters):
    assert str(convbook.Net(lesson_weight(lesson_filters))) == (
        "Net(\n"
        "  (conv): Conv2d(1, 4, kernel_size=(4, 4), stride=(1, 1), bias=False)\n"
        ")"
    )


def test_net_layer_has_one_output_channel_per_filter():
    weight = torch.ones(3, 1, 2, 5)
    net = convbook.Net(weight)
    assert net.conv.in_channels == 1 and net.conv.out_channels == 3
    assert net.conv.kernel_size == (2, 5) and net.conv.bias is None
    assert net.conv.weight.data_ptr() == weight.data_ptr()


def test_net_forward_against_explicit_loop(lesson_filters):
    rng = np.random.default_rng(1)
    image = rng.random((9, 11), dtype=np.float32)
    conv_x, activated_x = convbook.Net(lesson_weight(lesson_filters))(
        torch.from_numpy(image)[None, None]
    )
    assert conv_x.shape == (1, 4, 6, 8)
    for k in range(4):
        expected = correlate_loop(image, lesson_filters[k])
        np.testing.assert_allclose(conv_x[0, k].detach().numpy(), expected, atol=1e-5)
        np.testing.assert_allclose(
            activated_x[0, k].detach().numpy(), np.maximum(expected, 0), atol=1e-5
        )


def test_feature_maps_hand_computed_values(lesson_filters):
    # Dark left two columns, bright right three: filter 1 sees the edge.
    image = np.array([[0, 0, 1, 1, 1]] * 4, dtype=np.float32)
    conv, activated = convbook.feature_maps(image, lesson_filters)
    # position 0: -(0+0)+(1+1) per row = 2, times 4 rows = 8;
    # position 1: -(0+1)+(1+1) = 1 per row, = 4.
    np.testing.assert_array_equal(conv[0], [[8, 4]])
    np.testing.assert_array_equal(conv[1], [[-8, -4]])
    np.testing.assert_array_equal(conv[2], [[0, 0]])  # no horizontal edge
    np.testing.assert_array_equal(activated[1], [[0, 0]])
    np.testing.assert_array_equal(activated[0], [[8, 4]])


def test_feature_maps_against_opencv_on_the_photo(photo, lesson_filters):
    conv, activated = convbook.feature_maps(photo, lesson_filters)
    height, width = photo.shape
    assert conv.shape == activated.shape == (4, height - 3, width - 3)
    assert conv.dtype == activated.dtype == np.float32
    for k in range(4):
        # filter2D correlates; anchor (0, 0) puts the kernel's top-left on the
        # output pixel, so the valid part is the top-left (H-3, W-3) block.
        reference = cv2.filter2D(
            photo, cv2.CV_32F, lesson_filters[k].astype(np.float32), anchor=(0, 0),
            borderType=cv2.BORDER_REFLECT,
        )[: height - 3, : width - 3]
        np.testing.assert_allclose(conv[k], reference, atol=1e-4)
        np.testing.assert_array_equal(activated[k], np.maximum(conv[k], 0))


def test_feature_maps_against_loop_for_non_square_kernel():
    rng = np.random.default_rng(2)
    image = rng.random((7, 6))
    kernel = rng.normal(size=(2, 3))
    conv, _ = convbook.feature_maps(image, kernel)
    assert conv.shape == (1, 6, 4)
    np.testing.assert_allclose(conv[0], correlate_loop(image.astype(np.float32), kernel.astype(np.float32)), atol=1e-5)


@pytest.mark.parametrize(
    ("image", "filters", "message"),
    [
        (np.zeros((8, 8, 3)), np.ones((3, 3)), r"2-D grayscale array \(H, W\), got a 3-D colour array of shape \(8, 8, 3\)"),
        (np.zeros(8), np.ones((3, 3)), r"2-D grayscale array \(H, W\), got 1-D"),
        (np.zeros((0, 5)), np.ones((3, 3)), r"image must not be empty"),
        (np.zeros((8, 8)), np.ones(3), r"filters must be one 2-D kernel \(kh, kw\) or a stack of them \(n, kh, kw\), got an array of shape \(3,\)"),
        (np.zeros((8, 8)), np.ones((2, 2, 3, 3)), r"got an array of shape \(2, 2, 3, 3\)"),
        (np.zeros((3, 8)), np.ones((4, 4)), r"kernel of size 4x4 is larger than the image of size 3x8"),
        (np.full((8, 8), np.nan), np.ones((3, 3)), r"image must hold finite values only, got 64 NaN"),
        (np.zeros((8, 8)), np.full((3, 3), np.inf), r"filters must hold finite values only"),
        (np.array([["a", "b"]]), np.ones((1, 1)), r"image must be a numeric array"),
    ],
)
def test_feature_maps_rejects_bad_input(image, filters, message):
    with pytest.raises(ValueError, match=message):
        convbook.feature_maps(image, filters)


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (np.ones((4, 1, 4, 4)), r"torch.Tensor of shape \(n, 1, kh, kw\), got ndarray"),
        (torch.ones(4, 4, 4), r"got shape \(4, 4, 4\)"),
        (torch.ones(4, 3, 4, 4), r"got shape \(4, 3, 4, 4\)"),
        (torch.ones(4, 1, 4, 4, dtype=torch.int64), r"floating-point tensor, got torch.int64"),
    ],
)
def test_net_rejects_bad_weight(weight, message):
    with pytest.raises(ValueError, match=message):
        convbook.Net(weight)


def test_net_weights_are_set_not_frozen(lesson_filters):
    # nn.Parameter keeps requires_grad=True: the hand-made weights train.
    net = convbook.Net(lesson_weight(lesson_filters))
    assert net.conv.weight.requires_grad
    rng = np.random.default_rng(3)
    image = rng.random((6, 7), dtype=np.float32)
    conv_x, _ = net(torch.from_numpy(image)[None, None])
    conv_x.sum().backward()
    # d(sum of one map)/d(weight[i, j]) is the sum of the pixels that weight
    # meets at every position: a 3x4 block of the image, by explicit loops.
    expected = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            for r in range(3):
                for c in range(4):
                    expected[i, j] += image[r + i, c + j]
    for k in range(4):
        np.testing.assert_allclose(net.conv.weight.grad[k, 0].numpy(), expected, rtol=1e-5)
    before = net.conv.weight.detach().clone()
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    np.testing.assert_allclose(
        (before - net.conv.weight.detach())[0, 0].numpy(), 0.1 * expected, rtol=1e-5
    )


def test_net_weights_can_be_frozen(lesson_filters):
    net = convbook.Net(lesson_weight(lesson_filters))
    net.conv.weight.requires_grad_(False)
    conv_x, _ = net(torch.ones(1, 1, 5, 5))
    assert not conv_x.requires_grad
    assert net.conv.weight.grad is None


@pytest.mark.parametrize(
    ("bad_value", "message"),
    [(float("nan"), r"weight must hold finite values only, got 1 NaN and 0 infinite"),
     (float("inf"), r"got 0 NaN and 1 infinite"),
     (float("-inf"), r"got 0 NaN and 1 infinite")],
)
def test_net_rejects_non_finite_weight(bad_value, message):
    weight = torch.ones(2, 1, 3, 3)
    weight[1, 0, 2, 2] = bad_value
    with pytest.raises(ValueError, match=message):
        convbook.Net(weight)


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf, 1e39], ids=["nan", "inf", "-inf", "1e39"])
@pytest.mark.parametrize("argument", ["image", "filters"])
def test_feature_maps_rejects_a_non_finite_value_in_either_argument(argument, bad_value, lesson_filters):
    # NaN in the filters as well as in the image, infinity in both: a NaN
    # must never come back as a feature map.
    arguments = {"image": np.zeros((8, 8)), "filters": lesson_filters.astype(float)}
    arguments[argument].flat[5] = bad_value
    with pytest.raises(ValueError, match=rf"^{argument} must hold finite values only, got 1 "):
        convbook.feature_maps(**arguments)
