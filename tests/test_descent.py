"""Gradient descent for the gradients chapter: the path against the closed
form of a parabola and against torch.optim.SGD, the figure's tangent against
the derivative, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convbook import descent_path, plot_descent


def test_path_on_a_parabola_matches_the_closed_form():
    # L(w) = (w - 3)^2, L'(w) = 2 (w - 3): each step multiplies w - 3 by 1 - 2 * rate.
    path = descent_path(lambda w: 2 * (w - 3), start=-1.0, learning_rate=0.2, steps=6)
    assert path.shape == (7,)
    expected = 3 + (1 - 2 * 0.2) ** np.arange(7) * (-1 - 3)
    assert np.allclose(path, expected, rtol=0, atol=1e-12)


def test_path_of_many_weights_matches_torch_sgd():
    target = np.array([[1.0, -2.0], [0.5, 4.0]])
    start = np.zeros((2, 2))
    path = descent_path(lambda w: 2 * (w - target), start, learning_rate=0.1, steps=5)
    assert path.shape == (6, 2, 2)
    weights = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([weights], lr=0.1)
    for step in range(1, 6):
        optimizer.zero_grad()
        ((weights - torch.from_numpy(target)) ** 2).sum().backward()
        optimizer.step()
        assert np.allclose(path[step], weights.detach().numpy(), atol=1e-12)
    assert np.array_equal(path[0], start)


def test_plot_draws_the_curve_the_tangent_and_the_path():
    loss = lambda w: (w - 2) ** 2 + 1
    derivative = lambda w: 2 * (w - 2)
    path = descent_path(derivative, 0.0, 0.3, 4)
    fig = plot_descent(loss, derivative, path, tangent_at=0.5, limits=(-1, 4))
    curve, tangent, steps = fig.axes[0].get_lines()
    x, y = curve.get_data()
    assert np.allclose(y, loss(x))
    (x0, x1), (y0, y1) = tangent.get_data()
    assert np.isclose((y1 - y0) / (x1 - x0), derivative(0.5))       # the slope at 0.5
    assert np.isclose(y0 + (0.5 - x0) * (y1 - y0) / (x1 - x0), loss(0.5))  # touches the curve there
    assert np.allclose(steps.get_xdata(), path) and np.allclose(steps.get_ydata(), loss(path))


@pytest.mark.parametrize("kwargs, message", [
    (dict(start=np.nan), "start"),
    (dict(learning_rate=0), "learning_rate"),
    (dict(learning_rate=True), "learning_rate"),
    (dict(steps=-1), "steps"),
    (dict(steps=2.5), "steps"),
    (dict(gradient=lambda w: np.zeros(3)), "gradient"),
    (dict(gradient="slope"), "gradient"),
])
def test_descent_path_rejects_bad_input(kwargs, message):
    args = dict(gradient=lambda w: 2 * w, start=1.0, learning_rate=0.1, steps=3) | kwargs
    with pytest.raises(ValueError, match=message):
        descent_path(**args)


@pytest.mark.parametrize("kwargs, message", [
    (dict(path=[[0.0, 1.0]]), "path"),
    (dict(path=[np.inf]), "path"),
    (dict(limits=(2, 1)), "limits"),
    (dict(tangent_at=5.0), "tangent_at"),
])
def test_plot_descent_rejects_bad_input(kwargs, message):
    args = dict(loss=np.square, derivative=lambda w: 2 * w, path=[1.0, 0.5], tangent_at=0.0,
                limits=(-1, 1)) | kwargs
    loss, derivative, path = args.pop("loss"), args.pop("derivative"), args.pop("path")
    with pytest.raises(ValueError, match=message):
        plot_descent(loss, derivative, path, **args)
