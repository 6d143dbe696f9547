"""Tests of cytensor.kernels against NumPy references."""
import numpy as np
import pytest

try:
    import scipy.special as sps
except ImportError:  # pragma: no cover
    sps = None

K = pytest.importorskip("cytensor.kernels")

RTOL = {np.float32: 1e-6, np.float64: 1e-12}


@pytest.fixture(autouse=True, scope="module")
def _parallel_thresholds():
    """The tests size their arrays against the spin-waiting thresholds (elemwise
    32768, reduce 65536 elements) so that they reach the parallel code paths
    whatever OMP_WAIT_POLICY says (passive waiting raises the defaults)."""
    block, e_min, _ = K._kernels._set_tuning()
    r_min = K._reduce._set_tuning()
    K._kernels._set_tuning(par_min=32768)
    K._reduce._set_tuning(par_min=65536)
    yield
    K._kernels._set_tuning(block=block, par_min=e_min)
    K._reduce._set_tuning(par_min=r_min)
SPECIALS = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 1.5]


def prog(instrs, nin, nout):
    return K.compile_program(instrs, nin, nout)


def run1(op, *arrays, ct=np.float64, out_dtype=None):
    nin = len(arrays)
    code, nreg = prog([(op, nin) + tuple(range(nin))], nin, 1)
    return K.elemwise(code, nreg, list(arrays), [out_dtype or ct], ct)[0]


def float_data(dt, n=64, lo=-4.0, hi=4.0, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, n)
    return np.concatenate([x, SPECIALS]).astype(dt)


def check(res, ref, dt):
    ref = np.asarray(ref)
    assert res.shape == ref.shape
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(res, ref.astype(res.dtype), rtol=RTOL.get(dt, 0),
                                   atol=RTOL.get(dt, 0), equal_nan=True)


def _round_away(x):
    return np.copysign(np.floor(np.abs(x) + 0.5), x)


def _sigmoid(x):
    if sps is not None:
        return sps.expit(x)
    return 1 / (1 + np.exp(-x))


UNARY = {
    "identity": lambda x: x, "neg": np.negative, "abs": np.abs, "sign": np.sign,
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2,
    "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt, "sqr": np.square,
    "reciprocal": lambda x: 1 / x, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
    "arctanh": np.arctanh, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
    "round_half_to_even": np.rint, "round_half_away_from_zero": _round_away,
    "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
    "logical_not": np.logical_not, "invert": np.logical_not, "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0, x), "relu": lambda x: np.where(x < 0, 0, x),
}
if sps is not None:
    UNARY["erf"] = sps.erf
    UNARY["erfc"] = sps.erfc

BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "true_div": np.true_divide,
    "int_div": np.floor_divide, "mod": np.mod, "pow": np.power, "arctan2": np.arctan2,
    "maximum": np.maximum, "minimum": np.minimum, "lt": np.less, "gt": np.greater,
    "le": np.less_equal, "ge": np.greater_equal, "eq": np.equal, "neq": np.not_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "bitwise_and": np.logical_and,
    "bitwise_or": np.logical_or, "bitwise_xor": np.logical_xor, "hypot": np.hypot,
    "copysign": np.copysign,
}
INT_BINARY = dict(BINARY, bitwise_and=np.bitwise_and, bitwise_or=np.bitwise_or,
                  bitwise_xor=np.bitwise_xor)
for _name in ("true_div", "arctan2", "hypot", "copysign"):
    INT_BINARY.pop(_name)
INT_UNARY = {"identity": lambda x: x, "neg": np.negative, "abs": np.abs, "sign": np.sign,
             "sqr": np.square, "logical_not": np.logical_not, "invert": np.invert}


def test_tables():
    assert set(UNARY) | {"erf", "erfc"} <= set(K.OPCODES)
    assert set(BINARY) <= set(K.OPCODES)
    assert {"switch", "clip"} <= set(K.OPCODES)
    assert set(K.REDUCE_OPS) == {"sum", "prod", "max", "min", "all", "any", "argmax", "argmin"}
    assert K.OPCODE_ARITY["add"] == 2 and K.OPCODE_ARITY["exp"] == 1
    assert K.OPCODE_ARITY["switch"] == 3
    assert isinstance(K.openmp_enabled(), bool)
    assert K.get_num_threads() >= 1


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_float(op, dt):
    x = float_data(dt)
    if op in ("arccosh",):
        x = np.concatenate([x, np.abs(x) + 1]).astype(dt)
    with np.errstate(all="ignore"):
        ref = UNARY[op](x.astype(np.float64) if op in ("sigmoid", "erf", "erfc") else x)
    res = run1(op, x, ct=dt, out_dtype=dt)
    check(res, np.asarray(ref).astype(dt), dt)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_float(op, dt):
    x = float_data(dt, seed=1)
    y = float_data(dt, seed=2)[::-1].copy()
    # all pairs of special values too
    sx, sy = np.meshgrid(np.array(SPECIALS, dt), np.array(SPECIALS, dt))
    x = np.concatenate([x, sx.ravel()])
    y = np.concatenate([y, sy.ravel()])
    with np.errstate(all="ignore"):
        ref = BINARY[op](x, y)
    res = run1(op, x, y, ct=dt, out_dtype=dt)
    check(res, np.asarray(ref).astype(dt), dt)


@pytest.mark.parametrize("op", sorted(INT_BINARY))
def test_binary_int(op):
    rng = np.random.default_rng(3)
    x = rng.integers(-50, 50, 200).astype(np.int64)
    y = rng.integers(-7, 8, 200).astype(np.int64)
    if op == "pow":
        y = np.abs(y)
    with np.errstate(all="ignore"):
        ref = INT_BINARY[op](x, y)
        if op in ("int_div", "mod"):
            ref = np.where(y == 0, 0, ref)
    res = run1(op, x, y, ct=np.int64, out_dtype=np.int64)
    np.testing.assert_array_equal(res, np.asarray(ref).astype(np.int64))


@pytest.mark.parametrize("op", sorted(set(INT_BINARY) | set(INT_UNARY)))
def test_uint64_registers(op):
    """uint64 registers: every integer opcode on values across the whole
    uint64 range (>= 2**63 included) against NumPy; // and % by 0 give 0."""
    rng = np.random.default_rng(4)
    top = np.array([2**64 - 1, 2**63, 2**63 - 1, 2**63 + 12345, 0, 1, 7], np.uint64)
    x = np.concatenate([top, rng.integers(0, 2**64 - 1, 50, dtype=np.uint64, endpoint=True)])
    y = np.concatenate([top[::-1], np.zeros(3, np.uint64),
                        rng.integers(0, 2**64 - 1, 47, dtype=np.uint64)])
    if op == "pow":
        y = y % np.uint64(70)
    table = INT_BINARY if op in INT_BINARY else INT_UNARY
    args = (x, y) if op in INT_BINARY else (x,)
    with np.errstate(all="ignore"):
        ref = np.asarray(table[op](*args))
        if op in ("int_div", "mod"):
            ref = np.where(y == 0, 0, ref)
    res = run1(op, *args, ct=np.uint64, out_dtype=np.uint64)
    np.testing.assert_array_equal(res, ref.astype(np.uint64))


def test_int_edge_cases():
    imin = np.iinfo(np.int64).min
    x = np.array([imin, imin, 7, -7, 7, -7, 0, 5], dtype=np.int64)
    y = np.array([-1, 0, 0, 2, -2, -2, 0, 3], dtype=np.int64)
    d = run1("int_div", x, y, ct=np.int64)
    m = run1("mod", x, y, ct=np.int64)
    assert d[0] == imin and d[1] == 0 and d[2] == 0
    np.testing.assert_array_equal(d[3:6], np.floor_divide(x[3:6], y[3:6]))
    np.testing.assert_array_equal(m[3:6], np.mod(x[3:6], y[3:6]))
    assert m[0] == 0 and m[1] == 0
    p = run1("pow", np.array([2, 1, -1, -1, 3, 0], np.int64),
             np.array([-1, -5, -3, -4, 4, 0], np.int64), ct=np.int64)
    np.testing.assert_array_equal(p, [0, 1, -1, 1, 81, 1])
    n = run1("neg", np.array([imin], np.int64), ct=np.int64)
    assert n[0] == imin


@pytest.mark.parametrize("op", sorted(INT_UNARY))
@pytest.mark.parametrize("dt", [np.int64, np.int32, np.bool_])
def test_unary_int(op, dt):
    x = np.array([-5, -1, 0, 1, 2, 100], dtype=np.int64).astype(dt)
    if dt == np.bool_ and op == "invert":
        ref = np.invert(x.astype(np.int64))
    else:
        ref = INT_UNARY[op](x.astype(np.int64))
    res = run1(op, x, ct=np.int64, out_dtype=np.int64)
    np.testing.assert_array_equal(res, ref)


def test_invalid_for_int():
    for op in ("exp", "log", "true_div", "sin", "isnan"):
        code, nreg = prog([(op, 1, 0)] if K.OPCODE_ARITY[op] == 1 else [(op, 2, 0, 1)],
                          K.OPCODE_ARITY[op], 1)
        with pytest.raises(ValueError):
            K.elemwise(code, nreg, [np.ones(3, np.int64)] * K.OPCODE_ARITY[op], [np.int64],
                       np.int64)


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64])
def test_ternary(dt):
    rng = np.random.default_rng(4)
    c = (rng.integers(0, 2, 50)).astype(dt)
    a = rng.integers(-10, 10, 50).astype(dt)
    b = rng.integers(-10, 10, 50).astype(dt)
    np.testing.assert_array_equal(run1("switch", c, a, b, ct=dt), np.where(c != 0, a, b))
    lo = np.minimum(a, b)
    hi = np.maximum(a, b)
    np.testing.assert_array_equal(run1("clip", c * 7 - 3, lo, hi, ct=dt),
                                  np.clip(c * 7 - 3, lo, hi))
    if dt != np.int64:
        x = np.array([np.nan, -np.inf, np.inf, 0.5], dt)
        np.testing.assert_array_equal(
            run1("clip", x, np.zeros(4, dt), np.ones(4, dt), ct=dt),
            np.clip(x, 0, 1))


def _shape_cases():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((6, 10))
    big = rng.standard_normal(100003)
    return {
        "0d": (np.array(1.5), np.array(-2.0)),
        "empty": (np.ones((0, 3)), np.ones((0, 3))),
        "1": (np.ones(1), np.full(1, 3.0)),
        "7": (rng.standard_normal(7), rng.standard_normal(7)),
        "3x5": (rng.standard_normal((3, 5)), rng.standard_normal((3, 5))),
        "bcast_col_row": (rng.standard_normal((3, 1)), rng.standard_normal((1, 5))),
        "bcast_row": (rng.standard_normal(5), rng.standard_normal((3, 5))),
        "bcast_0d": (np.array(2.0), rng.standard_normal((4, 3))),
        "step2": (base[::2], base[1::2]),
        "negstride": (base[::-1, ::-1], base),
        "fortran": (np.asfortranarray(base), base.T.copy().T),
        "transposed": (base.T, base.T),
        "colslice": (base[:, 3], base[:, 4]),
        "big": (big, big[::-1]),
        "big_bcast": (rng.standard_normal((317, 1)), rng.standard_normal((1, 331))),
        "big_strided": (np.repeat(big, 2)[::2], big),
    }


SHAPE_CASES = _shape_cases()


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
@pytest.mark.parametrize("dt", [np.float64, np.float32, np.int64, np.int32, np.bool_])
def test_shapes_dtypes(case, dt):
    a, b = SHAPE_CASES[case]
    if dt in (np.int64, np.int32):
        a, b = (a * 10).astype(dt), (b * 10).astype(dt)
    else:
        a, b = a.astype(dt), b.astype(dt)
    if np.dtype(dt).kind == "f":
        ct = dt
    elif dt == np.bool_:
        ct = np.float64
    else:
        ct = np.int64
    code, nreg = prog([("mul", 3, 0, 1), ("add", 2, 3, 0)], 2, 1)
    res = K.elemwise(code, nreg, [a, b], [ct], ct)[0]
    ref = (a.astype(ct) * b.astype(ct) + a.astype(ct))
    assert res.shape == np.broadcast_shapes(a.shape, b.shape)
    assert res.flags.c_contiguous
    check(res, ref, ct)
    if np.dtype(ct).kind == "f":
        code, nreg = prog([("exp", 2, 0), ("sub", 2, 2, 1)], 2, 1)
        res = K.elemwise(code, nreg, [a, b], [ct], ct)[0]
        with np.errstate(all="ignore"):
            check(res, np.exp(a.astype(ct)) - b.astype(ct), ct)


def test_specials_in_strided_inputs():
    x = np.array(SPECIALS * 3)[::-3]
    res = run1("log1p", x)
    with np.errstate(all="ignore"):
        check(res, np.log1p(x), np.float64)


@pytest.mark.parametrize("odt", [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.uint64,
                                 np.float32, np.float64])
def test_output_conversion(odt):
    x = np.array([-3.7, -0.5, 0.0, -0.0, 0.5, 2.9, 100.2, 7.0])
    res = run1("identity", x, ct=np.float64, out_dtype=odt)
    assert res.dtype == odt
    if odt == np.uint64 or odt == np.uint8:
        x = np.abs(x)
        res = run1("identity", x, ct=np.float64, out_dtype=odt)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(res, x.astype(odt))


def test_nan_to_int_does_not_crash():
    x = np.array([np.nan, np.inf, -np.inf, 1e300])
    for odt in (np.int8, np.int32, np.int64, np.uint64, np.bool_):
        res = run1("identity", x, out_dtype=odt)
        assert res.shape == (4,)
    assert list(run1("identity", x, out_dtype=np.bool_)) == [True] * 4


@pytest.mark.parametrize("idt", [np.bool_, np.int8, np.uint16, np.int32, np.uint32, np.int64,
                                 np.uint64, np.float32])
def test_input_conversion(idt):
    x = np.array([0, 1, 2, 3, 250], dtype=np.int64).astype(idt)
    res = run1("sqr", x, ct=np.float64)
    np.testing.assert_array_equal(res, np.square(x.astype(np.float64)))


def test_multi_instruction_and_outputs():
    rng = np.random.default_rng(6)
    a, b = rng.uniform(0.5, 1.5, 1000), rng.standard_normal(1000)
    c = rng.uniform(0.1, 2, 1000)
    code, nreg = prog([("exp", 5, 0), ("mul", 5, 5, 1), ("log", 6, 2), ("sqr", 6, 6),
                       ("add", 3, 5, 6), ("mul", 4, 3, 3), ("sub", 4, 4, 3)], 3, 2)
    o1, o2 = K.elemwise(code, nreg, [a, b, c], [np.float64, np.float32], np.float64)
    ref = np.exp(a) * b + np.log(c) ** 2
    check(o1, ref, np.float64)
    assert o2.dtype == np.float32
    np.testing.assert_allclose(o2, (ref * ref - ref).astype(np.float32), rtol=1e-6)
    # fast path: same program
    p1, p2 = np.empty(1000), np.empty(1000)
    K.elemwise_contiguous(code, nreg, [a, b, c], [p1, p2])
    check(p1, ref, np.float64)
    check(p2, ref * ref - ref, np.float64)


@pytest.mark.parametrize("n", [10, 5000, 100003])
@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64])
def test_fast_path(n, dt):
    a = (np.arange(n) % 13).astype(dt)
    b = np.ones(n, dt)
    o = np.empty(n, dt)
    code, nreg = prog([("add", 3, 0, 1), ("mul", 2, 3, 3)], 2, 1)
    assert K.elemwise_contiguous(code, nreg, [a, b], [o]) == [o]
    np.testing.assert_array_equal(o, (a + b) * (a + b))
    assert K.elemwise_contiguous(code, nreg, [a, b[:-1]], [o]) is None
    assert K.elemwise_contiguous(code, nreg, [a[::-1], b], [o]) is None
    assert K.elemwise_contiguous(code, nreg, [a.astype(np.int8), b], [o]) is None


@pytest.mark.parametrize("n", [11, 100003])
def test_inplace_alias(n):
    rng = np.random.default_rng(7)
    a = rng.standard_normal(n)
    b = rng.standard_normal(n)
    # out aliases input exactly; program reads the input after writing the output
    code, nreg = prog([("add", 2, 0, 0), ("add", 2, 2, 0), ("mul", 3, 2, 1)], 2, 1)
    code2, nreg2 = prog([("add", 1, 0, 0), ("add", 1, 1, 0)], 1, 1)
    x = a.copy()
    K.elemwise(code2, nreg2, [x], [np.float64], np.float64, outputs=[x])
    np.testing.assert_allclose(x, 3 * a, rtol=1e-15)
    x = a.copy()
    K.elemwise(code, nreg, [x, b], [np.float64], np.float64, outputs=[x])
    np.testing.assert_allclose(x, (a + a) + a, rtol=1e-15)
    # partial overlap: out = x[1:], input x[:-1]
    x = a.copy()
    code3, nreg3 = prog([("mul", 1, 0, 0)], 1, 1)
    K.elemwise(code3, nreg3, [x[:-1]], [np.float64], np.float64, outputs=[x[1:]])
    np.testing.assert_allclose(x[1:], a[:-1] ** 2)
    # reversed view of the same memory
    x = a.copy()
    K.elemwise(code3, nreg3, [x[::-1]], [np.float64], np.float64, outputs=[x])
    np.testing.assert_allclose(x, a[::-1] ** 2)
    # broadcast input sharing memory with the output
    m = rng.standard_normal((50, 50))
    m2 = m.copy()
    code4, nreg4 = prog([("sub", 2, 0, 1)], 2, 1)
    K.elemwise(code4, nreg4, [m, m[0]], [np.float64], np.float64, outputs=[m])
    np.testing.assert_allclose(m, m2 - m2[0])


def test_preallocated_strided_outputs():
    a = np.arange(12.0).reshape(3, 4)
    out = np.zeros((4, 3)).T
    code, nreg = prog([("neg", 1, 0)], 1, 1)
    res = K.elemwise(code, nreg, [a], [np.float64], np.float64, outputs=[out])
    assert res[0] is out
    np.testing.assert_array_equal(out, -a)
    out2 = np.zeros((3, 8), np.int32)[:, ::2]
    K.elemwise(code, nreg, [a], [np.int32], np.float64, outputs=[out2])
    np.testing.assert_array_equal(out2, -a)


def test_errors():
    code, nreg = prog([("add", 2, 0, 1)], 2, 1)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)|broadcast"):
        K.elemwise(code, nreg, [np.ones(3), np.ones(4)], [np.float64], np.float64)
    bad = np.array([[999, 2, 0, 1, -1]], np.int32)
    with pytest.raises(ValueError):
        K.elemwise(bad, 3, [np.ones(3), np.ones(3)], [np.float64], np.float64)
    bad = np.array([[K.OPCODES["add"], 7, 0, 1, -1]], np.int32)
    with pytest.raises(ValueError):
        K.elemwise(bad, 3, [np.ones(3), np.ones(3)], [np.float64], np.float64)
    bad = np.array([[K.OPCODES["add"], 0, 0, 1, -1]], np.int32)   # writes an input
    with pytest.raises(ValueError):
        K.elemwise(bad, 3, [np.ones(3), np.ones(3)], [np.float64], np.float64)
    with pytest.raises(ValueError):
        K.elemwise(code, nreg, [np.ones(3), np.ones(3)], [np.float64], np.float64,
                   outputs=[np.ones(4)])
    with pytest.raises(ValueError):
        K.elemwise(code, nreg, [np.ones(3), np.ones(3)], [np.float64], np.complex128)
    with pytest.raises(ValueError):
        K.elemwise(code, nreg, [np.ones((2, 3)), np.ones(3)], [np.float64], np.float64,
                   out_shape=(3,))
    with pytest.raises(ValueError):
        K.elemwise(code, 1, [np.ones(3), np.ones(3)], [np.float64], np.float64)


def test_threads_consistent():
    n0 = K.get_num_threads()
    x = np.random.default_rng(8).standard_normal(200001)
    code, nreg = prog([("tanh", 1, 0)], 1, 1)
    try:
        K.set_num_threads(1)
        r1 = K.elemwise(code, nreg, [x], [np.float64], np.float64)[0]
        s1 = K.reduce("sum", x, None)
        K.set_num_threads(2)
        r2 = K.elemwise(code, nreg, [x], [np.float64], np.float64)[0]
        s2 = K.reduce("sum", x, None)
    finally:
        K.set_num_threads(n0)
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_allclose(s1, s2, rtol=1e-12)
    with pytest.raises(ValueError):
        K.set_num_threads(0)


# ------------------------------------------------------------------ copy_into
def test_copy_into():
    rng = np.random.default_rng(9)
    src = rng.standard_normal((5, 1)) * 10
    dst = np.zeros((5, 4), np.int32)
    K.copy_into(dst, src)
    np.testing.assert_array_equal(dst, np.broadcast_to(src, (5, 4)).astype(np.int32))
    dst = np.zeros((4, 5), np.bool_).T
    K.copy_into(dst, src)
    np.testing.assert_array_equal(dst, np.broadcast_to(src != 0, (5, 4)))
    big = rng.integers(-2**62, 2**62, 300001)
    d = np.empty_like(big)
    K.copy_into(d, big[::-1])
    np.testing.assert_array_equal(d, big[::-1])          # exact, no float round trip
    x = np.arange(10.0)
    K.copy_into(x[1:], x[:-1])
    np.testing.assert_array_equal(x, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    with pytest.raises(ValueError):
        K.copy_into(np.zeros(3), np.zeros(4))


# ------------------------------------------------------------------ reductions
def _ref_reduce(op, x, axes, keepdims):
    f = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "all": np.all,
         "any": np.any}[op]
    return f(x, axis=axes, keepdims=keepdims)


AXES3 = [(), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2), None]


@pytest.mark.parametrize("dt", [np.float64, np.float32, np.int32, np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "all", "any"])
def test_reduce_axes(op, dt):
    rng = np.random.default_rng(10)
    base = rng.uniform(-2, 2, (4, 5, 6))
    if dt == np.uint8 or dt == np.bool_:
        base = np.abs(base)
    x0 = (base * (3 if np.dtype(dt).kind in "iub" else 1)).astype(dt)
    for x in (x0, x0.transpose(2, 0, 1), x0[::2, ::-1, 1::2], np.asfortranarray(x0)):
        for axes in AXES3:
            for keepdims in (False, True):
                res = K.reduce(op, x, axes, keepdims=keepdims)
                ref = _ref_reduce(op, x, axes, keepdims)
                assert res.shape == ref.shape, (op, axes, keepdims)
                assert res.dtype == ref.dtype, (op, dt, res.dtype, ref.dtype)
                if np.dtype(dt).kind == "f":
                    np.testing.assert_allclose(res, ref, rtol=RTOL[dt] * 10,
                                               atol=RTOL[dt] * 10)
                else:
                    np.testing.assert_array_equal(res, ref)


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_reduce_nan_and_specials(dt):
    x = np.array([[1.0, np.nan, 3.0], [-np.inf, 2.0, np.inf], [0.0, -0.0, 5.0]], dt)
    for op in ("sum", "prod", "max", "min", "all", "any"):
        for axes in ((0,), (1,), None):
            with np.errstate(all="ignore"):
                ref = _ref_reduce(op, x, axes, False)
            np.testing.assert_allclose(K.reduce(op, x, axes), ref, equal_nan=True)
    for op, f in (("argmax", np.argmax), ("argmin", np.argmin)):
        for axis in (0, 1, None):
            np.testing.assert_array_equal(K.reduce(op, x, None if axis is None else (axis,)),
                                          f(x, axis=axis))


@pytest.mark.parametrize("dt", [np.float64, np.float32, np.int8, np.int64, np.uint8, np.bool_])
def test_column_sums_in_four_row_passes(dt):
    """Column sums add four rows a pass, then the rest one at a time: every
    remainder, nan/inf for floats, and int64 sums that wrap as NumPy's do."""
    rng = np.random.default_rng(12)
    for nr in range(1, 10):
        x = rng.uniform(-100, 100, (nr, 37))
        if np.dtype(dt).kind == "f":
            x[nr // 2, 3], x[0, 5], x[nr - 1, 6] = np.nan, np.inf, -np.inf
        x = np.abs(x).astype(dt) if dt in (np.uint8, np.bool_) else x.astype(dt)
        if dt == np.int64:
            x[:, 0] = np.iinfo(np.int64).max
        with np.errstate(all="ignore"):      # floats accumulate in float64
            ref = x.sum(axis=0, dtype=np.float64 if dt == np.float32 else None)
        np.testing.assert_allclose(K.reduce("sum", x, (0,)), ref,
                                   rtol=RTOL.get(dt, 0), equal_nan=True)


def test_reduce_acc_dtype_only_for_sum_and_prod():
    for op in ("max", "min", "all", "any", "argmax"):
        with pytest.raises(ValueError, match="does not accumulate"):
            K.reduce(op, np.ones(3), None, acc_dtype=np.float64)


def test_reduce_large_parallel():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((301, 407))
    for op in ("sum", "max", "min", "prod", "any"):
        for axes in ((0,), (1,), None, (0, 1)):
            ref = _ref_reduce(op, x if op != "prod" else x / 1.1 + 1, axes, False)
            res = K.reduce(op, x if op != "prod" else x / 1.1 + 1, axes)
            np.testing.assert_allclose(res, ref, rtol=1e-10)
    v = rng.standard_normal(1_000_003)
    np.testing.assert_allclose(K.reduce("sum", v, None), v.sum(), rtol=1e-12)
    np.testing.assert_allclose(K.reduce("max", v[::-3], (0,)), v[::-3].max())
    v[777777] = np.nan
    assert np.isnan(K.reduce("max", v, None))
    assert K.reduce("argmax", v, None) == 777777
    assert K.reduce("argmin", x, (0,)).tolist() == np.argmin(x, axis=0).tolist()
    assert K.reduce("argmax", x.T, (1,)).tolist() == np.argmax(x.T, axis=1).tolist()


def test_argmax_ties_and_nan():
    x = np.array([[1, 3, 3, 2], [5, 5, 1, 5]], np.int64)
    for axis in (0, 1, None):
        ax = None if axis is None else (axis,)
        np.testing.assert_array_equal(K.reduce("argmax", x, ax), np.argmax(x, axis=axis))
        np.testing.assert_array_equal(K.reduce("argmin", x, ax), np.argmin(x, axis=axis))
    y = np.array([1.0, np.nan, 7.0, np.nan])
    assert K.reduce("argmax", y, None) == 1 and K.reduce("argmin", y, None) == 1
    r = K.reduce("argmax", x, (1,), keepdims=True)
    assert r.shape == (2, 1) and r.dtype == np.int64
    with pytest.raises(ValueError):
        K.reduce("argmax", np.ones((2, 3)), (0, 1))


def test_reduce_empty_and_0d():
    e = np.ones((0, 3))
    np.testing.assert_array_equal(K.reduce("sum", e, (0,)), np.zeros(3))
    np.testing.assert_array_equal(K.reduce("prod", e, (0,)), np.ones(3))
    assert K.reduce("sum", e, None) == 0
    assert K.reduce("sum", e, (1,)).shape == (0,)
    assert K.reduce("max", e, (1,)).shape == (0,)
    np.testing.assert_array_equal(K.reduce("all", e, (0,)), np.ones(3, bool))
    with pytest.raises(ValueError, match="zero-size array"):
        K.reduce("max", e, (0,))
    with pytest.raises(ValueError):
        K.reduce("argmax", e, (0,))
    z = np.array(2.5)
    assert K.reduce("sum", z, None) == 2.5 and K.reduce("sum", z, ()).shape == ()
    assert K.reduce("max", z, None) == 2.5
    assert K.reduce("argmax", z, None) == 0
    assert K.reduce("sum", np.ones((2, 3), np.int32), ()).dtype == np.int64


def test_reduce_dtypes_out_acc():
    x = np.full(10000, 0.1, np.float32)
    r64 = K.reduce("sum", x, None)
    assert r64.dtype == np.float32
    np.testing.assert_allclose(r64, 1000.0, rtol=1e-6)
    r32 = K.reduce("sum", x, None, acc_dtype=np.float32)
    assert r32.dtype == np.float32
    assert K.reduce("sum", x, None, out_dtype=np.float64).dtype == np.float64
    assert K.reduce("sum", np.ones(3, np.uint8), None).dtype == np.uint64
    assert K.reduce("sum", np.ones(3, np.bool_), None).dtype == np.int64
    out = np.empty(5, np.float32)
    y = np.random.default_rng(12).standard_normal((4, 5))
    assert K.reduce("sum", y, (0,), out=out) is out
    np.testing.assert_allclose(out, y.sum(0), rtol=1e-6)
    with pytest.raises(ValueError):
        K.reduce("sum", y, (0,), out=np.empty(4))
    with pytest.raises(ValueError):
        K.reduce("median", y, (0,))
    with pytest.raises(ValueError):
        K.reduce("sum", y, (2,))
    big = np.array([2**62, 2**62, 2**62], np.int64)
    assert K.reduce("sum", big, None) == np.sum(big)      # wraps like numpy


# ------------------------------------------------------------------ dot / gemm
def _operands(dt):
    rng = np.random.default_rng(13)
    m = rng.standard_normal((7, 5)).astype(dt)
    n = rng.standard_normal((5, 6)).astype(dt)
    return {
        0: [np.array(1.5, dt)],
        1: [rng.standard_normal(5).astype(dt), rng.standard_normal(10).astype(dt)[::2],
            rng.standard_normal(5).astype(dt)[::-1]],
        2: [m, np.asfortranarray(m), m.T.copy().T, rng.standard_normal((7, 10)).astype(dt)[:, ::2],
            rng.standard_normal((5, 7)).astype(dt).T, m[::-1]],
        "n": [n, np.asfortranarray(n), n[:, ::-1], rng.standard_normal((6, 5)).astype(dt).T],
    }


@pytest.mark.parametrize("dt", [np.float64, np.float32, np.int64])
def test_dot_all_ndims(dt):
    ops = _operands(dt)
    rt = 1e-5 if dt == np.float32 else 1e-12
    pairs = []
    for a in ops[2]:
        for b in ops["n"] + ops[1][:1] + ops[0]:
            pairs.append((a, b if b.ndim != 1 else b))
    for a in ops[1]:
        for b in ops[1] + ops["n"] + ops[0]:
            pairs.append((a, b))
    for b in ops[1] + ops[2] + ops[0]:
        pairs.append((ops[0][0], b))
    for a, b in pairs:
        if a.ndim == 2 and b.ndim == 1 and a.shape[1] != b.shape[0]:
            continue
        if a.ndim == 1 and b.ndim == 2 and a.shape[0] != b.shape[0]:
            continue
        if a.ndim == 2 and b.ndim == 2 and a.shape[1] != b.shape[0]:
            continue
        res = K.dot(a, b)
        ref = np.dot(a, b)
        assert res.shape == np.shape(ref)
        np.testing.assert_allclose(res, ref, rtol=rt, atol=rt)


def test_dot_out_and_errors():
    rng = np.random.default_rng(14)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    out = np.empty((3, 2))
    assert K.dot(a, b, out=out) is out
    np.testing.assert_allclose(out, a @ b)
    out = np.empty((2, 3)).T
    K.dot(a, b, out=out)
    np.testing.assert_allclose(out, a @ b)
    with pytest.raises(ValueError):
        K.dot(a, a)
    with pytest.raises(ValueError):
        K.dot(np.ones(3), np.ones(4))
    assert K.dot(np.ones((3, 0)), np.ones((0, 2))).tolist() == [[0, 0]] * 3
    np.testing.assert_allclose(K.dot(a.astype(np.float32), b), np.dot(a.astype(np.float32), b))
    s = K.dot(np.arange(3.0), np.arange(3.0))
    assert s == 5.0


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_gemm(dt):
    rng = np.random.default_rng(15)
    rt = 1e-5 if dt == np.float32 else 1e-12
    a = rng.standard_normal((6, 4)).astype(dt)
    b = rng.standard_normal((4, 5)).astype(dt)
    for c0 in (rng.standard_normal((6, 5)).astype(dt),
               np.asfortranarray(rng.standard_normal((6, 5)).astype(dt)),
               rng.standard_normal((6, 10)).astype(dt)[:, ::2]):
        for aa, bb in ((a, b), (a.T.copy().T, np.asfortranarray(b)), (a[::-1], b[:, ::-1])):
            c = c0.copy() if c0.flags.c_contiguous or c0.flags.f_contiguous else c0
            ref = 0.5 * (aa @ bb) + 2.0 * c
            assert K.gemm(0.5, aa, bb, 2.0, c) is c
            np.testing.assert_allclose(c, ref, rtol=rt, atol=rt)
    c = np.full((6, 5), np.nan, dt)
    K.gemm(1.0, a, b, 0.0, c)
    np.testing.assert_allclose(c, a @ b, rtol=rt, atol=rt)
    sq = rng.standard_normal((4, 4)).astype(dt)
    ref = sq @ sq + sq
    K.gemm(1.0, sq, sq, 1.0, sq)          # aliasing
    np.testing.assert_allclose(sq, ref, rtol=rt * 10, atol=rt * 10)
    with pytest.raises(ValueError):
        K.gemm(1.0, a, a, 0.0, c)
    with pytest.raises(TypeError):
        K.gemm(1.0, a.astype(np.float64 if dt == np.float32 else np.float32), b, 0.0, c)


# ------------------------------------------------- fast path: scalar inputs
@pytest.mark.parametrize("n", [10, 5000, 100003])
@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64])
def test_fast_path_scalar_inputs(n, dt):
    a = (np.arange(n) % 13).astype(dt)
    o = np.empty(n, dt)
    code, nreg = prog([("add", 4, 0, 1), ("mul", 3, 4, 2)], 3, 1)
    for one, two in [(np.array(1, dt), np.array(2, dt)),          # 0-d
                     (np.ones(1, dt), np.full((1,), 2, dt))]:      # shape (1,)
        assert K.elemwise_contiguous(code, nreg, [a, one, two], [o]) == [o]
        np.testing.assert_array_equal(o, (a + 1) * 2)
        # scalar first
        K.elemwise_contiguous(code, nreg, [one, a, two], [o])
        np.testing.assert_array_equal(o, (a + 1) * 2)
    # 2-d output, (1, 1) scalar
    a2 = a[: (n // 5) * 5].reshape(-1, 5)
    o2 = np.empty_like(a2)
    K.elemwise_contiguous(code, nreg, [a2, np.ones((1, 1), dt), np.array(2, dt)], [o2])
    np.testing.assert_array_equal(o2, (a2 + 1) * 2)
    # every input a scalar
    code1, nreg1 = prog([("add", 2, 0, 1)], 2, 1)
    K.elemwise_contiguous(code1, nreg1, [np.array(3, dt), np.array(4, dt)], [o])
    assert (o == 7).all()
    # still rejected: wrong dtype, too many dims, non-broadcast shapes, 2 elements
    assert K.elemwise_contiguous(code1, nreg1, [a, np.array(1, np.int8)], [o]) is None
    assert K.elemwise_contiguous(code1, nreg1, [a, np.ones((1, 1), dt)], [o]) is None
    assert K.elemwise_contiguous(code1, nreg1, [a, np.ones(2, dt)], [o]) is None
    assert K.elemwise_contiguous(code1, nreg1, [a, np.ones(n, dt)], [np.empty(1, dt)]) is None


def test_fast_path_scalar_size_edge():
    code, nreg = prog([("add", 2, 0, 1)], 2, 1)
    # empty output with a scalar input
    o = np.empty(0)
    K.elemwise_contiguous(code, nreg, [np.empty(0), np.array(1.0)], [o])
    # one-element output: scalar of fewer dims
    o = np.empty((1, 1))
    K.elemwise_contiguous(code, nreg, [np.full((1, 1), 2.0), np.array(1.0)], [o])
    assert o[0, 0] == 3.0


# ---------------------------------------------------------- elemwise_reduce
def _fr_ref(fn, arrays, op, axes, ct, out_dt, keepdims=False):
    vals = fn(*[np.asarray(x).astype(ct) for x in arrays]).astype(ct)
    if op in ("sum", "prod"):
        vals = vals.astype(np.float64 if np.dtype(ct).kind == "f" else np.int64)
    ax = tuple(axes) if isinstance(axes, list) else axes
    with np.errstate(all="ignore"):
        r = getattr(np, op)(vals, axis=ax, keepdims=keepdims)
        return np.asarray(r).astype(out_dt)


FR_PROGS = {
    # name: (instructions, nin, numpy function)
    "sqdiff": ([("sub", 3, 0, 1), ("mul", 2, 3, 3)], 2, lambda a, b: (a - b) * (a - b)),
    "expsub": ([("sub", 2, 0, 1), ("exp", 2, 2)], 2, lambda x, m: np.exp(x - m)),
    "ident": ([("identity", 1, 0)], 1, lambda x: x),
    "muladd": ([("mul", 4, 0, 1), ("add", 3, 4, 2)], 3, lambda a, b, c: a * b + c),
}

FR_CASES = [
    # (shapes of the inputs, axes)
    ([(), ()], None),
    ([(), ()], ()),
    ([(7,), (7,)], 0),
    ([(7,), ()], None),
    ([(3, 5), (3, 5)], 1),
    ([(3, 5), (3, 5)], 0),
    ([(3, 5), (3, 5)], (0, 1)),
    ([(3, 5), (3, 5)], ()),
    ([(3, 1), (1, 5)], 0),
    ([(3, 1), (1, 5)], 1),
    ([(5,), (3, 5)], 0),
    ([(4, 1), (4, 6)], 1),          # row max broadcast per row (softmax)
    ([(2, 3, 4), (2, 3, 4)], 1),
    ([(2, 3, 4), (2, 3, 4)], (0, 2)),
    ([(2, 3, 4), (3, 1)], (2,)),
    ([(2, 3, 4), (4,)], -1),
    ([(1, 3, 1), (1, 3, 1)], (0, 2)),
    ([(37, 300), (37, 300)], 1),
    ([(37, 300), (37, 300)], 0),
    ([(3, 40000), (3, 1)], 1),      # few long rows: split over threads
    ([(40000, 3), (40000, 3)], 0),  # narrow columns, many rows per block
    ([(300, 5000), (300, 5000)], 0),  # column tiles
    ([(300, 5000), (300, 5000)], 1),
    ([(120, 130, 7), (120, 130, 7)], 1),
    ([(100003,), (100003,)], None),
]


def _fr_make(shape, dt, seed, layout):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, shape)
    if dt == np.int64 or np.dtype(dt).kind in "iu":
        x = np.round(x * 3)
    x = x.astype(dt)
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "neg" and x.ndim:
        x = np.ascontiguousarray(np.flip(x))[tuple(slice(None, None, -1) for _ in shape)]
    elif layout == "strided" and x.ndim:
        big = np.zeros(tuple(2 * s for s in shape), dt)
        big[tuple(slice(None, None, 2) for _ in shape)] = x
        x = big[tuple(slice(None, None, 2) for _ in shape)]
    return x


@pytest.mark.parametrize("layout", ["C", "F", "neg", "strided"])
@pytest.mark.parametrize("case", range(len(FR_CASES)))
def test_elemwise_reduce_shapes(case, layout):
    shapes, axes = FR_CASES[case]
    name = "sqdiff" if case % 2 else "expsub"
    instrs, nin, fn = FR_PROGS[name]
    arrays = [_fr_make(s, np.float64, i + case, layout) for i, s in enumerate(shapes)]
    code, nreg = prog(instrs, nin, 1)
    for op in ("sum", "max", "min", "prod"):
        for keepdims in (False, True):
            res = K.elemwise_reduce(code, nreg, arrays, op, axes, np.float64, np.float64,
                                    keepdims=keepdims)
            ref = _fr_ref(fn, arrays, op, axes, np.float64, np.float64, keepdims)
            assert res.shape == ref.shape, (res.shape, ref.shape)
            assert res.dtype == np.float64
            np.testing.assert_allclose(res, ref, rtol=1e-11, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("ct,in_dt,out_dt", [
    (np.float32, np.float32, np.float32), (np.float32, np.float64, np.float64),
    (np.float64, np.int32, np.float64), (np.int64, np.int64, np.int64),
    (np.int64, np.int8, np.int32), (np.float64, np.float32, np.float32),
    (np.int64, np.bool_, np.int64), (np.float64, np.float64, np.int64)])
@pytest.mark.parametrize("shapes,axes", [([(9, 11), (9, 11), (11,)], 1),
                                         ([(9, 11), (9, 11), (9, 1)], 0),
                                         ([(50, 2000), (50, 2000), ()], None),
                                         ([(2000, 50), (1, 50), (2000, 1)], (0,))])
def test_elemwise_reduce_dtypes(ct, in_dt, out_dt, shapes, axes):
    instrs, nin, fn = FR_PROGS["muladd"]
    arrays = [_fr_make(s, in_dt, i, "C") for i, s in enumerate(shapes)]
    if in_dt == np.bool_:
        arrays = [(_fr_make(s, np.float64, i, "C") > 0) for i, s in enumerate(shapes)]
    code, nreg = prog(instrs, nin, 1)
    for op in ("sum", "max", "min"):
        res = K.elemwise_reduce(code, nreg, arrays, op, axes, out_dt, ct)
        ref = _fr_ref(fn, arrays, op, axes, ct, out_dt)
        assert res.dtype == np.dtype(out_dt)
        if np.dtype(out_dt).kind == "f":
            tol = 1e-6 if np.dtype(out_dt) == np.float32 or ct == np.float32 else 1e-12
            np.testing.assert_allclose(res, ref, rtol=tol, atol=tol)
        else:
            np.testing.assert_array_equal(res, ref)


def test_elemwise_reduce_float32_accumulates_in_float64():
    x = np.full(1 << 20, 0.1, np.float32)
    code, nreg = prog([("identity", 1, 0)], 1, 1)
    res = K.elemwise_reduce(code, nreg, [x], "sum", None, np.float64, np.float32)
    assert res == np.sum(x.astype(np.float64))


@pytest.mark.parametrize("shape,axes", [((5, 7), 1), ((5, 7), 0), ((5, 7), None),
                                        ((3, 40000), 1), ((40000, 3), 0),
                                        ((300, 5000), 0)])
def test_elemwise_reduce_nan(shape, axes):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, shape)
    x.flat[rng.integers(0, x.size, 3)] = np.nan
    x.flat[rng.integers(0, x.size, 3)] = np.inf
    x.flat[rng.integers(0, x.size, 3)] = -np.inf
    y = rng.uniform(-1, 1, shape)
    instrs, nin, fn = FR_PROGS["muladd"]
    code, nreg = prog(instrs, nin, 1)
    for op in ("sum", "max", "min"):
        res = K.elemwise_reduce(code, nreg, [x, y, y], op, axes, np.float64, np.float64)
        ref = _fr_ref(fn, [x, y, y], op, axes, np.float64, np.float64)
        np.testing.assert_allclose(res, ref, rtol=1e-12, atol=1e-11, equal_nan=True)


def test_elemwise_reduce_empty_and_errors():
    code, nreg = prog([("sub", 3, 0, 1), ("mul", 2, 3, 3)], 2, 1)
    e = np.empty((0, 3))
    assert K.elemwise_reduce(code, nreg, [e, e], "sum", 0, np.float64, np.float64).tolist() \
        == [0.0, 0.0, 0.0]
    assert K.elemwise_reduce(code, nreg, [e, e], "prod", 0, np.float64, np.float64).tolist() \
        == [1.0, 1.0, 1.0]
    assert K.elemwise_reduce(code, nreg, [e, e], "sum", 1, np.float64, np.float64).shape \
        == (0,)
    assert K.elemwise_reduce(code, nreg, [e, e], "max", 1, np.float64, np.float64).shape \
        == (0,)
    r = K.elemwise_reduce(code, nreg, [e, e], "sum", None, np.float32, np.float64,
                          keepdims=True)
    assert r.shape == (1, 1) and r.dtype == np.float32 and r[0, 0] == 0
    with pytest.raises(ValueError, match="zero-size"):
        K.elemwise_reduce(code, nreg, [e, e], "max", 0, np.float64, np.float64)
    a = np.ones((3, 4))
    with pytest.raises(ValueError):
        K.elemwise_reduce(code, nreg, [a, np.ones((3, 5))], "sum", 0, np.float64, np.float64)
    with pytest.raises(ValueError):
        K.elemwise_reduce(code, nreg, [a, a], "sum", 2, np.float64, np.float64)
    with pytest.raises(ValueError):
        K.elemwise_reduce(code, nreg, [a, a], "sum", (0, -2), np.float64, np.float64)
    with pytest.raises(ValueError):
        K.elemwise_reduce(code, nreg, [a, a], "argmax", 0, np.float64, np.float64)
    with pytest.raises(ValueError):
        K.elemwise_reduce(code, nreg, [a, a], "sum", 0, np.float64, np.complex128)
    with pytest.raises(ValueError):
        K.elemwise_reduce(code, nreg, [a, a], "sum", 0, np.float64, np.float64 if False
                          else np.int32)
    bad, nb = prog([("exp", 2, 0)], 1, 1)
    with pytest.raises(ValueError):
        K.elemwise_reduce(bad, nb, [a.astype(np.int64)], "sum", 0, np.int64, np.int64)
    nowrite, nn = prog([("sub", 3, 0, 1)], 2, 1)
    with pytest.raises(ValueError, match="never writes"):
        K.elemwise_reduce(nowrite, nn, [a, a], "sum", 0, np.float64, np.float64)


def test_elemwise_reduce_threads_and_tuning_consistent():
    rng = np.random.default_rng(5)
    a, b = rng.random((64, 3000)), rng.random((64, 3000))
    code, nreg = prog([("sub", 3, 0, 1), ("mul", 2, 3, 3)], 2, 1)
    ref = {ax: ((a - b) ** 2).sum(axis=ax) for ax in (0, 1, None)}
    old = K.get_num_threads()
    old_tuning = K._kernels._set_tuning()
    try:
        for nt in (1, 2, 3):
            K.set_num_threads(nt)
            for block, par_min in ((16, 1), (1000, 1), (4096, 32768)):
                K._kernels._set_tuning(block=block, par_min=par_min)
                for ax in (0, 1, None):
                    res = K.elemwise_reduce(code, nreg, [a, b], "sum", ax, np.float64,
                                            np.float64)
                    np.testing.assert_allclose(res, ref[ax], rtol=1e-12)
    finally:
        K.set_num_threads(old)
        K._kernels._set_tuning(*old_tuning)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_streamed_outputs_equal_cached_stores(dt):
    """Outputs streamed to memory (cyt_stream_copy) hold what ordinary stores
    write: every start alignment, partial last blocks, two outputs, an output
    written in place over its input, on 1 and 2 threads."""
    rng = np.random.default_rng(11)
    code, nreg = prog([("exp", 2, 0, -1), ("mul", 2, 2, 1), ("add", 3, 0, 1)], 2, 2)
    old_threads, old_tuning = K.get_num_threads(), K._kernels._set_tuning()
    try:
        for nt in (1, 2):
            K.set_num_threads(nt)
            for n in (1, 7, 4096, 4096 * 3 + 5, 40001):
                for offset in (0, 1, 3):
                    a, b = (rng.standard_normal(n + offset).astype(dt)[offset:]
                            for _ in range(2))
                    expect = [np.exp(a) * b, a + b]
                    K._kernels._set_tuning(stream_min=0, par_min=1)
                    outs = [np.full(n + offset, np.nan, dt)[offset:] for _ in range(2)]
                    got = K.elemwise(code, nreg, [a, b], [dt, dt], dt, outputs=outs)
                    for g, e in zip(got, expect):
                        np.testing.assert_allclose(g, e, rtol=RTOL[dt])
                    inplace, _ = prog([("exp", 1, 0, -1)], 1, 1)
                    x = a.copy()
                    K.elemwise_contiguous(inplace, 2, [x], [x])
                    np.testing.assert_allclose(x, np.exp(a), rtol=RTOL[dt])
    finally:
        K.set_num_threads(old_threads)
        K._kernels._set_tuning(*old_tuning)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["max", "min"])
def test_row_maxmin_simd_nan_positions(dt, op):
    # the vectorised row max/min (4 accumulators of 2 or 4 lanes + nan mask):
    # every length around the unroll width, nan / inf at every position
    f = getattr(np, op)
    rng = np.random.default_rng(7)
    for n in list(range(1, 40)) + [63, 64, 65, 1000, 1025]:
        x = rng.uniform(-5, 5, n).astype(dt)
        np.testing.assert_array_equal(K.reduce(op, x, (0,)), f(x))
        for pos in sorted({0, n // 2, n - 1, min(n - 1, 8), min(n - 1, 17)}):
            for special in (np.nan, np.inf, -np.inf):
                y = x.copy()
                y[pos] = special
                res = K.reduce(op, y, (0,))
                np.testing.assert_array_equal(res, f(y))
                assert res.dtype == dt
        y = np.full(n, -np.inf if op == "max" else np.inf, dt)
        np.testing.assert_array_equal(K.reduce(op, y, (0,)), f(y))
    # rows of a matrix, nan in some rows only
    X = rng.uniform(-1, 1, (50, 37)).astype(dt)
    X[3, 36] = np.nan
    X[10, 0] = np.nan
    X[20, 17] = np.nan
    np.testing.assert_array_equal(K.reduce(op, X, (1,)), f(X, axis=1))


# --- lean entry points of the ops' hot paths ------------------------------

@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("m, n", [(32, 100), (300, 257)])      # small and blocked paths
def test_elemwise_contiguous_row_inputs(dt, m, n):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((m, n)).astype(dt)
    for row in (rng.standard_normal((1, n)).astype(dt), rng.standard_normal(n).astype(dt)):
        s = np.asarray(rng.standard_normal(), dt).reshape(1, 1)
        code, nreg = prog([("add", 4, 0, 1), ("tanh", 4, 4), ("mul", 3, 4, 2)], 3, 1)
        out = np.empty((m, n), dt)
        K.elemwise_contiguous(code, nreg, [x, row, s], [out])
        want = (np.tanh(x + row) * s).astype(dt)
        np.testing.assert_allclose(out, want, rtol=RTOL[dt] * 10, atol=RTOL[dt] * 10)


def test_elemwise_contiguous_row_inputs_rejected():
    code, nreg = prog([("add", 2, 0, 1)], 2, 1)
    x = np.ones((40, 50))
    # refused (None, nothing computed): a column broadcast over a leading axis too
    # (a plain column is taken: tests/kernels/test_column_inputs.py)
    assert K.elemwise_contiguous(code, nreg, [np.ones((2, 40, 50)), np.ones((1, 40, 1))],
                                 [np.empty((2, 40, 50))]) is None
    code3, nreg3 = prog([("add", 3, 0, 1), ("add", 3, 3, 2)], 3, 1)
    out3 = np.zeros((2, 3, 50))
    assert K.elemwise_contiguous(code3, nreg3, [np.ones((2, 3, 50)), np.ones((1, 1, 50)),
                                                np.ones((1, 3, 50))], [out3]) is None
    assert not out3.any()                       # rows of two lengths: untouched
    big = np.arange(200000.0).reshape(400, 500)
    want = big + big[3]
    # a row read while the output is written: the row is copied before the run
    assert K.elemwise_contiguous(code, nreg, [big, big[3]], [big]) is not None
    np.testing.assert_array_equal(big, want)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_dot_matrices_layouts(dt):
    from cytensor.kernels._blas import dot_matrices
    rng = np.random.default_rng(6)
    a = rng.standard_normal((7, 5)).astype(dt)
    b = rng.standard_normal((5, 9)).astype(dt)
    for aa in (a, np.asfortranarray(a), a.T.copy().T):
        for bb in (b, np.asfortranarray(b), b[:, :].T.copy().T):
            np.testing.assert_allclose(dot_matrices(aa, bb, None), a @ b, rtol=RTOL[dt] * 100)
    out = np.empty((7, 9), dt)
    assert dot_matrices(a, b, out) is out
    assert dot_matrices(a, b, np.empty((9, 7), dt)) is not None        # unusable out
    assert dot_matrices(a[:, ::2], b[::2], None) is None                # no unit stride
    assert dot_matrices(a.astype(int), b.astype(int), None) is None
    assert dot_matrices(a, b.astype(np.float64 if dt == np.float32 else np.float32),
                        None) is None
    assert dot_matrices(a[0], b, None) is None
    assert dot_matrices(a, np.empty((5, 0), dt), None) is None
    with pytest.raises(ValueError, match="not aligned"):
        dot_matrices(a, a, None)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape, r0, r1", [((32, 100), 0, 1), ((32,), 0, 1), ((4, 5, 6), 1, 3),
                                           ((300, 400), 1, 2), ((3, 1, 5), 0, 2),
                                           ((700, 300), 0, 2)])
def test_reduce_c_contiguous_matches_reduce(dt, shape, r0, r1):
    from cytensor.kernels._reduce import REDUCE_OPS, reduce_c_contiguous
    x = np.random.default_rng(7).standard_normal(shape).astype(dt)
    axes = tuple(range(r0, r1))
    for op in ("sum", "prod", "max", "min", "all", "any"):
        out_dt = np.bool_ if op in ("all", "any") else dt
        got = reduce_c_contiguous(REDUCE_OPS[op], x, r0, r1, np.dtype(out_dt).num)
        want = K.reduce(op, x, axes, out_dtype=out_dt)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_reduce_c_contiguous_declines():
    from cytensor.kernels._reduce import REDUCE_OPS, reduce_c_contiguous
    s = REDUCE_OPS["sum"]
    x = np.ones((4, 6))
    assert reduce_c_contiguous(s, x[:, ::2], 0, 1, x.dtype.num) is None
    assert reduce_c_contiguous(s, x.astype(int), 0, 1, x.dtype.num) is None
    assert reduce_c_contiguous(s, np.ones((0, 3)), 0, 1, x.dtype.num) is None
    assert reduce_c_contiguous(s, x, 1, 3, x.dtype.num) is None
    assert reduce_c_contiguous(REDUCE_OPS["argmax"], x, 0, 1, 7) is None
    assert reduce_c_contiguous(s, [1.0, 2.0], 0, 1, x.dtype.num) is None
