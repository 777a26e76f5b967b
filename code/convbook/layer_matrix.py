"""The whole layer in matrix form: a batch, many channels, stride and padding.

* :func:`col2im` -- the mirror image of im2col: add every column of a
  patch matrix back onto the place of its patch (a *scatter-add*; where
  patches overlap, their values add up);
* :func:`conv2d_backward_matmul` -- the three gradients of a layer
  (input, weights, bias) as matrix products, with :func:`col2im` for the
  input gradient;
* :func:`plot_conv_arithmetic` -- four positions of a kernel on a small
  input, the input below and the output above, in the spirit of Dumoulin
  and Visin's figures; also for a transposed convolution.

The forward pass is :func:`convbook.conv2d_matmul`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validation import as_int, as_int_pair
from .conv_matmul import _check_tensor, _kernel_size
from .plotting import _new_figure

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

__all__ = ["col2im", "conv2d_backward_matmul", "plot_conv_arithmetic"]


def col2im(
    columns: torch.Tensor,
    image_size: tuple[int, int],
    kernel_size: int | tuple[int, int],
    *,
    stride: int = 1,
    padding: int = 0,
) -> torch.Tensor:
    """Add every column of a batch of patch matrices back onto its patch.

    Column ``r * W' + c`` of image ``n`` belongs to the patch whose top-left
    corner, in the zero-padded image, is ``(r * stride, c * stride)``. Its
    ``C * kh * kw`` numbers are added onto that patch; where patches
    overlap, the numbers add up; the padding is cut off at the end. This is
    ``torch.nn.functional.fold``, written with one loop over the kernel's
    offsets.

    Parameters
    ----------
    columns : torch.Tensor, shape (N, C * kh * kw, H' * W')
        One patch matrix per image, rows in the order of ``F.unfold``.
    image_size : tuple of int, (H, W)
        The size of the images, before padding.
    kernel_size : int or tuple of int, (kh, kw)
    stride : int
        At least 1.
    padding : int
        Zeros on each side, at least 0.

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)

    Raises
    ------
    ValueError
        For a tensor that is not 3-D, floating point and finite, or sizes
        that do not fit together.
    """
    _check_columns(columns)
    height, width = as_int_pair(image_size, "image_size")
    kh, kw = _kernel_size(kernel_size)
    stride = as_int(stride, "stride")
    padding = as_int(padding, "padding", minimum=0)
    out_h = (height + 2 * padding - kh) // stride + 1
    out_w = (width + 2 * padding - kw) // stride + 1
    n_images, n_rows, n_cols = columns.shape
    if out_h < 1 or out_w < 1 or n_cols != out_h * out_w or n_rows % (kh * kw):
        raise ValueError(
            f"columns of shape {tuple(columns.shape)} do not fit images of size "
            f"{height}x{width} with a {kh}x{kw} kernel, stride {stride} and padding "
            f"{padding}: expected (N, C * {kh * kw}, {max(out_h, 0) * max(out_w, 0)})"
        )
    channels = n_rows // (kh * kw)
    patches = columns.reshape(n_images, channels, kh, kw, out_h, out_w)
    padded = columns.new_zeros(
        n_images, channels, height + 2 * padding, width + 2 * padding
    )
    for i in range(kh):
        for j in range(kw):
            # Offset (i, j) of every patch: rows i, i + stride, ... of the padded image.
            rows = slice(i, i + stride * (out_h - 1) + 1, stride)
            cols = slice(j, j + stride * (out_w - 1) + 1, stride)
            padded[:, :, rows, cols] += patches[:, :, i, j]
    return padded[:, :, padding : padding + height, padding : padding + width]


def _check_columns(columns) -> None:
    """Refuse anything but a finite floating-point tensor (N, C * kh * kw, H' * W')."""
    import torch

    if not isinstance(columns, torch.Tensor) or columns.ndim != 3:
        got = (tuple(columns.shape) if isinstance(columns, torch.Tensor)
               else type(columns).__name__)
        raise ValueError(
            f"columns must be a 3-D tensor (N, C * kh * kw, H' * W'), got {got}"
        )
    _check_tensor(columns[..., None], "columns", "(N, C * kh * kw, H' * W')")


def conv2d_backward_matmul(
    images: torch.Tensor,
    weight: torch.Tensor,
    grad_output: torch.Tensor,
    *,
    stride: int = 1,
    padding: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The gradients of a convolutional layer, each from one matrix product.

    With ``X_col`` the patch matrices of the images (``F.unfold``), ``W``
    the weight as a ``(C_out, C_in * kh * kw)`` matrix and ``dY`` the
    gradient of the loss with respect to the output, as ``(N, C_out,
    H' * W')``:

    * ``dW = sum over the batch of dY[n] @ X_col[n].T``;
    * ``dX = col2im(W.T @ dY)``: each column of ``W.T @ dY`` is what one
      patch sends back, summed over the *output* channels;
    * ``db = dY`` summed over the batch and all positions.

    Parameters
    ----------
    images : torch.Tensor, shape (N, C_in, H, W)
    weight : torch.Tensor, shape (C_out, C_in, kh, kw)
    grad_output : torch.Tensor, shape (N, C_out, H', W')
        The gradient of the loss with respect to the layer's output.
    stride : int
        At least 1.
    padding : int
        Zeros on each side, at least 0.

    Returns
    -------
    grad_images : torch.Tensor, shape (N, C_in, H, W)
    grad_weight : torch.Tensor, shape (C_out, C_in, kh, kw)
    grad_bias : torch.Tensor, shape (C_out,)

    Raises
    ------
    ValueError
        For tensors of the wrong number of dimensions or type, shapes that
        do not fit together, a stride below 1, a negative padding, or NaN
        or infinite values.
    """
    import torch.nn.functional as F

    _check_tensor(images, "images", "(N, C_in, H, W)")
    _check_tensor(weight, "weight", "(C_out, C_in, kh, kw)")
    _check_tensor(grad_output, "grad_output", "(N, C_out, H', W')")
    stride = as_int(stride, "stride")
    padding = as_int(padding, "padding", minimum=0)
    n_images, in_channels, height, width = images.shape
    out_channels, weight_channels, kh, kw = weight.shape
    if weight_channels != in_channels:
        raise ValueError(
            f"weight must have as many input channels as images: images have "
            f"{in_channels}, weight has {weight_channels}"
        )
    out_h = (height + 2 * padding - kh) // stride + 1
    out_w = (width + 2 * padding - kw) // stride + 1
    expected = (n_images, out_channels, out_h, out_w)
    if out_h < 1 or out_w < 1 or tuple(grad_output.shape) != expected:
        raise ValueError(
            f"grad_output must have the layer's output shape {expected}, got "
            f"{tuple(grad_output.shape)}"
        )
    # X_col, (N, C_in*kh*kw, P), and W_rows, (C_out, C_in*kh*kw), as in the forward pass
    patches = F.unfold(images, (kh, kw), stride=stride, padding=padding)
    rows = weight.reshape(out_channels, -1)
    grad_rows = grad_output.reshape(n_images, out_channels, -1)     # dY, (N, C_out, P)

    # dW: (C_out, P) @ (P, C_in*kh*kw) for each image, summed over the batch
    grad_weight = (grad_rows @ patches.transpose(1, 2)).sum(dim=0)
    # dX: W_rows.T @ dY sums over the output channels; col2im adds the patches up
    grad_patches = rows.T @ grad_rows                               # (N, C_in*kh*kw, P)
    grad_images = col2im(grad_patches, (height, width), (kh, kw),
                         stride=stride, padding=padding)
    # db: every output value adds its bias once
    grad_bias = grad_output.sum(dim=(0, 2, 3))
    return grad_images, grad_weight.reshape(weight.shape), grad_bias


#: Colours of the arithmetic figures: real input values, zeros (padding or
#: inserted between the inputs), output values, and the current ones.
_INPUT, _ZERO_EDGE, _OUTPUT = "#9ec9e8", "#8a8a8a", "#a6dba0"
_WINDOW, _CURRENT = "#1f5f99", "#1b7837"


def plot_conv_arithmetic(
    input_size: int,
    kernel_size: int,
    *,
    stride: int = 1,
    padding: int = 0,
    transposed: bool = False,
    positions: Sequence[tuple[int, int]] | None = None,
) -> Figure:
    """Four positions of a kernel on a small square input, input below, output above.

    Each panel draws the sheet the kernel slides over at the bottom (blue:
    input values; white with a dashed grey edge: zeros) with the kernel's
    window outlined, and the output at the top (green), with the value that
    window computes filled in dark green.

    For ``transposed=False`` the layer is ``nn.Conv2d(kernel_size,
    stride=stride, padding=padding)`` on an ``input_size`` square. For
    ``transposed=True`` it is ``nn.ConvTranspose2d`` with the same
    arguments, drawn as Dumoulin and Visin draw it: ``stride - 1`` zeros
    inserted between neighbouring inputs, ``kernel_size - 1 - padding``
    zeros around them, and a stride-1 kernel sliding over that sheet.

    Parameters
    ----------
    input_size : int
        Side of the (square) input, at least 1.
    kernel_size : int
        Side of the (square) kernel, at least 1.
    stride, padding : int
        As for ``nn.Conv2d`` or ``nn.ConvTranspose2d`` (for the transposed
        layer, ``padding <= kernel_size - 1``).
    transposed : bool
        Draw the transposed layer.
    positions : sequence of (row, column), optional
        The output positions to draw, one panel each; by default the first
        four in reading order.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For sizes that are not positive integers, a kernel that does not fit,
        or a position outside the output.
    """
    input_size = as_int(input_size, "input_size")
    kernel_size = as_int(kernel_size, "kernel_size")
    stride = as_int(stride, "stride")
    padding = as_int(padding, "padding", minimum=0)
    if not isinstance(transposed, (bool, np.bool_)):
        raise ValueError(f"transposed must be True or False, got {transposed!r}")
    if transposed:
        if padding > kernel_size - 1:
            raise ValueError(
                f"padding must be at most kernel_size - 1 = {kernel_size - 1} for a "
                f"transposed convolution, got {padding}"
            )
        border = kernel_size - 1 - padding
        spread = (input_size - 1) * stride + 1  # inputs with stride - 1 zeros between
        sheet = spread + 2 * border
        is_input = np.zeros((sheet, sheet), dtype=bool)
        is_input[border : border + spread : stride, border : border + spread : stride] = True
        step = 1
    else:
        sheet = input_size + 2 * padding
        is_input = np.zeros((sheet, sheet), dtype=bool)
        is_input[padding : padding + input_size, padding : padding + input_size] = True
        step = stride
    if kernel_size > sheet:
        raise ValueError(
            f"kernel_size {kernel_size} does not fit the {sheet}x{sheet} sheet of input "
            f"size {input_size} with padding {padding}"
        )
    out_size = (sheet - kernel_size) // step + 1
    if positions is None:
        positions = [divmod(k, out_size) for k in range(min(4, out_size * out_size))]
    positions = [tuple(int(v) for v in p) for p in positions]
    if not positions or any(not (0 <= r < out_size and 0 <= c < out_size) for r, c in positions):
        raise ValueError(
            f"positions must be (row, column) pairs inside the {out_size}x{out_size} output, "
            f"got {positions}"
        )

    gap = 1.4                                   # cells between the two grids
    height = sheet + gap + out_size + 1.1
    cell = 0.3                                  # inches per cell
    # Two panels a row, so that the figure stays readable on a phone.
    n_cols = min(2, len(positions))
    n_rows = -(-len(positions) // n_cols)
    fig = _new_figure((n_cols * (sheet + 1) * cell + 0.2, n_rows * height * cell + 0.1))
    out_left = (sheet - out_size) / 2           # the output centred above the sheet
    out_bottom = sheet + gap
    for index, (row, col) in enumerate(positions):
        ax = fig.add_subplot(n_rows, n_cols, index + 1)
        ax.set_xlim(-0.5, sheet + 0.5)
        ax.set_ylim(-0.2, height - 0.2)
        ax.set_aspect("equal")
        ax.axis("off")
        # y grows upwards: sheet row 0 is drawn at the top of the sheet.
        for (r, c), real in np.ndenumerate(is_input):
            ax.add_patch(Rectangle(
                (c, sheet - 1 - r), 1, 1, facecolor=_INPUT if real else "white",
                edgecolor="white" if real else _ZERO_EDGE, linewidth=1,
                linestyle="solid" if real else (0, (2, 2))))
        top, left = row * step, col * step
        ax.add_patch(Rectangle((left, sheet - top - kernel_size), kernel_size, kernel_size,
                               facecolor=_WINDOW, alpha=0.35, edgecolor=_WINDOW, linewidth=2.5))
        for r in range(out_size):
            for c in range(out_size):
                current = (r, c) == (row, col)
                ax.add_patch(Rectangle(
                    (out_left + c, out_bottom + out_size - 1 - r), 1, 1,
                    facecolor=_CURRENT if current else _OUTPUT, edgecolor="white", linewidth=1))
        ax.text(sheet / 2, out_bottom + out_size + 0.15, "output", ha="center", va="bottom",
                fontsize=11)
        ax.text(sheet / 2, sheet + 0.15, "input" + (" with zeros" if transposed else ""),
                ha="center", va="bottom", fontsize=11)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99, wspace=0.1, hspace=0.05)
    return fig
