"""Rewrites of Scan nodes: run a forward loop once, and move work out of loops.

``scan_share_forward``: the gradient of a scan runs the same loop again,
giving also what the backward loop reads (every row of a final-only output,
each step's matrix products); the user's scan then reads its results from
that one (``Scan._with_saved``).

``scan_push_out_sequence_products``: a step's product of a sequence row and
a non-sequence (the input projection ``x_t @ W``) becomes one product of
the whole sequence before the loop.

``chain_increments_of_zeros``: the gradient of gates sliced out of one
product, assembled into one array instead of one array of zeros per gate.

``join_increments_tiling_zeros``: that array, when the gates' slices tile
an axis, made by one concatenation instead of zeros and an increment per gate.
"""
import numpy as np

from ..graph import clone_replace, toposort
from ..scan import Scan
from ..tensor.basic import Alloc, Join
from ..tensor.math import Dot, tensordot
from ..tensor.subtensor import IncSubtensor
from .algebra import is_constant
from .engine import register
from .pattern import E, Var, match


@register("merge", "fast_compile", "scan", whole_graph=True)
def scan_share_forward(fgraph):
    """A Scan whose extended twice (same inputs) is in the graph gives way to it."""
    extended = {}
    for node in fgraph.toposort():
        if isinstance(node.op, Scan) and node.op.extends is not None:
            extended.setdefault((node.op.extends, tuple(node.inputs)), node)
    if not extended:
        return False
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


def _zeros_under(var):
    """The all-zeros Alloc that ``var`` increments parts of (through a chain
    of IncSubtensor), or None."""
    while var.owner is not None and isinstance(var.owner.op, IncSubtensor) \
            and not var.owner.op.set_instead_of_inc:
        var = var.owner.inputs[0]
    if var.owner is not None and isinstance(var.owner.op, Alloc) \
            and is_constant(var.owner.inputs[0], 0):
        return var
    return None


_SUM_OF_TWO = E.add(Var("A"), Var("B"))


@register("canonicalize", "scan", tracks=("add",))
def chain_increments_of_zeros(fgraph, node):
    """add(inc(zeros, a, i), inc(zeros, b, j)) -> inc(inc(zeros, a, i), b, j).

    The gradient of a step that slices its gates out of one product
    (``z[:, :n]``, ``z[:, n:2n]``...) puts each gate's gradient into its
    own array of zeros and adds those arrays; chained, the parts go into
    one array (in place, after the inplace phase), and the adds go away.
    Exact for any indices: an increment of zeros is linear.
    """
    if not match(node.outputs[0], _SUM_OF_TWO):
        return None
    out = node.outputs[0]
    same = [v for v in node.inputs if v.type == out.type and _zeros_under(v) is not None]
    for k, chain in enumerate(same):
        for single in same[k + 1:]:
            inc = single.owner
            if inc.inputs[0] is _zeros_under(chain) and inc.inputs[0] is not single \
                    and inc.inputs[0].owner is not None:
                merged = inc.op.make_node(chain, *inc.inputs[1:]).outputs[0]
                rest = [v for v in node.inputs if v is not chain and v is not single]
                return [_sum([merged] + rest)]
    return None


def _slice_parts(var):
    """[(axis, start, stop, value)] of the chain of increments by constant
    slices of one axis that makes ``var`` from zeros, or None."""
    parts = []
    while var.owner is not None and isinstance(var.owner.op, IncSubtensor):
        op, (under, value, *index_inputs) = var.owner.op, var.owner.inputs
        sliced = [(axis, t) for axis, t in enumerate(op.template)
                  if t != ("slice", None, None, None)]
        if op.set_instead_of_inc or index_inputs or len(op.template) != var.ndim \
                or len(sliced) != 1 or not isinstance(sliced[0][1], tuple):
            return None
        axis, (_, start, stop, step) = sliced[0]
        if step not in (None, 1) or any(v is not None and v < 0 for v in (start, stop)):
            return None
        parts.append((axis, start or 0, stop, value))
        var = under
    return parts if _zeros_under(var) is var else None


@register("canonicalize", "scan", tracks=(IncSubtensor,))
def join_increments_tiling_zeros(fgraph, node):
    """inc(inc(zeros, a, [:, 0:n]), b, [:, n:]) -> join(1, a, b).

    Increments of zeros whose slices of one axis follow each other from 0
    to the end (the gate gradients of an LSTM step, once chained) are the
    parts themselves side by side: one concatenation instead of an array
    of zeros and one increment per part.  Each part must fill its slice
    without broadcasting (its type the result's, no axis of length 1 but
    a slice of width 1), so that the parts' lengths add up to the axis.
    """
    out = node.outputs[0]
    parts = _slice_parts(out)
    if parts is None or len(parts) < 2 or len({axis for axis, *_ in parts}) != 1:
        return None
    axis = parts[0][0]
    parts.sort(key=lambda part: (part[1], np.inf if part[2] is None else part[2]))
    ends = [start for _, start, _, _ in parts[1:]] + [None]
    for (_, start, stop, value), end in zip(parts, ends):
        widths = [stop - start if a == axis and stop is not None else None
                  for a in range(out.ndim)]
        if stop != end or value.type.dtype != out.dtype or value.ndim != out.ndim or any(
                n == 1 and w != 1 for n, w in zip(value.type.shape, widths)):
            return None
    if parts[0][1] != 0:
        return None
    return [Join(axis)(*(value for *_, value in parts))]


def _sum(terms):
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


@register("canonicalize", "scan", tracks=(Scan,))
def scan_push_out_sequence_products(fgraph, node):
    """A step's ``x_t @ W`` (a sequence row times a non-sequence) becomes one
    product over all steps before the loop, read by the loop as a sequence
    (Theano's PushOutSeqScan): one large gemm instead of a small one per
    step.  An output of the loop that was just that product is the product
    itself.  Loops with an until are left alone (their length is known
    only when they stop)."""
    op = node.op
    if not isinstance(op, Scan) or op.until is not None:
        return None
    seq_rows = op.inner_inputs[:op.n_sequences]
    nonseq = op.inner_inputs[op.n_sequences + op.n_state_taps:]
    products = [p for p in toposort(op.inner_outputs, blockers=op.inner_inputs)
                if isinstance(p.op, Dot) and p.inputs[0] in seq_rows and p.inputs[1] in nonseq
                and p.inputs[0].ndim == 2 and p.inputs[1].ndim == 2]
    if not products:
        return None
    n, seqs, initials, nonseqs = op._split(node.inputs)
    hoisted = [tensordot(seqs[seq_rows.index(a)][:n], nonseqs[nonseq.index(b)], [[2], [0]])
               for a, b in (p.inputs for p in products)]
    rows = [p.outputs[0].type(f"{p.outputs[0].name or 'product'}[t]") for p in products]
    outputs, _ = clone_replace(op.inner_outputs, dict(zip((p.outputs[0] for p in products), rows)))
    row_index = {row: k for k, row in enumerate(rows)}
    kept = [i for i, o in enumerate(outputs)
            if o not in row_index or op.output_taps[i] or i in op.final_only]
    results = []
    if kept:
        loop = Scan(seq_rows + rows + op.inner_inputs[op.n_sequences:],
                    [outputs[i] for i in kept], op.n_sequences + len(rows),
                    [op.output_taps[i] for i in kept],
                    final_only=[kept.index(i) for i in op.final_only],
                    truncate_gradient=op.truncate_gradient, name=op.name, mode=op.mode)
        results = loop.make_node(n, *seqs, *hoisted, *initials, *nonseqs).outputs
    return [results[kept.index(i)] if i in kept else hoisted[row_index[o]]
            for i, o in enumerate(outputs)]
