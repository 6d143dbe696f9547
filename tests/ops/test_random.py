"""Random streams: state in shared variables, advanced by every call, reseedable."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.random import RandomStream
from cytensor.tensor.shared_randomstreams import RandomStreams


def test_state_advances_and_reseeds():
    srng = RandomStream(42)
    u = srng.uniform(size=(3,))
    f = theano.function([], u)
    a, b = f(), f()
    assert not np.allclose(a, b)
    srng.seed(42)
    np.testing.assert_array_equal(f(), a)
    g = theano.function([], u, no_default_updates=True)
    np.testing.assert_array_equal(g(), g())
    # the same seed gives the same numbers in a new stream
    np.testing.assert_array_equal(theano.function([], RandomStream(42).uniform(size=(3,)))(), a)


def test_distributions():
    srng = RandomStream(0)
    n = 20000
    draws = theano.function([], [
        srng.uniform(-1.0, 3.0, size=(n,)), srng.normal(2.0, 0.5, size=(n,)),
        srng.binomial(5, 0.2, size=(n,)), srng.integers(3, 7, size=(n,)),
        srng.choice(4, size=(n,), p=[0.1, 0.2, 0.3, 0.4]), srng.permutation(6)])()
    u, nrm, b, i, c, perm = draws
    assert u.dtype == theano.config.floatX and -1 <= u.min() and u.max() < 3
    assert abs(nrm.mean() - 2) < 0.02 and abs(nrm.std() - 0.5) < 0.02
    assert abs(b.mean() - 1.0) < 0.05 and b.dtype == "int64"
    assert set(np.unique(i)) == {3, 4, 5, 6}
    np.testing.assert_allclose(np.bincount(c) / n, [0.1, 0.2, 0.3, 0.4], atol=0.02)
    assert sorted(perm) == list(range(6))


def test_dropout_mask_changes_every_call():
    srng = RandomStream(1)
    x = T.dmatrix()
    mask = srng.binomial(1, 0.5, size=x.shape, dtype="float64")
    f = theano.function([x], x * mask)
    a, b = f(np.ones((4, 5))), f(np.ones((4, 5)))
    assert set(np.unique(a)) <= {0.0, 1.0} and not np.array_equal(a, b)
    # gradients flow through the mask, not into it
    g = theano.function([x], theano.grad((x * mask).sum(), x))(np.ones((2, 2)))
    assert set(np.unique(g)) <= {0.0, 1.0}


def test_theano_random_streams():
    srng = RandomStreams(seed=234)
    rv_u, rv_n = srng.uniform((2, 2)), srng.normal((2, 2), avg=1.0, std=0.1)
    ints = srng.random_integers((200,), 1, 3)
    f = theano.function([], [rv_u, rv_n, ints])
    u, n, i = f()
    assert u.shape == (2, 2) and n.shape == (2, 2)
    assert set(np.unique(i)) == {1, 2, 3}
    assert sorted(theano.function([], srng.permutation(n=5))()) == list(range(5))
    assert len(srng.updates()) == 4


def test_rng_state_of_a_variable_reseeds_saves_and_restores():
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = theano.function([], rv_u)
    rng_val = rv_u.rng.get_value(borrow=True)
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)
    first = f()
    rv_u.rng.get_value(borrow=True).seed(89234)     # borrowed: reseeds in place
    np.testing.assert_array_equal(f(), first)
    saved = rv_u.rng.get_value().get_state()
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(saved)
    rv_u.rng.set_value(rng, borrow=True)
    np.testing.assert_array_equal(f(), v1)
    assert not np.array_equal(f(), v1)


def test_mrg_random_streams_take_p_before_n():
    from cytensor.sandbox.rng_mrg import MRG_RandomStreams
    srng = MRG_RandomStreams(seed=1)
    mask = srng.binomial((1000,), 0.25, dtype="float32")
    u = srng.uniform((3, 2), nstreams=4)
    m, v = theano.function([], [mask, u])()
    assert m.dtype == "float32" and set(np.unique(m)) == {0.0, 1.0}
    assert 0.15 < m.mean() < 0.35
    assert v.shape == (3, 2)
    with pytest.raises(TypeError, match="give the probability p"):
        srng.binomial((2,))


def test_theano_permutation_with_a_size():
    """RandomStreams.permutation(size, n): a shuffled range(n) for each index
    of size, new ones each call."""
    srng = RandomStreams(5)
    f = theano.function([], srng.permutation(size=(4, 2), n=6))
    first, second = f(), f()
    assert first.shape == (4, 2, 6) and first.dtype == np.int64
    for rows in (first, second):
        assert (np.sort(rows, axis=-1) == np.arange(6)).all()
    assert not (first == second).all()


def test_bad_parameters_raise():
    srng = RandomStream(0)
    with pytest.raises(ValueError, match="random normal"):
        theano.function([], srng.normal(0.0, -1.0, size=(2,)))()
