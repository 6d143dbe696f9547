"""T.Rop (Jacobian times vector) and T.Lop (vector times Jacobian), checked
against central finite differences on a spread of ops, plus their list and
tuple forms and errors."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import DisconnectedInputError, Lop, Rop

RNG = np.random.default_rng(11)
EPS = 1e-6


def rnn(x):
    """A small tanh RNN over the rows of x, through scan."""
    h, _ = theano.scan(lambda row, h: T.tanh(h * 0.7 + row), sequences=x,
                       outputs_info=T.zeros_like(x[0]))
    return h


CASES = {
    "exp times tanh, broadcast": (lambda x: T.exp(x) * T.tanh(x[0]), (3, 2)),
    "dot with a constant": (lambda x: T.dot(x, np.arange(8.0).reshape(2, 4)), (3, 2)),
    "x dot x.T": (lambda x: T.dot(x, x.T), (3, 2)),
    "sum over an axis": (lambda x: (x ** 3).sum(axis=0), (3, 2)),
    "max and mean": (lambda x: x.max(axis=1) + x.mean(), (3, 2)),
    "softmax": (lambda x: T.nnet.softmax(x), (3, 4)),
    "sigmoid of a slice, reshaped": (lambda x: T.nnet.sigmoid(x[1:, ::-1]).reshape((-1,)),
                                     (3, 4)),
    "scan rnn": (rnn, (4, 3)),
    "conv2d": (lambda x: T.nnet.conv2d(x.reshape((1, 1, 4, 4)),
                                       np.arange(4.0).reshape(1, 1, 2, 2) - 1.5), (4, 4)),
}


def numeric_jvp(f, x, v):
    return (f(x + EPS * v) - f(x - EPS * v)) / (2 * EPS)


@pytest.mark.parametrize("name", list(CASES))
def test_rop_matches_finite_differences(name):
    build, shape = CASES[name]
    x, v = T.dmatrix("x"), T.dmatrix("v")
    y = build(x)
    jvp = theano.function([x, v], T.Rop(y, x, v), on_unused_input="ignore")
    forward = theano.function([x], y)
    point, direction = RNG.normal(size=shape), RNG.normal(size=shape)
    np.testing.assert_allclose(jvp(point, direction), numeric_jvp(forward, point, direction),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", list(CASES))
def test_lop_matches_finite_differences(name):
    build, shape = CASES[name]
    x = T.dmatrix("x")
    y = build(x)
    u = y.type("u")
    vjp = theano.function([x, u], T.Lop(y, x, u), on_unused_input="ignore")
    forward = theano.function([x], y)
    point = RNG.normal(size=shape)
    weights = RNG.normal(size=forward(point).shape)
    # <u, f(x)> differentiated numerically along each coordinate of x
    want = np.zeros(shape)
    for index in np.ndindex(*shape):
        step = np.zeros(shape)
        step[index] = 1.0
        want[index] = (weights * numeric_jvp(forward, point, step)).sum()
    np.testing.assert_allclose(vjp(point, weights), want, rtol=1e-6, atol=1e-7)


def test_rop_of_a_matrix_vector_product_is_exact():
    W, V, x = T.dmatrix("W"), T.dmatrix("V"), T.dvector("x")
    f = theano.function([W, V, x], T.Rop(T.dot(x, W), W, V))
    w, v, xv = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2)), RNG.normal(size=3)
    np.testing.assert_allclose(f(w, v, xv), xv @ v, rtol=1e-14)


def test_list_and_tuple_forms_follow_theano():
    """Rop returns one result per f, Lop one per wrt, in f's / wrt's form."""
    a, b, va, vb = T.dvector("a"), T.dvector("b"), T.dvector("va"), T.dvector("vb")
    prod, total = a * b, (a + b).sum()
    as_list = Rop([prod, total], [a, b], [va, vb])
    as_tuple = Rop((prod, total), (a, b), (va, vb))
    assert isinstance(as_list, list) and isinstance(as_tuple, tuple)
    assert not isinstance(Rop(prod, [a, b], [va, vb]), (list, tuple))
    f = theano.function([a, b, va, vb], as_list)
    av, bv, dav, dbv = (RNG.normal(size=3) for _ in range(4))
    d_prod, d_total = f(av, bv, dav, dbv)
    np.testing.assert_allclose(d_prod, dav * bv + av * dbv)
    np.testing.assert_allclose(d_total, dav.sum() + dbv.sum())

    u = T.dvector("u")
    grads = Lop(prod, (a, b), u)
    assert isinstance(grads, tuple) and len(grads) == 2
    assert not isinstance(Lop(prod, a, u), (list, tuple))
    ga, gb = theano.function([a, b, u], list(grads))(av, bv, dav)
    np.testing.assert_allclose(ga, dav * bv)
    np.testing.assert_allclose(gb, dav * av)


def test_rop_follows_a_wrt_in_the_middle_of_the_graph():
    x, v = T.dvector("x"), T.dvector("v")
    middle = T.exp(x)
    y = T.sin(middle)
    f = theano.function([x, v], Rop(y, middle, v))
    xv, vv = RNG.normal(size=3), RNG.normal(size=3)
    np.testing.assert_allclose(f(xv, vv), np.cos(np.exp(xv)) * vv)


def test_second_order_rop_of_a_gradient_is_a_hessian_vector_product():
    x, v = T.dvector("x"), T.dvector("v")
    cost = (T.exp(x) * x[::-1]).sum()
    hv = theano.function([x, v], Rop(T.grad(cost, x), x, v))
    xv, vv = RNG.normal(size=4), RNG.normal(size=4)
    H = np.diag(np.exp(xv) * xv[::-1])
    for i in range(4):                    # d^2/dx_i dx_j of exp(x_i) x_{3-i}
        H[i, 3 - i] += np.exp(xv[i])
        H[3 - i, i] += np.exp(xv[i])
    np.testing.assert_allclose(hv(xv, vv), H @ vv, rtol=1e-10)


def test_disconnected_outputs_and_errors():
    x, y, v = T.dvector("x"), T.dvector("y"), T.dvector("v")
    with pytest.raises(DisconnectedInputError, match="Rop: .* does not depend on"):
        Rop(y * 2, x, v)
    zero = Rop(y * 2, x, v, disconnected_outputs="ignore")
    np.testing.assert_array_equal(theano.function([y], zero)(np.ones(2)), [0, 0])
    assert Rop(y * 2, x, v, disconnected_outputs="ignore", return_disconnected="None") is None
    with pytest.raises(ValueError, match="Rop: element 0 of wrt .* has 1 dimensions but its "
                                         "eval point"):
        Rop(x * 2, x, T.dmatrix("m"))
    with pytest.raises(ValueError, match="Rop: 2 variables in wrt but 1 eval_points"):
        Rop(x * y, [x, y], [v])
    with pytest.raises(ValueError, match="Lop: 1 expressions in f but 2 eval_points"):
        Lop(x * 2, x, [v, v])
    with pytest.raises(ValueError, match="disconnected_outputs must be"):
        Rop(x, x, v, disconnected_outputs="maybe")
