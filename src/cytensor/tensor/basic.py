"""Shapes, allocation, reshaping and joining."""
import operator
from collections.abc import Sequence

import numpy as np

from .. import kernels
from ..config import config
from ..graph import Apply, Constant, Op
from .elemwise import DimShuffle, sum_to_shape_of
from .math import cast, sum as tsum
from .type import TensorType, as_tensor_variable, constant, upcast
from .variable import ops, provide   # ops: specify_shape, from subtensor.py above


def _static_int(v):
    """The value of a constant integer scalar (or Python int), else None."""
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, Constant) and v.data.ndim == 0:
        return int(v.data)
    if v.owner is not None and isinstance(v.owner.op, Shape_i) and \
            v.owner.inputs[0].type.shape[v.owner.op.i] is not None:
        return v.owner.inputs[0].type.shape[v.owner.op.i]
    return None


def _as_int_scalar(v, what):
    v = as_tensor_variable(v)
    if v.ndim != 0 or not (v.dtype.startswith("int") or v.dtype.startswith("uint")):
        raise TypeError(f"{what} must be an integer scalar, got {v} of type {v.type}")
    return v


class Shape(Op):
    """The shape of a tensor, as an int64 vector.

    Made by :func:`shape` and ``x.shape``.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(x.shape.owner.op)
    Shape
    >>> x.shape.eval({x: numpy.zeros((2, 3))})
    array([2, 3])
    """

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", shape=(x.ndim,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs[0].shape, dtype=np.int64)

    reference = lambda self, node, x: (np.array(x.shape, dtype=np.int64),)  # noqa: E731

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [(node.inputs[0].ndim,)]


class Shape_i(Op):
    """Length of axis ``i`` of a tensor, as an int64 scalar.

    The rewrites use it where one length of a shape is needed.

    Parameters
    ----------
    i : int
        The axis.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> T.Shape_i(1)(x).eval({x: numpy.zeros((2, 3))})
    array(3)
    """

    __props__ = ("i",)

    def __init__(self, i):
        self.i = i

    def __str__(self):
        return f"Shape_i{{{self.i}}}"      # as Theano printed it, in both print styles

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"{x} has {x.ndim} dimensions, no axis {self.i}")
        return Apply(self, [x], [TensorType("int64", shape=())()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs[0].shape[self.i], dtype=np.int64)

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: the last call's 0-d output takes the new length in place
        (a fresh array each call costs more than the read)."""
        general = super().make_thunk(node, input_cells, output_cells)
        (x_cell,), (out_cell,), axis = input_cells, output_cells, self.i

        def thunk():
            out = out_cell[0]
            if out is None:
                return general()
            out[()] = x_cell[0].shape[axis]
        return thunk

    def reference(self, node, x):
        return (np.array(x.shape[self.i], dtype=np.int64),)

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        return [()]


def shape(x):
    """The shape of ``x``, as a symbolic int64 vector.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.

    Returns
    -------
    TensorVariable
        A vector of length ``x.ndim``; ``x.shape`` is the same.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> theano.function([x], T.shape(x))(numpy.zeros((2, 5)))
    array([2, 5])
    """
    return Shape()(x)


def shape_tuple(x):
    """Per-axis lengths as symbolic scalars (constants where statically known)."""
    return tuple(axis_length(x, a) for a in range(x.ndim))


def axis_length(x, axis):
    """The length of ``x`` along ``axis``: a constant where statically known."""
    static = x.type.shape[axis]
    return constant(static, dtype="int64") if static is not None else Shape_i(axis)(x)


class LazyShape(Sequence):
    """``shape_tuple(x)`` whose lengths are made when first read: a rewrite
    that asks an op's ``infer_shape`` for one axis of one output builds no
    node for the inputs' other axes.  Indexing, slicing, iteration and
    ``+`` with tuples work as on the tuple."""

    def __init__(self, x):
        self.x = x
        self._lengths = [None] * x.ndim

    def __len__(self):
        return len(self._lengths)

    def __getitem__(self, axis):
        if isinstance(axis, slice):
            return tuple(self[a] for a in range(*axis.indices(len(self))))
        length = self._lengths[axis]
        if length is None:
            length = self._lengths[axis] = axis_length(self.x, axis % len(self))
        return length

    def __add__(self, other):
        return tuple(self) + tuple(other)

    def __radd__(self, other):
        return tuple(other) + tuple(self)


class MakeVector(Op):
    """A vector from scalars of one dtype.

    Made by :func:`stack` of scalars.

    Parameters
    ----------
    dtype : str
        The vector's dtype.

    Examples
    --------
    >>> a, b = T.dscalars('a', 'b')
    >>> v = T.stack([a, b])
    >>> print(v.owner.op)
    MakeVector{dtype='float64'}
    >>> theano.function([a, b], v)(1.0, 2.0)
    array([1., 2.])
    """

    __props__ = ("dtype",)

    def __init__(self, dtype="int64"):
        self.dtype = dtype

    def make_node(self, *scalars):
        scalars = [as_tensor_variable(s) for s in scalars]
        for s in scalars:
            if s.ndim != 0:
                raise TypeError(f"MakeVector takes scalars, got {s} with {s.ndim} dims")
        # a constant stays a constant, so its length stays known when nodes are rebuilt
        scalars = [constant(s.data.astype(self.dtype)) if isinstance(s, Constant) else
                   cast(s, self.dtype) for s in scalars]
        return Apply(self, scalars, [TensorType(self.dtype, shape=(len(scalars),))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array(inputs, dtype=self.dtype)

    def reference(self, node, *inputs):
        return (np.array(inputs, dtype=self.dtype),)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [g[i] for i in range(len(inputs))]

    def infer_shape(self, node, input_shapes):
        return [(len(node.inputs),)]


def as_shape_vector(shape):
    """A shape given as ints, scalars or a vector -> (int64 vector, static lengths)."""
    if isinstance(shape, (list, tuple)):
        items = [_as_int_scalar(s, "a shape entry") for s in shape]
        static = tuple(_static_int(s) for s in items)
        if not items:
            return constant(np.zeros(0, dtype="int64")), ()
        return MakeVector("int64")(*items), static
    vec = as_tensor_variable(shape)
    if vec.ndim != 1 or vec.type.shape[0] is None:
        raise TypeError(f"a shape must be a list of scalars or a vector of known length, "
                        f"got {vec} of type {vec.type}; pass ndim=")
    return vec, static_lengths(vec, vec.type.shape[0])


def static_lengths(vec, n):
    """The n lengths a shape vector fixes before run time (None where it does not)."""
    if isinstance(vec, Constant):
        return tuple(int(s) for s in np.asarray(vec.data).reshape(-1))
    if vec.owner is not None and isinstance(vec.owner.op, MakeVector):
        return tuple(_static_int(s) for s in vec.owner.inputs)
    return (None,) * n


class Alloc(Op):
    """An array of the given shape filled with ``value`` (broadcast).

    Made by :func:`alloc`, ``zeros``, ``ones`` and ``fill``.

    Examples
    --------
    >>> n = T.lscalar('n')
    >>> y = T.alloc(numpy.float64(0.5), n, 2)
    >>> print(y.owner.op)
    Alloc
    >>> theano.function([n], y)(1)
    array([[0.5, 0.5]])
    """

    def make_node(self, value, *shape):
        value = as_tensor_variable(value)
        shape = [_as_int_scalar(s, "an Alloc length") for s in shape]
        if value.ndim > len(shape):
            raise ValueError(f"Alloc: value {value} has more dimensions ({value.ndim}) "
                             f"than the shape ({len(shape)})")
        static = []
        offset = len(shape) - value.ndim
        for axis, s in enumerate(shape):
            known = _static_int(s)
            if axis >= offset:
                v = value.type.shape[axis - offset]
                if v is not None and v != 1 and known is not None and v != known:
                    raise ValueError(f"Alloc: value of shape {value.type.shape} does not "
                                     f"broadcast to length {known} on axis {axis}")
                known = known if known is not None else (v if v != 1 else None)
            static.append(known)
        return Apply(self, [value] + shape, [TensorType(value.dtype, shape=static)()])

    def perform(self, node, inputs, output_storage):
        value, shape = inputs[0], tuple(int(s) for s in inputs[1:])
        _check_lengths(shape, node)
        out = output_storage[0][0]
        if out is None or out.shape != shape:
            out = np.empty(shape, dtype=value.dtype)
        kernels.copy_into(out, value)
        output_storage[0][0] = out

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: the last call's output, when its lengths are still the
        ones asked for, is refilled in place (perform's checks and shape tuple
        cost several times the fill of a small array); else perform."""
        general = super().make_thunk(node, input_cells, output_cells)
        value_cell, length_cells, (out_cell,) = input_cells[0], input_cells[1:], output_cells
        copy_into, index = kernels.copy_into, operator.index

        def thunk():
            out = out_cell[0]
            if out is None:
                return general()
            for cell, length in zip(length_cells, out.shape):
                if index(cell[0]) != length:    # a 0-d array's != is slower
                    return general()
            copy_into(out, value_cell[0])
        return thunk

    def reference(self, node, value, *shape):
        return (np.broadcast_to(value, tuple(int(s) for s in shape)).copy(),)

    def grad(self, inputs, output_grads):
        value, (g,) = inputs[0], output_grads
        extra = g.ndim - value.ndim
        if extra:
            g = tsum(g, axis=list(range(extra)))
        return [sum_to_shape_of(g, value)] + [None] * (len(inputs) - 1)

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[1:])]


def _check_lengths(shape, node):
    if any(s < 0 for s in shape):
        raise ValueError(f"{node.op}: negative length in shape {shape}")


_alloc = Alloc()


def alloc(value, *shape):
    """``value`` broadcast to ``shape`` (Theano's T.alloc).

    Parameters
    ----------
    value : TensorVariable or array_like
        The fill value, or a tensor that broadcasts to ``shape``.
    *shape : int or scalar TensorVariable
        The lengths of the result.

    Returns
    -------
    TensorVariable
        Of ``value``'s dtype.

    Examples
    --------
    >>> n = T.lscalar('n')
    >>> theano.function([n], T.alloc(numpy.float64(7), 2, n))(3)
    array([[7., 7., 7.],
           [7., 7., 7.]])
    """
    return _alloc(value, *shape)


def fill(model, value):
    """``value`` broadcast to the shape of ``model`` (Theano's T.fill / second).

    Parameters
    ----------
    model : TensorVariable or array_like
        The tensor whose shape the result takes.
    value : TensorVariable or array_like
        The fill value (or a tensor broadcasting to that shape).

    Returns
    -------
    TensorVariable
        Of the common dtype of ``model`` and ``value``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.fill(x, 3))(numpy.zeros(2))
    array([3., 3.])
    """
    model = as_tensor_variable(model)
    value = as_tensor_variable(value)
    return alloc(cast(value, upcast(model.dtype, value.dtype)) if value.ndim == 0
                 else value, *shape_tuple(model))


def _dtype(dtype):
    return config.floatX if dtype in (None, "floatX") else np.dtype(dtype).name


def zeros(shape, dtype=None):
    """A tensor of zeros, like numpy's ``zeros``.

    Parameters
    ----------
    shape : int or sequence of (int or scalar TensorVariable)
        The lengths.
    dtype : str, optional
        Default ``config.floatX``.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> n = T.lscalar('n')
    >>> theano.function([n], T.zeros((n, 2), dtype='float64'))(2)
    array([[0., 0.],
           [0., 0.]])
    """
    shape = [shape] if isinstance(shape, int) else shape
    return alloc(constant(0, dtype=_dtype(dtype)), *shape)


def ones(shape, dtype=None):
    """A tensor of ones, like numpy's ``ones``.

    Parameters
    ----------
    shape : int or sequence of (int or scalar TensorVariable)
        The lengths.
    dtype : str, optional
        Default ``config.floatX``.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> T.ones((2, 3), dtype='int32').eval()
    array([[1, 1, 1],
           [1, 1, 1]], dtype=int32)
    """
    shape = [shape] if isinstance(shape, int) else shape
    return alloc(constant(1, dtype=_dtype(dtype)), *shape)


def zeros_like(x, dtype=None):
    """Zeros of the shape of ``x``, like numpy's ``zeros_like``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor whose shape the result takes.
    dtype : str, optional
        Default: ``x``'s dtype.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.lvector('x')
    >>> theano.function([x], T.zeros_like(x, dtype='float32'))(numpy.arange(3))
    array([0., 0., 0.], dtype=float32)
    """
    x = as_tensor_variable(x)
    return alloc(constant(0, dtype=dtype or x.dtype), *shape_tuple(x))


def ones_like(x, dtype=None):
    """Ones of the shape of ``x``, like numpy's ``ones_like``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor whose shape the result takes.
    dtype : str, optional
        Default: ``x``'s dtype.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> theano.function([x], T.ones_like(x))(numpy.zeros((1, 2)))
    array([[1., 1.]])
    """
    x = as_tensor_variable(x)
    return alloc(constant(1, dtype=dtype or x.dtype), *shape_tuple(x))


class Reshape(Op):
    """A view (or copy) of ``x`` with another shape; -1 infers one length.

    Made by :func:`reshape` and :func:`flatten`.

    Parameters
    ----------
    ndim : int
        The result's rank.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.reshape(x, (-1,)).owner.op)
    Reshape{ndim=1}
    """

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim):
        self.ndim = ndim

    def make_node(self, x, shape, static=None):
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        if static is None:                  # a rebuilt node: read the lengths off the shape
            static = static_lengths(shape, self.ndim)
        known = [s for s in static if s is not None and s != -1]
        total = None if None in x.type.shape else int(np.prod(x.type.shape))
        if total is not None and -1 not in static and None not in static \
                and int(np.prod(static)) != total:
            raise ValueError(f"cannot reshape {x} of static shape {x.type.shape} "
                             f"to {tuple(static)}")
        if total is not None and static.count(-1) == 1 and None not in static and known:
            static = tuple(total // int(np.prod(known)) if s == -1 else s for s in static)
        out_shape = tuple(None if s == -1 else s for s in static)
        return Apply(self, [x, shape], [TensorType(x.dtype, shape=out_shape)()])

    def perform(self, node, inputs, output_storage):
        x, shape = inputs
        try:
            output_storage[0][0] = x.reshape(tuple(int(s) for s in shape))
        except ValueError as e:
            raise ValueError(f"{e} (reshape of {x.shape} to {tuple(shape)})") from None

    def reference(self, node, x, shape):
        return (np.reshape(x, tuple(int(s) for s in shape)),)

    def grad(self, inputs, output_grads):
        (x, _), (g,) = inputs, output_grads
        return [reshape(g, shape(x), ndim=x.ndim), None]

    def infer_shape(self, node, input_shapes):
        vec = node.inputs[1]
        if vec.owner is None or not isinstance(vec.owner.op, MakeVector) or \
                any(_static_int(s) == -1 for s in vec.owner.inputs):
            raise NotImplementedError("a -1 length is known only after running")
        return [tuple(vec.owner.inputs)]


def reshape(x, newshape, ndim=None):
    """``x`` with shape ``newshape``, like numpy's ``reshape``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    newshape : int, sequence of (int or scalar TensorVariable), or int vector
        The new lengths; one may be -1 (inferred).
    ndim : int, optional
        The result's rank, needed when ``newshape`` is a symbolic vector.

    Returns
    -------
    TensorVariable
        The same elements, in C order.

    Raises
    ------
    ValueError
        For more than one -1, or (when the function runs) a size that does not match.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.reshape(x, (2, -1)))(numpy.arange(6.0))
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    x = as_tensor_variable(x)
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    if ndim is not None and not isinstance(newshape, (list, tuple)):
        vec = as_tensor_variable(newshape)
        return Reshape(ndim)(x, vec, (None,) * ndim)
    vec, static = as_shape_vector(newshape)
    if static.count(-1) > 1:
        raise ValueError(f"reshape: only one length may be -1, got {newshape}")
    return Reshape(len(static))(x, vec, static)


def flatten(x, ndim=1):
    """Keep the first ``ndim - 1`` axes of ``x`` and merge the rest into one.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    ndim : int
        The result's rank (1: a vector of all the elements).

    Returns
    -------
    TensorVariable

    Raises
    ------
    ValueError
        If ``ndim`` is not between 1 and ``x.ndim``.

    Examples
    --------
    >>> x = T.dtensor3('x')
    >>> f = theano.function([x], [T.flatten(x), T.flatten(x, 2)])
    >>> [r.shape for r in f(numpy.zeros((2, 3, 4)))]
    [(24,), (2, 12)]
    """
    x = as_tensor_variable(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be between 1 and {x.ndim}, got {ndim}")
    s = shape_tuple(x)
    return reshape(x, list(s[:ndim - 1]) + [-1])


def transpose(x, axes=None):
    """``x`` with its axes permuted, like numpy's ``transpose``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axes : sequence of int, optional
        The permutation; None reverses the axes.

    Returns
    -------
    TensorVariable
        A view of ``x``.

    Examples
    --------
    >>> x = T.dtensor3('x')
    >>> theano.function([x], T.transpose(x, (1, 2, 0)))(numpy.zeros((2, 3, 4))).shape
    (3, 4, 2)
    """
    x = as_tensor_variable(x)
    axes = list(reversed(range(x.ndim))) if axes is None else [a % x.ndim for a in axes]
    return DimShuffle(x.ndim, axes)(x)


class Join(Op):
    """Concatenate tensors along ``axis``.

    Made by :func:`concatenate` and :func:`join`.

    Parameters
    ----------
    axis : int
        The axis to join along.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.concatenate([x, x], axis=1).owner.op)
    Join{axis=1}
    """

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def make_node(self, *tensors):
        if not tensors:
            raise ValueError("concatenate needs at least one tensor")
        tensors = [as_tensor_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if ndim == 0:
            raise ValueError("zero-dimensional tensors cannot be concatenated")
        if any(t.ndim != ndim for t in tensors):
            raise ValueError("concatenate: all tensors must have the same number of "
                             f"dimensions, got {[t.ndim for t in tensors]}")
        if not 0 <= self.axis < ndim:
            raise ValueError(f"concatenate: axis {self.axis} out of range for {ndim} dims")
        dtype = upcast(*[t.dtype for t in tensors])
        shape = []
        for a in range(ndim):
            lengths = [t.type.shape[a] for t in tensors]
            if a == self.axis:
                shape.append(None if None in lengths else int(sum(lengths)))
            else:
                known = {s for s in lengths if s is not None}
                if len(known) > 1:
                    raise ValueError(f"concatenate: lengths differ on axis {a}: {lengths}")
                shape.append(known.pop() if known else None)
        return Apply(self, tensors, [TensorType(dtype, shape=shape)()])

    def check_shapes(self, inputs):
        """ValueError unless the inputs' shapes agree off the joined axis."""
        first = inputs[0]
        for x in inputs[1:]:
            if x.shape[:self.axis] + x.shape[self.axis + 1:] != \
                    first.shape[:self.axis] + first.shape[self.axis + 1:]:
                raise ValueError(
                    f"concatenate along axis {self.axis}: input shapes "
                    f"{[t.shape for t in inputs]} differ off that axis")

    def perform(self, node, inputs, output_storage):
        self.check_shapes(inputs)
        first = inputs[0]
        shape = list(first.shape)
        shape[self.axis] = sum(x.shape[self.axis] for x in inputs)
        shape, dtype = tuple(shape), node.outputs[0].type.numpy_dtype
        out = output_storage[0][0]      # the last call's, when it still fits (a loop's step)
        if type(out) is not np.ndarray or out.shape != shape or out.dtype != dtype \
                or not out.flags.c_contiguous or not out.flags.writeable \
                or any(np.may_share_memory(out, x) for x in inputs):
            out = np.empty(shape, dtype=dtype)
        # the inputs upcast to the output's dtype, as NumPy's astype does
        np.concatenate(inputs, axis=self.axis, out=out, casting="unsafe")
        output_storage[0][0] = out

    def reference(self, node, *inputs):
        return (np.concatenate(inputs, axis=self.axis).astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        grads, start = [], 0
        for x in inputs:
            length = shape_tuple(x)[self.axis]
            index = [slice(None)] * g.ndim
            index[self.axis] = slice(start, start + length)
            gx = g[tuple(index)]
            grads.append(cast(gx, x.dtype) if x.dtype.startswith("float") else None)
            start = start + length
        return grads

    def infer_shape(self, node, input_shapes):
        out = list(input_shapes[0])
        out[self.axis] = sum(s[self.axis] for s in input_shapes)
        return [tuple(out)]


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis, like numpy's ``concatenate``.

    Parameters
    ----------
    tensors : sequence of TensorVariable or array_like
        Of equal rank and of equal lengths except along ``axis``.
    axis : int
        The axis to join along.

    Returns
    -------
    TensorVariable

    Raises
    ------
    ValueError
        Given no tensors, or (when the function runs) lengths that differ.

    Examples
    --------
    >>> x, y = T.dmatrices('x', 'y')
    >>> f = theano.function([x, y], T.concatenate([x, y], axis=1))
    >>> f(numpy.zeros((2, 1)), numpy.ones((2, 2)))
    array([[0., 1., 1.],
           [0., 1., 1.]])
    """
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    return Join(axis % max(tensors[0].ndim, 1))(*tensors)


def stack(*tensors, axis=0):
    """Join tensors of equal shape along a new axis, like numpy's ``stack``.

    Called as ``stack([x, y], axis)``, or in Theano's older form ``stack(x, y, z)``.

    Parameters
    ----------
    *tensors : TensorVariable or array_like, or one list of them
        Of equal shape.
    axis : int
        The position of the new axis.

    Returns
    -------
    TensorVariable
        Of one more dimension.

    Raises
    ------
    ValueError
        Given no tensors.

    Examples
    --------
    >>> a, b = T.dscalars('a', 'b')
    >>> theano.function([a, b], T.stack([a, b]))(1.0, 2.0)
    array([1., 2.])
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.function([x, y], T.stack([x, y], axis=1))(numpy.zeros(3), numpy.ones(3)).shape
    (3, 2)
    """
    if tensors and isinstance(tensors[0], (list, tuple)):
        if len(tensors) > 2:
            raise TypeError("stack(list, axis): give the tensors as one list")
        tensors, axis = tensors[0], tensors[1] if len(tensors) == 2 else axis
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    ndim = tensors[0].ndim
    axis = axis % (ndim + 1)
    if ndim == 0:
        dtype = upcast(*[t.dtype for t in tensors])
        return MakeVector(dtype)(*tensors)
    expanded = [t.dimshuffle(list(range(axis)) + ["x"] + list(range(axis, ndim)))
                for t in tensors]
    return Join(axis)(*expanded)


class ARange(Op):
    """Evenly spaced values in [start, stop) (NumPy's arange).

    Made by :func:`arange`.

    Parameters
    ----------
    dtype : str
        The values' dtype.

    Examples
    --------
    >>> op = T.ARange('int64')
    >>> op(0, 5, 2).eval()
    array([0, 2, 4])
    """

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, start, stop, step):
        start, stop, step = [as_tensor_variable(v) for v in (start, stop, step)]
        for v in (start, stop, step):
            if v.ndim != 0:
                raise TypeError(f"arange takes scalars, got {v} of type {v.type}")
        return Apply(self, [start, stop, step], [TensorType(self.dtype, shape=(None,))()])

    def perform(self, node, inputs, output_storage):
        # Python scalars: np.arange takes 30 us to read three 0-d arrays, 1 us for scalars
        output_storage[0][0] = self.reference(node, *(v.item() for v in inputs))[0]

    def reference(self, node, start, stop, step):
        if step == 0:
            raise ValueError("arange: step must not be zero")
        return (np.arange(start, stop, step, dtype=self.dtype),)

    def grad(self, inputs, output_grads):
        return [None, None, None]


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop), like numpy's ``arange``.

    Parameters
    ----------
    start : int, float or scalar TensorVariable
        The first value; alone, it is ``stop`` and the start is 0.
    stop : int, float or scalar TensorVariable, optional
        The end (not included).
    step : int, float or scalar TensorVariable
        The spacing.
    dtype : str, optional
        Default: int64 for integer arguments, else their common dtype.

    Returns
    -------
    TensorVariable
        A vector.

    Examples
    --------
    >>> n = T.lscalar('n')
    >>> theano.function([n], T.arange(n))(4)
    array([0, 1, 2, 3])
    >>> T.arange(1.0, 2.0, 0.25).eval()     # Python floats make float32 constants when exact
    array([1.  , 1.25, 1.5 , 1.75], dtype=float32)
    """
    if stop is None:
        start, stop = 0, start
    start, stop, step = [as_tensor_variable(v) for v in (start, stop, step)]
    if dtype is None:
        dtype = upcast(start.dtype, stop.dtype, step.dtype)
        if dtype.startswith("int"):
            dtype = "int64"
    return ARange(np.dtype(_dtype(dtype)).name)(start, stop, step)


def addbroadcast(x, *axes):
    """``x`` with length-1 axes declared broadcastable (checked when the function runs).

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    *axes : int
        The axes whose length is 1.

    Returns
    -------
    TensorVariable
        ``x``, of static length 1 along ``axes``.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> T.addbroadcast(x, 0).broadcastable
    (True, False)
    >>> theano.function([x], T.addbroadcast(x, 0) + x)(numpy.ones((1, 2)))
    array([[2., 2.]])
    """
    x = as_tensor_variable(x)
    shape = [1 if a in axes else s for a, s in enumerate(x.type.shape)]
    return ops.specify_shape(x, shape)


def shape_padleft(x, n=1):
    """``x`` with ``n`` broadcastable axes of length 1 added in front.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    n : int
        How many axes to add.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> T.shape_padleft(T.dvector('x'), 2).broadcastable
    (True, True, False)
    """
    x = as_tensor_variable(x)
    return x.dimshuffle(["x"] * n + list(range(x.ndim)))


def shape_padright(x, n=1):
    """``x`` with ``n`` broadcastable axes of length 1 added at the end.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    n : int
        How many axes to add.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> T.shape_padright(T.dvector('x')).broadcastable
    (False, True)
    """
    x = as_tensor_variable(x)
    return x.dimshuffle(list(range(x.ndim)) + ["x"] * n)


def shape_padaxis(x, axis):
    """``x`` with a broadcastable axis of length 1 inserted at ``axis`` (also ``expand_dims``).

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : int
        The new axis's position in the result (negative: from the end).

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> T.shape_padaxis(x, 1).broadcastable
    (False, True, False)
    >>> T.expand_dims(x, -1).broadcastable
    (False, False, True)
    """
    x = as_tensor_variable(x)
    axis = axis % (x.ndim + 1)
    return x.dimshuffle(list(range(axis)) + ["x"] + list(range(axis, x.ndim)))


expand_dims = shape_padaxis


def squeeze(x):
    """``x`` without its broadcastable (static length-1) axes.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.TensorType('float64', shape=(1, None, 1))('x')
    >>> theano.function([x], T.squeeze(x))(numpy.zeros((1, 3, 1))).shape
    (3,)
    """

    x = as_tensor_variable(x)
    return x.dimshuffle([a for a, b in enumerate(x.broadcastable) if not b])


provide(transpose=transpose, shape=shape, reshape=reshape, flatten=flatten, squeeze=squeeze,
        zeros_like=zeros_like, ones_like=ones_like, alloc=alloc, stack=stack)
