"""Stacking layers: two linear layers collapse into one, a nonlinearity stops that.

Two correlations in a row equal one correlation with a larger kernel
(:func:`convbook.compose_kernels`). This module adds what the chapter
"Bias, and why a nonlinearity" needs to show when that fails:

* :func:`fit_single_kernel` -- the best single kernel (and bias), in the
  least-squares sense, for reproducing a given output from an image; if even
  the best one leaves a large error, no single layer can do the job;
* :func:`plot_kernel_composition` -- two kernels and the one kernel they
  compose to, every weight written on its cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ._validation import as_image, check_kernel_fits
from .correlation import _one_kernel
from .plotting import _new_figure

__all__ = ["fit_single_kernel", "plot_kernel_composition"]


def fit_single_kernel(
    image, target, kernel_shape: tuple[int, int], *, bias: bool = True
) -> tuple[np.ndarray, float]:
    """The kernel (and bias) whose valid correlation with ``image`` best fits ``target``.

    Solves the linear least-squares problem

    ``min over kernel, b of  sum_{r, c} (sum_{i, j} image[r + i, c + j] kernel[i, j] + b - target[r, c])^2``

    exactly, with one row per output position and one unknown per weight
    (plus one for the bias). Every output of a correlation is such a
    weighted sum, so if the smallest possible error is still large, no
    single convolutional layer of that kernel size computes ``target``.

    Parameters
    ----------
    image : array_like, shape (H, W)
    target : array_like, shape (H - kh + 1, W - kw + 1)
        The output to reproduce, aligned with a valid correlation: value
        ``(r, c)`` belongs to the patch whose top-left corner is ``(r, c)``.
    kernel_shape : tuple of int, (kh, kw)
    bias : bool
        Fit a bias too (a constant added to every output).

    Returns
    -------
    kernel : numpy.ndarray, shape (kh, kw), float32
    bias : float
        ``0.0`` when ``bias`` is false.

    Raises
    ------
    ValueError
        For arrays that are not 2-D, empty or not finite, a kernel shape that
        is not two positive integers or is larger than the image, or a target
        of the wrong shape.
    """
    image = as_image(image)
    target = as_image(target, name="target")
    kh, kw = _kernel_shape(kernel_shape)
    check_kernel_fits(image, (kh, kw))
    expected = (image.shape[0] - kh + 1, image.shape[1] - kw + 1)
    if target.shape != expected:
        raise ValueError(
            f"target must have the valid output's shape {expected} for a {kh}x{kw} kernel on an "
            f"image of shape {image.shape}, got {target.shape}"
        )
    # One row per output position: the kh * kw pixels of its patch.
    patches = np.lib.stride_tricks.sliding_window_view(image.astype(np.float64), (kh, kw))
    design = patches.reshape(-1, kh * kw)
    if bias:
        design = np.hstack([design, np.ones((design.shape[0], 1))])
    # The normal equations (design^T design) w = design^T target: a small
    # (kh*kw + 1)-square system, much faster than factorising the tall design.
    gram = design.T @ design
    rhs = design.T @ target.astype(np.float64).ravel()
    solution, *_ = np.linalg.lstsq(gram, rhs, rcond=None)
    kernel = solution[: kh * kw].reshape(kh, kw).astype(np.float32)
    return kernel, float(solution[-1]) if bias else 0.0


def plot_kernel_composition(
    first,
    second,
    composed,
    titles: Sequence[str] = ("first", "then", "= one kernel"),
    *,
    cell: float = 0.62,
    decimals: int = 2,
) -> Figure:
    """Draw two kernels and the kernel they compose to, side by side.

    Each panel has its kernel's weights written on its cells, on one
    diverging colour scale (red positive, blue negative, white zero) shared
    by the three, and cells drawn at the same size, so that the composed
    kernel is visibly larger.

    Parameters
    ----------
    first : array_like, shape (h1, w1)
    second : array_like, shape (h2, w2)
    composed : array_like, shape (h3, w3)
        For example ``compose_kernels(first, second)``.
    titles : sequence of 3 str
    cell : float
        Size of one cell in inches.
    decimals : int
        Decimals for weights that are not whole numbers.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes.

    Raises
    ------
    ValueError
        For ``first``, ``second`` or ``composed`` not one finite 2-D array
        (the message names which), or not three titles.
    """
    kernels = [_one_kernel(first, name="first"), _one_kernel(second, name="second"),
               _one_kernel(composed, name="composed")]
    titles = list(titles)
    if len(titles) != 3:
        raise ValueError(f"titles must be 3 strings, one per kernel, got {len(titles)}")
    widths = [k.shape[1] for k in kernels]
    tallest = max(k.shape[0] for k in kernels)
    gap = 0.6  # inches between panels, room for the titles
    fig = _new_figure((cell * sum(widths) + gap * len(kernels), cell * tallest + 0.7))
    grid = fig.add_gridspec(1, 3, width_ratios=widths, wspace=gap / (cell * np.mean(widths)))
    limit = float(max(np.abs(k).max() for k in kernels)) or 1.0
    for index, (kernel, title) in enumerate(zip(kernels, titles)):
        ax = fig.add_subplot(grid[0, index], xticks=[], yticks=[])
        height, width = kernel.shape
        shown = ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xlim(-0.5, width - 0.5)
        ax.set_ylim(tallest - 0.5, -0.5)  # every panel as tall as the tallest: equal cells
        for spine in ("bottom", "left", "right"):
            ax.spines[spine].set_visible(False)
        ax.spines["top"].set_visible(False)
        ax.add_patch(_frame(width, height))
        ax.set_title(title, fontsize=12)
        for row in range(height):
            for col in range(width):
                value = float(kernel[row, col])
                red, green, blue, _ = shown.cmap(shown.norm(value))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                text = str(int(value)) if value.is_integer() else f"{value:.{decimals}f}"
                ax.text(col, row, text, ha="center", va="center", fontsize=12,
                        color="white" if dark else "black")
    fig.subplots_adjust(left=gap / 2 / fig.get_figwidth(), right=1 - gap / 2 / fig.get_figwidth(),
                        bottom=0.05, top=1 - 0.55 / fig.get_figheight())
    return fig


def _kernel_shape(kernel_shape) -> tuple[int, int]:
    """``(kh, kw)`` as two positive integers, or a ValueError that says what is wrong."""
    try:
        kh, kw = (int(v) for v in kernel_shape)
        if kh < 1 or kw < 1 or any(isinstance(v, bool) for v in kernel_shape):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"kernel_shape must be two positive integers (kh, kw), got {kernel_shape!r}") from None
    return kh, kw


def _frame(width: int, height: int):
    from matplotlib.patches import Rectangle

    return Rectangle((-0.5, -0.5), width, height, fill=False, edgecolor="0.3", linewidth=1.0)
