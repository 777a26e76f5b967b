"""convbook.edge_filters against the lesson's hand-written arrays."""

import numpy as np
import pytest

import convbook


def test_edge_filters_are_the_lessons():
    filter_1 = np.array([[-1, -1, 1, 1], [-1, -1, 1, 1], [-1, -1, 1, 1], [-1, -1, 1, 1]])
    filter_3 = np.array([[-1, -1, -1, -1], [-1, -1, -1, -1], [1, 1, 1, 1], [1, 1, 1, 1]])
    filters = convbook.edge_filters()
    assert filters.shape == (4, 4, 4)
    assert np.issubdtype(filters.dtype, np.integer)
    np.testing.assert_array_equal(filters[0], filter_1)
    np.testing.assert_array_equal(filters[1], -filter_1)
    np.testing.assert_array_equal(filters[2], filter_3)
    np.testing.assert_array_equal(filters[3], -filter_3)


def test_filters_print_as_the_lesson_shows(capsys):
    filter_1 = convbook.edge_filters()[0]
    print('Filter shape: ', filter_1.shape)
    print('Filter 1: \n', filter_1)
    assert capsys.readouterr().out == (
        "Filter shape:  (4, 4)\n"
        "Filter 1: \n"
        " [[-1 -1  1  1]\n"
        " [-1 -1  1  1]\n"
        " [-1 -1  1  1]\n"
        " [-1 -1  1  1]]\n"
    )


def test_each_filter_sums_to_zero():
    np.testing.assert_array_equal(convbook.edge_filters().sum(axis=(1, 2)), [0, 0, 0, 0])


def lesson_construction() -> list[np.ndarray]:
    """The lesson's own code, line by line."""
    filter_vals = np.array([[-1, -1, 1, 1], [-1, -1, 1, 1], [-1, -1, 1, 1], [-1, -1, 1, 1]])
    filter_1 = filter_vals
    filter_2 = -filter_1
    filter_3 = filter_1.T
    filter_4 = -filter_3
    return [filter_1, filter_2, filter_3, filter_4]


@pytest.mark.parametrize("k", range(4))
def test_each_filter_equals_the_lessons_construction_element_by_element(k):
    expected = lesson_construction()[k]
    got = convbook.edge_filters()[k]
    assert got.shape == (4, 4)
    for row in range(4):
        for col in range(4):
            assert got[row, col] == expected[row, col], f"filter {k + 1}[{row}, {col}]"


#: An 8 x 8 step edge for each direction (which part is bright), and the sign
#: of each filter's response where its window straddles the edge.
EDGE_SIGNS = {
    "dark left, bright right": ((slice(None), slice(4, None)), [+1, -1, 0, 0]),
    "bright left, dark right": ((slice(None), slice(None, 4)), [-1, +1, 0, 0]),
    "dark top, bright bottom": ((slice(4, None), slice(None)), [0, 0, +1, -1]),
    "bright top, dark bottom": ((slice(None, 4), slice(None)), [0, 0, -1, +1]),
}


@pytest.mark.parametrize("edge", list(EDGE_SIGNS))
def test_each_filter_responds_to_its_edge_with_the_lessons_sign(edge):
    bright, signs = EDGE_SIGNS[edge]
    image = np.zeros((8, 8))
    image[bright] = 1.0
    filters = convbook.edge_filters()
    # The 4x4 window at (2, 2) is centred on the edge, whichever its direction.
    patch = image[2:6, 2:6]
    for k in range(4):
        response = float(np.sum(patch * filters[k]))  # one output value, by hand
        assert np.sign(response) == signs[k], f"filter {k + 1} on a {edge} edge: {response}"
        if signs[k]:
            assert abs(response) == 8  # two columns (rows) of 4 ones, each weighted 1
