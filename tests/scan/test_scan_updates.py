"""scan and the variables fn does not get as sequence or output taps: updates
fn returns (shared counters, random streams, an inner scan's), the
non-sequences fn receives as themselves (so it can differentiate with
respect to them: Theano's Jacobian recipe), and strict=True."""
from collections import OrderedDict

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.graph import MissingInputError
from cytensor.tensor.shared_randomstreams import RandomStreams


def test_a_counter_updated_each_step_is_seen_by_the_next():
    count = theano.shared(np.int64(10), "count")
    x = T.dvector("x")
    scaled, updates = theano.scan(lambda x_t: (x_t * count, {count: count + 1}), sequences=x)
    assert list(updates) == [count]
    f = theano.function([x], scaled, updates=updates)
    np.testing.assert_array_equal(f(np.ones(3)), [10, 11, 12])
    assert count.get_value() == 13
    np.testing.assert_array_equal(f(np.ones(2)), [13, 14])     # the next call goes on
    assert count.get_value() == 15
    theano.function([x], scaled)(np.ones(2))                    # without the updates
    assert count.get_value() == 15


@pytest.mark.parametrize("order", ["outputs, updates", "updates, outputs", "pairs",
                                   "with until"])
def test_updates_may_come_in_any_order_theano_accepts(order):
    total = theano.shared(0.0, "total")
    x = T.dvector("x")

    def step(x_t):
        out, upd = x_t * 2, OrderedDict([(total, total + x_t)])
        return {"outputs, updates": (out, upd), "updates, outputs": (upd, out),
                "pairs": (out, list(upd.items())),
                "with until": (out, upd, theano.scan_module.until(x_t > 2))}[order]

    doubled, updates = theano.scan(step, sequences=x)
    f = theano.function([x], doubled, updates=updates)
    values = np.array([1.0, 2.0, 3.0, 4.0])
    steps = 3 if order == "with until" else 4
    np.testing.assert_array_equal(f(values), 2 * values[:steps])
    assert total.get_value() == values[:steps].sum()


def test_fn_returning_only_updates_gives_no_outputs():
    acc = theano.shared(np.zeros(2), "acc")
    rows = T.dmatrix("rows")
    outputs, updates = theano.scan(lambda r: {acc: acc + r}, sequences=rows)
    assert outputs is None
    theano.function([rows], [], updates=updates)(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(acc.get_value(), [6, 9])


def test_the_gradient_flows_through_a_step_that_updates_a_shared_scale():
    """out_t = x_t * w * c_t, c doubling each step: c_t = 1.5 * 2**t."""
    c = theano.shared(1.5, "c")
    x, w = T.dvector("x"), T.dscalar("w")
    out, updates = theano.scan(lambda x_t, w: (x_t * w * c, {c: c * 2}), sequences=x,
                               non_sequences=w)
    gx, gw = theano.function([x, w], T.grad(out.sum(), [x, w]))(np.array([1.0, 2, 3]), 2.0)
    scale = 1.5 * 2.0 ** np.arange(3)
    np.testing.assert_allclose(gx, 2.0 * scale)
    np.testing.assert_allclose(gw, (np.array([1.0, 2, 3]) * scale).sum())


def test_draws_from_an_inner_scan_advance_when_fn_returns_its_updates():
    srng = RandomStreams(5)
    x = T.dvector("x")

    def step(x_t):
        noise, inner_updates = theano.scan(lambda: srng.uniform(()), n_steps=3)
        return x_t + noise.sum(), inner_updates

    y, updates = theano.scan(step, sequences=x)
    assert len(updates) == 1
    f = theano.function([x], y, updates=updates)
    first, second = f(np.zeros(4)), f(np.zeros(4))
    assert len(set(first.tolist())) == 4                  # each outer step draws anew
    assert not np.allclose(first, second)                 # and each call too
    assert np.all((first > 0) & (first < 3))


def test_random_and_shared_updates_together():
    srng, steps_taken = RandomStreams(2), theano.shared(np.int64(0), "steps_taken")
    x = T.dvector("x")
    y, updates = theano.scan(lambda x_t: (x_t + srng.normal(()), {steps_taken: steps_taken + 1}),
                             sequences=x)
    assert steps_taken in updates and len(updates) == 2
    theano.function([x], y, updates=updates)(np.zeros(5))
    assert steps_taken.get_value() == 5


def test_update_errors_name_the_scan_and_the_variable():
    count, x = theano.shared(np.int64(0), "count"), T.dvector("x")
    with pytest.raises(TypeError, match="scan 'c': fn returned an update for x"):
        theano.scan(lambda x_t: (x_t, {x: x}), sequences=x, name="c")
    with pytest.raises(TypeError, match=r"scan: fn's update of count .* dtype"):
        theano.scan(lambda x_t: (x_t, {count: count + 0.5}), sequences=x)
    with pytest.raises(ValueError, match="fn returned no output and no update"):
        theano.scan(lambda x_t: {}, sequences=x)


# ---------------------------------------------------------------------------
# Non-sequences reach fn as themselves
# ---------------------------------------------------------------------------

def test_jacobian_recipe_from_theanos_docs():
    x = T.dvector("x")
    y = x ** 2 * T.sin(x)
    J, _ = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]),
                       non_sequences=[y, x])
    values = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(theano.function([x], J)(values),
                               np.diag(2 * values * np.sin(values)
                                       + values ** 2 * np.cos(values)), atol=1e-12)


def test_hessian_by_scan_of_gradients_through_a_matrix():
    x, A = T.dvector("x"), T.dmatrix("A")
    cost = T.dot(x, T.dot(A, x))
    g = T.grad(cost, x)
    H, _ = theano.scan(lambda i, g, x: T.grad(g[i], x), sequences=T.arange(g.shape[0]),
                       non_sequences=[g, x])
    a = np.random.default_rng(0).normal(size=(3, 3))
    np.testing.assert_allclose(theano.function([x, A], H)(np.ones(3), a), a + a.T,
                               atol=1e-12)


def test_gradients_reach_non_sequences_that_are_expressions():
    x, w = T.dvector("x"), T.dscalar("w")
    scale = T.exp(w)
    y, _ = theano.scan(lambda x_t, s: x_t * s, sequences=x, non_sequences=scale)
    g = theano.function([x, w], T.grad(y.sum(), w))(np.array([1.0, 2.0]), 0.3)
    np.testing.assert_allclose(g, 3 * np.exp(0.3))


# ---------------------------------------------------------------------------
# strict=True
# ---------------------------------------------------------------------------

def test_strict_refuses_a_shared_variable_not_passed():
    W = theano.shared(np.ones(2), "W")
    with pytest.raises(MissingInputError, match="scan: strict=True, but fn uses W"):
        theano.scan(lambda x_t: x_t * W, sequences=T.dmatrix("x"), strict=True)
    y, _ = theano.scan(lambda x_t, W: x_t * W, sequences=T.dmatrix("x"), non_sequences=W,
                       strict=True)
    assert y.ndim == 2


def test_strict_allows_what_theano_allows():
    """Symbolic outer variables are taken in, and so are shared variables fn
    updates or random streams it draws from (their updates say so)."""
    w, count, srng = T.dscalar("w"), theano.shared(np.int64(0), "count"), RandomStreams(1)
    x = T.dvector("x")
    y, updates = theano.scan(lambda x_t: (x_t * w + srng.normal(()), {count: count + 1}),
                             sequences=x, strict=True)
    theano.function([x, w], y, updates=updates)(np.ones(3), 2.0)
    assert count.get_value() == 3


def test_debugmode_agrees_on_updates_and_a_truncated_gradient():
    """DebugMode runs each node by its NumPy reference too and compares."""
    from cytensor.debug.debugmode import DebugMode
    c, x, w = theano.shared(np.int64(1), "c"), T.dvector("x"), T.dscalar("w")
    y, updates = theano.scan(lambda x_t, w: (T.tanh(x_t * w * c), {c: c + 1}), sequences=x,
                             non_sequences=w, truncate_gradient=2)
    f = theano.function([x, w], [y] + T.grad(y.sum(), [x, w]), updates=updates,
                        mode=DebugMode())
    values = np.arange(4.0) / 4
    out, gx, gw = f(values, 0.5)
    scale = 0.5 * np.arange(1, 5)                 # w * c_t, c counting 1, 2, 3, 4
    np.testing.assert_allclose(out, np.tanh(values * scale))
    slope = 1 - np.tanh(values * scale) ** 2
    np.testing.assert_allclose(gx, np.where(np.arange(4) >= 2, slope * scale, 0))
    np.testing.assert_allclose(gw, (slope * values * np.arange(1, 5))[2:].sum())
    assert c.get_value() == 5
