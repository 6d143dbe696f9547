"""OpFromGraph: a graph wrapped as one op; its values, gradient and shape
are those of the graph, checked against NumPy and finite differences."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.graph import MissingInputError

RNG = np.random.default_rng(5)


def affine_tanh():
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    return theano.OpFromGraph([x, W, b], [T.tanh(T.dot(x, W) + b)], name="layer")


def test_each_call_is_one_node_computing_the_graph():
    layer = affine_tanh()
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    out = layer(layer(x, W, b), W, b)
    assert out.owner.op is layer and str(layer) == "OpFromGraph{layer}"
    xv, Wv, bv = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3)), RNG.normal(size=3)
    once = np.tanh(xv @ Wv + bv)
    np.testing.assert_allclose(theano.function([x, W, b], out)(xv, Wv, bv),
                               np.tanh(once @ Wv + bv), rtol=1e-12)


def test_gradient_matches_finite_differences():
    layer = affine_tanh()
    verify_grad(lambda x, W, b: layer(x, W, b) ** 2,
                [RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4)), RNG.normal(size=4)])


def test_several_outputs_one_of_them_integer():
    a = T.dvector("a")
    stats = theano.OpFromGraph([a], [a.sum(), T.argmax(a), a * a])
    total, where, squares = stats(a)
    values = np.array([1.0, 5.0, -2.0])
    got = theano.function([a], [total, where, squares, T.grad(total + squares.sum(), a)])(values)
    assert got[0] == 4.0 and got[1] == 1
    np.testing.assert_array_equal(got[2], values ** 2)
    np.testing.assert_array_equal(got[3], 1 + 2 * values)


def test_shared_variables_are_read_when_it_runs_and_get_gradients():
    w = theano.shared(np.array([1.0, 2.0]), "w")
    x = T.dvector("x")
    scaled = theano.OpFromGraph([x], [x * w])
    y = T.dvector("y")
    f = theano.function([y], [scaled(y), T.grad(scaled(y).sum(), w)])
    out, gw = f(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(out, [3.0, 8.0])
    np.testing.assert_array_equal(gw, [3.0, 4.0])
    w.set_value(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(f(np.array([3.0, 4.0]))[0], [1.5, 2.0])


def test_shape_is_inferred_without_running_it():
    layer = affine_tanh()
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    shape = theano.function([x, W, b], layer(x, W, b).shape, on_unused_input="ignore")
    assert not any(n.op is layer for n in shape.maker.fgraph.toposort())
    assert shape(np.zeros((5, 3)), np.zeros((3, 7)), np.zeros(7)).tolist() == [5, 7]


def test_inline_splices_the_graph_in():
    x, y = T.dvector("x"), T.dvector("y")
    op = theano.OpFromGraph([x, y], [x * y + 1], inline=True)
    out = op(y, x)
    assert not isinstance(out.owner.op, theano.OpFromGraph)
    assert theano.function([x, y], out)(np.array([2.0]), np.array([3.0])) == [7.0]


def test_errors():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(MissingInputError, match="OpFromGraph: the outputs depend on y"):
        theano.OpFromGraph([x], [x + y])
    op = theano.OpFromGraph([x], [x * 2])
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        op(x, y)
    with pytest.raises(TypeError, match=r"input 0 \(m\) is .*; the graph needs"):
        op(T.dmatrix("m"))
    with pytest.raises(TypeError, match="both must be lists"):
        theano.OpFromGraph(x, x * 2)
