# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Kernels for the neural-network layer (cytensor.tensor.nnet and advanced indexing).

Every function takes C-contiguous arrays whose shapes the calling op has
already checked; indices and labels are checked here, with the GIL, before
any ``nogil`` loop reads memory through them.  Loops over rows, images or
(image, channel) planes run on OpenMP threads when the work is large
(``nthreads`` comes from cytensor.kernels.get_num_threads()).

* softmax / log_softmax over the rows of a matrix, and their gradients;
* categorical crossentropy with integer labels, alone and fused with softmax;
* im2col / col2im for convolution (the products go to BLAS, never here);
* direct 2-D pooling (max, sum, average with or without padding) and its gradient;
* row gather / scatter(-add) for advanced indexing, and one_hot.
"""
from libc.string cimport memcpy, memset
from cython.parallel cimport prange

cdef extern from "vecmath.h" nogil:
    double exp(double)
    float expf(float)
    double log(double)
    float logf(float)
    const double INFINITY

ctypedef fused real:
    float
    double

ctypedef fused number:
    float
    double
    int
    long long
    unsigned char

cdef Py_ssize_t PAR_MIN = 32768          # elements below which loops stay serial

POOL_MAX, POOL_SUM, POOL_AVG_INC, POOL_AVG_EXC = 0, 1, 2, 3


cdef inline int _threads(Py_ssize_t work, int nthreads) noexcept nogil:
    return nthreads if work >= PAR_MIN else 1


# ---------------------------------------------------------------------------
# Index and label checks (with the GIL, before the loops that use them)
# ---------------------------------------------------------------------------

def first_bad_label(const Py_ssize_t[::1] y, Py_ssize_t n):
    """Position of the first label outside [0, n), or -1 if all are valid."""
    cdef Py_ssize_t i
    for i in range(y.shape[0]):
        if y[i] < 0 or y[i] >= n:
            return i
    return -1


def normalize_index(Py_ssize_t[::1] idx, Py_ssize_t n):
    """Turn negative indices into positive ones in place (NumPy's rule).

    Returns the position of the first index outside [-n, n), or -1.
    """
    cdef Py_ssize_t i, v
    for i in range(idx.shape[0]):
        v = idx[i]
        if v < 0:
            v = v + n
        if v < 0 or v >= n:
            return i
        idx[i] = v
    return -1


# ---------------------------------------------------------------------------
# Softmax over rows
# ---------------------------------------------------------------------------

cdef inline real _exp(real v) noexcept nogil:
    if real is float:
        return expf(v)
    else:
        return exp(v)


cdef inline real _log(real v) noexcept nogil:
    if real is float:
        return logf(v)
    else:
        return log(v)


cdef inline real _row_max(const real *x, Py_ssize_t n) noexcept nogil:
    cdef real m = x[0]
    cdef Py_ssize_t j
    for j in range(1, n):
        if x[j] > m:
            m = x[j]
    return m


cdef inline double _softmax_row(const real *x, real *out, Py_ssize_t n, bint take_log) noexcept nogil:
    """Softmax (or log-softmax) of one row; returns log(sum(exp(x - max))) + max."""
    cdef real m = _row_max(x, n)
    cdef double s = 0.0
    cdef real inv, lse
    cdef Py_ssize_t j
    for j in range(n):                  # a separate loop, so exp is vectorised
        out[j] = _exp(x[j] - m)
    for j in range(n):
        s += out[j]
    if take_log:
        lse = <real>log(s)
        for j in range(n):
            out[j] = x[j] - m - lse
    else:
        inv = <real>(1.0 / s)
        for j in range(n):
            out[j] *= inv
    return log(s) + m


def softmax(const real[:, ::1] x, real[:, ::1] out, bint take_log, int nthreads):
    """out[i] = softmax(x[i]) (or log_softmax), rows in parallel."""
    cdef Py_ssize_t i, rows = x.shape[0], n = x.shape[1]
    if n == 0:
        return
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        _softmax_row(&x[i, 0], &out[i, 0], n, take_log)


def softmax_grad(const real[:, ::1] dy, const real[:, ::1] sm, real[:, ::1] out,
                 bint from_log, int nthreads):
    """Gradient through softmax: sm * (dy - sum(dy * sm)); through log_softmax
    (sm holding log-probabilities): dy - exp(sm) * sum(dy)."""
    cdef Py_ssize_t i, j, rows = dy.shape[0], n = dy.shape[1]
    cdef double s
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        s = 0.0
        if from_log:
            for j in range(n):
                s = s + dy[i, j]
            for j in range(n):
                out[i, j] = dy[i, j] - _exp(sm[i, j]) * <real>s
        else:
            for j in range(n):
                s = s + dy[i, j] * sm[i, j]
            for j in range(n):
                out[i, j] = sm[i, j] * (dy[i, j] - <real>s)


# ---------------------------------------------------------------------------
# Categorical crossentropy with integer labels (labels checked by the caller
# with first_bad_label)
# ---------------------------------------------------------------------------

def crossentropy_1hot(const real[:, ::1] p, const Py_ssize_t[::1] y, real[::1] out):
    """out[i] = -log(p[i, y[i]])."""
    cdef Py_ssize_t i
    with nogil:
        for i in range(p.shape[0]):
            out[i] = -_log(p[i, y[i]])


def crossentropy_1hot_grad(const real[::1] g, const real[:, ::1] p,
                           const Py_ssize_t[::1] y, real[:, ::1] out):
    """d/dp of g . crossentropy: -g[i] / p[i, y[i]] at the labels, 0 elsewhere."""
    cdef Py_ssize_t i
    with nogil:
        memset(&out[0, 0], 0, out.shape[0] * out.shape[1] * sizeof(real))
        for i in range(p.shape[0]):
            out[i, y[i]] = -g[i] / p[i, y[i]]


def softmax_crossentropy_1hot(const real[:, ::1] x, const Py_ssize_t[::1] y,
                              real[::1] nll, real[:, ::1] sm, int nthreads):
    """sm = softmax(x), nll[i] = logsumexp(x[i]) - x[i, y[i]] (never inf for finite x)."""
    cdef Py_ssize_t i, rows = x.shape[0], n = x.shape[1]
    cdef double lse
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        lse = _softmax_row(&x[i, 0], &sm[i, 0], n, False)
        nll[i] = <real>(lse - x[i, y[i]])


def softmax_crossentropy_1hot_dx(const real[::1] g, const real[:, ::1] sm,
                                 const Py_ssize_t[::1] y, real[:, ::1] out, int nthreads):
    """d/dx of g . crossentropy(softmax(x), y) = g[i] * (sm[i] - onehot(y[i]))."""
    cdef Py_ssize_t i, j, rows = sm.shape[0], n = sm.shape[1]
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        for j in range(n):
            out[i, j] = g[i] * sm[i, j]
        out[i, y[i]] = out[i, y[i]] - g[i]


def one_hot(const Py_ssize_t[::1] y, number[:, ::1] out):
    """out = 0 except out[i, y[i]] = 1."""
    cdef Py_ssize_t i
    with nogil:
        memset(&out[0, 0], 0, out.shape[0] * out.shape[1] * sizeof(number))
        for i in range(y.shape[0]):
            out[i, y[i]] = 1


# ---------------------------------------------------------------------------
# Convolution: im2col / col2im
#
# cols has one row per (channel, ki, kj) of the filter and one column per
# (image, output pixel) of a chunk of images [n0, n0 + nc): the convolution
# of the chunk is then one matrix product filters (F, C*kh*kw) @ cols.
# ---------------------------------------------------------------------------

def im2col(const real[:, :, :, ::1] x, real[:, ::1] cols, Py_ssize_t n0, Py_ssize_t nc,
           int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
           int oh, int ow, int nthreads):
    cdef Py_ssize_t C = x.shape[1], H = x.shape[2], W = x.shape[3], P = oh * ow
    cdef Py_ssize_t t, n, c, ki, kj, oy, ox, iy, ix, row
    cdef real *dst
    for t in prange(nc * C, nogil=True, schedule='static',
                    num_threads=_threads(cols.shape[0] * cols.shape[1], nthreads)):
        n = t // C
        c = t % C
        for ki in range(kh):
            for kj in range(kw):
                row = (c * kh + ki) * kw + kj
                dst = &cols[row, n * P]
                for oy in range(oh):
                    iy = oy * sh - ph + ki * dh
                    if iy < 0 or iy >= H:
                        memset(dst + oy * ow, 0, ow * sizeof(real))
                        continue
                    for ox in range(ow):
                        ix = ox * sw - pw + kj * dw
                        if ix >= 0 and ix < W:
                            dst[oy * ow + ox] = x[n0 + n, c, iy, ix]
                        else:
                            dst[oy * ow + ox] = 0


def col2im(const real[:, ::1] cols, real[:, :, :, ::1] dx, Py_ssize_t n0, Py_ssize_t nc,
           int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
           int oh, int ow, int nthreads):
    """dx[n0:n0+nc] = the sum of the columns back at the pixels they came from."""
    cdef Py_ssize_t C = dx.shape[1], H = dx.shape[2], W = dx.shape[3], P = oh * ow
    cdef Py_ssize_t t, n, c, ki, kj, oy, ox, iy, ix, row
    cdef const real *src
    for t in prange(nc * C, nogil=True, schedule='static',
                    num_threads=_threads(cols.shape[0] * cols.shape[1], nthreads)):
        n = t // C
        c = t % C
        memset(&dx[n0 + n, c, 0, 0], 0, H * W * sizeof(real))
        for ki in range(kh):
            for kj in range(kw):
                row = (c * kh + ki) * kw + kj
                src = &cols[row, n * P]
                for oy in range(oh):
                    iy = oy * sh - ph + ki * dh
                    if iy < 0 or iy >= H:
                        continue
                    for ox in range(ow):
                        ix = ox * sw - pw + kj * dw
                        if ix >= 0 and ix < W:
                            dx[n0 + n, c, iy, ix] += src[oy * ow + ox]


# ---------------------------------------------------------------------------
# Pooling over the last two axes of (B, H, W); windows (wh, ww), strides
# (sh, sw), padding (ph, pw).  Window (oy, ox) covers rows [ys, ye) of the
# image padded on each side (coordinates of the unpadded image, so ys may be
# negative), ye clipped to the padded image; it reads the real pixels
# [y0, y1) x [x0, x1) inside it.  (Written out in each loop body: values set
# through pointers would be shared between OpenMP threads.)
# ---------------------------------------------------------------------------

def pool2d(const real[:, :, ::1] x, real[:, :, ::1] out, int wh, int ww, int sh, int sw,
           int ph, int pw, int mode, int nthreads):
    cdef Py_ssize_t B = x.shape[0], H = x.shape[1], W = x.shape[2]
    cdef Py_ssize_t OH = out.shape[1], OW = out.shape[2]
    cdef Py_ssize_t b, oy, ox, y, xx, ys, ye, xs, xe, y0, y1, x0, x1
    cdef real acc
    for b in prange(B, nogil=True, schedule='static',
                    num_threads=_threads(B * H * W, nthreads)):
        for oy in range(OH):
            ys = oy * sh - ph
            ye = min(ys + wh, H + ph)
            y0 = max(ys, 0)
            y1 = min(ye, H)
            for ox in range(OW):
                xs = ox * sw - pw
                xe = min(xs + ww, W + pw)
                x0 = max(xs, 0)
                x1 = min(xe, W)
                if mode == 0:
                    acc = -INFINITY
                    for y in range(y0, y1):
                        for xx in range(x0, x1):
                            if x[b, y, xx] > acc:
                                acc = x[b, y, xx]
                else:
                    acc = 0
                    for y in range(y0, y1):
                        for xx in range(x0, x1):
                            acc = acc + x[b, y, xx]
                    if mode == 2:
                        acc = acc / ((ye - ys) * (xe - xs))
                    elif mode == 3:
                        acc = acc / ((y1 - y0) * (x1 - x0))
                out[b, oy, ox] = acc


def pool2d_grad(const real[:, :, ::1] x, const real[:, :, ::1] out,
                const real[:, :, ::1] gz, real[:, :, ::1] gx, int wh, int ww, int sh, int sw,
                int ph, int pw, int mode, int nthreads):
    """Gradient of pool2d.  Max: every input equal to its window's maximum
    receives the window's gradient (Theano's rule for ties)."""
    cdef Py_ssize_t B = x.shape[0], H = x.shape[1], W = x.shape[2]
    cdef Py_ssize_t OH = gz.shape[1], OW = gz.shape[2]
    cdef Py_ssize_t b, oy, ox, y, xx, ys, ye, xs, xe, y0, y1, x0, x1
    cdef real g
    for b in prange(B, nogil=True, schedule='static',
                    num_threads=_threads(B * H * W, nthreads)):
        memset(&gx[b, 0, 0], 0, H * W * sizeof(real))
        for oy in range(OH):
            ys = oy * sh - ph
            ye = min(ys + wh, H + ph)
            y0 = max(ys, 0)
            y1 = min(ye, H)
            for ox in range(OW):
                xs = ox * sw - pw
                xe = min(xs + ww, W + pw)
                x0 = max(xs, 0)
                x1 = min(xe, W)
                g = gz[b, oy, ox]
                if mode == 0:
                    for y in range(y0, y1):
                        for xx in range(x0, x1):
                            if x[b, y, xx] == out[b, oy, ox]:
                                gx[b, y, xx] += g
                    continue
                if mode == 2:
                    g = g / ((ye - ys) * (xe - xs))
                elif mode == 3:
                    g = g / ((y1 - y0) * (x1 - x0))
                for y in range(y0, y1):
                    for xx in range(x0, x1):
                        gx[b, y, xx] += g


# ---------------------------------------------------------------------------
# Advanced indexing on rows: out[i] = x[idx[i]], and x[idx[i]] (+)= y[i].
# Rows are bytes (any dtype) for gathers and sets; adding needs the dtype.
# Indices are normalised and checked with normalize_index first.
# ---------------------------------------------------------------------------

def take_rows(const unsigned char[:, ::1] x, const Py_ssize_t[::1] idx,
              unsigned char[:, ::1] out, int nthreads):
    cdef Py_ssize_t i, k = idx.shape[0], m = x.shape[1]
    if m == 0:
        return
    for i in prange(k, nogil=True, schedule='static', num_threads=_threads(k * m // 8, nthreads)):
        memcpy(&out[i, 0], &x[idx[i], 0], m)


def put_rows(unsigned char[:, ::1] x, const Py_ssize_t[::1] idx,
             const unsigned char[:, ::1] y):
    """x[idx[i]] = y[i]; with repeated indices the last one wins, as in NumPy."""
    cdef Py_ssize_t i, m = x.shape[1]
    if m == 0:
        return
    with nogil:
        for i in range(idx.shape[0]):
            memcpy(&x[idx[i], 0], &y[i, 0], m)


def add_rows(number[:, ::1] x, const Py_ssize_t[::1] idx, const number[:, ::1] y,
             int nthreads):
    """x[idx[i]] += y[i] for every i: repeated indices accumulate.  Threads
    split the columns, so no two write the same element."""
    cdef Py_ssize_t i, j, c, k = idx.shape[0], m = x.shape[1]
    cdef int nt = _threads(k * m, nthreads)
    cdef Py_ssize_t chunk = (m + nt - 1) // nt if m else 1
    for c in prange(nt, nogil=True, schedule='static', num_threads=nt):
        for i in range(k):
            for j in range(c * chunk, min(m, (c + 1) * chunk)):
                x[idx[i], j] = x[idx[i], j] + y[i, j]
