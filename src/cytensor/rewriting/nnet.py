"""Stabilising rewrites for the neural-network ops.

Softmax followed by a log or a crossentropy loses precision (and gives
inf or nan) once a probability underflows to 0.  These rewrites compute
the same values from the activations instead: log_softmax, and the fused
softmax-crossentropy op whose loss is logsumexp(x) - x[y].  Their
gradients are rewritten too, since grad() built them before any rewrite.
"""
from ..tensor import math as tm
from ..tensor.advanced import ROW_AND_COLUMN, AdvancedIncSubtensor, AdvancedSubtensor, PickPerRow
from ..tensor.basic import ARange, Alloc, Shape_i, alloc, shape_tuple
from ..tensor.math import Reduce
from ..tensor.nnet.basic import (CrossentropyCategorical1Hot, CrossentropyCategorical1HotGrad,
                                 CrossentropySoftmax1Hot, CrossentropySoftmax1HotDx, OneHot,
                                 Softmax, SoftmaxGrad)
from ..tensor.reduction_table import REDUCTION
from .algebra import is_constant
from .pattern import E, Var, match, scalar_value
from .engine import register


def _softmax_input(var, log=False):
    """x if var is softmax(x) (log_softmax(x) with log=True), else None."""
    node = var.owner
    if node is not None and isinstance(node.op, Softmax) and node.op.log == log:
        return node.inputs[0], node.op.axis
    return None


@register("stabilize", tracks=("log",))
def log_softmax_from_log(fgraph, node):
    """log(softmax(x)) -> log_softmax(x)."""
    if not match(node.outputs[0], E.log(Var("X"))):
        return None
    found = _softmax_input(node.inputs[0])
    if found is None:
        return None
    x, axis = found
    return [Softmax(axis, log=True)(x)]


@register("stabilize", tracks=(SoftmaxGrad,))
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


@register("stabilize", tracks=(SoftmaxGrad,))
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


# ---------------------------------------------------------------------------
# The loss as users write it: log(softmax(x))[arange(n), y] and
# sum(one_hot(y) * log(softmax(x))).  After log_softmax_from_log both read
# log_softmax(x); they become -crossentropy_softmax_1hot(x, y), and the
# gradient grad() built for them becomes the fused gradient op (Theano's
# local_advanced_indexing_crossentropy_onehot family does the same).
#
# One caveat, as in Theano: the fused op checks that there is one label per
# row of x; the indexed form with arange(len(y)) would instead read only the
# first len(y) rows when y is shorter.  With one_hot(y, k), a k that differs
# from the number of columns (an error in the unrewritten graph) is caught
# only when a label is out of range of the columns.
# ---------------------------------------------------------------------------

_PRODUCT = E.mul(Var("A"), Var("B"))


def _log_softmax_rows(var):
    """x if var is log_softmax(x) over the rows of a matrix x, else None."""
    found = _softmax_input(var, log=True)
    if found is None or found[1] not in (-1, 1) or found[0].ndim != 2:
        return None
    return found[0]


def _same_row_count(x):
    """Variables known to have as many rows as x: x, then the input its row
    count comes from by infer_shape, and so on (the shape rewrites may have
    turned z.shape[0] into x.shape[0] for z = dot(x, W))."""
    found, var = [x], x
    while var.owner is not None and len(found) < 32:
        try:
            shapes = var.owner.op.infer_shape(var.owner, [shape_tuple(i) for i in
                                                          var.owner.inputs])
        except NotImplementedError:
            break
        length = shapes[var.index][0]
        if getattr(length, "owner", None) is None or not isinstance(length.owner.op, Shape_i) \
                or length.owner.op.i != 0:
            break
        var = length.owner.inputs[0]
        found.append(var)
    return found


def _counts_rows_of(n, x, y):
    """Whether the scalar ``n`` is y.shape[0] or the row count of x."""
    node = n.owner
    if node is None or not isinstance(node.op, Shape_i) or node.op.i != 0:
        return False
    return node.inputs[0] is y or any(node.inputs[0] is v for v in _same_row_count(x))


def _row_label_index(index_vars, x, labels_may_count=True):
    """y if the index variables are (arange(n), y) with n the rows of x or
    (``labels_may_count``) of y."""
    rows, y = index_vars
    node = rows.owner
    if y.ndim != 1 or y.dtype[0] not in "iu" or node is None \
            or not isinstance(node.op, ARange):
        return None
    start, stop, step = node.inputs
    if scalar_value(start) != 0 or scalar_value(step) != 1 \
            or not _counts_rows_of(stop, x, y if labels_may_count else None):
        return None
    return y


def _labels_of_one_hot(var, x):
    """y if var is one_hot(y, k) with k the column count of x (or a constant
    that does not contradict x's static shape), else None."""
    node = var.owner
    if node is None or not isinstance(node.op, OneHot):
        return None
    y, k = node.inputs
    count = scalar_value(k)
    if count is not None:
        if count == 1 or x.type.shape[1] not in (None, count):
            return None
    elif not (k.owner is not None and isinstance(k.owner.op, Shape_i) and k.owner.op.i == 1
              and k.owner.inputs[0] is x):
        return None
    return y


def _fused_crossentropy(fgraph, x, y):
    """The outputs (nll, softmax) of crossentropy_softmax_1hot(x, y), reusing
    a node already in the graph (no merge runs after this phase)."""
    for client, _ in fgraph.clients.get(x, ()):
        if client != "output" and isinstance(client.op, CrossentropySoftmax1Hot) \
                and client.inputs[1] is y:
            return client.outputs
    return CrossentropySoftmax1Hot()(x, y)


def _per_row(value, y):
    """``value`` (a scalar, or one number per row as (n,), (n, 1) or (1,))
    as a vector with one entry per label; None if it varies along the columns."""
    if value.ndim == 2:
        if not value.type.broadcastable[1]:
            return None
        value = value.dimshuffle(0)
    if value.ndim > 1:
        return None
    if value.ndim == 0 or value.type.broadcastable[0]:
        value = alloc(value.dimshuffle() if value.ndim else value, Shape_i(0)(y))
    return value


def _negated(value):
    """-value; for alloc(v, *shape) (the gradient of a mean or a sum fills
    one value), alloc(-v, *shape): the negation runs once, not per row."""
    if value.owner is not None and isinstance(value.owner.op, Alloc):
        fill, *lengths = value.owner.inputs
        return alloc(-fill, *lengths)
    return -value


@register("stabilize", tracks=(AdvancedSubtensor,))
def crossentropy_from_indexed_log_softmax(fgraph, node):
    """log_softmax(x)[arange(n), y] -> -crossentropy_softmax_1hot(x, y)."""
    if not isinstance(node.op, AdvancedSubtensor) or node.op.template != ROW_AND_COLUMN:
        return None
    x = _log_softmax_rows(node.inputs[0])
    y = None if x is None else _row_label_index(node.inputs[1:], x)
    if y is None:
        return None
    nll, _ = _fused_crossentropy(fgraph, x, y)
    return [-nll]


@register("specialize", tracks=(AdvancedSubtensor,))
def pick_per_row(fgraph, node):
    """x[arange(x.shape[0]), y] -> PickPerRow(x, y): one node a call instead
    of three (after the crossentropy rewrites, which read that index too).
    Only with x's own row count: arange(y.shape[0]) would read only the
    first len(y) rows."""
    if not isinstance(node.op, AdvancedSubtensor) or node.op.template != ROW_AND_COLUMN:
        return None
    x = node.inputs[0]
    y = _row_label_index(node.inputs[1:], x, labels_may_count=False) if x.ndim >= 2 else None
    return None if y is None else [PickPerRow()(x, y)]


@register("stabilize", tracks=(Reduce,))
def crossentropy_from_one_hot_log_softmax(fgraph, node):
    """sum(one_hot(y) * log_softmax(x), axis=1) -> -crossentropy_softmax_1hot(x, y)
    (summed over all axes: the sum of that)."""
    if not isinstance(node.op, Reduce) or node.op.spec is not REDUCTION.sum \
            or node.op.dtype is not None:
        return None
    product = node.inputs[0]
    if not match(product, _PRODUCT) or product.ndim != 2:
        return None
    if set(node.op.axis) not in ({1}, {0, 1}):
        return None
    for first, second in (product.owner.inputs, product.owner.inputs[::-1]):
        x = _log_softmax_rows(second)
        y = None if x is None else _labels_of_one_hot(first, x)
        if y is not None and first.dtype == x.dtype:
            nll, _ = _fused_crossentropy(fgraph, x, y)
            loss = -nll if node.op.axis == (1,) else -tm.sum(nll)
            return [loss.astype(node.outputs[0].dtype)]
    return None


@register("stabilize", tracks=(SoftmaxGrad,))
def crossentropy_grad_from_log_softmax_grad(fgraph, node):
    """The gradient grad() builds for those two forms -> the fused gradient op.

    log_softmax_grad(dy, log_softmax(x)) = dy - softmax(x) * sum(dy, axis=1);
    when dy holds one number v[i] per row, at column y[i] (an inc_subtensor
    into zeros at [arange(n), y], or one_hot(y) * v), that is
    -v[i] * (softmax(x)[i] - one_hot(y[i])).
    """
    if not isinstance(node.op, SoftmaxGrad) or not node.op.log or node.op.axis not in (-1, 1):
        return None
    dy, lsm = node.inputs
    x = _log_softmax_rows(lsm)
    if x is None or dy.owner is None:
        return None
    y = value = None
    op = dy.owner.op
    if isinstance(op, AdvancedIncSubtensor) and not op.set_instead_of_inc \
            and op.template == ROW_AND_COLUMN:
        zeros, value = dy.owner.inputs[:2]
        y = _row_label_index(dy.owner.inputs[2:], x)
        if zeros.owner is None or not isinstance(zeros.owner.op, Alloc) \
                or not is_constant(zeros.owner.inputs[0], 0):
            y = None
    elif match(dy, _PRODUCT):
        for first, second in (dy.owner.inputs, dy.owner.inputs[::-1]):
            y = _labels_of_one_hot(first, x)
            if y is not None:
                value = second
                break
    per_row = None if y is None else _per_row(_negated(value), y)
    if per_row is None:
        return None
    _, sm = _fused_crossentropy(fgraph, x, y)
    return [CrossentropySoftmax1HotDx()(per_row, sm, y).astype(node.outputs[0].dtype)]


@register("stabilize", whole_graph=True)
def softmax_from_fused_crossentropy(fgraph):
    """softmax(x) beside crossentropy_softmax_1hot(x, y) -> the fused op's own
    softmax output (the probabilities also used for predictions)."""
    changed = False
    for node in fgraph.toposort():
        if not isinstance(node.op, CrossentropySoftmax1Hot):
            continue
        x, sm = node.inputs[0], node.outputs[1]
        for client, _ in list(fgraph.clients.get(x, ())):
            if client != "output" and client in fgraph.nodes \
                    and isinstance(client.op, Softmax) and not client.op.log \
                    and client.op.axis in (-1, 1):
                fgraph.replace(client.outputs[0], sm, reason="softmax_from_fused_crossentropy")
                changed = True
    return changed
