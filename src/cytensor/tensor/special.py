"""Special functions: ``T.gammaln``, ``T.psi``, ``T.gamma``, ``T.tri_gamma``,
``T.erfinv``, ``T.erfcinv``.

SciPy computes them (the kernels have no log-gamma or digamma); each is an
elementwise op of one input, whose gradient is the next function of the
family: gammaln' = psi, psi' = tri_gamma, gamma' = gamma * psi, and the
inverse error functions' from erf' = 2/sqrt(pi) exp(-x**2).
"""
import math

import numpy as np
import scipy.special

from ..graph import Apply, Op
from . import math as tm
from .type import TensorType, as_tensor_variable, upcast_to_float


def _tri_gamma(x):
    return scipy.special.polygamma(1, x)


_FUNCTIONS = {"gammaln": scipy.special.gammaln, "psi": scipy.special.psi,
              "gamma": scipy.special.gamma, "tri_gamma": _tri_gamma,
              "erfinv": scipy.special.erfinv, "erfcinv": scipy.special.erfcinv}

_HALF_SQRT_PI = math.sqrt(math.pi) / 2


class SpecialFunction(Op):
    """One of SciPy's special functions, elementwise (``name`` picks which)."""

    __props__ = ("name",)

    def __init__(self, name):
        if name not in _FUNCTIONS:
            raise ValueError(f"no special function {name!r}; one of {', '.join(_FUNCTIONS)}")
        self.name = name

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.dtype.startswith("complex"):
            raise TypeError(f"{self.name} takes real input, got {x} of type {x.type}")
        out = TensorType(upcast_to_float(x.dtype), shape=x.type.shape)()
        return Apply(self, [x], [out])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        dtype = node.outputs[0].dtype
        return (np.asarray(_FUNCTIONS[self.name](x.astype(dtype, copy=False)), dtype=dtype),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if not x.dtype.startswith("float"):
            return [None]
        if self.name == "gammaln":
            return [g * psi(x)]
        if self.name == "psi":
            return [g * tri_gamma(x)]
        if self.name == "gamma":
            return [g * gamma(x) * psi(x)]
        if self.name in ("erfinv", "erfcinv"):
            # The inverse's derivative: 1 / erf'(y) = sqrt(pi)/2 * exp(y**2).
            y = self(x)
            sign = 1 if self.name == "erfinv" else -1
            return [g * (sign * _HALF_SQRT_PI) * tm.exp(y * y)]
        raise NotImplementedError("tri_gamma has no gradient here (nor in Theano)")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def gammaln(x):
    """``log(abs(gamma(x)))``, the logarithm of the gamma function's magnitude.

    Parameters
    ----------
    x : TensorVariable or array_like
        The values, elementwise.

    Returns
    -------
    TensorVariable
        Of a float dtype (integers give float64), as SciPy's ``scipy.special`` computes it.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.gammaln(x))(numpy.array([1.0, 5.0])).round(4)
    array([0.    , 3.1781])
    """
    return SpecialFunction("gammaln")(x)


def psi(x):
    """The digamma function, the derivative of gammaln.

    Parameters
    ----------
    x : TensorVariable or array_like
        The values, elementwise.

    Returns
    -------
    TensorVariable
        Of a float dtype (integers give float64), as SciPy's ``scipy.special`` computes it.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.psi(x))(numpy.array([1.0, 2.0])).round(4)
    array([-0.5772,  0.4228])
    """
    return SpecialFunction("psi")(x)


def tri_gamma(x):
    """The trigamma function, the derivative of psi.

    Parameters
    ----------
    x : TensorVariable or array_like
        The values, elementwise.

    Returns
    -------
    TensorVariable
        Of a float dtype (integers give float64), as SciPy's ``scipy.special`` computes it.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.tri_gamma(x))(numpy.array([1.0, 2.0])).round(4)
    array([1.6449, 0.6449])
    """
    return SpecialFunction("tri_gamma")(x)


def gamma(x):
    """The gamma function.

    Parameters
    ----------
    x : TensorVariable or array_like
        The values, elementwise.

    Returns
    -------
    TensorVariable
        Of a float dtype (integers give float64), as SciPy's ``scipy.special`` computes it.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.gamma(x))(numpy.array([5.0, 0.5])).round(4)
    array([24.    ,  1.7725])
    """
    return SpecialFunction("gamma")(x)


def erfinv(x):
    """The inverse of erf, on (-1, 1).

    Parameters
    ----------
    x : TensorVariable or array_like
        The values, elementwise.

    Returns
    -------
    TensorVariable
        Of a float dtype (integers give float64), as SciPy's ``scipy.special`` computes it.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.erfinv(x))(numpy.array([0.0, 0.5])).round(4)
    array([0.    , 0.4769])
    """
    return SpecialFunction("erfinv")(x)


def erfcinv(x):
    """The inverse of erfc, on (0, 2).

    Parameters
    ----------
    x : TensorVariable or array_like
        The values, elementwise.

    Returns
    -------
    TensorVariable
        Of a float dtype (integers give float64), as SciPy's ``scipy.special`` computes it.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.erfcinv(x))(numpy.array([0.5, 1.5])).round(4)
    array([ 0.4769, -0.4769])
    """
    return SpecialFunction("erfcinv")(x)


__all__ = ["SpecialFunction", "gammaln", "psi", "tri_gamma", "gamma", "erfinv", "erfcinv"]
