"""Reductions, products, shapes, joining, allocation and basic indexing:
kernels (default mode) and NumPy references (Mode(linker='py')) against NumPy."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.compile.mode import Mode

PY = Mode(linker="py")
MODES = [None, PY]
MODE_IDS = ["cy", "py"]


def run(inputs, outputs, values, mode=None):
    return theano.function(inputs, outputs, mode=mode)(*values)


def check(got, want, rtol=None, exact=False):
    want = np.asarray(want)
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if exact or got.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want)
    else:
        if rtol is None:
            rtol = 2e-6 if got.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True)


def layouts(a):
    """The same values as C, Fortran, negative-stride and strided arrays."""
    yield "C", np.ascontiguousarray(a) if a.ndim else a.copy()   # (ascontiguousarray: ndim >= 1)
    if a.ndim:
        yield "F", np.asfortranarray(a)
        flipped = np.ascontiguousarray(a[::-1])[::-1]           # negative strides
        assert flipped.strides[0] < 0 or a.shape[0] <= 1
        yield "neg", flipped
        big = np.zeros((a.shape[0] * 2,) + a.shape[1:], dtype=a.dtype)
        big[::2] = a
        yield "strided", big[::2]


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------

AXES = [None, 0, 1, -1, 2, (0, 2), (1, -1), (), (0, 1, 2)]
REDUCTIONS = ["sum", "prod", "max", "min", "all", "any"]
RED_DTYPES = ["float32", "float64", "int32", "int64", "bool", "uint8"]


def data_for(dtype, shape, rng):
    if dtype == "bool":
        return rng.random(shape) < 0.6
    if dtype[0] in "iu":
        return rng.integers(0 if dtype[0] == "u" else -3, 4, size=shape).astype(dtype)
    return rng.uniform(-1.5, 1.5, size=shape).astype(dtype)


def numpy_reduction(name, a, axis, keepdims):
    fn = getattr(np, name)
    return np.asarray(fn(a, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("dtype", RED_DTYPES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name, dtype, mode):
    rng = np.random.default_rng(1)
    x = T.tensor3(dtype=dtype)
    a = data_for(dtype, (3, 4, 5), rng)
    for axis in AXES:
        for keepdims in (False, True):
            out = getattr(T, name)(x, axis=axis, keepdims=keepdims)
            meth = getattr(x, name)(axis=axis, keepdims=keepdims)
            f = theano.function([x], [out, meth], mode=mode)
            want = numpy_reduction(name, a, axis, keepdims)
            assert out.dtype == want.dtype, (name, dtype, axis, out.dtype, want.dtype)
            assert out.ndim == want.ndim
            for label, arr in layouts(a):
                for got in f(arr):
                    check(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_of_0d_and_empty(name):
    for mode in MODES:
        s = T.dscalar()
        for axis in (None, 0, -1, ()):
            if name in ("all", "any") and mode is None:
                continue                     # test_all_any_of_a_scalar_give_an_array
            got = run([s], getattr(T, name)(s, axis=axis), [np.array(2.5)], mode)
            check(got, numpy_reduction(name, np.array(2.5), None, False))
        m = T.dmatrix()
        empty = np.zeros((0, 3))
        for axis in (0, (0, 1), None):
            if name in ("max", "min"):
                with pytest.raises(ValueError):
                    run([m], getattr(T, name)(m, axis=axis), [empty], mode)
            else:
                check(run([m], getattr(T, name)(m, axis=axis), [empty], mode),
                      numpy_reduction(name, empty, axis, False))
        check(run([m], getattr(T, name)(m, axis=1), [empty], mode),
              numpy_reduction(name, empty, 1, False))


@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_of_a_scalar_give_an_array(name):
    s = T.dscalar()
    for axis in (None, 0, ()):
        got = run([s], getattr(T, name)(s, axis=axis), [np.array(2.5)])
        check(got, np.array(True))


def test_large_reductions_parallel_path():
    rng = np.random.default_rng(5)
    x = T.dmatrix()
    a = rng.uniform(-1, 1, size=(700, 301))
    for mode in MODES:
        f = theano.function([x], [x.sum(), x.sum(axis=0), x.sum(axis=1), x.max(axis=0),
                                  x.min(axis=1), x.prod(axis=0), T.argmax(x, axis=0)],
                            mode=mode)
        for arr in (a, np.asfortranarray(a), a[::-1, ::-1]):
            out = f(arr)
            want = [arr.sum(), arr.sum(0), arr.sum(1), arr.max(0), arr.min(1),
                    arr.prod(0), arr.argmax(0)]
            for got, w in zip(out, want):
                check(got, w, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reductions_propagate_nan_and_inf(dtype):
    a = np.array([[1.0, np.nan, 3.0], [np.inf, 2.0, -np.inf], [-1.0, 0.5, 2.0]],
                 dtype=dtype)
    x = T.matrix(dtype=dtype)
    for mode in MODES:
        for name in ("sum", "prod", "max", "min"):
            for axis in (None, 0, 1):
                with np.errstate(invalid="ignore"):
                    want = numpy_reduction(name, a, axis, False)
                check(run([x], getattr(T, name)(x, axis=axis), [a], mode), want)
        for name in ("argmax", "argmin"):
            for axis in (None, 0, 1):
                check(run([x], getattr(T, name)(x, axis=axis), [a], mode),
                      getattr(np, name)(a, axis=axis))
        with np.errstate(invalid="ignore"):
            check(run([x], T.mean(x, axis=0), [a], mode), a.mean(axis=0))


def test_reduction_dtypes_follow_numpy():
    for dtype in ["bool", "int8", "int16", "int32", "int64", "uint8", "uint32",
                  "float32", "float64"]:
        x = T.vector(dtype=dtype)
        a = np.ones(3, dtype=dtype)
        for name in ("sum", "prod"):
            assert getattr(T, name)(x).dtype == getattr(np, name)(a).dtype.name, (name, dtype)
        for name in ("max", "min"):
            assert getattr(T, name)(x).dtype == dtype
        assert T.all(x).dtype == T.any(x).dtype == "bool"
        assert T.argmax(x).dtype == "int64"
        assert T.mean(x).dtype == np.mean(a).dtype.name, (dtype, T.mean(x).dtype)
    i = T.ivector()
    assert T.sum(i, dtype="float32").dtype == "float32"
    got = run([i], T.sum(i, dtype="float64"), [np.arange(4, dtype="int32")])
    check(got, np.float64(6))


def test_int32_sum_does_not_overflow():
    i = T.ivector()
    big = np.full(10, 2**30, dtype="int32")
    for mode in MODES:
        check(run([i], T.sum(i), [big], mode), big.sum())


# acc_dtype: the dtype sums and products accumulate in

def acc_reference(name, a, axis, acc, out_dtype):
    """What a sum/prod over ``axis`` (None: all) accumulating in ``acc`` gives;
    Reduce.reference does the same."""
    ufunc = np.add if name == "sum" else np.multiply
    return np.asarray(ufunc.reduce(a, axis=axis, dtype=acc)).astype(out_dtype)


def ones_and_a_quarter():
    """float32 terms whose exact sum, 9999999.25, no float32 can hold."""
    a = np.ones(10**7, dtype="float32")
    a[-1] = 0.25
    return a


def test_acc_dtype_float32_sums_stay_float32():
    x = T.fvector()
    a = ones_and_a_quarter()
    for mode in MODES:
        wide, default, narrow = run([x], [T.sum(x, dtype="float64", acc_dtype="float64"),
                                          T.sum(x, dtype="float64"),
                                          x.sum(dtype="float64", acc_dtype="float32")],
                                    [a], mode)
        check(wide, np.float64(9999999.25), exact=True)
        check(default, np.float64(9999999.25), exact=True)
        assert narrow.dtype == np.float64
        assert np.float32(narrow) == narrow             # rounded to float32 on the way
        assert narrow != 9999999.25 and abs(narrow - 9999999.25) <= 1.0
    check(run([x], T.sum(x, dtype="float64", acc_dtype="float32"), [a], PY),
          acc_reference("sum", a, None, "float32", "float64"), exact=True)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("name", ["sum", "prod"])
def test_acc_dtype_all_layouts_and_axes(name, mode):
    rng = np.random.default_rng(21)
    cases = [("float32", "float32"), ("float32", "float64"), ("int32", "float64"),
             ("int8", "float32"), ("uint8", "int64"), ("bool", "float32"), ("bool", "uint64")]
    for dtype, acc in cases:
        x = T.tensor3(dtype=dtype)
        a = data_for(dtype, (3, 4, 5), rng)
        for axis in AXES:
            out = getattr(T, name)(x, axis=axis, acc_dtype=acc)
            f = theano.function([x], out, mode=mode)
            want = acc_reference(name, a, T.normalize_axis(axis, 3), acc, out.dtype)
            for label, arr in layouts(a):
                check(f(arr), want, rtol=1e-5 if "float32" in (dtype, acc) else 1e-12)


def test_acc_dtype_of_0d_empty_and_single_terms():
    for mode in MODES:
        s = T.fscalar()
        for name in ("sum", "prod"):
            check(run([s], getattr(T, name)(s, acc_dtype="float32"), [np.float32(2.5)], mode),
                  np.float32(2.5))
        m = T.imatrix()
        empty = np.zeros((0, 3), dtype="int32")
        check(run([m], T.sum(m, axis=0, acc_dtype="float64"), [empty], mode),
              np.zeros(3, dtype="int64"))
        check(run([m], T.prod(m, acc_dtype="float32"), [empty], mode), np.int64(1))
        # A single term still rounds through the accumulator: 2**53 + 1 is no float64.
        v = T.lvector()
        big = np.array([2**53 + 1], dtype="int64")
        check(run([v], T.sum(v, acc_dtype="float64"), [big], mode), np.int64(2**53))
        check(run([v], T.sum(v), [big], mode), np.int64(2**53 + 1))
        pair = np.array([2**53 + 1, 2], dtype="int64")
        check(run([v], T.sum(v, acc_dtype="float64"), [pair], mode), np.int64(2**53 + 2))
        # ... also over an axis of static length 1 (a rewrite drops such reductions)
        row = T.TensorType("int64", shape=(1, None))()
        check(run([row], T.sum(row, axis=0, acc_dtype="float64"), [big[None]], mode),
              np.array([2**53], dtype="int64"))


def test_mean_acc_dtype():
    x = T.fvector()
    a = ones_and_a_quarter()
    for mode in MODES:
        default, narrow = run([x], [T.mean(x, dtype="float64"),
                                    x.mean(dtype="float64", acc_dtype="float32")], [a], mode)
        check(default, np.float64(9999999.25) / a.size)
        assert abs(narrow * a.size - 9999999.25) >= 0.25 - 1e-6
        i = T.ivector()
        b = np.array([2**30, 2**30, 3], dtype="int32")
        check(run([i], T.mean(i, acc_dtype="float32"), [b], mode),
              np.float64(np.add.reduce(b, dtype="float32")) / 3)
    check(run([x], T.mean(x, dtype="float64", acc_dtype="float32"), [a], PY),
          acc_reference("sum", a, None, "float32", "float64") / a.size)


def test_acc_dtype_that_cannot_be_honoured_is_refused():
    f32, f64, i32, i64 = T.fvector(), T.dvector(), T.ivector(), T.lvector()
    u64 = T.vector(dtype="uint64")
    cases = [(f64, "float32", "lose precision of the float64"),   # narrower than the input
             (f32, "int64", "lose precision of the float32"),
             (i64, "uint64", "lose precision of the int64"),
             (u64, "int64", "lose precision of the uint64"),
             (i32, "int32", "not an accumulator"),                # the kernels have no int32 one
             (f32, "complex128", "not an accumulator"),
             (f32, "float16", "not an accumulator"),
             (f32, "no such dtype", "not a dtype")]
    for x, acc, message in cases:
        for reduction in (T.sum, T.prod, T.mean):
            with pytest.raises(TypeError, match=f"acc_dtype.*{message}"):
                reduction(x, acc_dtype=acc)
    for name in ("max", "min", "all", "any"):
        with pytest.raises(TypeError, match=f"{name} does not accumulate"):
            getattr(T, name)(f32, acc_dtype="float64")
    with pytest.raises(TypeError, match="lose precision"):
        T.Reduce("sum", (0,), acc_dtype="float32")(f64)
    from cytensor import kernels
    with pytest.raises(ValueError, match="acc_dtype int32"):
        kernels.reduce("sum", np.ones(3, dtype="int32"), None, acc_dtype="int32")


def test_sums_that_differ_only_in_acc_dtype_are_not_merged():
    x = T.fvector()
    default, narrow, explicit = T.sum(x), T.sum(x, acc_dtype="float32"), \
        T.sum(x, acc_dtype="float64")
    assert str(default.owner.op) == "Sum{axis=[0]}"
    assert str(narrow.owner.op) == "Sum{axis=[0], acc_dtype=float32}"
    assert explicit.owner.op == default.owner.op        # float64 is the default for float32
    assert narrow.owner.op != default.owner.op
    assert hash(narrow.owner.op) != hash(default.owner.op)
    f = theano.function([x], [default, narrow, explicit])
    sums = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, T.Reduce)]
    assert {str(n.op) for n in sums} == {"Sum{axis=[0]}", "Sum{axis=[0], acc_dtype=float32}"}
    assert len(sums) == 2
    got = f(ones_and_a_quarter())
    assert got[0] == got[2] == np.float32(9999999.25)
    assert got[1].dtype == np.float32


def test_a_sum_with_its_own_acc_dtype_is_not_fused():
    x, y = T.fvector(), T.fvector()
    a = ones_and_a_quarter()
    b = np.ones_like(a)
    f = theano.function([x, y], T.sum(x * y, dtype="float64", acc_dtype="float32"))
    assert [type(n.op).__name__ for n in f.maker.fgraph.toposort()] == ["Elemwise", "Reduce"]
    narrow = f(a, b)
    assert np.float32(narrow) == narrow and narrow != 9999999.25
    fused = theano.function([x, y], T.sum(x * y, dtype="float64"))
    assert [type(n.op).__name__ for n in fused.maker.fgraph.toposort()] == ["FusedReduce"]
    check(fused(a, b), np.float64(9999999.25), exact=True)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name):
    rng = np.random.default_rng(2)
    x = T.tensor3()
    a = rng.integers(-3, 3, size=(3, 4, 5)).astype("float64")       # ties: first wins
    for mode in MODES:
        for axis in (None, 0, 1, 2, -1):
            for keepdims in (False, True):
                out = getattr(T, name)(x, axis=axis, keepdims=keepdims)
                want = getattr(np, name)(a, axis=axis, keepdims=keepdims)
                for label, arr in layouts(a):
                    check(run([x], out, [arr], mode), want)
                check(run([x], getattr(x, name)(axis=axis, keepdims=keepdims), [a], mode),
                      want)
    i = T.imatrix()
    check(run([i], getattr(T, name)(i, axis=1), [a[0].astype("int32")]),
          getattr(np, name)(a[0], axis=1))
    with pytest.raises(ValueError):
        run([x], getattr(T, name)(x, axis=0), [np.zeros((0, 2, 2))])


def test_max_and_argmax():
    x = T.dmatrix()
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    m, i = run([x], list(T.max_and_argmax(x, axis=1)), [a])
    check(m, a.max(1))
    check(i, a.argmax(1))


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
def test_mean_var_std(dtype, mode):
    rng = np.random.default_rng(3)
    x = T.tensor3(dtype=dtype)
    a = data_for(dtype, (3, 4, 5), rng)
    for axis in (None, 0, -1, (0, 2), (1, 2)):
        for keepdims in (False, True):
            f = theano.function([x], [T.mean(x, axis=axis, keepdims=keepdims),
                                      x.mean(axis=axis, keepdims=keepdims),
                                      T.var(x, axis=axis, keepdims=keepdims),
                                      T.std(x, axis=axis, keepdims=keepdims),
                                      T.var(x, axis=axis, ddof=1, keepdims=keepdims),
                                      x.std(axis=axis, corrected=True, keepdims=keepdims)],
                                mode=mode)
            want = [a.mean(axis=axis, keepdims=keepdims)] * 2 + [
                a.var(axis=axis, keepdims=keepdims), a.std(axis=axis, keepdims=keepdims),
                a.var(axis=axis, ddof=1, keepdims=keepdims),
                a.std(axis=axis, ddof=1, keepdims=keepdims)]
            for got, w in zip(f(a), want):
                w = np.asarray(w)
                if dtype == "bool" and w.dtype == np.float16:
                    w = w.astype("float32")
                assert got.dtype == w.dtype, (got.dtype, w.dtype, axis)
                check(got, w, rtol=1e-5 if got.dtype == np.float32 else 1e-12)


def test_normalize_axis_errors():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="out of bounds"):
        T.sum(x, axis=2)
    with pytest.raises(ValueError, match="out of bounds"):
        T.sum(x, axis=-3)
    with pytest.raises(ValueError, match="repeated"):
        T.sum(x, axis=(0, -2))


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------

def _dot_operands(na, nb, dtype, rng):
    """Operands of numpy.dot with na and nb dimensions that contract."""
    sa = {0: (), 1: (4,), 2: (3, 4), 3: (2, 3, 4), 4: (2, 1, 3, 4)}[na]
    if nb == 0:
        sb = ()
    elif nb == 1:
        sb = (4,) if na else (5,)
    else:
        sb = {2: (4, 5), 3: (2, 4, 5), 4: (2, 2, 4, 5)}[nb]
    a = data_for(dtype, sa, rng)
    b = data_for(dtype, sb, rng)
    return a, b


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_dot_all_ndim_combos(dtype):
    rng = np.random.default_rng(4)
    for na in range(4):
        for nb in range(4):
            a, b = _dot_operands(na, nb, dtype, rng)
            if na and nb and a.shape[-1] != b.shape[max(0, nb - 2)]:
                continue
            x = T.tensor(dtype, shape=(None,) * na)
            y = T.tensor(dtype, shape=(None,) * nb)
            want = np.dot(a, b)
            out = T.dot(x, y)
            assert out.dtype == want.dtype.name and out.ndim == want.ndim, (na, nb)
            for mode in MODES:
                f = theano.function([x, y], [out, x.dot(y)], mode=mode)
                for (la, aa), (lb, bb) in zip(layouts(a), layouts(b)):
                    for got in f(aa, bb):
                        check(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_dot_transposed_and_strided_inputs():
    rng = np.random.default_rng(6)
    x, y = T.dmatrix(), T.dmatrix()
    v = T.dvector()
    a = rng.standard_normal((5, 4))
    b = rng.standard_normal((5, 6))
    for mode in MODES:
        f = theano.function([x, y, v], [T.dot(x.T, y), T.dot(y.T, x), T.dot(x.T, v),
                                        T.dot(v, y)], mode=mode)
        vv = rng.standard_normal(10)[::2]
        out = f(a, b, vv)
        for got, want in zip(out, [a.T @ b, b.T @ a, a.T @ vv, vv @ b]):
            check(got, want)
        out = f(np.asfortranarray(a), b[:, ::-1], vv[::-1])
        for got, want in zip(out, [a.T @ b[:, ::-1], b[:, ::-1].T @ a, a.T @ vv[::-1],
                                   vv[::-1] @ b[:, ::-1]]):
            check(got, want)
        # a column-strided view is neither C nor Fortran contiguous
        big = rng.standard_normal((5, 8))
        out = f(big[:, ::2], big[:, 1::2][:, :4].repeat(2, axis=1)[:, :6], vv)
        check(out[0], big[:, ::2].T @ big[:, 1::2][:, :4].repeat(2, axis=1)[:, :6])


def test_dot_mixed_dtypes_and_empty():
    f32, f64, i32 = T.fmatrix(), T.dmatrix(), T.imatrix()
    a = np.ones((2, 3), dtype="float32")
    b = np.ones((3, 2))
    c = np.ones((3, 2), dtype="int32")
    for mode in MODES:
        check(run([f32, f64], T.dot(f32, f64), [a, b], mode), a @ b)
        check(run([f32, i32], T.dot(f32, i32), [a, c], mode), a @ c)
        check(run([f32, f64], T.dot(f32, f64), [np.ones((0, 3), "float32"), b], mode),
              np.ones((0, 3), "float32") @ b)
        check(run([f32, f64], T.dot(f32, f64), [np.ones((2, 0), "float32"),
                                                np.ones((0, 2))], mode), np.zeros((2, 2)))


def test_dot_shape_errors():
    x, y = T.dmatrix(), T.dmatrix()
    for mode in MODES:
        f = theano.function([x, y], T.dot(x, y), mode=mode)
        with pytest.raises(ValueError, match=r"\(2, ?3\).*\(4, ?5\)"):
            f(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="aligned"):
        T.dot(T.tensor("float64", shape=(2, 3)), T.tensor("float64", shape=(4, 5)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tensordot(dtype):
    rng = np.random.default_rng(7)
    a = data_for(dtype, (2, 3, 4), rng)
    b = data_for(dtype, (3, 4, 5), rng)
    x, y = T.tensor3(dtype=dtype), T.tensor3(dtype=dtype)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for mode in MODES:
        for axes in (2, [[1, 2], [0, 1]], [[1], [0]], [[2, 1], [1, 0]], [[-1], [-2]]):
            got = run([x, y], T.tensordot(x, y, axes), [a, b], mode)
            check(got, np.tensordot(a, b, axes), rtol=rtol)
        got = run([x, y], T.tensordot(x, y, 0), [a[:1, :1, :2], b[:1, :2, :1]], mode)
        check(got, np.tensordot(a[:1, :1, :2], b[:1, :2, :1], 0), rtol=rtol)
        got = run([x, y], T.tensordot(x, y, [[1, 2], [0, 1]]), [a[:, :, ::-1],
                                                                np.asfortranarray(b)], mode)
        check(got, np.tensordot(a[:, :, ::-1], b, [[1, 2], [0, 1]]), rtol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_batched(dtype):
    rng = np.random.default_rng(8)
    cases = [((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (6, 4, 2)), ((3, 4), (2, 4, 5)),
             ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
             ((3, 4), (4, 5)), ((4,), (4, 2)), ((4,), (4,)), ((0, 3, 4), (0, 4, 2))]
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for sa, sb in cases:
        a, b = data_for(dtype, sa, rng), data_for(dtype, sb, rng)
        ta = T.tensor(dtype, shape=tuple(1 if s == 1 else None for s in sa))
        tb = T.tensor(dtype, shape=tuple(1 if s == 1 else None for s in sb))
        out = T.matmul(ta, tb)
        want = np.matmul(a, b)
        assert out.ndim == want.ndim, (sa, sb)
        for mode in MODES:
            check(run([ta, tb], out, [a, b], mode), want, rtol=rtol)
            flipped = a[..., ::-1, :] if a.ndim > 1 else a[::-1]
            check(run([ta, tb], ta @ tb, [flipped, b], mode), np.matmul(flipped, b),
                  rtol=rtol)
    with pytest.raises(ValueError):
        T.matmul(T.dscalar(), T.dmatrix())


def test_outer():
    x, y = T.dvector(), T.fvector()
    a, b = np.arange(3.0), np.arange(4, dtype="float32")
    for mode in MODES:
        check(run([x, y], T.outer(x, y), [a, b], mode), np.outer(a, b))
        check(run([x, y], T.outer(x, y), [a[::-1], b[::2]], mode), np.outer(a[::-1], b[::2]))


# ---------------------------------------------------------------------------
# Shapes, reshaping, transposing
# ---------------------------------------------------------------------------

def test_shape_and_shape_i():
    x = T.tensor3()
    a = np.zeros((2, 0, 5))
    for mode in MODES:
        check(run([x], x.shape, [a], mode), np.array([2, 0, 5]))
        check(run([x], x.shape[0], [a], mode), np.array(2))
        check(run([x], x.shape[-1], [a], mode), np.array(5))
        check(run([x], T.shape(x)[1:], [a], mode), np.array([0, 5]))
    s = T.dscalar()
    check(run([s], s.shape, [np.array(1.0)]), np.zeros(0, dtype="int64"))


def test_reshape():
    rng = np.random.default_rng(9)
    x = T.dmatrix()
    a = rng.standard_normal((4, 6))
    n = T.lscalar()
    for mode in MODES:
        for arr in (a, np.asfortranarray(a), a[::-1, ::-1]):
            check(run([x], x.reshape((3, 8)), [arr], mode), arr.reshape(3, 8))
            check(run([x], x.reshape((-1, 2)), [arr], mode), arr.reshape(-1, 2))
            check(run([x], x.reshape((2, -1, 3)), [arr], mode), arr.reshape(2, -1, 3))
            check(run([x], T.reshape(x, (24,)), [arr], mode), arr.reshape(24))
            check(run([x], x.reshape(24), [arr], mode), arr.reshape(24))
            check(run([x], x.reshape((x.shape[1], x.shape[0])), [arr], mode),
                  arr.reshape(6, 4))
            check(run([x], x.reshape((x.shape[0] * 2, -1)), [arr], mode), arr.reshape(8, 3))
            check(run([x], x.reshape(x.shape[::-1], ndim=2), [arr], mode), arr.reshape(6, 4))
            check(run([x, n], x.reshape((n, -1)), [arr, 3], mode), arr.reshape(3, -1))
            check(run([x], x.reshape(()), [arr[:1, :1]], mode), arr[:1, :1].reshape(()))
        check(run([x], x.reshape((0, 5)), [np.zeros((0, 3))], mode), np.zeros((0, 5)))
        f = theano.function([x], x.reshape((5, -1)), mode=mode)
        with pytest.raises(ValueError, match="reshape"):
            f(a)
    out = x.reshape((3, -1))
    assert out.ndim == 2 and out.type.shape[0] == 3
    with pytest.raises(ValueError):
        x.reshape((-1, -1))
    with pytest.raises(ValueError):
        T.tensor("float64", shape=(2, 3)).reshape((4, 2))


def test_reshape_output_is_not_an_alias_of_the_input():
    x = T.dmatrix()
    a = np.arange(6.0).reshape(2, 3)
    out = run([x], x.reshape((3, 2)), [a])
    out[0, 0] = 100
    assert a[0, 0] == 0


def test_flatten():
    x = T.tensor3()
    a = np.arange(24.0).reshape(2, 3, 4)
    for mode in MODES:
        for arr in (a, np.asfortranarray(a), a[::-1, :, ::-2]):
            check(run([x], x.flatten(), [arr], mode), arr.flatten())
            check(run([x], T.flatten(x, 2), [arr], mode), arr.reshape(arr.shape[0], -1))
            check(run([x], x.flatten(3), [arr], mode), arr)
    out = T.flatten(T.tensor("float64", shape=(2, 3, 4)), 2)
    assert out.type.shape in ((2, 12), (2, None))
    with pytest.raises(ValueError):
        x.flatten(4)


def test_transpose_and_dimshuffle():
    x = T.tensor3()
    a = np.arange(24.0).reshape(2, 3, 4)
    for mode in MODES:
        check(run([x], x.T, [a], mode), a.T)
        check(run([x], x.transpose(1, 0, 2), [a], mode), a.transpose(1, 0, 2))
        check(run([x], x.transpose([2, 0, 1]), [a], mode), a.transpose(2, 0, 1))
        check(run([x], T.transpose(x, (0, 2, 1)), [a], mode), a.transpose(0, 2, 1))
        check(run([x], T.transpose(x, (-1, 0, 1)), [a], mode), a.transpose(2, 0, 1))
        check(run([x], x.dimshuffle(2, "x", 0, 1), [a], mode), a.transpose(2, 0, 1)[:, None])
        check(run([x], x.dimshuffle("x", 0, 1, 2, "x"), [a[::-1]], mode),
              a[::-1][None, ..., None])
        r = T.tensor("float64", shape=(None, 1, None))
        check(run([r], r.dimshuffle(2, 0), [a[:, :1, :]], mode), a[:, 0, :].T)
        check(run([r], T.squeeze(r), [a[:, :1, :]], mode), a[:, 0, :])
        check(run([r], T.shape_padleft(r, 2), [a[:, :1, :]], mode), a[None, None, :, :1, :])
        check(run([r], T.shape_padright(r), [a[:, :1, :]], mode), a[:, :1, :, None])
        check(run([r], T.shape_padaxis(r, 1), [a[:, :1, :]], mode), a[:, None, :1, :])
    m = T.dmatrix()
    a2 = np.arange(6.0).reshape(2, 3)
    out = run([m], m.T, [a2])
    check(out, a2.T)
    assert not np.shares_memory(out, a2)          # a view inside, a fresh array outside
    with pytest.raises(ValueError):
        x.dimshuffle(0, 1)                 # drops a non-broadcastable axis
    with pytest.raises(ValueError):
        x.dimshuffle(0, 0, 1)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_concatenate_and_stack(mode):
    x, y = T.dmatrix(), T.dmatrix()
    i = T.imatrix()
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(9.0).reshape(3, 3) + 10
    check(run([x, y], T.concatenate([x, y]), [a, b], mode), np.concatenate([a, b]))
    check(run([x, y], T.concatenate([x, y], axis=0), [a[::-1], np.asfortranarray(b)], mode),
          np.concatenate([a[::-1], b]))
    check(run([x, y], T.concatenate([x.T, y.T], axis=1), [a, b], mode),
          np.concatenate([a.T, b.T], axis=1))
    check(run([x, y], T.concatenate([x.T, y.T], axis=-1), [a, b], mode),
          np.concatenate([a.T, b.T], axis=-1))
    check(run([x, y], T.concatenate([x, y, x]), [np.zeros((0, 3)), b], mode),
          np.concatenate([np.zeros((0, 3)), b, np.zeros((0, 3))]))
    check(run([x, i], T.concatenate([x, i]), [a, np.ones((1, 3), "int32")], mode),
          np.concatenate([a, np.ones((1, 3))]))
    f = theano.function([x, y], T.concatenate([x, y], axis=0), mode=mode)
    with pytest.raises(ValueError, match="concatenate"):
        f(a, np.ones((2, 4)))
    u, v = T.dvector(), T.dvector()
    check(run([u, v], T.stack([u, v]), [np.arange(3.0), np.ones(3)], mode),
          np.stack([np.arange(3.0), np.ones(3)]))
    check(run([u, v], T.stack([u, v], axis=1), [np.arange(3.0), np.ones(3)[::-1]], mode),
          np.stack([np.arange(3.0), np.ones(3)], axis=1))
    check(run([u, v], T.stack([u, v], axis=-1), [np.arange(3.0), np.ones(3)], mode),
          np.stack([np.arange(3.0), np.ones(3)], axis=-1))
    s, t = T.dscalar(), T.iscalar()
    check(run([s, t], T.stack([s, t, s]), [1.5, 2], mode), np.array([1.5, 2.0, 1.5]))
    check(run([x, y], T.stack([x, y], axis=2), [a, b[:2]], mode),
          np.stack([a, b[:2]], axis=2))
    with pytest.raises(ValueError):
        T.concatenate([s, s])
    with pytest.raises(ValueError):
        T.concatenate([x, u])


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_alloc_zeros_ones_fill(mode):
    n = T.lscalar()
    x = T.dmatrix()
    v = T.fvector()
    check(run([n], T.alloc(np.float32(1.5), n, 3), [2], mode), np.full((2, 3), 1.5, "float32"))
    check(run([v, n], T.alloc(v, n, 3), [np.arange(3, dtype="float32"), 2], mode),
          np.broadcast_to(np.arange(3, dtype="float32"), (2, 3)))
    check(run([v, n], T.alloc(v, n, 3), [np.arange(6, dtype="float32")[::-2], 0], mode),
          np.zeros((0, 3), "float32"))
    check(run([n], T.zeros((n, 2)), [3], mode), np.zeros((3, 2), theano.config.floatX))
    check(run([n], T.ones((n,), dtype="int32"), [3], mode), np.ones(3, "int32"))
    check(run([n], T.zeros((n,), dtype="bool"), [2], mode), np.zeros(2, bool))
    a = np.arange(6.0).reshape(2, 3)
    check(run([x], T.zeros_like(x), [a], mode), np.zeros_like(a))
    check(run([x], T.ones_like(x), [a[::-1]], mode), np.ones_like(a))
    check(run([x], T.zeros_like(x, dtype="int32"), [a], mode), np.zeros((2, 3), "int32"))
    check(run([x], x.ones_like(), [a], mode), np.ones_like(a))
    check(run([x], T.fill(x, 7.0), [a], mode), np.full_like(a, 7.0))
    check(run([x, n], T.fill(x, n), [a, 4], mode), np.full_like(a, 4.0))
    check(run([x], T.ones_like(x), [np.zeros((0, 4))], mode), np.ones((0, 4)))
    f = theano.function([n], T.zeros((n, 2)), mode=mode)
    with pytest.raises(ValueError, match="negative"):
        f(-1)
    with pytest.raises(TypeError):
        T.alloc(1.0, 2.5)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_arange(mode):
    n = T.lscalar()
    s = T.dscalar()
    check(run([n], T.arange(n), [5], mode), np.arange(5))
    check(run([n], T.arange(2, n), [7], mode), np.arange(2, 7))
    check(run([n], T.arange(n, 0, -2), [7], mode), np.arange(7, 0, -2))
    check(run([n], T.arange(n), [0], mode), np.arange(0))
    check(run([s], T.arange(0, s, 0.5), [2.0], mode), np.arange(0, 2.0, 0.5))
    assert T.arange(n).dtype == "int64"
    assert T.arange(n, dtype="float32").dtype == "float32"
    check(run([n], T.arange(n, dtype="float32"), [3], mode), np.arange(3, dtype="float32"))
    f = theano.function([n], T.arange(0, 5, n), mode=mode)
    with pytest.raises(ValueError):
        f(0)


# ---------------------------------------------------------------------------
# Basic indexing
# ---------------------------------------------------------------------------

INDICES = [
    0, -1, 2, slice(None), slice(1, None), slice(None, -1), slice(None, None, 2),
    slice(None, None, -1), slice(3, 0, -2), slice(-2, None, -1), slice(10, 20),
    (0, 1), (-1, slice(None, None, -1)), (slice(1, 3), 2), (Ellipsis, 1),
    (None, 0), (slice(None), None, 1), (1, Ellipsis, None), (Ellipsis,),
    (slice(None, None, -2), slice(None, None, -3), 0), (), (0, 0, 0), (-3, -1, -2),
    (slice(0, 0),), (None, None),
]


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_basic_indexing(mode):
    x = T.tensor3()
    a = np.arange(60.0).reshape(3, 4, 5)
    for index in INDICES:
        out = x[index]
        want = a[index]
        assert out.ndim == np.ndim(want), index
        f = theano.function([x], out, mode=mode)
        for label, arr in layouts(a):
            got = f(arr)
            check(got, arr[index])
            if got.size:
                assert not np.shares_memory(got, arr)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_symbolic_integer_index(mode):
    x = T.dmatrix()
    i, j = T.lscalar(), T.iscalar()
    a = np.arange(20.0).reshape(4, 5)
    f = theano.function([x, i, j], [x[i], x[i, j], x[i:], x[:, j:i], x[::j], x[i::-j],
                                    x[x.shape[0] - 1]], mode=mode)
    for vi, vj in ((1, 2), (-1, 1), (3, -1), (0, 3)):
        want = [a[vi], a[vi, vj], a[vi:], a[:, vj:vi], a[::vj], a[vi::-vj], a[3]]
        for got, w in zip(f(a, vi, vj), want):
            check(got, w)
    g = theano.function([x, i], x[i], mode=mode)
    with pytest.raises(IndexError):
        g(a, 4)
    with pytest.raises(IndexError):
        x[T.dscalar()]
    with pytest.raises(IndexError, match="too many"):
        x[0, 0, 0]


def test_static_shapes_of_indexing():
    x = T.tensor("float64", shape=(5, None))
    assert x[1:3].type.shape == (2, None)
    assert x[::-1].type.shape == (5, None)
    assert x[::2, 0].type.shape == (3,)
    assert x[None].type.shape == (1, 5, None)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_inc_and_set_subtensor(mode):
    x = T.dmatrix()
    y = T.dvector()
    s = T.dscalar()
    i = T.lscalar()
    a = np.arange(20.0).reshape(4, 5)
    cases = [
        (lambda: T.inc_subtensor(x[1], y), lambda: _inc(a, 1, b5)),
        (lambda: T.set_subtensor(x[1], y), lambda: _set(a, 1, b5)),
        (lambda: T.inc_subtensor(x[:, 2], y[:4]), lambda: _inc(a, (slice(None), 2), b5[:4])),
        (lambda: T.set_subtensor(x[::-2, 1:], s), lambda: _set(a, (slice(None, None, -2),
                                                                  slice(1, None)), 7.5)),
        (lambda: T.inc_subtensor(x[i], s), lambda: _inc(a, 2, 7.5)),
        (lambda: T.inc_subtensor(x[1:3], y), lambda: _inc(a, slice(1, 3), b5)),
        (lambda: T.set_subtensor(x[2, 3], s), lambda: _set(a, (2, 3), 7.5)),
        (lambda: T.inc_subtensor(x[i:, ::-1], y), lambda: _inc(a, (slice(2, None),
                                                                   slice(None, None, -1)), b5)),
    ]
    b5 = np.arange(5.0) * 10
    for build, want in cases:
        out = build()
        f = theano.function([x, y, s, i], out, mode=mode, on_unused_input="ignore")
        for label, arr in layouts(a):
            orig = arr.copy()
            check(f(arr, b5, 7.5, 2), want())
            np.testing.assert_array_equal(arr, orig)          # the input is not changed
    with pytest.raises(TypeError):
        T.inc_subtensor(x, y)
    with pytest.raises(ValueError):
        T.set_subtensor(x[0], x)


def _inc(a, index, v):
    out = a.copy()
    out[index] += v
    return out


def _set(a, index, v):
    out = a.copy()
    out[index] = v
    return out


def test_inc_subtensor_refuses_float_values_into_int_tensors():
    x, y = T.imatrix(), T.dvector()
    with pytest.raises(TypeError, match="cast"):
        T.inc_subtensor(x[0], y)
    b = T.matrix(dtype="bool")
    with pytest.raises(TypeError, match="cast"):
        T.inc_subtensor(b[0], T.ivector())
    for mode in MODES:                       # set_subtensor casts, like numpy assignment
        got = run([x, y], T.set_subtensor(x[0], y),
                  [np.zeros((2, 3), "int32"), np.array([1.7, -2.5, 3.2])], mode)
        check(got, np.array([[1, -2, 3], [0, 0, 0]], "int32"))
        got = run([x, y], T.inc_subtensor(x[0], y.astype("int32")),
                  [np.ones((2, 3), "int32"), np.array([1.7, -2.5, 3.2])], mode)
        check(got, np.array([[2, -1, 4], [1, 1, 1]], "int32"))


def test_inc_subtensor_int_and_float32():
    x = T.imatrix()
    v = T.ivector()
    a = np.arange(6, dtype="int32").reshape(2, 3)
    check(run([x, v], T.inc_subtensor(x[0], v), [a, np.array([1, 2, 3], "int32")]),
          np.array([[1, 3, 5], [3, 4, 5]], "int32"))
    f = T.fmatrix()
    check(run([f], T.inc_subtensor(f[:, 1], 0.5), [a.astype("float32")]),
          a.astype("float32") + np.array([0, 0.5, 0], "float32"))


# ---------------------------------------------------------------------------
# Errors: shapes are checked in Python, before the kernels run
# ---------------------------------------------------------------------------

def test_bad_broadcast_at_run_time_names_shapes():
    x, y = T.dmatrix(), T.dmatrix()
    for mode in MODES:
        f = theano.function([x, y], x * y + 1, mode=mode)
        with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
            f(np.ones((2, 3)), np.ones((3, 2)))
        g = theano.function([x, y], (x * y).sum(axis=0), mode=mode)
        with pytest.raises(ValueError, match=r"\(0, 3\).*\(2, 3\)"):
            g(np.ones((0, 3)), np.ones((2, 3)))


def test_wrong_shapes_raise_instead_of_crashing():
    x, y = T.dmatrix(), T.dvector()
    i = T.lscalar()
    cases = [
        (theano.function([x, y], T.dot(x, y)), (np.ones((2, 3)), np.ones(4))),
        (theano.function([x, y], x + y), (np.ones((2, 3)), np.ones(4))),
        (theano.function([x, y], T.concatenate([x, y.dimshuffle("x", 0)])),
         (np.ones((2, 3)), np.ones(4))),
        (theano.function([x, y], T.set_subtensor(x[0], y)), (np.ones((2, 3)), np.ones(4))),
        (theano.function([x, y], T.inc_subtensor(x[:, 1], y)),
         (np.ones((2, 3)), np.ones(4))),
        (theano.function([x, i], T.alloc(x, i, 2, 3)), (np.ones((2, 3)), -5)),
        (theano.function([y], T.alloc(y, 3, 3)), (np.ones(4),)),
        (theano.function([x, y], T.matmul(x, y)), (np.ones((2, 3)), np.ones(4))),
        (theano.function([y], T.specify_shape(y, (3,)) * 2), (np.ones(4),)),
    ]
    for f, args in cases:
        with pytest.raises((ValueError, IndexError)):
            f(*args)


def test_outputs_with_large_sizes_take_the_parallel_path():
    x = T.dmatrix()
    a = np.random.default_rng(10).standard_normal((300, 250))
    f = theano.function([x], [T.concatenate([x, x[::-1]]), T.alloc(x[0], 300, 250),
                              T.inc_subtensor(x[::2], 1.0), x.T.reshape((-1,))])
    c, al, inc, flat = f(a)
    check(c, np.concatenate([a, a[::-1]]))
    check(al, np.broadcast_to(a[0], (300, 250)))
    check(inc, _inc(a, slice(None, None, 2), 1.0))
    check(flat, a.T.reshape(-1))


def test_odd_input_arrays():
    """Zero strides (broadcast_to views), unaligned, big-endian and read-only data."""
    x, v = T.dmatrix(), T.dvector()
    outs = [T.exp(x) + 1, x.sum(axis=0), T.dot(x, v), x * v, T.concatenate([x, x]),
            x[::-1, 1], T.inc_subtensor(x[0], v)]

    def want(a, b):
        inc = a.copy()
        inc[0] += b
        return [np.exp(a) + 1, a.sum(axis=0), a @ b, a * b, np.concatenate([a, a]),
                a[::-1, 1], inc]
    buf = np.zeros(8 * 15 + 1, dtype=np.uint8)
    unaligned = np.frombuffer(buf.data, dtype=np.float64, count=12, offset=1).reshape(4, 3)
    unaligned_v = np.frombuffer(buf.data, dtype=np.float64, count=3, offset=8 * 12 + 1)
    assert not unaligned.flags.aligned
    readonly = np.arange(12.0).reshape(4, 3)
    readonly.setflags(write=False)
    cases = [(np.broadcast_to(np.arange(3.0), (4, 3)), np.broadcast_to(np.array(2.0), (3,))),
             (unaligned, unaligned_v),
             (np.arange(12.0).reshape(4, 3).astype(">f8"), np.ones(3).astype(">f8")),
             (readonly, np.arange(3.0))]
    for mode in MODES:
        f = theano.function([x, v], outs, mode=mode)
        for a, b in cases:
            for got, w in zip(f(a, b), want(np.asarray(a, "float64"), np.asarray(b, "float64"))):
                check(got, w)


def test_max_min_all_any_refuse_a_dtype():
    """Only sum and prod take dtype=; the others would have ignored it."""
    x = T.dmatrix("x")
    for reduction in (T.max, T.min, T.all, T.any):
        with pytest.raises(TypeError, match="cast the result"):
            reduction(x, axis=0, dtype="float32")
    assert T.sum(x, dtype="float32").dtype == "float32"
