"""The vectorised softmax and max-pooling loops (kernels/nnet_rows.h) against
NumPy: float32 and float64, rows and images of odd sizes (shorter and longer
than a SIMD register), nan and inf, one row, one column."""
import numpy as np
import pytest

from cytensor.kernels import _nnet

RNG = np.random.default_rng(11)
TOL = {"float32": dict(rtol=2e-6, atol=1e-7), "float64": dict(rtol=1e-13, atol=1e-15)}


def softmax_reference(x, take_log):
    z = x.astype("float64") - x.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1, keepdims=True))
    return (z - lse) if take_log else np.exp(z - lse)


def rows_with_specials(shape, dtype):
    x = (RNG.standard_normal(shape) * 5).astype(dtype)
    if shape[0] >= 4 and shape[1] >= 2:
        x[1, shape[1] // 2] = np.nan           # a NaN row
        x[2, -1] = np.inf                      # +inf: NaN row, as exp(inf - inf)
        x[3, :] = -np.inf                      # all -inf: NaN row
        x[0, 0] = -np.inf                      # one -inf: probability 0
    return x


SHAPES = [(1, 1), (4, 3), (5, 17), (7, 64), (3, 1001), (6, 10000)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("take_log", [False, True])
def test_softmax_rows_match_numpy(shape, dtype, take_log):
    x = rows_with_specials(shape, dtype)
    out = np.empty_like(x)
    _nnet.softmax(x, out, take_log, 2)
    with np.errstate(invalid="ignore"):
        want = softmax_reference(x, take_log)
    np.testing.assert_allclose(out, want.astype(dtype), **TOL[dtype])
    assert np.array_equal(np.isnan(out), np.isnan(want))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("from_log", [False, True])
def test_softmax_gradient_rows_match_numpy(shape, dtype, from_log):
    x = (RNG.standard_normal(shape) * 3).astype(dtype)
    dy = RNG.standard_normal(shape).astype(dtype)
    sm = softmax_reference(x, from_log).astype(dtype)
    out = np.empty_like(x)
    _nnet.softmax_grad(dy, sm, out, from_log, 2)
    d, s = dy.astype("float64"), sm.astype("float64")
    if from_log:
        want = d - np.exp(s) * d.sum(axis=1, keepdims=True)
    else:
        want = s * (d - (d * s).sum(axis=1, keepdims=True))
    scale = np.abs(want).max() + 1
    np.testing.assert_allclose(out, want, rtol=TOL[dtype]["rtol"] * 10,
                               atol=TOL[dtype]["rtol"] * 10 * scale)


@pytest.mark.parametrize("from_log", [False, True])
def test_softmax_gradient_propagates_nan_and_inf(from_log):
    sm = np.full((2, 9), 1 / 9)
    dy = np.ones((2, 9))
    dy[0, 3], dy[1, 8] = np.nan, np.inf
    out = np.empty_like(sm)
    _nnet.softmax_grad(dy, sm, out, from_log, 1)
    with np.errstate(invalid="ignore"):
        if from_log:
            want = dy - np.exp(sm) * dy.sum(axis=1, keepdims=True)
        else:
            want = sm * (dy - (dy * sm).sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(out, want)     # NaN and -inf where NumPy has them


def max_pool_reference(x, ws, st):
    """NumPy's max over each window (NaN if the window holds one)."""
    b, h, w = x.shape
    oh, ow = (h - ws[0]) // st[0] + 1, (w - ws[1]) // st[1] + 1
    out = np.empty((b, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, i * st[0]:i * st[0] + ws[0],
                             j * st[1]:j * st[1] + ws[1]].max(axis=(1, 2))
    return out


@pytest.mark.parametrize("shape, ws, st", [
    ((3, 32, 32), (2, 2), (2, 2)),
    ((3, 33, 31), (3, 3), (2, 2)),          # overlapping windows, odd sizes
    ((2, 9, 40), (3, 3), (1, 1)),
    ((1, 7, 5), (2, 3), (3, 1)),            # gaps between window rows
    ((2, 5, 70), (1, 4), (1, 4)),           # one-row windows
    ((4, 6, 1), (3, 1), (2, 1)),            # one column
    ((1, 3, 3), (3, 3), (1, 1)),            # one window
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_inside_matches_numpy(shape, ws, st, dtype):
    x = RNG.integers(-4, 4, shape).astype(dtype)      # ties
    flat = x.reshape(-1)
    flat[3::29] = np.nan
    flat[7::31] = np.inf
    flat[11::37] = -np.inf
    want = max_pool_reference(x, ws, st)
    out = np.empty(want.shape, dtype)
    _nnet.pool2d(x, out, ws[0], ws[1], st[0], st[1], 0, 0, _nnet.POOL_MAX, 2)
    np.testing.assert_array_equal(out, want)


def test_max_pool_inside_all_nan_and_all_minus_inf():
    x = np.full((2, 6, 6), -np.inf, "float32")
    x[1] = np.nan
    out = np.empty((2, 2, 2), "float32")
    _nnet.pool2d(x, out, 3, 3, 2, 2, 0, 0, _nnet.POOL_MAX, 2)
    assert (out[0] == -np.inf).all() and np.isnan(out[1]).all()
