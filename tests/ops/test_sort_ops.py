"""T.sort / T.argsort (and x.sort() / x.argsort()) against NumPy."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.tensor.sort import ArgSortOp, SortOp

RNG = np.random.default_rng(3)


def layouts(a):
    yield a.copy(order="C")
    yield a.copy(order="F")
    yield np.repeat(a, 2, axis=-1)[..., ::2]
    yield np.flip(np.flip(a, -1).copy(), -1)


DTYPES = ["float32", "float64", "int8", "int64", "uint16", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_sort_and_argsort_match_numpy(dtype, axis):
    base = (RNG.normal(size=(4, 5)) * 4).astype(dtype)
    x = T.tensor(dtype, (None, None), name="x")
    f = theano.function([x], [T.sort(x, axis), T.argsort(x, axis, kind="stable"),
                              x.sort(axis), x.argsort(axis, kind="stable")])
    for a in layouts(base):
        s, i, s2, i2 = f(a)
        np.testing.assert_array_equal(s, np.sort(a, axis))
        np.testing.assert_array_equal(i, np.argsort(a, axis, kind="stable"))
        np.testing.assert_array_equal(s2, s)
        np.testing.assert_array_equal(i2, i)
        assert s.dtype == a.dtype and i.dtype == np.int64


@pytest.mark.parametrize("kind", ["quicksort", "mergesort", "heapsort", "stable"])
def test_kinds_nan_inf_and_empty(kind):
    a = np.array([3.0, np.nan, -np.inf, 1.0, np.inf, np.nan, 0.0, -0.0])
    x = T.vector("x")
    f = theano.function([x], [T.sort(x, kind=kind), T.argsort(x, kind=kind)])
    s, i = f(a)
    np.testing.assert_array_equal(s, np.sort(a, kind=kind))
    np.testing.assert_array_equal(a[i], np.sort(a, kind=kind))
    s, i = f(np.zeros(0))
    assert s.shape == (0,) and i.shape == (0,)


def test_three_dims_and_middle_axis():
    a = RNG.normal(size=(2, 3, 4))
    x = T.tensor3("x")
    f = theano.function([x], [T.sort(x, 1), T.argsort(x, -2)])
    s, i = f(a)
    np.testing.assert_array_equal(s, np.sort(a, 1))
    np.testing.assert_array_equal(i, np.argsort(a, -2))


def test_sort_gradient_goes_back_to_where_each_element_came_from():
    verify_grad(lambda v: T.sort(v) * T.arange(6), [RNG.normal(size=6)])
    verify_grad(lambda m: T.sort(m, 0) ** 2, [RNG.normal(size=(4, 3))])
    verify_grad(lambda m: T.sort(m, None), [RNG.normal(size=(3, 2))])
    x = T.vector("x")
    g = theano.function([x], T.grad(T.sort(x)[0], x))([3.0, -1.0, 2.0])
    np.testing.assert_array_equal(g, [0, 1, 0])            # the minimum gets it all


def test_shapes_are_inferred_without_sorting():
    x = T.matrix("x")
    for out, op in [(T.sort(x), SortOp), (T.argsort(x, 0), ArgSortOp)]:
        f = theano.function([x], out.shape)
        assert tuple(f(np.zeros((3, 2)))) == (3, 2)
        assert not any(isinstance(n.op, op) for n in f.maker.fgraph.toposort())


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="kind"):
        T.sort(T.vector(), kind="bubble")
    with pytest.raises(ValueError, match="axis 2"):
        T.sort(T.matrix(), 2)
    with pytest.raises(ValueError, match="0-d"):
        T.argsort(T.scalar())
    with pytest.raises(ValueError, match="order"):
        T.sort(T.vector(), order="name")
    assert SortOp(0, "stable") == SortOp(0, "stable") and SortOp(0) != SortOp(1)
