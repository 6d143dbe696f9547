"""Theano 1.0's softmax of a vector is a 1 x n row; an explicit axis keeps
cytensor's (and PyTensor's) vector result."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T


def numpy_softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


@pytest.mark.parametrize("op, reference", [
    (T.nnet.softmax, numpy_softmax),
    (T.nnet.log_softmax,
     lambda v: np.log(numpy_softmax(v)))])
def test_vector_gives_a_row_as_in_theano(op, reference):
    v = T.dvector("v")
    out = op(v)
    assert out.ndim == 2 and out.broadcastable == (True, False)
    f = theano.function([v], out)
    x = np.array([1.0, -2.0, 0.5, 3.0])
    got = f(x)
    assert got.shape == (1, 4)
    np.testing.assert_allclose(got[0], reference(x))
    # code written for Theano indexes the result as a matrix
    p = theano.function([v], op(v)[0, T.argmax(v)])(x)
    np.testing.assert_allclose(p, reference(x)[3])


def test_explicit_axis_keeps_a_vector_and_matrices_are_unchanged():
    v, m = T.dvector("v"), T.dmatrix("m")
    assert T.nnet.softmax(v, axis=-1).ndim == 1
    x = np.arange(6.0).reshape(2, 3)
    got = theano.function([m], T.nnet.softmax(m))(x)
    np.testing.assert_allclose(got, np.exp(x) / np.exp(x).sum(1, keepdims=True))


def test_gradient_through_the_padded_row():
    v = T.dvector("v")
    cost = -T.log(T.nnet.softmax(v)[0, 2])
    g = theano.function([v], T.grad(cost, v))(np.array([0.1, 0.2, 0.3]))
    expected = numpy_softmax(np.array([0.1, 0.2, 0.3]))
    expected[2] -= 1.0
    np.testing.assert_allclose(g, expected)
    theano.gradient.verify_grad(lambda x: T.nnet.softmax(x), [np.array([0.3, -1.0, 2.0])],
                                rng=np.random.RandomState(0))
