"""Theano's ``theano.tensor.opt``: registering a local rewrite by phase.

``@register_canonicalize``, ``@register_stabilize`` and
``@register_specialize`` put a local optimizer (compat/gof_opt.py) into
that phase of the engine under its own name, tagged 'fast_run' so FAST_RUN
runs it; a string given instead of the optimizer is an extra tag
(``@register_specialize('fast_compile')``), and ``name=`` overrides the name.
``get_scalar_constant_value`` tells a rewrite the value of a variable that
is a constant, as Theano's did.
"""
import numpy as np

from ..graph import Constant
from ..tensor.basic import Alloc
from ..tensor.elemwise import Cast, DimShuffle
from ..tensor.type import constant
from .gof_opt import (EquilibriumOptimizer, MergeOptimizer, OpRemove, OpSub,  # noqa: F401
                      PatternSub, TopoOptimizer, in2out, local_optimizer, name_of, out2in)
from .optdb import optdb


class NotScalarConstantError(Exception):
    """The variable is not a constant with a single value (Theano's name)."""


def get_scalar_constant_value(var, elemwise=True, only_process_constants=False,
                              max_recur=10):
    """The value of ``var`` when it is a constant whose elements are all equal,
    seen through broadcasts (DimShuffle, Alloc/fill) and casts; else
    NotScalarConstantError.  A NumPy or Python number is its own value."""
    if isinstance(var, (int, float, complex, np.number, np.ndarray)):
        var = constant(var)
    while var.owner is not None and not only_process_constants and \
            isinstance(var.owner.op, (DimShuffle, Alloc, Cast)):
        var = var.owner.inputs[0]
    if isinstance(var, Constant):
        data = np.asarray(var.data)
        if data.size and np.all(data == data.flat[0]):
            return np.asarray(data.flat[0])
    raise NotScalarConstantError(f"{var} is not a constant with a single value")


def _phase_register(phase):
    def register(lopt, *tags, **kwargs):
        if isinstance(lopt, str):              # @register_specialize('tag', ...)
            return lambda inner: register(inner, lopt, *tags, **kwargs)
        name = kwargs.pop("name", None) or name_of(lopt)
        optdb[phase].register(name, lopt, "fast_run", *tags, **kwargs)
        return lopt
    register.__name__ = f"register_{phase}"
    register.__doc__ = (f"Decorator: run a local optimizer in the {phase} phase of "
                        "FAST_RUN, under its name (or ``name=``); strings are extra tags.")
    return register


register_canonicalize = _phase_register("canonicalize")
register_stabilize = _phase_register("stabilize")
register_specialize = _phase_register("specialize")
register_specialize_device = _phase_register("specialize_device")
register_uncanonicalize = _phase_register("uncanonicalize")
