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
from .elemwise import Cast, DimShuffle, Elemwise                  # noqa: F401
from .subtensor import (IncSubtensor, SpecifyShape, Subtensor,     # noqa: F401
                        inc_subtensor, set_subtensor, specify_shape)
from .advanced import AdvancedIncSubtensor, AdvancedSubtensor, take  # noqa: F401
from . import ifelse, nnet, random, sharedvar, signal             # noqa: F401,E402
from .array_ops import *                                        # noqa: F401,F403,E402
from .sort import argsort, argtopk, sort, topk, topk_and_argtopk   # noqa: F401,E402
from .extra_ops import cumprod, cumsum, diff, repeat               # noqa: F401,E402
from .special import erfcinv, erfinv, gamma, gammaln, psi, tri_gamma  # noqa: F401,E402
from . import extra_ops, nlinalg, slinalg, xlogx                 # noqa: F401,E402
from .transfer import Transfer, transfer                         # noqa: F401,E402

# Theano's other names for existing functions.
as_tensor = as_tensor_variable
power, square, bitwise_not = pow, sqr, invert                     # noqa: F405


def tensor(dtype=None, shape=None, name=None, broadcastable=None):
    """A symbolic tensor of ``dtype`` (floatX by default) and static ``shape``.

    ``T.tensor('float32', (None, 3))`` or Theano's
    ``T.tensor('float32', broadcastable=(False, True))``.  For the common
    ranks, ``T.scalar``, ``T.vector``, ``T.matrix``... (floatX) and
    ``T.dmatrix``, ``T.ivector``... (a fixed dtype) are shorter.

    Parameters
    ----------
    dtype : str, optional
        Default ``config.floatX``.
    shape : sequence of (int or None), optional
        The static length of each axis (None: unknown).
    name : str, optional
        The variable's name.
    broadcastable : sequence of bool, optional
        Theano's form of ``shape``: True for a length-1 axis.

    Returns
    -------
    TensorVariable
        An input variable.

    Raises
    ------
    TypeError
        If ``shape`` is a string (``tensor(dtype, name)`` is not a signature).

    Examples
    --------
    >>> x = T.tensor('float32', (None, 3), name='x')
    >>> x.type
    TensorType(float32, shape=(?, 3))
    >>> f = theano.function([x], x.sum(axis=1))
    >>> f(numpy.ones((2, 3), dtype='float32'))
    array([3., 3.], dtype=float32)
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
    make.__doc__ = f"""A symbolic {kind} of ``dtype`` (floatX by default).

    Parameters
    ----------
    name : str, optional
        The variable's name.
    dtype : str, optional
        Default ``config.floatX``.
    shape : tuple
        The static shape, default {shape}.

    Returns
    -------
    TensorVariable
        An input variable.

    Examples
    --------
    >>> x = T.{kind}('x')
    >>> x.ndim, x.dtype == theano.config.floatX
    ({len(shape)}, True)
    >>> T.{kind}('y', dtype='int32').dtype
    'int32'
    """
    return make


# T.matrix('x') takes floatX; T.dmatrix is a TensorType, and calling it makes
# a variable of that type, as in Theano (so ``T.dmatrix('x').type is T.dmatrix``).
for _kind, _shape in _KINDS.items():
    globals()[_kind] = _floatx_constructor(_kind, _shape)
    for _prefix, _dtype in _DTYPES.items():
        globals()[_prefix + _kind] = TensorType(_dtype, shape=_shape)


def _plural(single):
    """Theano's plural constructors: ``T.dscalars('xyz')`` gives one variable per
    letter, ``T.dscalars('x', 'y')`` one per name, ``T.dscalars(3)`` three
    unnamed ones; a one-letter name gives the variable itself, as in Theano.
    Names separated by spaces or commas (``'x1, x2'``) are split there."""
    def many(*names, dtype=None):
        kwargs = {"dtype": dtype} if dtype else {}
        if len(names) == 1 and isinstance(names[0], int):
            return [single(**kwargs) for _ in range(names[0])]
        if len(names) == 1:
            text = names[0]
            names = text.replace(",", " ").split() if "," in text or " " in text \
                else list(text)
            if len(names) == 1 and len(text) == 1:
                return single(text, **kwargs)
        return [single(n, **kwargs) for n in names]
    return many


for _kind in _KINDS:
    _kinds = "matrices" if _kind == "matrix" else _kind + "s"
    for _prefix in [""] + list(_DTYPES):
        globals()[_prefix + _kinds] = _plural(globals()[_prefix + _kind])

del _kind, _kinds, _shape, _prefix, _dtype
