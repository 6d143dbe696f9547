"""Test values: ops compute tag.test_value while the graph is built."""
import warnings

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.config import change_flags
from cytensor.debug.testvalue import TestValueError, get_test_value


@pytest.fixture
def raise_mode():
    with change_flags(compute_test_value="raise"):
        yield


def test_values_flow_through_the_graph_and_its_gradient(raise_mode):
    x = T.matrix("x")
    x.tag.test_value = np.random.rand(5, 10)
    W = theano.shared(np.random.rand(10, 8), "W")
    h = T.tanh(T.dot(x, W) + 1)
    assert h.tag.test_value.shape == (5, 8)
    np.testing.assert_allclose(h.tag.test_value,
                               np.tanh(x.tag.test_value @ W.get_value() + 1))
    g = theano.grad(h.sum(), W)
    assert g.tag.test_value.shape == (10, 8)
    f = theano.function([x], g)                 # rewrites build nodes without test values
    np.testing.assert_allclose(f(x.tag.test_value), g.tag.test_value)


def test_shape_error_points_at_the_line_that_builds_the_node(raise_mode):
    x = T.matrix("x")
    x.tag.test_value = np.ones((5, 10))
    W2 = theano.shared(np.ones((7, 3)), "W2")
    with pytest.raises(ValueError) as info:
        T.dot(x, W2)                            # (5, 10) . (7, 3): wrong
    message = str(info.value)
    assert "not aligned" in message
    assert "while computing the test value of Dot" in message
    assert "T.dot(x, W2)                            # (5, 10) . (7, 3): wrong" in message
    assert "input 1: W2 TensorType(float64, matrix): shape (7, 3)" in message


def test_elementwise_shape_error(raise_mode):
    a, b = T.vector("a"), T.vector("b")
    a.tag.test_value, b.tag.test_value = np.ones(3), np.ones(4)
    with pytest.raises(ValueError, match=r"operands could not be broadcast together with "
                                         r"shapes \(3,\) \(4,\)[\s\S]*a \+ b"):
        a + b


def test_missing_test_value_by_mode():
    x, y = T.vector("x"), T.vector("y")
    x.tag.test_value = np.ones(2)
    with change_flags(compute_test_value="raise"):
        with pytest.raises(TestValueError, match=r"input 1 \(y\) has none. Set one, e.g. "
                                                 r"y.tag.test_value = numpy.zeros"):
            x + y
    with change_flags(compute_test_value="warn"):
        with pytest.warns(UserWarning, match=r"its input 1 \(y\) has none"):
            z = x + y
        assert not hasattr(z.tag, "test_value")
    for mode in ("ignore", "off"):
        with change_flags(compute_test_value=mode), warnings.catch_warnings():
            warnings.simplefilter("error")
            assert not hasattr((x + y).tag, "test_value")
    with change_flags(compute_test_value="off"):
        assert not hasattr((x * 2).tag, "test_value")


def test_failures_only_warn_in_warn_mode():
    a, b = T.vector("a"), T.vector("b")
    a.tag.test_value, b.tag.test_value = np.ones(3), np.ones(4)
    with change_flags(compute_test_value="warn"):
        with pytest.warns(UserWarning, match="while computing the test value"):
            c = a + b
    assert not hasattr(c.tag, "test_value")


def test_test_value_must_fit_the_type(raise_mode):
    x = T.matrix("x")
    x.tag.test_value = np.ones(3)
    with pytest.raises(TestValueError, match=r"test value of x does not fit its type "
                                             r"TensorType\(float64, matrix\): expected 2 dimensions"):
        x * 2


def test_constants_and_shared_variables_have_test_values(raise_mode):
    s = theano.shared(np.arange(3.0), "s")
    np.testing.assert_array_equal(get_test_value(s), [0, 1, 2])
    np.testing.assert_array_equal((s * 2 + 1).tag.test_value, [1, 3, 5])
    with pytest.raises(AttributeError):
        get_test_value(T.vector("v"))
