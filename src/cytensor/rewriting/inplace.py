"""In-place elementwise: write the result over an input that nobody reads later.

Runs last, on the final graph, in the order the linker will use.  An input
may be overwritten when it was computed inside the function (never a user's
input, a constant or a shared value), is not a view of other storage, has
the output's dtype and broadcast pattern, and the node is its last reader.
The output must not be a function output: returned arrays and new shared
values are never storage that a node will write into again.

An IncSubtensor likewise adds into (or sets a part of) the array it was
given instead of a copy of it: the gradient of gates sliced out of one
product assembles them into one array of zeros, part after part.

One exception is the point of the second rule: an update ``W <- W - lr * g``
may compute the new value straight into W's own array, when nothing read
later needs the old value.
"""
from collections import Counter

from ..tensor.elemwise import Elemwise
from ..tensor.math import Gemm
from ..tensor.subtensor import IncSubtensor
from .engine import register


def memory_roots(order):
    """Map each variable to the variable whose storage it views (or itself)."""
    root = {}
    for node in order:
        view_map = getattr(node.op, "view_map", {})
        for k, out in enumerate(node.outputs):
            if k in view_map:
                source = node.inputs[view_map[k][0]]
                root[out] = root.get(source, source)
            else:
                root[out] = out
    return root


def _last_readers(order, root):
    last_reader = {}
    for position, node in enumerate(order):
        for inp in node.inputs:
            last_reader[root.get(inp, inp)] = position
    return last_reader


@register("inplace", whole_graph=True)
def shared_update_inplace(fgraph):
    """W <- f(W, ...) elementwise (or W - lr * dot(A, B) as a Gemm): write the
    result over W's current value."""
    order = fgraph.toposort()
    position = {node: k for k, node in enumerate(order)}
    root = memory_roots(order)
    last_reader = _last_readers(order, root)
    returned = {root.get(o, o) for k, o in enumerate(fgraph.outputs) if k not in fgraph.updated}
    # Overwriting a shared value is safe only in the commit block, and only
    # when the linker can check every node of that block before it runs.
    commit = fgraph.commit_nodes()
    if not all(isinstance(node.op, (Elemwise, Gemm)) for node in commit):
        return False
    times_output = Counter(fgraph.outputs)
    changed = False
    for k, shared in fgraph.updated.items():
        out = fgraph.outputs[k]
        node = out.owner
        if (node is None or node not in commit or not isinstance(node.op, (Elemwise, Gemm))
                or node.op.inplace not in (None, False) or len(node.outputs) != 1 or shared not in node.inputs
                or (isinstance(node.op, Gemm) and node.inputs[0] is not shared)
                or shared in returned or times_output[out] > 1
                or last_reader.get(shared) != position[node]
                or shared.type.broadcastable != out.type.broadcastable
                or shared.dtype != out.dtype):
            continue
        new = Gemm(inplace=True) if isinstance(node.op, Gemm) else \
            Elemwise(node.op.program, inplace=node.inputs.index(shared))
        fgraph.replace(out, new.make_node(*node.inputs).outputs[0],
                       reason="shared_update_inplace")
        changed = True
    return changed


def _liveness(fgraph):
    """(the schedule's order, each variable's memory root, the position of
    each root's last reader, the roots the function returns)."""
    order = fgraph.toposort()
    root = memory_roots(order)
    return order, root, _last_readers(order, root), {root.get(o, o) for o in fgraph.outputs}


def _can_overwrite(inp, position, root, last_reader, kept):
    """Whether the node at ``position`` may write over ``inp``: computed in
    the function, not a view, not returned, and read by no later node."""
    return (inp.owner is not None and root.get(inp) is inp and inp not in kept
            and last_reader.get(inp) == position)


@register("inplace", whole_graph=True)
def elemwise_inplace(fgraph):
    """Make Elemwise nodes overwrite a dead input instead of allocating."""
    order, root, last_reader, kept = _liveness(fgraph)
    changed = False
    for position, node in enumerate(order):
        op = node.op
        if not isinstance(op, Elemwise) or op.inplace is not None:
            continue
        out = node.outputs[0]
        if out in kept or len(node.outputs) > 1:
            continue
        for k, inp in enumerate(node.inputs):
            if (not _can_overwrite(inp, position, root, last_reader, kept)
                    or inp.dtype != out.dtype
                    or inp.type.broadcastable != out.type.broadcastable):
                continue
            new = Elemwise(op.program, inplace=k).make_node(*node.inputs)
            fgraph.replace(out, new.outputs[0], reason="elemwise_inplace")
            changed = True
            break
    return changed


@register("inplace", whole_graph=True)
def inc_subtensor_inplace(fgraph):
    """Make IncSubtensor nodes change a dead ``x`` instead of a copy of it
    (``y`` must not read x's memory, which the change would overwrite)."""
    order, root, last_reader, kept = _liveness(fgraph)
    changed = False
    for position, node in enumerate(order):
        op = node.op
        if type(op) is not IncSubtensor or op.inplace:
            continue
        x, y = node.inputs[:2]
        if (node.outputs[0] in kept or root.get(y, y) is x
                or not _can_overwrite(x, position, root, last_reader, kept)):
            continue
        new = IncSubtensor(op.template, op.set_instead_of_inc, inplace=True)
        fgraph.replace(node.outputs[0], new.make_node(*node.inputs).outputs[0],
                       reason="inc_subtensor_inplace")
        changed = True
    return changed
