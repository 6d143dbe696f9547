"""Symbolic tensors: ``import cytensor.tensor as T``.

Variables are made by type constructors (``T.matrix('x')``, ``T.fvector()``,
``T.tensor('float32', shape=(None, 3))``) and combined with the functions
here, named as in Theano and NumPy.
"""
from ..config import config
from .type import (TensorConstant, TensorType, TensorVariable, as_tensor_variable,
                   constant, upcast)
from .math import *                                              # noqa: F401,F403
from .basic import (ARange, Alloc, Join, MakeVector, Reshape, Shape, Shape_i,  # noqa: F401
                    addbroadcast, alloc, arange, concatenate, expand_dims, fill,
                    flatten, ones, ones_like, reshape, shape, shape_padaxis,
                    shape_padleft, shape_padright, squeeze, stack, transpose, zeros,
                    zeros_like)
from .elemwise import DimShuffle, Elemwise                        # noqa: F401
from .subtensor import (IncSubtensor, SpecifyShape, Subtensor,     # noqa: F401
                        inc_subtensor, set_subtensor, specify_shape)
from .advanced import AdvancedIncSubtensor, AdvancedSubtensor, take  # noqa: F401
from . import ifelse, nnet, random, sharedvar, signal             # noqa: F401,E402


def tensor(dtype=None, shape=None, name=None, broadcastable=None):
    """A symbolic tensor of ``dtype`` (floatX by default) and static ``shape``.

    ``T.tensor('float32', (None, 3))`` or Theano's
    ``T.tensor('float32', broadcastable=(False, True))``.
    """
    if isinstance(shape, str) and name is None:     # T.tensor(dtype, name) is not allowed
        raise TypeError("tensor(dtype, shape, name): shape must be a tuple")
    return TensorType(dtype or config.floatX, broadcastable=broadcastable, shape=shape)(name)


_KINDS = {"scalar": (), "vector": (None,), "matrix": (None, None), "row": (1, None),
          "col": (None, 1), "tensor3": (None,) * 3, "tensor4": (None,) * 4,
          "tensor5": (None,) * 5, "tensor6": (None,) * 6, "tensor7": (None,) * 7}
_DTYPES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32",
           "d": "float64", "c": "complex64", "z": "complex128"}


from ..gradient import grad, hessian, jacobian                   # noqa: E402,F401  (T.grad)
from ..rop import Lop, Rop                                        # noqa: E402,F401


def _floatx_constructor(kind, shape):
    def make(name=None, dtype=None, shape=shape):
        return TensorType(dtype or config.floatX, shape=shape)(name)
    make.__name__ = kind
    make.__doc__ = f"A symbolic {kind} of ``dtype`` (floatX by default)."
    return make


# T.matrix('x') takes floatX; T.dmatrix is a TensorType, and calling it makes
# a variable of that type, as in Theano (so ``T.dmatrix('x').type is T.dmatrix``).
for _kind, _shape in _KINDS.items():
    globals()[_kind] = _floatx_constructor(_kind, _shape)
    for _prefix, _dtype in _DTYPES.items():
        globals()[_prefix + _kind] = TensorType(_dtype, shape=_shape)


def _plural(single):
    """T.dscalars('a', 'b'), T.dscalars('a, b') or T.dscalars(2)."""
    def many(*names, dtype=None):
        if len(names) == 1 and isinstance(names[0], int):
            names = [None] * names[0]
        elif len(names) == 1:
            names = names[0].replace(",", " ").split()
        kwargs = {"dtype": dtype} if dtype else {}
        return [single(n, **kwargs) for n in names]
    return many


for _kind in _KINDS:
    _kinds = "matrices" if _kind == "matrix" else _kind + "s"
    for _prefix in [""] + list(_DTYPES):
        globals()[_prefix + _kinds] = _plural(globals()[_prefix + _kind])

del _kind, _kinds, _shape, _prefix, _dtype
