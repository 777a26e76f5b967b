"""A deeper network on the digits: two convolutional layers, LeNet style.

The network of :mod:`convbook.digits` has one convolutional layer. This one
stacks two, each followed by ReLU and 2x2 max pooling, before the linear
layer, in the style of LeCun et al.'s LeNet (which used 5x5 kernels,
trainable average subsampling and tanh-like activations; here on 8x8
digits, with far fewer filters)::

    (N, 1, 8, 8) -> Conv(1 -> 8, 3x3, padding 1) -> ReLU -> MaxPool 2
    (N, 8, 4, 4) -> Conv(8 -> 16, 3x3, padding 1) -> ReLU -> MaxPool 2
    (N, 16, 2, 2) -> Flatten -> Linear(64 -> 10) -> (N, 10)

* :class:`LeNetDigits` -- the network, optionally with batch
  normalisation after each convolution;
* :func:`train_deeper_cnn` -- its seeded, deterministic training, with the
  same data split and training loop as :func:`convbook.train_digit_cnn`;
* :func:`layer_table` -- each layer's output shape, parameters, FLOPs,
  activation memory and receptive field, from the layers' settings;
* :func:`top_activating` -- the images that most activate each channel.

PyTorch is imported on first use of this module (the class needs it).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from torch import nn

from ._validation import as_float_array, as_int
from .cost import activation_bytes, conv_flops
from .digits import (
    DigitSplit,
    _as_digit_images,
    _as_whole_numbers,
    _check_training_arguments,
    _fit_digit_model,
    _seeded_one_thread,
    load_digit_split,
)
from .receptive import dilated_output_size, receptive_field_table

__all__ = ["LeNetDigits", "DeeperTrainingResult", "train_deeper_cnn", "LayerRow", "layer_table",
           "top_activating"]


class LeNetDigits(nn.Sequential):
    """Two convolutional layers and a linear one, for 8x8 digits.

    A ``torch.nn.Sequential`` whose layers have names, so that
    ``model.conv1`` and ``model[0]`` are the same layer::

        conv1  Conv2d(1, 8, 3, padding=1)    (N, 1, 8, 8) -> (N, 8, 8, 8)
        [bn1   BatchNorm2d(8)]
        relu1  ReLU()
        pool1  MaxPool2d(2)                  -> (N, 8, 4, 4)
        conv2  Conv2d(8, 16, 3, padding=1)   -> (N, 16, 4, 4)
        [bn2   BatchNorm2d(16)]
        relu2  ReLU()
        pool2  MaxPool2d(2)                  -> (N, 16, 2, 2)
        flatten Flatten()                    -> (N, 64)
        fc     Linear(64, 10)                -> (N, 10): one score per digit

    Padding 1 keeps each convolution's map the size of its input, so only
    the pooling layers shrink it. The weights start as PyTorch's defaults
    draw them: seed ``torch.manual_seed`` first for a repeatable start.

    Parameters
    ----------
    batch_norm : bool
        If True, an ``nn.BatchNorm2d`` follows each convolution (``bn1``,
        ``bn2``, before the ReLU, as Ioffe and Szegedy place it).

    Raises
    ------
    ValueError
        If ``batch_norm`` is not a bool.
    """

    def __init__(self, batch_norm: bool = False):
        if not isinstance(batch_norm, (bool, np.bool_)):
            raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
        layers: list[tuple[str, nn.Module]] = []
        for stage, (c_in, c_out) in enumerate(((1, 8), (8, 16)), start=1):
            layers.append((f"conv{stage}", nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)))
            if batch_norm:
                layers.append((f"bn{stage}", nn.BatchNorm2d(c_out)))
            layers.append((f"relu{stage}", nn.ReLU()))
            layers.append((f"pool{stage}", nn.MaxPool2d(2)))
        layers.append(("flatten", nn.Flatten()))
        layers.append(("fc", nn.Linear(16 * 2 * 2, 10)))
        super().__init__(OrderedDict(layers))
        self.batch_norm = bool(batch_norm)

    def __getitem__(self, index):
        """One layer, or for a slice the layers as a plain ``nn.Sequential``.

        ``model[:5]`` runs the network up to and including ``relu2``, for
        example; the layers are shared, not copied.
        """
        if isinstance(index, slice):
            return nn.Sequential(OrderedDict(list(self._modules.items())[index]))
        return super().__getitem__(index)


@dataclass
class DeeperTrainingResult:
    """What :func:`train_deeper_cnn` returns.

    Attributes
    ----------
    model : LeNetDigits
        The trained network, in evaluation mode.
    losses : numpy.ndarray, shape (epochs,), float64
        The mean training loss (cross-entropy) of each epoch.
    test_accuracies : numpy.ndarray, shape (epochs,), float64
        The fraction of the split's test digits the network classifies
        correctly after each epoch.
    """

    model: LeNetDigits
    losses: np.ndarray
    test_accuracies: np.ndarray

    @property
    def test_accuracy(self) -> float:
        """The fraction of test digits classified correctly after training."""
        return float(self.test_accuracies[-1])


def train_deeper_cnn(
    split: DigitSplit | None = None,
    *,
    seed: int = 0,
    epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float = 0.01,
    batch_norm: bool = False,
) -> DeeperTrainingResult:
    """Train :class:`LeNetDigits` on the training digits, seeded and deterministic.

    The same training as :func:`convbook.train_digit_cnn`, with the same
    loop: shuffled minibatches, one Adam step on the cross-entropy loss per
    minibatch, on one CPU thread. The same seed gives the same weights, bit
    for bit; the global random state and the number of threads are
    restored afterwards.

    Parameters
    ----------
    split : DigitSplit, optional
        The data, from :func:`convbook.load_digit_split`; its training set
        is learned from, its test set measured after each epoch.
        ``load_digit_split()`` by default.
    seed : int
        Seed of the starting weights and of the shuffling.
    epochs : int
        Passes over the training set, at least 1.
    batch_size : int
        Images per gradient step, at least 1.
    learning_rate : float
        Adam's step size.
    batch_norm : bool
        Train the network with batch normalisation (see :class:`LeNetDigits`).

    Returns
    -------
    DeeperTrainingResult

    Raises
    ------
    ValueError
        For a bad ``split`` (not a DigitSplit, or images or labels changed
        since into NaN, infinite or out-of-range values), ``seed`` (not a
        whole number >= 0), ``epochs``,
        ``batch_size``, ``learning_rate`` or ``batch_norm``.
    """
    if split is None:
        split = load_digit_split()
    _check_training_arguments(split, epochs, batch_size, learning_rate, None)
    # The test set is measured after each epoch: check it too.
    test_images = _as_digit_images(split.test_images, "split.test_images")
    _as_whole_numbers(split.test_labels, "split.test_labels", len(test_images), 0, 9)
    seed = as_int(seed, "seed", minimum=0)
    if not isinstance(batch_norm, (bool, np.bool_)):
        raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
    epochs, batch_size = as_int(epochs, "epochs"), as_int(batch_size, "batch_size")
    with _seeded_one_thread(seed):
        model = LeNetDigits(batch_norm=batch_norm)
        losses, test_accuracies = _fit_digit_model(
            model, split, seed=seed, epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, track_test=True,
        )
    return DeeperTrainingResult(model=model, losses=losses, test_accuracies=test_accuracies)


class LayerRow(NamedTuple):
    """One row of :func:`layer_table`: one layer, for one input image.

    Attributes
    ----------
    name : str
        The layer's name in the model (``"conv1"``, ...).
    output_shape : tuple of int
        ``(channels, height, width)`` for an image-shaped output, ``(n,)``
        after flattening.
    parameters : int
        Number of learned values (weights and biases) in the layer.
    flops : int
        Floating-point operations of one forward pass: 2 per multiply-add
        (a multiplication and an addition), plus 1 per bias added, plus 2
        per value for batch normalisation (a scale and a shift, once its
        statistics are fixed). ReLU, max pooling and flattening compare or
        move numbers and are counted as 0, as
        ``torch.utils.flop_counter.FlopCounterMode`` counts them.
    activation_bytes : int
        Memory of the layer's output, ``prod(output_shape) * 4`` (float32).
    receptive_field : int or None
        Side of the square of input pixels one output value depends on
        (padding ignored); None after flattening, where each value depends
        on the whole input.
    """

    name: str
    output_shape: tuple[int, ...]
    parameters: int
    flops: int
    activation_bytes: int
    receptive_field: int | None


def layer_table(model: nn.Sequential, input_shape: tuple[int, int, int] = (1, 8, 8)) -> list[LayerRow]:
    """Shape, parameters, FLOPs, memory and receptive field of each layer, by formula.

    Computed from the layers' settings alone, without running the model:
    each convolution or pooling layer's output side is
    ``floor((H + 2p - d(k - 1) - 1) / s) + 1``
    (:func:`convbook.dilated_output_size`), a convolution's FLOPs are
    :func:`convbook.conv_flops`'s count,
    ``(2 * C_in / groups * kh * kw + 1) * C_out * H' * W'`` (the ``+ 1``
    for its bias), a linear layer's ``(2 * n_in + 1) * n_out``, the memory
    :func:`convbook.activation_bytes` of the float32 output, and the
    receptive field follows the recurrence of
    :func:`convbook.receptive_field_table`.

    Parameters
    ----------
    model : torch.nn.Sequential
        Made of ``Conv2d`` (square kernels, stride and dilation the same
        along both axes), ``BatchNorm2d``, ``ReLU``, ``MaxPool2d``,
        ``Flatten`` and ``Linear`` layers, such as :class:`LeNetDigits`.
    input_shape : tuple of int
        ``(channels, height, width)`` of one input image.

    Returns
    -------
    list of LayerRow
        One per layer, in order.

    Raises
    ------
    ValueError
        For a layer of another kind, a layer whose input shape does not
        fit (a ``Linear`` layer's ``in_features``, a ``Conv2d``'s
        ``in_channels``), or a bad ``input_shape``.
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 3):
        raise ValueError(f"input_shape must be (channels, height, width), got {input_shape!r}")
    shape = tuple(as_int(v, f"input_shape[{i}]") for i, v in enumerate(input_shape))
    # (kernel, stride, dilation) of the layers seen so far, for the receptive field.
    geometry: list[tuple[int, int, int]] = []
    rows = []
    for name, layer in model.named_children():
        parameters = sum(p.numel() for p in layer.parameters())
        flops = 0
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
            if len(shape) != 3:
                raise ValueError(f"layer {name} needs an image-shaped input, got shape {shape}")
            kernel, stride, padding, dilation = (
                _square(getattr(layer, attribute), name, attribute)
                for attribute in ("kernel_size", "stride", "padding", "dilation")
            )
            channels = shape[0]
            if isinstance(layer, nn.Conv2d):
                if layer.in_channels != channels:
                    raise ValueError(f"layer {name} takes {layer.in_channels} channels, gets {channels}")
                channels = layer.out_channels
            height, width = (dilated_output_size(side, kernel, padding, stride, dilation) for side in shape[1:])
            shape = (channels, height, width)
            if isinstance(layer, nn.Conv2d):
                flops = conv_flops(layer.in_channels, layer.out_channels, kernel, (height, width),
                                   groups=layer.groups, bias=layer.bias is not None)
            geometry.append((kernel, stride, dilation))
        elif isinstance(layer, nn.BatchNorm2d):
            flops = 2 * int(np.prod(shape))
        elif isinstance(layer, nn.ReLU):
            pass
        elif isinstance(layer, nn.Flatten):
            shape = (int(np.prod(shape)),)
        elif isinstance(layer, nn.Linear):
            if shape != (layer.in_features,):
                raise ValueError(f"layer {name} takes {layer.in_features} values, gets shape {shape}")
            shape = (layer.out_features,)
            flops = (2 * layer.in_features + (1 if layer.bias is not None else 0)) * layer.out_features
        else:
            raise ValueError(f"layer {name} is a {type(layer).__name__}, which layer_table does not know")
        if len(shape) == 3:
            field = receptive_field_table(geometry)[-1].size if geometry else 1
        else:
            field = None
        rows.append(LayerRow(name, shape, parameters, flops, activation_bytes(shape, dtype="float32"), field))
    return rows


def _square(value, name: str, attribute: str) -> int:
    """A layer setting that is the same along both axes, as one integer."""
    pair = value if isinstance(value, tuple) else (value, value)
    if isinstance(pair[0], str) or pair[0] != pair[1]:
        raise ValueError(f"layer {name} must have the same {attribute} along both axes, got {value!r}")
    return int(pair[0])


def top_activating(activations, count: int) -> np.ndarray:
    """For each channel, the images whose strongest response is largest.

    Parameters
    ----------
    activations : array_like, shape (n_images, channels, height, width)
        A layer's output for each image, for example after its ReLU.
    count : int
        How many images to keep per channel, 1 to ``n_images``.

    Returns
    -------
    numpy.ndarray, shape (channels, count), int64
        ``[c, i]`` is the index of the image with the ``i``-th largest
        maximum (over positions) of channel ``c``; ties keep the earlier
        image first.

    Raises
    ------
    ValueError
        For activations that are not a finite 4-D array, or a bad ``count``.
    """
    values = as_float_array(activations, name="activations")
    if values.ndim != 4 or values.size == 0:
        raise ValueError(f"activations must be a non-empty 4-D array (n, C, H, W), got shape {values.shape}")
    peaks = values.reshape(len(values), values.shape[1], -1).max(axis=2)  # (n, C)
    count = as_int(count, "count")
    if count > len(values):
        raise ValueError(f"count must be at most the number of images, {len(values)}, got {count}")
    # A stable sort of the negated peaks: largest first, ties in image order.
    return np.argsort(-peaks, axis=0, kind="stable")[:count].T.astype(np.int64)
