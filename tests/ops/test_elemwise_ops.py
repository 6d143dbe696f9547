"""Every row of the elementwise table: kernel against NumPy reference.

For each row of ``ELEMWISE`` the op is built on symbolic inputs, compiled with
the default mode (Cython kernels) and with ``Mode(linker='py')`` (the rows'
NumPy references), run on data of several dtypes and layouts (0-d, empty,
broadcast, strided, negative strides, Fortran order, big enough for the
parallel path) and compared with the row's NumPy reference applied directly
to the data.  Float inputs also carry nan, inf, -inf and -0.0.
"""
import itertools
import subprocess
import sys
import zlib

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.compile.mode import Mode
from cytensor.tensor.elemwise_table import ELEMWISE, ROWS
from cytensor.tensor.math import elemwise_op
from cytensor.tensor.type import TensorType

PY = Mode(linker="py")
MODES = {"cy": None, "py": PY}

BITWISE = ("bitwise_and", "bitwise_or", "bitwise_xor", "invert")
FLOATS = ("float32", "float64")
SPECIALS = (np.nan, np.inf, -np.inf, -0.0, 0.0)

# Rows whose kernels are exact (no rounding beyond one operation): compared
# bit for bit in float64 and float32 up to one rounding.
EXACT = {"add", "sub", "mul", "neg", "abs", "sign", "sqr", "sqrt", "maximum", "minimum",
         "clip", "floor", "ceil", "trunc", "round_half_to_even",
         "round_half_away_from_zero", "switch", "identity", "true_div", "reciprocal",
         "int_div", "mod"}


# ---------------------------------------------------------------------------
# Which dtypes each row takes
# ---------------------------------------------------------------------------

def _numpy_takes_bool(row):
    args = [np.array([True, False])] * row.arity
    if row.dtype == "float":
        args = [a.astype("float32") for a in args]
    try:
        with np.errstate(all="ignore"):
            row.reference(*args)
        return True
    except TypeError:
        return False


def row_dtypes(row):
    if row.name in BITWISE:
        return ["int32", "int64", "bool"]
    dtypes = ["float32", "float64", "int32", "int64"]
    if _numpy_takes_bool(row):
        dtypes.append("bool")
    return dtypes


ROW_DTYPE_CASES = [(row.name, dtype) for row in ROWS for dtype in row_dtypes(row)]


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def draw(rng, row, dtype, shape, position):
    """Values for input ``position`` of ``row``: mostly inside the row's domain."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        if row.name == "pow":
            low, high = (-3, 4) if position == 0 else (-3, 5)   # negative powers too
        else:
            low, high = (0, 13) if dtype.startswith("u") else (-6, 7)
        return rng.integers(low, high, size=shape).astype(dtype)
    low, high = row.domain
    if row.name == "switch" and position == 0:
        low, high = -1.0, 1.0
    values = rng.uniform(low, high, size=shape)
    wide = rng.random(shape) < 0.25
    values = np.where(wide, rng.uniform(-4.0, 4.0, size=shape), values)
    if row.name in ("floor", "ceil", "trunc", "round_half_to_even",
                    "round_half_away_from_zero"):
        halves = rng.random(shape) < 0.3          # exact .5 ties
        values = np.where(halves, np.round(values) + 0.5, values)
    if row.name in ("maximum", "minimum", "eq", "neq", "le", "ge", "lt", "gt", "clip"):
        values = np.round(values)                  # ties
    values = np.asarray(values, dtype=dtype)
    if values.size >= 2 * len(SPECIALS):
        flat = values.reshape(-1)
        where = rng.choice(flat.size, size=len(SPECIALS), replace=False)
        flat[where] = SPECIALS
    return values


LAYOUTS = ["scalar", "empty", "vector", "matrix", "col_row", "vec_mat", "mat_vec",
           "strided", "negative", "fortran", "mixed_layout", "large", "large_strided",
           "large_bcast"]


def make_case(layout, row, dtypes, rng):
    """(symbolic inputs, numeric inputs) for one layout."""
    arity = row.arity

    def typ(shape):
        return [TensorType(d, shape=shape)() for d in dtypes]

    def data(shape, dtype, k):
        return draw(rng, row, dtype, shape, k)

    if layout == "scalar":
        return typ(()), [data((), d, k) for k, d in enumerate(dtypes)]
    if layout == "empty":
        return typ((None, None)), [data((0, 3), d, k) for k, d in enumerate(dtypes)]
    if layout == "vector":
        return typ((None,)), [data((7,), d, k) for k, d in enumerate(dtypes)]
    if layout == "matrix":
        return typ((None, None)), [data((3, 5), d, k) for k, d in enumerate(dtypes)]
    if layout == "col_row":
        shapes = [(None, 1) if k % 2 == 0 else (1, None) for k in range(arity)]
        values = [(3, 1) if k % 2 == 0 else (1, 5) for k in range(arity)]
        return ([TensorType(d, shape=s)() for d, s in zip(dtypes, shapes)],
                [data(v, d, k) for k, (d, v) in enumerate(zip(dtypes, values))])
    if layout in ("vec_mat", "mat_vec"):
        vec = 0 if layout == "vec_mat" else arity - 1
        vars_, vals = [], []
        for k, d in enumerate(dtypes):
            vars_.append(TensorType(d, shape=(None,) if k == vec else (None, None))())
            vals.append(data((5,) if k == vec else (3, 5), d, k))
        return vars_, vals
    if layout == "strided":
        return typ((None, None)), [data((6, 15), d, k)[::2, ::3]
                                   for k, d in enumerate(dtypes)]
    if layout == "negative":
        return typ((None, None)), [data((3, 5), d, k)[::-1, ::-1]
                                   for k, d in enumerate(dtypes)]
    if layout == "fortran":
        return typ((None, None)), [np.asfortranarray(data((3, 5), d, k))
                                   for k, d in enumerate(dtypes)]
    if layout == "mixed_layout":
        makers = [lambda a: np.asfortranarray(a), lambda a: a[::-1],
                  lambda a: np.ascontiguousarray(a)]
        vals = []
        for k, d in enumerate(dtypes):
            if k % 3 == 2:
                vals.append(data((6, 10), d, k)[::2, ::2])
            else:
                vals.append(makers[k % 3](data((3, 5), d, k)))
        return typ((None, None)), vals
    if layout == "large":
        return typ((None,)), [data((70001,), d, k) for k, d in enumerate(dtypes)]
    if layout == "large_strided":
        return typ((None,)), [data((140002,), d, k)[::-2] for k, d in enumerate(dtypes)]
    if layout == "large_bcast":
        if arity == 1:
            return typ((None, None)), [np.asfortranarray(data((300, 241), dtypes[0], 0))]
        shapes = [(None, 1) if k % 2 == 0 else (1, None) for k in range(arity)]
        values = [(300, 1) if k % 2 == 0 else (1, 241) for k in range(arity)]
        return ([TensorType(d, shape=s)() for d, s in zip(dtypes, shapes)],
                [data(v, d, k) for k, (d, v) in enumerate(zip(dtypes, values))])
    raise AssertionError(layout)


def specials_case(row, dtypes):
    """Every combination of special and ordinary values, as vectors."""
    values = list(SPECIALS) + [1.5, -2.5, 0.5]
    if row.domain[0] > 0:
        values += [row.domain[0], row.domain[1]]
    combos = np.array(list(itertools.product(values, repeat=row.arity))).T
    if row.name == "switch":
        combos[0] = np.where(np.isnan(combos[0]), np.nan, combos[0])
    arrays = [np.ascontiguousarray(c.astype(d)) for c, d in zip(combos, dtypes)]
    return [TensorType(d, shape=(None,))() for d in dtypes], arrays


# ---------------------------------------------------------------------------
# Expected values and comparison
# ---------------------------------------------------------------------------

def expected(row, arrays, out_dtype):
    """The row's NumPy reference on the data (float rows see the data as floats)."""
    args = arrays
    if row.dtype == "float":
        args = [a.astype(out_dtype) for a in arrays]
    with np.errstate(all="ignore"):
        want = row.reference(*args)
    return np.asarray(want).astype(out_dtype)


def tolerance(row, dtype):
    if dtype == "float32":
        return (1e-6, 1e-30) if row.name in EXACT else (2e-6, 1e-37)
    return (1e-15, 1e-300) if row.name in EXACT else (1e-12, 1e-300)


def check_result(got, want, row, label):
    assert isinstance(got, np.ndarray), label
    assert got.dtype == want.dtype, f"{label}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{label}: shape {got.shape}, expected {want.shape}"
    if got.dtype.kind == "f":
        rtol, atol = tolerance(row, got.dtype.name)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=label)
        zero = (want == 0)
        if row.name in EXACT and row.name not in ("maximum", "minimum", "clip"):
            # -0.0 and 0.0 are told apart by the exact ops (neg(0) is -0.0 ...)
            np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]),
                                          err_msg=f"{label}: sign of zero")
    else:
        np.testing.assert_array_equal(got, want, err_msg=label)


def run_and_check(row, vars_, arrays, label, modes=MODES):
    out = elemwise_op(row.name)(*vars_)
    want = expected(row, arrays, out.dtype)
    want_shape = np.broadcast_shapes(*[a.shape for a in arrays])
    assert want.shape == want_shape
    assert out.ndim == len(want_shape)
    for axis, s in enumerate(out.type.shape):
        assert s is None or s == want_shape[axis], (label, out.type)
    copies = [a.copy() for a in arrays]
    for mode_name, mode in modes.items():
        f = theano.function(vars_, out, mode=mode)
        got = f(*arrays)
        check_result(got, want, row, f"{label} [{mode_name}]")
        for a, c in zip(arrays, copies):              # inputs are left alone
            np.testing.assert_array_equal(a, c)
        if got.size:
            assert not any(np.shares_memory(got, a) for a in arrays)


# ---------------------------------------------------------------------------
# The table, row by row
# ---------------------------------------------------------------------------

def test_every_kernel_opcode_has_a_row_and_every_row_an_opcode():
    from cytensor import kernels
    assert set(ELEMWISE) <= set(kernels.OPCODES)


@pytest.mark.parametrize("name,dtype", ROW_DTYPE_CASES)
def test_row_against_numpy(name, dtype):
    row = ELEMWISE[name]
    rng = np.random.default_rng(zlib.crc32(repr((name, dtype)).encode()))  # same every run
    dtypes = [dtype] * row.arity
    if name == "switch" and dtype != "bool":
        dtypes[0] = "bool" if dtype.startswith("int") else dtype
    for layout in LAYOUTS:
        if row.arity == 1 and layout in ("col_row", "vec_mat", "mat_vec"):
            continue
        vars_, arrays = make_case(layout, row, dtypes, rng)
        # The references need no big arrays: those test the kernels' parallel path.
        modes = {"cy": None} if layout.startswith("large") else MODES
        run_and_check(row, vars_, arrays, f"{name} {dtype} {layout}", modes)


@pytest.mark.parametrize("name,dtype", [(r.name, d) for r in ROWS if r.name not in BITWISE
                                        for d in FLOATS])
def test_row_special_values(name, dtype):
    row = ELEMWISE[name]
    vars_, arrays = specials_case(row, [dtype] * row.arity)
    run_and_check(row, vars_, arrays, f"{name} {dtype} specials")


MIXED = [("float32", "int32"), ("int64", "float32"), ("int32", "float64"),
         ("bool", "float32"), ("float32", "float64"), ("int8", "float32"),
         ("int32", "int64"), ("uint8", "int16")]


@pytest.mark.parametrize("name", [r.name for r in ROWS if r.arity >= 2])
def test_row_mixed_dtypes(name):
    row = ELEMWISE[name]
    rng = np.random.default_rng(7)
    for pair in MIXED:
        dtypes = list(pair) + [pair[-1]] * (row.arity - 2)
        if name in BITWISE and any(d.startswith("float") for d in dtypes):
            continue
        vars_ = [T.vector(dtype=d) for d in dtypes]
        arrays = [draw(rng, row, d, (11,), k) for k, d in enumerate(dtypes)]
        run_and_check(row, vars_, arrays, f"{name} {dtypes}")


def test_float_rows_of_integers_give_floats():
    for row in ROWS:
        if row.dtype != "float":
            continue
        for dtype, want in (("int8", "float32"), ("int16", "float32"), ("int32", "float64"),
                            ("int64", "float64"), ("bool", "float32"),
                            ("float32", "float32"), ("float64", "float64")):
            out = elemwise_op(row.name)(*[T.vector(dtype=dtype)] * row.arity)
            assert out.dtype == want, (row.name, dtype, out.dtype)


def test_bool_rows_give_bool_and_same_rows_keep_dtype():
    for row in ROWS:
        for dtype in ("int32", "float32", "float64"):
            if row.name in BITWISE and dtype.startswith("float"):
                continue
            out = elemwise_op(row.name)(*[T.vector(dtype=dtype)] * row.arity)
            if row.dtype == "bool":
                assert out.dtype == "bool", row.name
            elif row.dtype in ("same", "upcast", "last_two", "integer"):
                assert out.dtype == dtype, row.name


@pytest.mark.parametrize("name", BITWISE)
def test_bitwise_rows_refuse_floats(name):
    row = ELEMWISE[name]
    with pytest.raises(TypeError, match=name):
        elemwise_op(name)(*[T.fvector()] * row.arity)


def test_integer_division_by_zero_and_overflow_do_not_crash():
    """int64 min // -1 and x // 0 trap in C: the kernel must not kill the process."""
    code = """
import numpy as np, cytensor as theano, cytensor.tensor as T
x, y = T.lvector(), T.lvector()
f = theano.function([x, y], [x // y, x % y])
a = np.array([np.iinfo('int64').min, 7, -7, 0, 5], dtype='int64')
b = np.array([-1, 0, 0, 0, -1], dtype='int64')
q, r = f(a, b)
with np.errstate(all='ignore'):
    assert (q == a // b).all(), (q, a // b)
    assert (r == a % b).all(), (r, a % b)
print('ok')
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and "ok" in proc.stdout, (proc.returncode, proc.stderr)


def test_uint64_values_above_int64_range():
    """uint64 programs run on uint64 registers: comparisons, //, %, max/min,
    casts, powers and reductions of values >= 2**63 agree with NumPy."""
    u, w = T.vector(dtype="uint64"), T.vector(dtype="uint64")
    a = np.array([2**64 - 1, 2**63 + 5, 3, 0, 2**63], dtype="uint64")
    b = np.array([2**63, 7, 2**64 - 2, 0, 2**63], dtype="uint64")
    two, three = T.cast(2, "uint64"), T.cast(3, "uint64")
    outs = [u > w, u // w, u % w, T.maximum(u, w), T.minimum(u, w), T.cast(u, "float64"),
            T.cast(u, "int64"), abs(u), T.sgn(u), T.eq(u, w), (u + w) * three - w,
            u ** three, T.max(u), T.min(u * three), (u // two).max(), T.sum(u)]
    for mode in (None, PY):
        f = theano.function([u, w], outs, mode=mode)
        with np.errstate(all="ignore"):
            want = [a > b, a // b, a % b, np.maximum(a, b), np.minimum(a, b),
                    a.astype("float64"), a.astype("int64"), a, np.sign(a), a == b,
                    (a + b) * np.uint64(3) - b, a ** np.uint64(3), a.max(),
                    (a * np.uint64(3)).min(), (a // np.uint64(2)).max(), a.sum()]
        for got, expected in zip(f(a, b), want):
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)


def test_uint64_beside_signed_integers():
    """No one register type holds uint64 and int64 values: such a program
    runs in NumPy, with NumPy's answers."""
    u, v = T.vector(dtype="uint64"), T.vector(dtype="int64")
    a = np.array([2**64 - 1, 2**63, 3], dtype="uint64")
    b = np.array([-1, 5, 3], dtype="int64")
    f = theano.function([u, v], [T.cast(u, "int64") > v, T.lt(T.cast(v, "uint64"), u)])
    got = f(a, b)
    np.testing.assert_array_equal(got[0], a.astype("int64") > b)
    np.testing.assert_array_equal(got[1], b.astype("uint64") < a)


def test_integer_negative_powers():
    """Kernel and reference agree: 1 / x**n truncated towards zero."""
    x, y = T.ivector(), T.ivector()
    xs = np.array([-3, -2, -1, 0, 1, 2, 3] * 2, dtype="int32")
    ys = np.repeat(np.array([-1, -2], dtype="int32"), 7)
    want = np.array([0, 0, -1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0], dtype="int32")
    for mode in (None, PY):
        got = theano.function([x, y], x ** y, mode=mode)(xs, ys)
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, want)


def test_fresh_output_each_call_and_no_stale_buffer():
    x = T.dvector()
    f = theano.function([x], T.exp(x))
    a = f(np.zeros(70001))
    b = f(np.ones(70001))
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(a, 1.0)
    np.testing.assert_allclose(b, np.e, rtol=1e-15)
    c = f(np.zeros(3))
    np.testing.assert_array_equal(c, 1.0)


def test_runtime_broadcast_needs_declared_broadcastable():
    x, y = T.dmatrix(), T.dmatrix()
    f = theano.function([x, y], x + y)
    with pytest.raises(ValueError, match="broadcastable"):
        f(np.ones((3, 1)), np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        f(np.ones((3, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        theano.function([x, y], x + y, mode=PY)(np.ones((3, 4)), np.ones((3, 5)))


def test_static_broadcast_mismatch_at_build_time():
    x = T.tensor("float64", shape=(3, None))
    y = T.tensor("float64", shape=(4, None))
    with pytest.raises(ValueError, match="axis 0"):
        x + y


# ---------------------------------------------------------------------------
# Tensor functions that are not single rows
# ---------------------------------------------------------------------------

CAST_DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("src", CAST_DTYPES)
def test_cast_between_dtypes(src):
    rng = np.random.default_rng(3)
    if src == "bool":
        data = rng.random(37) < 0.5
    elif src.startswith("float"):
        data = np.concatenate([rng.uniform(-100, 100, 30),
                               [-2.7, -0.5, -0.0, 0.0, 0.3, 2.7, 126.9]]).astype(src)
    else:
        lo = 0 if src.startswith("u") else -100
        data = rng.integers(lo, 100, 37).astype(src)
    x = T.vector(dtype=src)
    for dst in CAST_DTYPES:
        if src.startswith("float") and dst.startswith("u"):
            source = np.abs(data)
        else:
            source = data
        for build in (lambda v: T.cast(v, dst), lambda v: v.astype(dst)):
            out = build(x)
            assert out.dtype == dst
            if src == dst:
                assert out is x
            for mode in (None, PY):
                for layout in (source, source[::-1], source[::3]):
                    got = theano.function([x], out, mode=mode)(layout)
                    assert got.dtype == dst
                    np.testing.assert_array_equal(got, layout.astype(dst),
                                                  err_msg=f"{src}->{dst}")


def test_cast_of_special_floats_to_bool_and_float32():
    x = T.dvector()
    data = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-300, 1e300])
    for mode in (None, PY):
        got = theano.function([x], T.cast(x, "bool"), mode=mode)(data)
        np.testing.assert_array_equal(got, data.astype(bool))
        with np.errstate(over="ignore"):
            want = data.astype("float32")
        got = theano.function([x], T.cast(x, "float32"), mode=mode)(data)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_cast_floatX_and_scalars():
    x = T.dscalar()
    with theano.config.change_flags(floatX="float32"):
        assert T.cast(x, "floatX").dtype == "float32"
    assert theano.function([x], T.cast(x, "int32"))(-2.9) == -2
    assert theano.function([x], T.cast(x, "int32"))(-2.9).dtype == np.int32


def test_iround():
    x = T.dvector()
    f = theano.function([x], T.iround(x))
    data = np.array([-2.5, -1.5, -0.4, 0.5, 1.5, 2.6])
    out = f(data)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [-2, -2, 0, 0, 2, 3])


@pytest.mark.parametrize("dtype", FLOATS)
def test_round_modes(dtype):
    data = np.array([-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5, 0.49999997, -0.49999997,
                     2.4, -2.6, 1e20, np.nan, np.inf, -np.inf], dtype=dtype)
    x = T.vector(dtype=dtype)
    even = [-2, -2, -0.0, -0.0, 0, 2, 2, 0, -0.0, 2, -3, 1e20, np.nan, np.inf, -np.inf]
    away = [-3, -2, -1, -0.0, 1, 2, 3, 0, -0.0, 2, -3, 1e20, np.nan, np.inf, -np.inf]
    for mode in (None, PY):
        for out, want in ((T.round(x), even), (x.round(), even),
                          (T.round(x, "half_to_even"), even),
                          (T.round(x, mode="half_away_from_zero"), away)):
            got = theano.function([x], out, mode=mode)(data)
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, np.array(want, dtype=dtype))
            np.testing.assert_array_equal(np.signbit(got),
                                          np.signbit(np.array(want, dtype=dtype)))
    with pytest.raises(ValueError, match="mode"):
        T.round(x, "half_up")


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round_half_to_even",
                                  "round_half_away_from_zero", "sign", "abs"])
def test_rounding_of_integers_is_identity(name, dtype):
    x = T.vector(dtype=dtype)
    data = (np.arange(-4, 5) % 2 == 0) if dtype == "bool" else np.arange(-4, 5).astype(dtype)
    out = elemwise_op(name)(x)
    assert out.dtype == dtype
    want = np.abs(data) if name == "abs" else np.sign(data) if name == "sign" and \
        dtype != "bool" else data
    for mode in (None, PY):
        got = theano.function([x], out, mode=mode)(data)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)


def test_invert():
    b = T.vector(dtype="bool")
    i = T.ivector()
    bd = np.array([True, False, True])
    idata = np.array([0, -1, 5, 2**31 - 1], dtype="int32")
    for mode in (None, PY):
        f = theano.function([b, i], [~b, T.invert(b), ~i, T.invert(i)], mode=mode)
        nb1, nb2, ni1, ni2 = f(bd, idata)
        assert nb1.dtype == nb2.dtype == np.bool_
        np.testing.assert_array_equal(nb1, ~bd)
        np.testing.assert_array_equal(nb2, ~bd)
        assert ni1.dtype == ni2.dtype == np.int32
        np.testing.assert_array_equal(ni1, ~idata)
        np.testing.assert_array_equal(ni2, ~idata)


def test_logical_operators_on_bool():
    a, b = T.vector(dtype="bool"), T.vector(dtype="bool")
    x, y = np.array([True, True, False, False]), np.array([True, False, True, False])
    f = theano.function([a, b], [a & b, a | b, a ^ b])
    for got, want in zip(f(x, y), (x & y, x | y, x ^ y)):
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_add_and_mul_variadic(dtype):
    rng = np.random.default_rng(0)
    vs = [T.vector(dtype=dtype) for _ in range(5)]
    data = [rng.integers(-5, 6, size=9).astype(dtype) for _ in range(5)]
    for mode in (None, PY):
        f = theano.function(vs, [T.add(*vs), T.mul(*vs), T.add(vs[0]), T.add(*vs[:2])],
                            mode=mode)
        s, p, one, two = f(*data)
        assert s.dtype == p.dtype == dtype
        np.testing.assert_array_equal(s, sum(data))
        np.testing.assert_array_equal(p, data[0] * data[1] * data[2] * data[3] * data[4])
        np.testing.assert_array_equal(one, data[0])
        np.testing.assert_array_equal(two, data[0] + data[1])


def test_add_variadic_broadcasts_and_upcasts():
    a, b, c = T.fscalar(), T.ivector(), T.dmatrix()
    out = T.add(a, b, c)
    assert out.dtype == "float64" and out.ndim == 2
    got = theano.function([a, b, c], out)(np.float32(1.5), np.arange(3, dtype="int32"),
                                          np.ones((2, 3)))
    np.testing.assert_array_equal(got, 1.5 + np.arange(3) + np.ones((2, 3)))


def test_clip():
    x = T.dvector()
    lo, hi = T.dscalar(), T.dscalar()
    data = np.array([-3.0, -0.5, 0.0, 0.25, 0.9, 1.0, 7.0, np.nan, np.inf, -np.inf])
    for mode in (None, PY):
        got = theano.function([x], T.clip(x, 0, 1), mode=mode)(data)
        np.testing.assert_array_equal(got, np.clip(data, 0, 1))
        got = theano.function([x, lo, hi], x.clip(lo, hi), mode=mode)(data, -0.5, 0.5)
        np.testing.assert_array_equal(got, np.clip(data, -0.5, 0.5))
    i = T.ivector()
    out = T.clip(i, 0, 5)
    assert out.dtype == "int32"
    got = theano.function([i], out)(np.arange(-3, 9, dtype="int32"))
    np.testing.assert_array_equal(got, np.clip(np.arange(-3, 9), 0, 5))
    f = T.fvector()
    assert T.clip(f, 0.0, 1.0).dtype == "float32"


def test_switch_with_bool_condition():
    x, y = T.fvector(), T.fvector()
    cond = x > y
    assert cond.dtype == "bool"
    out = T.switch(cond, x, 0)
    assert out.dtype == "float32"
    xs = np.array([1.0, -2.0, np.nan, 3.0, -0.0], dtype="float32")
    ys = np.array([0.0, 1.0, 0.0, np.nan, 0.0], dtype="float32")
    for mode in (None, PY):
        f = theano.function([x, y], [out, T.where(cond, x, y), T.switch(T.lt(x, 0), -x, x)],
                            mode=mode)
        a, b, c = f(xs, ys)
        np.testing.assert_array_equal(a, np.where(xs > ys, xs, 0).astype("float32"))
        np.testing.assert_array_equal(b, np.where(xs > ys, xs, ys))
        np.testing.assert_array_equal(c, np.where(xs < 0, -xs, xs))
        assert a.dtype == b.dtype == c.dtype == np.float32
    c = T.vector(dtype="bool")
    m = T.dmatrix()
    out = T.switch(c, m, -m)                       # condition broadcasts
    got = theano.function([c, m], out)(np.array([True, False]), np.ones((3, 2)))
    np.testing.assert_array_equal(got, np.where([True, False], 1.0, -1.0) * np.ones((3, 2)))


def test_python_scalar_autocasting():
    fv, iv, dv, bv = T.fvector(), T.ivector(), T.dvector(), T.bvector()
    with theano.config.change_flags(floatX="float64"):
        assert (fv + 1).dtype == "float32"
        assert (iv + 1).dtype == "int32"
        assert (1 + iv).dtype == "int32"
        assert (iv * 2).dtype == "int32"
        assert (bv + 1).dtype == "int8"
        assert (bv + 300).dtype == "int16"
        assert (fv * 0.5).dtype == "float32"
        assert (fv * 0.1).dtype == "float64"        # 0.1 is not a float32
        assert (dv * 0.5).dtype == "float64"
        assert (iv * 0.5).dtype == "float64"
        assert (iv / 2).dtype == "float64"
        assert (fv ** 2).dtype == "float32"
        assert (-fv).dtype == "float32"
        assert (fv + np.float64(1)).dtype == "float64"
    with theano.config.change_flags(floatX="float32"):
        assert (fv * 0.5).dtype == "float32"
        assert (fv * 0.1).dtype == "float32"
        assert (fv + 1.0).dtype == "float32"
        assert (2.0 * fv - 1).dtype == "float32"
        assert (iv + 1).dtype == "int32"
        f = theano.function([fv], fv * 0.1 + 1)
        got = f(np.arange(3, dtype="float32"))
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, np.arange(3, dtype="float32") * np.float32(0.1) + 1,
                                   rtol=1e-7)
    f = theano.function([iv], iv + 1)
    got = f(np.array([2**31 - 1, 0], dtype="int32"))
    assert got.dtype == np.int32
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got, np.array([2**31 - 1, 0], dtype="int32") + 1)


def test_operators_match_rows():
    x, y = T.dvector(), T.dvector()
    a = np.array([1.5, -2.0, 3.0, -0.5])
    b = np.array([0.5, 3.0, -2.0, 2.0])
    f = theano.function([x, y], [x + y, x - y, x * y, x / y, x // y, x % y, x ** y,
                                 -x, abs(x), x < y, x > y, x <= y, x >= y,
                                 1 - x, 2 / x, 3 // y, 5 % y, 2 ** x])
    want = [a + b, a - b, a * b, a / b, a // b, a % b, a ** b, -a, abs(a), a < b, a > b,
            a <= b, a >= b, 1 - a, 2 / a, 3 // b, 5 % b, 2 ** a]
    for got, w in zip(f(a, b), want):
        np.testing.assert_allclose(got, w, rtol=1e-15)
        assert got.dtype == np.asarray(w).dtype


def test_integer_and_bool_rows_inside_fused_programs():
    """Rows on int/bool registers inside float programs (after fusion) are
    lowered to what they mean on integers: ~bool is a logical not, floor(int)
    is the int, isnan(int) is False."""
    x, y, i = T.dvector(), T.dvector(), T.ivector()
    outs = [~(x > 0) & (y < 1), T.floor(i) * x, T.isnan(i) | T.isnan(x),
            T.invert(x > 0) ^ (y > 0), T.exp(T.ceil(i)) + x, T.isfinite(i) * y,
            T.round(i, "half_away_from_zero") / y, T.trunc(i > 0) + x]
    a = np.array([1.0, -1.0, np.nan, 0.0])
    b = np.array([0.5, 2.0, 0.0, -1.5])
    c = np.array([1, -2, 3, 0], dtype="int32")
    with np.errstate(all="ignore"):
        want = [~(a > 0) & (b < 1), np.floor(c) * a, np.isnan(c) | np.isnan(a),
                ~(a > 0) ^ (b > 0), np.exp(np.ceil(c)) + a, np.isfinite(c) * b,
                c / b, (c > 0) + a]
    for mode in (None, PY):
        got = theano.function([x, y, i], outs, mode=mode)(a, b, c)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
            np.testing.assert_allclose(g, w, rtol=1e-15, equal_nan=True)
