# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, nonecheck=False
"""The call of a compiled function, in C: what ``cytensor.function`` runs on
every call of its common shapes, built once when it compiles one.

InputCheck
    one input's check: an exact, aligned ndarray of the input's dtype, rank
    and declared lengths passes as it is; anything else goes to the Python
    filter it was made with (the type's filter, whose errors name the input).
PlainCall
    the whole call of a function that is only inputs in, the schedule, one
    output out: bind, lock, check, run the thunks, take the output, clear.

Nothing here knows the graph: function.py hands over the cells, thunks,
checks, lock and the few Python callables a call may need (the binder of
keyword arguments, the error wrapper naming the failing node).
"""
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


cdef class PlainCall:
    """``fn(*args, **kwargs)`` for a function that is only inputs in, the
    schedule, one output out (no updates, no defaults to put back, one
    lock, a plain schedule, no profile).

    fn
        the Function (held by a weak reference: it holds this call);
        ``fn._bind(args, kwargs)`` binds keyword or missing arguments,
        ``fn.trust_input`` skips the checks, ``fn._reuse_dropped_outputs()``
        hands the kernels back the large outputs in ``kept``.
    lock
        the lock a call holds (an RLock: its acquire and release are bound once).
    input_cells, checks
        per input, its cell and its check (an InputCheck or any callable).
    schedule, thunks, raise_with_node
        the thunks run in order; an Exception one raises goes to
        ``raise_with_node(thunk.node, schedule, exc)``.
    output
        ``(cell, always copied, copied if a view, recyclable)``.
    cleared, kept, recycle_min_bytes
        the cells emptied after each call; the list of ``[cell, array]``
        of large outputs returned, which a recyclable output at least
        ``recycle_min_bytes`` long joins.
    single
        return the output itself, else a one-element list.
    """

    cdef object function_ref, acquire, release
    cdef Py_ssize_t n_inputs
    cdef list input_cells, checks, thunks, cleared, kept
    cdef object schedule, raise_with_node
    cdef object out_cell
    cdef bint always, if_view, recyclable, single
    cdef Py_ssize_t recycle_min_bytes

    def __init__(self, fn, lock, list input_cells, list checks, schedule, list thunks,
                 raise_with_node, output, list cleared, list kept,
                 Py_ssize_t recycle_min_bytes, bint single):
        import weakref
        self.function_ref = weakref.ref(fn)
        self.acquire, self.release = lock.acquire, lock.release
        self.n_inputs = len(input_cells)
        self.input_cells, self.checks = input_cells, checks
        self.schedule, self.thunks, self.raise_with_node = schedule, thunks, raise_with_node
        self.out_cell, self.always, self.if_view, self.recyclable = output
        self.cleared, self.kept, self.recycle_min_bytes = cleared, kept, recycle_min_bytes
        self.single = single

    def __call__(self, *args, **kwargs):
        fn = self.function_ref()
        if kwargs or len(args) != self.n_inputs:
            args = fn._bind(args, kwargs)
        self.acquire()
        try:
            return self.locked_call(fn, args)
        finally:
            self.release()

    cdef object locked_call(self, fn, args):
        """The call, its lock held; the cells are cleared whatever happens."""
        cdef Py_ssize_t k
        try:
            if fn.trust_input:
                for k in range(self.n_inputs):
                    self.input_cells[k][0] = args[k]
            else:
                for k in range(self.n_inputs):
                    self.input_cells[k][0] = checked(self.checks[k], args[k])
            if self.kept:
                fn._reuse_dropped_outputs()
            self.run()
            value = self.take_output()
            return value if self.single else [value]
        finally:
            for cell in self.cleared:
                cell[0] = None

    cdef run(self):
        thunk = None
        try:
            for thunk in self.thunks:
                thunk()
        except Exception as exc:
            self.raise_with_node(thunk.node, self.schedule, exc)

    cdef object take_output(self):
        """The output as returned: a copy if it would alias storage; kept
        for recycling if large and fresh."""
        value = self.out_cell[0]
        if self.always or (self.if_view and is_view(value)):
            return value.copy()
        if self.recyclable and isinstance(value, cnp.ndarray) \
                and cnp.PyArray_BASE(<cnp.ndarray>value) == NULL \
                and cnp.PyArray_NBYTES(<cnp.ndarray>value) >= self.recycle_min_bytes:
            self.kept.append([self.out_cell, value])
        return value
