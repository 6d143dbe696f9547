"""Special functions: ``T.gammaln``, ``T.psi``, ``T.gamma``, ``T.tri_gamma``,
``T.erfinv``, ``T.erfcinv``.

SciPy computes them (the kernels have no log-gamma or digamma); each is an
elementwise op of one input, a row of the table ``ROWS`` below (which
also writes the functions' docstrings), whose gradient is the next function of the
family: gammaln' = psi, psi' = tri_gamma, gamma' = gamma * psi, and the
inverse error functions' from erf' = 2/sqrt(pi) exp(-x**2).
"""
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import scipy.special

from ..graph import Apply, Op
from . import math as tm
from .type import TensorType, as_tensor_variable, upcast_to_float


def _tri_gamma(x):
    return scipy.special.polygamma(1, x)


_HALF_SQRT_PI = math.sqrt(math.pi) / 2


@dataclass(frozen=True)
class SpecialSpec:
    """One special function: its SciPy reference, its gradient, and what its
    docstring says (the example's output is computed from the reference)."""
    name: str
    reference: Callable         # SciPy's function
    summary: str                # the docstring's first line
    example: tuple              # inputs for the docstring's example
    grad: Optional[Callable]    # (x, y, g) -> the gradient, y the output; None: none


# The inverse error functions' derivative: 1 / erf'(y) = sqrt(pi)/2 * exp(y**2).
ROWS = [
    SpecialSpec("gammaln", scipy.special.gammaln,
                "``log(abs(gamma(x)))``, the logarithm of the gamma function's magnitude.",
                (1.0, 5.0), lambda x, y, g: g * psi(x)),
    SpecialSpec("psi", scipy.special.psi, "The digamma function, the derivative of gammaln.",
                (1.0, 2.0), lambda x, y, g: g * tri_gamma(x)),
    SpecialSpec("tri_gamma", _tri_gamma, "The trigamma function, the derivative of psi.",
                (1.0, 2.0), None),      # no gradient here (nor in Theano)
    SpecialSpec("gamma", scipy.special.gamma, "The gamma function.",
                (5.0, 0.5), lambda x, y, g: g * y * psi(x)),
    SpecialSpec("erfinv", scipy.special.erfinv, "The inverse of erf, on (-1, 1).",
                (0.0, 0.5), lambda x, y, g: g * _HALF_SQRT_PI * tm.exp(y * y)),
    SpecialSpec("erfcinv", scipy.special.erfcinv, "The inverse of erfc, on (0, 2).",
                (0.5, 1.5), lambda x, y, g: g * -_HALF_SQRT_PI * tm.exp(y * y)),
]
SPECIAL = {row.name: row for row in ROWS}


class SpecialFunction(Op):
    """One of SciPy's special functions, elementwise (``name`` picks which)."""

    __props__ = ("name",)

    def __init__(self, name):
        if name not in SPECIAL:
            raise ValueError(f"no special function {name!r}; one of {', '.join(SPECIAL)}")
        self.name = name
        self.spec = SPECIAL[name]

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
        return (np.asarray(self.spec.reference(x.astype(dtype, copy=False)), dtype=dtype),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if not x.dtype.startswith("float"):
            return [None]
        if self.spec.grad is None:
            raise NotImplementedError(f"{self.name} has no gradient here (nor in Theano)")
        return [self.spec.grad(x, self(x), g)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def _docstring(spec):
    """The numpydoc docstring of a row's function; its example shows what
    the row's SciPy reference gives."""
    expected = np.asarray(spec.reference(np.array(spec.example))).round(4)
    return "\n".join([
        spec.summary, "",
        "Parameters", "----------", "x : TensorVariable or array_like",
        "    The values, elementwise.", "",
        "Returns", "-------", "TensorVariable",
        "    Of a float dtype (integers give float64), as SciPy's ``scipy.special`` "
        "computes it.", "",
        "Examples", "--------", ">>> x = T.dvector('x')",
        f">>> theano.function([x], T.{spec.name}(x))(numpy.array({list(spec.example)!r}))"
        ".round(4)",
        repr(expected)])


def _special_function(name):
    """``T.<name>(x)``: the row's op applied to x."""
    def apply(x):
        return SpecialFunction(name)(x)
    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = _docstring(SPECIAL[name])
    return apply


gammaln = _special_function("gammaln")
psi = _special_function("psi")
tri_gamma = _special_function("tri_gamma")
gamma = _special_function("gamma")
erfinv = _special_function("erfinv")
erfcinv = _special_function("erfcinv")


__all__ = ["SpecialFunction", "gammaln", "psi", "tri_gamma", "gamma", "erfinv", "erfcinv"]
