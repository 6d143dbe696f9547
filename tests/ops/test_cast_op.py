"""T.cast makes a real Cast op: recognisable by class, equal by dtype, fusable as any step."""
import pickle

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.elemwise import Cast, Elemwise


def test_cast_makes_a_cast_op_of_the_dtype():
    x = T.dvector("x")
    y = T.cast(x, "int32")
    assert isinstance(y.owner.op, Cast) and isinstance(y.owner.op, Elemwise)
    assert y.owner.op.dtype == "int32" and y.dtype == "int32"
    assert T.cast(x, "float64") is x                 # no op when nothing changes
    assert x.astype("float32").owner.op == Cast("float32")


def test_casts_compare_by_dtype_and_survive_pickling():
    assert Cast("int8") == Cast("int8") and hash(Cast("int8")) == hash(Cast("int8"))
    assert Cast("int8") != Cast("int16")
    assert pickle.loads(pickle.dumps(Cast("uint8"))) == Cast("uint8")


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int32", "int64", "float32"])
def test_cast_follows_numpy(dtype):
    data = np.array([-2.7, -0.5, 0.0, 0.5, 1.0, 3.9, 200.0])
    x = T.dvector("x")
    with np.errstate(invalid="ignore"):
        expected = data.astype(dtype)
    got = theano.function([x], T.cast(x, dtype))(data)
    assert got.dtype == expected.dtype
    if dtype in ("int8", "uint8"):       # out of range: C leaves it undefined, compare in range
        keep = (data > -1) & (data < 100) if dtype == "uint8" else np.abs(data) < 100
        assert np.array_equal(got[keep], expected[keep])
    else:
        assert np.array_equal(got, expected)


def test_a_cast_inside_a_fused_program_and_its_printing():
    x = T.dvector("x")
    y = T.exp(T.cast(x, "float32")) * 2
    assert theano.pp(y) == "(exp(float32(x)) * TensorConstant{2})"
    f = theano.function([x], y)
    assert np.allclose(f(np.array([0.0, 1.0])), 2 * np.exp(np.array([0.0, 1.0], "float32")))


def test_the_gradient_goes_through_a_float_cast():
    x = T.dvector("x")
    g = theano.grad(T.cast(x, "float32").sum(), x)
    assert g.dtype == "float64"
    assert np.array_equal(theano.function([x], g)(np.zeros(3)), np.ones(3))
