"""Learning the filter: the trained kernel converges to the hand-made one."""

from __future__ import annotations

import numpy as np
import pytest

from convbook import plot_loss_curve, train_filters


@pytest.fixture(scope="module")
def learned_filter_1(photo, lesson_filters):
    return train_filters(photo, lesson_filters[0])


def test_learned_kernel_is_filter_1_within_0_05(learned_filter_1, lesson_filters):
    error = np.abs(learned_filter_1.weights[0] - lesson_filters[0]).max()
    assert error < 0.05
    # It starts far away: the random start is not already the answer.
    assert np.abs(learned_filter_1.snapshots[0][0] - lesson_filters[0]).max() > 0.5


def test_loss_falls_and_snapshots_are_recorded(learned_filter_1):
    result = learned_filter_1
    assert result.losses.shape == (301,)
    assert result.losses[-1] < 1e-3 * result.losses[0]
    np.testing.assert_array_equal(result.snapshot_steps, [0, 10, 25, 50, 100, 300])
    assert result.snapshots.shape == (6, 1, 4, 4)
    np.testing.assert_array_equal(result.snapshots[-1], result.weights)


def test_training_is_deterministic_and_seeded(photo, lesson_filters):
    a = train_filters(photo, lesson_filters[0], steps=5, snapshot_steps=(0,))
    b = train_filters(photo, lesson_filters[0], steps=5, snapshot_steps=(0,))
    c = train_filters(photo, lesson_filters[0], steps=5, snapshot_steps=(0,), seed=1)
    np.testing.assert_array_equal(a.weights, b.weights)
    np.testing.assert_array_equal(a.losses, b.losses)
    assert not np.array_equal(a.snapshots, c.snapshots)


def test_all_four_filters_at_once(photo, lesson_filters):
    result = train_filters(photo, lesson_filters)
    assert result.weights.shape == (4, 4, 4)
    assert np.abs(result.weights - lesson_filters).max() < 0.05


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


def test_bad_arguments(photo, lesson_filters):
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        train_filters(photo, lesson_filters[0], steps=0)
    with pytest.raises(ValueError, match=r"snapshot_steps must lie in \[0, 10\]"):
        train_filters(photo, lesson_filters[0], steps=10, snapshot_steps=(20,))


def test_loss_curve_plot():
    fig = plot_loss_curve([1.0, 0.1, 0.01], marks=[0, 2])
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1.0, 0.1, 0.01])
    with pytest.raises(ValueError, match="at least 2 finite values"):
        plot_loss_curve([1.0])


def test_thread_setting_is_restored(photo, lesson_filters):
    import torch

    before = torch.get_num_threads()
    train_filters(photo, lesson_filters[0], steps=1, snapshot_steps=())
    assert torch.get_num_threads() == before
