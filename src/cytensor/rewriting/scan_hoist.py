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

``scan_push_out_invariants``: what a step computes from the non-sequences
alone (``b`` broadcast, ``W.T``) is computed once before the loop.

``scan_drop_unused_inputs``: a sequence or non-sequence the step no longer
reads (``x`` once ``x_t @ W`` has left the loop) is no longer sliced per step.

``scan_merge_same_outputs``: two per-step outputs that are one inner
variable (the gradient of ``x_t @ W`` and of ``h @ U`` are both ``dz_t``)
become one, written once per step.
"""
import numpy as np

from ..graph import Constant, clone_replace, graph_inputs, toposort
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
            new = (twin.outputs[i][-1] if i in node.op.final_only else
                   twin.outputs[i][::-1] if node.op._reversed(i) else twin.outputs[i])
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
                    truncate_gradient=op.truncate_gradient, name=op.name, mode=op.mode,
                    rows_reversed=op.rows_reversed)
        results = loop.make_node(n, *seqs, *hoisted, *initials, *nonseqs).outputs
    return [results[kept.index(i)] if i in kept else
            hoisted[row_index[o]][::-1] if op._reversed(i) else hoisted[row_index[o]]
            for i, o in enumerate(outputs)]


def _loop_like(op, inner_inputs, inner_outputs, output_taps, final_only, until):
    """A Scan over ``op``'s sequences, as ``op`` runs (truncation, name, mode),
    of another inner graph."""
    return Scan(inner_inputs, inner_outputs, op.n_sequences, output_taps, final_only=final_only,
                until=until, truncate_gradient=op.truncate_gradient, name=op.name, mode=op.mode,
                rows_reversed=op.rows_reversed)


def _must_run_in_step(node):
    """Whether the op asks to run where it stands (Print), as constant folding reads it."""
    return hasattr(node.op, "do_constant_folding") and not node.op.do_constant_folding(node)


@register("canonicalize", "scan", tracks=(Scan,))
def scan_push_out_invariants(fgraph, node):
    """Inner nodes whose inputs are non-sequences and constants only give the
    same values at every step: computed once before the loop, each value
    the rest of the step reads becomes a non-sequence (Theano's
    PushOutNonSeqScan).  A node that is itself an output of the step stays,
    as does an op that must run with the step (Print), and one of
    constants alone (the step's compilation folds it)."""
    op = node.op
    n_head = op.n_sequences + op.n_state_taps
    step_outputs = op.inner_outputs + ([op.until] if op.until is not None else [])
    invariant = set(op.inner_inputs[n_head:])
    pushed = []
    for inner in toposort(step_outputs, blockers=op.inner_inputs):
        if any(v in invariant for v in inner.inputs) \
                and all(v in invariant or isinstance(v, Constant) for v in inner.inputs) \
                and not set(inner.outputs) & set(step_outputs) and not _must_run_in_step(inner):
            invariant.update(inner.outputs)
            pushed.append(inner)
    if not pushed:
        return None
    made = {o for p in pushed for o in p.outputs}
    read = [v for inner in toposort(step_outputs, blockers=op.inner_inputs)
            if inner not in pushed for v in inner.inputs if v in made]
    frontier = list(dict.fromkeys(read))
    n, seqs, initials, nonseqs = op._split(node.inputs)
    outer_values, _ = clone_replace(frontier, dict(zip(op.inner_inputs[n_head:], nonseqs)))
    placeholders = [v.type(v.name) for v in frontier]
    outputs, _ = clone_replace(step_outputs, dict(zip(frontier, placeholders)))
    loop = _loop_like(op, op.inner_inputs + placeholders, outputs[:len(op.inner_outputs)],
                      op.output_taps, op.final_only,
                      outputs[-1] if op.until is not None else None)
    return loop.make_node(n, *seqs, *initials, *nonseqs, *outer_values).outputs


@register("canonicalize", "scan", tracks=(Scan,))
def scan_merge_same_outputs(fgraph, node):
    """Outputs of a Scan that are one inner variable, neither fed back, both
    per-step or both final-only, become one: the step's value is written
    out once, and one array holds it."""
    op = node.op
    first_of, kept = {}, []
    for i, out in enumerate(op.inner_outputs):
        key = (out, i in op.final_only)
        if op.output_taps[i] or key not in first_of:
            first_of.setdefault(key, i)
            kept.append(i)
    if len(kept) == len(op.inner_outputs):
        return None
    loop = _loop_like(op, op.inner_inputs, [op.inner_outputs[i] for i in kept],
                      [op.output_taps[i] for i in kept],
                      [kept.index(i) for i in op.final_only if i in kept], op.until)
    results = loop.make_node(*node.inputs).outputs
    return [results[kept.index(i if i in kept else first_of[out, i in op.final_only])]
            for i, out in enumerate(op.inner_outputs)]


@register("canonicalize", "scan", tracks=(Scan,))
def scan_drop_unused_inputs(fgraph, node):
    """The sequences and non-sequences that no output of the step (nor its
    until) reads are no longer inputs of the loop.  (An unused sequence
    shorter than n_steps is then no longer an error, as in Theano.)"""
    op = node.op
    step_outputs = op.inner_outputs + ([op.until] if op.until is not None else [])
    read = set(graph_inputs(step_outputs))
    n_head = op.n_sequences + op.n_state_taps
    unused = [k for k, v in enumerate(op.inner_inputs)
              if (k < op.n_sequences or k >= n_head) and v not in read]
    if not unused:
        return None
    n, seqs, initials, nonseqs = op._split(node.inputs)
    keep = [k for k in range(len(op.inner_inputs)) if k not in unused]
    outer = dict(enumerate(seqs))
    outer.update((n_head + m, v) for m, v in enumerate(nonseqs))
    loop = Scan([op.inner_inputs[k] for k in keep], op.inner_outputs,
                op.n_sequences - len([k for k in unused if k < op.n_sequences]),
                op.output_taps, final_only=op.final_only, until=op.until,
                truncate_gradient=op.truncate_gradient, name=op.name, mode=op.mode,
                rows_reversed=op.rows_reversed)
    return loop.make_node(n, *[outer[k] for k in keep if k < op.n_sequences], *initials,
                          *[outer[k] for k in keep if k >= n_head]).outputs
