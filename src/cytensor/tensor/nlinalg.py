"""Linear algebra with NumPy's ``numpy.linalg`` (Theano's ``theano.tensor.nlinalg``):
matrix_inverse, pinv, det, eig, eigh, svd, qr, lstsq, matrix_power, norm,
tensorinv, tensorsolve, trace, matrix_dot, alloc_diag/extract_diag.

Each op calls LAPACK through NumPy, as Theano's did.  Gradients are given
where Theano had them (inverse, pseudo-inverse, determinant, eigh); the
others raise NotImplementedError when differentiated.
"""
import functools

import numpy as np

from ..graph import Apply, Op
from . import math as tm
from .array_ops import AllocDiag, ExtractDiag, diag, identity_like, trace as _trace
from .type import TensorType, as_tensor_variable, upcast

# LAPACK works in float32/float64 (and complex); other inputs are computed in
# float64 as in NumPy (float16 in float32).
_LAPACK_DTYPE = {"float16": "float32", "float32": "float32", "float64": "float64",
                 "complex64": "complex64", "complex128": "complex128"}


def linalg_dtype(dtype):
    return _LAPACK_DTYPE.get(dtype, "float64")


def as_matrix(x, op, square=False):
    """``x`` as a tensor, checked to be a matrix (square if asked)."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise ValueError(f"{op} takes a matrix, got {x} with {x.ndim} dims")
    n, m = x.type.shape
    if square and n is not None and m is not None and n != m:
        raise ValueError(f"{op} takes a square matrix, got {x} of shape {x.type.shape}")
    return x


def check_square(op, x):
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise np.linalg.LinAlgError(f"{op}: expected a square matrix, got shape {x.shape}")


class _MatrixFunction(Op):
    """A NumPy function of one square matrix giving one matrix of its shape."""

    numpy_function = None
    square = True

    def make_node(self, x):
        x = as_matrix(x, self, square=self.square)
        shape = x.type.shape if self.square else x.type.shape[::-1]
        return Apply(self, [x], [TensorType(linalg_dtype(x.dtype), shape=shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        if self.square:
            check_square(self, x)
        dtype = node.outputs[0].dtype
        return (np.asarray(type(self).numpy_function(x.astype(dtype, copy=False)), dtype=dtype),)

    def infer_shape(self, node, input_shapes):
        (n, m), = input_shapes
        return [(n, m) if self.square else (m, n)]


class MatrixInverse(_MatrixFunction):
    """The inverse of a square matrix."""

    numpy_function = staticmethod(np.linalg.inv)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        inverse = self(x)
        # d(X^-1) = -X^-1 dX X^-1, so the gradient is -X^-T g X^-T.
        return [-tm.dot(tm.dot(inverse.T, g), inverse.T)]


class MatrixPinv(_MatrixFunction):
    """The Moore-Penrose pseudo-inverse of a matrix (n x m gives m x n)."""

    numpy_function = staticmethod(np.linalg.pinv)
    square = False

    def grad(self, inputs, output_grads):
        (a,), (g,) = inputs, output_grads
        p = self(a)
        # Golub and Pereyra's derivative of the pseudo-inverse, transposed; exact
        # where the rank does not change.
        left = identity_like(tm.dot(a, p)) - tm.dot(a, p)
        right = identity_like(tm.dot(p, a)) - tm.dot(p, a)
        return [-tm.dot(tm.dot(p.T, g), p.T)
                + tm.dot(tm.dot(left, g.T), tm.dot(p, p.T))
                + tm.dot(tm.dot(tm.dot(p.T, p), g.T), right)]


matrix_inverse = MatrixInverse()
pinv = MatrixPinv()


class Det(Op):
    """The determinant of a square matrix."""

    def make_node(self, x):
        x = as_matrix(x, self, square=True)
        return Apply(self, [x], [TensorType(linalg_dtype(x.dtype), shape=())()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        check_square(self, x)
        return (np.asarray(np.linalg.det(x), dtype=node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        return [g * self(x) * matrix_inverse(x).T]

    def infer_shape(self, node, input_shapes):
        return [()]


det = Det()


class Eig(Op):
    """Eigenvalues and right eigenvectors of a square matrix, in its dtype.

    A real matrix with complex eigenvalues is an error (Theano dropped their
    imaginary parts); pass a complex matrix for those.
    """

    def make_node(self, x):
        x = as_matrix(x, self, square=True)
        dtype = linalg_dtype(x.dtype)
        n = x.type.shape[0]
        return Apply(self, [x], [TensorType(dtype, shape=(n,))(),
                                 TensorType(dtype, shape=(n, n))()])

    def reference(self, node, x):
        check_square(self, x)
        w, v = np.linalg.eig(x)
        dtype = node.outputs[0].dtype
        if not dtype.startswith("complex"):
            if np.any(np.imag(w) != 0):
                raise ValueError(f"eig: {node.inputs[0]} has complex eigenvalues; "
                                 "give it a complex dtype to get them")
            w, v = np.real(w), np.real(v)
        return w.astype(dtype), v.astype(dtype)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("eig has no gradient (as in Theano); for a symmetric "
                                  "matrix use eigh")

    def infer_shape(self, node, input_shapes):
        (n, _), = input_shapes
        return [(n,), (n, n)]


eig = Eig()


class Eigh(Op):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, read from
    its lower (UPLO='L') or upper ('U') triangle."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO="L"):
        if UPLO not in ("L", "U"):
            raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        self.UPLO = UPLO

    def make_node(self, x):
        x = as_matrix(x, self, square=True)
        dtype = linalg_dtype(x.dtype)
        n = x.type.shape[0]
        real = dtype.replace("complex64", "float32").replace("complex128", "float64")
        return Apply(self, [x], [TensorType(real, shape=(n,))(),
                                 TensorType(dtype, shape=(n, n))()])

    def reference(self, node, x):
        check_square(self, x)
        w, v = np.linalg.eigh(x, self.UPLO)
        return w.astype(node.outputs[0].dtype), v.astype(node.outputs[1].dtype)

    def grad(self, inputs, output_grads):
        (x,), (gw, gv) = inputs, output_grads
        w, v = self(x)
        return [EighGrad(self.UPLO)(x, w, v, gw, gv)]

    def infer_shape(self, node, input_shapes):
        (n, _), = input_shapes
        return [(n,), (n, n)]


def symmetric_grad_to_triangle(g, uplo):
    """The gradient for the triangle a symmetric-matrix op reads, from the
    gradient ``g`` of the full symmetric matrix it stands for."""
    if uplo == "L":
        return np.tril(g) + np.triu(g, 1).T
    return np.triu(g) + np.tril(g, -1).T


class EighGrad(Op):
    """Gradient of eigh: V (diag(gw) + F * (V^T gV)) V^T, F_ij = 1/(w_j - w_i)
    off the diagonal, folded onto the triangle eigh reads."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO="L"):
        self.UPLO = UPLO

    def make_node(self, x, w, v, gw, gv):
        inputs = [as_tensor_variable(i) for i in (x, w, v, gw, gv)]
        return Apply(self, inputs, [inputs[0].type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x, w, v, gw, gv):
        gaps = w[np.newaxis, :] - w[:, np.newaxis]
        with np.errstate(divide="ignore"):
            inverse_gaps = np.where(np.eye(len(w), dtype=bool), 0, 1 / gaps)
        inner = np.diag(gw) + inverse_gaps * (v.T @ gv)
        full = v @ inner @ v.T
        return (symmetric_grad_to_triangle(full, self.UPLO).astype(x.dtype),)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("the gradient of eigh has no gradient itself")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def eigh(a, UPLO="L"):
    """Eigenvalues and eigenvectors of the symmetric matrix ``a``."""
    return Eigh(UPLO)(a)


class SVD(Op):
    """Singular value decomposition: (u, s, v) with a = u @ diag(s) @ v (v is
    NumPy's vh), or only s with compute_uv=False."""

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices=True, compute_uv=True):
        self.full_matrices, self.compute_uv = bool(full_matrices), bool(compute_uv)

    def make_node(self, x):
        x = as_matrix(x, self)
        dtype = linalg_dtype(x.dtype)
        real = dtype.replace("complex64", "float32").replace("complex128", "float64")
        s = TensorType(real, shape=(None,))()
        if not self.compute_uv:
            return Apply(self, [x], [s])
        return Apply(self, [x], [TensorType(dtype, shape=(None, None))(), s,
                                 TensorType(dtype, shape=(None, None))()])

    def reference(self, node, x):
        results = np.linalg.svd(x, self.full_matrices, self.compute_uv)
        results = results if self.compute_uv else (results,)
        return tuple(r.astype(o.dtype) for r, o in zip(results, node.outputs))

    def grad(self, inputs, output_grads):
        raise NotImplementedError("svd has no gradient (as in Theano 1.0)")


def svd(a, full_matrices=1, compute_uv=1):
    """NumPy's svd: (u, s, v) or, with compute_uv=0, the singular values."""
    return SVD(full_matrices, compute_uv)(a)


class QRFull(Op):
    """NumPy's QR decomposition; ``mode`` as in numpy.linalg.qr."""

    __props__ = ("mode",)
    _OUTPUTS = {"reduced": 2, "complete": 2, "r": 1, "raw": 2}

    def __init__(self, mode="reduced"):
        if mode not in self._OUTPUTS:
            raise ValueError(f"qr: mode must be one of {', '.join(self._OUTPUTS)}, got {mode!r}")
        self.mode = mode

    def make_node(self, x):
        x = as_matrix(x, self)
        dtype = linalg_dtype(x.dtype)
        if self.mode == "raw":
            outs = [TensorType(dtype, shape=(None, None))(), TensorType(dtype, shape=(None,))()]
        else:
            outs = [TensorType(dtype, shape=(None, None))()
                    for _ in range(self._OUTPUTS[self.mode])]
        return Apply(self, [x], outs)

    def reference(self, node, x):
        results = np.linalg.qr(x.astype(node.outputs[0].dtype, copy=False), self.mode)
        results = (results,) if self.mode == "r" else tuple(results)
        return tuple(np.asarray(r, dtype=o.dtype) for r, o in zip(results, node.outputs))

    def grad(self, inputs, output_grads):
        raise NotImplementedError("qr has no gradient (as in Theano 1.0)")


def qr(a, mode="reduced"):
    """NumPy's qr: (q, r), or only r with mode='r'."""
    return QRFull(mode)(a)


class Lstsq(Op):
    """Least-squares solution of a @ x = b: (x, residuals, rank, singular values)."""

    def make_node(self, a, b, rcond=None):
        a = as_matrix(a, self)
        b = as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise ValueError(f"lstsq: b must be a vector or a matrix, got {b}")
        rcond = as_tensor_variable(-1.0 if rcond is None else rcond)
        dtype = linalg_dtype(upcast(a.dtype, b.dtype))
        return Apply(self, [a, b, rcond], [TensorType(dtype, shape=(None,) * b.ndim)(),
                                           TensorType(dtype, shape=(None,))(),
                                           TensorType("int64", shape=())(),
                                           TensorType(dtype, shape=(None,))()])

    def reference(self, node, a, b, rcond):
        rcond = None if rcond < 0 else float(rcond)
        x, residuals, rank, s = np.linalg.lstsq(a, b, rcond=rcond)
        dtype = node.outputs[0].dtype
        return x.astype(dtype), residuals.astype(dtype), np.array(rank, dtype=np.int64), \
            s.astype(dtype)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("lstsq has no gradient (as in Theano)")


# Theano's name is the op class itself: ``lstsq()(a, b, rcond)``.
lstsq = Lstsq


class TensorInv(Op):
    """NumPy's tensorinv: the inverse for tensordot over the first ``ind`` axes."""

    __props__ = ("ind",)

    def __init__(self, ind=2):
        self.ind = int(ind)

    def make_node(self, a):
        a = as_tensor_variable(a)
        shape = a.type.shape[self.ind:] + a.type.shape[:self.ind]
        return Apply(self, [a], [TensorType(linalg_dtype(a.dtype), shape=shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, a):
        return (np.linalg.tensorinv(a, self.ind).astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("tensorinv has no gradient (as in Theano)")


def tensorinv(a, ind=2):
    return TensorInv(ind)(a)


class TensorSolve(Op):
    """NumPy's tensorsolve: x with tensordot(a, x, x.ndim) == b."""

    __props__ = ("axes",)

    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def make_node(self, a, b):
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        dtype = linalg_dtype(upcast(a.dtype, b.dtype))
        return Apply(self, [a, b], [TensorType(dtype, shape=(None,) * (a.ndim - b.ndim))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, a, b):
        return (np.linalg.tensorsolve(a, b, self.axes).astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("tensorsolve has no gradient (as in Theano)")


def tensorsolve(a, b, axes=None):
    return TensorSolve(axes)(a, b)


def matrix_dot(*args):
    """The product of the matrices, left to right: ``matrix_dot(a, b, c) == a @ b @ c``."""
    return functools.reduce(tm.dot, args)


def matrix_power(M, n):
    """``M`` multiplied by itself ``n`` times (n a Python int; negative n
    powers the inverse), by repeated squaring."""
    M = as_matrix(M, "matrix_power", square=True)
    if n < 0:
        M, n = matrix_inverse(M), -n
    result, square = None, M
    while n:
        if n & 1:
            result = square if result is None else tm.dot(result, square)
        n >>= 1
        if n:
            square = tm.dot(square, square)
    return identity_like(M) if result is None else result


def norm(x, ord=None):
    """Vector and matrix norms, as numpy.linalg.norm with a given ``ord``."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        a = abs(x)
        if ord is None or ord == 2:
            return tm.sqrt(tm.sum(x * x))
        if ord == np.inf:
            return tm.max(a)
        if ord == -np.inf:
            return tm.min(a)
        if ord == 0:
            return tm.cast(tm.sum(tm.neq(x, 0)), linalg_dtype(x.dtype))
        if isinstance(ord, str):
            raise ValueError(f"norm: ord {ord!r} is for matrices")
        return tm.sum(a ** ord) ** (1.0 / ord)
    if x.ndim == 2:
        a = abs(x)
        if ord is None or ord == "fro":
            return tm.sqrt(tm.sum(x * x))
        if ord in (np.inf, -np.inf):
            rows = tm.sum(a, axis=1)
            return tm.max(rows) if ord > 0 else tm.min(rows)
        if ord in (1, -1):
            columns = tm.sum(a, axis=0)
            return tm.max(columns) if ord > 0 else tm.min(columns)
        raise ValueError(f"norm: ord {ord!r} is not supported for matrices "
                         "(None, 'fro', inf, -inf, 1, -1 are)")
    raise ValueError(f"norm takes a vector or a matrix, got {x} with {x.ndim} dims")


def trace(X):
    """The sum of the diagonal of the matrix ``X``."""
    return _trace(as_matrix(X, "trace"))


alloc_diag = AllocDiag()
extract_diag = ExtractDiag()


__all__ = ["MatrixInverse", "matrix_inverse", "MatrixPinv", "pinv", "Det", "det", "Eig", "eig",
           "Eigh", "EighGrad", "eigh", "SVD", "svd", "QRFull", "qr", "Lstsq", "lstsq",
           "TensorInv", "tensorinv", "TensorSolve", "tensorsolve", "matrix_dot",
           "matrix_power", "norm", "trace", "AllocDiag", "ExtractDiag", "alloc_diag",
           "extract_diag", "diag"]
