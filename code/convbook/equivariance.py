"""Why convolution: locality, weight sharing and translation equivariance.

A convolutional layer is a fully connected layer with two restrictions:
each output looks at a small patch only (*locality*), and every output uses
the same weights (*weight sharing*). This module makes both visible and
countable:

* :func:`conv_as_matrix` -- the layer written as the weight matrix of a fully
  connected layer: mostly zeros, and the few non-zero entries are the
  kernel's weights, repeated row after row;
* :func:`conv_parameter_count` and :func:`dense_parameter_count` -- how many
  numbers each kind of layer has to learn;
* :func:`shift_image` -- move an image's content, to check that shifting
  the input shifts the feature map (*translation equivariance*);
* :func:`plot_sliding_window` and :func:`plot_shift_equivariance` -- the
  figures of the chapter "Why convolution".
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validation import as_image, as_int, as_int_pair, check_kernel_fits
from .correlation import _one_kernel, correlate2d_fast
from .plotting import _new_figure

__all__ = [
    "shift_image",
    "conv_as_matrix",
    "conv_parameter_count",
    "dense_parameter_count",
    "plot_sliding_window",
    "plot_shift_equivariance",
]


def _offset(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer number of pixels, got {value!r}")
    return int(value)


def shift_image(image, rows: int = 0, cols: int = 0, *, fill: float = 0.0) -> np.ndarray:
    """Move an image's content by whole pixels, keeping its size.

    ``out[r, c] = image[r - rows, c - cols]`` where that pixel exists, and
    ``fill`` elsewhere: content that leaves the frame is lost, and the strip
    it uncovers is filled. Unlike ``np.roll``, nothing wraps around.

    Parameters
    ----------
    image : array_like, shape (H, W)
        An image or a feature map.
    rows : int
        Pixels to move down (negative: up).
    cols : int
        Pixels to move right (negative: left).
    fill : float
        The value of the uncovered strip.

    Returns
    -------
    numpy.ndarray, shape (H, W), float32

    Raises
    ------
    ValueError
        For an image that is not 2-D, is empty or holds NaN / infinite
        values, a shift that is not an integer, or a non-finite ``fill``.
    """
    image = as_image(image)
    rows = _offset(rows, "rows")
    cols = _offset(cols, "cols")
    if not np.isfinite(fill):
        raise ValueError(f"fill must be a finite number, got {fill!r}")
    height, width = image.shape
    out = np.full_like(image, fill)
    if abs(rows) >= height or abs(cols) >= width:
        return out
    src_rows = slice(max(0, -rows), height - max(0, rows))
    dst_rows = slice(max(0, rows), height - max(0, -rows))
    src_cols = slice(max(0, -cols), width - max(0, cols))
    dst_cols = slice(max(0, cols), width - max(0, -cols))
    out[dst_rows, dst_cols] = image[src_rows, src_cols]
    return out


def conv_as_matrix(kernel, input_shape: tuple[int, int]) -> np.ndarray:
    """The weight matrix of the fully connected layer that equals a convolution.

    A valid cross-correlation of an ``(H, W)`` input with a ``(kh, kw)``
    kernel is linear in the input, so it is ``matrix @ image.ravel()`` for
    one matrix. Row ``r * W' + c`` computes output ``(r, c)``: it holds
    ``kernel[i, j]`` at column ``(r + i) * W + (c + j)`` and zeros
    elsewhere. The zeros are *locality*; the same ``kh * kw`` values in
    every row are *weight sharing*.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
    input_shape : tuple of int, (H, W)
        The size of the input image.

    Returns
    -------
    numpy.ndarray, shape (H' * W', H * W), float32
        With ``H' = H - kh + 1`` and ``W' = W - kw + 1``;
        ``(matrix @ image.ravel()).reshape(H', W')`` is the feature map.

    Raises
    ------
    ValueError
        For a kernel that is not one finite 2-D array, a shape that is not
        two positive integers, or a kernel larger than the input.
    """
    kernel = _one_kernel(kernel)
    height, width = as_int_pair(input_shape, "input_shape")
    kh, kw = kernel.shape
    check_kernel_fits(np.empty((height, width)), (kh, kw))
    out_h, out_w = height - kh + 1, width - kw + 1
    matrix = np.zeros((out_h * out_w, height * width), dtype=np.float32)
    for r in range(out_h):
        for c in range(out_w):
            for i in range(kh):
                matrix[r * out_w + c, (r + i) * width + c : (r + i) * width + c + kw] = kernel[i]
    return matrix


def conv_parameter_count(
    in_channels: int, out_channels: int, kernel_size: tuple[int, int], *, bias: bool = False
) -> int:
    """Number of learnable numbers of ``nn.Conv2d(in, out, kernel_size)``.

    Each of the ``out_channels`` filters has one ``kh x kw`` kernel per input
    channel, and one bias if ``bias``. The count does not depend on the
    image's size: the same weights are used at every position.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : tuple of int, (kh, kw)
    bias : bool

    Returns
    -------
    int
        ``out_channels * (in_channels * kh * kw + bias)``.

    Raises
    ------
    ValueError
        For a count or size that is not a positive integer.
    """
    in_channels = as_int(in_channels, "in_channels")
    out_channels = as_int(out_channels, "out_channels")
    kh, kw = as_int_pair(kernel_size, "kernel_size", labels="(kh, kw)")
    return out_channels * (in_channels * kh * kw + int(bool(bias)))


def dense_parameter_count(in_features: int, out_features: int, *, bias: bool = False) -> int:
    """Number of learnable numbers of ``nn.Linear(in_features, out_features)``.

    Every output has its own weight for every input, and one bias if
    ``bias``.

    Parameters
    ----------
    in_features, out_features : int
        For an image, ``in_features = H * W``; for feature maps,
        ``out_features = n * H' * W'``.
    bias : bool

    Returns
    -------
    int
        ``out_features * (in_features + bias)``, as a Python int (no overflow).

    Raises
    ------
    ValueError
        For a size that is not a positive integer.
    """
    in_features = as_int(in_features, "in_features")
    out_features = as_int(out_features, "out_features")
    return out_features * (in_features + int(bool(bias)))


def plot_sliding_window(image, kernel, *, cell: float = 0.55, decimals: int = 0) -> Figure:
    """Draw a kernel sliding over a small image, one panel per output position.

    Panel ``(r, c)`` sits where output ``(r, c)`` sits. It shows the whole
    input with every value written on its cell; the ``kh x kw`` window the
    kernel covers is shaded and outlined, each covered cell also shows the
    weight it is multiplied by (``x w``), and the title gives the output
    value, the sum of those products.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A small input, at most 8 x 8 (every number must stay readable).
    kernel : array_like, shape (kh, kw)
    cell : float
        Size of one input cell in inches.
    decimals : int
        Decimals shown for the input values and the outputs.

    Returns
    -------
    matplotlib.figure.Figure
        ``H' x W'`` axes, ``H' = H - kh + 1`` and ``W' = W - kw + 1``.

    Raises
    ------
    ValueError
        For bad arrays, a kernel larger than the image, or an image larger
        than 8 x 8.
    """
    image = as_image(image)
    kernel = _one_kernel(kernel)
    check_kernel_fits(image, kernel.shape)
    height, width = image.shape
    if height > 8 or width > 8:
        raise ValueError(f"image must be at most 8x8 for a readable figure, got {height}x{width}")
    kh, kw = kernel.shape
    out_h, out_w = height - kh + 1, width - kw + 1
    panel_w, panel_h = cell * width + 0.3, cell * height + 0.55
    fig = _new_figure((panel_w * out_w, panel_h * out_h))

    def number(value: float, digits: int) -> str:
        return str(int(round(value))) if float(value).is_integer() else f"{value:.{max(digits, 1)}f}"

    for r in range(out_h):
        for c in range(out_w):
            ax = fig.add_subplot(out_h, out_w, r * out_w + c + 1)
            ax.set_xlim(-0.5, width - 0.5)
            ax.set_ylim(height - 0.5, -0.5)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            for row in range(height + 1):
                ax.axhline(row - 0.5, color="0.75", linewidth=0.8)
            for col in range(width + 1):
                ax.axvline(col - 0.5, color="0.75", linewidth=0.8)
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), kw, kh, facecolor="#fdd9a0",
                                   edgecolor="#b35806", linewidth=2.5, zorder=2))
            for row in range(height):
                for col in range(width):
                    inside = r <= row < r + kh and c <= col < c + kw
                    ax.text(col, row - (0.12 if inside else 0), number(image[row, col], decimals),
                            ha="center", va="center", fontsize=12, zorder=3,
                            color="black" if inside else "0.45",
                            fontweight="bold" if inside else "normal")
                    if inside:
                        ax.text(col, row + 0.3, f"×{number(kernel[row - r, col - c], 2)}",
                                ha="center", va="center", fontsize=10, color="#7f3b08", zorder=3)
            value = float((image[r : r + kh, c : c + kw] * kernel).sum())
            ax.set_title(f"out[{r}, {c}] = {number(value, decimals)}", fontsize=12)
    fig.tight_layout()
    return fig


def plot_shift_equivariance(image, kernel, rows: int, cols: int) -> Figure:
    """Shift, then filter, against filter, then shift: the two agree.

    Two rows of panels. Top: the image, the image shifted by ``(rows,
    cols)`` (:func:`shift_image`, zero fill), and the feature map of the
    shifted image. Bottom: the image, its feature map, and that map shifted
    by the same amount. A last, tall panel shows the difference of the two
    results on one diverging colour scale; the dashed frame marks the region
    ``r >= rows, c >= cols`` (for a shift down and to the right) where the
    difference is exactly zero. Feature maps (valid cross-correlation,
    :func:`convbook.correlate2d_fast`) share one colour scale centred on zero.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Gray values in [0, 1], for example a crop of the photo.
    kernel : array_like, shape (kh, kw)
    rows, cols : int
        The shift, in pixels, down and right; both at least 0.

    Returns
    -------
    matplotlib.figure.Figure
        Seven axes: six panels and the difference panel.

    Raises
    ------
    ValueError
        For bad arrays, a kernel larger than the image, or a negative or
        non-integer shift.
    """
    image = as_image(image)
    kernel = _one_kernel(kernel)
    check_kernel_fits(image, kernel.shape)
    rows = as_int(rows, "rows", minimum=0)
    cols = as_int(cols, "cols", minimum=0)
    shifted = shift_image(image, rows, cols)
    image_map = correlate2d_fast(image, kernel)[0]
    shift_then_filter = correlate2d_fast(shifted, kernel)[0]
    filter_then_shift = shift_image(image_map, rows, cols)
    difference = shift_then_filter - filter_then_shift

    height, width = image.shape
    panel = 2.0
    fig_width = 4 * panel + 1.4
    fig = _new_figure((fig_width, 2 * panel * height / width + 1.3))
    grid = fig.add_gridspec(2, 4)
    limit = float(max(np.abs(image_map).max(), np.abs(shift_then_filter).max())) or 1.0
    maps = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
    gray = {"cmap": "gray", "vmin": 0.0, "vmax": 1.0}
    top = [("image", image, gray), (f"shifted ({rows}, {cols})", shifted, gray),
           ("filtered", shift_then_filter, maps)]
    bottom = [("image", image, gray), ("filtered", image_map, maps),
              (f"shifted ({rows}, {cols})", filter_then_shift, maps)]
    for row, panels in enumerate((top, bottom)):
        for col, (title, values, style) in enumerate(panels):
            ax = fig.add_subplot(grid[row, col], xticks=[], yticks=[])
            ax.imshow(values, **style)
            ax.set_title(title, fontsize=12)
            if col == 0:
                ax.set_ylabel("shift, then filter" if row == 0 else "filter, then shift", fontsize=12)
    ax = fig.add_subplot(grid[:, 3], xticks=[], yticks=[])
    diff_limit = float(np.abs(difference).max()) or 1.0
    shown = ax.imshow(difference, cmap="RdBu_r", vmin=-diff_limit, vmax=diff_limit)
    map_h, map_w = difference.shape
    ax.add_patch(Rectangle((cols - 0.5, rows - 0.5), map_w - cols, map_h - rows, fill=False,
                           edgecolor="black", linestyle="--", linewidth=1.5))
    ax.set_title("difference:\ntop − bottom", fontsize=12)
    fig.tight_layout(rect=(0.0, 0.0, 1.0 - 0.75 / fig_width, 1.0))
    # A colour bar exactly as tall as the difference panel, just right of it.
    cax = ax.inset_axes((1.06, 0.0, 0.07, 1.0))
    bar = fig.colorbar(shown, cax=cax)
    bar.ax.tick_params(labelsize=12)
    return fig
