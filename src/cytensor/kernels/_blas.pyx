# cython: language_level=3, boundscheck=True, wraparound=True, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Matrix products through BLAS (scipy.linalg.cython_blas); no hand-written GEMM.

Row-major (C) operands are handed to the column-major BLAS as their
transposes, column-major (Fortran) ones as they are, so neither is copied
when one of its strides is 1; any other layout is copied once.

A product on several threads is split into blocks of its result, one BLAS
call per OpenMP thread with BLAS on one thread: SciPy's OpenBLAS 0.3.30
gained little from its own second thread on float32 (1024^3 sgemm: 30.0 ms
on 1 thread, 25.7 ms on 2), and the blocks give the same bits as one call.
"""
# (bounds/wraparound checks stay on here: this module is Python-level glue
#  around BLAS, and indexes Python sequences.)
import numpy as np
cimport numpy as cnp
from libc.string cimport memset
from scipy.linalg.cython_blas cimport dgemm, sgemm, dgemv, sgemv, ddot, sdot

from cython.parallel cimport prange
from cytensor.kernels._threads cimport (timed_blas, timed_blas_blocks, timed_done, shape_key,
                                        site_key, TimedRun, WORK_GEMM, WORK_GEMV)

cnp.import_array()

cdef long INT_MAX = 2147483647
cdef enum:
    # Blocks of a product's columns start on multiples of this: a multiple of
    # the column tile of OpenBLAS's kernels (12 in Haswell's sgemm, 2 to 8 in
    # others), so each block's tiles are the whole call's, and its bits too
    # (blocks on multiples of 16 changed the last bits of Haswell's sgemm).
    BLOCK_ALIGN = 24


cdef inline int _layout_of(Py_ssize_t r, Py_ssize_t c, Py_ssize_t isz, Py_ssize_t s0,
                           Py_ssize_t s1, Py_ssize_t *ld) noexcept:
    """The one row/column-major test for an (r, c) matrix of itemsize isz and
    byte strides (s0, s1): 1 for row-major (unit column stride), 0 for
    column-major, -1 for neither; ld gets the leading dimension BLAS needs."""
    if s0 % isz or s1 % isz:
        return -1
    s0 //= isz
    s1 //= isz
    if (c == 1 or s1 == 1) and (r == 1 or s0 >= max(1, c)):
        ld[0] = s0 if r > 1 else max(1, c)
        return 1
    if (r == 1 or s0 == 1) and (c == 1 or s1 >= max(1, r)):
        ld[0] = s1 if c > 1 else max(1, r)
        return 0
    return -1


cdef tuple _mat(a):
    """(array, rowmajor, ld) describing 2-D a for BLAS, copying if needed."""
    cdef Py_ssize_t ld
    cdef int row = _layout_of(a.shape[0], a.shape[1], a.itemsize, a.strides[0], a.strides[1],
                              &ld)
    if row >= 0:
        return a, row == 1, ld
    a = np.ascontiguousarray(a)
    return a, True, max(1, a.shape[1])


cdef tuple _vec(v):
    cdef long n = v.shape[0], isz = v.itemsize, s = v.strides[0]
    if n <= 1:
        return v, 1
    if s % isz == 0 and s > 0:
        return v, s // isz
    v = np.ascontiguousarray(v)
    return v, 1


cdef void _gemm_call(bint dbl, char ta, char tb, int m, int n, int k, double alpha, char *a,
                     int lda, char *b, int ldb, double beta, char *c, int ldc) noexcept nogil:
    """One ?gemm call on BLAS's threads as they are set."""
    cdef float fa = <float>alpha, fb = <float>beta
    if dbl:
        dgemm(&ta, &tb, &m, &n, &k, &alpha, <double *>a, &lda, <double *>b, &ldb, &beta,
              <double *>c, &ldc)
    else:
        sgemm(&ta, &tb, &m, &n, &k, &fa, <float *>a, &lda, <float *>b, &ldb, &fb,
              <float *>c, &ldc)


cdef inline Py_ssize_t _block_edge(Py_ssize_t size, int i, int blocks) noexcept nogil:
    """Where block i of ``blocks`` starts along a dimension of ``size``: even
    shares rounded to BLOCK_ALIGN, the last block taking the rest."""
    if i >= blocks:
        return size
    return min(size, (size * i // blocks + BLOCK_ALIGN // 2) // BLOCK_ALIGN * BLOCK_ALIGN)


cdef void _gemm_blocks(bint dbl, int blocks, char ta, char tb, int m, int n, int k, double alpha,
                       char *a, int lda, char *b, int ldb, double beta, char *c,
                       int ldc) noexcept nogil:
    """_gemm_call split into ``blocks`` blocks of C's columns (BLAS's n), one
    per OpenMP thread (more blocks than threads, taken in turn, measured
    slower: each call packs op(a) again).  Every block but the last is a
    multiple of BLOCK_ALIGN columns, so each element of C is computed as in
    the one call, and the result does not depend on the blocks."""
    cdef Py_ssize_t isz = 8 if dbl else 4, j0, j1
    cdef int i
    for i in prange(blocks, nogil=True, num_threads=blocks, schedule='static'):
        j0 = _block_edge(n, i, blocks)
        j1 = _block_edge(n, i + 1, blocks)
        if j1 > j0:
            _gemm_call(dbl, ta, tb, m, <int>(j1 - j0), k, alpha, a, lda,
                       b + (j0 * ldb if tb == c'N' else j0) * isz, ldb, beta,
                       c + j0 * ldc * isz, ldc)


cdef void _gemm(bint dbl, char ta, char tb, int m, int n, int k, double alpha, char *a, int lda,
                char *b, int ldb, double beta, char *c, int ldc) noexcept nogil:
    """c = alpha op(a) op(b) + beta c, on the threads the adaptive policy picks:
    in blocks of c's columns, one BLAS call each on one thread, when c has
    columns for two blocks or more; else one call on BLAS's own threads."""
    cdef TimedRun run
    cdef int transposes = (ta == c'T') * 2 + (tb == c'T'), blocks = 1
    cdef site_key key = shape_key(m, n, k * 4 + transposes)
    cdef Py_ssize_t work = <Py_ssize_t>m * n * k
    if n >= 2 * BLOCK_ALIGN:
        blocks = min(timed_blas_blocks(WORK_GEMM, work, key, &run), n // BLOCK_ALIGN)
    else:
        timed_blas(WORK_GEMM, work, key, &run)
    if blocks > 1:
        _gemm_blocks(dbl, blocks, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    else:
        _gemm_call(dbl, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    timed_done(&run)


cdef void _gemv(bint dbl, char t, int m, int n, double alpha, char *a, int lda, char *x, int incx,
                double beta, char *y, int incy) noexcept nogil:
    """y = alpha op(a) x + beta y, on the threads the adaptive policy picks."""
    cdef float fa = <float>alpha, fb = <float>beta
    cdef TimedRun run
    timed_blas(WORK_GEMV, <Py_ssize_t>m * n, shape_key(m, n, t == c'T'), &run)
    if dbl:
        dgemv(&t, &m, &n, &alpha, <double *>a, &lda, <double *>x, &incx, &beta, <double *>y,
              &incy)
    else:
        sgemv(&t, &m, &n, &fa, <float *>a, &lda, <float *>x, &incx, &fb, <float *>y, &incy)
    timed_done(&run)


cdef bint _overlap(a, b):
    return np.may_share_memory(a, b)


def _fits(*vals):
    for v in vals:
        if v > INT_MAX:
            return False
    return True


cdef _gemm_into(double alpha, a, b, double beta, c):
    """c = alpha*a@b + beta*c, c 2-D with one unit stride (checked by caller)."""
    cdef int m = a.shape[0], k = a.shape[1], n = b.shape[1]
    cdef bint dbl = a.dtype == np.float64
    cdef char ta, tb
    cdef int lda, ldb, ldc
    cdef char *pa
    cdef char *pb
    cdef char *pc
    a, arow, lda_ = _mat(a)
    b, brow, ldb_ = _mat(b)
    c_, crow, ldc_ = _mat(c)
    if c_ is not c:
        raise AssertionError("gemm output layout")
    lda = lda_
    ldb = ldb_
    ldc = ldc_
    pa = <char *>cnp.PyArray_DATA(a)
    pb = <char *>cnp.PyArray_DATA(b)
    pc = <char *>cnp.PyArray_DATA(c)
    if crow:
        # C^T (n x m, col-major) = B^T A^T
        tb = b'N' if brow else b'T'
        ta = b'N' if arow else b'T'
        with nogil:
            _gemm(dbl, tb, ta, n, m, k, alpha, pb, ldb, pa, lda, beta, pc, ldc)
    else:
        ta = b'T' if arow else b'N'
        tb = b'T' if brow else b'N'
        with nogil:
            _gemm(dbl, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc)


cdef bint _blas_layout_ok(c):
    cdef Py_ssize_t ld
    return _layout_of(c.shape[0], c.shape[1], c.itemsize, c.strides[0], c.strides[1], &ld) >= 0


def gemm(alpha, a, b, beta, c):
    """In place ``c[...] = alpha * a @ b + beta * c`` through BLAS ?gemm.
    a, b, c: 2-D, one dtype (float32 or float64); c writeable.  a or b may
    share memory with c (they are copied first).  Returns c."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and isinstance(c, np.ndarray)):
        raise TypeError("gemm: a, b, c must be numpy arrays")
    if a.ndim != 2 or b.ndim != 2 or c.ndim != 2:
        raise ValueError(f"gemm: expected 2-D arrays, got shapes {a.shape}, {b.shape}, {c.shape}")
    if not (a.dtype == b.dtype == c.dtype) or a.dtype not in (np.float32, np.float64) \
            or not a.dtype.isnative:
        raise TypeError(f"gemm: a, b, c must share dtype float32 or float64, got "
                        f"{a.dtype}, {b.dtype}, {c.dtype}")
    m, k = a.shape
    k2, n = b.shape
    if k != k2 or c.shape != (m, n):
        raise ValueError(f"gemm: shapes {a.shape} @ {b.shape} -> {c.shape} do not match")
    if not c.flags.writeable:
        raise ValueError("gemm: c is read-only")
    alpha = float(alpha)
    beta = float(beta)
    if m == 0 or n == 0:
        return c
    if k == 0 or alpha == 0.0:
        if beta == 0.0:
            c[...] = 0
        elif beta != 1.0:
            c *= c.dtype.type(beta)
        return c
    if not _fits(m, n, k, *[abs(s) // a.itemsize for s in a.strides + b.strides + c.strides]):
        c[...] = alpha * np.dot(a, b) + (beta * c if beta != 0 else 0)
        return c
    if _overlap(c, a):
        a = a.copy()
    if _overlap(c, b):
        b = b.copy()
    if not c.flags.aligned or not _blas_layout_ok(c):
        tmp = np.array(c, order='C')
        _gemm_into(alpha, a, b, beta, tmp)
        c[...] = tmp
        return c
    _gemm_into(alpha, a, b, beta, c)
    return c


def dot(a, b, out=None):
    """``np.dot(a, b)`` for arrays with ndim <= 2.

    float32/float64 operands of one dtype go to BLAS (?dot, ?gemv, ?gemm)
    without copies when one stride of each matrix is 1.  Other dtypes
    (integers, bool, mixed float32/float64) and 0-d operands fall back to
    ``np.dot``.  The result is always an ndarray (0-d for vector . vector).
    ``out``: optional array of the result's shape and dtype."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(f"dot: only ndim <= 2 is supported, got shapes {a.shape} and {b.shape}")
    blas = (a.dtype == b.dtype and a.dtype in (np.float32, np.float64)
            and a.dtype.isnative and a.ndim > 0 and b.ndim > 0
            and a.flags.aligned and b.flags.aligned)
    ka = a.shape[-1] if a.ndim else None
    kb = (b.shape[0] if b.ndim == 1 else b.shape[-2]) if b.ndim else None
    if a.ndim and b.ndim and ka != kb:
        raise ValueError(f"shapes {a.shape} and {b.shape} not aligned: "
                         f"{ka} (dim {a.ndim - 1}) != {kb} (dim {max(b.ndim - 2, 0)})")
    if not blas:
        return _deliver(np.asarray(np.dot(a, b)), out)
    shape = _product_shape(a, b)
    _check_out(out, shape)
    if 0 in shape or ka == 0:
        return _deliver(np.zeros(shape, dtype=a.dtype), out)
    if not _fits(ka, *shape, *[abs(s) // a.itemsize for s in a.strides + b.strides]):
        return _deliver(np.asarray(np.dot(a, b)), out)
    if a.ndim == 1 and b.ndim == 1:
        return _deliver(_vector_dot(a, b, ka), out)
    if a.ndim == 2 and b.ndim == 2:
        if (out is not None and out.dtype == a.dtype and out.flags.aligned
                and _blas_layout_ok(out) and not _overlap(out, a) and not _overlap(out, b)):
            _gemm_into(1.0, a, b, 0.0, out)
            return out
        res = np.empty(shape, dtype=a.dtype)
        _gemm_into(1.0, a, b, 0.0, res)
        return _deliver(res, out)
    return _deliver(_matrix_vector_product(a, b, shape), out)


cdef tuple _product_shape(a, b):
    """The shape of dot(a, b) for operands of 1 or 2 dimensions."""
    if a.ndim == 2:
        return (a.shape[0],) + ((b.shape[1],) if b.ndim == 2 else ())
    return (b.shape[1],) if b.ndim == 2 else ()


cdef _check_out(out, tuple shape):
    """Refuse an ``out`` dot cannot write its result of ``shape`` to."""
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise TypeError("dot: out must be a numpy array")
    if out.shape != shape:
        raise ValueError(f"dot: out has shape {out.shape}, expected {shape}")
    if not out.flags.writeable:
        raise ValueError("dot: out is read-only")


cdef _vector_dot(a, b, int n):
    """a . b of two vectors of one float dtype through ?dot (a 0-d array)."""
    cdef bint dbl = a.dtype == np.float64
    cdef int inca, incb
    cdef double dres
    a, inca_ = _vec(a)
    b, incb_ = _vec(b)
    inca = inca_
    incb = incb_
    cdef char *pa = <char *>cnp.PyArray_DATA(a)
    cdef char *pb = <char *>cnp.PyArray_DATA(b)
    with nogil:
        if dbl:
            dres = ddot(&n, <double *>pa, &inca, <double *>pb, &incb)
        else:
            dres = sdot(&n, <float *>pa, &inca, <float *>pb, &incb)
    return np.array(dres, dtype=a.dtype)


cdef _matrix_vector_product(a, b, tuple shape):
    """dot(a, b) where one operand is a matrix and the other a vector, through ?gemv."""
    cdef bint dbl = a.dtype == np.float64
    cdef int m, k, lda, incb, incy = 1
    cdef char t
    if a.ndim == 2:
        mat, vec, mat_is_a = a, b, True
    else:
        mat, vec, mat_is_a = b, a, False
    mat, row, ld_ = _mat(mat)
    vec, incv = _vec(vec)
    res = np.zeros(shape, dtype=a.dtype)     # zeros: see _row_or_column_product
    cdef char *pa = <char *>cnp.PyArray_DATA(mat)
    cdef char *pb = <char *>cnp.PyArray_DATA(vec)
    cdef char *py = <char *>cnp.PyArray_DATA(res)
    lda = ld_
    incb = incv
    r, c = mat.shape
    # col-major view of mat: row-major -> (c x r) = mat^T ; col-major -> (r x c) = mat
    if row:
        m = c
        k = r
        t = b'T' if mat_is_a else b'N'
    else:
        m = r
        k = c
        t = b'N' if mat_is_a else b'T'
    with nogil:
        _gemv(dbl, t, m, k, 1.0, pa, lda, pb, incb, 0.0, py, incy)
    return res


cdef _deliver(res, out):
    if out is None:
        return res
    np.copyto(out, res, casting='unsafe')
    return out


# ------------------------------------------------------------------ lean path
cdef inline int _layout(cnp.ndarray a, int *ld) noexcept:
    """_layout_of for an ndarray, ld narrowed to BLAS's int."""
    cdef Py_ssize_t l
    cdef int row = _layout_of(cnp.PyArray_DIM(a, 0), cnp.PyArray_DIM(a, 1),
                              cnp.PyArray_ITEMSIZE(a), cnp.PyArray_STRIDE(a, 0),
                              cnp.PyArray_STRIDE(a, 1), &l)
    if row >= 0:
        ld[0] = <int>l
    return row


cdef inline bint _can_write_product(object out, int tn, Py_ssize_t m, Py_ssize_t n,
                                    cnp.ndarray a, cnp.ndarray b):
    """Whether dot_matrices may write its (m, n) result of type ``tn`` into
    ``out``: a C-contiguous, writeable, aligned, native array of that shape
    and type that shares no memory with a or b."""
    if out is None or type(out) is not np.ndarray:
        return False
    cdef cnp.ndarray c = <cnp.ndarray>out
    return not (cnp.PyArray_TYPE(c) != tn or cnp.PyArray_NDIM(c) != 2
                or cnp.PyArray_DIM(c, 0) != m or cnp.PyArray_DIM(c, 1) != n
                or not cnp.PyArray_IS_C_CONTIGUOUS(c) or not cnp.PyArray_ISWRITEABLE(c)
                or not cnp.PyArray_ISALIGNED(c) or cnp.PyArray_ISBYTESWAPPED(c)
                or _overlap(c, a) or _overlap(c, b))


cpdef object dot_matrices(object a_, object b_, object out, double alpha=1.0,
                          double beta=0.0):
    """Lean ``alpha * a @ b + beta * out`` through ?gemm, for the hot paths of
    the Dot and Gemm ops.

    a, b: 2-D arrays of one native float dtype (float32/float64), aligned, each
    with a unit stride; ``out``: None or an array the result may be written to
    (used when it is a C-contiguous, writeable (m, n) array of that dtype that
    shares no memory with a or b; required when beta != 0).  Returns the
    result, or None when a precondition does not hold (the caller then takes
    the general path).  Raises ValueError for misaligned inner dimensions."""
    if type(a_) is not np.ndarray or type(b_) is not np.ndarray:
        return None
    cdef cnp.ndarray a = <cnp.ndarray>a_, b = <cnp.ndarray>b_
    cdef int tn = cnp.PyArray_TYPE(a)
    cdef Py_ssize_t m, k, n
    cdef int lda = 0, ldb = 0, ra, rb
    cdef cnp.ndarray c
    cdef cnp.npy_intp dims[2]
    cdef char ta, tb
    cdef bint dbl
    if cnp.PyArray_NDIM(a) != 2 or cnp.PyArray_NDIM(b) != 2 or cnp.PyArray_TYPE(b) != tn \
            or (tn != cnp.NPY_FLOAT32 and tn != cnp.NPY_FLOAT64):
        return None
    if not cnp.PyArray_ISALIGNED(a) or not cnp.PyArray_ISALIGNED(b) \
            or cnp.PyArray_ISBYTESWAPPED(a) or cnp.PyArray_ISBYTESWAPPED(b):
        return None
    m = cnp.PyArray_DIM(a, 0)
    k = cnp.PyArray_DIM(a, 1)
    n = cnp.PyArray_DIM(b, 1)
    if cnp.PyArray_DIM(b, 0) != k:
        raise ValueError(f"shapes {(<object>a).shape} and {(<object>b).shape} not aligned: "
                         f"{k} (dim 1) != {cnp.PyArray_DIM(b, 0)} (dim 0)")
    if m == 0 or n == 0 or k == 0 or m > INT_MAX or n > INT_MAX or k > INT_MAX:
        return None
    ra = _layout(a, &lda)
    rb = _layout(b, &ldb)
    if ra < 0 or rb < 0:
        return None
    if (abs(cnp.PyArray_STRIDE(a, 0)) > INT_MAX or abs(cnp.PyArray_STRIDE(a, 1)) > INT_MAX
            or abs(cnp.PyArray_STRIDE(b, 0)) > INT_MAX or abs(cnp.PyArray_STRIDE(b, 1)) > INT_MAX):
        return None
    c = out if _can_write_product(out, tn, m, n, a, b) else None
    if c is None:
        if beta != 0.0:
            return None
        dims[0] = m
        dims[1] = n
        c = cnp.PyArray_EMPTY(2, dims, tn, 0)
    dbl = tn == cnp.NPY_FLOAT64
    if m == 1 or n == 1:
        _row_or_column_product(dbl, a, ra, lda, b, rb, ldb, c, alpha, beta)
        return c
    # C (row-major, m x n): as column-major C^T = B^T A^T
    tb = b'N' if rb else b'T'
    ta = b'N' if ra else b'T'
    with nogil:
        _gemm(dbl, tb, ta, <int>n, <int>m, <int>k, alpha, <char *>cnp.PyArray_DATA(b), ldb,
              <char *>cnp.PyArray_DATA(a), lda, beta, <char *>cnp.PyArray_DATA(c), <int>n)
    return c


cdef void _row_or_column_product(bint dbl, cnp.ndarray a, int ra, int lda, cnp.ndarray b,
                                 int rb, int ldb, cnp.ndarray c, double alpha,
                                 double beta) noexcept:
    """c = alpha * a @ b + beta * c through ?gemv when c is one row (a is 1 x k:
    a vector times b) or one column (b is k x 1): gemm would pack the single
    row or column for nothing.  c is C-contiguous, so its elements are
    consecutive either way; the vector's step is its stride along k."""
    cdef int m = <int>cnp.PyArray_DIM(a, 0), k = <int>cnp.PyArray_DIM(a, 1)
    cdef int n = <int>cnp.PyArray_DIM(b, 1)
    cdef int isz = <int>cnp.PyArray_ITEMSIZE(a), inc
    cdef char t
    cdef char *pa = <char *>cnp.PyArray_DATA(a)
    cdef char *pb = <char *>cnp.PyArray_DATA(b)
    cdef char *pc = <char *>cnp.PyArray_DATA(c)
    if beta == 0.0:
        # some BLAS builds scale y by beta rather than overwrite it: 0 * a nan
        # left in fresh memory would stay nan
        memset(pc, 0, <size_t>(m if n == 1 else n) * isz)
    if n == 1:
        # column: c = A x, x = b[:, 0]; a row-major A is the column-major A^T
        inc = <int>(cnp.PyArray_STRIDE(b, 0) // isz) if k > 1 else 1
        t = b'T' if ra else b'N'
        with nogil:
            if ra:
                _gemv(dbl, t, k, m, alpha, pa, lda, pb, inc, beta, pc, 1)
            else:
                _gemv(dbl, t, m, k, alpha, pa, lda, pb, inc, beta, pc, 1)
    else:
        # row: c^T = B^T x, x = a[0, :]; a row-major B is the column-major B^T
        inc = <int>(cnp.PyArray_STRIDE(a, 1) // isz) if k > 1 else 1
        t = b'N' if rb else b'T'
        with nogil:
            if rb:
                _gemv(dbl, t, n, k, alpha, pb, ldb, pa, inc, beta, pc, 1)
            else:
                _gemv(dbl, t, k, n, alpha, pb, ldb, pa, inc, beta, pc, 1)
