"""Rewrites, tested by the structure of the compiled graph and by the values it computes."""
import io

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import function, shared
from cytensor.compile.mode import Mode
from cytensor.rewriting import REGISTRY
from cytensor.tensor.elemwise import DimShuffle, Elemwise
from cytensor.tensor.math import Dot, Reduce

NO_FUSION = Mode().excluding("fusion", "inplace")


def ops(f):
    return [node.op for node in f.maker.fgraph.toposort()]


def rows(f):
    """Table rows of the single-instruction Elemwise nodes of f."""
    return [op.program.instructions[0][0] for op in ops(f)
            if isinstance(op, Elemwise) and len(op.program.instructions) == 1]


def test_merge_identical_subgraphs():
    x = T.dvector("x")
    f = function([x], [T.exp(x) + 1, T.exp(x) + 1], mode=NO_FUSION)
    assert len(ops(f)) == 2          # one exp, one add
    a, b = f(np.zeros(2))
    np.testing.assert_array_equal(a, [2, 2])
    assert a is not b


def test_constant_folding():
    x = T.dvector("x")
    c = T.constant(np.arange(3.0))
    f = function([x], x + T.exp(c) * 2, mode=NO_FUSION)
    assert rows(f) == ["add"]
    np.testing.assert_allclose(f(np.zeros(3)), np.exp(np.arange(3.0)) * 2)


@pytest.mark.parametrize("build", [lambda x: x * 1, lambda x: 1 * x, lambda x: x + 0,
                                   lambda x: 0 + x, lambda x: x - 0, lambda x: x / 1,
                                   lambda x: -(-x)])
def test_identities_vanish(build):
    x = T.dvector("x")
    f = function([x], build(x), mode=NO_FUSION)
    assert rows(f) == []
    np.testing.assert_array_equal(f(np.arange(3.0)), np.arange(3.0))


def test_identity_keeps_broadcasting():
    x = T.dvector("x")
    ones = T.constant(np.ones((2, 1)))
    f = function([x], x * ones, mode=NO_FUSION)
    assert f(np.arange(3.0)).shape == (2, 3)


def test_x_minus_x_only_for_integers():
    i = T.lvector("i")
    f = function([i], i - i, mode=NO_FUSION)
    assert "sub" not in rows(f)
    np.testing.assert_array_equal(f(np.arange(3)), 0)
    x = T.dvector("x")
    g = function([x], x - x, mode=NO_FUSION)
    assert "sub" in rows(g)
    assert np.isnan(g(np.array([np.inf]))[0])


@pytest.mark.parametrize("build, row, ref", [
    (lambda x: T.log(1 + x), "log1p", np.log1p),
    (lambda x: T.log(x + 1), "log1p", np.log1p),
    (lambda x: T.exp(x) - 1, "expm1", np.expm1),
    (lambda x: x ** 2, "sqr", np.square),
    (lambda x: x ** 0.5, "sqrt", np.sqrt),
])
def test_stabilize_and_specialize(build, row, ref):
    x = T.dvector("x")
    f = function([x], build(x), mode=NO_FUSION)
    assert rows(f) == [row]
    data = np.array([1e-20, 0.5, 2.0])
    np.testing.assert_allclose(f(data), ref(data), rtol=1e-15)


def test_log1p_is_accurate_where_log_is_not():
    x = T.dvector("x")
    assert function([x], T.log(1 + x))(np.array([1e-20]))[0] == 1e-20


def test_log_of_exp_is_x():
    x = T.dvector("x")
    f = function([x], T.log(T.exp(x)), mode=NO_FUSION)
    assert rows(f) == []
    assert f(np.array([1000.0]))[0] == 1000.0          # exp would overflow


def test_log_of_sigmoid_is_softplus():
    x = T.dvector("x")
    f = function([x], T.log(T.sigmoid(x)), mode=NO_FUSION)
    assert "log" not in rows(f) and "softplus" in rows(f)
    np.testing.assert_allclose(f(np.array([-800.0, 0.0])), [-800.0, np.log(0.5)])


def test_shape_without_computing_the_value():
    x = T.dmatrix("x")
    y = T.exp(x).dot(x.T)
    f = function([x], y.shape, mode=NO_FUSION)
    assert not any(isinstance(op, (Dot, Elemwise)) for op in ops(f))
    np.testing.assert_array_equal(f(np.ones((3, 4))), [3, 3])
    g = function([x], x.shape[0])
    assert [type(op).__name__ for op in ops(g)] == ["Shape_i"]


def test_dot_of_transposes():
    a, b = T.dmatrices("a", "b")
    f = function([a, b], T.dot(a.T, b.T), mode=NO_FUSION)
    dims = [op for op in ops(f) if isinstance(op, DimShuffle)]
    assert len(dims) == 1
    A, B = np.arange(6.0).reshape(2, 3), np.arange(8.0).reshape(4, 2)
    np.testing.assert_allclose(f(A, B), A.T @ B.T)


def test_sum_of_broadcast():
    x = T.dmatrix("x")
    g = theano.grad(x.sum(), x)
    f = function([x], g.sum(), mode=NO_FUSION)
    assert not any(isinstance(op, Reduce) for op in ops(f))
    assert f(np.ones((3, 4))) == 12


def test_reshape_moves_onto_elementwise_inputs():
    """sum(reshape(f(a, b))) becomes one fused reduction over reshaped inputs;
    not when f's result has another reader, nor when an input broadcasts."""
    from cytensor.tensor.math import FusedReduce
    a, b, r = T.dvector("a"), T.dvector("b"), T.drow("r")
    av, bv = np.linspace(0.5, 2, 12), np.linspace(-1, 1, 12)
    f = function([a, b], (T.log(a) * b * 2).reshape((3, 4)).sum(axis=1))
    assert any(isinstance(op, FusedReduce) for op in ops(f))
    np.testing.assert_allclose(f(av, bv), (np.log(av) * bv * 2).reshape(3, 4).sum(1))
    product = T.log(a) * b
    g = function([a, b], [product.reshape((3, 4)).sum(axis=1), product])
    assert not any(isinstance(op, FusedReduce) for op in ops(g))
    np.testing.assert_allclose(g(av, bv)[0], (np.log(av) * bv).reshape(3, 4).sum(1))
    m = T.dmatrix("m")
    h = function([m, r], (m * r).reshape((-1,)).sum())
    assert not any(isinstance(op, FusedReduce) for op in ops(h))
    mv, rv = np.ones((2, 3)), np.arange(3.0)[None]
    np.testing.assert_allclose(h(mv, rv), (mv * rv).sum())


def test_excluding_a_rewrite_by_name():
    x = T.dvector("x")
    f = function([x], T.log(1 + x), mode=Mode().excluding("log1p_from_log", "fusion"))
    assert "log1p" not in rows(f)
    with theano.config.change_flags(optimizer_excluding="log1p_from_log:fusion"):
        assert "log1p" not in rows(function([x], T.log(1 + x)))


def test_fast_compile_runs_only_cheap_rewrites():
    x = T.dvector("x")
    f = function([x], T.log(1 + x) * 1, mode="FAST_COMPILE")
    assert "log1p" not in rows(f) and "mul" not in rows(f)
    cheap = {r.name for r in REGISTRY if "fast_compile" in r.tags}
    assert {"merge", "constant_folding"} <= cheap


def test_trace_prints_each_rewrite():
    x = T.dvector("x")
    stream = io.StringIO()
    with theano.config.change_flags(optimizer_verbose=True):
        import contextlib
        with contextlib.redirect_stdout(stream):
            f = function([x], T.log(1 + x))
    text = stream.getvalue()
    assert "log1p_from_log" in text and "log(1 + x)" in text and "log1p(x)" in text
    out = io.StringIO()
    f.maker.print_rewrites(file=out)
    assert "log1p_from_log" in out.getvalue()


# ---------------------------------------------------------------------------
# Fusion
# ---------------------------------------------------------------------------


def test_elementwise_chain_becomes_one_node():
    a, b, c = T.dvectors("a", "b", "c")
    f = function([a, b, c], T.exp(a) * b + T.log(c) ** 2)
    (op,) = ops(f)
    assert isinstance(op, Elemwise) and len(op.program.instructions) == 5
    x = np.linspace(0.5, 2, 7)
    np.testing.assert_allclose(f(x, x, x), np.exp(x) * x + np.log(x) ** 2, rtol=1e-14)


def test_fusion_keeps_shared_intermediates():
    x = T.dvector("x")
    e = T.exp(x)
    f = function([x], [e + 1, e * 2])
    np.testing.assert_allclose(f(np.zeros(2))[1], [2, 2])
    assert sum(isinstance(op, Elemwise) for op in ops(f)) == 3


def _random_graph(rng, inputs, depth):
    unary = ["exp", "tanh", "sin", "neg", "sqr", "abs_", "sigmoid"]
    binary = ["add", "sub", "mul", "maximum", "minimum"]
    pool = list(inputs)
    for _ in range(depth):
        if rng.random() < 0.4:
            v = getattr(T, unary[rng.integers(len(unary))])(pool[rng.integers(len(pool))])
        else:
            a, b = (pool[rng.integers(len(pool))] for _ in range(2))
            v = getattr(T, binary[rng.integers(len(binary))])(a, b)
        pool.append(v)
    return pool[-1], pool[-3]


@pytest.mark.parametrize("seed", range(12))
def test_fused_equals_unfused_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    dtype = ["float32", "float64"][seed % 2]
    x = T.matrix("x", dtype=dtype)
    r = T.row("r", dtype=dtype)
    c = T.col("c", dtype=dtype)
    outputs = _random_graph(rng, [x, r, c], depth=8 + seed)
    fused = function([x, r, c], list(outputs), on_unused_input="ignore")
    reference = function([x, r, c], list(outputs), mode=Mode(linker="py", optimizer=None),
                         on_unused_input="ignore")
    assert len(ops(fused)) < len(ops(reference))
    data = [rng.uniform(-1, 1, s).astype(dtype) for s in ((5, 7), (1, 7), (5, 1))]
    data[0] = data[0][:, ::-1] if seed % 3 == 0 else data[0]        # strided input
    for got, want in zip(fused(*data), reference(*data)):
        np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == "float32" else 1e-13,
                                   atol=1e-6 if dtype == "float32" else 1e-14)


def test_fusion_with_casts_and_comparisons():
    x = T.fvector("x")
    i = T.ivector("i")
    y = T.switch(x > 0, x * i, T.cast(i, "float32") - 1) + T.cast(x * 2.7, "int32")
    f = function([x, i], y)
    g = function([x, i], y, mode=Mode(optimizer=None))
    xs = np.array([-1.5, 0.0, 2.25, 3.9], dtype="float32")
    iv = np.array([1, 2, 3, -4], dtype="int32")
    np.testing.assert_array_equal(f(xs, iv), g(xs, iv))
    assert f(xs, iv).dtype == y.dtype


# ---------------------------------------------------------------------------
# Memory: in-place, buffer reuse, outputs never alias
# ---------------------------------------------------------------------------


def test_inplace_only_on_dead_intermediates():
    x = T.dmatrix("x")
    m = T.exp(x).max(axis=1, keepdims=True)        # a non-elementwise node between
    y = T.tanh(x.sum(axis=1, keepdims=True) * m)
    z = T.log(y + 2)
    f = function([x], z, mode=Mode().excluding("fusion"))
    inplace = [op for op in ops(f) if isinstance(op, Elemwise) and op.inplace is not None]
    assert inplace
    data = np.random.default_rng(0).random((4, 3))
    before = data.copy()
    ref = np.log(np.tanh(data.sum(1, keepdims=True) * np.exp(data).max(1, keepdims=True)) + 2)
    np.testing.assert_allclose(f(data), ref)
    np.testing.assert_array_equal(data, before)               # inputs are never written
    np.testing.assert_allclose(f(data), ref)                  # and again, reusing buffers


def test_inputs_and_read_only_shared_values_are_never_overwritten():
    w = shared(np.ones(3), name="w")
    x = T.dvector("x")
    f = function([x], (w * 2 + x) * 3)
    data = np.zeros(3)
    kept = w.get_value(borrow=True)
    f(data)
    np.testing.assert_array_equal(data, 0)
    np.testing.assert_array_equal(kept, 1)


def test_updates_write_in_place_into_the_shared_array():
    w = shared(np.ones(3), name="w")
    x = T.dvector("x")
    step = function([x], [], updates=[(w, w - 0.5 * x)])
    assert any(isinstance(op, Elemwise) and op.inplace is not None for op in ops(step))
    copy, borrowed = w.get_value(), w.get_value(borrow=True)
    step(np.ones(3))
    np.testing.assert_array_equal(w.get_value(), 0.5)
    np.testing.assert_array_equal(copy, 1)              # a copy never changes
    assert w.get_value(borrow=True) is borrowed         # same storage, as in Theano
    # Not in place when the old value is still needed: returned, or read later.
    keep = function([x], w, updates=[(w, w - 0.5 * x)])
    np.testing.assert_array_equal(keep(np.ones(3)), 0.5)
    np.testing.assert_array_equal(w.get_value(), 0.0)


def test_returned_arrays_are_not_reused():
    x = T.dvector("x")
    f = function([x], T.exp(x) + 1)
    first = f(np.zeros(3))
    second = f(np.ones(3))
    np.testing.assert_array_equal(first, 2)
    assert not np.shares_memory(first, second)


def test_sgd_step_becomes_one_inplace_gemm():
    rng = np.random.default_rng(0)
    w = shared(rng.standard_normal((4, 3)), name="w")
    a, b = T.dmatrices("a", "b")
    step = function([a, b], [], updates=[(w, w - 0.1 * T.dot(a, b))])
    (op,) = [op for op in ops(step) if type(op).__name__ == "Gemm"]
    assert op.inplace
    A, B = rng.standard_normal((4, 5)), rng.standard_normal((5, 3))
    want = w.get_value() - 0.1 * A @ B
    step(A, B)
    np.testing.assert_allclose(w.get_value(), want, rtol=1e-14)
    # Not in place when the function also returns the old value.
    keep = function([a, b], w, updates=[(w, w - 0.1 * T.dot(a, b))])
    assert not any(type(op).__name__ == "Gemm" and op.inplace for op in ops(keep))
    old = w.get_value()
    np.testing.assert_array_equal(keep(A, B), old)
    np.testing.assert_allclose(w.get_value(), old - 0.1 * A @ B, rtol=1e-14)
    # A plain expression is a Gemm too, writing into a fresh array.
    c = T.dmatrix("c")
    f = function([a, b, c], c - 2 * T.dot(a, b))
    C = rng.standard_normal((4, 3))
    before = C.copy()
    np.testing.assert_allclose(f(A, B, C), C - 2 * A @ B, rtol=1e-14)
    np.testing.assert_array_equal(C, before)            # the input is not overwritten
    debug = function([a, b, c], c - 2 * T.dot(a, b), mode="DebugMode")
    np.testing.assert_allclose(debug(A, B, C), C - 2 * A @ B, rtol=1e-14)


@pytest.mark.parametrize("n", [4, 300])
def test_inplace_update_that_reads_a_view_of_itself(n):
    rng = np.random.default_rng(n)
    start = rng.random((n, n))
    w = shared(start.copy())
    function([], [], updates=[(w, w + w.T)])()
    np.testing.assert_allclose(w.get_value(), start + start.T)
    v = shared(start.copy())
    function([], [], updates=[(v, v * 2 - v[::-1])])()
    np.testing.assert_allclose(v.get_value(), start * 2 - start[::-1])
    u = shared(start.copy())
    a = T.dmatrix("a")
    function([a], [], updates=[(u, u - 0.5 * T.dot(u.T, a))])(start)
    np.testing.assert_allclose(u.get_value(), start - 0.5 * start.T @ start)
