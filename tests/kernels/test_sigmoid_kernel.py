"""The sigmoid opcode, now a vectorised loop (the select of ``x >= 0 ? r :
e * r`` made with the sign bit): the same values as that formula written
with the interpreter's own exp, to the bit, on both sides of 0, at -0.0,
the infinities and nan, contiguous and strided, float32 and float64."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T


def special_and_random(dtype):
    rng = np.random.default_rng(0)
    values = np.concatenate([
        [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-30, -1e-30, 88.0, -88.0, 800.0, -800.0,
         np.finfo(dtype).max, -np.finfo(dtype).max, np.finfo(dtype).tiny],
        rng.normal(scale=6.0, size=1000)])
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_sigmoid_is_the_two_sided_formula_to_the_bit(dtype, layout):
    x = T.vector("x", dtype=dtype)
    sigmoid = theano.function([x], T.nnet.sigmoid(x))
    e = T.exp(-abs(x))
    r = np.asarray(1, dtype) / (np.asarray(1, dtype) + e)
    formula = theano.function([x], T.switch(x >= 0, r, e * r))
    values = special_and_random(dtype)
    if layout == "strided":
        values = np.repeat(values, 2)[::2]
    got, want = sigmoid(values), formula(values)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)         # nan where nan, else the same bits
    assert got[1] == 0.5 and got[2] == 1 and got[3] == 0 and np.isnan(got[4:6]).all()
    assert ((got >= 0) & (got <= 1) | np.isnan(got)).all()
