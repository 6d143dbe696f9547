"""scan: loops inside the graph (Theano's ``theano.scan``).

How it works, in three parts:

1. ``scan()`` calls the user's ``fn`` once, on placeholder variables that
   stand for one step's values: a sequence element ``x[t + k]`` for each tap
   ``k``, a past output ``y[t + k]`` for each (negative) output tap, and each
   non-sequence.  What ``fn`` returns is the *inner graph* of one step.
   Variables that ``fn`` uses without receiving them (shared weights, outer
   symbolic variables) are found in that graph and become inputs too.

2. The ``Scan`` op runs the inner graph ``n_steps`` times.  Sequences reach
   it already sliced, one plain sequence per tap (``x[1:]`` for tap +1...),
   and already reversed for ``go_backwards``, so step t reads element t of
   each.  A fed-back output lives in a buffer holding its initial values
   followed by the values of every step; tap k at step t reads the buffer
   ``L + k`` rows after row t, L being the number of initial rows.  When
   fn returns ``until(condition)``, the step also computes the condition,
   and the loop stops after the first step where it is true; the outputs
   keep the rows of the steps that ran.  A shared variable that fn updates
   (fn returns {shared: new value}), and the generator state of a random
   stream fn draws from, is carried like a fed-back output, so each step
   sees the value the previous one left; its last value is the update
   scan returns, which ``function`` writes back.

3. The gradient (backpropagation through time) is another scan, going
   backwards over the steps.  Each backward step differentiates the inner
   graph of one forward step (of those that ran), and carries, for each
   fed-back output, a
   window of the gradients that later steps sent to the last L values of
   that output, and, for each non-sequence, the running sum of its
   gradient.  Only their last values are wanted, so they are *final-only*
   outputs: the op keeps just the rows their taps read (a ring buffer), and
   memory does not grow with the number of steps.  With truncate_gradient=k
   the backward loop covers only the last k steps.
"""
import functools
from collections import OrderedDict

import numpy as np

from . import gradient
from .config import config
from .graph import (Apply, Constant, LaterStages, MissingInputError, Op, clone_replace,
                    graph_inputs, toposort)
from .tensor.basic import LazyShape, Shape_i, concatenate, shape_padleft, zeros_like
from .tensor.sharedvar import SharedVariable
from .tensor.math import Dot, cast, dot, maximum, minimum, tensordot
from .tensor.random import RandomVariable
from .tensor.subtensor import inc_subtensor, set_subtensor
from .tensor.type import TensorType, as_tensor_variable


class until:
    """Returned by fn after its outputs (Theano's ``theano.scan_module.until``):
    the loop stops after the first step where ``condition``, a scalar, is
    true; n_steps is then only the most steps it may take.

    Parameters
    ----------
    condition : scalar TensorVariable
        Stop after the step where it holds.

    Examples
    --------
    >>> def double(acc):
    ...     new = acc * 2
    ...     return new, theano.scan_module.until(new > 50)
    >>> values, _ = theano.scan(double, outputs_info=T.constant(numpy.float64(1)), n_steps=100)
    >>> theano.function([], values)()
    array([ 2.,  4.,  8., 16., 32., 64.])
    """

    def __init__(self, condition):
        self.condition = as_tensor_variable(condition)


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, mode=None, name=None, strict=False,
         return_list=False):
    """Apply ``fn`` step by step over ``sequences``, feeding outputs back.

    A loop as a graph node: the step is a small graph, compiled once, and
    the gradient of the loop is a loop over the steps in reverse.

    Parameters
    ----------
    fn : callable
        Called once, on symbolic variables, as ``fn(*sequence taps, *output
        taps, *non_sequences)``; returns its outputs, optionally with updates
        (a dict ``{shared variable: its value after this step}``, as in
        ``(outputs, updates)``) and followed by ``until(condition)`` to stop
        after the first step where it holds.
    sequences : tensor, dict or list of them, optional
        Tensors iterated over their first axis, or
        ``dict(input=x, taps=[-1, 0, 1])`` to see several elements per step.
    outputs_info : list, optional
        One entry per output of ``fn``: None (not fed back), an initial
        state (``fn`` sees the previous output), or
        ``dict(initial=x0, taps=[-2, -1])``, ``x0`` then holding the needed
        past values along its first axis.
    non_sequences : list, optional
        Values every step sees whole. ``fn`` receives these very variables
        (as in Theano), so it may differentiate with respect to them.
    n_steps : int or symbolic integer scalar, optional
        The number of steps; by default the length of the shortest sequence.
    truncate_gradient : int
        -1 (backpropagate through every step), or k > 0: the gradient goes
        back through the last k steps only (truncated BPTT); what came
        before them is held constant, so earlier sequence rows and the
        initial state get zero gradient unless those steps read them.
    go_backwards : bool
        Iterate the sequences from their end.
    mode : str or Mode, optional
        How to compile one step (default ``config.mode``; the op cannot see
        the mode of the function it ends up in).
    name : str, optional
        Shown as ``Scan{name}`` in printed graphs and profiles.
    strict : bool
        Raise ``MissingInputError`` if ``fn`` uses a shared variable that is
        not in ``non_sequences`` (and that it does not update).
    return_list : bool
        Return a list of outputs even when ``fn`` has one.

    Returns
    -------
    outputs : TensorVariable or list of TensorVariable
        One tensor per output of ``fn``, of shape ``(steps run,) +`` the
        shape one step returns.
    updates : dict
        Maps each shared variable that ``fn`` updates, and the state of each
        random stream ``fn`` draws from, to its value after the last step:
        pass it to ``function(updates=...)``, else the shared variables stay
        as they were.

    Raises
    ------
    TypeError
        If an output fed back does not keep the type of its initial state.

    Examples
    --------
    The powers of a vector, each step multiplying the last result:

    >>> k = T.iscalar("k")
    >>> a = T.dvector("a")
    >>> powers, _ = theano.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(a),
    ...                         non_sequences=a, n_steps=k)
    >>> theano.function([a, k], powers[-1])(numpy.array([1.0, 2.0, 3.0]), 3)
    array([ 1.,  8., 27.])
    """
    if (isinstance(truncate_gradient, bool)
            or not isinstance(truncate_gradient, (int, np.integer))
            or not (truncate_gradient == -1 or truncate_gradient > 0)):
        raise ValueError(f"{_label(name)}: truncate_gradient must be -1 (backpropagation "
                         "through every step) or a positive number of steps, got "
                         f"{truncate_gradient!r}")
    return _scan(fn, sequences, outputs_info, non_sequences, n_steps, go_backwards, mode,
                 name, strict, return_list, truncate_gradient=int(truncate_gradient))


scan.until = until          # Theano code may write theano.scan.until


# Theano's names: map and reduce shadow the builtins in this module, whose
# code therefore uses neither builtin.
def map(fn, sequences, non_sequences=None, truncate_gradient=-1, go_backwards=False,
        mode=None, name=None):
    """fn applied to each step of ``sequences``, no output fed back (Theano's
    ``theano.map``, like Python's map).

    Parameters
    ----------
    fn : callable
        Called with one step of each sequence, then the non-sequences.
    sequences : TensorVariable or list of TensorVariable
        Iterated over along their first axis.
    non_sequences : list of TensorVariable, optional
        Passed unchanged to every step.
    truncate_gradient, go_backwards, mode, name
        As for :func:`scan`.

    Returns
    -------
    tuple
        (outputs, updates), as :func:`scan` returns them.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> squares, _ = theano.map(lambda v: v ** 2, sequences=x)
    >>> theano.function([x], squares)(numpy.array([1., 2., 3.]))
    array([1., 4., 9.])
    """
    return scan(fn, sequences=sequences, outputs_info=[], non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode,
                name=name)


def reduce(fn, sequences, outputs_info, non_sequences=None, go_backwards=False, mode=None,
           name=None):
    """Like Python's reduce: scan, keeping only each output's value after the
    last step.

    Parameters
    ----------
    fn : callable
        Called with one step of each sequence, then the outputs so far, then
        the non-sequences; returns the new outputs.
    sequences : TensorVariable or list of TensorVariable
        Iterated over along their first axis.
    outputs_info : TensorVariable or list
        The initial values of the outputs.
    non_sequences : list of TensorVariable, optional
        Passed unchanged to every step.
    go_backwards, mode, name
        As for :func:`scan`.

    Returns
    -------
    tuple
        (outputs, updates): each output's value after the last step.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> total, _ = theano.reduce(lambda v, acc: acc + v, sequences=x,
    ...                          outputs_info=T.constant(numpy.float64(0)))
    >>> theano.function([x], total)(numpy.array([1., 2., 3.]))
    array(6.)
    """
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                            non_sequences=non_sequences, go_backwards=go_backwards, mode=mode,
                            name=name)
    if isinstance(outputs, list):
        return [out[-1] for out in outputs], updates
    return outputs[-1], updates


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """reduce from the first element to the last (Haskell's foldl).

    Parameters
    ----------
    fn : callable
        Called with one step of each sequence, then the outputs so far, then
        the non-sequences; returns the new outputs.
    sequences : TensorVariable or list of TensorVariable
        Iterated over along their first axis.
    outputs_info : TensorVariable or list
        The initial values of the outputs.
    non_sequences : list of TensorVariable, optional
        Passed unchanged to every step.
    mode, name
        As for :func:`scan`.

    Returns
    -------
    tuple
        (outputs, updates), as :func:`reduce` returns them.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> digits, _ = theano.foldl(lambda v, acc: acc * 10 + v, sequences=x,
    ...                          outputs_info=T.constant(numpy.float64(0)))
    >>> theano.function([x], digits)(numpy.array([1., 2., 3.]))
    array(123.)
    """
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode,
                  name=name)


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """reduce from the last element to the first (Haskell's foldr).

    Parameters
    ----------
    fn : callable
        Called with one step of each sequence, then the outputs so far, then
        the non-sequences; returns the new outputs.
    sequences : TensorVariable or list of TensorVariable
        Iterated over along their first axis.
    outputs_info : TensorVariable or list
        The initial values of the outputs.
    non_sequences : list of TensorVariable, optional
        Passed unchanged to every step.
    mode, name
        As for :func:`scan`.

    Returns
    -------
    tuple
        (outputs, updates), as :func:`reduce` returns them.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> digits, _ = theano.foldr(lambda v, acc: acc * 10 + v, sequences=x,
    ...                          outputs_info=T.constant(numpy.float64(0)))
    >>> theano.function([x], digits)(numpy.array([1., 2., 3.]))
    array(321.)
    """
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode,
                  name=name)


# cytensor.scan is this function once the package is imported, so that
# cytensor.scan.map and the others are found there as well.
scan.map, scan.reduce, scan.foldl, scan.foldr = map, reduce, foldl, foldr


def _scan(fn, sequences, outputs_info, non_sequences, n_steps, go_backwards, mode, name,
          strict, return_list, truncate_gradient=-1, final_only=(), rows_reversed=False):
    """scan(), where the outputs numbered in ``final_only`` give only their last
    value: the gradient's own loop sums into such outputs; with
    ``rows_reversed`` (and go_backwards) the per-step outputs come in the
    order of the sequences' rows, not of the steps (``Scan.rows_reversed``)."""
    where = _label(name)
    seq_outer, seq_inner = _sequence_slices(_as_list(sequences), go_backwards, where)
    n = _number_of_steps(n_steps, seq_outer, where)
    outputs_info = [_normalise_output_info(info, i, where)
                    for i, info in enumerate(_as_list(outputs_info))]
    state_inner = [[_step_placeholder(initial, per_tap_axis=taps != (-1,),
                                      label=f"{initial.name}[t{k:+d}]")
                    for k in taps] for initial, taps in outputs_info]
    tap_inner = seq_inner + [v for taps in state_inner for v in taps]
    nonseq_values = [as_tensor_variable(v) for v in _as_list(non_sequences)]
    with config.change_flags(compute_test_value="off"):
        outputs, updates, condition = _step_outputs(fn(*tap_inner, *nonseq_values), where)
    if not outputs_info:
        outputs_info = [(None, ())] * len(outputs)
    if len(outputs) != len(outputs_info):
        raise ValueError(f"{where}: fn returned {len(outputs)} outputs but outputs_info has "
                         f"{len(outputs_info)} entries; give one entry per output (None "
                         "for an output that is not fed back)")
    for i, (out, (initial, taps)) in enumerate(zip(outputs, outputs_info)):
        if taps:
            _check_state_type(out, initial, taps, i, where)
    conditions = [condition] if condition is not None else []
    draws = _random_draws(outputs + list(updates.values()) + conditions,
                          tap_inner + nonseq_values, where)
    for state, next_state in draws.items():
        # Its default update is one draw, made outside the loop; the update
        # scan returns takes its place (without it the state stays put).
        state.default_update = None
        updates.setdefault(state, next_state)
    carried = list(updates)          # shared variables carried from step to step
    step_graph = outputs + list(updates.values()) + conditions

    # The non-sequences, and variables fn used without receiving them, become
    # the op's inputs; in the step graph each is replaced by a placeholder.
    passed = [v for v in nonseq_values if not isinstance(v, Constant) and v not in updates]
    blockers = set(tap_inner) | set(passed) | set(carried)
    implicit = [v for v in graph_inputs(step_graph, blockers)
                if v not in blockers and not isinstance(v, Constant)]
    missing = [v for v in implicit if isinstance(v, SharedVariable)]
    if strict and missing:
        raise MissingInputError(
            f"{where}: strict=True, but fn uses {', '.join(str(v) for v in missing)} without "
            "receiving it; pass it to fn in non_sequences")
    outer = carried + passed + implicit
    inner = [v.type(v.name) for v in outer]
    step_graph, _ = clone_replace(step_graph, dict(zip(outer, inner)))
    outputs, next_states, conditions = _groups(step_graph, len(outputs), len(carried))

    n_outputs = len(outputs)
    op = Scan(tap_inner + inner, outputs + next_states, n_sequences=len(seq_inner),
              output_taps=[taps for _, taps in outputs_info] + [(-1,)] * len(carried),
              final_only=tuple(final_only) + tuple(range(n_outputs, n_outputs + len(carried))),
              until=(conditions or [None])[0], truncate_gradient=truncate_gradient,
              name=name, mode=mode, rows_reversed=rows_reversed)
    initial_outer = [_initial_rows(initial, taps) for initial, taps in outputs_info if taps]
    initial_outer += [shape_padleft(state) for state in carried]
    results = op(n, *seq_outer, *initial_outer, *passed, *implicit)   # computes test values
    results, final_states = _groups(results if isinstance(results, list) else [results],
                                    n_outputs)
    updates = OrderedDict(zip(carried, final_states))
    if not results:
        results = [] if return_list else None
    elif len(results) == 1 and not return_list:
        results = results[0]
    return results, updates


# ---------------------------------------------------------------------------
# scan(): from the user's arguments to the op's inputs
# ---------------------------------------------------------------------------

def _label(name):
    """How errors name a scan: 'scan', or "scan 'rnn'" when it has a name."""
    return f"scan {name!r}" if name else "scan"


def _groups(items, *sizes):
    """``items`` cut into consecutive groups of ``sizes``, then the rest."""
    groups, start = [], 0
    for size in sizes:
        groups.append(list(items[start:start + size]))
        start += size
    return groups + [list(items[start:])]


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _taps(taps, default):
    if taps is None:
        return default
    return tuple(_as_list(taps))


def _step_placeholder(var, per_tap_axis, label):
    """A variable standing for one step's value of ``var`` (its first axis dropped
    when ``var`` holds one value per step)."""
    shape = var.type.shape[1:] if per_tap_axis else var.type.shape
    return TensorType(var.dtype, shape=shape)(label if var.name else None)


def _sequence_slices(sequences, go_backwards, where):
    """One outer sequence per tap, each read at index t by step t, and the
    placeholders fn receives for them."""
    outer, inner = [], []
    for j, seq in enumerate(sequences):
        if isinstance(seq, dict):
            if "input" not in seq:
                raise ValueError(f"{where}: sequences[{j}] is a dict without 'input'")
            x, taps = as_tensor_variable(seq["input"]), _taps(seq.get("taps"), (0,))
        else:
            x, taps = as_tensor_variable(seq), (0,)
        if x.ndim == 0:
            raise ValueError(f"{where}: sequences[{j}] ({x}) is a scalar; a sequence is "
                             "iterated over its first axis")
        if not taps or not all(isinstance(k, (int, np.integer)) for k in taps):
            raise ValueError(f"{where}: sequences[{j}] taps must be integers, got {taps}")
        lo, hi = min(taps), max(taps)
        for k in taps:
            k = int(k)
            part = x if lo == hi else x[k - lo:] if k == hi else x[k - lo:k - hi]
            outer.append(part[::-1] if go_backwards else part)
            inner.append(_step_placeholder(x, True, f"{x.name}[t{k:+d}]"))
    return outer, inner


def _number_of_steps(n_steps, sequences, where):
    """n_steps as an int64 scalar; by default the shortest sequence's length."""
    if n_steps is None:
        if not sequences:
            raise ValueError(f"{where}: give sequences or n_steps, so that the number of "
                             "steps is known")
        n = sequences[0].shape[0]
        for seq in sequences[1:]:
            n = minimum(n, seq.shape[0])
        return n
    if isinstance(n_steps, (int, np.integer)) and n_steps <= 0:
        raise ValueError(f"{where}: n_steps is {n_steps}; scan needs at least one step")
    n = as_tensor_variable(n_steps)
    if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
        raise TypeError(f"{where}: n_steps must be an integer scalar, got {n} of type "
                        f"{n.type}")
    return cast(n, "int64")


def _normalise_output_info(info, i, where):
    """(initial value, taps) for one output; taps () if it is not fed back."""
    if info is None:
        return None, ()
    if isinstance(info, dict):
        initial = info.get("initial")
        taps = _taps(info.get("taps", (-1,)), ()) if initial is not None else ()
        if initial is None:
            return None, ()
    else:
        initial, taps = info, (-1,)
    initial = as_tensor_variable(initial)
    if not taps:
        return None, ()
    if not all(isinstance(k, (int, np.integer)) and k < 0 for k in taps):
        raise ValueError(f"{where}: outputs_info[{i}] taps must be negative integers (past "
                         f"outputs), got {list(taps)}")
    taps = tuple(int(k) for k in taps)
    if taps != (-1,) and initial.ndim == 0:
        raise ValueError(f"{where}: outputs_info[{i}] has taps {list(taps)}, so its initial "
                         f"value must hold {-min(taps)} past values along its first axis; "
                         f"{initial} is a scalar")
    return initial, taps


def _initial_rows(initial, taps):
    """The op's initial buffer rows: the state with an axis added for taps [-1],
    else the first L values (L the farthest tap back)."""
    if taps == (-1,):
        return shape_padleft(initial)
    return initial[:-min(taps)]


def _step_outputs(result, where):
    """fn's outputs as a list of tensors, its updates as an OrderedDict
    {shared variable: value after the step}, and the condition of its
    ``until`` (None without one).  fn may return them in any order, as
    Theano allows: outputs, (outputs, updates), (updates, outputs), each
    optionally with an ``until``."""
    parts = list(result) if isinstance(result, tuple) else [result]
    conditions = [p for p in parts if isinstance(p, until)]
    update_parts = [p for p in parts if _is_updates(p)]
    rest = [p for p in parts if not isinstance(p, until) and not _is_updates(p)]
    if len(conditions) > 1 or len(update_parts) > 1:
        raise ValueError(f"{where}: fn returned more than one "
                         f"{'until' if len(conditions) > 1 else 'set of updates'}")
    if len(rest) == 1 and isinstance(rest[0], (list, tuple)):
        rest = list(rest[0])
    condition = None
    if conditions:
        condition = conditions[0].condition
        if condition.ndim != 0:
            raise TypeError(f"{where}: until's condition must be a scalar, got {condition} "
                            f"of type {condition.type}")
    outputs = []
    for k, out in enumerate(rest):
        try:
            outputs.append(as_tensor_variable(out))
        except (TypeError, ValueError):
            raise TypeError(f"{where}: fn's output {k} is {out!r}, not a tensor") from None
    updates = _checked_updates(update_parts[0] if update_parts else {}, where)
    if not outputs and not updates:
        raise ValueError(f"{where}: fn returned no output and no update")
    return outputs, updates, condition


def _is_updates(part):
    """A dict, or a list of (shared variable, value) pairs."""
    if isinstance(part, dict):
        return True
    return (isinstance(part, list) and bool(part)
            and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], SharedVariable)
                    for p in part))


def _checked_updates(updates, where):
    """The updates fn returned, each value of its shared variable's type."""
    checked = OrderedDict()
    for var, value in (updates.items() if isinstance(updates, dict) else updates):
        if not isinstance(var, SharedVariable):
            raise TypeError(f"{where}: fn returned an update for {var}, which is not a "
                            "shared variable; only shared variables can be updated")
        value = as_tensor_variable(value)
        if value.dtype != var.dtype or value.ndim != var.ndim:
            raise TypeError(f"{where}: fn's update of {var} ({var.type}) is {value} of type "
                            f"{value.type}; an update must keep its shared variable's dtype "
                            f"and number of dimensions (T.cast(value, '{var.dtype}')?)")
        checked[var] = value
    return checked


def _random_draws(step_graph, inner_args, where):
    """{random generator state: its state after one step's draw} for each
    shared state (a random stream's) that the step draws from."""
    draws = OrderedDict()
    for node in toposort(step_graph, blockers=inner_args):
        state = node.inputs[0] if isinstance(node.op, RandomVariable) else None
        if isinstance(state, SharedVariable):
            if state in draws:
                raise NotImplementedError(
                    f"{where}: fn draws twice from the random state {state}; give each "
                    "draw its own state (a RandomStream does)")
            draws[state] = node.outputs[0]
    return draws


def _check_state_type(out, initial, taps, i, where):
    state_ndim = initial.ndim - (taps != (-1,))
    if out.dtype != initial.dtype or out.ndim != state_ndim:
        raise TypeError(
            f"{where}: output {i} of fn is {out.type} but its initial state "
            f"(outputs_info[{i}]) {initial} is {initial.type}"
            + (" with one past value per row" if taps != (-1,) else "")
            + f"; a fed-back output must keep the type of its initial state. Cast the "
            f"initial state (T.cast(x0, '{out.dtype}')) or the output, e.g. a float64 "
            "constant in fn upcasts a float32 state")


# ---------------------------------------------------------------------------
# The op
# ---------------------------------------------------------------------------

class Scan(Op):
    """Run an inner graph once per step.

    Inner inputs: one per sequence tap, one per tap of each fed-back output,
    then the non-sequences.  Outer inputs: n_steps, the sequences (one per
    tap, step t reads row t), the initial rows of each fed-back output, the
    non-sequences.  output_taps: for each output, its (negative) taps, or ()
    when it is not fed back.  final_only: the outputs that give only their
    last value, not one row per step; the loop then keeps just the rows the
    taps read.  until: an inner scalar that stops the loop after the first
    step where it is true (None: run n_steps steps).  truncate_gradient: -1,
    or how many of the last steps the gradient goes back through.
    rows_reversed: each per-step output is written from its last row up,
    step t's value on row n_steps - 1 - t; a backward loop (the gradient's)
    then gives its results in the forward order, which the products after
    it read without a reversed copy.  Only without until, every fed-back
    output final-only (its ring buffer has no order to keep).
    initial_rows_out: each fed-back per-step output starts with its
    initial rows (its whole buffer), so that the gradient reads the past
    values ``y[t + k]`` as one view, with no concatenation.
    """

    def __init__(self, inner_inputs, inner_outputs, n_sequences, output_taps, final_only=(),
                 until=None, truncate_gradient=-1, name=None, mode=None, rows_reversed=False,
                 initial_rows_out=False):
        self.inner_inputs, self.inner_outputs = list(inner_inputs), list(inner_outputs)
        self.n_sequences = n_sequences
        self.output_taps = [tuple(taps) for taps in output_taps]
        self.lags = [-min(taps) if taps else 0 for taps in self.output_taps]
        self.recurrent = [i for i, taps in enumerate(self.output_taps) if taps]
        self.n_state_taps = sum(len(taps) for taps in self.output_taps)
        self.final_only = frozenset(final_only)
        self.until = until
        self.truncate_gradient = truncate_gradient
        self.name, self.mode = name, mode
        self.rows_reversed, self.initial_rows_out = rows_reversed, initial_rows_out
        if rows_reversed and (until is not None or not self.final_only.issuperset(self.recurrent)):
            raise ValueError(f"{self}: rows_reversed needs no until and every fed-back "
                             "output final-only")
        self.extends = None      # the scan whose results this one gives too (see _with_saved)
        self._functions, self._extended, self._direct = {}, {}, {}

    __eq__, __hash__ = object.__eq__, object.__hash__   # each scan is its own computation

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items()
                if k not in ("_functions", "_extended", "_direct")}

    def __setstate__(self, state):
        self.__dict__.update(state, _functions={}, _extended={}, _direct={})

    def __str__(self):
        return f"Scan{{{self.name}}}" if self.name else "Scan"

    def _split(self, inputs):
        """(n_steps, sequences, initial rows, non-sequences) of the outer inputs."""
        (n_steps,), seqs, initials, nonseqs = _groups(inputs, 1, self.n_sequences,
                                                      len(self.recurrent))
        return n_steps, seqs, initials, nonseqs

    def make_node(self, n_steps, *inputs):
        n_steps = as_tensor_variable(n_steps)
        inputs = [as_tensor_variable(v) for v in inputs]
        expected = len(self.recurrent) + len(self.inner_inputs) - self.n_state_taps
        if len(inputs) != expected:
            raise TypeError(f"{self}: expected {expected} inputs after n_steps, got "
                            f"{len(inputs)}")
        _, seqs, initials, nonseqs = self._split([n_steps] + inputs)
        inner_nonseqs = self.inner_inputs[self.n_sequences + self.n_state_taps:]
        wanted = ([(v.dtype, v.ndim + 1) for v in self.inner_inputs[:self.n_sequences]]
                  + [(self.inner_outputs[i].dtype, self.inner_outputs[i].ndim + 1)
                     for i in self.recurrent]
                  + [(v.dtype, v.ndim) for v in inner_nonseqs])
        for k, (var, (dtype, ndim)) in enumerate(zip(seqs + initials + nonseqs, wanted)):
            if (var.dtype, var.ndim) != (dtype, ndim):
                raise TypeError(f"{self}: input {k + 1} ({var}) is {var.type}; the inner "
                                f"graph needs dtype {dtype} with {ndim} dimensions")
        outputs = [TensorType(o.dtype, shape=o.type.shape if i in self.final_only
                              else (None,) + o.type.shape)()
                   for i, o in enumerate(self.inner_outputs)]
        return Apply(self, [n_steps] + inputs, outputs)

    # --- running ---------------------------------------------------------------
    def _function(self, linker, device=None):
        """The compiled step (once per linker and device): 'cy' in the scan's
        mode, 'py' for the NumPy reference; on a device, for that device."""
        key = linker if device is None else (linker, device)
        if key not in self._functions:
            step_outputs = self.inner_outputs + ([self.until] if self.until is not None else [])
            step = LaterStages.compile_inner_graph(self.inner_inputs, step_outputs, self.mode,
                                                   linker, borrow=True,   # copied by _loop
                                                   name=f"{self} step", device=device)
            self._functions[key] = step
        return self._functions[key]

    def perform(self, node, inputs, output_storage):
        self._loop(self._function("cy"), inputs, output_storage)

    def reference(self, node, *inputs):
        storage = [[None] for _ in node.outputs]
        self._loop(self._function("py"), list(inputs), storage)
        return tuple(cell[0] for cell in storage)

    def on_device(self, backend):
        """``run(inputs, output_storage)``: the loop on ``backend``'s device
        (its table row, backends/inner_graphs.py), the step compiled for
        that device (now) and the buffers its arrays, so that the steps
        pass device arrays to each other and nothing moves per step."""
        return functools.partial(self._loop, self._function("cy", backend.device),
                                 empty=backend.empty)

    def _rows(self, i, n):
        """Rows of output i's buffer: its initial rows, then one per step, or
        one in all for a final-only output (then the buffer is a ring, and
        row r stands for every row r + k * len(buffer))."""
        return self.lags[i] + (1 if i in self.final_only else n)

    def _loop(self, step, inputs, output_storage, empty=np.empty):
        """Run ``step`` n_steps times, writing each result into its row of a
        preallocated buffer; a fed-back output's buffer starts with its
        initial rows, which later steps read through the taps.  With until,
        the outputs keep the rows of the steps that ran.  The per-step work
        is only indexing: where each tap reads and each output writes is
        worked out before the loop, and the step runs straight on its
        storage cells (``Function.looping``), its nodes reusing their arrays
        from step to step; a node that computes an output writes it into
        its row itself (``_direct_outputs``), the other outputs are copied
        there.  ``empty(shape, dtype)`` makes the buffers (a device's, on a
        device; there every output is copied)."""
        n_steps, seqs, initials, nonseqs = self._split(inputs)
        n = int(n_steps)
        self._check_lengths(n, seqs)
        buffers = self._initial_buffers(initials, n, empty)
        # (buffer, row of step 0, rows in the buffer) for each tap read
        reads = [(buffers[i], self.lags[i] + k, len(buffers[i]))
                 for i in self.recurrent for k in self.output_taps[i]]
        writes = None            # (buffer, row of step 0, rows, +1 or -1) for each output
        steps_run = n
        if step not in self._direct:
            self._direct[step] = self._direct_outputs(step)
        direct = self._direct[step] if empty is np.empty else []
        with step.looping() as (input_cells, run, output_cells):
            seq_cells, tap_cells, nonseq_cells = _groups(input_cells, len(seqs), len(reads))
            for cell, value in zip(nonseq_cells, nonseqs):
                cell[0] = value
            value_cells = output_cells[:len(self.inner_outputs)]
            stop_cell = output_cells[-1] if self.until is not None else None
            try:
                for t in range(n):
                    for cell, seq in zip(seq_cells, seqs):
                        cell[0] = seq[t, ...]
                    for cell, (buffer, start, rows) in zip(tap_cells, reads):
                        cell[0] = buffer[(start + t) % rows, ...]
                    if writes is not None:
                        # views, even when 0-d; never a row this step's taps read
                        out_rows = [buffer[(start + direction * t) % rows, ...]
                                    for buffer, start, rows, direction in writes]
                        for i in direct:
                            value_cells[i][0] = out_rows[i]
                    run()
                    if writes is None:
                        writes = self._output_rows(buffers, [c[0] for c in value_cells], n,
                                                   empty)
                        out_rows = [buffer[start % rows, ...] for buffer, start, rows, _ in writes]
                    for i, (cell, row) in enumerate(zip(value_cells, out_rows)):
                        value = cell[0]
                        if value is row:         # the node wrote its row itself
                            continue
                        if value.shape != row.shape:
                            self._shape_error(t, i, value, row)
                        row[...] = value
                    if stop_cell is not None and bool(stop_cell[0]):
                        steps_run = t + 1
                        break
            finally:
                for i in direct:     # the next call's nodes must not write into these rows
                    value_cells[i][0] = None
        for i, buffer in enumerate(buffers):
            lag = self.lags[i]
            if i in self.final_only:
                output_storage[i][0] = buffer[(lag + steps_run - 1) % len(buffer), ...]
            else:
                output_storage[i][0] = buffer[lag - self._initial_rows(i):lag + steps_run]

    def _direct_outputs(self, step):
        """The outputs whose node may write each step's value straight into
        its row of the output's buffer (``_loop`` puts the row in the
        node's output cell; a node that makes its own array instead is
        copied from as before): those computed by a node of the step that
        neither views nor overwrites its inputs, each in a cell of its own."""
        schedule = step.schedule
        outputs = schedule.fgraph.outputs[:len(self.inner_outputs)]
        computed = {v for node in schedule.nodes for v in node.outputs}
        cells = [id(schedule.cells[v]) for v in outputs]
        return [i for i, v in enumerate(outputs)
                if v in computed and cells.count(cells[i]) == 1
                and v not in schedule.fgraph.outputs[len(self.inner_outputs):]
                and v.index not in getattr(v.owner.op, "view_map", {})
                and v.index not in getattr(v.owner.op, "destroy_map", {})]

    def _check_lengths(self, n, seqs):
        where = _label(self.name)
        if n <= 0:
            raise ValueError(f"{where}: the number of steps is {n}; scan needs at least "
                             "one step (are the sequences empty, or shorter than their "
                             "taps need?)")
        for j, seq in enumerate(seqs):
            if seq.shape[0] < n:
                raise ValueError(f"{where}: sequence input {j} has {seq.shape[0]} usable "
                                 f"elements but scan runs {n} steps; the sequences are "
                                 "shorter than n_steps")

    def _initial_buffers(self, initials, n, empty):
        """One buffer per output, those of fed-back outputs made now, holding
        their initial rows (the others, None, once step 0 shows their shape)."""
        buffers = [None] * len(self.inner_outputs)
        for i, initial in zip(self.recurrent, initials):
            lag = self.lags[i]
            if initial.shape[0] != lag:
                raise ValueError(f"{_label(self.name)}: output {i} has taps "
                                 f"{list(self.output_taps[i])}, so its initial value needs "
                                 f"{lag} rows along its first axis; it has {initial.shape[0]}")
            buffers[i] = empty((self._rows(i, n),) + initial.shape[1:], initial.dtype)
            buffers[i][:lag] = initial
        return buffers

    def _output_rows(self, buffers, values, n, empty):
        """After step 0: the missing buffers, shaped as its values, and where
        each output writes (buffer, row of step 0, rows in the buffer, +1 or
        -1: step t writes row (row of step 0 + t * that) mod rows)."""
        for i, value in enumerate(values):
            if buffers[i] is None:
                buffers[i] = empty((self._rows(i, n),) + value.shape, value.dtype)
        return [(buffer, self.lags[i] + n - 1, len(buffer), -1) if self._reversed(i)
                else (buffer, self.lags[i], len(buffer), 1) for i, buffer in enumerate(buffers)]

    def _initial_rows(self, i):
        """How many initial rows output i starts with (initial_rows_out)."""
        return self.lags[i] if self.initial_rows_out and i not in self.final_only else 0

    def _reversed(self, i):
        """Whether output i is written from its last row up (rows_reversed)."""
        return self.rows_reversed and i not in self.final_only

    def _shape_error(self, t, i, value, row):
        raise ValueError(
            f"{_label(self.name)}: at step {t}, output {i} of fn has shape {value.shape}, "
            f"but {'its initial state' if self.lags[i] else 'step 0'} gave "
            f"shape {row.shape}; every step must return the same shape")

    def infer_shape(self, node, input_shapes):
        n_steps, _, initial_shapes, _ = self._split(input_shapes)
        initial_shapes = dict(zip(self.recurrent, initial_shapes))
        shapes = []
        for i, (inner, outer) in enumerate(zip(self.inner_outputs, node.outputs)):
            steps_axis = int(i not in self.final_only)
            if i in initial_shapes:
                step_shape = tuple(initial_shapes[i][1:])
            else:
                step_shape = tuple(s if s is not None else Shape_i(a + steps_axis)(outer)
                                   for a, s in enumerate(inner.type.shape))
            rows = (node.inputs[0] + self._initial_rows(i) if self.until is None
                    else Shape_i(0)(outer))
            shapes.append(step_shape if i in self.final_only else (rows,) + step_shape)
        return shapes

    # --- gradient ----------------------------------------------------------------
    def grad(self, inputs, output_grads):
        """Backpropagation through time: a scan over the steps in reverse.

        It runs over the steps that ran (fewer than n_steps after an until).
        Backward step t gets forward step t's inputs (sequence rows, past
        outputs read from the forward results, non-sequences) and the
        gradients reaching its outputs, and differentiates the inner graph.
        For each fed-back output it carries a window of L gradients, those
        later steps sent to the L values before step t's; the window's last
        row is complete at step t and joins the gradient of step t's output.
        After step 0 the window holds the gradient of the initial rows.
        Each non-sequence's gradient is a running sum, carried from step to
        step like the windows: memory does not grow with n_steps.  Windows
        and sums are final-only outputs of the backward scan.

        The forward step's values are not computed again: the forward scan
        keeps each step's matrix products of the step's inputs (``x_t @ W``,
        ``h_{t-1} @ U``) where the backward step reads them, and the other
        values it reads (an LSTM's gates: ``_GradientPlan.activations``).  The parts
        of their gradients that no later step needs (``W``'s and ``x``'s)
        are left out of the loop: the backward scan gives each step's
        gradient of the product, and one product over all steps after the
        loop makes ``sum_t x_t^T dz_t``.
        """
        n, seqs, initials, nonseqs = self._split(inputs)
        plan = _GradientPlan(self)
        outputs = self._with_saved(plan.saved).make_node(*inputs).outputs
        # a fed-back output's buffer: its initial rows, then one row per step
        buffers, saved = outputs[:len(self.inner_outputs)], outputs[len(self.inner_outputs):]
        results = [b[self.lags[i]:] if i in self.recurrent else b for i, b in enumerate(buffers)]
        row_of = dict(zip(self.inner_outputs + plan.saved, results + saved))
        saved = [row_of[v] for v in plan.read]       # outputs the step reads: their results
        steps = n if self.until is None else results[0].shape[0]    # the steps that ran
        # Truncated BPTT: only steps first..steps-1 are differentiated.
        first = 0 if self.truncate_gradient == -1 else maximum(steps - self.truncate_gradient, 0)
        initial_of = dict(zip(self.recurrent, initials))
        # Forward step t's past outputs: rows t + L + k of the buffer.
        past = [buffers[i][self.lags[i] + k:][:steps]
                for i in self.recurrent for k in self.output_taps[i]]
        early = {}          # with initial_rows_out: the gradient reaching the initial rows
        if self.initial_rows_out:
            output_grads = list(output_grads)
            early = {i: output_grads[i][:self.lags[i]] for i in plan.windowed}
            for i in plan.windowed:
                output_grads[i] = output_grads[i][self.lags[i]:]

        # A final-only output's gradient reaches its last row only; the rows
        # of a reversed output are the steps backwards.
        cotangent_seqs = [set_subtensor(zeros_like(results[i])[-1], output_grads[i])
                          if i in self.final_only else
                          output_grads[i][::-1] if self._reversed(i) else output_grads[i]
                          for i in plan.differentiable]
        carried = [zeros_like(initial_of[i]) for i in plan.windowed] + [
            zeros_like(nonseqs[m]) for m in plan.summed]
        backward, _ = _scan(
            plan.backward_step, sequences=[s[first:steps] for s in seqs] + [
                x[first:] for x in past + [s[:steps] for s in saved] + cotangent_seqs],
            outputs_info=carried + [None] * (len(plan.looped_seqs) + len(plan.hoisted)),
            non_sequences=list(nonseqs), n_steps=steps - first, go_backwards=True,
            mode=self.mode, strict=False, return_list=True,
            name=f"grad_of_{self.name or 'scan'}", final_only=range(len(carried)),
            rows_reversed=True)
        windows, sums, seq_rows, product_grads = _groups(
            backward, len(plan.windowed), len(plan.summed), len(plan.looped_seqs))
        stacked = {v: outer[first:steps] for v, outer in zip(
            self.inner_inputs, seqs + past + list(nonseqs)) if v not in plan.nonseq_of}
        stacked.update((v, nonseqs[m]) for v, m in plan.nonseq_of.items())
        hoisted = plan.hoisted_terms(product_grads, stacked)
        input_grads = self._input_grads(inputs, plan, first, steps, windows, sums, seq_rows,
                                        hoisted)
        for i, g in early.items():
            k = 1 + len(seqs) + self.recurrent.index(i)
            input_grads[k] = input_grads[k] + _cast_like(g, input_grads[k])
        return input_grads

    def _input_grads(self, inputs, plan, first, steps, windows, sums, seq_rows, hoisted):
        """The outer inputs' gradients from the backward scan's results and
        the terms computed after it (``hoisted``: {inner input: [terms]})."""
        _, seqs, initials, nonseqs = self._split(inputs)
        input_grads = [None] * len(inputs)
        first_initial = 1 + len(seqs)
        for i, window in zip(plan.windowed, windows):
            input_grads[first_initial + self.recurrent.index(i)] = self._initial_grad(
                window, first, self.lags[i])
        sum_of = dict(zip(plan.summed, sums))
        first_nonseq = first_initial + len(initials)
        nonseq_inner = self.inner_inputs[self.n_sequences + self.n_state_taps:]
        for m in plan.float_nonseqs:
            terms = ([sum_of[m]] if m in sum_of else []) + hoisted.get(nonseq_inner[m], [])
            input_grads[first_nonseq + m] = _total(terms) if terms else zeros_like(nonseqs[m])
        rows_of = dict(zip(plan.looped_seqs, seq_rows))
        for j in plan.float_seqs:
            terms = ([rows_of[j]] if j in rows_of else []) + hoisted.get(
                self.inner_inputs[j], [])
            input_grads[1 + j] = (inc_subtensor(zeros_like(seqs[j])[first:steps], _total(terms))
                                  if terms else zeros_like(seqs[j]))
        return input_grads

    @staticmethod
    def _initial_grad(window, first, lag):
        """The gradient of an output's initial rows, from the window the
        backward loop ends with: it holds the gradients of buffer rows
        first..first+lag-1, of which only those below lag are initial rows
        (all, without truncation: first is 0)."""
        if isinstance(first, int) and first == 0:
            return window
        skipped = minimum(first, lag)
        padded = concatenate([zeros_like(window), window])
        return padded[lag - skipped:2 * lag - skipped]

    def _with_saved(self, saved):
        """This scan giving one row per step for every output, and also each
        step's value of the inner variables ``saved``, as the gradient needs
        them: every row in the order of the steps, each fed-back output
        starting with its initial rows (``initial_rows_out``; itself when it
        already is so and saves nothing more).  The rewrite
        ``scan_share_forward`` makes the user's scan read its results from
        this one, so the forward loop runs once."""
        if not self.final_only and not self.rows_reversed and self.initial_rows_out \
                and not saved:
            return self
        key = tuple(saved)
        if key not in self._extended:
            op = Scan(self.inner_inputs, self.inner_outputs + list(saved),
                      self.n_sequences, self.output_taps + [()] * len(saved),
                      until=self.until, truncate_gradient=self.truncate_gradient,
                      name=self.name, mode=self.mode, initial_rows_out=True)
            op.extends = self
            self._extended[key] = op
        return self._extended[key]


class _GradientPlan:
    """What the backward scan of a Scan computes, and how.

    products: the inner matrix products whose gradient the backward step
    gives (a ``Dot`` of two inner inputs, at least one a per-step value, all
    2-d floats of one dtype); the forward scan saves those whose values the
    backward step reads (``saved_products``).  activations: the other values
    of the forward step that the backward step would compute again (an
    LSTM's gates, as Theano's scan saves what its gradient reads); the
    forward scan saves them too, its outputs' rows being read from its
    results.  For each operand of a product, the gradient is either
    computed in the backward step (an output tap: later steps need it) or
    after the loop from the per-step gradients of the product (``hoisted``):
    a non-sequence times a per-step value, or a sequence row times a
    non-sequence.  Non-sequences whose gradient still flows through
    the rest of the step are ``summed`` in the loop; sequences likewise are
    ``looped_seqs``.
    """

    def __init__(self, op):
        self.op = op
        inner = op.inner_inputs
        n_seq, n_taps = op.n_sequences, op.n_state_taps
        self.role = {v: "seq" for v in inner[:n_seq]}
        self.role.update((v, "tap") for v in inner[n_seq:n_seq + n_taps])
        self.nonseq_of = {v: m for m, v in enumerate(inner[n_seq + n_taps:])}
        self.role.update((v, "nonseq") for v in self.nonseq_of)
        self.differentiable = [i for i, o in enumerate(op.inner_outputs)
                               if o.dtype.startswith("float")]
        self.windowed = [i for i in op.recurrent if i in self.differentiable]
        self.float_seqs = [j for j, v in enumerate(inner[:n_seq]) if v.dtype.startswith("float")]
        self.float_nonseqs = [m for v, m in self.nonseq_of.items() if v.dtype.startswith("float")]
        self.products = self._step_products()
        product_outs = {p.outputs[0] for p in self.products}
        in_loop = {v for v in graph_inputs(op.inner_outputs, product_outs) if v in self.role}
        in_loop |= {v for p in self.products for pos, v in enumerate(p.inputs)
                    if not self._is_hoisted(p, pos)}
        self.hoisted = [p for p in self.products
                        if any(self._is_hoisted(p, pos) for pos in range(2))]
        self.summed = [m for m in self.float_nonseqs if inner[n_seq + n_taps + m] in in_loop]
        self.looped_seqs = [j for j in self.float_seqs if inner[j] in in_loop]
        # the first backward step, which shows what to save, saves every product
        self.saved_products, self.activations = self.products, []
        self.saved_products, self.activations = self._saved_values()

    @property
    def read(self):
        """The inner variables whose every step's value the backward step reads."""
        return [p.outputs[0] for p in self.saved_products] + self.activations

    @property
    def saved(self):
        """Those of them the forward scan keeps besides its outputs."""
        return [v for v in self.read if v not in self.op.inner_outputs]

    def _saved_values(self):
        """The products whose values the backward step reads, and the other
        forward values it would compute again: a first backward step, on
        placeholders, shows them (with the activations saved, an LSTM's
        backward step reads no product)."""
        op = self.op
        like = (op.inner_inputs[:op.n_sequences + op.n_state_taps] + self.read
                + [op.inner_outputs[i] for i in self.differentiable]
                + [TensorType(op.inner_outputs[i].dtype, shape=(None,) * (
                    op.inner_outputs[i].ndim + 1))() for i in self.windowed]
                + [op.inner_inputs[op.n_sequences + op.n_state_taps + m] for m in self.summed]
                + op.inner_inputs[op.n_sequences + op.n_state_taps:])
        args = [v.type() for v in like]
        results, forward_of = self._differentiate(args)
        row_of = dict(zip(args[op.n_sequences + op.n_state_taps:], self.products))
        per_step = {v for v, role in self.role.items() if role != "nonseq"} | set(self.read)
        chosen, read, seen, stack = set(), set(), set(), list(results)
        while stack:
            v = stack.pop()
            if v in seen or v.owner is None:
                read.add(row_of.get(v))
                continue
            seen.add(v)
            original = forward_of.get(v)
            if original is not None and original.dtype.startswith("float") \
                    and not getattr(original.owner.op, "view_map", None) \
                    and per_step & set(graph_inputs([original])):
                chosen.add(original)
            else:
                stack.extend(v.owner.inputs)
        nodes = toposort(op.inner_outputs, blockers=op.inner_inputs)
        return ([p for p in self.products if p in read],
                [o for node in nodes for o in node.outputs if o in chosen])

    def _step_products(self):
        nodes = toposort(self.op.inner_outputs, blockers=self.op.inner_inputs)
        return [node for node in nodes if isinstance(node.op, Dot) and self._can_save(node)]

    def _can_save(self, product):
        """Whether the gradient can read ``product`` from the forward loop: a
        product of two inner inputs, one a per-step value, of one float
        dtype, whose operands' gradients are products again: each
        non-sequence and each operand differentiated in the loop has a
        matrix for partner (a vector partner would need an outer product)."""
        a, b = product.inputs
        if not (a in self.role and b in self.role) or len(
                {v.dtype for v in product.inputs + product.outputs}) != 1 \
                or not product.outputs[0].dtype.startswith("float"):
            return False
        roles = [self.role[a], self.role[b]]
        if roles == ["nonseq", "nonseq"]:
            return False
        return all(v.ndim == 2 if roles[pos] == "nonseq" else
                   self._is_hoisted(product, pos) or product.inputs[1 - pos].ndim == 2
                   for pos, v in enumerate(product.inputs))

    def _is_hoisted(self, product, pos):
        """Whether operand ``pos``'s gradient through ``product`` is made after the loop."""
        mine, partner = self.role[product.inputs[pos]], self.role[product.inputs[1 - pos]]
        return mine != "tap" and (mine == "nonseq") != (partner == "nonseq")

    def backward_step(self, *args):
        """One step of the backward scan (its fn)."""
        return self._differentiate(args)[0]

    def _differentiate(self, args):
        """The backward step's results, each forward value they need read
        from its saved row (``activations``), and {variable of the step's
        copy of the forward graph: the inner variable it copies}."""
        op = self.op
        seq_rows, past_rows, saved_rows, cotangents, windows, sums, nonseq_values = _groups(
            args, op.n_sequences, op.n_state_taps, len(self.read),
            len(self.differentiable), len(self.windowed), len(self.summed))
        rows = iter(saved_rows)
        # a product whose value no later node reads still cuts the graph
        saved_rows = [next(rows) if p in self.saved_products else p.outputs[0].type()
                      for p in self.products]
        activation_rows = list(rows)
        value_of = dict(zip(op.inner_inputs, seq_rows + past_rows + nonseq_values))
        replace = dict(value_of)
        replace.update((p.outputs[0], row) for p, row in zip(self.products, saved_rows))
        outs, memo = clone_replace(op.inner_outputs, replace)
        window_of = dict(zip(self.windowed, windows))
        known = {}                   # gradient reaching each inner output
        for i, g in zip(self.differentiable, cotangents):
            if i in window_of:
                g = g + window_of[i][-1]
            g = _cast_like(g, outs[i])
            known[outs[i]] = known[outs[i]] + g if outs[i] in known else g
        floats = [v for v in op.inner_inputs if v.dtype.startswith("float")]
        grads = gradient.grad(None, [value_of[v] for v in floats] + list(saved_rows),
                              known_grads=known, disconnected_inputs="ignore",
                              return_disconnected="None")
        terms = {v: [] for v in op.inner_inputs}
        for v, g in zip(floats, grads):
            if g is not None:
                terms[v].append(g)
        product_grads = [_or_zeros(g, row) for g, row in zip(grads[len(floats):], saved_rows)]
        for p, dz in zip(self.products, product_grads):
            for pos, v in enumerate(p.inputs):
                if not self._is_hoisted(p, pos):
                    partner = value_of[p.inputs[1 - pos]]
                    terms[v].append(dot(dz, partner.T) if pos == 0 else dot(partner.T, dz))
        inner_grad = {v: _total(t) if t else None for v, t in terms.items()}
        taps = iter(op.inner_inputs[op.n_sequences:op.n_sequences + op.n_state_taps])
        tap_grad = {(i, k): inner_grad[next(taps)] for i in op.recurrent
                    for k in op.output_taps[i]}
        new_windows = [self._new_window(i, win, tap_grad) for i, win in zip(self.windowed, windows)]
        nonseq_inner = op.inner_inputs[op.n_sequences + op.n_state_taps:]
        new_sums = [total + _cast_like(_or_zeros(inner_grad[nonseq_inner[m]], total), total)
                    for m, total in zip(self.summed, sums)]
        seq_grads = [_or_zeros(inner_grad[op.inner_inputs[j]], seq_rows[j])
                     for j in self.looped_seqs]
        hoisted_grads = [g for p, g in zip(self.products, product_grads) if p in self.hoisted]
        forward_of = {memo.get(v, v): v for node in toposort(op.inner_outputs,
                                                              blockers=op.inner_inputs)
                      for v in node.outputs}
        results = _lengths_from_inputs(new_windows + new_sums + seq_grads + hoisted_grads,
                                       forward_of, op.inner_inputs, value_of)
        results = _read_forward(results, outs, {
            memo.get(v, v): row for v, row in zip(self.activations, activation_rows)})
        return results, forward_of

    def _new_window(self, i, win, tap_grad):
        """The window of output i's gradients one step back in time: rows move
        down one, and tap k's gradient at this step lands on row L + k."""
        taps, lag = self.op.output_taps[i], self.op.lags[i]
        grads = [_cast_like(_or_zeros(tap_grad[i, k], win[0]), win) for k in taps]
        if taps == (-1,):
            return shape_padleft(grads[0])        # a window of one row, that row new
        shifted = set_subtensor(zeros_like(win)[1:], win[:-1])
        for k, g in zip(taps, grads):
            shifted = inc_subtensor(shifted[lag + k], g)
        return shifted

    def hoisted_terms(self, product_grads, stacked):
        """{inner input: [gradient terms]} made after the loop from each hoisted
        product's per-step gradients (forward order) and ``stacked``, each
        inner input's outer value (all steps for per-step values)."""
        terms = {}
        for p, dz in zip(self.hoisted, product_grads):
            a, b = p.inputs
            if self._is_hoisted(p, 0):      # dz_t @ b^T, or sum_t of it (a a non-sequence)
                step_axes = [0] + list(range(2, b.ndim + 1))
                terms.setdefault(a, []).append(
                    tensordot(dz, stacked[b], [[a.ndim], [1]]) if self.role[a] == "seq"
                    else tensordot(dz, stacked[b], [step_axes, step_axes]))
            if self._is_hoisted(p, 1):      # a^T @ dz_t, or sum_t of it (b a non-sequence)
                step_axes = list(range(a.ndim))
                terms.setdefault(b, []).append(
                    tensordot(stacked[a], dz, [[0], [1]]).dimshuffle(
                        [1, 0] + list(range(2, b.ndim + 1)))
                    if self.role[b] == "seq" else tensordot(stacked[a], dz, [step_axes, step_axes]))
        return terms


def _lengths_from_inputs(outputs, forward_of, inner_inputs, value_of):
    """``outputs`` with each length of a value of the forward step that they
    read (``Shape_i`` of it, as the zeros an LSTM's gate gradients go into
    are shaped like the gates' product z) made from the lengths of the
    step's inputs instead: a value read only for its shape is then not
    saved by the forward loop, nor computed again.  ``forward_of``: {the
    backward step's copy of a forward value: that value}; ``value_of``:
    {inner input: its value in the backward step}."""
    inputs = set(inner_inputs)
    made, lengths = {}, {}           # one graph per length, so that equal zeros merge
    for node in toposort(outputs):
        x = node.inputs[0] if isinstance(node.op, Shape_i) else None
        if x in forward_of and forward_of[x] not in inputs:
            key = (forward_of[x], node.op.i)
            if key not in made:
                length = _length_in_inputs(*key, inputs)
                made[key] = None if length is None else clone_replace([length], value_of)[0][0]
            if made[key] is not None:
                lengths[node.outputs[0]] = made[key]
    return clone_replace(outputs, lengths)[0] if lengths else outputs


def _length_in_inputs(var, axis, inputs):
    """The length of inner variable ``var`` along ``axis`` as a graph of
    constants and lengths of ``inputs`` alone (the ops' infer_shape, all
    the way up), or None."""
    if var.type.shape[axis] is not None:
        return as_tensor_variable(np.int64(var.type.shape[axis]))
    if var in inputs:
        return Shape_i(axis)(var)
    if var.owner is None:
        return None
    try:
        length = var.owner.op.infer_shape(var.owner, [LazyShape(v) for v in
                                                      var.owner.inputs])[var.index][axis]
    except NotImplementedError:
        return None
    length = cast(as_tensor_variable(length), "int64")
    replace = {}
    for node in toposort([length], blockers=inputs):
        if isinstance(node.op, Shape_i) and node.inputs[0] not in inputs:
            inner = _length_in_inputs(node.inputs[0], node.op.i, inputs)
            if inner is None:
                return None
            replace[node.outputs[0]] = inner
    length = clone_replace([length], replace)[0][0] if replace else length
    if not all(v in inputs or isinstance(v, Constant) for v in graph_inputs([length])):
        return None
    return length


def _read_forward(outputs, forward, rows):
    """``outputs`` with every node that computes again a value of the graph
    of ``forward`` (the same op of the same inputs: gradients rebuild the
    outputs they read, as ``sigmoid(x)`` for sigmoid's) made that value, and
    each value in ``rows`` ({forward variable: its saved row}) read there."""
    twin_of = {(node.op, tuple(node.inputs)): node for node in toposort(forward)}
    same = {}
    for node in toposort(outputs):
        inputs = tuple(same.get(v, v) for v in node.inputs)
        twin = twin_of.get((node.op, inputs))
        if twin is not None and twin is not node:
            same.update(zip(node.outputs, twin.outputs))
    merged, _ = clone_replace(outputs, same)
    return clone_replace(merged, rows)[0]


def _total(terms):
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _or_zeros(grad, like):
    return grad if grad is not None else zeros_like(like)


def _cast_like(value, like):
    return value if value.dtype == like.dtype else cast(value, like.dtype)
