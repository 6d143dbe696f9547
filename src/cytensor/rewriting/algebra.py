"""Algebraic rewrites: canonicalise, stabilise, specialise.

Each rule looks at one node and returns replacements for its outputs, or
None.  A replacement must have the same dtype and number of dimensions;
where a rewrite would lose a broadcast (``x * 1`` with a larger ``1``) or
hide a nan (``x - x`` for floats), it does not apply.  One exception, as in
Theano (its local_mul_specialize): ``mul_by_zero`` turns ``0 * x`` into
zeros, so a penalty written ``0.0 * L1`` costs nothing; where x is nan or
inf that gives 0 instead of nan (exclude the rewrite by name to keep it).
"""
import numpy as np

from ..graph import Constant
from ..tensor import basic as tb
from ..tensor import math as tm
from ..tensor.elemwise import DimShuffle, Elemwise
from ..tensor.elemwise_table import ELEMWISE
from ..tensor.math import Dot, Gemm, Reduce
from ..tensor.reduction_table import REDUCTION
from ..tensor.subtensor import Subtensor
from .basic import constant_folding
from .engine import register
from .pattern import E, Var, match, row_of, scalar_value

A, B, X = Var("A"), Var("B"), Var("X")


def is_constant(var, value):
    """Whether ``var`` is a constant whose elements all equal ``value``."""
    found = scalar_value(var)
    return found is not None and found == value


def same_type(new, old):
    """``new`` as a replacement of ``old``: cast if needed; None if it would
    lose broadcasting."""
    if any(bn and not bo for bn, bo in zip(new.type.broadcastable, old.type.broadcastable)):
        return None
    return tm.cast(new, old.dtype) if new.dtype != old.dtype else new


def _args(var):
    return var.owner.inputs


# ---------------------------------------------------------------------------
# Canonicalise
# ---------------------------------------------------------------------------


# The rows with a neutral element (the table's ``neutral``: x op n == x).
_NEUTRAL = {row: row.neutral for row in ELEMWISE.values() if row.neutral is not None}


@register("canonicalize", "fast_compile", tracks=tuple(row.name for row in _NEUTRAL))
def remove_identity(fgraph, node):
    """x * 1, 1 * x, x + 0, 0 + x, x - 0, x / 1, x ** 1  ->  x."""
    row = row_of(node.outputs[0])
    if row not in _NEUTRAL:
        return None
    neutral, sides = _NEUTRAL[row]
    a, b = node.inputs
    out = node.outputs[0]
    if is_constant(b, neutral):
        kept = a
    elif sides == "both" and is_constant(a, neutral):
        kept = b
    else:
        return None
    kept = same_type(kept, out)
    return [kept] if kept is not None else None


@register("canonicalize", "fast_compile", tracks=("neg",))
def double_negation(fgraph, node):
    """--x -> x."""
    found = match(node.outputs[0], E.neg(E.neg(X)))
    return [found["X"]] if found else None


@register("canonicalize", tracks=("sub",))
def subtract_self(fgraph, node):
    """x - x -> 0 for integers (for floats, nan - nan and inf - inf are nan)."""
    out = node.outputs[0]
    found = match(out, E.sub(X, X))
    if found and out.dtype[0] in "iub":
        return [tb.zeros_like(found["X"], dtype=out.dtype)]
    return None


@register("canonicalize", "fast_compile", tracks=(DimShuffle,))
def merge_dimshuffles(fgraph, node):
    """A DimShuffle of a DimShuffle is one DimShuffle; an identity one is nothing."""
    if not isinstance(node.op, DimShuffle):
        return None
    x = node.inputs[0]
    order = node.op.new_order
    if order == tuple(range(x.ndim)):
        return [x]
    inner = x.owner
    if inner is not None and isinstance(inner.op, DimShuffle):
        composed = [("x" if a == "x" else inner.op.new_order[a]) for a in order]
        base = inner.inputs[0]
        return [DimShuffle(base.ndim, composed)(base)]
    return None


@register("canonicalize", "fast_compile", tracks=(tb.Shape_i,))
def shape_from_inputs(fgraph, node):
    """Shape_i(x) -> a length computed from x's inputs' shapes, without computing x."""
    op = node.op
    if isinstance(op, tb.Shape_i):
        x = node.inputs[0]
        static = x.type.shape[op.i]
        if static is not None:
            return [tb.constant(static, dtype="int64")]
        if x.owner is None:
            return None
        try:
            shapes = x.owner.op.infer_shape(x.owner, [tb.LazyShape(i) for i in
                                                      x.owner.inputs])
        except NotImplementedError:
            return None
        length = shapes[x.index][op.i]
        length = tm.cast(length, "int64") if not isinstance(length, int) else \
            tb.constant(length, dtype="int64")
        if length.owner is not None and length.owner.op == op and \
                length.owner.inputs[0] is x:
            return None
        return [length]
    return None


@register("canonicalize", "fast_compile", tracks=(tb.Shape, Subtensor))
def shape_to_lengths(fgraph, node):
    """Shape(x) -> MakeVector(Shape_i(x)...), Shape(x)[i] -> Shape_i(x)."""
    op = node.op
    if isinstance(op, tb.Shape):
        x = node.inputs[0]
        return [tb.MakeVector("int64")(*tb.shape_tuple(x))] if x.ndim else None
    if isinstance(op, Subtensor) and len(node.inputs) == 1:
        vec = node.inputs[0]
        (index,) = op.template if len(op.template) == 1 else (None,)
        if isinstance(index, int) and vec.owner is not None and \
                isinstance(vec.owner.op, tb.MakeVector):
            return [vec.owner.inputs[index]]
    return None


@register("canonicalize", tracks=(Reduce,))
def reduce_over_length_one(fgraph, node):
    """sum/prod/max/min over axes of length 1 only drop those axes (not with an
    acc_dtype: the single term still rounds through the accumulator)."""
    if not isinstance(node.op, Reduce) or not node.op.spec.identity_on_one \
            or node.op.acc_dtype is not None:
        return None
    x = node.inputs[0]
    if not node.op.axis or any(x.type.shape[a] != 1 for a in node.op.axis):
        return None
    kept = [a for a in range(x.ndim) if a not in node.op.axis]
    return [tm.cast(DimShuffle(x.ndim, kept)(x), node.outputs[0].dtype)]


@register("canonicalize", tracks=(Elemwise,))
def alloc_into_elemwise(fgraph, node):
    """Elemwise(alloc(v, *shape), y) -> Elemwise(v, y) when y already has the
    output's full shape: broadcasting does the allocation's work for free."""
    if not isinstance(node.op, Elemwise):
        return None
    out = node.outputs[0]
    full = [i for i in node.inputs if i.type.broadcastable == out.type.broadcastable and
            not (i.owner is not None and isinstance(i.owner.op, tb.Alloc))]
    if not full:
        return None
    changed, inputs = False, []
    for i in node.inputs:
        if i.owner is not None and isinstance(i.owner.op, tb.Alloc):
            value = i.owner.inputs[0]
            value = value.dimshuffle(["x"] * (i.ndim - value.ndim) + list(range(value.ndim)))
            inputs.append(value)
            changed = True
        else:
            inputs.append(i)
    if not changed:
        return None
    new = node.op.make_node(*inputs)
    return new.outputs


@register("canonicalize", tracks=(Elemwise,))
def alloc_out_of_elemwise(fgraph, node):
    """Elemwise(alloc(v, *shape), c...) -> alloc(Elemwise(v, c...), *shape) when
    the other inputs are single values: the operation runs once, not per
    element (the gradient of ``c * (W ** 2).sum()`` is then ``2c * W``
    with 2c a broadcast scalar, after alloc_into_elemwise)."""
    if not isinstance(node.op, Elemwise) or len(node.outputs) != 1:
        return None
    out = node.outputs[0]
    allocs = [i for i in node.inputs if i.owner is not None and isinstance(i.owner.op, tb.Alloc)]
    if len(allocs) != 1 or allocs[0].type.broadcastable != out.type.broadcastable or \
            not all(all(i.type.broadcastable) for i in node.inputs if i is not allocs[0]):
        return None
    alloc_node = allocs[0].owner
    value = alloc_node.inputs[0]
    value = value.dimshuffle(["x"] * (out.ndim - value.ndim) + list(range(value.ndim)))
    inputs = [value if i is allocs[0] else i for i in node.inputs]
    once = node.op.make_node(*inputs).outputs[0]
    return [tb.alloc(once, *alloc_node.inputs[1:])]


@register("canonicalize", tracks=(tb.Alloc,))
def alloc_of_leading_broadcast(fgraph, node):
    """alloc(v.dimshuffle('x', ..., 0, 1, ...), *shape) -> alloc(v, *shape):
    alloc broadcasts the leading axes itself (the gradient of a sum fills
    from the scalar's ``dimshuffle('x')``), so the DimShuffle is a node for
    nothing."""
    if not isinstance(node.op, tb.Alloc):
        return None
    value = node.inputs[0]
    inner = value.owner
    if inner is None or not isinstance(inner.op, DimShuffle):
        return None
    base = inner.inputs[0]
    added = value.ndim - base.ndim
    if added <= 0 or list(inner.op.new_order) != ["x"] * added + list(range(base.ndim)):
        return None
    return [tb.alloc(base, *node.inputs[1:])]


@register("canonicalize", tracks=("mul",))
def mul_by_zero(fgraph, node):
    """0 * x -> zeros of the product's shape (Theano's rule: 0 even where x is
    nan or inf; see the module docstring)."""
    if not match(node.outputs[0], E.mul(0, X)):
        return None
    out = node.outputs[0]
    zero = tb.constant(0, dtype=out.dtype)
    if out.ndim == 0:
        return [zero]
    shape = node.op.infer_shape(node, [tb.shape_tuple(i) for i in node.inputs])[0]
    return [tb.alloc(zero, *shape)]


@register("canonicalize", tracks=(tb.Reshape,))
def reshape_into_elemwise_inputs(fgraph, node):
    """reshape(f(a, b)) -> f(reshape(a), reshape(b)) when a and b have the
    output's full shape (one-element inputs just lose their axes) and only
    the reshape reads f's result: the reshape then sits on the inputs, so a
    reduction of it can fuse with f (``(log(a) * b).reshape(m, n).sum(1)``
    never stores the product)."""
    if not isinstance(node.op, tb.Reshape):
        return None
    x, shape = node.inputs
    producer = x.owner
    if producer is None or not isinstance(producer.op, Elemwise) or \
            producer.op.inplace is not None or len(producer.outputs) != 1 or \
            [c for c, _ in fgraph.clients.get(x, [])] != [node]:
        return None
    full = [i.type.broadcastable == x.type.broadcastable for i in producer.inputs]
    if not any(full) or not all(f or all(i.type.broadcastable)
                                for f, i in zip(full, producer.inputs)):
        return None
    static = node.outputs[0].type.shape
    inputs = [node.op.make_node(i, shape, static).outputs[0] if f else i.dimshuffle()
              for f, i in zip(full, producer.inputs)]
    return [same_type(producer.op.make_node(*inputs).outputs[0], node.outputs[0])]


# ---------------------------------------------------------------------------
# Stabilise: same value, fewer rounding errors and overflows
# ---------------------------------------------------------------------------


@register("stabilize", tracks=("log",))
def log1p_from_log(fgraph, node):
    """log(1 + x) -> log1p(x)."""
    found = match(node.outputs[0], E.log(E.add(1, X)))
    return [same_type(tm.log1p(found["X"]), node.outputs[0])] if found else None


@register("stabilize", tracks=("sub",))
def expm1_from_exp(fgraph, node):
    """exp(x) - 1 -> expm1(x)."""
    found = match(node.outputs[0], E.sub(E.exp(X), 1))
    return [same_type(tm.expm1(found["X"]), node.outputs[0])] if found else None


@register("stabilize", tracks=(Reduce,))
def sum_of_negation(fgraph, node):
    """sum(-x) -> -sum(x) for float x: exact (rounding is symmetric), and the
    negation of one value fuses into what reads the sum; the fused
    crossentropy leaves ``mean(-nll)`` (integers are left alone: a narrow
    -x wraps before a wider sum)."""
    if not isinstance(node.op, Reduce) or node.op.spec is not REDUCTION.sum:
        return None
    found = match(node.inputs[0], E.neg(X))
    if not found or found["X"].dtype[0] != "f" or len(fgraph.clients.get(node.inputs[0], ())) > 1:
        return None
    return [-node.op(found["X"])]


# A length read off a value the stabilising rewrites made (the fused
# crossentropy's -nll) is read off its inputs again, as in canonicalize.
register("stabilize", tracks=(tb.Shape_i,))(shape_from_inputs)


@register("stabilize", tracks=("log",))
def log_of_exp(fgraph, node):
    """log(exp(x)) -> x, for float x only: exp of an integer is a float of
    another width (int16 30000 gives float32 inf, whose log is inf)."""
    found = match(node.outputs[0], E.log(E.exp(X)))
    if found and found["X"].dtype == node.outputs[0].dtype:
        return [same_type(found["X"], node.outputs[0])]
    return None


@register("stabilize", tracks=("log",))
def log_of_sigmoid(fgraph, node):
    """log(sigmoid(x)) -> -softplus(-x); log(1 - sigmoid(x)) -> -softplus(x).

    A stabilising rewrite: its purpose is to change the value where the
    graph as written underflows (float32 log(sigmoid(-1000)) is log(0) =
    -inf; the rewritten graph gives -1000).  Exclude it
    (``mode.excluding("log_of_sigmoid")``) to get the value as written."""
    out = node.outputs[0]
    found = match(out, E.log(E.sigmoid(X)))
    if found:
        return [same_type(-tm.softplus(-found["X"]), out)]
    found = match(out, E.log(E.sub(1, E.sigmoid(X))))
    if found:
        return [same_type(-tm.softplus(found["X"]), out)]
    return None


# ---------------------------------------------------------------------------
# Specialise: cheaper operations for the same value
# ---------------------------------------------------------------------------


@register("specialize", tracks=("pow",))
def specialize_pow(fgraph, node):
    """x ** 2 -> sqr(x), x ** 0.5 -> sqrt(x), x ** -1 -> 1/x."""
    if not match(node.outputs[0], E.pow(X, B)):
        return None
    x, p = node.inputs
    value = scalar_value(p)
    out = node.outputs[0]
    if value is None or (p.ndim > x.ndim) or \
            any(bp is False and bx for bp, bx in zip(p.broadcastable, x.broadcastable)):
        return None
    replacement = {2: tm.sqr, 0.5: tm.sqrt, -1: tm.reciprocal}.get(float(value))
    if replacement is None:
        return None
    if replacement is tm.sqr or out.dtype.startswith("float"):
        new = replacement(tm.cast(x, out.dtype))
        return [same_type(new, out)]
    return None


@register("specialize", tracks=(Dot,))
def dot_of_transposes(fgraph, node):
    """dot(a.T, b.T) -> dot(b, a).T: one transpose instead of two."""
    if not isinstance(node.op, Dot):
        return None
    a, b = node.inputs
    if a.ndim == 2 and b.ndim == 2 and _is_transpose(a) and _is_transpose(b):
        return [tb.transpose(tm.dot(_args(b)[0], _args(a)[0]))]
    return None


def _is_transpose(v):
    return v.owner is not None and isinstance(v.owner.op, DimShuffle) and \
        v.owner.op.new_order == (1, 0)


@register("specialize", tracks=(Reduce,))
def sum_of_alloc(fgraph, node):
    """sum(alloc(c, *shape)) over all axes -> c * prod(shape), for a single value c
    (not with an acc_dtype, whose rounding the product would not have)."""
    if not isinstance(node.op, Reduce) or node.op.spec is not REDUCTION.sum \
            or node.op.acc_dtype is not None:
        return None
    x = node.inputs[0]
    if x.owner is None or not isinstance(x.owner.op, tb.Alloc):
        return None
    value, lengths = x.owner.inputs[0], x.owner.inputs[1:]
    if any(s != 1 for s in value.type.shape) or len(node.op.axis) != x.ndim:
        return None
    value = DimShuffle(value.ndim, [])(value) if value.ndim else value
    count = tm.mul(*[tm.cast(n, node.outputs[0].dtype) for n in lengths]) if lengths \
        else tb.constant(1, dtype=node.outputs[0].dtype)
    return [same_type(tm.cast(value, node.outputs[0].dtype) * count, node.outputs[0])]


@register("specialize", tracks=("mul",))
def mul_by_minus_one(fgraph, node):
    """x * -1 -> -x."""
    if not match(node.outputs[0], E.mul(A, B)):
        return None
    a, b = node.inputs
    for c, x in ((b, a), (a, b)):
        if is_constant(c, -1):
            new = same_type(tm.neg(x), node.outputs[0])
            if new is not None:
                return [new]
    return None


@register("specialize", tracks=(Elemwise,))
def constants_in_output_dtype(fgraph, node):
    """x + 1 with x float64: store the 1 as float64, not int8, so the kernel
    reads every operand in the dtype it computes in (its fastest path)."""
    if not isinstance(node.op, Elemwise) or len(node.outputs) != 1:
        return None
    dtype = node.outputs[0].dtype
    if not dtype.startswith("float"):
        return None
    inputs, changed = [], False
    for i in node.inputs:
        if isinstance(i, Constant) and i.dtype != dtype:
            data = i.data.astype(dtype)
            if np.array_equal(data, i.data, equal_nan=True):
                i = tb.constant(data)
                changed = True
        inputs.append(i)
    if not changed:
        return None
    new = node.op.make_node(*inputs)
    return new.outputs if new.outputs[0].type == node.outputs[0].type else None


@register("specialize", tracks=("sub",))
def gemm_from_scaled_dot(fgraph, node):
    """C - k * dot(A, B) -> Gemm(C, -k, A, B, 1): an SGD step in one BLAS call,
    without storing the product.

    A gradient with a weight-decay term, ``C - k * (dot(A, B) + c * C)``
    (the L2 penalty's ``2 * l2 * W``; any sum of the product, C and scalar
    multiples of C), takes the multiples of C into Gemm's beta,
    ``Gemm(C, -k, A, B, 1 - k * c)``: C is read and written once, by BLAS,
    and neither the product nor the sum is stored.  As in Theano's gemm
    rewrites, an inf in C is then scaled by beta (inf) where the graph as
    written gives ``inf - k * c * inf`` (nan); a nan stays nan."""
    out = node.outputs[0]
    if not match(out, E.sub(Var("C"), E.mul(Var("K"), Var("P")))):
        return None
    C, scaled = node.inputs
    if C.type != out.type or out.ndim != 2 \
            or out.dtype not in ("float32", "float64") \
            or len(fgraph.clients.get(scaled, [])) != 1:
        return None
    for k, gradient in (scaled.owner.inputs, scaled.owner.inputs[::-1]):
        value = scalar_value(k)
        if value is None or gradient.type != out.type:
            continue
        split = _product_and_multiples(fgraph, gradient, C)
        if split is None:
            continue
        (A, B), multiples = split
        dtype = np.dtype(out.dtype).type
        alpha = tb.constant(-dtype(value), dtype=out.dtype)
        return [Gemm()(C, alpha, A, B, _beta(dtype, dtype(value), multiples, out.dtype))]
    return None


def _product_and_multiples(fgraph, gradient, C):
    """((A, B), [c...]) when ``gradient`` is dot(A, B) plus terms C or c * C
    (c a single value; 1 for C itself) summed by add nodes that nothing else
    reads, the product read only by the sum; else None."""
    product, multiples, pending = None, [], [gradient]
    while pending:
        term = pending.pop()
        if term is C:
            multiples.append(tb.constant(1, dtype=C.dtype))
            continue
        if term.type != C.type:
            return None
        owner = term.owner
        single_reader = len(fgraph.clients.get(term, [])) == 1
        if owner is not None and isinstance(owner.op, Dot) and product is None \
                and single_reader and all(i.dtype == C.dtype for i in owner.inputs):
            product = tuple(owner.inputs)
            continue
        if row_of(term) is ELEMWISE["add"] and single_reader:
            pending += owner.inputs
            continue
        found = match(term, E.mul(Var("c"), Var("C")), {"C": C})
        coefficient = found["c"] if found else None
        if coefficient is None or not all(coefficient.type.broadcastable) \
                or coefficient.ndim > C.ndim:
            return None
        multiples.append(coefficient)
    return (product, multiples) if product is not None else None


def _folded(var):
    """``var`` as a constant when its node reads constants only (the L2
    gradient's ``2 * l2``, which canonicalising made after constant folding
    ran), else ``var``."""
    if var.owner is None or not all(isinstance(i, Constant) for i in var.owner.inputs):
        return var
    folded = constant_folding(None, var.owner)
    return var if folded is None else folded[var.index]


def _beta(dtype, k, multiples, out_dtype):
    """Gemm's beta for C - k * (product + sum of multiples * C): 1 - k * sum,
    a constant when the multiples are (computed in ``dtype``, as the graph
    would), else a scalar expression."""
    values = [scalar_value(_folded(c)) for c in multiples]
    if all(v is not None for v in values):
        return tb.constant(dtype(1) - k * sum(dtype(v) for v in values), dtype=out_dtype)
    total = None
    for c in multiples:
        c = tm.cast(DimShuffle(c.ndim, [])(c) if c.ndim else c, out_dtype)
        total = c if total is None else total + c
    return tm.cast(1 - tb.constant(k, dtype=out_dtype) * total, out_dtype)
