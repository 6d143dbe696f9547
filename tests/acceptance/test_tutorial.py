"""The basics of Theano's tutorial, as it writes them, with cytensor imported as theano."""
import numpy

import cytensor as theano
import cytensor.tensor as T
from cytensor import In, function, pp, shared


def test_adding_two_scalars():
    x = T.dscalar('x')
    y = T.dscalar('y')
    z = x + y
    f = function([x, y], z)
    assert f(2, 3) == numpy.array(5.0)
    assert numpy.allclose(f(16.3, 12.1), 28.4)
    assert type(x) is T.TensorVariable and x.type == T.dscalar
    assert numpy.allclose(z.eval({x: 16.3, y: 12.1}), 28.4)


def test_adding_two_matrices():
    x = T.dmatrix('x')
    y = T.dmatrix('y')
    z = x + y
    f = function([x, y], z)
    numpy.testing.assert_array_equal(f([[1, 2], [3, 4]], [[10, 20], [30, 40]]),
                                     [[11., 22.], [33., 44.]])
    numpy.testing.assert_array_equal(
        f(numpy.array([[1, 2], [3, 4]]), numpy.array([[10, 20], [30, 40]])),
        [[11., 22.], [33., 44.]])


def test_exercise_vectors():
    a = T.vector()
    b = T.vector()
    out = a ** 2 + b ** 2 + 2 * a * b
    f = function([a, b], out)
    numpy.testing.assert_array_equal(f([1, 2], [4, 5]), [25., 49.])


def test_logistic_function():
    x = T.dmatrix('x')
    s = 1 / (1 + T.exp(-x))
    logistic = function([x], s)
    s2 = (1 + T.tanh(x / 2)) / 2
    logistic2 = function([x], s2)
    data = [[0, 1], [-1, -2]]
    numpy.testing.assert_allclose(logistic(data), logistic2(data))


def test_several_outputs():
    a, b = T.dmatrices('a', 'b')
    diff = a - b
    abs_diff = abs(diff)
    diff_squared = diff**2
    f = function([a, b], [diff, abs_diff, diff_squared])
    d, ad, sq = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    numpy.testing.assert_array_equal(d, [[1., 0.], [-1., -2.]])
    numpy.testing.assert_array_equal(ad, [[1., 0.], [1., 2.]])
    numpy.testing.assert_array_equal(sq, [[1., 0.], [1., 4.]])


def test_default_values():
    x, y = T.dscalars('x', 'y')
    z = x + y
    f = function([x, In(y, value=1)], z)
    assert f(33) == 34.0
    assert f(33, 2) == 35.0


def test_shared_accumulator():
    state = shared(0)
    inc = T.iscalar('inc')
    accumulator = function([inc], state, updates=[(state, state+inc)])
    assert state.get_value() == 0
    accumulator(1)
    assert state.get_value() == 1
    accumulator(300)
    assert state.get_value() == 301


def test_copying_graph_with_givens():
    state = shared(0)
    inc = T.iscalar('inc')
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert skip_shared(1, 3) == 7
    assert state.get_value() == 0


def test_derivatives():
    x = T.dscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    f = function([x], gy)
    assert f(4) == 8.0
    assert numpy.allclose(f(94.2), 188.4)
    assert pp(f.maker.fgraph.outputs[0]) == "(TensorConstant{2.0} * x)"

    x = T.dmatrix('x')
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = theano.grad(s, x)
    dlogistic = function([x], gs)
    numpy.testing.assert_allclose(dlogistic([[0, 1], [-1, -2]]),
                                  [[0.25, 0.19661193], [0.19661193, 0.10499359]],
                                  rtol=1e-7)


def test_jacobian_and_hessian():
    x = T.dvector('x')
    y = x ** 2
    J = theano.gradient.jacobian(y, x)
    f = function([x], J)
    numpy.testing.assert_array_equal(f([4, 4]), [[8., 0.], [0., 8.]])
    cost = y.sum()
    H = theano.gradient.hessian(cost, x)
    numpy.testing.assert_array_equal(function([x], H)([4, 4]), [[2., 0.], [0., 2.]])
