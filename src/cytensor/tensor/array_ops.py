"""Building and rearranging arrays, under the names Theano's ``tensor/basic.py`` used:
``join``, ``stacklists``, ``eye``, ``tri``/``tril``/``triu``, ``mgrid``/``ogrid``,
``tile``, ``roll``, ``diag``/``diagonal``/``trace``, ``nonzero``, ``choose``,
``patternbroadcast``, ``batched_dot``...

Most are compositions of existing ops (arange, comparisons, Alloc, indexing,
Join), so their gradients and shapes come from those ops.  The few new ops
(Rebroadcast, Nonzero, Choose, ExtractDiag, AllocDiag) each call NumPy,
which is the honest implementation of a data-dependent or copying step.
"""

import functools

import numpy as np

from ..graph import Apply, Op
from . import math as tm
from .basic import (_dtype, alloc, arange, concatenate, fill, reshape, shape_tuple, stack,
                    zeros_like)
from .elemwise import broadcast_static_shape, sum_to_shape_of
from .sort import ArgSortOp
from .subtensor import set_subtensor
from .type import TensorType, as_tensor_variable, constant
from .variable import provide


def join(axis, *tensors):
    """Concatenate ``tensors`` along ``axis`` (Theano's argument order).

    Parameters
    ----------
    axis : int
        The axis to join along.
    *tensors : TensorVariable or array_like
        Of equal rank.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.function([x, y], T.join(0, x, y))(numpy.zeros(1), numpy.ones(2))
    array([0., 1., 1.])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    axis = int(axis.data) if hasattr(axis, "data") else axis
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"join: axis must be a constant integer, got {axis!r}")
    return concatenate(list(tensors), axis=int(axis))


def stacklists(arg):
    """A tensor from nested lists of scalars or tensors (``stacklists([[a, b], [c, d]])``).

    Parameters
    ----------
    arg : nested lists of scalars or tensors
        The elements, as a nested list.

    Returns
    -------
    TensorVariable
        Of one more dimension per level of nesting.

    Examples
    --------
    >>> a, b, c, d = T.dscalars('a', 'b', 'c', 'd')
    >>> m = T.stacklists([[a, b], [c, d]])
    >>> theano.function([a, b, c, d], m)(1, 2, 3, 4)
    array([[1., 2.],
           [3., 4.]])
    """
    if isinstance(arg, (list, tuple)):
        return stack([stacklists(a) for a in arg])
    return as_tensor_variable(arg)


# ---------------------------------------------------------------------------
# Triangles and identities: comparisons of row and column indices
# ---------------------------------------------------------------------------

def _index_grid(n, m, k):
    """The bool matrix ``col - row == k`` pieces are cut from: (rows + k, cols)."""
    return arange(n, dtype="int64").dimshuffle(0, "x") + k, \
        arange(m, dtype="int64").dimshuffle("x", 0)


def eye(n, m=None, k=0, dtype=None):
    """An n x m matrix with ones on diagonal ``k`` (floatX by default).

    Parameters
    ----------
    n : int or scalar TensorVariable
        The rows.
    m : int or scalar TensorVariable, optional
        The columns (default ``n``).
    k : int or scalar TensorVariable
        The diagonal: 0 the main one, positive above, negative below.
    dtype : str, optional
        Default ``config.floatX``.

    Returns
    -------
    TensorVariable
        A matrix.

    Examples
    --------
    >>> T.eye(2, 3, k=1).eval()
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    rows, cols = _index_grid(n, n if m is None else m, k)
    return tm.cast(tm.eq(rows, cols), _dtype(dtype))


def identity_like(x):
    """An identity matrix of the shape and dtype of the matrix ``x``.

    Parameters
    ----------
    x : TensorVariable
        A matrix.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> theano.function([x], T.identity_like(x))(numpy.zeros((2, 2)))
    array([[1., 0.],
           [0., 1.]])
    """
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"identity_like takes a matrix, got {x} with {x.ndim} dims")
    return eye(x.shape[0], x.shape[1], dtype=x.dtype)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below diagonal ``k`` of an N x M matrix, zeros above.

    Parameters
    ----------
    N : int or scalar TensorVariable
        The rows.
    M : int or scalar TensorVariable, optional
        The columns (default ``N``).
    k : int
        The diagonal.
    dtype : str, optional
        Default ``config.floatX``.

    Returns
    -------
    TensorVariable
        A matrix.

    Examples
    --------
    >>> T.tri(3, dtype='int8').eval()
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]], dtype=int8)
    """
    rows, cols = _index_grid(N, N if M is None else M, k)
    return tm.cast(tm.ge(rows, cols), _dtype(dtype))


def _lower_mask(m, k):
    m = as_tensor_variable(m)
    if m.ndim < 2:
        raise ValueError(f"tril/triu take a matrix (or a stack of them), got {m.ndim} dims")
    rows, cols = _index_grid(m.shape[-2], m.shape[-1], k)
    return m, tm.ge(rows, cols)


def tril(m, k=0):
    """``m`` with the entries above diagonal ``k`` set to zero (last two axes).

    Parameters
    ----------
    m : TensorVariable
        Of two or more dimensions.
    k : int
        The diagonal (0: the main one; positive: above it).

    Returns
    -------
    TensorVariable
        Of ``m``'s shape and dtype.

    Examples
    --------
    >>> m = T.dmatrix('m')
    >>> theano.function([m], T.tril(m))(numpy.ones((2, 2)))
    array([[1., 0.],
           [1., 1.]])
    """
    m, keep = _lower_mask(m, k)
    return tm.switch(keep, m, tm.cast(0, m.dtype))


def triu(m, k=0):
    """``m`` with the entries below diagonal ``k`` set to zero (last two axes).

    Parameters
    ----------
    m : TensorVariable
        Of two or more dimensions.
    k : int
        The diagonal (0: the main one; positive: above it).

    Returns
    -------
    TensorVariable
        Of ``m``'s shape and dtype.

    Examples
    --------
    >>> m = T.dmatrix('m')
    >>> theano.function([m], T.triu(m, 1))(numpy.ones((2, 2)))
    array([[0., 1.],
           [0., 0.]])
    """
    m, below = _lower_mask(m, k - 1)
    return tm.switch(below, tm.cast(0, m.dtype), m)


# ---------------------------------------------------------------------------
# mgrid / ogrid
# ---------------------------------------------------------------------------

class _Grid:
    """``mgrid[0:4, 0:3]``: one coordinate tensor per slice, dense or open.

    ``T.mgrid`` gives dense coordinate tensors, ``T.ogrid`` open ones (one
    axis each), like NumPy's.

    Examples
    --------
    >>> rows, cols = T.mgrid[0:2, 0:3]
    >>> rows.eval()
    array([[0, 0, 0],
           [1, 1, 1]])
    >>> T.ogrid[0:2, 0:3][1].eval()
    array([[0, 1, 2]])
    """

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, slices):
        slices = slices if isinstance(slices, tuple) else (slices,)
        for s in slices:
            if not isinstance(s, slice) or s.stop is None:
                raise TypeError(f"{'ogrid' if self.sparse else 'mgrid'} takes slices "
                                f"with a stop, like [0:5, 0:3], got {s!r}")
        ranges = [arange(0 if s.start is None else s.start, s.stop,
                         1 if s.step is None else s.step) for s in slices]
        ndim = len(ranges)
        axes = [["x"] * a + [0] + ["x"] * (ndim - a - 1) for a in range(ndim)]
        open_grid = [r.dimshuffle(pattern) for r, pattern in zip(ranges, axes)]
        if self.sparse:
            return open_grid
        lengths = [r.shape[0] for r in ranges]
        return [alloc(g, *lengths) for g in open_grid]


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)


# ---------------------------------------------------------------------------
# tile, roll, largest/smallest, second
# ---------------------------------------------------------------------------

def tile(x, reps, ndim=None):
    """``x`` repeated ``reps[i]`` times along each axis i (NumPy's tile).

    ``reps`` shorter than x.ndim is padded with leading ones; longer (or
    ``ndim`` larger) gives x leading axes of length 1, as in NumPy.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    reps : int or sequence of (int or scalar TensorVariable)
        The repetitions per axis.
    ndim : int, optional
        The result's rank.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.tile(x, (2, 2)))(numpy.array([1.0, 2.0]))
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.]])
    """
    x = as_tensor_variable(x)
    if isinstance(reps, (int, np.integer)) or (hasattr(reps, "ndim") and reps.ndim == 0):
        reps = [reps]
    if not isinstance(reps, (list, tuple)):
        vec = as_tensor_variable(reps)
        if vec.ndim != 1 or vec.type.shape[0] is None:
            raise ValueError("tile: reps must be a list, or a vector of known length")
        reps = [vec[i] for i in range(vec.type.shape[0])]
    ndim = max(len(reps), x.ndim, ndim or 0)
    reps = [1] * (ndim - len(reps)) + list(reps)
    x = x.dimshuffle(["x"] * (ndim - x.ndim) + list(range(x.ndim)))
    lengths = shape_tuple(x)
    interleaved = x.dimshuffle([p for a in range(ndim) for p in ("x", a)])
    spread = alloc(interleaved, *[v for r, n in zip(reps, lengths) for v in (r, n)])
    return reshape(spread, [r * n for r, n in zip(reps, lengths)])


def roll(x, shift, axis=None):
    """Elements of ``x`` shifted by ``shift`` along ``axis`` (None: the
    flattened array), those pushed off one end coming back at the other.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    shift : int or scalar TensorVariable
        How far to shift (negative: backwards).
    axis : int, optional
        The axis; None: the flattened array, reshaped back.

    Returns
    -------
    TensorVariable
        Of ``x``'s shape.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.roll(x, 1))(numpy.array([1.0, 2.0, 3.0]))
    array([3., 1., 2.])
    """
    x = as_tensor_variable(x)
    if axis is None:
        return reshape(roll(x.flatten(), shift, 0), x.shape, ndim=x.ndim)
    if isinstance(axis, (list, tuple)):
        shifts = shift if isinstance(shift, (list, tuple)) else [shift] * len(axis)
        for s, a in zip(shifts, axis):
            x = roll(x, s, a)
        return x
    axis = tm.normalize_axis(axis, x.ndim)[0] if x.ndim else 0
    length = x.shape[axis]
    # s in [0, length); the empty axis keeps s = 0 instead of dividing by zero.
    s = tm.switch(tm.eq(length, 0), 0, shift % tm.maximum(length, 1))
    before = (slice(None),) * axis
    return concatenate([x[before + (slice(length - s, None),)],
                        x[before + (slice(None, length - s),)]], axis=axis)


def largest(*args):
    """The elementwise maximum of all the arguments.

    Parameters
    ----------
    *args : TensorVariable or array_like
        Broadcast against each other.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a, b, c = T.dvectors('a', 'b', 'c')
    >>> f = theano.function([a, b, c], T.largest(a, b, c))
    >>> f(numpy.array([1.0, 9.0]), numpy.array([5.0, 2.0]), numpy.array([3.0, 3.0]))
    array([5., 9.])
    """
    if len(args) == 2:
        return tm.maximum(*args)
    return tm.max(stack(list(args)), axis=0)


def smallest(*args):
    """The elementwise minimum of all the arguments.

    Parameters
    ----------
    *args : TensorVariable or array_like
        Broadcast against each other.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a, b, c = T.dvectors('a', 'b', 'c')
    >>> f = theano.function([a, b, c], T.smallest(a, b, c))
    >>> f(numpy.array([1.0, 9.0]), numpy.array([5.0, 2.0]), numpy.array([3.0, 3.0]))
    array([1., 2.])
    """
    if len(args) == 2:
        return tm.minimum(*args)
    return tm.min(stack(list(args)), axis=0)


def second(a, b):
    """``b`` broadcast to the shape of ``a`` (Theano's name for fill).

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor whose shape the result takes.
    b : TensorVariable or array_like
        The values.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a = T.dvector('a')
    >>> theano.function([a], T.second(a, 5.0))(numpy.zeros(3))
    array([5., 5., 5.])
    """
    return fill(a, b)


# ---------------------------------------------------------------------------
# Broadcastable patterns
# ---------------------------------------------------------------------------

class Rebroadcast(Op):
    """Change which axes the type declares broadcastable (length 1).

    ``axes`` is a tuple of (axis, broadcastable) pairs; an axis made
    broadcastable is checked to have length 1 when the function runs.

    Made by :func:`patternbroadcast`, :func:`unbroadcast` and :func:`addbroadcast`.

    Parameters
    ----------
    *axes : pair of (int, bool)
        Each axis and whether it becomes broadcastable.

    Examples
    --------
    >>> r = T.drow('r')
    >>> print(T.unbroadcast(r, 0).owner.op)
    Rebroadcast{axes=((0, False),)}
    """

    __props__ = ("axes",)
    view_map = {0: [0]}

    def __init__(self, *axes):
        self.axes = tuple(sorted((int(a), bool(b)) for a, b in axes))

    def make_node(self, x):
        x = as_tensor_variable(x)
        shape = list(x.type.shape)
        for axis, broadcastable in self.axes:
            if not 0 <= axis < x.ndim:
                raise ValueError(f"Rebroadcast: {x} has {x.ndim} dims, no axis {axis}")
            if broadcastable:
                if shape[axis] not in (None, 1):
                    raise ValueError(f"Rebroadcast: axis {axis} of {x} has length "
                                     f"{shape[axis]}, it cannot be broadcastable")
                shape[axis] = 1
            elif shape[axis] == 1:
                shape[axis] = None
        return Apply(self, [x], [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        for axis, broadcastable in self.axes:
            if broadcastable and x.shape[axis] != 1:
                raise ValueError(f"{node.inputs[0]} was declared broadcastable on axis "
                                 f"{axis}, but has shape {x.shape}")
        output_storage[0][0] = x.view()

    def reference(self, node, x):
        return (x,)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        return [Rebroadcast(*[(a, x.broadcastable[a]) for a, _ in self.axes])(g)]

    def infer_shape(self, node, input_shapes):
        shape = list(input_shapes[0])
        for axis, broadcastable in self.axes:
            if broadcastable:
                shape[axis] = 1
        return [tuple(shape)]


def patternbroadcast(x, broadcastable):
    """``x`` with the broadcastable pattern ``broadcastable`` (one bool per axis).

    Parameters
    ----------
    x : TensorVariable
        The tensor.
    broadcastable : sequence of bool
        One per axis; True declares an axis of length 1 (checked when the function runs).

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> T.patternbroadcast(x, (True, False)).broadcastable
    (True, False)
    """
    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast: {x} has {x.ndim} dims, the pattern "
                         f"{tuple(broadcastable)} has {len(broadcastable)}")
    changes = [(a, b) for a, b in enumerate(broadcastable) if bool(b) != x.broadcastable[a]]
    return Rebroadcast(*changes)(x) if changes else x


def unbroadcast(x, *axes):
    """``x`` with ``axes`` no longer declared broadcastable.

    Parameters
    ----------
    x : TensorVariable
        The tensor.
    *axes : int
        The axes.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> r = T.drow('r')
    >>> r.broadcastable, T.unbroadcast(r, 0).broadcastable
    ((True, False), (False, False))
    """
    x = as_tensor_variable(x)
    changes = [(a, False) for a in axes if x.broadcastable[a]]
    return Rebroadcast(*changes)(x) if changes else x


# ---------------------------------------------------------------------------
# nonzero
# ---------------------------------------------------------------------------

class Nonzero(Op):
    """The indices of the non-zero elements, as an int64 matrix (one row per axis).

    Made by :func:`nonzero`, :func:`flatnonzero` and :func:`nonzero_values`.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> m = T.nonzero(x, return_matrix=True)
    >>> print(m.owner.op)
    Nonzero
    >>> m.eval({x: numpy.array([[0.0, 1.0], [2.0, 0.0]])})
    array([[0, 1],
           [1, 0]])
    """

    def make_node(self, a):
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f"nonzero takes an array of at least one dimension, got {a}")
        return Apply(self, [a], [TensorType("int64", shape=(a.ndim, None))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, a):
        return (np.array(np.nonzero(a), dtype=np.int64).reshape(a.ndim, -1),)

    def grad(self, inputs, output_grads):
        return [None]


def nonzero(a, return_matrix=False):
    """The indices of the non-zero elements of ``a``: a tuple of vectors (one per
    axis, as NumPy), or with ``return_matrix`` one int64 matrix of them.

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor.
    return_matrix : bool
        Return one int64 matrix (a row per axis) instead of a tuple.

    Returns
    -------
    tuple of TensorVariable or TensorVariable
        int64 index vectors, one per axis.

    Examples
    --------
    >>> m = T.dmatrix('m')
    >>> rows, cols = T.nonzero(m)
    >>> theano.function([m], [rows, cols])(numpy.array([[0.0, 1.0], [2.0, 0.0]]))
    [array([0, 1]), array([1, 0])]
    """
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[axis] for axis in range(matrix.type.shape[0]))


def flatnonzero(a):
    """The indices of the non-zero elements of the flattened ``a``.

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor.

    Returns
    -------
    TensorVariable
        An int64 vector.

    Examples
    --------
    >>> m = T.dmatrix('m')
    >>> theano.function([m], T.flatnonzero(m))(numpy.array([[0.0, 1.0], [2.0, 0.0]]))
    array([1, 2])
    """
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError(f"flatnonzero takes an array of at least one dimension, got {a}")
    return Nonzero()(a.flatten())[0]


def nonzero_values(a):
    """The non-zero elements of ``a``, in the flattened order.

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor.

    Returns
    -------
    TensorVariable
        A vector of ``a``'s dtype.

    Examples
    --------
    >>> m = T.dmatrix('m')
    >>> theano.function([m], T.nonzero_values(m))(numpy.array([[0.0, 1.0], [2.0, 0.0]]))
    array([1., 2.])
    """
    a = as_tensor_variable(a)
    return a.flatten()[flatnonzero(a)]


# ---------------------------------------------------------------------------
# choose
# ---------------------------------------------------------------------------

class Choose(Op):
    """``choices[a[i]][i]`` for every index i (NumPy's choose): ``a`` and
    each alternative ``choices[j]`` broadcast against each other, a length-1
    axis only where its type declares it (as in Elemwise, so that the
    gradient knows which axes to sum).  Made by :func:`choose`.

    Parameters
    ----------
    mode : {'raise', 'wrap', 'clip'}
        What an index out of range does: raise IndexError, wrap around, or
        clip to the first or last alternative.

    Examples
    --------
    >>> i, m = T.ivector('i'), T.dmatrix('m')
    >>> f = theano.function([i, m], T.choose(i, m))
    >>> f(numpy.array([0, 1, 0], 'int32'), numpy.array([[3., 1., 2.], [0., 5., 4.]]))
    array([3., 5., 2.])
    """

    __props__ = ("mode",)

    def __init__(self, mode="raise"):
        if mode not in ("raise", "wrap", "clip"):
            raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
        self.mode = mode

    def make_node(self, a, choices):
        a, choices = as_tensor_variable(a), as_tensor_variable(choices)
        if not (a.dtype.startswith("int") or a.dtype.startswith("uint") or a.dtype == "bool"):
            raise TypeError(f"choose: the index array {a} must be integer, not {a.dtype}")
        if choices.ndim == 0:
            raise TypeError("choose: choices must have a leading axis of alternatives")
        ndim = max(a.ndim, choices.ndim - 1)
        a = _pad_left(a, ndim)
        choices = choices.dimshuffle([0] + ["x"] * (ndim + 1 - choices.ndim)
                                     + list(range(1, choices.ndim)))
        shape = broadcast_static_shape([a, _drop_first_axis(choices)], self)
        return Apply(self, [a, choices], [TensorType(choices.dtype, shape=shape)()])

    def reference(self, node, a, choices):
        self._check_declared_broadcasts(node, a, choices)
        return (np.asarray(np.choose(a, choices, mode=self.mode)),)

    def _check_declared_broadcasts(self, node, a, choices):
        index, alternatives = node.inputs
        for axis, (la, lc) in enumerate(zip(a.shape, choices.shape[1:])):
            for var, length, other, declared in (
                    (index, la, lc, index.type.shape[axis]),
                    (alternatives, lc, la, alternatives.type.shape[axis + 1])):
                if length == 1 and other != 1 and declared != 1:
                    raise ValueError(
                        f"choose: {var} has length 1 along axis {axis} of the result but its "
                        f"type {var.type} does not declare that axis broadcastable, and "
                        f"the other side has length {other}; declare it with T.row/T.col, "
                        "shape=(..., 1, ...) or T.addbroadcast")

    def grad(self, inputs, output_grads):
        (a, choices), (g,) = inputs, output_grads
        if not choices.dtype.startswith("float"):
            return [None, None]
        n = choices.shape[0]
        index = a % n if self.mode == "wrap" else tm.clip(a, 0, n - 1) if self.mode == "clip" \
            else a
        alternatives = arange(n).dimshuffle([0] + ["x"] * a.ndim)
        picked = tm.eq(index.dimshuffle(["x"] + list(range(a.ndim))), alternatives)
        per_choice = tm.switch(picked, g.dimshuffle(["x"] + list(range(g.ndim))), 0)
        return [None, sum_to_shape_of(tm.cast(per_choice, choices.dtype), choices)]

    def infer_shape(self, node, input_shapes):
        a_shape, choices_shape = input_shapes[0], input_shapes[1][1:]
        a, choices = node.inputs
        return [tuple(la if not a.broadcastable[i] else lc
                      for i, (la, lc) in enumerate(zip(a_shape, choices_shape)))]


def _drop_first_axis(choices):
    return TensorType(choices.dtype, shape=choices.type.shape[1:])()


def _pad_left(x, ndim):
    """``x`` with broadcastable axes in front, to ``ndim`` dimensions."""
    return x.dimshuffle(["x"] * (ndim - x.ndim) + list(range(x.ndim)))


def broadcast_together(tensors):
    """The tensors broadcast to their common shape (NumPy's broadcast_arrays)."""
    tensors = [as_tensor_variable(t) for t in tensors]
    ndim = max(t.ndim for t in tensors)
    tensors = [_pad_left(t, ndim) for t in tensors]
    static = broadcast_static_shape(tensors, "choose")
    lengths = []
    for axis in range(ndim):
        stretched = [shape_tuple(t)[axis] for t in tensors if not t.broadcastable[axis]]
        lengths.append(static[axis] if static[axis] is not None
                       else functools.reduce(tm.maximum, stretched))
    return [t if t.type.shape == static else alloc(t, *lengths) for t in tensors]


def choose(a, choices, out=None, mode="raise"):
    """``choices[a]`` elementwise; ``choices`` a tensor whose first axis holds
    the alternatives, or a list of tensors; the index array and the
    alternatives broadcast against each other, as in NumPy.

    Parameters
    ----------
    a : integer TensorVariable or array_like
        Which alternative each element takes.
    choices : TensorVariable or list of TensorVariable
        The alternatives.
    out : None
        For NumPy's signature: results are new arrays.
    mode : {'raise', 'wrap', 'clip'}
        What an index out of range does (as in NumPy).

    Returns
    -------
    TensorVariable
        Of the alternatives' common dtype and broadcast shape.

    Raises
    ------
    ValueError
        If ``out`` is given, or for shapes that do not broadcast.

    Examples
    --------
    >>> i, m = T.ivector('i'), T.dmatrix('m')
    >>> f = theano.function([i, m], T.choose(i, m))
    >>> f(numpy.array([0, 1, 0], 'int32'), numpy.array([[3., 1., 2.], [0., 5., 4.]]))
    array([3., 5., 2.])
    """
    if out is not None:
        raise ValueError("choose: out= is not supported (results are new arrays)")
    if isinstance(choices, (list, tuple)):
        choices = stack(broadcast_together(choices))
    return Choose(mode)(a, choices)


# ---------------------------------------------------------------------------
# Diagonals
# ---------------------------------------------------------------------------

class ExtractDiag(Op):
    """Diagonal ``offset`` of the (axis1, axis2) planes, as a new last axis
    (NumPy's diagonal).

    Made by :func:`diagonal`, :func:`diag` of a matrix and :func:`trace`.

    Parameters
    ----------
    offset : int
        The diagonal.
    axis1, axis2 : int
        The axes of the planes.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.diagonal(x).owner.op)
    ExtractDiag{offset=0, axis1=0, axis2=1}
    """

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset=0, axis1=0, axis2=1):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise ValueError(f"diagonal takes an array of at least 2 dims, got {x}")
        a1, a2 = self.axis1 % x.ndim, self.axis2 % x.ndim
        if a1 == a2:
            raise ValueError(f"diagonal: axis1 and axis2 are the same axis ({a1})")
        rest = [s for a, s in enumerate(x.type.shape) if a not in (a1, a2)]
        n1, n2 = x.type.shape[a1], x.type.shape[a2]
        length = None
        if n1 is not None and n2 is not None:
            length = max(0, min(n1 + min(self.offset, 0),
                                                  n2 - max(self.offset, 0)))
        return Apply(self, [x], [TensorType(x.dtype, shape=rest + [length])()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, x):
        return (np.diagonal(x, self.offset, self.axis1, self.axis2).copy(),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if not x.dtype.startswith("float"):
            return [None]
        a1, a2 = self.axis1 % x.ndim, self.axis2 % x.ndim
        rest = [a for a in range(x.ndim) if a not in (a1, a2)]
        order = [a1, a2] + rest
        planes_first = zeros_like(x).dimshuffle(order)
        diag_first = g.dimshuffle([g.ndim - 1] + list(range(g.ndim - 1)))
        steps = arange(g.shape[-1])
        rows = steps + max(0, -self.offset)
        cols = steps + max(0, self.offset)
        filled = set_subtensor(planes_first[rows, cols], diag_first)
        return [filled.dimshuffle([order.index(a) for a in range(x.ndim)])]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        x = node.inputs[0]
        a1, a2 = self.axis1 % x.ndim, self.axis2 % x.ndim
        n1 = shape[a1] + min(self.offset, 0)
        n2 = shape[a2] - max(self.offset, 0)
        length = tm.maximum(0, tm.minimum(n1, n2))
        return [tuple(s for a, s in enumerate(shape) if a not in (a1, a2)) + (length,)]


class AllocDiag(Op):
    """A square matrix with the vector ``v`` on diagonal ``offset`` (NumPy's diag of a vector).

    Made by :func:`diag` of a vector.

    Parameters
    ----------
    offset : int
        The diagonal.

    Examples
    --------
    >>> v = T.dvector('v')
    >>> print(T.diag(v).owner.op)
    AllocDiag{offset=0}
    """

    __props__ = ("offset",)

    def __init__(self, offset=0):
        self.offset = int(offset)

    def make_node(self, v):
        v = as_tensor_variable(v)
        if v.ndim != 1:
            raise ValueError(f"AllocDiag takes a vector, got {v} with {v.ndim} dims")
        n = v.type.shape[0]
        n = None if n is None else n + abs(self.offset)
        return Apply(self, [v], [TensorType(v.dtype, shape=(n, n))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.reference(node, *inputs)[0]

    def reference(self, node, v):
        return (np.diag(v, self.offset),)

    def grad(self, inputs, output_grads):
        (v,), (g,) = inputs, output_grads
        return [ExtractDiag(self.offset)(g) if v.dtype.startswith("float") else None]

    def infer_shape(self, node, input_shapes):
        n = input_shapes[0][0] + abs(self.offset)
        return [(n, n)]


def diagonal(a, offset=0, axis1=0, axis2=1):
    """Diagonal ``offset`` of ``a`` in the (axis1, axis2) planes (NumPy's diagonal).

    Parameters
    ----------
    a : TensorVariable
        Of two or more dimensions.
    offset : int
        The diagonal: positive above the main one, negative below.
    axis1, axis2 : int
        The axes of the planes.

    Returns
    -------
    TensorVariable
        With the diagonal as the last axis.

    Examples
    --------
    >>> a = T.dmatrix('a')
    >>> theano.function([a], T.diagonal(a, 1))(numpy.arange(9.0).reshape(3, 3))
    array([1., 5.])
    """
    return ExtractDiag(offset, axis1, axis2)(a)


def diag(v, k=0):
    """A vector's diagonal matrix, or a matrix's diagonal ``k`` (NumPy's diag).

    Parameters
    ----------
    v : TensorVariable
        A vector or a matrix.
    k : int
        The diagonal.

    Returns
    -------
    TensorVariable
        A matrix for a vector, a vector for a matrix.

    Examples
    --------
    >>> v = T.dvector('v')
    >>> theano.function([v], T.diag(v))(numpy.array([1.0, 2.0]))
    array([[1., 0.],
           [0., 2.]])
    """
    v = as_tensor_variable(v)
    if v.ndim == 1:
        return AllocDiag(k)(v)
    if v.ndim >= 2:
        return diagonal(v, k)
    raise ValueError(f"diag takes a vector or a matrix, got {v} with 0 dims")


def trace(a, offset=0, axis1=0, axis2=1):
    """Sum of diagonal ``offset`` (NumPy's trace).

    Parameters
    ----------
    a : TensorVariable
        Of two or more dimensions.
    offset : int
        The diagonal.
    axis1, axis2 : int
        The axes of the planes.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a = T.dmatrix('a')
    >>> theano.function([a], T.trace(a))(numpy.arange(4.0).reshape(2, 2))
    array(3.)
    """
    return tm.sum(diagonal(a, offset, axis1, axis2), axis=-1)


# ---------------------------------------------------------------------------
# Splitting, swapping, stacking by axis
# ---------------------------------------------------------------------------

class Split(Op):
    """``x`` cut along ``axis`` into ``n_splits`` pieces of the lengths in the
    int vector ``splits`` (which must add up to the axis length).

    Made by :func:`split`.

    Parameters
    ----------
    n_splits : int
        How many pieces.
    axis : int
        The axis to cut.

    Examples
    --------
    >>> v = T.dvector('v')
    >>> print(T.split(v, [1, 1], 2)[0].owner.op)
    Split{n_splits=2, axis=0}
    """

    __props__ = ("n_splits", "axis")

    def __init__(self, n_splits, axis=0):
        self.n_splits, self.axis = int(n_splits), int(axis)

    def make_node(self, x, splits):
        x, splits = as_tensor_variable(x), as_tensor_variable(splits)
        if splits.ndim != 1 or not (splits.dtype.startswith("int")
                                    or splits.dtype.startswith("uint")):
            raise TypeError(f"split: the lengths {splits} must be an integer vector")
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"split: axis {self.axis} is out of range for {x}")
        shape = list(x.type.shape)
        shape[self.axis] = None
        return Apply(self, [x, splits], [TensorType(x.dtype, shape=shape)()
                                         for _ in range(self.n_splits)])

    def perform(self, node, inputs, output_storage):
        for cell, piece in zip(output_storage, self.reference(node, *inputs)):
            cell[0] = piece

    def reference(self, node, x, splits):
        if len(splits) != self.n_splits:
            raise ValueError(f"split: {len(splits)} lengths given for {self.n_splits} pieces")
        if np.any(splits < 0) or splits.sum() != x.shape[self.axis]:
            raise ValueError(f"split: the lengths {splits.tolist()} must be non-negative and "
                             f"add up to {x.shape[self.axis]}, the length of axis {self.axis}")
        return tuple(piece.copy() for piece in
                     np.split(x, np.cumsum(splits)[:-1], axis=self.axis))

    def grad(self, inputs, output_grads):
        x = inputs[0]
        if not x.dtype.startswith("float"):
            return [None, None]
        return [concatenate(list(output_grads), axis=self.axis), None]

    def infer_shape(self, node, input_shapes):
        x_shape = input_shapes[0]
        splits = node.inputs[1]
        return [x_shape[:self.axis] + (splits[i],) + x_shape[self.axis + 1:]
                for i in range(self.n_splits)]


def split(x, splits_size, n_splits, axis=0):
    """The ``n_splits`` pieces of ``x`` along ``axis``, of lengths ``splits_size``.

    Parameters
    ----------
    x : TensorVariable
        The tensor.
    splits_size : sequence of int or int vector
        The lengths of the pieces, adding up to the axis length.
    n_splits : int
        How many pieces.
    axis : int
        The axis to cut.

    Returns
    -------
    list of TensorVariable

    Raises
    ------
    ValueError
        When the function runs, if the lengths do not add up.

    Examples
    --------
    >>> a = T.dvector('a')
    >>> first, rest = T.split(a, [1, 2], 2)
    >>> theano.function([a], [first, rest])(numpy.arange(3.0))
    [array([0.]), array([1., 2.])]
    """
    x = as_tensor_variable(x)
    pieces = Split(n_splits, tm.normalize_axis(axis, x.ndim)[0])(x, splits_size)
    return pieces if isinstance(pieces, list) else [pieces]


def swapaxes(y, axis1, axis2):
    """``y`` with axes ``axis1`` and ``axis2`` exchanged.

    Parameters
    ----------
    y : TensorVariable
        The tensor.
    axis1, axis2 : int
        The axes to exchange.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> y = T.dtensor3('y')
    >>> theano.function([y], T.swapaxes(y, 0, 2))(numpy.zeros((2, 3, 4))).shape
    (4, 3, 2)
    """
    y = as_tensor_variable(y)
    order = list(range(y.ndim))
    a1, a2 = axis1 % y.ndim, axis2 % y.ndim
    order[a1], order[a2] = order[a2], order[a1]
    return y.dimshuffle(order)


def horizontal_stack(*args):
    """Matrices side by side (joined along axis 1).

    Parameters
    ----------
    *args : TensorVariable
        Matrices of equal row counts.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a, b = T.dmatrices('a', 'b')
    >>> theano.function([a, b], T.horizontal_stack(a, b))(numpy.zeros((2, 1)), numpy.ones((2, 1)))
    array([[0., 1.],
           [0., 1.]])
    """
    return _stack_matrices(args, 1)


def vertical_stack(*args):
    """Matrices one above the other (joined along axis 0).

    Parameters
    ----------
    *args : TensorVariable
        Matrices of equal column counts.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a, b = T.dmatrices('a', 'b')
    >>> theano.function([a, b], T.vertical_stack(a, b))(numpy.zeros((1, 2)), numpy.ones((1, 2)))
    array([[0., 0.],
           [1., 1.]])
    """
    return _stack_matrices(args, 0)


def _stack_matrices(args, axis):
    args = [as_tensor_variable(a) for a in args]
    if any(a.ndim != 2 for a in args):
        raise TypeError(f"horizontal_stack/vertical_stack take matrices, got "
                        f"{[a.ndim for a in args]} dims")
    return concatenate(args, axis=axis)


def inverse_permutation(perm):
    """The inverse of the permutation vector ``perm`` (of each row, for a matrix).

    Parameters
    ----------
    perm : TensorVariable
        An integer vector (or matrix) holding a permutation of range(n).

    Returns
    -------
    TensorVariable
        ``inv`` with ``inv[perm[i]] == i``.

    Examples
    --------
    >>> p = T.lvector('p')
    >>> theano.function([p], T.inverse_permutation(p))(numpy.array([2, 0, 1]))
    array([1, 2, 0])
    """
    perm = as_tensor_variable(perm)
    return tm.cast(ArgSortOp(-1, "stable")(perm), perm.dtype)


def ptp(a, axis=None):
    """The range, max - min, along ``axis`` (None: of all the elements).

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor.
    axis : None, int or sequence of int
        The axes.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a = T.dmatrix('a')
    >>> theano.function([a], T.ptp(a, axis=1))(numpy.array([[1.0, 5.0], [2.0, 2.0]]))
    array([4., 0.])
    """
    return tm.max(a, axis=axis) - tm.min(a, axis=axis)


# ---------------------------------------------------------------------------
# Closeness
# ---------------------------------------------------------------------------

def isclose(a, b, rtol=1.0e-5, atol=1.0e-8, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (NumPy's isclose): infinities
    are close only to the same infinity, nan to nothing unless ``equal_nan``.

    Parameters
    ----------
    a, b : TensorVariable or array_like
        Broadcast against each other.
    rtol, atol : float
        The relative and absolute tolerances.
    equal_nan : bool
        Whether nan is close to nan.

    Returns
    -------
    TensorVariable
        Of dtype bool.

    Examples
    --------
    >>> a, b = T.dvectors('a', 'b')
    >>> f = theano.function([a, b], T.isclose(a, b))
    >>> f(numpy.array([1.0, 1.0, numpy.nan]), numpy.array([1.0 + 1e-9, 1.1, numpy.nan]))
    array([ True, False, False])
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    within = tm.le(abs(a - b), atol + rtol * abs(b)) & tm.isfinite(a) & tm.isfinite(b)
    close = within | tm.eq(a, b)
    if equal_nan:
        close = close | (tm.isnan(a) & tm.isnan(b))
    return close


def allclose(a, b, rtol=1.0e-5, atol=1.0e-8, equal_nan=False):
    """Whether every element of ``a`` is close to ``b`` (see isclose).

    Parameters
    ----------
    a, b : TensorVariable or array_like
        Broadcast against each other.
    rtol, atol : float
        The relative and absolute tolerances.
    equal_nan : bool
        Whether nan is close to nan.

    Returns
    -------
    TensorVariable
        A bool scalar.

    Examples
    --------
    >>> a, b = T.dvectors('a', 'b')
    >>> f = theano.function([a, b], T.allclose(a, b))
    >>> f(numpy.array([1.0, 2.0]), numpy.array([1.0, 2.0 + 1e-9]))
    array(True)
    """
    return tm.all(isclose(a, b, rtol, atol, equal_nan))


# ---------------------------------------------------------------------------
# Batched products
# ---------------------------------------------------------------------------

def batched_tensordot(x, y, axes=2):
    """For each index of the first (batch) axis, ``tensordot(x[i], y[i], axes)``.

    ``axes`` counts the batch axis: an int n contracts x's last n axes with
    y's axes 1..n; a pair of lists names the axes of x and of y.

    Parameters
    ----------
    x, y : TensorVariable
        Tensors with a first (batch) axis of the same length.
    axes : int or pair of lists of int
        As above.

    Returns
    -------
    TensorVariable

    Raises
    ------
    TypeError
        If a tensor has fewer than two dimensions.

    Examples
    --------
    >>> x, y = T.dtensor3('x'), T.dtensor3('y')
    >>> z = T.batched_tensordot(x, y, axes=[[2], [1]])
    >>> theano.function([x, y], z)(numpy.ones((5, 2, 3)), numpy.ones((5, 3, 4))).shape
    (5, 2, 4)
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim < 2 or y.ndim < 2:
        raise TypeError("batched_tensordot: both tensors need a batch axis and another")
    if isinstance(axes, (int, np.integer)):
        axes = [list(range(x.ndim - axes, x.ndim)), list(range(1, axes + 1))]
    x_axes = [a % x.ndim for a in np.atleast_1d(axes[0])]
    y_axes = [a % y.ndim for a in np.atleast_1d(axes[1])]
    if 0 in x_axes or 0 in y_axes:
        raise ValueError("batched_tensordot: the batch axis 0 cannot be contracted")
    x_free = [a for a in range(1, x.ndim) if a not in x_axes]
    y_free = [a for a in range(1, y.ndim) if a not in y_axes]
    xs, ys = shape_tuple(x), shape_tuple(y)
    x3 = reshape(x.dimshuffle([0] + x_free + x_axes),
                 [xs[0], _product(xs, x_free), _product(xs, x_axes)])
    y3 = reshape(y.dimshuffle([0] + y_axes + y_free),
                 [ys[0], _product(ys, y_axes), _product(ys, y_free)])
    out = tm.matmul(x3, y3)
    return reshape(out, [xs[0]] + [xs[a] for a in x_free] + [ys[a] for a in y_free])


def _product(lengths, axes):
    out = constant(1, dtype="int64")
    for a in axes:
        out = out * lengths[a]
    return out


def batched_dot(a, b):
    """``dot(a[i], b[i])`` for each i of the first (batch) axis.

    Parameters
    ----------
    a, b : TensorVariable
        Tensors with a first (batch) axis of the same length.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> a, b = T.dtensor3('a'), T.dtensor3('b')
    >>> theano.function([a, b], T.batched_dot(a, b))(numpy.ones((5, 2, 3)), numpy.ones((5, 3, 4))).shape
    (5, 2, 4)
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise TypeError("batched_dot: both arguments need a batch axis")
    if a.ndim == 1:
        return a.dimshuffle([0] + ["x"] * (b.ndim - 1)) * b
    if b.ndim == 1:
        return a * b.dimshuffle([0] + ["x"] * (a.ndim - 1))
    return batched_tensordot(a, b, [[a.ndim - 1], [max(1, b.ndim - 2)]])


__all__ = ["join", "stacklists", "eye", "identity_like", "tri", "tril", "triu", "mgrid",
           "ogrid", "tile", "roll", "largest", "smallest", "second", "Rebroadcast",
           "patternbroadcast", "unbroadcast", "Nonzero", "nonzero", "flatnonzero",
           "nonzero_values", "Choose", "choose", "ExtractDiag", "AllocDiag", "diagonal",
           "diag", "trace", "Split", "split", "swapaxes", "horizontal_stack", "vertical_stack",
           "inverse_permutation", "ptp", "isclose", "allclose", "batched_tensordot",
           "batched_dot"]


provide(choose=choose, diagonal=diagonal, nonzero=nonzero, nonzero_values=nonzero_values, ptp=ptp,
        swapaxes=swapaxes, trace=trace)
