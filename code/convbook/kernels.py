"""Classic hand-made kernels of image processing, and named filter sets.

Before CNNs learned their filters, image processing used kernels designed by
hand. Each one here is a small array; the layer that applies it is the same
cross-correlation as the lesson's.
"""

from __future__ import annotations

import numpy as np

from .correlation import _one_kernel
from .filters import edge_filters

__all__ = ["classic_kernels", "compose_kernels", "filter_set", "FILTER_SETS"]

#: The names :func:`filter_set` (and the command line's ``--filters``) accepts.
FILTER_SETS: tuple[str, ...] = ("lesson", "sobel", "blur", "laplacian")


def classic_kernels() -> dict[str, np.ndarray]:
    """Return the classic 3x3 kernels by name.

    - ``"sobel_x"``: responds to left-to-right brightness change (a smoothed
      horizontal derivative), ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]``;
    - ``"sobel_y"``: its transpose, top-to-bottom change (x is the column
      index here, as in OpenCV; Gonzalez & Woods call the row direction x,
      so their ``g_x`` mask is this ``sobel_y``);
    - ``"blur"``: the 3x3 box blur, every weight 1/9 (weights sum to 1, so a
      flat region keeps its value);
    - ``"sharpen"``: ``5`` in the centre, ``-1`` at the four neighbours
      (the image plus its negative Laplacian);
    - ``"laplacian"``: ``-4`` in the centre, ``1`` at the four neighbours; it
      responds to edges in every direction.

    Returns
    -------
    dict of str to numpy.ndarray, each shape (3, 3), float32
    """
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    return {
        "sobel_x": sobel_x,
        "sobel_y": sobel_x.T.copy(),
        "blur": np.full((3, 3), 1 / 9, dtype=np.float32),
        "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
        "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32),
    }


def compose_kernels(first, second) -> np.ndarray:
    """The one kernel that does ``first``, then ``second`` (both correlations).

    Correlating with ``first`` and then with ``second`` equals correlating
    once with their *full* composition ``C``,
    ``C[u, v] = sum_{i, j} first[u - i, v - j] * second[i, j]``, of shape
    ``(h1 + h2 - 1, w1 + w2 - 1)`` (on the valid region). This is why two
    stacked layers without an activation between them are no more powerful
    than one layer with a larger kernel.

    Parameters
    ----------
    first : array_like, shape (h1, w1)
    second : array_like, shape (h2, w2)

    Returns
    -------
    numpy.ndarray, shape (h1 + h2 - 1, w1 + w2 - 1), float32
    """
    first = _one_kernel(first, name="first")
    second = _one_kernel(second, name="second")
    h1, w1 = first.shape
    h2, w2 = second.shape
    out = np.zeros((h1 + h2 - 1, w1 + w2 - 1), dtype=np.float64)
    for i in range(h2):
        for j in range(w2):
            out[i : i + h1, j : j + w1] += second[i, j] * first
    return out.astype(np.float32)


def filter_set(name: str) -> tuple[np.ndarray, list[str]]:
    """A named stack of filters with their titles.

    Parameters
    ----------
    name : {"lesson", "sobel", "blur", "laplacian"}
        ``"lesson"``: the lesson's four 4x4 edge filters; ``"sobel"``: Sobel x
        and y and their negations; ``"blur"``: the box blur; ``"laplacian"``:
        the Laplacian and its negation.

    Returns
    -------
    filters : numpy.ndarray, shape (n, kh, kw), float32
    titles : list of str, length n

    Raises
    ------
    ValueError
        For a name not in :data:`FILTER_SETS`.
    """
    kernels = classic_kernels()
    if name == "lesson":
        return edge_filters().astype(np.float32), [f"Filter {i}" for i in range(1, 5)]
    if name == "sobel":
        sx, sy = kernels["sobel_x"], kernels["sobel_y"]
        return np.stack([sx, -sx, sy, -sy]), ["Sobel x", "-Sobel x", "Sobel y", "-Sobel y"]
    if name == "blur":
        return kernels["blur"][np.newaxis], ["Box blur"]
    if name == "laplacian":
        lap = kernels["laplacian"]
        return np.stack([lap, -lap]), ["Laplacian", "-Laplacian"]
    raise ValueError(
        f"filter set must be one of {', '.join(FILTER_SETS)}; got {name!r}"
    )
