"""The least-squares single kernel and the kernel-composition figure."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch import nn

from convbook import compose_kernels, correlate2d_loop, fit_single_kernel, plot_kernel_composition


def test_recovers_a_known_kernel_and_bias():
    rng = np.random.default_rng(0)
    image = rng.random((30, 40)).astype(np.float32)
    kernel = rng.normal(size=(3, 4)).astype(np.float32)
    target = correlate2d_loop(image, kernel) + 0.7
    fitted, bias = fit_single_kernel(image, target, (3, 4))
    np.testing.assert_allclose(fitted, kernel, atol=1e-4)
    assert bias == pytest.approx(0.7, abs=1e-4)


def test_without_bias_fits_through_zero():
    rng = np.random.default_rng(1)
    image = rng.random((12, 12)).astype(np.float32)
    kernel = rng.normal(size=(2, 2)).astype(np.float32)
    fitted, bias = fit_single_kernel(image, correlate2d_loop(image, kernel), (2, 2), bias=False)
    assert bias == 0.0
    np.testing.assert_allclose(fitted, kernel, atol=1e-4)


def test_equals_lstsq_on_the_full_design_for_a_relu_stack():
    # The reference solves the tall least-squares problem directly, built by a loop.
    rng = np.random.default_rng(2)
    image = rng.random((25, 30)).astype(np.float32)
    first, second = rng.normal(size=(3, 3)), rng.normal(size=(2, 2))
    target = correlate2d_loop(np.maximum(correlate2d_loop(image, first), 0), second)
    out_h, out_w = target.shape
    rows = []
    for r in range(out_h):
        for c in range(out_w):
            rows.append(np.append(image[r:r + 4, c:c + 4].ravel(), 1.0))
    solution = np.linalg.lstsq(np.array(rows, dtype=np.float64), target.ravel().astype(np.float64), rcond=None)[0]
    fitted, bias = fit_single_kernel(image, target, (4, 4))
    np.testing.assert_allclose(fitted.ravel(), solution[:16], atol=1e-4)
    assert bias == pytest.approx(solution[16], abs=1e-4)
    # A true minimum: any small change of the kernel makes the error larger.
    def sse(kernel, b):
        return float(((correlate2d_loop(image, kernel) + b - target) ** 2).sum())
    best = sse(fitted, bias)
    for _ in range(5):
        assert sse(fitted + 0.01 * rng.normal(size=(4, 4)).astype(np.float32), bias) > best


def test_relu_stack_is_not_one_kernel_but_linear_stack_is(photo):
    first = np.array([[-1, 0, 1]] * 3, dtype=np.float32)
    second = np.ones((2, 2), dtype=np.float32)
    x = torch.from_numpy(photo)[None, None]
    a = nn.Conv2d(1, 1, 3, bias=False)
    a.weight = nn.Parameter(torch.from_numpy(first)[None, None])
    b = nn.Conv2d(1, 1, 2, bias=False)
    b.weight = nn.Parameter(torch.from_numpy(second)[None, None])
    with torch.no_grad():
        linear = nn.Sequential(a, b)(x)[0, 0].numpy()
        relu = nn.Sequential(a, nn.ReLU(), b)(x)[0, 0].numpy()
    kernel, bias = fit_single_kernel(photo, linear, (4, 4))
    np.testing.assert_allclose(kernel, compose_kernels(first, second), atol=1e-3)
    kernel, bias = fit_single_kernel(photo, relu, (4, 4))
    fit = F.conv2d(x, torch.from_numpy(kernel)[None, None])[0, 0].numpy() + bias
    assert np.sqrt(np.mean((relu - fit) ** 2)) > 0.5 * np.sqrt(np.mean(relu ** 2))


@pytest.mark.parametrize(
    "image, target, shape, message",
    [
        (np.zeros((5, 5)), np.zeros((4, 4)), (3, 3), "target must have"),
        (np.zeros((5, 5)), np.full((3, 3), np.nan), (3, 3), "target must hold finite"),
        (np.full((5, 5), np.inf), np.zeros((3, 3)), (3, 3), "image must hold finite"),
        (np.zeros((5, 5)), np.zeros((3, 3)), (3,), "kernel_shape"),
        (np.zeros((5, 5)), np.zeros((3, 3)), (0, 3), "kernel_shape"),
        (np.zeros((5, 5)), np.zeros((3, 3)), (True, 3), "kernel_shape"),
        (np.zeros((2, 2)), np.zeros((1, 1)), (3, 3), "larger than the image"),
        (np.zeros((5, 5, 3)), np.zeros((3, 3)), (3, 3), "2-D"),
    ],
)
def test_fit_refuses_bad_input(image, target, shape, message):
    with pytest.raises(ValueError, match=message):
        fit_single_kernel(image, target, shape)


def test_plot_kernel_composition():
    first = np.array([[-1, 0, 1]] * 3, dtype=np.float32)
    second = np.ones((2, 2), dtype=np.float32)
    fig = plot_kernel_composition(first, second, compose_kernels(first, second))
    assert isinstance(fig, Figure) and fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    assert [len(ax.texts) for ax in fig.axes] == [9, 4, 16]
    assert [t.get_text() for t in fig.axes[2].texts][:4] == ["-1", "-1", "1", "1"]
    assert [ax.get_title() for ax in fig.axes] == ["first", "then", "= one kernel"]


def test_plot_kernel_composition_refuses_bad_input():
    with pytest.raises(ValueError, match="titles"):
        plot_kernel_composition(np.ones((2, 2)), np.ones((2, 2)), np.ones((3, 3)), ("a", "b"))
    with pytest.raises(ValueError, match="finite"):
        plot_kernel_composition(np.ones((2, 2)), np.array([[np.nan]]), np.ones((2, 2)))
    with pytest.raises(ValueError, match="kernel"):
        plot_kernel_composition(np.ones((2, 2, 2)), np.ones((2, 2)), np.ones((3, 3)))
