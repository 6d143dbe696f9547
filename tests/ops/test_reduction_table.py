"""The reduction table agrees with the ops and the kernels, both ways."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import kernels
from cytensor.tensor.reduction_table import REDUCTIONS, ROWS, result_dtype


def test_rows_and_kernels_name_the_same_reductions():
    assert set(REDUCTIONS) == set(kernels.REDUCE_OPS)
    assert {r.name for r in ROWS if r.fusable} == set(kernels.FUSED_REDUCE_OPS)


@pytest.mark.parametrize("name", list(REDUCTIONS))
@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64", "float32", "float64"])
def test_result_dtype_and_value_follow_the_row(name, dtype):
    spec = REDUCTIONS[name]
    data = np.array([[1, 0, 3], [2, 5, 1]]).astype(dtype)
    x = T.tensor(dtype, shape=(None, None))
    y = getattr(T, name)(x) if spec.per_axis else getattr(T, name)(x, axis=1)
    assert y.dtype == result_dtype(spec, dtype)
    got = theano.function([x], y)(data)
    expected = spec.reference(data) if spec.per_axis else spec.reference(data, axis=1)
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_identity_is_the_result_over_nothing(name):
    spec = REDUCTIONS[name]
    x = T.dvector("x")
    f = theano.function([x], getattr(T, name)(x))
    if spec.identity is None:
        with pytest.raises(ValueError):
            f(np.zeros(0))
    else:
        assert f(np.zeros(0)) == spec.identity


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_only_rows_with_a_gradient_rule_differentiate(name):
    spec = REDUCTIONS[name]
    x = T.dvector("x")
    y = getattr(T, name)(x)
    if spec.gradient is None:
        g = theano.grad(y.astype("float64"), x, disconnected_inputs="ignore")
        assert np.array_equal(theano.function([x], g)(np.array([1.0, 2.0])), [0.0, 0.0])
    else:
        g = theano.function([x], theano.grad(y, x))(np.array([1.0, 2.0]))
        assert g.shape == (2,) and np.any(g != 0)


def test_the_fusion_rewrite_fuses_exactly_the_fusable_rows():
    x = T.dvector("x")
    for spec in ROWS:
        if spec.per_axis or spec.result_dtype == "bool":
            continue
        f = theano.function([x], getattr(T, spec.name)(T.exp(x) * 2))
        fused = any(type(n.op).__name__ == "FusedReduce" for n in f.maker.fgraph.toposort())
        assert fused == spec.fusable, spec.name
