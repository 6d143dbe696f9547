"""scan: Theano's tutorial loops checked against NumPy, the gradient (backpropagation
through time) checked against finite differences, the errors, and a small RNN trained."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.debugmode import DebugMode
from cytensor.debug.gradcheck import verify_grad
from cytensor.scan import Scan, until
from cytensor.tensor.shared_randomstreams import RandomStreams


def zero():
    """A float64 0 to start a sum from (the literal 0.0 makes a float32 constant)."""
    return T.constant(np.float64(0))


# ---------------------------------------------------------------------------
# The tutorial's loops
# ---------------------------------------------------------------------------

def test_power_by_repeated_multiplication():
    k, A = T.iscalar("k"), T.dvector("A")
    result, updates = theano.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    power = theano.function([A, k], result[-1], updates=updates)
    np.testing.assert_allclose(power(np.arange(10.0), 3), np.arange(10.0) ** 3)
    assert updates == {}


def test_polynomial_with_sequences_and_non_sequences():
    coefficients, x = T.dvector("coefficients"), T.dscalar("x")
    components, _ = theano.scan(lambda c, power, x: c * x ** power,
                                sequences=[coefficients, T.arange(10)], non_sequences=x)
    polynomial = theano.function([coefficients, x], components.sum())
    c = np.array([1.0, 0.0, 2.0])        # the shorter sequence sets the number of steps
    assert polynomial(c, 3.0) == pytest.approx(1 + 2 * 9)


def test_cumulative_sum():
    x = T.dvector("x")
    sums, _ = theano.scan(lambda x_t, total: total + x_t, sequences=x, outputs_info=zero())
    a = np.random.default_rng(0).normal(size=7)
    np.testing.assert_allclose(theano.function([x], sums)(a), np.cumsum(a))


def numpy_rnn(x, h0, W, U, b):
    h, out = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W + h @ U + b)
        out.append(h)
    return np.array(out)


def rnn_weights(rng, n_in=3, n_hidden=4):
    return (rng.normal(size=(n_in, n_hidden)) * 0.5,
            rng.normal(size=(n_hidden, n_hidden)) * 0.5,
            rng.normal(size=n_hidden) * 0.1)


def test_rnn_forward_with_shared_weights():
    rng = np.random.default_rng(1)
    W_value, U_value, b_value = rnn_weights(rng)
    W, U, b = [theano.shared(v, name) for v, name in zip((W_value, U_value, b_value), "WUb")]
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    h, _ = theano.scan(lambda x_t, h_prev: T.tanh(T.dot(x_t, W) + T.dot(h_prev, U) + b),
                       sequences=x, outputs_info=h0)
    xs, h0_value = rng.normal(size=(6, 3)), rng.normal(size=4)
    np.testing.assert_allclose(theano.function([x, h0], h)(xs, h0_value),
                               numpy_rnn(xs, h0_value, W_value, U_value, b_value))


def test_fibonacci_with_taps():
    f0 = T.dvector("f0")
    fib, _ = theano.scan(lambda f_tm2, f_tm1: f_tm2 + f_tm1,
                         outputs_info=dict(initial=f0, taps=[-2, -1]), n_steps=8)
    np.testing.assert_array_equal(theano.function([f0], fib)(np.array([0.0, 1.0])),
                                  [1, 2, 3, 5, 8, 13, 21, 34])


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------

def test_n_steps_alone_may_be_symbolic():
    n = T.lscalar("n")
    counts, _ = theano.scan(lambda c: c + 1, outputs_info=T.constant(np.int64(0)), n_steps=n)
    np.testing.assert_array_equal(theano.function([n], counts)(4), [1, 2, 3, 4])


def test_sequence_taps_see_neighbours():
    x = T.dvector("x")
    y, _ = theano.scan(lambda before, now, after: before - 2 * now + after,
                       sequences=dict(input=x, taps=[-1, 0, 1]))
    a = np.arange(6.0) ** 2
    np.testing.assert_allclose(theano.function([x], y)(a), a[:-2] - 2 * a[1:-1] + a[2:])


def test_go_backwards_iterates_from_the_end():
    x = T.dvector("x")
    sums, _ = theano.scan(lambda x_t, total: total + x_t, sequences=x, outputs_info=zero(),
                          go_backwards=True)
    a = np.arange(1.0, 5.0)
    np.testing.assert_allclose(theano.function([x], sums)(a), np.cumsum(a[::-1]))
    last_two, _ = theano.scan(lambda x_t: x_t, sequences=x, go_backwards=True, n_steps=2)
    np.testing.assert_allclose(theano.function([x], last_two)(a), [4.0, 3.0])


def test_several_outputs_some_not_fed_back():
    x = T.dvector("x")
    (doubled, sums), _ = theano.scan(lambda x_t, total: [2 * x_t, total + x_t], sequences=x,
                                     outputs_info=[None, zero()])
    f = theano.function([x], [doubled, sums])
    a = np.arange(4.0)
    np.testing.assert_allclose(f(a)[0], 2 * a)
    np.testing.assert_allclose(f(a)[1], np.cumsum(a))


def test_return_list_and_outer_variables_used_implicitly():
    x, scale = T.dvector("x"), T.dscalar("scale")
    outputs, _ = theano.scan(lambda x_t: x_t * scale, sequences=x, return_list=True)
    assert isinstance(outputs, list) and len(outputs) == 1
    np.testing.assert_allclose(theano.function([x, scale], outputs[0])(np.arange(3.0), 2.0),
                               [0.0, 2.0, 4.0])


def test_matrix_states_and_float32():
    x = T.ftensor3("x")
    total, _ = theano.scan(lambda x_t, acc: acc + x_t, sequences=x,
                           outputs_info=T.zeros_like(x[0]))
    a = np.random.default_rng(2).normal(size=(3, 2, 2)).astype("float32")
    result = theano.function([x], total)(a)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, np.cumsum(a, axis=0), rtol=1e-6)


def test_debugmode_and_the_numpy_reference_agree_with_the_kernels():
    x, h0 = T.dvector("x"), T.dscalar("h0")
    h, _ = theano.scan(lambda x_t, h: T.tanh(x_t + 0.5 * h), sequences=x, outputs_info=h0)
    outputs = [h] + T.grad(h.sum(), [x, h0])
    a = np.linspace(-1, 1, 5)
    expected = theano.function([x, h0], outputs)(a, 0.2)
    for mode in (DebugMode(), theano.Mode(linker="py")):
        for got, want in zip(theano.function([x, h0], outputs, mode=mode)(a, 0.2), expected):
            np.testing.assert_allclose(got, want)


def test_shape_is_known_without_running_the_loop():
    """(steps,) + the initial state's shape; a non-fed-back output's step shape
    is known only once a step has run."""
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    y, _ = theano.scan(lambda x_t, h: h + x_t, sequences=x, outputs_info=h0)
    f = theano.function([x, h0], y.shape)
    np.testing.assert_array_equal(f(np.ones((5, 3)), np.ones(3)), [5, 3])
    assert not any(isinstance(n.op, Scan) for n in f.maker.fgraph.toposort())


def test_printing_shows_the_named_scan():
    x = T.dvector("x")
    y, _ = theano.scan(lambda x_t: x_t * 2, sequences=x, name="double")
    assert "Scan{double}" in theano.printing.debugprint(y, file="str")
    assert theano.pp(y).startswith("Scan{double}(")


def test_test_values_flow_through_scan():
    x = T.dvector("x")
    x.tag.test_value = np.arange(3.0)
    with theano.change_flags(compute_test_value="raise"):
        y, _ = theano.scan(lambda x_t: x_t * 2, sequences=x)
    np.testing.assert_allclose(y.tag.test_value, [0.0, 2.0, 4.0])


# ---------------------------------------------------------------------------
# until: stopping early
# ---------------------------------------------------------------------------

def numpy_sum_until(x, limit):
    """The running sums of squares, up to the first one above limit."""
    sums = np.cumsum(x ** 2)
    past = np.flatnonzero(sums > limit)
    return sums[:past[0] + 1] if past.size else sums


def sum_until_step(x_t, total, limit):
    new_total = total + x_t ** 2
    return new_total, until(new_total > limit)


@pytest.mark.parametrize("limit", [0.5, 3.0, 100.0])
def test_until_stops_after_the_first_step_past_a_threshold(limit):
    x, lim = T.dvector("x"), T.dscalar("limit")
    sums, _ = theano.scan(sum_until_step, sequences=x, outputs_info=zero(), non_sequences=lim)
    a = np.random.default_rng(8).normal(size=8)
    for mode in (None, DebugMode(), theano.Mode(linker="py")):
        f = theano.function([x, lim], [sums, sums.shape], mode=mode)
        values, shape = f(a, limit)
        np.testing.assert_allclose(values, numpy_sum_until(a, limit))
        assert list(shape) == [len(numpy_sum_until(a, limit))]


def test_until_with_n_steps_as_an_upper_bound():
    """Theano's powers of two; until is importable as in Theano."""
    from cytensor.scan_module import until as until_from_scan_module
    assert until_from_scan_module is until is theano.scan.until
    largest = T.dscalar("largest")
    powers, _ = theano.scan(lambda p, largest: (2 * p, until(2 * p > largest)),
                            outputs_info=T.constant(np.float64(1)), non_sequences=largest,
                            n_steps=10)
    f = theano.function([largest], powers)
    np.testing.assert_array_equal(f(45.0), [2, 4, 8, 16, 32, 64])
    np.testing.assert_array_equal(f(1e6), 2.0 ** np.arange(1, 11))    # n_steps steps


def test_until_with_several_outputs():
    x = T.dvector("x")
    (doubled, sums), _ = theano.scan(
        lambda x_t, total: ([2 * x_t, total + x_t], until(total + x_t >= 3)),
        sequences=x, outputs_info=[None, zero()])
    f = theano.function([x], [doubled, sums])
    np.testing.assert_allclose(f(np.ones(5))[0], [2, 2, 2])
    np.testing.assert_allclose(f(np.ones(5))[1], [1, 2, 3])


def test_gradient_through_until_covers_the_steps_that_ran():
    x = T.dvector("x")
    sums, _ = theano.scan(sum_until_step, sequences=x, outputs_info=zero(),
                          non_sequences=T.constant(np.float64(3)))
    g = theano.function([x], T.grad(sums.sum(), x))(np.ones(6))
    np.testing.assert_allclose(g, [8, 6, 4, 2, 0, 0])


def test_until_errors():
    with pytest.raises(TypeError, match="scan 'u': until's condition must be a scalar"):
        theano.scan(lambda x_t: (x_t, until(x_t > 0)), sequences=T.dmatrix("x"), name="u")
    with pytest.raises(ValueError, match="scan: give sequences or n_steps"):
        theano.scan(lambda a: (a + 1, until(a > 3)), outputs_info=zero())
    with pytest.raises(ValueError, match="scan: fn returned no output"):
        theano.scan(lambda x_t: until(x_t > 0), sequences=T.dvector("x"))


# ---------------------------------------------------------------------------
# Random streams inside the step
# ---------------------------------------------------------------------------

def noisy_copy(srng):
    """x plus fresh noise at every step, and the updates scan returns."""
    x = T.dvector("x")
    y, updates = theano.scan(lambda x_t: x_t + srng.uniform(()), sequences=x, strict=True)
    return x, y, updates


def test_each_step_draws_new_numbers():
    x, y, updates = noisy_copy(RandomStreams(1))
    values = theano.function([x], y, updates=updates)(np.zeros(6))
    assert len(set(values)) == 6 and np.all((0 <= values) & (values < 1))
    (state, final_state), = updates.items()
    assert state.name == "rng_state" and final_state.type == state.type


def test_the_returned_updates_advance_the_generator_between_calls():
    x, y, updates = noisy_copy(RandomStreams(1))
    advancing = theano.function([x], y, updates=updates)
    first, second = advancing(np.zeros(3)), advancing(np.zeros(3))
    assert not np.allclose(first, second)
    fixed = theano.function([x], y)                  # without the updates
    np.testing.assert_array_equal(fixed(np.zeros(3)), fixed(np.zeros(3)))


def test_a_seeded_stream_is_reproducible():
    draws = []
    for _ in range(2):
        srng = RandomStreams(42)
        x, y, updates = noisy_copy(srng)
        f = theano.function([x], y, updates=updates)
        draws.append([f(np.zeros(4)), f(np.zeros(4))])
        srng.seed(42)
        np.testing.assert_array_equal(f(np.zeros(4)), draws[-1][0])
    np.testing.assert_array_equal(draws[0], draws[1])


def dropout_rnn(srng, x, h0, W, U):
    """An RNN whose state goes through a fresh dropout mask at every step."""
    def step(x_t, h_prev):
        mask = srng.binomial(size=h_prev.shape, p=0.5, dtype="float64")
        return T.tanh(T.dot(x_t, W) + T.dot(h_prev * mask, U))
    return theano.scan(step, sequences=x, outputs_info=h0)


def test_gradient_through_a_scan_that_draws_matches_finite_differences():
    """verify_grad cannot hold the masks fixed; a function compiled without the
    updates can, as its generator state does not move."""
    rng = np.random.default_rng(9)
    W_value, U_value, _ = rnn_weights(rng)
    W, U = theano.shared(W_value, "W"), theano.shared(U_value, "U")
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    h, updates = dropout_rnn(RandomStreams(3), x, h0, W, U)
    cost = (h ** 2).sum()
    f_cost = theano.function([x, h0], cost)
    f_grads = theano.function([x, h0], T.grad(cost, [U, h0]))
    xs, h0_value = rng.normal(size=(5, 3)), rng.normal(size=4)
    masks_differ = theano.function([x, h0], h, updates=updates)
    assert not np.allclose(masks_differ(xs, h0_value), masks_differ(xs, h0_value))
    gU, gh0 = f_grads(xs, h0_value)
    eps = 1e-6

    def numeric(cost_at, value):
        out = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            step = np.zeros_like(value)
            step[i] = eps
            out[i] = (cost_at(value + step) - cost_at(value - step)) / (2 * eps)
        return out

    def cost_with_U(value):
        U.set_value(value)
        return f_cost(xs, h0_value)
    np.testing.assert_allclose(gU, numeric(cost_with_U, U_value), rtol=1e-5, atol=1e-7)
    U.set_value(U_value)
    np.testing.assert_allclose(gh0, numeric(lambda v: f_cost(xs, v), h0_value),
                               rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------
# Gradients: backpropagation through time
# ---------------------------------------------------------------------------

def cumsum_graph(x):
    return theano.scan(lambda x_t, total: total + x_t, sequences=x, outputs_info=zero())[0]


def rnn_graph(x, h0, W, U, b):
    step = lambda x_t, h_prev, W, U, b: T.tanh(T.dot(x_t, W) + T.dot(h_prev, U) + b)  # noqa
    return theano.scan(step, sequences=x, outputs_info=h0, non_sequences=[W, U, b])[0]


def fibonacci_like_graph(f0, a):
    return theano.scan(lambda f_tm2, f_tm1, a: a * f_tm2 + f_tm1, non_sequences=a,
                       outputs_info=dict(initial=f0, taps=[-2, -1]), n_steps=6)[0]


def neighbours_graph(x):
    return theano.scan(lambda before, now, after: before * now - T.sin(after),
                       sequences=dict(input=x, taps=[-1, 0, 1]))[0]


def backwards_graph(x, h0):
    return theano.scan(lambda x_t, h: T.tanh(x_t + 0.5 * h), sequences=x, outputs_info=h0,
                       go_backwards=True)[0]


def implicit_rnn_graph(x, h0, W, U, b):
    """The RNN with its weights used inside fn without being passed in."""
    step = lambda x_t, h_prev: T.tanh(T.dot(x_t, W) + T.dot(h_prev, U) + b)  # noqa
    return theano.scan(step, sequences=x, outputs_info=h0)[0]


def mixed_outputs_graph(x, h0):
    """A float state, an int counter and an output not fed back; only two carry gradient."""
    (h, _, tripled), _ = theano.scan(
        lambda x_t, h, count: [T.tanh(x_t * h + 0.1), count + 1, 3 * x_t], sequences=x,
        outputs_info=[h0, T.constant(np.int64(0)), None])
    return 2 * h + tripled


def gradient_of_rnn_graph(x, a):
    """A gradient of a scan, to differentiate again: the backward scan's
    final-only outputs (running sums) then need every step's values."""
    h = theano.scan(lambda x_t, h, a: T.tanh(a * h + x_t), sequences=x, outputs_info=zero(),
                    non_sequences=a)[0]
    return T.grad((h ** 2).sum(), a)


def until_graph(x):
    """Stops after 3 of the 5 steps: the threshold is far from the sums."""
    return theano.scan(lambda x_t, total: (total + T.sin(x_t), until(total + T.sin(x_t) > 2)),
                       sequences=x, outputs_info=zero())[0]


RNG = np.random.default_rng(3)
GRAD_CASES = {
    "cumsum": (cumsum_graph, [RNG.normal(size=5)]),
    "rnn_non_sequences": (rnn_graph, [RNG.normal(size=(5, 3)), RNG.normal(size=4),
                                      *rnn_weights(RNG)]),
    "rnn_implicit_outer_variables": (implicit_rnn_graph,
                                     [RNG.normal(size=(5, 3)), RNG.normal(size=4),
                                      *rnn_weights(RNG)]),
    "taps_-2_-1": (fibonacci_like_graph, [np.array([0.5, 1.0]), np.array(0.7)]),
    "sequence_taps_-1_0_1": (neighbours_graph, [RNG.normal(size=6)]),
    "go_backwards": (backwards_graph, [RNG.normal(size=5), np.array(0.3)]),
    "int_output_beside_float_ones": (mixed_outputs_graph, [RNG.normal(size=5),
                                                           np.array(0.4)]),
    "second_order": (gradient_of_rnn_graph, [RNG.normal(size=4), np.array(0.6)]),
    "until": (until_graph, [np.array([1.0, 0.9, 1.2, 0.3, 0.2])]),
}


@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_verify_grad(case):
    graph, pt = GRAD_CASES[case]
    verify_grad(graph, pt, rng=np.random.default_rng(4))


def test_gradient_of_shared_weights_matches_finite_differences():
    rng = np.random.default_rng(5)
    shared = [theano.shared(v, name) for v, name in zip(rnn_weights(rng), "WUb")]
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    h = implicit_rnn_graph(x, h0, *shared)
    cost = (h[-1] ** 2).sum() + h.mean()
    f_cost = theano.function([x, h0], cost)
    f_grads = theano.function([x, h0], T.grad(cost, shared))
    xs, h0_value = rng.normal(size=(4, 3)), rng.normal(size=4)
    eps = 1e-6
    for var, symbolic in zip(shared, f_grads(xs, h0_value)):
        value = var.get_value()
        numeric = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            for sign in (1, -1):
                moved = value.copy()
                moved[i] += sign * eps
                var.set_value(moved)
                numeric[i] += sign * f_cost(xs, h0_value) / (2 * eps)
        var.set_value(value)
        np.testing.assert_allclose(symbolic, numeric, rtol=1e-5, atol=1e-7)


def test_weight_gradients_are_summed_as_the_loop_goes():
    """The backward scan never holds one copy of W per step: for the product
    x_t @ W, dW is one product after the loop of x with the per-step
    gradients of x_t @ W (a running sum where the step uses W otherwise)."""
    rng = np.random.default_rng(7)
    W, U, b = [theano.shared(v, name) for v, name in zip(rnn_weights(rng), "WUb")]
    x, h0 = T.dmatrix("x"), T.dvector("h0")
    gW = T.grad(implicit_rnn_graph(x, h0, W, U, b).sum(), W)
    backward, = [node for node in theano.graph.toposort([gW])
                 if isinstance(node.op, Scan) and node.op.name == "grad_of_scan"]
    shapes = [out.shape for out in theano.function([x, h0], backward.outputs)(
        rng.normal(size=(9, 3)), rng.normal(size=4))]
    assert (9, 4) in shapes                 # d(x_t @ W) for each step
    assert not any(shape[0] == 9 and shape[1:] == (3, 4) for shape in shapes)


def test_gradient_of_a_sequence_longer_than_the_steps_is_zero_past_them():
    x = T.dvector("x")
    y, _ = theano.scan(lambda x_t: x_t ** 2, sequences=x, n_steps=2)
    g = theano.function([x], T.grad(y.sum(), x))(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, [2.0, 4.0, 0.0])


def test_training_a_small_rnn_reduces_its_loss():
    rng = np.random.default_rng(6)
    params = [theano.shared(v, name) for v, name in zip(rnn_weights(rng, 2, 5), "WUb")]
    readout = theano.shared(rng.normal(size=5) * 0.5, "readout")
    x, target = T.dmatrix("x"), T.dvector("target")
    h = implicit_rnn_graph(x, T.zeros((5,), dtype="float64"), *params)
    loss = ((T.dot(h, readout) - target) ** 2).mean()
    everything = params + [readout]
    train = theano.function([x, target], loss, updates=[
        (p, p - 0.1 * g) for p, g in zip(everything, T.grad(loss, everything))])
    xs = rng.normal(size=(8, 2))
    ys = np.cumsum(xs[:, 0]) * 0.3            # a target that needs memory
    losses = [float(train(xs, ys)) for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------------------
# Errors name scan
# ---------------------------------------------------------------------------

def test_output_dtype_must_match_the_initial_state():
    x0 = T.fscalar("x0")
    with pytest.raises(TypeError, match=r"scan 'grow': output 0 of fn is .*float64.* "
                                        r"initial state .*float32"):
        theano.scan(lambda x: x * np.float64(2), outputs_info=x0, n_steps=3, name="grow")


def test_output_shape_must_stay_the_same():
    v = T.dvector("v")
    y, _ = theano.scan(lambda acc: T.concatenate([acc, acc]), outputs_info=v, n_steps=2)
    with pytest.raises(ValueError, match="scan: at step 0, output 0 of fn has shape"):
        theano.function([v], y)(np.ones(2))


def test_zero_steps_is_refused():
    x = T.dvector("x")
    y, _ = theano.scan(lambda x_t: x_t * 2, sequences=x)
    with pytest.raises(ValueError, match="scan: the number of steps is 0"):
        theano.function([x], y)(np.zeros(0))
    with pytest.raises(ValueError, match="scan: n_steps is 0"):
        theano.scan(lambda x_t: x_t, sequences=x, n_steps=0)


def test_sequences_shorter_than_n_steps():
    x = T.dvector("x")
    y, _ = theano.scan(lambda x_t: x_t * 2, sequences=x, n_steps=5, name="short")
    with pytest.raises(ValueError, match="scan 'short': sequence input 0 has 3 usable"):
        theano.function([x], y)(np.ones(3))


def test_argument_errors():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="give sequences or n_steps"):
        theano.scan(lambda: x)
    with pytest.raises(ValueError, match="fn returned 2 outputs but outputs_info has 1"):
        theano.scan(lambda x_t, a: [x_t, a], sequences=x, outputs_info=[zero()])
    with pytest.raises(ValueError, match=r"outputs_info\[0\] taps must be negative"):
        theano.scan(lambda a: a, outputs_info=dict(initial=x, taps=[1]), n_steps=2)
    with pytest.raises(ValueError, match=r"sequences\[0\] .* is a scalar"):
        theano.scan(lambda a: a, sequences=T.dscalar("s"))
    with pytest.raises(TypeError, match="n_steps must be an integer scalar"):
        theano.scan(lambda a: a, sequences=x, n_steps=T.dscalar("n"))


def test_strict_refuses_variables_not_passed_in():
    W = theano.shared(np.ones(2), "W")
    with pytest.raises(ValueError, match="strict=True, but fn uses W"):
        theano.scan(lambda x_t: x_t * W, sequences=T.dmatrix("x"), strict=True)


def test_two_draws_from_one_state_are_refused():
    x = T.dvector("x")
    noise = RandomStreams(1).normal(())
    twice = lambda x_t: x_t * noise + x_t * noise.owner.op(noise.rng, [], 0.0, 1.0)[1]  # noqa
    with pytest.raises(NotImplementedError, match="scan 'n': fn draws twice from the "
                                                  "random state rng_state"):
        theano.scan(twice, sequences=x, name="n")

