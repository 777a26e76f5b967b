"""The lesson's hand-made 4x4 edge filters."""

from __future__ import annotations

import numpy as np

__all__ = ["edge_filters"]


def edge_filters() -> np.ndarray:
    """Return the lesson's four 4x4 edge filters, stacked.

    ``filter_1`` has four rows of ``[-1, -1, 1, 1]``: it responds to a
    vertical edge that is dark on the left and bright on the right. The
    others are its negation and its transpose:
    ``filter_2 = -filter_1``, ``filter_3 = filter_1.T`` (a horizontal edge,
    dark above and bright below) and ``filter_4 = -filter_3``.

    Returns
    -------
    numpy.ndarray, shape (4, 4, 4), int
        ``filters[i]`` is filter ``i + 1``.
    """
    filter_vals = np.array([[-1, -1, 1, 1]] * 4)
    filter_1 = filter_vals
    filter_2 = -filter_1
    filter_3 = filter_1.T
    filter_4 = -filter_3
    return np.array([filter_1, filter_2, filter_3, filter_4])
