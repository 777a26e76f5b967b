"""Input checks shared by the package's public functions.

Each check raises a ``ValueError`` that says what was expected and what
came, so a reader never meets a cryptic traceback from deep inside OpenCV
or PyTorch.
"""

from __future__ import annotations

import numpy as np


def _describe(array: np.ndarray) -> str:
    return f"an array of shape {array.shape} and dtype {array.dtype}"


def _check_numeric(array: np.ndarray, name: str) -> None:
    # Real numbers only: strings, objects and complex numbers are refused.
    if (
        array.dtype == object
        or np.issubdtype(array.dtype, np.complexfloating)
        or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool)
    ):
        raise ValueError(
            f"{name} must be a numeric array of real numbers, got {_describe(array)}"
        )


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _as_finite_float32(array: np.ndarray, name: str) -> np.ndarray:
    """Cast a numeric array to float32; raise unless every value is finite.

    A value too large for float32 (beyond about 3.4e38) would become
    infinity in the cast; it is reported as such rather than as infinity.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        converted = array.astype(np.float32, copy=False)
    bad = ~np.isfinite(converted)
    if not bad.any():
        return converted
    source = array.astype(np.float64, copy=False)
    n_nan = int(np.isnan(source).sum())
    n_inf = int(np.isinf(source).sum())
    n_huge = int(bad.sum()) - n_nan - n_inf
    found = []  # at least one of the three counts is positive
    if n_nan:
        found.append(_plural(n_nan, "NaN", "NaN"))
    if n_inf:
        found.append(_plural(n_inf, "infinite value", "infinite values"))
    if n_huge:
        found.append(
            _plural(n_huge, "value", "values") + " too large for float32 (|x| > 3.4e38)"
        )
    raise ValueError(f"{name} must hold finite values only, got {', '.join(found)}")


def as_float_array(values, *, name: str) -> np.ndarray:
    """Return ``values`` as a finite float32 array of any shape.

    Parameters
    ----------
    values : array_like
        Real numbers.
    name : str
        How the argument is called in error messages.

    Returns
    -------
    numpy.ndarray, float32, the shape of ``values``

    Raises
    ------
    ValueError
        If ``values`` is not numeric or holds NaN, infinite values or values
        too large for float32.
    """
    array = np.asarray(values)
    _check_numeric(array, name)
    return _as_finite_float32(array, name)


def as_image(image, *, name: str = "image") -> np.ndarray:
    """Return ``image`` as a finite, non-empty 2-D float32 array.

    Parameters
    ----------
    image : array_like, shape (H, W)
        A grayscale image.
    name : str
        How the argument is called in error messages.

    Returns
    -------
    numpy.ndarray, shape (H, W), float32

    Raises
    ------
    ValueError
        If ``image`` is not 2-D (for example a 3-D colour array), is empty,
        is not numeric, or holds NaN or infinite values.
    """
    array = np.asarray(image)
    _check_numeric(array, name)
    if array.ndim == 3 and array.shape[-1] in (3, 4):
        raise ValueError(
            f"{name} must be a 2-D grayscale array (H, W), got a 3-D colour "
            f"array of shape {array.shape}; convert it with "
            "convbook.load_grayscale or cv2.cvtColor first"
        )
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D grayscale array (H, W), got {array.ndim}-D "
            f"{_describe(array)}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    return _as_finite_float32(array, name)



def as_panels(arrays, titles, *, name: str) -> tuple[list[np.ndarray], list[str]]:
    """Return one finite 2-D float32 array per panel, and the panels' titles.

    Parameters
    ----------
    arrays : sequence of array_like, each shape (H_i, W_i)
        One image per panel.
    titles : sequence of str
        One title per panel.
    name : str
        What the arrays are called in error messages (``grids``, ...).

    Raises
    ------
    ValueError
        For an array that :func:`as_image` refuses, no arrays, or a number
        of titles that differs from the number of arrays.
    """
    images = [as_image(array, name=f"{name}[{i}]") for i, array in enumerate(arrays)]
    titles = list(titles)
    if not images or len(titles) != len(images):
        raise ValueError(
            f"{name} and titles must be non-empty and of the same length, got "
            f"{len(images)} {name} and {len(titles)} titles"
        )
    return images, titles

def as_filters(filters, *, name: str = "filters") -> np.ndarray:
    """Return ``filters`` as a finite float32 stack of 2-D kernels.

    Parameters
    ----------
    filters : array_like, shape (n, kh, kw) or (kh, kw)
        A stack of kernels, or one kernel.
    name : str
        How the argument is called in error messages.

    Returns
    -------
    numpy.ndarray, shape (n, kh, kw), float32

    Raises
    ------
    ValueError
        If ``filters`` is neither one 2-D kernel nor a stack of them, is
        empty, or holds NaN or infinite values.
    """
    array = np.asarray(filters)
    _check_numeric(array, name)
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim != 3:
        raise ValueError(
            f"{name} must be one 2-D kernel (kh, kw) or a stack of them "
            f"(n, kh, kw), got {_describe(np.asarray(filters))}"
        )
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    return _as_finite_float32(array, name)


def as_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` that is at least ``minimum``.

    Raises
    ------
    ValueError
        If ``value`` is not an integer (a ``bool`` or a float is not), or is
        smaller than ``minimum``; the message names ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def as_int_pair(value, name: str, *, labels: str = "(H, W)", minimum: int = 1) -> tuple[int, int]:
    """Return ``value`` as two ``int`` s, each at least ``minimum``: a shape or a kernel size.

    Raises
    ------
    ValueError
        If ``value`` is not two integers >= ``minimum``; the message names
        ``name`` (and ``name[0]`` or ``name[1]`` for one bad element).
    """
    try:
        first, second = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two integers {labels}, got {value!r}") from None
    return as_int(first, f"{name}[0]", minimum=minimum), as_int(second, f"{name}[1]", minimum=minimum)


def check_kernel_fits(image: np.ndarray, kernel_shape: tuple[int, int]) -> None:
    """Raise ``ValueError`` if a kernel is larger than the image.

    Parameters
    ----------
    image : numpy.ndarray, shape (H, W)
    kernel_shape : tuple of int, (kh, kw)
    """
    height, width = image.shape
    kh, kw = kernel_shape
    if kh > height or kw > width:
        raise ValueError(
            f"kernel of size {kh}x{kw} is larger than the image of size "
            f"{height}x{width}; a valid convolution needs kh <= H and kw <= W"
        )


def check_weight(weight) -> None:
    """Raise ``ValueError`` unless ``weight`` is a tensor (n, 1, kh, kw).

    Parameters
    ----------
    weight : torch.Tensor
        The weight of a convolution with one input channel.
    """
    import torch  # only the model needs torch; keep this module light

    if not isinstance(weight, torch.Tensor):
        raise ValueError(
            "weight must be a torch.Tensor of shape (n, 1, kh, kw), got "
            f"{type(weight).__name__}; use torch.from_numpy(filters).unsqueeze(1)"
        )
    if weight.ndim != 4 or weight.shape[1] != 1:
        raise ValueError(
            "weight must be a tensor of shape (n, 1, kh, kw), got shape "
            f"{tuple(weight.shape)}"
        )
    if not torch.is_floating_point(weight):
        raise ValueError(
            f"weight must be a floating-point tensor, got {weight.dtype}; "
            "use .float() as the lesson's .type(torch.FloatTensor) does"
        )


def as_channels(image, *, name: str = "image") -> np.ndarray:
    """Return ``image`` as a finite, non-empty float32 array ``(C, H, W)``.

    Parameters
    ----------
    image : array_like, shape (C, H, W)
    name : str
        How the argument is called in error messages.

    Returns
    -------
    numpy.ndarray, shape (C, H, W), float32

    Raises
    ------
    ValueError
        If ``image`` is not 3-D channels-first, is empty or not finite.
    """
    array = np.asarray(image)
    if array.ndim != 3:
        raise ValueError(
            f"{name} must be a channels-first array (C, H, W), got an array of "
            f"shape {array.shape}"
        )
    if array.shape[-1] in (3, 4) and array.shape[0] not in (1, 3, 4):
        raise ValueError(
            f"{name} must be channels-first (C, H, W), got shape {array.shape}, "
            "which looks channels-last (H, W, C); use image.transpose(2, 0, 1)"
        )
    # as_filters checks "numeric, 3-D, non-empty, finite" for any stack.
    return as_filters(array, name=name)
