"""T.choose broadcasts the index array against the alternatives, as NumPy's choose."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_index_column_against_a_tensor_of_row_alternatives(mode):
    index = np.array([[0], [1], [2], [1]]) + (0 if mode == "raise" else 2)
    choices = RNG.normal(size=(3, 5))
    a, c = T.tensor("int64", (None, 1), name="a"), T.dmatrix("c")
    out = T.choose(a, c, mode=mode)
    f = theano.function([a, c], [out, out.shape])
    value, shape = f(index, choices)
    np.testing.assert_array_equal(value, np.choose(index, choices, mode=mode))
    assert tuple(shape) == (4, 5) and out.ndim == 2


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_list_of_alternatives_of_different_shapes(mode):
    x, y, s = T.dvector("x"), T.dmatrix("y"), T.dscalar("s")
    xv, yv = RNG.normal(size=4), RNG.normal(size=(3, 4))
    for index, shape in ((np.array([[0, 1, 2, 0]] * 3), (None, None)),
                         (np.array([[0], [2], [1]]), (None, 1)),
                         (np.array([[1, 2, 0, 1]]), (1, None))):
        a = T.tensor("int64", shape, name="a")
        f = theano.function([a, x, y, s], T.choose(a, [x, y, s], mode=mode))
        if mode != "raise":
            index = index * 2 - 1
        np.testing.assert_array_equal(f(index, xv, yv, 2.5),
                                      np.choose(index, [xv, yv, 2.5], mode=mode))


def test_index_of_fewer_dims_than_the_alternatives_and_int32_choices():
    a = T.lvector("a")
    c = T.itensor3("c")
    f = theano.function([a, c], T.choose(a, c))
    choices = RNG.integers(-9, 9, size=(2, 3, 4)).astype("int32")
    index = np.array([1, 0, 0, 1])
    out = f(index, choices)
    np.testing.assert_array_equal(out, np.choose(index, choices))
    assert out.dtype == np.int32


def test_out_of_range_index_and_bad_shapes_raise():
    a = T.lmatrix("a")
    x, y = T.dvector("x"), T.dmatrix("y")
    f = theano.function([a, x, y], T.choose(a, [x, y]))
    with pytest.raises(ValueError):
        f(np.full((2, 3), 2), np.zeros(3), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="does not declare that axis broadcastable"):
        f(np.zeros((2, 1), dtype=np.int64), np.zeros(3), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        f(np.zeros((2, 3), dtype=np.int64), np.zeros(4), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="Choose.*cannot broadcast"):
        T.choose(T.tensor("int64", (2, 3)), T.tensor("float64", (2, 4)))


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_gradient_reaches_each_broadcast_alternative(mode):
    index = np.array([[0, 1, 2, 1], [2, 2, 0, 1], [1, 0, 0, 2]])
    if mode != "raise":
        index = index * 3 - 2
    const = T.constant(index)
    verify_grad(lambda x, y, s: T.choose(const, [x, y, s], mode=mode),
                [RNG.normal(size=4), RNG.normal(size=(3, 4)), RNG.normal()])
    column = T.addbroadcast(const[:, :1], 1)
    verify_grad(lambda c: T.choose(column, c, mode=mode), [RNG.normal(size=(3, 4))])
    x, s = T.dvector("x"), T.dscalar("s")
    grads = theano.function([x, s], T.grad(T.choose(T.constant(np.array([0, 1, 1])),
                                                    [x, s]).sum(), [x, s]))
    gx, gs = grads(np.zeros(3), 0.0)
    np.testing.assert_array_equal(gx, [1, 0, 0])
    assert gs == 2
