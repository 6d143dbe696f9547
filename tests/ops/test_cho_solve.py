"""slinalg.cho_solve((C, lower), b) (Theano's CholeskySolve) against SciPy."""
import numpy as np
import pytest
import scipy.linalg

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.tensor.slinalg import CholeskySolve, cho_solve, cholesky

RNG = np.random.default_rng(17)


def spd(n):
    m = RNG.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("b_shape", [(4,), (4, 3), (4, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_scipy(lower, b_shape, dtype):
    A = spd(4)
    factor = scipy.linalg.cholesky(A, lower=lower).astype(dtype)
    b = RNG.normal(size=b_shape).astype(dtype)
    C = T.matrix("C", dtype=dtype)
    bv = T.tensor(dtype, (None,) * len(b_shape), name="b")
    out = cho_solve((C, lower), bv)
    f = theano.function([C, bv], [out, out.shape])
    x, shape = f(factor, b)
    np.testing.assert_allclose(x, scipy.linalg.cho_solve((factor, lower), b),
                               rtol=1e-5 if dtype == "float32" else 1e-12)
    np.testing.assert_allclose(A @ x, b, rtol=1e-3, atol=1e-4)
    assert x.dtype == dtype and tuple(shape) == b_shape


def test_reads_only_the_factors_triangle_and_fortran_or_strided_input():
    A = spd(5)
    L = np.linalg.cholesky(A)
    noisy = L + np.triu(RNG.normal(size=(5, 5)), 1)      # junk above the diagonal
    b = RNG.normal(size=(5, 2))
    C, bv = T.dmatrix("C"), T.dmatrix("b")
    f = theano.function([C, bv], cho_solve((C, True), bv))
    expected = np.linalg.solve(A, b)
    for factor in (noisy, np.asfortranarray(noisy), np.repeat(noisy, 2, axis=1)[:, ::2]):
        np.testing.assert_allclose(f(factor, b), expected, rtol=1e-10)


def test_composes_with_cholesky_and_empty_system():
    A, b = T.dmatrix("A"), T.dvector("b")
    f = theano.function([A, b], cho_solve((cholesky(A), True), b))
    a = spd(3)
    rhs = RNG.normal(size=3)
    np.testing.assert_allclose(f(a, rhs), np.linalg.solve(a, rhs), rtol=1e-10)
    assert f(np.zeros((0, 0)), np.zeros(0)).shape == (0,)


@pytest.mark.parametrize("lower", [True, False])
def test_gradient_wrt_factor_and_right_hand_side(lower):
    factor = scipy.linalg.cholesky(spd(4), lower=lower)
    keep = np.tril if lower else np.triu
    for b in (RNG.normal(size=4), RNG.normal(size=(4, 2))):
        verify_grad(lambda c, rhs: cho_solve((c, lower), rhs), [factor, b])
    # Only the triangle counts: the gradient off it is zero.
    C, bv = T.dmatrix("C"), T.dvector("b")
    g = theano.function([C, bv], T.grad(cho_solve((C, lower), bv).sum(), C))
    grad = g(factor, RNG.normal(size=4))
    np.testing.assert_array_equal(grad - keep(grad), 0)


def test_bad_inputs_name_what_is_wrong():
    C = T.dmatrix("C")
    with pytest.raises(ValueError, match="vector or a matrix"):
        cho_solve((C, True), T.dtensor3())
    b = T.dvector("b")
    f = theano.function([C, b], cho_solve((C, True), b))
    with pytest.raises(ValueError, match="do not match"):
        f(np.eye(3), np.ones(2))
    assert CholeskySolve(True) == CholeskySolve(True) != CholeskySolve(False)
