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
    first = model[:3]
    assert isinstance(first, nn.Sequential) and first[2] is model.pool1 and hasattr(first, "relu1")
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


def test_layer_table_against_the_model_run_and_the_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode

    from convbook import layer_table

    for batch_norm in (False, True):
        torch.manual_seed(0)
        model = LeNetDigits(batch_norm=batch_norm).eval()
        rows = layer_table(model)
        assert [row.name for row in rows] == [name for name, _ in model.named_children()]
        x = torch.rand(1, 1, 8, 8)
        for row, layer in zip(rows, model):
            counter = FlopCounterMode(display=False)
            with counter, torch.no_grad():
                out = layer(x)
            assert row.output_shape == tuple(out.shape[1:])
            assert row.activation_bytes == out.numel() * out.element_size()
            assert row.parameters == sum(p.numel() for p in layer.parameters())
            # The counter counts 2 per multiply-add and leaves out the bias: add one per output.
            bias = out.numel() if getattr(layer, "bias", None) is not None and not isinstance(
                layer, nn.BatchNorm2d) else 0
            expected = counter.get_total_flops() + bias
            if isinstance(layer, nn.BatchNorm2d):
                expected = 2 * out.numel()  # not counted by FlopCounterMode: scale and shift
            assert row.flops == expected, row.name
            x = out
    # By hand: (2 * 1 * 9 + 1) * 8 * 8 * 8, (2 * 8 * 9 + 1) * 16 * 4 * 4, (2 * 64 + 1) * 10.
    assert [row.flops for row in layer_table(LeNetDigits()) if row.flops] == [9728, 37120, 1290]


def test_receptive_fields_of_the_table_measured_by_autograd():
    from convbook import layer_table

    torch.manual_seed(0)
    model = LeNetDigits()
    rows = layer_table(model)
    # On a 24 x 24 input (the layers up to pool2 take any size), the gradient of one
    # value in the middle reaches exactly the receptive field. Many random inputs:
    # ReLU and max pooling pass the gradient of only some pixels for each one.
    for depth, row in enumerate(rows[:6], start=1):
        part = model[:depth]
        reached = torch.zeros(24, 24, dtype=torch.bool)
        for trial in range(8):
            x = torch.rand(1, 1, 24, 24, generator=torch.Generator().manual_seed(trial)).requires_grad_(True)
            out = part(x)
            middle = out.shape[2] // 2
            out[0, :, middle, middle].sum().backward()
            reached |= x.grad[0, 0] != 0
        rows_hit = torch.nonzero(reached.any(dim=1)).flatten()
        cols_hit = torch.nonzero(reached.any(dim=0)).flatten()
        assert int(rows_hit[-1] - rows_hit[0] + 1) == row.receptive_field, row.name
        assert int(cols_hit[-1] - cols_hit[0] + 1) == row.receptive_field, row.name
    assert [row.receptive_field for row in rows] == [3, 3, 4, 8, 8, 10, None, None]


def test_top_activating_against_a_loop():
    from convbook import top_activating

    activations = np.random.default_rng(0).random((30, 4, 3, 3))
    activations[7, 2] = activations[5, 2]  # a tie: the earlier image first
    top = top_activating(activations, 5)
    assert top.shape == (4, 5) and top.dtype == np.int64
    for channel in range(4):
        peaks = [float(activations[n, channel].max()) for n in range(30)]
        expected = sorted(range(30), key=lambda n: (-peaks[n], n))[:5]
        assert top[channel].tolist() == expected
    with pytest.raises(ValueError, match="count must be at most"):
        top_activating(activations, 31)
    with pytest.raises(ValueError, match="4-D"):
        top_activating(activations[0], 1)


def test_match_filters_finds_a_hidden_permutation():
    from itertools import permutations

    from convbook import match_filters

    rng = np.random.default_rng(1)
    first = rng.normal(size=(6, 2, 3, 3))
    order = rng.permutation(6)
    second = 2.5 * first[order] + 0.1 * rng.normal(size=(6, 2, 3, 3))
    rows, cols, similarity = match_filters(first, second)
    assert rows.tolist() == list(range(6))
    # first[i] was moved to position where order == i.
    assert cols.tolist() == [int(np.flatnonzero(order == i)[0]) for i in range(6)]
    # Against brute force over all 720 pairings, cosines by explicit sums.
    def cosine(a, b):
        a, b = a.ravel(), b.ravel()
        return sum(x * y for x, y in zip(a, b)) / (sum(x * x for x in a) * sum(y * y for y in b)) ** 0.5

    cos = np.array([[cosine(a, b) for b in second] for a in first])
    best = max(permutations(range(6)), key=lambda p: sum(cos[i, p[i]] for i in range(6)))
    assert list(best) == cols.tolist()
    np.testing.assert_allclose(similarity, cos[rows, cols], rtol=1e-6)  # float32 inputs
    with pytest.raises(ValueError, match="same shape"):
        match_filters(first, second[:5])
    with pytest.raises(ValueError, match="all-zero"):
        match_filters(np.zeros((2, 3, 3)), np.ones((2, 3, 3)))


def test_the_chapter_table_shows_what_layer_table_computes(site):
    """The built page's layer table (glued numbers) against layer_table on a fresh model."""
    import re

    from convbook import layer_table

    html = (site / "book" / "deeper-cnn.html").read_text()
    table = html.split('id="table-deeper-layers"', 1)[1].split("</table>", 1)[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", table, flags=re.S)]
    rows = {row.name: row for row in layer_table(LeNetDigits())}
    shown = [cells[i:i + 6] for i in range(0, len(cells), 6)]
    assert [line[0] for line in shown] == ["conv1", "pool1", "conv2", "pool2", "fc"]
    for name, shape, parameters, flops, memory, field in shown:
        row = rows[name]
        assert shape == " x ".join(str(size) for size in row.output_shape)
        assert (int(parameters), int(flops), int(memory)) == (row.parameters, row.flops, row.activation_bytes)
        assert field == (str(row.receptive_field) if row.receptive_field else "all")
