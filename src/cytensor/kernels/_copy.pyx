# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""copy_into: a broadcasting, converting strided copy (dst[...] = src).

The two operands' strides over dst's shape are collapsed like a VM plan's
(_plan.collapse) and walked together by cyt_copy_nd (cyt_common.h), in blocks
of COPY_BLOCK elements spread over threads for large copies.
"""
import numpy as np
cimport cython
cimport numpy as cnp
from cython.parallel cimport prange

from cytensor.kernels._common cimport cyt_intp, cyt_copy_nd, CYT_MAXDIMS
from cytensor.kernels._plan cimport (code_of, usable, as_usable, broadcast, overlap,
                                     byte_strides, collapse)
from cytensor.kernels._threads cimport timed_threads, timed_done, shape_key, TimedRun, WORK_COPY

cnp.import_array()

cdef enum:
    COPY_BLOCK = 16384      # elements per parallel task

cdef struct CopyPlan:
    int nd                              # dimensions of the collapsed space
    cyt_intp shape[CYT_MAXDIMS]         # its extents
    cyt_intp size                       # its number of elements
    char *dst                           # first element of each operand
    const char *src
    int dt                              # their dtype codes
    int st
    cyt_intp strides[2 * CYT_MAXDIMS]   # byte strides: row 0 dst, row 1 src


cdef object _copy_via_native(cnp.ndarray d, s, shape, dst):
    """dst[...] = s for a byte-swapped or unaligned destination: through a
    native temporary."""
    if cnp.PyArray_ISBYTESWAPPED(d) or not cnp.PyArray_ISALIGNED(d):
        tmp = np.empty(shape, dtype=d.dtype.newbyteorder('='))
    else:
        raise TypeError(f"copy_into: unsupported destination dtype {d.dtype}")
    copy_into(tmp, s)
    np.copyto(d, tmp, casting='unsafe')
    return dst


cdef void _plan_copy(CopyPlan *p, cnp.ndarray d, cnp.ndarray s) noexcept:
    cdef int nd = cnp.PyArray_NDIM(d), k
    cdef cyt_intp cshape[CYT_MAXDIMS]
    for k in range(nd):
        cshape[k] = cnp.PyArray_DIM(d, k)
    byte_strides(d, nd, cshape, p.strides)
    byte_strides(s, nd, cshape, p.strides + CYT_MAXDIMS)
    p.nd = collapse(2, nd, cshape, p.strides)
    for k in range(p.nd):
        p.shape[k] = cshape[k]
    p.size = cnp.PyArray_SIZE(d)
    p.dst = <char *>cnp.PyArray_DATA(d)
    p.src = <const char *>cnp.PyArray_DATA(s)
    p.dt = code_of(d)
    p.st = code_of(s)


cdef void _run_copy(CopyPlan *p) noexcept nogil:
    cdef cyt_intp nblocks = (p.size + COPY_BLOCK - 1) // COPY_BLOCK, b, start, n
    cdef TimedRun run
    cdef int nt = timed_threads(WORK_COPY, p.size if nblocks > 1 else 0,
                                shape_key(p.size, p.nd, p.dt * 64 + p.st), &run)
    if nt == 1:     # no OpenMP region: even a one-thread region costs ~1.5 us
        cyt_copy_nd(p.dst, p.dt, p.strides, p.src, p.st, p.strides + CYT_MAXDIMS, p.shape,
                    p.nd, 0, p.size)
    else:
        for b in prange(nblocks, num_threads=nt, schedule='static'):
            start = b * COPY_BLOCK
            n = p.size - start
            if n > COPY_BLOCK:
                n = COPY_BLOCK
            cyt_copy_nd(p.dst, p.dt, p.strides, p.src, p.st, p.strides + CYT_MAXDIMS,
                        p.shape, p.nd, start, n)
    timed_done(&run)


@cython.wraparound(True)
@cython.boundscheck(True)
def copy_into(dst, src):
    """dst[...] = src with NumPy broadcasting and dtype conversion (float->int
    truncates, x->bool is x != 0).  dst: writeable ndarray of a supported dtype."""
    cdef cnp.ndarray d, s
    cdef CopyPlan p
    if not isinstance(dst, cnp.ndarray):
        raise TypeError("copy_into: dst must be a numpy array")
    d = <cnp.ndarray>dst
    if not d.flags.writeable:
        raise ValueError("copy_into: destination is read-only")
    s = as_usable(src)
    shape = (<object>d).shape
    broadcast([s], shape)
    if not usable(d):
        return _copy_via_native(d, s, shape, dst)
    if cnp.PyArray_SIZE(d) == 0:
        return dst
    if overlap(d, s):
        s = np.array(s, copy=True)
    if cnp.PyArray_NDIM(d) >= CYT_MAXDIMS:
        raise ValueError("too many dimensions")
    _plan_copy(&p, d, s)
    with nogil:
        _run_copy(&p)
    return dst
