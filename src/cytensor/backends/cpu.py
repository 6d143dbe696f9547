"""The CPU backend: NumPy arrays, run by the precompiled Cython/OpenMP kernels.

The worked example of the interface (base.py).  Its arrays are NumPy's,
so moving to and from NumPy is nothing, and its table has three rows:
fused elementwise programs, fused reductions and the add of
``inc_subtensor`` are lowered once, when the function is compiled, to the
register VM's code (compile/lowering.py) and run by the VM; every other op makes its own thunk, which calls its kernel
(``Op.make_thunk``; an op with no kernel of its own runs ``perform``).
So the CPU runs every op, and cytensor's per-call path is exactly the
kernels' thunks: going through this table costs one lookup per node, once,
when compiling.
"""
import numpy as np

from ..compile.lowering import lower_node
from ..graph import Op
from ..tensor.elemwise import Elemwise
from ..tensor.math import FusedReduce
from ..tensor.subtensor import IncSubtensor
from .base import Backend


def program_thunk(backend, node, input_cells, output_cells):
    """The thunk of an op running a register program (``op.program``): the
    program lowered for the VM, once."""
    return node.op.make_program_thunk(node, input_cells, output_cells, lower_node(node))


def own_thunk(backend, node, input_cells, output_cells):
    """Any other op's thunk: its own (its kernel, or its ``perform``)."""
    return node.op.make_thunk(node, input_cells, output_cells)


class CpuBackend(Backend):
    """The CPU: one device, ``'cpu'``; arrays are ``numpy.ndarray``."""

    name = "cpu"
    array_types = (np.ndarray,)
    implementations = {
        Elemwise: program_thunk,       # fused elementwise programs
        FusedReduce: program_thunk,    # reductions of fused programs
        IncSubtensor: program_thunk,   # x[index] += y: the add is a program
        Op: own_thunk,                 # everything else: the op's own kernel
    }

    def asarray(self, value):
        return np.asarray(value)

    def to_numpy(self, array):
        return array

    def empty(self, shape, dtype):
        return np.empty(shape, dtype)
