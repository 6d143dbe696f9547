"""The per-node paths of small calls (issue 15, item 4): an Elemwise node's
ContiguousThunk (kernels/_contiguous.pyx) and the element kernel of
``inc_subtensor(v[i], w)`` (kernels/_pick.pyx's add_at), each compared with
NumPy and with the py linker (the ops' references) over dtypes and layouts,
including those the fast paths hand back to the general ones."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import kernels
from cytensor.kernels import _pick
from test_small_size_paths import both

RNG = np.random.default_rng(7)


def values(dtype, shape):
    if dtype == "bool":
        return RNG.random(shape) < 0.5
    if dtype[0] in "iu":
        info = np.iinfo(dtype)
        return RNG.integers(max(info.min, -1000), min(info.max, 1000), shape, dtype=dtype,
                            endpoint=True)
    return (RNG.standard_normal(shape) * 3).astype(dtype)


# ---------------------------------------------------------------- ContiguousThunk

def test_contiguous_node_runs_the_class_thunk():
    m, r = T.dmatrix(), T.drow()
    f = theano.function([m, r], m + r)
    assert [type(t) for t in f.schedule.thunks] == [kernels.ContiguousThunk]
    assert f.schedule.thunks[0].node.op == f.maker.fgraph.toposort()[0].op


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint64"])
@pytest.mark.parametrize("shape", [(), (0, 3), (1, 1), (3, 4), (70, 90)])
def test_row_column_and_scalar_operands(dtype, shape):
    m, r, c = T.matrix(dtype=dtype), T.row(dtype=dtype), T.col(dtype=dtype)
    s = T.scalar(dtype=dtype)
    if not shape:                       # 0-d: a scalar program
        t = T.scalar(dtype=dtype)
        a, b = values(dtype, ()), values(dtype, ())
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(both([s, t], s * t + s, a, b), a * b + a)
        return
    mv = values(dtype, shape)
    rv, cv = values(dtype, (1, shape[1])), values(dtype, (shape[0], 1))
    sv = values(dtype, ())
    got = both([m, r, c, s], (m + r) * c - s, mv, rv, cv, sv)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got, (mv + rv) * cv - sv)


@pytest.mark.parametrize("layout", ["strided", "negative", "fortran", "readonly"])
def test_layouts_the_thunk_hands_to_the_general_kernel(layout):
    m, n = T.dmatrices("m", "n")
    base = RNG.standard_normal((6, 8))
    mv = {"strided": base[:, ::2], "negative": base[::-1, ::-2],
          "fortran": np.asfortranarray(base[:, :4]), "readonly": base[:, :4].copy()}[layout]
    mv.flags.writeable = layout != "readonly"
    nv = RNG.standard_normal(mv.shape)
    np.testing.assert_array_equal(both([m, n], m * n + 1, mv, nv), mv * nv + 1)


def test_nan_inf_and_integer_wraparound():
    x, y = T.dvectors("x", "y")
    xv = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0])
    yv = np.array([1.0, -np.inf, -np.inf, 0.0, np.nan])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(both([x, y], x * y + x / y, xv, yv), xv * yv + xv / yv)
    i, j = T.lvectors("i", "j")
    iv = np.array([2 ** 62, -2 ** 63, 7, -7])
    jv = np.array([4, -1, -2, 3])
    np.testing.assert_array_equal(both([i, j], i * j + i // 3, iv, jv), iv * jv + iv // 3)


def test_each_call_returns_a_new_array():
    """The thunk reuses its previous output only when the function no longer
    holds it (the array returned by one call is not overwritten by the next)."""
    x = T.dvector()
    f = theano.function([x], x * 2)
    first = f(np.ones(4))
    second = f(np.full(4, 3.0))
    np.testing.assert_array_equal(first, np.full(4, 2.0))
    np.testing.assert_array_equal(second, np.full(4, 6.0))


def test_inplace_node_overwrites_its_input_and_keeps_read_only_ones():
    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], (x + 1) * y)     # (x + 1) overwritten in place by * y
    xv, yv = np.arange(5.0), np.arange(5.0)
    yv.flags.writeable = False
    np.testing.assert_array_equal(f(xv, yv), (np.arange(5.0) + 1) * np.arange(5.0))
    np.testing.assert_array_equal(xv, np.arange(5.0))


def test_trusted_input_that_is_not_an_array_takes_the_general_kernel():
    x = T.dvector()
    f = theano.function([x], x + 1)
    f.trust_input = True
    np.testing.assert_array_equal(f(np.arange(3.0)[::-1]), [3.0, 2.0, 1.0])


def test_thunk_rejects_what_has_no_contiguous_path():
    code = np.zeros((1, 5), np.int32)
    with pytest.raises(ValueError, match="compute dtype"):
        kernels.ContiguousThunk(code, 3, [[None], [None]], [None], np.dtype("int32"), 0,
                                None, lambda: None)


# ---------------------------------------------------------------- add_at

def numpy_add_at(out, index, w):
    want = out.copy()
    np.add.at(want, index, w)
    return want


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32",
                                   "int8", "uint64", "float16", "complex128", "bool"])
@pytest.mark.parametrize("index_shape", [(0,), (1,), (9,), (3, 4)])
def test_add_at_matches_numpy(dtype, index_shape):
    out = values(dtype, 7)
    index = RNG.integers(-7, 7, index_shape)
    for w in (values(dtype, index_shape), values(dtype, ()), values(dtype, (1,))):
        got = out.copy()
        _pick.add_at(got, index, w)
        np.testing.assert_array_equal(got, numpy_add_at(out, index, w))


def test_add_at_repeats_add_up_in_order_with_nan_and_inf():
    out = np.array([0.0, 1.0, np.inf])
    index = np.array([0, 0, 0, 2, 1, -2])
    w = np.array([1e16, 1.0, -1e16, -np.inf, np.nan, 2.0])
    got = out.copy()
    _pick.add_at(got, index, w)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(got, numpy_add_at(out, index, w))


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_add_at_integers_wrap_as_numpy(dtype):
    info = np.iinfo(dtype)
    out = np.array([info.max, info.min], dtype)
    index, w = np.array([0, 1, 0]), np.array([1, -1, info.max], dtype)
    got = out.copy()
    _pick.add_at(got, index, w)
    np.testing.assert_array_equal(got, numpy_add_at(out, index, w))


def test_add_at_other_layouts_take_numpy():
    base = np.arange(12.0)
    cases = [(base[::2].copy(), np.array([1, 1]).astype("int32"), np.ones(2)),  # int32 index
             (base[::2].copy(), np.array([0, 5, 2, 4])[::2], np.ones(2)),       # strided index
             (base[::2].copy(), np.array([1, 2]), np.ones(4)[::2]),             # strided w
             (base[::2].copy(), np.array([1, 2]), np.ones(2, "float32")),       # w's dtype
             (base.copy().reshape(3, 4), np.array([1, 2]), np.ones(4)),         # rows
             (base.copy(), (np.array([1, 2]),), np.ones(2)),                    # a tuple
             (base.copy(), np.array([[1, 2, 3], [0, 0, 1]]), np.arange(3.0))]  # broadcast w
    for out, index, w in cases:
        want = numpy_add_at(out, index, w)
        _pick.add_at(out, index, w)
        np.testing.assert_array_equal(out, want)
    strided = base.copy()[::-3]
    want = numpy_add_at(strided, np.array([0, 0]), np.ones(2))
    _pick.add_at(strided, np.array([0, 0]), np.ones(2))
    np.testing.assert_array_equal(strided, want)


def test_add_at_w_overlapping_out_is_numpy():
    out = np.arange(6.0)
    want = numpy_add_at(out, np.array([1, 0, 2]), out[:3])
    _pick.add_at(out, np.array([1, 0, 2]), out[:3])
    np.testing.assert_array_equal(out, want)


def test_add_at_out_of_range_raises_numpy_error_and_changes_nothing():
    out = np.zeros(3)
    for index in (np.array([0, 3]), np.array([-4, 0])):
        with pytest.raises(IndexError):
            _pick.add_at(out, index, np.ones(2))
    np.testing.assert_array_equal(out, np.zeros(3))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "uint8"])
def test_inc_subtensor_of_elements_through_the_graph(dtype):
    v, i, w = T.vector(dtype=dtype), T.lvector(), T.vector(dtype=dtype)
    s = T.scalar(dtype=dtype)
    vv, iv = values(dtype, 9), RNG.integers(-9, 9, 20)
    wv = values(dtype, 20)
    got = both([v, i, w], T.inc_subtensor(v[i], w), vv, iv, wv)
    np.testing.assert_array_equal(got, numpy_add_at(vv, iv, wv))
    got = both([v, i, s], T.inc_subtensor(v[i], s), vv, iv, wv[0])
    np.testing.assert_array_equal(got, numpy_add_at(vv, iv, wv[0]))
    empty = both([v, i, w], T.inc_subtensor(v[i], w), vv, iv[:0], wv[:0])
    np.testing.assert_array_equal(empty, vv)
    strided = both([v, i, w], T.inc_subtensor(v[i], w), values(dtype, 18)[::-2], iv, wv)
    assert strided.shape == (9,)
