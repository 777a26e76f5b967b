"""The CNN lab: a drawn digit made into the network's input, and the network exported for the browser.

The lab page (``book/lab.md``) runs the deeper chapter's network
(:class:`convbook.LeNetDigits`, trained by :func:`convbook.train_deeper_cnn`
with seed 0) in the reader's browser. What it needs comes from here,
so that Python and the page agree number for number:

* :func:`ink_from_canvas` and :func:`digit_from_ink` -- a drawing made into
  an 8x8 digit the way scikit-learn's digits were made from their 32x32
  bitmaps: the ink cropped to its bounding box, scaled to fit a 32x32 square
  keeping its aspect, centred, then each 4x4 block's ink count (0 to 16)
  divided by 16. The page's ``cnn-core.js`` does the same, step for step,
  in integer arithmetic, so both give the same numbers bit for bit;
* :func:`ink_from_photo` -- the ink of a photo of a handwritten digit: the
  darker side of Otsu's threshold, as OpenCV picks it;
* :func:`lab_export` -- the trained network's parameters and the test
  digits as JSON-ready data, float32 values stored as base64 of their
  little-endian bytes (exact, and about half the size of their decimals).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import numpy as np

from ._validation import as_float_array

if TYPE_CHECKING:  # pragma: no cover - typing only
    from torch import nn

    from .digits import DigitSplit

__all__ = ["BITMAP_SIDE", "BLOCK", "INK_ALPHA", "ink_from_canvas", "ink_from_photo", "digit_from_ink",
           "lab_export"]

#: Side of the square the ink is scaled into (the digits' original bitmaps).
BITMAP_SIDE = 32
#: Side of the blocks whose ink is counted: 32 / 4 = 8 values a side.
BLOCK = 4
#: A canvas pixel is ink when its opacity (alpha, 0-255) is at least this.
INK_ALPHA = 128


def ink_from_canvas(rgba) -> np.ndarray:
    """Which pixels of a drawing are ink: those at least half opaque.

    The lab's canvas starts transparent and the strokes are painted opaque,
    so ink is told by opacity alone, whatever colour the page's theme draws
    it in.

    Parameters
    ----------
    rgba : array_like, shape (H, W, 4)
        The canvas's pixels, values 0 to 255 (``getImageData``'s order:
        red, green, blue, alpha).

    Returns
    -------
    numpy.ndarray, shape (H, W), bool
        True where the alpha is at least :data:`INK_ALPHA`.

    Raises
    ------
    ValueError
        If ``rgba`` is not a finite (H, W, 4) array of values from 0 to 255.
    """
    pixels = as_float_array(rgba, name="rgba")
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"rgba must be an (H, W, 4) array of canvas pixels, got shape {pixels.shape}")
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"rgba must hold values from 0 to 255, got {pixels.min()} to {pixels.max()}")
    return pixels[:, :, 3] >= INK_ALPHA


def ink_from_photo(rgba) -> np.ndarray:
    """Which pixels of a photo of a handwritten digit are ink: the darker side of Otsu's threshold.

    The photo's colours become gray levels as :func:`convbook.load_grayscale`
    makes them (OpenCV's ``cvtColor``); Otsu's method (Otsu, 1979)
    picks the level that best splits them into two groups (OpenCV's
    ``THRESH_OTSU``), and the pixels at or below it, the darker group, are
    the ink: dark ink on light paper.

    Parameters
    ----------
    rgba : array_like, shape (H, W, 4)
        The photo's pixels, whole numbers from 0 to 255 (red, green, blue,
        alpha; the alpha is ignored: the lab draws the photo on white).

    Returns
    -------
    numpy.ndarray, shape (H, W), bool
        True where the gray level is at most Otsu's threshold.

    Raises
    ------
    ValueError
        If ``rgba`` is not a finite (H, W, 4) array of whole numbers from 0 to 255.
    """
    import cv2

    pixels = as_float_array(rgba, name="rgba")
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"rgba must be an (H, W, 4) array of photo pixels, got shape {pixels.shape}")
    if pixels.min() < 0 or pixels.max() > 255 or not np.array_equal(pixels, np.round(pixels)):
        raise ValueError("rgba must hold whole numbers from 0 to 255")
    gray = cv2.cvtColor(np.ascontiguousarray(pixels[:, :, :3], dtype=np.uint8), cv2.COLOR_RGB2GRAY)
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return gray <= threshold


def digit_from_ink(ink) -> np.ndarray:
    """An 8x8 digit, as the network's input, from an ink mask.

    The steps of scikit-learn's digits (Alpaydin and Kaynak's
    preprocessing of NIST's forms):

    1. crop the mask to the bounding box of its ink, ``h x w`` pixels;
    2. scale it to fit a 32x32 square keeping its aspect: the longer side
       becomes 32, the shorter ``max(1, round(32 * short / long))``
       (halves rounded up). Each pixel of the scaled bitmap covers the
       rows ``floor(i * h / h')`` up to ``floor((i + 1) * h / h')`` of the
       crop (at least one row), and likewise for the columns; it is ink
       when at least half of the pixels it covers are;
    3. centre it in the 32x32 square (the top and left margins rounded down);
    4. count the ink of each 4x4 block (0 to 16) and divide by 16, the
       scale of :func:`convbook.load_digit_split`.

    Every step is integer arithmetic, so ``cnn-core.js`` in the lab page
    gives the same numbers.

    Parameters
    ----------
    ink : array_like, shape (H, W)
        Nonzero where there is ink (for example :func:`ink_from_canvas`'s
        mask).

    Returns
    -------
    numpy.ndarray, shape (8, 8), float32
        Values ``k / 16`` for whole ``k`` from 0 to 16.

    Raises
    ------
    ValueError
        If ``ink`` is not a finite 2-D array, or has no ink at all.
    """
    mask = as_float_array(ink, name="ink")
    if mask.ndim != 2 or mask.size == 0:
        raise ValueError(f"ink must be a non-empty 2-D array (H, W), got shape {mask.shape}")
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("ink must mark at least one pixel: the drawing is empty")
    crop = (mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] != 0).astype(np.int64)
    height, width = crop.shape
    longer = max(height, width)
    # round(32 * short / long), halves up, in integers: floor((64 * short + long) / (2 * long)).
    scaled_h = max(1, (2 * BITMAP_SIDE * height + longer) // (2 * longer))
    scaled_w = max(1, (2 * BITMAP_SIDE * width + longer) // (2 * longer))
    # Summed-area table: the ink in any box in four look-ups.
    table = np.zeros((height + 1, width + 1), dtype=np.int64)
    table[1:, 1:] = crop.cumsum(axis=0).cumsum(axis=1)
    row_start, row_end = _spans(height, scaled_h)
    col_start, col_end = _spans(width, scaled_w)
    ink_in_box = (table[np.ix_(row_end, col_end)] - table[np.ix_(row_start, col_end)]
                  - table[np.ix_(row_end, col_start)] + table[np.ix_(row_start, col_start)])
    area = np.outer(row_end - row_start, col_end - col_start)
    bitmap = np.zeros((BITMAP_SIDE, BITMAP_SIDE), dtype=np.int64)
    top, left = (BITMAP_SIDE - scaled_h) // 2, (BITMAP_SIDE - scaled_w) // 2
    bitmap[top : top + scaled_h, left : left + scaled_w] = 2 * ink_in_box >= area
    side = BITMAP_SIDE // BLOCK
    counts = bitmap.reshape(side, BLOCK, side, BLOCK).sum(axis=(1, 3))
    return (counts / (BLOCK * BLOCK)).astype(np.float32)


def _spans(source: int, target: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``target`` pixels, the first and one-past-last source pixel it covers."""
    index = np.arange(target)
    start = index * source // target
    end = np.maximum(start + 1, (index + 1) * source // target)
    return start, end


def _float32_base64(values) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def lab_export(model: nn.Module, split: DigitSplit) -> dict:
    """The lab page's data: a trained :class:`convbook.LeNetDigits` and the test digits.

    Parameters
    ----------
    model : LeNetDigits
        Without batch normalisation, for example
        ``train_deeper_cnn(split, seed=0).model``.
    split : DigitSplit
        Its test digits go to the page's gallery and accuracy.

    Returns
    -------
    dict
        JSON-ready:

        ``parameters``
            ``{name: {"shape": [...], "data": base64}}`` for each of the
            model's ``state_dict`` entries (``conv1.weight``, ``conv1.bias``,
            ..., ``fc.bias``): the float32 values' little-endian bytes, so
            the page gets the same numbers bit for bit.
        ``digits``
            ``{"count": n, "counts": base64, "labels": [...]}``: the test
            digits as 8-bit ink counts, ``image * 16`` (``n * 64`` bytes,
            row by row), and their labels.
        ``gray``
            The integer weights with which the installed OpenCV turns
            colour into gray (:func:`convbook.sphinx_playground.gray_weights`),
            for a photo's ink (:func:`ink_from_photo`).
        ``weight_limit``
            :data:`convbook.presets.WEIGHT_LIMIT`: the page accepts an
            edited weight or bias ``w`` only when ``abs(w) <= weight_limit``,
            as the playground does.

    Raises
    ------
    ValueError
        For a model that is not a LeNetDigits without batch normalisation,
        or a split that is not a DigitSplit.
    """
    from .deeper import LeNetDigits
    from .digits import DIGIT_MAX_VALUE, DigitSplit
    from .presets import WEIGHT_LIMIT
    from .sphinx_playground import gray_weights

    if not isinstance(model, LeNetDigits) or model.batch_norm:
        raise ValueError(f"model must be a LeNetDigits without batch normalisation, got {type(model).__name__}")
    if not isinstance(split, DigitSplit):
        raise ValueError(f"split must be a DigitSplit, got {type(split).__name__}")
    parameters = {
        name: {"shape": list(tensor.shape), "data": _float32_base64(tensor.detach().cpu().numpy())}
        for name, tensor in model.state_dict().items()
    }
    counts = np.rint(split.test_images * DIGIT_MAX_VALUE)
    if not np.array_equal(counts / DIGIT_MAX_VALUE, split.test_images):
        raise ValueError("split.test_images must be ink counts divided by 16, as load_digit_split gives them")
    return {
        "parameters": parameters,
        "digits": {
            "count": int(len(counts)),
            "counts": base64.b64encode(counts.astype(np.uint8).tobytes()).decode("ascii"),
            "labels": [int(label) for label in split.test_labels],
        },
        "weight_limit": WEIGHT_LIMIT,
        "gray": gray_weights(),
    }
