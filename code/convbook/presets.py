"""The kernel playground's presets: the lesson's filters and the classics.

The playground chapter (``book/playground.md``) and its tests take every
preset from here, and the Sphinx extension :mod:`convbook.sphinx_playground`
exports them into the built site, so no kernel is typed twice.
"""

from __future__ import annotations

import numpy as np

from .filters import edge_filters
from .kernels import classic_kernels

__all__ = ["PRESET_LABELS", "PRESET_LABELS_BY_LANGUAGE", "PRESET_LABELS_KO", "WEIGHT_LIMIT", "playground_presets"]


#: Reader-facing names of the presets, in the order the playground lists them.
#: Short enough to show whole in the closed preset menu of a phone.
PRESET_LABELS: dict[str, str] = {
    "filter_1": "Filter 1: vertical, dark to bright",
    "filter_2": "Filter 2: vertical, bright to dark",
    "filter_3": "Filter 3: horizontal, dark to bright",
    "filter_4": "Filter 4: horizontal, bright to dark",
    "sobel_x": "Sobel x: vertical edges",
    "sobel_y": "Sobel y: horizontal edges",
    "blur": "Blur: the 3 \u00d7 3 mean",
    "sharpen": "Sharpen",
    "laplacian": "Laplacian: edges in all directions",
}

#: The same names in Korean, for the Korean edition (``/ko/``), with the
#: terms of the Korean chapters (소벨, 블러, 샤프닝, 라플라시안, 에지).
PRESET_LABELS_KO: dict[str, str] = {
    "filter_1": "필터 1: 세로, 어두운 곳에서 밝은 곳으로",
    "filter_2": "필터 2: 세로, 밝은 곳에서 어두운 곳으로",
    "filter_3": "필터 3: 가로, 어두운 곳에서 밝은 곳으로",
    "filter_4": "필터 4: 가로, 밝은 곳에서 어두운 곳으로",
    "sobel_x": "소벨 x: 세로 에지",
    "sobel_y": "소벨 y: 가로 에지",
    "blur": "블러: 3 \u00d7 3 평균",
    "sharpen": "샤프닝",
    "laplacian": "라플라시안: 모든 방향의 에지",
}

#: The presets' names by language (the book's languages): the playground
#: shows those of the page's language (``<html lang>``), English otherwise.
PRESET_LABELS_BY_LANGUAGE: dict[str, dict[str, str]] = {"en": PRESET_LABELS, "ko": PRESET_LABELS_KO}

#: The largest size of a weight the playground accepts: it marks a weight
#: ``w`` with ``abs(w) > WEIGHT_LIMIT`` (or no finite number) as invalid.
#: With gray values in [0, 1], no output of a kernel of at most 5 x 5 such
#: weights exceeds ``25 * WEIGHT_LIMIT``, far inside float32's range.
WEIGHT_LIMIT: int = 1000


def playground_presets() -> dict[str, np.ndarray]:
    """Return every kernel the playground offers, in the order it lists them.

    The lesson's four 4x4 filters from :func:`convbook.edge_filters`, as
    ``filter_1`` to ``filter_4``, then :func:`convbook.kernels.classic_kernels`
    (Sobel x and y, blur, sharpen, Laplacian).

    Returns
    -------
    dict of str to numpy.ndarray, each 2-D float32
        The kernels; :data:`PRESET_LABELS` has a reader-facing label for each
        (and :data:`PRESET_LABELS_KO` its Korean one).
    """
    presets = {f"filter_{i + 1}": kernel.astype(np.float32) for i, kernel in enumerate(edge_filters())}
    presets.update(classic_kernels())
    return presets
