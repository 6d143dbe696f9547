"""Basic indexing (``x[1:, ::-1, i]``), its in-place counterparts and SpecifyShape."""
import numpy as np

from .. import kernels
from ..graph import Apply, Constant, Op, Variable
from .basic import zeros_like
from .elemwise import Program, sum_to_shape_of
from .math import clip, maximum, sum as tsum, switch
from .type import TensorType, as_tensor_variable
from .variable import provide


class Slot(int):
    """Marks an index component given by the op's k-th symbolic input."""

    def __repr__(self):
        return f"${int(self)}"


def _split_index(x, index):
    """Turn a Python index into (template, symbolic inputs, new axes positions).

    A template entry is an int, a Slot, or ('slice', start, stop, step) whose
    parts are None, ints or Slots.  Ellipsis becomes full slices; None
    (newaxis) is returned separately and applied with a DimShuffle.
    """
    if not isinstance(index, tuple):
        index = (index,)
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if n_real > x.ndim:
        raise IndexError(f"too many indices for {x}: it has {x.ndim} dimensions, "
                         f"got {n_real} indices")
    expanded = []
    for i in index:
        if i is Ellipsis:
            expanded.extend([slice(None)] * (x.ndim - n_real))
        else:
            expanded.append(i)
    if Ellipsis not in index:
        expanded.extend([slice(None)] * (x.ndim - n_real))
    template, inputs, newaxes = [], [], []

    def part(v):
        if v is None or isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return None if v is None else int(v)
        if isinstance(v, Constant) and v.data.ndim == 0 and v.dtype[0] in "iu":
            return int(v.data)
        v = as_tensor_variable(v)
        if v.ndim != 0 or v.dtype[0] not in "iu":
            raise IndexError(f"index {v} of type {v.type} is not an integer scalar; "
                             "advanced indexing takes integer or boolean arrays")
        inputs.append(v)
        return Slot(len(inputs) - 1)

    out_axis = 0
    for i in expanded:
        if i is None:
            newaxes.append(out_axis)
            out_axis += 1
        elif isinstance(i, slice):
            template.append(("slice", part(i.start), part(i.stop), part(i.step)))
            out_axis += 1
        else:
            template.append(part(i))
    return tuple(template), inputs, newaxes


def is_basic_index(index):
    """True if ``index`` uses only ints, scalars, slices, None and Ellipsis."""
    items = index if isinstance(index, tuple) else (index,)
    for i in items:
        if isinstance(i, (list, np.ndarray)) or isinstance(i, bool):
            return False
        if isinstance(i, Variable) and (i.ndim != 0 or i.dtype == "bool"):
            return False
    return True


def _numpy_index(template, values):
    def part(v):
        return int(values[v]) if isinstance(v, Slot) else v
    return tuple(slice(part(t[1]), part(t[2]), part(t[3])) if isinstance(t, tuple)
                 else part(t) for t in template)


def _template_str(template):
    def part(v):
        return "" if v is None else repr(v)

    def entry(t):
        if not isinstance(t, tuple):
            return repr(t)
        text = f"{part(t[1])}:{part(t[2])}"
        return text + (f":{part(t[3])}" if t[3] is not None else "")
    return ", ".join(entry(t) for t in template)


def _out_static_shape(template, shape):
    out = []
    for t, n in zip(template, shape):
        if not isinstance(t, tuple):
            continue
        parts = t[1:]
        if parts == (None, None, None):
            out.append(n)
        elif n is not None and not any(isinstance(p, Slot) for p in parts):
            out.append(len(range(*slice(*parts).indices(n))))
        else:
            out.append(None)
    return tuple(out)


class Subtensor(Op):
    """``x[index]`` with ints and slices: a view of the input.

    Made by indexing, ``x[1:, 0]``.

    Parameters
    ----------
    template : tuple
        The index's form: ints and slices, symbolic parts as inputs.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> y = x[1:, 0]
    >>> print(y.owner.op)
    Subtensor{1:, 0}
    >>> y.eval({x: numpy.arange(6.0).reshape(3, 2)})
    array([2., 4.])
    """

    __props__ = ("template",)
    view_map = {0: [0]}

    def __init__(self, template):
        self.template = template

    def __str__(self):
        return f"Subtensor{{{_template_str(self.template)}}}"

    def make_node(self, x, *index_inputs):
        x = as_tensor_variable(x)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        shape = _out_static_shape(self.template, x.type.shape)
        return Apply(self, [x] + index_inputs, [TensorType(x.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        x, values = inputs[0], inputs[1:]
        index = _numpy_index(self.template, values)
        try:
            output_storage[0][0] = np.asarray(x[index])
            if output_storage[0][0].base is None:          # 0-d result: keep it a view
                output_storage[0][0] = x[index + (None,)].reshape(())
        except IndexError as e:
            raise self._index_error(e, x, values) from None

    def _index_error(self, error, x, values):
        """``error`` with what was indexed, and how."""
        return IndexError(f"{error} (indexing an array of shape {x.shape} with "
                          f"[{_template_str(self.template)}], index values "
                          f"{[int(v) for v in values]})")

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: a constant index (``z[:, 128:256]``, a gate cut out of one
        product; ``w[-1]``) is made once, and a call only takes the view; an
        index with symbolic parts, or a 0-d result, takes ``perform``.  An index
        out of bounds raises perform's error."""
        if len(node.inputs) > 1 or not self.template or node.outputs[0].ndim == 0:
            return super().make_thunk(node, input_cells, output_cells)
        index = _numpy_index(self.template, ())
        (x_cell,), (out_cell,) = input_cells, output_cells

        def thunk():
            try:
                out_cell[0] = x_cell[0][index]
            except IndexError as e:
                raise self._index_error(e, x_cell[0], ()) from None
        return thunk

    def reference(self, node, x, *values):
        return (np.array(x[_numpy_index(self.template, values)]),)

    def grad(self, inputs, output_grads):
        x, index_inputs = inputs[0], inputs[1:]
        (g,) = output_grads
        if not x.dtype.startswith("float"):
            return [None] * len(inputs)
        gx = IncSubtensor(self.template)(zeros_like(x), g, *index_inputs)
        return [gx] + [None] * len(index_inputs)

    def infer_shape(self, node, input_shapes):
        xshape, values = input_shapes[0], node.inputs[1:]
        out = []
        for t, n in zip(self.template, xshape):
            if not isinstance(t, tuple):
                continue
            start, stop, step = [values[p] if isinstance(p, Slot) else p for p in t[1:]]
            if (start, stop, step) == (None, None, None):
                out.append(n)
            elif step is None or (isinstance(step, int) and step == 1):
                start = 0 if start is None else start
                stop = n if stop is None else stop
                out.append(maximum(_clamp(stop, n) - _clamp(start, n), 0))
            else:
                raise NotImplementedError("strided slice lengths are computed at run time")
        return [tuple(out)]


def _clamp(i, n):
    """A Python-style slice bound clamped into [0, n]."""
    return clip(switch(i < 0, i + n, i), 0, n) if not isinstance(i, int) else \
        (clip(i + n, 0, n) if i < 0 else clip(i, 0, n))


class IncSubtensorBase(Op):
    """What IncSubtensor and advanced.AdvancedIncSubtensor share: an index
    template and whether ``y`` is added at ``x[index]`` or replaces it; the
    result has ``x``'s shape."""

    __props__ = ("template", "set_instead_of_inc")

    def __init__(self, template, set_instead_of_inc=False):
        self.template = template
        self.set_instead_of_inc = set_instead_of_inc

    @property
    def kind(self):
        """"Set" or "Inc", for the op's name."""
        return "Set" if self.set_instead_of_inc else "Inc"

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class IncSubtensor(IncSubtensorBase):
    """``x`` with ``x[index]`` increased by (or, with set_instead_of_inc, set to) ``y``.

    Made by :func:`inc_subtensor` and :func:`set_subtensor` of a basic index.

    Parameters
    ----------
    template : tuple
        The index's form: ints and slices, symbolic parts as inputs.
    set_instead_of_inc : bool
        Set instead of add.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.set_subtensor(x[1:], 0).owner.op)
    SetSubtensor{1:, :}
    """

    __props__ = ("template", "set_instead_of_inc", "inplace")

    def __init__(self, template, set_instead_of_inc=False, inplace=False):
        super().__init__(template, set_instead_of_inc)
        self.inplace = inplace
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self):
        suffix = "{inplace}" if self.inplace else ""
        return f"{self.kind}Subtensor{{{_template_str(self.template)}}}{suffix}"

    def make_node(self, x, y, *index_inputs):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        target_ndim = len(_out_static_shape(self.template, x.type.shape))
        if y.ndim > target_ndim:
            raise ValueError(f"{self}: the value {y} has {y.ndim} dimensions, more than "
                             f"the {target_ndim} of the indexed part of {x}")
        if not self.set_instead_of_inc and not np.can_cast(y.dtype, x.dtype, "same_kind"):
            raise TypeError(f"{self}: cannot add {y} of dtype {y.dtype} to a part of {x} "
                            f"of dtype {x.dtype}; cast it first, e.g. .astype('{x.dtype}')")
        return Apply(self, [x, y] + index_inputs, [x.type()])

    @property
    def program(self):
        """The add of y into x's part, as an elementwise program that the
        compile stage lowers (compile/lowering.py); None when y replaces it."""
        return None if self.set_instead_of_inc else _ADD_PROGRAM

    def make_program_thunk(self, node, input_cells, output_cells, lowered):
        """The node's one run-time implementation: a copy of x (x itself when
        the op is in place and x is writeable), whose part is set to y (a
        broadcasting copy) or increased by it (the lowered add, in place).
        An index without symbolic parts is made once, here."""
        if lowered is None and not self.set_instead_of_inc:
            return super().make_thunk(node, input_cells, output_cells)     # NumPy runs it
        template, (out_cell,) = self.template, output_cells
        fixed = _numpy_index(template, ()) if len(input_cells) == 2 else None
        inplace = self.inplace

        def thunk():
            x, y = input_cells[0][0], input_cells[1][0]
            index = fixed if fixed is not None else _numpy_index(
                template, [c[0] for c in input_cells[2:]])
            out = x if inplace and x.flags.writeable else x.copy()
            view = out[index]
            if np.ndim(view) == 0 and not isinstance(view, np.ndarray):
                view = out[index + (None,)].reshape(())
            _check_value_shape(node, view.shape, y)
            if lowered is None:
                kernels.copy_into(view, y)
            else:
                kernels.elemwise(lowered.code, lowered.n_registers, [view, y], [view.dtype],
                                 lowered.compute, outputs=[view], out_shape=view.shape)
            out_cell[0] = out
        return thunk

    def reference(self, node, x, y, *values):
        out = x.copy()
        index = _numpy_index(self.template, values)
        _check_value_shape(node, np.shape(out[index]), y)
        if self.set_instead_of_inc:
            out[index] = y
        else:
            out[index] += y
        return (out,)

    def grad(self, inputs, output_grads):
        return inc_subtensor_grad(self, Subtensor(self.template), inputs, output_grads)


def inc_subtensor_grad(op, read, inputs, output_grads):
    """Gradients of x with x[index] increased (or set) by y, for basic and
    advanced indexing alike: ``read`` is the op that reads x[index]."""
    y, index_inputs = inputs[1], inputs[2:]
    (g,) = output_grads
    gx = type(op)(op.template, True)(g, 0, *index_inputs) if op.set_instead_of_inc else g
    gy = read(g, *index_inputs)
    if gy.ndim > y.ndim:
        gy = tsum(gy, axis=list(range(gy.ndim - y.ndim)))
    gy = sum_to_shape_of(gy, y) if y.dtype.startswith("float") else None
    return [gx, gy] + [None] * len(index_inputs)


def _check_value_shape(node, target_shape, y):
    """The value fills the indexed part, broadcasting only along the axes its
    type declares broadcastable (as Elemwise does): the gradient sums over
    exactly those axes."""
    var = node.inputs[1]
    offset = len(target_shape) - y.ndim
    for axis, n in enumerate(y.shape):
        want = target_shape[offset + axis]
        if n == want or (n == 1 and var.type.broadcastable[axis]):
            continue
        hint = ("; its type does not declare that axis broadcastable: use T.addbroadcast, "
                "T.row/T.col or shape=(..., 1, ...)" if n == 1 else "")
        raise ValueError(f"{node.op}: the value {var} of shape {y.shape} does not fit the "
                         f"indexed part of shape {tuple(target_shape)} along axis {axis}"
                         + hint)


_ADD_PROGRAM = Program(2, [("add", (0, 1), None)], [2])


def subtensor(x, index):
    """``x[index]`` for basic indices (ints, slices, None, Ellipsis)."""
    x = as_tensor_variable(x)
    template, inputs, newaxes = _split_index(x, index)
    out = Subtensor(template)(x, *inputs)
    if newaxes:
        order = list(range(out.ndim))
        for pos in newaxes:
            order.insert(pos, "x")
        out = out.dimshuffle(order)
    return out


def _inc_or_set(x, y, set_instead_of_inc):
    """x's owner must be a (basic) Subtensor: ``inc_subtensor(x[2:], y)``."""
    node = x.owner
    if node is not None and isinstance(node.op, Subtensor):
        base, index_inputs = node.inputs[0], node.inputs[1:]
        return IncSubtensor(node.op.template, set_instead_of_inc)(base, y, *index_inputs)
    if node is not None and hasattr(node.op, "inc_subtensor"):
        return node.op.inc_subtensor(node, y, set_instead_of_inc)
    raise TypeError(f"{'set' if set_instead_of_inc else 'inc'}_subtensor needs an indexed "
                    f"variable like x[1:3], got {x}")


def inc_subtensor(x, y):
    """The whole tensor that ``x`` indexes, with that part increased by ``y``.

    The functional form of ``a[index] += y``: ``a`` itself is not changed.
    Repeated indices of advanced indexing add up, like numpy's ``add.at``.

    Parameters
    ----------
    x : TensorVariable
        An indexed tensor, such as ``a[1:3]`` or ``a[[0, 0, 2]]``.
    y : TensorVariable or array_like
        Broadcasts to the shape of ``x``.

    Returns
    -------
    TensorVariable
        Of the shape of the tensor ``x`` indexes.

    Raises
    ------
    TypeError
        If ``x`` is not the result of indexing.

    Examples
    --------
    >>> a = T.dvector('a')
    >>> f = theano.function([a], T.inc_subtensor(a[1:3], 10))
    >>> f(numpy.zeros(4))
    array([ 0., 10., 10.,  0.])
    >>> theano.function([a], T.inc_subtensor(a[[0, 0]], 1))(numpy.zeros(2))
    array([2., 0.])
    """
    return _inc_or_set(x, y, False)


def set_subtensor(x, y):
    """The whole tensor that ``x`` indexes, with that part replaced by ``y``.

    The functional form of ``a[index] = y``: ``a`` itself is not changed.

    Parameters
    ----------
    x : TensorVariable
        An indexed tensor, such as ``a[0]`` or ``a[:, ::2]``.
    y : TensorVariable or array_like
        Broadcasts to the shape of ``x``.

    Returns
    -------
    TensorVariable
        Of the shape of the tensor ``x`` indexes.

    Raises
    ------
    TypeError
        If ``x`` is not the result of indexing.

    Examples
    --------
    >>> a = T.dmatrix('a')
    >>> f = theano.function([a], T.set_subtensor(a[:, 0], -1))
    >>> f(numpy.zeros((2, 2)))
    array([[-1.,  0.],
           [-1.,  0.]])
    >>> T.set_subtensor(a, 1)
    Traceback (most recent call last):
    ...
    TypeError: set_subtensor needs an indexed variable like x[1:3], got a
    """
    return _inc_or_set(x, y, True)


class SpecifyShape(Op):
    """Declare a static shape, checked when the function runs.

    Made by :func:`specify_shape`.

    Parameters
    ----------
    shape : tuple of (int or None)
        One length per axis.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.specify_shape(x, (2, None)).owner.op)
    SpecifyShape{shape=(2, None)}
    """

    __props__ = ("shape",)
    view_map = {0: [0]}

    def __init__(self, shape):
        self.shape = tuple(shape)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if len(self.shape) != x.ndim:
            raise ValueError(f"specify_shape: {x} has {x.ndim} dims, shape {self.shape} "
                             f"has {len(self.shape)}")
        return Apply(self, [x], [TensorType(x.dtype, shape=self.shape)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        if any(s is not None and s != n for s, n in zip(self.shape, x.shape)):
            raise ValueError(f"{node.inputs[0]} has shape {x.shape}, but was declared "
                             f"to have shape {self.shape}")
        output_storage[0][0] = x.view()

    def reference(self, node, x):
        return (x,)

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def infer_shape(self, node, input_shapes):
        return [tuple(s if s is not None else d for s, d in zip(self.shape, input_shapes[0]))]


def specify_shape(x, shape):
    """``x``, declared to have ``shape`` (checked when the function runs).

    Static lengths let the rewrites and ``infer_shape`` do more.

    Parameters
    ----------
    x : TensorVariable
        The tensor.
    shape : sequence of (int or None)
        One length per axis; None leaves it unknown.

    Returns
    -------
    TensorVariable
        ``x``, of static shape ``shape``.

    Raises
    ------
    ValueError
        When the function runs, if the value's shape differs.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> y = T.specify_shape(x, (2, None))
    >>> y.type.shape
    (2, None)
    >>> f = theano.function([x], y)
    >>> f(numpy.zeros((3, 3)))
    Traceback (most recent call last):
    ...
    ValueError: ...
    """

    return SpecifyShape(tuple(None if s is None else int(s) for s in shape))(x)


provide(is_basic_index=is_basic_index, subtensor=subtensor, specify_shape=specify_shape)
