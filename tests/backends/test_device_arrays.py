"""Views, fills, joins, basic increments and one_hot on a device.

On the reference device (ref0: the ops' NumPy references, on arrays NumPy
refuses) and, marked ``cuda``, on a GPU (CuPy's views, fills and
concatenate, the generated add kernel of inc_subtensor, one_hot's
comparison): the CPU's results over dtypes (integers wrapping, bools
adding as a logical or) and odd layouts (0-d, empty, broadcast, strided,
negative strides, Fortran order), no node falling back to the CPU, and the
CUDA table holding every node (checked here, without a GPU).
"""

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.transfer import Transfer

from test_device_indexing import compiled_on
from test_device_inner_graphs import cuda_refusals

DEVICES = ["ref", pytest.param("cuda", marks=pytest.mark.cuda)]
DTYPES = ["float32", "float64", "int8", "int64", "uint16", "bool"]


def array_graphs(dtype):
    """(inputs, outputs, values) of the ops, each over a few layouts."""
    x = T.tensor(dtype, shape=(None, None, None), name="x")
    col = T.tensor(dtype, shape=(None, 1), name="col")
    v, s = T.tensor(dtype, shape=(None,), name="v"), T.tensor(dtype, shape=(), name="s")
    n, labels, small = T.lscalar("n"), T.lvector("labels"), T.bvector("small")
    outputs = [
        x.dimshuffle(2, "x", 0, 1), x.T, x[:, ::-1].dimshuffle(1, 0, 2),   # views
        col.dimshuffle(0), s.dimshuffle("x", "x"),                          # drop, 0-d
        T.reshape(x, (-1,)), T.reshape(x, (x.shape[2], -1)), x[:, ::2].flatten(2),
        T.reshape(s, (1, 1)), T.reshape(x[:0], (0, 5)),                   # 0-d, empty
        T.alloc(s, n, 3), T.alloc(v, 2, v.shape[0]), T.alloc(col, 2, col.shape[0], 4),
        T.alloc(s, 0, n),
        T.concatenate([x, x[::-1]], axis=0), T.concatenate([x, x[:, :0], x], axis=1),
        T.concatenate([v, v[::-2], small]),                               # upcast inputs
        T.inc_subtensor(x[1:, ::-1], v), T.set_subtensor(x[:, 1], s),
        T.inc_subtensor(x[0, 1, 2], s), T.inc_subtensor(x[n:, :, ::-2], v[::-2]),
        T.set_subtensor(x[:0], v), T.inc_subtensor(col[:, 0], v[:col.shape[0]]),
        T.nnet.one_hot(labels, 4, dtype=dtype), T.nnet.one_hot(labels, n + 2, dtype=dtype),
    ]
    rng = np.random.default_rng(3)

    def values(shape):
        return np.asarray(rng.integers(-128, 128, shape) if dtype != "bool"
                          else rng.random(shape) > 0.5).astype(dtype)
    big = np.asfortranarray(values((3, 4, 5)))                           # Fortran order
    inputs = [x, col, v, s, n, labels, small]
    return inputs, outputs, [big, values((4, 1)), values(5), values(()), 2,
                             np.array([3, 0, 0, 2, 1]), np.array([-128, 127], "int8")]


def run(device, dtype):
    return compiled_on(device, *array_graphs(dtype))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_views_fills_joins_increments_and_one_hot_on_the_device_give_the_cpus(plugins, device,
                                                                           dtype):
    _, on_cpu = run("cpu", dtype)
    f, on_device = run(device, dtype)
    assert len(on_device) == len(on_cpu)
    for k, (want, got) in enumerate(zip(on_cpu, on_device)):
        assert got.dtype == want.dtype and got.shape == want.shape, k
        np.testing.assert_array_equal(got, want, err_msg=f"output {k}")
    assert all(f.schedule.placement.backend(node).device == f"{device}0"
               for node in f.schedule.nodes if not isinstance(node.op, Transfer))
    if device == "ref":
        assert cuda_refusals(f) == {}


@pytest.mark.cuda
def test_errors_on_the_device_are_the_cpus():
    """The CUDA thunks check as the CPU ops do, with their messages (the
    reference device runs the references, whose NumPy errors say less)."""
    x, v, n, labels = T.dmatrix("x"), T.dvector("v"), T.lscalar("n"), T.lvector("labels")
    cases = [([x, v], T.concatenate([x, v[None]]), [np.zeros((2, 4)), np.zeros(3)],
              "differ off that axis"),
             ([v, n], T.alloc(v, n, 3), [np.zeros(3), -1], r"negative length in shape \(-1, 3\)"),
             ([labels], T.nnet.one_hot(labels, 3), [np.array([0, 3])],
              r"one_hot: label 3 at position 1 is out of range for 3 classes "
              r"\(valid labels are 0\.\.2; 3 classes\)"),
             ([x, n], T.reshape(x, (n, -1)), [np.zeros((2, 3)), 4], r"reshape of \(2, 3\) to")]
    for inputs, output, values, message in cases:
        with theano.config.change_flags(device="cuda"):
            f = theano.function(inputs, output)
        with pytest.raises(ValueError, match=message):
            f(*values)
