"""Elementwise fusion: a connected group of Elemwise nodes becomes one node.

The fused node runs one register program (see tensor/elemwise.py): the
kernel reads each input once and writes each output once, keeping every
intermediate in a cache-sized block buffer.  A group grows from a node
towards its inputs, taking in an input's producer when that producer is an
Elemwise of the same output shape whose results are used only inside the
group (otherwise its result is needed elsewhere anyway, and recomputing it
would cost more than reading it).
"""
from ..tensor.elemwise import Elemwise, Program, compute_dtype, register_dtypes
from ..tensor.math import FusedReduce, Reduce
from ..tensor.reduction_table import REDUCTIONS
from .engine import register

MAX_INPUTS = 24          # registers are kernel block buffers: keep them few


def _fusable(node):
    return node is not None and isinstance(node.op, Elemwise)


@register("fusion", whole_graph=True)
def fuse_elemwise(fgraph):
    """Replace each maximal group of Elemwise nodes by one fused Elemwise."""
    changed = False
    for node in reversed(fgraph.toposort()):
        if not _fusable(node) or node not in fgraph.nodes:
            continue
        group, position = _grow_group(fgraph, node)
        if len(group) < 2:
            continue
        _replace_group(fgraph, group, node, position)
        changed = True
    return changed


def _grow_group(fgraph, root):
    """(nodes to fuse with ``root``: Elemwise producers used only by the
    group, each node's place in a topological order)."""
    group = [root]
    members = {root}
    frontier = [root]
    position = None             # made when a producer first gets this far
    shape = root.outputs[0].type.broadcastable
    while frontier:
        node = frontier.pop()
        for inp in node.inputs:
            producer = inp.owner
            if not _fusable(producer) or producer in members:
                continue
            if producer.outputs[0].type.broadcastable != shape:
                continue
            readers = [c for o in producer.outputs for c, _ in fgraph.clients.get(o, [])]
            if any(r == "output" or r not in members for r in readers):
                continue
            n_inputs = len({i for n in members | {producer} for i in n.inputs} -
                           {o for n in members | {producer} for o in n.outputs})
            if n_inputs > MAX_INPUTS:
                continue
            if position is None:
                position = {n: k for k, n in enumerate(fgraph.toposort())}
            program, inputs = _group_program(group + [producer], root, position)
            if compute_dtype(program, [i.dtype for i in inputs]) is None:
                continue        # no register dtype computes the merged program exactly
            members.add(producer)
            group.append(producer)
            frontier.append(producer)
    return group, position


def _group_program(group, root, position):
    """(program, inputs): the group's nodes as one program computing root's
    outputs; position: each node's place in a topological order."""
    order = sorted(group, key=position.__getitem__)
    produced = {o for n in order for o in n.outputs}
    inputs = []
    for n in order:
        for i in n.inputs:
            if i not in produced and i not in inputs:
                inputs.append(i)
    register_of = {v: k for k, v in enumerate(inputs)}
    instructions = []
    for n in order:
        sub = n.op.program
        local = [register_of[i] for i in n.inputs]
        dtypes = register_dtypes(sub, [i.dtype for i in n.inputs])
        for name, srcs, _ in sub.instructions:
            local.append(len(inputs) + len(instructions))
            instructions.append((name, tuple(local[s] for s in srcs),
                                 dtypes[len(local) - 1]))
        for out, reg in zip(n.outputs, sub.outputs):
            register_of[out] = local[reg]
    return Program(len(inputs), instructions, [register_of[o] for o in root.outputs]), inputs


def _replace_group(fgraph, group, root, position):
    """Build the group's program and swap the fused node in."""
    program, inputs = _group_program(group, root, position)
    fused = Elemwise(program).make_node(*inputs)
    for old, new in zip(root.outputs, fused.outputs):
        fgraph.replace(old, new, reason="fuse_elemwise")


@register("fusion", whole_graph=True)
def fuse_reduction(fgraph):
    """sum/prod/max/min of an Elemwise read by nothing else -> one FusedReduce.

    A sum or product with its own acc_dtype stays as it is: the fused kernel
    accumulates only in its default dtypes.
    """
    changed = False
    for node in fgraph.toposort():
        if not isinstance(node.op, Reduce) or not REDUCTIONS[node.op.op].fusable \
                or node.op.acc_dtype is not None:
            continue
        x = node.inputs[0]
        producer = x.owner
        if not _fusable(producer) or len(producer.outputs) != 1 or \
                producer.op.inplace is not None or x.ndim == 0:
            continue
        compute = compute_dtype(producer.op.program, [i.dtype for i in producer.inputs])
        if compute in (None, "uint64"):     # the fused kernel: no uint64 registers
            continue
        if [c for c, _ in fgraph.clients.get(x, [])] != [node]:
            continue
        fused = FusedReduce(producer.op.program, node.op.op, node.op.axis,
                            node.outputs[0].dtype).make_node(*producer.inputs)
        fgraph.replace(node.outputs[0], fused.outputs[0], reason="fuse_reduction")
        changed = True
    return changed
