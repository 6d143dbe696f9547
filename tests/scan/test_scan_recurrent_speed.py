"""The recurrent-net speed work on scan, checked by graph structure and by value.

The gradient reads each step's matrix products from the forward loop (no
product recomputed in the backward step), makes the weight gradients as one
product after the loop, runs the forward loop once; the input projection
``x_t @ W`` leaves the loop; the gate gradients go into one array.  The
results and gradients are those of a NumPy loop written out by hand, and
of finite differences."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad
from cytensor.scan import Scan, _GradientPlan
from cytensor.tensor.math import Dot
from cytensor.tensor.basic import Alloc, Join
from cytensor.tensor.subtensor import IncSubtensor

H, D, B, STEPS = 3, 2, 4, 5


def lstm_cell(x_t, h, c, Wx, Wh, b):
    z = T.dot(x_t, Wx) + T.dot(h, Wh) + b
    i, f = T.nnet.sigmoid(z[:, :H]), T.nnet.sigmoid(z[:, H:2 * H])
    g, o = T.tanh(z[:, 2 * H:3 * H]), T.nnet.sigmoid(z[:, 3 * H:])
    c_new = f * c + i * g
    return o * T.tanh(c_new), c_new


def lstm_graph(x, h0, c0, Wx, Wh, b):
    (hs, cs), _ = theano.scan(lambda x_t, h, c: lstm_cell(x_t, h, c, Wx, Wh, b),
                              sequences=x, outputs_info=[h0, c0])
    return (hs ** 2).sum() + cs[-1].sum()


def lstm_numpy(x, h, c, Wx, Wh, b):
    """The same LSTM, unrolled in NumPy: the loss of lstm_graph."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))       # noqa: E731
    loss = 0.0
    for x_t in x:
        z = x_t @ Wx + h @ Wh + b
        c = sigmoid(z[:, H:2 * H]) * c + sigmoid(z[:, :H]) * np.tanh(z[:, 2 * H:3 * H])
        h = sigmoid(z[:, 3 * H:]) * np.tanh(c)
        loss += (h ** 2).sum()
    return loss + c.sum()


def lstm_point(rng):
    return [rng.normal(size=(STEPS, B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H)),
            rng.normal(size=(D, 4 * H)) * 0.5, rng.normal(size=(H, 4 * H)) * 0.5,
            rng.normal(size=4 * H) * 0.1]


def lstm_inputs():
    return [T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("c0"), T.dmatrix("Wx"),
            T.dmatrix("Wh"), T.dvector("b")]


def scans_of(fn):
    return [node for node in fn.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def step_nodes(scan_node):
    return scan_node.op._function("cy").maker.fgraph.toposort()


def products_with(nodes, inner_var):
    return [n for n in nodes if isinstance(n.op, Dot) and inner_var in n.inputs]


@pytest.fixture(scope="module")
def lstm_training_step():
    """The loss and its gradients with respect to every input, compiled."""
    inputs = lstm_inputs()
    loss = lstm_graph(*inputs)
    return theano.function(inputs, [loss] + theano.grad(loss, inputs))


def test_lstm_loss_and_gradients_match_numpy(lstm_training_step):
    point = lstm_point(np.random.default_rng(0))
    loss, *grads = lstm_training_step(*point)
    np.testing.assert_allclose(loss, lstm_numpy(*point), rtol=1e-10)
    eps = 1e-6
    for k, g in enumerate(grads):        # central differences of the NumPy loop
        flat = point[k].reshape(-1)
        for e in range(0, flat.size, max(1, flat.size // 7)):
            shifted = [p.copy() for p in point]
            shifted[k].reshape(-1)[e] += eps
            up = lstm_numpy(*shifted)
            shifted[k].reshape(-1)[e] -= 2 * eps
            numeric = (up - lstm_numpy(*shifted)) / (2 * eps)
            np.testing.assert_allclose(g.reshape(-1)[e], numeric, rtol=1e-5, atol=1e-7)


def test_lstm_verify_grad():
    verify_grad(lstm_graph, lstm_point(np.random.default_rng(1)),
                rng=np.random.default_rng(2))


def test_forward_loop_runs_once_and_backward_step_recomputes_no_product(lstm_training_step):
    forward, backward = scans_of(lstm_training_step)
    assert backward.op.name.startswith("grad_of")
    # The backward step has one product left: dz_t @ Wh^T, for h_{t-1}'s gradient.
    assert len([n for n in step_nodes(backward) if isinstance(n.op, Dot)]) == 1
    assert len(step_nodes(backward)) <= 40


def test_backward_step_reads_the_saved_gates(lstm_training_step):
    """The forward scan keeps each step's gates and tanh(c_t), which the
    backward step reads instead of computing them again; it then reads no
    product of the forward step, so none is kept."""
    loss = lstm_graph(*lstm_inputs())
    (scan_node,) = [n for n in theano.graph.toposort([loss]) if isinstance(n.op, Scan)]
    plan = _GradientPlan(scan_node.op)
    activation_ops = {T.nnet.sigmoid(T.dmatrix()).owner.op, T.tanh(T.dmatrix()).owner.op}
    gates = [n.outputs[0] for n in theano.graph.toposort(scan_node.op.inner_outputs)
             if n.op in activation_ops]
    assert len(gates) == 5 and set(gates) <= set(plan.activations)
    assert plan.saved_products == [] and len(plan.products) == 2
    _, backward = scans_of(lstm_training_step)
    assert len(step_nodes(backward)) <= 20      # 33 when it computed z and the gates again


def test_rnn_backward_step_reads_the_forward_results():
    """tanh's gradient reads its output, h_t: the backward step takes it from
    the forward scan's results, so the forward scan keeps nothing more."""
    x, h0, Wx, Wh = T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("Wx"), T.dmatrix("Wh")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(T.dot(x_t, Wx) + T.dot(h, Wh)),
                        sequences=x, outputs_info=h0)
    plan = _GradientPlan(hs.owner.op)
    assert plan.read == hs.owner.op.inner_outputs and plan.saved == []
    rng = np.random.default_rng(8)
    point = [rng.normal(size=(STEPS, B, D)), rng.normal(size=(B, H)), rng.normal(size=(D, H)),
             rng.normal(size=(H, H))]
    verify_grad(lambda *v: theano.clone((hs ** 2).sum(), dict(zip([x, h0, Wx, Wh], v))),
                point, rng=np.random.default_rng(9))


def test_input_projection_leaves_the_loop(lstm_training_step):
    forward, _ = scans_of(lstm_training_step)
    x_row = forward.op.inner_inputs[0]
    assert not products_with(step_nodes(forward), x_row)
    # one product in the step (h_{t-1} @ Wh), the projection of x before the loop
    assert len([n for n in step_nodes(forward) if isinstance(n.op, Dot)]) == 1
    x = lstm_training_step.maker.fgraph.inputs[0]
    outer_products = [n for n in lstm_training_step.maker.fgraph.toposort()
                      if isinstance(n.op, Dot)]
    assert any(x in theano.graph.ancestors([n.inputs[0]]) for n in outer_products)


def test_weight_gradients_are_products_after_the_loop(lstm_training_step):
    """No running sum of h^T dz in the backward step: the weight gradients
    are Dots of the stacked sequences in the outer graph."""
    fgraph = lstm_training_step.maker.fgraph
    _, backward = scans_of(lstm_training_step)
    inner_nonseqs = backward.op.inner_inputs[backward.op.n_sequences + backward.op.n_state_taps:]
    for w in inner_nonseqs:
        readers = [n for n in step_nodes(backward) if w in n.inputs]
        assert all(not isinstance(n.op, Dot) or n.inputs[0].ndim == 2 for n in readers)
    outer_products = [n for n in fgraph.toposort() if isinstance(n.op, Dot)]
    # x @ Wx before the loop; after it: dWx, dWh, dx
    assert len(outer_products) >= 4


def test_gate_gradients_are_joined_side_by_side(lstm_training_step):
    """The four gates' gradients tile dz's columns: one Join, no array of zeros."""
    _, backward = scans_of(lstm_training_step)
    nodes = step_nodes(backward)
    assert not [n for n in nodes if isinstance(n.op, (IncSubtensor, Alloc))]
    joins = [n for n in nodes if isinstance(n.op, Join)]
    assert len(joins) == 1 and joins[0].op.axis == 1 and len(joins[0].inputs) == 4


def test_without_the_join_the_gate_gradients_go_into_one_array():
    """chain_increments_of_zeros alone (the join rewrite left out): one array
    of zeros, each gate's part added to the array of the one before; the
    results those of the joined graph."""
    inputs = lstm_inputs()
    loss = lstm_graph(*inputs)
    outputs = [loss] + theano.grad(loss, inputs)
    point = lstm_point(np.random.default_rng(7))
    joined = theano.function(inputs, outputs)
    with theano.config.change_flags(optimizer_excluding=["join_increments_tiling_zeros"]):
        chained = theano.function(inputs, outputs)
        expected = chained(*point)           # the step compiles on the first call
    incs = [n for n in step_nodes(scans_of(chained)[1]) if isinstance(n.op, IncSubtensor)]
    assert len(incs) == 4
    assert len([n for n in incs if n.inputs[0].owner is not None
                and isinstance(n.inputs[0].owner.op, IncSubtensor)]) == 3
    for got, want in zip(joined(*point), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_rewrites_keep_the_sum_of_overlapping_increments():
    """chain_increments_of_zeros is exact also where the parts overlap."""
    v = T.dvector("v")
    zeros = T.zeros((5,))
    total = T.inc_subtensor(zeros[1:4], v) + T.inc_subtensor(zeros[2:5], 2 * v)
    f = theano.function([v], total)
    np.testing.assert_allclose(f(np.array([1.0, 2.0, 3.0])), [0, 1, 4, 7, 6])


# ---------------------------------------------------------------------------
# Other shapes of product: vectors, a weight on the left, two per-step values
# ---------------------------------------------------------------------------

def vector_rnn(x, h0, W, U):
    hs, _ = theano.scan(lambda x_t, h: T.tanh(T.dot(W, x_t) + T.dot(h, U)),
                        sequences=x, outputs_info=h0)
    return hs


def two_step_values(x, h0, U):
    """A product of two per-step values (x_t @ h) beside a weight product."""
    hs, _ = theano.scan(lambda x_t, h: T.tanh(T.dot(x_t, h) + T.dot(h, U)),
                        sequences=x, outputs_info=h0)
    return hs


def rnn_numpy(x, h, W, U):
    out = []
    for x_t in x:
        h = np.tanh(W @ x_t + h @ U)
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("case", ["vector_rnn", "two_step_values"])
def test_other_products_verify_grad(case):
    rng = np.random.default_rng(6)
    if case == "vector_rnn":
        verify_grad(lambda *a: vector_rnn(*a).sum(), [
            rng.normal(size=(STEPS, D)), rng.normal(size=H), rng.normal(size=(H, D)),
            rng.normal(size=(H, H))], rng=rng)
    else:
        verify_grad(lambda *a: two_step_values(*a).sum(), [
            rng.normal(size=(STEPS, H, H)), rng.normal(size=(H, H)), rng.normal(size=(H, H))],
            rng=rng)


def test_vector_rnn_matches_numpy_and_hoists_the_left_weight():
    rng = np.random.default_rng(7)
    point = [rng.normal(size=(STEPS, D)), rng.normal(size=H), rng.normal(size=(H, D)),
             rng.normal(size=(H, H))]
    inputs = [T.dmatrix("x"), T.dvector("h0"), T.dmatrix("W"), T.dmatrix("U")]
    hs = vector_rnn(*inputs)
    f = theano.function(inputs, [hs] + theano.grad(hs.sum(), inputs[2:]))
    np.testing.assert_allclose(f(*point)[0], rnn_numpy(*point), rtol=1e-12)
    _, backward = scans_of(f)
    # only h's gradient is a product in the backward step; W's and U's come after
    assert len([n for n in step_nodes(backward) if isinstance(n.op, Dot)]) == 1


def test_truncated_gradient_with_saved_products():
    """truncate_gradient=2: the weight gradient sums the last two steps only."""
    rng = np.random.default_rng(8)
    x, h0, U = T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("U")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, U)), sequences=x,
                        outputs_info=h0, truncate_gradient=2)
    g = theano.function([x, h0, U], theano.grad(hs[-1].sum(), U))
    xv, hv, Uv = rng.normal(size=(STEPS, B, H)), rng.normal(size=(B, H)), rng.normal(size=(H, H))
    states = [hv]
    for x_t in xv:
        states.append(np.tanh(x_t + states[-1] @ Uv))
    expected, dh = np.zeros_like(Uv), np.ones((B, H))
    for t in (STEPS - 1, STEPS - 2):          # back through the last two steps
        dz = dh * (1 - states[t + 1] ** 2)
        expected += states[t].T @ dz
        dh = dz @ Uv.T
    np.testing.assert_allclose(g(xv, hv, Uv), expected, rtol=1e-12)


def test_lstm_float32_training_step_matches_float64():
    """The benchmark's case, small: SGD updates through shared weights."""
    rng = np.random.default_rng(9)
    point = lstm_point(rng)
    results = {}
    for dtype in ("float64", "float32"):
        weights = [theano.shared(p.astype(dtype)) for p in point[3:]]
        x, h0, c0 = (T.tensor3("x", dtype=dtype), T.matrix("h0", dtype=dtype),
                     T.matrix("c0", dtype=dtype))
        loss = lstm_graph(x, h0, c0, *weights)
        grads = theano.grad(loss, weights)
        step = theano.function([x, h0, c0], loss, updates=[
            (w, w - np.asarray(0.01, dtype) * g) for w, g in zip(weights, grads)])
        losses = [step(*(p.astype(dtype) for p in point[:3])) for _ in range(3)]
        results[dtype] = losses, [w.get_value() for w in weights]
    np.testing.assert_allclose(results["float32"][0], results["float64"][0], rtol=1e-4)
    for w32, w64 in zip(results["float32"][1], results["float64"][1]):
        np.testing.assert_allclose(w32, w64, rtol=1e-3, atol=1e-5)
