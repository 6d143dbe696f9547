"""Row inputs on the contiguous path: ``m + r`` (an input of the outputs'
trailing axes, repeated over the leading ones).  Small work expands the row
at once; larger work tiles it once per call and reads it in place
(KIND_PERIODIC), from any offset in the row a block starts at.  Both give
NumPy's values, for every row length against the VM's block."""
import numpy as np
import pytest

import cytensor as C
import cytensor.kernels as K
import cytensor.tensor as T
from cytensor._kernels import _set_tuning

ADD = [("add", 2, 0, 1)]
ROW_TWICE = [("mul", 3, 0, 1), ("sub", 3, 3, 2)]      # m * r - r2


def contiguous(instrs, inputs, out_shape, dtype):
    code, nreg = K.compile_program(instrs, len(inputs), 1)
    out = np.empty(out_shape, dtype)
    return K.elemwise_contiguous(code, nreg, list(inputs), [out])


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint64"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 4), (7, 300), (100, 100), (3000, 5),
                                   (3, 5000), (2, 9001), (40, 30, 20)])
def test_row_plus_matrix(dtype, shape):
    rng = np.random.default_rng(0)
    m = (rng.standard_normal(shape) * 100).astype(dtype)
    for row in ((rng.standard_normal(shape[-1:]) * 100).astype(dtype),
                (rng.standard_normal((1,) * (len(shape) - 1) + shape[-1:]) * 100).astype(dtype),
                (rng.standard_normal((1,) + shape[1:]) * 100).astype(dtype)):
        got = contiguous(ADD, [m, row], shape, dtype)
        assert got is not None
        np.testing.assert_array_equal(got[0], m + row)


@pytest.mark.parametrize("block", [16, 100, 4096])
@pytest.mark.parametrize("rlen", [1, 3, 15, 16, 17, 99, 100, 101, 5000])
def test_rows_of_every_length_against_the_block(block, rlen):
    rng = np.random.default_rng(rlen)
    rows = max(2, 20000 // rlen)
    m = rng.standard_normal((rows, rlen))
    r, r2 = rng.standard_normal(rlen), rng.standard_normal((1, rlen))
    old = _set_tuning()[0]
    try:
        _set_tuning(block=block)
        got = contiguous(ROW_TWICE, [m, r, r2], (rows, rlen), "float64")
    finally:
        _set_tuning(block=old)
    np.testing.assert_array_equal(got[0], m * r - r2)


def test_empty_and_nan_inf_rows():
    assert contiguous(ADD, [np.ones((0, 3)), np.ones(3)], (0, 3), "float64")[0].shape == (0, 3)
    row = np.array([np.nan, np.inf, -np.inf, 0.0])
    m = np.tile(np.array([1.0, -np.inf, np.inf, np.nan]), (3000, 1))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(contiguous(ADD, [m, row], m.shape, "float64")[0], m + row)


@pytest.mark.parametrize("layout", ["C", "F", "neg", "strided", "unaligned"])
@pytest.mark.parametrize("shape", [(1, 1), (10, 10), (100, 100), (30, 1000), (3, 7000), (0, 4),
                                   (4, 0)])
def test_compiled_matrix_plus_row(layout, shape):
    m, v, r = T.dmatrix("m"), T.dvector("v"), T.drow("r")
    f = C.function([m, v, r], (m + v) * r)
    rng = np.random.default_rng(2)
    x, w, y = (rng.standard_normal(shape), rng.standard_normal(shape[1]),
               rng.standard_normal((1, shape[1])))
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "neg":
        x, w, y = x[::-1, ::-1], w[::-1], y[:, ::-1]
    elif layout == "strided":
        x, w = np.repeat(x, 2, axis=1)[:, ::2], np.repeat(w, 2)[::2]
    elif layout == "unaligned":
        buf = np.zeros(w.size * 8 + 1, np.uint8)[1:].view(np.float64)
        buf[:] = w
        w = buf
    np.testing.assert_array_equal(f(x, w, y), (x + w) * y)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "uint64", "bool",
                                   "float32"])
@pytest.mark.parametrize("shape", [(5, 7), (300, 70)])
def test_compiled_row_of_each_dtype(dtype, shape):
    m, r = T.matrix("m", dtype=dtype), T.vector("r", dtype=dtype)
    f = C.function([m, r], [m + r, m * r, T.maximum(m, r)])
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 50).astype(dtype)
    y = (rng.standard_normal(shape[1]) * 50).astype(dtype)
    for got, want in zip(f(x, y), [x + y, x * y, np.maximum(x, y)]):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_compiled_zero_d_plus_row():
    s, r = T.dscalar("s"), T.drow("r")
    f = C.function([s, r], s + r)
    y = np.array([[1.0, np.nan, np.inf]])
    np.testing.assert_array_equal(f(np.array(2.0), y), 2.0 + y)
    np.testing.assert_array_equal(f(np.array(2.0), np.ones((1, 6000))), np.full((1, 6000), 3.0))
