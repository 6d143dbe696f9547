"""Sorting: ``T.sort``, ``T.argsort`` and the top-k family (Theano's ``tensor/sort.py``).

NumPy's sort is the implementation.  The gradient of sort sends each
output gradient back to the position its element came from: it reorders
the output gradient by the inverse of the sorting permutation.  ``topk``
keeps the k largest elements along an axis (the k smallest for a negative
k), most extreme first; its gradient puts each output gradient back at the
position the element was taken from, zeros elsewhere.
"""
import numpy as np

from ..graph import Apply, Constant, Op
from .math import abs_, cast
from .type import DISCRETE_DTYPES, TensorType, as_tensor_variable
from .variable import provide

KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _checked_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"sort: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return kind


def _checked_axis(op, x):
    if x.ndim == 0:
        raise ValueError(f"{op}: cannot sort the 0-d {x}; sort a vector or pass axis=None")
    if not -x.ndim <= op.axis < x.ndim:
        raise ValueError(f"{op}: axis {op.axis} is out of range for {x} with {x.ndim} dims")


class _SortingOp(Op):
    """What sort and argsort share: an axis, a kind, one output shaped as the input."""

    __props__ = ("axis", "kind")

    def __init__(self, axis=-1, kind="quicksort"):
        self.axis, self.kind = int(axis), _checked_kind(kind)

    def make_node(self, x):
        x = as_tensor_variable(x)
        _checked_axis(self, x)
        return Apply(self, [x], [self.output_type(x)()])

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class SortOp(_SortingOp):
    """``x`` sorted along ``axis`` (nan last, as NumPy)."""

    def output_type(self, x):
        return x.type

    def reference(self, node, x):
        return (np.sort(x, axis=self.axis, kind=self.kind),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if not x.dtype.startswith("float"):
            return [None]
        order = ArgSortOp(self.axis, self.kind)(x)
        return [TakeAlongAxis(self.axis)(g, ArgSortOp(self.axis, "stable")(order))]


class ArgSortOp(_SortingOp):
    """The int64 indices that sort ``x`` along ``axis``."""

    def output_type(self, x):
        return TensorType("int64", shape=x.type.shape)

    def reference(self, node, x):
        return (np.argsort(x, axis=self.axis, kind=self.kind).astype(np.int64),)

    def grad(self, inputs, output_grads):
        return [None]


class TakeAlongAxis(Op):
    """``take_along_axis(x, indices, axis)``: the elements of ``x`` at
    ``indices`` along ``axis``; its gradient adds each output gradient back
    at the position it was taken from."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, indices):
        x, indices = as_tensor_variable(x), as_tensor_variable(indices)
        if indices.ndim != x.ndim:
            raise ValueError(f"{type(self).__name__}: indices {indices} must have the "
                             f"dims of {x}")
        return Apply(self, [x, indices], [TensorType(x.dtype, shape=indices.type.shape)()])

    def reference(self, node, x, indices):
        return (np.take_along_axis(x, indices, axis=self.axis),)

    def grad(self, inputs, output_grads):
        (x, indices), (g,) = inputs, output_grads
        return [AddAlongAxis(self.axis)(x, indices, g), None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]


class AddAlongAxis(Op):
    """Zeros shaped as ``x`` (of ``values``' dtype) with ``values`` added at
    ``indices`` along ``axis``: the gradient of TakeAlongAxis."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, indices, values):
        x, indices, values = (as_tensor_variable(v) for v in (x, indices, values))
        return Apply(self, [x, indices, values], [TensorType(values.dtype, shape=x.type.shape)()])

    def reference(self, node, x, indices, values):
        out = np.zeros(x.shape, dtype=values.dtype)
        position = list(np.ix_(*(np.arange(n) for n in indices.shape)))
        position[self.axis] = indices
        np.add.at(out, tuple(position), values)
        return (out,)

    def grad(self, inputs, output_grads):
        (_, indices, _), (g,) = inputs, output_grads
        return [None, None, TakeAlongAxis(self.axis)(g, indices)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def _flat_if_none(a, axis):
    a = as_tensor_variable(a)
    return (a.flatten(), 0) if axis is None else (a, axis)


def _sorting(op_class, name, a, axis, kind, order):
    if order is not None:
        raise ValueError(f"{name}: order= applies to structured arrays, which tensors are not")
    a, axis = _flat_if_none(a, axis)
    return op_class(axis, kind)(a)


def sort(a, axis=-1, kind="quicksort", order=None):
    """``a`` sorted along ``axis`` (None: the flattened array).

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor.
    axis : int or None
        The axis to sort along; None: the flattened tensor.
    kind : str
        NumPy's sorting algorithm ('quicksort', 'mergesort', 'heapsort', 'stable').
    order : None
        For NumPy's signature: structured arrays are not tensors.

    Returns
    -------
    TensorVariable
        Of a's dtype; 1-d for axis None.

    Examples
    --------
    >>> m = T.dmatrix('m')
    >>> f = theano.function([m], [T.sort(m), T.sort(m, axis=None)])
    >>> f(numpy.array([[3., 1., 2.], [0., 5., 4.]]))
    [array([[1., 2., 3.],
           [0., 4., 5.]]), array([0., 1., 2., 3., 4., 5.])]
    """
    return _sorting(SortOp, "sort", a, axis, kind, order)


def argsort(a, axis=-1, kind="quicksort", order=None):
    """Indices that sort ``a`` along ``axis`` (None: the flattened array).

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor.
    axis : int or None
        The axis to sort along; None: the flattened tensor.
    kind : str
        NumPy's sorting algorithm ('quicksort', 'mergesort', 'heapsort', 'stable').
    order : None
        For NumPy's signature: structured arrays are not tensors.

    Returns
    -------
    TensorVariable
        Of dtype int64.

    Examples
    --------
    >>> m = T.dmatrix('m')
    >>> theano.function([m], T.argsort(m))(numpy.array([[3., 1., 2.], [0., 5., 4.]]))
    array([[1, 2, 0],
           [0, 2, 1]])
    """
    return _sorting(ArgSortOp, "argsort", a, axis, kind, order)


# ---------------------------------------------------------------------------
# Top k
# ---------------------------------------------------------------------------


def most_extreme_first(x, axis, largest):
    """The int64 indices ordering ``x`` along ``axis`` from the largest (or
    the smallest) down; nan counts as the largest, as in NumPy's sort, and
    equal elements keep their order."""
    if not largest:
        return np.argsort(x, axis=axis, kind="stable")
    length = x.shape[axis]
    backwards = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return np.flip(length - 1 - backwards, axis)


class TopKOp(Op):
    """The ``|k|`` largest elements of ``x`` along ``axis`` (the smallest
    for k < 0) and their indices, most extreme first.

    Theano's op left the order unspecified (``sorted`` was not implemented);
    here it is always the sorted order, which satisfies both settings.
    """

    __props__ = ("axis", "idx_dtype")

    def __init__(self, axis=-1, idx_dtype="int64"):
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"topk: axis must be an integer, got {axis!r}")
        if np.dtype(idx_dtype).name not in DISCRETE_DTYPES or idx_dtype == "bool":
            raise TypeError(f"topk: idx_dtype must be an integer dtype, got {idx_dtype!r}")
        self.axis, self.idx_dtype = int(axis), np.dtype(idx_dtype).name

    def make_node(self, x, kth):
        x = as_tensor_variable(x)
        _checked_axis(self, x)
        kth = as_tensor_variable(kth)
        if kth.ndim != 0 or kth.dtype not in DISCRETE_DTYPES or kth.dtype == "bool":
            raise TypeError(f"topk: kth must be an integer scalar, got {kth} of type {kth.type}")
        shape = list(x.type.shape)
        shape[self.axis] = abs(int(kth.data)) if isinstance(kth, Constant) else None
        if shape[self.axis] == 0:
            raise ValueError("topk: kth must not be 0")
        return Apply(self, [x, kth], [TensorType(x.dtype, shape=shape)(),
                                      TensorType(self.idx_dtype, shape=shape)()])

    def reference(self, node, x, kth):
        k, length = int(kth), x.shape[self.axis]
        if k == 0 or abs(k) > length:
            raise ValueError(f"topk: kth={k} needs 1 <= |kth| <= {length}, the length of "
                             f"axis {self.axis} of the input of shape {x.shape}")
        order = most_extreme_first(x, self.axis, largest=k > 0)
        indices = np.take(order, np.arange(abs(k)), axis=self.axis)
        return np.take_along_axis(x, indices, axis=self.axis), indices.astype(self.idx_dtype)

    def grad(self, inputs, output_grads):
        (x, kth), (g_values, _) = inputs, output_grads
        if g_values is None or not x.dtype.startswith("float"):
            return [None, None]
        indices = self(x, kth)[1]
        return [AddAlongAxis(self.axis)(x, indices, g_values), None]

    def infer_shape(self, node, input_shapes):
        shape = list(input_shapes[0])
        shape[self.axis] = cast(abs_(node.inputs[1]), "int64")
        return [tuple(shape), tuple(shape)]


def topk_and_argtopk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):
    """(values, indices) of the ``kth`` largest elements along ``axis``
    (negative kth: the smallest; axis None: of the flattened array).

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    kth : int or integer scalar
        How many elements; a negative kth takes the -kth smallest.
    axis : int or None
        The axis to search along; None: the flattened tensor.
    sorted : bool
        Accepted for Theano's signature: the results are always sorted.
    idx_dtype : str
        The dtype of the indices.

    Returns
    -------
    tuple of TensorVariable
        The values, largest first (smallest first for a negative kth), and
        their indices along ``axis``.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> values, indices = T.topk_and_argtopk(x, 2)
    >>> theano.function([x], [values, indices])(numpy.array([[3., 1., 2.], [0., 5., 4.]]))
    [array([[3., 2.],
           [5., 4.]]), array([[0, 2],
           [1, 2]])]
    """
    x, axis = _flat_if_none(x, axis)
    return tuple(TopKOp(axis, idx_dtype)(x, kth))


def topk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):
    """The ``kth`` largest elements along ``axis``, largest first (negative
    kth: the smallest, smallest first).

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    kth : int or integer scalar
        How many elements; a negative kth takes the -kth smallest.
    axis : int or None
        The axis to search along; None: the flattened tensor.
    sorted : bool
        Accepted for Theano's signature: the results are always sorted.
    idx_dtype : str
        The dtype of the indices.

    Returns
    -------
    TensorVariable
        Of x's dtype, with length ``abs(kth)`` along ``axis``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], [T.topk(x, 2), T.topk(x, -2)])
    >>> f(numpy.array([3., 1., 2., 5.]))
    [array([5., 3.]), array([1., 2.])]
    """
    return topk_and_argtopk(x, kth, axis, sorted, idx_dtype)[0]


def argtopk(x, kth, axis=-1, sorted=True, idx_dtype="int64"):
    """The indices of ``topk(x, kth, axis)`` along ``axis``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    kth : int or integer scalar
        How many elements; a negative kth takes the -kth smallest.
    axis : int or None
        The axis to search along; None: the flattened tensor.
    sorted : bool
        Accepted for Theano's signature: the results are always sorted.
    idx_dtype : str
        The dtype of the indices.

    Returns
    -------
    TensorVariable
        Of dtype ``idx_dtype``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.argtopk(x, 2))(numpy.array([3., 1., 2., 5.]))
    array([3, 0])
    """
    return topk_and_argtopk(x, kth, axis, sorted, idx_dtype)[1]


provide(argsort=argsort, sort=sort)
