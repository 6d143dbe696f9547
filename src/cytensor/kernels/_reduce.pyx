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
#  around the C loops in red_ops.h, and indexes Python sequences.)
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


def reduce(op, x, axes, keepdims=False, out=None, acc_dtype=None, out_dtype=None):
    """See cytensor.kernels.reduce."""
    try:
        opc = REDUCE_OPS[op]
    except (KeyError, TypeError):
        raise ValueError(f"unknown reduction {op!r}; expected one of {sorted(REDUCE_OPS)}")
    x = np.asarray(x)
    if x.dtype.kind not in 'biuf' or x.dtype.itemsize < 1:
        raise TypeError(f"reduce: unsupported dtype {x.dtype}")
    if x.dtype.kind == 'f' and x.dtype.itemsize == 2:
        x = x.astype(np.float32)
    if not x.dtype.isnative or not x.flags.aligned:
        x = np.array(x, dtype=x.dtype.newbyteorder('='), order='C')   # keeps 0-d shape
    nd = x.ndim
    is_arg = opc == CYT_RED_ARGMAX or opc == CYT_RED_ARGMIN
    if axes is None:
        axes = tuple(range(nd))
        axis_none = True
    else:
        if isinstance(axes, (int, np.integer)):
            axes = (int(axes),)
        axes = tuple(sorted(set(int(a) for a in axes)))
        axis_none = False
        for a in axes:
            if a < 0 or a >= nd:
                raise ValueError(f"axis {a} is out of bounds for array of dimension {nd}")
    if keepdims:
        final_shape = tuple(1 if d in axes else x.shape[d] for d in range(nd))
    else:
        final_shape = tuple(x.shape[d] for d in range(nd) if d not in axes)
    # result dtype
    if is_arg:
        res_dtype = np.dtype(np.int64)
        if not axis_none and len(axes) != 1 and nd > 0:
            raise ValueError(f"{op} takes exactly one axis or None, got {axes}")
    elif opc == CYT_RED_SUM or opc == CYT_RED_PROD:
        res_dtype = np.dtype(out_dtype) if out_dtype is not None else _sum_dtype(x.dtype)
    elif opc == CYT_RED_MAX or opc == CYT_RED_MIN:
        res_dtype = np.dtype(out_dtype) if out_dtype is not None else x.dtype
    else:
        res_dtype = np.dtype(out_dtype) if out_dtype is not None else np.dtype(np.bool_)
    _dtype_code(res_dtype)
    if acc_dtype is not None and opc != CYT_RED_SUM and opc != CYT_RED_PROD:
        raise ValueError(f"reduce: {op} does not accumulate; acc_dtype is for sum and prod")
    if acc_dtype is not None and np.dtype(acc_dtype).name not in ACC_DTYPES:
        raise ValueError(f"reduce: acc_dtype {np.dtype(acc_dtype).name} is not one of the "
                         f"accumulators {ACC_DTYPES}")
    if out is not None:
        if not isinstance(out, np.ndarray):
            raise TypeError("out must be a numpy array")
        if out.shape != final_shape:
            raise ValueError(f"out has shape {out.shape}, expected {final_shape}")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
    res = _reduce(opc, op, x, axes, is_arg, axis_none, acc_dtype, res_dtype)
    res = res.reshape(final_shape)
    if out is not None:
        np.copyto(out, res, casting='unsafe')
        return out
    return res


cdef object _reduce(int opc, op, x, tuple axes, bint is_arg, bint axis_none, acc_dtype,
                    res_dtype):
    """Returns an array of the kept dims (keepdims=False shape) of dtype res_dtype."""
    cdef int nd = x.ndim
    kept_shape = tuple(x.shape[d] for d in range(nd) if d not in axes)
    if is_arg and axis_none:
        x = np.ravel(x)           # C order, a view when possible
        axes = (0,)
        nd = 1
        kept_shape = ()
    red = 1
    for a in axes:
        red *= x.shape[a]
    nkept = 1
    for v in kept_shape:
        nkept *= v
    if nkept == 0:
        return np.empty(kept_shape, dtype=res_dtype)
    if red == 0:
        if opc == CYT_RED_SUM or opc == CYT_RED_ANY:
            return np.zeros(kept_shape, dtype=res_dtype)
        if opc == CYT_RED_PROD or opc == CYT_RED_ALL:
            return np.ones(kept_shape, dtype=res_dtype)
        if is_arg:
            raise ValueError(f"attempt to get {op} of an empty sequence")
        raise ValueError(f"zero-size array to reduction operation {_NP_NAMES[opc]} "
                         "which has no identity")
    # drop size-1 axes (always a view)
    keep_axes = [d for d in range(nd) if x.shape[d] != 1]
    if len(keep_axes) != nd:
        new_axes = tuple(i for i, d in enumerate(keep_axes) if d in axes)
        x = np.squeeze(x, axis=tuple(d for d in range(nd) if x.shape[d] == 1))
        axes = new_axes
        nd = x.ndim
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
    # split reduced axes into runs whose strides chain
    shape = x.shape
    strides = x.strides
    runs = []
    for a in axes:
        if runs and runs[-1][1] == a and _merge(shape, strides, runs[-1][0], a + 1) is not None:
            runs[-1][1] = a + 1
        else:
            runs.append([a, a + 1])
    if len(runs) > 1:
        if is_arg:
            x = np.ascontiguousarray(x)
            return _reduce(opc, op, x, axes, is_arg, False, acc_dtype, res_dtype)
        # reduce the last run first (keeping dims), then the rest
        r0, r1 = runs[-1]
        if opc == CYT_RED_SUM or opc == CYT_RED_PROD:
            mid_dtype = np.dtype(np.float32) if tc == TC_F32_ACC_F32 else DTYPES[_acc_code(tc)]
        elif opc == CYT_RED_ALL or opc == CYT_RED_ANY:
            mid_dtype = np.dtype(np.bool_)
        else:
            mid_dtype = x.dtype
        mid = _reduce(opc, op, x, tuple(range(r0, r1)), False, False,
                      'float32' if tc == TC_F32_ACC_F32 else None, mid_dtype)
        mid = mid.reshape(shape[:r0] + (1,) * (r1 - r0) + shape[r1:])
        rest = tuple(a for a in axes if a < r0)
        return _reduce(opc, op, mid, rest, False, False, 'float32' if tc == TC_F32_ACC_F32 else None,
                       res_dtype).reshape(kept_shape)
    r0, r1 = runs[0]
    g_out = _merge(shape, strides, 0, r0)
    g_red = _merge(shape, strides, r0, r1)
    g_in = _merge(shape, strides, r1, nd)
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


cdef int _run(int opc, int tc, cnp.ndarray x, cyt_intp no, cyt_intp so, cyt_intp nr,
              cyt_intp sr, cyt_intp ni, cyt_intp si, cnp.ndarray res) except -1:
    cdef int rc = _res_code(opc, tc)
    cdef int rsz = cyt_dt_size[rc]
    cdef int tsz = cyt_dt_size[CYT_F32 if tc == TC_F32_ACC_F32 else tc]
    cdef int oc = _dtype_code(res.dtype)
    cdef int osz = cyt_dt_size[oc]
    cdef char *xp = <char *>cnp.PyArray_DATA(x)
    cdef char *op = <char *>cnp.PyArray_DATA(res)
    cdef cyt_intp total = no * nr * ni
    cdef int nt = threads_for(WORK_REDUCE, no * nr * ni)
    cdef cyt_intp ntask, t, o, j, c, nchunk, clen, c0, c1, tw, ntiles, w
    cdef char *acc = NULL
    cdef char *part = NULL
    cdef char *buf
    cdef bint par = nt > 1      # threads_for: enough work to run in parallel
    cdef int ctk
    cdef int nerr = 0
    cdef cyt_intp chunk
    if ni == 1 or (si != tsz and (sr == tsz or sr == -tsz or ni < 8)):
        # ------------------------------------------------ row mode
        ntask = no * ni
        acc = <char *>malloc(ntask * 8 + 8)
        if acc == NULL:
            raise MemoryError()
        try:
            if par and ntask < 2 * nt and opc != CYT_RED_ARGMAX and opc != CYT_RED_ARGMIN \
                    and nr >= 8192:
                # few long rows: chunks over threads, then combine partials
                nchunk = 4 * nt
                clen = (nr + nchunk - 1) // nchunk
                clen = (clen + 15) & ~(<cyt_intp>15)
                nchunk = (nr + clen - 1) // clen
                part = <char *>malloc(ntask * nchunk * 8 + 8)
                if part == NULL:
                    raise MemoryError()
                ctk = _combine_code(opc, tc, rc)
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
                        cyt_red_row(opc, ctk, part + t * nchunk * rsz, nchunk, rsz,
                                    acc + t * rsz)
            elif par and ntask >= 2:
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
            cyt_convert(acc, rsz, rc, op, osz, oc, ntask)
        finally:
            free(acc)
            free(part)
        return 0
    # ---------------------------------------------------- column mode
    if (par and no < nt and nr >= 4 * nt and ni <= 65536 and opc != CYT_RED_ARGMAX
            and opc != CYT_RED_ARGMIN):
        # few outer slices: split the reduced rows into chunks (each thread
        # streams contiguous rows into its own full-width accumulator), then
        # combine the partial accumulators with a column reduction of them.
        nchunk = 8 * nt
        clen = (nr + nchunk - 1) // nchunk
        nchunk = (nr + clen - 1) // clen
        part = <char *>malloc(no * nchunk * ni * rsz + 16)
        acc = <char *>malloc(ni * 16 + 16)
        if part == NULL or acc == NULL:
            free(part)
            free(acc)
            raise MemoryError()
        ctk = _combine_code(opc, tc, rc)
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
    if par:
        tw = (ni + nt - 1) // nt
        tw = (tw + 15) & ~(<cyt_intp>15)
        if tw > 2048:
            tw = 2048
    else:
        tw = 2048 if ni > 2048 else ni
    ntiles = (ni + tw - 1) // tw
    ntask = no * ntiles
    with nogil:
        if par and ntask >= 2:
            for t in prange(ntask, num_threads=nt, schedule='static'):
                buf = <char *>malloc(tw * 16 + 16)
                if buf != NULL:
                    o = t // ntiles
                    j = (t % ntiles) * tw
                    w = ni - j
                    if w > tw:
                        w = tw
                    cyt_red_cols(opc, tc, xp + o * so + j * si, nr, sr, w, si, buf,
                                 buf + tw * 8)
                    cyt_convert(buf, rsz, rc, op + (o * ni + j) * osz, osz, oc, w)
                    free(buf)
                else:
                    nerr += 1
        else:
            buf = <char *>malloc(tw * 16 + 16)
            if buf != NULL:
                for t in range(ntask):
                    o = t // ntiles
                    j = (t % ntiles) * tw
                    w = ni - j
                    if w > tw:
                        w = tw
                    cyt_red_cols(opc, tc, xp + o * so + j * si, nr, sr, w, si, buf,
                                 buf + tw * 8)
                    cyt_convert(buf, rsz, rc, op + (o * ni + j) * osz, osz, oc, w)
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
