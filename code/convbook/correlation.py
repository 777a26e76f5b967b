"""What a convolutional layer computes, written out: cross-correlation by hand.

Three ways to compute the same feature map, used to check one another:

* :func:`correlate2d_loop` -- a plain Python loop over output positions, the
  definition made executable (slow, for reading);
* :func:`correlate2d_fast` -- OpenCV's ``filter2D`` cropped to the valid
  region (fast, no PyTorch needed; the command line uses it);
* :func:`convbook.feature_maps` -- PyTorch's ``nn.Conv2d``, the lesson's layer.

:func:`convolve2d_loop` is true convolution (the kernel flipped), to show
the one difference between the two operations.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._validation import as_filters, as_image, check_kernel_fits

__all__ = ["correlate2d_loop", "convolve2d_loop", "correlate2d_fast", "flip_kernel"]


def correlate2d_loop(image, kernel) -> np.ndarray:
    """Valid 2-D cross-correlation with an explicit loop over output positions.

    Output pixel ``(r, c)`` is the patch of ``image`` whose top-left corner is
    at ``(r, c)``, multiplied element by element with ``kernel`` and summed:

    ``out[r, c] = sum_{i, j} image[r + i, c + j] * kernel[i, j]``.

    This is what ``torch.nn.Conv2d`` computes (no padding, stride 1).

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale image.
    kernel : array_like, shape (kh, kw)
        One kernel.

    Returns
    -------
    numpy.ndarray, shape (H - kh + 1, W - kw + 1), float32
        The feature map.

    Raises
    ------
    ValueError
        For an image that is not 2-D, a kernel that is not one 2-D kernel,
        a kernel larger than the image, or NaN / infinite values.
    """
    image = as_image(image)
    kernel = _one_kernel(kernel)
    check_kernel_fits(image, kernel.shape)
    kh, kw = kernel.shape
    out_h = image.shape[0] - kh + 1
    out_w = image.shape[1] - kw + 1
    out = np.empty((out_h, out_w), dtype=np.float32)
    for r in range(out_h):
        for c in range(out_w):
            patch = image[r : r + kh, c : c + kw]
            out[r, c] = np.sum(patch * kernel)
    return out


def flip_kernel(kernel) -> np.ndarray:
    """Rotate a kernel by 180 degrees (flip it up-down and left-right).

    Parameters
    ----------
    kernel : array_like, shape (kh, kw)

    Returns
    -------
    numpy.ndarray, shape (kh, kw), float32
        ``kernel[::-1, ::-1]``.
    """
    return np.ascontiguousarray(_one_kernel(kernel)[::-1, ::-1])


def convolve2d_loop(image, kernel) -> np.ndarray:
    """Valid 2-D convolution, in the mathematical sense, by explicit loop.

    Convolution slides the *flipped* kernel:
    ``out[r, c] = sum_{i, j} image[r + i, c + j] * kernel[kh-1-i, kw-1-j]``,
    that is, :func:`correlate2d_loop` with :func:`flip_kernel` applied.
    Deep-learning layers called "convolution" compute cross-correlation;
    for a learned kernel the difference is only which way round it is stored.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kernel : array_like, shape (kh, kw)

    Returns
    -------
    numpy.ndarray, shape (H - kh + 1, W - kw + 1), float32
    """
    return correlate2d_loop(image, flip_kernel(kernel))


def correlate2d_fast(image, filters) -> np.ndarray:
    """Valid cross-correlation with each filter, using ``cv2.filter2D``.

    ``cv2.filter2D`` computes a correlation over the whole image, padding the
    border by reflection and placing the kernel's anchor at its centre. The
    valid region -- where the kernel lies fully inside the image -- is the
    same numbers :func:`convbook.feature_maps` gives; this function crops
    to it. It needs no PyTorch, so it is quick to import.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale image.
    filters : array_like, shape (n, kh, kw) or (kh, kw)
        The kernels.

    Returns
    -------
    numpy.ndarray, shape (n, H - kh + 1, W - kw + 1), float32
        One feature map per filter, before activation.

    Raises
    ------
    ValueError
        For the same bad input as :func:`convbook.feature_maps`.
    """
    image = as_image(image)
    filters = as_filters(filters)
    check_kernel_fits(image, filters.shape[1:])
    n, kh, kw = filters.shape
    height, width = image.shape
    out = np.empty((n, height - kh + 1, width - kw + 1), dtype=np.float32)
    # One whole-image buffer for every filter: a 12-megapixel photo's is 48 MB.
    full = np.empty((height, width), dtype=np.float32)
    for k in range(n):
        out[k] = _correlate_valid_into(full, image, filters[k])
    return out


def _correlate_valid_into(full: np.ndarray, image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """One kernel's valid correlation, computed in ``full``; return its view.

    ``image`` (H, W) and ``kernel`` (kh, kw) are float32 arrays already
    checked; ``full`` is a float32 buffer of the image's shape, overwritten.
    Returns ``full[:H - kh + 1, :W - kw + 1]``, the valid region, a view.
    """
    # With anchor (0, 0), dst[r, c] = sum image[r + i, c + j] * kernel[i, j]:
    # rows 0 .. H-kh and columns 0 .. W-kw never touch the padded border.
    cv2.filter2D(image, cv2.CV_32F, kernel, dst=full, anchor=(0, 0),
                 borderType=cv2.BORDER_REFLECT_101)
    kh, kw = kernel.shape
    return full[: image.shape[0] - kh + 1, : image.shape[1] - kw + 1]


def _one_kernel(kernel, name: str = "kernel") -> np.ndarray:
    array = np.asarray(kernel)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be one 2-D kernel (kh, kw), got an array of shape {array.shape}"
        )
    return as_filters(array, name=name)[0]
