"""Idioms that published Theano scripts rely on, checked with the import swapped.

The book "Deep Learning with Theano" and the deeplearning.net tutorials were
run with only their imports changed (docs/migration.rst lists the results).
These tests pin down, in small graphs of our own, the capabilities those runs
depended on that no other test covers directly: the import forms the scripts
use, a gradient taken inside a scan step (Hamiltonian Monte Carlo's leapfrog
integrator) and nearest neighbours by ``argsort`` (word-analogy evaluation).
"""
import importlib

import numpy
import pytest

import cytensor
import cytensor.tensor as T


def test_star_import_brings_the_names_scripts_use():
    namespace = {}
    exec("from cytensor import *", namespace)
    for name in ("function", "shared", "tensor", "config", "scan", "In", "grad"):
        assert name in namespace, name
    weights = namespace["shared"](numpy.arange(3.0), name="w")
    x = namespace["tensor"].dvector("x")
    dot_with_weights = namespace["function"]([x], namespace["tensor"].dot(x, weights))
    assert dot_with_weights([1.0, 1.0, 1.0]) == 3.0


def test_importing_a_submodule_keeps_it_reachable_from_the_package():
    # ``import theano.sandbox.rng_mrg`` becomes
    # ``import cytensor as theano, cytensor.sandbox.rng_mrg``; the script
    # then reaches the class through the package's attributes.
    package = importlib.import_module("cytensor")
    importlib.import_module("cytensor.sandbox.rng_mrg")
    streams = package.sandbox.rng_mrg.MRG_RandomStreams(seed=7)
    draw = package.function([], streams.uniform(size=(4,)))
    first, second = draw(), draw()
    assert first.shape == (4,)
    assert numpy.all((first >= 0) & (first < 1))
    assert not numpy.array_equal(first, second)


def _leapfrog_numpy(position, velocity, precision, step, n_steps):
    """Leapfrog integration of H = p.A.p / 2 + v.v / 2, by hand."""
    velocity = velocity - 0.5 * step * precision.dot(position)
    for _ in range(n_steps - 1):
        position = position + step * velocity
        velocity = velocity - step * precision.dot(position)
    position = position + step * velocity
    velocity = velocity - 0.5 * step * precision.dot(position)
    return position, velocity


def test_leapfrog_with_a_gradient_inside_the_scan_step():
    rng = numpy.random.RandomState(3)
    half = rng.rand(4, 4)
    precision = half.dot(half.T) + numpy.eye(4)
    position0, velocity0 = rng.randn(4), rng.randn(4)
    step, n_steps = 0.05, 6

    p, v = T.dvectors("p", "v")
    A = T.constant(precision)

    def energy_gradient(q):
        return T.grad(0.5 * T.dot(q, T.dot(A, q)), q)

    def full_step(q, w):
        q_next = q + step * w
        return q_next, w - step * energy_gradient(q_next)

    v_half = v - 0.5 * step * energy_gradient(p)
    (ps, vs), updates = cytensor.scan(full_step, outputs_info=[p, v_half],
                                      n_steps=n_steps - 1)
    p_end = ps[-1] + step * vs[-1]
    v_end = vs[-1] - 0.5 * step * energy_gradient(p_end)
    integrate = cytensor.function([p, v], [p_end, v_end], updates=updates)

    got_p, got_v = integrate(position0, velocity0)
    want_p, want_v = _leapfrog_numpy(position0, velocity0, precision, step, n_steps)
    numpy.testing.assert_allclose(got_p, want_p, rtol=1e-12)
    numpy.testing.assert_allclose(got_v, want_v, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nearest_neighbours_by_argsort_match_numpy(dtype):
    rng = numpy.random.RandomState(5)
    embeddings = rng.randn(30, 6).astype(dtype)
    embeddings /= numpy.sqrt((embeddings ** 2).sum(axis=1, keepdims=True))
    a, b, c = (rng.randint(0, 30, size=8).astype("int32") for _ in range(3))

    ia, ib, ic = T.ivectors("ia", "ib", "ic")
    E = T.matrix("E", dtype=dtype)
    target = E[ib] - E[ia] + E[ic]
    closest = T.argsort(-T.dot(target, E.T), axis=1)[:, :4]
    predict = cytensor.function([E, ia, ib, ic], closest)

    want_scores = (embeddings[b] - embeddings[a] + embeddings[c]).dot(embeddings.T)
    want = numpy.argsort(-want_scores, axis=1)[:, :4]
    got = predict(embeddings, a, b, c)
    assert got.dtype == want.dtype
    numpy.testing.assert_array_equal(got, want)
