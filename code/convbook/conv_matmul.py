"""Convolution as one matrix product: im2col.

A convolutional layer computes, at every output position, the dot product of
an image patch with each filter. Lay every patch out as one column of a
matrix (*im2col*, "image to columns") and every filter as one row of
another: one matrix product then computes all the outputs of all the
filters at once. That is how many libraries run convolutions fast
(Chellapilla et al. 2006), and what ``torch.nn.functional.unfold`` builds.

* :func:`im2col` -- the patch matrix, built with an explicit loop (for
  reading; ``F.unfold`` gives the same numbers);
* :func:`conv2d_matmul` -- a whole layer as ``F.unfold`` plus one
  ``matmul``, equal to ``F.conv2d``;
* :func:`plot_patch_matrix` -- a small image and its patch matrix, one
  patch and its column highlighted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validation import as_filters, as_image
from .plotting import _new_figure

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

__all__ = ["im2col", "conv2d_matmul", "plot_patch_matrix"]


def im2col(image, kernel_size: int | tuple[int, int]) -> np.ndarray:
    """Lay out every ``kh x kw`` patch of an image as one column of a matrix.

    Column ``r * W' + c`` holds the patch whose top-left corner is at
    ``(r, c)``, read channel by channel and, inside a channel, row by row
    -- the order in which ``weight.reshape(n, -1)`` lists a filter's
    weights, so that ``weight.reshape(n, -1) @ im2col(image, (kh, kw))``
    is the valid cross-correlation. The numbers are those of
    ``torch.nn.functional.unfold`` (stride 1, no padding).

    Parameters
    ----------
    image : array_like, shape (H, W) or (C, H, W)
        A grayscale image, or a channels-first stack of channels.
    kernel_size : int or tuple of int, (kh, kw)
        The patch size.

    Returns
    -------
    numpy.ndarray, shape (C * kh * kw, H' * W'), float32
        The patch matrix, with ``H' = H - kh + 1`` and ``W' = W - kw + 1``
        (``C = 1`` for a 2-D image).

    Raises
    ------
    ValueError
        For an image that is not 2-D or 3-D, is empty or holds NaN or
        infinite values, or a kernel size that is not positive or is larger
        than the image.
    """
    channels = _as_channel_stack(image)  # (C, H, W); a 2-D image is one channel
    kh, kw = _kernel_size(kernel_size)
    n_channels, height, width = channels.shape
    if kh > height or kw > width:
        raise ValueError(
            f"kernel_size {kh}x{kw} is larger than the image of size "
            f"{height}x{width}; a valid convolution needs kh <= H and kw <= W"
        )
    out_h, out_w = height - kh + 1, width - kw + 1
    columns = np.empty((n_channels * kh * kw, out_h * out_w), dtype=np.float32)
    for r in range(out_h):
        for c in range(out_w):
            patch = channels[:, r : r + kh, c : c + kw]  # shape (C, kh, kw)
            columns[:, r * out_w + c] = patch.reshape(-1)
    return columns


def conv2d_matmul(
    images: torch.Tensor,
    weight: torch.Tensor,
    *,
    stride: int = 1,
    padding: int = 0,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """A convolutional layer as ``F.unfold`` and one ``matmul``: ``Y = W @ X_col (+ b)``.

    Parameters
    ----------
    images : torch.Tensor, shape (N, C, H, W)
        A batch of images, floating point.
    weight : torch.Tensor, shape (n, C, kh, kw)
        One filter per output channel, as ``nn.Conv2d`` stores them.
    stride : int
        Step between neighbouring patches, at least 1.
    padding : int
        Zeros added on each side of every image, at least 0.
    bias : torch.Tensor, shape (n,), optional
        One number added to each output channel.

    Returns
    -------
    torch.Tensor, shape (N, n, H', W')
        ``F.conv2d(images, weight, bias, stride=stride, padding=padding)``,
        with ``H' = (H + 2 * padding - kh) // stride + 1`` and
        ``W' = (W + 2 * padding - kw) // stride + 1``.

    Raises
    ------
    ValueError
        For tensors of the wrong number of dimensions or type, channel counts
        that do not match, a kernel larger than the padded images, a stride
        below 1, a negative padding, a bias of the wrong shape, or NaN or
        infinite values.
    """
    import torch
    import torch.nn.functional as F

    _check_tensor(images, "images", "(N, C, H, W)")
    _check_tensor(weight, "weight", "(n, C, kh, kw)")
    if images.shape[1] != weight.shape[1]:
        raise ValueError(
            f"weight must have as many input channels as images: images have "
            f"{images.shape[1]} (shape {tuple(images.shape)}), weight has "
            f"{weight.shape[1]} (shape {tuple(weight.shape)})"
        )
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be an integer >= 0, got {padding!r}")
    n_images, _, height, width = images.shape
    n_filters, _, kh, kw = weight.shape
    if kh > height + 2 * padding or kw > width + 2 * padding:
        raise ValueError(
            f"weight's kernels ({kh}x{kw}) are larger than the images ({height}x{width}) "
            f"with padding {padding}"
        )
    _check_bias(bias, n_filters)
    out_h = (height + 2 * padding - kh) // stride + 1
    out_w = (width + 2 * padding - kw) // stride + 1

    # (N, C*kh*kw, H'*W'): one patch matrix per image
    patches = F.unfold(images, (kh, kw), stride=stride, padding=padding)
    rows = weight.reshape(n_filters, -1)          # (n, C*kh*kw)
    out = torch.matmul(rows, patches)             # (N, n, H'*W')
    if bias is not None:
        out = out + bias[:, None]                 # one number per row of the output
    return out.reshape(n_images, n_filters, out_h, out_w)


def _check_bias(bias: torch.Tensor | None, n_filters: int) -> None:
    """Refuse a bias that is not a finite tensor of one value per filter (``None`` passes)."""
    if bias is None:
        return
    import torch

    _check_tensor(bias.reshape(1, 1, 1, -1) if isinstance(bias, torch.Tensor) else bias,
                  "bias", "(n,)")
    if bias.shape != (n_filters,):
        raise ValueError(
            f"bias must have one value per filter, shape ({n_filters},), got "
            f"{tuple(bias.shape)}"
        )


def plot_patch_matrix(
    image, kernel_size: int | tuple[int, int], *, highlight: tuple[int, int] = (0, 0)
) -> Figure:
    """Draw a small image and its patch matrix, every value written on its cell.

    The patch whose top-left corner is ``highlight`` is outlined in the
    image, and the column that holds it is outlined in the matrix.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A small grayscale image (a few pixels on a side, so that the
        numbers stay readable).
    kernel_size : int or tuple of int, (kh, kw)
    highlight : tuple of int, (row, column)
        Top-left corner of the patch to outline.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the image and its ``(kh * kw, H' * W')`` patch matrix.

    Raises
    ------
    ValueError
        For bad input (see :func:`im2col`) or a ``highlight`` position where
        the kernel does not fit.
    """
    image = as_image(image)
    kh, kw = _kernel_size(kernel_size)
    columns = im2col(image, (kh, kw))
    height, width = image.shape
    out_w = width - kw + 1
    row, col = (int(v) for v in highlight)
    if not (0 <= row <= height - kh and 0 <= col <= width - kw):
        raise ValueError(
            f"highlight must be a top-left corner where the {kh}x{kw} kernel fits "
            f"in the {height}x{width} image, got {highlight}"
        )
    n_rows, n_cols = columns.shape
    cell = 0.42
    fig = _new_figure((cell * (width + n_cols) + 1.6, cell * max(height, n_rows) + 1.1))
    grid = fig.add_gridspec(1, 2, width_ratios=[width, n_cols])
    low, high = float(image.min()), float(image.max())
    high = high if high > low else low + 1
    for k, (values, title) in enumerate(
        ((image, f"image ({height}x{width})"), (columns, f"patch matrix ({n_rows}x{n_cols})"))
    ):
        ax = fig.add_subplot(grid[0, k])
        ax.imshow(values, cmap="Greys", vmin=low - 0.3 * (high - low), vmax=high + 0.3 * (high - low))
        ax.set_title(title, fontsize=10)
        for (i, j), value in np.ndenumerate(values):
            ax.annotate(_format_value(value), xy=(j, i), ha="center", va="center", fontsize=10)
        ax.set_xticks(range(values.shape[1]))
        ax.set_yticks(range(values.shape[0]))
        ax.tick_params(labelsize=9, length=0)
        if k == 0:
            ax.add_patch(Rectangle((col - 0.5, row - 0.5), kw, kh, fill=False, lw=3, ec="tab:red"))
            ax.set_xlabel("column", fontsize=10)
            ax.set_ylabel("row", fontsize=10)
        else:
            ax.add_patch(
                Rectangle((row * out_w + col - 0.5, -0.5), 1, n_rows, fill=False, lw=3, ec="tab:red")
            )
            ax.set_xlabel("patch number r * W' + c", fontsize=10)
            ax.set_ylabel("weight index", fontsize=10)
    fig.tight_layout()
    return fig


def _format_value(value) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{float(value):.1f}"


def _as_channel_stack(image) -> np.ndarray:
    """A 2-D image ``(H, W)`` as ``(1, H, W)``, a 3-D one ``(C, H, W)`` as it is, both checked, float32."""
    array = np.asarray(image)
    if array.ndim == 2:
        return as_image(array)[np.newaxis]
    if array.ndim == 3:
        return as_filters(array, name="image")
    raise ValueError(
        f"image must be 2-D (H, W) or channels-first 3-D (C, H, W), got an "
        f"array of shape {array.shape}"
    )


def _kernel_size(kernel_size) -> tuple[int, int]:
    def is_int(v) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if is_int(kernel_size):
        sizes = (int(kernel_size), int(kernel_size))
    elif isinstance(kernel_size, (tuple, list)) and len(kernel_size) == 2 and all(map(is_int, kernel_size)):
        sizes = (int(kernel_size[0]), int(kernel_size[1]))
    else:
        raise ValueError(
            f"kernel_size must be an int or a pair of ints (kh, kw), got {kernel_size!r}"
        )
    if min(sizes) < 1:
        raise ValueError(f"kernel_size must be positive, got {kernel_size!r}")
    return sizes


def _check_tensor(tensor, name: str, shape: str) -> None:
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {shape}, got {type(tensor).__name__}")
    if tensor.ndim != 4:
        raise ValueError(f"{name} must be a 4-D tensor {shape}, got shape {tuple(tensor.shape)}")
    if not torch.is_floating_point(tensor):
        raise ValueError(f"{name} must be a floating-point tensor, got {tensor.dtype}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(tensor.shape)}")
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must hold finite values only, got NaN or infinity")
