"""Advanced indexing: integer arrays and boolean masks, as in NumPy.

``p[T.arange(n), y]``, ``x[idx]``, ``x[mask]``, ``set_subtensor(x[idx], v)``
and ``inc_subtensor(x[idx], v)`` (repeated indices accumulate).  The common
case, index arrays on the leading axes followed by full slices, becomes a
list of rows of ``x`` seen as a matrix, and runs on the row kernels of
kernels/_nnet.pyx after the indices are checked; other layouts use NumPy's
own advanced indexing.  When each index picks single elements (as many
integer arrays as ``x`` has axes) or the result is small, the op is one call
of NumPy's own indexing (``x[i, j]``, ``np.add.at``), decided when the
function is compiled: NumPy's C loop over single elements beats a row
kernel, and checking rows in Python costs more than a small copy.
"""
import math
from functools import partial
from operator import getitem

import numpy as np

from .. import kernels
from ..graph import Apply, Op, Variable
from ..kernels import _nnet, _pick
from .basic import arange, zeros_like
from .math import clip
from .subtensor import IncSubtensorBase, inc_subtensor_grad
from .type import TensorType, as_tensor_variable
from .variable import provide


def _split(x, index):
    """A Python index -> (template, index variables).

    Template entries: ('slice', start, stop, step) with constant parts, or
    ('array', k) for the k-th index variable (an integer or boolean tensor,
    or an integer scalar, which NumPy treats as a 0-d array here).
    """
    index = index if isinstance(index, tuple) else (index,)
    if any(i is None for i in index):
        raise IndexError("newaxis (None) cannot be mixed with advanced indexing; "
                         "index first, then use dimshuffle")
    consumed = sum(_axes_taken(i) for i in index if i is not Ellipsis)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for {x}: it has {x.ndim} dimensions, the index "
                         f"uses {consumed}")
    template, inputs = [], []
    for i in index:
        if i is Ellipsis:
            template.extend([("slice", None, None, None)] * (x.ndim - consumed))
        elif isinstance(i, slice):
            parts = (i.start, i.stop, i.step)
            if any(p is not None and not isinstance(p, (int, np.integer)) for p in parts):
                raise IndexError("slices mixed with advanced indices must have constant "
                                 f"bounds, got {i}")
            template.append(("slice",) + tuple(None if p is None else int(p) for p in parts))
        else:
            v = as_tensor_variable(i)
            if v.dtype != "bool" and v.dtype[0] not in "iu":
                raise IndexError(f"index {v} of type {v.type} is neither an integer nor a "
                                 "boolean tensor")
            inputs.append(v)
            template.append(("array", len(inputs) - 1))
    return tuple(template), inputs


def _axes_taken(i):
    if isinstance(i, (slice, int, np.integer)):
        return 1
    if isinstance(i, Variable) and i.dtype == "bool":
        return i.ndim
    if isinstance(i, (list, np.ndarray)) and np.asarray(i).dtype == bool:
        return np.asarray(i).ndim
    return 1


def _static_shape(template, x, indices):
    """Output shape by NumPy's rules, None where only the run knows."""
    out, adv_at, adv_ndim, axis, last_adv = [], None, 0, 0, None
    separated = False
    for pos, entry in enumerate(template):
        if entry[0] == "slice":
            n = x.type.shape[axis]
            parts = entry[1:]
            out.append(n if parts == (None, None, None) or n is None else
                       len(range(*slice(*parts).indices(n))))
            axis += 1
            continue
        v = indices[entry[1]]
        if adv_at is None:
            adv_at = len(out)
        elif last_adv != pos - 1:
            separated = True
        last_adv = pos
        adv_ndim = max(adv_ndim, 1 if v.dtype == "bool" else v.ndim)
        axis += v.ndim if v.dtype == "bool" else 1
    out.extend(x.type.shape[axis:])
    if adv_at is None:
        return tuple(out)
    adv = [None] * adv_ndim
    at = 0 if separated else adv_at
    return tuple(out[:at] + adv + out[at:])


def _numpy_index(template, values):
    return tuple(slice(*entry[1:]) if entry[0] == "slice" else
                 (values[entry[1]] if values[entry[1]].dtype == bool
                  else values[entry[1]].astype(np.intp, copy=False))
                 for entry in template)


def _leading_rows(x, index):
    """For index arrays on the leading axes followed by full slices: the
    checked row numbers of x seen as a (leading, rest) matrix, and their
    shape.  None for any other layout."""
    arrays, axis = [], 0
    for k, item in enumerate(index):
        if isinstance(item, slice):
            if any(not isinstance(s, slice) or s != slice(None) for s in index[k:]):
                return None
            break
        if item.dtype == bool:
            if item.shape != x.shape[axis:axis + item.ndim]:
                return None                      # NumPy raises the right error
            arrays.extend(np.nonzero(item))
            axis += item.ndim
        else:
            arrays.append(item)
            axis += 1
    if not arrays:
        return None
    arrays = np.broadcast_arrays(*arrays)
    if arrays[0].size == 0:
        return None                              # no rows to move: NumPy's empty result
    rows = np.zeros(arrays[0].shape, dtype=np.intp)
    for a, arr in enumerate(arrays):
        idx = np.array(arr, dtype=np.intp).reshape(-1)
        bad = _nnet.normalize_index(idx, x.shape[a])
        if bad >= 0:
            raise IndexError(f"index {arr.reshape(-1)[bad]} is out of bounds for axis {a} "
                             f"with size {x.shape[a]} (indexing an array of shape {x.shape})")
        rows = rows * x.shape[a] + idx.reshape(rows.shape)
    return rows.reshape(-1), arrays[0].shape, axis


def check_index_bounds(node, x_shape, values, first):
    """Raise IndexError, naming the input, if an integer index array holds
    a value out of bounds for its axis.  ``values`` are the index inputs
    (node input ``first`` on), NumPy's arrays or a device's: only their own
    methods are used, so on a device it costs one check per index array
    (a device that would wrap such an index, as CUDA's gathers do, must
    refuse it first, as NumPy does)."""
    axis = 0
    for entry in node.op.template:
        if entry[0] == "slice":
            axis += 1
            continue
        k = entry[1]
        v = values[k]
        if v.dtype == bool:
            axis += v.ndim
            continue
        n = x_shape[axis]
        bad = (v < -n) | (v >= n)
        if v.size and bool(bad.any()):
            value = int(v.ravel()[bad.ravel()][0])
            raise IndexError(f"{type(node.op).__name__}: index input {first + k} "
                             f"holds {value}, out of bounds for axis {axis} with size {n} "
                             f"(indexing an array of shape {tuple(x_shape)})")
        axis += 1


KERNEL_MIN_BYTES = 1 << 16     # a smaller result is taken by NumPy's indexing


def _plain_integer_arrays(template, indices):
    """Whether the index is only integer arrays of >= 1 dimension on the
    leading axes, then full slices (NumPy then always copies, and needs
    no help from _numpy_index)."""
    arrays = [entry for entry in template if entry[0] == "array"]
    return (all(entry[0] == "array" for entry in template[:len(arrays)])
            and all(entry == ("slice", None, None, None) for entry in template[len(arrays):])
            and all(i.dtype != "bool" and i.ndim >= 1 for i in indices))


def _plain_axes(template, node):
    """How many leading axes of x plain integer arrays index (see
    _plain_integer_arrays); 0 for an index of another form."""
    indices = node.inputs[1:]
    return len(indices) if _plain_integer_arrays(template, indices) else 0


def _take(x, index, plain_axes):
    """``x[index]``, AdvancedSubtensor's one run-time implementation.  Plain
    integer arrays on ``plain_axes`` leading axes take NumPy's own indexing
    when they pick single elements or the result is small; index arrays on
    the leading axes take the row kernel; other layouts take NumPy."""
    if plain_axes and (x.ndim == plain_axes or index[0].size * math.prod(x.shape[plain_axes:])
                       * x.itemsize < KERNEL_MIN_BYTES):
        return x[index]
    found = _leading_rows(x, index) if x.size else None
    if found is None:
        return np.array(x[index])
    rows, shape, axis = found
    n_lead = int(np.prod(x.shape[:axis]))
    src = _as_byte_rows(np.ascontiguousarray(x), n_lead)
    out = np.empty(shape + x.shape[axis:], dtype=x.dtype)
    _nnet.take_rows(src, rows, _as_byte_rows(out, len(rows)), kernels.get_num_threads())
    return out


def _index_reader(index_cells, as_tuple=False):
    """A function returning the index the cells hold now, for NumPy: a
    tuple of the arrays, or the one array itself unless ``as_tuple`` (a
    generator feeding tuple() costs a microsecond a call, more than NumPy's
    indexing of a few elements)."""
    if len(index_cells) == 1 and not as_tuple:
        return partial(getitem, index_cells[0], 0)
    return lambda: tuple([c[0] for c in index_cells])


def _as_byte_rows(a, n_rows):
    """A C-contiguous array as (n_rows, bytes per row) uint8 (a view)."""
    return a.reshape(n_rows, -1).view(np.uint8) if a.size else \
        np.zeros((n_rows, 0), np.uint8)


class AdvancedSubtensor(Op):
    """``x[index]`` where the index holds integer or boolean arrays.

    Made by indexing with integer or boolean arrays.

    Parameters
    ----------
    template : tuple
        The index's form: which parts are arrays, slices or ints.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> y = x[[2, 0]]
    >>> type(y.owner.op).__name__, y.eval({x: numpy.array([1.0, 2.0, 3.0])})
    ('AdvancedSubtensor', array([3., 1.]))
    """

    __props__ = ("template",)

    def __init__(self, template):
        self.template = template

    def make_node(self, x, *indices):
        x = as_tensor_variable(x)
        indices = [as_tensor_variable(i) for i in indices]
        shape = _static_shape(self.template, x, indices)
        return Apply(self, [x] + indices, [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        x, values = inputs[0], inputs[1:]
        output_storage[0][0] = _take(x, _numpy_index(self.template, values),
                                     _plain_axes(self.template, node))

    def make_thunk(self, node, input_cells, output_cells):
        """perform's computation, with what the index's form decides done
        once: plain integer arrays are the index as they come."""
        plain_axes = _plain_axes(self.template, node)
        if not plain_axes:
            return super().make_thunk(node, input_cells, output_cells)
        x_cell, index_cells, out_cell = input_cells[0], input_cells[1:], output_cells[0]
        if node.inputs[0].ndim == plain_axes:
            index = _index_reader(index_cells)

            def thunk():        # _take's first step: every axis indexed, NumPy picks elements
                out_cell[0] = x_cell[0][index()]
            return thunk
        take, index = _take, _index_reader(index_cells, as_tuple=True)

        def thunk():
            out_cell[0] = take(x_cell[0], index(), plain_axes)
        return thunk

    def reference(self, node, x, *values):
        check_index_bounds(node, x.shape, values, 1)
        return (np.array(x[_numpy_index(self.template, values)]),)

    def grad(self, inputs, output_grads):
        x, indices = inputs[0], inputs[1:]
        (g,) = output_grads
        if not x.dtype.startswith("float"):
            return [None] * len(inputs)
        return [AdvancedIncSubtensor(self.template)(zeros_like(x), g, *indices)] + \
            [None] * len(indices)

    def inc_subtensor(self, node, y, set_instead_of_inc):
        """What ``inc_subtensor(x[idx], y)`` / ``set_subtensor`` build for this index."""
        return AdvancedIncSubtensor(self.template, set_instead_of_inc)(
            node.inputs[0], y, *node.inputs[1:])


class AdvancedIncSubtensor(IncSubtensorBase):
    """``x`` with ``x[index]`` increased by ``y`` (every repeated index adds)
    or, with ``set_instead_of_inc``, replaced by ``y``.

    Made by :func:`inc_subtensor` and :func:`set_subtensor` of an advanced index.

    Parameters
    ----------
    template : tuple
        The index's form.
    set_instead_of_inc : bool
        Set instead of add.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> y = T.inc_subtensor(x[[0, 0, 2]], 1)
    >>> print(y.owner.op)
    AdvancedIncSubtensor
    >>> y.eval({x: numpy.zeros(3)})
    array([2., 0., 1.])
    """

    def __str__(self):
        return f"Advanced{self.kind}Subtensor"

    def make_node(self, x, y, *indices):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        indices = [as_tensor_variable(i) for i in indices]
        target = _static_shape(self.template, x, indices)
        if y.ndim > len(target):
            raise ValueError(f"{self}: the value {y} has {y.ndim} dimensions, more than the "
                             f"{len(target)} of the indexed part of {x}")
        return Apply(self, [x, y] + indices, [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, values = inputs[0], inputs[1], inputs[2:]
        output_storage[0][0] = self._increment(x, y, _numpy_index(self.template, values),
                                               self._picks_elements(node))

    def make_thunk(self, node, input_cells, output_cells):
        """perform's computation, with what the index's form decides done
        once: integer arrays picking single elements are the index as they come."""
        if not self._picks_elements(node):
            return super().make_thunk(node, input_cells, output_cells)
        x_cell, y_cell = input_cells[0], input_cells[1]
        out_cell, increment, index = output_cells[0], self._increment, _index_reader(input_cells[2:])

        def thunk():
            out_cell[0] = increment(x_cell[0], y_cell[0], index(), True)
        return thunk

    def _picks_elements(self, node):
        """Whether the index is one plain integer array per axis of x."""
        indices = node.inputs[2:]
        return (_plain_integer_arrays(self.template, indices)
                and node.inputs[0].ndim == len(indices))

    def _increment(self, x, y, index, elements):
        """x with x[index] increased by y (or set to y).  Single elements
        (``elements``) and layouts other than rows take NumPy's own loops
        (``np.add.at``, or _pick.add_at's element kernel for a vector;
        ``out[index] = y``); rows of x take the row kernels."""
        out = x.copy()                         # C order
        found = None if elements or not x.size else _leading_rows(x, index)
        if found is None:
            if self.set_instead_of_inc:
                out[index] = y
            else:
                _pick.add_at(out, index, y)
            return out
        rows, shape, axis = found
        n_lead = int(np.prod(x.shape[:axis]))
        try:
            values_ = np.ascontiguousarray(np.broadcast_to(y, shape + x.shape[axis:]),
                                           dtype=x.dtype)
        except ValueError:
            raise ValueError(f"{self}: cannot broadcast the value of shape {np.shape(y)} to "
                             f"the indexed part of shape {shape + x.shape[axis:]}") from None
        if not len(rows):                      # an empty index changes nothing
            return out
        if self.set_instead_of_inc:
            _nnet.put_rows(_as_byte_rows(out, n_lead), rows, _as_byte_rows(values_, len(rows)))
        elif x.dtype.name in ("float32", "float64", "int32", "int64", "uint8") and out.size:
            _nnet.add_rows(out.reshape(n_lead, -1), rows, values_.reshape(len(rows), -1),
                           kernels.get_num_threads())
        else:
            np.add.at(out.reshape(n_lead, -1), rows, values_.reshape(len(rows), -1))
        return out

    def reference(self, node, x, y, *values):
        check_index_bounds(node, x.shape, values, 2)
        out = x.copy()
        index = _numpy_index(self.template, values)
        if self.set_instead_of_inc:
            out[index] = y
        else:
            np.add.at(out, index, y)
        return (out,)

    def grad(self, inputs, output_grads):
        return inc_subtensor_grad(self, AdvancedSubtensor(self.template), inputs,
                                  output_grads)


ROW_AND_COLUMN = (("array", 0), ("array", 1))     # x[rows, columns]


def _row_picker():
    """PickPerRow's one run-time implementation, ``pick(x, y)``: the kernel
    for a matrix and int64 labels, one per row; NumPy's indexing for the
    rest and for a label out of range (its error).  It keeps the row
    numbers it last made for NumPy."""
    rows = [np.arange(0)]
    kernel = _pick.pick_per_row

    def pick(x, y):
        out = kernel(x, y)
        if out is None:
            if len(rows[0]) != len(x):
                rows[0] = np.arange(len(x))
            out = x[rows[0], y]
        return out
    return pick


class PickPerRow(Op):
    """``x[arange(x.shape[0]), y]``: from each row i of x, the entry at
    column y[i] (a y of length 1 picks that column from every row).

    Made by the rewrite ``pick_per_row`` from that index, so that a call
    runs one node instead of three (the row count, the arange, the
    indexing), on kernels/_pick.pyx.  Errors are NumPy's, as for the
    index it replaces.

    Examples
    --------
    >>> m, y = T.dmatrix('m'), T.lvector('y')
    >>> PickPerRow()(m, y).eval({m: numpy.arange(6.0).reshape(2, 3), y: numpy.array([2, 0])})
    array([2., 3.])
    """

    __props__ = ()
    template = ROW_AND_COLUMN    # the index it stands for, as check_index_bounds reads it

    def make_node(self, x, y):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim < 2 or y.ndim != 1 or y.dtype[0] not in "iu":
            raise TypeError(f"PickPerRow: needs an array of >= 2 dimensions and a vector "
                            f"of integer columns, got {x.type} and {y.type}")
        shape = (None,) + x.type.shape[2:]       # as AdvancedSubtensor's
        return Apply(self, [x, y], [TensorType(x.dtype, shape=shape)()])

    def make_thunk(self, node, input_cells, output_cells):
        (x_cell, y_cell), out_cell = input_cells, output_cells[0]
        pick = _row_picker()

        def thunk():
            out_cell[0] = pick(x_cell[0], y_cell[0])
        return thunk

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = _row_picker()(*inputs)

    def reference(self, node, x, y):
        return (np.array(x[np.arange(len(x)), y]),)

    def infer_shape(self, node, input_shapes):
        xshape = input_shapes[0]
        return [(xshape[0],) + tuple(xshape[2:])]

    def grad(self, inputs, output_grads):
        x, y = inputs
        return AdvancedSubtensor(ROW_AND_COLUMN).grad([x, arange(x.shape[0]), y],
                                                      output_grads)[::2]


def advanced_subtensor(x, index):
    """``x[index]`` for an index holding integer or boolean arrays."""
    x = as_tensor_variable(x)
    template, indices = _split(x, index)
    return AdvancedSubtensor(template)(x, *indices)


def take(a, indices, axis=None, mode="raise"):
    """Elements of ``a`` at ``indices`` along ``axis`` (NumPy's take; None:
    of the flattened array).  An index out of range is an error with
    mode='raise', taken modulo the length with 'wrap', moved to the nearest
    end with 'clip'.

    Parameters
    ----------
    a : TensorVariable or array_like
        The tensor.
    indices : TensorVariable or array_like
        Integer indices, of any shape.
    axis : int, optional
        The axis; None: the flattened array.
    mode : {'raise', 'wrap', 'clip'}
        What an index out of range does.

    Returns
    -------
    TensorVariable
        With the axis replaced by the shape of ``indices``.

    Raises
    ------
    ValueError
        For another mode.

    Examples
    --------
    >>> a = T.dvector('a')
    >>> f = theano.function([a], [T.take(a, [2, 0]), T.take(a, [5], mode='wrap')])
    >>> f(numpy.array([1.0, 2.0, 3.0]))
    [array([3., 1.]), array([3.])]
    """
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    a, indices = as_tensor_variable(a), as_tensor_variable(indices)
    if axis is None:
        a, axis = a.flatten(), 0
    axis = axis % a.ndim
    if mode == "wrap":
        indices = indices % a.shape[axis]
    elif mode == "clip":
        indices = clip(indices, 0, a.shape[axis] - 1)
    return advanced_subtensor(a, (slice(None),) * axis + (indices,))


provide(advanced_subtensor=advanced_subtensor)
