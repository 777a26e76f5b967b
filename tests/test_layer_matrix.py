"""The layer in matrix form, forward and backward, against independent references:
explicit loops of the formula, ``F.conv2d``, ``F.fold``, ``torch.autograd`` and
``nn.ConvTranspose2d``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from convbook import col2im, conv2d_backward_matmul, conv2d_matmul, plot_conv_arithmetic

#: (N, C_in, H, W), (C_out, kh, kw), stride, padding
LAYERS = [
    ((2, 3, 8, 11), (8, 3, 3), 2, 1),
    ((1, 2, 7, 6), (3, 2, 4), 1, 2),
    ((3, 1, 9, 9), (2, 5, 5), 3, 0),
    ((2, 4, 5, 7), (5, 1, 1), 2, 0),
]


def random_layer(input_shape, weight_shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    images = torch.randn(input_shape, generator=generator, dtype=torch.float64)
    out_channels, kh, kw = weight_shape
    weight = torch.randn(out_channels, input_shape[1], kh, kw, generator=generator,
                         dtype=torch.float64)
    bias = torch.randn(out_channels, generator=generator, dtype=torch.float64)
    return images, weight, bias, generator


def formula_loop(images, weight, bias, stride, padding):
    """y[n, o, r, c] = b[o] + sum_i sum_u sum_v w[o, i, u, v] x_p[n, i, r*s + u, c*s + v]."""
    x_p = np.pad(images.numpy(), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    w = weight.numpy()
    n_images, channels, height, width = x_p.shape
    out_channels, _, kh, kw = w.shape
    out_h, out_w = (height - kh) // stride + 1, (width - kw) // stride + 1
    out = np.zeros((n_images, out_channels, out_h, out_w))
    for n, o, y, x in itertools.product(range(n_images), range(out_channels), range(out_h),
                                        range(out_w)):
        total = bias[o].item()
        for k in range(channels):
            for i in range(kh):
                for j in range(kw):
                    total += w[o, k, i, j] * x_p[n, k, y * stride + i, x * stride + j]
        out[n, o, y, x] = total
    return out


@pytest.mark.parametrize("input_shape, weight_shape, stride, padding", LAYERS)
def test_forward_matmul_equals_the_formula_loop_and_conv2d(input_shape, weight_shape, stride,
                                                           padding):
    images, weight, bias, _ = random_layer(input_shape, weight_shape)
    out = conv2d_matmul(images, weight, stride=stride, padding=padding, bias=bias)
    np.testing.assert_allclose(out.numpy(), formula_loop(images, weight, bias, stride, padding),
                               atol=1e-12)
    torch.testing.assert_close(out, F.conv2d(images, weight, bias, stride=stride,
                                             padding=padding))
    # Without a bias, as before.
    torch.testing.assert_close(conv2d_matmul(images, weight, stride=stride, padding=padding),
                               F.conv2d(images, weight, stride=stride, padding=padding))


@pytest.mark.parametrize("input_shape, weight_shape, stride, padding", LAYERS)
def test_backward_matmul_equals_autograd(input_shape, weight_shape, stride, padding):
    images, weight, bias, generator = random_layer(input_shape, weight_shape)
    x, w, b = (t.clone().requires_grad_(True) for t in (images, weight, bias))
    out = F.conv2d(x, w, b, stride=stride, padding=padding)
    grad_output = torch.randn(out.shape, generator=generator, dtype=torch.float64)
    out.backward(grad_output)
    grad_images, grad_weight, grad_bias = conv2d_backward_matmul(
        images, weight, grad_output, stride=stride, padding=padding)
    torch.testing.assert_close(grad_images, x.grad)
    torch.testing.assert_close(grad_weight, w.grad)
    torch.testing.assert_close(grad_bias, b.grad)


def test_backward_by_the_chain_rule_loop():
    # Each output value sends g * w[o, k, i, j] back to its input pixel and
    # g * x to its weight: an explicit loop over everything, batch of 2.
    images, weight, _, generator = random_layer((2, 2, 5, 6), (3, 3, 2))
    stride, padding = 2, 1
    out_h, out_w = (5 + 2 - 3) // 2 + 1, (6 + 2 - 2) // 2 + 1
    g = torch.randn(2, 3, out_h, out_w, generator=generator, dtype=torch.float64).numpy()
    x_p = np.pad(images.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    w = weight.numpy()
    grad_x_p, grad_w = np.zeros_like(x_p), np.zeros_like(w)
    for n, o, y, xx, k, i, j in itertools.product(range(2), range(3), range(out_h), range(out_w),
                                                   range(2), range(3), range(2)):
        grad_x_p[n, k, y * stride + i, xx * stride + j] += g[n, o, y, xx] * w[o, k, i, j]
        grad_w[o, k, i, j] += g[n, o, y, xx] * x_p[n, k, y * stride + i, xx * stride + j]
    grad_images, grad_weight, grad_bias = conv2d_backward_matmul(
        images, weight, torch.from_numpy(g), stride=stride, padding=padding)
    np.testing.assert_allclose(grad_images.numpy(), grad_x_p[:, :, 1:-1, 1:-1], atol=1e-12)
    np.testing.assert_allclose(grad_weight.numpy(), grad_w, atol=1e-12)
    np.testing.assert_allclose(grad_bias.numpy(), g.sum(axis=(0, 2, 3)), atol=1e-12)


@pytest.mark.parametrize("image_size, kernel, stride, padding",
                         [((8, 11), 3, 2, 1), ((6, 7), (2, 3), 1, 0), ((9, 5), (4, 2), 3, 2)])
def test_col2im_equals_fold_and_undoes_unfold_on_a_count_of_ones(image_size, kernel, stride,
                                                                padding):
    generator = torch.Generator().manual_seed(3)
    images = torch.randn(2, 3, *image_size, generator=generator, dtype=torch.float64)
    columns = F.unfold(images, kernel, stride=stride, padding=padding)
    noise = torch.randn(columns.shape, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(col2im(noise, image_size, kernel, stride=stride, padding=padding),
                               F.fold(noise, image_size, kernel, stride=stride, padding=padding))
    # Folding the unfolded image gives each pixel times the number of patches
    # it is in (counted by an explicit loop over the patches).
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    counts = np.zeros(image_size)
    for top in range(-padding, image_size[0] + padding - kh + 1, stride):
        for left in range(-padding, image_size[1] + padding - kw + 1, stride):
            counts[max(top, 0):top + kh, max(left, 0):left + kw] += 1
    torch.testing.assert_close(
        col2im(columns, image_size, kernel, stride=stride, padding=padding),
        images * torch.from_numpy(counts))


def test_input_gradient_is_conv_transpose2d_with_the_same_weight():
    images, weight, _, generator = random_layer((2, 3, 8, 11), (8, 3, 3))
    grad_output = torch.randn(2, 8, 4, 6, generator=generator, dtype=torch.float64)
    grad_images, _, _ = conv2d_backward_matmul(images, weight, grad_output, stride=2, padding=1)
    layer = torch.nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1, output_padding=(1, 0),
                                     bias=False, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(weight)
        torch.testing.assert_close(layer(grad_output), grad_images)


@pytest.mark.parametrize("call, message", [
    (lambda: col2im(torch.ones(1, 9, 5), (4, 4), 3), r"^columns of shape \(1, 9, 5\) do not fit"),
    (lambda: col2im(torch.ones(9, 4), (4, 4), 3), r"^columns must be a 3-D tensor"),
    (lambda: col2im(torch.ones(1, 9, 4), (4, 0), 3), r"^image_size\[1\] must be an integer"),
    (lambda: col2im(torch.ones(1, 9, 4), (4, 4), 3, stride=0), r"^stride must be an integer"),
    (lambda: conv2d_backward_matmul(torch.ones(1, 2, 4, 4), torch.ones(3, 1, 3, 3),
                                    torch.ones(1, 3, 2, 2)), r"^weight must have as many input"),
    (lambda: conv2d_backward_matmul(torch.ones(1, 2, 4, 4), torch.ones(3, 2, 3, 3),
                                    torch.ones(1, 3, 3, 3)), r"^grad_output must have the layer"),
    (lambda: conv2d_backward_matmul(torch.ones(1, 2, 4, 4), torch.ones(3, 2, 3, 3),
                                    torch.ones(1, 3, 2, 2), padding=-1),
     r"^padding must be an integer >= 0"),
    (lambda: conv2d_matmul(torch.ones(1, 2, 4, 4), torch.ones(3, 2, 3, 3), padding=-1),
     r"^padding must be an integer >= 0"),
    (lambda: conv2d_matmul(torch.ones(1, 2, 4, 4), torch.ones(3, 2, 3, 3), bias=torch.ones(2)),
     r"^bias must have one value per filter"),
    (lambda: conv2d_matmul(torch.ones(1, 2, 2, 2), torch.ones(3, 2, 5, 5), padding=1),
     r"^weight's kernels \(5x5\) are larger"),
    (lambda: plot_conv_arithmetic(3, 4), r"^kernel_size 4 does not fit"),
    (lambda: plot_conv_arithmetic(3, 3, padding=3, transposed=True), r"^padding must be at most"),
    (lambda: plot_conv_arithmetic(4, 3, positions=[(2, 0)]), r"^positions must be"),
])
def test_bad_input_is_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def window_and_current(fig: Figure):
    """Per panel: the outlined window's (left, bottom, size) and the dark output cell."""
    found = []
    for ax in fig.axes:
        rectangles = [p for p in ax.patches if isinstance(p, Rectangle)]
        window = [p for p in rectangles if p.get_alpha() is not None]
        current = [p for p in rectangles if to_hex(p.get_facecolor()) == "#1b7837"]
        assert len(window) == 1 and len(current) == 1
        found.append((window[0].get_xy(), window[0].get_width(), current[0].get_xy()))
    return found


@pytest.mark.parametrize("options, sheet, out_size", [
    (dict(input_size=4, kernel_size=3), 4, 2),
    (dict(input_size=5, kernel_size=3, stride=2, padding=1), 7, 3),
    (dict(input_size=3, kernel_size=3, stride=2, padding=1, transposed=True), 7, 5),
])
def test_arithmetic_figures_draw_the_sheet_the_window_and_the_output(options, sheet, out_size):
    fig = plot_conv_arithmetic(**options)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert fig.get_facecolor()[3] == 1  # opaque, readable in dark mode
    # The output size against PyTorch's.
    layer = (torch.nn.ConvTranspose2d if options.get("transposed") else torch.nn.Conv2d)(
        1, 1, options["kernel_size"], stride=options.get("stride", 1),
        padding=options.get("padding", 0))
    assert layer(torch.ones(1, 1, options["input_size"], options["input_size"])).shape[-1] == out_size
    step = 1 if options.get("transposed") else options.get("stride", 1)
    for index, (xy, width, cell) in enumerate(window_and_current(fig)):
        row, col = divmod(index, out_size)
        k = options["kernel_size"]
        assert width == k
        assert xy == (col * step, sheet - row * step - k)
        assert cell == ((sheet - out_size) / 2 + col, sheet + 1.4 + out_size - 1 - row)
    # The sheet's blue cells are the real inputs: as many as the input has.
    ax = fig.axes[0]
    blue = [p for p in ax.patches if to_hex(p.get_facecolor()) == "#9ec9e8"]
    assert len(blue) == options["input_size"] ** 2
