"""A step's node writes its output straight into the output's row.

Scan puts each step's row of an output's buffer in the output cell of the
node that computes it (``Scan._direct_outputs``), so the row is not copied
from the node's own array.  Outputs a node views or overwrites, outputs
that are inputs of the step, and one variable given out twice are copied
as before.  The values are NumPy's, a call's results stay as they were
after the next call, and the gradients are those of finite differences."""
import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad
from cytensor.scan import Scan


def scan_node(fn):
    (node,) = [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    return node


def direct_outputs(fn):
    node = scan_node(fn)
    return node.op._direct_outputs(node.op._function("cy"))


def rnn_numpy(x, h, W):
    out = []
    for x_t in x:
        h = np.tanh(x_t + h @ W)
        out.append(h)
    return np.array(out)


def rnn():
    x, h0, W = T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("W")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W)), sequences=x, outputs_info=h0)
    return [x, h0, W], hs


def test_rnn_state_is_written_by_its_node_and_results_survive_the_next_call():
    inputs, hs = rnn()
    f = theano.function(inputs, hs)
    rng = np.random.default_rng(0)
    first = [rng.normal(size=(5, 3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(4, 4))]
    second = [rng.normal(size=(5, 3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(4, 4))]
    got_first = f(*first)
    kept = got_first.copy()
    got_second = f(*second)
    assert direct_outputs(f) == [0]
    np.testing.assert_allclose(got_first, kept, rtol=0, atol=0)
    np.testing.assert_allclose(got_first, rnn_numpy(*first), rtol=1e-12)
    np.testing.assert_allclose(got_second, rnn_numpy(*second), rtol=1e-12)


def test_one_scan_op_run_twice_in_a_graph_keeps_both_results():
    """The two nodes share the op's compiled step, its cells included: the
    second loop's first step must not write into the first loop's rows."""
    (x, h0, W), hs = rnn()
    x2 = T.dtensor3("x2")
    hs2 = theano.clone(hs, {x: x2})
    assert hs2.owner.op is hs.owner.op
    f = theano.function([x, x2, h0, W], [theano.Out(hs, borrow=True), hs2])
    rng = np.random.default_rng(3)
    xv, x2v, hv, Wv = (rng.normal(size=(5, 3, 4)), rng.normal(size=(5, 3, 4)),
                       rng.normal(size=(3, 4)), rng.normal(size=(4, 4)))
    got, got2 = f(xv, x2v, hv, Wv)
    np.testing.assert_allclose(got, rnn_numpy(xv, hv, Wv), rtol=1e-12)
    np.testing.assert_allclose(got2, rnn_numpy(x2v, hv, Wv), rtol=1e-12)


def test_rnn_gradient_with_outputs_written_in_place():
    inputs, hs = rnn()
    loss = (hs ** 2).sum()
    f = theano.function(inputs, theano.grad(loss, inputs))
    (backward,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)
                   and n.op.name and n.op.name.startswith("grad_of")]
    assert backward.op._direct_outputs(backward.op._function("cy"))
    rng = np.random.default_rng(1)
    point = [rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(3, 3))]
    verify_grad(lambda *v: (theano.clone(hs, dict(zip(inputs, v))) ** 2).sum(), point, rng=rng)


def test_views_inputs_and_repeated_outputs_are_copied():
    """Step outputs: a view of the row (x_t.T), the non-sequence itself, one
    product given out twice, and a new value, stopped by until."""
    x, w = T.dtensor3("x"), T.dvector("w")

    def step(x_t, total):
        doubled = T.dot(x_t, w)
        new_total = total + doubled.sum()
        return [x_t.T, w, doubled, doubled, new_total], theano.scan_module.until(new_total > 4)

    (views, ws, d1, d2, totals), _ = theano.scan(
        step, sequences=x, outputs_info=[None, None, None, None, T.constant(np.float64(0))])
    with theano.config.change_flags(optimizer_excluding=["scan_merge_same_outputs"]):
        f = theano.function([x, w], [views, ws, d1, d2, totals])
    assert len(scan_node(f).op.inner_outputs) == 5
    assert direct_outputs(f) == [4]
    rng = np.random.default_rng(2)
    xv, wv = rng.uniform(0, 1, size=(6, 3, 2)), np.array([1.0, 0.5])
    got = f(xv, wv)
    again = f(xv, wv)
    products = xv @ wv
    totals_np = np.cumsum(products.sum(axis=1))
    steps = int(np.argmax(totals_np > 4)) + 1 if (totals_np > 4).any() else 6
    for values, want in zip(got, [xv[:steps].transpose(0, 2, 1), np.tile(wv, (steps, 1)),
                                  products[:steps], products[:steps], totals_np[:steps]]):
        np.testing.assert_allclose(values, want, rtol=1e-12)
    for a, b in zip(got, again):
        np.testing.assert_allclose(a, b, rtol=0, atol=0)
