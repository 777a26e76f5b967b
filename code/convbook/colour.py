"""Colour input: a convolution over three channels, and 1x1 convolution.

A colour photo is three arrays, red, green and blue, stacked as channels
``(3, H, W)`` -- PyTorch's channels-first order. One output channel of a
convolutional layer has one kernel *per input channel*: its weight has shape
``(3, kh, kw)``, and its feature map is the sum of the three per-channel
correlations. A layer with ``out`` output channels has weight
``(out, 3, kh, kw)``.
"""

from __future__ import annotations

from os import PathLike

import cv2
import numpy as np
from matplotlib.figure import Figure

from ._validation import as_channels, as_filters, as_float_array
from .images import read_bgr
from .correlation import correlate2d_fast
from .plotting import _new_figure

__all__ = [
    "load_colour",
    "channel_contributions",
    "colour_feature_maps",
    "pointwise_conv",
    "plot_colour_image",
]


def load_colour(path: str | PathLike) -> np.ndarray:
    """Load a photo as a channels-first RGB float32 array with values in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        The image file.

    Returns
    -------
    numpy.ndarray, shape (3, H, W), float32
        ``image[0]`` is red, ``image[1]`` green, ``image[2]`` blue.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If OpenCV cannot decode the file.
    """
    rgb = cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32) / 255


def channel_contributions(image, kernel) -> np.ndarray:
    """Each input channel's share of one output channel's feature map.

    Parameters
    ----------
    image : array_like, shape (C, H, W)
        A channels-first image, for example from :func:`load_colour`.
    kernel : array_like, shape (C, kh, kw)
        One output channel's weight: one 2-D kernel per input channel.

    Returns
    -------
    numpy.ndarray, shape (C, H - kh + 1, W - kw + 1), float32
        ``out[c]`` is the valid cross-correlation of ``image[c]`` with
        ``kernel[c]``. Their sum over ``c`` is the output channel's map.

    Raises
    ------
    ValueError
        If the shapes do not fit together.
    """
    image = as_channels(image)
    kernel = as_filters(kernel, name="kernel")
    if kernel.shape[0] != image.shape[0]:
        raise ValueError(
            f"kernel must have one 2-D kernel per input channel, shape "
            f"({image.shape[0]}, kh, kw), got shape {kernel.shape}"
        )
    return np.stack([correlate2d_fast(image[c], kernel[c])[0] for c in range(image.shape[0])])


def colour_feature_maps(image, weight) -> np.ndarray:
    """A convolutional layer on a multi-channel image, computed by PyTorch.

    Parameters
    ----------
    image : array_like, shape (C, H, W)
        A channels-first image.
    weight : array_like, shape (out, C, kh, kw)
        The layer's weight, as ``nn.Conv2d(C, out, (kh, kw)).weight`` holds it.

    Returns
    -------
    numpy.ndarray, shape (out, H - kh + 1, W - kw + 1), float32
        The feature maps before activation (valid, stride 1, no bias).

    Raises
    ------
    ValueError
        If ``weight`` is not 4-D with ``C`` input channels, or the kernel is
        larger than the image.
    """
    import torch
    import torch.nn.functional as F

    image = as_channels(image)
    weight = as_float_array(weight, name="weight")
    if weight.ndim != 4 or weight.shape[1] != image.shape[0]:
        raise ValueError(
            f"weight must have shape (out, {image.shape[0]}, kh, kw) for an image "
            f"with {image.shape[0]} channels, got shape {weight.shape}"
        )
    if weight.shape[2] > image.shape[1] or weight.shape[3] > image.shape[2]:
        raise ValueError(
            f"kernel of size {weight.shape[2]}x{weight.shape[3]} is larger than the "
            f"image of size {image.shape[1]}x{image.shape[2]}"
        )
    x = torch.from_numpy(np.ascontiguousarray(image))[None]
    w = torch.from_numpy(np.ascontiguousarray(weight))
    with torch.no_grad():
        return F.conv2d(x, w)[0].numpy()


def pointwise_conv(image, weights) -> np.ndarray:
    """A 1x1 convolution: at every pixel, a weighted sum of the channels.

    Parameters
    ----------
    image : array_like, shape (C, H, W)
    weights : array_like, shape (out, C)
        ``weights[o, c]`` multiplies channel ``c`` for output channel ``o``;
        it is ``nn.Conv2d(C, out, 1).weight[o, c, 0, 0]``.

    Returns
    -------
    numpy.ndarray, shape (out, H, W), float32
        ``out[o] = sum_c weights[o, c] * image[c]``: the size is unchanged.

    Raises
    ------
    ValueError
        If ``weights`` is not 2-D with ``C`` columns.
    """
    image = as_channels(image)
    weights = as_float_array(weights, name="weights")
    if weights.ndim != 2 or weights.shape[1] != image.shape[0]:
        raise ValueError(
            f"weights must have shape (out, {image.shape[0]}), got shape {weights.shape}"
        )
    return np.tensordot(weights, image, axes=([1], [0])).astype(np.float32)


def plot_colour_image(image, title: str | None = None, *, width: float = 6.0) -> Figure:
    """Draw a channels-first RGB image.

    Parameters
    ----------
    image : array_like, shape (3, H, W)
        Red, green and blue in [0, 1].
    title : str, optional
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    image = as_channels(image)
    if image.shape[0] != 3:
        raise ValueError(f"image must have 3 channels (RGB), got shape {image.shape}")
    height = width * image.shape[1] / image.shape[2] + (0.4 if title else 0.1)
    fig = _new_figure((width, height))
    ax = fig.add_subplot(xticks=[], yticks=[])
    ax.imshow(np.clip(image.transpose(1, 2, 0), 0.0, 1.0))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
