"""The glossary's checkable claims, against independent references.

The glossary has no code cells of its own, so the statements it makes that
numbers can check are checked here: "same" padding at a stride, the condition
number by singular values and by eigenvalues, the cost of a
depthwise-separable layer, what ``output_padding`` adds, and the Sobel and
Laplacian kernels. Each uses PyTorch or NumPy, never the book's package alone.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from convbook import classic_kernels


def test_same_padding_at_a_stride_gives_the_ceiling_of_h_over_s():
    # padding: "(k - 1)/2 on each side for an odd kernel size k ... at stride s
    # gives ceil(H / s) rows for H input rows"; and at stride 1 the input's size.
    for height, k, s in itertools.product(range(5, 14), (1, 3, 5, 7), (1, 2, 3)):
        layer = nn.Conv2d(1, 1, k, stride=s, padding=(k - 1) // 2)
        rows = layer(torch.zeros(1, 1, height, 4 + k)).shape[2]
        assert rows == math.ceil(height / s), (height, k, s)
    # "Whatever the padding" (the old wording) was wrong: more padding gives more rows.
    assert nn.Conv2d(1, 1, 3, stride=2, padding=3)(torch.zeros(1, 1, 9, 9)).shape[2] > math.ceil(9 / 2)


def test_the_condition_number_is_a_ratio_of_singular_values():
    rng = np.random.default_rng(0)
    general = rng.standard_normal((5, 5))
    singular = np.linalg.svd(general, compute_uv=False)
    assert np.isclose(np.linalg.cond(general), singular[0] / singular[-1])
    # For a general matrix the eigenvalues give another number...
    eigen = np.abs(np.linalg.eigvals(general))
    assert not np.isclose(eigen.max() / eigen.min(), singular[0] / singular[-1])
    # ... but for a symmetric positive definite one (a Hessian like learning's,
    # 2 X^T X / N) the two ratios agree.
    patches = rng.standard_normal((40, 5))
    hessian = 2 * patches.T @ patches / len(patches)
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues[0] > 0
    assert np.isclose(np.linalg.cond(hessian), eigenvalues[-1] / eigenvalues[0])


def test_a_depthwise_separable_layer_costs_one_over_c_out_plus_one_over_k_squared():
    for c_in, c_out, k in [(8, 16, 3), (32, 64, 3), (16, 24, 5), (3, 7, 7)]:
        full = nn.Conv2d(c_in, c_out, k, bias=False)
        depthwise = nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False)
        pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)
        weights = depthwise.weight.numel() + pointwise.weight.numel()
        assert math.isclose(weights / full.weight.numel(), 1 / c_out + 1 / k**2)
        # Multiplications per output position (stride 1, same output size):
        # every weight of each layer is used once per position.
        mults_full = c_in * k * k * c_out
        mults_separable = c_in * k * k + c_in * c_out
        assert math.isclose(mults_separable / mults_full, 1 / c_out + 1 / k**2)


def test_output_padding_adds_rows_and_columns_at_the_bottom_and_right():
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(1, 1, 3, 3, generator=generator)
    g = torch.randn(1, 1, 4, 4, generator=generator)
    plain = nn.functional.conv_transpose2d(g, weight, stride=2, padding=1)
    padded = nn.functional.conv_transpose2d(g, weight, stride=2, padding=1, output_padding=1)
    assert padded.shape[2:] == (plain.shape[2] + 1, plain.shape[3] + 1)
    assert torch.allclose(padded[..., : plain.shape[2], : plain.shape[3]], plain)
    # "Several input sizes give the same output size": 7 and 8 rows both give 4.
    layer = nn.Conv2d(1, 1, 3, stride=2, padding=1)
    assert layer(torch.zeros(1, 1, 7, 7)).shape[2] == layer(torch.zeros(1, 1, 8, 8)).shape[2] == 4
    assert (plain.shape[2], padded.shape[2]) == (7, 8)


def test_the_sobel_and_laplacian_entries_describe_the_kernels():
    kernels = classic_kernels()
    # Sobel x: right column minus left column, weighted 1, 2, 1; a column times a row.
    assert np.array_equal(kernels["sobel_x"], np.outer([1, 2, 1], [-1, 0, 1]))
    assert np.array_equal(kernels["sobel_y"], kernels["sobel_x"].T)
    # Laplacian: -4 at the centre, 1 at the four neighbours, weights summing to zero.
    expected = np.zeros((3, 3))
    expected[1, 1] = -4
    for r, c in [(0, 1), (1, 0), (1, 2), (2, 1)]:
        expected[r, c] = 1
    assert np.array_equal(kernels["laplacian"], expected) and kernels["laplacian"].sum() == 0
