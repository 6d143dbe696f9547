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


# Blocks whose numbers are all below 2^50 in magnitude divide in doubles
# (vm_ops.h, cyt_dbl_divide); a block holding any larger number, or a divisor
# of 2^50 or more, divides by multiplying.  These check both sides of that line.
DBL_LIMIT = 2 ** 50


def near_multiples(dtype, divisor, hi, n=3000):
    """Numbers around multiples k * divisor below hi (the quotients where
    rounding could go wrong: a = k d - 1, k d, k d + 1) and random ones below
    hi, of both signs for a signed dtype."""
    rng = np.random.default_rng(abs(divisor) % 1000)
    k = rng.integers(0, max(2, hi // abs(divisor) + 1), n // 3, dtype=np.int64)
    base = k * abs(divisor)
    out = np.concatenate([base - 1, base, base + 1, rng.integers(0, hi, n // 3)])
    out = out[(out >= 0) & (out < hi)]
    if np.iinfo(dtype).min < 0:
        out = np.concatenate([out, -out, [-hi, -hi + 1, hi - 1]])
    return out.astype(dtype)


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
@pytest.mark.parametrize("symbol, op", [("//", np.floor_divide), ("%", np.remainder)])
def test_double_path_range_and_its_edges(dtype, symbol, op):
    x = T.vector("x", dtype=dtype)
    signed = np.iinfo(dtype).min < 0
    ds = [1, 2, 3, 7, 10, 1000, 2 ** 20 + 1, 2 ** 32, 2 ** 49 + 3, DBL_LIMIT - 1, DBL_LIMIT,
          DBL_LIMIT + 1, 2 ** 62]
    ds += [-d for d in ds if d > 1] if signed else []
    for d in ds:
        c = np.array(d, dtype)
        f = C.function([x], x // c if symbol == "//" else x % c)
        inside = near_multiples(dtype, d, DBL_LIMIT)
        edge = np.array([DBL_LIMIT - 1, DBL_LIMIT] + ([-DBL_LIMIT, -DBL_LIMIT - 1] if signed
                                                      else []), dtype)
        one_large = inside.copy()
        one_large[len(one_large) // 2] = edge[1]           # one number past the line
        for arr in (inside, inside[::-1], np.resize(inside, 9000), one_large,
                    np.concatenate([inside[:4096], edge, inside[:4096]])):
            np.testing.assert_array_equal(f(arr), numpy(op, arr, c),
                                          err_msg=f"{dtype} {symbol} {d}")


@pytest.mark.parametrize("symbol, op", [("//", np.floor_divide), ("%", np.remainder)])
def test_small_numbers_by_every_small_divisor(symbol, op):
    """Every numerator in [-2000, 2000] by every divisor in [-130, 130]."""
    x = T.lvector("x")
    v = np.arange(-2000, 2001, dtype=np.int64)
    for d in range(-130, 131):
        c = np.array(d, np.int64)
        f = C.function([x], x // c if symbol == "//" else x % c)
        np.testing.assert_array_equal(f(v), numpy(op, v, c), err_msg=f"{symbol} {d}")


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_double_path_layouts(dtype):
    """0-d, empty, strided, reversed and Fortran-ordered numerators, each
    within the double path's range."""
    x = T.matrix("x", dtype=dtype)
    info = np.iinfo(dtype)
    rng = np.random.default_rng(3)
    lo, hi = max(info.min, -DBL_LIMIT), min(info.max, DBL_LIMIT - 1)
    m = rng.integers(lo, hi, (70, 90), endpoint=True).astype(dtype)
    for d in [3, 7, 64] + ([-3, -7] if info.min < 0 else []):
        c = np.array(d, dtype)
        f = C.function([x], [x // c, x % c])
        for arr in (m, m[::-1, ::2], np.asfortranarray(m), m[:0], m[:1, :1]):
            q, r = f(arr)
            np.testing.assert_array_equal(q, numpy(np.floor_divide, arr, c))
            np.testing.assert_array_equal(r, numpy(np.remainder, arr, c))
    s = T.scalar("s", dtype=dtype)
    g = C.function([s], s // np.array(7, dtype))
    np.testing.assert_array_equal(g(np.array(100, dtype)), np.array(14, dtype))
