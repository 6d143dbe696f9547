"""Integer floor division and remainder by one divisor over a block (x // 3,
x % 3: the integer VM multiplies instead of dividing, see vm_ops.h) give
NumPy's results exactly, for every integer dtype, negative numbers, the
dtype's extremes, INT_MIN // -1 and division by zero, on every layout."""
import warnings

import numpy as np
import pytest

import cytensor as C
import cytensor.kernels as K
import cytensor.tensor as T

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def values(dtype, n=5000):
    """The dtype's extremes and small numbers, then random ones: n in all
    (more than a block of 4096, so blocks of both lengths run)."""
    info = np.iinfo(dtype)
    edges = [info.min, info.min + 1, info.max, info.max - 1, 0, 1, 2, 3, 5, 6, 7, 8]
    edges += [-1, -2, -3, -6, -7, -8] if info.min < 0 else []
    rng = np.random.default_rng(sum(map(ord, dtype)))
    rest = rng.integers(info.min, info.max, n - len(edges), dtype=dtype, endpoint=True)
    return np.concatenate([np.array(edges, dtype), rest])


def divisors(dtype):
    info = np.iinfo(dtype)
    out = [1, 2, 3, 7, 10, 64, 1000 % (info.max + 1), info.max, info.max - 1,
           info.max // 2 + 1, 0]
    if info.min < 0:
        out += [-1, -2, -3, -7, -64, info.min, info.min + 1]
    return sorted({int(d) for d in out})


def numpy(op, x, d):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return op(x, d)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("symbol, op", [("//", np.floor_divide), ("%", np.remainder)])
def test_compiled_constant_divisor_is_numpy(dtype, symbol, op):
    x = T.vector("x", dtype=dtype)
    v = values(dtype)
    for d in divisors(dtype):
        c = np.array(d, dtype)
        f = C.function([x], x // c if symbol == "//" else x % c)
        with np.errstate(all="ignore"):
            for arr in (v, v[::-3], v[:5], v[:1], v[:0]):     # strided, short, empty
                got, want = f(arr), numpy(op, arr, c)
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want, err_msg=f"{dtype} {symbol} {d}")


@pytest.mark.parametrize("compute, dtype", [("int64", "int64"), ("int64", "int8"),
                                            ("uint64", "uint64"), ("uint64", "uint32")])
@pytest.mark.parametrize("name, op", [("int_div", np.floor_divide), ("mod", np.remainder)])
def test_kernel_scalar_and_uniform_divisors(compute, dtype, name, op):
    """The kernel directly: a 0-d divisor, a broadcast one, a full array of one
    value, and one equal at both ends of a block but not between (the check
    must look at every element)."""
    code, nreg = K.compile_program([(name, 2, 0, 1)], 2, 1)
    x = values(dtype).astype(compute)
    x2 = np.asfortranarray(np.resize(x, (60, 70)))[::-1]
    for d in divisors(dtype):
        uneven = np.full(x.shape, d, compute)
        uneven[1:-1:97] = 3 if d != 3 else 5
        for a, b in [(x, np.array(d, compute)), (x2, np.full((1, 70), d, compute)),
                     (x, np.full(x.shape, d, compute)), (x, uneven),
                     (np.array(x[7]), np.array(d, compute))]:
            with np.errstate(all="ignore"):
                (got,) = K.elemwise(code, nreg, [a, b], [compute], compute)
                np.testing.assert_array_equal(got, numpy(op, a, b), err_msg=f"{d}")


def test_int_min_by_minus_one_wraps_and_zero_gives_zero():
    x = T.lvector("x")
    v = np.array([np.iinfo(np.int64).min] * 20 + [5, -5] * 10)
    np.testing.assert_array_equal(C.function([x], x // np.int64(-1))(v), numpy(np.floor_divide, v, -1))
    np.testing.assert_array_equal(C.function([x], x // np.int64(0))(v), np.zeros_like(v))
    np.testing.assert_array_equal(C.function([x], x % np.int64(0))(v), np.zeros_like(v))
