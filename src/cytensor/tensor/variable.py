"""Python operators and methods on symbolic tensors (``x + y``, ``x.T``, ``x.sum()``).

TensorVariable inherits these.  The functions they call (``add``,
``transpose``, ``subtensor``...) are defined by the op modules (math.py,
basic.py, elemwise.py, subtensor.py, advanced.py), which build on the
tensor type and so sit above this module: each hands its functions in with
``provide`` when it is imported, and the methods call them through ``ops``.
Gradients inside the op modules use these methods (``g.sum(axis)``,
``x.astype(dtype)``) to reach ops defined in a module above their own.

The operator methods of the elementwise rows (``x + y``, ``1 - x``, ``-x``,
``abs(x)``, ``~x``...) are made from the table's ``operator`` column
(elemwise_opcodes.py, plain data below this module): a row with an operator
gets its method and, for a binary one, the reflected method; each calls the
row's tensor function.
"""
import types

from .elemwise_opcodes import OPCODE_ROWS

ops = types.SimpleNamespace()        # filled by provide(): ops.add, ops.transpose...


def provide(**functions):
    """Make ``functions`` callable from the methods below (as ``ops.NAME``)."""
    vars(ops).update(functions)


def _unary(fn_name):
    return lambda self: getattr(ops, fn_name)(self)


def _binary(fn_name, reflected=False):
    if reflected:
        return lambda self, other: getattr(ops, fn_name)(other, self)
    return lambda self, other: getattr(ops, fn_name)(self, other)


# Python reflects a comparison into its mirror (``1 < x`` calls ``x.__gt__(1)``),
# not into an __r...__ method.
_COMPARISONS = {"lt", "le", "gt", "ge"}


def operator_methods(rows=OPCODE_ROWS):
    """{method name: method} for the rows with a Python operator: ``__add__``
    and ``__radd__`` call ``ops.add``, ``__neg__`` calls ``ops.neg``."""
    methods = {}
    for row in rows:
        if row["operator"] is None:
            continue
        dunder = row["operator"].rstrip("_")     # operator.and_ is __and__
        if row["arity"] == 1:
            methods[f"__{dunder}__"] = _unary(row["name"])
            continue
        methods[f"__{dunder}__"] = _binary(row["name"])
        if dunder not in _COMPARISONS:
            methods[f"__r{dunder}__"] = _binary(row["name"], reflected=True)
    for name, method in methods.items():
        method.__name__, method.__qualname__ = name, f"TensorOperators.{name}"
    return methods


class TensorOperators:
    """Mixed into TensorVariable (and so into constants and shared tensors)."""

    # As in Theano, a variable is true (``if not W:`` asks whether one was
    # given), but a symbolic condition cannot be tested: ``if x > 0:`` and
    # ``a < b < c`` are mistakes, since the value is unknown until a call.
    def __bool__(self):
        if self.dtype == "bool":
            raise TypeError(f"the truth value of symbolic {self} is unknown until a "
                            "function runs; use T.switch(cond, a, b) for a symbolic choice")
        return True

    def __iter__(self):
        if self.ndim == 0 or self.type.shape[0] is None:
            raise TypeError(f"cannot iterate over {self}: its length is not known "
                            "when the graph is built")
        return (self[i] for i in range(self.type.shape[0]))

    def __len__(self):
        raise TypeError(f"len() of symbolic {self} is unknown; use {self}.shape[0]")

    # The elementwise operators (+ - * / // % ** & | ^ < <= > >=, -x, abs, ~x)
    # come from the table: operator_methods(), set below the class.  @ is a
    # product, not an elementwise row:
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)

    # == stays identity (variables are dict keys); use T.eq for elementwise equality.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __getitem__(self, index):
        if ops.is_basic_index(index):
            return ops.subtensor(self, index)
        return ops.advanced_subtensor(self, index)

    @property
    def T(self):
        return ops.transpose(self)

    @property
    def shape(self):
        return ops.shape(self)

    @property
    def size(self):
        return ops.prod(self.shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return ops.transpose(self, axes or None)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return ops.DimShuffle(self.ndim, pattern)(self)

    def reshape(self, *shape, ndim=None):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return ops.reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1):
        return ops.flatten(self, ndim)

    def astype(self, dtype):
        return ops.cast(self, dtype)

    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return ops.sum(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return ops.prod(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return ops.mean(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return ops.var(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return ops.std(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def max(self, axis=None, keepdims=False):
        return ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return ops.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return ops.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return ops.argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return ops.all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return ops.any(self, axis=axis, keepdims=keepdims)

    def dot(self, other):
        return ops.dot(self, other)

    def clip(self, low, high):
        return ops.clip(self, low, high)

    def round(self, mode=None):
        return ops.round(self, mode)

    def nonzero(self, return_matrix=False):
        return ops.nonzero(self, return_matrix)

    def nonzero_values(self):
        return ops.nonzero_values(self)

    def sort(self, axis=-1, kind="quicksort", order=None):
        return ops.sort(self, axis, kind, order)

    def argsort(self, axis=-1, kind="quicksort", order=None):
        return ops.argsort(self, axis, kind, order)

    def searchsorted(self, v, side="left", sorter=None):
        return ops.searchsorted(self, v, side, sorter)

    def cumsum(self, axis=None):
        return ops.cumsum(self, axis)

    def cumprod(self, axis=None):
        return ops.cumprod(self, axis)

    def repeat(self, repeats, axis=None):
        return ops.repeat(self, repeats, axis)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return ops.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        return ops.trace(self, offset, axis1, axis2)

    def swapaxes(self, axis1, axis2):
        return ops.swapaxes(self, axis1, axis2)

    def ptp(self, axis=None):
        return ops.ptp(self, axis)

    def choose(self, choices, out=None, mode="raise"):
        return ops.choose(self, choices, out, mode)

    def squeeze(self):
        return ops.squeeze(self)

    def copy(self, name=None):
        out = ops.elemwise_op("identity")(self)
        out.name = name
        return out

    def zeros_like(self, dtype=None):
        return ops.zeros_like(self, dtype)

    def transfer(self, target):
        """This value held on device ``target`` ('cpu', 'cuda', 'cuda1'...)."""
        return ops.transfer(self, target)

    def ones_like(self, dtype=None):
        return ops.ones_like(self, dtype)

    def __repr__(self):
        return str(self)


for _name, _method in operator_methods().items():
    setattr(TensorOperators, _name, _method)
del _name, _method

