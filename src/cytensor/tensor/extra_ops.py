"""NumPy functions Theano kept in ``theano.tensor.extra_ops``: cumsum, cumprod,
diff, bincount, repeat, searchsorted, Unique, to_one_hot, squeeze,
fill_diagonal.

Ops that compute something data-dependent (cumulative sums, counts,
searches, unique values, repeats) call NumPy in ``perform``; the others
(diff, fill_diagonal, compress) are compositions of indexing ops.
"""
import numpy as np

from ..graph import Apply, Op
from . import math as tm
from .advanced import take
from .array_ops import flatnonzero
from .basic import arange, concatenate, reshape, shape_tuple, squeeze, zeros  # noqa: F401
from .math import _sum_dtype
from .nnet.basic import to_one_hot                                            # noqa: F401
from .subtensor import set_subtensor
from .type import TensorType, as_tensor_variable
from .variable import provide


def _is_integer(dtype):
    return dtype.startswith("int") or dtype.startswith("uint")


def _is_float(var):
    return var.dtype.startswith("float")


# ---------------------------------------------------------------------------
# Cumulative sums and products
# ---------------------------------------------------------------------------

class CumOp(Op):
    """Running sum (mode 'add') or product (mode 'mul') along ``axis``.

    Integers and bools accumulate in int64 (uint64 for unsigned), as NumPy does.
    """

    __props__ = ("axis", "mode")

    def __init__(self, axis, mode="add"):
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis, self.mode = int(axis), mode

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"cumsum/cumprod: axis {self.axis} is out of range for {x} "
                             f"with {x.ndim} dims")
        return Apply(self, [x], [TensorType(_sum_dtype(x.dtype), shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        run = np.cumsum if self.mode == "add" else np.cumprod
        return (run(x, axis=self.axis, dtype=node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if not _is_float(x):
            return [None]
        backwards = (slice(None),) * (self.axis % x.ndim) + (slice(None, None, -1),)
        if self.mode == "add":
            return [CumOp(self.axis)(g[backwards])[backwards]]
        # As Theano: the running sum of g * output from the end, divided by x
        # (so not finite where x is zero).
        out = self(x)
        return [CumOp(self.axis)((g * out)[backwards])[backwards] / x]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def cumsum(x, axis=None):
    """Running sum along ``axis`` (None: of the flattened array).

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : int, optional
        The axis; None: the flattened array.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> f = theano.function([x], [T.cumsum(x), T.cumsum(x, axis=0)])
    >>> f(numpy.array([[1.0, 2.0], [3.0, 4.0]]))
    [array([ 1.,  3.,  6., 10.]), array([[1., 2.],
           [4., 6.]])]
    """
    x = as_tensor_variable(x)
    return CumOp(0, "add")(x.flatten()) if axis is None else CumOp(axis, "add")(x)


def cumprod(x, axis=None):
    """Running product along ``axis`` (None: of the flattened array).

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : int, optional
        The axis; None: the flattened array.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.cumprod(x))(numpy.array([1.0, 2.0, 3.0]))
    array([1., 2., 6.])
    """
    x = as_tensor_variable(x)
    return CumOp(0, "mul")(x.flatten()) if axis is None else CumOp(axis, "mul")(x)


# ---------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------

def diff(x, n=1, axis=-1):
    """The ``n``-th difference along ``axis``: ``x[1:] - x[:-1]``, n times.

    Bool arrays give ``x[1:] != x[:-1]``, as in NumPy.

    Parameters
    ----------
    x : TensorVariable or array_like
        Of at least one dimension.
    n : int
        How many times to take differences.
    axis : int
        The axis.

    Returns
    -------
    TensorVariable
        ``n`` shorter along ``axis``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], [T.diff(x), T.diff(x, n=2)])
    >>> f(numpy.array([1.0, 4.0, 9.0, 16.0]))
    [array([3., 5., 7.]), array([2., 2.])]
    """
    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise ValueError("diff needs an array of at least one dimension")
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    axis = tm.normalize_axis(axis, x.ndim)[0]
    before = (slice(None),) * axis
    for _ in range(n):
        later, earlier = x[before + (slice(1, None),)], x[before + (slice(None, -1),)]
        x = tm.neq(later, earlier) if x.dtype == "bool" else later - earlier
    return x


# ---------------------------------------------------------------------------
# bincount
# ---------------------------------------------------------------------------

class BinCount(Op):
    """Occurrences of each value 0..max of a non-negative int vector, or the
    sum of ``weights`` at them (NumPy's bincount: int64 counts, float64 sums)."""

    __props__ = ("minlength",)

    def __init__(self, minlength=0):
        self.minlength = int(minlength or 0)

    def make_node(self, x, weights=None):
        x = as_tensor_variable(x)
        if x.ndim != 1 or not (_is_integer(x.dtype) or x.dtype == "bool"):
            raise TypeError(f"bincount takes an integer vector, got {x} of type {x.type}")
        if weights is None:
            return Apply(self, [x], [TensorType("int64", shape=(None,))()])
        weights = as_tensor_variable(weights)
        if weights.ndim != 1:
            raise TypeError(f"bincount: weights must be a vector, got {weights}")
        return Apply(self, [x, weights], [TensorType("float64", shape=(None,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x, weights=None):
        if x.size and x.min() < 0:
            raise ValueError(f"bincount: {node.inputs[0]} has negative values")
        return (np.bincount(x, weights, self.minlength),)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        if len(inputs) == 1:
            return [None]
        x, weights = inputs
        return [None, tm.cast(g[x], weights.dtype) if _is_float(weights) else None]


def bincount(x, weights=None, minlength=None, assert_nonneg=False):
    """Count of each value in the non-negative int vector ``x`` (negative
    values are always an error here, so ``assert_nonneg`` changes nothing)."""
    return BinCount(minlength)(x, weights) if weights is not None else BinCount(minlength)(x)


# ---------------------------------------------------------------------------
# repeat
# ---------------------------------------------------------------------------

class RepeatOp(Op):
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (NumPy's
    repeat; ``repeats`` a scalar or one count per element on the axis)."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, repeats):
        x, repeats = as_tensor_variable(x), as_tensor_variable(repeats)
        if not _is_integer(repeats.dtype):
            raise TypeError(f"repeat: repeats must be integers, got {repeats.dtype}")
        if repeats.ndim > 1:
            raise ValueError("repeat: repeats must be a scalar or a vector")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"repeat: axis {self.axis} is out of range for {x}")
        shape = list(x.type.shape)
        shape[self.axis] = None
        return Apply(self, [x, repeats], [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x, repeats):
        return (np.repeat(x, repeats, axis=self.axis),)

    def grad(self, inputs, output_grads):
        (x, repeats), (g,) = inputs, output_grads
        if not _is_float(x):
            return [None, None]
        if repeats.ndim == 0:
            # g's axis holds n groups of `repeats` copies: split it and sum.
            lengths = list(shape_tuple(x))
            grouped = reshape(g, lengths[:self.axis + 1] + [repeats] + lengths[self.axis + 1:])
            return [tm.sum(grouped, axis=self.axis + 1), None]
        # Groups of varying length: differences of the running sum at the group ends.
        running = CumOp(self.axis)(g)
        lengths = shape_tuple(running)
        first = zeros(list(lengths[:self.axis]) + [1] + list(lengths[self.axis + 1:]),
                      running.dtype)
        running = concatenate([first, running], axis=self.axis)
        ends = CumOp(0)(repeats)
        return [take(running, ends, self.axis) - take(running, ends - repeats, self.axis),
                None]

    def infer_shape(self, node, input_shapes):
        x, repeats = node.inputs
        shape = list(input_shapes[0])
        shape[self.axis] = shape[self.axis] * repeats if repeats.ndim == 0 else \
            tm.sum(tm.cast(repeats, "int64"))
        return [tuple(shape)]


def repeat(x, repeats, axis=None):
    """NumPy's repeat: ``repeat([1, 2], 2) == [1, 1, 2, 2]``; axis None flattens.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    repeats : int, int vector or scalar TensorVariable
        How many times to repeat each element (one count per element, or one for all).
    axis : int, optional
        The axis; None: the flattened array.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.repeat(x, 2))(numpy.array([1.0, 2.0]))
    array([1., 1., 2., 2.])
    """
    x = as_tensor_variable(x)
    if axis is None:
        x, axis = x.flatten(), 0
    return RepeatOp(tm.normalize_axis(axis, x.ndim)[0])(x, repeats)


# ---------------------------------------------------------------------------
# searchsorted
# ---------------------------------------------------------------------------

class SearchsortedOp(Op):
    """Where the values ``v`` would go into the sorted vector ``x`` (int64)."""

    __props__ = ("side",)

    def __init__(self, side="left"):
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        self.side = side

    def make_node(self, x, v, sorter=None):
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise TypeError(f"searchsorted: {x} must be a vector")
        inputs = [x, v]
        if sorter is not None:
            sorter = as_tensor_variable(sorter)
            if sorter.ndim != 1 or not _is_integer(sorter.dtype):
                raise TypeError(f"searchsorted: sorter {sorter} must be an integer vector")
            inputs.append(sorter)
        return Apply(self, inputs, [TensorType("int64", shape=v.type.shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x, v, sorter=None):
        return (np.asarray(np.searchsorted(x, v, self.side, sorter), dtype=np.int64),)

    def grad(self, inputs, output_grads):
        return [None] * len(inputs)

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]


def searchsorted(x, v, side="left", sorter=None):
    """Indices where inserting ``v`` keeps the vector ``x`` sorted (``sorter``:
    the argsort of an unsorted x)."""
    op = SearchsortedOp(side)
    return op(x, v) if sorter is None else op(x, v, sorter)


# ---------------------------------------------------------------------------
# Unique
# ---------------------------------------------------------------------------

class Unique(Op):
    """NumPy's unique: the sorted distinct values (of the flattened array, or
    of the slices along ``axis``), and optionally the index of each one's
    first occurrence, the inverse indices and the counts (all int64)."""

    __props__ = ("return_index", "return_inverse", "return_counts", "axis")

    def __init__(self, return_index=False, return_inverse=False, return_counts=False,
                 axis=None):
        self.return_index = bool(return_index)
        self.return_inverse = bool(return_inverse)
        self.return_counts = bool(return_counts)
        self.axis = None if axis is None else int(axis)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.axis is None:
            values = TensorType(x.dtype, shape=(None,))()
        else:
            if not -x.ndim <= self.axis < x.ndim:
                raise ValueError(f"Unique: axis {self.axis} is out of range for {x}")
            shape = list(x.type.shape)
            shape[self.axis] = None
            values = TensorType(x.dtype, shape=shape)()
        extra = [TensorType("int64", shape=(None,))()
                 for flag in (self.return_index, self.return_inverse, self.return_counts)
                 if flag]
        return Apply(self, [x], [values] + extra)

    def reference(self, node, x):
        results = np.unique(x, self.return_index, self.return_inverse, self.return_counts,
                            axis=self.axis)
        results = results if isinstance(results, tuple) else (results,)
        return (results[0],) + tuple(np.asarray(r, dtype=np.int64).reshape(-1)
                                     for r in results[1:])

    def grad(self, inputs, output_grads):
        raise NotImplementedError("Unique has no gradient (as in Theano)")


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """The sorted distinct values of ``ar`` (NumPy's unique)."""
    return Unique(return_index, return_inverse, return_counts, axis)(ar)


# ---------------------------------------------------------------------------
# Diagonal filling, compress
# ---------------------------------------------------------------------------

def _diagonal_index(a, offset):
    """Row and column indices of diagonal ``offset`` (an int or an int scalar) of a matrix."""
    rows, cols = shape_tuple(a)
    first_row, first_col = tm.maximum(0, -offset), tm.maximum(0, offset)
    steps = arange(tm.maximum(0, tm.minimum(rows - first_row, cols - first_col)))
    return steps + first_row, steps + first_col


def fill_diagonal(a, val):
    """``a`` with its main diagonal set to the scalar ``val`` (NumPy's
    fill_diagonal without wrap; arrays of more than 2 dims must be cubes)."""
    a, val = as_tensor_variable(a), as_tensor_variable(val)
    if a.ndim < 2 or val.ndim != 0:
        raise TypeError(f"fill_diagonal takes an array of 2 or more dims and a scalar, "
                        f"got {a} ({a.ndim} dims) and {val} ({val.ndim} dims)")
    if a.ndim == 2:
        return fill_diagonal_offset(a, val, 0)
    steps = arange(tm.min(a.shape))
    return set_subtensor(a[(steps,) * a.ndim], tm.cast(val, a.dtype))


def fill_diagonal_offset(a, val, offset):
    """The matrix ``a`` with diagonal ``offset`` (an int, or an int scalar
    variable) set to the scalar ``val``."""
    a, val, offset = as_tensor_variable(a), as_tensor_variable(val), as_tensor_variable(offset)
    if a.ndim != 2 or val.ndim != 0:
        raise TypeError(f"fill_diagonal_offset takes a matrix and a scalar, got {a} and {val}")
    if offset.ndim != 0 or not _is_integer(offset.dtype):
        raise TypeError(f"fill_diagonal_offset: offset must be an integer scalar, got {offset}")
    rows, cols = _diagonal_index(a, offset)
    return set_subtensor(a[rows, cols], tm.cast(val, a.dtype))


class Bartlett(Op):
    """The Bartlett (triangular) window of M points, as a float64 vector (NumPy's bartlett)."""

    def make_node(self, M):
        M = as_tensor_variable(M)
        if M.ndim != 0 or not _is_integer(M.dtype):
            raise TypeError(f"bartlett takes an integer scalar, got {M} of type {M.type}")
        return Apply(self, [M], [TensorType("float64", shape=(None,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, M):
        return (np.bartlett(int(M)),)

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [(tm.maximum(node.inputs[0], 0),)]


def bartlett(M):
    """The Bartlett window of ``M`` points (empty for M <= 0)."""
    return Bartlett()(M)


def compress(condition, x, axis=None):
    """The slices of ``x`` along ``axis`` where ``condition`` is true."""
    return take(x, flatnonzero(condition), axis=axis)


__all__ = ["CumOp", "cumsum", "cumprod", "diff", "BinCount", "bincount", "RepeatOp", "repeat",
           "SearchsortedOp", "searchsorted", "Unique", "unique", "to_one_hot", "squeeze",
           "fill_diagonal", "fill_diagonal_offset", "Bartlett", "bartlett", "compress"]


provide(cumprod=cumprod, cumsum=cumsum, repeat=repeat, searchsorted=searchsorted)
