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

``scan_push_out_sums``: a running sum carried from step to step (a bias's
gradient in the backward loop, ``total + dz_t.sum(0)``) becomes one sum
after the loop, of the rows of dz when the loop gives them anyway.

``scan_merge_same_outputs``: two per-step outputs that are one inner
variable (the gradient of ``x_t @ W`` and of ``h @ U`` are both ``dz_t``)
become one, written once per step.
"""
import numpy as np

from ..graph import Constant, clone_replace, graph_inputs, toposort
from ..scan import Scan
from ..tensor.basic import Alloc, Join, Shape, Shape_i
from ..tensor.elemwise import DimShuffle
from ..tensor.math import Dot, Reduce, cast, tensordot
from ..tensor.reduction_table import REDUCTION
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
            rows = twin.outputs[i][twin.op._initial_rows(i):]
            new = (twin.outputs[i][-1] if i in node.op.final_only else
                   rows[::-1] if node.op._reversed(i) else rows)
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
        loop = _loop_like(op, seq_rows + rows + op.inner_inputs[op.n_sequences:],
                          [outputs[i] for i in kept], [op.output_taps[i] for i in kept],
                          [kept.index(i) for i in op.final_only], None,
                          n_sequences=op.n_sequences + len(rows))
        results = loop.make_node(n, *seqs, *hoisted, *initials, *nonseqs).outputs
    return [results[kept.index(i)] if i in kept else
            hoisted[row_index[o]][::-1] if op._reversed(i) else hoisted[row_index[o]]
            for i, o in enumerate(outputs)]


def _loop_like(op, inner_inputs, inner_outputs, output_taps, final_only, until,
               n_sequences=None):
    """A Scan running as ``op`` does (truncation, name, mode, row order) on
    another inner graph (over ``op``'s sequences unless ``n_sequences``)."""
    return Scan(inner_inputs, inner_outputs,
                op.n_sequences if n_sequences is None else n_sequences, output_taps,
                final_only=final_only, until=until, truncate_gradient=op.truncate_gradient,
                name=op.name, mode=op.mode, rows_reversed=op.rows_reversed,
                initial_rows_out=op.initial_rows_out)


def _must_run_in_step(node):
    """Whether the op asks to run where it stands (Print), as constant folding reads it."""
    return hasattr(node.op, "do_constant_folding") and not node.op.do_constant_folding(node)


@register("canonicalize", "scan", tracks=(Scan,))
def scan_push_out_invariants(fgraph, node):
    """Inner nodes whose inputs are non-sequences and constants only give the
    same values at every step, as does the length of a sequence's row
    (its sequence's along the next axis): computed once before the loop,
    each value the rest of the step reads becomes a non-sequence (Theano's
    PushOutNonSeqScan).  A node that is itself an output of the step stays,
    as does an op that must run with the step (Print), one of constants
    alone (the step's compilation folds it), and an Alloc: the step fills
    its array in place, and the gradient's increments of zeros are joined
    there (``join_increments_tiling_zeros``)."""
    op = node.op
    n_head = op.n_sequences + op.n_state_taps
    step_outputs = op.inner_outputs + ([op.until] if op.until is not None else [])
    n, seqs, initials, nonseqs = op._split(node.inputs)
    outer_of = dict(zip(op.inner_inputs[n_head:], nonseqs))
    rows = dict(zip(op.inner_inputs[:op.n_sequences], seqs))
    invariant = set(outer_of)
    pushed = []
    for inner in toposort(step_outputs, blockers=op.inner_inputs):
        if set(inner.outputs) & set(step_outputs) or _must_run_in_step(inner) \
                or isinstance(inner.op, Alloc):
            continue
        if isinstance(inner.op, (Shape, Shape_i)) and inner.inputs[0] in rows:
            # every row of a sequence has its shape: the sequence's less the first axis
            seq = rows[inner.inputs[0]]
            outer_of[inner.outputs[0]] = (Shape_i(inner.op.i + 1)(seq) if isinstance(
                inner.op, Shape_i) else seq.shape[1:])
        elif not (any(v in invariant for v in inner.inputs) and all(
                v in invariant or isinstance(v, Constant) for v in inner.inputs)):
            continue
        invariant.update(inner.outputs)
        pushed.append(inner)
    if not pushed:
        return None
    made = {o for p in pushed for o in p.outputs}
    read = [v for inner in toposort(step_outputs, blockers=op.inner_inputs)
            if inner not in pushed for v in inner.inputs if v in made]
    frontier = list(dict.fromkeys(read))
    outer_values, _ = clone_replace(frontier, outer_of)
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
        key = (out, i in op.final_only, op._initial_rows(i))
        if op.output_taps[i] or key not in first_of:
            first_of.setdefault(key, i)
            kept.append(i)
    if len(kept) == len(op.inner_outputs):
        return None
    loop = _loop_like(op, op.inner_inputs, [op.inner_outputs[i] for i in kept],
                      [op.output_taps[i] for i in kept],
                      [kept.index(i) for i in op.final_only if i in kept], op.until)
    results = loop.make_node(*node.inputs).outputs
    return [results[kept.index(i if i in kept else
                               first_of[out, i in op.final_only, op._initial_rows(i)])]
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
    loop = _loop_like(op, [op.inner_inputs[k] for k in keep], op.inner_outputs, op.output_taps,
                      op.final_only, op.until,
                      n_sequences=op.n_sequences - len([k for k in unused
                                                        if k < op.n_sequences]))
    return loop.make_node(n, *[outer[k] for k in keep if k < op.n_sequences], *initials,
                          *[outer[k] for k in keep if k >= n_head]).outputs


def _same_value(a, b):
    """Whether a and b are computed alike (the same op of the same values all
    the way up): a gradient builds one value twice, merged only when the
    step is compiled."""
    if a is b:
        return True
    if a.owner is None or b.owner is None or a.owner.op != b.owner.op \
            or a.owner.outputs.index(a) != b.owner.outputs.index(b) \
            or len(a.owner.inputs) != len(b.owner.inputs):
        return False
    return all(_same_value(u, v) for u, v in zip(a.owner.inputs, b.owner.inputs))


def _under_sums_and_dimshuffles(var):
    """The variable that ``var`` is made from by plain sums and DimShuffles."""
    while var.owner is not None and (
            isinstance(var.owner.op, DimShuffle) or isinstance(var.owner.op, Reduce)
            and var.owner.op.spec is REDUCTION.sum and var.owner.op.dtype is None
            and var.owner.op.acc_dtype is None):
        var = var.owner.inputs[0]
    return var


def _running_sum_term(op, i, tap, readers):
    """The term step t adds to output i (``total + term``, total its tap of
    the previous step, read by nothing else, term not reading it and of its
    dtype and number of axes), or None.  (A term broadcast against the
    total is the same broadcast against the sum of the terms.)"""
    out = op.inner_outputs[i]
    found = match(out, _SUM_OF_TWO)
    if found is None or readers.get(tap, []) != [out.owner] or tap in op.inner_outputs:
        return None
    terms = [v for v in (found["A"], found["B"]) if v is not tap]
    if len(terms) != 1 or (terms[0].dtype, terms[0].ndim) != (tap.dtype, tap.ndim) or \
            tap in graph_inputs([terms[0]], blockers=[tap]):
        return None
    return terms[0]


@register("canonicalize", "scan", tracks=(Scan,))
def scan_push_out_sums(fgraph, node):
    """A final-only output that each step adds a term to becomes its
    initial value plus one sum, after the loop, of the term's rows: the
    term is given out per step, or, when it is made of another per-step
    output by sums and DimShuffles alone (linear: the term of the sum over
    the steps is the sum of the terms), it is made after the loop of that
    output's sum over the steps (two nodes fewer per step, no row written)."""
    op = node.op
    n_head = op.n_sequences + op.n_state_taps
    step_outputs = op.inner_outputs + ([op.until] if op.until is not None else [])
    readers = {}
    for inner in toposort(step_outputs, blockers=op.inner_inputs):
        for v in set(inner.inputs):
            readers.setdefault(v, []).append(inner)
    taps = iter(op.inner_inputs[op.n_sequences:n_head])
    tap_of = {(i, k): next(taps) for i in op.recurrent for k in op.output_taps[i]}
    sums = {i: term for i in op.recurrent if i in op.final_only and op.output_taps[i] == (-1,)
            for term in [_running_sum_term(op, i, tap_of[i, -1], readers)] if term is not None}
    if not sums:
        return None
    per_step = [j for j in range(len(op.inner_outputs))      # a row per step, no more
                if j not in sums and j not in op.final_only and not op._initial_rows(j)]
    of_rows = {}        # output i: (per-step output j, the value of it the term is made from)
    for i, term in sums.items():
        base = _under_sums_and_dimshuffles(term)
        j = next((j for j in per_step if _same_value(op.inner_outputs[j], base)), None)
        if j is not None:
            of_rows[i] = (j, base)
    kept = [j for j in range(len(op.inner_outputs)) if j not in sums]
    added = [term for i, term in sums.items() if i not in of_rows]
    loop = _loop_like(
        op, op.inner_inputs[:op.n_sequences] + [tap_of[i, k] for i in op.recurrent
                                                if i not in sums for k in op.output_taps[i]]
        + op.inner_inputs[n_head:], [op.inner_outputs[j] for j in kept] + added,
        [op.output_taps[j] for j in kept] + [()] * len(added),
        [kept.index(j) for j in op.final_only if j in kept], op.until)
    n, seqs, initials, nonseqs = op._split(node.inputs)
    initial_of = dict(zip(op.recurrent, initials))
    results = loop.make_node(n, *seqs, *[initial_of[i] for i in op.recurrent if i not in sums],
                             *nonseqs).outputs
    added_rows = iter(results[len(kept):])
    replacements = []
    for i, old in enumerate(node.outputs):
        if i not in sums:
            replacements.append(results[kept.index(i)])
            continue
        if i in of_rows:        # the term is linear in that output's step value
            j, base = of_rows[i]
            total = clone_replace([sums[i]], {base: results[kept.index(j)].sum(axis=0)})[0][0]
        else:
            total = next(added_rows).sum(axis=0)
        total = initial_of[i][-1] + (total if total.dtype == old.dtype else cast(total, old.dtype))
        replacements.append(total)
    return replacements
