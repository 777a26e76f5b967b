"""Loading photos as grayscale arrays, the way the lesson does."""

from __future__ import annotations

from importlib import resources
from os import PathLike
from pathlib import Path

import cv2
import numpy as np

__all__ = ["sample_image_path", "load_grayscale"]


def sample_image_path() -> Path:
    """Return the path of the bundled sample photo.

    The photo is a 640 x 427 JPEG of a Falcon 9 rocket between lightning
    towers, released into the public domain by SpaceX (see
    ``convbook/data/README.md`` for its provenance).

    Returns
    -------
    pathlib.Path
        The path of ``rocket.jpg`` inside the installed package.
    """
    return Path(str(resources.files("convbook") / "data" / "rocket.jpg"))


def load_grayscale(path: str | PathLike) -> np.ndarray:
    """Load a photo as a grayscale float32 array with values in [0, 1].

    Follows the lesson: ``cv2.imread``, BGR to gray, then divide by 255.
    A PNG with an alpha channel and a file that is already gray work too.

    Parameters
    ----------
    path : str or os.PathLike
        The image file.

    Returns
    -------
    numpy.ndarray, shape (H, W), float32
        The gray values, 0.0 for black and 1.0 for white.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If OpenCV cannot decode the file (``cv2.imread`` would silently
        return ``None``).
    """
    # read_bgr decodes as cv2.imread(path) does: a gray file becomes three
    # equal channels and an alpha channel is dropped, so BGR -> gray fits
    # every file.
    gray_image = cv2.cvtColor(read_bgr(path), cv2.COLOR_BGR2GRAY)
    return gray_image.astype("float32") / 255


def read_bgr(path: str | PathLike) -> np.ndarray:
    """Decode an image file into OpenCV's 8-bit BGR layout, or say why not.

    ``cv2.imdecode(..., IMREAD_COLOR)`` is what ``cv2.imread(path)`` does,
    but it also copes with non-ASCII paths.

    Parameters
    ----------
    path : str or os.PathLike
        The image file.

    Returns
    -------
    numpy.ndarray, shape (H, W, 3), uint8
        Blue, green, red.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If OpenCV cannot decode the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    raw = np.fromfile(path, dtype=np.uint8)
    bgr_image = cv2.imdecode(raw, cv2.IMREAD_COLOR) if raw.size else None
    if bgr_image is None:
        raise ValueError(f"OpenCV could not decode {path} as an image")
    return bgr_image
