"""In-place elementwise: write the result over an input that nobody reads later.

Runs last, on the final graph, in the order the linker will use.  An input
may be overwritten when it was computed inside the function (never a user's
input, a constant or a shared value), is not a view of other storage, has
the output's dtype and broadcast pattern, and the node is its last reader.
The output must not be a function output: returned arrays and new shared
values are never storage that a node will write into again.
"""
from ..tensor.elemwise import Elemwise
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


@register("inplace", whole_graph=True)
def elemwise_inplace(fgraph):
    """Make Elemwise nodes overwrite a dead input instead of allocating."""
    order = fgraph.toposort()
    root = memory_roots(order)
    last_reader = {}
    for position, node in enumerate(order):
        for inp in node.inputs:
            last_reader[root.get(inp, inp)] = position
    kept = {root.get(o, o) for o in fgraph.outputs}
    changed = False
    for position, node in enumerate(order):
        op = node.op
        if not isinstance(op, Elemwise) or op.inplace is not None:
            continue
        out = node.outputs[0]
        if out in kept or len(node.outputs) > 1:
            continue
        for k, inp in enumerate(node.inputs):
            if (inp.owner is None or root.get(inp) is not inp or inp in kept
                    or last_reader.get(inp) != position
                    or inp.dtype != out.dtype
                    or inp.type.broadcastable != out.type.broadcastable):
                continue
            new = Elemwise(op.program, inplace=k).make_node(*node.inputs)
            fgraph.replace(out, new.outputs[0], reason="elemwise_inplace")
            changed = True
            break
    return changed
