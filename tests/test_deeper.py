"""The deeper digits network: its layers, its forward pass, its seeded training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convbook import DigitSplit, LeNetDigits, load_digit_split, predict_digits, train_deeper_cnn


@pytest.fixture(scope="module")
def split():
    return load_digit_split()


@pytest.fixture(scope="module")
def trained(split):
    return train_deeper_cnn(split, seed=0)


def test_layers_and_shapes_as_the_docstring_lists_them():
    model = LeNetDigits()
    names = [name for name, _ in model.named_children()]
    assert names == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc"]
    assert model[0] is model.conv1 and model[-1] is model.fc
    shapes = []
    x = torch.zeros(5, 1, 8, 8)
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert shapes == [(5, 8, 8, 8), (5, 8, 8, 8), (5, 8, 4, 4), (5, 16, 4, 4), (5, 16, 4, 4),
                      (5, 16, 2, 2), (5, 64), (5, 10)]
    # By hand: 8 * (1 * 3 * 3) + 8, 16 * (8 * 3 * 3) + 16, 64 * 10 + 10.
    assert sum(p.numel() for p in model.parameters()) == 80 + 1168 + 650


def test_batch_norm_follows_each_convolution():
    model = LeNetDigits(batch_norm=True)
    names = [name for name, _ in model.named_children()]
    assert names == ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2", "flatten", "fc"]
    assert isinstance(model.bn1, nn.BatchNorm2d) and model.bn1.num_features == 8
    assert isinstance(model.bn2, nn.BatchNorm2d) and model.bn2.num_features == 16
    # A scale and a shift per channel: 2 * (8 + 16) more parameters.
    assert sum(p.numel() for p in model.parameters()) == 80 + 1168 + 650 + 48
    assert model.batch_norm and not LeNetDigits().batch_norm


def test_forward_equals_the_layers_written_out():
    torch.manual_seed(3)
    model = LeNetDigits()
    x = torch.rand(4, 1, 8, 8)
    h = F.max_pool2d(F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias, padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, model.conv2.weight, model.conv2.bias, padding=1)), 2)
    expected = h.reshape(4, 64) @ model.fc.weight.T + model.fc.bias
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected.detach())


def test_training_learns_the_digits(split, trained):
    predictions = predict_digits(trained.model, split.test_images)
    correct = sum(int(p == t) for p, t in zip(predictions, split.test_labels))
    assert trained.test_accuracy == correct / len(split.test_labels) >= 0.95
    assert trained.losses.shape == trained.test_accuracies.shape == (20,)
    assert trained.losses[-1] < 0.1 * trained.losses[0]
    assert not trained.model.training


def test_training_is_deterministic_and_leaves_global_state(split, trained):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    threads = torch.get_num_threads()
    again = train_deeper_cnn(split, seed=0)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.get_num_threads() == threads
    for mine, theirs in zip(again.model.parameters(), trained.model.parameters()):
        assert torch.equal(mine, theirs)
    np.testing.assert_array_equal(again.losses, trained.losses)
    # The starting weights come from the seed, as torch.manual_seed draws them:
    # with tiny steps, the trained weights stay next to them.
    barely = train_deeper_cnn(split, seed=1, epochs=1, learning_rate=1e-9)
    torch.manual_seed(1)
    start = LeNetDigits()
    for mine, theirs in zip(barely.model.parameters(), start.parameters()):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=1e-6)
    assert not torch.equal(barely.model.conv1.weight, trained.model.conv1.weight)


def test_batch_norm_training_uses_running_statistics_afterwards(split):
    result = train_deeper_cnn(split, seed=0, epochs=2, batch_norm=True)
    model = result.model
    assert not model.training and result.test_accuracy >= 0.8
    x = torch.from_numpy(split.test_images[:3])[:, None]
    bn = model.bn1
    with torch.no_grad():
        conv = model.conv1(x)
        normalised = (conv - bn.running_mean[:, None, None]) / torch.sqrt(bn.running_var[:, None, None] + bn.eps)
        expected = normalised * bn.weight[:, None, None] + bn.bias[:, None, None]
        torch.testing.assert_close(bn(conv), expected)
    assert not torch.equal(bn.running_mean, torch.zeros(8))  # the statistics were tracked


def test_bad_input_raises_value_error(split):
    with pytest.raises(ValueError, match="batch_norm must be True or False"):
        LeNetDigits(batch_norm="yes")
    with pytest.raises(ValueError, match="batch_norm must be True or False"):
        train_deeper_cnn(split, batch_norm=1)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        train_deeper_cnn(split, epochs=0)
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        train_deeper_cnn(split, seed=-1)
    with pytest.raises(ValueError, match="learning_rate"):
        train_deeper_cnn(split, learning_rate=float("inf"))
    with pytest.raises(ValueError, match="split must be a DigitSplit"):
        train_deeper_cnn(split.train_images)
    spoiled = DigitSplit(*(np.array(a) for a in (split.train_images, split.train_labels, split.test_images,
                                                 split.test_labels, split.train_index, split.test_index)))
    spoiled.test_images[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^split\.test_images must hold finite values"):
        train_deeper_cnn(spoiled, epochs=1)
