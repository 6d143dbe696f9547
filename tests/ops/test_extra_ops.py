"""theano.tensor.extra_ops against NumPy: cumsum, cumprod, diff, bincount, repeat,
searchsorted, Unique, to_one_hot, squeeze, fill_diagonal, compress."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.tensor import extra_ops

RNG = np.random.default_rng(11)


def layouts(a):
    yield a.copy(order="C")
    yield a.copy(order="F")
    if a.ndim:
        yield np.repeat(a, 2, axis=-1)[..., ::2]
        yield np.flip(np.flip(a, -1).copy(), -1)


def sym(a, name="x"):
    return T.tensor(a.dtype.name, (None,) * a.ndim, name=name)


# --- cumsum / cumprod ------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int32", "uint8", "bool"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum_cumprod_match_numpy_with_numpy_dtypes(dtype, axis):
    base = (RNG.uniform(-3, 3, size=(3, 4))).astype(dtype)
    x = sym(base)
    f = theano.function([x], [extra_ops.cumsum(x, axis), extra_ops.cumprod(x, axis),
                              T.cumsum(x, axis), x.cumsum(axis), x.cumprod(axis)])
    for a in layouts(base):
        s, p, s2, s3, p2 = f(a)
        np.testing.assert_allclose(s, np.cumsum(a, axis), rtol=1e-6)
        np.testing.assert_allclose(p, np.cumprod(a, axis), rtol=1e-6)
        assert s.dtype == np.cumsum(a, axis).dtype and p.dtype == np.cumprod(a, axis).dtype
        np.testing.assert_array_equal(s2, s)
        np.testing.assert_array_equal(s3, s)
        np.testing.assert_array_equal(p2, p)


def test_cumsum_nan_inf_empty_and_scalar():
    a = np.array([1.0, np.inf, -np.inf, 2.0, np.nan, 1.0])
    x = T.vector("x")
    f = theano.function([x], [T.cumsum(x), T.cumprod(x)])
    with np.errstate(invalid="ignore"):
        s, p = f(a)
        np.testing.assert_array_equal(s, np.cumsum(a))
        np.testing.assert_array_equal(p, np.cumprod(a))
    assert [r.shape for r in f(np.zeros(0))] == [(0,), (0,)]
    c = T.scalar("c")
    np.testing.assert_array_equal(theano.function([c], T.cumsum(c))(2.5), [2.5])
    with pytest.raises(ValueError, match="axis 2"):
        T.cumsum(T.matrix(), 2)


def test_cumsum_cumprod_gradients():
    verify_grad(lambda m: extra_ops.cumsum(m, 1), [RNG.normal(size=(3, 4))])
    verify_grad(lambda m: extra_ops.cumsum(m, 0), [RNG.normal(size=(3, 4))])
    verify_grad(lambda m: extra_ops.cumsum(m), [RNG.normal(size=(2, 3))])
    verify_grad(lambda m: extra_ops.cumprod(m, 1), [RNG.uniform(0.5, 2, size=(3, 4))])
    verify_grad(lambda m: extra_ops.cumprod(m, None), [RNG.uniform(0.5, 2, size=(2, 3))])


def test_cumsum_shape_is_inferred():
    x = T.matrix("x")
    f = theano.function([x], extra_ops.cumsum(x, 0).shape)
    assert tuple(f(np.zeros((3, 2)))) == (3, 2)
    assert not any(isinstance(n.op, extra_ops.CumOp) for n in f.maker.fgraph.toposort())


# --- diff -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "int16", "uint8", "bool"])
@pytest.mark.parametrize("n, axis", [(1, -1), (2, 0), (0, 1), (3, 1), (5, 1)])
def test_diff_matches_numpy(dtype, n, axis):
    base = (RNG.uniform(0, 9, size=(3, 4))).astype(dtype)
    x = sym(base)
    f = theano.function([x], extra_ops.diff(x, n, axis))
    for a in layouts(base):
        out = f(a)
        np.testing.assert_array_equal(out, np.diff(a, n, axis))
        assert out.dtype == np.diff(a, n, axis).dtype


def test_diff_gradient_and_errors():
    verify_grad(lambda v: extra_ops.diff(v, 2), [RNG.normal(size=6)])
    verify_grad(lambda m: extra_ops.diff(m, 1, 0), [RNG.normal(size=(3, 2))])
    with pytest.raises(ValueError, match="one dimension"):
        extra_ops.diff(T.scalar())


# --- bincount ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint16", "bool"])
def test_bincount_counts_and_weights(dtype):
    values = np.array([0, 3, 1, 3, 3, 1]).astype(dtype)
    weights = np.array([0.5, 1.0, 2.0, -1.0, 0.25, np.inf])
    x, w = T.tensor(dtype, (None,), name="x"), T.vector("w")
    f = theano.function([x, w], [extra_ops.bincount(x), extra_ops.bincount(x, w),
                                 extra_ops.bincount(x, minlength=9)])
    counts, sums, long = f(values, weights)
    np.testing.assert_array_equal(counts, np.bincount(values))
    np.testing.assert_array_equal(sums, np.bincount(values, weights))
    np.testing.assert_array_equal(long, np.bincount(values, minlength=9))
    assert counts.dtype == np.int64 and sums.dtype == np.float64
    assert f(np.zeros(0, dtype), np.zeros(0))[0].shape == (0,)


def test_bincount_rejects_negatives_and_floats_and_has_a_weight_gradient():
    x = T.lvector("x")
    with pytest.raises(ValueError, match="negative"):
        theano.function([x], extra_ops.bincount(x))([1, -1])
    with pytest.raises(TypeError, match="integer vector"):
        extra_ops.bincount(T.vector())
    index = np.array([2, 0, 2, 1])
    verify_grad(lambda w: extra_ops.bincount(T.constant(index), w),
                [RNG.normal(size=4)])


# --- repeat -------------------------------------------------------------------------

@pytest.mark.parametrize("repeats, axis", [(2, None), (3, 0), (0, 1), ([1, 0, 2], 1),
                                           ([2, 1], 0), ([0, 0, 0], -1)])
def test_repeat_matches_numpy(repeats, axis):
    base = RNG.normal(size=(2, 3))
    x = T.matrix("x")
    f = theano.function([x], [extra_ops.repeat(x, repeats, axis), T.repeat(x, repeats, axis),
                              x.repeat(repeats, axis)])
    for a in layouts(base):
        for out in f(a):
            np.testing.assert_array_equal(out, np.repeat(a, repeats, axis))


def test_repeat_symbolic_counts_dtypes_and_gradients():
    x, r = T.ivector("x"), T.lvector("r")
    f = theano.function([x, r], T.repeat(x, r))
    out = f(np.array([4, 5, 6], "int32"), [3, 0, 1])
    np.testing.assert_array_equal(out, [4, 4, 4, 6])
    assert out.dtype == np.int32
    with pytest.raises(ValueError):
        f(np.array([4, 5, 6], "int32"), [1, -1, 0])
    verify_grad(lambda m: extra_ops.repeat(m, 3, 1), [RNG.normal(size=(2, 3))])
    verify_grad(lambda m: extra_ops.repeat(m, 2), [RNG.normal(size=(2, 2))])
    counts = T.constant(np.array([2, 0, 3]))
    verify_grad(lambda m: extra_ops.repeat(m, counts, 0), [RNG.normal(size=(3, 2))])
    with pytest.raises(TypeError, match="integers"):
        T.repeat(T.vector(), T.vector())


# --- searchsorted --------------------------------------------------------------------

@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy(side):
    sorted_values = np.array([-np.inf, 0.0, 1.0, 1.0, 3.0, np.nan])
    queries = np.array([[1.0, -5.0], [np.nan, 2.0], [np.inf, 0.0]])
    x, v = T.vector("x"), T.matrix("v")
    f = theano.function([x, v], [extra_ops.searchsorted(x, v, side), x.searchsorted(v, side)])
    for q in layouts(queries):
        a, b = f(sorted_values, q)
        np.testing.assert_array_equal(a, np.searchsorted(sorted_values, q, side))
        np.testing.assert_array_equal(b, a)
        assert a.dtype == np.int64


def test_searchsorted_with_sorter_scalar_query_and_zero_gradient():
    unsorted = np.array([3.0, 1.0, 2.0])
    x, v, s = T.vector("x"), T.scalar("v"), T.lvector("s")
    f = theano.function([x, v, s], extra_ops.searchsorted(x, v, sorter=s))
    assert f(unsorted, 2.5, np.argsort(unsorted)) == np.searchsorted(
        unsorted, 2.5, sorter=np.argsort(unsorted))
    cost = (x * T.cast(extra_ops.searchsorted(x, v), "float64")).sum()
    g = theano.function([x, v], T.grad(cost, [x, v]))(np.array([1.0, 2.0]), 1.5)
    np.testing.assert_array_equal(g[0], [1.0, 1.0])
    assert g[1] == 0
    with pytest.raises(ValueError, match="side"):
        extra_ops.searchsorted(x, v, side="middle")


# --- Unique ----------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [(False, False, False), (True, False, False),
                                   (True, True, True), (False, True, False),
                                   (False, False, True)])
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_unique_matches_numpy(flags, dtype):
    base = np.array([[3, 1, 1], [0, 3, 2]]).astype(dtype)
    x = sym(base)
    outs = extra_ops.Unique(*flags)(x)
    f = theano.function([x], outs)
    for a in layouts(base):
        got = f(a)
        got = got if isinstance(got, list) else [got]
        expected = np.unique(a, *flags)
        expected = expected if isinstance(expected, tuple) else (expected,)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e.reshape(-1))


def test_unique_with_axis_nan_and_empty():
    a = np.array([[1, 2], [0, 5], [1, 2]])
    x = T.lmatrix("x")
    rows, inverse = theano.function([x], extra_ops.unique(x, return_inverse=True, axis=0))(a)
    expected_rows, expected_inverse = np.unique(a, return_inverse=True, axis=0)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_array_equal(inverse, expected_inverse.reshape(-1))
    v = T.vector("v")
    f = theano.function([v], extra_ops.unique(v))
    np.testing.assert_array_equal(f([np.nan, 1.0, np.nan]), np.unique([np.nan, 1.0, np.nan]))
    assert f(np.zeros(0)).shape == (0,)


# --- to_one_hot, squeeze, fill_diagonal, compress -----------------------------------------

def test_to_one_hot_and_squeeze_are_the_existing_ops():
    y = T.lvector("y")
    np.testing.assert_array_equal(theano.function([y], extra_ops.to_one_hot(y, 3))([2, 0]),
                                  [[0, 0, 1], [1, 0, 0]])
    r = T.row("r")
    assert extra_ops.squeeze(r).ndim == 1
    assert extra_ops.squeeze is T.squeeze


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (3, 3, 3), (0, 2)])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_fill_diagonal_matches_numpy(shape, dtype):
    base = RNG.uniform(0, 9, size=shape).astype(dtype)
    x = sym(base)
    f = theano.function([x], extra_ops.fill_diagonal(x, 7))
    for a in layouts(base):
        expected = a.copy()
        np.fill_diagonal(expected, 7)
        out = f(a)
        np.testing.assert_array_equal(out, expected)
        assert out.dtype == a.dtype


@pytest.mark.parametrize("offset", [0, 1, -1, 3, -5])
def test_fill_diagonal_offset(offset):
    a = RNG.normal(size=(3, 4))
    expected = a.copy()
    rows = np.arange(3)
    keep = (rows + offset >= 0) & (rows + offset < 4)
    expected[rows[keep], rows[keep] + offset] = -2.0
    x = T.matrix("x")
    out = theano.function([x], extra_ops.fill_diagonal_offset(x, -2.0, offset))(a)
    np.testing.assert_array_equal(out, expected)


def test_fill_diagonal_gradients_and_errors():
    verify_grad(lambda m, v: extra_ops.fill_diagonal(m, v),
                [RNG.normal(size=(3, 4)), np.array(2.0)])
    verify_grad(lambda m, v: extra_ops.fill_diagonal_offset(m, v, 1),
                [RNG.normal(size=(3, 3)), np.array(0.5)])
    with pytest.raises(TypeError, match="scalar"):
        extra_ops.fill_diagonal(T.matrix(), T.vector())


def test_compress():
    x, c = T.matrix("x"), T.bvector("c")
    a, cond = RNG.normal(size=(3, 2)), np.array([1, 0, 1], "int8")
    np.testing.assert_array_equal(theano.function([c, x], extra_ops.compress(c, x, 0))(cond, a),
                                  np.compress(cond, a, 0))


def test_fill_diagonal_offset_takes_a_symbolic_offset():
    x, k = T.matrix("x"), T.iscalar("k")
    f = theano.function([x, k], extra_ops.fill_diagonal_offset(x, 1.0, k))
    for offset in (-2, 0, 3):
        expected = np.zeros((3, 4))
        expected[np.eye(3, 4, offset, dtype=bool)] = 1.0
        np.testing.assert_array_equal(f(np.zeros((3, 4)), offset), expected)


def test_repeat_shape_is_inferred_without_repeating():
    x, r = T.matrix("x"), T.lvector("r")
    for out in (extra_ops.repeat(x, 3, 1), extra_ops.repeat(x, r, 0)):
        f = theano.function([x, r], out.shape, on_unused_input="ignore")
        assert tuple(f(np.zeros((2, 3)), [1, 4])) == \
            theano.function([x, r], out, on_unused_input="ignore")(np.zeros((2, 3)),
                                                                    [1, 4]).shape
        assert not any(isinstance(n.op, extra_ops.RepeatOp)
                       for n in f.maker.fgraph.toposort())


@pytest.mark.parametrize("M", [0, 1, 5, 6, -3])
def test_bartlett_matches_numpy(M):
    m = T.lscalar("m")
    out = theano.function([m], extra_ops.bartlett(m))(M)
    np.testing.assert_allclose(out, np.bartlett(M))
    assert out.dtype == np.float64
    assert tuple(theano.function([m], extra_ops.bartlett(m).shape)(M)) == (max(M, 0),)
    with pytest.raises(TypeError, match="integer scalar"):
        extra_ops.bartlett(T.scalar())
