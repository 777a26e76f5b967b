"""The kernel playground's presets: the lesson's filters and the classics.

The playground chapter (``book/playground.md``) and its tests take every
preset from here, and the Sphinx extension :mod:`convbook.sphinx_playground`
exports them into the built site, so no kernel is typed twice.
"""

from __future__ import annotations

import numpy as np

from .filters import edge_filters
from .kernels import classic_kernels

__all__ = ["PRESET_LABELS", "playground_presets"]


#: Reader-facing names of the presets, in the order the playground lists them.
PRESET_LABELS: dict[str, str] = {
    "filter_1": "Filter 1: vertical edge, dark to bright (lesson)",
    "filter_2": "Filter 2: vertical edge, bright to dark (lesson)",
    "filter_3": "Filter 3: horizontal edge, dark to bright (lesson)",
    "filter_4": "Filter 4: horizontal edge, bright to dark (lesson)",
    "sobel_x": "Sobel x: vertical edges",
    "sobel_y": "Sobel y: horizontal edges",
    "blur": "Blur: the 3 \u00d7 3 box blur",
    "sharpen": "Sharpen",
    "laplacian": "Laplacian: edges in every direction",
}


def playground_presets() -> dict[str, np.ndarray]:
    """Return every kernel the playground offers, in the order it lists them.

    The lesson's four 4x4 filters from :func:`convbook.edge_filters`, as
    ``filter_1`` to ``filter_4``, then :func:`convbook.kernels.classic_kernels`
    (Sobel x and y, blur, sharpen, Laplacian).

    Returns
    -------
    dict of str to numpy.ndarray, each 2-D float32
        The kernels; :data:`PRESET_LABELS` has a reader-facing label for each.
    """
    presets = {f"filter_{i + 1}": kernel.astype(np.float32) for i, kernel in enumerate(edge_filters())}
    presets.update(classic_kernels())
    return presets
