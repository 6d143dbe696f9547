# cython: language_level=3, boundscheck=True, wraparound=True, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Reductions over (outer, reduced, inner) strided views.

Row mode (reduced axis contiguous, or no inner axis): one task per output
element, each a vectorised row reduction (pairwise sums for floats); few long
rows are split into chunks over threads and the partial results combined.
Column mode (inner axis contiguous, e.g. sum over axis 0 of a C matrix):
rows are accumulated into a vector of column accumulators, tiles of columns
spread over threads.  Typed loops live in red_ops.h.
"""
# (bounds/wraparound checks stay on here: this module is Python-level glue
#  around the C loops in red_ops.h, and indexes Python sequences.  The glue
#  builds tuples from list comprehensions, which Cython inlines, not from
#  generator expressions, each a generator object per call.)
import numpy as np
cimport numpy as cnp
from libc.stdlib cimport malloc, free
from libc.stdint cimport int64_t
from cython.parallel cimport prange

cnp.import_array()

cdef extern from "red_ops.h" nogil:
    ctypedef Py_ssize_t cyt_intp
    cyt_intp cyt_dynamic_chunk(cyt_intp ntask, int nt)
    enum:
        CYT_BOOL, CYT_I8, CYT_I16, CYT_I32, CYT_I64, CYT_U8, CYT_U16, CYT_U32, CYT_U64
        CYT_F32, CYT_F64
    enum:
        CYT_RED_SUM, CYT_RED_PROD, CYT_RED_MAX, CYT_RED_MIN, CYT_RED_ALL, CYT_RED_ANY
        CYT_RED_ARGMAX, CYT_RED_ARGMIN
    const int *cyt_dt_size
    void cyt_red_row(int op, int tk, const char *x, cyt_intp n, cyt_intp s, void *res)
    void cyt_red_cols(int op, int tk, const char *x, cyt_intp nr, cyt_intp sr, cyt_intp ni,
                      cyt_intp si, void *acc, void *aux)
    void cyt_convert(const char *src, cyt_intp ss, int st, char *dst, cyt_intp ds, int dt,
                     cyt_intp n)

from cytensor.kernels._common cimport CYT_MAXDIMS
from cytensor.kernels._threads cimport threads_for, WORK_REDUCE
from cytensor.kernels._threads import _set_min_work
from cytensor.kernels._plan import DTYPES
from cytensor.kernels._plan import dtype_code as _dtype_code

REDUCE_OPS = {'sum': CYT_RED_SUM, 'prod': CYT_RED_PROD, 'max': CYT_RED_MAX,
              'min': CYT_RED_MIN, 'all': CYT_RED_ALL, 'any': CYT_RED_ANY,
              'argmax': CYT_RED_ARGMAX, 'argmin': CYT_RED_ARGMIN}
_NP_NAMES = {CYT_RED_MAX: 'maximum', CYT_RED_MIN: 'minimum'}
# what sum/prod can accumulate in (acc_dtype): the natural accumulators, and
# float32 for float32 sums that should stay float32
ACC_DTYPES = ('float32', 'float64', 'int64', 'uint64')

# kernel index past the dtype codes: float32 input with a float32 accumulator
# (red_ops.h), used as tc when acc_dtype asks for float32 sums of float32
cdef enum:
    TC_F32_ACC_F32 = 11



def _set_tuning(par_min=None):
    """Testing/tuning hook: the parallel threshold of reductions (the
    threads module's "reduce" kind of work); returns it."""
    return _set_min_work(reduce=par_min)["reduce"]


# natural accumulator dtype code (sum/prod) per input dtype code
cdef int _acc_code(int tc):
    if tc == CYT_F32 or tc == CYT_F64:
        return CYT_F64
    if tc >= CYT_U8 and tc <= CYT_U64:
        return CYT_U64
    return CYT_I64


def _sum_dtype(dt):
    """NumPy's np.sum result dtype for input dtype dt"""
    d = np.dtype(dt)
    if d.kind == 'f':
        return d
    if d.kind == 'u':
        return np.dtype(np.uint64)
    return np.dtype(np.int64)


cdef object _merge(tuple shape, tuple strides, int lo, int hi):
    """Merge axes [lo, hi) into one (n, stride); None if the strides do not chain.
    Size-1 axes are ignored."""
    cdef cyt_intp n = 1, st = 0, prev_n = 0, prev_s = 0
    cdef int d
    cdef bint first = True
    for d in range(lo, hi):
        if shape[d] == 1:
            continue
        if first:
            n = shape[d]
            st = strides[d]
            first = False
        else:
            if st != strides[d] * shape[d]:
                return None
            n *= shape[d]
            st = strides[d]
    return (n, st)


# ---------------------------------------------------------------- entry point
def reduce(op, x, axes, keepdims=False, out=None, acc_dtype=None, out_dtype=None):
    """See cytensor.kernels.reduce."""
    try:
        opc = REDUCE_OPS[op]
    except (KeyError, TypeError):
        raise ValueError(f"unknown reduction {op!r}; expected one of {sorted(REDUCE_OPS)}")
    x = _native_input(x)
    nd = x.ndim
    is_arg = opc == CYT_RED_ARGMAX or opc == CYT_RED_ARGMIN
    axes, axis_none = _checked_axes(axes, nd)
    if keepdims:
        final_shape = tuple([1 if d in axes else x.shape[d] for d in range(nd)])
    else:
        final_shape = tuple([x.shape[d] for d in range(nd) if d not in axes])
    res_dtype = _result_dtype(opc, op, x.dtype, out_dtype, axes, axis_none, nd)
    _check_acc_dtype(opc, op, acc_dtype)
    _check_out(out, final_shape)
    res = _reduce(opc, op, x, axes, is_arg, axis_none, acc_dtype, res_dtype)
    res = res.reshape(final_shape)
    if out is not None:
        np.copyto(out, res, casting='unsafe')
        return out
    return res


cdef object _native_input(x):
    """``x`` as an array the kernels read: a supported dtype (float16 computed
    as float32), native byte order, aligned."""
    x = np.asarray(x)
    if x.dtype.kind not in 'biuf' or x.dtype.itemsize < 1:
        raise TypeError(f"reduce: unsupported dtype {x.dtype}")
    if x.dtype.kind == 'f' and x.dtype.itemsize == 2:
        x = x.astype(np.float32)
    if not x.dtype.isnative or not x.flags.aligned:
        x = np.array(x, dtype=x.dtype.newbyteorder('='), order='C')   # keeps 0-d shape
    return x


cdef tuple _checked_axes(axes, int nd):
    """(the reduced axes, sorted and unique; whether axes was None)."""
    if axes is None:
        return tuple(range(nd)), True
    if isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    axes = tuple(sorted({int(a) for a in axes}))
    for a in axes:
        if a < 0 or a >= nd:
            raise ValueError(f"axis {a} is out of bounds for array of dimension {nd}")
    return axes, False


cdef object _result_dtype(int opc, op, in_dtype, out_dtype, tuple axes, bint axis_none, int nd):
    """The result's dtype: out_dtype if given, else NumPy's for the reduction."""
    if opc == CYT_RED_ARGMAX or opc == CYT_RED_ARGMIN:
        res_dtype = np.dtype(np.int64)
        if not axis_none and len(axes) != 1 and nd > 0:
            raise ValueError(f"{op} takes exactly one axis or None, got {axes}")
    elif opc == CYT_RED_SUM or opc == CYT_RED_PROD:
        res_dtype = np.dtype(out_dtype) if out_dtype is not None else _sum_dtype(in_dtype)
    elif opc == CYT_RED_MAX or opc == CYT_RED_MIN:
        res_dtype = np.dtype(out_dtype) if out_dtype is not None else in_dtype
    else:
        res_dtype = np.dtype(out_dtype) if out_dtype is not None else np.dtype(np.bool_)
    _dtype_code(res_dtype)          # a dtype the kernels can write, else TypeError
    return res_dtype


cdef _check_acc_dtype(int opc, op, acc_dtype):
    if acc_dtype is not None and opc != CYT_RED_SUM and opc != CYT_RED_PROD:
        raise ValueError(f"reduce: {op} does not accumulate; acc_dtype is for sum and prod")
    if acc_dtype is not None and np.dtype(acc_dtype).name not in ACC_DTYPES:
        raise ValueError(f"reduce: acc_dtype {np.dtype(acc_dtype).name} is not one of the "
                         f"accumulators {ACC_DTYPES}")


cdef _check_out(out, tuple final_shape):
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a numpy array")
    if out.shape != final_shape:
        raise ValueError(f"out has shape {out.shape}, expected {final_shape}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")


# ------------------------------------------------- from axes to one strided view
cdef object _reduce(int opc, op, x, tuple axes, bint is_arg, bint axis_none, acc_dtype,
                    res_dtype):
    """Returns an array of the kept dims (keepdims=False shape) of dtype res_dtype.

    The steps: results over no elements; size-1 axes dropped; the input
    converted to a requested accumulator; then the reduced axes as runs
    whose strides chain into one axis: one run goes to the kernels as an
    (outer, reduced, inner) view, several are reduced one after another."""
    cdef int nd = x.ndim
    kept_shape = tuple([x.shape[d] for d in range(nd) if d not in axes])
    if is_arg and axis_none:
        x = np.ravel(x)           # C order, a view when possible
        axes = (0,)
        kept_shape = ()
    empty = _result_over_no_elements(opc, op, x, axes, kept_shape, res_dtype)
    if empty is not None:
        return empty
    x, axes = _without_length_one_axes(x, axes)
    # an accumulator other than the natural one: convert the input to it
    # (before the shortcut below, so a one-term sum rounds through it too)
    tc = _dtype_code(x.dtype)
    if (opc == CYT_RED_SUM or opc == CYT_RED_PROD) and acc_dtype is not None:
        ad = np.dtype(acc_dtype)
        if DTYPES[_acc_code(tc)] != ad:
            x = x.astype(ad, copy=False)
            tc = TC_F32_ACC_F32 if ad == np.float32 else _dtype_code(ad)
    if len(axes) == 0:
        # nothing left to reduce (all reduced axes had size 1)
        if is_arg:
            return np.zeros(kept_shape, dtype=np.int64)
        if opc == CYT_RED_ALL or opc == CYT_RED_ANY:
            return (x != 0).astype(res_dtype).reshape(kept_shape)
        return np.asarray(x).astype(res_dtype).reshape(kept_shape)
    runs = _chained_runs(x.shape, x.strides, axes)
    if len(runs) > 1:
        if is_arg:
            x = np.ascontiguousarray(x)
            return _reduce(opc, op, x, axes, is_arg, False, acc_dtype, res_dtype)
        return _reduce_runs_one_by_one(opc, op, x, axes, runs[-1], tc, kept_shape, res_dtype)
    return _reduce_one_run(opc, op, x, axes, runs[0], tc, is_arg, acc_dtype, kept_shape,
                           res_dtype)


cdef object _result_over_no_elements(int opc, op, x, tuple axes, tuple kept_shape, res_dtype):
    """The result when there are no results or no terms (the reduction's
    identity, or NumPy's error for those without one); None otherwise."""
    red = 1
    for a in axes:
        red *= x.shape[a]
    nkept = 1
    for v in kept_shape:
        nkept *= v
    if nkept == 0:
        return np.empty(kept_shape, dtype=res_dtype)
    if red != 0:
        return None
    if opc == CYT_RED_SUM or opc == CYT_RED_ANY:
        return np.zeros(kept_shape, dtype=res_dtype)
    if opc == CYT_RED_PROD or opc == CYT_RED_ALL:
        return np.ones(kept_shape, dtype=res_dtype)
    if opc == CYT_RED_ARGMAX or opc == CYT_RED_ARGMIN:
        raise ValueError(f"attempt to get {op} of an empty sequence")
    raise ValueError(f"zero-size array to reduction operation {_NP_NAMES[opc]} "
                     "which has no identity")


cdef tuple _without_length_one_axes(x, tuple axes):
    """(x with its size-1 axes squeezed out, always a view; the reduced axes renumbered)."""
    cdef int nd = x.ndim
    keep_axes = [d for d in range(nd) if x.shape[d] != 1]
    if len(keep_axes) == nd:
        return x, axes
    new_axes = tuple([i for i, d in enumerate(keep_axes) if d in axes])
    return np.squeeze(x, axis=tuple([d for d in range(nd) if x.shape[d] == 1])), new_axes


cdef list _chained_runs(tuple shape, tuple strides, tuple axes):
    """The reduced axes as runs [start, stop) of neighbours whose strides chain
    (each run is one strided axis to the kernels)."""
    runs = []
    for a in axes:
        if runs and runs[-1][1] == a and _merge(shape, strides, runs[-1][0], a + 1) is not None:
            runs[-1][1] = a + 1
        else:
            runs.append([a, a + 1])
    return runs


cdef object _reduce_runs_one_by_one(int opc, op, x, tuple axes, list last_run, int tc,
                                    tuple kept_shape, res_dtype):
    """Reduce the last run first (keeping its axes, in the accumulator's
    dtype), then the other runs of the result."""
    r0, r1 = last_run
    shape = x.shape
    if opc == CYT_RED_SUM or opc == CYT_RED_PROD:
        mid_dtype = np.dtype(np.float32) if tc == TC_F32_ACC_F32 else DTYPES[_acc_code(tc)]
    elif opc == CYT_RED_ALL or opc == CYT_RED_ANY:
        mid_dtype = np.dtype(np.bool_)
    else:
        mid_dtype = x.dtype
    mid_acc = 'float32' if tc == TC_F32_ACC_F32 else None
    mid = _reduce(opc, op, x, tuple(range(r0, r1)), False, False, mid_acc, mid_dtype)
    mid = mid.reshape(shape[:r0] + (1,) * (r1 - r0) + shape[r1:])
    rest = tuple([a for a in axes if a < r0])
    return _reduce(opc, op, mid, rest, False, False, mid_acc, res_dtype).reshape(kept_shape)


cdef object _reduce_one_run(int opc, op, x, tuple axes, list run, int tc, bint is_arg,
                            acc_dtype, tuple kept_shape, res_dtype):
    """The kernels over (outer, reduced, inner): the axes before the run,
    the run, the axes after it, each merged into one strided axis (a
    C-contiguous copy first when they do not merge)."""
    r0, r1 = run
    shape, strides = x.shape, x.strides
    g_out = _merge(shape, strides, 0, r0)
    g_red = _merge(shape, strides, r0, r1)
    g_in = _merge(shape, strides, r1, x.ndim)
    if g_out is None or g_red is None or g_in is None:
        x = np.ascontiguousarray(x)
        return _reduce(opc, op, x, axes, is_arg, False, acc_dtype, res_dtype)
    res = np.empty((g_out[0], g_in[0]), dtype=res_dtype)
    _run(opc, tc, x, g_out[0], g_out[1], g_red[0], g_red[1], g_in[0], g_in[1], res)
    return res.reshape(kept_shape)


cdef int _res_code(int opc, int tc):
    """dtype code of the values the kernels produce"""
    if opc == CYT_RED_SUM or opc == CYT_RED_PROD:
        return CYT_F32 if tc == TC_F32_ACC_F32 else _acc_code(tc)
    if opc == CYT_RED_MAX or opc == CYT_RED_MIN:
        return tc
    if opc == CYT_RED_ALL or opc == CYT_RED_ANY:
        return CYT_BOOL
    return CYT_I64


cdef int _combine_code(int opc, int tc, int rc) noexcept:
    """kernel index that combines the partial results (dtype code rc) of chunks"""
    if opc == CYT_RED_ALL or opc == CYT_RED_ANY:
        return CYT_BOOL
    if tc == TC_F32_ACC_F32:
        return TC_F32_ACC_F32
    return rc if (opc == CYT_RED_SUM or opc == CYT_RED_PROD) else tc


# ------------------------------------------------------------ the four loops
# A reduction of an (outer, reduced, inner) view:
#     out[o, i] = reduce over j of x[o * outer_stride + j * reduced_stride + i * inner_stride]
# runs one of four loops, chosen by _run:
#   row mode (the reduced axis contiguous, or no inner axis): one row
#   reduction per output element (_rows), or, for a few long rows, chunks of
#   rows over threads whose partial results are combined (_rows_in_chunks);
#   column mode (the inner axis contiguous): rows of x are added into a
#   vector of column accumulators, over tiles of columns (_columns_in_tiles),
#   or, for a few outer slices, over chunks of rows with one accumulator
#   vector per chunk, combined at the end (_columns_in_chunks).

cdef struct ReduceView:
    int op                      # CYT_RED_*
    int kernel                  # typed kernel index: the input's dtype code, or TC_F32_ACC_F32
    int value_code              # dtype code of the kernels' results (accumulator or bool/int64)
    int value_size              # its bytes
    int out_code                # dtype code of the output array
    int out_size                # its bytes
    char *x                     # the input's first element
    char *out                   # the output, n_outer * n_inner elements, C order
    cyt_intp n_outer, outer_stride, n_reduced, reduced_stride, n_inner, inner_stride
    int threads                 # the threads module's count for this much work (1: serial)


cdef enum:
    ACC_BYTES = 8               # an accumulator slot holds the widest value (int64, float64)
    CHUNK_ALIGN = 16            # chunk lengths are multiples of it (the kernels' vector blocks)
    ROW_MODE_MAX_INNER = 8      # fewer inner elements than this: row mode even when strided
    LONG_ROW = 8192             # rows at least this long may be split into chunks
    ROW_CHUNKS_PER_THREAD = 4
    COLUMN_CHUNKS_PER_THREAD = 8
    COLUMN_CHUNKS_MAX_INNER = 65536   # widest inner axis given per-chunk accumulators
    TILE_MAX = 2048             # the widest tile of column accumulators


cdef inline cyt_intp _chunk_length(cyt_intp n, cyt_intp chunks, cyt_intp align) noexcept nogil:
    """The length of the pieces that split n into about ``chunks`` (rounded up
    to a multiple of ``align``); the last piece may be shorter."""
    cdef cyt_intp length = (n + chunks - 1) // chunks
    return (length + align - 1) // align * align


cdef int _run(int opc, int tc, cnp.ndarray x, cyt_intp no, cyt_intp so, cyt_intp nr,
              cyt_intp sr, cyt_intp ni, cyt_intp si, cnp.ndarray res) except -1:
    """Reduce the (outer, reduced, inner) view of x into res, choosing the loop."""
    cdef ReduceView v
    cdef int item_size = cyt_dt_size[CYT_F32 if tc == TC_F32_ACC_F32 else tc]
    cdef bint is_arg = opc == CYT_RED_ARGMAX or opc == CYT_RED_ARGMIN
    v.op, v.kernel = opc, tc
    v.value_code = _res_code(opc, tc)
    v.value_size = cyt_dt_size[v.value_code]
    v.out_code = _dtype_code(res.dtype)
    v.out_size = cyt_dt_size[v.out_code]
    v.x = <char *>cnp.PyArray_DATA(x)
    v.out = <char *>cnp.PyArray_DATA(res)
    v.n_outer, v.outer_stride, v.n_reduced, v.reduced_stride = no, so, nr, sr
    v.n_inner, v.inner_stride = ni, si
    v.threads = threads_for(WORK_REDUCE, no * nr * ni)
    if ni == 1 or (si != item_size and (sr == item_size or sr == -item_size
                                        or ni < ROW_MODE_MAX_INNER)):
        return _row_mode(&v, is_arg)
    if v.threads > 1 and no < v.threads and nr >= 4 * v.threads \
            and ni <= COLUMN_CHUNKS_MAX_INNER and not is_arg:
        return _columns_in_chunks(&v)
    return _columns_in_tiles(&v)


cdef int _row_mode(ReduceView *v, bint is_arg) except -1:
    """One result per row into an accumulator array, then converted to the output."""
    cdef cyt_intp ntask = v.n_outer * v.n_inner
    cdef char *acc = <char *>malloc(ntask * ACC_BYTES + ACC_BYTES)
    if acc == NULL:
        raise MemoryError()
    try:
        if v.threads > 1 and ntask < 2 * v.threads and not is_arg and v.n_reduced >= LONG_ROW:
            _rows_in_chunks(v, acc, ntask)
        else:
            _rows(v, acc, ntask)
        cyt_convert(acc, v.value_size, v.value_code, v.out, v.out_size, v.out_code, ntask)
    finally:
        free(acc)
    return 0


cdef int _rows(ReduceView *v, char *acc, cyt_intp ntask) except -1:
    """Each row reduced whole: over threads (dynamic chunks) when there are several."""
    cdef int opc = v.op, tc = v.kernel, nt = v.threads, rsz = v.value_size
    cdef char *xp = v.x
    cdef cyt_intp so = v.outer_stride, nr = v.n_reduced, sr = v.reduced_stride
    cdef cyt_intp ni = v.n_inner, si = v.inner_stride
    cdef cyt_intp t, chunk
    if nt > 1 and ntask >= 2:
        chunk = cyt_dynamic_chunk(ntask, nt)
        with nogil:
            for t in prange(ntask, num_threads=nt, schedule='dynamic', chunksize=chunk):
                cyt_red_row(opc, tc, xp + (t // ni) * so + (t % ni) * si, nr, sr,
                            acc + t * rsz)
    else:
        with nogil:
            for t in range(ntask):
                cyt_red_row(opc, tc, xp + (t // ni) * so + (t % ni) * si, nr, sr,
                            acc + t * rsz)
    return 0


cdef int _rows_in_chunks(ReduceView *v, char *acc, cyt_intp ntask) except -1:
    """Few long rows: each split into chunks reduced over threads, then the
    chunks' partial results of each row combined."""
    cdef int opc = v.op, tc = v.kernel, nt = v.threads, rsz = v.value_size
    cdef int ctk = _combine_code(opc, tc, v.value_code)
    cdef char *xp = v.x
    cdef cyt_intp so = v.outer_stride, nr = v.n_reduced, sr = v.reduced_stride
    cdef cyt_intp ni = v.n_inner, si = v.inner_stride
    cdef cyt_intp t, c0, c1
    cdef cyt_intp clen = _chunk_length(nr, ROW_CHUNKS_PER_THREAD * nt, CHUNK_ALIGN)
    cdef cyt_intp nchunk = (nr + clen - 1) // clen
    cdef char *part = <char *>malloc(ntask * nchunk * ACC_BYTES + ACC_BYTES)
    if part == NULL:
        raise MemoryError()
    with nogil:
        for t in prange(ntask * nchunk, num_threads=nt, schedule='static'):
            c0 = (t % nchunk) * clen
            c1 = c0 + clen
            if c1 > nr:
                c1 = nr
            cyt_red_row(opc, tc,
                        xp + ((t // nchunk) // ni) * so + ((t // nchunk) % ni) * si
                        + c0 * sr, c1 - c0, sr, part + t * rsz)
        for t in range(ntask):
            cyt_red_row(opc, ctk, part + t * nchunk * rsz, nchunk, rsz, acc + t * rsz)
    free(part)
    return 0


cdef int _columns_in_chunks(ReduceView *v) except -1:
    """Few outer slices: the reduced rows split into chunks (each thread
    streams contiguous rows into its own full-width accumulator), then the
    partial accumulators combined by a column reduction of them."""
    cdef int opc = v.op, tc = v.kernel, nt = v.threads, rsz = v.value_size
    cdef int rc = v.value_code, oc = v.out_code, osz = v.out_size
    cdef int ctk = _combine_code(opc, tc, rc)
    cdef char *xp = v.x
    cdef char *op = v.out
    cdef cyt_intp no = v.n_outer, so = v.outer_stride, nr = v.n_reduced
    cdef cyt_intp sr = v.reduced_stride, ni = v.n_inner, si = v.inner_stride
    cdef cyt_intp t, o, c0, c1
    cdef cyt_intp clen = _chunk_length(nr, COLUMN_CHUNKS_PER_THREAD * nt, 1)
    cdef cyt_intp nchunk = (nr + clen - 1) // clen
    cdef char *part = <char *>malloc(no * nchunk * ni * rsz + 2 * ACC_BYTES)
    cdef char *acc = <char *>malloc(ni * 2 * ACC_BYTES + 2 * ACC_BYTES)
    if part == NULL or acc == NULL:
        free(part)
        free(acc)
        raise MemoryError()
    with nogil:
        for t in prange(no * nchunk, num_threads=nt, schedule='dynamic'):
            c0 = (t % nchunk) * clen
            c1 = c0 + clen
            if c1 > nr:
                c1 = nr
            cyt_red_cols(opc, tc, xp + (t // nchunk) * so + c0 * sr, c1 - c0, sr, ni, si,
                         part + t * ni * rsz, NULL)
        for o in range(no):
            cyt_red_cols(opc, ctk, part + o * nchunk * ni * rsz, nchunk, ni * rsz, ni, rsz,
                         acc, NULL)
            cyt_convert(acc, rsz, rc, op + o * ni * osz, osz, oc, ni)
    free(part)
    free(acc)
    return 0


cdef inline int _tile(ReduceView *v, cyt_intp t, cyt_intp ntiles, cyt_intp tw,
                      char *buf) noexcept nogil:
    """Task t of _columns_in_tiles: tile t % ntiles of outer slice t // ntiles,
    accumulated in buf (tw accumulators, then tw aux slots for argmax/argmin)."""
    cdef cyt_intp o = t // ntiles
    cdef cyt_intp j = (t % ntiles) * tw
    cdef cyt_intp w = v.n_inner - j
    if w > tw:
        w = tw
    cyt_red_cols(v.op, v.kernel, v.x + o * v.outer_stride + j * v.inner_stride, v.n_reduced,
                 v.reduced_stride, w, v.inner_stride, buf, buf + tw * ACC_BYTES)
    cyt_convert(buf, v.value_size, v.value_code, v.out + (o * v.n_inner + j) * v.out_size,
                v.out_size, v.out_code, w)
    return 0


cdef int _columns_in_tiles(ReduceView *v) except -1:
    """Rows added into tiles of column accumulators, one task per (outer
    slice, tile); over threads when there are several."""
    cdef int nt = v.threads
    cdef cyt_intp ni = v.n_inner
    cdef cyt_intp tw, ntiles, ntask, t
    cdef char *buf
    cdef int nerr = 0
    if nt > 1:
        tw = _chunk_length(ni, nt, CHUNK_ALIGN)
        if tw > TILE_MAX:
            tw = TILE_MAX
    else:
        tw = TILE_MAX if ni > TILE_MAX else ni
    ntiles = (ni + tw - 1) // tw
    ntask = v.n_outer * ntiles
    with nogil:
        if nt > 1 and ntask >= 2:
            for t in prange(ntask, num_threads=nt, schedule='static'):
                buf = <char *>malloc(tw * 2 * ACC_BYTES + 2 * ACC_BYTES)
                if buf != NULL:
                    _tile(v, t, ntiles, tw, buf)
                    free(buf)
                else:
                    nerr += 1
        else:
            buf = <char *>malloc(tw * 2 * ACC_BYTES + 2 * ACC_BYTES)
            if buf != NULL:
                for t in range(ntask):
                    _tile(v, t, ntiles, tw, buf)
                free(buf)
            else:
                nerr = 1
    if nerr:
        raise MemoryError("cytensor reduce: out of memory")
    return 0


# ------------------------------------------------------------------ lean path
cpdef object reduce_c_contiguous(int opc, object x_, int r0, int r1, int out_typenum):
    """Lean path for the Reduce op: sum/prod/max/min/all/any of a C-contiguous,
    aligned, native float32/float64 array over its axes [r0, r1) (keepdims=False),
    the result of numpy type number ``out_typenum``.  Same kernels and results
    as ``reduce``; returns None when a precondition does not hold (empty
    arrays, other dtypes or layouts, bad axes, argmax/argmin or an unknown op)
    so the caller takes ``reduce``."""
    cdef cnp.ndarray x, res
    cdef int nd, d, tn, k
    cdef cyt_intp no = 1, nr = 1, ni = 1, isz
    cdef cnp.npy_intp dims[CYT_MAXDIMS]
    if type(x_) is not np.ndarray or opc < CYT_RED_SUM or opc > CYT_RED_ANY:
        return None
    x = <cnp.ndarray>x_
    nd = cnp.PyArray_NDIM(x)
    tn = cnp.PyArray_TYPE(x)
    if (tn != cnp.NPY_FLOAT32 and tn != cnp.NPY_FLOAT64) or r0 < 0 or r1 <= r0 or r1 > nd \
            or nd > CYT_MAXDIMS or not cnp.PyArray_IS_C_CONTIGUOUS(x) or not cnp.PyArray_ISALIGNED(x) \
            or cnp.PyArray_ISBYTESWAPPED(x):
        return None
    if out_typenum != cnp.NPY_FLOAT32 and out_typenum != cnp.NPY_FLOAT64 \
            and not (out_typenum == cnp.NPY_BOOL and (opc == CYT_RED_ALL or opc == CYT_RED_ANY)):
        return None
    k = 0
    for d in range(nd):
        if d < r0:
            no *= cnp.PyArray_DIM(x, d)
        elif d < r1:
            nr *= cnp.PyArray_DIM(x, d)
            continue
        else:
            ni *= cnp.PyArray_DIM(x, d)
        dims[k] = cnp.PyArray_DIM(x, d)
        k += 1
    if no * ni == 0 or nr == 0:
        return None
    res = cnp.PyArray_EMPTY(k, dims, out_typenum, 0)
    isz = cnp.PyArray_ITEMSIZE(x)
    _run(opc, CYT_F32 if tn == cnp.NPY_FLOAT32 else CYT_F64, x, no, nr * ni * isz, nr,
         ni * isz, ni, isz, res)
    return res
