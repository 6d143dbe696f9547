"""theano.map, reduce, foldl and foldr: scan with no output fed back, or
keeping only the value after the last step, checked against Python's own
map and functools.reduce over NumPy arrays."""
import functools

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import scan_module

ROWS = np.random.default_rng(3).normal(size=(5, 3))


def test_map_over_rows_with_a_non_sequence():
    X, w = T.dmatrix("X"), T.dvector("w")
    out, updates = theano.map(lambda row, w: T.dot(row, w), X, non_sequences=w)
    assert updates == {}
    w_value = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(theano.function([X, w], out)(ROWS, w_value),
                               [row @ w_value for row in ROWS])


def test_map_of_two_sequences_and_two_outputs_backwards():
    a, b = T.dvector("a"), T.dvector("b")
    (s, d), _ = theano.map(lambda x, y: [x + y, x - y], [a, b], go_backwards=True)
    av, bv = np.arange(4.0), np.array([10.0, 20.0, 30.0, 40.0])
    got_s, got_d = theano.function([a, b], [s, d])(av, bv)
    np.testing.assert_array_equal(got_s, (av + bv)[::-1])
    np.testing.assert_array_equal(got_d, (av - bv)[::-1])


@pytest.mark.parametrize("view, python_order", [(theano.reduce, slice(None)),
                                                (theano.foldl, slice(None)),
                                                (theano.foldr, slice(None, None, -1))])
def test_folds_keep_the_last_value(view, python_order):
    """An order-sensitive step, acc * 0.5 + row, tells foldl from foldr."""
    X, start = T.dmatrix("X"), T.dvector("start")
    acc, updates = view(lambda row, acc: acc * 0.5 + row, X, start)
    assert updates == {} and acc.ndim == 1
    start_value = np.ones(3)
    want = functools.reduce(lambda acc, row: acc * 0.5 + row, ROWS[python_order], start_value)
    np.testing.assert_allclose(theano.function([X, start], acc)(ROWS, start_value), want)


def test_reduce_with_two_states_and_backwards():
    x = T.dvector("x")
    zero = T.constant(np.float64(0))
    (total, squares), _ = theano.reduce(lambda v, s, q: [s + v, q + v * v], x, [zero, zero],
                                        go_backwards=True)
    values = np.array([1.0, 2.0, 5.0])
    assert theano.function([x], [total, squares])(values) == [8.0, 30.0]


def test_the_gradient_of_a_fold_matches_finite_differences():
    theano.gradient.verify_grad(
        lambda X, s: theano.foldr(lambda row, acc: T.tanh(acc * row), X, s)[0],
        [ROWS, np.full(3, 0.4)])


def test_theano_names_them_everywhere():
    for name in ("map", "reduce", "foldl", "foldr"):
        assert getattr(theano, name) is getattr(theano.scan_module, name)
        assert getattr(scan_module, name) is getattr(theano, name)
        assert getattr(theano.scan, name) is getattr(theano, name)
        assert getattr(theano, name).__module__ == "cytensor.scan"


def test_fold_errors_are_scans():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="output 0 of fn is .* initial state"):
        theano.foldl(lambda v, acc: acc + v, x, T.constant(np.float32(0)))
