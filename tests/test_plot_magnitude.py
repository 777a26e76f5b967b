"""plot_feature_maps' ``magnitude_cmap``: a never-negative map gets a sequential scale from 0."""

from __future__ import annotations

import numpy as np
import pytest

import convbook


def test_magnitude_panel_gets_sequential_scale_from_zero():
    rng = np.random.default_rng(0)
    signed = rng.standard_normal((2, 8, 8))
    strength = np.hypot(signed[0], signed[1])   # never negative, like an edge strength
    fig = convbook.plot_feature_maps(np.concatenate([signed, strength[None]]), symmetric=True,
                                     per_panel=True, colorbar=True, cmap="RdBu_r",
                                     percentile=99.0, magnitude_cmap="viridis")
    panels = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(panels) == 3
    # Reference: numpy's own percentile of the absolute values.
    for panel, values in zip(panels, [signed[0], signed[1], strength]):
        assert panel.norm.vmax == pytest.approx(np.percentile(np.abs(values), 99.0))
    assert [p.get_cmap().name for p in panels] == ["RdBu_r", "RdBu_r", "viridis"]
    assert [p.norm.vmin for p in panels[:2]] == [-p.norm.vmax for p in panels[:2]]
    assert panels[2].norm.vmin == 0


def test_magnitude_cmap_leaves_a_map_with_negative_values_diverging():
    signed = np.array([[[0.0, 2.0], [1.0, -0.5]]])
    fig = convbook.plot_feature_maps(signed, symmetric=True, per_panel=True, magnitude_cmap="viridis")
    (panel,) = [ax.images[0] for ax in fig.axes if ax.images]
    assert panel.get_cmap().name == "gray" and panel.norm.vmin == -2.0


def test_magnitude_cmap_needs_per_panel():
    with pytest.raises(ValueError, match="magnitude_cmap"):
        convbook.plot_feature_maps(np.ones((1, 3, 3)), symmetric=True, magnitude_cmap="viridis")


def test_a_clipped_magnitude_bar_points_up_only():
    strength = np.hypot(*np.random.default_rng(1).standard_normal((2, 8, 8)))
    fig = convbook.plot_feature_maps(np.stack([strength - 1.0, strength]), symmetric=True, per_panel=True,
                                     colorbar=True, percentile=90.0, magnitude_cmap="viridis")
    bars = [ax for ax in fig.axes if not ax.images]
    # Reference: which maps exceed their 90th percentile (both do), and which can be negative.
    assert [bar._colorbar.extend for bar in bars] == ["both", "max"]
