"""A deeper network on the digits: two convolutional layers, LeNet style.

The network of :mod:`convbook.digits` has one convolutional layer. This one
stacks two, each followed by ReLU and 2x2 max pooling, before the linear
layer, as LeCun et al.'s LeNet does (on 8x8 digits, with far fewer
filters)::

    (N, 1, 8, 8) -> Conv(1 -> 8, 3x3, padding 1) -> ReLU -> MaxPool 2
    (N, 8, 4, 4) -> Conv(8 -> 16, 3x3, padding 1) -> ReLU -> MaxPool 2
    (N, 16, 2, 2) -> Flatten -> Linear(64 -> 10) -> (N, 10)

* :class:`LeNetDigits` -- the network, optionally with batch
  normalisation after each convolution;
* :func:`train_deeper_cnn` -- its seeded, deterministic training, with the
  same data split and training loop as :func:`convbook.train_digit_cnn`.

PyTorch is imported on first use of this module (the class needs it).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from torch import nn

from ._validation import as_int
from .digits import (
    DigitSplit,
    _as_digit_images,
    _as_whole_numbers,
    _check_training_arguments,
    _fit_digit_model,
    _seeded_one_thread,
    load_digit_split,
)

__all__ = ["LeNetDigits", "DeeperTrainingResult", "train_deeper_cnn"]


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
