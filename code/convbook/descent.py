"""Gradient descent on one weight, and its picture.

* :func:`descent_path` -- plain gradient descent, ``w <- w - rate * dL/dw``,
  for a number or an array of weights;
* :func:`plot_descent` -- a one-weight loss curve with its tangent at one
  point and the weights that the steps visit, for the gradients chapter.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

__all__ = ["descent_path", "plot_descent"]


def _positive_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def descent_path(gradient: Callable, start, learning_rate: float, steps: int) -> np.ndarray:
    """The weights that plain gradient descent visits.

    Starting from ``w_0 = start``, each step moves the weights against the
    gradient: ``w_{k+1} = w_k - learning_rate * gradient(w_k)``.

    Parameters
    ----------
    gradient : callable
        Takes the weights (a float or an array of ``start``'s shape) and
        returns the loss's gradient there, of the same shape.
    start : float or array_like, shape (...)
        The first weights.
    learning_rate : float
        The step size, positive.
    steps : int
        How many steps to take, at least 0.

    Returns
    -------
    numpy.ndarray, shape (steps + 1, ...), float64
        ``path[k]`` holds the weights after ``k`` steps (``path[0]`` is
        ``start``).

    Raises
    ------
    ValueError
        For a ``start`` that is not finite, a learning rate that is not a
        positive finite number, a negative or non-integer ``steps``, or a
        gradient of the wrong shape or not finite.
    """
    if not callable(gradient):
        raise ValueError(f"gradient must be a function of the weights, got {gradient!r}")
    weights = np.array(start, dtype=np.float64)
    if not np.all(np.isfinite(weights)):
        raise ValueError(f"start must be finite, got {start!r}")
    learning_rate = _positive_number(learning_rate, "learning_rate")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    path = [weights.copy()]
    for step in range(steps):
        grad = np.asarray(gradient(weights[()] if weights.ndim == 0 else weights.copy()),
                          dtype=np.float64)
        if grad.shape != weights.shape or not np.all(np.isfinite(grad)):
            raise ValueError(
                f"the gradient at step {step} must be finite and of the weights' shape "
                f"{weights.shape}, got {grad!r}"
            )
        weights = weights - learning_rate * grad
        path.append(weights.copy())
    return np.stack(path)


def plot_descent(
    loss: Callable, derivative: Callable, path, *, tangent_at: float,
    limits: tuple[float, float], width: float = 6.0,
) -> Figure:
    """Draw a one-weight loss, its tangent at one point, and a descent path.

    Parameters
    ----------
    loss : callable
        ``loss(w)`` for an array ``w`` of weights, elementwise.
    derivative : callable
        ``derivative(w)``, the slope of ``loss`` at ``w``; it sets the
        tangent's slope.
    path : array_like, shape (n,)
        Weights visited by gradient descent, for example from
        :func:`descent_path`; drawn as numbered dots on the curve, joined in
        order.
    tangent_at : float
        Where to draw the tangent line (a short segment).
    limits : tuple of float
        ``(low, high)``, the range of weights shown.
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For a path that is not 1-D and finite, bad limits, or a tangent
        point outside them.
    """
    from .plotting import _new_figure

    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 1 or path.size < 1 or not np.all(np.isfinite(path)):
        raise ValueError(f"path must be a 1-D array of finite weights, got shape {path.shape}")
    low, high = (float(v) for v in limits)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"limits must be (low, high) with low < high, got {limits!r}")
    if not (math.isfinite(tangent_at) and low <= tangent_at <= high):
        raise ValueError(f"tangent_at must lie within the limits {limits!r}, got {tangent_at!r}")
    fig = _new_figure((width, width * 0.6))
    ax = fig.add_subplot()
    grid = np.linspace(low, high, 201)
    ax.plot(grid, loss(grid), color="tab:blue", linewidth=2, label="loss L(w)")
    # The tangent: the straight line through (a, L(a)) with the curve's slope there.
    slope = float(derivative(tangent_at))
    reach = 0.18 * (high - low)
    along = np.array([tangent_at - reach, tangent_at + reach])
    ax.plot(along, loss(tangent_at) + slope * (along - tangent_at), "--", color="tab:orange",
            linewidth=2, label=f"tangent at w = {tangent_at:g}, slope {slope:.3g}")
    heights = loss(path)
    ax.plot(path, heights, "-o", color="tab:red", markersize=6, linewidth=1,
            label="gradient-descent steps")
    for step, (w, height) in enumerate(zip(path, heights)):
        if step < 4:   # the later steps crowd together near the minimum
            ax.annotate(str(step), (w, height), textcoords="offset points", xytext=(6, 6),
                        color="tab:red")
    ax.set_xlim(low, high)
    ax.set_xlabel("weight w")
    ax.set_ylabel("loss L(w)")
    ax.grid(True, alpha=0.4)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig
