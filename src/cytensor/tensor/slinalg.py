"""Linear algebra with SciPy's ``scipy.linalg`` (Theano's ``theano.tensor.slinalg``):
cholesky, solve (general, triangular, symmetric), cho_solve, eigvalsh, expm, kron.

All of these have gradients, as in Theano.
"""
import numpy as np
import scipy.linalg

from ..graph import Apply, Op
from . import math as tm
from .array_ops import identity_like, tril, triu
from .basic import reshape, shape_tuple
from .nlinalg import as_matrix, check_square, linalg_dtype, symmetric_grad_to_triangle
from .type import TensorType, as_tensor_variable, upcast


class Cholesky(Op):
    """The Cholesky factor of a symmetric positive-definite matrix: lower L
    with L @ L.T == x (or upper U with U.T @ U == x), read from that triangle.

    on_error='raise' raises LinAlgError for a matrix that is not positive
    definite; 'nan' returns a matrix of nan instead.
    """

    __props__ = ("lower", "on_error")

    def __init__(self, lower=True, on_error="raise"):
        if on_error not in ("raise", "nan"):
            raise ValueError(f"cholesky: on_error must be 'raise' or 'nan', got {on_error!r}")
        self.lower, self.on_error = bool(lower), on_error

    def make_node(self, x):
        x = as_matrix(x, self, square=True)
        return Apply(self, [x], [TensorType(linalg_dtype(x.dtype), shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        check_square(self, x)
        dtype = node.outputs[0].dtype
        try:
            factor = scipy.linalg.cholesky(x, lower=self.lower)
        except np.linalg.LinAlgError:
            if self.on_error == "raise":
                raise
            factor = np.full(x.shape, np.nan)
        return (factor.astype(dtype),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        factor = self(x)
        if self.on_error == "nan":
            # A failed factorization (all nan) gets a nan gradient; the solves
            # below run on a harmless stand-in factor instead.
            ok = tm.invert(tm.any(tm.isnan(factor)))
            factor = tm.switch(ok, factor, identity_like(factor))
        if self.lower:
            grad = _cholesky_lower_grad(factor, g)
        else:
            # The upper factor of x is the transposed lower factor of x.T.
            grad = _cholesky_lower_grad(factor.T, g.T).T
        return [tm.switch(ok, grad, np.nan) if self.on_error == "nan" else grad]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def _cholesky_lower_grad(L, g):
    """Gradient of the lower Cholesky factor L (of a matrix read from its lower
    triangle) given g = dcost/dL; Murray's formula (arXiv:1602.07527):
    S = L^-T Phi(L^T g) L^-1 with Phi taking the lower triangle, diagonal
    halved; the gradient for the lower triangle is tril(S + S^T) - diag(S)."""
    inner = tril(tm.dot(L.T, g))
    phi = inner - 0.5 * _diag_matrix(inner)
    left = solve_upper_triangular(L.T, phi)                # L^-T Phi
    s = solve_upper_triangular(L.T, left.T).T              # L^-T Phi L^-1
    return tril(s + s.T) - _diag_matrix(s)


def _diag_matrix(m):
    """``m`` with everything off the main diagonal set to zero."""
    return triu(tril(m))


cholesky = Cholesky()


_STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular")
_TRANSPOSED = {"general": "general", "symmetric": "symmetric",
               "lower_triangular": "upper_triangular", "upper_triangular": "lower_triangular"}


class Solve(Op):
    """x with A @ x == b, for b a vector or a matrix; A_structure says which
    LAPACK solver to use ('lower_triangular' and 'upper_triangular' read only
    that triangle of A)."""

    __props__ = ("A_structure", "lower", "overwrite_A", "overwrite_b")

    def __init__(self, A_structure="general", lower=False, overwrite_A=False,
                 overwrite_b=False):
        if A_structure not in _STRUCTURES:
            raise ValueError(f"solve: A_structure must be one of {', '.join(_STRUCTURES)}, "
                             f"got {A_structure!r}")
        self.A_structure, self.lower = A_structure, bool(lower)
        self.overwrite_A, self.overwrite_b = bool(overwrite_A), bool(overwrite_b)

    def make_node(self, A, b):
        A = as_matrix(A, self, square=True)
        b = as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise ValueError(f"solve: b must be a vector or a matrix, got {b} ({b.ndim} dims)")
        dtype = linalg_dtype(upcast(A.dtype, b.dtype))
        return Apply(self, [A, b], [TensorType(dtype, shape=(A.type.shape[1],)
                                               + b.type.shape[1:])()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, A, b):
        check_square(self, A)
        if A.shape[0] != b.shape[0]:
            raise ValueError(f"solve: A of shape {A.shape} and b of shape {b.shape} "
                             "do not match")
        if self.A_structure.endswith("triangular"):
            x = scipy.linalg.solve_triangular(
                A, b, lower=self.A_structure == "lower_triangular")
        else:
            x = scipy.linalg.solve(A, b)
        return (x.astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        (A, b), (g,) = inputs, output_grads
        x = self(A, b)
        gb = Solve(_TRANSPOSED[self.A_structure])(A.T, g)
        gA = -(tm.outer(gb, x) if x.ndim == 1 else tm.dot(gb, x.T))
        if self.A_structure == "lower_triangular":
            gA = tril(gA)
        elif self.A_structure == "upper_triangular":
            gA = triu(gA)
        return [gA, gb]

    def infer_shape(self, node, input_shapes):
        (_, m), b_shape = input_shapes
        return [(m,) + tuple(b_shape[1:])]


solve = Solve()
solve_lower_triangular = Solve("lower_triangular", lower=True)
solve_upper_triangular = Solve("upper_triangular")
solve_symmetric = Solve("symmetric")


class CholeskySolve(Op):
    """x with A @ x == b, given the Cholesky factor C of A (lower: A = C C^T;
    upper: A = C^T C), for b a vector or a matrix; only C's triangle is read."""

    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, C, b):
        C = as_matrix(C, self, square=True)
        b = as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise ValueError(f"cho_solve: b must be a vector or a matrix, got {b} "
                             f"({b.ndim} dims)")
        dtype = linalg_dtype(upcast(C.dtype, b.dtype))
        return Apply(self, [C, b], [TensorType(dtype, shape=(C.type.shape[1],)
                                               + b.type.shape[1:])()])

    def reference(self, node, C, b):
        check_square(self, C)
        if C.shape[0] != b.shape[0]:
            raise ValueError(f"cho_solve: the factor of shape {C.shape} and b of shape "
                             f"{b.shape} do not match")
        x = scipy.linalg.cho_solve((C, self.lower), b)
        return (x.astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        """As for solve (A is symmetric, so A^T x = g is the same solve), then
        through A = C C^T: gC = tril((gA + gA^T) C), or triu(C (gA + gA^T))."""
        (C, b), (g,) = inputs, output_grads
        x = self(C, b)
        gb = self(C, g)
        gA = -(tm.outer(gb, x) if x.ndim == 1 else tm.dot(gb, x.T))
        symmetric = gA + gA.T
        gC = tril(tm.dot(symmetric, C)) if self.lower else triu(tm.dot(C, symmetric))
        return [gC, gb]

    def infer_shape(self, node, input_shapes):
        (_, m), b_shape = input_shapes
        return [(m,) + tuple(b_shape[1:])]


def cho_solve(c_and_lower, b):
    """x with A @ x == b from ``(C, lower)``, the Cholesky factor of A and
    which triangle holds it (scipy.linalg.cho_solve's signature)."""
    C, lower = c_and_lower
    return CholeskySolve(lower)(C, b)


class Eigvalsh(Op):
    """Eigenvalues (ascending) of the symmetric a, or of the generalized
    problem a v = w b v, read from the lower (or upper) triangles."""

    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, a, b=None):
        a = as_matrix(a, self, square=True)
        inputs = [a] if b is None else [a, as_matrix(b, self, square=True)]
        dtype = linalg_dtype(upcast(*[i.dtype for i in inputs]))
        return Apply(self, inputs, [TensorType(dtype, shape=(a.type.shape[0],))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, a, b=None):
        check_square(self, a)
        w = scipy.linalg.eigh(a, b, lower=self.lower, eigvals_only=True)
        return (w.astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        grads = EigvalshGrad(self.lower)(*inputs, output_grads[0])
        return grads if isinstance(grads, list) else [grads]

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[0][0],)]


class EigvalshGrad(Op):
    """Gradient of eigvalsh: V diag(gw) V^T for a and -V diag(gw w) V^T for b,
    folded onto the triangle eigvalsh reads."""

    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(i) for i in inputs]
        matrices = inputs[:-1]
        return Apply(self, inputs, [m.type() for m in matrices])

    def perform(self, node, inputs, output_storage):
        for cell, value in zip(output_storage, self.reference(node, *inputs)):
            cell[0] = value

    def reference(self, node, *inputs):
        matrices, gw = inputs[:-1], inputs[-1]
        w, v = scipy.linalg.eigh(*matrices, lower=self.lower)
        grads = [v @ np.diag(gw) @ v.T]
        if len(matrices) == 2:
            grads.append(-v @ np.diag(gw * w) @ v.T)
        uplo = "L" if self.lower else "U"
        return tuple(symmetric_grad_to_triangle(g, uplo).astype(m.dtype)
                     for g, m in zip(grads, matrices))

    def grad(self, inputs, output_grads):
        raise NotImplementedError("the gradient of eigvalsh has no gradient itself")


def eigvalsh(a, b=None, lower=True):
    """Eigenvalues of the symmetric matrix ``a`` (generalized with ``b``)."""
    return Eigvalsh(lower)(a) if b is None else Eigvalsh(lower)(a, b)


class Expm(Op):
    """The matrix exponential (scipy.linalg.expm)."""

    def make_node(self, A):
        A = as_matrix(A, self, square=True)
        return Apply(self, [A], [TensorType(linalg_dtype(A.dtype), shape=A.type.shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, A):
        check_square(self, A)
        return (scipy.linalg.expm(A).astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        return [ExpmGrad()(inputs[0], output_grads[0])]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class ExpmGrad(Op):
    """Gradient of expm: the Frechet derivative of expm at A^T in the
    direction g (the derivative's adjoint)."""

    def make_node(self, A, g):
        A, g = as_tensor_variable(A), as_tensor_variable(g)
        return Apply(self, [A, g], [A.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, A, g):
        frechet = scipy.linalg.expm_frechet(A.T, g, compute_expm=False)
        return (frechet.astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("the gradient of expm has no gradient itself")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


expm = Expm()


def kron(a, b):
    """The Kronecker product (NumPy's kron), as a broadcast product reshaped."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    ndim = max(a.ndim, b.ndim)
    if ndim == 0:
        return a * b
    a = a.dimshuffle(["x"] * (ndim - a.ndim) + list(range(a.ndim)))
    b = b.dimshuffle(["x"] * (ndim - b.ndim) + list(range(b.ndim)))
    # a's axis i and b's axis i become neighbours: (a0, b0, a1, b1, ...).
    spread_a = a.dimshuffle([p for i in range(ndim) for p in (i, "x")])
    spread_b = b.dimshuffle([p for i in range(ndim) for p in ("x", i)])
    lengths = [la * lb for la, lb in zip(shape_tuple(a), shape_tuple(b))]
    return reshape(spread_a * spread_b, lengths)


__all__ = ["Cholesky", "cholesky", "Solve", "solve", "solve_lower_triangular",
           "solve_upper_triangular", "solve_symmetric", "CholeskySolve", "cho_solve",
           "Eigvalsh", "EigvalshGrad", "eigvalsh", "Expm", "ExpmGrad", "expm", "kron"]
