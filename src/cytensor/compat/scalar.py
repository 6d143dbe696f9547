"""Theano's ``theano.scalar``: upcast, the scalar types and the scalar ops.

cytensor keeps no second, scalar-only graph language: a Theano scalar is a
0-d tensor here, a scalar type is the 0-d TensorType of its dtype, and a
scalar op is the elementwise op of the same name (Theano's ``scalar.add``
is ``tensor.add`` applied to 0-d variables).  So that rewrites written
for Theano recognise them, each scalar op of a table row is a ScalarOp: it
is called as the tensor function is, and equals both that row's Elemwise
op (``node.op == scalar.mul``) and the row itself
(``node.op.scalar_op == scalar.mul``).  Code that builds its own
ScalarOp subclasses with C code is out of scope: see docs/migration.rst.
"""
import functools

from ..tensor.elemwise import Elemwise
from ..tensor.elemwise_table import ELEMWISE, ElemwiseSpec
from ..tensor.math import elemwise_op
from ..tensor.type import TensorType, as_tensor_variable, constant as _tensor_constant
from ..tensor.type import upcast                                    # noqa: F401
from ..tensor.variable import ops as tensor_functions   # T.add, T.exp... as the op modules provide them

_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
           "uint64", "float32", "float64", "complex64", "complex128")


def Scalar(dtype):
    """The type of a scalar of ``dtype``: a 0-d TensorType."""
    return TensorType(dtype, shape=())


ScalarType = Scalar
bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, \
    float32, float64, complex64, complex128 = (Scalar(d) for d in _DTYPES)
int_types = (int8, int16, int32, int64)
uint_types = (uint8, uint16, uint32, uint64)
float_types = (float32, float64)
complex_types = (complex64, complex128)
discrete_types = (bool,) + int_types + uint_types
continuous_types = float_types + complex_types
all_types = discrete_types + continuous_types


def as_scalar(x, name=None):
    """``x`` as a 0-d variable; a TypeError for anything with dimensions."""
    var = as_tensor_variable(x, name=name)
    if var.ndim != 0:
        raise TypeError(f"as_scalar: {var} has {var.ndim} dimensions, a scalar has none")
    return var


def constant(x, name=None):
    """A scalar constant (Theano's ``scalar.constant``)."""
    return _tensor_constant(x, name=name, ndim=0)


# Theano's scalar op names -> the tensor function of cytensor that is that op.
SCALAR_OPS = {name: name for name in (
    "add", "sub", "mul", "true_div", "int_div", "floor_div", "mod", "pow", "neg", "abs_",
    "sgn", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sqr",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "maximum", "minimum", "eq", "neq", "lt", "gt", "le",
    "ge", "and_", "or_", "xor", "invert", "switch", "clip", "floor", "ceil", "trunc",
    "round_half_to_even", "round_half_away_from_zero", "iround", "erf", "erfc",
    "identity", "cast", "isnan", "isinf", "gammaln", "second")}
SCALAR_OPS.update(inv="reciprocal", scalar_sigmoid="sigmoid", scalar_softplus="softplus")


class ScalarOp(Elemwise):
    """Theano's scalar op of one table row, as cytensor has it (see above)."""

    def __init__(self, function):
        super().__init__(elemwise_op(function.__name__).program)
        self.function = function
        self.__name__ = function.__name__

    def __call__(self, *inputs, **kwargs):
        return self.function(*inputs, **kwargs)

    def __eq__(self, other):
        if isinstance(other, ElemwiseSpec):
            return other is self.scalar_op
        return isinstance(other, Elemwise) and self._props() == other._props()

    def __hash__(self):
        return hash((Elemwise, self._props()))


@functools.lru_cache(maxsize=None)
def _scalar_op(name):
    function = getattr(tensor_functions, SCALAR_OPS[name])
    return ScalarOp(function) if function.__name__ in ELEMWISE else function


def __getattr__(name):
    """The scalar ops (ScalarOp for a table row, else the tensor function)."""
    if name in SCALAR_OPS:
        return _scalar_op(name)
    raise AttributeError(f"module 'theano.scalar' (cytensor.compat.scalar) has no {name!r}")
