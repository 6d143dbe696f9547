# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, nonecheck=False
"""The call of a compiled function, in C: what ``cytensor.function`` runs on
every call, built once when it compiles one.

InputCheck
    one input's check: an exact, aligned ndarray of the input's dtype, rank
    and declared lengths passes as it is; anything else goes to the Python
    filter it was made with (the type's filter, whose errors name the input).
Call
    the call of any function: bind, take its locks, check, run the
    schedule, take the outputs, stage and write the updates, clear.
PlainCall
    the same for a function that is only inputs in, the schedule, one
    output out, with one lock: the steps it does not need left out.
HeldBackInterrupt
    Ctrl-C held back over a call's commit block and update writes.
run_thunks, check_commit_block, run_commit_block
    the loop over a schedule's thunks and its commit block (checks, then
    nodes): the one implementation, run by Call and by Schedule.run.
GemmCheck, ElemwiseCheck, BroadcastCheck
    a commit-block node's shape check, in C on NumPy arrays; any other
    value, and any misfit, goes to the Python check it was made with.

Nothing here knows the graph: function.py hands over the cells, thunks,
checks, locks and the few Python objects a call may need (the binder of
keyword arguments, the error wrapper naming the failing node, the
schedule's run for the schedules that have their own).
"""
import weakref
from _signal import SIGINT, getsignal, raise_signal, signal as set_handler

cimport numpy as cnp

cnp.import_array()


cdef class InputCheck:
    """The check of one tensor input: ``check(value)`` returns what goes in
    the input's cell.  ``filtered(value)`` takes every value that is not
    an exact, aligned ndarray of ``dtype`` and ``ndim`` whose lengths are
    ``static`` (``(axis, length)`` pairs: a row's 1, a declared length)."""

    cdef object dtype
    cdef int ndim
    cdef tuple static_axes
    cdef tuple static_lengths
    cdef readonly object filtered

    def __init__(self, dtype, int ndim, static, filtered):
        self.dtype, self.ndim, self.filtered = dtype, ndim, filtered
        self.static_axes = tuple(axis for axis, _ in static)
        self.static_lengths = tuple(length for _, length in static)

    cdef object check(self, object value):
        cdef cnp.ndarray array
        cdef cnp.npy_intp *shape
        cdef Py_ssize_t k
        if type(value) is not cnp.ndarray:
            return self.filtered(value)
        array = <cnp.ndarray>value
        if cnp.PyArray_NDIM(array) != self.ndim or not cnp.PyArray_ISALIGNED(array):
            return self.filtered(value)
        descr = <object>cnp.PyArray_DESCR(array)
        if descr is not self.dtype and descr != self.dtype:
            return self.filtered(value)
        shape = cnp.PyArray_DIMS(array)
        for k in range(len(self.static_axes)):
            if shape[<Py_ssize_t>self.static_axes[k]] != <cnp.npy_intp>self.static_lengths[k]:
                return self.filtered(value)
        return value

    def __call__(self, value):
        return self.check(value)


cdef inline object checked(object check, object value):
    """check(value), through C for an InputCheck."""
    if type(check) is InputCheck:
        return (<InputCheck>check).check(value)
    return check(value)


cdef inline bint is_view(object value):
    """Whether an output array is a view of another (``value.base is not None``),
    without an attribute lookup for NumPy's arrays."""
    if isinstance(value, cnp.ndarray):
        return cnp.PyArray_BASE(<cnp.ndarray>value) != NULL
    return value.base is not None


cdef bint is_array(object value):
    return type(value) is cnp.ndarray


cdef bint same_shape(cnp.ndarray a, cnp.ndarray b):
    cdef int d, n = cnp.PyArray_NDIM(a)
    if cnp.PyArray_NDIM(b) != n:
        return False
    for d in range(n):
        if cnp.PyArray_DIM(a, d) != cnp.PyArray_DIM(b, d):
            return False
    return True


cdef bint broadcasts_into(cnp.ndarray a, cnp.ndarray target):
    """Whether ``a`` broadcasts to ``target``'s shape (linker.broadcasts_to)."""
    cdef int d, lead = cnp.PyArray_NDIM(target) - cnp.PyArray_NDIM(a)
    cdef cnp.npy_intp length
    if lead < 0:
        return False
    for d in range(cnp.PyArray_NDIM(a)):
        length = cnp.PyArray_DIM(a, d)
        if length != 1 and length != cnp.PyArray_DIM(target, lead + d):
            return False
    return True


cdef class ShapeCheck:
    """The check of one commit-block node on the values in its input cells,
    before any of the block overwrites anything: ``fits()`` is a few C tests
    that pass NumPy arrays of fitting shapes; for anything else ``explain``,
    the Python check (compile/linker.commit_check), decides and raises the
    error naming the node's shapes."""

    cdef object explain

    def __init__(self, explain):
        self.explain = explain

    cdef bint fits(self):
        return False

    cdef check(self):
        if not self.fits():
            self.explain()

    def __call__(self):
        self.check()


cdef class GemmCheck(ShapeCheck):
    """Gemm's C <- alpha A B + beta C: A's columns are B's rows, C is A's rows
    by B's columns."""

    cdef list c_cell, a_cell, b_cell

    def __init__(self, list c_cell, list a_cell, list b_cell, explain):
        ShapeCheck.__init__(self, explain)
        self.c_cell, self.a_cell, self.b_cell = c_cell, a_cell, b_cell

    cdef bint fits(self):
        cdef cnp.ndarray c, a, b
        if not (is_array(self.c_cell[0]) and is_array(self.a_cell[0])
                and is_array(self.b_cell[0])):
            return False
        c, a, b = self.c_cell[0], self.a_cell[0], self.b_cell[0]
        return (cnp.PyArray_NDIM(c) == 2 and cnp.PyArray_NDIM(a) == 2
                and cnp.PyArray_NDIM(b) == 2
                and cnp.PyArray_DIM(a, 1) == cnp.PyArray_DIM(b, 0)
                and cnp.PyArray_DIM(c, 0) == cnp.PyArray_DIM(a, 0)
                and cnp.PyArray_DIM(c, 1) == cnp.PyArray_DIM(b, 1))


cdef class ElemwiseCheck(ShapeCheck):
    """An elementwise node that overwrites ``target``: the other overwritten
    inputs (``same``) have its shape, the rest (``broadcast``) broadcast to it."""

    cdef list target_cell, same_cells, broadcast_cells

    def __init__(self, list target_cell, list same_cells, list broadcast_cells, explain):
        ShapeCheck.__init__(self, explain)
        self.target_cell = target_cell
        self.same_cells, self.broadcast_cells = same_cells, broadcast_cells

    cdef bint fits(self):
        cdef cnp.ndarray target
        if not is_array(self.target_cell[0]):
            return False
        target = self.target_cell[0]
        for cell in self.same_cells:
            if not is_array(cell[0]) or not same_shape(cell[0], target):
                return False
        for cell in self.broadcast_cells:
            if not is_array(cell[0]) or not broadcasts_into(cell[0], target):
                return False
        return True


cdef class BroadcastCheck(ShapeCheck):
    """A node of the block that overwrites nothing: its inputs broadcast
    together (here: all but those of one element to the largest one's shape)."""

    cdef list cells

    def __init__(self, list cells, explain):
        ShapeCheck.__init__(self, explain)
        self.cells = cells

    cdef bint fits(self):
        cdef cnp.ndarray widest = None, array
        for cell in self.cells:
            if not is_array(cell[0]):
                return False
            array = cell[0]
            if widest is None or cnp.PyArray_SIZE(array) > cnp.PyArray_SIZE(widest):
                widest = array
        for cell in self.cells:
            if not broadcasts_into(cell[0], widest):
                return False
        return True


cpdef run_thunks(list thunks, schedule, raise_with_node):
    """Run ``thunks`` in order; an Exception one raises goes to
    ``raise_with_node(thunk.node, schedule, exc)`` (its node's context)."""
    thunk = None
    try:
        for thunk in thunks:
            thunk()
    except Exception as exc:
        raise_with_node(thunk.node, schedule, exc)


cpdef check_commit_block(list thunks, list checks, schedule, raise_with_node):
    """Check every node of the commit block on the values it will read (a
    check is a ShapeCheck or any callable), before any of them runs."""
    cdef Py_ssize_t k
    for k in range(len(thunks)):
        check = checks[k]
        try:
            if isinstance(check, ShapeCheck):
                (<ShapeCheck>check).check()
            else:
                check()
        except Exception as exc:
            raise_with_node(thunks[k].node, schedule, exc)


cpdef run_commit_block(list thunks, list checks, schedule, raise_with_node):
    """Check the commit block, then run it: nothing is overwritten unless
    every node can run."""
    check_commit_block(thunks, checks, schedule, raise_with_node)
    run_thunks(thunks, schedule, raise_with_node)


cdef class HeldBackInterrupt:
    """Ctrl-C held back while a call overwrites shared values in place and
    writes its updates, then delivered: the commit is never cut in two.

    One per function whose commit block an interrupt could cut (its calls
    never overlap; Function._commit_can_be_cut decides).  Python
    runs signal handlers in the main thread only, so only calls there
    install the holding handler; in another thread ``signal`` refuses
    (ValueError) and nothing needs holding.  The handlers are swapped
    through ``_signal``, the C module behind ``signal``, whose wrappers
    convert to and from enums, with a handler bound once.
    """

    cdef readonly object previous       # the handler to put back
    cdef readonly bint holding
    cdef readonly bint pending          # a SIGINT arrived while held
    cdef object note_handler

    def __init__(self):
        self.previous, self.holding, self.pending = None, False, False
        self.note_handler = self.note

    def note(self, signum, frame):
        self.pending = True

    cpdef hold(self):
        previous = getsignal(SIGINT)
        if previous is None:        # installed from C: it could not be put back
            return
        try:
            set_handler(SIGINT, self.note_handler)
        except ValueError:          # not the main thread
            return
        self.previous, self.holding = previous, True

    cpdef release(self):
        set_handler(SIGINT, self.previous)
        self.previous, self.holding = None, False
        if self.pending:
            self.pending = False
            raise_signal(SIGINT)    # to the handler now back in place


cdef class Call:
    """``fn(*args, **kwargs)``: the call of a compiled function, all of it or,
    if anything raises, none of it (docs/reliability.rst).  One call at a
    time runs a given function, holding the locks of the shared variables
    it uses, so threads may share functions and shared variables; outputs
    and new shared values are taken whole before anything is written, and
    the updates are written at the end, together.

    fn
        the Function (held by a weak reference: it holds this call), for
        ``fn._bind(args, kwargs)`` (keyword or missing arguments),
        ``fn.profile`` (run the
        schedule profiled), ``fn._reuse_dropped_outputs()`` (hand the
        kernels back the large outputs in ``kept``) and
        ``fn._state.restore_defaults()``.
    locks
        the locks a call holds, taken in this order (RLocks: their acquire
        and release are bound once); released whatever is raised once held.
    input_cells, checks
        per input, its cell and its check (an InputCheck or any callable).
    schedule, raise_with_node, own_loop
        the schedule: with ``own_loop`` (a plain Schedule), what its
        ``run`` does is done here, by the same ``run_thunks`` and
        ``run_commit_block``, without its Python frame; else, and when
        profiled, its ``run`` or ``run_profiled``.
    outputs
        per output, ``(cell, always copied, copied if a view, recyclable)``.
    updates, interrupt
        per update, ``(where it is written, cell, always copied, computed
        by the commit block)``; the HeldBackInterrupt of a function with a
        commit block, else None.
    cleared, kept, recycle_min_bytes
        the cells emptied after each call; the list of ``[cell, array]``
        of large outputs returned, which a recyclable output at least
        ``recycle_min_bytes`` long joins.
    restores_defaults, single
        put the inputs' defaults back after a call; return the one output
        itself, else the list of outputs.

    ``trust_input`` (Function.trust_input, set on the call) puts the
    arguments in their cells unchecked.
    """

    cdef public bint trust_input

    cdef object function_ref
    cdef tuple acquires, releases
    cdef Py_ssize_t n_inputs
    cdef list input_cells, checks, thunks, commit_thunks, commit_checks
    cdef list outputs, updates, cleared, kept
    cdef object schedule, raise_with_node
    cdef HeldBackInterrupt interrupt
    cdef bint own_loop, restores_defaults, single
    cdef Py_ssize_t recycle_min_bytes
    cdef list staged_results, staged_values

    def __init__(self, fn, locks, list input_cells, list checks, schedule, raise_with_node,
                 bint own_loop, list outputs, list updates, interrupt, list cleared,
                 list kept, Py_ssize_t recycle_min_bytes, bint restores_defaults, bint single):
        self.function_ref = weakref.ref(fn)
        self.acquires = tuple(lock.acquire for lock in locks)
        self.releases = tuple(lock.release for lock in locks)
        self.n_inputs = len(input_cells)
        self.input_cells, self.checks = input_cells, checks
        self.schedule, self.thunks = schedule, schedule.thunks
        self.commit_thunks, self.commit_checks = schedule.commit_thunks, schedule.commit_checks
        self.raise_with_node, self.own_loop = raise_with_node, own_loop
        self.outputs, self.updates, self.interrupt = outputs, updates, interrupt
        self.cleared, self.kept, self.recycle_min_bytes = cleared, kept, recycle_min_bytes
        self.restores_defaults, self.single = restores_defaults, single

    def __call__(self, *args, **kwargs):
        cdef Py_ssize_t held = 0, k
        fn = self.function_ref()
        if kwargs or len(args) != self.n_inputs:
            args = fn._bind(args, kwargs)
        try:
            for acquire in self.acquires:
                acquire()
                held += 1
            results = self.locked_call(fn, args)
        finally:
            for k in range(held - 1, -1, -1):
                self.releases[k]()
        return results[0] if self.single else results

    cdef object locked_call(self, fn, args):
        """The call, its locks held: the outputs, after the updates are
        written.  The cells are cleared whatever happens."""
        try:
            self.put_inputs(args)
            if self.kept:
                fn._reuse_dropped_outputs()
            if self.updates:
                results = self.run_and_update(fn.profile)
            else:          # nothing is written outside the call: nothing to stage
                self.run(fn.profile, False)
                results = self.take_outputs()
            if self.restores_defaults:
                fn._state.restore_defaults()
            return results
        finally:
            for cell in self.cleared:
                cell[0] = None

    cdef put_inputs(self, args):
        cdef Py_ssize_t k
        if self.trust_input:
            for k in range(self.n_inputs):
                self.input_cells[k][0] = args[k]
        else:
            for k in range(self.n_inputs):
                self.input_cells[k][0] = checked(self.checks[k], args[k])

    cdef run(self, profile, bint stage):
        """Run the schedule; with ``stage``, stage the outputs and the new
        values before its commit block."""
        if profile is not None:
            self.schedule.run_profiled(profile, self.stage if stage else None)
        elif not self.own_loop:
            self.schedule.run(self.stage if stage else None)
        else:
            run_thunks(self.thunks, self.schedule, self.raise_with_node)
            if stage:
                self.stage_now()
            if self.commit_thunks:
                run_commit_block(self.commit_thunks, self.commit_checks, self.schedule,
                                 self.raise_with_node)

    cdef object run_and_update(self, profile):
        """Run the schedule, staging outputs and new values before its commit
        block (Ctrl-C held back from there on), then write the updates."""
        try:
            self.run(profile, True)
            self.write_updates()
            return self.staged_results
        finally:
            self.staged_results = self.staged_values = None
            if self.interrupt is not None and self.interrupt.holding:
                self.interrupt.release()

    def stage(self):
        """stage_now(), for a schedule's ``run(before_commit)``."""
        self.stage_now()

    cdef stage_now(self):
        """Take the outputs and the new shared values (copies where they
        would alias storage), before the commit block may overwrite any
        shared value: a failure here leaves everything as it was."""
        cdef list new_values = []
        for _, cell, must_copy, late in self.updates:
            if late:
                new_values.append(None)
            else:
                value = cell[0]
                new_values.append(value.copy() if must_copy or is_view(value) else value)
        self.staged_results, self.staged_values = self.take_outputs(), new_values
        if self.interrupt is not None:
            self.interrupt.hold()

    cdef write_updates(self):
        """Write every new shared value at once.  They were all computed from
        the values before the call, but for those the commit block has just
        computed (read here).  No KeyboardInterrupt lands between two writes:
        with a commit block it is held back (or, outside the main thread,
        never raised); without one, the writes run no Python code between
        them (the containers are lists)."""
        cdef Py_ssize_t k
        if self.staged_values is None:      # read unchecked below
            raise RuntimeError(f"{type(self.schedule).__name__}.run did not call before_commit")
        for k in range(len(self.updates)):
            container, cell, must_copy, late = self.updates[k]
            value = self.staged_values[k]
            if late:
                value = cell[0].copy() if must_copy else cell[0]
            container[0] = value

    cdef list take_outputs(self):
        """The outputs as returned: copies of those that would alias storage.
        Large fresh ones are kept, to be written into again once dropped."""
        return [self.take_output(cell, always, if_view, recyclable)
                for cell, always, if_view, recyclable in self.outputs]

    cdef object take_output(self, cell, bint always, bint if_view, bint recyclable):
        value = cell[0]
        if always or (if_view and is_view(value)):
            return value.copy()
        if recyclable and isinstance(value, cnp.ndarray) \
                and cnp.PyArray_BASE(<cnp.ndarray>value) == NULL \
                and cnp.PyArray_NBYTES(<cnp.ndarray>value) >= self.recycle_min_bytes:
            self.kept.append([cell, value])
        return value


cdef class PlainCall(Call):
    """The Call of a function that is only inputs in, the schedule, one
    output out (no updates, no defaults to put back, one lock, a plain
    schedule, no profile): the steps it needs, in line."""

    cdef object acquire, release, out_cell
    cdef bint always, if_view, recyclable

    def __init__(self, fn, locks, *rest):
        Call.__init__(self, fn, locks, *rest)
        (self.acquire,), (self.release,) = self.acquires, self.releases
        ((self.out_cell, self.always, self.if_view, self.recyclable),) = self.outputs

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self.n_inputs:
            args = self.function_ref()._bind(args, kwargs)
        self.acquire()
        try:
            return self.plain_call(args)
        finally:
            self.release()

    cdef object plain_call(self, args):
        try:
            self.put_inputs(args)
            if self.kept:
                self.function_ref()._reuse_dropped_outputs()
            run_thunks(self.thunks, self.schedule, self.raise_with_node)
            value = self.take_output(self.out_cell, self.always, self.if_view,
                                     self.recyclable)
            return value if self.single else [value]
        finally:
            for cell in self.cleared:
                cell[0] = None
