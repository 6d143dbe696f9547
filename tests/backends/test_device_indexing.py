"""Advanced indexing and its inc_subtensor / set_subtensor on a device.

On the reference device (ref0: the ops' NumPy references, on arrays NumPy
refuses) and, marked ``cuda``, on a GPU (CuPy's indexing,
``cupyx.scatter_add`` and ``scatter_max``): the CPU's results, repeated
indices accumulating (or, set, the last value staying), and an index out
of range refused with an IndexError naming the input.
"""
import warnings

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor, PickPerRow
from cytensor.tensor.transfer import Transfer

from test_device_inner_graphs import cuda_refusals

DEVICES = ["ref", pytest.param("cuda", marks=pytest.mark.cuda)]
# every dtype scatter_add takes its own way: atomics as they are (floats, int32),
# int64 as uint64, narrower integers and bools widened
DTYPES = ["float64", "float32", "int32", "int64", "int8", "uint16", "bool"]


def indexing_graphs(dtype):
    """(inputs, outputs, values): gathers and scatters over odd layouts,
    with repeated and negative indices."""
    x = T.tensor(dtype, shape=(None, None), name="x")
    rows, cols = T.lvector("rows"), T.lvector("cols")
    mask = T.bmatrix("mask").astype("bool")
    y = T.tensor(dtype, shape=(None, None), name="y")
    outputs = [
        x[rows],                                  # rows, repeated
        x[rows, cols],                            # single elements
        x[:, cols],                               # an array after a slice
        x[mask],                                  # a boolean mask
        x[rows[:0]],                              # an empty index
        T.inc_subtensor(x[rows], y),              # repeated rows accumulate
        T.inc_subtensor(x[rows, cols], y[:, 0]),  # repeated elements accumulate
        T.set_subtensor(x[rows[1:]], y[1:]),      # distinct rows set
        T.set_subtensor(x[rows], y),              # repeated rows: the last value stays
        T.set_subtensor(x[rows, rows[::-1] % 3], y[0, 0]),   # repeated elements, broadcast
        T.set_subtensor(x[mask], y[0, 0]),        # a mask: CuPy's assignment
    ]
    rng = np.random.default_rng(2)
    values = [(rng.normal(size=(4, 3)) * 10).astype(dtype),
              np.array([2, 0, 2, -1]), np.array([1, 1, 0, 2]),
              (rng.random((4, 3)) > 0.5).astype("int8"),
              (rng.normal(size=(4, 3)) * 10).astype(dtype)]
    return [x, rows, cols, mask.owner.inputs[0], y], outputs, values


def compiled_on(device, inputs, outputs, values):
    """The function of ``outputs`` compiled for ``device`` (a fallback to the
    CPU, which warns, fails), and its results on ``values``."""
    with theano.config.change_flags(device=device), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)        # nothing falls back
        f = theano.function(inputs, outputs)
    return f, f(*values)


def run(device, dtype):
    return compiled_on(device, *indexing_graphs(dtype))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_advanced_indexing_on_the_device_gives_the_cpus_results(plugins, device, dtype):
    _, on_cpu = run("cpu", dtype)
    f, on_device = run(device, dtype)
    for want, got in zip(on_cpu, on_device):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    placement = f.schedule.placement
    ops = [node for node in f.schedule.nodes if isinstance(node.op, (AdvancedSubtensor,
                                                                     AdvancedIncSubtensor))]
    assert len(ops) >= 6
    assert all(placement.backend(node).device == f"{device}0" for node in f.schedule.nodes
               if not isinstance(node.op, Transfer))
    if device == "ref":
        assert cuda_refusals(f) == {}


@pytest.mark.parametrize("device", DEVICES)
def test_repeated_indices_accumulate_on_the_device(plugins, device):
    x, i = T.dvector("x"), T.lvector("i")
    with theano.config.change_flags(device=device):
        f = theano.function([x, i], [T.inc_subtensor(x[i], 1.0),
                                     T.grad(x[i].sum(), x)])
    added, grad = f(np.zeros(3), np.array([0, 0, 2, 0, -1]))
    assert added.tolist() == [3.0, 0.0, 2.0] and grad.tolist() == [3.0, 0.0, 2.0]


@pytest.mark.parametrize("device", DEVICES)
def test_an_index_out_of_range_on_the_device_is_an_index_error_naming_the_input(plugins,
                                                                               device):
    x, i = T.dmatrix("x"), T.lvector("i")
    with theano.config.change_flags(device=device):
        gather = theano.function([x, i], x[:, i])
        scatter = theano.function([x, i], T.inc_subtensor(x[i], 1.0))
    with pytest.raises(IndexError, match=r"AdvancedSubtensor: index input 1 holds 3, out of bounds for "
                                         r"axis 1 with size 3"):
        gather(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(IndexError, match=r"AdvancedIncSubtensor: index input 2 holds -3, out of bounds for "
                                         r"axis 0 with size 2"):
        scatter(np.zeros((2, 3)), np.array([1, -3]))
    assert gather(np.arange(6.0).reshape(2, 3), np.array([-1, 0])).tolist() == \
        [[2.0, 0.0], [5.0, 3.0]]


@pytest.mark.parametrize("device", DEVICES)
def test_one_label_per_row_runs_on_the_device(plugins, device):
    """x[arange(x.shape[0]), y], rewritten into PickPerRow, stays on the device."""
    x, y = T.dmatrix("x"), T.lvector("y")
    with theano.config.change_flags(device=device), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)        # nothing falls back
        f = theano.function([x, y], x[T.arange(x.shape[0]), y])
    assert [type(node.op) for node in f.schedule.nodes
            if not isinstance(node.op, Transfer)] == [PickPerRow]
    assert all(f.schedule.placement.backend(node).device == f"{device}0"
               for node in f.schedule.nodes if not isinstance(node.op, Transfer))
    xv = np.arange(12.0).reshape(4, 3)
    assert f(xv, np.array([2, -1, 0, 1])).tolist() == [2.0, 5.0, 6.0, 10.0]
    with pytest.raises(IndexError, match=r"out of bounds for axis 1 with size 3"):
        f(xv, np.array([0, 3, 0, 0]))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype,start,want", [
    ("int8", 100, (100 + 300) % 256), ("uint8", 0, 300 % 256), ("int16", -5, 295),
    ("int64", 2 ** 62, 2 ** 62 + 300), ("uint64", 2 ** 64 - 1, 299), ("bool", 0, 1)])
def test_repeated_increments_of_every_integer_dtype_wrap_as_numpys_on_the_device(dtype, start,
                                                                                 want):
    """300 increments of one element: the sum wraps as np.add.at's (a bool
    adds as a logical or), on the device, nothing falling back."""
    x, i = T.vector("x", dtype=dtype), T.lvector("i")
    with theano.config.change_flags(device="cuda"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        f = theano.function([x, i], T.inc_subtensor(x[i], np.array(1, dtype)))
    got = f(np.array([start, 7], dtype), np.zeros(300, "int64"))
    expected = np.array([start, 7], dtype)
    np.add.at(expected, np.zeros(300, "int64"), np.array(1, dtype))
    assert got.dtype == dtype and got.tolist() == expected.tolist()
    assert got[0] == np.array(want).astype(dtype)
