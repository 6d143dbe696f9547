"""scan(truncate_gradient=k): backpropagation through the last k steps only.

The reference is the definition itself: the truncated gradient is the exact
gradient of the last k steps, with the values they read from earlier steps
held constant (initial rows they read still count as inputs).  It is
computed here by finite differences of a NumPy loop that runs the earlier
steps with fixed values, then the window with the values being varied."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import numeric_grad

RNG = np.random.default_rng(7)


def rnn_step(x_t, h_prev, W):
    return np.tanh(h_prev @ W + x_t)


def windowed_cost(x, h0, W, P, first, fixed):
    """sum(P[t] * h_t) over steps first..n-1; the state entering step
    ``first`` is computed from ``fixed`` (x, h0, W), not from the varied values."""
    fx, fh0, fW = fixed
    h = fh0 if first > 0 else h0
    for t in range(first):
        h = rnn_step(fx[t], h, fW)
    cost = 0.0
    for t in range(first, len(x)):
        h = rnn_step(x[t], h, W)
        cost += float((P[t] * h).sum())
    return cost


def rnn_graph(k):
    x, h0, W, P = T.dmatrix("x"), T.dvector("h0"), T.dmatrix("W"), T.dmatrix("P")
    h, _ = theano.scan(lambda x_t, h_prev, W: T.tanh(T.dot(h_prev, W) + x_t), sequences=x,
                       outputs_info=h0, non_sequences=W, truncate_gradient=k)
    cost = (h * P).sum()
    return theano.function([x, h0, W, P], T.grad(cost, [x, h0, W]))


@pytest.mark.parametrize("k", [1, 2, 4, 5, 9])
def test_rnn_gradient_covers_the_last_k_steps(k):
    n = 5
    x, h0 = RNG.normal(size=(n, 3)), RNG.normal(size=3)
    W, P = RNG.normal(size=(3, 3)) * 0.5, RNG.normal(size=(n, 3))
    gx, gh0, gW = rnn_graph(k)(x, h0, W, P)
    first = max(n - k, 0)
    fixed = (x.copy(), h0.copy(), W.copy())
    nx, nh0, nW = numeric_grad(lambda a, b, c: windowed_cost(a, b, c, P, first, fixed),
                               [x.copy(), h0.copy(), W.copy()], 1e-6)
    assert np.all(gx[:first] == 0)
    np.testing.assert_allclose(gx, nx, atol=1e-7)
    np.testing.assert_allclose(gW, nW, atol=1e-7)
    np.testing.assert_allclose(gh0, nh0, atol=1e-7)    # zero unless k >= n
    assert (np.abs(gh0).max() > 0) == (k >= n)


def two_tap_step(x_t, back2, back1, w):
    return np.tanh(w * back2 + 0.5 * back1 + x_t)


def two_tap_window_cost(x, H0, w, first, fixed):
    """The loop h_t = f(h_{t-2}, h_{t-1}, x_t), buffer = H0 ++ outputs; steps
    before ``first`` use the fixed values; the window reads buffer rows, of
    which those that are initial rows come from the varied H0."""
    fx, fH0, fw = fixed
    buffer = list(fH0)
    for t in range(first):
        buffer.append(two_tap_step(fx[t], buffer[t], buffer[t + 1], fw))
    for r in range(min(first, 2), 2):    # initial rows the window reads are varied
        buffer[r] = H0[r]
    cost = 0.0
    for t in range(first, len(x)):
        buffer.append(two_tap_step(x[t], buffer[t], buffer[t + 1], w))
        cost += buffer[-1]
    return cost


@pytest.mark.parametrize("k", [1, 3, 4, 5])
def test_two_taps_back_the_window_reaches_initial_rows_only_if_it_reads_them(k):
    n = 5
    xs, Hs, ws = T.dvector("x"), T.dvector("H0"), T.dscalar("w")
    h, _ = theano.scan(lambda x_t, a, b, w: T.tanh(w * a + 0.5 * b + x_t), sequences=xs,
                       outputs_info=dict(initial=Hs, taps=[-2, -1]), non_sequences=ws,
                       truncate_gradient=k)
    f = theano.function([xs, Hs, ws], T.grad(h.sum(), [xs, Hs, ws]))
    x, H0, w = RNG.normal(size=n), RNG.normal(size=2), 0.7
    got = f(x, H0, w)
    first = n - k
    fixed = (x.copy(), H0.copy(), w)
    want = numeric_grad(lambda a, b, c: two_tap_window_cost(a, b, float(c), first, fixed),
                        [x.copy(), H0.copy(), np.array(w)], 1e-6)
    for g, nref in zip(got, want):
        np.testing.assert_allclose(g, nref, atol=1e-7)
    # Step 1 reads initial row 1 (tap -2): a window of 4 of 5 steps reaches it.
    assert (got[1][1] != 0) == (k >= 4) and (got[1][0] != 0) == (k >= 5)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_until_truncates_among_the_steps_that_ran(k):
    """r_t = x[t] * x[t+2] until x[t+2] > 6, over x = 0..11: steps t = 0..5 run;
    the last k of them are differentiated."""
    x, u = T.dvector("x"), T.dscalar("u")
    r, _ = theano.scan(lambda a, b, u: (a * b, theano.scan_module.until(b > u)),
                       sequences=dict(input=x, taps=[-2, 0]), non_sequences=u,
                       truncate_gradient=k)
    values = np.arange(12.0)
    out, g = theano.function([x, u], [r, T.grad(r.sum(), x)])(values, 6.0)
    np.testing.assert_array_equal(out, values[:6] * values[2:8])
    want = np.zeros(12)
    for t in range(6 - k, 6):
        want[t] += values[t + 2]
        want[t + 2] += values[t]
    np.testing.assert_array_equal(g, want)


def test_go_backwards_truncates_the_last_steps_taken_so_the_first_rows():
    x, h0 = T.dvector("x"), T.dscalar("h0")

    def gradient(sequence, backwards):
        h, _ = theano.scan(lambda x_t, h: T.tanh(0.8 * h + x_t), sequences=sequence,
                           outputs_info=h0, go_backwards=backwards, truncate_gradient=2)
        return T.grad((h * T.arange(1.0, 7.0)).sum(), x)

    values = RNG.normal(size=6)
    backwards = theano.function([x, h0], gradient(x, True))(values, 0.1)
    reversed_forward = theano.function([x, h0], gradient(x[::-1], False))(values, 0.1)
    np.testing.assert_allclose(backwards, reversed_forward, atol=1e-12)
    assert np.all(backwards[2:] == 0) and np.all(backwards[:2] != 0)


def test_map_passes_truncate_gradient_on():
    x = T.dvector("x")
    y, _ = theano.map(lambda x_t: x_t ** 2, x, truncate_gradient=2)
    g = theano.function([x], T.grad(y.sum(), x))(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(g, [0, 0, 6, 8])


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "3"])
def test_truncate_gradient_must_be_minus_one_or_a_positive_int(bad):
    with pytest.raises(ValueError, match="scan 'loop': truncate_gradient must be -1"):
        theano.scan(lambda x_t: x_t, sequences=T.dvector("x"), truncate_gradient=bad,
                    name="loop")
