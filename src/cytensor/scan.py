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
   keep the rows of the steps that ran.  A random stream's generator state
   that fn draws from (a shared variable) is carried like a fed-back
   output, so each step draws new numbers; its last value is the update
   scan returns, which advances the stream between calls.

3. The gradient (backpropagation through time) is another scan, going
   backwards over the steps.  Each backward step differentiates the inner
   graph of one forward step (of those that ran), and carries, for each
   fed-back output, a
   window of the gradients that later steps sent to the last L values of
   that output, and, for each non-sequence, the running sum of its
   gradient.  Only their last values are wanted, so they are *final-only*
   outputs: the op keeps just the rows their taps read (a ring buffer), and
   memory does not grow with the number of steps.
"""
from collections import OrderedDict

import numpy as np

from . import gradient
from .config import config
from .graph import Apply, Constant, Op, clone_replace, graph_inputs, toposort
from .tensor.basic import Shape_i, concatenate, shape_padleft, zeros_like
from .tensor.sharedvar import SharedVariable
from .tensor.math import cast, minimum
from .tensor.random import RandomVariable
from .tensor.subtensor import inc_subtensor, set_subtensor
from .tensor.type import TensorType, as_tensor_variable


class until:
    """Returned by fn after its outputs (Theano's ``theano.scan_module.until``):
    the loop stops after the first step where ``condition``, a scalar, is
    true; n_steps is then only the most steps it may take."""

    def __init__(self, condition):
        self.condition = as_tensor_variable(condition)


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None,
         truncate_gradient=-1, go_backwards=False, mode=None, name=None, strict=False,
         return_list=False):
    """Apply ``fn`` step by step over ``sequences``, feeding outputs back.

    fn is called as fn(*sequence taps, *output taps, *non_sequences), and
    returns its outputs, optionally followed by ``until(condition)``.
    sequences: tensors iterated over their first axis, or
        ``dict(input=x, taps=[-1, 0, 1])`` to see several elements per step.
    outputs_info: one entry per output of fn: None (not fed back), an initial
        state (fn sees the previous output), or ``dict(initial=x0, taps=[-2,
        -1])``, x0 then holding the needed past values along its first axis.
    non_sequences: values every step sees whole.
    n_steps: the number of steps (an int or a symbolic integer scalar);
        default: the length of the shortest sequence.
    go_backwards: iterate the sequences from their end.
    mode: how to compile one step (default: config.mode; the op cannot see the
        mode of the function it ends up in).
    strict: raise if fn uses a variable it was not given.
    Returns (outputs, updates): outputs has one tensor per output of fn, of
    shape (steps run,) + the shape one step returns; updates maps the state
    of each random stream fn draws from to its state after the loop (pass
    it to function(updates=...), else every call draws the same numbers).
    """
    if truncate_gradient != -1:
        raise NotImplementedError(
            f"{_label(name)}: truncate_gradient={truncate_gradient} is not supported; "
            "only truncate_gradient=-1 (backpropagation through every step)")
    return _scan(fn, sequences, outputs_info, non_sequences, n_steps, go_backwards, mode,
                 name, strict, return_list)


scan.until = until          # Theano code may write theano.scan.until


def _scan(fn, sequences, outputs_info, non_sequences, n_steps, go_backwards, mode, name,
          strict, return_list, final_only=()):
    """scan(), where the outputs numbered in ``final_only`` give only their last
    value: the gradient's own loop sums into such outputs."""
    where = _label(name)
    seq_outer, seq_inner = _sequence_slices(_as_list(sequences), go_backwards, where)
    n = _number_of_steps(n_steps, seq_outer, where)
    outputs_info = [_normalise_output_info(info, i, where)
                    for i, info in enumerate(_as_list(outputs_info))]
    state_inner = [[_step_placeholder(initial, per_tap_axis=taps != (-1,),
                                      label=f"{initial.name}[t{k:+d}]")
                    for k in taps] for initial, taps in outputs_info]
    nonseq_values = [as_tensor_variable(v) for v in _as_list(non_sequences)]
    nonseq_inner = [v if isinstance(v, Constant) else v.type(v.name) for v in nonseq_values]

    inner_args = seq_inner + [v for taps in state_inner for v in taps] + nonseq_inner
    with config.change_flags(compute_test_value="off"):
        outputs, condition = _step_outputs(fn(*inner_args), where)
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
    draws = _random_draws(outputs + conditions, inner_args, where)
    rng_states, next_states = list(draws), list(draws.values())
    for state in rng_states:
        # Its default update is one draw, made outside the loop; the update
        # scan returns takes its place (without it the state stays put).
        state.default_update = None
    step_graph = outputs + next_states + conditions

    # Variables fn used without receiving them become inputs as well.
    received = set(inner_args) | set(rng_states)
    implicit = [v for v in graph_inputs(step_graph)
                if v.owner is None and not isinstance(v, Constant) and v not in received]
    if strict and implicit:
        raise ValueError(f"{where}: strict=True, but fn uses {', '.join(map(str, implicit))} "
                         "without receiving it; pass it in non_sequences")
    rng_inner = [v.type(v.name) for v in rng_states]
    implicit_inner = [v.type(v.name) for v in implicit]
    step_graph, _ = clone_replace(step_graph, dict(zip(rng_states + implicit,
                                                       rng_inner + implicit_inner)))
    outputs, next_states, conditions = _groups(step_graph, len(outputs), len(next_states))

    n_taps = len(seq_inner) + sum(len(taps) for taps in state_inner)
    nonseq_inner = [v for v in nonseq_inner if not isinstance(v, Constant)]
    op = Scan(inner_args[:n_taps] + rng_inner + nonseq_inner + implicit_inner,
              outputs + next_states, n_sequences=len(seq_inner),
              output_taps=[taps for _, taps in outputs_info] + [(-1,)] * len(rng_states),
              final_only=final_only, until=(conditions or [None])[0], name=name, mode=mode)
    initial_outer = [_initial_rows(initial, taps) for initial, taps in outputs_info if taps]
    initial_outer += [shape_padleft(state) for state in rng_states]
    nonseq_outer = [v for v in nonseq_values if not isinstance(v, Constant)] + implicit
    results = op(n, *seq_outer, *initial_outer, *nonseq_outer)   # computes test values
    results, final_states = _groups(results if isinstance(results, list) else [results],
                                    len(outputs))
    updates = OrderedDict((state, states[-1]) for state, states in zip(rng_states,
                                                                       final_states))
    return (results[0] if len(results) == 1 and not return_list else results), updates


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
    """fn's outputs as a list of tensors, and the condition of its ``until``
    (None without one); updates are refused."""
    condition = None
    if isinstance(result, until):
        result = (result,)
    if isinstance(result, (tuple, list)) and result and isinstance(result[-1], until):
        condition, rest = result[-1].condition, result[:-1]
        result = rest[0] if len(rest) == 1 else tuple(rest)
        if condition.ndim != 0:
            raise TypeError(f"{where}: until's condition must be a scalar, got {condition} "
                            f"of type {condition.type}")
    updates = None
    if isinstance(result, dict):
        result, updates = [], result
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
        result, updates = result
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], dict):
        updates, result = result
    if updates:
        raise NotImplementedError(
            f"{where}: fn returned updates (for {', '.join(map(str, updates))}); updates "
            "made inside scan are not supported")
    outputs = []
    for k, out in enumerate(_as_list(result)):
        try:
            outputs.append(as_tensor_variable(out))
        except (TypeError, ValueError):
            raise TypeError(f"{where}: fn's output {k} is {out!r}, not a tensor") from None
    if not outputs:
        raise ValueError(f"{where}: fn returned no output")
    return outputs, condition


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
    step where it is true (None: run n_steps steps).
    """

    def __init__(self, inner_inputs, inner_outputs, n_sequences, output_taps, final_only=(),
                 until=None, name=None, mode=None):
        self.inner_inputs, self.inner_outputs = list(inner_inputs), list(inner_outputs)
        self.n_sequences = n_sequences
        self.output_taps = [tuple(taps) for taps in output_taps]
        self.lags = [-min(taps) if taps else 0 for taps in self.output_taps]
        self.recurrent = [i for i, taps in enumerate(self.output_taps) if taps]
        self.n_state_taps = sum(len(taps) for taps in self.output_taps)
        self.final_only = frozenset(final_only)
        self.until = until
        self.name, self.mode = name, mode
        self._functions = {}

    __eq__, __hash__ = object.__eq__, object.__hash__   # each scan is its own computation

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_functions"}

    def __setstate__(self, state):
        self.__dict__.update(state, _functions={})

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
    def _function(self, linker):
        """The compiled step (once per linker): 'cy' in the scan's mode, 'py' for
        the NumPy reference."""
        if linker not in self._functions:
            from .function import Out, function
            from .compile.mode import Mode, get_mode
            mode = get_mode(self.mode)
            if linker == "py":
                mode = Mode(linker="py", optimizer=mode.optimizer)
            step_outputs = self.inner_outputs + ([self.until] if self.until is not None else [])
            outputs = [Out(o, borrow=True) for o in step_outputs]   # copied by _loop
            step = function(self.inner_inputs, outputs, mode=mode, on_unused_input="ignore",
                            name=f"{self} step")
            step.trust_input = True        # perform passes arrays of the right types
            self._functions[linker] = step
        return self._functions[linker]

    def perform(self, node, inputs, output_storage):
        self._loop(self._function("cy"), inputs, output_storage)

    def reference(self, node, *inputs):
        storage = [[None] for _ in node.outputs]
        self._loop(self._function("py"), list(inputs), storage)
        return tuple(cell[0] for cell in storage)

    def _rows(self, i, n):
        """Rows of output i's buffer: its initial rows, then one per step, or
        one in all for a final-only output (then the buffer is a ring, and
        row r stands for every row r + k * len(buffer))."""
        return self.lags[i] + (1 if i in self.final_only else n)

    def _loop(self, step, inputs, output_storage):
        """Call ``step`` n_steps times, writing each result into its row of a
        preallocated buffer; a fed-back output's buffer starts with its
        initial rows, which later steps read through the taps.  With until,
        the outputs keep the rows of the steps that ran."""
        n_steps, seqs, initials, nonseqs = self._split(inputs)
        n = int(n_steps)
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
        buffers = [None] * len(self.inner_outputs)
        for i, initial in zip(self.recurrent, initials):
            lag = self.lags[i]
            if initial.shape[0] != lag:
                raise ValueError(f"{where}: output {i} has taps {list(self.output_taps[i])}, "
                                 f"so its initial value needs {lag} rows along its first "
                                 f"axis; it has {initial.shape[0]}")
            buffers[i] = np.empty((self._rows(i, n),) + initial.shape[1:], dtype=initial.dtype)
            buffers[i][:lag] = initial
        nonseqs = list(nonseqs)
        steps_run = n
        for t in range(n):
            args = [seq[t, ...] for seq in seqs]
            for i in self.recurrent:
                args.extend(buffers[i][(self.lags[i] + t + k) % len(buffers[i]), ...]
                            for k in self.output_taps[i])
            values = step(*(args + nonseqs))
            stop = self.until is not None and bool(values.pop())
            for i, value in enumerate(values):
                if buffers[i] is None:
                    buffers[i] = np.empty((self._rows(i, n),) + value.shape, dtype=value.dtype)
                # a view, even when 0-d; never a row this step's taps read
                row = buffers[i][(self.lags[i] + t) % len(buffers[i]), ...]
                if value.shape != row.shape:
                    raise ValueError(
                        f"{where}: at step {t}, output {i} of fn has shape {value.shape}, "
                        f"but {'its initial state' if self.lags[i] else 'step 0'} gave "
                        f"shape {row.shape}; every step must return the same shape")
                row[...] = value
            if stop:
                steps_run = t + 1
                break
        for i, buffer in enumerate(buffers):
            lag = self.lags[i]
            if i in self.final_only:
                output_storage[i][0] = buffer[(lag + steps_run - 1) % len(buffer), ...]
            else:
                output_storage[i][0] = buffer[lag:lag + steps_run]

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
            steps = node.inputs[0] if self.until is None else Shape_i(0)(outer)
            shapes.append(step_shape if i in self.final_only else (steps,) + step_shape)
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
        """
        n, seqs, initials, nonseqs = self._split(inputs)
        results = self._every_step().make_node(*inputs).outputs
        steps = n if self.until is None else results[0].shape[0]    # the steps that ran
        differentiable = [i for i, o in enumerate(self.inner_outputs)
                          if o.dtype.startswith("float")]
        windowed = [i for i in self.recurrent if i in differentiable]
        initial_of = dict(zip(self.recurrent, initials))
        float_seqs = [j for j, s in enumerate(seqs) if s.dtype.startswith("float")]
        float_nonseqs = [m for m, v in enumerate(nonseqs) if v.dtype.startswith("float")]

        # Forward step t's past outputs: rows t + L + k of initial rows ++ results.
        past = [concatenate([initial_of[i], results[i]])[self.lags[i] + k:][:steps]
                for i in self.recurrent for k in self.output_taps[i]]

        def backward_step(*args):
            seq_rows, past_rows, cotangents, windows, sums, nonseq_values = _groups(
                args, len(seqs), len(past), len(differentiable), len(windowed),
                len(float_nonseqs))
            outs, _ = clone_replace(self.inner_outputs, dict(zip(
                self.inner_inputs, seq_rows + past_rows + nonseq_values)))
            window_of = dict(zip(windowed, windows))
            known = {}                   # gradient reaching each inner output
            for i, g in zip(differentiable, cotangents):
                if i in window_of:
                    g = g + window_of[i][-1]
                g = _cast_like(g, outs[i])
                known[outs[i]] = known[outs[i]] + g if outs[i] in known else g
            tap_rows = iter(past_rows)
            tap_of = {(i, k): next(tap_rows) for i in self.recurrent
                      for k in self.output_taps[i]}
            wrt = ([seq_rows[j] for j in float_seqs]
                   + [tap_of[i, k] for i in windowed for k in self.output_taps[i]]
                   + [nonseq_values[m] for m in float_nonseqs])
            grads = iter(gradient.grad(None, wrt, known_grads=known,
                                       disconnected_inputs="ignore"))
            seq_grads = [next(grads) for _ in float_seqs]
            new_windows = []
            for i, win in zip(windowed, windows):
                # Rows move one step back in time; tap k of this step lands on row L + k.
                shifted = set_subtensor(zeros_like(win)[1:], win[:-1])
                for k in self.output_taps[i]:
                    shifted = inc_subtensor(shifted[self.lags[i] + k],
                                            _cast_like(next(grads), win))
                new_windows.append(shifted)
            new_sums = [total + _cast_like(next(grads), total) for total in sums]
            return new_windows + new_sums + seq_grads

        # A final-only output's gradient reaches its last row only.
        cotangent_seqs = [set_subtensor(zeros_like(results[i])[-1], output_grads[i])
                          if i in self.final_only else output_grads[i]
                          for i in differentiable]
        carried = [zeros_like(initial_of[i]) for i in windowed] + [
            zeros_like(nonseqs[m]) for m in float_nonseqs]
        backward, _ = _scan(
            backward_step, sequences=[s[:steps] for s in seqs] + past + cotangent_seqs,
            outputs_info=carried + [None] * len(float_seqs), non_sequences=list(nonseqs),
            n_steps=steps, go_backwards=True, mode=self.mode, strict=False, return_list=True,
            name=f"grad_of_{self.name or 'scan'}", final_only=range(len(carried)))
        backward = iter(backward)

        input_grads = [None] * len(inputs)
        first_initial = 1 + len(seqs)
        for i in windowed:
            input_grads[first_initial + self.recurrent.index(i)] = next(backward)
        first_nonseq = first_initial + len(initials)
        for m in float_nonseqs:
            input_grads[first_nonseq + m] = next(backward)
        for j in float_seqs:
            rows = next(backward)[::-1]
            input_grads[1 + j] = inc_subtensor(zeros_like(seqs[j])[:steps], rows)
        return input_grads

    def _every_step(self):
        """This scan with every output giving one row per step, as the gradient
        needs (itself when no output is final-only)."""
        if not self.final_only:
            return self
        return Scan(self.inner_inputs, self.inner_outputs, self.n_sequences, self.output_taps,
                    until=self.until, name=self.name, mode=self.mode)


def _cast_like(value, like):
    return value if value.dtype == like.dtype else cast(value, like.dtype)
