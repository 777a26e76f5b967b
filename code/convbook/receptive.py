"""Receptive fields: which input pixels one output value of a stack can see.

For a stack of convolutions (no padding) with kernel sizes ``k_l``, strides
``s_l`` and dilations ``d_l``, the receptive field of one value after layer
``l`` is a square of side

    r_l = r_{l-1} + (k_l - 1) * d_l * (s_1 * s_2 * ... * s_{l-1}),   r_0 = 1,

and a dilated convolution's output has

    out = floor((W + 2P - D * (K - 1) - 1) / S) + 1

values along an axis of length ``W``. This module computes both, builds real
PyTorch stacks with fixed weights to *measure* the receptive field by
back-propagation, and draws the results. PyTorch is imported only by the
functions that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ._validation import as_filters, as_image, as_int, as_panels

__all__ = [
    "ConvSpec",
    "FieldRow",
    "receptive_field_table",
    "receptive_field_size",
    "dilated_output_size",
    "dilate_kernel",
    "conv_stack",
    "unit_input_gradient",
    "nonzero_box",
    "plot_receptive_fields",
    "plot_effective_receptive_field",
]


class ConvSpec(NamedTuple):
    """One convolution of a stack: its kernel size, stride and dilation."""

    kernel: int
    stride: int = 1
    dilation: int = 1


class FieldRow(NamedTuple):
    """One row of :func:`receptive_field_table`.

    Attributes
    ----------
    kernel, stride, dilation : int
        The layer's settings.
    input_spacing : int
        Distance, in input pixels, between neighbouring values of the layer's
        *input*: the product of the strides of all earlier layers.
    size : int
        Side of the square receptive field of one value after this layer.
    """

    kernel: int
    stride: int
    dilation: int
    input_spacing: int
    size: int


def _as_specs(layers) -> list[ConvSpec]:
    """Validate ``layers``: a non-empty sequence of (kernel, stride, dilation) tuples."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError(
            "layers must be a non-empty sequence of (kernel, stride, dilation) "
            f"tuples, got {layers!r}"
        )
    specs = []
    for index, layer in enumerate(layers):
        if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
            layer = (layer,)
        if not isinstance(layer, Sequence) or not 1 <= len(layer) <= 3:
            raise ValueError(
                f"layers[{index}] must be (kernel,), (kernel, stride) or "
                f"(kernel, stride, dilation), got {layer!r}"
            )
        spec = ConvSpec(*layer)
        specs.append(
            ConvSpec(
                as_int(spec.kernel, f"layers[{index}] kernel", minimum=1),
                as_int(spec.stride, f"layers[{index}] stride", minimum=1),
                as_int(spec.dilation, f"layers[{index}] dilation", minimum=1),
            )
        )
    return specs


def receptive_field_table(layers) -> list[FieldRow]:
    """The receptive field's side after each layer of a stack.

    Parameters
    ----------
    layers : sequence of tuple
        One ``(kernel, stride, dilation)`` per layer, first layer first;
        stride and dilation may be left out (they default to 1). Square
        kernels, no padding.

    Returns
    -------
    list of FieldRow
        One row per layer, with ``size = r_l`` from the recurrence
        ``r_l = r_{l-1} + (k_l - 1) * d_l * input_spacing_l``, ``r_0 = 1``.

    Raises
    ------
    ValueError
        If ``layers`` is empty or a kernel, stride or dilation is not an
        integer >= 1.
    """
    rows = []
    size, spacing = 1, 1
    for spec in _as_specs(layers):
        size = size + (spec.kernel - 1) * spec.dilation * spacing
        rows.append(FieldRow(spec.kernel, spec.stride, spec.dilation, spacing, size))
        spacing *= spec.stride
    return rows


def receptive_field_size(layers) -> int:
    """Side of the receptive field of one value at the end of a stack.

    Parameters
    ----------
    layers : sequence of tuple
        As in :func:`receptive_field_table`.

    Returns
    -------
    int
        The last row's ``size``.
    """
    return receptive_field_table(layers)[-1].size


def dilated_output_size(
    size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1
) -> int:
    """Length of a (possibly dilated) convolution's output along one axis.

    A kernel of ``K`` taps with dilation ``D`` spans ``D * (K - 1) + 1``
    input positions, so the output has
    ``floor((W + 2P - D * (K - 1) - 1) / S) + 1`` values, the formula of
    ``nn.Conv2d``. With ``D = 1`` it is the formula of
    :func:`convbook.conv_output_size`.

    Parameters
    ----------
    size : int
        Input length ``W >= 1``.
    kernel : int
        Number of taps ``K >= 1``.
    padding : int
        Zeros on each side, ``P >= 0``.
    stride : int
        ``S >= 1``.
    dilation : int
        Spacing between the taps, ``D >= 1`` (1: no gaps).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If an argument is out of range or the dilated kernel does not fit
        into the padded input.
    """
    size = as_int(size, "size", minimum=1)
    kernel = as_int(kernel, "kernel", minimum=1)
    padding = as_int(padding, "padding", minimum=0)
    stride = as_int(stride, "stride", minimum=1)
    dilation = as_int(dilation, "dilation", minimum=1)
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * padding:
        raise ValueError(
            f"a kernel of {kernel} taps with dilation {dilation} spans {span} positions "
            f"and does not fit into an input of size {size} with padding {padding}"
        )
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def dilate_kernel(kernel, dilation: int) -> np.ndarray:
    """Spread a kernel's taps ``dilation`` apart, with zeros in between.

    Correlating with the result is the same as correlating with ``kernel``
    and ``dilation=dilation``.

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)
    dilation : int
        ``D >= 1``.

    Returns
    -------
    numpy.ndarray, shape (D * (kh - 1) + 1, D * (kw - 1) + 1), float32
        ``out[D * i, D * j] = kernel[i, j]``, zero elsewhere.
    """
    array = np.asarray(kernel)
    if array.ndim != 2:
        raise ValueError(f"kernel must be one 2-D kernel (kh, kw), got shape {array.shape}")
    array = as_filters(array, name="kernel")[0]
    dilation = as_int(dilation, "dilation", minimum=1)
    kh, kw = array.shape
    out = np.zeros((dilation * (kh - 1) + 1, dilation * (kw - 1) + 1), dtype=np.float32)
    out[::dilation, ::dilation] = array
    return out


def conv_stack(layers, *, channels: int = 1, seed: int = 0):
    """A real stack of ``nn.Conv2d`` layers with fixed, seeded, positive weights.

    The first layer takes one channel; every layer outputs ``channels``. There
    is no bias, padding or activation, so each output value is a weighted sum
    of input pixels. The weights are drawn uniformly from [0.1, 1): all
    positive, so contributions along different paths never cancel and every
    pixel inside the receptive field gets a nonzero gradient.

    Parameters
    ----------
    layers : sequence of tuple
        One ``(kernel, stride, dilation)`` per layer, as in
        :func:`receptive_field_table`.
    channels : int
        Channels between the layers, ``>= 1``.
    seed : int
        Seed of the generator that draws the weights. PyTorch's global
        random state is left as it was.

    Returns
    -------
    torch.nn.Sequential
        Input ``(N, 1, H, W)``, output ``(N, channels, H', W')``.
    """
    import torch
    from torch import nn

    specs = _as_specs(layers)
    channels = as_int(channels, "channels", minimum=1)
    seed = as_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    modules = []
    in_channels = 1
    # nn.Conv2d draws initial weights from the global generator; fork it so
    # that building a stack does not change what torch.rand gives next.
    with torch.random.fork_rng(devices=[]):
        for spec in specs:
            conv = nn.Conv2d(in_channels, channels, spec.kernel, stride=spec.stride,
                             dilation=spec.dilation, bias=False)
            with torch.no_grad():
                conv.weight.copy_(0.1 + 0.9 * torch.rand(conv.weight.shape, generator=generator))
            modules.append(conv)
            in_channels = channels
    return nn.Sequential(*modules)


def unit_input_gradient(stack, image, row: int | None = None, col: int | None = None) -> np.ndarray:
    """Gradient of one output value of ``stack`` with respect to every input pixel.

    Runs ``stack`` on ``image`` and back-propagates a one-hot gradient: 1 for
    the value at ``(row, col)`` of the first output channel, 0 for all
    others. Input pixels outside that value's receptive field get exactly 0.

    Parameters
    ----------
    stack : torch.nn.Module
        Takes ``(1, 1, H, W)``, returns ``(1, C, H', W')``.
    image : array_like, shape (H, W)
        The input.
    row, col : int, optional
        The output value; the centre of the output by default.

    Returns
    -------
    numpy.ndarray, shape (H, W), float32
        ``d out[0, 0, row, col] / d image``.

    Raises
    ------
    ValueError
        For a bad image, or ``row`` / ``col`` outside the output.
    """
    import torch

    image = as_image(image)
    x = torch.from_numpy(np.ascontiguousarray(image))[None, None].requires_grad_(True)
    out = stack(x)
    out_h, out_w = out.shape[2:]
    row = (out_h - 1) // 2 if row is None else row
    col = (out_w - 1) // 2 if col is None else col
    for name, value, limit in (("row", row, out_h), ("col", col, out_w)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < limit:
            raise ValueError(f"{name} must be an integer in [0, {limit}), got {value!r}")
    one_hot = torch.zeros_like(out)
    one_hot[0, 0, row, col] = 1.0
    out.backward(one_hot)
    return x.grad[0, 0].numpy()


def nonzero_box(values) -> tuple[int, int, int, int]:
    """The smallest rectangle holding every nonzero value of a 2-D array.

    Parameters
    ----------
    values : array_like, shape (H, W)

    Returns
    -------
    tuple of int
        ``(top, left, height, width)``.

    Raises
    ------
    ValueError
        If ``values`` is not a finite 2-D array or is zero everywhere.
    """
    values = as_image(values, name="values")
    rows = np.flatnonzero(values.any(axis=1))
    cols = np.flatnonzero(values.any(axis=0))
    if rows.size == 0:
        raise ValueError("values must hold at least one nonzero entry, got all zeros")
    return (int(rows[0]), int(cols[0]), int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1))


def plot_receptive_fields(image, gradients, titles: Sequence[str], *, panel_size: float = 2.2) -> Figure:
    """Draw measured receptive fields over the same image, one panel each.

    Each panel shows ``image`` in gray, tints the pixels whose gradient is
    nonzero orange and frames each of them, and outlines their bounding box
    in red.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Gray values in [0, 1], for example a crop of the photo.
    gradients : sequence of array_like, each shape (H, W)
        One input gradient per panel (from :func:`unit_input_gradient`).
    titles : sequence of str
        One per panel.
    panel_size : float
        Width of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``image`` or a gradient is not a finite 2-D array, a gradient's
        shape differs from the image's or it is zero everywhere, or there is
        not one title per gradient.
    """
    from .plotting import _new_figure

    image = as_image(image)
    grads, titles = as_panels(gradients, titles, name="gradients")
    for i, g in enumerate(grads):
        if g.shape != image.shape:
            raise ValueError(f"gradients[{i}] must have the image's shape {image.shape}, got {g.shape}")
        if not g.any():
            raise ValueError(
                f"gradients[{i}] must hold at least one nonzero value (a pixel of the "
                "receptive field), got zeros only"
            )
    n = len(grads)
    height, width = image.shape
    fig = _new_figure((panel_size * n + 0.2, panel_size * height / width + 0.6))
    for i, (grad, title) in enumerate(zip(grads, titles)):
        ax = fig.add_subplot(1, n, i + 1, xticks=[], yticks=[])
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0)
        tint = np.zeros((height, width, 4), dtype=np.float32)
        # Orange, nearly opaque, so that it stands out on light pixels too.
        tint[grad != 0] = (1.0, 0.55, 0.0, 0.85)
        ax.imshow(tint)
        top, left, box_h, box_w = nonzero_box(grad)
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), box_w, box_h, fill=False,
                               edgecolor="red", linewidth=2, zorder=3))
        # A dark frame around every pixel of the field: a sparse (dilated)
        # field shows as separate squares with the photo between them.
        for r, c in zip(*np.nonzero(grad)):
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False,
                                   edgecolor="black", linewidth=0.8))
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_effective_receptive_field(gradient, *, width: float = 6.4) -> Figure:
    """The gradient's magnitude over the receptive field, and its column profile.

    Left: ``|gradient|`` cropped to its nonzero box, as a heat map. Right: the
    share of the total magnitude in each column of the box, as bars, with
    the normal curve of the same mean and variance.

    Parameters
    ----------
    gradient : array_like, shape (H, W)
        An input gradient from :func:`unit_input_gradient`.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .plotting import _new_figure

    gradient = np.abs(as_image(gradient, name="gradient"))
    top, left, box_h, box_w = nonzero_box(gradient)
    box = gradient[top : top + box_h, left : left + box_w]
    profile = box.sum(axis=0) / box.sum()
    positions = np.arange(box_w)
    mean = float((positions * profile).sum())
    std = float(np.sqrt(((positions - mean) ** 2 * profile).sum())) or 1.0
    fine = np.linspace(0, box_w - 1, 200)
    normal = np.exp(-0.5 * ((fine - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))

    fig = _new_figure((width, width * 0.45))
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.3])
    ax = fig.add_subplot(grid[0, 0], xticks=[], yticks=[])
    shown = ax.imshow(box / box.max(), cmap="magma", vmin=0.0, vmax=1.0)
    ax.set_title(f"|gradient|, {box_h} x {box_w}", fontsize=11)
    bar = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    bar.ax.tick_params(labelsize=9)
    ax2 = fig.add_subplot(grid[0, 1])
    ax2.bar(positions, profile, color="tab:orange", label="measured")
    ax2.plot(fine, normal, color="black", linewidth=1.5, label="normal curve")
    ax2.set_xlabel("column in the receptive field", fontsize=10)
    ax2.set_ylabel("share of |gradient|", fontsize=10)
    ax2.tick_params(labelsize=9)
    ax2.set_ylim(0, max(profile.max(), normal.max()) * 1.35)
    ax2.legend(fontsize=9, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig
