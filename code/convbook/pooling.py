"""Pooling: shrinking feature maps by keeping the largest (or mean) value.

After the activation, a CNN usually pools: it cuts each map into small
windows, here 2x2 with stride 2, and keeps one number per window. The maps
get half as tall and half as wide, and a strong response survives as long as
it is somewhere in its window.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_filters, as_int

__all__ = ["max_pool", "avg_pool", "pool_output_shape"]


def pool_output_shape(height: int, width: int, size: int = 2, stride: int | None = None) -> tuple[int, int]:
    """Shape of a pooled map (no padding, windows that overhang are dropped).

    Parameters
    ----------
    height, width : int
        The input map's size.
    size : int
        The window is ``size x size``.
    stride : int, optional
        Step between windows; ``size`` by default, as in ``nn.MaxPool2d``.

    Returns
    -------
    tuple of int
        ``((height - size) // stride + 1, (width - size) // stride + 1)``.
    """
    stride = size if stride is None else stride
    size, stride = as_int(size, "size"), as_int(stride, "stride")
    if size > height or size > width:
        raise ValueError(
            f"a {size}x{size} pooling window does not fit into a map of size {height}x{width}"
        )
    return (height - size) // stride + 1, (width - size) // stride + 1


def _pool(maps, size: int, stride: int | None, reduce) -> np.ndarray:
    stack = as_filters(maps, name="maps")
    squeeze = np.asarray(maps).ndim == 2
    stride = size if stride is None else stride
    n, height, width = stack.shape
    out_h, out_w = pool_output_shape(height, width, size, stride)
    # A strided view (n, out_h, out_w, size, size) of every window, no copy.
    windows = np.lib.stride_tricks.sliding_window_view(stack, (size, size), axis=(1, 2))
    windows = windows[:, ::stride, ::stride][:, :out_h, :out_w]
    out = reduce(windows, axis=(-2, -1)).astype(np.float32)
    return out[0] if squeeze else out


def max_pool(maps, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Max pooling, as ``nn.MaxPool2d(size, stride)`` computes it.

    Parameters
    ----------
    maps : array_like, shape (n, H, W) or (H, W)
        Feature maps, for example the activated maps.
    size : int
        Window size.
    stride : int, optional
        Step between windows; ``size`` by default.

    Returns
    -------
    numpy.ndarray, shape (n, H', W') or (H', W'), float32
        The largest value of each window; ``(H', W')`` is
        :func:`pool_output_shape`.

    Raises
    ------
    ValueError
        For maps that are not 2-D or 3-D, NaN / infinite values, or a window
        larger than the map.
    """
    return _pool(maps, size, stride, np.max)


def avg_pool(maps, size: int = 2, stride: int | None = None) -> np.ndarray:
    """Average pooling, as ``nn.AvgPool2d(size, stride)`` computes it.

    Parameters
    ----------
    maps : array_like, shape (n, H, W) or (H, W)
    size : int
    stride : int, optional

    Returns
    -------
    numpy.ndarray, shape (n, H', W') or (H', W'), float32
        The mean of each window.
    """
    return _pool(maps, size, stride, np.mean)
