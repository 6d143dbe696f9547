"""conv2d's image-by-image kernels at layer sizes whose products are larger
than OpenBLAS's threading threshold (the kernels then lower BLAS to one
thread and multiply whole images): forward and both gradients against the
NumPy references, float32 and float64, strides 1 and 2, every border mode,
one image, one channel, images whose im2col is taken in bands of output
rows, odd channel counts per group, 1x1 filters, images smaller than the
filter ('full'), non-contiguous inputs, nan/inf; BLAS's thread count is put
back."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad

threadpoolctl = pytest.importorskip("threadpoolctl")

PY = theano.Mode(linker="py")
TOL = {"float32": dict(rtol=3e-4, atol=3e-4), "float64": dict(rtol=1e-10, atol=1e-10)}


def layer_functions(dtype, **kw):
    """(forward + both gradients with the kernels, the same with the references)."""
    x, w, gy = T.tensor4(dtype=dtype), T.tensor4(dtype=dtype), T.tensor4(dtype=dtype)
    y = T.nnet.conv2d(x, w, **kw)
    cost = (y * gy).sum()
    outs = [y] + theano.grad(cost, [x, w])
    return (theano.function([x, w, gy], outs), theano.function([x, w, gy], outs, mode=PY),
            theano.function([x, w], y))


@pytest.mark.parametrize("shape_x, shape_w, kw", [
    ((8, 16, 12, 12), (48, 16, 3, 3), dict(border_mode="half")),         # threads, big GEMMs
    ((16, 16, 13, 11), (48, 16, 3, 3), dict(border_mode="valid", subsample=(2, 2))),
    ((6, 12, 9, 10), (64, 12, 3, 3), dict(border_mode="full", subsample=(1, 2))),
    ((6, 12, 9, 10), (40, 12, 3, 3), dict(border_mode=(2, 1), filter_flip=False)),
    ((1, 16, 12, 12), (48, 16, 3, 3), dict(border_mode="half")),         # one image
    ((12, 1, 28, 28), (300, 1, 5, 5), {}),                               # one channel
    ((8, 12, 10, 10), (96, 4, 3, 3), dict(num_groups=3, subsample=(2, 1))),
    ((2, 32, 40, 37), (8, 32, 3, 3), dict(border_mode="half")),          # im2col in bands of rows
    ((2, 32, 41, 40), (8, 32, 3, 3), dict(border_mode=(1, 2), subsample=(2, 1))),  # a short last band
    # the filters' gradient summed per group, transposed (odd counts per group)
    ((5, 15, 11, 9), (21, 5, 3, 3), dict(num_groups=3, border_mode="half")),
    ((3, 32, 16, 16), (64, 16, 3, 3), dict(num_groups=2, border_mode="half")),
    ((1, 6, 8, 8), (10, 3, 3, 3), dict(num_groups=2, border_mode="half",
                                       filter_dilation=(2, 1))),               # one image
    ((4, 7, 9, 13), (5, 7, 1, 1), {}),                                   # 1x1 filters
    ((3, 4, 2, 3), (6, 4, 5, 5), dict(border_mode="full")),              # image < filter
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_layers_match_references(shape_x, shape_w, kw, dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape_x).astype(dtype)
    w = rng.standard_normal(shape_w).astype(dtype)
    fast, ref, forward = layer_functions(dtype, **kw)
    gy = rng.standard_normal(forward(x, w).shape).astype(dtype)
    for got, want in zip(fast(x, w, gy), ref(x, w, gy)):
        assert got.dtype == dtype and got.shape == want.shape
        scale = np.abs(want).max() + 1
        np.testing.assert_allclose(got, want, rtol=TOL[dtype]["rtol"],
                                   atol=TOL[dtype]["atol"] * scale)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_non_contiguous_inputs(dtype):
    """Strided, reversed and Fortran-ordered images, filters and output
    gradients give the references' results."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((6, 10, 14, 22)).astype(dtype)[::2, :, ::-1, ::2]
    w = np.asfortranarray(rng.standard_normal((12, 10, 3, 3)).astype(dtype))
    fast, ref, forward = layer_functions(dtype, border_mode="half")
    gy = rng.standard_normal((3, 12, 14, 11)).astype(dtype).transpose(0, 1, 3, 2).copy() \
        .transpose(0, 1, 3, 2)
    assert not (x.flags.c_contiguous or w.flags.c_contiguous or gy.flags.c_contiguous)
    for got, want in zip(fast(x, w, gy), ref(x, w, gy)):
        np.testing.assert_allclose(got, want, rtol=TOL[dtype]["rtol"],
                                   atol=TOL[dtype]["atol"] * (np.abs(want).max() + 1))


def test_nan_and_inf_reach_the_pixels_they_touch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 16, 10, 10))
    x[0, 3, 4, 4], x[5, 0, 0, 9] = np.nan, np.inf
    w = rng.standard_normal((48, 16, 3, 3))
    fast, ref, forward = layer_functions("float64", border_mode="half")
    gy = rng.standard_normal(forward(x, w).shape)
    for got, want in zip(fast(x, w, gy), ref(x, w, gy)):
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.array_equal(np.isinf(got), np.isinf(want))
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-10, atol=1e-9)


def _scipy_blas_threads():
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas" and "scipy.libs" in lib["filepath"]]


def test_blas_thread_count_is_put_back():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((8, 16, 12, 12)).astype("float32")
    w = rng.standard_normal((48, 16, 3, 3)).astype("float32")
    fast, _, forward = layer_functions("float32", border_mode="half")
    gy = forward(x, w)
    before = _scipy_blas_threads()
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        limited = _scipy_blas_threads()
        fast(x, w, gy)
        assert _scipy_blas_threads() == limited
    fast(x, w, gy)
    assert _scipy_blas_threads() == before


@pytest.mark.parametrize("kw", [dict(border_mode="half"), dict(subsample=(2, 2))])
def test_verify_grad_small_layers(kw):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    verify_grad(lambda x, w: T.nnet.conv2d(x, w, **kw), [x, w])


@pytest.mark.parametrize("threads", [1, 2])
def test_filter_gradient_partial_sums_are_repeatable(threads):
    """13 images (not a multiple of the partial sums' runs): the filters'
    gradient matches the reference and is the same bits on every call,
    whichever thread takes which run."""
    from cytensor import kernels
    before = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    try:
        rng = np.random.default_rng(9)
        x = rng.standard_normal((13, 16, 12, 12)).astype("float32")
        w = rng.standard_normal((48, 16, 3, 3)).astype("float32")
        fast, ref, forward = layer_functions("float32", border_mode="half")
        gy = rng.standard_normal(forward(x, w).shape).astype("float32")
        first, want = fast(x, w, gy)[2].copy(), ref(x, w, gy)[2]
        np.testing.assert_allclose(first, want, rtol=3e-4, atol=3e-4 * (np.abs(want).max() + 1))
        for _ in range(5):
            assert np.array_equal(fast(x, w, gy)[2], first)
    finally:
        kernels.set_num_threads(before)


def test_filter_gradient_parts_bounds():
    from cytensor.kernels import _nnet
    assert _nnet.conv_weight_parts(13, 48, 144, 144, 1, 4, 1) == 1
    parts = _nnet.conv_weight_parts(13, 48, 144, 144, 1, 4, 2)
    assert 1 <= parts <= 13
    assert _nnet.conv_weight_parts(1, 48, 144, 144, 1, 4, 2) == 1
