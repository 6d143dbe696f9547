"""RandomStreams draws Theano's numbers: the rule is NumPy's RandomState,
seeded per variable from a master RandomState(seed), as Theano did."""
import numpy as np

import cytensor as theano
from cytensor.tensor.random import RandomStream
from cytensor.tensor.shared_randomstreams import RandomStreams


def variable_states(seed, count):
    """The RandomState of each of the first `count` variables of a stream."""
    master = np.random.RandomState(seed)
    return [np.random.RandomState(int(master.randint(2 ** 30))) for _ in range(count)]


def test_each_distribution_follows_the_randomstate_rule():
    srng = RandomStreams(seed=234)
    draws = [srng.uniform((2, 3)), srng.normal((2,), avg=1.0, std=2.0),
             srng.binomial((4,), n=3, p=0.3), srng.random_integers((3,), low=2, high=5),
             srng.permutation((2,), n=4), srng.choice((3,), a=5)]
    f = theano.function([], draws)
    states = variable_states(234, len(draws))
    for call in range(2):            # the states advance as RandomState's do
        got = f()
        expected = [states[0].uniform(0.0, 1.0, (2, 3)), states[1].normal(1.0, 2.0, (2,)),
                    states[2].binomial(3, 0.3, (4,)), states[3].randint(2, 6, (3,)),
                    np.array([states[4].permutation(4) for _ in range(2)]),
                    states[5].choice(5, (3,), True, None)]
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)


def test_numbers_of_a_real_theano_run():
    # Theano 1.0.5, RandomStreams(seed=234).uniform((2, 3)), first call, float64.
    srng = RandomStreams(seed=234)
    f = theano.function([], srng.uniform((2, 3), dtype="float64"))
    np.testing.assert_allclose(f(), [[0.12672381, 0.97091597, 0.13989098],
                                     [0.88754825, 0.31971415, 0.47584377]], rtol=1e-7)


def test_reseeding_restarts_every_variable_in_creation_order():
    srng = RandomStreams(seed=1)
    a, b = srng.uniform((3,)), srng.normal((3,))
    f = theano.function([], [a, b])
    f()
    srng.seed(7)
    states = variable_states(7, 2)
    got_a, got_b = f()
    np.testing.assert_array_equal(got_a, states[0].uniform(0.0, 1.0, (3,)))
    np.testing.assert_array_equal(got_b, states[1].normal(0.0, 1.0, (3,)))


def test_float32_draws_are_the_float64_numbers_cast():
    srng = RandomStreams(seed=5)
    f = theano.function([], srng.uniform((4,), dtype="float32"))
    expected = variable_states(5, 1)[0].uniform(0.0, 1.0, (4,)).astype("float32")
    got = f()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_rng_state_methods_reseed_a_theano_state():
    srng = RandomStreams(seed=3)
    rv = srng.uniform((2,))
    f = theano.function([], rv)
    rv.rng.get_value(borrow=True).seed(11)
    np.testing.assert_array_equal(f(), np.random.RandomState(11).uniform(0.0, 1.0, (2,)))
    saved = rv.rng.get_value().get_state()
    first = f()
    rv.rng.get_value(borrow=True).set_state(saved)
    np.testing.assert_array_equal(f(), first)


def test_the_pcg64_stream_is_still_available_and_differs():
    theano_like = theano.function([], RandomStreams(seed=234).uniform((2, 3)))()
    own = theano.function([], RandomStream(seed=234).uniform(size=(2, 3)))()
    assert own.shape == theano_like.shape and not np.array_equal(own, theano_like)
    expected = np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(234).spawn(1)[0])).uniform(0.0, 1.0, (2, 3))
    np.testing.assert_array_equal(own, expected)
