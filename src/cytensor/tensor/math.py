"""Elementwise math (made from the table), reductions and products."""
import builtins
import functools

import numpy as np

from .. import kernels
from ..config import config
from ..kernels._blas import dot_matrices
from ..kernels._reduce import REDUCE_OPS, reduce_c_contiguous
from ..graph import Apply, Op
from .elemwise import Cast, DimShuffle, Elemwise, sum_to_shape_of
from .elemwise_table import ELEMWISE
from .reduction_table import REDUCTIONS, accumulator_dtype, keep_reduced_axes, result_dtype
from .type import DISCRETE_DTYPES, FLOAT_DTYPES, TensorType, as_tensor_variable, upcast
from .variable import ops, provide   # ops: alloc and reshape, from basic.py above

# ---------------------------------------------------------------------------
# Elementwise functions, one per table row
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def elemwise_op(name, dtype=None):
    """The (shared) Elemwise op of a row of the elementwise table.

    Parameters
    ----------
    name : str
        The row's name, e.g. ``'exp'``.
    dtype : str, optional
        The output dtype, for a cast in the same instruction (None: the row's rule).

    Returns
    -------
    Elemwise
        The same op for the same arguments.

    Raises
    ------
    KeyError
        If there is no such row.

    Examples
    --------
    >>> op = T.elemwise_op('exp')
    >>> op is T.elemwise_op('exp')
    True
    >>> x = T.dvector('x')
    >>> theano.function([x], op(x))(numpy.array([0.0]))
    array([1.])
    """

    return Elemwise.from_row(name, dtype)


def _elemwise_function(name):
    spec = ELEMWISE[name]

    def apply(*inputs):
        if len(inputs) != spec.arity:
            raise TypeError(f"{name} takes {spec.arity} arguments, got {len(inputs)}")
        return elemwise_op(name)(*inputs)
    apply.__name__ = name
    apply.__doc__ = _elemwise_docstring(spec)
    return apply


# The docstring of a row's function: its example runs the function on inputs
# in the row's domain and shows what the row's NumPy reference gives.
_DTYPE_RULES = {"upcast": "the inputs' common dtype, as NumPy promotes them",
                "float": "the inputs' common dtype, made floating point (int64 gives float64)",
                "same": "the input's dtype", "bool": "bool",
                "last_two": "the common dtype of the two branches",
                "integer": "the inputs' common dtype (integer or bool inputs only)"}


def _example_inputs(spec):
    """(constructor, values) per input of the docstring's example."""
    floats = "T.dvector"
    if spec.dtype == "integer":
        return [("T.lvector", [6, 3]), ("T.lvector", [3, 5])][:spec.arity]
    if spec.name.startswith("logical") or spec.name == "switch":
        first = ("T.tensor('bool', shape=(None,), name=%r)", [True, False])
        second = ("T.tensor('bool', shape=(None,), name=%r)", [True, True])
        if spec.name == "switch":
            return [first, (floats, [1.0, 2.0]), (floats, [10.0, 20.0])]
        return [first, second][:spec.arity]
    if spec.name == "clip":     # every row gets one, also those redefined by hand below
        return [(floats, [-2.0, 0.5, 3.0]), ("T.dscalar", 0.0), ("T.dscalar", 1.0)]
    if spec.name in ("isnan", "isinf", "isfinite"):
        return [(floats, [1.0, np.nan, np.inf])]
    if spec.dtype == "bool":
        return [(floats, [1.0, 2.0, 3.0]), (floats, [2.0, 2.0, 2.0])][:spec.arity]
    if spec.grad is None and spec.dtype == "same":          # the rounding rows
        return [(floats, [-1.5, 0.5, 2.5])]
    low, high = spec.domain
    points = [builtins.round(low + (high - low) * k / 4, 2) for k in (1, 2, 3)]
    return [(floats, points), (floats, points[::-1])][:spec.arity]


def _elemwise_docstring(spec):
    reference = getattr(spec.reference, "__name__", "<lambda>")
    like = (f"like numpy's ``{reference}``" if reference.isidentifier() and not reference.startswith("_")
            else "as NumPy computes it")
    names = ["x", "y", "z"][:spec.arity] if spec.name != "switch" else ["cond", "a", "b"]
    inputs = _example_inputs(spec)
    values = [np.asarray(v) for _, v in inputs]
    with np.errstate(all="ignore"):
        expected = np.asarray(spec.reference(*values))
    rounded = ".round(4)" if expected.dtype.kind == "f" else ""
    if rounded:
        expected = expected.round(4)
    lines = [f">>> {n} = {c % n if '%r' in c else c + f'({n!r})'}" for n, (c, _) in zip(names, inputs)]
    args = ", ".join(names)
    lines.append(f">>> f = theano.function([{args}], T.{spec.name}({args}))")
    call = ", ".join(f"numpy.array({v!r})" for _, v in inputs).replace("nan", "numpy.nan") \
        .replace("inf", "numpy.inf")
    lines += [f">>> f({call}){rounded}", repr(expected)]
    return "\n".join([
        f"Elementwise {spec.name}, {like}.", "",
        "Parameters", "----------",
        f"{', '.join(names)} : TensorVariable or array_like",
        "    The input" + ("s, broadcast against each other as in NumPy." if spec.arity > 1 else "."),
        "", "Returns", "-------", "TensorVariable",
        f"    Of {_DTYPE_RULES[spec.dtype]}" + (", and of the broadcast shape." if spec.arity > 1 else
                                                   ", and of the input's shape."),
        "", "Raises", "------", "TypeError",
        f"    Given other than {spec.arity} input" + ("s." if spec.arity > 1 else "."),
        "", "Examples", "--------", *lines])


for _name in ELEMWISE:
    globals()[_name] = _elemwise_function(_name)
del _name

# Theano's names for some rows.
abs_ = globals()["abs"]
sgn = globals()["sign"]
floor_div = int_div                                   # noqa: F821 (made above)
inv = reciprocal                                      # noqa: F821
where = switch                                        # noqa: F821
and_ = bitwise_and                                    # noqa: F821
or_ = bitwise_or                                      # noqa: F821
xor = bitwise_xor                                     # noqa: F821


def invert(x):
    """Bitwise not of integers; logical not of bools.

    Parameters
    ----------
    x : TensorVariable or array_like
        Of an integer or bool dtype.

    Returns
    -------
    TensorVariable
        Of ``x``'s dtype and shape.

    Examples
    --------
    >>> x = T.lvector('x')
    >>> theano.function([x], T.invert(x))(numpy.array([0, 5]))
    array([-1, -6])
    """
    x = as_tensor_variable(x)
    return elemwise_op("logical_not" if x.dtype == "bool" else "invert")(x)


def round(x, mode=None):
    """Round half to even (NumPy's rule) or, with mode='half_away_from_zero', like C.

    Parameters
    ----------
    x : TensorVariable or array_like
        The values to round.
    mode : {None, 'half_to_even', 'half_away_from_zero'}
        How halves round; None is 'half_to_even'.

    Returns
    -------
    TensorVariable
        Of ``x``'s dtype and shape.

    Raises
    ------
    ValueError
        For another mode.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> v = numpy.array([0.5, 1.5, -2.5])
    >>> theano.function([x], T.round(x))(v)
    array([ 0.,  2., -2.])
    >>> theano.function([x], T.round(x, 'half_away_from_zero'))(v)
    array([ 1.,  2., -3.])
    """
    mode = mode or "half_to_even"
    if mode not in ("half_to_even", "half_away_from_zero"):
        raise ValueError(f"round: unknown mode {mode!r}")
    return elemwise_op(f"round_{mode}")(x)


def iround(x, mode=None):
    """``round(x, mode)`` as int64.

    Parameters
    ----------
    x : TensorVariable or array_like
        The values to round.
    mode : {None, 'half_to_even', 'half_away_from_zero'}
        As in :func:`round`.

    Returns
    -------
    TensorVariable
        Of dtype int64.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.iround(x))(numpy.array([0.4, 2.6]))
    array([0, 3])
    """
    return cast(round(x, mode), "int64")


def cast(x, dtype):
    """Convert ``x`` to ``dtype`` (floats to ints truncate, as in NumPy).

    Parameters
    ----------
    x : TensorVariable or array_like
        The values to convert.
    dtype : str or numpy.dtype
        The new dtype; ``'floatX'`` means ``config.floatX``.

    Returns
    -------
    TensorVariable
        ``x`` itself if it has that dtype already.

    Raises
    ------
    TypeError
        If ``dtype`` is not a dtype.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.cast(x, 'int32'))(numpy.array([1.7, -1.7]))
    array([ 1, -1], dtype=int32)
    """
    x = as_tensor_variable(x)
    dtype = config.floatX if dtype == "floatX" else np.dtype(dtype).name
    return x if x.dtype == dtype else Cast(dtype)(x)


# Rows redefined by hand: add and mul take any number of terms, the others
# take their arguments by name too (clip(x, low=0, high=1)).


def add(*terms):
    """Sum of any number of tensors, broadcast against each other.

    Parameters
    ----------
    *terms : TensorVariable or array_like
        One or more terms.

    Returns
    -------
    TensorVariable
        ``terms[0] + terms[1] + ...``.

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.function([x, y], T.add(x, y, 1))(numpy.array([1.0, 2.0]), numpy.array([10.0, 20.0]))
    array([12., 23.])
    """
    return functools.reduce(elemwise_op("add"), terms)


def mul(*factors):
    """Product of any number of tensors, broadcast against each other.

    Parameters
    ----------
    *factors : TensorVariable or array_like
        One or more factors.

    Returns
    -------
    TensorVariable
        ``factors[0] * factors[1] * ...``.

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.function([x, y], T.mul(x, y, 2))(numpy.array([1.0, 2.0]), numpy.array([10.0, 20.0]))
    array([20., 80.])
    """
    return functools.reduce(elemwise_op("mul"), factors)


def clip(x, low, high):
    """``x`` clipped to [low, high], like numpy's ``clip``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The values.
    low, high : TensorVariable or array_like
        The bounds, broadcast against ``x``; with ``low > high`` the result is ``high``.

    Returns
    -------
    TensorVariable
        Of the inputs' common dtype.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.clip(x, 0, 1))(numpy.array([-2.0, 0.5, 3.0]))
    array([0. , 0.5, 1. ])
    """
    return elemwise_op("clip")(x, low, high)


def maximum(x, y):
    """The elementwise larger of ``x`` and ``y``; nan propagates, like numpy's ``maximum``.

    Parameters
    ----------
    x, y : TensorVariable or array_like
        Broadcast against each other.

    Returns
    -------
    TensorVariable
        Of the inputs' common dtype; at ties the gradient goes to both.

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.function([x, y], T.maximum(x, y))(numpy.array([1.0, 5.0]), numpy.array([3.0, 2.0]))
    array([3., 5.])
    """
    return elemwise_op("maximum")(x, y)


def minimum(x, y):
    """The elementwise smaller of ``x`` and ``y``; nan propagates, like numpy's ``minimum``.

    Parameters
    ----------
    x, y : TensorVariable or array_like
        Broadcast against each other.

    Returns
    -------
    TensorVariable
        Of the inputs' common dtype.

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.function([x, y], T.minimum(x, y))(numpy.array([1.0, 5.0]), numpy.array([3.0, 2.0]))
    array([1., 2.])
    """
    return elemwise_op("minimum")(x, y)


def true_div(x, y):
    """``x / y`` in floating point, like numpy's ``true_divide``.

    Parameters
    ----------
    x, y : TensorVariable or array_like
        Broadcast against each other.

    Returns
    -------
    TensorVariable
        Of a float dtype (integer inputs give float64).

    Examples
    --------
    >>> x, y = T.lvectors('x', 'y')
    >>> theano.function([x, y], T.true_div(x, y))(numpy.array([1, 3]), numpy.array([2, 2]))
    array([0.5, 1.5])
    """
    return elemwise_op("true_div")(x, y)


def divmod(x, y):
    """``(x // y, x % y)``, like Python's and numpy's ``divmod``.

    Parameters
    ----------
    x, y : TensorVariable or array_like
        Broadcast against each other.

    Returns
    -------
    tuple of TensorVariable
        The floor quotient and the remainder (of the sign of ``y``).

    Examples
    --------
    >>> x, y = T.lvectors('x', 'y')
    >>> f = theano.function([x, y], T.divmod(x, y))
    >>> f(numpy.array([7, -7]), numpy.array([2, 2]))
    [array([ 3, -4]), array([1, 1])]
    """
    return int_div(x, y), mod(x, y)                   # noqa: F821


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------


def normalize_axis(axis, ndim):
    """The axes ``axis`` names in a tensor of ``ndim`` dimensions, as a sorted tuple.

    Parameters
    ----------
    axis : None, int or sequence of int
        None means every axis; negative axes count from the end.
    ndim : int
        The tensor's number of dimensions.

    Returns
    -------
    tuple of int
        Non-negative, sorted axes.

    Raises
    ------
    ValueError
        For an axis out of bounds, or one repeated.

    Examples
    --------
    >>> T.normalize_axis(-1, 3)
    (2,)
    >>> T.normalize_axis(None, 2)
    (0, 1)
    >>> T.normalize_axis(3, 2)
    Traceback (most recent call last):
    ...
    ValueError: axis 3 is out of bounds for a tensor of 2 dimensions
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        # A scalar takes axis 0 or -1 (Theano's convention): it reduces nothing.
        if not (-ndim <= a < ndim if ndim else a in (0, -1)):
            raise ValueError(f"axis {a} is out of bounds for a tensor of {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(a for a in out if ndim))


def _sum_dtype(dtype):
    """The result dtype of a sum of ``dtype`` (the reduction table's rule)."""
    return result_dtype(REDUCTIONS["sum"], dtype)


def _reduction_row(op):
    """The reduction table's row named ``op``; ValueError naming it if none."""
    try:
        return REDUCTIONS[op]
    except (KeyError, TypeError):
        raise ValueError(f"unknown reduction {op!r}; expected one of {sorted(REDUCTIONS)}") \
            from None


def _checked_acc_dtype(op, x_dtype, acc_dtype):
    """The acc_dtype a reduction ``op`` of ``x_dtype`` input stores: None for
    the default accumulator, else the dtype's name.

    As in Theano, the accumulator may not lose precision of the input (a float
    accumulator for integer or bool input is allowed); it must also be one the
    kernels have.  Anything else raises TypeError here, at graph-build time.
    """
    if acc_dtype is None:
        return None
    spec = _reduction_row(op)
    if spec.accumulator != "wide":
        raise TypeError(f"{op} does not accumulate: acc_dtype applies to sum, prod and mean")
    try:
        acc = np.dtype(acc_dtype).name
    except TypeError:
        raise TypeError(f"{op}: acc_dtype={acc_dtype!r} is not a dtype") from None
    if acc not in kernels.ACC_DTYPES:
        raise TypeError(f"{op}: acc_dtype={acc} is not an accumulator the kernels have "
                        f"(one of {', '.join(kernels.ACC_DTYPES)})")
    float_for_discrete = acc in FLOAT_DTYPES and x_dtype in DISCRETE_DTYPES
    if acc != upcast(x_dtype, acc) and not float_for_discrete:
        raise TypeError(f"{op}: acc_dtype={acc} would lose precision of the {x_dtype} input; "
                        "leave acc_dtype out (dtype= sets the result's), or cast the input")
    return None if acc == accumulator_dtype(spec, x_dtype) else acc


class Reduce(Op):
    """Reduce over ``axis`` with sum, prod, max, min, all or any.

    ``acc_dtype`` (sum and prod only) is the dtype the terms are accumulated
    in, None for the default one (the reduction table's ``accumulator_dtype``);
    ``dtype`` is that of the result.  What each reduction does (result and
    accumulator dtypes, gradient, reference) is its row of the reduction table.

    Made by :func:`sum`, :func:`prod`, :func:`max`, :func:`min`, :func:`all` and :func:`any`.

    Parameters
    ----------
    op : {'sum', 'prod', 'max', 'min', 'all', 'any'}
        The reduction.
    axis : tuple of int
        The axes reduced, sorted.
    dtype : str, optional
        The result's dtype.
    acc_dtype : str, optional
        The dtype the terms accumulate in.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.sum(x, axis=0).owner.op)
    Sum{axis=[0]}
    >>> T.Reduce('max', (1,))(x).eval({x: numpy.array([[1.0, 3.0]])})
    array([3.])
    """

    __props__ = ("op", "axis", "dtype", "acc_dtype")

    def __init__(self, op, axis, dtype=None, acc_dtype=None):
        self.op, self.axis, self.dtype, self.acc_dtype = op, tuple(axis), dtype, acc_dtype
        self.spec = _reduction_row(op)
        if self.spec.per_axis:
            raise ValueError(f"Reduce: {op} takes one axis: it is the Argmax op")

    def __getstate__(self):
        return {"op": self.op, "axis": self.axis, "dtype": self.dtype,
                "acc_dtype": self.acc_dtype}

    def __setstate__(self, state):
        self.__init__(**state)

    def __str__(self):
        acc = f", acc_dtype={self.acc_dtype}" if self.acc_dtype is not None else ""
        return f"{self.op.capitalize()}{{axis={list(self.axis)}{acc}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if builtins.any(a >= x.ndim for a in self.axis):
            raise ValueError(f"{self}: axis out of range for {x} with {x.ndim} dimensions")
        _checked_acc_dtype(self.op, x.dtype, self.acc_dtype)
        dtype = result_dtype(self.spec, x.dtype)
        if self.dtype and self.spec.accumulator == "wide":
            dtype = self.dtype
        shape = tuple(s for a, s in enumerate(x.type.shape) if a not in self.axis)
        return Apply(self, [x], [TensorType(dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = kernels.reduce(self.op, inputs[0], self.axis,
                                              acc_dtype=self.acc_dtype,
                                              out_dtype=node.outputs[0].dtype)

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: a C-contiguous float array reduced over a run of
        consecutive axes goes straight to the kernel (kernels._reduce.
        reduce_c_contiguous, the same loops as kernels.reduce, with the
        default accumulator)."""
        general = super().make_thunk(node, input_cells, output_cells)
        axes = sorted(set(self.axis))
        if not axes or self.acc_dtype is not None \
                or axes != list(range(axes[0], axes[-1] + 1)) \
                or node.inputs[0].dtype not in ("float32", "float64"):
            return general
        opc, r0, r1 = REDUCE_OPS[self.op], axes[0], axes[-1] + 1
        out_num = np.dtype(node.outputs[0].dtype).num
        (x_cell,), (out_cell,) = input_cells, output_cells

        def thunk():
            res = reduce_c_contiguous(opc, x_cell[0], r0, r1, out_num)
            if res is None:
                return general()
            out_cell[0] = res
        return thunk

    def reference(self, node, x):
        return (_reduce_reference(self.op, self.axis, self.acc_dtype, x,
                                  node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if self.spec.gradient is None or not x.dtype.startswith("float"):
            return [None]
        g_wide = ops.alloc(keep_reduced_axes(g, x, self.axis), *x.shape)
        out_wide = keep_reduced_axes(self(x), x, self.axis)
        return [self.spec.gradient(x, g_wide, out_wide, self.axis)]

    def infer_shape(self, node, input_shapes):
        return [tuple(s for a, s in enumerate(input_shapes[0]) if a not in self.axis)]


class FusedReduce(Op):
    """A reduction of an elementwise program, computed without materialising it.

    Made by the fusion rewrite from ``Reduce(Elemwise(...))``: the kernel runs
    the program block by block and folds each block into the reduction, so
    ``((a - b) ** 2).sum(axis)`` reads a and b once and allocates only the
    result.
    """

    __props__ = ("program", "op", "axis", "dtype")

    def __init__(self, program, op, axis, dtype):
        self.program, self.op, self.axis, self.dtype = program, op, tuple(axis), dtype
        self.elementwise = Elemwise(program)       # the reduced program, unreduced

    def __getstate__(self):
        return {"program": self.program, "op": self.op, "axis": self.axis, "dtype": self.dtype}

    def __setstate__(self, state):
        self.__init__(**state)

    def __str__(self):
        return f"{self.op.capitalize()}{{axis={list(self.axis)}}}[{self.program}]"

    def make_node(self, *inputs):
        elementwise = self.elementwise.make_node(*inputs)
        x = elementwise.outputs[0]
        shape = tuple(s for a, s in enumerate(x.type.shape) if a not in self.axis)
        return Apply(self, elementwise.inputs, [TensorType(self.dtype, shape=shape)()])

    def make_program_thunk(self, node, input_cells, output_cells, lowered):
        """The node's one run-time implementation, given its program as
        compile/lowering.py lowered it (None: NumPy runs the node)."""
        if lowered is None:
            return super().make_thunk(node, input_cells, output_cells)
        run = kernels.FusedReduction(lowered.code, lowered.n_registers, len(input_cells),
                                     self.op, self.axis, node.outputs[0].type.numpy_dtype,
                                     lowered.compute)
        (out_cell,) = output_cells

        def thunk():
            out_cell[0] = run([c[0] for c in input_cells])
        return thunk

    def reference(self, node, *inputs):
        (value,) = self.elementwise.reference(node, *inputs)
        # the kernel's default accumulator
        return (_reduce_reference(self.op, self.axis, None, value, node.outputs[0].dtype),)

    def infer_shape(self, node, input_shapes):
        (shape,) = self.elementwise.infer_shape(node, input_shapes)
        return [tuple(s for a, s in enumerate(shape) if a not in self.axis)]


def _reduce_reference(op, axis, acc_dtype, x, out_dtype):
    """NumPy's reduction ``op`` of array ``x`` (acc_dtype None: the default
    accumulator)."""
    spec = REDUCTIONS[op]
    if spec.accumulator == "wide":
        acc = acc_dtype or accumulator_dtype(spec, x.dtype.name)
        with np.errstate(all="ignore"):        # inf - inf is nan, as in the kernel
            total = spec.reference(x, axis=axis, dtype=acc)
        return np.asarray(total).astype(out_dtype)
    return np.asarray(spec.reference(x, axis=axis), dtype=out_dtype)


def _reduction(op_name, doc):
    def reduce(x, axis=None, keepdims=False, dtype=None, acc_dtype=None):
        x = as_tensor_variable(x)
        axes = normalize_axis(axis, x.ndim)
        spec = REDUCTIONS[op_name]
        if dtype is not None and spec.accumulator != "wide":
            gives = "bool" if spec.result_dtype == "bool" else f"the input's dtype, {x.dtype}"
            raise TypeError(f"{op_name} gives {gives}, not dtype={dtype!r}: cast the result")
        acc_dtype = _checked_acc_dtype(op_name, x.dtype, acc_dtype)
        out = Reduce(op_name, axes, dtype and np.dtype(dtype).name, acc_dtype)(x)
        return keep_reduced_axes(out, x, axes) if keepdims else out
    reduce.__name__ = op_name
    reduce.__doc__ = doc
    return reduce


# The reductions' docstrings: a summary, the shared parameters, an example.
_REDUCE_DOC = """{summary}

Parameters
----------
x : TensorVariable or array_like
    The tensor to reduce.
axis : None, int or sequence of int
    The axes to reduce (negative ones count from the end); None: all of them.
keepdims : bool
    Keep the reduced axes, of length 1, so the result broadcasts against ``x``.
dtype : str, optional
    The result's dtype (sum and prod only).
acc_dtype : str, optional
    The dtype the terms accumulate in (default: float64 for floats,
    int64/uint64 for integers, as Theano's ``acc_dtype``).  So a float32
    sum keeps its digits and its partial sums do not overflow: float32
    ``[FLT_MAX, FLT_MAX, -inf]`` sums to ``-inf``, where NumPy's float32
    steps give ``nan``.

Returns
-------
TensorVariable
    {returns}

Raises
------
TypeError
    For ``dtype`` given to a reduction other than sum and prod, or an
    ``acc_dtype`` narrower than the input's.
ValueError
    For an axis out of bounds, or repeated.

Examples
--------
>>> x = T.dmatrix('x')
>>> f = theano.function([x], [T.{name}(x), T.{name}(x, axis=0), T.{name}(x, axis=1, keepdims=True)])
>>> [r.tolist() for r in f(numpy.array([[{values}]]))]
{results}
"""
sum = _reduction("sum", _REDUCE_DOC.format(
    name="sum", summary="Sum over ``axis``; integers sum in int64 (uint64), as in NumPy.",
    returns="Of ``dtype``, else int64 for signed integers and bool, else ``x``'s dtype.",
    values="1.0, 2.0], [3.0, 4.0", results="[10.0, [4.0, 6.0], [[3.0], [7.0]]]"))
prod = _reduction("prod", _REDUCE_DOC.format(
    name="prod", summary="Product over ``axis``; integers multiply in int64 (uint64), as in NumPy.",
    returns="Of ``dtype``, else int64 for signed integers and bool, else ``x``'s dtype.",
    values="1.0, 2.0], [3.0, 4.0", results="[24.0, [3.0, 8.0], [[2.0], [12.0]]]"))
max = _reduction("max", _REDUCE_DOC.format(
    name="max", summary="Maximum over ``axis``; nan propagates.", returns="Of ``x``'s dtype.",
    values="1.0, 5.0], [3.0, 4.0", results="[5.0, [3.0, 5.0], [[5.0], [4.0]]]"))
min = _reduction("min", _REDUCE_DOC.format(
    name="min", summary="Minimum over ``axis``; nan propagates.", returns="Of ``x``'s dtype.",
    values="1.0, 5.0], [3.0, 4.0", results="[1.0, [1.0, 4.0], [[1.0], [3.0]]]"))
all = _reduction("all", _REDUCE_DOC.format(
    name="all", summary="True where every element over ``axis`` is non-zero.",
    returns="Of dtype bool.",
    values="1.0, 0.0], [3.0, 4.0", results="[False, [True, False], [[False], [True]]]"))
any = _reduction("any", _REDUCE_DOC.format(
    name="any", summary="True where some element over ``axis`` is non-zero.",
    returns="Of dtype bool.",
    values="0.0, 0.0], [3.0, 0.0", results="[True, [True, False], [[False], [True]]]"))


class Argmax(Op):
    """Index of the first maximum (or minimum) along one axis, or of the flattened array.

    Made by :func:`argmax` and :func:`argmin`.

    Parameters
    ----------
    op : {'argmax', 'argmin'}
        Which one.
    axis : int or None
        The axis; None: the flattened tensor.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.argmax(x, axis=0).owner.op)
    Argmax{op='argmax', axis=0}
    """

    __props__ = ("op", "axis")

    def __init__(self, op, axis):
        self.op, self.axis = op, axis

    def make_node(self, x):
        x = as_tensor_variable(x)
        shape = () if self.axis is None else \
            tuple(s for a, s in enumerate(x.type.shape) if a != self.axis)
        return Apply(self, [x], [TensorType("int64", shape=shape)()])

    def perform(self, node, inputs, output_storage):
        axes = None if self.axis is None else (self.axis,)
        output_storage[0][0] = kernels.reduce(self.op, inputs[0], axes)

    def reference(self, node, x):
        fn = np.argmax if self.op == "argmax" else np.argmin
        return (np.asarray(fn(x, axis=self.axis), dtype="int64"),)

    def grad(self, inputs, output_grads):
        return [None]

    def infer_shape(self, node, input_shapes):
        if self.axis is None:
            return [()]
        return [tuple(s for a, s in enumerate(input_shapes[0]) if a != self.axis)]


def _arg_reduction(op_name):
    def arg(x, axis=None, keepdims=False):
        x = as_tensor_variable(x)
        if axis is not None:
            (axis,) = normalize_axis(axis, x.ndim) or (None,)
            if x.ndim == 0:
                axis = None
        out = Argmax(op_name, axis)(x)
        if keepdims:
            out = keep_reduced_axes(out, x, tuple(range(x.ndim)) if axis is None else (axis,))
        return out
    arg.__name__ = op_name
    arg.__doc__ = f"""Index of the first {op_name[3:]}imum along ``axis`` (None: of the flattened tensor).

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : None or int
        The axis to search along; None: the flattened tensor.
    keepdims : bool
        Keep the reduced axis, of length 1.

    Returns
    -------
    TensorVariable
        Of dtype int64.

    Raises
    ------
    ValueError
        For an axis out of bounds.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> f = theano.function([x], [T.{op_name}(x), T.{op_name}(x, axis=1)])
    >>> f(numpy.array([[1.0, 9.0, 0.0], [7.0, 2.0, 8.0]]))
    [array({1 if op_name == "argmax" else 2}), array({[1, 2] if op_name == "argmax" else [2, 1]})]
    """
    return arg


argmax = _arg_reduction("argmax")
argmin = _arg_reduction("argmin")


def max_and_argmax(x, axis=None):
    """The maximum along ``axis`` and its index, as in Theano.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : None or int
        The axis; None: the flattened tensor.

    Returns
    -------
    tuple of TensorVariable
        ``(max(x, axis), argmax(x, axis))``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.max_and_argmax(x))(numpy.array([3.0, 7.0, 5.0]))
    [array(7.), array(1)]
    """
    return max(x, axis), argmax(x, axis)


def _reduced_count(x, axes):
    count = 1
    for a in axes:
        count = count * x.shape[a]
    return count


def mean(x, axis=None, keepdims=False, dtype=None, acc_dtype=None):
    """Arithmetic mean over ``axis``; integer inputs give float64, as in Theano and NumPy.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : None, int or sequence of int
        The axes to average over; None: all of them.
    keepdims : bool
        Keep the reduced axes, of length 1.
    dtype : str, optional
        The result's dtype.
    acc_dtype : str, optional
        The dtype of the inner sum (see :func:`sum`).

    Returns
    -------
    TensorVariable
        Of ``dtype``, else float64 for integers, else ``x``'s dtype.

    Examples
    --------
    >>> x = T.lmatrix('x')
    >>> f = theano.function([x], [T.mean(x), T.mean(x, axis=0)])
    >>> f(numpy.array([[1, 2], [4, 8]]))
    [array(3.75), array([2.5, 5. ])]
    """
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    is_float = x.dtype.startswith("float")
    out_dtype = dtype or ("float64" if not is_float else x.dtype)
    if acc_dtype is None and not is_float:
        acc_dtype = "float64"      # as NumPy: int64 [2**62]*3 must not wrap
    total = sum(x, axes, keepdims=keepdims, dtype=out_dtype, acc_dtype=acc_dtype)
    return true_div(total, cast(_reduced_count(x, axes), out_dtype))


def var(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """Variance over ``axis``, as numpy's ``var``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : None, int or sequence of int
        The axes; None: all of them.
    ddof : int
        Delta degrees of freedom: the sum of squares is divided by ``n - ddof``.
    keepdims : bool
        Keep the reduced axes, of length 1.
    corrected : bool
        True means ``ddof=1`` (Theano's spelling).

    Returns
    -------
    TensorVariable
        Of a float dtype.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], [T.var(x), T.var(x, ddof=1)])
    >>> f(numpy.array([1.0, 2.0, 3.0, 4.0]))
    [array(1.25), array(1.66666667)]
    """
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim)
    if corrected:
        ddof = 1
    centred = x - mean(x, axes, keepdims=True)
    dtype = centred.dtype
    total = sum(sqr(centred), axes, keepdims=keepdims)                   # noqa: F821
    return true_div(total, cast(_reduced_count(x, axes) - ddof, dtype))


def std(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """Standard deviation over ``axis``: the square root of :func:`var`.

    Parameters
    ----------
    x : TensorVariable or array_like
        The tensor.
    axis : None, int or sequence of int
        The axes; None: all of them.
    ddof : int
        Delta degrees of freedom.
    keepdims : bool
        Keep the reduced axes, of length 1.
    corrected : bool
        True means ``ddof=1``.

    Returns
    -------
    TensorVariable
        Of a float dtype.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> theano.function([x], T.std(x, axis=1))(numpy.array([[1.0, 3.0], [2.0, 2.0]]))
    array([1., 0.])
    """
    return sqrt(var(x, axis, ddof, keepdims, corrected))                # noqa: F821


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------


class Dot(Op):
    """Matrix and vector products (ndim 1 or 2), through BLAS for floats.

    Made by :func:`dot` (and :func:`matmul`, :func:`tensordot`...) for vectors and matrices.

    Examples
    --------
    >>> A, B = T.dmatrices('A', 'B')
    >>> print(T.dot(A, B).owner.op)
    Dot
    """

    __props__ = ()

    def make_node(self, a, b):
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim not in (1, 2) or b.ndim not in (1, 2):
            raise TypeError(f"Dot takes vectors and matrices, got {a.ndim}-d and {b.ndim}-d")
        ka, kb = a.type.shape[-1], b.type.shape[0]
        if ka is not None and kb is not None and ka != kb:
            raise ValueError(f"dot: shapes {a.type.shape} and {b.type.shape} are not "
                             f"aligned: {ka} (last axis of {a}) != {kb} (first axis of {b})")
        shape = a.type.shape[:-1] + b.type.shape[1:]
        return Apply(self, [a, b], [TensorType(upcast(a.dtype, b.dtype), shape=shape)()])

    def perform(self, node, inputs, output_storage):
        a, b = inputs
        if a.shape[-1] != b.shape[0]:
            raise ValueError(f"shapes {a.shape} and {b.shape} not aligned: "
                             f"{a.shape[-1]} (dim {a.ndim - 1}) != {b.shape[0]} (dim 0)")
        dtype = node.outputs[0].type.numpy_dtype
        output_storage[0][0] = kernels.dot(a.astype(dtype, copy=False),
                                           b.astype(dtype, copy=False))

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: matrices (a vector seen as a one-row or one-column
        matrix) of the output's float dtype go straight to BLAS
        (kernels._blas.dot_matrices: gemm, or gemv for a row or a column);
        anything else takes ``perform``."""
        general = super().make_thunk(node, input_cells, output_cells)
        a_var, b_var = node.inputs
        dtype = node.outputs[0].dtype
        if (a_var.ndim, b_var.ndim) not in ((2, 2), (2, 1), (1, 2)) \
                or dtype not in ("float32", "float64") \
                or a_var.dtype != dtype or b_var.dtype != dtype:
            return general
        (a_cell, b_cell), (out_cell,) = input_cells, output_cells
        if a_var.ndim == b_var.ndim:
            def thunk():
                res = dot_matrices(a_cell[0], b_cell[0], out_cell[0])
                if res is None:
                    return general()
                out_cell[0] = res
            return thunk
        as_matrix = (lambda v: v[:, None]) if b_var.ndim == 1 else (lambda v: v[None, :])
        a_side = a_var.ndim == 1

        def thunk():
            a, b, out = a_cell[0], b_cell[0], out_cell[0]
            vector = a if a_side else b
            if getattr(vector, "ndim", None) != 1:
                return general()
            vector = as_matrix(vector)
            res = dot_matrices(vector if a_side else a, b if a_side else vector,
                               None if out is None else as_matrix(out))
            if res is None:
                return general()
            out_cell[0] = res.reshape(-1)
        return thunk

    def reference(self, node, a, b):
        return (np.asarray(np.dot(a, b), dtype=node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        (a, b), (g,) = inputs, output_grads
        if a.ndim == 1 and b.ndim == 1:
            ga, gb = g * b, g * a
        elif a.ndim == 2 and b.ndim == 1:
            ga, gb = outer(g, b), dot(a.T, g)
        elif a.ndim == 1:
            ga, gb = dot(b, g), outer(a, g)
        else:
            ga, gb = dot(g, b.T), dot(a.T, g)
        return [cast(ga, a.dtype), cast(gb, b.dtype)]

    def infer_shape(self, node, input_shapes):
        sa, sb = input_shapes
        return [tuple(sa[:-1]) + tuple(sb[1:])]


_dot = Dot()


class Gemm(Op):
    """``beta * C + alpha * dot(A, B)`` in one BLAS call.

    Made by a rewrite from ``C - lr * dot(A, B)`` (an SGD step); with
    ``inplace`` the result is written over C, which the in-place phase
    allows when C's old value is dead (a shared variable being updated).

    The rewrites make it from ``beta * C + alpha * dot(A, B)``; its inputs are
    ``(C, alpha, A, B, beta)``.

    Parameters
    ----------
    inplace : bool
        Write the result into ``C``'s storage.

    Examples
    --------
    >>> A, B, C = T.dmatrices('A', 'B', 'C')
    >>> out = T.Gemm()(C, 2.0, A, B, 0.5)
    >>> theano.function([A, B, C], out)(numpy.eye(2), numpy.ones((2, 2)), numpy.ones((2, 2)))
    array([[2.5, 2.5],
           [2.5, 2.5]])
    """

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = inplace
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self):
        return "Gemm{inplace}" if self.inplace else "Gemm"

    def make_node(self, C, alpha, A, B, beta):
        C, alpha, A, B, beta = map(as_tensor_variable, (C, alpha, A, B, beta))
        if not (C.ndim == A.ndim == B.ndim == 2) or alpha.ndim or beta.ndim:
            raise TypeError(f"Gemm takes matrices C, A, B and scalars alpha, beta, got "
                            f"{C.type}, {alpha.type}, {A.type}, {B.type}, {beta.type}")
        if not (C.dtype == A.dtype == B.dtype) or C.dtype not in ("float32", "float64"):
            raise TypeError(f"Gemm: C, A and B must share float32 or float64, got "
                            f"{C.dtype}, {A.dtype}, {B.dtype}")
        return Apply(self, [C, alpha, A, B, beta], [C.type()])

    def perform(self, node, inputs, output_storage):
        C, alpha, A, B, beta = inputs
        if A.shape[1] != B.shape[0] or C.shape != (A.shape[0], B.shape[1]):
            raise ValueError(f"Gemm: shapes {A.shape} @ {B.shape} do not give {C.shape}")
        out = C if self.inplace and C.flags.writeable else C.copy()
        output_storage[0][0] = kernels.gemm(alpha, A, B, beta, out)

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: one lean BLAS call into C (or a copy of it)."""
        general = super().make_thunk(node, input_cells, output_cells)
        c_cell, alpha_cell, a_cell, b_cell, beta_cell = input_cells
        (out_cell,) = output_cells
        inplace = self.inplace

        def thunk():
            C = c_cell[0]
            out = dot_matrices(a_cell[0], b_cell[0], C if inplace else C.copy(),
                               float(alpha_cell[0]), float(beta_cell[0]))
            if out is None:
                return general()
            out_cell[0] = out
        return thunk

    def reference(self, node, C, alpha, A, B, beta):
        return ((beta * C + alpha * np.dot(A, B)).astype(C.dtype),)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("Gemm is made by rewrites, after gradients are taken")

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def dot(a, b):
    """NumPy's dot: scalars multiply, vectors and matrices contract, higher
    ranks contract the last axis of ``a`` with the second-to-last of ``b``.

    Matrix products run in BLAS (through SciPy); the rewrites fold
    ``beta * C + alpha * dot(A, B)`` into one GEMM call.

    Parameters
    ----------
    a, b : TensorVariable or array_like
        The factors.

    Returns
    -------
    TensorVariable
        Of the factors' common dtype.

    Examples
    --------
    >>> A = T.dmatrix('A')
    >>> v = T.dvector('v')
    >>> f = theano.function([A, v], [T.dot(A, v), T.dot(v, v)])
    >>> f(numpy.array([[1.0, 2.0], [3.0, 4.0]]), numpy.array([1.0, 1.0]))
    [array([3., 7.]), array(2.)]
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return _dot(a, b)
    return tensordot(a, b, [[a.ndim - 1], [builtins.max(0, b.ndim - 2)]])


def tensordot(a, b, axes=2):
    """Contract ``axes`` of ``a`` with those of ``b``, like numpy's ``tensordot``.

    The contraction is one matrix product of reshaped operands.

    Parameters
    ----------
    a, b : TensorVariable or array_like
        The operands.
    axes : int or pair of sequences of int
        An int n contracts the last n axes of ``a`` with the first n of
        ``b``; a pair lists the axes of each.

    Returns
    -------
    TensorVariable
        With the free axes of ``a`` then those of ``b``.

    Examples
    --------
    >>> a = T.dtensor3('a')
    >>> b = T.dmatrix('b')
    >>> c = T.tensordot(a, b, axes=[[2], [0]])
    >>> theano.function([a, b], c)(numpy.ones((2, 3, 4)), numpy.ones((4, 5))).shape
    (2, 3, 5)
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, int):
        axes = [list(range(a.ndim - axes, a.ndim)), list(range(axes))]
    a_axes = [x % a.ndim for x in np.atleast_1d(axes[0])]
    b_axes = [x % b.ndim for x in np.atleast_1d(axes[1])]
    a_free = [x for x in range(a.ndim) if x not in a_axes]
    b_free = [x for x in range(b.ndim) if x not in b_axes]
    at = a.dimshuffle(a_free + a_axes)
    bt = b.dimshuffle(b_axes + b_free)
    k = _reduced_count(a, a_axes)
    a2 = ops.reshape(at, (-1, k))
    b2 = ops.reshape(bt, (k, -1))
    out_shape = [a.shape[x] for x in a_free] + [b.shape[x] for x in b_free]
    return ops.reshape(_dot(a2, b2), out_shape, ndim=len(out_shape))


def outer(x, y):
    """Outer product of two vectors, like numpy's ``outer``.

    Parameters
    ----------
    x, y : TensorVariable or array_like
        Vectors.

    Returns
    -------
    TensorVariable
        The matrix ``x[i] * y[j]``.

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.function([x, y], T.outer(x, y))(numpy.array([1.0, 2.0]), numpy.array([1.0, 10.0]))
    array([[ 1., 10.],
           [ 2., 20.]])
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    return _dot(x.dimshuffle(0, "x"), y.dimshuffle("x", 0))


class BatchedMatmul(Op):
    """``a @ b`` for stacks of matrices with the same leading (batch) axes.

    Made by :func:`matmul` for tensors of rank 3 or more.

    Examples
    --------
    >>> a, b = T.dtensor3('a'), T.dtensor3('b')
    >>> print(T.matmul(a, b).owner.op)
    BatchedMatmul
    """

    __props__ = ()

    def make_node(self, a, b):
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim != b.ndim or a.ndim < 3:
            raise TypeError("BatchedMatmul takes two tensors of the same rank >= 3")
        batch = broadcast_batch(a.type.shape[:-2], b.type.shape[:-2])
        shape = batch + (a.type.shape[-2], b.type.shape[-1])
        return Apply(self, [a, b], [TensorType(upcast(a.dtype, b.dtype), shape=shape)()])

    def perform(self, node, inputs, output_storage):
        a, b = inputs
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} not aligned")
        dtype = node.outputs[0].type.numpy_dtype
        a = a.astype(dtype, copy=False)
        b = b.astype(dtype, copy=False)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = np.broadcast_to(a, batch + a.shape[-2:])
        b = np.broadcast_to(b, batch + b.shape[-2:])
        out = np.empty(batch + (a.shape[-2], b.shape[-1]), dtype=dtype)
        for index in np.ndindex(*batch):
            out[index] = kernels.dot(a[index], b[index])
        output_storage[0][0] = out

    def reference(self, node, a, b):
        return (np.matmul(a, b).astype(node.outputs[0].dtype),)

    def grad(self, inputs, output_grads):
        (a, b), (g,) = inputs, output_grads
        swap = list(range(a.ndim - 2)) + [a.ndim - 1, a.ndim - 2]
        ga = self(g, b.dimshuffle(swap))
        gb = self(a.dimshuffle(swap), g)
        return [sum_to_shape_of(ga, a), sum_to_shape_of(gb, b)]


def broadcast_batch(sa, sb):
    out = []
    for x, y in zip(sa, sb):
        if x is not None and y is not None and x != y and 1 not in (x, y):
            raise ValueError(f"matmul: batch shapes {sa} and {sb} do not broadcast")
        out.append(y if x == 1 else x if y == 1 else (x if x is not None else y))
    return tuple(out)


def matmul(a, b):
    """NumPy's ``a @ b``: vectors are promoted, leading axes are batches.

    Parameters
    ----------
    a, b : TensorVariable or array_like
        Of at least one dimension.

    Returns
    -------
    TensorVariable
        The (batched) matrix product.

    Raises
    ------
    ValueError
        If an operand is a scalar, or the batch shapes do not broadcast.

    Examples
    --------
    >>> a, b = T.dtensor3('a'), T.dtensor3('b')
    >>> f = theano.function([a, b], T.matmul(a, b))
    >>> f(numpy.ones((4, 2, 3)), numpy.ones((4, 3, 5))).shape
    (4, 2, 5)
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: scalars are not allowed, use *")
    if a.ndim <= 2 and b.ndim <= 2:
        return _dot(a, b)
    squeeze = []
    if a.ndim == 1:
        a = a.dimshuffle("x", 0)
        squeeze.append(-2)
    if b.ndim == 1:
        b = b.dimshuffle(0, "x")
        squeeze.append(-1)
    ndim = builtins.max(a.ndim, b.ndim)
    a = a.dimshuffle(["x"] * (ndim - a.ndim) + list(range(a.ndim)))
    b = b.dimshuffle(["x"] * (ndim - b.ndim) + list(range(b.ndim)))
    out = BatchedMatmul()(a, b)
    if squeeze:
        keep = [i for i in range(out.ndim) if i - out.ndim not in squeeze]
        out = out.dimshuffle(keep)
    return out


# The row functions made above, listed for readers and linters.
__all__ = list(ELEMWISE) + [
    "abs_", "sgn", "floor_div", "inv", "where", "and_", "or_", "xor", "invert", "round",
    "iround", "cast", "add", "mul", "clip", "maximum", "minimum", "true_div", "divmod",
    "sum", "prod", "max", "min", "all", "any", "argmax", "argmin", "max_and_argmax",
    "mean", "var", "std", "dot", "tensordot", "outer", "matmul", "normalize_axis",
    "Reduce", "Argmax", "Dot", "Gemm", "BatchedMatmul", "Cast", "elemwise_op"]


provide(**{name: globals()[name] for name in __all__})
