"""What a convolutional layer costs: arithmetic (FLOPs) and activation memory.

* :func:`conv_flops` -- floating-point operations of one ``nn.Conv2d``
  forward pass: two per multiply-add (one multiplication, one addition),
  plus one addition per output value for the bias;
* :func:`activation_bytes` -- bytes taken by a tensor of a given shape and
  element type, such as a layer's output kept for the backward pass.

Both take plain integers (shapes and sizes), so that a table of costs can be
written for layers that were never built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._validation import as_int, as_int_pair

__all__ = ["conv_flops", "activation_bytes"]


def _as_size_pair(value, name: str, labels: str) -> tuple[int, int]:
    # An int means a square size, as nn.Conv2d reads kernel_size=3.
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        size = as_int(value, name)
        return size, size
    return as_int_pair(value, name, labels=labels)


def conv_flops(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    output_size: int | tuple[int, int],
    *,
    batch: int = 1,
    groups: int = 1,
    bias: bool = True,
) -> int:
    """Floating-point operations of one forward pass of ``nn.Conv2d``.

    Each output value is a dot product of a filter with a patch: with
    ``groups`` groups, a filter sees ``in_channels / groups`` channels, so
    the dot product has ``(in_channels / groups) * kh * kw`` multiply-adds,
    each counted as 2 FLOPs. The bias adds one more operation per output
    value. In all::

        2 * batch * (in_channels / groups) * kh * kw * out_channels * H' * W'
        + (batch * out_channels * H' * W'  if bias)

    ``torch.utils.flop_counter.FlopCounterMode`` counts the first term only
    (it leaves the bias out): ``conv_flops(..., bias=False)`` is its count.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``, each divisible by ``groups``.
    kernel_size : int or tuple of int, (kh, kw)
        An int means a square kernel.
    output_size : int or tuple of int, (H', W')
        The size of each output map (an int means square); stride, padding
        and dilation act through it only.
    batch : int
        Number of images ``N`` in the batch, at least 1.
    groups : int
        ``groups`` of ``nn.Conv2d``, at least 1.
    bias : bool
        Whether the layer adds a bias.

    Returns
    -------
    int
        The FLOP count, as a Python int (no overflow).

    Raises
    ------
    ValueError
        For a size or count that is not a positive integer, or channel
        counts that ``groups`` does not divide.
    """
    in_channels = as_int(in_channels, "in_channels")
    out_channels = as_int(out_channels, "out_channels")
    kh, kw = _as_size_pair(kernel_size, "kernel_size", "(kh, kw)")
    out_h, out_w = _as_size_pair(output_size, "output_size", "(H', W')")
    batch = as_int(batch, "batch")
    groups = as_int(groups, "groups")
    if not isinstance(bias, (bool, np.bool_)):
        raise ValueError(f"bias must be True or False, got {bias!r}")
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise ValueError(f"{name} ({count}) must be divisible by groups ({groups})")
    outputs = batch * out_channels * out_h * out_w
    multiply_adds = outputs * (in_channels // groups) * kh * kw
    return 2 * multiply_adds + (outputs if bias else 0)


def activation_bytes(shape: Sequence[int], *, dtype="float32") -> int:
    """Bytes taken by a tensor of ``shape`` holding elements of ``dtype``.

    For a layer's output ``(N, C_out, H', W')`` in float32 that is
    ``4 * N * C_out * H' * W'``: the memory the layer's activations take,
    and what training keeps until the backward pass.

    Parameters
    ----------
    shape : sequence of int
        The tensor's shape, every size at least 1, e.g. ``(N, C, H, W)``.
    dtype : str, numpy.dtype or torch.dtype
        The element type, e.g. ``"float32"``, ``np.float16`` or
        ``torch.bfloat16``.

    Returns
    -------
    int
        ``prod(shape) * itemsize``, as ``tensor.numel() * tensor.element_size()``
        gives for such a tensor.

    Raises
    ------
    ValueError
        For a shape that is not a non-empty sequence of positive integers, or
        a dtype that is not a numeric type.
    """
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or len(shape) == 0:
        raise ValueError(f"shape must be a non-empty sequence of integers, got {shape!r}")
    sizes = [as_int(size, f"shape[{i}]") for i, size in enumerate(shape)]
    return math.prod(sizes) * _itemsize(dtype)


def _itemsize(dtype) -> int:
    if type(dtype).__name__ == "dtype" and type(dtype).__module__ == "torch":
        return dtype.itemsize  # torch.dtype, e.g. torch.bfloat16 (no NumPy twin)
    try:  # np.dtype(None) is float64: refuse None rather than guess
        numpy_dtype = None if dtype is None else np.dtype(dtype)
    except TypeError:
        numpy_dtype = None
    if numpy_dtype is None or not (
        np.issubdtype(numpy_dtype, np.number) or numpy_dtype == np.bool_
    ):
        raise ValueError(
            f"dtype must be a numeric type such as 'float32' or torch.float16, got {dtype!r}"
        )
    return numpy_dtype.itemsize
