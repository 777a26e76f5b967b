"""The digits CNN: data split, seeded training, edge alignment, figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convbook import (
    DigitSplit,
    classic_kernels,
    compass_kernels,
    edge_alignment,
    edge_filters,
    load_digit_split,
    make_digit_cnn,
    plot_digit_maps,
    plot_digits,
    plot_filter_grid,
    predict_digits,
    train_digit_cnn,
)


@pytest.fixture(scope="module")
def split():
    return load_digit_split()


@pytest.fixture(scope="module")
def trained(split):
    return train_digit_cnn(split, seed=0)


def test_split_is_a_fixed_partition_of_the_1797_digits(split):
    from sklearn.datasets import load_digits

    digits = load_digits()
    assert len(split.test_labels) == 360 and len(split.train_labels) == 1797 - 360
    both = np.concatenate([split.train_index, split.test_index])
    np.testing.assert_array_equal(np.sort(both), np.arange(1797))
    np.testing.assert_array_equal(split.test_images * 16, digits.images[split.test_index])
    np.testing.assert_array_equal(split.train_labels, digits.target[split.train_index])
    assert split.train_images.dtype == np.float32 and split.train_images.max() == 1.0
    again = load_digit_split()
    np.testing.assert_array_equal(again.test_index, split.test_index)
    assert not np.array_equal(load_digit_split(seed=1).test_index, split.test_index)


def test_model_shapes():
    model = make_digit_cnn()
    assert model(torch.zeros(5, 1, 8, 8)).shape == (5, 10)
    assert make_digit_cnn(4, 4)(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    # 8 * 9 + 8 convolution parameters, (8 * 3 * 3) * 10 + 10 linear ones.
    assert sum(p.numel() for p in make_digit_cnn().parameters()) == 80 + 730


def test_training_learns_the_digits(split, trained):
    predictions = predict_digits(trained.model, split.test_images)
    correct = sum(int(p == t) for p, t in zip(predictions, split.test_labels))
    assert correct / len(split.test_labels) >= 0.9
    assert trained.losses[-1] < 0.2 * trained.losses[0]
    assert trained.losses.shape == (20,)
    assert trained.filters.shape == trained.initial_filters.shape == (8, 3, 3)
    # The network's own layer computes the correlation with the stored filters.
    digit = torch.from_numpy(split.test_images[:1])[:, None]
    conv = trained.model[0]
    with torch.no_grad():
        expected = F.conv2d(digit, torch.from_numpy(trained.filters)[:, None]) + conv.bias[None, :, None, None]
        np.testing.assert_allclose(conv(digit).numpy(), expected.numpy(), atol=1e-6)


def test_training_is_deterministic_and_leaves_global_state(split, trained):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    threads = torch.get_num_threads()
    again = train_digit_cnn(split, seed=0)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.get_num_threads() == threads
    np.testing.assert_array_equal(again.filters, trained.filters)
    np.testing.assert_array_equal(again.losses, trained.losses)
    other = train_digit_cnn(split, seed=1, epochs=1)
    assert not np.array_equal(other.initial_filters, trained.initial_filters)


def test_fixed_filters_stay_fixed(split):
    lesson = edge_filters()
    result = train_digit_cnn(split, epochs=2, fixed_filters=lesson)
    np.testing.assert_array_equal(result.filters, lesson)
    assert torch.equal(result.model[0].bias, torch.zeros(4))
    assert result.losses[-1] < result.losses[0]


def test_compass_kernels_are_sobel_turned():
    kernels, names = compass_kernels()
    sobel = classic_kernels()
    np.testing.assert_array_equal(kernels[0], sobel["sobel_x"])
    np.testing.assert_array_equal(kernels[names.index("down")], sobel["sobel_y"])
    np.testing.assert_array_equal(kernels[names.index("left")], -sobel["sobel_x"])
    np.testing.assert_array_equal(kernels[names.index("up")], -sobel["sobel_y"])
    # Turning by 90 degrees is two steps: np.rot90 turns counter-clockwise.
    for d in range(8):
        np.testing.assert_array_equal(np.rot90(kernels[d], -1), kernels[(d + 2) % 8])
    assert np.all(kernels.sum(axis=(1, 2)) == 0)


def test_edge_alignment_against_hand_computed_values():
    kernels, _ = compass_kernels()
    scores = edge_alignment(np.stack([kernels[3], 2 * kernels[0], np.ones((3, 3))]))
    assert scores[0, 3] == pytest.approx(1.0) and scores[0, 7] == pytest.approx(-1.0)
    assert scores[1, 0] == pytest.approx(1.0)
    # sobel_x against the kernel turned 45 degrees, by hand:
    # [-1,0,1,-2,0,2,-1,0,1] . [-2,-1,0,-1,0,1,0,1,2] = 2+2+2+2 = 8, and each has squared length 12.
    assert scores[1, 1] == pytest.approx(8 / 12)
    np.testing.assert_allclose(scores[2], 0.0, atol=1e-12)


def test_bad_input_raises_value_error(split):
    with pytest.raises(ValueError, match="test_size"):
        load_digit_split(test_size=0)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        train_digit_cnn(split, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        train_digit_cnn(split, batch_size=True)
    with pytest.raises(ValueError, match="learning_rate"):
        train_digit_cnn(split, learning_rate=float("nan"))
    with pytest.raises(ValueError, match="split must be a DigitSplit"):
        train_digit_cnn("digits")
    with pytest.raises(ValueError, match="square kernels"):
        train_digit_cnn(split, fixed_filters=np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="kernel_size"):
        make_digit_cnn(8, 9)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="finite"):
            train_digit_cnn(split, fixed_filters=np.full((2, 3, 3), bad))
        with pytest.raises(ValueError, match="finite"):
            edge_alignment(np.full((3, 3), bad))
        with pytest.raises(ValueError, match="finite"):
            plot_digits(np.full((1, 8, 8), bad), [0])
    # A split whose arrays were changed in place after it was made.
    from convbook import DigitSplit

    spoiled = DigitSplit(*(np.array(a) for a in (split.train_images, split.train_labels, split.test_images,
                                                 split.test_labels, split.train_index, split.test_index)))
    spoiled.train_images[3, 4, 5] = np.nan
    with pytest.raises(ValueError, match=r"^split\.train_images must hold finite values"):
        train_digit_cnn(spoiled, epochs=1)
    with pytest.raises(ValueError, match=r"^train_labels must hold .* from 0 to 9, got 10"):
        DigitSplit(split.train_images, split.train_labels + 1, split.test_images, split.test_labels,
                   split.train_index, split.test_index)
    with pytest.raises(ValueError, match=r"^test_images must be a stack of 8x8 digits"):
        DigitSplit(split.train_images, split.train_labels, split.test_images[:, :7], split.test_labels,
                   split.train_index, split.test_index)
    with pytest.raises(ValueError, match=r"^labels\[1\] must be a string or a finite whole number"):
        plot_digits(np.zeros((2, 8, 8)), [3, float("nan")])
    with pytest.raises(ValueError, match=r"^labels must have one entry per image"):
        plot_digits(np.zeros((2, 8, 8)), [3])
    with pytest.raises(ValueError, match="3x3"):
        edge_alignment(np.ones((4, 4)))
    with pytest.raises(ValueError, match="all zeros"):
        edge_alignment(np.zeros((3, 3)))


def test_figures(split, trained):
    fig = plot_digits(split.train_images[:12], split.train_labels[:12], ncols=6)
    assert len(fig.axes) == 12 and fig.axes[0].get_title() == str(split.train_labels[0])
    fig = plot_filter_grid(trained.filters)
    assert len(fig.axes) == 8 and all(len(ax.texts) == 9 for ax in fig.axes)
    assert fig.axes[0].texts[0].get_text() == f"{trained.filters[0, 0, 0]:.2f}"
    digit = split.test_images[0]
    learned = np.zeros((8, 6, 6))
    fig = plot_digit_maps(digit, learned, np.ones((4, 5, 5)), digit_title="a six")
    assert len(fig.axes) == 1 + 4 + 8 and fig.axes[0].get_title() == "a six"
    for fig in (plot_digits(split.test_images[:2], [1, 2]), plot_filter_grid(trained.filters)):
        assert tuple(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)  # opaque white, not only opaque


def test_adam_step_matches_torch_optim_adam():
    from convbook import adam_step

    generator = torch.Generator().manual_seed(0)
    ours = [torch.randn(3, 4, generator=generator), torch.randn(5, generator=generator)]
    theirs = [p.clone().requires_grad_(True) for p in ours]
    optimizer = torch.optim.Adam(theirs, lr=0.01)
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in ours]
    for step in range(1, 8):
        gradients = [torch.randn(p.shape, generator=generator) for p in ours]
        adam_step(ours, gradients, moments, step, 0.01)
        for p, g in zip(theirs, gradients):
            p.grad = g.clone()
        optimizer.step()
    for mine, reference in zip(ours, theirs):
        torch.testing.assert_close(mine, reference.detach(), atol=1e-6, rtol=1e-5)
    # The first step moves every weight by about the learning rate, against its gradient's sign.
    weights = [torch.zeros(4)]
    adam_step(weights, [torch.tensor([3.0, -0.001, 200.0, -7.0])], [(torch.zeros(4), torch.zeros(4))], 1, 0.01)
    torch.testing.assert_close(weights[0], torch.tensor([-0.01, 0.01, -0.01, 0.01]), atol=1e-5, rtol=0)


def _fed_batches(monkeypatch, split, **training):
    """Train, and return every batch of images the network was fed, in order.

    A forward pre-hook on the network that ``train_digit_cnn`` builds records
    its input: what the network sees, whatever the code around it does.
    """
    import convbook.digits

    fed = []

    def recording_cnn(*args, **kwargs):
        model = make_digit_cnn(*args, **kwargs)  # the package's own, imported above
        model.register_forward_pre_hook(lambda module, inputs: fed.append(inputs[0].clone()))
        return model

    monkeypatch.setattr(convbook.digits, "make_digit_cnn", recording_cnn)
    result = train_digit_cnn(split, **training)
    return result, fed


def _rows(batches) -> set[bytes]:
    return {image.numpy().tobytes() for batch in batches for image in batch}


def test_the_training_shuffle_follows_its_seed(monkeypatch, split):
    n_batches = -(-len(split.train_images) // 64)
    _, seed_0 = _fed_batches(monkeypatch, split, seed=0, epochs=2)
    _, again = _fed_batches(monkeypatch, split, seed=0, epochs=2)
    _, seed_1 = _fed_batches(monkeypatch, split, seed=1, epochs=2)
    assert len(seed_0) == len(seed_1) == 2 * n_batches
    # The same seed feeds the same batches; another seed another order.
    assert all(torch.equal(a, b) for a, b in zip(seed_0, again))
    assert not torch.equal(seed_0[0], seed_1[0])
    # Each epoch is a new order of all the training images, each once.
    first, second = seed_0[:n_batches], seed_0[n_batches:]
    assert not torch.equal(first[0], second[0])
    for epoch in (first, second, seed_1[:n_batches]):
        assert sum(len(batch) for batch in epoch) == len(split.train_images)
        assert _rows(epoch) == _rows([torch.from_numpy(split.train_images)[:, None]])


def test_different_seeds_split_differently_and_the_same_seed_alike():
    splits = {seed: load_digit_split(seed=seed) for seed in (0, 1, 2)}
    test_sets = [frozenset(s.test_index.tolist()) for s in splits.values()]
    assert len(set(test_sets)) == 3
    for seed, first in splits.items():
        again = load_digit_split(seed=seed)
        for name in ("train_index", "test_index", "train_labels", "test_images"):
            np.testing.assert_array_equal(getattr(again, name), getattr(first, name))
        assert not set(first.train_index) & set(first.test_index)


def test_no_test_image_can_influence_training(monkeypatch, split):
    # Poison the test set: noise for images, other labels. Training must feed
    # the network none of it and end with the same weights, bit for bit.
    rng = np.random.default_rng(5)
    poisoned = DigitSplit(split.train_images, split.train_labels,
                          rng.random(split.test_images.shape).astype(np.float32),
                          (split.test_labels + 3) % 10, split.train_index, split.test_index)
    clean, fed = _fed_batches(monkeypatch, split, seed=0, epochs=2)
    dirty, _ = _fed_batches(monkeypatch, poisoned, seed=0, epochs=2)
    assert not _rows(fed) & _rows([torch.from_numpy(split.test_images)[:, None]])
    for before, after in zip(clean.model.state_dict().values(), dirty.model.state_dict().values()):
        assert torch.equal(before, after)
    np.testing.assert_array_equal(clean.losses, dirty.losses)
