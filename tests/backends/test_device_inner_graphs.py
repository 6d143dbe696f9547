"""Scan and OpFromGraph on a device: their inner graphs run there.

On the reference device (``ref0``, whose arrays NumPy refuses to read, see
tests/conftest.py's ``plugins``): a scan RNN and its gradient give the
CPU's numbers, the steps are compiled for the device with no transfer in
them, and the outer graph moves values only at its boundary (its inputs
in, its outputs out).  The ``cuda`` tests repeat the numbers on a GPU.
"""
import warnings

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.backends.cuda import CudaBackend
from cytensor.compile.devices import get_backend
from cytensor.op_from_graph import OpFromGraph
from cytensor.scan import Scan
from cytensor.tensor.transfer import Transfer


def rnn(seed=0, steps=6):
    """An Elman RNN over ``steps`` rows, its cost and the cost's gradients."""
    rng = np.random.default_rng(seed)
    w = theano.shared(rng.normal(size=(3, 4)), name="w")
    u = theano.shared(rng.normal(size=(4, 4)) * 0.5, name="u")
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    h, _ = theano.scan(lambda xt, hp: T.tanh(T.dot(xt, w) + T.dot(hp, u)),
                       sequences=[x], outputs_info=[h0])
    cost = (h ** 2).sum() + h[-1].sum()
    f = theano.function([x, h0], [h, cost] + T.grad(cost, [w, u, x, h0]), profile=True)
    return f, f(rng.normal(size=(steps, 3)), rng.normal(size=4))


def taps_and_until():
    """Two taps back, a non-sequence, and a loop that stops early."""
    a = T.dscalar("a")

    def step(x2, x1, a):
        new = x1 + a * x2
        return new, theano.scan_module.until(new > 30)
    fib, _ = theano.scan(step, outputs_info=[dict(initial=T.constant(np.ones(2)), taps=[-2, -1])],
                         non_sequences=[a], n_steps=50)
    f = theano.function([a], [fib, T.grad(fib.sum(), a)])
    return f, f(1.5)


def wrapped():
    """An OpFromGraph used twice, and its gradient."""
    x, y = T.dvector("x"), T.dvector("y")
    op = OpFromGraph([x, y], [T.exp(x) * y + 1, (x - y) ** 2])
    a, b = T.dvector("a"), T.dvector("b")
    first, second = op(a, b)
    again, _ = op(first, b)
    cost = (again * second).sum()
    f = theano.function([a, b], [again, cost, T.grad(cost, a)])
    return f, f(np.linspace(-1, 1, 5), np.arange(5.0))


def on(device, build):
    """``build()`` on the CPU and on ``device``: (the device's function, the
    CPU's results, the device's)."""
    _, on_cpu = build()
    with theano.config.change_flags(device=device), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)      # nothing falls back to the CPU
        f, on_device = build()
    return f, on_cpu, on_device


def assert_same_numbers(on_cpu, on_device, rtol):
    assert len(on_cpu) == len(on_device)
    for want, got in zip(on_cpu, on_device):
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-300)


def inner_functions(f, device):
    """The step functions of the scans (and the wrapped graphs of the
    OpFromGraphs) that ``f`` runs on ``device``, as compiled there when
    ``f`` was (a KeyError if they were not)."""
    placement = f.schedule.placement
    found = [node.op._functions[("cy", device)] for node in f.schedule.nodes
             if isinstance(node.op, (Scan, OpFromGraph))
             and placement.backend(node).device == device]
    assert found
    return found


def assert_transfers_only_at_the_boundary(f, device):
    """Every node of ``f`` runs on ``device`` but the transfers in and out,
    and no inner graph run there has a transfer."""
    fgraph, placement = f.schedule.fgraph, f.schedule.placement
    for node in f.schedule.nodes:
        if isinstance(node.op, Transfer):
            # in: an input or a shared value of the CPU; out: an output or update
            assert node.inputs[0].owner is None or node.outputs[0] in fgraph.outputs, node
        else:
            assert placement.backend(node).device == device, node
    for inner in inner_functions(f, device):
        placement = inner.schedule.placement
        assert not placement.transfers
        assert {placement.backend(node).device for node in inner.schedule.nodes} == {device}


# --- on the reference device --------------------------------------------------------

@pytest.mark.parametrize("build", [rnn, taps_and_until, wrapped])
def test_inner_graphs_give_the_cpus_numbers_on_the_reference_device(plugins, build):
    f, on_cpu, on_device = on("ref", build)
    assert_same_numbers(on_cpu, on_device, rtol=1e-12)
    assert_transfers_only_at_the_boundary(f, "ref0")


def test_a_scans_steps_pass_device_arrays_to_each_other(plugins):
    f, _, _ = on("ref", rnn)
    forward, backward = inner_functions(f, "ref0")
    for step in (forward, backward):
        cells = step.schedule.cells
        assert all(type(cells[v][0]).__name__ == "RefArray" for v in step.schedule.fgraph.outputs)
    # the profile shows the outer graph's transfers, each once per call
    transfers = sorted(str(node.op) for node in f.profile.node_time if isinstance(node.op, Transfer))
    assert transfers == ["transfer{cpu}"] * 6 + ["transfer{ref0}"] * 2


def test_a_scans_step_takes_the_devices_arrays_and_gives_its_own(plugins):
    ref = get_backend("ref")
    with theano.config.change_flags(device="ref"):
        f, _ = rnn()
    forward = inner_functions(f, "ref0")[0]
    (scan_node,) = [n for n in f.schedule.nodes if isinstance(n.op, Scan)][:1]
    shared = {v.name: v.get_value(borrow=True, return_internal_type=True)
              for v in scan_node.inputs[-2:]}
    xt, hp = np.ones(3), np.zeros(4)
    # called directly, the step takes the device's arrays, or NumPy's moved
    # there; its first output is h (the others, products the gradient reuses)
    out, *_ = forward(ref.asarray(xt), hp, *[shared[v.name] for v in scan_node.inputs[-2:]])
    assert type(out).__name__ == "RefArray" and out.device == "ref0"
    np.testing.assert_allclose(ref.to_numpy(out), np.tanh(xt @ ref.to_numpy(shared["w"])))


def random_scan():
    """A scan drawing from a random stream: its generator state is carried
    from step to step, and written back as the stream's update."""
    srng = T.random.RandomStream(3)
    draws, updates = theano.scan(lambda: srng.normal(size=(2,)), n_steps=3)
    f = theano.function([], draws, updates=updates)
    return f, [f(), f()]


def test_a_scan_drawing_random_numbers_gives_the_cpus_sequence_on_the_device(plugins):
    f, on_cpu, on_device = on("ref", random_scan)
    assert_same_numbers(on_cpu, on_device, rtol=0)
    assert not np.array_equal(on_device[0], on_device[1])     # the state moved on
    assert_transfers_only_at_the_boundary(f, "ref0")
    assert cuda_refusals(f) == {}          # the draws too (cupy.random)


# --- on a GPU -------------------------------------------------------------------------

@pytest.mark.cuda
@pytest.mark.parametrize("build", [rnn, taps_and_until, wrapped])
def test_inner_graphs_give_the_cpus_numbers_on_the_gpu(build):
    f, on_cpu, on_device = on("cuda", build)
    assert_same_numbers(on_cpu, on_device, rtol=1e-9)
    assert_transfers_only_at_the_boundary(f, "cuda0")


# --- what the CUDA table would run, checked without a GPU ------------------------------

def cuda_refusals(f):
    """{op: why} for the nodes of ``f`` (compiled for a reference device)
    and of its inner graphs that the CUDA backend would send to the CPU.
    Its ``cannot_run`` reads only its table and generates kernels' text, so
    an object of the class made without a device answers (no GPU needed)."""
    cuda = CudaBackend.__new__(CudaBackend)
    schedules = [f.schedule]
    if any(isinstance(node.op, (Scan, OpFromGraph)) for node in f.schedule.nodes):
        schedules += [inner.schedule for inner in inner_functions(f, "ref0")]
    return {str(node.op): cuda.cannot_run(node) for schedule in schedules
            for node in schedule.nodes
            if not isinstance(node.op, Transfer) and cuda.cannot_run(node) is not None}


@pytest.mark.parametrize("build", [rnn, taps_and_until, wrapped])
def test_the_cuda_table_runs_every_node_of_the_inner_graphs(plugins, build):
    f, _, _ = on("ref", build)
    assert cuda_refusals(f) == {}
