"""function(): compile a graph into a Python callable.

The path: normalise the arguments (inputs, outputs, updates, givens),
copy the graph with the givens substituted (the user's graph never
changes), rewrite the copy, link it into a schedule of kernel thunks, and
wrap that in a ``Function`` whose ``__call__`` checks the inputs, runs the
schedule, writes the updates and returns fresh output arrays.
"""
import contextlib
import gc
import sys
import threading
import time
import warnings
from operator import attrgetter

from .config import config
from .graph import Constant, LaterStages, MissingInputError, Variable, ancestors, graph_inputs
from .compile.input_state import (ContainerView, InputState, ValueView,
                                  input_tuple_options)
from .compile.devices import device_input_check
from .compile.linker import Schedule, raise_with_node
from .compile.mode import Mode, get_mode
from .kernels import ContiguousThunk
from .kernels._call import Call, HeldBackInterrupt, InputCheck, PlainCall
from .rewriting import FunctionGraph, Trace
from .tensor.sharedvar import SharedVariable
from .tensor.subtensor import specify_shape
from .tensor.type import TensorType, as_tensor_variable


# Outputs at least this large are kept after a call and written into again by
# the next call once the caller has dropped them.  A fresh array this size
# comes from the OS, which zeroes every page on first touch: 3 ms of a 15 ms
# exp(a)*b + log(c)**2 over 10^7 doubles on 2 cores.
RECYCLE_MIN_BYTES = 1 << 20


def _refs(holder):
    return sys.getrefcount(holder[1])


_ONLY_HOLDER = _refs([None, object()])   # _refs when nothing but holder refers to it


class UnusedInputError(ValueError):
    """An input is not needed to compute any output or update."""


class In:
    """A function input with options: a default ``value`` (or another
    function's ``Container``, to share it), a keyword ``name``, ``strict``
    typing, ``allow_downcast`` and ``update``: an expression whose value the
    input holds after each call (a state kept in the function, see
    compile/input_state.py).

    Inputs are never written to, so Theano's ``mutable``, ``borrow`` and
    ``implicit`` change nothing here.

    Parameters
    ----------
    variable : Variable
        The graph input.
    name : str, optional
        The keyword it may be given by (default: the variable's name).
    value : array_like or Container, optional
        Its value when a call leaves it out.
    update : Variable, optional
        What it holds after each call (needs ``value``).
    strict : bool
        Refuse values that would need a cast.
    allow_downcast : bool, optional
        Accept values that lose precision when cast.
    mutable, borrow, implicit
        Accepted for Theano's signature.

    Examples
    --------
    >>> x, y = T.dvector('x'), T.dscalar('y')
    >>> f = theano.function([x, theano.In(y, value=1.0)], x * y)
    >>> f(numpy.array([1., 2.])), f(numpy.array([1., 2.]), 3.0), f(numpy.array([1., 2.]), y=2.0)
    (array([1., 2.]), array([3., 6.]), array([2., 4.]))
    >>> c = T.iscalar('c')
    >>> count = theano.function([theano.In(c, value=0, update=c + 1)], c)
    >>> count(), count(), count()
    (array(0, dtype=int32), array(1, dtype=int32), array(2, dtype=int32))
    """

    def __init__(self, variable, name=None, value=None, update=None, mutable=False,
                 strict=False, allow_downcast=None, borrow=False, implicit=None):
        if not isinstance(variable, Variable):
            raise TypeError(f"In() wraps a symbolic variable, got {variable!r}")
        if update is not None:
            update = as_tensor_variable(update)
            if update.ndim != variable.ndim or update.dtype != variable.dtype:
                raise TypeError(f"In({variable}, update=...): the update {update} is "
                                f"{update.type}, the input is {variable.type}; cast it")
        self.update = update
        if isinstance(value, SharedVariable):
            raise TypeError("In(value=...) takes a value; pass shared variables in graphs")
        self.variable = variable
        self.name = name if name is not None else variable.name
        self.value = value
        self.strict = strict
        self.allow_downcast = allow_downcast


class Out:
    """A function output; ``borrow=True`` may return internal storage (no copy).

    A borrowed output may be overwritten by the function's next call: keep
    it only until then, or copy it.  Borrowing does not change the array
    type: on a device, an output comes back as a NumPy array unless the
    output is a transfer to the device, ``x.transfer('cuda')`` (see the
    "Devices and backends" guide).

    Parameters
    ----------
    variable : Variable
        The graph output.
    borrow : bool
        Return the function's own buffer instead of a fresh array.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], theano.Out(x * 2, borrow=True))
    >>> f(numpy.array([1., 2.]))
    array([2., 4.])
    """

    def __init__(self, variable, borrow=False):
        self.variable = variable
        self.borrow = borrow


class FunctionMaker:
    """What compiling made, for inspection: ``f.maker.fgraph.toposort()``."""

    def __init__(self, fgraph, mode, inputs, outputs, trace):
        self.fgraph, self.mode, self.inputs, self.outputs = fgraph, mode, inputs, outputs
        self.trace = trace

    def print_rewrites(self, file=None):
        """Every rewrite applied while compiling, each node before and after."""
        self.trace.show(file)


def function(inputs, outputs=None, updates=None, givens=None, allow_input_downcast=None,
             mode=None, profile=None, name=None, on_unused_input=None,
             no_default_updates=False, inputs_on=None):
    """Compile the graph from ``inputs`` to ``outputs`` into a callable.

    The graph is copied (yours never changes), rewritten, and turned into a
    schedule of precompiled kernels; compiling takes milliseconds.

    Parameters
    ----------
    inputs : list of Variable or In
        The arguments of the compiled function, in order.
    outputs : Variable, list of Variable or None
        A variable (the call returns an array), a list (returns a list) or
        None (returns ``[]``).
    updates : list of pairs or dict, optional
        ``{shared variable: new value expression}``, all computed from the
        values before the call, then written.
    givens : list of pairs or dict, optional
        ``{variable: replacement}`` substituted in the copy of the graph.
    allow_input_downcast : bool or None
        True casts inputs to the declared dtype; None allows Python scalars
        and float64 data into floatX; False is strict.
    mode : None, 'FAST_RUN', 'FAST_COMPILE' or Mode
        Which rewrites run (default ``config.mode``).
    profile : bool or ProfileStats, optional
        Collect timings per op and node (``f.profile.summary()``).
    name : str, optional
        The function's name in profiles.
    on_unused_input : 'raise', 'warn' or 'ignore', optional
        What to do with an input the outputs do not depend on.
    no_default_updates : bool
        Skip the updates shared variables ask for (``default_update``, as
        random streams do).
    inputs_on : str, optional
        A device whose arrays the inputs arrive as, and where the outputs
        stay: an op's inner graph run on that device (compile_inner_graph's
        ``device``).  None: inputs are NumPy arrays or moved by transfers.

    Returns
    -------
    Function
        A callable; ``f.maker`` holds the rewritten graph and the rewrite
        trace.

    Raises
    ------
    TypeError
        If an update does not keep its shared variable's type, or an input
        is not a variable.

    Examples
    --------
    >>> x = T.dscalar("x")
    >>> total = theano.shared(0.0, name="total")
    >>> add = theano.function([x], x * 2, updates=[(total, total + x)])
    >>> add(3.0)
    array(6.)
    >>> total.get_value()
    array(3.)
    """
    definition = dict(inputs=inputs, outputs=outputs, updates=updates, givens=givens,
                      allow_input_downcast=allow_input_downcast, mode=mode,
                      profile=profile, name=name, on_unused_input=on_unused_input,
                      no_default_updates=no_default_updates, inputs_on=inputs_on)
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("function() inputs must be a list (or tuple) of variables, even "
                        f"for one input: function([x], ...), got {type(inputs).__name__}")
    ins = [_as_in(i, k) for k, i in enumerate(inputs)]
    in_vars = [i.variable for i in ins]
    if len(set(in_vars)) != len(in_vars):
        raise ValueError("function(): the same variable is given twice as an input")
    for v in in_vars:
        if isinstance(v, Constant):
            raise TypeError(f"function(): the constant {v} cannot be an input")

    single = outputs is not None and not isinstance(outputs, (list, tuple))
    out_list = [] if outputs is None else [outputs] if single else list(outputs)
    outs = [o if isinstance(o, Out) else Out(o) for o in out_list]
    for o in outs:
        if not isinstance(o.variable, Variable):     # a value or a node: a tensor; a Variable of any Type stays
            o.variable = as_tensor_variable(o.variable)

    update_pairs = _normalise_updates(updates)
    if not no_default_updates:
        update_pairs += _default_updates([o.variable for o in outs] +
                                         [u for _, u in update_pairs], update_pairs)
    replace = _normalise_givens(givens)

    # Copy the graph (givens substituted) so that rewrites cannot touch the user's.
    state_pairs = [(i, i.update) for i in ins if i.update is not None]
    targets = [o.variable for o in outs] + [u for _, u in update_pairs + state_pairs]
    trace = Trace(config.optimizer_verbose)
    with _collector_paused():
        fgraph = FunctionGraph(in_vars, targets, replace=replace, trace=trace)
        fgraph.updated = {len(outs) + k: var for k, (var, _) in enumerate(update_pairs)}
        fgraph.inputs_on = inputs_on
        _check_inputs(fgraph, in_vars, on_unused_input or config.on_unused_input, targets)
        mode = get_mode(mode)
        start = time.perf_counter()
        mode.rewrite(fgraph)
        rewrite_time = time.perf_counter() - start
        schedule = mode.link(fgraph)

    profile = config.profile if profile is None else profile
    fn = (ProfiledFunction if profile else Function)(
        schedule, ins, outs, [s for s, _ in update_pairs] + [i for i, _ in state_pairs],
        single, allow_input_downcast, name)
    fn.maker = FunctionMaker(fgraph, mode, ins, outs, trace)
    fn.definition = definition
    if profile:
        from .debug.profiling import ProfileStats   # deferred: profile=True asks the debug stage, above
        fn.profile = profile if isinstance(profile, ProfileStats) else ProfileStats(name)
        fn.profile.record_compile(fn, rewrite_time)
    return fn


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off while a graph compiles (if it was on).

    Compiling makes tens of thousands of nodes that live on; each automatic
    collection walks them all, a quarter or more of the compile time of a
    big graph.  What the rewrites drop is freed by the next collection.
    When it is done, what is alive moves to the oldest generation
    (``gc.freeze`` then ``gc.unfreeze``, without a walk): the first young
    collection after the compile would otherwise walk every object the
    compile left alive (0.4 million for a 5000-node chain).  Not done when
    the user keeps frozen objects, which ``unfreeze`` would release.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def _as_in(spec, position):
    """An In for one entry of function()'s inputs list."""
    if isinstance(spec, In):
        return spec
    if isinstance(spec, (list, tuple)):
        return In(**input_tuple_options(spec, position))
    return In(_input_variable(spec, position))


def _input_variable(v, position):
    if not isinstance(v, Variable):
        raise TypeError(f"function() input {position} is {v!r}, not a symbolic variable")
    if isinstance(v, SharedVariable):
        raise TypeError(f"function() input {position}: the shared variable {v} cannot be an "
                        "explicit input; it is an implicit input of every graph using it")
    return v


def _normalise_updates(updates):
    if updates is None:
        return []
    pairs = list(updates.items()) if isinstance(updates, dict) else list(updates)
    out, seen = [], set()
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"updates must be (shared variable, expression) pairs, got {pair!r}")
        var, expr = pair
        if not isinstance(var, SharedVariable):
            raise TypeError(f"update target {var} is not a shared variable; only shared "
                            "variables (made with shared()) can be updated")
        if var in seen:
            raise ValueError(f"shared variable {var} is updated twice")
        seen.add(var)
        expr = as_tensor_variable(expr)
        if expr.ndim != var.ndim:
            raise TypeError(
                f"the update of shared variable {var} ({var.type}) is {expr} ({expr.type}), "
                f"which has {expr.ndim} dimensions instead of {var.ndim}: an update must "
                "have its shared variable's type; check the expression (a missing sum or "
                "dimshuffle?) or create the shared variable with that shape")
        if expr.dtype != var.dtype:
            raise TypeError(
                f"the update of shared variable {var} ({var.type}) is {expr} ({expr.type}), "
                f"of dtype {expr.dtype} instead of {var.dtype}; cast it with "
                f"T.cast(expr, '{var.dtype}'), or keep every term of it {var.dtype} (a "
                "float64 constant or learning rate upcasts float32 expressions)")
        if any(s is not None and e != s for s, e in zip(var.type.shape, expr.type.shape)):
            expr = specify_shape(expr, var.type.shape)
        out.append((var, expr))
    return out


def _default_updates(targets, update_pairs):
    """Updates that shared variables ask for themselves (``var.default_update``),
    e.g. the state of a random stream, for those the graph uses and the
    caller did not update."""
    updated = {var for var, _ in update_pairs}
    pairs = []
    for var in graph_inputs(targets):
        update = getattr(var, "default_update", None)
        if isinstance(var, SharedVariable) and update is not None and var not in updated:
            pairs.extend(_normalise_updates([(var, update)]))
    return pairs


def _normalise_givens(givens):
    if givens is None:
        return {}
    pairs = list(givens.items()) if isinstance(givens, dict) else list(givens)
    replace = {}
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"givens must be (variable, replacement) pairs, got {pair!r}")
        var, new = pair
        if not isinstance(var, Variable):
            raise TypeError(f"givens: {var!r} is not a symbolic variable")
        new = as_tensor_variable(new)
        if new.dtype != var.dtype or new.ndim != var.ndim:
            raise TypeError(f"givens: {var} of type {var.type} cannot be replaced by {new} "
                            f"of type {new.type}; cast the replacement")
        replace[var] = new
    return replace


def _check_inputs(fgraph, in_vars, on_unused_input, targets):
    used = set(ancestors(fgraph.outputs))       # one walk serves both checks
    for var in used:
        if var.owner is None and not isinstance(var, (Constant, SharedVariable)) \
                and var not in in_vars:
            raise MissingInputError(
                f"function() needs a value for {var} (type {var.type}) to compute its "
                "outputs, but it is not in the inputs list; add it to the inputs, or "
                "replace it with givens")
    for k, v in enumerate(in_vars):
        if v not in used and on_unused_input != "ignore":
            msg = (f"function() input {k} ({v}) is not used to compute any output or "
                   "update; remove it, or pass on_unused_input='warn' or 'ignore'")
            if on_unused_input == "raise":
                raise UnusedInputError(msg)
            warnings.warn(msg, stacklevel=3)


class Function:
    """A compiled function.  Call it with the input values.

    Made by :func:`cytensor.function`, not directly.  A call checks and
    converts the inputs, runs the schedule of kernels, writes the updates
    and returns the outputs (copies, unless ``Out(borrow=True)``).  Inputs
    may be given by position or, with their names, by keyword; ``In``
    defaults fill those left out.  ``f.maker.fgraph`` is the rewritten
    graph, ``f.copy()`` compiles it again, ``f.profile`` holds the timings
    of a profiled function.

    Parameters
    ----------
    schedule, ins, outs, update_targets, single, allow_input_downcast, name
        What :func:`cytensor.function` compiled.

    Raises
    ------
    TypeError
        When called with the wrong number of inputs, or a value that does
        not fit an input's type (naming the input).

    Examples
    --------
    >>> x, y = T.dscalars('x', 'y')
    >>> w = shared(0.0, name='w')
    >>> f = theano.function([x, theano.In(y, value=1.0)], x + y + w, updates=[(w, w + 1)])
    >>> f(2.0), f(2.0, y=10.0), w.get_value()
    (array(3.), array(13.), array(2.))
    >>> f(1.0, 2.0, 3.0)
    Traceback (most recent call last):
    ...
    TypeError: cytensor function takes 2 inputs, got 3
    >>> g = f.copy(delete_updates=True)
    >>> g(0.0), w.get_value()
    (array(3.), array(2.))
    """

    profiled = False

    def __init__(self, schedule, ins, outs, update_targets, single, allow_input_downcast,
                 name):
        self.schedule = schedule
        self.name = name
        self.profile = None
        self._ins = ins
        self._input_cells = [schedule.cells[i.variable] for i in ins]
        self._checks = [device_input_check(_input_check(i, k, allow_input_downcast, name),
                                           i.variable, schedule.placement)
                        for k, i in enumerate(ins)]
        self._state = InputState(ins)
        self.value, self.container = ValueView(self._state), ContainerView(self._state)
        self._names = {i.name: k for k, i in enumerate(ins) if i.name is not None}
        computed = {v for node in schedule.nodes for v in node.outputs}
        self._plan_outputs(outs, computed)
        self._plan_updates(update_targets, len(outs), computed)
        self._restores_defaults = bool(self._state.originals)
        self._locks = call_locks(schedule)
        self._lock = self._locks[0] if len(self._locks) == 1 else None
        # Ctrl-C is held back over the commit block only (see HeldBackInterrupt)
        interrupt = HeldBackInterrupt() if self._commit_can_be_cut() else None
        self._kept = []           # [cell, array]: large outputs of the last call (one list)
        call = PlainCall if self._is_plain() else Call
        self._call = call(self, self._locks, self._input_cells, self._checks, schedule,
                          raise_with_node, type(schedule).run is Schedule.run, self._outputs,
                          self._updates, interrupt, self._cells_to_clear, self._kept,
                          RECYCLE_MIN_BYTES, self._restores_defaults, single)

    def _commit_can_be_cut(self):
        """Whether a KeyboardInterrupt could land between two writes of the
        commit block and the updates, so that Ctrl-C must be held back there
        (two ``signal`` system calls a call).  Not when the block is one
        elementwise node on the contiguous path writing the function's one
        update: its kernel writes the shared array in one C call (so does
        the general kernel it may fall back to) and the update is written
        from C, so an interrupt lands before that write or after it, and the
        update is written whole or not at all, as when held back."""
        commit = self.schedule.commit_thunks
        return bool(commit) and not (len(commit) == 1 and len(self._updates) == 1
                                     and type(commit[0]) is ContiguousThunk)

    def _is_plain(self):
        """Whether a call is only: inputs in, the schedule, one output out."""
        schedule = self.schedule
        return (len(self._outputs) == 1 and not self._updates and not self._restores_defaults
                and self._lock is not None and not schedule.commit_thunks
                and type(schedule).run is Schedule.run and not self.profiled)

    def _plan_outputs(self, outs, computed):
        """How each output is taken: (cell, always copied, copied if a view,
        recyclable).  Outputs never alias inputs, shared values or each other."""
        schedule = self.schedule
        graph_outs = schedule.fgraph.outputs
        updated = set(graph_outs[len(outs):])
        self._outputs, seen = [], set()
        for o, var in zip(outs, graph_outs):
            # a value of a non-tensor Type (a user's own) is returned as it is
            array = isinstance(var.type, TensorType)
            always = array and not o.borrow and (var not in computed or var in seen
                                                 or var in updated)
            seen.add(var)
            # only NumPy arrays are kept for reuse (a device's are its own business)
            recyclable = not always and array and schedule.placement.holder(var) is schedule.placement.cpu
            self._outputs.append((schedule.cells[var], always, array and not o.borrow,
                                  recyclable))
        # Cleared after every call: arrays returned or written to shared values
        # must not be written into by the next call; with config.allow_gc,
        # every intermediate too.
        cleared = computed if config.allow_gc else computed.intersection(graph_outs)
        self._cells_to_clear = [schedule.cells[v] for v in cleared]

    def _plan_updates(self, update_targets, n_out, computed):
        """(where it is written, cell, always copied, computed by the commit
        block) for each update."""
        schedule = self.schedule
        graph_outs = schedule.fgraph.outputs
        # update values the commit block computes are read after it has run
        late = {id(schedule.cells[v]) for t in schedule.commit_thunks for v in t.node.outputs}
        self._updates, seen = [], set(graph_outs[:n_out])
        for target, var in zip(update_targets, graph_outs[n_out:]):
            cell = schedule.cells[var]
            self._updates.append((self._update_container(target), cell,
                                  var not in computed or var in seen, id(cell) in late))
            seen.add(var)

    def _update_container(self, target):
        """Where an update is written, a one-element list: a shared variable's
        container, or the storage of an input given ``In(..., update=...)``."""
        if isinstance(target, In):
            return self._state.containers[self._ins.index(target)].storage
        return target.container

    def __getitem__(self, key):
        """The value an input holds (Theano's ``fn['name']``, also by variable)."""
        return self.value[key]

    def __setitem__(self, key, value):
        self.value[key] = value

    # --- calling --------------------------------------------------------------
    # ``f(...)`` runs ``f._call``, made when compiling (``kernels/_call.pyx``):
    # a ``PlainCall`` for a function that is only inputs in, the schedule, one
    # output out, else a ``Call``.  Python looks ``__call__`` up on the class;
    # this property hands over the instance's own, through C, with no frame.
    __call__ = property(attrgetter("_call"), doc="Run the function (see kernels._call.Call).")

    @property
    def trust_input(self):
        """Whether calls put the arguments in their cells unchecked (the
        caller vouches for their types); the call reads its own copy."""
        return self._call.trust_input

    @trust_input.setter
    def trust_input(self, value):
        self._call.trust_input = value

    def _reuse_dropped_outputs(self):
        """Give the kernels back the large arrays the last call returned and
        the caller has dropped since (nothing else refers to them), to write
        this call's outputs into: a kernel writes into its output cell's array
        when the shape fits, as it does for intermediates."""
        for holder in self._kept:
            if _refs(holder) == _ONLY_HOLDER and holder[1].flags.writeable:
                holder[0][0] = holder[1]
        self._kept.clear()        # the same list: the Call holds it

    @contextlib.contextmanager
    def looping(self):
        """Run the function many times from an op's loop (Scan's steps):
        yields ``(input cells, run, output cells)``; a step writes the input
        cells, calls ``run()`` and copies each output out of its cell at once.
        The function's locks are held for the whole loop, not taken a step
        at a time, and nothing is checked (as with ``trust_input``) or
        cleared between steps, so every node, the outputs' included, writes
        into the array it made the step before.  Only for functions without
        updates or input defaults to restore (an op's inner graph)."""
        if self._updates or self._restores_defaults:
            raise ValueError(f"{self._label()} has updates or input defaults; "
                             "call it instead of looping over its cells")
        if self.profile is None:
            run = self.schedule.run
        else:
            def run():
                self.schedule.run_profiled(self.profile)
        with contextlib.ExitStack() as held:
            for lock in self._locks:
                held.enter_context(lock)
            yield self._input_cells, run, [cell for cell, _, _, _ in self._outputs]

    def _bind(self, args, kwargs):
        n = len(self._ins)
        if len(args) > n:
            raise TypeError(f"{self._label()} takes {n} inputs, got {len(args)}")
        values = list(args) + [_MISSING] * (n - len(args))
        for key, value in kwargs.items():
            if key not in self._names:
                raise TypeError(f"{self._label()} has no input named {key!r}; "
                                f"named inputs: {sorted(self._names)}")
            k = self._names[key]
            if values[k] is not _MISSING:
                raise TypeError(f"{self._label()} got input {key!r} twice")
            values[k] = value
        for k, value in enumerate(values):
            if value is _MISSING:
                values[k] = self._state.default(k)
                if values[k] is None:
                    raise TypeError(f"{self._label()}: missing input {k} "
                                    f"({self._ins[k].variable}); it has no default value")
        return values

    def _label(self):
        return f"cytensor function {self.name!r}" if self.name else "cytensor function"

    # --- copying ------------------------------------------------------------
    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None,
             profile=None):
        """The same function compiled again (Theano's ``f.copy()``), e.g. to run
        it on other state: ``swap={shared: other_shared}`` reads and updates
        ``other_shared`` instead; ``delete_updates=True`` writes no updates.

        The copy starts from the values the inputs hold now (``In(value=...,
        update=...)``): copies of them, or the same containers if
        share_memory=True.
        """
        definition = dict(self.definition, name=name or self.name,
                          profile=profile or self.definition["profile"])
        swap = dict(swap or {})
        for old, new in swap.items():
            if not isinstance(old, SharedVariable) or not isinstance(new, SharedVariable):
                raise TypeError(f"copy(swap=...): swap pairs shared variables, got {old!r}: "
                                f"{new!r}")
            if old.type != new.type:
                raise TypeError(f"copy(swap=...): {old} ({old.type}) cannot be swapped for "
                                f"{new} ({new.type}) of another type")
        if delete_updates:    # the copy keeps the inputs, even those only updates used
            definition.update(updates=None, no_default_updates=True, on_unused_input="ignore")
        elif swap:
            definition["updates"] = [(swap.get(var, var), expr) for var, expr
                                     in _normalise_updates(self.definition["updates"])]
        if swap:
            definition["givens"] = list(_normalise_givens(definition["givens"]).items()) \
                + list(swap.items())
        if share_memory:
            definition["inputs"] = self._inputs_sharing_containers()
        fn = function(**definition)
        fn.trust_input = self.trust_input
        if not share_memory:
            self._state.copy_values_to(fn._state)
        return fn

    def _inputs_sharing_containers(self):
        return [In(i.variable, name=i.name, value=self._state.containers.get(k, i.value),
                   update=i.update, strict=i.strict, allow_downcast=i.allow_downcast)
                for k, i in enumerate(self._ins)]

    # --- inspection and pickling ---------------------------------------------
    @property
    def input_storage(self):
        return self._input_cells

    def __reduce__(self):
        return (_rebuild, (self.definition, self.trust_input))

    def __repr__(self):
        return f"<{self._label()}: {len(self.schedule.nodes)} nodes>"


def call_locks(schedule):
    """The locks a call of the schedule's function holds while it runs, in
    the order taken: the lock of each shared variable it reads or updates
    (ordered by id, so that two calls never each hold a lock the other
    waits for), or one of its own when it uses none.

    Its storage cells are used by one call at a time: a function with
    shared variables is already serialised by their locks.  A function
    never waits for another unless they share a shared variable.
    """
    shared = sorted({var for var in schedule.cells if isinstance(var, SharedVariable)},
                    key=id)
    return [var.lock for var in shared] or [threading.RLock()]


class ProfiledFunction(Function):
    """A Function with ``profile=True``: each whole call is timed too, so the
    profile can tell the schedule's time from the call's Python overhead."""

    profiled = True

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        result = self._call(*args, **kwargs)
        self.profile.record_call(time.perf_counter() - start)
        return result


_MISSING = object()


def _rebuild(definition, trust_input):
    fn = function(**definition)
    fn.trust_input = trust_input
    return fn


def _input_check(inp, position, allow_input_downcast, fn_name):
    """The check of one input: an InputCheck (exact arrays pass straight
    through, in C; other values go through the type's filter) or, for a
    non-tensor Type, the filter itself."""
    ttype = inp.variable.type
    allow = inp.allow_downcast if inp.allow_downcast is not None else allow_input_downcast

    def filtered(value):
        try:
            return ttype.filter(value, strict=inp.strict, allow_downcast=allow)
        except (TypeError, ValueError) as e:
            where = f" of function {fn_name!r}" if fn_name else ""
            raise TypeError(f"bad value for input {position} ({inp.variable}, type "
                            f"{ttype}){where}: {e}") from None

    if not isinstance(ttype, TensorType):
        return filtered
    static = [(a, s) for a, s in enumerate(ttype.shape) if s is not None]
    return InputCheck(ttype.numpy_dtype, ttype.ndim, static, filtered)


def compile_inner_graph(inputs, outputs, mode=None, linker="cy", borrow=False, name=None,
                        device=None):
    """Compile an op's inner graph (Scan's step, MapOverIndex's body).

    mode: a Mode, a mode name or None (config.mode); linker 'py' keeps the
    mode's rewrites and runs the NumPy references instead.  borrow: the
    outputs may be internal buffers (for an op that copies them out at
    once).  Inputs the graph does not use are allowed.  device: the device
    the op runs on, None for the CPU: its inputs arrive as that device's
    arrays, its nodes run there (those its backend lacks on the CPU,
    between transfers) and its outputs stay there.
    """
    mode = get_mode(mode)
    if linker == "py":
        mode = Mode(linker="py", optimizer=mode.optimizer)
    if borrow:
        outputs = [Out(o, borrow=True) for o in outputs]
    return function(inputs, outputs, mode=mode, on_unused_input="ignore", name=name,
                    inputs_on=device)


# The graph stage and the ops with inner graphs compile through these.
LaterStages.function = function
LaterStages.compile_inner_graph = compile_inner_graph
