"""The rewrites fast_compile runs too: merging equal computations and folding constants."""
from ..graph import Constant
from ..tensor.type import TensorConstant
from .engine import register


@register("merge", "fast_compile", whole_graph=True)
def merge(fgraph):
    """Compute each distinct (op, inputs) once; equal constants become one."""
    changed = False
    constants = {}
    for var in list(fgraph.clients):
        if isinstance(var, Constant):
            key = var.signature()
            kept = constants.setdefault(key, var)
            if kept is not var:
                fgraph.replace(var, kept, reason="merge")
                changed = True
    seen = {}
    for node in fgraph.toposort():
        key = (node.op, tuple(node.inputs))
        kept = seen.setdefault(key, node)
        if kept is not node:
            for old, new in zip(node.outputs, kept.outputs):
                fgraph.replace(old, new, reason="merge")
            changed = True
    return changed


@register("constant_folding", "fast_compile")
def constant_folding(fgraph, node):
    """A node whose inputs are all constants is computed now, unless its op
    says it must run with the function (``do_constant_folding``: Print)."""
    if not node.inputs or not all(isinstance(i, Constant) for i in node.inputs):
        return None
    if hasattr(node.op, "do_constant_folding") and not node.op.do_constant_folding(node):
        return None
    storage = [[None] for _ in node.outputs]
    node.op.perform(node, [i.data for i in node.inputs], storage)
    return [TensorConstant(out.type, cell[0].copy() if cell[0].base is not None else cell[0])
            for out, cell in zip(node.outputs, storage)]
