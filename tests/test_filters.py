"""convbook.edge_filters against the lesson's hand-written arrays."""

import numpy as np

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
