"""The variants of the convolutional layer that modern networks use.

* :func:`separable_kernel` -- the one full kernel that a depthwise layer
  followed by a pointwise (1x1) layer computes, when nothing lies between;
* :func:`fft_correlate2d` -- valid cross-correlation through the fast
  Fourier transform, equal to the direct sum;
* :func:`fft_operation_count` -- the arithmetic of that route, in the usual
  model of 5 n log2(n) operations per complex FFT of n points, to compare
  with a direct convolution's 2 kh kw operations per output;
* :func:`winograd_f23` -- Winograd's minimal filtering F(2, 3) and its
  nested 2-D form F(2x2, 3x3) (Lavin & Gray 2016): 2 outputs of a 3-tap
  filter with 4 multiplications instead of 6 (16 instead of 36 in 2-D);
* :func:`implicit_gemm_conv2d` -- the im2col product computed block by
  block, without ever storing the whole patch matrix (the idea of cuDNN's
  implicit GEMM, Chetlur et al. 2014);
* :func:`plot_layer_costs` -- parameters and operations of several layer
  designs as bars;
* :func:`plot_crossover` -- the operations of the direct and the FFT route
  against the kernel size, with the first size where the FFT needs fewer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ._validation import as_float_array, as_image, as_int, check_kernel_fits
from .plotting import _new_figure

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

__all__ = [
    "separable_kernel",
    "fft_correlate2d",
    "fft_operation_count",
    "winograd_f23",
    "implicit_gemm_conv2d",
    "plot_layer_costs",
    "plot_crossover",
]

#: Winograd's F(2, 3) (Lavin & Gray 2016, section 4.1): the input transform
#: B^T, the filter transform G and the output transform A^T. Only the
#: elementwise product between the transformed input and filter multiplies
#: data by weights; the transforms add, subtract and halve.
WINOGRAD_BT = np.array([[1, 0, -1, 0],
                        [0, 1, 1, 0],
                        [0, -1, 1, 0],
                        [0, 1, 0, -1]], dtype=np.float64)
WINOGRAD_G = np.array([[1, 0, 0],
                       [0.5, 0.5, 0.5],
                       [0.5, -0.5, 0.5],
                       [0, 0, 1]], dtype=np.float64)
WINOGRAD_AT = np.array([[1, 1, 1, 0],
                        [0, 1, -1, -1]], dtype=np.float64)


def separable_kernel(depthwise, pointwise) -> np.ndarray:
    """The full kernel of a depthwise layer followed by a pointwise layer.

    A depthwise layer filters each input channel ``c`` with its own kernel
    ``D[c]``; a pointwise layer then mixes the channels with the matrix
    ``P``. With nothing between them (no bias, no activation) the two are one
    ordinary layer whose kernel is their product,
    ``W[o, c, i, j] = P[o, c] * D[c, i, j]``.

    Parameters
    ----------
    depthwise : array_like, shape (C, 1, kh, kw)
        The weight of ``nn.Conv2d(C, C, (kh, kw), groups=C)``.
    pointwise : array_like, shape (C_out, C, 1, 1)
        The weight of ``nn.Conv2d(C, C_out, 1)``.

    Returns
    -------
    numpy.ndarray, shape (C_out, C, kh, kw), float32
        The weight of the equivalent ``nn.Conv2d(C, C_out, (kh, kw))``.

    Raises
    ------
    ValueError
        For shapes that do not fit together, or values that are not finite.
    """
    depthwise = as_float_array(depthwise, name="depthwise")
    pointwise = as_float_array(pointwise, name="pointwise")
    if depthwise.ndim != 4 or depthwise.shape[1] != 1:
        raise ValueError(
            f"depthwise must have shape (C, 1, kh, kw), got {depthwise.shape}")
    if pointwise.ndim != 4 or pointwise.shape[2:] != (1, 1):
        raise ValueError(
            f"pointwise must have shape (C_out, C, 1, 1), got {pointwise.shape}")
    if pointwise.shape[1] != depthwise.shape[0]:
        raise ValueError(
            f"pointwise mixes {pointwise.shape[1]} channels but depthwise makes "
            f"{depthwise.shape[0]}; their C must agree")
    # Broadcasting: None adds an axis of length 1. P becomes (C_out, C, 1, 1),
    # D[:, 0] becomes (1, C, kh, kw); the product is (C_out, C, kh, kw),
    # each P[o, c] times the whole kernel D[c].
    return pointwise[:, :, 0, 0, None, None] * depthwise[None, :, 0]


def fft_correlate2d(image, kernel) -> np.ndarray:
    """Valid cross-correlation of an image with a kernel, through the FFT.

    The correlation theorem: correlating with a kernel multiplies the
    image's Fourier transform by the conjugate of the kernel's. The
    transforms here are circular, of the image's size; the outputs that the
    wrap-around touches are exactly those outside the valid part, which are
    cut away.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kh, kw), with kh <= H and kw <= W

    Returns
    -------
    numpy.ndarray, shape (H - kh + 1, W - kw + 1), float64
        The same values as the direct sum ``correlate2d_loop`` (up to
        rounding).

    Raises
    ------
    ValueError
        For arrays that are not 2-D, not finite, or a kernel larger than the
        image.
    """
    image = as_image(image)
    kernel = as_image(kernel, name="kernel")
    check_kernel_fits(image, kernel.shape)
    height, width = image.shape
    kh, kw = kernel.shape
    image, kernel = image.astype(np.float64), kernel.astype(np.float64)
    spectrum = np.fft.rfft2(image) * np.conj(np.fft.rfft2(kernel, image.shape))
    return np.fft.irfft2(spectrum, image.shape)[: height - kh + 1, : width - kw + 1]


def fft_operation_count(height: int, width: int) -> int:
    """Arithmetic operations of one FFT correlation of an H x W image.

    The usual model (the count of a radix-2 FFT, and the convention of FFT
    benchmarks): a complex FFT of ``n`` points costs ``5 n log2(n)`` real
    operations. The route takes three transforms of ``n = H W`` points (the
    image, the kernel padded to the image's size, and the inverse) and one
    complex product per point (6 operations). Real-input FFTs and a
    kernel transformed once and reused can save up to about half of it; the
    count ignores that, and memory traffic.

    Parameters
    ----------
    height, width : int
        The image's size; the kernel's size does not change the count.

    Returns
    -------
    int
        ``round(3 * 5 n log2(n) + 6 n)`` with ``n = height * width``.
    """
    height = as_int(height, "height")
    width = as_int(width, "width")
    n = height * width
    return round(3 * 5 * n * math.log2(n) + 6 * n)


def winograd_f23(tile, kernel) -> np.ndarray:
    """Two outputs (or 2 x 2) of a 3-tap (3 x 3) correlation by Winograd's F(2, 3).

    1-D: ``tile`` holds 4 inputs, ``kernel`` 3 weights; the result is
    ``[d0 g0 + d1 g1 + d2 g2, d1 g0 + d2 g1 + d3 g2]`` with 4 multiplications
    of data by weights instead of 6. 2-D, nested in both directions: a 4 x 4
    tile and a 3 x 3 kernel give 2 x 2 outputs with 16 instead of 36.

    Parameters
    ----------
    tile : array_like, shape (4,) or (4, 4)
    kernel : array_like, shape (3,) or (3, 3)

    Returns
    -------
    numpy.ndarray, shape (2,) or (2, 2), float64

    Raises
    ------
    ValueError
        For other shapes, or values that are not finite.
    """
    d = as_float_array(tile, name="tile").astype(np.float64)
    g = as_float_array(kernel, name="kernel").astype(np.float64)
    _check_winograd_shapes(d, g)
    if d.ndim == 1:
        transformed_kernel = WINOGRAD_G @ g              # once per filter
        transformed_tile = WINOGRAD_BT @ d               # additions only
        products = transformed_kernel * transformed_tile  # the 4 multiplications
        return WINOGRAD_AT @ products                    # additions only
    transformed_kernel = WINOGRAD_G @ g @ WINOGRAD_G.T
    transformed_tile = WINOGRAD_BT @ d @ WINOGRAD_BT.T
    products = transformed_kernel * transformed_tile      # the 16 multiplications
    return WINOGRAD_AT @ products @ WINOGRAD_AT.T


def _check_winograd_shapes(d: np.ndarray, g: np.ndarray) -> None:
    """Refuse shapes other than F(2,3)'s: (4,) with (3,), or (4, 4) with (3, 3)."""
    if (d.shape, g.shape) not in (((4,), (3,)), ((4, 4), (3, 3))):
        raise ValueError(
            "tile and kernel must have shapes (4,) and (3,), or (4, 4) and (3, 3); got "
            f"{d.shape} and {g.shape}")


def implicit_gemm_conv2d(images: "torch.Tensor", weight: "torch.Tensor", *,
                         block: int = 256) -> tuple["torch.Tensor", int]:
    """A valid, stride-1 convolution as im2col's product, one block of columns at a time.

    im2col stores the whole patch matrix, ``C kh kw`` rows by ``H' W'``
    columns. Here only ``block`` of its columns exist at any moment: they
    are gathered from the image, multiplied by the weight matrix, and
    dropped. cuDNN's *implicit GEMM* does this in a GPU's fast on-chip
    memory (Chetlur et al. 2014).

    Parameters
    ----------
    images : torch.Tensor, shape (N, C, H, W)
    weight : torch.Tensor, shape (C_out, C, kh, kw)
    block : int
        How many output positions (patch columns) are built at a time.

    Returns
    -------
    output : torch.Tensor, shape (N, C_out, H - kh + 1, W - kw + 1)
        Equal to ``F.conv2d(images, weight)``.
    largest_block : int
        The most patch-matrix numbers held at once, per image:
        ``C kh kw`` times at most ``block``.

    Raises
    ------
    ValueError
        For tensors of the wrong shape or values that are not finite.
    """
    import torch

    _check_images_and_weight(images, weight)
    block = as_int(block, "block")
    n, channels, height, width = images.shape
    out_channels, _, kh, kw = weight.shape
    out_h, out_w = height - kh + 1, width - kw + 1
    rows = weight.reshape(out_channels, -1)                    # (C_out, C kh kw)
    # Offsets of a patch's numbers from its top-left corner, in im2col's
    # order (channel, then kernel row, then kernel column), in the flat image.
    c, i, j = torch.meshgrid(torch.arange(channels), torch.arange(kh), torch.arange(kw),
                             indexing="ij")
    offsets = (c * height * width + i * width + j).reshape(-1, 1)
    corners = (torch.arange(out_h)[:, None] * width + torch.arange(out_w)).reshape(-1)
    flat = images.reshape(n, -1)
    output = images.new_empty(n, out_channels, out_h * out_w)
    largest_block = 0
    for start in range(0, corners.numel(), block):
        columns = flat[:, offsets + corners[start:start + block]]   # (N, C kh kw, block)
        largest_block = max(largest_block, columns[0].numel())
        output[:, :, start:start + block] = rows @ columns
    return output.reshape(n, out_channels, out_h, out_w), largest_block


def _check_images_and_weight(images, weight) -> None:
    """Refuse anything but finite 4-D tensors whose kernels fit the images, channel for channel."""
    import torch

    for name, tensor in (("images", images), ("weight", weight)):
        if not isinstance(tensor, torch.Tensor) or tensor.ndim != 4:
            raise ValueError(f"{name} must be a 4-D torch.Tensor, got {type(tensor).__name__}"
                             f" {tuple(getattr(tensor, 'shape', ()))}")
        as_float_array(tensor.detach().cpu().numpy(), name=name)
    _, channels, height, width = images.shape
    _, weight_channels, kh, kw = weight.shape
    if weight_channels != channels or kh > height or kw > width:
        raise ValueError(f"weight {tuple(weight.shape)} does not fit images {tuple(images.shape)}")


def plot_layer_costs(names: Sequence[str], parameters, operations, *,
                     operations_label: str = "operations (millions)",
                     scale: float = 1e6) -> Figure:
    """Parameters and operations of several layer designs, as horizontal bars.

    Parameters
    ----------
    names : sequence of str
        One label per design, drawn top to bottom.
    parameters : array_like, shape (n,)
        Learnable numbers of each design.
    operations : array_like, shape (n,)
        Arithmetic operations of each design, drawn divided by ``scale``.
    operations_label : str
        The right panel's axis label.
    scale : float
        The unit of the right panel: 1e6 for millions, 1e9 for billions.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, each bar labelled with its value.

    Raises
    ------
    ValueError
        For lengths that differ, or values that are not finite or negative.
    """
    parameters = as_float_array(parameters, name="parameters").astype(np.float64)
    operations = as_float_array(operations, name="operations").astype(np.float64)
    names = [str(name) for name in names]
    if not (parameters.shape == operations.shape == (len(names),)) or not names:
        raise ValueError(
            f"names, parameters and operations must have one entry per design; got "
            f"{len(names)} names, shapes {parameters.shape} and {operations.shape}")
    if (parameters < 0).any() or (operations < 0).any():
        raise ValueError("parameters and operations must not be negative")
    fig = _new_figure((8.0, 0.55 * len(names) + 1.2))
    axes = fig.subplots(1, 2, sharey=True)
    positions = np.arange(len(names))[::-1]
    panels = ((parameters, "parameters", "{:,.0f}", "tab:blue"),
              (operations / scale, operations_label, "{:,.2f}", "tab:orange"))
    for ax, (values, label, fmt, colour) in zip(axes, panels):
        ax.barh(positions, values, color=colour)
        for y, value in zip(positions, values):
            ax.text(value, y, " " + fmt.format(value), va="center", fontsize=9)
        ax.set_xlabel(label)
        ax.set_xlim(0, 1.35 * values.max() if values.max() > 0 else 1)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.10g}"))
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].set_yticks(positions, names)
    fig.tight_layout()
    return fig


def plot_crossover(kernel_sizes, direct, fft) -> Figure:
    """Operations of the direct and the FFT route against the kernel size.

    Parameters
    ----------
    kernel_sizes : array_like, shape (n,)
        The kernel sizes k (a k x k kernel), increasing.
    direct, fft : array_like, shape (n,)
        The operations of each route for each size.

    Returns
    -------
    matplotlib.figure.Figure
        Two curves in millions of operations, the first size where the FFT
        needs fewer marked by a dotted vertical line.

    Raises
    ------
    ValueError
        For lengths that differ, or values that are not finite.
    """
    sizes = as_float_array(kernel_sizes, name="kernel_sizes").astype(np.float64)
    direct = as_float_array(direct, name="direct").astype(np.float64)
    fft = as_float_array(fft, name="fft").astype(np.float64)
    if not (sizes.ndim == 1 and sizes.shape == direct.shape == fft.shape and sizes.size >= 2):
        raise ValueError(
            f"kernel_sizes, direct and fft must be 1-D of one length (at least 2), got "
            f"shapes {sizes.shape}, {direct.shape} and {fft.shape}")
    fig = _new_figure((6.0, 3.4))
    ax = fig.subplots()
    ax.plot(sizes, direct / 1e6, "o-", color="tab:blue", label="direct: 2 k\u00b2 per output")
    ax.plot(sizes, fft / 1e6, "s--", color="tab:orange", label="FFT: the same for every k")
    cheaper = np.flatnonzero(fft < direct)
    if cheaper.size:
        ax.axvline(sizes[cheaper[0]], color="0.4", linestyle=":")
        ax.annotate(f"k = {sizes[cheaper[0]]:g}", (sizes[cheaper[0]], 0), xytext=(4, 4),
                    textcoords="offset points", color="0.3")
    ax.set_xticks(sizes)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel("kernel size k (a k x k kernel)")
    ax.set_ylabel("operations (millions)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
