"""Learning the filter: gradient descent recovers a hand-made kernel.

The lesson writes its filters by hand and says a CNN would learn them in
training. Here a layer starts from random weights, sees the photo and the
feature maps the hand-made filters produce, and changes its weights step by
step to make its own maps match. It ends up with the hand-made filters.

Run ``python -m convbook.learning`` to train from the command line with
progress printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ._validation import as_filters, as_image, check_kernel_fits
from .plotting import _new_figure

__all__ = ["TrainingResult", "train_filters", "plot_loss_curve"]


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`train_filters` returns.

    Attributes
    ----------
    losses : numpy.ndarray, shape (steps + 1,), float64
        ``losses[s]`` is the loss of the weights after ``s`` steps
        (``losses[0]``: the random start).
    snapshot_steps : numpy.ndarray, shape (m,), int
        The steps at which the weights were recorded.
    snapshots : numpy.ndarray, shape (m, n, kh, kw), float32
        The weights after each of ``snapshot_steps``.
    weights : numpy.ndarray, shape (n, kh, kw), float32
        The final weights.
    """

    losses: np.ndarray
    snapshot_steps: np.ndarray
    snapshots: np.ndarray
    weights: np.ndarray


def train_filters(
    image,
    target_filters,
    *,
    steps: int = 300,
    learning_rate: float = 1.0,
    momentum: float = 0.95,
    seed: int = 0,
    snapshot_steps: Sequence[int] = (0, 10, 25, 50, 100, 300),
    progress: bool | Callable[[int, float], None] = False,
    progress_every: int = 50,
    num_threads: int | None = 1,
) -> TrainingResult:
    """Train ``nn.Conv2d(1, n, (kh, kw), bias=False)`` to reproduce feature maps.

    The targets are the valid feature maps of ``image`` under
    ``target_filters``. The layer starts from weights drawn uniformly from
    ``[-1, 1]`` with a seeded generator, and follows gradient descent with
    momentum (``torch.optim.SGD``) on the loss

    ``loss = sum over maps of mean((layer(image) - target) ** 2)``.

    The loss is a quadratic function of the weights, so gradient descent
    converges to its minimum, and that minimum is ``target_filters``
    itself (the photo has enough variety for the solution to be unique).
    The default random generator is not touched; the number of PyTorch
    threads is set for the training only and restored afterwards.

    Parameters
    ----------
    image : array_like, shape (H, W)
        The grayscale training image.
    target_filters : array_like, shape (n, kh, kw) or (kh, kw)
        The filters whose feature maps are the targets.
    steps : int
        Number of gradient steps, at least 1.
    learning_rate, momentum : float
        Parameters of ``torch.optim.SGD``.
    seed : int
        Seed of the random starting weights.
    snapshot_steps : sequence of int
        Steps (between 0 and ``steps``) at which to record the weights.
    progress : bool or callable
        ``True`` prints the step and loss every ``progress_every`` steps to
        standard error; a callable is called as ``progress(step, loss)``
        instead. ``False`` (the default) is silent.
    progress_every : int
        How often ``progress`` is reported.
    num_threads : int or None
        PyTorch threads used during training, restored afterwards. One
        thread (the default) gives the same numbers on every machine and is
        the fastest on a small, busy CPU: these convolutions are too small
        for several threads to pay off. ``None`` keeps the current setting.

    Returns
    -------
    TrainingResult
        The loss curve, the recorded weights and the final weights.

    Raises
    ------
    ValueError
        For bad image or filter input, ``steps < 1``, or a snapshot step
        outside ``[0, steps]``.
    """
    import torch
    import torch.nn.functional as F
    from torch import nn

    image = as_image(image)
    targets = as_filters(target_filters, name="target_filters")
    check_kernel_fits(image, targets.shape[1:])
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    snap = sorted({int(s) for s in snapshot_steps})
    if snap and (snap[0] < 0 or snap[-1] > steps):
        raise ValueError(f"snapshot_steps must lie in [0, {steps}], got {list(snapshot_steps)}")
    if progress is True:
        def report(step: int, loss: float) -> None:
            print(f"step {step:4d}/{steps}  loss {loss:.3e}", file=sys.stderr, flush=True)
    elif callable(progress):
        report = progress
    else:
        report = None

    n, kh, kw = targets.shape
    x = torch.from_numpy(np.ascontiguousarray(image))[None, None]
    with torch.no_grad():
        target_maps = F.conv2d(x, torch.from_numpy(np.ascontiguousarray(targets)).unsqueeze(1))

    generator = torch.Generator().manual_seed(int(seed))
    layer = nn.Conv2d(1, n, kernel_size=(kh, kw), bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.rand(layer.weight.shape, generator=generator) * 2 - 1)
    optimizer = torch.optim.SGD(layer.parameters(), lr=learning_rate, momentum=momentum)

    def loss_of() -> torch.Tensor:
        return ((layer(x) - target_maps) ** 2).mean(dim=(0, 2, 3)).sum()

    losses = np.empty(steps + 1)
    recorded = []
    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        for step in range(steps + 1):
            optimizer.zero_grad()
            loss = loss_of()
            losses[step] = loss.item()
            if step in snap:
                recorded.append(layer.weight.detach()[:, 0].clone().numpy())
            if report is not None and (step % progress_every == 0 or step == steps):
                report(step, losses[step])
            if step == steps:
                break
            loss.backward()  # the gradient of the loss for every weight
            optimizer.step()  # move each weight a small step downhill
    finally:
        torch.set_num_threads(previous_threads)
    weights = layer.weight.detach()[:, 0].clone().numpy()
    return TrainingResult(
        losses=losses,
        snapshot_steps=np.array(snap, dtype=int),
        snapshots=np.array(recorded, dtype=np.float32).reshape(len(snap), n, kh, kw),
        weights=weights,
    )


def plot_loss_curve(losses, *, marks: Sequence[int] = (), width: float = 6.0) -> Figure:
    """Draw a training loss curve on a logarithmic scale.

    Parameters
    ----------
    losses : array_like, shape (steps + 1,)
        ``losses[s]`` after ``s`` steps, for example ``TrainingResult.losses``.
    marks : sequence of int
        Steps to mark with a dot (for example the snapshot steps).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or losses.size < 2 or not np.all(np.isfinite(losses)):
        raise ValueError(
            f"losses must be a 1-D array of at least 2 finite values, got shape {losses.shape}"
        )
    fig = _new_figure((width, width * 0.55))
    ax = fig.add_subplot()
    steps = np.arange(losses.size)
    ax.semilogy(steps, np.maximum(losses, np.finfo(float).tiny), color="tab:blue")
    marks = [m for m in marks if 0 <= m < losses.size]
    if marks:
        ax.semilogy(marks, losses[marks], "o", color="tab:orange", label="snapshots")
        ax.legend()
    ax.set_xlabel("gradient step")
    ax.set_ylabel("loss (mean squared error)")
    ax.grid(True, which="major", alpha=0.4)
    fig.tight_layout()
    return fig


def main(argv: Sequence[str] | None = None) -> int:
    """Train filter_1, then all four lesson filters, printing progress.

    Returns
    -------
    int
        The exit status, 0.
    """
    from .filters import edge_filters
    from .images import load_grayscale, sample_image_path

    image = load_grayscale(sample_image_path())
    filters = edge_filters()
    for label, target in (("filter_1", filters[0]), ("all four filters", filters)):
        print(f"Learning {label} from random weights:", file=sys.stderr)
        start = time.perf_counter()
        result = train_filters(image, target, progress=True)
        error = float(np.abs(result.weights - as_filters(target)).max())
        print(
            f"done in {time.perf_counter() - start:.1f} s; largest weight error {error:.4f}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
