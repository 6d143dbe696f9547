# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""pick_per_row: ``x[arange(len(x)), y]`` (tensor/advanced.py's PickPerRow);
add_at: ``np.add.at(v, i, w)`` on a vector (AdvancedIncSubtensor of
single elements).

One element copied per row, at the row's label, for a matrix of any
strides and byte order: NumPy's indexing by two arrays spends a
microsecond setting up its iterator, more than the copy of a few hundred
elements.  Anything else (a label out of range included) is left to
NumPy, whose error the caller then raises.
"""
import numpy as np
cimport numpy as cnp
from libc.string cimport memcpy

cnp.import_array()


cdef inline bint _copy_picks(const char *x, Py_ssize_t rows, Py_ssize_t cols,
                             Py_ssize_t row_stride, Py_ssize_t col_stride,
                             const char *y, Py_ssize_t y_stride, char *out,
                             Py_ssize_t itemsize) noexcept nogil:
    """out[i] = x[i, y[i]]; False (out partly written) at the first label out of range."""
    cdef Py_ssize_t i, col
    for i in range(rows):
        col = (<const cnp.npy_int64 *>(y + i * y_stride))[0]
        if col < 0:
            col += cols
        if col < 0 or col >= cols:
            return False
        memcpy(out + i * itemsize, x + i * row_stride + col * col_stride, itemsize)
    return True


def pick_per_row(cnp.ndarray x, cnp.ndarray y):
    """``x[arange(len(x)), y]`` for a 2-d x of plain (not object) elements
    and a 1-d int64 y as long as x: a new array; None for any other
    arguments or a label out of range (NumPy's indexing then decides)."""
    if cnp.PyArray_NDIM(x) != 2 or cnp.PyArray_NDIM(y) != 1 \
            or cnp.PyArray_TYPE(y) != cnp.NPY_INT64 or not cnp.PyArray_ISNOTSWAPPED(y) \
            or cnp.PyArray_DIM(y, 0) != cnp.PyArray_DIM(x, 0) or x.dtype.hasobject:
        return None
    cdef Py_ssize_t rows = cnp.PyArray_DIM(x, 0)
    cdef Py_ssize_t itemsize = cnp.PyArray_ITEMSIZE(x)
    out = np.empty(rows, dtype=x.dtype)
    cdef bint ok
    with nogil:
        ok = _copy_picks(cnp.PyArray_BYTES(x), rows, cnp.PyArray_DIM(x, 1),
                         cnp.PyArray_STRIDE(x, 0), cnp.PyArray_STRIDE(x, 1),
                         cnp.PyArray_BYTES(y), cnp.PyArray_STRIDE(y, 0),
                         cnp.PyArray_BYTES(<cnp.ndarray>out), itemsize)
    return out if ok else None


# ---------------------------------------------------------------- add_at
# ``np.add.at(v, i, w)`` for a vector v and an int64 index array: NumPy's
# ufunc.at spends one to two microseconds setting up before the first
# element, more than a thousand elements take here.  (``v[i]`` has no
# kernel: NumPy's indexing of a vector is as fast as a loop here.)

cdef inline bint _int64_index(cnp.ndarray i):
    """An int64, native, aligned, C-contiguous index array."""
    return (cnp.PyArray_TYPE(i) == cnp.NPY_INT64 and cnp.PyArray_ISNOTSWAPPED(i)
            and cnp.PyArray_ISALIGNED(i) and cnp.PyArray_IS_C_CONTIGUOUS(i))


cdef inline bint _in_range(const cnp.npy_int64 *idx, Py_ssize_t n,
                           Py_ssize_t length) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(n):
        if idx[k] < -length or idx[k] >= length:
            return False
    return True


ctypedef fused addable:
    cnp.npy_float64
    cnp.npy_float32
    cnp.npy_uint64          # int64 added as unsigned: NumPy's wraparound (C's
                            # signed overflow is undefined)
    cnp.npy_uint32          # int32 likewise


cdef void _scatter_add(addable *out, Py_ssize_t length, const cnp.npy_int64 *idx,
                       Py_ssize_t n, const addable *w, Py_ssize_t w_step) noexcept nogil:
    """out[idx[k]] += w[k * w_step], in index order (repeats add up), the
    indices checked in range."""
    cdef Py_ssize_t k, j
    for k in range(n):
        j = idx[k]
        if j < 0:
            j += length
        out[j] = out[j] + w[k * w_step]


cdef dict _ADD_TYPES = {cnp.NPY_FLOAT64: 0, cnp.NPY_FLOAT32: 1, cnp.NPY_INT64: 2,
                        cnp.NPY_INT32: 3}


def add_at(out, index, w):
    """``np.add.at(out, index, w)``: for a 1-d C-contiguous writeable out of
    float64, float32, int64 or int32 in native byte order, an int64, native,
    C-contiguous index array of any shape (or a tuple of that one array) in
    range and a w of out's dtype, C-contiguous, of the index's shape or a
    single element, added here; anything else by NumPy's ``add.at`` (its
    result, or its error)."""
    cdef cnp.ndarray oa, ia, wa
    cdef Py_ssize_t n, length, w_step
    cdef int kind
    cdef char *o
    cdef const cnp.npy_int64 *idx
    cdef const char *wp
    if type(index) is tuple and len(<tuple>index) == 1:
        index = (<tuple>index)[0]       # perform's index, one array
    if type(out) is not cnp.ndarray or type(index) is not cnp.ndarray \
            or type(w) is not cnp.ndarray:
        return np.add.at(out, index, w)
    oa, ia, wa = <cnp.ndarray>out, <cnp.ndarray>index, <cnp.ndarray>w
    kind = _ADD_TYPES.get(cnp.PyArray_TYPE(oa), -1)
    if kind < 0 or cnp.PyArray_NDIM(oa) != 1 or not _int64_index(ia) \
            or cnp.PyArray_TYPE(wa) != cnp.PyArray_TYPE(oa) \
            or not (cnp.PyArray_ISCARRAY(oa) and cnp.PyArray_ISCARRAY_RO(wa)) \
            or not (cnp.PyArray_ISNOTSWAPPED(oa) and cnp.PyArray_ISNOTSWAPPED(wa)) \
            or not (cnp.PyArray_SIZE(wa) == 1 and cnp.PyArray_NDIM(wa) <= cnp.PyArray_NDIM(ia)
                    or w.shape == index.shape) \
            or _overlaps(oa, wa) or _overlaps(oa, ia):
        return np.add.at(out, index, w)
    n, length = cnp.PyArray_SIZE(ia), cnp.PyArray_DIM(oa, 0)
    idx = <const cnp.npy_int64 *>cnp.PyArray_DATA(ia)
    if not _in_range(idx, n, length):
        return np.add.at(out, index, w)
    w_step = 0 if cnp.PyArray_SIZE(wa) == 1 else 1
    o, wp = cnp.PyArray_BYTES(oa), cnp.PyArray_BYTES(wa)
    with nogil:
        if kind == 0:
            _scatter_add(<cnp.npy_float64 *>o, length, idx, n, <const cnp.npy_float64 *>wp, w_step)
        elif kind == 1:
            _scatter_add(<cnp.npy_float32 *>o, length, idx, n, <const cnp.npy_float32 *>wp, w_step)
        elif kind == 2:
            _scatter_add(<cnp.npy_uint64 *>o, length, idx, n, <const cnp.npy_uint64 *>wp, w_step)
        else:
            _scatter_add(<cnp.npy_uint32 *>o, length, idx, n, <const cnp.npy_uint32 *>wp, w_step)


cdef bint _overlaps(cnp.ndarray a, cnp.ndarray b):
    """Whether the memory of two C-contiguous arrays intersects (w and the
    index read while out is written: NumPy buffers that case)."""
    cdef char *alo = cnp.PyArray_BYTES(a)
    cdef char *blo = cnp.PyArray_BYTES(b)
    return alo < blo + cnp.PyArray_NBYTES(b) and blo < alo + cnp.PyArray_NBYTES(a)
