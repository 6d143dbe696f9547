"""The linker: turn a rewritten graph into a flat schedule over storage cells.

Every variable gets a cell, a one-element list.  Inputs' cells are filled
by the function call, constants' cells hold their data, and a shared
variable's cell is its own container, so functions read shared values
without copying.  Each node becomes a thunk: a closure that reads its
input cells, runs the op's kernel (or NumPy reference, with the 'py'
linker) and writes its output cells.  Running a function is running the
thunks in order.

Debugging modes change only how a thunk is made: ``wrap_thunk`` lets
NanGuardMode and DebugMode put checks around every node's kernel.

``ifelse`` is lazy, as in Theano: the nodes that only one branch of an
IfElse needs leave the flat schedule and run inside the IfElse's thunk,
after its condition has picked the branch (``lazy_branches``).
"""
import heapq
import time

import numpy as np

from ..config import config
from ..graph import Constant, format_trace
from ..kernels._call import (BroadcastCheck, ElemwiseCheck, GemmCheck, check_commit_block,
                             run_commit_block, run_thunks)
from ..tensor.ifelse import IfElse
from ..tensor.math import Gemm
from ..tensor.sharedvar import SharedVariable
from ..tensor.type import TensorType
from .devices import place, transfer_thunk


class Schedule:
    """Thunks in topological order, with the cells they read and write.

    wrap_thunk(node, thunk, input_cells, output_cells) -> thunk, if given,
    replaces each node's thunk by one that checks it (the cells are those
    the thunk reads: on a device, the device's arrays; ``to_host`` reads them).
    """

    profiling = None        # the ProfileStats of a run_profiled call in progress

    def __init__(self, fgraph, linker="cy", wrap_thunk=None):
        self.fgraph = fgraph
        self.placement = place(fgraph)      # devices, and the transfers between them
        self.device_constants = {}          # (constant, device) -> its cell there
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
        # The cells whose values a call brings in: what decides every shape.
        self.leaf_cells = [cell for var, cell in self.cells.items()
                           if var.owner is None and not isinstance(var, Constant)]
        lazy = lazy_branches(fgraph, self.nodes)
        self.branch_nodes = {n for sides in lazy.values() for side in sides for n in side}
        thunks = [self._lazy_thunk(node, lazy, linker, wrap_thunk)
                  for node in self.nodes if node not in self.branch_nodes]
        # The commit block (see FunctionGraph.toposort) runs apart when one of
        # its nodes overwrites a shared value: checked first, then run whole.
        n_commit = 0
        is_commit = getattr(fgraph, "is_commit_node", None)
        while is_commit and n_commit < len(thunks) and is_commit(thunks[-1 - n_commit].node):
            n_commit += 1
        commit = thunks[len(thunks) - n_commit:]
        if not any(_overwrites_shared(t.node) for t in commit):
            commit = []
        self.thunks = thunks[:len(thunks) - len(commit)]
        self.commit_thunks = commit
        self.commit_checks = [commit_check(t.node, [self.cells[v] for v in t.node.inputs])
                              for t in commit]

    @staticmethod
    def _leaf_cell(var):
        if isinstance(var, Constant):
            return [var.data]
        if isinstance(var, SharedVariable):
            return var.container
        raise ValueError(f"the graph needs {var}, which is neither an input, a constant "
                         "nor a shared variable")

    def _thunk(self, node, linker, wrap_thunk):
        ins = [self.cells[v] for v in node.inputs]
        outs = [self.cells[v] for v in node.outputs]
        placement = self.placement
        backend = placement.backend(node)
        if node in placement.transfers:
            thunk = transfer_thunk(*placement.transfers[node], ins, outs)
        elif backend is not placement.cpu:
            ins = self._device_cells(node, backend)     # what the thunk reads, checks see
            thunk = backend.make_thunk(node, ins, outs)
        elif linker == "cy":
            thunk = backend.make_thunk(node, ins, outs)
        else:
            def thunk():
                node.op.reference_perform(node, [c[0] for c in ins], outs)
        if wrap_thunk is not None:
            thunk = wrap_thunk(node, thunk, ins, outs)
        thunk.node = node
        return thunk

    def _device_cells(self, node, backend):
        """The input cells of a node placed on ``backend``: its constants'
        cells hold their data moved there (once, here)."""
        cells = []
        for var in node.inputs:
            if isinstance(var, Constant) and isinstance(var.type, TensorType):
                key = (var, backend.device)
                if key not in self.device_constants:
                    self.device_constants[key] = [backend.asarray(var.data)]
                cells.append(self.device_constants[key])
            else:
                cells.append(self.cells[var])
        return cells

    def _lazy_thunk(self, node, lazy, linker, wrap_thunk):
        """The node's thunk; for an IfElse with lazy branches, one that first
        runs the nodes of the branch its condition picks."""
        thunk = self._thunk(node, linker, wrap_thunk)
        if node not in lazy:
            return thunk
        sides = [[self._lazy_thunk(n, lazy, linker, wrap_thunk) for n in side]
                 for side in lazy[node]]
        condition = self.cells[node.inputs[0]]

        def ifelse_thunk():
            stats = self.profiling
            for inner in sides[0 if condition[0] else 1]:
                start = time.perf_counter()
                try:
                    inner()
                except Exception as exc:
                    raise_with_node(inner.node, self, exc)
                if stats is not None:     # the branch's nodes are timed on their own
                    spent = time.perf_counter() - start
                    stats.node_time[inner.node] += spent
                    stats.node_time[node] -= spent
                    stats.branch_calls[inner.node] += 1
            thunk()
        ifelse_thunk.node = node
        return ifelse_thunk

    def run(self, before_commit=None):
        """Run every node.  before_commit() is called between the nodes that
        leave shared values alone and the commit block that overwrites some.

        Returns nothing: a caller that must not be interrupted inside the
        commit block (function.Function) holds Ctrl-C back from before_commit on.
        The loops are kernels._call's, which a Function's call runs itself.
        """
        run_thunks(self.thunks, self, raise_with_node)
        if before_commit is not None:
            before_commit()
        if self.commit_thunks:
            run_commit_block(self.commit_thunks, self.commit_checks, self, raise_with_node)

    def run_profiled(self, stats, before_commit=None):
        """Run, adding each node's time to ``stats.node_time`` (a ProfileStats).

        Kept as lean as ``run``: two clock reads and one dict update a node,
        so that profiling changes little of what it measures.  The commit
        block's checks come first, as in ``run``; their time is shared out
        over its nodes, each timed on its own.
        """
        timer = time.perf_counter
        start = timer()
        self.profiling = stats
        try:
            self._run_timed(self.thunks, stats.node_time, 0.0)
        finally:
            self.profiling = None
        if before_commit is not None:
            before_commit()
        if self.commit_thunks:
            t0 = timer()
            check_commit_block(self.commit_thunks, self.commit_checks, self, raise_with_node)
            self._run_timed(self.commit_thunks, stats.node_time,
                            (timer() - t0) / len(self.commit_thunks))
        stats.record_run(self, timer() - start)

    def _run_timed(self, thunks, node_time, share):
        """Run ``thunks``, adding to each node's time its own plus ``share``."""
        timer = time.perf_counter
        thunk = None
        try:
            for thunk in thunks:
                t0 = timer()
                thunk()
                node_time[thunk.node] += timer() - t0 + share
        except Exception as exc:
            raise_with_node(thunk.node, self, exc)

    def clear_intermediates(self):
        """Drop arrays computed during a call (config.allow_gc)."""
        for node in self.nodes:
            for var in node.outputs:
                self.cells[var][0] = None


def lazy_branches(fgraph, nodes):
    """{IfElse node: (then nodes, else nodes)}, each in schedule order: the
    nodes whose results reach nothing but that side of that IfElse.

    ``nodes`` is the schedule order.  A node is claimed by the first IfElse
    (in that order) whose side it feeds alone; an IfElse inside a branch is
    claimed with it and stays lazy within it.
    """
    owner = {}                  # claimed node -> (IfElse, side)
    position = {node: k for k, node in enumerate(nodes)}
    lazy = {}
    for ifelse in nodes:
        if not isinstance(ifelse.op, IfElse):
            continue
        n = ifelse.op.n_outs
        claimed = tuple(_claim_side(fgraph, ifelse, side, range(first, first + n),
                                    owner, position)
                        for side, first in ((0, 1), (1, 1 + n)))
        if claimed[0] or claimed[1]:
            lazy[ifelse] = tuple(sorted(c, key=position.get) for c in claimed)
    return lazy


def _claim_side(fgraph, ifelse, side, inputs, owner, position):
    """The nodes (latest first) that only ``inputs`` (one side) of ``ifelse``
    read, recorded in ``owner``.

    A node can be claimed only when every reader runs inside the side, so
    the search walks up from the side's inputs through the nodes that do,
    latest first (a heap on schedule positions): the work is the size of
    the branch, not of the graph.
    """
    def runs_inside(client):
        """Whether ``client`` runs inside (ifelse, side), maybe within inner ifelses."""
        while client in owner:
            if owner[client] == (ifelse, side):
                return True
            client = owner[client][0]
        return False

    def reads_only_this_side(node):
        return all(client != "output" and
                   ((client is ifelse and k in inputs) or runs_inside(client))
                   for out in node.outputs for client, k in fgraph.clients.get(out, []))

    claimed, heap, seen = [], [], set()

    def push_producers(readers_inputs):
        for var in readers_inputs:
            producer = var.owner
            if producer is not None and producer not in seen:
                seen.add(producer)
                heapq.heappush(heap, (-position[producer], producer))   # positions differ

    push_producers(ifelse.inputs[k] for k in inputs)
    while heap:
        node = heapq.heappop(heap)[1]
        if node in owner:               # claimed before: inner IfElse, other side
            if runs_inside(node):
                push_producers(node.inputs)
        elif reads_only_this_side(node):
            owner[node] = (ifelse, side)
            claimed.append(node)
            push_producers(node.inputs)
    return claimed


def _overwrites_shared(node):
    return any(isinstance(node.inputs[k], SharedVariable)
               for ks in getattr(node.op, "destroy_map", {}).values() for k in ks)


def commit_check(node, input_cells):
    """The check of a commit-block node (Elemwise or Gemm): raises the error
    the node would raise on the values in its input cells, before any of
    the block has overwritten anything.  Made once per node, when linking:
    a kernels._call ShapeCheck, whose C tests pass NumPy arrays that fit
    and hand anything else to the Python check made here."""
    if isinstance(node.op, Gemm):
        def check_gemm():
            C, A, B = (input_cells[k][0].shape for k in (0, 2, 3))
            if A[1] != B[0] or C != (A[0], B[1]):
                raise ValueError(f"Gemm: shapes {A} @ {B} do not give {C}")
        return GemmCheck(input_cells[0], input_cells[2], input_cells[3], check_gemm)
    destroyed = sorted({k for ks in getattr(node.op, "destroy_map", {}).values() for k in ks})
    if not destroyed:               # a node of the block that overwrites nothing
        return BroadcastCheck(list(input_cells), lambda: check_overwriting_shapes(
            node, [np.shape(c[0]) for c in input_cells], destroyed))
    target_cell = input_cells[destroyed[0]]
    # the other overwritten inputs must have the target's shape; the rest must
    # broadcast to it, which inputs of size 1 on every axis (0-d ones,
    # constants like a learning rate, a bias row's dimshuffle) always do
    same_cells = [input_cells[k] for k in destroyed[1:]]
    broadcast_cells = [cell for k, (cell, var) in enumerate(zip(input_cells, node.inputs))
                       if k not in destroyed and not all(var.type.broadcastable)]

    def check_elemwise():
        try:
            target = target_cell[0].shape
            fits = True
            for cell in same_cells:
                fits = fits and cell[0].shape == target
            for cell in broadcast_cells:
                shape = cell[0].shape
                fits = fits and (shape == target or broadcasts_to(shape, target))
        except AttributeError:          # a Python scalar: let NumPy say
            fits = False
        if not fits:
            check_overwriting_shapes(node, [np.shape(c[0]) for c in input_cells], destroyed)
    return ElemwiseCheck(target_cell, same_cells, broadcast_cells, check_elemwise)


def broadcasts_to(shape, target):
    """Whether an array of ``shape`` broadcasts to ``target`` (without NumPy's
    broadcast_shapes, which builds arrays: this runs every call)."""
    lead = len(target) - len(shape)
    return lead >= 0 and all(d == 1 or d == t for d, t in zip(shape, target[lead:]))


def check_overwriting_shapes(node, shapes, destroyed):
    """Raise unless the inputs' shapes broadcast to the shape of each input
    the node overwrites."""
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{node.op}: input shapes {shapes} do not broadcast "
                         "together") from None
    for k in destroyed:
        if shapes[k] != shape:
            raise ValueError(f"{node.op}: the result has shape {shape}, which cannot be "
                             f"written over input {k} of shape {shapes[k]}")


def describe_value(value):
    """'shape (3, 4), dtype float64, strides (32, 8)' for an array, else its repr."""
    if hasattr(value, "shape") and hasattr(value, "strides"):
        return f"shape {value.shape}, dtype {value.dtype}, strides {value.strides}"
    return "not computed" if value is None else repr(value)


def node_context(node, cells=None, position=None):
    """The lines that say which node failed and where the user built it.

    cells: {variable: cell} to describe the values the node saw.
    """
    where = f" (node {position} of the schedule)" if position is not None else ""
    lines = [f"Apply node that caused the error: {node}",
             f"Op: {node.op}{where}", "Inputs:"]
    for i, var in enumerate(node.inputs):
        value = describe_value(cells[var][0]) if cells is not None and var in cells else ""
        lines.append(f"  {i}: {var}  {var.type}  {value}".rstrip())
    lines.append("Outputs:")
    for i, var in enumerate(node.outputs):
        lines.append(f"  {i}: {var}  {var.type}")
    high = config.exception_verbosity == "high"
    lines.append("Created at (the line of your code that built this node):")
    lines.extend("  " + line for line in format_trace(node, all_frames=high).splitlines())
    if high:
        from ..debug.printing import debugprint   # deferred: printing sits above (it draws compiled functions)
        lines.append("The node and its inputs:")
        lines.append(debugprint(node, file="str", print_type=True, depth=3))
    else:
        lines.append("HINT: set cytensor.config.exception_verbosity = 'high' for the whole "
                     "creation stack and the graph around this node.")
    return lines


def raise_with_node(node, schedule, exc):
    """Re-raise ``exc`` (same type when possible) with the node's context."""
    if getattr(exc, "_cytensor_node", None) is not None:
        raise exc
    position = schedule.nodes.index(node) if node in schedule.nodes else None
    message = "\n".join([str(exc), ""] + node_context(node, schedule.cells, position))
    try:
        new = type(exc)(message)
        if str(new) != message:      # a type whose message is not its argument
            raise TypeError
    except Exception:
        # Its constructor takes something else (NumPy's MemoryError takes a
        # shape and a dtype, OSError an errno): raise the exception itself,
        # its type and attributes kept, with the context as a note.
        exc._cytensor_node = node
        add_note(exc, "\n".join(node_context(node, schedule.cells, position)))
        raise exc
    new._cytensor_node = node
    raise new.with_traceback(exc.__traceback__) from None


def add_note(exc, text):
    """exc.add_note(text) (Python >= 3.11: printed under the message); before
    3.11, the text is appended to the message itself."""
    if hasattr(exc, "add_note"):
        exc.add_note(text)
    elif len(exc.args) == 1 and isinstance(exc.args[0], str):
        exc.args = (exc.args[0] + "\n" + text,)
