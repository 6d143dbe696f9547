"""The rewrites that take tiny nodes out of a small training step (issue 15):
the fill of a gradient from a scalar, sum of a negation, the book-form
loss's scale.  Each is proven by the rewritten graph's structure and by
values (and gradients) against the graph without it and NumPy."""
import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor.compile.mode import Mode
from cytensor.rewriting.algebra import sum_of_negation
from cytensor.rewriting.fgraph import FunctionGraph
from cytensor.tensor.basic import Alloc, Shape_i
from cytensor.tensor.elemwise import DimShuffle, Elemwise
from cytensor.tensor.elemwise_table import ELEMWISE
from cytensor.tensor.math import Reduce
from cytensor.tensor.nnet.basic import CrossentropySoftmax1HotDx


def nodes(f):
    return f.maker.fgraph.toposort()


def computes_neg(node):
    """Whether node is a one-row Elemwise computing neg."""
    return isinstance(node.op, Elemwise) and node.op.scalar_op is ELEMWISE["neg"]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_alloc_of_leading_broadcast_drops_the_dimshuffle(dtype):
    v, n = T.vector("v", dtype=dtype), T.lscalar("n")
    out = T.alloc(v.dimshuffle("x", "x", 0), 2, n, v.shape[0])
    f = cytensor.function([v, n], out)
    g = cytensor.function([v, n], out, mode=Mode().excluding("alloc_of_leading_broadcast"))
    allocs = [node for node in nodes(f) if isinstance(node.op, Alloc)]
    assert len(allocs) == 1 and allocs[0].inputs[0] is f.maker.fgraph.inputs[0]
    assert any(isinstance(node.op, DimShuffle) for node in nodes(g))
    value = np.arange(3).astype(dtype)
    for rows in (0, 1, 4):
        expected = np.broadcast_to(value, (2, rows, 3))
        np.testing.assert_array_equal(f(value, rows), expected)
        np.testing.assert_array_equal(g(value, rows), expected)


def test_alloc_of_leading_broadcast_keeps_other_dimshuffles():
    """A transposing or trailing-axis DimShuffle is not alloc's broadcast."""
    m = T.matrix("m")
    f = cytensor.function([m], T.alloc(m.dimshuffle(1, "x", 0), 3, 1, 2))
    assert any(isinstance(node.op, DimShuffle) for node in nodes(f))
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f(value), np.broadcast_to(value.T[:, None, :], (3, 1, 2)))


def test_alloc_of_leading_broadcast_gradient():
    s = T.dscalar("s")
    n = T.lscalar("n")
    w = T.dvector("w")
    loss = (T.alloc(s.dimshuffle("x"), n) * w).sum()
    grad = T.grad(loss, s)
    f = cytensor.function([s, n, w], grad)
    g = cytensor.function([s, n, w], grad, mode=Mode().excluding("alloc_of_leading_broadcast"))
    wv = np.array([1.5, -2.0, 4.0])
    assert f(0.3, 3, wv) == pytest.approx(wv.sum()) == g(0.3, 3, wv)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_sum_of_negation(dtype, axis):
    x = T.matrix("x", dtype=dtype)
    total = T.sum(-x, axis=axis)
    f = cytensor.function([x], [total, T.grad(total.sum(), x)])
    g = cytensor.function([x], [total, T.grad(total.sum(), x)],
                          mode=Mode().excluding("sum_of_negation"))
    reduces = [node for node in nodes(f) if isinstance(node.op, Reduce)]
    assert reduces and all(node.inputs[0] is f.maker.fgraph.inputs[0] for node in reduces)
    value = np.array([[1.0, -2.5, np.inf], [np.nan, 0.0, -0.0]], dtype)
    for got, unrewritten, expected in zip(f(value), g(value),
                                          [np.sum(-value, axis=axis), -np.ones_like(value)]):
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(unrewritten, expected)


def test_sum_of_negation_leaves_integers_alone():
    """-int8(-128) wraps to -128 before an int64 sum: the sum of negations is
    not the negated sum there."""
    x = T.bvector("x")
    total = T.sum(-x, dtype="int64")
    graph = FunctionGraph([x], [total])
    assert sum_of_negation(graph, total.owner) is None
    f = cytensor.function([x], total)
    value = np.array([-128, 3], "int8")
    assert f(value) == np.sum(-value, dtype="int64")


def test_book_loss_scale_is_one_fill_of_one_scalar():
    """-mean(log(softmax(z))[arange(n), y]): the gradient's 1/n per row is one
    scalar node filled by one Alloc, with no negation over the rows; the
    loss's negation fuses into the mean's division."""
    x, y, W = T.matrix("x"), T.ivector("y"), T.matrix("W")
    p = T.nnet.softmax(T.dot(x, W))
    loss = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    f = cytensor.function([x, y, W], [loss, T.grad(loss, W)])
    graph = nodes(f)
    (dx,) = [node for node in graph if isinstance(node.op, CrossentropySoftmax1HotDx)]
    fill = dx.inputs[0].owner
    assert isinstance(fill.op, Alloc) and fill.inputs[0].ndim == 0
    assert not any(computes_neg(node) and node.outputs[0].ndim > 0 for node in graph)
    assert not any(isinstance(node.op, DimShuffle) and node.outputs[0].ndim == 1
                   and node.inputs[0].ndim == 0 for node in graph)
    rng = np.random.default_rng(0)
    xv, Wv = rng.normal(size=(6, 5)), rng.normal(size=(5, 3))
    yv = rng.integers(0, 3, 6).astype("int32")
    z = xv @ Wv
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    dz = np.exp(logp)
    dz[np.arange(6), yv] -= 1
    for _ in range(2):                  # the second call refills the first's buffers
        got_loss, got_grad = f(xv, yv, Wv)
        np.testing.assert_allclose(got_loss, -logp[np.arange(6), yv].mean(), rtol=1e-12)
        np.testing.assert_allclose(got_grad, xv.T @ dz / 6, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_alloc_refills_its_buffer_and_follows_new_lengths(dtype):
    """Alloc's hot path reuses the last output only for the same lengths;
    other lengths (and negative ones: an error) take perform."""
    v, n, m = T.scalar("v", dtype=dtype), T.lscalar("n"), T.lscalar("m")
    out = T.alloc(v, n, m) * 1       # an intermediate, so its buffer is kept
    f = cytensor.function([v, n, m], out)
    for value, rows, cols in [(1, 2, 3), (0, 2, 3), (1, 3, 2), (1, 0, 4), (0, 3, 2)]:
        value = np.array(value, dtype)
        np.testing.assert_array_equal(f(value, rows, cols),
                                      np.full((rows, cols), value) * np.array(1, dtype))
    with pytest.raises(ValueError, match="negative"):
        f(np.array(1, dtype), -1, 2)


def test_shape_i_follows_each_call():
    """Shape_i's hot path rewrites its last output: every call sees its own
    lengths, also when the length is an intermediate read by other nodes."""
    x = T.matrix("x")
    n = x.shape[1]
    f = cytensor.function([x], [T.alloc(np.float64(2), n) * n, n])
    assert any(isinstance(node.op, Shape_i) for node in nodes(f))
    for cols in (3, 0, 5, 5, 1):
        doubled, length = f(np.zeros((2, cols)))
        np.testing.assert_array_equal(doubled, np.full(cols, 2.0 * cols))
        assert length == cols and length.dtype == np.int64
