"""gemm_from_scaled_dot with a weight-decay term: ``C - k * (dot(A, B) + c * C)``
is one Gemm whose beta is ``1 - k * c`` (the L2 penalty's update, issue 15).
Proven by the compiled graph's structure and by values against NumPy."""
import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor.compile.mode import Mode
from cytensor.graph import Constant
from cytensor.tensor.math import Dot, Gemm

WITHOUT = Mode().excluding("gemm_from_scaled_dot")
RTOL = {"float32": 2e-5, "float64": 1e-12}


def nodes(f):
    return f.maker.fgraph.toposort()


def gemms(f):
    return [node for node in nodes(f) if isinstance(node.op, Gemm)]


def data(dtype, m=5, k=4, n=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in ((m, n), (m, k), (k, n))]


DECAYS = [
    # the gradient as the graph writes it, and NumPy's value of it
    # (f makes a number of the test's dtype)
    (lambda W, P, f: P + f(0.0002) * W, lambda w, p: p + 0.0002 * w),
    (lambda W, P, f: f(0.0002) * W + P, lambda w, p: 0.0002 * w + p),
    (lambda W, P, f: P + W, lambda w, p: p + w),
    (lambda W, P, f: W * f(0.5) + (P + f(0.25) * W), lambda w, p: w * 0.5 + (p + 0.25 * w)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("gradient,reference", DECAYS)
def test_update_with_weight_decay_is_one_inplace_gemm(gradient, reference, dtype):
    w0, a, b = data(dtype)
    W = cytensor.shared(w0.copy())
    A, B = T.matrices("A", "B", dtype=dtype)
    f = np.dtype(dtype).type
    step = cytensor.function([A, B], [],
                             updates=[(W, W - f(0.1) * gradient(W, T.dot(A, B), f))])
    (gemm,) = gemms(step)
    assert gemm.op.inplace and gemm.inputs[0].owner is None      # W itself
    assert isinstance(gemm.inputs[4], Constant)             # beta: 1 - k * c, computed now
    assert not any(isinstance(node.op, Dot) for node in nodes(step))
    assert len(nodes(step)) == 1
    w = w0.copy()
    for _ in range(3):
        w = w - 0.1 * reference(w, a @ b)
        step(a, b)
        np.testing.assert_allclose(W.get_value(), w, rtol=RTOL[dtype])


def test_the_book_mlp_updates_are_gemms():
    """Both weight matrices of the L2-penalised MLP step: one Gemm each, no
    product stored, as in benchmarks/bench_small_models.py's S3."""
    rng = np.random.default_rng(1)
    W1 = cytensor.shared((rng.standard_normal((7, 6)) * 0.1).astype("float32"))
    W2 = cytensor.shared((rng.standard_normal((6, 3)) * 0.1).astype("float32"))
    x, y = T.fmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1)), W2))
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) \
        + np.float32(0.0001) * ((W1 ** 2).sum() + (W2 ** 2).sum())
    g1, g2 = cytensor.grad(cost, [W1, W2])
    lr = np.float32(0.01)
    updates = [(W1, W1 - lr * g1), (W2, W2 - lr * g2)]
    step = cytensor.function([x, y], cost, updates=updates)
    plain = cytensor.function([x, y], [g1, g2])
    assert len(gemms(step)) == 2 and all(g.op.inplace for g in gemms(step))
    # beta: 1 - lr * (2 * l2), a constant though 2 * l2 was made after constant folding
    assert all(isinstance(g.inputs[4], Constant) for g in gemms(step))
    xv, yv = rng.standard_normal((4, 7)).astype("float32"), np.array([0, 2, 1, 2], "int32")
    w1, w2 = W1.get_value(), W2.get_value()
    d1, d2 = plain(xv, yv)
    step(xv, yv)
    np.testing.assert_allclose(W1.get_value(), w1 - 0.01 * d1, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(W2.get_value(), w2 - 0.01 * d2, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_coefficient_computed_in_the_function(dtype):
    """c an input: beta is a scalar expression, not a constant."""
    w0, a, b = data(dtype, seed=2)
    W = cytensor.shared(w0.copy())
    A, B = T.matrices("A", "B", dtype=dtype)
    c = T.scalar("c", dtype=dtype)
    step = cytensor.function([A, B, c], [],
                             updates=[(W, W - np.dtype(dtype).type(0.1) * (T.dot(A, B) + c * W))])
    (gemm,) = gemms(step)
    assert gemm.op.inplace and not isinstance(gemm.inputs[4], Constant)
    step(a, b, 0.5)
    np.testing.assert_allclose(W.get_value(), w0 - 0.1 * (a @ b + 0.5 * w0), rtol=RTOL[dtype])


@pytest.mark.parametrize("layout", ["C", "F", "transposed", "negative", "empty"])
def test_plain_expression_over_layouts(layout):
    """C an input (the Gemm writes a copy; the input is never changed) in
    every layout, A a view, k = 0 (beta * C alone)."""
    c, a, b = data("float64", seed=3)
    if layout == "F":
        c, a = np.asfortranarray(c), np.asfortranarray(a)
    elif layout == "transposed":
        a = np.ascontiguousarray(a.T).T
    elif layout == "negative":
        c, a = c[::-1, ::-1], a[:, ::-1]
        b = b[::-1]
    elif layout == "empty":
        a, b = a[:, :0], b[:0]
    C, A, B = T.dmatrices("C", "A", "B")
    f = cytensor.function([C, A, B], C - 2 * (T.dot(A, B) + 0.5 * C))
    assert len(gemms(f)) == 1 and not gemms(f)[0].op.inplace
    before = c.copy()
    expected = c - 2 * (a @ b + 0.5 * c)
    np.testing.assert_allclose(f(c, a, b), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(c, before)
    debug = cytensor.function([C, A, B], C - 2 * (T.dot(A, B) + 0.5 * C), mode="DebugMode")
    np.testing.assert_allclose(debug(c, a, b), expected, rtol=1e-12, atol=1e-15)


def test_nan_stays_nan_and_inf_is_scaled():
    """nan in C stays nan.  inf does not become nan as ``inf - k * (c * inf)``
    would: beta scales it, as Theano's gemm rewrites do (documented in the
    rewrite's docstring)."""
    c, a, b = data("float64", seed=4)
    c[0, 0], c[1, 1] = np.nan, np.inf
    C, A, B = T.dmatrices("C", "A", "B")
    f = cytensor.function([C, A, B], C - 0.1 * (T.dot(A, B) + 0.5 * C))
    got = f(c, a, b)
    with np.errstate(invalid="ignore"):
        expected = c - 0.1 * (a @ b + 0.5 * c)
    assert np.isnan(got[0, 0]) and np.isnan(expected[1, 1]) and got[1, 1] == np.inf
    mask = np.isfinite(c)
    np.testing.assert_allclose(got[mask], expected[mask], rtol=1e-12)


@pytest.mark.parametrize("build", [
    lambda W, P: P + T.sgn(W),                  # a term that is not a multiple of W
    lambda W, P: P + 0.5 * W * W,               # nor is this
    lambda W, P: P + 0.5 * W.T.T[::-1],         # another variable
])
def test_other_terms_keep_the_product(build):
    w0, a, b = data("float64", m=3, k=4, n=3, seed=5)
    W = cytensor.shared(w0.copy())
    A, B = T.dmatrices("A", "B")
    new = W - 0.1 * build(W, T.dot(A, B))
    step = cytensor.function([A, B], [], updates=[(W, new)])
    assert not gemms(step)
    reference = cytensor.function([A, B], new, mode=WITHOUT)(a, b)
    step(a, b)
    np.testing.assert_allclose(W.get_value(), reference, rtol=1e-12)


def test_product_read_elsewhere_is_not_folded():
    """The gradient is also returned: the product is stored anyway."""
    w0, a, b = data("float64", seed=6)
    W = cytensor.shared(w0.copy())
    A, B = T.dmatrices("A", "B")
    g = T.dot(A, B) + 0.5 * W
    step = cytensor.function([A, B], g, updates=[(W, W - 0.1 * g)])
    assert not gemms(step)
    np.testing.assert_allclose(step(a, b), a @ b + 0.5 * w0, rtol=1e-12)
    np.testing.assert_allclose(W.get_value(), w0 - 0.1 * (a @ b + 0.5 * w0), rtol=1e-12)
