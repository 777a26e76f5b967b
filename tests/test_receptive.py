"""Receptive fields: the formula against back-propagation through real stacks,
and the dilated output size against nn.Conv2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from torch import nn

from convbook import (
    compose_kernels,
    conv_stack,
    dilate_kernel,
    dilated_output_size,
    nonzero_box,
    plot_effective_receptive_field,
    plot_receptive_fields,
    receptive_field_size,
    receptive_field_table,
    unit_input_gradient,
)


def brute_force_field(layers) -> int:
    """The receptive field along one axis, by enumerating which input positions
    the first output value reaches: no formula, only the definition."""
    reached = {0}                          # positions of output value 0, in its own layer
    for kernel, stride, dilation in reversed(layers):
        reached = {p * stride + t * dilation for p in reached for t in range(kernel)}
    return max(reached) - min(reached) + 1


STACKS = [
    [(3, 1, 1)],
    [(3, 1, 1), (3, 1, 1)],
    [(4, 1, 1), (2, 2, 1)],
    [(3, 2, 1), (3, 2, 1), (3, 1, 1)],
    [(5, 2, 1), (3, 1, 2), (3, 1, 1)],
    [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
    [(2, 1, 3), (3, 3, 1), (2, 1, 1)],
    [(7, 4, 1), (3, 1, 1)],
]


def test_table_by_hand():
    rows = receptive_field_table([(3, 1, 1), (3, 2, 1), (3, 1, 1), (3, 1, 2)])
    assert [row.size for row in rows] == [3, 5, 9, 17]
    assert [row.input_spacing for row in rows] == [1, 1, 2, 2]
    assert rows[1].stride == 2 and rows[3].dilation == 2


def test_short_tuples_and_plain_ints_default_to_stride_and_dilation_one():
    assert receptive_field_size([3, (3,), (3, 1)]) == 7


@pytest.mark.parametrize("layers", STACKS)
def test_formula_equals_enumeration(layers):
    assert receptive_field_size(layers) == brute_force_field(layers)


@pytest.mark.parametrize("layers", STACKS)
def test_formula_equals_the_measured_gradient(layers):
    size = receptive_field_size(layers)
    image = np.ones((size + 9, size + 9), dtype=np.float32)
    grad = unit_input_gradient(conv_stack(layers, channels=2, seed=3), image, row=0, col=0)
    top, left, height, width = nonzero_box(grad)
    assert (top, left) == (0, 0)
    assert (height, width) == (size, size)


def test_one_hot_gradient_of_a_single_channel_stack_is_its_composed_kernel():
    stack = conv_stack([(3, 1, 1), (2, 1, 1), (3, 1, 1)], channels=1, seed=5)
    kernels = [layer.weight.detach().numpy()[0, 0] for layer in stack]
    composed = compose_kernels(compose_kernels(kernels[0], kernels[1]), kernels[2])
    grad = unit_input_gradient(stack, np.zeros((10, 10), dtype=np.float32), row=2, col=1)
    np.testing.assert_allclose(grad[2:8, 1:7], composed, rtol=1e-5)
    assert np.count_nonzero(grad) == 36


def test_dilated_single_layer_has_holes():
    grad = unit_input_gradient(conv_stack([(3, 1, 2)]), np.ones((9, 9), dtype=np.float32))
    assert nonzero_box(grad)[2:] == (5, 5)
    assert np.count_nonzero(grad) == 9


def test_conv_stack_is_seeded_positive_and_leaves_the_global_seed_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = conv_stack([(3, 1, 1), (3, 2, 1)], channels=4, seed=7)
    assert torch.equal(torch.rand(1), expected_next)
    second = conv_stack([(3, 1, 1), (3, 2, 1)], channels=4, seed=7)
    for a, b in zip(first, second):
        assert torch.equal(a.weight, b.weight)
        assert a.weight.min() >= 0.1 and a.bias is None
    assert first[0].in_channels == 1 and first[1].out_channels == 4 and first[1].stride == (2, 2)


@pytest.mark.parametrize("W", [5, 8, 13])
@pytest.mark.parametrize("K", [1, 2, 3, 4])
@pytest.mark.parametrize("P", [0, 1, 3])
@pytest.mark.parametrize("S", [1, 2, 3])
@pytest.mark.parametrize("D", [1, 2, 4])
def test_dilated_output_size_equals_conv2d(W, K, P, S, D):
    if D * (K - 1) + 1 > W + 2 * P:
        with pytest.raises(ValueError, match="does not fit"):
            dilated_output_size(W, K, P, S, D)
        return
    with torch.no_grad():
        out = torch.nn.functional.conv2d(torch.zeros(1, 1, W, W), torch.zeros(1, 1, K, K),
                                         stride=S, padding=P, dilation=D)
    assert dilated_output_size(W, K, P, S, D) == out.shape[-1]


def test_dilated_output_size_by_hand():
    # 3 taps, dilation 2: they span 5 pixels; an input of 7 has 3 positions.
    assert dilated_output_size(7, 3, dilation=2) == 3
    assert dilated_output_size(7, 3, padding=1, stride=2, dilation=2) == 3


def test_dilate_kernel_matches_conv2d_dilation():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 2)).astype(np.float32)
    spread = dilate_kernel(kernel, 3)
    assert spread.shape == (7, 4)
    assert spread[3, 3] == kernel[1, 1] and spread[1, 0] == 0
    x = torch.from_numpy(rng.normal(size=(1, 1, 12, 11)).astype(np.float32))
    by_dilation = torch.nn.functional.conv2d(x, torch.from_numpy(kernel)[None, None], dilation=3)
    by_spread = torch.nn.functional.conv2d(x, torch.from_numpy(spread)[None, None])
    torch.testing.assert_close(by_dilation, by_spread)


def test_nonzero_box():
    values = np.zeros((6, 7))
    values[1, 4] = 2
    values[3, 2] = -1
    assert nonzero_box(values) == (1, 2, 3, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: receptive_field_table([]), "non-empty"),
        (lambda: receptive_field_table("3"), "non-empty"),
        (lambda: receptive_field_table([(3, 0)]), r"layers\[0\] stride"),
        (lambda: receptive_field_table([(3, 1, 1), (2.5,)]), r"layers\[1\] kernel"),
        (lambda: receptive_field_table([(3, 1, 1, 1)]), r"layers\[0\] must be"),
        (lambda: receptive_field_table([(True,)]), "kernel"),
        (lambda: dilated_output_size(0, 3), "size"),
        (lambda: dilated_output_size(5, 3, dilation=0), "dilation"),
        (lambda: dilated_output_size(5, 3, padding=-1), "padding"),
        (lambda: dilate_kernel(np.ones(3), 2), "kernel"),
        (lambda: dilate_kernel([[1.0, np.nan]], 2), "finite"),
        (lambda: dilate_kernel(np.ones((2, 2)), 0), "dilation"),
        (lambda: conv_stack([(3,)], channels=0), "channels"),
        (lambda: nonzero_box(np.zeros((3, 3))), "nonzero"),
        (lambda: nonzero_box([[1.0, np.inf]]), "finite"),
        (lambda: unit_input_gradient(conv_stack([(3,)]), np.ones((5, 5)), row=3), "row"),
        (lambda: unit_input_gradient(conv_stack([(3,)]), np.full((5, 5), np.nan)), "finite"),
        (lambda: plot_receptive_fields(np.ones((5, 5)), [np.ones((4, 5))], ["a"]), "shape"),
        (lambda: plot_receptive_fields(np.ones((5, 5)), [np.ones((5, 5))], []), "title"),
        (lambda: plot_effective_receptive_field(np.zeros((5, 5))), "nonzero"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_figures_are_white_and_their_numbers_readable():
    grads = [unit_input_gradient(conv_stack([(3,)] * d), np.ones((9, 9), dtype=np.float32))
             for d in (1, 2)]
    figures = [
        plot_receptive_fields(np.full((9, 9), 0.5), grads, ["1 layer: 3 x 3", "2 layers: 5 x 5"]),
        plot_effective_receptive_field(
            unit_input_gradient(conv_stack([(3,)] * 6), np.ones((15, 15), dtype=np.float32))),
    ]
    for fig in figures:
        assert isinstance(fig, Figure)
        assert to_rgba(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
        fig.canvas.draw()
        for ax in fig.axes:
            for text in [*ax.texts, *ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]:
                if any(ch.isdigit() for ch in text.get_text()):
                    assert text.get_fontsize() >= 1.4 * fig.get_figwidth(), text.get_text()
    # The outline of each panel is the measured box: 3 and 5 pixels wide.
    widths = [ax.patches[0].get_width() for ax in figures[0].axes]
    assert widths == [3, 5]


def test_receptive_field_figure_frames_each_pixel_of_a_dilated_field():
    # A 3x3 layer with dilation 2: 9 pixels, one apart, in a 5x5 box.
    grad = unit_input_gradient(conv_stack([(3, 1, 2)]), np.ones((9, 9), dtype=np.float32))
    fig = plot_receptive_fields(np.full((9, 9), 0.5), [grad], ["dilation 2"])
    ax = fig.axes[0]
    frames = [p for p in ax.patches if p.get_width() == 1 and p.get_height() == 1]
    corners = sorted((int(p.get_y() + 0.5), int(p.get_x() + 0.5)) for p in frames)
    assert corners == sorted(zip(*map(list, np.nonzero(grad))))
    rows, cols = zip(*corners)
    assert len(corners) == 9 and sorted(set(rows)) == [2, 4, 6] and sorted(set(cols)) == [2, 4, 6]
    # The tint is nearly opaque where the field is, transparent in its holes.
    tint = ax.images[1].get_array()
    assert tint[2, 2, 3] >= 0.8 and tint[3, 3, 3] == 0


@pytest.mark.parametrize("kernel, stride, padding, dilation", [
    ((2, 3), (1, 2), (0, 1), (3, 1)), ((3, 1), (2, 1), (2, 0), (1, 4)),
    ((1, 4), (3, 2), (1, 3), (2, 2)), ((4, 2), (1, 3), (0, 0), (2, 5)),
])
def test_dilated_output_size_uses_each_axis_own_settings(kernel, stride, padding, dilation):
    # nn.Conv2d with a different kernel, stride, padding and dilation per
    # axis: each output side is the formula with that axis's settings only.
    height, width = 14, 11
    with torch.no_grad():
        out = torch.nn.functional.conv2d(torch.zeros(1, 1, height, width),
                                         torch.zeros(1, 1, *kernel), stride=stride,
                                         padding=padding, dilation=dilation)
    for axis, size in enumerate((height, width)):
        assert dilated_output_size(size, kernel[axis], padding[axis], stride[axis],
                                   dilation[axis]) == out.shape[2 + axis]
