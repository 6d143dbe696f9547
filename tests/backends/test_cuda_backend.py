"""The CuPy backend: what is checked here, and what needs a GPU (marked ``cuda``).

Here: the module imports without a GPU (and its import of CuPy is guarded),
``device=cuda`` says what is missing, the table names real ops, and the
kernels it would hand to CuPy are built from the generated text (CuPy
parses their parameters without a device).  On a GPU (``-m cuda``): every
generated elementwise program of test_cuda_codegen.py runs on the device
and must give the CPU kernels' results (bit for bit where no libm function
is called), reductions over axes and dtypes, products, the hand-written
kernels (softmax, crossentropy, pooling, convolutions and their gradients)
and a small training step on device=cuda against the CPU.
"""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.backends.cuda import backend as cuda_backend, codegen
from cytensor.compile.devices import BackendUnavailable, get_backend
from cytensor.compile.lowering import lower
from cytensor.graph import Op
from cytensor.tensor.elemwise import Elemwise
from cytensor.tensor.math import FusedReduce

from cytensor.backends.cuda.prelude import PRELUDE
from test_cuda_codegen import assert_same, calls_libm, cast_cases, cpu_vm, device_kernels, \
    fused_cases, narrowest_float, program_functions, row_cases

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install cupy-cuda12x)")


def test_without_a_gpu_device_cuda_names_what_is_missing():
    try:
        cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:
        with pytest.raises(BackendUnavailable, match="device=cuda: no CUDA device"):
            get_backend("cuda")
    else:
        pytest.skip("this machine has a CUDA device")


def test_the_table_holds_op_classes_and_each_row_is_a_function():
    for op, make in cuda_backend.CudaBackend.implementations.items():
        assert issubclass(op, Op) and op is not Op, op
        assert callable(make)


def test_cupy_accepts_the_generated_kernels_parameters():
    """Building the kernels parses their parameter lists (no device needed)."""
    lowered = lower(Elemwise.from_row("add").program, ("float32", "int8"), ("float32",))
    parts = codegen.elementwise_kernel(lowered, ("float32", "int8"))
    cupy.ElementwiseKernel(**parts, options=cuda_backend.KERNEL_OPTIONS)
    for op, acc in (("sum", "float64"), ("max", "float32"), ("prod", "float64")):
        parts = codegen.reduction_kernel(lowered, ("float32", "int8"), op, acc, "float32")
        cupy.ReductionKernel(**parts, options=cuda_backend.KERNEL_OPTIONS)


def test_a_float16_program_is_left_to_the_cpu():
    lowered = lower(Elemwise.from_row("exp").program, ("float16",), ("float16",))
    with pytest.raises(codegen.NotGenerated, match="float16"):
        codegen.elementwise_kernel(lowered, ("float16",))


def test_the_cuda_table_runs_every_node_of_a_convolutional_training_step(plugins):
    """conv2d, pooling, softmax crossentropy and their gradients (what the
    hand-written kernels run): no node of the step would go to the CPU."""
    from cytensor.tensor.signal.pool import MaxPoolGradGrad, pool_2d
    from test_device_inner_graphs import cuda_refusals
    x, w, y = T.ftensor4("x"), T.ftensor4("w"), T.ivector("y")
    h = pool_2d(T.tanh(T.nnet.conv2d(x, w, border_mode="half")), (2, 2), ignore_border=True)
    logits = h.flatten(2)
    losses = [T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(logits), y)),
              T.sum(T.nnet.log_softmax(logits)),
              T.sum(pool_2d(h, (2, 2), ignore_border=True, mode="average_exc_pad")),
              T.sum(T.nnet.crossentropy_categorical_1hot(T.nnet.sigmoid(logits), y)),
              T.sum(MaxPoolGradGrad((2, 2), ignore_border=True)(h, pool_2d(h, (2, 2), True), h))]
    with theano.config.change_flags(device="ref"):
        f = theano.function([x, w, y], [*losses, *theano.grad(sum(losses), [x, w])])
    ops = {type(node.op).__name__ for node in f.schedule.nodes}
    assert {"Conv2d", "Conv2dGradInputs", "Conv2dGradWeights", "Pool", "PoolGrad", "Softmax",
            "SoftmaxGrad", "CrossentropySoftmax1Hot", "CrossentropySoftmax1HotDx",
            "CrossentropyCategorical1Hot", "CrossentropyCategorical1HotGrad",
            "MaxPoolGradGrad"} <= ops
    assert cuda_refusals(f) == {}


def test_a_float16_crossentropy_is_left_to_the_cpu():
    """Its kernels take float32 and float64, its references NumPy's indexing."""
    cuda = cuda_backend.CudaBackend.__new__(cuda_backend.CudaBackend)
    for dtype in ("float16", "float32"):
        x, y = T.matrix("x", dtype=dtype), T.lvector("y")
        for out in (T.nnet.crossentropy_softmax_1hot(x, y)[0],
                    T.nnet.crossentropy_categorical_1hot(x, y)):
            why = cuda.cannot_run(out.owner)
            if dtype == "float16":
                assert why == "the crossentropy kernels take float32 and float64, not float16"
            else:
                assert why is None, why


# ---------------------------------------------------------------------------
# On a GPU
# ---------------------------------------------------------------------------

@pytest.fixture
def gpu():
    return get_backend("cuda")


def all_cases():
    return row_cases() + cast_cases() + fused_cases()


def assert_as_on_the_cpu(case, outputs):
    """The device's libm against glibc's: a few ulps; everything else exact."""
    ulps = 4 if calls_libm(case) else 0
    for got, want in zip(outputs, cpu_vm(case)):
        assert_same(cupy.asnumpy(got), want, case.label, ulps, ulp_dtype=narrowest_float(case))


@pytest.mark.cuda
def test_every_generated_program_gives_the_cpu_kernels_results_on_the_device():
    """All of them in one module (one NVRTC compile), a kernel each."""
    cases = all_cases()
    module = cupy.RawModule(code=PRELUDE + program_functions(cases) + device_kernels(cases),
                            options=cuda_backend.KERNEL_OPTIONS)
    for k, case in enumerate(cases):
        n = len(case.inputs[0])
        inputs = [cupy.asarray(x) for x in case.inputs]
        outputs = [cupy.empty(n, d) for d in case.lowered.out_dtypes]
        module.get_function(f"kernel_{k}")(((n + 127) // 128,), (128,),
                                           (*inputs, *outputs, np.int64(n)))
        assert_as_on_the_cpu(case, outputs)


@pytest.mark.cuda
def test_the_elementwise_kernels_cupy_runs_give_the_cpu_kernels_results(gpu):
    """One case in twenty through CuPy's ElementwiseKernel, as the backend runs them."""
    for case in all_cases()[::20]:
        kernel = gpu.kernel(codegen.elementwise_kernel, case.lowered, case.in_dtypes)
        inputs = [cupy.asarray(x) for x in case.inputs]
        outputs = [cupy.empty(len(case.inputs[0]), d) for d in case.lowered.out_dtypes]
        kernel(*inputs, *outputs)
        assert_as_on_the_cpu(case, outputs)


@pytest.mark.cuda
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "all", "any"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64", "uint8", "bool"])
def test_reductions_on_the_device_give_the_cpus(op, dtype):
    x = T.tensor3("x", dtype=dtype)
    rng = np.random.default_rng(0)
    value = (rng.standard_normal((3, 4, 5)) * 5).astype(dtype)
    outputs = [getattr(T, op)(x, axis=axis) for axis in (None, 0, (0, 2), 2)]
    on_cpu = theano.function([x], outputs)(value)
    with theano.config.change_flags(device="cuda"):
        on_gpu = theano.function([x], outputs)(value)
    for got, want in zip(on_gpu, on_cpu):
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.cuda
def test_a_fused_reduction_runs_as_one_device_kernel():
    a, b = T.fmatrices("a", "b")
    out = ((a - b) ** 2).sum(axis=1)
    with theano.config.change_flags(device="cuda"):
        f = theano.function([a, b], out)
    assert any(isinstance(n.op, FusedReduce) for n in f.maker.fgraph.toposort())
    rng = np.random.default_rng(1)
    x, y = (rng.standard_normal((7, 300)).astype("float32") for _ in range(2))
    np.testing.assert_allclose(f(x, y), ((x - y) ** 2).sum(axis=1), rtol=1e-5)


@pytest.mark.cuda
def test_an_empty_max_on_the_device_is_an_error():
    x = T.fmatrix("x")
    with theano.config.change_flags(device="cuda"):
        f = theano.function([x], T.max(x, axis=0))
    with pytest.raises(ValueError, match="zero-size"):
        f(np.zeros((0, 3), "float32"))


@pytest.mark.cuda
def test_an_sgd_step_on_the_device_gives_the_cpus_numbers():
    rng = np.random.default_rng(2)
    W0 = (rng.standard_normal((20, 5)) * 0.1).astype("float32")
    x_value = rng.standard_normal((16, 20)).astype("float32")
    y_value = rng.integers(0, 5, 16).astype("int32")

    def step(device):
        with theano.config.change_flags(device=device):
            W = theano.shared(W0.copy())
            x, y = T.fmatrix("x"), T.ivector("y")
            loss = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(x, W)), y))
            f = theano.function([x, y], loss, updates=[(W, W - np.float32(0.1) *
                                                        theano.grad(loss, W))])
            losses = [f(x_value, y_value) for _ in range(3)]
        return losses, W.get_value()

    (cpu_losses, cpu_W), (gpu_losses, gpu_W) = step("cpu"), step("cuda")
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5)
    np.testing.assert_allclose(gpu_W, cpu_W, rtol=1e-5, atol=1e-7)


def cpu_and_gpu(inputs, outputs, values):
    """The results of one graph compiled for the CPU and for device=cuda."""
    on_cpu = theano.function(inputs, outputs)(*values)
    with theano.config.change_flags(device="cuda"):
        on_gpu = theano.function(inputs, outputs)(*values)
    return on_cpu, on_gpu


@pytest.mark.cuda
def test_convolution_pooling_and_their_gradients_on_the_device_give_the_cpus():
    from cytensor.tensor.signal.pool import pool_2d
    rng = np.random.default_rng(3)
    x, w = T.ftensor4("x"), T.ftensor4("w")
    out = pool_2d(T.tanh(T.nnet.conv2d(x, w, border_mode="half")), (2, 2), ignore_border=True)
    loss = (out ** 2).sum()
    values = [rng.standard_normal((2, 3, 9, 8)).astype("float32"),
              rng.standard_normal((4, 3, 3, 3)).astype("float32")]
    on_cpu, on_gpu = cpu_and_gpu([x, w], [out, *theano.grad(loss, [x, w])], values)
    for got, want in zip(on_gpu, on_cpu):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
def test_indexing_on_the_device_gives_the_cpus():
    x = T.fmatrix("x")
    value = np.arange(20, dtype="float32").reshape(4, 5)
    outputs = [x[1:3, ::-2], x[2], T.inc_subtensor(x[:, 1:3], 1.0), T.set_subtensor(x[0], 7.0)]
    on_cpu, on_gpu = cpu_and_gpu([x], outputs, [value])
    for got, want in zip(on_gpu, on_cpu):
        np.testing.assert_array_equal(got, want)


@pytest.mark.cuda
def test_a_label_out_of_range_on_the_device_is_an_error_naming_it():
    x, y = T.fmatrix("x"), T.ivector("y")
    with theano.config.change_flags(device="cuda"):
        f = theano.function([x, y], T.nnet.categorical_crossentropy(T.nnet.softmax(x), y))
    with pytest.raises(ValueError, match="label 3 at position 1"):
        f(np.zeros((2, 3), "float32"), np.array([0, 3], "int32"))


# The hand-written kernels (backends/cuda/kernels.py) against the CPU, over
# the geometries of test_cuda_kernels_on_host.py (which runs them on the host).

TOLERANCES = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def assert_like_the_cpus(on_gpu, on_cpu, dtype):
    for got, want in zip(on_gpu, on_cpu):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, **TOLERANCES[dtype])


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_log_softmax_and_their_gradients_on_the_device_give_the_cpus(dtype, axis):
    rng = np.random.default_rng(5)
    x = T.tensor3("x", dtype=dtype)
    value = (rng.standard_normal((3, 300, 7)) * 4).astype(dtype)    # rows longer than a block
    value[0, 1, 2] = np.nan
    outputs = []
    for f in (T.nnet.softmax, T.nnet.log_softmax):
        y = f(x, axis=axis)
        outputs += [y, theano.grad((y * np.arange(7, dtype=dtype)).sum(), x)]
    with np.errstate(all="ignore"):
        on_cpu, on_gpu = cpu_and_gpu([x], outputs, [value])
    assert_like_the_cpus(on_gpu, on_cpu, dtype)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_crossentropy_family_and_its_gradients_on_the_device_give_the_cpus(dtype):
    rng = np.random.default_rng(6)
    x, y, g = T.matrix("x", dtype=dtype), T.lvector("y"), T.vector("g", dtype=dtype)
    nll, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    dx = T.nnet.CrossentropySoftmax1HotDx()(g, sm, y)
    values = [(rng.standard_normal((33, 1000)) * 3).astype(dtype),
              rng.integers(0, 1000, 33), rng.standard_normal(33).astype(dtype)]
    p = T.nnet.sigmoid(x) / T.nnet.sigmoid(x).sum(axis=1, keepdims=True)
    probabilities = T.nnet.crossentropy_categorical_1hot(p, y)
    outputs = [nll, sm, dx, theano.grad(nll.sum(), x), probabilities,
               theano.grad((g * probabilities).sum(), x)]
    on_cpu, on_gpu = cpu_and_gpu([x, y, g], outputs, values)
    assert_like_the_cpus(on_gpu, on_cpu, dtype)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
def test_pooling_and_its_gradient_in_every_mode_on_the_device_give_the_cpus(dtype, mode):
    from cytensor.tensor.signal.pool import pool_2d
    from test_cuda_kernels_on_host import POOLS
    rng = np.random.default_rng(7)
    x = T.tensor4("x", dtype=dtype)
    value = rng.integers(-3, 4, (2, 3, 7, 8)).astype(dtype)       # ties
    outputs = []
    for params in POOLS:
        out = pool_2d(x, mode=mode, **params)
        outputs += [out, theano.grad((out * out).sum(), x)]
    on_cpu, on_gpu = cpu_and_gpu([x], outputs, [value])
    assert_like_the_cpus(on_gpu, on_cpu, dtype)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_poolings_second_derivative_on_the_device_gives_the_cpus(dtype):
    """MaxPoolGradGrad over partial windows, padding, ties and a nan, of x
    in Fortran order (made contiguous) and ggx reversed (strided)."""
    from cytensor.tensor.signal.pool import MaxPoolGradGrad, pool_2d
    from test_cuda_kernels_on_host import POOLS
    rng = np.random.default_rng(12)
    x, ggx = T.tensor4("x", dtype=dtype), T.tensor4("ggx", dtype=dtype)
    value = np.asfortranarray(rng.integers(-3, 4, (2, 3, 7, 8)).astype(dtype))   # ties
    value[1, 2, 3, 4] = np.nan
    outputs = [MaxPoolGradGrad(**params)(x, pool_2d(x, **params), ggx[:, :, ::-1])
               for params in POOLS]
    values = [value, rng.standard_normal(value.shape).astype(dtype)]
    on_cpu, on_gpu = cpu_and_gpu([x, ggx], outputs, values)
    assert_like_the_cpus(on_gpu, on_cpu, dtype)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_convolutions_and_their_gradients_on_the_device_give_the_cpus(dtype):
    from test_cuda_kernels_on_host import CONVS
    rng = np.random.default_rng(8)
    x, w = T.tensor4("x", dtype=dtype), T.tensor4("w", dtype=dtype)
    values = [rng.standard_normal((5, 3, 9, 10)).astype(dtype),
              rng.standard_normal((6, 1, 3, 2)).astype(dtype)]
    outputs = []
    for params in CONVS:
        # num_groups=3: filters of one channel; otherwise of three, from w repeated
        filters = w if params.get("num_groups") else T.concatenate([w, w, -w], axis=1)
        out = T.nnet.conv2d(x, filters, **params)
        outputs += [out, *theano.grad((out * out).sum(), [x, w])]
    for flip in (True, False):
        out = T.nnet.conv2d(x, T.concatenate([w] * 3, axis=1), filter_flip=flip)
        outputs.append(out)
    on_cpu, on_gpu = cpu_and_gpu([x, w], outputs, values)
    assert_like_the_cpus(on_gpu, on_cpu, dtype)


@pytest.mark.cuda
def test_a_float16_softmax_and_pooling_run_their_references_on_the_device():
    """The kernels take float32 and float64; float16 runs the NumPy reference
    on the device (the CPU kernels have no float16 either)."""
    from cytensor.tensor.signal.pool import MaxPoolGradGrad, Pool
    x = T.tensor4("x", dtype="float16")
    value = np.random.default_rng(9).standard_normal((2, 2, 6, 6)).astype("float16")
    softmax, pool = T.nnet.basic.Softmax(-1), Pool((2, 2), ignore_border=True)
    grad_grad = MaxPoolGradGrad((2, 2), ignore_border=True)
    with theano.config.change_flags(device="cuda"):
        on_gpu = theano.function([x], [softmax(x), pool(x), grad_grad(x, pool(x), x)])(value)
    (pooled,) = pool.reference(None, value)
    for got, (want,) in zip(on_gpu, [softmax.reference(None, value), (pooled,),
                                     grad_grad.reference(None, value, pooled, value)]):
        assert got.dtype == np.float16
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-3)
