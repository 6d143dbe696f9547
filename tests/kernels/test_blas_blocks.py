"""A product on several threads is split into blocks of its result, one BLAS
call per OpenMP thread (BLAS on one thread): the blocks' values against
NumPy over dtypes, odd shapes and layouts, Gemm's beta and an output that
aliases an input, nan/inf, and the same bits on one thread and on two."""
import contextlib

import numpy as np
import pytest
import threadpoolctl

import cytensor
import cytensor.tensor as T
from cytensor import kernels
from cytensor.kernels import _threads
from cytensor.kernels._blas import dot_matrices
from test_blas_paths import layouts, tolerance


def _scipy_blas_threads():
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas" and "scipy.libs" in lib["filepath"]]


pytestmark = pytest.mark.skipif(
    not _scipy_blas_threads() or not kernels.openmp_enabled(),
    reason="SciPy's BLAS is not OpenBLAS or the kernels lack OpenMP: no blocks")


@contextlib.contextmanager
def threads(n):
    """Every product on n threads: kernels and BLAS allowed n, no serial
    threshold, no adaptation (which could pick one thread)."""
    saved_count, saved_work = kernels.get_num_threads(), _threads._set_min_work()
    kernels.set_num_threads(n)
    _threads._set_min_work(gemm=1)
    kernels.set_adaptive_threads(False)
    try:
        with threadpoolctl.threadpool_limits(n, user_api="blas"):
            yield
    finally:
        kernels.set_adaptive_threads(True)
        _threads._set_min_work(**saved_work)
        kernels.set_num_threads(saved_count)


def on_one_and_two_threads(product, *args):
    """product(*args) on one thread and on two (the blocks), each on fresh copies."""
    results = []
    for n in (1, 2):
        with threads(n):
            results.append(product(*[x.copy(order="K") if isinstance(x, np.ndarray) else x
                                     for x in args]))
            assert _threads.threads_used()["gemm"] == n
        _threads.reset_adaptive()
    return results


def assert_blocks_agree(expected, dtype, product, *args):
    """product(*args) gives the same bits on one thread and on two, and the
    float64 ``expected`` within the dtype's tolerance."""
    one, two = on_one_and_two_threads(product, *args)
    np.testing.assert_array_equal(two, one)
    np.testing.assert_allclose(two, expected, **tolerance(dtype))


SHAPES = [  # (m, k, n): rows for two blocks (48) or not, one row or column, primes,
    # blocks that do not divide evenly
    (48, 3, 5), (97, 101, 103), (193, 64, 97), (101, 7, 1), (145, 1, 50), (300, 64, 2),
    (1, 64, 300), (47, 31, 130), (17, 31, 13), (59, 64, 29),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_blocks_match_numpy_and_one_thread(m, k, n, dtype):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    for a_name, a in layouts((m, k), dtype, rng):
        for b_name, b in layouts((k, n), dtype, rng):
            one, two = on_one_and_two_threads(kernels.dot, a, b)
            where = f"a {a_name}, b {b_name}"
            assert two.dtype == dtype and two.shape == (m, n), where
            np.testing.assert_array_equal(two, one, err_msg=where)
            np.testing.assert_allclose(two, a.astype("float64") @ b, **tolerance(dtype),
                                       err_msg=where)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", ["C", "F", "strided"])
def test_gemm_blocks_with_beta(order, dtype):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((131, 45)).astype(dtype)
    b = rng.standard_normal((45, 113)).astype(dtype)
    c0 = rng.standard_normal((131 * 2, 113)).astype(dtype)
    c = c0[::2] if order == "strided" else np.array(c0[:131], order=order)
    expected = 0.5 * (a.astype("float64") @ b) - 1.5 * c
    assert_blocks_agree(expected, dtype, kernels.gemm, 0.5, a, b, -1.5, c)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lean_product_blocks_with_beta(dtype):
    """The Dot and Gemm ops' path (dot_matrices) writing into its output."""
    rng = np.random.default_rng(6)
    a = rng.standard_normal((141, 90)).astype(dtype)
    b = np.asfortranarray(rng.standard_normal((90, 75)).astype(dtype))
    out = rng.standard_normal((141, 75)).astype(dtype)
    expected = 2.0 * (a.astype("float64") @ b) + 0.25 * out
    assert_blocks_agree(expected, dtype, dot_matrices, a, b, out, 2.0, 0.25)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_blocks_with_the_output_aliasing_an_input(dtype):
    rng = np.random.default_rng(7)
    c = rng.standard_normal((120, 120)).astype(dtype)
    b = rng.standard_normal((120, 120)).astype(dtype)
    expected = c.astype("float64") @ b + c
    assert_blocks_agree(expected, dtype, lambda c, b: kernels.gemm(1.0, c, b, 1.0, c), c, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_and_inf_in_any_block_follow_numpy(dtype):
    a = np.ones((140, 30), dtype)
    b = np.ones((30, 36), dtype)
    a[3, 2] = np.nan            # a row of the first block
    a[137, 0] = np.inf          # a row of the last
    b[1, 35] = -np.inf          # a column
    one, two = on_one_and_two_threads(kernels.dot, a, b)
    np.testing.assert_array_equal(two, one)
    with np.errstate(invalid="ignore"):     # inf - inf
        expected = a @ b
    np.testing.assert_array_equal(two, expected)
    assert np.isnan(two[3]).all() and np.isnan(two[137, 35])


def test_compiled_dot_on_two_threads():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((170, 33)).astype("float32")
    b = rng.standard_normal((33, 61)).astype("float32")
    a_var, b_var = T.fmatrix("a"), T.fmatrix("b")
    f = cytensor.function([a_var, b_var], T.dot(a_var, b_var))
    one, two = on_one_and_two_threads(f, a, b)
    np.testing.assert_array_equal(two, one)
    np.testing.assert_allclose(two, a.astype("float64") @ b, **tolerance("float32"))


def test_blocks_put_blas_s_count_back():
    a = np.ones((128, 64), "float32")
    with threads(2):
        before = _scipy_blas_threads()
        kernels.dot(a, a.T)
        assert _scipy_blas_threads() == before == [2]


def test_kernels_limited_to_one_thread_leave_the_product_to_blas_s_threads():
    """With the kernels limited to one thread (threadpoolctl's openmp limit,
    openmp_threads) the product makes no blocks: BLAS keeps its own count."""
    a = np.ones((128, 128), "float64")
    with threads(2):
        _threads.reset_adaptive()
        with threadpoolctl.threadpool_limits(1, user_api="openmp"):
            np.testing.assert_array_equal(kernels.dot(a, a), a @ a)
            assert _scipy_blas_threads() == [2]
        assert _threads.threads_used()["gemm"] == 2
        assert _scipy_blas_threads() == [2]
