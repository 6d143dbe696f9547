"""Theano's ``theano.gof``: the graph objects and the Python-side Op API.

An extension written as Theano's "extending Theano" pages show it (an Op
with ``make_node``, ``perform``, ``grad``, ``infer_shape``, ``R_op`` and
``__props__``; a Type with ``filter``) runs on cytensor's own classes,
which follow the same contract; so do its rewrites (``gof.opt``: local
and global optimizers, navigators, PatternSub; ``gof.optdb``).  Theano's C code generation (``COp``,
``c_code``, ``CLinker``) has no counterpart: cytensor compiles no C at run
time, so those names raise an error that says what to write instead.
"""
from ..graph import Apply, Constant, Op, Type, Variable              # noqa: F401
from ..rewriting.fgraph import FunctionGraph                          # noqa: F401
from . import gof_graph as graph                                      # noqa: F401
from . import gof_utils as utils                                      # noqa: F401
from .gof_utils import MethodNotDefined                               # noqa: F401
from . import gof_opt as opt, gof_toolbox as toolbox, optdb           # noqa: F401
from .gof_opt import (EquilibriumOptimizer, LocalOptGroup, LocalOptimizer,  # noqa: F401
                      MergeOptimizer, NavigatorOptimizer, OpKeyOptimizer, OpRemove, OpSub,
                      Optimizer, PatternSub, SeqOptimizer, TopoOptimizer, local_optimizer,
                      optimizer)
from .gof_toolbox import Feature, History, InconsistencyError, ReplaceValidate, Validator  # noqa: F401
from .optdb import EquilibriumDB, Query                               # noqa: F401

_C_CODE_NAMES = ("COp", "ExternalCOp", "OpenMPOp", "CLinker", "CLinkerOp",
                 "CLinkerObject", "CLinkerType", "DualLinker", "OpWiseCLinker",
                 "cmodule", "cc", "ParamsType", "EnumType", "EnumList", "CEnumType")


class Generic(Type):
    """A type for any Python object (Theano's ``gof.generic``)."""

    def filter(self, value, strict=False, allow_downcast=None):
        return value

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "generic"


generic = Generic()


def __getattr__(name):
    if name in _C_CODE_NAMES:
        raise AttributeError(
            f"theano.gof.{name} belongs to Theano's C code generation, which cytensor does "
            "not have (it compiles no C at run time): give your Op a perform() method in "
            "Python instead; see the 'Extending cytensor' guide")
    raise AttributeError(f"module 'theano.gof' (cytensor.compat.gof) has no {name!r}")
