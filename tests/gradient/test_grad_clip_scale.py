"""gradient.grad_clip and grad_scale: the identity forward, the gradient
passing back through them clipped or scaled, and their R-operator."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import gradient


def test_values_pass_unchanged():
    x = T.dvector("x")
    values = np.array([-3.0, 0.0, 2.5])
    f = theano.function([x], [gradient.grad_clip(x, -1, 1), gradient.grad_scale(x, 7)])
    for out in f(values):
        np.testing.assert_array_equal(out, values)


def test_the_gradient_is_clipped_elementwise():
    x = T.dvector("x")
    # The gradient reaching y = x**2 is c = (-4, 1, 3); it is clipped before
    # the chain rule multiplies it by 2x.
    y = gradient.grad_clip(x ** 2, -1.5, 1.5)
    g = T.grad((y * np.array([-4.0, 1.0, 3.0])).sum(), x)
    values = np.array([1.0, 2.0, -0.5])
    np.testing.assert_allclose(theano.function([x], g)(values),
                               np.clip([-4.0, 1.0, 3.0], -1.5, 1.5) * 2 * values)


def test_the_gradient_is_scaled_also_by_a_symbolic_multiplier():
    x, m = T.dvector("x"), T.dscalar("m")
    g = T.grad(T.exp(gradient.grad_scale(x, m)).sum(), x)
    values = np.array([0.5, -1.0])
    np.testing.assert_allclose(theano.function([x, m], g)(values, -2.0), -2.0 * np.exp(values))


def test_rop_sees_the_identity():
    x, v = T.dvector("x"), T.dvector("v")
    y = gradient.grad_clip(T.sin(x), 0.5, 1.0) * gradient.grad_scale(x, 10)
    f = theano.function([x, v], T.Rop(y, x, v))
    xv, vv = np.array([0.3, 1.2]), np.array([1.0, -2.0])
    np.testing.assert_allclose(f(xv, vv), (np.cos(xv) * xv + np.sin(xv)) * vv)


def test_bounds_in_the_wrong_order_are_refused():
    with pytest.raises(ValueError, match="grad_clip: the lower bound 2 is above the upper "
                                         "bound 1"):
        gradient.grad_clip(T.dvector("x"), 2, 1)
