"""T.topk, T.argtopk and T.topk_and_argtopk (Theano 1.0's tensor.sort) against NumPy."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.tensor.sort import TopKOp

RNG = np.random.default_rng(11)


def expected_values(a, k, axis):
    """The |k| largest (k > 0) or smallest (k < 0) along axis, most extreme first."""
    if axis is None:
        a, axis = a.ravel(), 0
    ordered = np.sort(a, axis=axis)
    if k > 0:
        ordered = np.flip(ordered, axis)
    return np.take(ordered, np.arange(abs(k)), axis=axis)


def layouts(a):
    yield a.copy(order="C")
    yield a.copy(order="F")
    yield np.repeat(a, 2, axis=-1)[..., ::2]
    yield np.flip(np.flip(a, -1).copy(), -1)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64", "uint16", "bool"])
@pytest.mark.parametrize("axis", [-1, 0, 1, None])
@pytest.mark.parametrize("k", [1, 3, -2, -4])
def test_values_and_indices_match_numpy(dtype, axis, k):
    base = (RNG.normal(size=(4, 5)) * 4).astype(dtype)
    x = T.tensor(dtype, (None, None), name="x")
    values, indices = T.topk_and_argtopk(x, k, axis=axis)
    f = theano.function([x], [values, indices, T.topk(x, k, axis), T.argtopk(x, k, axis)])
    for a in layouts(base):
        v, i, v_alone, i_alone = f(a)
        np.testing.assert_array_equal(v, expected_values(a, k, axis))
        line = a.ravel() if axis is None else a
        np.testing.assert_array_equal(np.take_along_axis(line, i, 0 if axis is None else axis), v)
        np.testing.assert_array_equal(v_alone, v)
        np.testing.assert_array_equal(i_alone, i)
        assert v.dtype == a.dtype and i.dtype == np.int64


def test_nan_counts_as_the_largest_and_ties_keep_their_order():
    a = np.array([2.0, np.nan, 5.0, 2.0, -np.inf, 5.0, np.inf])
    x = T.dvector("x")
    k = T.iscalar("k")
    f = theano.function([x, k], T.topk_and_argtopk(x, k))
    v, i = f(a, 4)
    np.testing.assert_array_equal(v, [np.nan, np.inf, 5.0, 5.0])
    np.testing.assert_array_equal(i, [1, 6, 2, 5])
    v, i = f(a, -3)
    np.testing.assert_array_equal(v, [-np.inf, 2.0, 2.0])
    np.testing.assert_array_equal(i, [4, 0, 3])
    v, i = f(a, 7)
    np.testing.assert_array_equal(v, expected_values(a, 7, 0))


def test_symbolic_k_idx_dtype_and_static_shapes():
    x = T.tensor3("x")
    k = T.iscalar("k")
    a = RNG.normal(size=(2, 6, 3)).astype(x.dtype)
    out = T.argtopk(x, k, axis=1, idx_dtype="int32")
    assert out.dtype == "int32" and out.type.shape == (None, None, None)
    assert T.topk(x, -2, axis=1).type.shape == (None, 2, None)
    f = theano.function([x, k], [out, out.shape, T.topk(x, k, axis=-2).shape])
    i, shape, shape_of_values = f(a, -5)
    np.testing.assert_array_equal(i, np.argsort(a, axis=1, kind="stable")[:, :5])
    assert tuple(shape) == tuple(shape_of_values) == (2, 5, 3)


def test_shape_is_inferred_without_running_topk():
    x = T.dmatrix("x")
    f = theano.function([x], T.topk(x, 3).shape)
    assert not any(isinstance(n.op, TopKOp) for n in f.maker.fgraph.toposort())
    assert tuple(f(np.zeros((4, 7)))) == (4, 3)


def test_empty_lines_and_whole_axis():
    x = T.dmatrix("x")
    f = theano.function([x], T.topk_and_argtopk(x, 2, axis=1))
    v, i = f(np.zeros((0, 5)))
    assert v.shape == i.shape == (0, 2)
    a = RNG.normal(size=(3, 4))
    v, i = theano.function([x], T.topk_and_argtopk(x, -4))(a)
    np.testing.assert_array_equal(v, np.sort(a, axis=1))


def test_gradient_of_the_values():
    for k, axis in [(2, 1), (-3, 0), (1, None)]:
        verify_grad(lambda x: T.topk(x, k, axis=axis) ** 2, [RNG.normal(size=(4, 5))])
    x = T.dvector("x")
    g = theano.function([x], T.grad(T.topk(x, 2).sum(), x))
    np.testing.assert_array_equal(g(np.array([1.0, 4.0, 3.0, 0.0])), [0, 1, 1, 0])


def test_bad_arguments_name_what_is_wrong():
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="kth must not be 0"):
        T.topk(x, 0)
    with pytest.raises(TypeError, match="kth must be an integer scalar"):
        T.topk(x, 1.5)
    with pytest.raises(TypeError, match="idx_dtype"):
        T.argtopk(x, 1, idx_dtype="float32")
    with pytest.raises(ValueError, match="out of range"):
        T.topk(x, 1, axis=2)
    with pytest.raises(ValueError, match="0-d"):
        T.topk(T.dscalar(), 1)
    k = T.iscalar("k")
    f = theano.function([x, k], T.topk(x, k))
    with pytest.raises(ValueError, match=r"kth=5 needs 1 <= \|kth\| <= 4"):
        f(np.zeros((2, 4)), 5)
    with pytest.raises(ValueError, match="kth=0"):
        f(np.zeros((2, 4)), 0)
