"""The hand-written CUDA kernels (backends/cuda/kernels.py), run on the host.

The kernels' text is compiled with the host's C++ compiler into a shared
library, CUDA's names defined for the host: a grid-stride kernel runs as
one block of one thread, which loops over every element; a row kernel of
the softmax family runs each row's block as that many host threads, each
with its own ``threadIdx``, ``__syncthreads()`` a barrier and the
``__shared__`` array shared by them.  So each kernel's arithmetic, indexing
and (for the rows) shared-memory folds run as on a device, against the
ops' NumPy references and the CPU kernels (im2col and col2im exactly, in
the same order of sums).  What it cannot check is the device's libm and
CuPy's launch, which the tests marked ``cuda`` run.
"""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from cytensor.backends.cuda import kernels
from cytensor.kernels import _nnet
from cytensor.tensor.nnet.basic import (CrossentropyCategorical1Hot,
                                        CrossentropyCategorical1HotGrad, CrossentropySoftmax1Hot,
                                        CrossentropySoftmax1HotDx, Softmax, SoftmaxGrad)
from cytensor.tensor.nnet.conv import Conv2d
from cytensor.tensor.signal.pool import MaxPoolGradGrad, Pool, PoolGrad

CXX = shutil.which("g++") or shutil.which("c++")
pytestmark = pytest.mark.skipif(CXX is None, reason="no C++ compiler (g++) on this machine")

# CUDA's names on the host: threads of a block are host threads
HOST_SHIM = r"""
#include <algorithm>
#include <barrier>
#include <cmath>
#include <thread>
#include <vector>
#define __host__
#define __device__
#define __global__
#define __shared__ static
using std::min;
using std::max;
struct cyt_dim3 { unsigned x; };
static thread_local cyt_dim3 threadIdx = {0}, blockIdx = {0}, blockDim = {1};
static cyt_dim3 gridDim = {1};
static std::barrier<> *cyt_barrier = nullptr;
static inline void __syncthreads() { if (cyt_barrier) cyt_barrier->arrive_and_wait(); }
extern "C" void cyt_set_block(unsigned block) { blockIdx.x = block; }
/* run block ``block`` as ``threads`` host threads */
template <typename F> void cyt_run_block(unsigned block, unsigned threads, F run) {
    std::barrier<> barrier(threads);
    cyt_barrier = &barrier;
    std::vector<std::thread> team;
    for (unsigned t = 0; t < threads; t++)
        team.emplace_back([=] {
            threadIdx.x = t, blockIdx.x = block, blockDim.x = threads;
            run();
        });
    for (auto &member : team) member.join();
    cyt_barrier = nullptr;
}
"""
ROW_KERNELS = ("softmax_rows", "softmax_grad_rows", "crossentropy_softmax_rows")


def row_launcher(kernel, dtype):
    """``host_<name>(params, threads)``: every row's block of a row kernel."""
    name = kernels.kernel_name(kernel, dtype)
    params = kernels.KERNELS[kernel].replace("T *", f"{kernels.KERNEL_DTYPES[dtype]} *")
    args = ", ".join(p.split()[-1].lstrip("*") for p in params.split(","))
    return (f'extern "C" void host_{name}({params}, I threads) {{\n'
            "    for (I b = 0; b < rows; b++)\n"
            f"        cyt_run_block(b, threads, [&] {{ {name}({args}); }});\n"
            "}\n")


CXX_FLAGS = ["-std=c++20", "-pthread", "-O1", "-ffp-contract=off", "-shared", "-fPIC"]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cuda_kernels_host")
    (folder / "probe.cpp").write_text("#include <barrier>\nstd::barrier<> b(1);\n")
    if subprocess.run([CXX, *CXX_FLAGS, "-o", "probe.so", "probe.cpp"], cwd=folder,
                      capture_output=True).returncode:
        pytest.skip(f"{CXX} has no C++20 std::barrier (the host threads of a block)")
    launchers = "".join(row_launcher(k, d) for k in ROW_KERNELS for d in kernels.KERNEL_DTYPES)
    (folder / "kernels.cpp").write_text(HOST_SHIM + kernels.SOURCE + launchers)
    result = subprocess.run([CXX, *CXX_FLAGS, "-o", "kernels.so", "kernels.cpp"], cwd=folder,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    return ctypes.CDLL(str(folder / "kernels.so"))


class Kernel:
    """One instantiation, called as the backend launches it (arrays contiguous,
    integers as long long)."""

    def __init__(self, library, kernel, dtype):
        self.library, self.name = library, kernels.kernel_name(kernel, dtype)

    @staticmethod
    def arguments(args):
        for a in args:
            if isinstance(a, np.ndarray):
                assert a.flags.c_contiguous
                yield ctypes.c_void_p(a.ctypes.data)
            else:
                yield ctypes.c_longlong(int(a))

    def grid(self, *args):
        """A grid-stride kernel: one block of one thread."""
        self.library.cyt_set_block(0)
        getattr(self.library, self.name)(*self.arguments(args))

    def rows(self, threads, rows, cols, *args):
        """A row kernel: a block of ``threads`` per row."""
        getattr(self.library, f"host_{self.name}")(*self.arguments((*args, rows, cols, threads)))


DTYPES = [("float32", 2e-6), ("float64", 1e-14)]


def special_rows(dtype, rng):
    x = (rng.standard_normal((6, 37)) * 5).astype(dtype)
    x[1, 3] = np.nan
    x[2, :] = -np.inf
    x[3, 5] = np.inf
    x[4, :] = 1e30                                  # exp overflows unshifted
    return x


THREADS = [1, 32, 256]        # one thread, a warp, ROW_BLOCK (rows of 37 and 130)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_softmax_rows_give_the_reference(library, dtype, rtol, log, threads):
    x = special_rows(dtype, np.random.default_rng(0))
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        Kernel(library, "softmax_rows", dtype).rows(threads, *x.shape, x, out, int(log))
        (want,) = Softmax(-1, log).reference(None, x)
    np.testing.assert_allclose(out, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_softmax_grad_rows_give_the_reference(library, dtype, rtol, log, threads):
    rng = np.random.default_rng(1)
    (y,) = Softmax(-1, log).reference(None, rng.standard_normal((5, 130)).astype(dtype))
    dy = rng.standard_normal(y.shape).astype(dtype)
    out = np.empty_like(y)
    Kernel(library, "softmax_grad_rows", dtype).rows(threads, *y.shape, dy, y, out, int(log))
    np.testing.assert_allclose(out, SoftmaxGrad(-1, log).reference(None, dy, y)[0], rtol=rtol,
                               atol=rtol)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_the_crossentropy_of_a_softmax_and_its_gradient_give_the_reference(library, dtype, rtol,
                                                                            threads):
    rng = np.random.default_rng(2)
    x = special_rows(dtype, rng)[[0, 3, 4, 5]]
    labels = rng.integers(0, x.shape[1], len(x)).astype(np.int64)
    labels[1] = 5                                   # the row's +inf
    nll, sm = np.empty(len(x), dtype), np.empty_like(x)
    with np.errstate(all="ignore"):
        Kernel(library, "crossentropy_softmax_rows", dtype).rows(threads, *x.shape, x, labels,
                                                                  nll, sm)
        want_nll, want_sm = CrossentropySoftmax1Hot().reference(None, x, labels)
    np.testing.assert_allclose(nll, want_nll, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(sm, want_sm, rtol=rtol, atol=rtol)
    g = rng.standard_normal(len(x)).astype(dtype)
    dx = np.empty_like(x)
    with np.errstate(all="ignore"):
        Kernel(library, "crossentropy_softmax_dx", dtype).grid(g, sm, labels, dx, *x.shape)
        (want,) = CrossentropySoftmax1HotDx().reference(None, g, sm, labels)
    np.testing.assert_array_equal(dx, want)         # the same two steps: exact


@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_the_crossentropy_of_probabilities_and_its_gradient_give_the_reference(library, dtype,
                                                                               rtol):
    rng = np.random.default_rng(10)
    p = rng.random((7, 11)).astype(dtype)
    p[2, :] = 0                                     # -log(0) = inf, and g / 0
    labels = rng.integers(0, 11, len(p)).astype(np.int64)
    nll, g = np.empty(len(p), dtype), rng.standard_normal(len(p)).astype(dtype)
    with np.errstate(all="ignore"):
        Kernel(library, "crossentropy_1hot", dtype).grid(p, labels, nll, *p.shape)
        (want,) = CrossentropyCategorical1Hot().reference(None, p, labels)
        np.testing.assert_allclose(nll, want, rtol=rtol)     # libm's log and NumPy's
        out = np.full_like(p, np.nan)
        Kernel(library, "crossentropy_1hot_grad", dtype).grid(g, p, labels, out, *p.shape)
        (want,) = CrossentropyCategorical1HotGrad().reference(None, g, p, labels)
    np.testing.assert_array_equal(out, want)        # one division: exact


POOLS = [dict(ws=(2, 2), ignore_border=True), dict(ws=(3, 2), ignore_border=False),
         dict(ws=(3, 3), stride=(2, 1), ignore_border=False),
         dict(ws=(3, 3), stride=(2, 2), pad=(1, 2), ignore_border=True),
         dict(ws=(2, 3), stride=(1, 1), pad=(1, 1), ignore_border=True)]


@pytest.mark.parametrize("mode", list(kernels.POOL_MODES))
@pytest.mark.parametrize("params", POOLS)
@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_pooling_and_its_gradient_give_the_reference(library, dtype, rtol, params, mode):
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (2, 3, 7, 8)).astype(dtype)   # ties: max's gradient goes to each
    x[0, 0, 1, 1] = np.nan
    op, grad_op = Pool(mode=mode, **params), PoolGrad(mode=mode, **params)
    images = x.reshape(-1, *x.shape[-2:])
    out = np.empty(x.shape[:-2] + op.out_shape(x.shape), dtype)
    Kernel(library, "pool", dtype).grid(images, out, len(images), *x.shape[-2:],
                                        *out.shape[-2:], *op.window_args(),
                                        kernels.POOL_MODES[mode])
    (want,) = op.reference(None, x)
    np.testing.assert_allclose(out, want, rtol=rtol)
    gz = rng.standard_normal(out.shape).astype(dtype)
    gx = np.empty_like(x)
    Kernel(library, "pool_grad", dtype).grid(images, out, gz, gx, len(images), *x.shape[-2:],
                                             *out.shape[-2:], *op.window_args(),
                                             kernels.POOL_MODES[mode])
    np.testing.assert_allclose(gx, grad_op.reference(None, x, out, gz)[0], rtol=rtol,
                               atol=rtol)


@pytest.mark.parametrize("params", POOLS)
@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_max_poolings_second_derivative_gives_the_cpu_ops(library, dtype, rtol, params):
    """Against the CPU kernel (the same sums in the same order, so exactly),
    and the reference where ggx is finite (it multiplies: nan * 0 is nan)."""
    rng = np.random.default_rng(11)
    x = rng.integers(-3, 4, (2, 3, 7, 8)).astype(dtype)   # ties: each adds
    x[0, 0, 1, 1] = np.nan
    ggx = rng.standard_normal(x.shape).astype(dtype)
    op = MaxPoolGradGrad(**params)
    (out,) = Pool(**params).reference(None, x)
    images = x.reshape(-1, *x.shape[-2:])
    ggz = np.full_like(out, np.nan)
    Kernel(library, "pool_max_grad_grad", dtype).grid(images, out, ggx, ggz, len(images),
                                                      *x.shape[-2:], *out.shape[-2:],
                                                      *op.window_args())
    storage = [None]
    op.perform(None, [x, out, ggx], [storage])
    np.testing.assert_array_equal(ggz, storage[0])
    np.testing.assert_allclose(ggz, op.reference(None, x, out, ggx)[0], rtol=rtol, atol=rtol)
    ggx[0, 0, 2, 2] = np.nan                # added only where that pixel is a maximum
    op.perform(None, [x, out, ggx], [storage])
    Kernel(library, "pool_max_grad_grad", dtype).grid(images, out, ggx, ggz, len(images),
                                                      *x.shape[-2:], *out.shape[-2:],
                                                      *op.window_args())
    np.testing.assert_array_equal(ggz, storage[0])


CONVS = [dict(), dict(border_mode="full"), dict(border_mode="half", subsample=(2, 1)),
         dict(border_mode=(1, 2), filter_dilation=(2, 1)),
         dict(subsample=(2, 3), filter_dilation=(1, 2), num_groups=3)]


def conv_taps(g):
    return [g[k] for k in ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "oh", "ow")]


@pytest.mark.parametrize("params", CONVS)
@pytest.mark.parametrize("dtype,rtol", DTYPES)
def test_im2col_and_col2im_give_the_cpu_kernels_matrices(library, dtype, rtol, params):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 3, 9, 10)).astype(dtype)
    op = Conv2d(**params)
    g = op.geometry(x.shape, (6, 3 // op.num_groups, 3, 2), "conv2d")
    n0, nc = 1, 2
    cols = np.empty((3 * g["kh"] * g["kw"], nc * g["oh"] * g["ow"]), dtype)
    Kernel(library, "im2col", dtype).grid(x, cols, n0, nc, *x.shape[1:], *conv_taps(g))
    np.testing.assert_array_equal(cols, op.im2col(x, n0, nc, g))
    back = rng.standard_normal(cols.shape).astype(dtype)
    gx, want = np.full_like(x, np.nan), np.full_like(x, np.nan)
    Kernel(library, "col2im", dtype).grid(back, gx, n0, nc, *x.shape[1:], *conv_taps(g))
    _nnet.col2im(back, want, n0, nc, *conv_taps(g), 1)
    np.testing.assert_array_equal(gx, want)        # the same sums in the same order
