"""Advanced indexing: integer arrays, boolean masks, set/inc_subtensor, take."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad

RNG = np.random.default_rng(0)
P = RNG.random((5, 4))
PY = theano.Mode(linker="py")


def both(inputs, output, *values):
    got = theano.function(inputs, output, on_unused_input="ignore")(*values)
    want = theano.function(inputs, output, mode=PY, on_unused_input="ignore")(*values)
    np.testing.assert_array_equal(got, want)
    return got


def test_pick_one_per_row():
    p, y = T.dmatrix(), T.ivector()
    yv = np.array([0, 3, 3, 1, 2], "int32")
    out = both([p, y], p[T.arange(y.shape[0]), y], P, yv)
    np.testing.assert_array_equal(out, P[np.arange(5), yv])
    # the book's logistic regression loss
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    np.testing.assert_allclose(theano.function([p, y], nll)(P, yv),
                               -np.mean(np.log(P)[np.arange(5), yv]))


@pytest.mark.parametrize("index", [
    lambda x, i: x[i], lambda x, i: x[:, i], lambda x, i: x[1, i], lambda x, i: x[i, 1:3],
    lambda x, i: x[i, i], lambda x, i: x[x > 0.5], lambda x, i: x[::2][i[:2]],
    lambda x, i: x[i.reshape((1, 3))],
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_indexing_matches_numpy(index, dtype):
    x, i = T.matrix(dtype=dtype), T.lvector()
    xv, iv = (P * 10).astype(dtype), np.array([1, 1, -1])
    out = both([x, i], index(x, i), xv, iv)
    np.testing.assert_array_equal(out, index(xv, iv))


def test_inc_accumulates_and_set_replaces():
    x, i, v = T.dmatrix(), T.lvector(), T.dvector()
    iv = np.array([1, 1, -1, 1])
    inc = both([x, i, v], T.inc_subtensor(x[i], v), P, iv, np.arange(4.0))
    expected = P.copy()
    np.add.at(expected, iv, np.arange(4.0))
    np.testing.assert_allclose(inc, expected)
    out = both([x, i], T.set_subtensor(x[i], 0.0), P, iv)
    assert np.all(out[[1, 4]] == 0) and np.array_equal(out[0], P[0])
    masked = both([x], T.set_subtensor(x[x > 0.5], -1.0), P)
    np.testing.assert_array_equal(masked, np.where(P > 0.5, -1.0, P))
    cols = both([x, i], T.inc_subtensor(x[:, i], 1.0), P, iv)
    expected = P.copy()
    np.add.at(expected, (slice(None), iv), 1.0)
    np.testing.assert_allclose(cols, expected)


def test_gradients():
    idx = np.array([0, 2, 2, 4])
    verify_grad(lambda p: p[idx], [P])
    verify_grad(lambda p: p[:, [1, 1]], [P])
    verify_grad(lambda p: p[np.arange(4), [0, 3, 3, 1]], [P])
    verify_grad(lambda p: p[np.array([True, False, True, True, False])], [P])
    verify_grad(lambda p, v: T.inc_subtensor(p[idx], v), [P, RNG.random((4, 4))])
    verify_grad(lambda p, v: T.set_subtensor(p[idx[:2]], v), [P, RNG.random(4)])
    verify_grad(lambda p: T.take(p, [3, 1, 3], axis=1), [P])


@pytest.mark.parametrize("mode", ["wrap", "clip"])
def test_take_wrap_and_clip(mode):
    """Out-of-range indices, as NumPy's take: modulo the length, or clipped."""
    x, i = T.dmatrix("x"), T.lvector("i")
    idx = np.array([0, 5, -7, 13, 3])
    for axis in (None, 0, 1):
        f = theano.function([x, i], T.take(x, i, axis=axis, mode=mode))
        np.testing.assert_array_equal(f(P, idx), np.take(P, idx, axis=axis, mode=mode))
    verify_grad(lambda p: T.take(p, idx, axis=1, mode=mode), [P])
    with pytest.raises(ValueError, match="mode must be"):
        T.take(x, i, mode="bogus")


def test_take():
    x = T.dmatrix()
    np.testing.assert_array_equal(theano.function([x], T.take(x, [1, 3]))(P),
                                  np.take(P, [1, 3]))
    np.testing.assert_array_equal(theano.function([x], T.take(x, [2, 0], axis=1))(P),
                                  np.take(P, [2, 0], axis=1))


def test_out_of_range_indices_raise():
    x, i = T.dmatrix(), T.lvector()
    for out in (x[i], T.inc_subtensor(x[i], 1.0), T.set_subtensor(x[i], 1.0)):
        f = theano.function([x, i], out)
        with pytest.raises(IndexError, match=r"index -?\d+ is out of bounds for axis 0 "
                                             r"with size 5"):
            f(P, np.array([0, 5]))
        with pytest.raises(IndexError):
            f(P, np.array([-6]))
    f = theano.function([x, i], x[i, i])
    with pytest.raises(IndexError, match="axis 1 with size 4"):
        f(P, np.array([4]))


def test_bad_index_types():
    x = T.dmatrix()
    with pytest.raises(IndexError, match="neither an integer nor a boolean"):
        x[T.dvector()]
    with pytest.raises(IndexError, match="too many indices"):
        x[T.lvector(), 0, 1]
