"""Training in practice: batch_norm against nn.BatchNorm2d and explicit loops,
activation_scales against a stack of nn.Conv2d layers built by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from convbook import activation_scales, batch_norm, plot_curves


def test_batch_norm_equals_nn_batchnorm2d_over_several_batches_and_in_evaluation():
    rng = np.random.default_rng(3)
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    layer = nn.BatchNorm2d(4, momentum=0.3, eps=1e-3).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
        layer.bias.copy_(torch.from_numpy(beta))
    running_mean, running_var = np.zeros(4), np.ones(4)
    for shape in ((3, 4, 5, 2), (1, 4, 3, 3), (2, 4, 1, 7)):  # the statistics accumulate
        x = rng.normal(loc=1.5, scale=2.0, size=shape)
        ours, running_mean, running_var = batch_norm(
            x, gamma, beta, running_mean, running_var, training=True, momentum=0.3, eps=1e-3)
        theirs = layer(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
        np.testing.assert_allclose(running_mean, layer.running_mean.numpy(), rtol=1e-6)
        np.testing.assert_allclose(running_var, layer.running_var.numpy(), rtol=1e-6)
    layer.eval()
    x = rng.normal(size=(2, 4, 3, 3))
    ours, mean_after, var_after = batch_norm(x, gamma, beta, running_mean, running_var,
                                             training=False, eps=1e-3)
    np.testing.assert_allclose(ours, layer(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    # Evaluation mode leaves the running statistics alone.
    np.testing.assert_allclose(mean_after, running_mean, rtol=1e-6)
    np.testing.assert_allclose(var_after, running_var, rtol=1e-6)


def test_batch_norm_by_explicit_loops_biased_and_unbiased_variance():
    rng = np.random.default_rng(0)
    # values that float32 holds exactly: batch_norm checks its input as float32
    x = rng.normal(size=(2, 2, 3, 2)).astype(np.float32).astype(np.float64)
    out, mean, var = batch_norm(x, [2.0, 1.0], [0.5, 0.0], [1.0, 0.0], [1.0, 4.0],
                                training=True, momentum=0.25, eps=0.01)
    for c in range(2):
        values = [x[n, c, r, k] for n in range(2) for r in range(3) for k in range(2)]
        mu = sum(values) / 12
        biased = sum((v - mu) ** 2 for v in values) / 12
        unbiased = sum((v - mu) ** 2 for v in values) / 11
        for n in range(2):
            for r in range(3):
                for k in range(2):
                    expected = [2.0, 1.0][c] * (x[n, c, r, k] - mu) / math.sqrt(biased + 0.01) \
                        + [0.5, 0.0][c]
                    assert math.isclose(out[n, c, r, k], expected, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(mean[c], 0.75 * [1.0, 0.0][c] + 0.25 * mu, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(var[c], 0.75 * [1.0, 4.0][c] + 0.25 * unbiased, rel_tol=1e-9)


def test_batch_norm_refuses_one_value_per_channel_and_mismatched_shapes():
    x = np.ones((1, 3, 1, 1))
    with pytest.raises(ValueError, match="at least 2"):
        batch_norm(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), training=True)
    out, _, _ = batch_norm(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), training=False)
    np.testing.assert_allclose(out, 1 / math.sqrt(1 + 1e-5))
    with pytest.raises(ValueError, match="weight must have shape"):
        batch_norm(np.ones((2, 3, 2, 2)), np.ones(2), np.zeros(3), np.zeros(3), np.ones(3),
                   training=True)
    with pytest.raises(ValueError, match="x must have shape"):
        batch_norm(np.ones((3, 2, 2)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3),
                   training=True)
    with pytest.raises(ValueError, match="momentum"):
        batch_norm(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3),
                   training=True, momentum=0.0)
    with pytest.raises(ValueError, match="training"):
        batch_norm(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3),
                   training="yes")


def stack_by_hand(weight_scale, depth, channels, size, batch, seed, with_batch_norm=False):
    """The RMS after each layer of a stack of nn.Conv2d / nn.BatchNorm2d / ReLU."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, channels, size, size, generator=generator)
    rms = [float(x.double().pow(2).mean().sqrt())]
    fan_in = channels * 9
    with torch.no_grad():
        for _ in range(depth):
            conv = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="circular", bias=False)
            if weight_scale == "pytorch":
                # nn.Conv2d's own bound, from init.kaiming_uniform_'s formula
                gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
                bound = gain * math.sqrt(3 / fan_in)
                conv.weight.uniform_(-bound, bound, generator=generator)
            else:
                conv.weight.normal_(0.0, weight_scale / math.sqrt(fan_in), generator=generator)
            x = conv(x)
            if with_batch_norm:
                x = nn.BatchNorm2d(channels)(x)  # training mode, gamma 1, beta 0
            x = torch.relu(x)
            rms.append(float(x.double().pow(2).mean().sqrt()))
    return np.array(rms)


@pytest.mark.parametrize("weight_scale", ["pytorch", math.sqrt(2), 2.0])
@pytest.mark.parametrize("with_batch_norm", [False, True])
def test_activation_scales_equal_a_stack_of_nn_conv2d_layers(weight_scale, with_batch_norm):
    scales = activation_scales(weight_scale, depth=6, channels=8, size=5, batch=3, seed=2,
                               batch_norm=with_batch_norm)
    expected = stack_by_hand(weight_scale, 6, 8, 5, 3, 2, with_batch_norm)
    np.testing.assert_allclose(scales, expected, rtol=1e-4)


def test_activation_scales_follow_the_g_squared_over_two_rule_and_leave_torch_state_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    ratios = []
    for seed in range(4):
        rms = activation_scales(1.0, depth=10, channels=32, seed=seed)
        ratios.extend((rms[1:] / rms[:-1]) ** 2)
    assert abs(np.mean(ratios) - 0.5) < 0.05  # g^2 / 2 with g = 1
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.rand(3), before)  # the global generator untouched


def test_activation_scales_refuse_bad_arguments():
    for bad in (0, -1.0, math.nan, "he", True):
        with pytest.raises(ValueError, match="weight_scale"):
            activation_scales(bad)
    with pytest.raises(ValueError, match="batch_norm"):
        activation_scales(1.0, batch_norm=1)


def test_plot_curves_draws_each_curve_at_its_steps():
    fig = plot_curves({"a": [1.0, 0.5, 0.25], "b": [2.0, 4.0]}, xlabel="step", ylabel="size",
                      start=1)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), [2.0, 4.0])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    assert lines[0].get_linestyle() != lines[1].get_linestyle()  # apart without colour
    ticks = ax.get_xticks()
    assert np.all(ticks == np.round(ticks))  # no "epoch 1.5"


def test_plot_curves_refuses_bad_curves():
    with pytest.raises(ValueError, match="positive"):
        plot_curves({"a": [1.0, 0.0]}, xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="finite"):
        plot_curves({"a": [1.0, math.inf]}, xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="non-empty"):
        plot_curves({}, xlabel="x", ylabel="y")
    plot_curves({"a": [1.0, 0.0, -1.0]}, xlabel="x", ylabel="y", log_y=False)
