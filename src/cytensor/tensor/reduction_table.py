"""The table of reductions: sum, prod, max, min, all, any, argmax, argmin.

One row per reduction, as the elementwise table has one per scalar op.
The rewrites read it (which reductions may drop length-1 axes, which may
be fused with the elementwise program they reduce), and
tests/ops/test_reduction_table.py holds it against the ops (``Reduce``,
``Argmax``) and the kernels (``REDUCE_OPS``, ``FUSED_REDUCE_OPS``) both ways.
"""
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


@dataclass(frozen=True)
class ReductionSpec:
    name: str
    reference: Callable           # NumPy's reduction, for the tests and readers
    identity: Optional[object]    # the result over no elements; None: empty is an error
    result_dtype: str             # "same", "bool", "int64", or "sum": bool/int -> int64, uint -> uint64
    accumulator: Optional[str]    # "wide": float64 for floats, int64/uint64 for ints; None: the input's
    gradient: str                 # the rule Reduce.grad / Argmax.grad implement
    fusable: bool                 # kernels.elemwise_reduce folds an elementwise program with it
    identity_on_one: bool         # over one element the result is that element (in result_dtype)
    per_axis: bool = False        # one axis (or all, flattened) instead of a set of axes


ROWS = [
    ReductionSpec("sum", np.sum, 0, "sum", "wide", "g broadcast back to x", True, True),
    ReductionSpec("prod", np.prod, 1, "sum", "wide", "g * prod / x (zeros handled apart)", True, True),
    ReductionSpec("max", np.max, None, "same", None, "g where x equals the maximum", True, True),
    ReductionSpec("min", np.min, None, "same", None, "g where x equals the minimum", True, True),
    ReductionSpec("all", np.all, True, "bool", None, "none (boolean result)", False, False),
    ReductionSpec("any", np.any, False, "bool", None, "none (boolean result)", False, False),
    ReductionSpec("argmax", np.argmax, None, "int64", None, "none (integer index)", False,
                  False, per_axis=True),
    ReductionSpec("argmin", np.argmin, None, "int64", None, "none (integer index)", False,
                  False, per_axis=True),
]

REDUCTIONS = {row.name: row for row in ROWS}


def result_dtype(spec, input_dtype):
    """The dtype of reduction ``spec`` over an input of ``input_dtype``."""
    if spec.result_dtype == "same":
        return input_dtype
    if spec.result_dtype == "sum":
        if input_dtype == "bool" or input_dtype.startswith("int"):
            return "int64"
        return "uint64" if input_dtype.startswith("uint") else input_dtype
    return spec.result_dtype
