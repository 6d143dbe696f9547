"""The paths chosen when compiling for small inputs (issue 15, item 4):
advanced indexing of single elements through NumPy's own indexing, arange
from 0-d inputs, elementwise constants given in the compute dtype.  Each is
compared with NumPy and with the py linker (the ops' references)."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T

RNG = np.random.default_rng(1)
PY = theano.Mode(linker="py")


def both(inputs, output, *values):
    """The compiled result, checked equal to the references' (py linker)."""
    got = theano.function(inputs, output)(*values)
    want = theano.function(inputs, output, mode=PY)(*values)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    return got


@pytest.mark.parametrize("index_dtype", ["int64", "int32", "uint8", "int8"])
@pytest.mark.parametrize("n", [1, 7, 100000])
def test_take_single_elements(index_dtype, n):
    v, i = T.dvector(), T.vector(dtype=index_dtype)
    vv = RNG.random(n)
    iv = RNG.integers(0, min(n, 100), 2 * n).astype(index_dtype)
    np.testing.assert_array_equal(both([v, i], v[i], vv, iv), vv[iv])


def test_take_negative_strided_and_fortran():
    m, i, j = T.dmatrix(), T.lvector(), T.lvector()
    base = RNG.random((6, 8))
    iv, jv = np.array([0, -1, 2, -3]), np.array([-3, 2, 0, 1])
    for mv in (base, base[::-2, ::3], np.asfortranarray(base)):
        got = both([m, i, j], m[i, j], mv, iv, jv)
        np.testing.assert_array_equal(got, mv[iv, jv])


def test_take_result_is_a_new_array():
    v, i = T.dvector(), T.lvector()
    vv = np.arange(5.0)
    out = theano.function([v, i], v[i])(vv, np.array([1, 2]))
    out[:] = -1
    np.testing.assert_array_equal(vv, np.arange(5.0))


def test_take_out_of_bounds_is_an_index_error():
    v, i = T.dvector(), T.lvector()
    f = theano.function([v, i], v[i])
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.zeros(3), np.array([0, 3]))
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.zeros(3), np.array([-4]))


@pytest.mark.parametrize("shape", [(3, 4), (50, 300)])
def test_rows_small_and_large(shape):
    """Rows of several elements: NumPy for small results, the row kernel for large."""
    m, i = T.dmatrix(), T.lvector()
    mv = RNG.random(shape)
    iv = RNG.integers(-shape[0], shape[0], 2 * shape[0])
    np.testing.assert_array_equal(both([m, i], m[i], mv, iv), mv[iv])


def test_book_pairs_with_nan_and_inf():
    p, y = T.dmatrix(), T.ivector()
    pv = RNG.random((4, 3))
    pv[1, 2], pv[2, 0] = np.nan, -np.inf
    yv = np.array([0, 2, 0, 1], "int32")
    got = both([p, y], p[T.arange(y.shape[0]), y], pv, yv)
    np.testing.assert_array_equal(got, pv[np.arange(4), yv])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8"])
def test_inc_and_set_single_elements(dtype):
    v, i, w = T.vector(dtype=dtype), T.lvector(), T.vector(dtype=dtype)
    vv = (RNG.random(6) * 10).astype(dtype)
    iv = np.array([0, 0, -1, 3, 0])
    wv = (RNG.random(5) * 10).astype(dtype)
    want = vv.copy()
    np.add.at(want, iv, wv)
    got = both([v, i, w], T.inc_subtensor(v[i], w), vv, iv, wv)
    np.testing.assert_array_equal(got, want)
    want = vv.copy()
    want[iv] = wv
    np.testing.assert_array_equal(both([v, i, w], T.set_subtensor(v[i], w), vv, iv, wv), want)
    np.testing.assert_array_equal(vv, vv.copy())


def test_inc_pairs_broadcast_value_and_strided_input():
    m, i, j, s = T.dmatrix(), T.lvector(), T.lvector(), T.dscalar()
    mv = RNG.random((5, 6))[:, ::-2]
    iv, jv = np.array([0, 4, 4, -1]), np.array([1, 2, 2, 0])
    got = both([m, i, j, s], T.inc_subtensor(m[i, j], s), mv, iv, jv, 2.5)
    want = mv.copy()
    np.add.at(want, (iv, jv), 2.5)
    np.testing.assert_array_equal(got, want)


def test_inc_errors_keep_their_types():
    v, i, w = T.dvector(), T.lvector(), T.dvector()
    f = theano.function([v, i, w], T.inc_subtensor(v[i], w))
    with pytest.raises(IndexError):
        f(np.zeros(3), np.array([5]), np.ones(1))
    with pytest.raises(ValueError):
        f(np.zeros(3), np.array([0, 1]), np.ones(3))


def test_inc_gradient_of_the_book_loss():
    p, y = T.dmatrix(), T.ivector()
    pv = RNG.random((4, 3)) + 0.1
    yv = np.array([0, 2, 2, 1], "int32")
    g = theano.grad(T.log(p)[T.arange(y.shape[0]), y].sum(), p)
    want = np.zeros_like(pv)
    np.add.at(want, (np.arange(4), yv), 1 / pv[np.arange(4), yv])
    np.testing.assert_allclose(theano.function([p, y], g)(pv, yv), want)


@pytest.mark.parametrize("args", [(0, 5, 1), (7, -3, -2), (2, 2, 1)])
def test_arange_of_scalars(args):
    a, b, c = T.lscalars("a", "b", "c")
    got = both([a, b, c], T.arange(a, b, c), *[np.int64(v) for v in args])
    np.testing.assert_array_equal(got, np.arange(*args))
    with pytest.raises(ValueError, match="step"):
        theano.function([a, b, c], T.arange(a, b, c))(0, 5, 0)


def test_arange_float():
    a, b, c = T.dscalars("a", "b", "c")
    np.testing.assert_array_equal(both([a, b, c], T.arange(a, b, c), 0.5, 2.0, 0.25),
                                  np.arange(0.5, 2.0, 0.25))


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_int_arithmetic_with_a_small_constant(n):
    x, y = T.lvectors("x", "y")
    xv = RNG.integers(-2 ** 40, 2 ** 40, n)
    yv = RNG.integers(-1000, 1000, n)
    got = both([x, y], x * y + x // 3, xv, yv)
    np.testing.assert_array_equal(got, xv * yv + xv // 3)


@pytest.mark.parametrize("dtype, constant", [("int8", 100), ("uint8", 200), ("float32", 0.1),
                                             ("int16", -3)])
def test_constants_that_do_not_fit_stay_exact(dtype, constant):
    """A constant of a wider dtype than the registers' keeps NumPy's result."""
    x = T.vector(dtype=dtype)
    xv = (RNG.random(9) * 50).astype(dtype)
    want = theano.function([x], x * constant + 1, mode=PY)(xv)
    got = theano.function([x], x * constant + 1)(xv)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
