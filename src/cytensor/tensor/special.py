"""Special functions: ``T.gammaln``, ``T.psi``, ``T.gamma``, ``T.tri_gamma``.

SciPy computes them (the kernels have no log-gamma or digamma); each is an
elementwise op of one input, whose gradient is the next function of the
family: gammaln' = psi, psi' = tri_gamma, gamma' = gamma * psi.
"""
import numpy as np
import scipy.special

from ..graph import Apply, Op
from .type import TensorType, as_tensor_variable, upcast_to_float


def _tri_gamma(x):
    return scipy.special.polygamma(1, x)


_FUNCTIONS = {"gammaln": scipy.special.gammaln, "psi": scipy.special.psi,
              "gamma": scipy.special.gamma, "tri_gamma": _tri_gamma}


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
        raise NotImplementedError("tri_gamma has no gradient here (nor in Theano)")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def gammaln(x):
    """log |Gamma(x)|."""
    return SpecialFunction("gammaln")(x)


def psi(x):
    """The digamma function, the derivative of gammaln."""
    return SpecialFunction("psi")(x)


def tri_gamma(x):
    """The trigamma function, the derivative of psi."""
    return SpecialFunction("tri_gamma")(x)


def gamma(x):
    """The gamma function."""
    return SpecialFunction("gamma")(x)


__all__ = ["SpecialFunction", "gammaln", "psi", "tri_gamma", "gamma"]
