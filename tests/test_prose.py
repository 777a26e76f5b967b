"""convbook.prose.glue_checked: a number reaches the prose only when checked."""

from __future__ import annotations

import numpy as np
import pytest

from convbook.prose import GlueCheckError, glue_checked


@pytest.fixture
def glued(monkeypatch) -> dict:
    """Record what would be glued, instead of publishing to a kernel."""
    import myst_nb

    store: dict = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: store.__setitem__(name, value))
    return store


def test_agreeing_values_are_glued_as_plain_numbers(glued):
    shape = np.zeros((424, 637)).shape
    assert glue_checked("out_w", np.int64(shape[1]), 640 - 4 + 1) == 637
    assert glued == {"out_w": 637}
    assert type(glued["out_w"]) is int
    glue_checked("share", np.float32(0.1) * 3, 0.3)
    assert glued["share"] == pytest.approx(0.3, rel=1e-6)


def test_the_wrong_variable_is_caught_and_nothing_is_glued(glued):
    # The bug issue 13 names: feature maps of 424 x 424 under a shape (424, 637).
    shape = (424, 637)
    with pytest.raises(GlueCheckError, match=r"'out_w' = 424 .* 637"):
        glue_checked("out_w", shape[0], 640 - 4 + 1)
    assert glued == {}


@pytest.mark.parametrize(
    "value, expected, kwargs",
    [
        (1.0, 1.001, {}),
        (0.5, 0.5 + 1e-3, {"rtol": 1e-4}),
        (float("nan"), float("nan"), {}),
        (float("inf"), float("inf"), {}),
        (3, 3.5, {}),
        ("a", "b", {}),
        (True, 1, {}),
    ],
)
def test_disagreements_raise(glued, value, expected, kwargs):
    with pytest.raises(GlueCheckError):
        glue_checked("key", value, expected, **kwargs)
    assert glued == {}


def test_tolerances_are_honoured(glued):
    glue_checked("a", 1.0, 1.0 + 1e-9)
    glue_checked("b", 0.0, 1e-7, atol=1e-6)
    glue_checked("c", "ReLU", "ReLU")
    assert glued == {"a": 1.0, "b": 0.0, "c": "ReLU"}


def test_non_numbers_are_refused(glued):
    with pytest.raises(TypeError, match="number or a string"):
        glue_checked("arr", np.arange(3), np.arange(3))
