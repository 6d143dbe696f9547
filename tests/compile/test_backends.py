"""Backends and devices, on a machine without a GPU.

The second backend here is real: the reference backend
(cytensor/backends/reference.py) runs every op's NumPy reference on arrays
of its own type (RefArray, which NumPy refuses to read), registered the way
a third-party package registers one: a ``*.dist-info`` folder with an
``entry_points.txt``, on sys.path, found by importlib.metadata itself
(tests/conftest.py's ``plugins``).  So a
value that reaches the wrong device fails loudly, and every placement and
transfer is visible in the values' types.
"""
import importlib.metadata
import io
import os
import subprocess
import sys
import textwrap
import tomllib
import warnings

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.backends import BackendUnavailable, backend_names, get_backend
from cytensor.backends.cpu import CpuBackend, own_thunk, program_thunk
from cytensor.backends.reference import RefArray
from cytensor.compile.devices import BACKEND_GROUP, BUILTIN_ENTRY_POINTS, parse_device
from cytensor.graph import Apply, Op
from cytensor.tensor.math import FusedReduce
from cytensor.tensor.transfer import Transfer

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def run_python(code, plugins, **flags):
    """Run ``code`` in a fresh interpreter with the plugins on its path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CYTENSOR_FLAGS", "THEANO_FLAGS", "CYTENSORRC", "THEANORC")}
    env["PYTHONPATH"] = os.pathsep.join([str(plugins), os.path.join(ROOT, "src")])
    env.update(flags)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def placed(fn):
    """[(op as printed, device)] of a compiled function's schedule."""
    placement = fn.schedule.placement
    return [(str(node.op), placement.backend(node).device) for node in fn.schedule.nodes]


# --- discovery -----------------------------------------------------------------

def test_cytensors_own_entry_points_are_those_pyproject_registers():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        declared = tomllib.load(f)["project"]["entry-points"][BACKEND_GROUP]
    assert {name: ep.value for name, ep in BUILTIN_ENTRY_POINTS.items()} == declared
    assert tomllib.load(open(os.path.join(ROOT, "pyproject.toml"), "rb"))[
        "project"]["optional-dependencies"]["cuda"] == ["cupy-cuda12x"]


def test_the_cpu_backend_is_found_by_its_entry_point():
    cpu = get_backend("cpu")
    assert type(cpu) is CpuBackend and cpu.device == "cpu"
    assert "cpu" in backend_names() and get_backend("cpu") is cpu


def test_a_third_party_backend_is_found_through_importlib_metadata(plugins):
    found = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=BACKEND_GROUP)}
    assert found["ref"] == "cytensor.backends.reference:ReferenceBackend"
    assert {"ref", "tiny", "cpu"} <= set(backend_names())
    assert get_backend("ref") is get_backend("ref0")
    assert get_backend("ref1").device == "ref1" and get_backend("tiny").device == "tiny0"
    assert type(get_backend("tiny")).__module__ == "tiny_backend"


def test_device_names():
    assert parse_device("cuda") == ("cuda", None)
    assert parse_device("cuda12") == ("cuda", 12)
    assert parse_device("cpu") == ("cpu", None)
    with pytest.raises(ValueError, match="not a device name"):
        parse_device("cuda-1")


def test_an_unknown_backend_is_named_with_those_installed():
    with pytest.raises(BackendUnavailable, match="no backend named 'npu'.*'cpu'"):
        get_backend("npu")
    with pytest.raises(ValueError, match="flag device: no backend named 'npu'"):
        theano.config.device = "npu"
    assert theano.config.device == "cpu"


def test_device_cuda_without_cupy_says_what_to_install(plugins):
    out = run_python("import cytensor", plugins, THEANO_FLAGS="device=cuda")
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()[-1]
    assert "THEANO_FLAGS: flag device" in message
    try:
        import cupy  # noqa: F401
    except ImportError:
        assert "device=cuda needs" in message and "CuPy" in message
        assert "pip install 'cytensor[cuda]'" in message
    else:       # CuPy without a GPU: the CUDA error itself
        assert "CUDA" in message or "cuda" in message


# --- the device flag -------------------------------------------------------------

SCRIPT = """
    import numpy as np, cytensor as theano, cytensor.tensor as T
    x = T.dvector('x')
    w = theano.shared(np.arange(3.0), name='w')
    f = theano.function([x], T.exp(x) * w)
    print(theano.config.device, w.device, type(w.container[0]).__name__,
          type(f(np.zeros(3))).__name__, f(np.zeros(3)).tolist())
"""


@pytest.mark.parametrize("flags", [{"THEANO_FLAGS": "device=ref"},
                                   {"CYTENSOR_FLAGS": "device=ref1"},
                                   {"THEANO_FLAGS": "device=ref", "CYTENSOR_FLAGS": "device=cpu"}])
def test_the_device_flag_from_the_environment(plugins, flags):
    out = run_python(SCRIPT, plugins, **flags)
    assert out.returncode == 0, out.stderr
    device = "cpu" if flags.get("CYTENSOR_FLAGS") == "device=cpu" else \
        "ref1" if "CYTENSOR_FLAGS" in flags else "ref0"
    holder = "ndarray" if device == "cpu" else "RefArray"
    flag = flags.get("CYTENSOR_FLAGS", flags.get("THEANO_FLAGS")).split("=")[1]
    assert out.stdout.split() == [flag, device, holder, "ndarray", "[0.0,", "1.0,", "2.0]"]


def test_the_device_flag_from_a_cytensorrc(plugins, tmp_path):
    rc = tmp_path / "rc"
    rc.write_text("[global]\ndevice = ref\n")
    out = run_python(SCRIPT, plugins, CYTENSORRC=str(rc))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:3] == ["ref", "ref0", "RefArray"]


# --- placement, transfers, values --------------------------------------------------

def test_a_function_runs_on_the_device_with_explicit_transfers(on_ref):
    x = T.dvector("x")
    w = theano.shared(np.arange(3.0), name="w")
    f = theano.function([x], T.exp(x) * w + 1)
    ops = placed(f)
    assert ops[0] == ("transfer{ref0}", "cpu") and ops[-1] == ("transfer{cpu}", "cpu")
    assert [device for op, device in ops if not op.startswith("transfer")] == ["ref0"]
    out = f(np.zeros(3))
    assert type(out) is np.ndarray and out.tolist() == [1.0, 2.0, 3.0]
    # the device's own arrays are inputs too, checked against the type
    assert f(on_ref.asarray(np.zeros(3))).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(TypeError, match="expected 1 dimensions, got 2"):
        f(on_ref.asarray(np.zeros((2, 2))))
    text = theano.printing.debugprint(f, file="str")
    assert "transfer{ref0}" in text and "transfer{cpu}" in text


def test_an_output_transferred_to_the_device_comes_back_as_its_array(on_ref):
    x = T.dvector("x")
    f = theano.function([x], [(x * 2).transfer("ref"), x * 3])
    on_device, on_host = f(np.ones(2))
    assert type(on_device) is RefArray and on_device.device == "ref0"
    assert on_device.data.tolist() == [2.0, 2.0] and type(on_host) is np.ndarray
    with pytest.raises(TypeError, match="not a NumPy array"):
        np.asarray(on_device)
    folded = theano.function([], (T.constant(np.ones(2)) * 2).transfer("ref"))()
    assert type(folded) is RefArray and folded.data.tolist() == [2.0, 2.0]


def test_the_cpu_graph_is_untouched_by_placement():
    x = T.dvector("x")
    f = theano.function([x], (x + 1).transfer("cpu") * 2)
    assert f.schedule.placement.all_cpu
    assert not any(isinstance(n.op, Transfer) for n in f.schedule.nodes)
    assert f(np.ones(2)).tolist() == [4.0, 4.0]


def test_shared_values_live_on_their_device(on_ref):
    w = theano.shared(np.arange(3.0), name="w")
    lr = theano.shared(0.5, name="lr")                   # a Python number stays on the CPU
    here = theano.shared(np.arange(2.0), target="cpu")
    assert (w.device, lr.device, here.device) == ("ref0", "cpu", "cpu")
    assert type(w.get_value()) is np.ndarray and w.get_value().tolist() == [0.0, 1.0, 2.0]
    inside = w.get_value(borrow=True, return_internal_type=True)
    assert inside is w.container[0] and type(inside) is RefArray
    copied = w.get_value(return_internal_type=True)
    assert type(copied) is RefArray and copied is not inside
    w.set_value(on_ref.asarray(np.ones(3)))
    assert w.get_value().tolist() == [1.0, 1.0, 1.0]
    mine = on_ref.asarray(np.zeros(3))
    w.set_value(mine, borrow=True)
    assert w.container[0] is mine
    with pytest.raises(TypeError, match="shared variable w: expected a float64 array"):
        w.set_value(on_ref.asarray(np.zeros(3, dtype=np.int32)))
    other = theano.shared(on_ref.asarray(np.ones(2)), name="other")   # stays on its device
    assert other.device == "ref0" and other.get_value().tolist() == [1.0, 1.0]


def test_updates_write_device_arrays_to_device_shared_variables(on_ref):
    x = T.dvector("x")
    w = theano.shared(np.zeros(2), name="w")
    step = theano.function([x], w.sum(), updates=[(w, w + x)])
    for _ in range(3):
        step(np.array([1.0, 2.0]))
    assert type(w.container[0]) is RefArray and w.get_value().tolist() == [3.0, 6.0]


def test_a_transfer_between_two_devices_and_back(plugins):
    a = theano.shared(np.arange(3.0), target="ref0", name="a")
    b = theano.shared(np.ones(3), target="ref1", name="b")
    f = theano.function([], a.transfer("ref1") * b)
    assert ("transfer{ref1}", "cpu") in placed(f) and ("Elemwise{mul,no_inplace}", "ref1") \
        in placed(f)
    assert f().tolist() == [0.0, 1.0, 2.0]


def test_the_gradient_of_a_transfer_is_the_transfer_back(on_ref):
    w = theano.shared(np.array([1.0, -2.0, 3.0]), name="w")
    cost = (w.transfer("cpu") ** 2).sum()
    g = T.grad(cost, w)
    f = theano.function([], g)
    assert f().tolist() == [2.0, -4.0, 6.0]
    ops = placed(f)
    assert ("transfer{cpu}", "cpu") in ops and ("transfer{ref0}", "cpu") in ops
    # the gradient's transfer names no device until compiled: "to where w is"
    assert any(isinstance(v.owner.op, Transfer) and v.owner.op.target is None
               for v in theano.graph.ancestors([g]) if v.owner is not None)


def test_verify_grad_through_transfers(on_ref):
    rng = np.random.default_rng(0)
    theano.gradient.verify_grad(lambda a: T.tanh(a.transfer("cpu")).transfer("ref") * a,
                                [rng.normal(size=(3, 2))], rng=rng)


def test_a_lazy_ifelse_and_scan_run_on_the_device(on_ref):
    c, x = T.dscalar("c"), T.dvector("x")
    pick = theano.function([c, x], theano.ifelse.ifelse(c > 0, x * 2, x * 3))
    assert pick(1.0, np.ones(2)).tolist() == [2.0, 2.0]
    assert pick(-1.0, np.ones(2)).tolist() == [3.0, 3.0]
    w, rows = theano.shared(np.ones(3), name="w"), T.dmatrix("rows")
    sums, _ = theano.scan(lambda row, acc: acc + row * w, sequences=[rows],
                          outputs_info=[T.zeros(3)])
    f = theano.function([rows], [sums[-1], T.grad(sums[-1].sum(), w)])
    total, grad = f(np.arange(6.0).reshape(2, 3))
    assert total.tolist() == [3.0, 5.0, 7.0] and grad.tolist() == [3.0, 5.0, 7.0]


# --- fallbacks ------------------------------------------------------------------

def make_user_op():
    """A Theano-style op with a perform and no NumPy reference: the
    reference backend cannot run it (a new class each time, for a warning
    of its own)."""
    class Halve(Op):
        __props__ = ()

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = inputs[0] / 2

    return Halve()


def test_an_op_the_device_lacks_runs_on_the_cpu_with_transfers_and_one_warning(on_ref):
    halve = make_user_op()
    x = T.dvector("x")
    with pytest.warns(RuntimeWarning, match="ref0 cannot run Halve .*no NumPy reference"):
        f = theano.function([x], T.exp(halve(x * 4)) + 1)
    ops = placed(f)
    at = [op for op, _ in ops].index("Halve")
    assert ops[at] == ("Halve", "cpu")
    assert ops[at - 1] == ("transfer{cpu}", "cpu") and ops[at + 1] == ("transfer{ref0}", "cpu")
    assert np.allclose(f(np.zeros(2)), 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # once: compiling again is quiet
        g = theano.function([x], halve(x) * 3)
    assert g(np.ones(2)).tolist() == [1.5, 1.5]
    text = theano.printing.debugprint(f, file="str")
    assert text.count("transfer{") == 4


def test_the_profile_shows_the_transfers(on_ref):
    x = T.dvector("x")
    f = theano.function([x], T.exp(x), profile=True)
    f(np.ones(4))
    names = {str(node.op) for node in f.profile.node_time}
    assert {"transfer{ref0}", "transfer{cpu}"} <= names
    out = io.StringIO()
    f.profile.summary(file=out)
    assert "transfer{ref0}" in out.getvalue() and "transfer{cpu}" in out.getvalue()


def test_a_backend_with_a_small_table_runs_the_rest_on_the_cpu(plugins):
    tiny = get_backend("tiny")
    x = T.dmatrix("x")
    with theano.config.change_flags(device="tiny"), pytest.warns(RuntimeWarning, match="tiny0"):
        f = theano.function([x], T.dot(T.exp(x), x).sum())
    ops = placed(f)
    assert ("Elemwise{exp,no_inplace}", "tiny0") in ops
    assert all(device == "cpu" for op, device in ops if not op.startswith("Elemwise"))
    value = np.arange(4.0).reshape(2, 2)
    assert np.isclose(f(value), (np.exp(value) @ value).sum())
    product = [n for n in f.schedule.nodes if "ot" in type(n.op).__name__
               or "emm" in type(n.op).__name__]
    assert product and tiny.cannot_run(product[0]).startswith("no implementation of")


# --- the per-op tables -------------------------------------------------------------

def test_the_cpu_table_lowers_fused_programs_and_hands_the_rest_to_the_kernels():
    cpu = get_backend("cpu")
    x = T.dvector("x")
    fused = theano.function([x], ((x - 1) ** 2).sum()).schedule.nodes[0]
    assert isinstance(fused.op, FusedReduce)
    assert cpu.implementation(fused.op) is program_thunk
    assert cpu.implementation(T.exp(x).owner.op) is program_thunk
    assert cpu.implementation(T.dot(T.dmatrix(), T.dmatrix()).owner.op) is own_thunk
    assert cpu.cannot_run(make_user_op()(x).owner) is None


def test_the_reference_table_and_what_it_cannot_run(plugins):
    ref = get_backend("ref")
    x = T.dvector("x")
    assert ref.cannot_run(T.exp(x).owner) is None
    assert ref.cannot_run(make_user_op()(x).owner) == "it has no NumPy reference"
    assert ref.cannot_run(T.dot(T.dmatrix(), x).owner) is None


def test_random_draws_on_the_device_match_the_cpus(plugins):
    def draws():
        srng = T.random.RandomStream(7)
        f = theano.function([], srng.normal(size=(3,)) * 2)
        return [f().tolist() for _ in range(3)]

    on_cpu = draws()
    with theano.config.change_flags(device="ref"):
        assert draws() == on_cpu


def test_the_reference_backend_reuses_its_output_buffers(on_ref):
    x = T.dvector("x")
    f = theano.function([x], T.exp(x).sum())
    (node,) = [n for n in f.schedule.nodes if not isinstance(n.op, Transfer)]
    f(np.ones(3))
    first = f.schedule.cells[node.outputs[0]][0]
    f(np.ones(3) * 2)
    assert f.schedule.cells[node.outputs[0]][0] is first and type(first) is RefArray
    f(np.ones(4))                               # the same shape: () for a sum
    assert f.schedule.cells[node.outputs[0]][0] is first


def test_a_node_given_a_numpy_array_on_the_device_fails_loudly(plugins):
    ref = get_backend("ref")
    x = T.dvector("x")
    node = T.exp(x).owner
    thunk = ref.make_thunk(node, [[np.ones(2)]], [[None]])
    with pytest.raises(TypeError, match="a transfer is missing"):
        thunk()


# --- a Theano-style script, on the reference device and on the CPU ------------------

def train_logistic_regression():
    """Theano's tutorial model: a few steps of gradient descent."""
    rng = np.random.default_rng(1)
    data_x, data_y = rng.normal(size=(40, 5)), (rng.random(40) > 0.5).astype("float64")
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(rng.normal(size=5), name="w")
    b = theano.shared(0.0, name="b")
    p = 1 / (1 + T.exp(-T.dot(x, w) - b))
    cost = T.nnet.binary_crossentropy(p, y).mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    predict = theano.function([x], p > 0.5)
    costs = [float(train(data_x, data_y)) for _ in range(10)]
    return costs, w.get_value(), b.get_value(), predict(data_x), w.device


def test_a_theano_style_script_gives_the_cpus_numbers_on_the_reference_device(plugins):
    costs, w, b, predictions, device = train_logistic_regression()
    with theano.config.change_flags(device="ref"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # ops without a reference fall back
        ref_costs, ref_w, ref_b, ref_predictions, ref_device = train_logistic_regression()
    assert (device, ref_device) == ("cpu", "ref0")
    np.testing.assert_allclose(ref_costs, costs, rtol=1e-12)
    np.testing.assert_allclose(ref_w, w, rtol=1e-12)
    np.testing.assert_allclose(ref_b, b, rtol=1e-12)
    assert (ref_predictions == predictions).all()


@pytest.mark.cuda
def test_a_function_on_the_gpu_gives_the_cpus_numbers():
    costs, w, b, predictions, _ = train_logistic_regression()
    with theano.config.change_flags(device="cuda"):
        gpu_costs, gpu_w, gpu_b, gpu_predictions, device = train_logistic_regression()
    assert device == "cuda0"
    np.testing.assert_allclose(gpu_costs, costs, rtol=1e-9)
    np.testing.assert_allclose(gpu_w, w, rtol=1e-9)
    assert (gpu_predictions == predictions).all()
