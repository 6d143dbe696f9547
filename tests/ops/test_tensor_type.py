"""TensorType: dtype plus static shape, filtering values, constants."""
import numpy as np
import pytest

import cytensor.tensor as T
from cytensor.config import change_flags
from cytensor.tensor.type import TensorType, as_tensor_variable, constant, upcast


def test_broadcastable_and_shape_are_one_type():
    assert TensorType("float32", (False, True)) == TensorType("float32", shape=(None, 1))
    assert TensorType("float32", shape=(None, 1)).broadcastable == (False, True)
    assert hash(TensorType("float64", shape=(2,))) == hash(TensorType("float64", shape=(2,)))
    assert TensorType("float64", shape=(2,)) != TensorType("float64", shape=(3,))


def test_type_needs_a_shape_and_a_known_dtype():
    with pytest.raises(TypeError, match="broadcastable or shape"):
        TensorType("float64")
    with pytest.raises(TypeError, match="unsupported dtype"):
        TensorType("datetime64[s]", shape=())


def test_floatx_dtype_follows_config():
    with change_flags(floatX="float32"):
        assert TensorType("floatX", shape=()).dtype == "float32"


def test_filter_checks_dimensions_shape_and_dtype():
    t = TensorType("float64", shape=(None, 2))
    assert t.filter([[1, 2]]).dtype == np.float64
    with pytest.raises(TypeError):
        t.filter(np.zeros(3))
    with pytest.raises((TypeError, ValueError)):
        t.filter(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="losing"):
        TensorType("int8", shape=()).filter(np.float64(1.5), strict=False, allow_downcast=False)


def test_calling_a_type_makes_a_variable_of_it():
    v = T.dmatrix("m")
    assert v.type is T.dmatrix and v.name == "m" and v.ndim == 2


def test_constants_and_conversion():
    c = constant([1, 2, 3])
    assert c.dtype == "int8" or c.dtype.startswith("int")
    assert as_tensor_variable(c) is c
    assert constant(2.0, ndim=2).type.shape == (1, 1)
    with pytest.raises(ValueError, match="more than"):
        constant(np.zeros((2, 2)), ndim=1)
    with pytest.raises(TypeError, match="cannot convert"):
        as_tensor_variable(object())
    x = T.dvector("x")
    assert as_tensor_variable([x, x]).ndim == 2          # a list of variables is stacked


def test_upcast_is_numpy_promotion():
    assert upcast("int8", "float32") == "float32"
    assert upcast("int32", "float32") == "float64"
