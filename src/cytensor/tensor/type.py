"""Tensor types: a dtype plus a static shape (None where unknown).

``broadcastable`` is Theano's view of the same thing: ``True`` where the
static length is 1.  A dimension declared non-broadcastable never
broadcasts at run time; that is what lets gradients know which axes to sum.
"""
import functools
import warnings

import numpy as np

from ..config import config
from ..graph import Constant, Type, Variable
from .variable import TensorOperators, ops   # ops: stack, from basic.py above

ALL_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
              "uint32", "uint64", "float16", "float32", "float64",
              "complex64", "complex128")
FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
DISCRETE_DTYPES = ("bool",) + INT_DTYPES


@functools.lru_cache(maxsize=4096)
def upcast(*dtypes):
    """The dtype NumPy gives when arrays of these dtypes meet (cached: every
    elementwise node built asks, and NumPy's answer costs microseconds).

    Parameters
    ----------
    *dtypes : str or numpy.dtype
        The dtypes.

    Returns
    -------
    str
        The common dtype's name.

    Examples
    --------
    >>> T.upcast('int32', 'float32'), T.upcast('int8', 'uint8')
    ('float64', 'int16')
    """
    return np.result_type(*[np.dtype(d) for d in dtypes]).name


def upcast_to_float(dtype):
    """Theano's rule for ops like exp and true_div on integers."""
    if dtype in FLOAT_DTYPES:
        return dtype
    if dtype in ("bool", "int8", "uint8", "int16", "uint16"):
        return "float32"
    return "float64"


@functools.lru_cache(maxsize=None)
def _dtype_of(dtype):
    """(name, numpy dtype) of a dtype given in any form NumPy accepts; cached,
    since every node built makes types and NumPy's lookup is slow."""
    numpy_dtype = np.dtype(dtype)
    if numpy_dtype.name not in ALL_DTYPES:
        raise TypeError(f"unsupported dtype {numpy_dtype.name!r}")
    return numpy_dtype.name, numpy_dtype


def _lossless_cast(data, dtype):
    """``data`` as ``dtype`` if that changes no value (nan stays nan), else None."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        converted = data.astype(dtype)
        same = converted.astype(data.dtype) == data
    nan_both = np.isnan(data) & np.isnan(converted) if data.dtype.kind in "fc" \
        and converted.dtype.kind in "fc" else False
    return converted if np.all(same | nan_both) else None


class TensorType(Type):
    """The type of an n-dimensional array of one dtype.

    ``TensorType('float32', (False, True))`` (Theano's broadcastable form) and
    ``TensorType('float32', shape=(None, 1))`` mean the same.  Calling a type
    makes a variable of it; ``T.dmatrix``, ``T.fvector``... are TensorTypes.

    Parameters
    ----------
    dtype : str
        NumPy's name of the dtype, or 'floatX' for ``config.floatX``.
    broadcastable : sequence of bool, optional
        Theano's form: True for an axis of length 1.
    shape : sequence of (int or None), optional
        The static length of each axis (None: unknown).

    Examples
    --------
    >>> col = T.TensorType('float32', shape=(None, 1))
    >>> col == T.TensorType('float32', (False, True)), col.ndim
    (True, 2)
    >>> x = col('x')
    >>> x.type is col, x.broadcastable
    (True, (False, True))
    >>> T.dvector.filter([1, 2])
    array([1., 2.])
    """

    def __init__(self, dtype, broadcastable=None, shape=None):
        if dtype == "floatX":
            dtype = config.floatX
        dtype, self.numpy_dtype = _dtype_of(dtype)
        if shape is None:
            if broadcastable is None:
                raise TypeError("TensorType needs broadcastable or shape")
            shape = tuple(1 if b else None for b in broadcastable)
        self.dtype = dtype
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.broadcastable = tuple(s == 1 for s in self.shape)   # asked for often by rewrites

    @property
    def ndim(self):
        return len(self.shape)

    def clone(self, dtype=None, shape=None):
        return TensorType(dtype or self.dtype, shape=self.shape if shape is None else shape)

    def filter(self, value, strict=False, allow_downcast=None):
        """Convert ``value`` to an array of this type or explain why not.

        strict: only an ndarray of exactly this dtype.  allow_downcast: True
        casts whatever NumPy can; None casts Python scalars and float64 data
        into floatX only; False refuses any cast that can lose information.
        """
        if type(value) is np.ndarray and value.dtype == self.numpy_dtype:
            data = value
        elif strict:
            raise TypeError(f"expected a numpy.ndarray of dtype {self.dtype}, "
                            f"got {type(value).__name__}"
                            + (f" of dtype {value.dtype}" if hasattr(value, "dtype") else ""))
        else:
            data = self._cast(value, allow_downcast)
        if not data.flags.aligned:
            # The kernels read whole elements at their natural alignment; an
            # unaligned view (a record field, a byte buffer) is copied once here.
            data = np.array(data, order="K")
        self.check_shape(data.shape)
        return data

    def check_shape(self, shape):
        """Raise TypeError unless an array of ``shape`` has this type's rank
        and static lengths (a device's arrays are checked with it too)."""
        if len(shape) != self.ndim:
            raise TypeError(f"expected {self.ndim} dimensions, got {len(shape)} "
                            f"(shape {shape})")
        for axis, (want, got) in enumerate(zip(self.shape, shape)):
            if want is not None and want != got:
                raise TypeError(f"dimension {axis} must have length {want} "
                                f"(static shape {self.shape}), got shape {shape}")

    def _cast(self, value, allow_downcast):
        is_python_scalar = isinstance(value, (bool, int, float, complex))
        data = np.asarray(value)
        if data.dtype == self.numpy_dtype:
            return data
        if data.dtype == object:
            raise TypeError(f"cannot convert {type(value).__name__} to a {self.dtype} array")
        if allow_downcast:
            return data.astype(self.numpy_dtype)
        if np.can_cast(data.dtype, self.numpy_dtype, "safe"):
            return data.astype(self.numpy_dtype)
        if not isinstance(value, np.ndarray):
            # A list or a Python or NumPy scalar: Theano converts it when no value changes.
            converted = _lossless_cast(data, self.numpy_dtype)
            if converted is not None:
                return converted
        if allow_downcast is None:
            if is_python_scalar and self.dtype in FLOAT_DTYPES:
                return data.astype(self.numpy_dtype)
            if not is_python_scalar and data.dtype == np.float64 \
                    and self.dtype == config.floatX:
                return data.astype(self.numpy_dtype)
        raise TypeError(
            f"cannot convert {data.dtype} data to {self.dtype} without losing "
            f"information; cast it first (e.g. .astype('{self.dtype}')) or pass "
            f"allow_input_downcast=True to function()")

    def make_variable(self, name=None):
        return TensorVariable(self, name=name)

    def __eq__(self, other):
        return (type(other) is TensorType and self.dtype == other.dtype
                and self.shape == other.shape)

    def __hash__(self):
        return hash((TensorType, self.dtype, self.shape))

    def __str__(self):
        if config.print_style == "theano":
            return self._theano_str()
        names = {0: "Scalar", 1: "Vector", 2: "Matrix"}
        kind = names.get(self.ndim, f"{self.ndim}D")
        if any(s is not None for s in self.shape):
            shape = ", ".join("?" if s is None else str(s) for s in self.shape)
            return f"Tensor{{{self.dtype}, ({shape})}}"
        return f"{kind}({self.dtype})"

    __repr__ = __str__

    def _theano_str(self):
        """Theano 1.0's name: TensorType(float64, matrix), its broadcastable
        pattern spelled as Theano did; a static length other than 1 (which
        Theano had not) is shown as a shape."""
        if any(s not in (None, 1) for s in self.shape):
            shape = ", ".join("?" if s is None else str(s) for s in self.shape)
            return f"TensorType({self.dtype}, shape=({shape}))"
        pattern = tuple(s == 1 for s in self.shape)
        named = {(): "scalar", (False,): "vector", (False, True): "col",
                 (True, False): "row", (False, False): "matrix"}
        kind = named.get(pattern, str(pattern) if any(pattern) else f"{self.ndim}D")
        return f"TensorType({self.dtype}, {kind})"


class TensorVariable(TensorOperators, Variable):
    """A symbolic array: the operators, indexing and methods of NumPy's arrays build graphs.

    Made by the constructors (``T.dmatrix('x')``), by ops, and by
    :func:`as_tensor_variable`.  The operators and methods come from
    ``tensor/variable.py``.

    Parameters
    ----------
    type : TensorType
        Its type.
    owner : Apply, optional
        The node that computes it (None for an input).
    index : int, optional
        Its position among the owner's outputs.
    name : str, optional
        Its name in printed graphs.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> y = (x.T * 2).sum(axis=0)[1:]
    >>> y.dtype, y.ndim
    ('float64', 1)
    >>> y.eval({x: numpy.ones((3, 4))})
    array([8., 8.])
    """

    @property
    def dtype(self):
        return self.type.dtype

    @property
    def ndim(self):
        return self.type.ndim

    @property
    def broadcastable(self):
        return self.type.broadcastable


class TensorConstant(Constant, TensorVariable):
    """A constant array in a graph (read-only), as :func:`constant` makes it.

    Parameters
    ----------
    type : TensorType
        Its type.
    data : numpy.ndarray
        Its value, made read-only.
    name : str, optional
        Its name in printed graphs.

    Examples
    --------
    >>> c = T.constant(numpy.array([1.0, 2.0]))
    >>> isinstance(c, T.TensorConstant), c.data
    (True, array([1., 2.]))
    """

    def __init__(self, type, data, name=None):
        Constant.__init__(self, type, data, name)
        self.data.setflags(write=False)

    def __str__(self):
        if self.name is not None or config.print_style != "theano":
            return Constant.__str__(self)
        # Theano 1.0: TensorConstant{2.0}, TensorConstant{(2, 3) of 0.0} when all equal
        data = self.data
        if data.ndim > 0 and data.size > 0 and (data == data.flat[0]).all():
            text = f"{data.shape} of {data.flat[0]}"
        else:
            text = str(data).replace("\n", "")
        if len(text) > 20:
            text = text[:10] + ".." + text[-10:]
        return f"TensorConstant{{{text}}}"

    def clone(self):
        return TensorConstant(self.type, self.data, self.name)


def _smallest_int(low, high):
    for dtype in ("int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return dtype
    return "uint64" if low >= 0 else "int64"


def scalar_dtype(value):
    """The dtype Python data gets in a graph (Theano's autocasting).

    Integers take the smallest int type that holds them; floats take floatX
    when floatX is float32, otherwise the smallest float type that holds
    them exactly.  NumPy data keeps its dtype.
    """
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.name
    data = np.asarray(value)
    if data.dtype.kind in "iu":
        return _smallest_int(int(data.min()), int(data.max())) if data.size else "int8"
    if data.dtype.kind == "f":
        if config.floatX == "float32" or config.cast_policy == "numpy+floatX":
            return config.floatX
        exact = np.array_equal(data.astype(np.float32), data, equal_nan=True)
        return "float32" if exact and data.ndim == 0 else "float64"
    return data.dtype.name


def constant(x, name=None, ndim=None, dtype=None):
    """A TensorConstant holding ``x`` (Theano's ``T.constant``).

    Python numbers take the smallest dtype holding them exactly, as in
    Theano (``2`` is int8, ``0.5`` is float32, ``0.1`` float64).

    Parameters
    ----------
    x : array_like or TensorConstant
        The value.
    name : str, optional
        Its name.
    ndim : int, optional
        Pad the shape with leading 1s to this rank.
    dtype : str, optional
        The dtype (default as above for Python numbers, else ``x``'s).

    Returns
    -------
    TensorConstant

    Raises
    ------
    ValueError
        If ``x`` has more than ``ndim`` dimensions.

    Examples
    --------
    >>> T.constant(2).dtype, T.constant(0.5).dtype, T.constant(0.1).dtype
    ('int8', 'float32', 'float64')
    >>> T.constant([1.0, 2.0], ndim=2).broadcastable
    (True, False)
    """
    if isinstance(x, TensorConstant) and dtype is None and ndim is None:
        return x
    data = np.array(x, dtype=dtype or scalar_dtype(x))
    if ndim is not None:
        if data.ndim > ndim:
            raise ValueError(f"constant {x!r} has {data.ndim} dimensions, more than {ndim}")
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    ttype = TensorType(data.dtype.name, shape=tuple(1 if s == 1 else None for s in data.shape))
    return TensorConstant(ttype, data, name=name)


def as_tensor_variable(x, name=None, ndim=None, dtype=None):
    """Return ``x`` as a TensorVariable, wrapping Python and NumPy data as constants.

    Also ``T.as_tensor``.  A list holding variables is stacked.

    Parameters
    ----------
    x : TensorVariable, Apply, array_like, or list of them
        The value.
    name : str, optional
        A name for a new constant.
    ndim : int, optional
        The rank ``x`` must have (a constant is padded to it).
    dtype : str, optional
        The dtype of a new constant.

    Returns
    -------
    TensorVariable
        ``x`` itself if it is one.

    Raises
    ------
    TypeError
        If ``x`` cannot be a tensor (or is a variable of another type).
    ValueError
        If a variable ``x`` has another rank than ``ndim``.

    Examples
    --------
    >>> x = T.dscalar('x')
    >>> T.as_tensor_variable(x) is x
    True
    >>> T.as_tensor_variable([[1.0, 2.0]]).type
    TensorType(float64, row)
    >>> T.as_tensor_variable([x, 2 * x]).eval({x: 3.0})
    array([3., 6.])
    """

    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            raise TypeError(f"{x} of type {x.type} is not a tensor")
        if ndim is not None and x.ndim != ndim:
            raise ValueError(f"{x} has {x.ndim} dimensions, expected {ndim}")
        return x
    if hasattr(x, "outputs") and hasattr(x, "op"):      # an Apply node
        if len(x.outputs) != 1:
            raise TypeError(f"{x} has several outputs; pick one")
        return x.outputs[0]
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in x):
        return ops.stack([as_tensor_variable(e) for e in x])
    try:
        return constant(x, name=name, ndim=ndim, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot convert {x!r} to a tensor variable: {e}") from None
