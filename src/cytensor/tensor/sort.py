"""Sorting: ``T.sort``, ``T.argsort`` (Theano's ``tensor/sort.py``).

NumPy's sort is the implementation.  The gradient of sort sends each
output gradient back to the position its element came from: it reorders
the output gradient by the inverse of the sorting permutation.
"""
import numpy as np

from ..graph import Apply, Op
from .type import TensorType, as_tensor_variable
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


class SortOp(Op):
    """``x`` sorted along ``axis`` (nan last, as NumPy)."""

    __props__ = ("axis", "kind")

    def __init__(self, axis=-1, kind="quicksort"):
        self.axis, self.kind = int(axis), _checked_kind(kind)

    def make_node(self, x):
        x = as_tensor_variable(x)
        _checked_axis(self, x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        return (np.sort(x, axis=self.axis, kind=self.kind),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if not x.dtype.startswith("float"):
            return [None]
        order = ArgSortOp(self.axis, self.kind)(x)
        return [PermuteAlongAxis(self.axis)(g, ArgSortOp(self.axis, "stable")(order))]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class ArgSortOp(Op):
    """The int64 indices that sort ``x`` along ``axis``."""

    __props__ = ("axis", "kind")

    def __init__(self, axis=-1, kind="quicksort"):
        self.axis, self.kind = int(axis), _checked_kind(kind)

    def make_node(self, x):
        x = as_tensor_variable(x)
        _checked_axis(self, x)
        return Apply(self, [x], [TensorType("int64", shape=x.type.shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        return (np.argsort(x, axis=self.axis, kind=self.kind).astype(np.int64),)

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class PermuteAlongAxis(Op):
    """``take_along_axis(x, permutation, axis)`` for a ``permutation`` of each
    line along ``axis``; its gradient is the inverse permutation."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, permutation):
        x, permutation = as_tensor_variable(x), as_tensor_variable(permutation)
        if permutation.ndim != x.ndim:
            raise ValueError(f"PermuteAlongAxis: {permutation} must have the dims of {x}")
        return Apply(self, [x, permutation], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x, permutation):
        return (np.take_along_axis(x, permutation, axis=self.axis),)

    def grad(self, inputs, output_grads):
        (_, permutation), (g,) = inputs, output_grads
        return [self(g, ArgSortOp(self.axis, "stable")(permutation)), None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def _flat_if_none(a, axis):
    a = as_tensor_variable(a)
    return (a.flatten(), 0) if axis is None else (a, axis)


def sort(a, axis=-1, kind="quicksort", order=None):
    """``a`` sorted along ``axis`` (None: the flattened array)."""
    if order is not None:
        raise ValueError("sort: order= applies to structured arrays, which tensors are not")
    a, axis = _flat_if_none(a, axis)
    return SortOp(axis, kind)(a)


def argsort(a, axis=-1, kind="quicksort", order=None):
    """Indices that sort ``a`` along ``axis`` (None: the flattened array)."""
    if order is not None:
        raise ValueError("argsort: order= applies to structured arrays, which tensors are not")
    a, axis = _flat_if_none(a, axis)
    return ArgSortOp(axis, kind)(a)


provide(argsort=argsort, sort=sort)
