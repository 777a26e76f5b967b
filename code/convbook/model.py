"""The lesson's one-layer network and a NumPy-friendly wrapper around it."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validation import as_filters, as_image, check_kernel_fits, check_weight

__all__ = ["Net", "feature_maps"]


class Net(nn.Module):
    """A convolutional layer whose weights are set to given kernels, followed by ReLU.

    Parameters
    ----------
    weight : torch.Tensor, shape (n, 1, kh, kw)
        One kernel per output channel, for a one-channel (grayscale) input.
        A floating-point tensor; the layer uses it as is, without a copy.

    Attributes
    ----------
    conv : torch.nn.Conv2d
        ``Conv2d(1, n, kernel_size=(kh, kw), bias=False)`` holding ``weight``.

    Raises
    ------
    ValueError
        If ``weight`` is not a floating-point ``torch.Tensor`` of shape
        ``(n, 1, kh, kw)``, or holds NaN or infinite values.

    Notes
    -----
    The weights are set, not frozen: ``conv.weight`` is an
    ``nn.Parameter`` with ``requires_grad=True``, so ``backward`` computes
    its gradient and an optimizer given ``net.parameters()`` changes it.
    To freeze the filters, call ``net.conv.weight.requires_grad_(False)``.
    """

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        check_weight(weight)
        if not torch.isfinite(weight).all():
            raise ValueError(
                "weight must hold finite values only, got "
                f"{int(torch.isnan(weight).sum())} NaN and "
                f"{int(torch.isinf(weight).sum())} infinite values"
            )
        n_filters = weight.shape[0]
        k_height, k_width = weight.shape[2:]
        self.conv = nn.Conv2d(1, n_filters, kernel_size=(k_height, k_width), bias=False)
        self.conv.weight = nn.Parameter(weight)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Apply the layer.

        Parameters
        ----------
        x : torch.Tensor, shape (N, 1, H, W)

        Returns
        -------
        conv_x : torch.Tensor, shape (N, n, H - kh + 1, W - kw + 1)
            The feature maps before activation.
        activated_x : torch.Tensor, same shape
            ``relu(conv_x)``.
        """
        conv_x = self.conv(x)
        activated_x = F.relu(conv_x)
        return conv_x, activated_x


def feature_maps(image, filters) -> tuple[np.ndarray, np.ndarray]:
    """Run the lesson's layer on one grayscale image.

    The numbers are those ``Net`` gives: a valid cross-correlation (no
    padding, stride 1), as ``torch.nn.Conv2d`` computes it.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale image, for example from ``load_grayscale``.
    filters : array_like, shape (n, kh, kw) or (kh, kw)
        The kernels.

    Returns
    -------
    conv : numpy.ndarray, shape (n, H - kh + 1, W - kw + 1), float32
        The feature maps before activation.
    activated : numpy.ndarray, same shape, float32
        The feature maps after ReLU.

    Raises
    ------
    ValueError
        For a colour (3-D) or empty image, filters that are not 2-D
        kernels, a kernel larger than the image, or NaN / infinite values.
    """
    image = as_image(image)
    filters = as_filters(filters)
    check_kernel_fits(image, filters.shape[1:])
    weight = torch.from_numpy(np.ascontiguousarray(filters)).unsqueeze(1)
    image_tensor = torch.from_numpy(np.ascontiguousarray(image))[None, None]
    with torch.no_grad():
        conv, activated = Net(weight)(image_tensor)
    return conv[0].numpy(), activated[0].numpy()
