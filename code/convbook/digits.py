"""A small CNN trained on handwritten digits, and what its first layer learns.

scikit-learn ships 1797 handwritten digits as 8x8 images
(``sklearn.datasets.load_digits``; nothing is downloaded). A tiny network,
one convolutional layer of eight 3x3 filters, ReLU, 2x2 max pooling and one
linear layer, learns to tell them apart in well under a second. Its
first-layer filters can then be compared with the lesson's hand-made ones.

* :func:`load_digit_split` -- the digits, scaled to [0, 1], with a fixed
  train/test split;
* :func:`make_digit_cnn` and :func:`train_digit_cnn` -- the network and its
  seeded, deterministic training;
* :func:`compass_kernels` and :func:`edge_alignment` -- how much each
  filter looks like a directional (Sobel-like) edge detector;
* :func:`plot_digits`, :func:`plot_filter_grid`, :func:`plot_digit_maps` --
  the figures.

scikit-learn is imported only inside :func:`load_digit_split`, and PyTorch
only inside the functions that need it.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ._validation import as_filters, as_image, as_int
from .plotting import _new_figure, _titles

if TYPE_CHECKING:  # pragma: no cover - typing only
    from torch import nn

__all__ = [
    "DigitSplit",
    "DigitTrainingResult",
    "load_digit_split",
    "make_digit_cnn",
    "train_digit_cnn",
    "predict_digits",
    "adam_step",
    "compass_kernels",
    "edge_alignment",
    "plot_digits",
    "plot_filter_grid",
    "plot_digit_maps",
]

#: Pixel values of ``load_digits`` run from 0 to 16.
DIGIT_MAX_VALUE = 16.0


@dataclass(frozen=True)
class DigitSplit:
    """The digits, split once into a training set and a test set.

    Attributes
    ----------
    train_images : numpy.ndarray, shape (n_train, 8, 8), float32
        Values in [0, 1].
    train_labels : numpy.ndarray, shape (n_train,), int64
        The digit (0 to 9) each image shows.
    test_images : numpy.ndarray, shape (n_test, 8, 8), float32
    test_labels : numpy.ndarray, shape (n_test,), int64
    train_index, test_index : numpy.ndarray of int
        Positions of the two sets' images in ``load_digits().images``.

    Raises
    ------
    ValueError
        On construction, for images that are not finite stacks of 8x8
        digits, labels that are not whole numbers from 0 to 9, indexes that
        are not whole numbers >= 0, or a set whose images, labels and
        indexes differ in number. The arrays are stored as float32 (images)
        and int64 (labels, indexes).
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    train_index: np.ndarray
    test_index: np.ndarray

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            images = _as_digit_images(getattr(self, f"{part}_images"), f"{part}_images")
            n = len(images)
            labels = _as_whole_numbers(getattr(self, f"{part}_labels"), f"{part}_labels", n, 0, 9)
            index = _as_whole_numbers(getattr(self, f"{part}_index"), f"{part}_index", n, 0, None)
            # A frozen dataclass: store the checked arrays through object.__setattr__.
            object.__setattr__(self, f"{part}_images", images)
            object.__setattr__(self, f"{part}_labels", labels)
            object.__setattr__(self, f"{part}_index", index)


def _as_digit_images(images, name: str) -> np.ndarray:
    """``images`` as a finite float32 stack ``(n, 8, 8)``; ``ValueError`` naming ``name``."""
    stack = as_filters(images, name=name)
    if stack.shape[1:] != (8, 8) or np.ndim(images) != 3:
        raise ValueError(f"{name} must be a stack of 8x8 digits (n, 8, 8), got shape {np.shape(images)}")
    return stack


def _as_whole_numbers(values, name: str, length: int, low: int, high: int | None) -> np.ndarray:
    """``values`` as an int64 array of ``length`` whole numbers in ``[low, high]``."""
    array = np.asarray(values)
    expected = f"{length} finite whole numbers " + (f"from {low} to {high}" if high is not None else f">= {low}")
    if array.ndim != 1 or len(array) != length:
        raise ValueError(f"{name} must be a 1-D array of {expected}, got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name} must hold {expected}, got dtype {array.dtype}")
    with np.errstate(invalid="ignore"):
        # Without an upper limit, stay below 2**53, where float64 still holds every whole number.
        whole = np.isfinite(array) & (array == np.round(array)) & (array >= low) & (array < 2**53)
        if high is not None:
            whole &= array <= high
    if not whole.all():
        bad = array[~whole][0].item()
        raise ValueError(f"{name} must hold {expected}, got {bad!r}")
    return array.astype(np.int64)


@dataclass
class DigitTrainingResult:
    """What :func:`train_digit_cnn` returns.

    Attributes
    ----------
    model : torch.nn.Sequential
        The trained network (see :func:`make_digit_cnn`).
    losses : numpy.ndarray, shape (epochs,), float64
        The mean training loss (cross-entropy) of each epoch.
    initial_filters : numpy.ndarray, shape (n_filters, k, k), float32
        The first layer's filters before training.
    filters : numpy.ndarray, shape (n_filters, k, k), float32
        The first layer's filters after training.
    """

    model: nn.Sequential
    losses: np.ndarray
    initial_filters: np.ndarray
    filters: np.ndarray


def load_digit_split(*, test_size: int = 360, seed: int = 0) -> DigitSplit:
    """Load scikit-learn's 8x8 digits, scaled to [0, 1], split into train and test.

    The split is a random permutation drawn with
    ``np.random.default_rng(seed)``: its first ``test_size`` images are the
    test set, the rest the training set. The same seed gives the same split.

    Parameters
    ----------
    test_size : int
        Number of test images, between 1 and 1796.
    seed : int
        Seed of the permutation.

    Returns
    -------
    DigitSplit

    Raises
    ------
    ValueError
        If ``test_size`` leaves either set empty.
    ImportError
        If scikit-learn is not installed (``pip install 'convbook[digits]'``).
    """
    try:
        from sklearn.datasets import load_digits  # ships its data: nothing is downloaded
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "load_digit_split needs scikit-learn: pip install 'convbook[digits]' "
            "or pip install scikit-learn"
        ) from error

    digits = load_digits()
    n_images = len(digits.images)
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, (int, np.integer))
        or not 1 <= test_size < n_images
    ):
        raise ValueError(f"test_size must be an integer in [1, {n_images - 1}], got {test_size!r}")
    images = (digits.images / DIGIT_MAX_VALUE).astype(np.float32)
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(n_images)
    test_index, train_index = order[:test_size], order[test_size:]
    return DigitSplit(
        train_images=images[train_index],
        train_labels=labels[train_index],
        test_images=images[test_index],
        test_labels=labels[test_index],
        train_index=train_index,
        test_index=test_index,
    )


def make_digit_cnn(n_filters: int = 8, kernel_size: int = 3) -> nn.Sequential:
    """The small CNN: convolution, ReLU, 2x2 max pooling, one linear layer.

    For an 8x8 input and a ``k x k`` kernel, the convolution gives
    ``n_filters`` maps of ``(9 - k) x (9 - k)``, pooling halves them
    (rounding down), and the linear layer maps the flattened result to ten
    scores, one per digit.

    Parameters
    ----------
    n_filters : int
        Number of first-layer filters.
    kernel_size : int
        Side of the square kernels, between 1 and 7.

    Returns
    -------
    torch.nn.Sequential
        Takes ``(N, 1, 8, 8)`` and returns scores ``(N, 10)``; layer 0 is
        the ``nn.Conv2d``.
    """
    from torch import nn

    for name, value, low, high in (("n_filters", n_filters, 1, 1024), ("kernel_size", kernel_size, 1, 7)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
            raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    pooled = (8 - kernel_size + 1) // 2
    return nn.Sequential(
        nn.Conv2d(1, n_filters, kernel_size),  # (N, 1, 8, 8) -> (N, n, 9-k, 9-k)
        nn.ReLU(),
        nn.MaxPool2d(2),                       # -> (N, n, pooled, pooled)
        nn.Flatten(),                          # -> (N, n * pooled * pooled)
        nn.Linear(n_filters * pooled * pooled, 10),  # -> (N, 10): one score per digit
    )


def train_digit_cnn(
    split: DigitSplit,
    *,
    seed: int = 0,
    epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float = 0.01,
    n_filters: int = 8,
    kernel_size: int = 3,
    fixed_filters=None,
) -> DigitTrainingResult:
    """Train :func:`make_digit_cnn` on the training digits, seeded and deterministic.

    Each epoch visits the training images once, in a shuffled order, in
    minibatches of ``batch_size``; for each minibatch the Adam optimiser
    takes one step down the gradient of the cross-entropy loss. The same
    seed gives the same weights, bit for bit: the starting weights and the
    shuffling come from ``seed``, and the training runs on one CPU thread,
    where these layers add up their numbers in a fixed order. The global
    random state and the number of threads are restored afterwards.

    Parameters
    ----------
    split : DigitSplit
        The data, from :func:`load_digit_split`; only its training set is used.
    seed : int
        Seed of the starting weights and of the shuffling.
    epochs : int
        Passes over the training set, at least 1.
    batch_size : int
        Images per gradient step, at least 1.
    learning_rate : float
        Adam's step size.
    n_filters, kernel_size : int
        The first layer's shape (see :func:`make_digit_cnn`).
    fixed_filters : array_like, shape (n, k, k), optional
        If given, the first layer's weights are set to these filters (its
        bias to zero) and kept fixed: only the linear layer learns.
        ``n_filters`` and ``kernel_size`` then come from their shape.

    Returns
    -------
    DigitTrainingResult

    Raises
    ------
    ValueError
        For a bad ``split`` (not a DigitSplit, or training images or labels
        changed since into NaN, infinite or out-of-range values),
        ``epochs``, ``batch_size``, ``learning_rate`` or ``fixed_filters``
        (not square kernels, larger than 7x7, NaN or infinite values).
    """
    import torch

    fixed = _check_training_arguments(split, epochs, batch_size, learning_rate, fixed_filters)
    if fixed is not None:
        n_filters, kernel_size = fixed.shape[0], fixed.shape[1]

    with _seeded_one_thread(seed):
        model = make_digit_cnn(n_filters, kernel_size)
        conv = model[0]
        if fixed is not None:
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(fixed)[:, None])
                conv.bias.zero_()
            conv.requires_grad_(False)  # no gradients for it: the filters stay fixed
        initial_filters = conv.weight.detach()[:, 0].clone().numpy()
        losses, _ = _fit_digit_model(model, split, seed=seed, epochs=epochs, batch_size=batch_size,
                                     learning_rate=learning_rate)
    return DigitTrainingResult(
        model=model,
        losses=losses,
        initial_filters=initial_filters,
        filters=conv.weight.detach()[:, 0].clone().numpy(),
    )


@contextmanager
def _seeded_one_thread(seed: int) -> Iterator[None]:
    """Run the body on one CPU thread with PyTorch's random state seeded by ``seed``.

    On one thread, the layers add up their numbers in a fixed order, so the
    same seed gives the same weights, bit for bit. The global random state
    and the number of threads are restored afterwards.
    """
    import torch

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):  # leave the global random state as it was
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(previous_threads)


def _fit_digit_model(
    model: nn.Module,
    split: DigitSplit,
    *,
    seed: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    track_test: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Train ``model`` on the training digits with Adam; the loop of every digit network.

    Each epoch visits the training images once, in an order shuffled by a
    generator seeded with ``seed``, in minibatches of ``batch_size``; each
    minibatch takes one Adam step on the cross-entropy loss of the
    parameters that require a gradient. Arguments are assumed checked;
    call inside :func:`_seeded_one_thread` for bit-for-bit repeatable runs.
    The model is in training mode during the loop and in evaluation mode
    afterwards (this matters only for layers such as batch normalisation).

    Returns
    -------
    losses : numpy.ndarray, shape (epochs,), float64
        The mean training loss of each epoch.
    test_accuracies : numpy.ndarray, shape (epochs,), float64, or None
        With ``track_test``, the fraction of test digits classified
        correctly after each epoch (in evaluation mode).
    """
    import torch
    import torch.nn.functional as F

    images = torch.from_numpy(np.ascontiguousarray(split.train_images))[:, None]  # (N, 1, 8, 8)
    labels = torch.from_numpy(np.ascontiguousarray(split.train_labels))
    trainable = [p for p in model.parameters() if p.requires_grad]
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in trainable]
    steps = 0
    shuffler = torch.Generator().manual_seed(seed)
    losses = np.empty(epochs)
    test_accuracies = np.empty(epochs) if track_test else None
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=shuffler)
        total = 0.0
        for start in range(0, len(images), batch_size):
            batch = order[start : start + batch_size]
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            gradients = torch.autograd.grad(loss, trainable)  # d loss / d weight
            steps += 1
            # adam_step's update, without checking its arguments again at every step.
            _adam_update(trainable, gradients, moments, steps, learning_rate)
            total += loss.item() * len(batch)
        losses[epoch] = total / len(images)
        model.eval()
        if test_accuracies is not None:
            predictions = predict_digits(model, split.test_images)
            test_accuracies[epoch] = float(np.mean(predictions == split.test_labels))
    return losses, test_accuracies


def adam_step(params, gradients, moments, step: int, learning_rate: float,
              betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
    """One step of the Adam optimiser (Kingma and Ba 2015), in place.

    The same update as ``torch.optim.Adam`` with its default settings. For
    each weight, Adam keeps a running mean ``m`` of its gradient and a
    running mean ``v`` of the gradient's square, and moves the weight by
    ``learning_rate * m_hat / (sqrt(v_hat) + eps)``, where ``m_hat`` and
    ``v_hat`` correct the two means for starting at zero. Dividing by the
    gradient's typical size gives every weight a step of about
    ``learning_rate``, whatever the scale of its gradient. (Written out
    because it is short, and because ``torch.optim`` takes seconds to
    import its compiler on first use.)

    Parameters
    ----------
    params : list of torch.Tensor
        The weights, changed in place.
    gradients : sequence of torch.Tensor
        The loss's gradient for each weight, same shapes.
    moments : list of tuple of torch.Tensor
        ``(m, v)`` for each weight, zeros before the first step; updated in place.
    step : int
        The number of this step, 1 for the first.
    learning_rate : float
    betas : tuple of float
        How slowly ``m`` and ``v`` forget old gradients.
    eps : float
        Keeps the division finite.

    Raises
    ------
    ValueError
        For weights, gradients or moments that are not floating-point
        tensors of matching shapes or hold NaN or infinite values, a
        ``step`` below 1, or a ``learning_rate``, ``betas`` or ``eps`` out
        of range.
    """
    _check_adam_arguments(params, gradients, moments, step, learning_rate, betas, eps)
    _adam_update(params, gradients, moments, step, learning_rate, betas, eps)


def _adam_update(params, gradients, moments, step, learning_rate, betas=(0.9, 0.999), eps=1e-8) -> None:
    """The update of :func:`adam_step`, for arguments already known to be valid."""
    import torch

    beta1, beta2 = betas
    with torch.no_grad():
        for weight, gradient, (m, v) in zip(params, gradients, moments):
            m.mul_(beta1).add_(gradient, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(gradient, gradient, value=1 - beta2)
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            weight.sub_(learning_rate * m_hat / (v_hat.sqrt() + eps))


def _check_adam_arguments(params, gradients, moments, step, learning_rate, betas, eps) -> None:
    """Raise ``ValueError`` for bad arguments of :func:`adam_step`."""
    import torch

    named = []  # (name, tensor), for one finite-check of all of them below

    def check(tensor, name: str, shape) -> None:
        if not isinstance(tensor, torch.Tensor) or not torch.is_floating_point(tensor):
            raise ValueError(f"{name} must be a floating-point torch.Tensor, got {type(tensor).__name__}")
        if shape is not None and tensor.shape != shape:
            raise ValueError(f"{name} must have the shape of params, {tuple(shape)}, got {tuple(tensor.shape)}")
        named.append((name, tensor))

    params, gradients, moments = list(params), list(gradients), list(moments)
    if not len(params) == len(gradients) == len(moments):
        raise ValueError(
            f"params, gradients and moments must have one entry per weight, got "
            f"{len(params)}, {len(gradients)} and {len(moments)}"
        )
    for i, (weight, gradient, pair) in enumerate(zip(params, gradients, moments)):
        check(weight, f"params[{i}]", None)
        check(gradient, f"gradients[{i}]", weight.shape)
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"moments[{i}] must be a pair (m, v) of tensors, got {type(pair).__name__}")
        check(pair[0], f"moments[{i}][0]", weight.shape)
        check(pair[1], f"moments[{i}][1]", weight.shape)
    # One check of all values: training calls this at every step, so it must be quick.
    if named and not bool(torch.isfinite(torch.cat([tensor.detach().reshape(-1) for _, tensor in named])).all()):
        name = next(name for name, tensor in named if not bool(torch.isfinite(tensor).all()))
        raise ValueError(f"{name} must hold finite values only, got NaN or infinity")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be an integer >= 1, got {step!r}")
    def is_number(value) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))

    for name, value in (("learning_rate", learning_rate), ("eps", eps)):
        if not (is_number(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    if not (isinstance(betas, (tuple, list)) and len(betas) == 2
            and all(is_number(beta) and 0 <= beta < 1 for beta in betas)):
        raise ValueError(f"betas must be two finite numbers in [0, 1), got {betas!r}")


def _check_training_arguments(split, epochs, batch_size, learning_rate, fixed_filters):
    """Raise ``ValueError`` for bad arguments of :func:`train_digit_cnn`.

    Returns
    -------
    numpy.ndarray, shape (n, k, k), float32, or None
        ``fixed_filters`` as a checked stack, or None if not given.
    """
    if not isinstance(split, DigitSplit):
        raise ValueError(f"split must be a DigitSplit from load_digit_split, got {type(split).__name__}")
    # DigitSplit checked its arrays when it was made, but arrays can be changed in place since.
    images = _as_digit_images(split.train_images, "split.train_images")
    _as_whole_numbers(split.train_labels, "split.train_labels", len(images), 0, 9)
    epochs, batch_size = as_int(epochs, "epochs"), as_int(batch_size, "batch_size")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.number)) or not (
        np.isfinite(learning_rate) and learning_rate > 0
    ):
        raise ValueError(f"learning_rate must be a finite number > 0, got {learning_rate!r}")
    if fixed_filters is None:
        return None
    fixed = as_filters(fixed_filters, name="fixed_filters")
    if fixed.shape[1] != fixed.shape[2] or fixed.shape[1] > 7:
        raise ValueError(f"fixed_filters must be square kernels of at most 7x7, got shape {fixed.shape}")
    return fixed


def predict_digits(model: nn.Module, images) -> np.ndarray:
    """The digit the model scores highest for each image.

    Parameters
    ----------
    model : torch.nn.Module
        For example ``train_digit_cnn(...).model``.
    images : array_like, shape (N, 8, 8)
        Digits with values in [0, 1].

    Returns
    -------
    numpy.ndarray, shape (N,), int64
    """
    import torch

    batch = as_filters(images, name="images")
    with torch.no_grad():
        scores = model(torch.from_numpy(np.ascontiguousarray(batch))[:, None])
    return scores.argmax(dim=1).numpy()


def compass_kernels() -> tuple[np.ndarray, list[str]]:
    """The Sobel kernel turned to eight directions, 45 degrees apart.

    The first is ``sobel_x``, ``[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]``
    (dark on the left, bright on the right); each next one moves the eight
    outer weights one step clockwise around the centre, which turns the
    kernel by 45 degrees. Every kernel's weights sum to zero.

    Returns
    -------
    kernels : numpy.ndarray, shape (8, 3, 3), float32
    names : list of str
        The direction in which each kernel's weights increase, that is
        the dark-to-bright direction of the edge it detects ("right",
        "down-right", "down", ...).
    """
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
    ring = [(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0)]  # clockwise
    kernels = np.zeros((8, 3, 3), dtype=np.float32)
    for turn in range(8):
        for i, cell in enumerate(ring):
            kernels[turn][ring[(i + turn) % 8]] = sobel_x[cell]
    names = ["right", "down-right", "down", "down-left", "left", "up-left", "up", "up-right"]
    return kernels, names


def edge_alignment(filters) -> np.ndarray:
    """Cosine similarity of each 3x3 filter with each of the eight compass kernels.

    The cosine similarity of two kernels is the sum of their products
    divided by the product of their lengths (square roots of the sums of
    squares): 1 when one is a positive multiple of the other, 0 when they
    have nothing in common. The compass kernels' weights sum to zero, so a
    filter that also responds to plain brightness (weights with a large
    sum) scores lower.

    Parameters
    ----------
    filters : array_like, shape (n, 3, 3) or (3, 3)
        No filter may be all zeros.

    Returns
    -------
    numpy.ndarray, shape (n, 8), float64
        ``[i, d]`` compares filter ``i`` with ``compass_kernels()[0][d]``.

    Raises
    ------
    ValueError
        For filters that are not 3x3, are all zeros, or hold NaN or infinite values.
    """
    stack = as_filters(filters).astype(np.float64)
    if stack.shape[1:] != (3, 3):
        raise ValueError(f"filters must be 3x3 kernels, got shape {np.asarray(filters).shape}")
    flat = stack.reshape(len(stack), 9)
    norms = np.linalg.norm(flat, axis=1)
    if np.any(norms == 0):
        raise ValueError("filters must not be all zeros: their direction is undefined")
    compass = compass_kernels()[0].reshape(8, 9).astype(np.float64)
    return (flat @ compass.T) / (norms[:, None] * np.linalg.norm(compass, axis=1)[None, :])


def plot_digits(images, labels, *, ncols: int = 10, panel_size: float = 0.65) -> Figure:
    """Draw digits in a grid, each titled with its label.

    Parameters
    ----------
    images : array_like, shape (n, 8, 8)
        Values in [0, 1]; drawn black on white, as written with ink.
    labels : sequence of str or int, length n
        A title for each digit: a digit 0 to 9, or any string.
    ncols : int
        Digits per row.
    panel_size : float
        Width of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For images that hold NaN or infinite values, a label that is a
        number but not a whole number from 0 to 9 (NaN, say), or a number of
        labels other than the number of images.
    """
    stack = as_filters(images, name="images")
    labels = list(labels)
    for i, label in enumerate(labels):
        if isinstance(label, numbers.Real) and not (np.isfinite(label) and label == round(label) and 0 <= label <= 9):
            raise ValueError(f"labels[{i}] must be a string or a finite whole number from 0 to 9, got {label!r}")
    if len(labels) != len(stack):
        raise ValueError(f"labels must have one entry per image, {len(stack)}, got {len(labels)}")
    titles = [str(label) for label in labels]
    ncols = max(1, min(int(ncols), len(stack)))
    nrows = -(-len(stack) // ncols)
    fig = _new_figure((panel_size * ncols + 0.2, nrows * (panel_size + 0.3) + 0.1))
    for i, image in enumerate(stack):
        ax = fig.add_subplot(nrows, ncols, i + 1, xticks=[], yticks=[])
        ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=1.0)
        ax.set_title(titles[i], fontsize=10, pad=2)
    fig.tight_layout(pad=0.3)
    return fig


def plot_filter_grid(
    filters, titles: Sequence[str] | None = None, *, ncols: int = 4, panel_size: float = 1.6
) -> Figure:
    """Draw small filters in a grid, in gray, each weight written on its cell.

    Like :func:`convbook.plot_filters` (one gray scale shared by all
    filters, white text on negative weights), but in rows of ``ncols``, so
    that many filters fit the page's width with readable numbers.

    Parameters
    ----------
    filters : array_like, shape (n, kh, kw) or (kh, kw)
    titles : sequence of str, optional
        One per filter; ``"Filter 1"``, ... by default.
    ncols : int
        Filters per row.
    panel_size : float
        Width of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    stack = as_filters(filters)
    n, kh, kw = stack.shape
    titles = _titles(titles, n, "Filter")
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    fig = _new_figure((panel_size * ncols, nrows * (panel_size * kh / kw + 0.35)))
    limit = float(np.abs(stack).max()) or 1.0
    for i in range(n):
        ax = fig.add_subplot(nrows, ncols, i + 1, xticks=[], yticks=[])
        ax.imshow(stack[i], cmap="gray", vmin=-limit, vmax=limit)
        ax.set_title(titles[i], fontsize=10)
        for (row, col), value in np.ndenumerate(stack[i]):
            ax.annotate(
                f"{value:.2f}",
                xy=(col, row),
                ha="center",
                va="center",
                fontsize=9.5,
                color="white" if value < 0 else "black",
            )
    fig.tight_layout(pad=0.4)
    return fig


def plot_digit_maps(
    digit, learned_maps, lesson_maps, *, digit_title: str = "the digit", panel_size: float = 1.25
) -> Figure:
    """Draw one digit with its feature maps from learned and from hand-made filters.

    The first row shows the digit and the maps of the lesson's filters,
    the next rows the maps of the learned filters, four per row. Each group
    of maps shares one colour scale centred on zero (red positive, blue
    negative), so the maps of a group can be compared.

    Parameters
    ----------
    digit : array_like, shape (8, 8)
    learned_maps : array_like, shape (n, h1, w1)
        The learned first layer's maps of ``digit``, before ReLU.
    lesson_maps : array_like, shape (m, h2, w2)
        The lesson's filters' maps of ``digit``.
    digit_title : str
        The title above the digit.
    panel_size : float
        Width of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    digit = as_image(digit, name="digit")
    learned = as_filters(learned_maps, name="learned_maps")
    lesson = as_filters(lesson_maps, name="lesson_maps")
    ncols = 1 + max(len(lesson), 4)
    learned_rows = -(-len(learned) // (ncols - 1))
    nrows = 1 + learned_rows
    fig = _new_figure((panel_size * ncols, nrows * (panel_size + 0.35)))
    ax = fig.add_subplot(nrows, ncols, 1, xticks=[], yticks=[])
    ax.imshow(digit, cmap="gray_r", vmin=0.0, vmax=1.0)
    ax.set_title(digit_title, fontsize=10)
    for first_row, maps, name in ((0, lesson, "lesson"), (1, learned, "learned")):
        limit = float(np.abs(maps).max()) or 1.0
        for i, values in enumerate(maps):
            # Column 0 holds the digit; the maps fill columns 1 .. ncols - 1.
            row, col = first_row + i // (ncols - 1), 1 + i % (ncols - 1)
            ax = fig.add_subplot(nrows, ncols, row * ncols + col + 1, xticks=[], yticks=[])
            ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"{name} {i + 1}", fontsize=10)
    fig.tight_layout(pad=0.4)
    return fig
