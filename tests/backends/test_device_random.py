"""Random streams on a device: draws there, the generator state carried as on the CPU.

On the reference device (ref0) the draws are NumPy's generator's, so the
stream gives the CPU's sequence, call after call, and its state moves on
exactly as there.  On a GPU (marked ``cuda``) they are cupy.random's,
seeded from the same state, which moves on as next_generator_state says:
reproducible from the seed, new numbers on every call.
"""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.backends.cuda.backend import next_generator_state
from cytensor.tensor.random import GENERATORS, RandomStream, RandomVariable, state_from_seed
from cytensor.tensor.shared_randomstreams import RandomStreams

from test_device_inner_graphs import cuda_refusals


STREAMS = {"pcg64": RandomStream, "mt19937": RandomStreams}     # cytensor's, Theano's


def draws(generator="pcg64", calls=3):
    """A stream's uniform, normal and binomial draws over a few calls, and
    the states after each call."""
    srng = STREAMS[generator](11)
    loc = T.dvector("loc")
    values = [srng.gen("uniform", (4,), "float64", -1.0, 2.0),
              srng.gen("normal", None, "float64", loc, 0.5),
              srng.gen("binomial", (2, 5), "int64", 3, 0.25),
              srng.gen("normal", (3,), "float32", 0.0, 1.0)]
    f = theano.function([loc], values)
    states = [v.rng for v in values]
    out = []
    for _ in range(calls):
        out.append(f(np.array([0.0, 10.0, -10.0])))
        out.append([s.get_value() for s in states])
    return f, srng, out


@pytest.mark.parametrize("generator", ["pcg64", "mt19937"])
def test_the_reference_device_draws_the_cpus_sequence_and_moves_the_state_on(plugins,
                                                                            generator):
    _, _, on_cpu = draws(generator)
    with theano.config.change_flags(device="ref"):
        f, srng, on_device = draws(generator)
    for want, got in zip(on_cpu, on_device):
        for a, b in zip(want, got):
            assert isinstance(b, np.ndarray) and b.dtype == a.dtype
            np.testing.assert_array_equal(b, a)
    assert not np.array_equal(on_device[0][0], on_device[2][0])       # new numbers each call
    placement = f.schedule.placement
    assert {placement.backend(n).device for n in f.schedule.nodes
            if isinstance(n.op, RandomVariable)} == {"ref0"}
    assert cuda_refusals(f) == {}
    srng.seed()                                                        # back to the start
    np.testing.assert_array_equal(f(np.zeros(3))[0], on_device[0][0])


def test_the_device_state_moves_on_as_the_cpus_generator_would():
    for generator in GENERATORS:
        state = state_from_seed(5, generator)
        after = next_generator_state(GENERATORS[generator], state)
        assert after.dtype == state.dtype and after.shape == state.shape
        assert not np.array_equal(after, state)
        np.testing.assert_array_equal(next_generator_state(GENERATORS[generator], state), after)
        rng = GENERATORS[generator].load(state)
        rng.random()
        np.testing.assert_array_equal(GENERATORS[generator].save(), after)


@pytest.mark.cuda
def test_random_streams_on_the_gpu_are_reproducible_and_move_on():
    with theano.config.change_flags(device="cuda"):
        f, srng, first = draws(calls=2)
        _, _, again = draws(calls=2)
    for a, b in zip(first, again):                     # the same seed: the same numbers
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0][0], first[2][0])
    uniform, normal, binomial, normal32 = first[0]
    assert ((uniform >= -1) & (uniform < 2)).all() and normal32.dtype == np.float32
    assert np.allclose(normal, [0, 10, -10], atol=3) and set(np.unique(binomial)) <= {0, 1, 2, 3}
    start = state_from_seed(np.random.SeedSequence(11).spawn(1)[0])     # the first variable's
    np.testing.assert_array_equal(first[1][0], next_generator_state(GENERATORS["pcg64"], start))
    placement = f.schedule.placement
    assert {placement.backend(n).device for n in f.schedule.nodes
            if isinstance(n.op, RandomVariable)} == {"cuda0"}


@pytest.mark.cuda
def test_many_draws_on_the_gpu_have_the_distributions_moments():
    srng = RandomStream(2)
    with theano.config.change_flags(device="cuda"):
        f = theano.function([], [srng.normal(1.0, 2.0, size=(200000,)),
                                 srng.uniform(size=(200000,)), srng.binomial(4, 0.5,
                                                                              size=(200000,))])
    normal, uniform, binomial = f()
    assert abs(normal.mean() - 1) < 0.05 and abs(normal.std() - 2) < 0.05
    assert abs(uniform.mean() - 0.5) < 0.01 and abs(binomial.mean() - 2) < 0.02
