"""FLOPs and activation memory of a convolutional layer against PyTorch's own counts.

The FLOP references are ``torch.utils.flop_counter.FlopCounterMode`` on a real
``nn.Conv2d`` (it counts 2 per multiply-add and leaves the bias out) and, for
the bias, the number of output values; the memory reference is a real
tensor's ``numel() * element_size()``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from convbook import activation_bytes, conv_flops

#: (N, C_in, H, W), C_out, kernel, keyword arguments of nn.Conv2d.
LAYERS = [
    ((1, 1, 28, 28), 4, 4, dict()),
    ((2, 3, 8, 11), 8, 3, dict(stride=2, padding=1)),
    ((3, 6, 10, 9), 4, (2, 5), dict(dilation=2, padding=(1, 2))),
    ((2, 8, 7, 7), 12, 3, dict(groups=4, padding="same")),
    ((1, 16, 6, 6), 16, 3, dict(groups=16, stride=2)),
    ((4, 5, 9, 13), 7, 1, dict(stride=(2, 3))),
]


def run_layer(input_shape, out_channels, kernel, options, *, bias):
    torch.manual_seed(0)
    layer = nn.Conv2d(input_shape[1], out_channels, kernel, bias=bias, **options)
    images = torch.randn(input_shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = layer(images)
    return layer, out, counter.get_total_flops()


@pytest.mark.parametrize("input_shape, out_channels, kernel, options", LAYERS)
def test_conv_flops_equal_the_flop_counter_and_the_bias_adds_one_per_output(
    input_shape, out_channels, kernel, options
):
    layer, out, counted = run_layer(input_shape, out_channels, kernel, options, bias=False)
    n, _, out_h, out_w = out.shape
    arguments = dict(in_channels=input_shape[1], out_channels=out_channels,
                     kernel_size=kernel, output_size=(out_h, out_w), batch=n,
                     groups=options.get("groups", 1))
    assert counted > 0
    assert conv_flops(**arguments, bias=False) == counted
    # With a bias, FlopCounterMode counts the same; the bias adds one
    # addition per output value.
    _, out_with_bias, counted_with_bias = run_layer(input_shape, out_channels, kernel, options,
                                                    bias=True)
    assert counted_with_bias == counted
    assert conv_flops(**arguments, bias=True) == counted + out_with_bias.numel()


def test_conv_flops_by_an_explicit_count_of_multiply_adds():
    # Count each multiplication of a grouped layer one by one: every output
    # value of group g multiplies (C_in / groups) * kh * kw weights.
    c_in, c_out, groups, (kh, kw), (out_h, out_w), batch = 6, 4, 2, (3, 2), (5, 7), 3
    multiplications = 0
    for _n in range(batch):
        for o in range(c_out):
            group = o // (c_out // groups)
            channels = range(group * c_in // groups, (group + 1) * c_in // groups)
            for _y in range(out_h):
                for _x in range(out_w):
                    multiplications += sum(1 for _k in channels for _i in range(kh) for _j in range(kw))
    outputs = batch * c_out * out_h * out_w
    assert conv_flops(c_in, c_out, (kh, kw), (out_h, out_w), batch=batch, groups=groups) == (
        2 * multiplications + outputs
    )
    # A square kernel and a square output as single ints.
    assert conv_flops(3, 8, 3, 4) == conv_flops(3, 8, (3, 3), (4, 4))


@pytest.mark.parametrize("input_shape, out_channels, kernel, options", LAYERS[:4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64])
def test_activation_bytes_equal_the_tensors_storage(input_shape, out_channels, kernel, options, dtype):
    _, out, _ = run_layer(input_shape, out_channels, kernel, options, bias=True)
    out = out.to(dtype)
    assert activation_bytes(tuple(out.shape), dtype=dtype) == out.numel() * out.element_size()
    numpy_name = {torch.float32: "float32", torch.float16: np.float16,
                  torch.float64: np.dtype("float64")}.get(dtype)
    if numpy_name is not None:
        assert activation_bytes(list(out.shape), dtype=numpy_name) == out.numel() * out.element_size()


def test_activation_bytes_default_is_float32():
    assert activation_bytes((2, 8, 4, 6)) == torch.zeros(2, 8, 4, 6).untyped_storage().nbytes()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(in_channels=0), r"^in_channels must be an integer >= 1"),
        (dict(out_channels=2.0), r"^out_channels must be an integer >= 1"),
        (dict(kernel_size=(3,)), r"^kernel_size must be two integers \(kh, kw\)"),
        (dict(kernel_size=(3, 0)), r"^kernel_size\[1\] must be an integer >= 1"),
        (dict(output_size=-1), r"^output_size must be an integer >= 1"),
        (dict(batch=True), r"^batch must be an integer >= 1"),
        (dict(groups=3), r"^in_channels \(4\) must be divisible by groups \(3\)"),
        (dict(groups=2, out_channels=5), r"^out_channels \(5\) must be divisible by groups \(2\)"),
        (dict(bias="yes"), r"^bias must be True or False"),
    ],
)
def test_conv_flops_refuses_bad_input(arguments, message):
    valid = dict(in_channels=4, out_channels=6, kernel_size=3, output_size=(5, 5))
    with pytest.raises(ValueError, match=message):
        conv_flops(**{**valid, **arguments})


@pytest.mark.parametrize(
    "shape, dtype, message",
    [
        ((), "float32", r"^shape must be a non-empty sequence"),
        ("2x3", "float32", r"^shape must be a non-empty sequence"),
        (5, "float32", r"^shape must be a non-empty sequence"),
        ((2, 0, 3), "float32", r"^shape\[1\] must be an integer >= 1, got 0"),
        ((2, 3.5), "float32", r"^shape\[1\] must be an integer >= 1"),
        ((2, 3), "not-a-type", r"^dtype must be a numeric type"),
        ((2, 3), None, r"^dtype must be a numeric type"),
        ((2, 3), "U5", r"^dtype must be a numeric type"),
    ],
)
def test_activation_bytes_refuses_bad_input(shape, dtype, message):
    with pytest.raises(ValueError, match=message):
        activation_bytes(shape, dtype=dtype)
