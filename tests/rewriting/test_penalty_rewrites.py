"""The book MLP's L1/L2 penalties: one fused pass each, a zero factor
removes its term, and the L2 gradient keeps its constant a broadcast scalar."""
import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor.compile.mode import Mode
from cytensor.tensor.basic import Alloc
from cytensor.tensor.elemwise import Elemwise
from cytensor.tensor.math import FusedReduce, Reduce


def nodes(f):
    return f.maker.fgraph.toposort()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("penalty,reference", [
    (lambda W: abs(W).sum(), lambda w: np.abs(w).sum()),
    (lambda W: (W ** 2).sum(), lambda w: (w ** 2).sum()),
])
def test_penalty_is_one_fused_reduction(penalty, reference, dtype):
    W = T.matrix("W", dtype=dtype)
    f = cytensor.function([W], penalty(W))
    ops = [node.op for node in nodes(f)]
    assert len(ops) == 1 and isinstance(ops[0], FusedReduce), ops
    w = np.random.default_rng(0).normal(size=(37, 5)).astype(dtype)
    for value in (w, w[::2, ::-1], np.asfortranarray(w), w[:0]):
        np.testing.assert_allclose(f(value), reference(value.astype("float64")),
                                   rtol=1e-5 if dtype == "float32" else 1e-12)


def book_mlp_cost(l1_factor):
    x, y = T.matrix("x"), T.ivector("y")
    W1, W2 = T.matrix("W1"), T.matrix("W2")
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1)), W2))
    nll = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    L1 = abs(W1).sum() + abs(W2).sum()
    L2 = (W1 ** 2).sum() + (W2 ** 2).sum()
    return [x, y, W1, W2], nll + l1_factor * L1 + 0.0001 * L2


def test_zero_l1_factor_removes_the_term_and_its_gradient():
    inputs, cost = book_mlp_cost(0.0)
    W1 = inputs[2]
    f = cytensor.function(inputs, [cost, T.grad(cost, W1)])
    for node in nodes(f):
        assert "abs" not in str(node.op) and "sgn" not in str(node.op) \
            and "sign" not in str(node.op), node.op
    rng = np.random.default_rng(1)
    x, w1, w2 = rng.normal(size=(6, 4)), rng.normal(size=(4, 5)), rng.normal(size=(5, 3))
    y = np.array([0, 1, 2, 2, 1, 0], dtype="int32")
    h = np.tanh(x @ w1)
    z = h @ w2
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    expected = -logp[np.arange(6), y].mean() + 0.0001 * ((w1 ** 2).sum() + (w2 ** 2).sum())
    cost_v, g1 = f(x, y, w1, w2)
    np.testing.assert_allclose(cost_v, expected, rtol=1e-12)
    dz = np.exp(logp)
    dz[np.arange(6), y] -= 1
    dz /= 6
    expected_g1 = x.T @ ((dz @ w2.T) * (1 - h ** 2)) + 0.0002 * w1
    np.testing.assert_allclose(g1, expected_g1, rtol=1e-10, atol=1e-12)


def test_nonzero_l1_factor_is_kept():
    inputs, cost = book_mlp_cost(0.001)
    f = cytensor.function(inputs, cost)
    assert sum(isinstance(n.op, FusedReduce) and "abs" in str(n.op) for n in nodes(f)) == 2


def test_l2_gradient_does_not_allocate_its_constant():
    W = T.matrix("W")
    g = T.grad(0.0001 * (W ** 2).sum(), W)
    f = cytensor.function([W], g)
    assert not any(isinstance(n.op, Alloc) for n in nodes(f))
    big = [n for n in nodes(f) if isinstance(n.op, Elemwise)
           and n.outputs[0].type.broadcastable == (False, False)]
    assert len(big) == 1                      # the one pass 0.0002 * W
    w = np.random.default_rng(2).normal(size=(3, 4))
    np.testing.assert_allclose(f(w), 0.0002 * w, rtol=1e-14)


def test_alloc_lifted_out_of_an_elementwise_op_keeps_values():
    c, W = T.scalar("c"), T.matrix("W")
    f = cytensor.function([c, W], T.exp(T.alloc(c, W.shape[0], W.shape[1]) * 2) + W)
    assert not any(isinstance(n.op, Alloc) for n in nodes(f))
    w = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(f(0.5, w), np.exp(1.0) + w)
    empty = np.zeros((0, 3))
    assert f(0.5, empty).shape == (0, 3)


def test_zero_factor_caveat_nan_and_how_to_keep_it():
    """As in Theano, 0 * x is 0 even where x is nan or inf; excluding the
    rewrite by name keeps NumPy's nan."""
    x = T.vector("x")
    bad = np.array([np.nan, np.inf, 1.0])
    f = cytensor.function([x], 0.0 * x)
    np.testing.assert_array_equal(f(bad), np.zeros(3))
    assert f(bad).shape == (3,)
    g = cytensor.function([x], 0.0 * x, mode=Mode().excluding("mul_by_zero"))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(g(bad), 0.0 * bad)
    s = cytensor.function([x], 0.0 * x.sum())
    assert s(bad) == 0.0 and s(bad).dtype == "float64"
    assert not any(isinstance(n.op, (Reduce, FusedReduce)) for n in nodes(s))
