"""theano.tensor.nlinalg and theano.tensor.slinalg against NumPy/SciPy, with
gradients checked by finite differences where Theano had them."""
import numpy as np
import pytest
import scipy.linalg

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.tensor import nlinalg, slinalg

RNG = np.random.default_rng(5)


def layouts(a):
    yield a.copy(order="C")
    yield a.copy(order="F")
    yield np.repeat(a, 2, axis=-1)[..., ::2]
    yield np.flip(np.flip(a, -1).copy(), -1)


def well_conditioned(n, dtype="float64"):
    return (RNG.normal(size=(n, n)) + n * np.eye(n)).astype(dtype)


def spd(n):
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


TOL = {"float32": 1e-4, "float64": 1e-10}


# --- nlinalg: values ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inverse_pinv_det_match_numpy(dtype):
    base = well_conditioned(4, dtype)
    x = T.matrix("x", dtype=dtype)
    f = theano.function([x], [nlinalg.matrix_inverse(x), nlinalg.pinv(x), nlinalg.det(x),
                              nlinalg.trace(x)])
    for a in layouts(base):
        inv, pinv, det, tr = f(a)
        np.testing.assert_allclose(inv, np.linalg.inv(a), rtol=TOL[dtype] * 10)
        np.testing.assert_allclose(pinv, np.linalg.pinv(a), rtol=TOL[dtype] * 10)
        np.testing.assert_allclose(det, np.linalg.det(a), rtol=TOL[dtype])
        np.testing.assert_allclose(tr, np.trace(a), rtol=TOL[dtype])
        assert inv.dtype == dtype and det.dtype == dtype


def test_integer_input_is_computed_in_float64_and_errors_are_clear():
    x = T.imatrix("x")
    out = theano.function([x], nlinalg.matrix_inverse(x))(np.array([[2, 0], [0, 4]], "int32"))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0.5, 0], [0, 0.25]])
    m = T.matrix("m")
    with pytest.raises(np.linalg.LinAlgError):
        theano.function([m], nlinalg.matrix_inverse(m))(np.zeros((2, 2)))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        theano.function([m], nlinalg.det(m))(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="matrix"):
        nlinalg.det(T.vector())
    assert theano.function([m], nlinalg.det(m))(np.zeros((0, 0))) == 1.0


def test_pinv_of_a_rectangular_matrix():
    a = RNG.normal(size=(5, 3))
    m = T.matrix("m")
    np.testing.assert_allclose(theano.function([m], nlinalg.pinv(m))(a), np.linalg.pinv(a))


def test_eig_eigh_svd_qr_match_numpy():
    a = spd(4)
    x = T.matrix("x")
    w, v = nlinalg.eig(x)
    wh, vh = nlinalg.eigh(x)
    whu, _ = nlinalg.eigh(x, "U")
    u, s, vt = nlinalg.svd(x)
    q, r = nlinalg.qr(x)
    f = theano.function([x], [w, v, wh, vh, whu, u, s, vt, nlinalg.svd(x, compute_uv=0), q, r,
                              nlinalg.qr(x, "r")])
    w_, v_, wh_, vh_, whu_, u_, s_, vt_, s_only, q_, r_, r_only = f(a)
    np.testing.assert_allclose(a @ v_, v_ * w_, atol=1e-10)
    np.testing.assert_allclose(wh_, np.linalg.eigvalsh(a))
    np.testing.assert_allclose(a @ vh_, vh_ * wh_, atol=1e-10)
    np.testing.assert_allclose(whu_, wh_)
    np.testing.assert_allclose(u_ @ np.diag(s_) @ vt_, a, atol=1e-10)
    np.testing.assert_allclose(s_only, np.linalg.svd(a, compute_uv=False))
    np.testing.assert_allclose(q_ @ r_, a, atol=1e-10)
    np.testing.assert_allclose(np.abs(r_only), np.abs(r_))


def test_eig_of_a_rotation_needs_a_complex_input():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    x = T.matrix("x")
    with pytest.raises(ValueError, match="complex eigenvalues"):
        theano.function([x], nlinalg.eig(x)[0])(rotation)
    c = T.zmatrix("c")
    w = theano.function([c], nlinalg.eig(c)[0])(rotation.astype(complex))
    np.testing.assert_allclose(sorted(w, key=lambda z: z.imag), [-1j, 1j])


def test_lstsq_tensorinv_tensorsolve_matrix_power_norm_matrix_dot():
    a, b = RNG.normal(size=(5, 3)), RNG.normal(size=5)
    x, y = T.matrix("x"), T.vector("y")
    sol, residuals, rank, s = theano.function([x, y], nlinalg.lstsq()(x, y, -1))(a, b)
    ref = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(sol, ref[0])
    np.testing.assert_allclose(residuals, ref[1])
    assert rank == ref[2] and rank.dtype == np.int64
    t = T.tensor4("t")
    four = np.tensordot(np.eye(6).reshape(2, 3, 6), RNG.normal(size=(6, 6)) + 6 * np.eye(6),
                        1).reshape(2, 3, 2, 3)
    np.testing.assert_allclose(theano.function([t], nlinalg.tensorinv(t))(four),
                               np.linalg.tensorinv(four))
    rhs = RNG.normal(size=(2, 3))
    m = T.matrix("m")
    np.testing.assert_allclose(theano.function([t, m], nlinalg.tensorsolve(t, m))(four, rhs),
                               np.linalg.tensorsolve(four, rhs))
    sq = well_conditioned(3)
    for n in (0, 1, 2, 5, -2):
        np.testing.assert_allclose(theano.function([x], nlinalg.matrix_power(x, n))(sq),
                                   np.linalg.matrix_power(sq, n), rtol=1e-9)
    v = np.array([3.0, -4.0, 0.0])
    for order in (None, 2, 1, 3, np.inf, -np.inf, 0):
        assert theano.function([y], nlinalg.norm(y, order))(v) == pytest.approx(
            np.linalg.norm(v, order))
    for order in (None, "fro", np.inf, -np.inf, 1, -1):
        assert theano.function([x], nlinalg.norm(x, order))(a) == pytest.approx(
            np.linalg.norm(a, order))
    with pytest.raises(ValueError, match="not supported"):
        nlinalg.norm(x, 2)
    c = T.matrix("c")
    np.testing.assert_allclose(
        theano.function([x, c], nlinalg.matrix_dot(x, c, x.T))(a, sq), a @ sq @ a.T)


def test_alloc_and_extract_diag():
    v, m = T.vector("v"), T.matrix("m")
    np.testing.assert_array_equal(theano.function([v], nlinalg.alloc_diag(v))([1.0, 2.0]),
                                  np.diag([1.0, 2.0]))
    np.testing.assert_array_equal(theano.function([m], nlinalg.extract_diag(m))(np.eye(2) * 3),
                                  [3.0, 3.0])
    np.testing.assert_array_equal(theano.function([v], nlinalg.diag(v))([1.0]), [[1.0]])


# --- nlinalg: gradients ----------------------------------------------------------------

def test_nlinalg_gradients():
    a = well_conditioned(3)
    verify_grad(nlinalg.matrix_inverse, [a])
    verify_grad(nlinalg.det, [a])
    verify_grad(nlinalg.pinv, [a])
    verify_grad(nlinalg.pinv, [RNG.normal(size=(4, 2))])
    verify_grad(nlinalg.pinv, [RNG.normal(size=(2, 4))])
    verify_grad(nlinalg.trace, [a])
    verify_grad(lambda m: nlinalg.matrix_power(m, 3), [a / 3])


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradient_reads_one_triangle(uplo):
    a = spd(3)
    verify_grad(lambda m: nlinalg.eigh(m, uplo)[0], [a])
    # Eigenvectors have a sign freedom: differentiate a sign-independent function.
    verify_grad(lambda m: nlinalg.eigh(m, uplo)[1] ** 2, [a])
    x = T.matrix("x")
    g = theano.function([x], T.grad(nlinalg.eigh(x, uplo)[0].sum(), x))(a)
    untouched = np.triu(g, 1) if uplo == "L" else np.tril(g, -1)
    assert np.all(untouched == 0)


def test_gradients_raise_where_theano_had_none():
    x = T.matrix("x")
    for out in (nlinalg.eig(x)[0], nlinalg.svd(x, compute_uv=0), nlinalg.qr(x, "r")):
        with pytest.raises(NotImplementedError, match="no gradient"):
            T.grad(out.sum(), x)


# --- slinalg -------------------------------------------------------------------------

@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_matches_scipy_and_reads_one_triangle(lower):
    a = spd(4)
    x = T.matrix("x")
    f = theano.function([x], slinalg.Cholesky(lower=lower)(x))
    for layout in layouts(a):
        np.testing.assert_allclose(f(layout), scipy.linalg.cholesky(a, lower=lower))
    garbage = np.triu(a, 1) * 7 if lower else np.tril(a, -1) * 7
    np.testing.assert_allclose(f(np.tril(a) + garbage if lower else np.triu(a) + garbage),
                               scipy.linalg.cholesky(a, lower=lower))


def test_cholesky_errors_and_nan_mode():
    x = T.matrix("x")
    with pytest.raises(np.linalg.LinAlgError):
        theano.function([x], slinalg.cholesky(x))(-np.eye(2))
    nan_mode = slinalg.Cholesky(on_error="nan")(x)
    f = theano.function([x], [nan_mode, T.grad(nan_mode.sum(), x)])
    out, grad = f(-np.eye(2))
    assert np.all(np.isnan(out)) and np.all(np.isnan(grad))
    a = spd(2)
    np.testing.assert_allclose(f(a)[1], theano.function([x], T.grad(
        slinalg.cholesky(x).sum(), x))(a))


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky_gradient(lower):
    verify_grad(slinalg.Cholesky(lower=lower), [spd(3)])


@pytest.mark.parametrize("b_shape", [(4,), (4, 2)])
def test_solve_variants_match_scipy(b_shape):
    a, b = well_conditioned(4), RNG.normal(size=b_shape)
    x, y = T.matrix("x"), T.tensor("float64", (None,) * len(b_shape), name="y")
    f = theano.function([x, y], [slinalg.solve(x, y), slinalg.solve_lower_triangular(x, y),
                                 slinalg.solve_upper_triangular(x, y),
                                 slinalg.solve_symmetric(x + x.T, y)])
    general, low, up, sym = f(a, b)
    np.testing.assert_allclose(general, np.linalg.solve(a, b))
    np.testing.assert_allclose(low, scipy.linalg.solve_triangular(a, b, lower=True))
    np.testing.assert_allclose(up, scipy.linalg.solve_triangular(a, b, lower=False))
    np.testing.assert_allclose(sym, np.linalg.solve(a + a.T, b))
    with pytest.raises(ValueError, match="do not match"):
        f(a, np.ones((3,) + b_shape[1:]))


@pytest.mark.parametrize("solver", [slinalg.solve, slinalg.solve_lower_triangular,
                                    slinalg.solve_upper_triangular])
def test_solve_gradients(solver):
    verify_grad(solver, [well_conditioned(3), RNG.normal(size=3)])
    verify_grad(solver, [well_conditioned(3), RNG.normal(size=(3, 2))])


def test_eigvalsh_standard_and_generalized_with_gradients():
    a, b = spd(3), spd(3)
    x, y = T.matrices("xy")
    np.testing.assert_allclose(theano.function([x], slinalg.eigvalsh(x))(a),
                               scipy.linalg.eigvalsh(a))
    np.testing.assert_allclose(theano.function([x, y], slinalg.eigvalsh(x, y))(a, b),
                               scipy.linalg.eigh(a, b, eigvals_only=True))
    verify_grad(slinalg.eigvalsh, [a])
    verify_grad(slinalg.eigvalsh, [a, b])
    verify_grad(lambda m: slinalg.Eigvalsh(lower=False)(m), [a])


def test_expm_and_its_gradient():
    a = RNG.normal(size=(3, 3)) * 0.5
    x = T.matrix("x")
    np.testing.assert_allclose(theano.function([x], slinalg.expm(x))(a), scipy.linalg.expm(a))
    verify_grad(slinalg.expm, [a])


@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 2), (3,)),
                                    ((1, 2, 2), (2, 1, 3))])
def test_kron_matches_numpy(sa, sb):
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    x = T.tensor("float64", (None,) * len(sa), name="x")
    y = T.tensor("float64", (None,) * len(sb), name="y")
    np.testing.assert_allclose(theano.function([x, y], slinalg.kron(x, y))(a, b), np.kron(a, b))
    verify_grad(slinalg.kron, [a, b])


def test_shapes_are_inferred_without_computing():
    x, y = T.matrix("x"), T.vector("y")
    cases = [(nlinalg.matrix_inverse(x), nlinalg.MatrixInverse),
             (slinalg.cholesky(x), slinalg.Cholesky),
             (slinalg.solve(x, y), slinalg.Solve), (slinalg.expm(x), slinalg.Expm)]
    for out, op in cases:
        f = theano.function([x, y], [out.shape, out], on_unused_input="ignore")
        shape, value = f(np.eye(3), np.ones(3))
        assert tuple(shape) == value.shape
        f = theano.function([x, y], out.shape, on_unused_input="ignore")
        assert not any(isinstance(n.op, op) for n in f.maker.fgraph.toposort())
