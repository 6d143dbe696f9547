"""Values read only for their shape: neither saved by the forward loop nor
sliced per step.

An LSTM's gate gradients go into zeros shaped like the gates' product z;
the backward step takes that shape from the step's inputs, so the forward
scan does not keep z.  A step that reads a sequence row only for a length
gets that length once, before the loop, and the sequence leaves the loop."""
import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad
from cytensor.scan import Scan, _GradientPlan
from cytensor.tensor.subtensor import Subtensor

from test_scan_recurrent_speed import (lstm_graph, lstm_inputs, lstm_numpy, lstm_point,
                                        scans_of)


def gate_product(scan_op):
    """z = x_t Wx + h Wh + b: the inner variable the step slices its gates from."""
    return list({n.inputs[0] for n in theano.graph.toposort(scan_op.inner_outputs)
                 if isinstance(n.op, Subtensor)})


def test_lstm_forward_does_not_save_z():
    loss = lstm_graph(*lstm_inputs())
    (scan_node,) = [n for n in theano.graph.toposort([loss]) if isinstance(n.op, Scan)]
    (z,) = gate_product(scan_node.op)
    plan = _GradientPlan(scan_node.op)
    assert z not in plan.read and z not in plan.saved
    assert len(plan.saved) == 5             # the gates and tanh(c_t), no more


def test_lstm_training_step_keeps_no_z_and_matches_numpy():
    inputs = lstm_inputs()
    loss = lstm_graph(*inputs)
    f = theano.function(inputs, [loss] + theano.grad(loss, inputs))
    point = lstm_point(np.random.default_rng(3))
    loss_value, *grads = f(*point)
    np.testing.assert_allclose(loss_value, lstm_numpy(*point), rtol=1e-10)
    forward, backward = scans_of(f)
    # h and c (fed back), the three sigmoids, tanh(g) and tanh(c): not z
    assert len(forward.outputs) == 7
    # the backward loop's sequences: h_{t-1}, c_{t-1}, the five saved values
    # and the gradient reaching h_t; no row of z, nor of x (whose rows it
    # read for their length): 9 when it read z's
    assert backward.op.n_sequences == 8
    eps = 1e-6
    for k, g in enumerate(grads):         # central differences of the NumPy loop
        flat = point[k].reshape(-1)
        e = flat.size // 2
        shifted = [p.copy() for p in point]
        shifted[k].reshape(-1)[e] += eps
        up = lstm_numpy(*shifted)
        shifted[k].reshape(-1)[e] -= 2 * eps
        np.testing.assert_allclose(g.reshape(-1)[e], (up - lstm_numpy(*shifted)) / (2 * eps),
                                   rtol=1e-5, atol=1e-7)


def test_lstm_second_order_gradient_without_saved_z():
    """The gradient of a gradient still differentiates the backward loop."""
    def grad_of_loss(x, h0, c0, Wx, Wh, b):
        loss = lstm_graph(x, h0, c0, Wx, Wh, b)
        return (theano.grad(loss, Wh) ** 2).sum()
    point = lstm_point(np.random.default_rng(4))
    verify_grad(grad_of_loss, point, rng=np.random.default_rng(5))


def sized_by_row(x, h0):
    """A step reading its sequence row only for its length (B)."""
    hs, _ = theano.scan(lambda x_t, h: h * 0.5 + T.alloc(np.float64(1), x_t.shape[0]),
                        sequences=x, outputs_info=h0)
    return hs


def test_length_of_a_sequence_row_leaves_the_loop():
    x, h0 = T.dtensor3("x"), T.dvector("h0")
    hs = sized_by_row(x, h0)
    f = theano.function([x, h0], hs)
    with theano.config.change_flags(optimizer_excluding=["scan_push_out_invariants"]):
        kept = theano.function([x, h0], hs)
    (loop,), (kept_loop,) = scans_of(f), scans_of(kept)
    assert loop.op.n_sequences == 0 and kept_loop.op.n_sequences == 1
    xv, hv = np.random.default_rng(6).normal(size=(4, 3, 2)), np.arange(3.0)
    expected, h = [], hv
    for _ in range(4):
        h = h * 0.5 + 1
        expected.append(h)
    np.testing.assert_allclose(f(xv, hv), expected, rtol=1e-12)
    np.testing.assert_allclose(kept(xv, hv), expected, rtol=1e-12)


def test_length_of_a_sequence_row_gradient():
    verify_grad(lambda x, h0: (sized_by_row(x, h0) ** 2).sum(),
                [np.random.default_rng(7).normal(size=(4, 3, 2)), np.arange(3.0)],
                rng=np.random.default_rng(8))
