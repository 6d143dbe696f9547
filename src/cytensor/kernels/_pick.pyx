# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""pick_per_row: ``x[arange(len(x)), y]`` (tensor/advanced.py's PickPerRow).

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
