"""The table of reductions: sum, prod, max, min, all, any, argmax, argmin.

One row per reduction, as the elementwise table has one per scalar op.
The ``Reduce`` op reads it (result and accumulator dtypes, which reductions
accumulate, the gradient rule, the NumPy reference), the rewrites read it (which reductions may drop length-1 axes, which may
be fused with the elementwise program they reduce), and
tests/ops/test_reduction_table.py holds it against the ops (``Reduce``,
``Argmax``) and the kernels (``REDUCE_OPS``, ``FUSED_REDUCE_OPS``) both ways.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .variable import ops as tm   # the tensor functions (T.eq...), provided by math.py


@dataclass(frozen=True)
class ReductionSpec:
    name: str
    reference: Callable           # NumPy's reduction, for the tests and readers
    identity: Optional[object]    # the result over no elements; None: empty is an error
    result_dtype: str             # "same", "bool", "int64", or "sum": bool/int -> int64, uint -> uint64
    accumulator: Optional[str]    # "wide": float64 for floats, int64/uint64 for ints; None: the input's
    gradient: Optional[Callable]  # (x, g, out, axis) -> dx, g and out broadcast like x; None: none
    fusable: bool                 # kernels.elemwise_reduce folds an elementwise program with it
    identity_on_one: bool         # over one element the result is that element (in result_dtype)
    per_axis: bool = False        # one axis (or all, flattened) instead of a set of axes
    cuda_fold: Optional[str] = None  # CUDA C folding accumulators a and b (backends/cuda);
                                     # max and min keep a nan, as the CPU kernels do


def keep_reduced_axes(reduced, x, axis):
    """``reduced`` with the reduced axes of ``x`` put back as broadcastable ones."""
    order, k = [], 0
    for a in range(x.ndim):
        if a in axis:
            order.append("x")
        else:
            order.append(k)
            k += 1
    return reduced.dimshuffle(order)


def _sum_grad(x, g, out, axis):
    """g broadcast back to x."""
    return tm.cast(g, x.dtype)


def _extremum_grad(x, g, out, axis):
    """g where x equals the maximum (minimum); ties all get it, as in Theano."""
    return g * tm.eq(x, out)


def _prod_grad(x, g, out, axis):
    """d prod / dx_i is the product of the others, also where some x are zero.

    Written so that its own gradient (the second derivative) is right at the
    zeros too: where the product of the others is 0 because of a zero x_z,
    the formula carries x_z (zero_sum) instead of a constant 0.
    """
    eq, switch = tm.eq, tm.switch
    is_zero = eq(x, 0)
    x_safe = switch(is_zero, 1, x)
    zeros = keep_reduced_axes(tm.sum(is_zero, axis=axis), x, axis)
    prod_nonzero = keep_reduced_axes(tm.prod(x_safe, axis=axis), x, axis)
    zero_sum = keep_reduced_axes(tm.sum(switch(is_zero, x, 0), axis=axis), x, axis)
    no_zero = out / x_safe
    one_zero = switch(is_zero, prod_nonzero, zero_sum * prod_nonzero / x_safe)
    two_zeros = switch(is_zero, (zero_sum - x) * prod_nonzero, 0)
    return g * switch(eq(zeros, 0), no_zero,
                      switch(eq(zeros, 1), one_zero, switch(eq(zeros, 2), two_zeros, 0)))


ROWS = [
    ReductionSpec("sum", np.sum, 0, "sum", "wide", _sum_grad, True, True, cuda_fold="a + b"),
    ReductionSpec("prod", np.prod, 1, "sum", "wide", _prod_grad, True, True, cuda_fold="a * b"),
    ReductionSpec("max", np.max, None, "same", None, _extremum_grad, True, True,
                  cuda_fold="cyt_maxnan(a, b)"),
    ReductionSpec("min", np.min, None, "same", None, _extremum_grad, True, True,
                  cuda_fold="cyt_minnan(a, b)"),
    ReductionSpec("all", np.all, True, "bool", None, None, False, False,   # boolean result
                  cuda_fold="a && b"),
    ReductionSpec("any", np.any, False, "bool", None, None, False, False, cuda_fold="a || b"),
    ReductionSpec("argmax", np.argmax, None, "int64", None, None, False,    # an integer index
                  False, per_axis=True),
    ReductionSpec("argmin", np.argmin, None, "int64", None, None, False,
                  False, per_axis=True),
]

REDUCTIONS = {row.name: row for row in ROWS}


class _RowsByAttribute:
    """``REDUCTION.sum``: the rows as attributes, for code that asks whether an
    op is a given reduction (``op.spec is REDUCTION.sum``).  A misspelt name
    raises AttributeError, where a string compared with ``op.op`` would
    silently never match."""

    def __getattr__(self, name):
        try:
            return REDUCTIONS[name]
        except KeyError:
            raise AttributeError(f"no reduction row named {name!r}") from None


REDUCTION = _RowsByAttribute()


def result_dtype(spec, input_dtype):
    """The dtype of reduction ``spec`` over an input of ``input_dtype``."""
    if spec.result_dtype == "same":
        return input_dtype
    if spec.result_dtype == "sum":
        if input_dtype == "bool" or input_dtype.startswith("int"):
            return "int64"
        return "uint64" if input_dtype.startswith("uint") else input_dtype
    return spec.result_dtype


def accumulator_dtype(spec, input_dtype):
    """The dtype reduction ``spec`` accumulates an input of ``input_dtype`` in by
    default: "wide" accumulators are float64 for floats (float32 sums keep
    their digits) and the result dtype for integers and bool; others keep
    the input's dtype."""
    if spec.accumulator != "wide":
        return input_dtype
    return "float64" if input_dtype.startswith("float") else result_dtype(spec, input_dtype)
