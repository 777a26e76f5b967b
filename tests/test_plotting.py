"""The plotting functions: what they draw, and that they touch no global state."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import convbook


def test_plot_filters_annotates_every_weight(lesson_filters):
    fig = convbook.plot_filters(lesson_filters)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    for k, ax in enumerate(fig.axes):
        assert ax.get_title() == f"Filter {k + 1}"
        texts = ax.texts
        assert len(texts) == 16
        for text in texts:
            col, row = (round(v) for v in text.xy)
            weight = lesson_filters[k, row, col]
            assert text.get_text() == str(weight)
            expected = "white" if weight < 0 else "black"
            assert to_rgba(text.get_color()) == to_rgba(expected)
    assert plt.get_fignums() == [], "plot functions must not register pyplot figures"


def test_plot_filters_formats_fractional_weights():
    fig = convbook.plot_filters(np.array([[0.5, -0.25], [1.0, 0.0]]))
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.50", "-0.25", "1", "0"]
    assert [to_rgba(t.get_color()) for t in fig.axes[0].texts][1] == to_rgba("white")


def test_plot_feature_maps_panels_and_shared_scale(photo, lesson_filters):
    conv, _ = convbook.feature_maps(photo[:40, :50], lesson_filters)
    fig = convbook.plot_feature_maps(conv)
    assert [ax.get_title() for ax in fig.axes] == [f"Output {i}" for i in range(1, 5)]
    shared = convbook.plot_feature_maps(conv, cmap="RdBu_r", symmetric=True, colorbar=True, ncols=2)
    limit = float(np.abs(conv).max())
    images = [ax.images[0] for ax in shared.axes if ax.images]
    assert len(images) == 4
    for image in images:
        assert image.get_clim() == pytest.approx((-limit, limit))
    assert len(shared.axes) == 5  # four panels and the colour bar


def test_plot_feature_maps_checks_titles():
    with pytest.raises(ValueError, match="expected 2 titles, one per panel, got 1"):
        convbook.plot_feature_maps(np.zeros((2, 5, 5)), ["only one"])


def test_plot_pixel_values_writes_each_value(photo):
    fig = convbook.plot_pixel_values(photo, 10, 20, size=3)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [f"{v:.2f}" for v in photo[10:13, 20:23].ravel()]
    with pytest.raises(ValueError, match="does not fit"):
        convbook.plot_pixel_values(photo, 425, 0, size=8)


def test_plot_patch_product_sums_to_the_layer_output(photo, lesson_filters):
    row, col = 100, 200
    patch = photo[row:row + 4, col:col + 4]
    fig = convbook.plot_patch_product(patch, lesson_filters[0])
    expected = convbook.feature_maps(photo, lesson_filters[0])[0][0, row, col]
    assert fig.axes[2].get_title() == f"Product (sum = {expected:.2f})"
    assert len(fig.axes[2].texts) == 16
    with pytest.raises(ValueError, match="patch's shape"):
        convbook.plot_patch_product(patch, np.ones((3, 3)))


def test_figures_have_an_opaque_background(photo):
    for fig in (convbook.plot_image(photo), convbook.plot_filters(convbook.edge_filters())):
        assert to_rgba(fig.get_facecolor())[3] == 1.0


def test_importing_convbook_changes_no_global_state():
    script = (
        "import matplotlib, torch\n"
        "rc = dict(matplotlib.rcParams); backend = matplotlib.get_backend()\n"
        "state = (torch.get_default_dtype(), torch.get_num_threads(), torch.is_grad_enabled())\n"
        "import convbook\n"
        "assert dict(matplotlib.rcParams) == rc, 'rcParams changed on import'\n"
        "assert matplotlib.get_backend() == backend\n"
        "assert (torch.get_default_dtype(), torch.get_num_threads(), torch.is_grad_enabled()) == state\n"
        "convbook.use_book_style()\n"
        "assert matplotlib.rcParams['figure.facecolor'] == 'white'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
