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


def _constructor(ndim, dtype, shape=None):
    shape = shape or (None,) * ndim

    def make(name=None, dtype=dtype, shape=shape):
        return TensorType(dtype or config.floatX, shape=shape)(name)
    return make


def tensor(dtype=None, shape=None, name=None, broadcastable=None):
    """A symbolic tensor of ``dtype`` (floatX by default) and static ``shape``.

    ``T.tensor('float32', (None, 3))`` or Theano's
    ``T.tensor('float32', broadcastable=(False, True))``.
    """
    if isinstance(shape, str) and name is None:     # T.tensor(dtype, name) is not allowed
        raise TypeError("tensor(dtype, shape, name): shape must be a tuple")
    return TensorType(dtype or config.floatX, broadcastable=broadcastable, shape=shape)(name)


_KINDS = {"scalar": 0, "vector": 1, "matrix": 2, "tensor3": 3, "tensor4": 4,
          "tensor5": 5, "tensor6": 6, "tensor7": 7}
_PREFIXES = {"": None, "b": "int8", "w": "int16", "i": "int32", "l": "int64",
             "f": "float32", "d": "float64", "c": "complex64", "z": "complex128"}

for _kind, _ndim in _KINDS.items():
    for _prefix, _dtype in _PREFIXES.items():
        globals()[_prefix + _kind] = _constructor(_ndim, _dtype)
row = _constructor(2, None, (1, None))
col = _constructor(2, None, (None, 1))
for _prefix, _dtype in _PREFIXES.items():
    if _prefix:
        globals()[_prefix + "row"] = _constructor(2, _dtype, (1, None))
        globals()[_prefix + "col"] = _constructor(2, _dtype, (None, 1))


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


for _kind in list(_KINDS) + ["row", "col"]:
    _kinds = "matrices" if _kind == "matrix" else _kind + "s"
    for _prefix in _PREFIXES:
        globals()[_prefix + _kinds] = _plural(globals()[_prefix + _kind])

del _kind, _kinds, _ndim, _prefix, _dtype
