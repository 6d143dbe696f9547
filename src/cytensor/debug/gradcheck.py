"""Checking gradients numerically: ``verify_grad`` (Theano's
``theano.gradient.verify_grad``, also reachable there through cytensor.compat).

It compiles the function and its gradient, so it sits above the compile
stage, with the other debugging tools.
"""
import numpy as np

from ..function import function
from ..gradient import GradientError, grad
from ..tensor.type import FLOAT_DTYPES, TensorType, as_tensor_variable


def numeric_grad(f, points, eps):
    """Central differences of the scalar function ``f`` at each point.

    Parameters
    ----------
    f : callable
        Takes one array per point and returns a scalar.
    points : list of numpy.ndarray
        Where to estimate the gradient (changed during the call, restored after).
    eps : float
        The step.

    Returns
    -------
    list of numpy.ndarray
        One float64 gradient per point.

    Examples
    --------
    >>> from cytensor.gradient import numeric_grad
    >>> [g.round(6) for g in numeric_grad(lambda v: (v ** 2).sum(), [numpy.array([1.0, 3.0])], 1e-6)]
    [array([2., 6.])]
    """

    grads = []
    for p in points:
        g = np.zeros_like(p, dtype="float64")
        flat_p, flat_g = p.reshape(-1), g.reshape(-1)
        for i in range(flat_p.size):
            orig = flat_p[i]
            flat_p[i] = orig + eps
            plus = float(f(*points))
            flat_p[i] = orig - eps
            minus = float(f(*points))
            flat_p[i] = orig
            flat_g[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def _projection_dtype(out, out_type, cast_to_output_type):
    """verify_grad's projection dtype, from its two options that can set it."""
    if out_type is not None and cast_to_output_type:
        raise ValueError("verify_grad: out_type and cast_to_output_type both set the "
                         "dtype of the random projection; give one of them")
    if cast_to_output_type:
        return out.dtype if out.dtype in FLOAT_DTYPES else "float64"
    dtype = "float64" if out_type is None else np.dtype(out_type).name
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"verify_grad: out_type must be one of {', '.join(FLOAT_DTYPES)}, "
                        f"got {dtype} (the kernels have no complex arithmetic)")
    return dtype


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, out_type=None, abs_tol=None,
                rel_tol=None, mode=None, cast_to_output_type=False):
    """Check the symbolic gradient of ``fun`` at the points ``pt`` numerically.

    The output of ``fun`` is projected on a random direction to get a
    scalar, whose gradient is compared with central finite differences.

    Parameters
    ----------
    fun : callable
        Takes symbolic tensors (one per point) and returns a tensor.
    pt : list of numpy.ndarray
        The point to check at, one array per argument of ``fun``.
    n_tests : int
        How many random projections to try.
    rng : numpy.random.Generator or RandomState, optional
        Draws the projections.
    eps : float, optional
        The finite-difference step (default by dtype).
    out_type : str, optional
        Dtype of the random projection, and so of the scalar cost the
        finite differences are taken of. The default, float64, adds no
        rounding of its own; 'float32' checks at float32 precision.
    abs_tol, rel_tol : float, optional
        Tolerances (default by dtype).
    mode : str or Mode, optional
        How to compile the functions compared.
    cast_to_output_type : bool
        As in Theano, give the projection the output's own dtype (float32
        for a float32 function) instead of float64.

    Returns
    -------
    None
        It returns when the gradients agree.

    Raises
    ------
    GradientError
        Naming the input and the worst element, when the gradients differ.
    TypeError
        If a point is not a float array.

    Examples
    --------
    >>> from cytensor.gradient import verify_grad
    >>> verify_grad(lambda x: T.tanh(x) * x, [numpy.array([0.5, -1.0, 2.0])],
    ...             rng=numpy.random.default_rng(0))
    """
    rng = rng if rng is not None else np.random.default_rng(42)
    if isinstance(rng, np.random.RandomState):
        rng = np.random.default_rng(rng.randint(2**31))
    pt = [np.array(p) for p in pt]
    dtypes = [p.dtype.name for p in pt]
    for d in dtypes:
        if not d.startswith("float"):
            raise TypeError(f"verify_grad: points must be float arrays, got {d}")
    low_precision = "float32" in dtypes or "float16" in dtypes
    eps = eps or (1e-3 if low_precision else 1e-6)
    abs_tol = abs_tol if abs_tol is not None else (3e-2 if low_precision else 1e-4)
    rel_tol = rel_tol if rel_tol is not None else (3e-2 if low_precision else 1e-4)

    inputs = [TensorType(p.dtype.name, shape=(None,) * p.ndim)(f"input{i}")
              for i, p in enumerate(pt)]
    out = as_tensor_variable(fun(*inputs))
    projection_dtype = _projection_dtype(out, out_type, cast_to_output_type)
    for _ in range(n_tests):
        direction = TensorType(projection_dtype, shape=(None,) * out.ndim)("direction")
        cost = (out * direction).sum() if out.ndim else out * direction
        cost = cost.astype(projection_dtype)
        grads = grad(cost, inputs, disconnected_inputs="ignore")
        f_cost = function(inputs + [direction], cost, mode=mode,
                          allow_input_downcast=True, on_unused_input="ignore")
        f_grad = function(inputs + [direction], grads, mode=mode,
                          allow_input_downcast=True, on_unused_input="ignore")
        out_shape = function(inputs, out.shape if out.ndim else out, mode=mode,
                             on_unused_input="ignore")(*pt)
        d = rng.uniform(0.5, 1.5, size=tuple(out_shape) if out.ndim else ())
        d *= rng.choice([-1.0, 1.0], size=d.shape)
        symbolic = f_grad(*pt, d)
        work = [p.astype("float64") if low_precision else p.copy() for p in pt]
        numeric = numeric_grad(lambda *xs: f_cost(*xs, d), work, eps)
        for i, (s, n) in enumerate(zip(symbolic, numeric)):
            s = np.asarray(s, dtype="float64")
            if s.shape != n.shape:
                raise GradientError(
                    f"verify_grad: the gradient w.r.t. input {i} has shape {s.shape}, "
                    f"but the input has shape {n.shape}")
            err = np.abs(s - n)
            tol = abs_tol + rel_tol * np.abs(n)
            if np.any(~(err <= tol)):
                worst = np.unravel_index(np.argmax(err - tol), err.shape) if err.size else ()
                raise GradientError(
                    f"verify_grad: gradient w.r.t. input {i} (shape {pt[i].shape}) "
                    f"disagrees with finite differences at index {worst}: symbolic "
                    f"{s[worst] if s.size else s}, numeric {n[worst] if n.size else n} "
                    f"(abs_tol {abs_tol}, rel_tol {rel_tol})")
