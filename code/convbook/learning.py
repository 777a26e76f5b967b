"""Learning the filter: gradient descent recovers a hand-made kernel.

The lesson writes its filters by hand and says a CNN would learn them in
training. Here a layer starts from random weights, sees an image and the
feature maps the hand-made filters produce, and changes its weights step by
step to make its own maps match. It ends up with the hand-made filters.

The loss is a quadratic function of the weights, so everything about the
training -- how large a step may be, why the loss zigzags, which patterns
are learned last -- follows from one small matrix, the loss's Hessian
(:func:`loss_hessian`), and from the per-direction convergence factors of
gradient descent with momentum (:func:`convergence_factors`).

Run ``python -m convbook.learning`` to train from the command line with
progress printed.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from ._validation import as_filters, as_float_array, as_image, as_int, as_int_pair, check_kernel_fits
from .plotting import _new_figure

__all__ = [
    "TrainingResult",
    "train_filters",
    "loss_hessian",
    "convergence_factors",
    "plot_loss_curve",
    "plot_kernel_grid",
    "plot_error_by_curvature",
]

#: Steps at which :func:`train_filters` records the weights by default
#: (those not beyond ``steps``), besides the last step.
DEFAULT_SNAPSHOT_STEPS = (0, 10, 25, 50, 100)


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


def _check_rate(learning_rate, momentum) -> tuple[float, float]:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.number)):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.number)):
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
    if not (math.isfinite(momentum) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
    return float(learning_rate), float(momentum)


def train_filters(
    image,
    target_filters,
    *,
    steps: int = 200,
    learning_rate: float = 1.0,
    momentum: float = 0.95,
    seed: int = 0,
    snapshot_steps: Sequence[int] | None = None,
    progress: bool | Callable[[int, float], None] = False,
    progress_every: int = 50,
    num_threads: int | None = 1,
) -> TrainingResult:
    """Train ``nn.Conv2d(1, n, (kh, kw), bias=False)`` to reproduce feature maps.

    The targets are the valid feature maps of ``image`` under
    ``target_filters``. The layer starts from weights drawn uniformly from
    ``[-1, 1]`` with a seeded generator, and follows gradient descent with
    momentum (Polyak's heavy ball, the update of ``torch.optim.SGD``)

    ``velocity = momentum * velocity + gradient``;
    ``weights = weights - learning_rate * velocity``

    on the loss ``sum over maps of mean((layer(image) - target) ** 2)``.

    The loss is a quadratic function of the weights with Hessian
    :func:`loss_hessian` (one block per filter), so the training converges
    when ``learning_rate`` is below ``2 * (1 + momentum) / lambda_max``,
    ``lambda_max`` being the Hessian's largest eigenvalue, and its minimum
    is ``target_filters`` itself when the Hessian has no zero eigenvalue.
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
    learning_rate : float
        Step size, positive.
    momentum : float
        In ``[0, 1)``; 0 is plain gradient descent.
    seed : int
        Seed of the random starting weights.
    snapshot_steps : sequence of int, optional
        Steps (between 0 and ``steps``) at which to record the weights. By
        default those of 0, 10, 25, 50 and 100 that are below ``steps``, and
        ``steps``.
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
        The loss curve, the recorded weights and the final weights. In a
        diverging run the loss grows without bound, and after enough steps
        overflows to ``inf`` or ``nan``.

    Raises
    ------
    ValueError
        For bad image or filter input, ``steps < 1``, a non-positive
        learning rate, a momentum outside ``[0, 1)``, or a snapshot step
        outside ``[0, steps]``.
    """
    import torch
    import torch.nn.functional as F
    from torch import nn

    image = as_image(image)
    targets = as_filters(target_filters, name="target_filters")
    check_kernel_fits(image, targets.shape[1:])
    steps = as_int(steps, "steps")
    progress_every = as_int(progress_every, "progress_every")
    learning_rate, momentum = _check_rate(learning_rate, momentum)
    if snapshot_steps is None:
        snapshot_steps = [s for s in DEFAULT_SNAPSHOT_STEPS if s < steps] + [steps]
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
    previous_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        x = torch.from_numpy(np.ascontiguousarray(image))[None, None]
        with torch.no_grad():  # the targets are data: no gradient needed
            target_maps = F.conv2d(x, torch.from_numpy(targets).unsqueeze(1))

        generator = torch.Generator().manual_seed(int(seed))
        layer = nn.Conv2d(1, n, kernel_size=(kh, kw), bias=False)
        with torch.no_grad():
            layer.weight.copy_(torch.rand(layer.weight.shape, generator=generator) * 2 - 1)
        velocity = torch.zeros_like(layer.weight)

        losses = np.empty(steps + 1)
        recorded = []
        for step in range(steps + 1):
            loss = ((layer(x) - target_maps) ** 2).mean(dim=(0, 2, 3)).sum()
            losses[step] = loss.item()  # the loss as a Python float
            if step in snap:
                recorded.append(layer.weight.detach()[:, 0].clone().numpy())
            if report is not None and (step % progress_every == 0 or step == steps):
                report(step, losses[step])
            if step == steps:
                break
            layer.weight.grad = None  # backward() adds to .grad: clear it first
            loss.backward()  # layer.weight.grad = the gradient of the loss
            with torch.no_grad():  # the update is not part of the loss
                velocity = momentum * velocity + layer.weight.grad
                layer.weight -= learning_rate * velocity
    finally:
        torch.set_num_threads(previous_threads)
    weights = layer.weight.detach()[:, 0].clone().numpy()
    return TrainingResult(
        losses=losses,
        snapshot_steps=np.array(snap, dtype=int),
        snapshots=np.array(recorded, dtype=np.float32).reshape(len(snap), n, kh, kw),
        weights=weights,
    )


def loss_hessian(image, kernel_shape: tuple[int, int] = (4, 4)) -> np.ndarray:
    """The Hessian of :func:`train_filters`' loss for one filter.

    Each value of the layer's map is a dot product of one ``kh x kw`` patch
    of ``image`` with the weights: ``y = X w``, where the ``N`` rows of
    ``X`` are the flattened patches (``N = (H - kh + 1) (W - kw + 1)``)
    and ``w`` the flattened kernel. With targets ``t = X w_star``, the loss
    ``mean((X w - t) ** 2)`` equals ``(w - w_star)^T (X^T X / N) (w - w_star)``:
    a quadratic bowl whose matrix of second derivatives is

    ``H = 2 X^T X / N``.

    With ``n`` filters the loss is a sum of ``n`` such terms, so its Hessian
    is block diagonal with this block ``n`` times.

    Parameters
    ----------
    image : array_like, shape (H, W)
        The training image.
    kernel_shape : tuple of int (kh, kw)
        The kernel's size.

    Returns
    -------
    numpy.ndarray, shape (kh * kw, kh * kw), float64
        Symmetric and positive semi-definite; weights are flattened row by
        row (``kernel.ravel()``).

    Raises
    ------
    ValueError
        For an image that is not 2-D or not finite, a kernel shape that is
        not two integers >= 1, or a kernel larger than the image.
    """
    image = as_image(image)
    kh, kw = as_int_pair(kernel_shape, "kernel_shape", labels="(kh, kw)")
    check_kernel_fits(image, (kh, kw))
    # Every kh x kw patch, as a view (H', W', kh, kw), then one patch per row.
    patches = np.lib.stride_tricks.sliding_window_view(image, (kh, kw))
    X = patches.reshape(-1, kh * kw).astype(np.float64)
    return 2.0 * (X.T @ X) / X.shape[0]


def convergence_factors(eigenvalues, learning_rate: float, momentum: float = 0.0) -> np.ndarray:
    """How much each eigen-direction's error shrinks per step of the training.

    On a quadratic loss with Hessian eigenvalue ``lam`` along a direction,
    the error ``e_k`` along it follows, under gradient descent with momentum
    ``beta`` and step ``eta`` (the update of :func:`train_filters`),

    ``e_{k+1} = (1 + beta - eta * lam) e_k - beta e_{k-1}``.

    Its solutions are combinations of ``z**k``, ``z`` the roots of
    ``z**2 - (1 + beta - eta * lam) z + beta = 0``; the error shrinks by
    the larger ``|z|`` per step in the long run. It is below 1 (the
    training converges along that direction) exactly when
    ``0 < eta * lam < 2 * (1 + beta)``. Without momentum the factor is
    ``|1 - eta * lam|``.

    Parameters
    ----------
    eigenvalues : array_like, shape (k,)
        Eigenvalues of the loss's Hessian (curvatures), finite.
    learning_rate : float
        The step ``eta``, positive.
    momentum : float
        ``beta`` in ``[0, 1)``; 0 (the default) is plain gradient descent.

    Returns
    -------
    numpy.ndarray, shape (k,), float64
        The larger root's modulus for each eigenvalue.

    Raises
    ------
    ValueError
        For non-finite eigenvalues, a non-positive learning rate, or a
        momentum outside ``[0, 1)``.
    """
    as_float_array(eigenvalues, name="eigenvalues")  # numeric and finite, or ValueError
    lam = np.atleast_1d(np.asarray(eigenvalues, dtype=np.float64))
    eta, beta = _check_rate(learning_rate, momentum)
    a = 1.0 + beta - eta * lam
    root = np.sqrt((a * a - 4.0 * beta).astype(np.complex128))
    return np.maximum(np.abs((a + root) / 2), np.abs((a - root) / 2))


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


def plot_kernel_grid(
    kernels,
    titles: Sequence[str],
    *,
    ncols: int = 3,
    width: float = 7.0,
    decimals: int | None = 2,
    fontsize: float = 11.0,
) -> Figure:
    """Draw small kernels in rows, each value written on its cell.

    All panels share one gray scale centred on zero (black: the most
    negative value, white: the most positive), so equal grays mean equal
    numbers from panel to panel. Text is white on dark cells.

    Parameters
    ----------
    kernels : array_like, shape (n, kh, kw) or (kh, kw)
        The kernels, for example snapshots of one filter during training or
        eigenvectors of the loss's Hessian reshaped to ``(kh, kw)``.
    titles : sequence of str
        One per kernel.
    ncols : int
        Panels per row.
    width : float
        Figure width in inches. Keep ``fontsize`` at least 1.4 times it, so
        that the numbers stay at least 9 px tall on a 672 px page.
    decimals : int or None
        Decimals of the written values; ``None`` writes no values (the
        grays alone, quicker to draw).
    fontsize : float
        Size in points of the values and titles.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per kernel, with ``kh * kw`` text annotations each.

    Raises
    ------
    ValueError
        For kernels that are not 2-D or 3-D or not finite, or a number of
        titles other than ``n``.
    """
    stack = as_filters(kernels, name="kernels")
    n, kh, kw = stack.shape
    titles = list(titles)
    if len(titles) != n:
        raise ValueError(f"titles must hold one title per kernel ({n}), got {len(titles)}")
    ncols = min(as_int(ncols, "ncols"), n)
    nrows = math.ceil(n / ncols)
    panel = width / ncols
    fig = _new_figure((width, nrows * (panel * kh / kw + 0.45)))
    limit = float(np.abs(stack).max()) or 1.0
    for i in range(n):
        ax = fig.add_subplot(nrows, ncols, i + 1, xticks=[], yticks=[])
        ax.imshow(stack[i], cmap="gray", vmin=-limit, vmax=limit)
        ax.set_title(titles[i], fontsize=fontsize)
        if decimals is None:
            continue
        for row in range(kh):
            for col in range(kw):
                value = float(stack[i, row, col])
                ax.annotate(
                    f"{value:.{decimals}f}",
                    xy=(col, row),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color="white" if value < 0 else "black",
                )
    fig.tight_layout()
    return fig


def plot_error_by_curvature(
    eigenvalues, end_components, start_components=None, *, width: float = 6.0
) -> Figure:
    """Plot the weight error along each eigenvector against its curvature.

    Both axes are logarithmic: the eigenvalue of the loss's Hessian (how
    steep the loss is along the direction) across, the size of the error
    component along it up.

    Parameters
    ----------
    eigenvalues : array_like, shape (k,)
        Positive eigenvalues of the Hessian.
    end_components : array_like, shape (n, k) or (k,)
        For each of ``n`` filters, the final error ``learned - target``
        projected on each eigenvector (``error @ eigenvectors``).
    start_components : array_like, shape (n, k) or (k,), optional
        The same for the starting error, drawn as hollow markers.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For non-positive or non-finite eigenvalues, or components whose
        last axis does not match the eigenvalues.
    """
    as_float_array(eigenvalues, name="eigenvalues")  # numeric and finite, or ValueError
    lam = np.atleast_1d(np.asarray(eigenvalues, dtype=np.float64))
    if lam.ndim != 1 or np.any(lam <= 0):
        raise ValueError("eigenvalues must be a 1-D array of positive values")

    def components(values, name):
        as_float_array(values, name=name)
        array = np.atleast_2d(np.asarray(values, dtype=np.float64))
        if array.ndim != 2 or array.shape[1] != lam.size:
            raise ValueError(f"{name} must have shape (n, {lam.size}) or ({lam.size},), got {np.shape(values)}")
        return np.abs(array)

    end = components(end_components, "end_components")
    fig = _new_figure((width, width * 0.6))
    ax = fig.add_subplot()
    tiny = np.finfo(np.float32).tiny
    if start_components is not None:
        start = components(start_components, "start_components")
        ax.loglog(np.broadcast_to(lam, start.shape).ravel(), np.maximum(start, tiny).ravel(), "o",
                  mfc="none", color="tab:gray", label="at the random start")
    ax.loglog(np.broadcast_to(lam, end.shape).ravel(), np.maximum(end, tiny).ravel(), "o",
              color="tab:blue", label="after training")
    ax.set_xlabel("eigenvalue of the Hessian (curvature)")
    ax.set_ylabel("|weight error along it|")
    ax.grid(True, which="major", alpha=0.4)
    # Above the axes, where it cannot hide a point.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def main(argv: Sequence[str] | None = None) -> int:
    """Train filter_1, then all four lesson filters, printing progress.

    The training image is the photo at half size (each 2x2 block averaged),
    as in the book's chapter.

    Returns
    -------
    int
        The exit status, 0.
    """
    from .filters import edge_filters
    from .images import load_grayscale, sample_image_path
    from .pooling import avg_pool

    image = avg_pool(load_grayscale(sample_image_path()))
    filters = edge_filters()
    for label, target, seed in (("filter_1", filters[0], 0), ("all four filters", filters, 1)):
        print(f"Learning {label} from random weights:", file=sys.stderr)
        start = time.perf_counter()
        result = train_filters(image, target, seed=seed, progress=True)
        error = float(np.abs(result.weights - as_filters(target)).max())
        print(
            f"done in {time.perf_counter() - start:.1f} s; largest weight error {error:.4f}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
