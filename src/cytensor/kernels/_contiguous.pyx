# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""elemwise_contiguous: the hot path of the register VM for C-contiguous
operands of the compute dtype (what a compiled function mostly passes): each
of the outputs' shape, one element, a row repeated over the leading axes or
a column repeated along the trailing ones (``m + r``, ``m + c[:, None]``).

It checks the operands cheaply and returns None when they do not fit (the
caller then runs the general ``elemwise``).  Small work (up to SMALL_MAX
elements) runs at once, serially, with the GIL held, its temporaries in one
module-level scratch buffer; larger work becomes a one- or two-dimensional
VMPlan run by cytensor._kernels.run_plan, a row input in it a periodic operand
(its row tiled once per call, then read in place like a contiguous input).
"""
import numpy as np
cimport numpy as cnp
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from libc.stdint cimport int32_t

from cytensor.kernels._common cimport (cyt_intp, cyt_convert, cyt_dt_size, CYT_MAXDIMS,
                                       CYT_F32, CYT_F64, CYT_I64, CYT_U64)
from cytensor.kernels._vm cimport cyt_vm_run
from cytensor.kernels._plan cimport (VMPlan, KIND_DIRECT, KIND_SCALAR, KIND_GENERAL,
                                     KIND_PERIODIC, ALLOC_PAD, code_of, dtype_code, check_code,
                                     plan_alloc, plan_free)
from cytensor._kernels cimport run_plan, vm_block

cnp.import_array()

cdef enum:
    SMALL_MAX = 4096        # elements up to which the program runs serially, at once
    MAX_OPERANDS = 64       # inputs (and, for the small path, registers) it takes

# How an input of the fast path is read.
cdef enum InputShape:
    IN_FULL = 0             # the outputs' shape
    IN_SCALAR = 1           # one element, broadcast
    IN_ROW = 2              # the outputs' trailing axes, repeated over the leading ones
    IN_COL = 3              # the outputs' leading axes, each element repeated along the rest

cdef char *_scratch = NULL
cdef cyt_intp _scratch_size = 0


cdef bint _is_column(cnp.ndarray a, cnp.ndarray o0):
    """a is o0's leading axes followed by axes of length 1 (as many as o0 has)."""
    cdef int nd = cnp.PyArray_NDIM(o0), k = 0, d
    if cnp.PyArray_NDIM(a) != nd:
        return False
    while k < nd and cnp.PyArray_DIM(a, k) == cnp.PyArray_DIM(o0, k):
        k += 1
    for d in range(k, nd):
        if cnp.PyArray_DIM(a, d) != 1:
            return False
    return True


cdef int _input_shape(cnp.ndarray a, cnp.ndarray o0, cyt_intp size) except -2:
    """The InputShape of input a against the first output o0, -1 if it fits none."""
    cdef int nd = cnp.PyArray_NDIM(o0), off, j, d
    if cnp.PyArray_NDIM(a) > nd:
        return -1
    if cnp.PyArray_SIZE(a) == 1 and size != 1:
        return IN_SCALAR
    off = nd - cnp.PyArray_NDIM(a)
    j = 0                       # leading axes of length 1
    while j < cnp.PyArray_NDIM(a) and cnp.PyArray_DIM(a, j) == 1:
        j += 1
    for d in range(j, cnp.PyArray_NDIM(a)):
        if cnp.PyArray_DIM(a, d) != cnp.PyArray_DIM(o0, off + d):
            if cnp.PyArray_SIZE(a) == 1:
                return IN_SCALAR
            return IN_COL if _is_column(a, o0) else -1
    if cnp.PyArray_SIZE(a) == 0 and size != 0:
        return -1
    return IN_FULL if cnp.PyArray_SIZE(a) == size else IN_ROW


cdef bint _fits_output(cnp.ndarray a, cnp.ndarray o0):
    """An output must have the first output's shape and be writeable."""
    cdef int d
    if cnp.PyArray_NDIM(a) != cnp.PyArray_NDIM(o0) or not cnp.PyArray_ISWRITEABLE(a):
        return False
    for d in range(cnp.PyArray_NDIM(o0)):
        if cnp.PyArray_DIM(a, d) != cnp.PyArray_DIM(o0, d):
            return False
    return True


cdef cyt_intp _classify_operands(list inputs, list outputs, int ct, int *shapes) except -2:
    """Fill shapes[k] (InputShape) for every input; returns the row length of
    the IN_ROW and IN_COL inputs (0: none; a column's row is the run of its
    elements' repeats), or -1 if the operands do not fit the fast path."""
    cdef int nin = len(inputs), k
    cdef cnp.ndarray a, o0 = <cnp.ndarray>outputs[0]
    cdef cyt_intp size = cnp.PyArray_SIZE(o0), rlen = 0, row
    for k in range(nin + len(outputs)):
        a = <cnp.ndarray?>(inputs[k] if k < nin else outputs[k - nin])
        if (code_of(a) != ct or not cnp.PyArray_IS_C_CONTIGUOUS(a)
                or not cnp.PyArray_ISALIGNED(a) or cnp.PyArray_ISBYTESWAPPED(a)):
            return -1
        if k >= nin:
            if not _fits_output(a, o0):
                return -1
            continue
        shapes[k] = _input_shape(a, o0, size)
        if shapes[k] < 0:
            return -1
        if shapes[k] == IN_ROW or shapes[k] == IN_COL:
            row = cnp.PyArray_SIZE(a)
            if shapes[k] == IN_COL:
                row = size // row if row else 0     # (empty: nothing runs)
            if rlen != 0 and row != rlen:
                return -1           # all rows have one length
            rlen = row
    return rlen


cdef int _ensure_scratch(cyt_intp need) except -1:
    global _scratch, _scratch_size
    if need > _scratch_size:
        free(_scratch)
        _scratch = <char *>malloc(need)
        if _scratch == NULL:
            _scratch_size = 0
            raise MemoryError()
        _scratch_size = need
    return 0


cdef int _run_small(cnp.ndarray code, int ninstr, int nreg, list inputs, list outputs,
                    int ct, const int *shapes, cyt_intp rlen) except -1:
    """Run at once, GIL held: scalar, row and column inputs expanded into the
    scratch buffer, which also holds the temporaries."""
    cdef int nin = len(inputs), nout = len(outputs), k
    cdef cyt_intp size = cnp.PyArray_SIZE(<cnp.ndarray>outputs[0]), t
    cdef int csz = cyt_dt_size[ct]
    cdef char *R[MAX_OPERANDS]
    cdef char *src
    _ensure_scratch(nreg * size * csz + ALLOC_PAD)
    for k in range(nin):
        src = <char *>cnp.PyArray_DATA(<cnp.ndarray>inputs[k])
        R[k] = src
        if shapes[k] == IN_SCALAR:
            R[k] = _scratch + k * size * csz
            cyt_convert(src, 0, ct, R[k], csz, ct, size)
        elif shapes[k] == IN_ROW:
            R[k] = _scratch + k * size * csz
            for t in range(size // rlen):
                memcpy(R[k] + t * rlen * csz, src, rlen * csz)
        elif shapes[k] == IN_COL:
            R[k] = _scratch + k * size * csz
            for t in range(size // rlen):
                cyt_convert(src + t * csz, 0, ct, R[k] + t * rlen * csz, csz, ct, rlen)
    for k in range(nout):
        R[nin + k] = <char *>cnp.PyArray_DATA(<cnp.ndarray>outputs[k])
    for k in range(nin + nout, nreg):
        R[k] = _scratch + k * size * csz
    cyt_vm_run(ct, R, <const int32_t *>cnp.PyArray_DATA(code), ninstr, size)
    return 0


cdef bint _columns_overlap_outputs(list inputs, list outputs, const int *shapes, int csz):
    """True if a column input shares memory with an output (it is read while
    the outputs are written; the general kernel buffers such inputs.  Rows are
    copied before the run: see _tiled_row)."""
    cdef cyt_intp lo, hi, olo, ohi, k
    cdef cyt_intp size = cnp.PyArray_SIZE(<cnp.ndarray>outputs[0])
    for k in range(len(inputs)):
        if shapes[k] != IN_COL:
            continue
        lo = <cyt_intp>cnp.PyArray_DATA(<cnp.ndarray>inputs[k])
        hi = lo + cnp.PyArray_SIZE(<cnp.ndarray>inputs[k]) * csz
        for o in outputs:
            olo = <cyt_intp>cnp.PyArray_DATA(<cnp.ndarray>o)
            ohi = olo + size * csz
            if lo < ohi and olo < hi:
                return True
    return False


cdef char *_tiled_row(cnp.ndarray row, cyt_intp rlen, int csz) except NULL:
    """The row repeated to rlen + vm_block() elements (free it): the elements
    of any block of the flat space, from flat index start, are then one
    contiguous run from element start % rlen (KIND_PERIODIC)."""
    cdef cyt_intp total = rlen + vm_block(), pos, n
    cdef char *tiled = <char *>malloc(total * csz + ALLOC_PAD)
    cdef const char *src = <const char *>cnp.PyArray_DATA(row)
    if tiled == NULL:
        raise MemoryError()
    pos = 0
    while pos < total:
        n = rlen if total - pos > rlen else total - pos
        memcpy(tiled + pos * csz, src, n * csz)
        pos += n
    return tiled


cdef int _run_planned(cnp.ndarray code, int ninstr, int nreg, list inputs, list outputs,
                      int ct, const int *shapes, cyt_intp rlen) except -1:
    """Run as a VMPlan over (size,) or, with row or column inputs, (size / rlen, rlen)."""
    cdef int nin = len(inputs), k, rc = 0
    cdef VMPlan plan
    plan_alloc(&plan, nin + len(outputs))
    for k in range(nin):
        plan.kind[k] = KIND_DIRECT          # (no tiled row to free yet)
    try:
        _fill_plan(&plan, code, ninstr, nreg, inputs, outputs, ct, shapes, rlen)
        with nogil:
            rc = run_plan(&plan)
    finally:
        for k in range(nin):
            if plan.kind[k] == KIND_PERIODIC:
                free(plan.data[k])
        plan_free(&plan)
    if rc != 0:
        raise MemoryError("cytensor elemwise: out of memory for block buffers")
    return 0


cdef int _fill_plan(VMPlan *p, cnp.ndarray code, int ninstr, int nreg, list inputs,
                    list outputs, int ct, const int *shapes, cyt_intp rlen) except -1:
    """The plan's operands and space (a row input: its tiled copy, which the
    caller frees)."""
    cdef int nin = len(inputs), nops = len(inputs) + len(outputs), k
    cdef int csz = cyt_dt_size[ct]
    cdef cyt_intp size = cnp.PyArray_SIZE(<cnp.ndarray>outputs[0])
    cdef cyt_intp *st
    for k in range(nops):
        p.data[k] = <char *>cnp.PyArray_DATA(
            <cnp.ndarray>(inputs[k] if k < nin else outputs[k - nin]))
        p.dtype[k] = ct
        st = p.strides + k * CYT_MAXDIMS
        if k < nin and shapes[k] == IN_SCALAR:
            p.kind[k] = KIND_SCALAR
            st[0] = st[1] = 0
        elif k < nin and shapes[k] == IN_ROW:
            p.data[k] = _tiled_row(<cnp.ndarray>inputs[k], rlen, csz)
            p.kind[k] = KIND_PERIODIC
            st[0] = rlen
            st[1] = 0
        elif k < nin and shapes[k] == IN_COL:
            p.kind[k] = KIND_GENERAL      # walked as (size / rlen, rlen), stride 0 along rows
            st[0] = csz
            st[1] = 0
        else:
            p.kind[k] = KIND_DIRECT
            st[0] = (rlen if rlen else 1) * csz
            st[1] = csz
    p.nd = 2 if rlen else 1
    p.shape[0] = size // rlen if rlen else size
    p.shape[1] = rlen
    p.size = size
    p.nin = nin
    p.nout = len(outputs)
    p.nreg = nreg
    p.compute = ct
    p.itemsize = csz
    p.ninstr = ninstr
    p.code = <const int32_t *>cnp.PyArray_DATA(code)
    return 0


cdef list _run_checked(cnp.ndarray code, int ninstr, int n_registers, list inputs,
                       list outputs, int ct):
    """elemwise_contiguous for a program already checked for compute dtype ct."""
    cdef int shapes[MAX_OPERANDS]
    cdef cnp.ndarray o0 = <cnp.ndarray>outputs[0]
    cdef cyt_intp size, rlen
    if code_of(o0) != ct:
        return None
    rlen = _classify_operands(inputs, outputs, ct, shapes)
    if rlen < 0:
        return None
    size = cnp.PyArray_SIZE(o0)
    if size == 0:
        return outputs
    if size <= SMALL_MAX and n_registers <= MAX_OPERANDS:
        _run_small(code, ninstr, n_registers, inputs, outputs, ct, shapes, rlen)
    elif rlen and _columns_overlap_outputs(inputs, outputs, shapes, cyt_dt_size[ct]):
        return None
    else:
        _run_planned(code, ninstr, n_registers, inputs, outputs, ct, shapes, rlen)
    return outputs


cpdef list elemwise_contiguous(cnp.ndarray code, int n_registers, list inputs, list outputs):
    """Hot path: every output and every full-size input is a C-contiguous, aligned,
    native array of the same shape and the same dtype (float32, float64, int64 or
    uint64: the compute dtype); an input may instead hold ONE element (0-d, or any
    shape of size 1 and no more dimensions than the outputs) of that dtype: it is
    broadcast as a scalar; or it may be a ROW: C-contiguous, its trailing axes equal
    to the outputs' and its leading axes of length 1 (or absent), like (1, n) or (n,)
    for (m, n) outputs: it is repeated over the leading axes (all rows have one
    length); or a COLUMN: C-contiguous, the outputs' leading axes then axes of length
    1, like (m, 1) for (m, n) outputs: each element is repeated along its row (a
    column's rows and the rows have one length).  Outputs are preallocated
    and must not overlap the inputs.  Returns None, having computed nothing,
    when the operands do not fit these conditions
    (the caller then runs ``elemwise``); raises ValueError for an invalid program."""
    cdef int nin = len(inputs), nout = len(outputs), ct
    if nout < 1:
        raise ValueError("at least one output is needed")
    if nin > MAX_OPERANDS:
        raise ValueError("elemwise_contiguous: too many inputs")
    ct = code_of(<cnp.ndarray?>outputs[0])
    if ct != CYT_F64 and ct != CYT_F32 and ct != CYT_I64 and ct != CYT_U64:
        return None
    return _run_checked(code, check_code(code, nin, nout, n_registers, ct), n_registers,
                        inputs, outputs, ct)


cdef class ContiguousThunk:
    """The thunk of an elementwise node with one output whose operands'
    types fit the contiguous path (tensor/elemwise.py decides that, once):
    reads the input cells, takes the output (the previous one when its
    shape still fits, or the overwritten input) and runs elemwise_contiguous's
    kernel, the program checked once, here.  When the arrays of a call do
    not fit (strided, broadcasting at run time, read-only), it computes
    nothing and calls ``general``, the node's general kernel.

    A class rather than a Python closure: the per-call work is a few C
    checks, so a node on ten elements costs little more than its kernel."""
    cdef cnp.ndarray code
    cdef int ninstr, n_registers, ct, typenum, full, inplace
    cdef list input_cells, out_cell
    cdef object general
    cdef public object node             # the linker's label (errors, profiles)

    def __init__(self, cnp.ndarray code, int n_registers, list input_cells, list out_cell,
                 compute, int full, inplace, general):
        """full: an input of the output's shape; inplace: the input the
        output overwrites (None: a new or the previous output)."""
        self.ct = dtype_code(compute)
        if self.ct != CYT_F64 and self.ct != CYT_F32 and self.ct != CYT_I64 \
                and self.ct != CYT_U64:
            raise ValueError(f"ContiguousThunk: compute dtype {compute} has no contiguous path")
        if len(input_cells) > MAX_OPERANDS:
            raise ValueError("ContiguousThunk: too many inputs")
        self.ninstr = check_code(code, len(input_cells), 1, n_registers, self.ct)
        self.code, self.n_registers = code, n_registers
        self.typenum = np.dtype(compute).num
        self.input_cells, self.out_cell = input_cells, out_cell
        self.full = full
        self.inplace = -1 if inplace is None else inplace
        self.general = general

    def __call__(self):
        cdef Py_ssize_t k, n = len(self.input_cells)
        cdef list inputs = [None] * n
        cdef object x, out
        cdef cnp.ndarray full
        for k in range(n):
            x = (<list>self.input_cells[k])[0]
            if type(x) is not cnp.ndarray:
                return self.general()
            inputs[k] = x
        if self.inplace >= 0:
            out = inputs[self.inplace]
        else:
            full = <cnp.ndarray>inputs[self.full]
            out = self.out_cell[0]
            if type(out) is not cnp.ndarray or not _same_shape(<cnp.ndarray>out, full):
                out = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(full), cnp.PyArray_DIMS(full),
                                        self.typenum, 0)
        if _run_checked(self.code, self.ninstr, self.n_registers, inputs, [out],
                        self.ct) is None:
            return self.general()      # strided, broadcasting or read-only operands
        self.out_cell[0] = out


cdef bint _same_shape(cnp.ndarray a, cnp.ndarray b):
    cdef int d
    if cnp.PyArray_NDIM(a) != cnp.PyArray_NDIM(b):
        return False
    for d in range(cnp.PyArray_NDIM(a)):
        if cnp.PyArray_DIM(a, d) != cnp.PyArray_DIM(b, d):
            return False
    return True
