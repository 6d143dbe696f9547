"""Stabilising rewrites for the neural-network ops.

Softmax followed by a log or a crossentropy loses precision (and gives
inf or nan) once a probability underflows to 0.  These rewrites compute
the same values from the activations instead: log_softmax, and the fused
softmax-crossentropy op whose loss is logsumexp(x) - x[y].  Their
gradients are rewritten too, since grad() built them before any rewrite.
"""
from ..tensor.nnet.basic import (CrossentropyCategorical1Hot, CrossentropyCategorical1HotGrad,
                                 CrossentropySoftmax1Hot, CrossentropySoftmax1HotDx,
                                 Softmax, SoftmaxGrad)
from .pattern import E, Var, match
from .engine import register


def _softmax_input(var, log=False):
    """x if var is softmax(x) (log_softmax(x) with log=True), else None."""
    node = var.owner
    if node is not None and isinstance(node.op, Softmax) and node.op.log == log:
        return node.inputs[0], node.op.axis
    return None


@register("stabilize")
def log_softmax_from_log(fgraph, node):
    """log(softmax(x)) -> log_softmax(x)."""
    if not match(node.outputs[0], E.log(Var("X"))):
        return None
    found = _softmax_input(node.inputs[0])
    if found is None:
        return None
    x, axis = found
    return [Softmax(axis, log=True)(x)]


@register("stabilize")
def log_softmax_grad(fgraph, node):
    """softmax_grad(g / softmax(x), softmax(x)) -> log_softmax_grad(g, log_softmax(x)):
    the gradient of log(softmax(x)), without dividing by probabilities."""
    if not isinstance(node.op, SoftmaxGrad) or node.op.log:
        return None
    dy, sm = node.inputs
    found = _softmax_input(sm)
    if found is None or not match(dy, E.true_div(Var("G"), Var("S")), {"S": sm}):
        return None
    x, axis = found
    g = dy.owner.inputs[0]
    if g.type.broadcastable != sm.type.broadcastable or g.dtype != sm.dtype:
        return None
    return [SoftmaxGrad(axis, log=True)(g, Softmax(axis, log=True)(x))]


@register("stabilize", whole_graph=True)
def crossentropy_softmax(fgraph):
    """crossentropy(softmax(x), y) and softmax(x) -> one fused op computing both."""
    changed = False
    for node in fgraph.toposort():
        if not isinstance(node.op, CrossentropyCategorical1Hot):
            continue
        found = _softmax_input(node.inputs[0])
        if found is None or found[1] not in (-1, 1):
            continue
        nll, sm = CrossentropySoftmax1Hot()(found[0], node.inputs[1])
        fgraph.replace(node.outputs[0], nll, reason="crossentropy_softmax")
        fgraph.replace(node.inputs[0], sm, reason="crossentropy_softmax")
        changed = True
    return changed


@register("stabilize")
def crossentropy_softmax_grad(fgraph, node):
    """softmax_grad(crossentropy_grad(g, sm, y), sm) -> g * (sm - onehot(y))."""
    if not isinstance(node.op, SoftmaxGrad) or node.op.log or node.op.axis not in (-1, 1):
        return None
    dsm, sm = node.inputs
    inner = dsm.owner
    if inner is None or not isinstance(inner.op, CrossentropyCategorical1HotGrad) \
            or inner.inputs[1] is not sm:
        return None
    g, _, y = inner.inputs
    return [CrossentropySoftmax1HotDx()(g, sm, y)]
