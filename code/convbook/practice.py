"""Training that works in practice: initialisation scale and batch normalisation.

* :func:`activation_scales` -- how large the activations are after each
  layer of a deep stack of random convolutions with ReLU, for a chosen
  scale of the random weights (or PyTorch's default), optionally with
  batch normalisation between the layers;
* :func:`batch_norm` -- what ``nn.BatchNorm2d`` computes, in NumPy, in
  training and in evaluation mode, with its running statistics;
* :func:`plot_curves` -- several curves against a step or layer number, on
  one logarithmic axis (for the chapter's three comparisons).

Input centring needs no function of its own: :func:`convbook.loss_hessian`
and :func:`convbook.train_filters` take the centred image.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from ._validation import as_float_array, as_int
from .plotting import _new_figure

__all__ = ["activation_scales", "batch_norm", "plot_curves"]


def _check_weight_scale(weight_scale) -> float | str:
    if weight_scale == "pytorch":
        return "pytorch"
    if isinstance(weight_scale, bool) or not isinstance(weight_scale, (int, float, np.number)):
        raise ValueError(
            f"weight_scale must be a positive finite number or 'pytorch', got {weight_scale!r}")
    if not (math.isfinite(weight_scale) and weight_scale > 0):
        raise ValueError(
            f"weight_scale must be a positive finite number or 'pytorch', got {weight_scale!r}")
    return float(weight_scale)


def activation_scales(
    weight_scale,
    *,
    depth: int = 20,
    channels: int = 32,
    size: int = 8,
    batch: int = 8,
    batch_norm: bool = False,
    seed: int = 0,
    num_threads: int | None = 1,
) -> np.ndarray:
    """Root mean square of the activations after each layer of a random stack.

    The stack has ``depth`` layers, each ``nn.Conv2d(channels, channels, 3,
    padding=1, padding_mode="circular", bias=False)`` followed by ReLU
    (with ``batch_norm``, an ``nn.BatchNorm2d`` in training mode between
    the two). The borders wrap around, so that every output sees
    ``fan_in = channels * 9`` inputs, as in the inside of a large image.
    The input is a seeded batch of standard normal values.

    With weights of standard deviation ``weight_scale / sqrt(fan_in)`` and
    no batch normalisation, each layer multiplies the mean square of the
    activations by ``weight_scale ** 2 / 2`` on average (ReLU keeps half of
    it), so ``weight_scale = sqrt(2)`` (He et al.'s initialisation) keeps
    it steady.

    Parameters
    ----------
    weight_scale : float or "pytorch"
        A positive number: weights drawn from a normal distribution with
        standard deviation ``weight_scale / sqrt(fan_in)``. ``"pytorch"``:
        the weights ``nn.Conv2d`` starts with by default.
    depth : int
        Number of layers, at least 1.
    channels, size, batch : int
        Channels of every layer, image height and width, batch size.
    batch_norm : bool
        Put batch normalisation (training mode) before each ReLU.
    seed : int
        Seed of the input and the weights.
    num_threads : int or None
        PyTorch threads used, restored afterwards (one gives the same
        numbers on every machine); ``None`` keeps the current setting.

    Returns
    -------
    numpy.ndarray, shape (depth + 1,), float64
        ``scales[0]``: the input's root mean square; ``scales[l]``: that of
        the activations after layer ``l``'s ReLU.

    Raises
    ------
    ValueError
        For a ``weight_scale`` that is neither a positive finite number nor
        ``"pytorch"``, a non-positive size, or a ``batch_norm`` that is not
        a bool.
    """
    import torch

    weight_scale = _check_weight_scale(weight_scale)
    depth = as_int(depth, "depth")
    channels = as_int(channels, "channels")
    size = as_int(size, "size")
    batch = as_int(batch, "batch")
    if not isinstance(batch_norm, (bool, np.bool_)):
        raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
    generator = torch.Generator().manual_seed(int(seed))
    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(as_int(num_threads, "num_threads"))
    try:
        scales = _stack_scales(weight_scale, depth, channels, size, batch, batch_norm,
                               generator)
    finally:
        torch.set_num_threads(previous_threads)
    return np.array(scales)


def _stack_scales(weight_scale, depth, channels, size, batch, batch_norm, generator):
    import torch
    import torch.nn.functional as F

    fan_in = channels * 9
    scales = []
    x = torch.randn(batch, channels, size, size, generator=generator)
    scales.append(float(x.double().pow(2).mean().sqrt()))
    for _ in range(depth):
        weight = torch.empty(channels, channels, 3, 3)
        if weight_scale == "pytorch":
            # The distribution nn.Conv2d starts from: kaiming_uniform_ with
            # a = sqrt(5), uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)].
            bound = 1 / math.sqrt(fan_in)
            weight.uniform_(-bound, bound, generator=generator)
        else:
            weight.normal_(0.0, weight_scale / math.sqrt(fan_in), generator=generator)
        # padding=1 with padding_mode="circular": the borders wrap around
        x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), weight)
        if batch_norm:
            x = F.batch_norm(x, None, None, training=True)
        x = torch.relu(x)
        scales.append(float(x.double().pow(2).mean().sqrt()))
    return scales


def batch_norm(
    x,
    weight,
    bias,
    running_mean,
    running_var,
    *,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch normalisation of a batch of feature maps, as ``nn.BatchNorm2d``.

    In training mode every channel ``c`` is normalised with the mean and
    the *biased* variance (divided by ``m = N * H * W``) of its ``m``
    values in the batch, then scaled and shifted:

    ``out = weight[c] * (x - mean) / sqrt(var + eps) + bias[c]``,

    and the running statistics move towards the batch's, the variance
    *unbiased* (divided by ``m - 1``):

    ``running_mean = (1 - momentum) * running_mean + momentum * mean``,
    ``running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)``.

    In evaluation mode the running statistics take the place of the batch's
    and are not changed, so each image's output no longer depends on the
    rest of the batch.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        The batch.
    weight, bias : array_like, shape (C,)
        The scale (gamma) and shift (beta), learned parameters.
    running_mean, running_var : array_like, shape (C,)
        The running statistics before this batch.
    training : bool
        Training mode (batch statistics) or evaluation mode (running ones).
    momentum : float
        In ``(0, 1]``: how far the running statistics move per batch.
    eps : float
        Positive; added to the variance.

    Returns
    -------
    out : numpy.ndarray, shape (N, C, H, W), float64
    running_mean, running_var : numpy.ndarray, shape (C,), float64
        The running statistics after this batch (new arrays; the
        arguments are not changed).

    Raises
    ------
    ValueError
        For non-finite values, mismatched shapes, a channel with a single
        value in training mode (its variance is undefined), or a bad
        ``momentum``, ``eps`` or ``training``.
    """
    if not isinstance(training, (bool, np.bool_)):
        raise ValueError(f"training must be True or False, got {training!r}")
    x = as_float_array(x, name="x").astype(np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {x.shape}")
    channels = x.shape[1]
    per_channel = {}
    for name, value in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                        ("running_var", running_var)):
        array = as_float_array(value, name=name).astype(np.float64)
        if array.shape != (channels,):
            raise ValueError(f"{name} must have shape ({channels},), one value per channel of x, "
                             f"got shape {array.shape}")
        per_channel[name] = array
    for name, value in (("momentum", momentum), ("eps", eps)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not math.isfinite(value) or value <= 0 or (name == "momentum" and value > 1):
            limits = "in (0, 1]" if name == "momentum" else "positive"
            raise ValueError(f"{name} must be a finite number {limits}, got {value!r}")
    if training and x.shape[0] * x.shape[2] * x.shape[3] < 2:
        raise ValueError("x has 1 value per channel: training mode needs at least 2 "
                         "(the variance of one value is undefined)")
    return _normalise(x, per_channel["weight"], per_channel["bias"],
                      per_channel["running_mean"], per_channel["running_var"],
                      training, float(momentum), float(eps))


def _normalise(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    """:func:`batch_norm` once its arguments are checked (float64 arrays)."""
    channel = (1, -1, 1, 1)  # one value per channel, the same for all N, H, W
    if training:
        m = x.shape[0] * x.shape[2] * x.shape[3]  # values per channel
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))  # biased: the sum divided by m
        running_mean = (1 - momentum) * running_mean + momentum * mean
        # the running variance is the unbiased one: divided by m - 1
        running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mean, var = running_mean, running_var
    normalised = (x - mean.reshape(channel)) / np.sqrt(var.reshape(channel) + eps)
    out = gamma.reshape(channel) * normalised + beta.reshape(channel)
    return out, running_mean.copy(), running_var.copy()


def plot_curves(
    curves: Mapping[str, object],
    *,
    xlabel: str,
    ylabel: str,
    log_y: bool = True,
    start: int = 0,
    width: float = 6.0,
) -> Figure:
    """Draw several curves against a step (or layer) number.

    Parameters
    ----------
    curves : mapping of str to array_like, shape (n_i,)
        The legend label of each curve and its values; value ``k`` is drawn
        at ``start + k``. Each curve has its own colour, line style and marker
        shape, so that they stay apart in grayscale and in dark mode.
    xlabel, ylabel : str
        Axis labels.
    log_y : bool
        Logarithmic vertical axis (the values must then be positive).
    start : int
        The number of each curve's first value.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For no curves, a curve that is not 1-D and finite, or (with
        ``log_y``) a value that is not positive.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves must be a non-empty mapping of label to values")
    styles = [("tab:blue", "-", "o"), ("tab:orange", "--", "s"), ("tab:green", "-.", "^"),
              ("tab:red", ":", "D"), ("tab:purple", "-", "v")]
    fig = _new_figure((width, width * 0.55))
    ax = fig.add_subplot()
    for index, (label, values) in enumerate(curves.items()):
        values = as_float_array(values, name=f"curves[{label!r}]").astype(np.float64)
        if values.ndim != 1 or values.size < 1:
            raise ValueError(f"curves[{label!r}] must be a 1-D array, got shape {values.shape}")
        if log_y and np.any(values <= 0):
            raise ValueError(f"curves[{label!r}] must be positive on a logarithmic axis")
        colour, line, marker = styles[index % len(styles)]
        steps = np.arange(start, start + values.size)
        ax.plot(steps, values, color=colour, linestyle=line, marker=marker,
                markevery=max(1, values.size // 10), markersize=5, label=label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps, layers, epochs
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.4)
    ax.legend()
    fig.tight_layout()
    return fig
