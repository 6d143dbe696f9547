"""Rewrites of Scan nodes: run a forward loop once, and move work out of loops.

``scan_share_forward``: the gradient of a scan runs the same loop again,
giving also what the backward loop reads (every row of a final-only output,
each step's matrix products); the user's scan then reads its results from
that one (``Scan._with_saved``).
"""
from ..scan import Scan
from .engine import register


@register("merge", "fast_compile", "scan", whole_graph=True)
def scan_share_forward(fgraph):
    """A Scan whose extended twice (same inputs) is in the graph gives way to it."""
    extended = {}
    for node in fgraph.toposort():
        if isinstance(node.op, Scan) and node.op.extends is not None:
            extended.setdefault((node.op.extends, tuple(node.inputs)), node)
    changed = False
    for node in fgraph.toposort():
        twin = extended.get((node.op, tuple(node.inputs))) if isinstance(node.op, Scan) else None
        if twin is None:
            continue
        for i, old in enumerate(node.outputs):
            new = twin.outputs[i][-1] if i in node.op.final_only else twin.outputs[i]
            fgraph.replace(old, new, reason="scan_share_forward")
        changed = True
    return changed
