"""Backpropagation through the layer, written out in NumPy.

For a valid cross-correlation with stride 1,
``out[r, c] = sum_{i, j} x[r + i, c + j] * w[i, j]``, and the gradient
``g = dL/d out`` that the layers above send back:

* :func:`conv_input_gradient` -- ``dL/dx`` is the *full* correlation of
  ``g`` with the flipped kernel (``g`` padded by ``kh - 1`` and ``kw - 1``
  zeros on each side);
* :func:`conv_weight_gradient` -- ``dL/dw`` is the valid correlation of the
  input ``x`` with ``g``;
* :func:`max_pool_gradient` -- max pooling sends each window's gradient to the
  window's largest value only.

:func:`plot_value_grids` draws small arrays with every number written on its
cell, for the worked examples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validation import as_filters, as_image, as_panels
from .correlation import correlate2d_fast, correlate2d_loop, flip_kernel
from .pooling import pool_output_shape

__all__ = [
    "conv_input_gradient",
    "conv_weight_gradient",
    "max_pool_gradient",
    "plot_value_grids",
]


def conv_input_gradient(grad_output, kernel) -> np.ndarray:
    """Gradient of a loss with respect to the input of a valid correlation.

    ``dL/dx[p, q] = sum_{i, j} g[p - i, q - j] * w[i, j]`` (``g`` taken as 0
    outside its shape): the full correlation of ``g`` with the kernel
    rotated by 180 degrees.

    Parameters
    ----------
    grad_output : array_like, shape (H', W')
        ``g``, the loss's gradient with respect to the layer's output.
    kernel : array_like, shape (kh, kw)
        The layer's kernel ``w``.

    Returns
    -------
    numpy.ndarray, shape (H' + kh - 1, W' + kw - 1), float32
        ``dL/dx``, the shape of the layer's input.

    Raises
    ------
    ValueError
        If ``grad_output`` is not a finite 2-D array or ``kernel`` is not one
        finite 2-D kernel.
    """
    grad_output = as_image(grad_output, name="grad_output")
    kernel = flip_kernel(kernel)       # checks the kernel, rotates it by 180 degrees
    kh, kw = kernel.shape
    # Every input pixel gets a full kh x kw window of g; zeros stand in for
    # the output positions that do not exist.
    padded = np.pad(grad_output, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return correlate2d_fast(padded, kernel)[0]


def conv_weight_gradient(image, grad_output) -> np.ndarray:
    """Gradient of a loss with respect to the kernel of a valid correlation.

    ``dL/dw[i, j] = sum_{r, c} x[r + i, c + j] * g[r, c]``: the valid
    correlation of the input ``x`` with ``g`` used as the kernel.

    Parameters
    ----------
    image : array_like, shape (H, W)
        The layer's input ``x``.
    grad_output : array_like, shape (H', W')
        ``g``, the gradient with respect to the output, ``H' <= H``, ``W' <= W``.

    Returns
    -------
    numpy.ndarray, shape (H - H' + 1, W - W' + 1), float32
        ``dL/dw``, the kernel's shape.

    Raises
    ------
    ValueError
        For non-finite or non-2-D arrays, or ``grad_output`` larger than ``image``.
    """
    image = as_image(image)
    grad_output = as_image(grad_output, name="grad_output")
    if grad_output.shape[0] > image.shape[0] or grad_output.shape[1] > image.shape[1]:
        raise ValueError(
            f"grad_output of shape {grad_output.shape} must not be larger than the "
            f"image of shape {image.shape}"
        )
    # kh * kw output positions, each a sum over the whole of g: a short loop.
    return correlate2d_loop(image, grad_output)


def max_pool_gradient(maps, grad_output, size: int = 2) -> np.ndarray:
    """Gradient of a loss with respect to the input of ``nn.MaxPool2d(size)``.

    Each window of ``size x size`` (stride ``size``) passes its gradient to
    the position of its largest value and 0 to the others. Where several
    positions tie for the largest, the first in reading order (row by row,
    left to right) gets it, which is what PyTorch's CPU implementation does.
    Rows and columns that no window covers get 0.

    Parameters
    ----------
    maps : array_like, shape (H, W) or (n, H, W)
        The pooling layer's input.
    grad_output : array_like, shape (H', W') or (n, H', W')
        The gradient with respect to the pooled maps, ``H' = H // size``,
        ``W' = W // size``.
    size : int
        The window's side (and stride).

    Returns
    -------
    numpy.ndarray, the shape of ``maps``, float32

    Raises
    ------
    ValueError
        For non-finite arrays, a bad ``size``, or a ``grad_output`` whose shape
        does not match the pooled maps.
    """
    squeeze = np.asarray(maps).ndim == 2
    stack = as_filters(maps, name="maps")
    grads = as_filters(grad_output, name="grad_output")
    n, height, width = stack.shape
    out_h, out_w = pool_output_shape(height, width, size)
    if grads.shape != (n, out_h, out_w):
        expected = (out_h, out_w) if squeeze else (n, out_h, out_w)
        raise ValueError(
            f"grad_output must have the pooled maps' shape {expected}, got "
            f"{np.asarray(grad_output).shape}"
        )
    # Windows as rows of size * size values, in reading order.
    cropped = stack[:, : out_h * size, : out_w * size]
    windows = cropped.reshape(n, out_h, size, out_w, size).transpose(0, 1, 3, 2, 4)
    windows = windows.reshape(n, out_h, out_w, size * size)
    winner = windows.argmax(axis=-1)            # the first maximum in reading order
    one_hot = np.arange(size * size) == winner[..., None]
    routed = np.where(one_hot, grads[..., None], 0.0)   # each window's gradient, at its winner
    routed = routed.reshape(n, out_h, out_w, size, size).transpose(0, 1, 3, 2, 4)
    out = np.zeros_like(stack)
    out[:, : out_h * size, : out_w * size] = routed.reshape(n, out_h * size, out_w * size)
    return out[0] if squeeze else out


def plot_value_grids(
    grids, titles: Sequence[str], *, cell_size: float = 0.42, decimals: int = 1,
    fontsize: float | None = None, shared_scale: bool = True,
    boxes: Sequence[tuple[int, int, int, int, int]] = (),
) -> Figure:
    """Draw small arrays side by side, each number written on its cell.

    Cells are coloured on a blue-white-red scale centred on zero, and every
    panel is drawn at the same size per cell, so a 4x4 array is twice as
    wide as a 2x2 one.

    Parameters
    ----------
    grids : sequence of array_like, each shape (h_i, w_i)
    titles : sequence of str
        One per array.
    cell_size : float
        Inches per cell.
    decimals : int
        Decimals written; integers are written without.
    shared_scale : bool
        If true (the default), one colour scale for all panels, so equal
        colours mean equal numbers; otherwise each panel gets its own.
    boxes : sequence of tuple of int
        Rectangles to outline, each ``(panel, top, left, height, width)`` in
        cells of that panel, to point at a window and the cell it gives.
    fontsize : float, optional
        Size of the numbers, in points; by default 1.45 points per inch of
        the figure's width (at least 10), so that they stay readable when
        the page shrinks a wide figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .plotting import _new_figure

    arrays, titles = as_panels(grids, titles, name="grids")
    for box in boxes:
        panel, top, left, height, width = box
        if not (0 <= panel < len(arrays) and 0 <= top and 0 <= left and height >= 1
                and width >= 1 and top + height <= arrays[panel].shape[0]
                and left + width <= arrays[panel].shape[1]):
            raise ValueError(
                "boxes must be (panel, top, left, height, width) rectangles inside "
                f"one of the {len(arrays)} panels, got {tuple(box)}"
            )
    widths = [a.shape[1] for a in arrays]
    tallest = max(a.shape[0] for a in arrays)
    gap = 0.45
    title_lines = max(title.count("\n") + 1 for title in titles)
    title_room = 0.15 + 0.27 * title_lines           # inches above the grids
    fig = _new_figure((cell_size * sum(widths) + gap * len(arrays) + 0.1,
                       cell_size * tallest + title_room + 0.1))
    grid = fig.add_gridspec(1, len(arrays), width_ratios=widths, wspace=0.25, left=0.02,
                            right=0.98, bottom=0.02, top=1 - title_room / fig.get_figheight())
    if fontsize is None:
        fontsize = max(10.0, 1.45 * fig.get_figwidth())
    shared_limit = max(float(np.abs(a).max()) for a in arrays) or 1.0
    for index, (array, title) in enumerate(zip(arrays, titles)):
        limit = shared_limit if shared_scale else (float(np.abs(array).max()) or 1.0)
        ax = fig.add_subplot(grid[0, index], xticks=[], yticks=[])
        shown = ax.imshow(array, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_anchor("N")
        ax.set_xlim(-0.5, array.shape[1] - 0.5)
        ax.set_ylim(tallest - 0.5, -0.5)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(title, fontsize=fontsize + 1)
        for row in range(array.shape[0]):
            for col in range(array.shape[1]):
                value = float(array[row, col])
                red, green, blue, _ = shown.cmap(shown.norm(value))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                text = str(int(value)) if value.is_integer() else f"{value:.{decimals}f}"
                ax.annotate(text, xy=(col, row), ha="center", va="center",
                            fontsize=fontsize, color="white" if dark else "black")
        # Thin white lines between the cells.
        ax.set_xticks(np.arange(-0.5, array.shape[1]), minor=True)
        ax.set_yticks(np.arange(-0.5, array.shape[0]), minor=True)
        ax.tick_params(which="minor", length=0)
        ax.grid(which="minor", color="white", linewidth=1)
        ax.set_ylim(tallest - 0.5, -0.5)
        for panel, top, left, height, width in boxes:
            if panel == index:
                ax.add_patch(Rectangle((left - 0.5, top - 0.5), width, height, fill=False,
                                       edgecolor="black", linewidth=3, zorder=10))
    return fig
