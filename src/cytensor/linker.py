"""The linker: turn a rewritten graph into a flat schedule over storage cells.

Every variable gets a cell, a one-element list.  Inputs' cells are filled
by the function call, constants' cells hold their data, and a shared
variable's cell is its own container, so functions read shared values
without copying.  Each node becomes a thunk: a closure that reads its
input cells, runs the op's kernel (or NumPy reference, with the 'py'
linker) and writes its output cells.  Running a function is running the
thunks in order.
"""
import time

from .config import config
from .graph import Constant, format_trace
from .sharedvalue import SharedVariable


class Schedule:
    """Thunks in topological order, with the cells they read and write."""

    def __init__(self, fgraph, linker="cy"):
        self.fgraph = fgraph
        self.nodes = fgraph.toposort()
        self.cells = {}
        for var in fgraph.inputs:
            self.cells[var] = [None]
        for node in self.nodes:
            for var in node.inputs:
                if var not in self.cells:
                    self.cells[var] = self._leaf_cell(var)
            for var in node.outputs:
                self.cells[var] = [None]
        for var in fgraph.outputs:            # outputs that are inputs, constants, shared
            if var not in self.cells:
                self.cells[var] = self._leaf_cell(var)
        self.thunks = [self._thunk(node, linker) for node in self.nodes]

    @staticmethod
    def _leaf_cell(var):
        if isinstance(var, Constant):
            return [var.data]
        if isinstance(var, SharedVariable):
            return var.container
        raise ValueError(f"the graph needs {var}, which is neither an input, a constant "
                         "nor a shared variable")

    def _thunk(self, node, linker):
        ins = [self.cells[v] for v in node.inputs]
        outs = [self.cells[v] for v in node.outputs]
        if linker == "cy":
            thunk = node.op.make_thunk(node, ins, outs)
        else:
            def thunk():
                node.op.reference_perform(node, [c[0] for c in ins], outs)
        thunk.node = node
        return thunk

    def run(self):
        thunk = None
        try:
            for thunk in self.thunks:
                thunk()
        except Exception as exc:
            raise_with_node(thunk.node, self, exc)

    def run_profiled(self, stats):
        """Run, timing each node into ``stats`` (a ProfileStats)."""
        timer = time.perf_counter
        thunk = None
        try:
            for thunk in self.thunks:
                start = timer()
                thunk()
                stats.record_node(thunk.node, timer() - start, self)
        except Exception as exc:
            raise_with_node(thunk.node, self, exc)

    def clear_intermediates(self):
        """Drop arrays computed during a call (config.allow_gc)."""
        for node in self.nodes:
            for var in node.outputs:
                self.cells[var][0] = None


class NodeError(Exception):
    """Marks an exception already annotated with its node."""


def raise_with_node(node, schedule, exc):
    """Re-raise ``exc`` (same type when possible) with the node's context."""
    if getattr(exc, "_cytensor_node", None) is not None:
        raise exc
    lines = [str(exc), "", f"Apply node that caused the error: {node}"]
    for i, var in enumerate(node.inputs):
        value = schedule.cells[var][0]
        desc = (f"shape {value.shape}, dtype {value.dtype}, strides {value.strides}"
                if hasattr(value, "shape") else repr(value))
        lines.append(f"  input {i}: {var} ({var.type}): {desc}")
    lines.append("Created at " + format_trace(node, config.exception_verbosity == "high"))
    message = "\n".join(lines)
    try:
        new = type(exc)(message)
    except Exception:
        new = NodeError(message)
    new._cytensor_node = node
    raise new.with_traceback(exc.__traceback__) from None
