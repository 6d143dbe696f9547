"""ifelse: one scalar condition picks a whole branch (Theano's theano.ifelse)."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.ifelse import ifelse


def test_picks_a_branch_whose_shape_may_differ():
    c = T.iscalar("c")
    v = T.vector("v")
    f = theano.function([c, v], ifelse(c, v[:2], v * 10))
    data = np.arange(3.0)
    np.testing.assert_array_equal(f(1, data), [0, 1])
    np.testing.assert_array_equal(f(0, data), [0, 10, 20])


def test_several_values_and_a_name():
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    low, high = ifelse(T.lt(a, b), [x, y], [y, x], name="pair")
    assert low.name == high.name == "pair"
    f = theano.function([a, b, x, y], [low, high])
    ones, zeros = np.ones((2, 2)), np.zeros((2, 2))
    np.testing.assert_array_equal(f(0, 1, ones, zeros)[0], ones)
    np.testing.assert_array_equal(f(1, 0, ones, zeros)[0], zeros)


def test_output_is_not_the_inputs_array():
    c = T.iscalar("c")
    W = theano.shared(np.ones(3), "W")
    out = theano.function([c], ifelse(c, W, W * 2))(1)
    out[0] = 5.0
    assert W.get_value()[0] == 1.0


def test_gradient_flows_into_the_branch_taken():
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    cost = ifelse(T.lt(a, b), (x ** 2).sum(), (3 * y).sum())
    f = theano.function([a, b, x, y], theano.grad(cost, [x, y]))
    ones = np.ones((2, 2))
    gx, gy = f(0, 1, ones, ones)
    np.testing.assert_array_equal(gx, 2 * ones)
    np.testing.assert_array_equal(gy, 0 * ones)
    gx, gy = f(1, 0, ones, ones)
    np.testing.assert_array_equal(gx, 0 * ones)
    np.testing.assert_array_equal(gy, 3 * ones)


def test_bad_branches_and_conditions_are_named():
    v = T.vector("v")
    with pytest.raises(TypeError, match=r"condition must be a scalar.*T.switch"):
        ifelse(v, v, v)
    with pytest.raises(TypeError, match=r"same dtype and number of dimensions.*"
                                        r"Vector\(float64\) and Vector\(int32\)"):
        ifelse(1, v, T.ivector())
    with pytest.raises(ValueError, match=r"then branch has 2 values and the else branch 1"):
        ifelse(1, [v, v], [v])
