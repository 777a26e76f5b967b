"""Padding and stride: how big a feature map is, and computing one.

The output size of a convolution along one axis is

    out = floor((W - K + 2P) / S) + 1

for an input of size ``W``, a kernel of size ``K``, ``P`` zeros of padding
on each side and a stride ``S``. :func:`kernel_starts` and
:func:`unused_inputs` enumerate the kernel's positions along that axis and
the input pixels no position covers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validation import as_filters, as_image, as_int

__all__ = [
    "conv_output_size",
    "kernel_starts",
    "unused_inputs",
    "same_padding",
    "strided_feature_map",
    "plot_maps_to_scale",
]


def conv_output_size(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """Length of a convolution's output along one axis.

    Parameters
    ----------
    size : int
        Input length ``W`` (height or width), at least 1.
    kernel : int
        Kernel length ``K``, at least 1.
    padding : int
        Zeros added on *each* side, ``P >= 0``.
    stride : int
        Step between neighbouring kernel positions, ``S >= 1``.

    Returns
    -------
    int
        ``(W - K + 2P) // S + 1``, the formula ``nn.Conv2d`` uses.

    Raises
    ------
    ValueError
        If an argument is out of range, or the kernel does not fit into the
        padded input (``K > W + 2P``).
    """
    size, kernel = as_int(size, "size"), as_int(kernel, "kernel")
    padding, stride = as_int(padding, "padding", minimum=0), as_int(stride, "stride")
    if kernel > size + 2 * padding:
        raise ValueError(
            f"a kernel of size {kernel} does not fit into an input of size {size} "
            f"with padding {padding}; need kernel <= size + 2 * padding"
        )
    return (size - kernel + 2 * padding) // stride + 1


def kernel_starts(size: int, kernel: int, padding: int = 0, stride: int = 1) -> list[int]:
    """Where the kernel's first cell sits, at each of its positions along one axis.

    Positions are counted in the *padded* axis, whose index 0 is the first of
    the ``padding`` zeros: ``0, S, 2S, ...`` for as long as the kernel still
    fits, ``start + K <= W + 2P``.

    Parameters
    ----------
    size, kernel, padding, stride : int
        ``W``, ``K``, ``P`` and ``S`` as in :func:`conv_output_size`.

    Returns
    -------
    list of int, length ``conv_output_size(size, kernel, padding, stride)``
        The start of each position, in the padded axis.

    Raises
    ------
    ValueError
        For the same arguments :func:`conv_output_size` refuses.
    """
    conv_output_size(size, kernel, padding, stride)  # checks the arguments
    starts = []
    start = 0
    while start + kernel <= size + 2 * padding:
        starts.append(start)
        start += stride
    return starts


def unused_inputs(size: int, kernel: int, padding: int = 0, stride: int = 1) -> list[int]:
    """The input pixels along one axis that no kernel position covers.

    Found by enumerating the positions (:func:`kernel_starts`) and marking
    the ``K`` pixels each one covers. Two things leave pixels out: at the end,
    when ``S`` does not divide ``W - K + 2P`` (the floor in
    :func:`conv_output_size`); and in between, whenever ``S > K``, because
    the kernel then jumps over ``S - K`` pixels from one position to the next.

    Parameters
    ----------
    size, kernel, padding, stride : int
        ``W``, ``K``, ``P`` and ``S`` as in :func:`conv_output_size`.

    Returns
    -------
    list of int
        Indices into the unpadded input, ``0 .. W - 1``, in increasing order;
        empty when every input pixel is used. (Padding pixels that go unused
        are not listed: they are zeros the layer made up.)

    Raises
    ------
    ValueError
        For the same arguments :func:`conv_output_size` refuses.
    """
    covered = set()
    for start in kernel_starts(size, kernel, padding, stride):
        covered.update(range(start - padding, start - padding + kernel))
    return [index for index in range(size) if index not in covered]


def same_padding(kernel: int) -> tuple[int, int]:
    """Zeros to add before and after an axis so that stride 1 keeps its size.

    A kernel of size ``K`` needs ``K - 1`` zeros in all. For an odd ``K`` they
    split evenly; for an even ``K`` one side gets one more. PyTorch's
    ``padding="same"`` puts the extra zero after (right / bottom).

    Parameters
    ----------
    kernel : int
        Kernel length ``K >= 1``.

    Returns
    -------
    tuple of int
        ``(before, after)`` with ``before + after == K - 1``.
    """
    if isinstance(kernel, bool) or not isinstance(kernel, (int, np.integer)) or kernel < 1:
        raise ValueError(f"kernel must be an integer >= 1, got {kernel!r}")
    total = kernel - 1
    return total // 2, total - total // 2


def strided_feature_map(image, kernel, *, stride: int = 1, padding: int | str = 0) -> np.ndarray:
    """One feature map of a grayscale image with a given stride and padding.

    Computed by ``torch.nn.functional.conv2d`` on the zero-padded image.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale image.
    kernel : array_like, shape (kh, kw)
        One kernel.
    stride : int
        The step, the same along both axes.
    padding : int or "same"
        Zeros on each side, or ``"same"`` (only with ``stride=1``) for an
        output of the input's size, padded as :func:`same_padding` says.

    Returns
    -------
    numpy.ndarray, shape (H', W'), float32
        ``H' = conv_output_size(H, kh, padding, stride)``, likewise ``W'``
        (for ``"same"``: ``H' = H``, ``W' = W``).

    Raises
    ------
    ValueError
        For bad image or kernel input, a stride below 1, a negative or
        unknown padding, or ``"same"`` with a stride other than 1.
    """
    import torch
    import torch.nn.functional as F

    image = as_image(image)
    kernel_array = np.asarray(kernel)
    if kernel_array.ndim != 2:
        raise ValueError(
            f"kernel must be one 2-D kernel (kh, kw), got an array of shape {kernel_array.shape}"
        )
    kernel_array = as_filters(kernel_array, name="kernel")[0]
    kh, kw = kernel_array.shape
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
    if padding == "same":
        if stride != 1:
            raise ValueError(f'padding="same" needs stride 1, got stride {stride}')
        top, bottom = same_padding(kh)
        left, right = same_padding(kw)
    elif isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding >= 0:
        top = bottom = left = right = int(padding)
    else:
        raise ValueError(f'padding must be an integer >= 0 or "same", got {padding!r}')
    height, width = image.shape
    # Raises a ValueError if the kernel does not fit into the padded image.
    conv_output_size(height + top + bottom, kh, 0, stride)
    conv_output_size(width + left + right, kw, 0, stride)
    x = torch.from_numpy(np.ascontiguousarray(image))[None, None]
    x = F.pad(x, (left, right, top, bottom))
    w = torch.from_numpy(np.ascontiguousarray(kernel_array))[None, None]
    with torch.no_grad():
        out = F.conv2d(x, w, stride=stride)
    return out[0, 0].numpy()


def plot_maps_to_scale(
    maps,
    titles,
    *,
    pixels_per_inch: float = 110.0,
    symmetric: bool = True,
    magnify: Sequence[int] | None = None,
    grid: int | None = None,
    boxes=None,
) -> Figure:
    """Draw maps of different sizes side by side, all at the same pixel scale.

    A map half as wide is drawn half as wide, so the effect of stride and
    padding on the size is visible at a glance. With ``magnify``, a map's
    pixels are drawn larger instead, for example a pooled map at twice the
    scale, so that it covers the same area as the map it was pooled from.

    Parameters
    ----------
    maps : sequence of array_like, each shape (H_i, W_i)
        The maps, of any sizes.
    titles : sequence of str
        One per map.
    pixels_per_inch : float
        Map pixels per inch of figure.
    symmetric : bool
        If true (the default), one gray scale ``[-m, m]`` centred on zero for
        all maps, ``m`` the largest absolute value; otherwise one scale from
        the smallest to the largest value of all maps (for ReLU outputs).
    magnify : sequence of int, optional
        One factor per map (default all 1): map ``i`` is drawn with each of
        its pixels ``magnify[i]`` drawn pixels wide and tall.
    grid : int, optional
        If given, thin lines every ``grid`` drawn pixels across every panel:
        with ``grid=2`` and a pooled map magnified by 2, each 2x2 block of
        the source and the one pooled pixel it becomes get the same frame.
    boxes : sequence, optional
        One entry per map: ``None`` or a list of rectangles
        ``(top, left, height, width)`` in map positions to outline in orange,
        for example the regions that a zoomed figure enlarges. Each must lie
        inside its map.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .plotting import _new_figure

    arrays = [as_image(m, name=f"maps[{i}]") for i, m in enumerate(maps)]
    titles = list(titles)
    if len(titles) != len(arrays) or not arrays:
        raise ValueError(
            f"expected one title per map and at least one map, got {len(arrays)} maps "
            f"and {len(titles)} titles"
        )
    factors = [1] * len(arrays) if magnify is None else list(magnify)
    if len(factors) != len(arrays) or not all(
        isinstance(f, (int, np.integer)) and not isinstance(f, bool) and f >= 1 for f in factors
    ):
        raise ValueError(f"magnify must hold one integer >= 1 per map, got {magnify!r}")
    if grid is not None and (not isinstance(grid, (int, np.integer)) or isinstance(grid, bool) or grid < 1):
        raise ValueError(f"grid must be an integer >= 1 or None, got {grid!r}")
    boxes = [None] * len(arrays) if boxes is None else list(boxes)
    if len(boxes) != len(arrays):
        raise ValueError(f"expected one entry of boxes per map, got {len(boxes)} for {len(arrays)} maps")
    from .plotting import _check_box

    boxes = [[_check_box(b, *a.shape) for b in (entry or [])] for entry, a in zip(boxes, arrays)]
    widths = [a.shape[1] * f for a, f in zip(arrays, factors)]
    tallest = max(a.shape[0] * f for a, f in zip(arrays, factors))
    fig_width = sum(widths) / pixels_per_inch + 0.3 * len(arrays) + 0.2
    fig = _new_figure((fig_width, tallest / pixels_per_inch + 0.8))
    # A figure wider than the page (6.72 inches at 100 dpi) is shrunk to fit;
    # 1.4 points per inch of width keeps the titles at least 9 px tall there.
    title_size = max(9.0, 1.4 * fig_width)
    panels = fig.add_gridspec(1, len(arrays), width_ratios=widths)
    if symmetric:
        high = max(float(np.abs(a).max()) for a in arrays) or 1.0
        low = -high
    else:
        low = min(float(a.min()) for a in arrays)
        high = max(float(a.max()) for a in arrays)
        high = high if high > low else low + 1.0
    for i, (array, title, factor) in enumerate(zip(arrays, titles, factors)):
        ax = fig.add_subplot(panels[0, i], xticks=[], yticks=[])
        drawn_h, drawn_w = array.shape[0] * factor, array.shape[1] * factor
        # Drawn coordinates: each map pixel spans `factor` units.
        ax.imshow(array, cmap="gray", vmin=low, vmax=high,
                  extent=(-0.5, drawn_w - 0.5, drawn_h - 0.5, -0.5))
        ax.set_anchor("N")
        drawn = "" if factor == 1 else f", drawn {factor}x"
        ax.set_title(f"{title}\n{array.shape[0]} x {array.shape[1]}{drawn}", fontsize=title_size)
        ax.set_xlim(-0.5, drawn_w - 0.5)
        ax.set_ylim(tallest - 0.5, -0.5)
        if grid is not None:
            # Orange shows on black and on white alike.
            for x in np.arange(grid, drawn_w, grid) - 0.5:
                ax.plot([x, x], [-0.5, drawn_h - 0.5], color="tab:orange", linewidth=0.6, alpha=0.8)
            for y in np.arange(grid, drawn_h, grid) - 0.5:
                ax.plot([-0.5, drawn_w - 0.5], [y, y], color="tab:orange", linewidth=0.6, alpha=0.8)
        # Frame the map itself, not the (taller) axes around it.
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.add_patch(Rectangle((-0.5, -0.5), drawn_w, drawn_h,
                               fill=False, edgecolor="black", linewidth=0.8, clip_on=False))
        for top, left, box_height, box_width in boxes[i]:
            ax.add_patch(Rectangle((left * factor - 0.5, top * factor - 0.5), box_width * factor,
                                   box_height * factor, fill=False, edgecolor="#ffb000", linewidth=2.0,
                                   clip_on=False))
    fig.tight_layout()
    return fig
