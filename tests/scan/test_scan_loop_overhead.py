"""Less work per step: values the step computes from the non-sequences
alone leave the loop (``scan_push_out_invariants``), one value given out
twice is written once (``scan_merge_same_outputs``), and the gradient's
backward loop writes its rows from the last up (``Scan.rows_reversed``),
so the products after it read them in the forward order with no reversed
copy; the forward loop the gradient reads gives its initial rows too
(``Scan.initial_rows_out``), so the past values are one view, not a
concatenation.  Checked by graph structure and against NumPy loops and finite
differences."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad
from cytensor.debug.print_op import Print
from cytensor.scan import Scan, _scan, until
from cytensor.tensor.basic import Join
from cytensor.tensor.elemwise import DimShuffle
from cytensor.tensor.math import Dot
from cytensor.tensor.subtensor import Subtensor

B, H, STEPS = 3, 4, 5


def scans_of(fn):
    return [node for node in fn.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def step_nodes(scan_node):
    return scan_node.op._function("cy").maker.fgraph.toposort()


def rnn_numpy(x, h, W, b):
    out = []
    for x_t in x:
        h = np.tanh(x_t + h @ W.T + b)
        out.append(h)
    return np.array(out)


def rnn_with_transposed_weight(x, h0, W, b):
    """``W.T`` and ``b`` broadcast are the same at every step."""
    hs, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W.T) + b), sequences=x,
                        outputs_info=h0)
    return hs


def rnn_point(rng):
    return [rng.normal(size=(STEPS, B, H)), rng.normal(size=(B, H)),
            rng.normal(size=(H, H)) * 0.5, rng.normal(size=H)]


def rnn_inputs():
    return [T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("W"), T.dvector("b")]


# ---------------------------------------------------------------------------
# scan_push_out_invariants
# ---------------------------------------------------------------------------

def test_values_of_non_sequences_alone_leave_the_step():
    inputs = rnn_inputs()
    f = theano.function(inputs, rnn_with_transposed_weight(*inputs))
    point = rnn_point(np.random.default_rng(0))
    np.testing.assert_allclose(f(*point), rnn_numpy(*point), rtol=1e-12)
    (loop,) = scans_of(f)
    nodes = step_nodes(loop)
    assert not [n for n in nodes if isinstance(n.op, DimShuffle)]
    (product,) = [n for n in nodes if isinstance(n.op, Dot)]
    # the product reads W.T as a non-sequence, made before the loop
    nonseqs = loop.op.inner_inputs[loop.op.n_sequences + loop.op.n_state_taps:]
    assert product.inputs[1] in nonseqs
    outer_transposes = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, DimShuffle)
                        and n.op.new_order == (1, 0)]
    assert outer_transposes


def test_without_the_rewrite_the_step_transposes_every_time():
    """The rewrite is what takes W.T out (the test above can fail)."""
    inputs = rnn_inputs()
    with theano.config.change_flags(optimizer_excluding=["scan_push_out_invariants"]):
        f = theano.function(inputs, rnn_with_transposed_weight(*inputs))
        point = rnn_point(np.random.default_rng(0))
        np.testing.assert_allclose(f(*point), rnn_numpy(*point), rtol=1e-12)
    (loop,) = scans_of(f)
    assert [n for n in step_nodes(loop) if isinstance(n.op, DimShuffle)
            and n.op.new_order == (1, 0)]


def test_pushed_out_invariants_keep_the_gradient():
    verify_grad(lambda *v: (rnn_with_transposed_weight(*v) ** 2).sum(),
                rnn_point(np.random.default_rng(1)), rng=np.random.default_rng(2))


def test_an_invariant_that_is_an_output_or_must_print_stays_in_the_step():
    """exp(a) given out every step stays (one row per step of it); a Print
    of a non-sequence prints at every step, so it stays too."""
    x, a = T.dvector("x"), T.dscalar("a")
    printed = Print("a is")(a)
    (ys, es), _ = theano.scan(lambda x_t: (x_t * printed, T.exp(a)), sequences=x)
    f = theano.function([x, a], [ys, es])
    got_y, got_e = f(np.arange(3.0), 0.5)
    np.testing.assert_allclose(got_y, np.arange(3.0) * 0.5)
    np.testing.assert_allclose(got_e, np.full(3, np.exp(0.5)))
    (loop,) = scans_of(f)
    ops = [n.op for n in step_nodes(loop)]
    assert any(isinstance(op, Print) for op in ops)
    assert len(ops) >= 2


def test_invariants_leave_a_loop_with_until():
    """The condition reads a value of the non-sequences alone (2 * limit)."""
    x, limit = T.dvector("x"), T.dscalar("limit")
    totals, _ = theano.scan(lambda x_t, total: (total + x_t, until(total + x_t > 2 * limit)),
                            sequences=x, outputs_info=T.constant(np.float64(0)))
    f = theano.function([x, limit], totals)
    np.testing.assert_allclose(f(np.ones(6), 1.0), [1.0, 2.0, 3.0])
    (loop,) = scans_of(f)
    nonseqs = loop.op.inner_inputs[loop.op.n_sequences + loop.op.n_state_taps:]
    assert len(nonseqs) == 1 and nonseqs[0].ndim == 0     # 2 * limit, not limit


# ---------------------------------------------------------------------------
# scan_merge_same_outputs
# ---------------------------------------------------------------------------

def test_an_output_given_twice_is_written_once():
    x = T.dvector("x")
    (a, b), _ = theano.scan(lambda x_t: (T.sin(x_t),) * 2, sequences=x)
    f = theano.function([x], [a, b * 2])
    xs = np.linspace(0, 1, 4)
    got_a, got_b = f(xs)
    np.testing.assert_allclose(got_a, np.sin(xs))
    np.testing.assert_allclose(got_b, 2 * np.sin(xs))
    (loop,) = scans_of(f)
    assert len(loop.outputs) == 1


def test_a_fed_back_output_and_its_copy_merge_but_final_only_ones_stay_apart():
    """A per-step output equal to a fed-back one reads that one's rows."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    (hs, copies), _ = theano.scan(lambda x_t, h: (h * 0.5 + x_t,) * 2, sequences=x,
                                  outputs_info=[h0, None])
    f = theano.function([x, h0], [hs, copies])
    got_h, got_copy = f(np.arange(4.0), 1.0)
    expected, h = [], 1.0
    for x_t in np.arange(4.0):
        h = h * 0.5 + x_t
        expected.append(h)
    np.testing.assert_allclose(got_h, expected)
    np.testing.assert_allclose(got_copy, expected)
    (loop,) = scans_of(f)
    assert len(loop.outputs) == 1


def test_rnn_backward_loop_gives_dz_once():
    """The gradients of x_t @ Wx (pushed out of the loop, a sequence) and of
    h @ Wh are both dz_t: the backward loop gives it once."""
    x, h0, Wx, Wh = T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("Wx"), T.dmatrix("Wh")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(T.dot(x_t, Wx) + T.dot(h, Wh)), sequences=x,
                        outputs_info=h0)
    loss = (hs ** 2).sum()
    f = theano.function([x, h0, Wx, Wh], theano.grad(loss, [Wx, Wh]))
    _, backward = scans_of(f)
    per_step = [i for i in range(len(backward.outputs)) if i not in backward.op.final_only]
    assert len(per_step) == 1
    rng = np.random.default_rng(3)
    point = [rng.normal(size=(STEPS, B, H)), rng.normal(size=(B, H)),
             rng.normal(size=(H, H)) * 0.5, rng.normal(size=(H, H)) * 0.5]
    states = [point[1]]
    for x_t in point[0]:
        states.append(np.tanh(x_t @ point[2] + states[-1] @ point[3]))
    dWx, dWh, dh = np.zeros((H, H)), np.zeros((H, H)), np.zeros((B, H))
    for t in reversed(range(STEPS)):
        dz = (2 * states[t + 1] + dh) * (1 - states[t + 1] ** 2)
        dWx += point[0][t].T @ dz
        dWh += states[t].T @ dz
        dh = dz @ point[3].T
    got_x, got_h = f(*point)
    np.testing.assert_allclose(got_x, dWx, rtol=1e-12)
    np.testing.assert_allclose(got_h, dWh, rtol=1e-12)
    # the rows reach the weight products in the forward order: no reversed copy
    fgraph = f.maker.fgraph
    reversed_reads = [n for n in fgraph.toposort() if isinstance(n.op, Subtensor)
                      and backward.outputs[per_step[0]] in n.inputs]
    assert not reversed_reads


# ---------------------------------------------------------------------------
# Scan.rows_reversed
# ---------------------------------------------------------------------------

def backward_loop(x, a, rows_reversed):
    """A loop over x from its end carrying a sum, giving each step's value."""
    (totals, products), _ = _scan(lambda x_t, total, a: (total + x_t, x_t * a),
                                  sequences=[x], outputs_info=[T.zeros_like(x[0]), None],
                                  non_sequences=[a], n_steps=None, go_backwards=True,
                                  mode=None, name="back", strict=False, return_list=True,
                                  final_only=[0], rows_reversed=rows_reversed)
    return totals, products


@pytest.mark.parametrize("shape", [(5,), (4, 3), (1, 2)])
def test_reversed_rows_are_the_steps_from_the_last(shape):
    x, a = T.TensorType("float64", shape=(None,) * len(shape))("x"), T.dscalar("a")
    xs = np.random.default_rng(4).normal(size=shape)
    plain = theano.function([x, a], backward_loop(x, a, False))
    turned = theano.function([x, a], backward_loop(x, a, True))
    total, products = plain(xs, 3.0)
    total_r, products_r = turned(xs, 3.0)
    np.testing.assert_allclose(total, xs.sum(axis=0))
    np.testing.assert_allclose(total_r, total)
    np.testing.assert_allclose(products, (xs * 3.0)[::-1])      # the steps' order
    np.testing.assert_allclose(products_r, xs * 3.0)            # the rows' order
    assert scans_of(turned)[0].op.rows_reversed


def test_gradient_through_reversed_rows():
    rng = np.random.default_rng(5)
    weights = rng.normal(size=(4, 3))
    verify_grad(lambda x, a: ((backward_loop(x, a, True)[1] * weights) ** 2).sum()
                + backward_loop(x, a, True)[0].sum(),
                [rng.normal(size=(4, 3)), np.array(0.7)], rng=rng)


def test_reversed_rows_need_final_only_fed_back_outputs():
    h = T.dscalar("h")
    with pytest.raises(ValueError, match="rows_reversed"):
        Scan([h], [h * 2], 0, [(-1,)], rows_reversed=True)


# ---------------------------------------------------------------------------
# scan_push_out_sums
# ---------------------------------------------------------------------------

def test_bias_gradient_is_one_sum_after_the_loop():
    """The backward step adds dz_t.sum(0) to b's gradient: that running sum
    leaves the loop, made of the dz rows the loop gives anyway."""
    x, h0, W, b = T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("W"), T.dvector("b")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W) + b), sequences=x,
                        outputs_info=h0)
    f = theano.function([x, h0, W, b], theano.grad((hs ** 2).sum(), b))
    _, backward = scans_of(f)
    assert not [n for n in step_nodes(backward) if isinstance(n.op, T.Reduce)]
    assert len(backward.outputs) == 2          # h's window, dz's rows
    rng = np.random.default_rng(6)
    xv, hv, Wv, bv = (rng.normal(size=(STEPS, B, H)), rng.normal(size=(B, H)),
                      rng.normal(size=(H, H)) * 0.5, rng.normal(size=H))
    states = [hv]
    for x_t in xv:
        states.append(np.tanh(x_t + states[-1] @ Wv + bv))
    db, dh = np.zeros(H), np.zeros((B, H))
    for t in reversed(range(STEPS)):
        dz = (2 * states[t + 1] + dh) * (1 - states[t + 1] ** 2)
        db += dz.sum(axis=0)
        dh = dz @ Wv.T
    np.testing.assert_allclose(f(xv, hv, Wv, bv), db, rtol=1e-12)


def test_a_shared_running_sum_becomes_rows_and_one_sum():
    """A shared accumulator's update acc + x_t ** 2: the loop gives the
    terms' rows; the update is the old value plus their sum."""
    acc = theano.shared(np.array([1.0, -2.0]), "acc")
    x = T.dmatrix("x")
    _, updates = theano.scan(lambda x_t: {acc: acc + x_t ** 2}, sequences=x)
    f = theano.function([x], [], updates=updates)
    xs = np.arange(6.0).reshape(3, 2)
    f(xs)
    np.testing.assert_allclose(acc.get_value(), [1.0, -2.0] + (xs ** 2).sum(axis=0))
    (loop,) = scans_of(f)
    assert not loop.op.recurrent and not loop.op.final_only


@pytest.mark.parametrize("step", [lambda x_t, total: total * 0.5 + x_t,
                                  lambda x_t, total: total + total * x_t])
def test_a_carried_value_that_is_not_only_summed_stays_in_the_loop(step):
    acc = theano.shared(np.array([1.0, -2.0]), "acc")
    x = T.dmatrix("x")
    _, updates = theano.scan(lambda x_t: {acc: step(x_t, acc)}, sequences=x)
    f = theano.function([x], [], updates=updates)
    xs = np.arange(6.0).reshape(3, 2) / 10
    expected = np.array([1.0, -2.0])
    for x_t in xs:
        expected = step(x_t, expected)
    f(xs)
    np.testing.assert_allclose(acc.get_value(), expected)
    (loop,) = scans_of(f)
    assert loop.op.final_only


# ---------------------------------------------------------------------------
# Scan.initial_rows_out: the gradient reads the past values as one view
# ---------------------------------------------------------------------------

def test_gradient_reads_past_values_without_a_concatenation():
    x, h0, W = T.dtensor3("x"), T.dmatrix("h0"), T.dmatrix("W")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, W)), sequences=x,
                        outputs_info=h0)
    f = theano.function([x, h0, W], theano.grad((hs ** 2).sum(), [h0, W]))
    assert not [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Join)]
    forward, _ = scans_of(f)
    assert forward.op.initial_rows_out
    rng = np.random.default_rng(7)
    xv, hv, Wv = rng.normal(size=(STEPS, B, H)), rng.normal(size=(B, H)), rng.normal(size=(H, H))
    states = [hv]
    for x_t in xv:
        states.append(np.tanh(x_t + states[-1] @ Wv))
    dW, dh = np.zeros((H, H)), np.zeros((B, H))
    for t in reversed(range(STEPS)):
        dz = (2 * states[t + 1] + dh) * (1 - states[t + 1] ** 2)
        dW += states[t].T @ dz
        dh = dz @ Wv.T
    got_h0, got_W = f(xv, hv, Wv)
    np.testing.assert_allclose(got_h0, dh, rtol=1e-12)
    np.testing.assert_allclose(got_W, dW, rtol=1e-12)


def test_second_order_through_two_taps_reaches_the_initial_rows():
    """The gradient of a gradient differentiates the forward loop that
    gives its initial rows too: what reaches them is the initial rows'."""
    def grad_of_a(h0, a):
        hs, _ = theano.scan(lambda x_t, h2, h1: T.tanh(a * h1 + 0.5 * h2 + x_t),
                            sequences=T.constant(np.linspace(-1, 1, 5)),
                            outputs_info=dict(initial=h0, taps=[-2, -1]))
        return theano.grad((hs ** 2).sum(), a)
    verify_grad(grad_of_a, [np.array([0.3, -0.4]), np.array(0.6)],
                rng=np.random.default_rng(8))
