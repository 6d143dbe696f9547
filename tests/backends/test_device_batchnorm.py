"""Batch normalization on a device: its reductions and fused elementwise
programs run there (it is built from them), the running averages are
updates of the device's shared variables, and the gradient runs there too.

On the reference device (ref0) against the CPU; the CUDA table is checked
to hold every node (without a GPU); the ``cuda`` test repeats the numbers.
"""
import warnings

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.transfer import Transfer

from test_device_inner_graphs import cuda_refusals


def train_steps(dtype, axes):
    """Two steps of a batch-normalized layer: outputs, statistics, the
    gradients of gamma and beta, the running averages after each step."""
    rng = np.random.default_rng(5)
    shape = (6, 3, 4, 2) if axes == "spatial" else (6, 3)
    x = T.tensor(dtype, shape=(None,) * len(shape), name="x")
    stat_shape = (3,)                      # axis 1: the channels, or the activations
    gamma = theano.shared(rng.normal(size=stat_shape).astype(dtype), name="gamma")
    beta = theano.shared(rng.normal(size=stat_shape).astype(dtype), name="beta")
    running_mean = theano.shared(np.zeros(stat_shape, dtype), name="running_mean")
    running_var = theano.shared(np.ones(stat_shape, dtype), name="running_var")
    out, mean, invstd, new_mean, new_var = T.nnet.batch_normalization_train(
        x, gamma, beta, axes=axes, running_mean=running_mean, running_var=running_var)
    cost = (out ** 2 * T.constant(np.arange(shape[-1], dtype=dtype))).sum()
    test_out = T.nnet.batch_normalization_test(x, gamma, beta, running_mean, running_var,
                                               axes=axes)
    f = theano.function([x], [out, mean, invstd, test_out] + T.grad(cost, [gamma, beta]),
                        updates=[(running_mean, new_mean), (running_var, new_var)])
    results = []
    for _ in range(2):
        results += f(rng.normal(size=shape).astype(dtype) * 3 + 1)
        results += [running_mean.get_value(), running_var.get_value()]
    return f, results, running_mean


def on(device, dtype, axes):
    _, on_cpu, _ = train_steps(dtype, axes)
    with theano.config.change_flags(device=device), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)        # nothing falls back
        f, on_device, running_mean = train_steps(dtype, axes)
    assert running_mean.device == theano.compile.devices.get_backend(device).device
    return f, on_cpu, on_device


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("axes", ["per-activation", "spatial"])
def test_batch_normalization_on_the_reference_device_gives_the_cpus_numbers(plugins, dtype,
                                                                            rtol, axes):
    f, on_cpu, on_device = on("ref", dtype, axes)
    for want, got in zip(on_cpu, on_device):
        assert type(got) is np.ndarray and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    placement = f.schedule.placement
    assert all(placement.backend(node).device == "ref0" for node in f.schedule.nodes
               if not isinstance(node.op, Transfer))
    assert cuda_refusals(f) == {}


@pytest.mark.cuda
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-9), ("float32", 1e-4)])
@pytest.mark.parametrize("axes", ["per-activation", "spatial"])
def test_batch_normalization_on_the_gpu_gives_the_cpus_numbers(dtype, rtol, axes):
    _, on_cpu, on_device = on("cuda", dtype, axes)
    for want, got in zip(on_cpu, on_device):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
