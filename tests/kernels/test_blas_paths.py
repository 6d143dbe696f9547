"""Matrix products over every layout BLAS sees: C and Fortran order,
transposed and strided views, one row, one column (gemv), empty; values
against NumPy, and no hidden copies or casts for float32."""
import tracemalloc

import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor.kernels._blas import dot_matrices
from cytensor.tensor.math import Dot


def layouts(shape, dtype, rng):
    """(name, array of ``shape``) in the layouts a caller may hand BLAS."""
    base = rng.standard_normal(shape).astype(dtype)
    wide = rng.standard_normal((shape[0] * 2, shape[1] * 3)).astype(dtype)
    return [
        ("C", base),
        ("F", np.asfortranarray(base)),
        ("transposed", np.ascontiguousarray(base.T).T),
        ("strided rows", wide[::2, :shape[1]]),
        ("strided both", wide[::2, ::3]),
        ("negative", np.ascontiguousarray(base[::-1])[::-1]),
    ]


SHAPES = [  # (m, k, n)
    (5, 4, 3), (1, 7, 6), (6, 7, 1), (1, 5, 1), (1, 1, 4), (4, 1, 1), (0, 3, 2), (3, 0, 2),
    (2, 3, 0), (33, 65, 17),
]


def tolerance(dtype):
    return dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_matrix_products_over_layouts(m, k, n, dtype):
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a_var, b_var = T.matrix("a", dtype=dtype), T.matrix("b", dtype=dtype)
    f = cytensor.function([a_var, b_var], T.dot(a_var, b_var))
    for a_name, a in layouts((m, k), dtype, rng):
        for b_name, b in layouts((k, n), dtype, rng):
            expected = a.astype("float64") @ b.astype("float64")
            got = f(a, b)
            assert got.dtype == dtype and got.shape == (m, n), (a_name, b_name)
            np.testing.assert_allclose(got, expected, **tolerance(dtype),
                                       err_msg=f"a {a_name}, b {b_name}")
            lean = dot_matrices(a, b, None)
            if lean is not None:
                np.testing.assert_allclose(lean, expected, **tolerance(dtype),
                                           err_msg=f"lean: a {a_name}, b {b_name}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("m,k", [(5, 4), (1, 6), (6, 1), (0, 3), (3, 0), (40, 70)])
def test_matrix_vector_products_over_layouts(m, k, dtype):
    rng = np.random.default_rng(m + 7 * k)
    a_var, v_var = T.matrix("a", dtype=dtype), T.vector("v", dtype=dtype)
    mv = cytensor.function([a_var, v_var], T.dot(a_var, v_var))
    vm = cytensor.function([a_var, v_var], T.dot(v_var, a_var))
    long_v = rng.standard_normal(3 * max(m, k) + 1).astype(dtype)
    for name, a in layouts((m, k), dtype, rng):
        for v_name, v in (("contiguous", long_v[:k]), ("strided", long_v[::3][:k]),
                          ("negative", long_v[k - 1::-1] if k else long_v[:0])):
            np.testing.assert_allclose(mv(a, v), a.astype("float64") @ v, **tolerance(dtype),
                                       err_msg=f"{name} @ {v_name}")
            w = long_v[:m] if v_name == "contiguous" else long_v[::3][:m]
            np.testing.assert_allclose(vm(a, w), w.astype("float64") @ a, **tolerance(dtype),
                                       err_msg=f"{v_name} @ {name}")
            assert mv(a, v).dtype == dtype and mv(a, v).shape == (m,)


@pytest.mark.parametrize("m,n", [(1, 9), (9, 1), (1, 1)])
def test_row_or_column_product_with_alpha_beta(m, n):
    """The gemv path keeps gemm's meaning: alpha * a @ b + beta * out."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((m, 5)), rng.standard_normal((5, n))
    out = rng.standard_normal((m, n))
    expected = 0.5 * a @ b + 2.0 * out
    got = dot_matrices(a, b, out, 0.5, 2.0)
    assert got is out
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("m,n", [(1, 9), (9, 1)])
def test_beta_zero_overwrites_nan(m, n):
    """Fresh or reused output memory holding nan must not leak into the result."""
    a, b = np.ones((m, 4)), np.ones((4, n))
    out = np.full((m, n), np.nan)
    np.testing.assert_array_equal(dot_matrices(a, b, out), np.full((m, n), 4.0))


def test_matrix_and_vector_nan_inf_follow_numpy():
    a = np.array([[1.0, np.inf], [np.nan, 0.0], [1.0, 2.0]])
    v = np.array([2.0, 0.5])
    a_var, v_var = T.matrix("a"), T.vector("v")
    f = cytensor.function([a_var, v_var], T.dot(a_var, v_var))
    np.testing.assert_array_equal(f(a, v), a @ v)


def test_mismatched_lengths_are_a_clear_error():
    a_var, v_var = T.matrix("a"), T.vector("v")
    f = cytensor.function([a_var, v_var], T.dot(a_var, v_var))
    with pytest.raises(ValueError, match="not aligned"):
        f(np.ones((3, 4)), np.ones(5))


@pytest.mark.parametrize("layout", ["C", "F", "transposed"])
def test_float32_gemm_makes_no_hidden_copies_or_casts(layout):
    """float32 in, float32 out, one BLAS call: the only allocation is the result
    (a copy of either 256 x 256 operand, or a cast, would double it)."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal((256, 256)).astype("float32")
    b = rng.standard_normal((256, 256)).astype("float32")
    if layout == "F":
        a, b = np.asfortranarray(a), np.asfortranarray(b)
    elif layout == "transposed":
        a, b = a.T, b.T
    a_var, b_var = T.fmatrix("a"), T.fmatrix("b")
    f = cytensor.function([a_var, b_var], T.dot(a_var, b_var))
    assert [type(node.op) for node in f.maker.fgraph.toposort()] == [Dot]
    f(a, b)
    peaks = []
    for _ in range(3):      # the least of three: a hidden copy is in every call, while
        tracemalloc.start()  # another test's leftover thread (a Dask client) allocates now and then
        try:
            got = f(a, b)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert got.dtype == np.float32
    assert min(peaks) < 1.5 * got.nbytes, peaks
    np.testing.assert_allclose(got, a.astype("float64") @ b, rtol=1e-4, atol=1e-3)
