"""Learning the filter: the trained kernel converges to the hand-made one,
and the loss's Hessian and convergence factors match independent references
(torch.autograd, torch.optim.SGD, closed forms, explicit recurrences)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convbook import (
    avg_pool,
    convergence_factors,
    loss_hessian,
    plot_error_by_curvature,
    plot_kernel_grid,
    plot_loss_curve,
    train_filters,
)
from convbook import learning


@pytest.fixture(scope="module")
def learned_filter_1(photo, lesson_filters):
    # The full-size photo and the default budget: a real test of convergence.
    return train_filters(photo, lesson_filters[0])


def test_learned_kernel_is_filter_1_within_0_05(learned_filter_1, lesson_filters):
    error = np.abs(learned_filter_1.weights[0] - lesson_filters[0]).max()
    assert error < 0.05
    # It starts far away: the random start is not already the answer.
    assert np.abs(learned_filter_1.snapshots[0][0] - lesson_filters[0]).max() > 0.5


def test_loss_falls_and_snapshots_are_recorded(learned_filter_1):
    result = learned_filter_1
    assert result.losses.shape == (201,)
    assert result.losses[-1] < 1e-3 * result.losses[0]
    np.testing.assert_array_equal(result.snapshot_steps, [0, 10, 25, 50, 100, 200])
    assert result.snapshots.shape == (6, 1, 4, 4)
    np.testing.assert_array_equal(result.snapshots[-1], result.weights)


def test_default_snapshots_follow_the_step_count(photo, lesson_filters):
    small = photo[:40, :40]
    result = train_filters(small, lesson_filters[0], steps=30)
    np.testing.assert_array_equal(result.snapshot_steps, [0, 10, 25, 30])


def test_training_is_deterministic_and_seeded(photo, lesson_filters):
    a = train_filters(photo, lesson_filters[0], steps=5, snapshot_steps=(0,))
    b = train_filters(photo, lesson_filters[0], steps=5, snapshot_steps=(0,))
    c = train_filters(photo, lesson_filters[0], steps=5, snapshot_steps=(0,), seed=1)
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not np.array_equal(a.snapshots, c.snapshots)


def test_all_four_filters_at_once(photo, lesson_filters):
    result = train_filters(avg_pool(photo), lesson_filters, seed=1, steps=250)
    assert result.weights.shape == (4, 4, 4)
    assert np.abs(result.weights - lesson_filters).max() < 0.05


def _sgd_reference(image, target, steps, lr, momentum, seed):
    # The same training written with torch.optim.SGD, the update the
    # package spells out by hand.
    x = torch.from_numpy(image)[None, None]
    target_map = F.conv2d(x, torch.from_numpy(target.astype(np.float32))[None, None])
    layer = torch.nn.Conv2d(1, 1, target.shape, bias=False)
    with torch.no_grad():
        generator = torch.Generator().manual_seed(seed)
        layer.weight.copy_(torch.rand(layer.weight.shape, generator=generator) * 2 - 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((layer(x) - target_map) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return layer.weight.detach()[0, 0].numpy(), np.array(losses)


@pytest.mark.parametrize("fraction, momentum", [(0.5, 0.95), (0.8, 0.0), (0.3, 0.5)])
def test_update_equals_torch_sgd(photo, lesson_filters, fraction, momentum):
    # A learning rate that fraction of the stability limit 2 (1 + beta) / lambda_max.
    image = np.ascontiguousarray(photo[200:260, 300:380])
    lr = fraction * 2 * (1 + momentum) / np.linalg.eigvalsh(loss_hessian(image))[-1]
    expected, expected_losses = _sgd_reference(image, lesson_filters[0], 25, lr, momentum, seed=3)
    result = train_filters(image, lesson_filters[0], steps=25, learning_rate=lr, momentum=momentum,
                           seed=3, snapshot_steps=())
    np.testing.assert_allclose(result.weights[0], expected, atol=1e-4)
    np.testing.assert_allclose(result.losses[:-1], expected_losses, rtol=1e-4)


def test_loss_hessian_equals_autograd_hessian():
    rng = np.random.default_rng(0)
    image = rng.random((12, 15)).astype(np.float32)
    target = rng.normal(size=(3, 4))
    x = torch.from_numpy(image).double()[None, None]
    target_map = F.conv2d(x, torch.from_numpy(target)[None, None])

    def loss(w):
        return ((F.conv2d(x, w.reshape(1, 1, 3, 4)) - target_map) ** 2).mean()

    expected = torch.autograd.functional.hessian(loss, torch.zeros(12, dtype=torch.float64)).numpy()
    got = loss_hessian(image, (3, 4))
    assert got.shape == (12, 12) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got, got.T)


def test_loss_hessian_gives_train_filters_loss(photo, lesson_filters):
    # The loss is exactly the quadratic form 1/2 (w - w*)^T H (w - w*).
    image = photo[100:180, 200:300]
    result = train_filters(image, lesson_filters[0], steps=3, snapshot_steps=(0, 3))
    hessian = loss_hessian(image)
    for step, weights in zip(result.snapshot_steps, result.snapshots[:, 0]):
        d = weights.ravel().astype(np.float64) - lesson_filters[0].ravel()
        assert np.isclose(0.5 * d @ hessian @ d, result.losses[step], rtol=1e-4)


def test_loss_hessian_of_a_flat_image_by_hand():
    # Every patch is 16 values of 0.5: H = 2 * 0.25 * ones, eigenvalues 8 and 0.
    hessian = loss_hessian(np.full((9, 9), 0.5))
    np.testing.assert_allclose(hessian, np.full((16, 16), 0.5))


def test_convergence_factors_closed_forms():
    lam = np.array([1e-4, 0.01, 0.5, 1.0, 2.0, 3.0])
    # Plain gradient descent: |1 - eta lam|.
    np.testing.assert_allclose(convergence_factors(lam, 0.8), np.abs(1 - 0.8 * lam))
    # Complex roots (eta lam between (1 - sqrt b)^2 and (1 + sqrt b)^2): sqrt(beta).
    beta = 0.9
    inside = np.array([0.01, 0.5, 2.0, 3.5])
    np.testing.assert_allclose(convergence_factors(inside, 1.0, beta), np.sqrt(beta))
    # The stability boundary eta lam = 2 (1 + beta).
    edge = 2 * (1 + beta)
    assert convergence_factors([0.999 * edge], 1.0, beta)[0] < 1
    assert convergence_factors([1.001 * edge], 1.0, beta)[0] > 1


@pytest.mark.parametrize("lam, eta, beta", [(5e-4, 1.0, 0.95), (2.2, 1.0, 0.95), (0.3, 2.0, 0.1),
                                            (1.5, 1.5, 0.0)])
def test_convergence_factors_match_the_recurrence(lam, eta, beta):
    # Iterate e_{k+1} = (1 + beta - eta lam) e_k - beta e_{k-1} and measure
    # the growth per step over the last 100 of 600 steps.
    e = [1.0, 1.0]
    for _ in range(600):
        e.append((1 + beta - eta * lam) * e[-1] - beta * e[-2])
        if abs(e[-1]) > 1e200 or abs(e[-1]) < 1e-200:
            break
    window = np.abs(np.array(e[-101:]))
    measured = (window[-1] / window[0]) ** (1 / 100) if window[0] else 0.0
    assert np.isclose(convergence_factors([lam], eta, beta)[0], measured, rtol=2e-2)


def test_plain_gradient_descent_limit_by_training(photo, lesson_filters):
    # On a real image: just below 2 / lambda_max the loss falls, just above
    # it grows, in line with the Hessian's largest eigenvalue.
    image = avg_pool(photo)[:80, :100]
    lam_max = np.linalg.eigvalsh(loss_hessian(image))[-1]
    below = train_filters(image, lesson_filters[0], steps=40, learning_rate=0.95 * 2 / lam_max,
                          momentum=0.0, snapshot_steps=()).losses
    above = train_filters(image, lesson_filters[0], steps=40, learning_rate=1.05 * 2 / lam_max,
                          momentum=0.0, snapshot_steps=()).losses
    assert np.all(np.diff(below) <= 1e-9) and below[-1] < below[0]
    assert above[-1] > 10 * above[0]
    # With momentum 0.9, a rate of 1.9 / lambda_max (unstable without it) converges.
    heavy = train_filters(image, lesson_filters[0], steps=150, learning_rate=1.9 / lam_max,
                          momentum=0.9, snapshot_steps=()).losses
    assert heavy[-1] < 1e-2 * heavy[0]


def test_progress_callback_and_printing(photo, lesson_filters, capsys):
    seen = []
    train_filters(photo, lesson_filters[0], steps=4, snapshot_steps=(), progress=lambda s, l: seen.append((s, l)),
                  progress_every=2)
    assert [s for s, _ in seen] == [0, 2, 4]
    train_filters(photo, lesson_filters[0], steps=2, snapshot_steps=(), progress=True)
    err = capsys.readouterr().err
    assert "step    0/2" in err and "step    2/2" in err
    train_filters(photo, lesson_filters[0], steps=2, snapshot_steps=())
    assert capsys.readouterr().err == ""


def test_command_line_shows_progress(capsys):
    assert learning.main([]) == 0
    err = capsys.readouterr().err
    assert "Learning filter_1" in err and "Learning all four filters" in err
    assert "step    0/200" in err and "step  200/200" in err
    errors = [float(line.rsplit(" ", 1)[1]) for line in err.splitlines() if "largest weight error" in line]
    assert len(errors) == 2 and max(errors) < 0.05


def test_bad_arguments(photo, lesson_filters):
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        train_filters(photo, lesson_filters[0], steps=0)
    with pytest.raises(ValueError, match=r"snapshot_steps must lie in \[0, 10\]"):
        train_filters(photo, lesson_filters[0], steps=10, snapshot_steps=(20,))
    for lr in (0, -1.0, float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
            train_filters(photo, lesson_filters[0], steps=1, learning_rate=lr)
    for momentum in (1.0, -0.1, float("nan"), None):
        with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
            train_filters(photo, lesson_filters[0], steps=1, momentum=momentum)
    bad = photo[:20, :20].copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="image must hold finite values only"):
        train_filters(bad, lesson_filters[0], steps=1)
    with pytest.raises(ValueError, match="target_filters must hold finite values only"):
        train_filters(photo, np.full((4, 4), np.inf), steps=1)


def test_bad_arguments_of_the_analysis_helpers(photo):
    bad = photo[:20, :20].copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="image must hold finite values only"):
        loss_hessian(bad)
    with pytest.raises(ValueError, match="kernel_shape must be two integers"):
        loss_hessian(photo, 4)
    with pytest.raises(ValueError, match=r"kernel_shape\[0\] must be an integer >= 1"):
        loss_hessian(photo, (0, 4))
    with pytest.raises(ValueError, match="larger than the image"):
        loss_hessian(photo[:3, :3])
    with pytest.raises(ValueError, match="eigenvalues must hold finite values only"):
        convergence_factors([1.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="learning_rate must be a positive finite number"):
        convergence_factors([1.0], 0.0)
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
        convergence_factors([1.0], 1.0, 1.5)


def test_loss_curve_plot():
    fig = plot_loss_curve([1.0, 0.1, 0.01], marks=[0, 2])
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1.0, 0.1, 0.01])
    with pytest.raises(ValueError, match="at least 2 finite values"):
        plot_loss_curve([1.0])


def test_kernel_grid_plot():
    kernels = np.arange(6 * 16, dtype=float).reshape(6, 4, 4) - 40
    fig = plot_kernel_grid(kernels, [f"k{i}" for i in range(6)], ncols=3, width=7.0)
    assert len(fig.axes) == 6
    assert fig.get_figwidth() == 7.0
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:2] == ["-40.00", "-39.00"] and len(texts) == 16
    # One shared gray scale centred on zero.
    assert fig.axes[0].images[0].get_clim() == fig.axes[5].images[0].get_clim() == (-55.0, 55.0)
    assert not plot_kernel_grid(kernels, list("abcdef"), decimals=None).axes[0].texts
    with pytest.raises(ValueError, match="one title per kernel"):
        plot_kernel_grid(kernels, ["only one"])
    with pytest.raises(ValueError, match="kernels must hold finite values only"):
        plot_kernel_grid(np.full((4, 4), np.nan), ["x"])


def test_error_by_curvature_plot():
    lam = np.logspace(-3, 0, 16)
    end = np.full((4, 16), 1e-3)
    start = np.ones((4, 16))
    fig = plot_error_by_curvature(lam, end, start)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert len(ax.lines) == 2 and len(ax.lines[1].get_xdata()) == 64
    with pytest.raises(ValueError, match=r"end_components must have shape \(n, 16\)"):
        plot_error_by_curvature(lam, np.ones(5))
    with pytest.raises(ValueError, match="eigenvalues must be a 1-D array of positive values"):
        plot_error_by_curvature(-lam, end)


def test_thread_setting_is_restored(photo, lesson_filters):
    before = torch.get_num_threads()
    train_filters(photo, lesson_filters[0], steps=1, snapshot_steps=())
    assert torch.get_num_threads() == before
