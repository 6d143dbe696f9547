"""Python operators and methods on symbolic tensors (``x + y``, ``x.T``, ``x.sum()``).

TensorVariable inherits these.  The tensor modules they call import the
type module, so they are looked up when an operator runs, not at import.
"""
import sys


class _Lazy:
    def __init__(self, name):
        self.name = f"cytensor.tensor.{name}"

    def __getattr__(self, attr):
        return getattr(sys.modules[self.name], attr)


basic, math, subtensor = _Lazy("basic"), _Lazy("math"), _Lazy("subtensor")
array_ops, extra_ops, sort = _Lazy("array_ops"), _Lazy("extra_ops"), _Lazy("sort")


def _binary(fn_name, reflected=False):
    if reflected:
        return lambda self, other: getattr(math, fn_name)(other, self)
    return lambda self, other: getattr(math, fn_name)(self, other)


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

    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("sub"), _binary("sub", True)
    __mul__, __rmul__ = _binary("mul"), _binary("mul", True)
    __truediv__, __rtruediv__ = _binary("true_div"), _binary("true_div", True)
    __floordiv__, __rfloordiv__ = _binary("int_div"), _binary("int_div", True)
    __mod__, __rmod__ = _binary("mod"), _binary("mod", True)
    __pow__, __rpow__ = _binary("pow"), _binary("pow", True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __and__, __rand__ = _binary("and_"), _binary("and_", True)
    __or__, __ror__ = _binary("or_"), _binary("or_", True)
    __xor__, __rxor__ = _binary("xor"), _binary("xor", True)
    __lt__, __gt__ = _binary("lt"), _binary("gt")
    __le__, __ge__ = _binary("le"), _binary("ge")

    def __neg__(self):
        return math.neg(self)

    def __abs__(self):
        return math.abs_(self)

    def __invert__(self):
        return math.invert(self)

    # == stays identity (variables are dict keys); use T.eq for elementwise equality.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __getitem__(self, index):
        if subtensor.is_basic_index(index):
            return subtensor.subtensor(self, index)
        from . import advanced
        return advanced.advanced_subtensor(self, index)

    @property
    def T(self):
        return basic.transpose(self)

    @property
    def shape(self):
        return basic.shape(self)

    @property
    def size(self):
        return math.prod(self.shape)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return basic.transpose(self, axes or None)

    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        from .elemwise import DimShuffle
        return DimShuffle(self.ndim, pattern)(self)

    def reshape(self, *shape, ndim=None):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return basic.reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1):
        return basic.flatten(self, ndim)

    def astype(self, dtype):
        return math.cast(self, dtype)

    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return math.sum(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def prod(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return math.prod(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def mean(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return math.mean(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)

    def var(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return math.var(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def std(self, axis=None, ddof=0, keepdims=False, corrected=False):
        return math.std(self, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)

    def max(self, axis=None, keepdims=False):
        return math.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return math.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        return math.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return math.argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return math.all(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return math.any(self, axis=axis, keepdims=keepdims)

    def dot(self, other):
        return math.dot(self, other)

    def clip(self, low, high):
        return math.clip(self, low, high)

    def round(self, mode=None):
        return math.round(self, mode)

    def nonzero(self, return_matrix=False):
        return array_ops.nonzero(self, return_matrix)

    def nonzero_values(self):
        return array_ops.nonzero_values(self)

    def sort(self, axis=-1, kind="quicksort", order=None):
        return sort.sort(self, axis, kind, order)

    def argsort(self, axis=-1, kind="quicksort", order=None):
        return sort.argsort(self, axis, kind, order)

    def searchsorted(self, v, side="left", sorter=None):
        return extra_ops.searchsorted(self, v, side, sorter)

    def cumsum(self, axis=None):
        return extra_ops.cumsum(self, axis)

    def cumprod(self, axis=None):
        return extra_ops.cumprod(self, axis)

    def repeat(self, repeats, axis=None):
        return extra_ops.repeat(self, repeats, axis)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return array_ops.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1):
        return array_ops.trace(self, offset, axis1, axis2)

    def swapaxes(self, axis1, axis2):
        return array_ops.swapaxes(self, axis1, axis2)

    def ptp(self, axis=None):
        return array_ops.ptp(self, axis)

    def choose(self, choices, out=None, mode="raise"):
        return array_ops.choose(self, choices, out, mode)

    def squeeze(self):
        return basic.squeeze(self)

    def copy(self, name=None):
        out = math.elemwise_op("identity")(self)
        out.name = name
        return out

    def zeros_like(self, dtype=None):
        return basic.zeros_like(self, dtype)

    def ones_like(self, dtype=None):
        return basic.ones_like(self, dtype)

    def __repr__(self):
        return str(self)

