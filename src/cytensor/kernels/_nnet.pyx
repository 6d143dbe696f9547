# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Kernels for the neural-network layer (cytensor.tensor.nnet and advanced indexing).

Every function takes C-contiguous arrays; their shapes, the geometry
arguments, indices and labels are checked here, with the GIL, before any
``nogil`` loop reads memory through them (the calling ops check them too, with
friendlier messages), so no input can crash the process.  Loops over rows, images or
(image, channel) planes run on OpenMP threads when the work is large
(``nthreads`` comes from cytensor.kernels.get_num_threads()).

* softmax / log_softmax over the rows of a matrix, and their gradients;
* categorical crossentropy with integer labels, alone and fused with softmax;
* im2col / col2im for convolution (the products go to BLAS, never here);
* direct 2-D pooling (max, sum, average with or without padding), its gradient
  and the gradient of max pooling's gradient;
* row gather / scatter(-add) for advanced indexing, and one_hot.
"""
from libc.string cimport memcpy, memset
from libc.stdlib cimport malloc, free
from cython.parallel cimport prange, parallel, threadid
cimport numpy as cnp
import numpy as np

from cytensor.kernels._threads cimport threads_over, WORK_ROWS, WORK_LEAN, WORK_IMAGES
from cytensor.kernels._threads cimport (timed_threads_upto, timed_done, shape_key,
                                        TimedRun)
from cytensor.kernels._threads cimport min_work as policy_min_work

cnp.import_array()

cdef extern from "vecmath.h" nogil:
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

# The serial thresholds and the policy: the threads module's (_threads.pyx).
cdef Py_ssize_t PAR_MIN = policy_min_work(WORK_ROWS)       # elements below which loops stay serial
cdef Py_ssize_t PAR_MIN_LEAN = policy_min_work(WORK_LEAN)  # lean memory-bound loops (pooling)

POOL_MAX, POOL_SUM, POOL_AVG_INC, POOL_AVG_EXC = 0, 1, 2, 3


cdef inline int _threads_over(Py_ssize_t work, Py_ssize_t min_work, int nthreads) noexcept nogil:
    return threads_over(work, min_work, nthreads)


cdef inline int _threads(Py_ssize_t work, int nthreads) noexcept nogil:
    return threads_over(work, PAR_MIN, nthreads)


cdef inline int _require(bint ok, str fn) except -1:
    """ValueError unless the argument check ``ok`` holds (before any nogil loop)."""
    if not ok:
        raise ValueError(f"{fn}: array shapes or geometry do not match")
    return 0


# ---------------------------------------------------------------------------
# Index and label checks (with the GIL, before the loops that use them)
# ---------------------------------------------------------------------------

def first_bad_label(const Py_ssize_t[::1] y, Py_ssize_t n):
    """Position of the first label outside [0, n), or -1 if all are valid."""
    return _first_outside(y, n)


cdef Py_ssize_t _first_outside(const Py_ssize_t[::1] y, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(y.shape[0]):
        if y[i] < 0 or y[i] >= n:
            return i
    return -1


cdef int _check_labels(const Py_ssize_t[::1] y, Py_ssize_t rows, Py_ssize_t n,
                       str fn) except -1:
    """ValueError unless y holds `rows` labels (or row indices), each in [0, n)."""
    cdef Py_ssize_t bad
    _require(y.shape[0] == rows, fn)
    bad = _first_outside(y, n)
    if bad >= 0:
        raise ValueError(f"{fn}: index {y[bad]} at position {bad} is outside [0, {n})")
    return 0


cdef int _check_window(int sh, int sw, int ph, int pw, int dh, int dw, Py_ssize_t oh,
                       Py_ssize_t ow, str fn) except -1:
    """Strides and dilations >= 1, padding and output size >= 0 (what the ops allow)."""
    return _require(sh >= 1 and sw >= 1 and dh >= 1 and dw >= 1 and ph >= 0 and pw >= 0
                    and oh >= 0 and ow >= 0, fn)


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

cdef extern from "nnet_rows.h" nogil:
    double cyt_softmax_row_f(const float *x, float *out, Py_ssize_t n, int take_log)
    double cyt_softmax_row_d(const double *x, double *out, Py_ssize_t n, int take_log)
    void cyt_softmax_grad_row_f(const float *dy, const float *sm, float *out, Py_ssize_t n,
                                int from_log)
    void cyt_softmax_grad_row_d(const double *dy, const double *sm, double *out,
                                Py_ssize_t n, int from_log)
    void cyt_max_pool_inside_f(const float *x, float *out, float *rowmax, Py_ssize_t W,
                               Py_ssize_t OH, Py_ssize_t OW, int wh, int ww, int sh, int sw)
    void cyt_max_pool_inside_d(const double *x, double *out, double *rowmax, Py_ssize_t W,
                               Py_ssize_t OH, Py_ssize_t OW, int wh, int ww, int sh, int sw)


cdef inline real _log(real v) noexcept nogil:
    if real is float:
        return logf(v)
    else:
        return log(v)


cdef inline double _softmax_row(const real *x, real *out, Py_ssize_t n, bint take_log) noexcept nogil:
    """Softmax (or log-softmax) of one row; returns log(sum(exp(x - max))) + max
    (the vectorised loops of nnet_rows.h)."""
    if real is float:
        return cyt_softmax_row_f(x, out, n, take_log)
    else:
        return cyt_softmax_row_d(x, out, n, take_log)


def softmax(const real[:, ::1] x, real[:, ::1] out, bint take_log, int nthreads):
    """out[i] = softmax(x[i]) (or log_softmax), rows in parallel."""
    cdef Py_ssize_t i, rows = x.shape[0], n = x.shape[1]
    _require(out.shape[0] == rows and out.shape[1] == n, "softmax")
    if n == 0:
        return
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        _softmax_row(&x[i, 0], &out[i, 0], n, take_log)


def softmax_grad(const real[:, ::1] dy, const real[:, ::1] sm, real[:, ::1] out,
                 bint from_log, int nthreads):
    """Gradient through softmax: sm * (dy - sum(dy * sm)); through log_softmax
    (sm holding log-probabilities): dy - exp(sm) * sum(dy)."""
    cdef Py_ssize_t i, rows = dy.shape[0], n = dy.shape[1]
    _require(sm.shape[0] == rows and sm.shape[1] == n and out.shape[0] == rows
             and out.shape[1] == n, "softmax_grad")
    if n == 0:
        return
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        if real is float:
            cyt_softmax_grad_row_f(&dy[i, 0], &sm[i, 0], &out[i, 0], n, from_log)
        else:
            cyt_softmax_grad_row_d(&dy[i, 0], &sm[i, 0], &out[i, 0], n, from_log)


# ---------------------------------------------------------------------------
# Categorical crossentropy with integer labels
# ---------------------------------------------------------------------------

def crossentropy_1hot(const real[:, ::1] p, const Py_ssize_t[::1] y, real[::1] out):
    """out[i] = -log(p[i, y[i]])."""
    cdef Py_ssize_t i
    _require(out.shape[0] == p.shape[0], "crossentropy_1hot")
    _check_labels(y, p.shape[0], p.shape[1], "crossentropy_1hot")
    with nogil:
        for i in range(p.shape[0]):
            out[i] = -_log(p[i, y[i]])


def crossentropy_1hot_grad(const real[::1] g, const real[:, ::1] p,
                           const Py_ssize_t[::1] y, real[:, ::1] out):
    """d/dp of g . crossentropy: -g[i] / p[i, y[i]] at the labels, 0 elsewhere."""
    cdef Py_ssize_t i
    _require(g.shape[0] == p.shape[0] and out.shape[0] == p.shape[0]
             and out.shape[1] == p.shape[1], "crossentropy_1hot_grad")
    _check_labels(y, p.shape[0], p.shape[1], "crossentropy_1hot_grad")
    with nogil:
        memset(&out[0, 0], 0, out.shape[0] * out.shape[1] * sizeof(real))
        for i in range(p.shape[0]):
            out[i, y[i]] = -g[i] / p[i, y[i]]


def softmax_crossentropy_1hot(const real[:, ::1] x, const Py_ssize_t[::1] y,
                              real[::1] nll, real[:, ::1] sm, int nthreads):
    """sm = softmax(x), nll[i] = logsumexp(x[i]) - x[i, y[i]] (never inf for finite x)."""
    cdef Py_ssize_t i, rows = x.shape[0], n = x.shape[1]
    cdef double lse
    _require(nll.shape[0] == rows and sm.shape[0] == rows and sm.shape[1] == n,
             "softmax_crossentropy_1hot")
    _check_labels(y, rows, n, "softmax_crossentropy_1hot")
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        lse = _softmax_row(&x[i, 0], &sm[i, 0], n, False)
        nll[i] = <real>(lse - x[i, y[i]])


def softmax_crossentropy_1hot_dx(const real[::1] g, const real[:, ::1] sm,
                                 const Py_ssize_t[::1] y, real[:, ::1] out, int nthreads):
    """d/dx of g . crossentropy(softmax(x), y) = g[i] * (sm[i] - onehot(y[i]))."""
    cdef Py_ssize_t i, j, rows = sm.shape[0], n = sm.shape[1]
    _require(g.shape[0] == rows and out.shape[0] == rows and out.shape[1] == n,
             "softmax_crossentropy_1hot_dx")
    _check_labels(y, rows, n, "softmax_crossentropy_1hot_dx")
    for i in prange(rows, nogil=True, schedule='static',
                    num_threads=_threads(rows * n, nthreads)):
        for j in range(n):
            out[i, j] = g[i] * sm[i, j]
        out[i, y[i]] = out[i, y[i]] - g[i]


def one_hot(const Py_ssize_t[::1] y, number[:, ::1] out):
    """out = 0 except out[i, y[i]] = 1."""
    cdef Py_ssize_t i
    _check_labels(y, out.shape[0], out.shape[1], "one_hot")
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
    cdef Py_ssize_t C = x.shape[1], H = x.shape[2], W = x.shape[3], P = <Py_ssize_t>oh * ow
    cdef Py_ssize_t t, n, c, ki, kj, oy, ox, iy, ix, row
    cdef real *dst
    _check_window(sh, sw, ph, pw, dh, dw, oh, ow, "im2col")
    _require(n0 >= 0 and nc >= 0 and n0 + nc <= x.shape[0] and kh >= 0 and kw >= 0
             and cols.shape[0] == C * kh * kw and cols.shape[1] == nc * P, "im2col")
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
    cdef Py_ssize_t C = dx.shape[1], H = dx.shape[2], W = dx.shape[3], P = <Py_ssize_t>oh * ow
    cdef Py_ssize_t t, n, c, ki, kj, oy, ox, iy, ix, row
    cdef const real *src
    _check_window(sh, sw, ph, pw, dh, dw, oh, ow, "col2im")
    _require(n0 >= 0 and nc >= 0 and n0 + nc <= dx.shape[0] and kh >= 0 and kw >= 0
             and cols.shape[0] == C * kh * kw and cols.shape[1] == nc * P, "col2im")
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

cdef inline void _max_pool_grad_disjoint(const real *x, const real *out, const real *gz,
                                         real *gx, Py_ssize_t H, Py_ssize_t W, Py_ssize_t OH,
                                         Py_ssize_t OW, int wh, int ww, int sh,
                                         int sw) noexcept nogil:
    """Gradient of max pooling for one image whose windows are inside it and
    disjoint: every input equal to its window's maximum gets the window's
    gradient, every other pixel 0."""
    cdef Py_ssize_t oy, ox, i, j
    cdef const real *xr
    cdef real *gr
    cdef real m, g
    if sh != wh or sw != ww or OH * sh != H or OW * sw != W:
        memset(gx, 0, H * W * sizeof(real))     # pixels outside every window
    if wh == 2 and ww == 2 and sw == 2:
        for oy in range(OH):
            for i in range(2):
                xr = x + (oy * sh + i) * W
                gr = gx + (oy * sh + i) * W
                for ox in range(OW):
                    m = out[oy * OW + ox]
                    g = gz[oy * OW + ox]
                    gr[2 * ox] = g if xr[2 * ox] == m else 0
                    gr[2 * ox + 1] = g if xr[2 * ox + 1] == m else 0
        return
    for oy in range(OH):
        for i in range(wh):
            xr = x + (oy * sh + i) * W
            gr = gx + (oy * sh + i) * W
            for ox in range(OW):
                m = out[oy * OW + ox]
                g = gz[oy * OW + ox]
                for j in range(ww):
                    gr[ox * sw + j] = g if xr[ox * sw + j] == m else 0


cdef int _max_pool_inside(const real[:, :, ::1] x, real[:, :, ::1] out, int wh, int ww,
                          int sh, int sw, int nt) except -1:
    """Max pooling of every image, all windows inside the image."""
    cdef Py_ssize_t b, W = x.shape[2], OH = out.shape[1], OW = out.shape[2]
    cdef real *rowmax
    cdef int err = 0
    with nogil, parallel(num_threads=nt):
        rowmax = <real *>malloc(W * sizeof(real) + 64)
        for b in prange(x.shape[0], schedule='static'):
            if rowmax == NULL:
                err += 1
            elif real is float:
                cyt_max_pool_inside_f(&x[b, 0, 0], &out[b, 0, 0], rowmax, W, OH, OW,
                                      wh, ww, sh, sw)
            else:
                cyt_max_pool_inside_d(&x[b, 0, 0], &out[b, 0, 0], rowmax, W, OH, OW,
                                      wh, ww, sh, sw)
        free(rowmax)
    if err:
        raise MemoryError("pool2d: out of memory for a row buffer")
    return 0


def pool2d(const real[:, :, ::1] x, real[:, :, ::1] out, int wh, int ww, int sh, int sw,
           int ph, int pw, int mode, int nthreads):
    cdef Py_ssize_t B = x.shape[0], H = x.shape[1], W = x.shape[2]
    cdef Py_ssize_t OH = out.shape[1], OW = out.shape[2]
    cdef Py_ssize_t b, oy, ox, y, xx, ys, ye, xs, xe, y0, y1, x0, x1
    cdef real acc
    _require(out.shape[0] == B and wh >= 1 and ww >= 1, "pool2d")
    _check_window(sh, sw, ph, pw, 1, 1, OH, OW, "pool2d")
    if mode == 0 and ph == 0 and pw == 0 and OH > 0 and OW > 0 \
            and (OH - 1) * sh + wh <= H and (OW - 1) * sw + ww <= W:
        # every window lies inside the image: no clipping, the vectorised
        # loops of nnet_rows.h, a row of column maxima per thread
        _max_pool_inside(x, out, wh, ww, sh, sw,
                         _threads_over(B * H * W, PAR_MIN_LEAN, nthreads))
        return
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
                            if x[b, y, xx] > acc or x[b, y, xx] != x[b, y, xx]:
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
    _require(gz.shape[0] == B and out.shape[0] == B and out.shape[1] == OH
             and out.shape[2] == OW and gx.shape[0] == B and gx.shape[1] == H
             and gx.shape[2] == W and wh >= 1 and ww >= 1, "pool2d_grad")
    _check_window(sh, sw, ph, pw, 1, 1, OH, OW, "pool2d_grad")
    if mode == 0 and ph == 0 and pw == 0 and sh >= wh and sw >= ww and OH > 0 and OW > 0 \
            and (OH - 1) * sh + wh <= H and (OW - 1) * sw + ww <= W:
        # windows inside the image and not overlapping: each input pixel gets
        # the gradient of at most one window, written without accumulating
        for b in prange(B, nogil=True, schedule='static',
                        num_threads=_threads_over(B * H * W, PAR_MIN_LEAN, nthreads)):
            _max_pool_grad_disjoint(&x[b, 0, 0], &out[b, 0, 0], &gz[b, 0, 0], &gx[b, 0, 0],
                                    H, W, OH, OW, wh, ww, sh, sw)
        return
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


def pool2d_max_grad_grad(const real[:, :, ::1] x, const real[:, :, ::1] out,
                         const real[:, :, ::1] ggx, real[:, :, ::1] ggz, int wh, int ww,
                         int sh, int sw, int ph, int pw, int nthreads):
    """Gradient of max pooling's gradient with respect to the output gradient:
    ggz[b, oy, ox] = the sum of ggx over the pixels of window (oy, ox) equal to
    its maximum.  pool2d_grad sends each window's gradient to exactly those
    pixels, so this is its transpose (ties included)."""
    cdef Py_ssize_t B = x.shape[0], H = x.shape[1], W = x.shape[2]
    cdef Py_ssize_t OH = out.shape[1], OW = out.shape[2]
    cdef Py_ssize_t b, oy, ox, y, xx, y0, y1, x0, x1
    cdef real acc
    _require(out.shape[0] == B and ggz.shape[0] == B and ggz.shape[1] == OH
             and ggz.shape[2] == OW and ggx.shape[0] == B and ggx.shape[1] == H
             and ggx.shape[2] == W and wh >= 1 and ww >= 1, "pool2d_max_grad_grad")
    _check_window(sh, sw, ph, pw, 1, 1, OH, OW, "pool2d_max_grad_grad")
    for b in prange(B, nogil=True, schedule='static',
                    num_threads=_threads(B * H * W, nthreads)):
        for oy in range(OH):
            y0 = max(oy * sh - ph, 0)
            y1 = min(oy * sh - ph + wh, H)
            for ox in range(OW):
                x0 = max(ox * sw - pw, 0)
                x1 = min(ox * sw - pw + ww, W)
                acc = 0
                for y in range(y0, y1):
                    for xx in range(x0, x1):
                        if x[b, y, xx] == out[b, oy, ox]:
                            acc = acc + ggx[b, y, xx]
                ggz[b, oy, ox] = acc


# ---------------------------------------------------------------------------
# Advanced indexing on rows: out[i] = x[idx[i]], and x[idx[i]] (+)= y[i].
# Rows are bytes (any dtype) for gathers and sets; adding needs the dtype.
# Indices are normalised and checked with normalize_index first.
# ---------------------------------------------------------------------------

def take_rows(const unsigned char[:, ::1] x, const Py_ssize_t[::1] idx,
              unsigned char[:, ::1] out, int nthreads):
    cdef Py_ssize_t i, k = idx.shape[0], m = x.shape[1]
    _require(out.shape[0] == k and out.shape[1] == m, "take_rows")
    _check_labels(idx, k, x.shape[0], "take_rows")
    if m == 0:
        return
    for i in prange(k, nogil=True, schedule='static', num_threads=_threads(k * m // 8, nthreads)):
        memcpy(&out[i, 0], &x[idx[i], 0], m)


def put_rows(unsigned char[:, ::1] x, const Py_ssize_t[::1] idx,
             const unsigned char[:, ::1] y):
    """x[idx[i]] = y[i]; with repeated indices the last one wins, as in NumPy."""
    cdef Py_ssize_t i, m = x.shape[1]
    _require(y.shape[1] == m, "put_rows")
    _check_labels(idx, y.shape[0], x.shape[0], "put_rows")
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
    _require(y.shape[1] == m, "add_rows")
    _check_labels(idx, y.shape[0], x.shape[0], "add_rows")
    for c in prange(nt, nogil=True, schedule='static', num_threads=nt):
        for i in range(k):
            for j in range(c * chunk, min(m, (c + 1) * chunk)):
                x[idx[i], j] = x[idx[i], j] + y[i, j]


# ---------------------------------------------------------------------------
# Convolution image by image: each OpenMP thread copies the patches of one
# image into its own small im2col buffer (it stays in cache) and hands them to
# BLAS.  The column blocks are small enough that OpenBLAS runs each product
# in the calling thread (m*n*k below its multithreading threshold), so the
# threads never wait on one another.
#
# Grouped convolution (G groups): image channels [g*C/G, (g+1)*C/G) meet
# only filters [g*F/G, (g+1)*F/G), whose rows in wm hold C/G channels each.
# A work item is one (image, group) pair; it offsets the pointers into x,
# wm and out to its group and runs the same im2col and product on it.
# ---------------------------------------------------------------------------

from scipy.linalg.cython_blas cimport sgemm, dgemm

cdef extern from "blas_threads.h" nogil:
    int cyt_blas_threads_init(void *blas_function)
    int cyt_blas_threads_get()
    void cyt_blas_threads_set(int n)

cdef Py_ssize_t BLAS_SERIAL_MNK = 200000     # below OpenBLAS's threading threshold (262144)
cdef Py_ssize_t DIRECT_COLS_MAX = 1 << 20    # elements of one image's im2col buffer
# True when BLAS's thread count can be lowered to 1 while the kernels' threads
# each multiply whole images; else each product stays below the threshold.
cdef bint BLAS_THREADS_SETTABLE = cyt_blas_threads_init(<void *>sgemm)
cdef int _serial_blas_users = 0              # kernels running with BLAS lowered to 1
cdef int _blas_threads_before = -1           # BLAS's thread count before the first


cdef inline void _gemm_cm(char ta, char tb, int m, int n, int k, real alpha, const real *a,
                          int lda, const real *b, int ldb, real beta, real *c,
                          int ldc) noexcept nogil:
    """Column-major C = alpha * op(A) op(B) + beta * C through BLAS."""
    if real is float:
        sgemm(&ta, &tb, &m, &n, &k, &alpha, <float *>a, &lda, <float *>b, &ldb, &beta,
              c, &ldc)
    else:
        dgemm(&ta, &tb, &m, &n, &k, &alpha, <double *>a, &lda, <double *>b, &ldb, &beta,
              c, &ldc)


cdef inline void _inside_cols(Py_ssize_t W, Py_ssize_t ow, Py_ssize_t offset, int sw,
                              Py_ssize_t *lo, Py_ssize_t *hi) noexcept nogil:
    """[lo, hi): the output columns ox whose input column ox*sw + offset is in [0, W)."""
    cdef Py_ssize_t a = -offset, b = W - 1 - offset
    a = (a + sw - 1) // sw if a > 0 else 0
    b = b // sw + 1 if b >= 0 else 0
    if b > ow:
        b = ow
    lo[0] = a if a < b else b
    hi[0] = b


def conv_direct_ok(Py_ssize_t F, Py_ssize_t K, Py_ssize_t P):
    """True when conv2d_images / conv2d_images_grad_weights suit a layer with F
    filters per group of K = channels*rows*cols weights and P output pixels per image:
    the per-thread im2col buffer of one image (K x P) stays small, the sizes fit
    BLAS's int, and either each thread's BLAS calls can be made single-threaded
    or column blocks of at least 64 pixels (or the whole image) stay below
    OpenBLAS's threading threshold."""
    return _direct_sizes_ok(F, K, P) and (BLAS_THREADS_SETTABLE
                                          or F * K * min(P, 64) <= BLAS_SERIAL_MNK)


cdef bint _direct_sizes_ok(Py_ssize_t F, Py_ssize_t K, Py_ssize_t P):
    """Sizes the image-by-image kernels can take at all (no empty BLAS operands,
    no int overflow, a bounded im2col buffer)."""
    return F >= 1 and K >= 1 and P >= 1 and F * K <= 2147483647 and K * P <= DIRECT_COLS_MAX


cdef Py_ssize_t _block(Py_ssize_t F, Py_ssize_t K, Py_ssize_t P, int nt):
    """Output pixels per BLAS call: the whole image when one thread works or
    each thread's BLAS runs single-threaded, else equal blocks whose products
    stay below OpenBLAS's threading threshold."""
    cdef Py_ssize_t pb = BLAS_SERIAL_MNK // (F * K)
    if nt == 1 or BLAS_THREADS_SETTABLE or pb >= P:
        return P
    if pb < 1:
        pb = 1
    return (P + (P + pb - 1) // pb - 1) // ((P + pb - 1) // pb)


cdef bint _serial_blas_enter(bint lower):
    """Lower BLAS to one thread if ``lower`` (while several kernel threads call
    it, or when one thread measured faster) (with the GIL: the count of users
    makes overlapping calls restore the first value).  Returns whether
    _serial_blas_exit must be called."""
    global _serial_blas_users, _blas_threads_before
    if not lower or not BLAS_THREADS_SETTABLE:
        return False
    if _serial_blas_users == 0:
        _blas_threads_before = cyt_blas_threads_get()
        if _blas_threads_before > 1:
            cyt_blas_threads_set(1)
    _serial_blas_users += 1
    return True


cdef void _serial_blas_exit(bint entered):
    global _serial_blas_users
    if not entered:
        return
    _serial_blas_users -= 1
    if _serial_blas_users == 0 and _blas_threads_before > 1:
        cyt_blas_threads_set(_blas_threads_before)


cdef inline int _image_threads(Py_ssize_t N, Py_ssize_t work_per_image, int nthreads):
    """Threads for N work items of work_per_image (F*K*P) multiply-adds each."""
    return _threads_over(N * work_per_image, policy_min_work(WORK_IMAGES), nthreads) \
        if N > 1 else 1


cdef inline int _timed_image_threads(Py_ssize_t N, Py_ssize_t work_per_image, int pass_,
                                     int nthreads, TimedRun *run):
    """_image_threads, adapted to the load (timed_threads_upto) for the passes
    whose results do not depend on the count (pass_: 0 forward, 1 input gradient)."""
    return timed_threads_upto(WORK_IMAGES, N * work_per_image if N > 1 else 0,
                              shape_key(N, work_per_image, pass_), nthreads, run)


cdef int _check_groups(Py_ssize_t C, Py_ssize_t F, Py_ssize_t K, int G, int kh, int kw,
                       str fn) except -1:
    """G >= 1 divides the C channels and F filters; K = C/G * kh*kw."""
    return _require(G >= 1 and C % G == 0 and F % G == 0 and K == C // G * kh * kw, fn)


cdef void _patches(real *image, real *cols, bint gather, Py_ssize_t C, Py_ssize_t H,
                   Py_ssize_t W, int kh, int kw, int sh, int sw, int ph, int pw, int dh,
                   int dw, Py_ssize_t y0, Py_ssize_t y1, Py_ssize_t ow) noexcept nogil:
    """Output rows [y0, y1) of im2col between one image (C, H, W) and cols
    (C*kh*kw, (y1-y0)*ow): ``gather`` copies the patches into cols (zeros
    where they overhang the image); otherwise cols are summed back into
    the image at their pixels (col2im; the caller zeroes the image first)."""
    cdef Py_ssize_t c, ki, kj, oy, ox, iy, off, lo, hi, P = (y1 - y0) * ow
    cdef real *col
    cdef real *pixel
    for c in range(C):
        for ki in range(kh):
            for kj in range(kw):
                off = kj * dw - pw
                _inside_cols(W, ow, off, sw, &lo, &hi)
                for oy in range(y0, y1):
                    col = cols + ((c * kh + ki) * kw + kj) * P + (oy - y0) * ow
                    iy = oy * sh - ph + ki * dh
                    if iy < 0 or iy >= H:
                        if gather:
                            memset(col, 0, ow * sizeof(real))
                        continue
                    pixel = image + (c * H + iy) * W + off
                    if not gather:
                        if sw == 1:
                            for ox in range(lo, hi):      # contiguous: vectorised
                                pixel[ox] += col[ox]
                        else:
                            for ox in range(lo, hi):
                                pixel[ox * sw] += col[ox]
                        continue
                    for ox in range(lo):
                        col[ox] = 0
                    if sw == 1:
                        memcpy(col + lo, pixel + lo, (hi - lo) * sizeof(real))
                    else:
                        for ox in range(lo, hi):
                            col[ox] = pixel[ox * sw]
                    for ox in range(hi, ow):
                        col[ox] = 0


# The three passes of _conv_item.
cdef enum:
    CONV_FORWARD = 0
    CONV_GRAD_INPUTS = 1
    CONV_GRAD_WEIGHTS = 2


cdef void _conv_item(int pass_, real *image, const real *wm, real *rows, real *gw,
                     real *cols, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t F,
                     Py_ssize_t K, int kh, int kw, int sh, int sw, int ph, int pw, int dh,
                     int dw, Py_ssize_t oh, Py_ssize_t ow, Py_ssize_t band,
                     Py_ssize_t pb) noexcept nogil:
    """One (image, group) pair of a pass, ``band`` output rows at a time so
    that cols (K x band*ow) stays in the core's cache between im2col and BLAS,
    each product over at most pb pixels.  image (C, H, W): the input, or its
    gradient (CONV_GRAD_INPUTS, overwritten); wm (F, K) the group's filters;
    rows (F, oh*ow): the output (CONV_FORWARD, overwritten) or its gradient;
    gw (K, F): the filters' gradient, transposed, accumulated (CONV_GRAD_WEIGHTS)."""
    cdef Py_ssize_t P = oh * ow, y0, y1, bp, q, m
    if pass_ == CONV_GRAD_INPUTS:
        memset(image, 0, C * H * W * sizeof(real))
    y0 = 0
    while y0 < oh:
        y1 = min(oh, y0 + band)
        bp = (y1 - y0) * ow
        if pass_ != CONV_GRAD_INPUTS:
            _patches(image, cols, True, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, y0, y1, ow)
        q = 0
        while q < bp:
            m = min(pb, bp - q)
            if pass_ == CONV_FORWARD:
                # rows^T (m x F, col-major) = cols[:, q:q+m]^T (m x K) @ wm^T (K x F)
                _gemm_cm(c'N', c'N', <int>m, <int>F, <int>K, 1, cols + q, <int>bp, wm,
                         <int>K, 0, rows + y0 * ow + q, <int>P)
            elif pass_ == CONV_GRAD_WEIGHTS:
                # gw (F x K, col-major) += rows[:, q:q+m] (F x m) @ cols[:, q:q+m]^T:
                # the orientation with the F rows as BLAS's M (measured ~20%
                # faster than M = K with SciPy's OpenBLAS for CIFAR's layer)
                _gemm_cm(c'T', c'N', <int>F, <int>K, <int>m, 1, rows + y0 * ow + q, <int>P,
                         cols + q, <int>bp, 1, gw, <int>F)
            else:
                # cols^T (m x K, col-major) = rows[:, q:q+m]^T (m x F) @ wm (F x K)
                _gemm_cm(c'N', c'T', <int>m, <int>K, <int>F, 1, rows + y0 * ow + q,
                         <int>P, wm, <int>K, 0, cols + q, <int>bp)
            q += pb
        if pass_ == CONV_GRAD_INPUTS:
            _patches(image, cols, False, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, y0, y1,
                     ow)
        y0 = y1


cdef void _transposed_blocks(const real *src, real *dst, Py_ssize_t G, Py_ssize_t R,
                             Py_ssize_t S) noexcept nogil:
    """dst (G*S, R) = the G blocks (R, S) of src, each transposed."""
    cdef Py_ssize_t g, i, j
    for g in range(G):
        for i in range(S):
            for j in range(R):
                dst[(g * S + i) * R + j] = src[(g * R + j) * S + i]


cdef Py_ssize_t BAND_BYTES = 1 << 21         # an im2col band: a whole CIFAR-sized image
# (fewer, larger products; measured 3-8% faster than L2-sized bands here)


cdef int _conv_images(int pass_, real *images, const real *wm, real *rows, real *gw,
                      Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t F,
                      Py_ssize_t K, int groups, int kh, int kw, int sh, int sw, int ph,
                      int pw, int dh, int dw, Py_ssize_t oh, Py_ssize_t ow, int nt,
                      bint serial_blas, Py_ssize_t parts) except -1:
    """Run _conv_item on every (image, group) pair on nt threads, BLAS
    lowered to one thread if serial_blas; the gradient of the filters goes
    to gw[r] (F, K) for the r-th of ``parts`` equal runs of consecutive pairs,
    which threads take as they come free: the sums depend on parts, not on
    timing, and a thread slowed by the load does not hold the others up.
    The caller has checked the sizes."""
    cdef Py_ssize_t Cg = C // groups, Fg = F // groups, P = oh * ow, s, i, n, g, r
    cdef Py_ssize_t items = N * groups
    cdef Py_ssize_t band = max(1, min(oh, BAND_BYTES // (K * ow * sizeof(real))))
    cdef Py_ssize_t pb = _block(Fg, K, P, nt)
    cdef real *cols
    cdef int err = 0, err_parts = 0         # one reduction variable per loop
    cdef bint entered = _serial_blas_enter(serial_blas)
    with nogil, parallel(num_threads=nt):
        # per thread: the im2col band, then (weight gradient) the part's sum
        # transposed, group by group (K, F/G) blocks
        cols = <real *>malloc((K * band * ow + (F * K if pass_ == CONV_GRAD_WEIGHTS else 0))
                              * sizeof(real) + 64)
        if pass_ == CONV_GRAD_WEIGHTS:
            for r in prange(parts, schedule='dynamic'):
                if cols == NULL:
                    err_parts += 1
                    continue
                memset(cols + K * band * ow, 0, F * K * sizeof(real))
                for i in range(r * items // parts, (r + 1) * items // parts):
                    n, g = i // groups, i % groups
                    _conv_item(pass_, images + (n * C + g * Cg) * H * W, wm,
                               rows + (n * F + g * Fg) * P, cols + K * band * ow + g * Fg * K,
                               cols, Cg, H, W, Fg, K, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow,
                               band, pb)
                _transposed_blocks(cols + K * band * ow, gw + r * F * K, groups, K, Fg)
        else:
            for s in prange(items, schedule='dynamic'):
                if cols == NULL:
                    err += 1
                else:
                    n, g = s // groups, s % groups
                    _conv_item(pass_, images + (n * C + g * Cg) * H * W, wm + g * Fg * K,
                               rows + (n * F + g * Fg) * P, NULL, cols, Cg, H, W, Fg, K, kh,
                               kw, sh, sw, ph, pw, dh, dw, oh, ow, band, pb)
        free(cols)
    _serial_blas_exit(entered)
    if err or err_parts:
        raise MemoryError("conv2d: out of memory for the im2col buffers")
    return 0


def conv2d_images(const real[:, :, :, ::1] x, const real[:, ::1] wm, real[:, :, ::1] out,
                  int groups, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                  int oh, int ow, int nthreads):
    """out[n] (F, oh*ow) = wm (F, C/G*kh*kw) @ im2col(x[n]) group by group,
    (image, group) pairs on threads; BLAS writes straight into out.  The
    caller checks the geometry and conv_direct_ok(F/G, C/G*kh*kw, oh*ow)."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], F = wm.shape[0], K = wm.shape[1]
    cdef Py_ssize_t P = <Py_ssize_t>oh * ow
    _check_groups(C, F, K, groups, kh, kw, "conv2d_images")
    _require(out.shape[0] == N and out.shape[1] == F and out.shape[2] == P
             and _direct_sizes_ok(F // groups, K, P), "conv2d_images")
    _check_window(sh, sw, ph, pw, dh, dw, oh, ow, "conv2d_images")
    if N == 0:
        return
    cdef TimedRun run
    cdef int nt = _timed_image_threads(N * groups, F // groups * K * P, 0, nthreads, &run)
    _conv_images(CONV_FORWARD, <real *>&x[0, 0, 0, 0], &wm[0, 0], &out[0, 0, 0], NULL, N, C,
                 x.shape[2], x.shape[3], F, K, groups, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow,
                 nt, nt > 1 or run.site != NULL, 1)
    timed_done(&run)


cdef Py_ssize_t PARTS_PER_THREAD = 4     # runs of images per thread (conv_weight_parts)
cdef Py_ssize_t PARTS_BYTES = 1 << 23     # memory for the partial sums beyond one per thread


def conv_weight_parts(Py_ssize_t N, Py_ssize_t F, Py_ssize_t K, Py_ssize_t P, int groups,
                      int itemsize, int nthreads):
    """The partial sums (first axis of conv2d_images_grad_weights' partial)
    for N images, F filters of K = C/G*kh*kw weights, P output pixels:
    one without threads, else a few per thread (a thread that the load
    slows takes fewer), within PARTS_BYTES."""
    cdef Py_ssize_t items = N * groups
    cdef int nt = _image_threads(items, F // groups * K * P, nthreads)
    if nt == 1:
        return 1
    return min(items, max(nt, min(PARTS_PER_THREAD * nt, PARTS_BYTES // (F * K * itemsize))))


def conv2d_images_grad_weights(const real[:, :, :, ::1] x, const real[:, :, ::1] gy,
                               real[:, :, ::1] partial, int groups, int kh, int kw, int sh,
                               int sw, int ph, int pw, int dh, int dw, int oh, int ow,
                               int nthreads):
    """partial[r] (F, C/G*kh*kw) = the sum, over the r-th of partial.shape[0]
    equal runs of (image, group) pairs, of gy[n] (group's F/G rows, oh*ow) @
    im2col(x[n] group's channels).T; the caller sums partial over r (and
    takes its length from conv_weight_parts).  partial is overwritten."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], F = gy.shape[1], K = partial.shape[2]
    cdef Py_ssize_t P = <Py_ssize_t>oh * ow, parts = partial.shape[0]
    _check_groups(C, F, K, groups, kh, kw, "conv2d_images_grad_weights")
    cdef int nt = min(_image_threads(N * groups, F // groups * K * P, nthreads), parts)
    _require(gy.shape[0] == N and gy.shape[2] == P and partial.shape[1] == F and parts >= 1
             and _direct_sizes_ok(F // groups, K, P), "conv2d_images_grad_weights")
    _check_window(sh, sw, ph, pw, dh, dw, oh, ow, "conv2d_images_grad_weights")
    memset(&partial[0, 0, 0], 0, parts * F * K * sizeof(real))
    if N == 0:
        return
    _conv_images(CONV_GRAD_WEIGHTS, <real *>&x[0, 0, 0, 0], NULL, <real *>&gy[0, 0, 0],
                 &partial[0, 0, 0], N, C, x.shape[2], x.shape[3], F, K, groups, kh, kw, sh, sw,
                 ph, pw, dh, dw, oh, ow, nt, nt > 1, parts)


def conv2d_images_grad_inputs(const real[:, ::1] wm, const real[:, :, ::1] gy,
                              real[:, :, :, ::1] dx, int groups, int kh, int kw, int sh,
                              int sw, int ph, int pw, int dh, int dw, int oh, int ow,
                              int nthreads):
    """dx[n] group's channels = col2im(wm group's rows.T (K, F/G) @ gy[n] group's
    rows (F/G, oh*ow)), (image, group) pairs on threads.  The caller checks
    the geometry and conv_direct_ok(F/G, K, oh*ow)."""
    cdef Py_ssize_t N = dx.shape[0], C = dx.shape[1], F = wm.shape[0], K = wm.shape[1]
    cdef Py_ssize_t P = <Py_ssize_t>oh * ow
    _check_groups(C, F, K, groups, kh, kw, "conv2d_images_grad_inputs")
    _require(gy.shape[0] == N and gy.shape[1] == F and gy.shape[2] == P
             and _direct_sizes_ok(F // groups, K, P), "conv2d_images_grad_inputs")
    _check_window(sh, sw, ph, pw, dh, dw, oh, ow, "conv2d_images_grad_inputs")
    if N == 0:
        return
    cdef TimedRun run
    cdef int nt = _timed_image_threads(N * groups, F // groups * K * P, 1, nthreads, &run)
    _conv_images(CONV_GRAD_INPUTS, &dx[0, 0, 0, 0], &wm[0, 0], <real *>&gy[0, 0, 0], NULL, N,
                 C, dx.shape[2], dx.shape[3], F, K, groups, kh, kw, sh, sw, ph, pw, dh, dw, oh,
                 ow, nt, nt > 1 or run.site != NULL, 1)
    timed_done(&run)


# ---------------------------------------------------------------------------
# Lean entry points for the crossentropy ops' hot paths: plain arrays in,
# their types and shapes checked here with the GIL (labels included), the
# loops of softmax_crossentropy_1hot / _dx run on raw pointers.  Each returns
# 0 when done and 1 when a precondition does not hold (other dtypes or
# layouts, bad shapes or labels): the op then takes its general path, which
# gives the error messages.
# ---------------------------------------------------------------------------

cdef inline Py_ssize_t _lab(const char *yp, bint y64, Py_ssize_t i) noexcept nogil:
    if y64:
        return (<const long long *>yp)[i]
    return (<const int *>yp)[i]


cdef int _labels_ok(cnp.ndarray y, Py_ssize_t rows, Py_ssize_t n, bint *y64):
    cdef const char *yp
    cdef Py_ssize_t i, v
    if cnp.PyArray_NDIM(y) != 1 or cnp.PyArray_DIM(y, 0) != rows \
            or not cnp.PyArray_IS_C_CONTIGUOUS(y) or not cnp.PyArray_ISALIGNED(y) \
            or cnp.PyArray_ISBYTESWAPPED(y):
        return 0
    if not cnp.PyArray_ISSIGNED(y):
        return 0
    if cnp.PyArray_ITEMSIZE(y) == 4 and sizeof(int) == 4:
        y64[0] = False
    elif cnp.PyArray_ITEMSIZE(y) == 8 and sizeof(long long) == 8:
        y64[0] = True
    else:
        return 0
    yp = <const char *>cnp.PyArray_DATA(y)
    for i in range(rows):
        v = _lab(yp, y64[0], i)
        if v < 0 or v >= n:
            return 0
    return 1


cdef inline bint _plain(object a, int tn, int nd):
    cdef cnp.ndarray b
    if type(a) is not np.ndarray:
        return False
    b = <cnp.ndarray>a
    return (cnp.PyArray_TYPE(b) == tn and cnp.PyArray_NDIM(b) == nd
            and cnp.PyArray_IS_C_CONTIGUOUS(b) and cnp.PyArray_ISALIGNED(b)
            and not cnp.PyArray_ISBYTESWAPPED(b))


cdef inline int _plain_float(object a, int nd):
    """a's type number when it is a plain (_plain) float32 or float64 array of nd
    dimensions, else -1."""
    cdef int tn
    if type(a) is not np.ndarray:
        return -1
    tn = cnp.PyArray_TYPE(<cnp.ndarray>a)
    if (tn != cnp.NPY_FLOAT32 and tn != cnp.NPY_FLOAT64) or not _plain(a, tn, nd):
        return -1
    return tn


cdef void _sxent_rows(const real *x, real *sm, real *nll, const char *yp, bint y64,
                      Py_ssize_t rows, Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t i
    cdef double lse
    for i in prange(rows, schedule='static', num_threads=nt):
        lse = _softmax_row(x + i * n, sm + i * n, n, False)
        nll[i] = <real>(lse - x[i * n + _lab(yp, y64, i)])


cdef void _sxent_dx_rows(const real *g, const real *sm, real *out, const char *yp, bint y64,
                         Py_ssize_t rows, Py_ssize_t n, int nt) noexcept nogil:
    cdef Py_ssize_t i, j, c
    for i in prange(rows, schedule='static', num_threads=nt):
        for j in range(n):
            out[i * n + j] = g[i] * sm[i * n + j]
        c = i * n + _lab(yp, y64, i)
        out[c] = out[c] - g[i]


cdef inline bint _overlaps(object a, object b):
    """Whether two C-contiguous arrays share memory (their extents meet)."""
    cdef char *pa = <char *>cnp.PyArray_DATA(<cnp.ndarray>a)
    cdef char *pb = <char *>cnp.PyArray_DATA(<cnp.ndarray>b)
    return (pa < pb + cnp.PyArray_NBYTES(<cnp.ndarray>b)
            and pb < pa + cnp.PyArray_NBYTES(<cnp.ndarray>a))


cpdef int softmax_crossentropy_1hot_fast(object x, object y, object nll, object sm,
                                         int nthreads):
    """nll, sm = crossentropy(softmax(x), y), softmax(x): x (rows, n) float32 or
    float64, y int32/int64 labels in [0, n), nll (rows,) and sm (rows, n) of x's
    dtype, all C-contiguous.  Returns 0 when done, 1 when not applicable."""
    cdef int tn = _plain_float(x, 2)
    cdef Py_ssize_t rows, n
    cdef bint y64 = False
    if tn < 0 or not _plain(nll, tn, 1) or not _plain(sm, tn, 2) \
            or type(y) is not np.ndarray:
        return 1
    rows = cnp.PyArray_DIM(<cnp.ndarray>x, 0)
    n = cnp.PyArray_DIM(<cnp.ndarray>x, 1)
    if rows == 0 or n == 0 or cnp.PyArray_DIM(<cnp.ndarray>sm, 0) != rows \
            or cnp.PyArray_DIM(<cnp.ndarray>sm, 1) != n \
            or cnp.PyArray_DIM(<cnp.ndarray>nll, 0) != rows \
            or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>sm) \
            or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>nll) \
            or not _labels_ok(<cnp.ndarray>y, rows, n, &y64) \
            or _overlaps(x, sm) or _overlaps(x, nll) or _overlaps(sm, nll):
        return 1
    cdef const char *yp = <const char *>cnp.PyArray_DATA(<cnp.ndarray>y)
    cdef int nt = _threads(rows * n, nthreads)
    cdef char *xp = <char *>cnp.PyArray_DATA(<cnp.ndarray>x)
    cdef char *sp = <char *>cnp.PyArray_DATA(<cnp.ndarray>sm)
    cdef char *lp = <char *>cnp.PyArray_DATA(<cnp.ndarray>nll)
    with nogil:
        if tn == cnp.NPY_FLOAT32:
            _sxent_rows(<const float *>xp, <float *>sp, <float *>lp, yp, y64, rows, n, nt)
        else:
            _sxent_rows(<const double *>xp, <double *>sp, <double *>lp, yp, y64, rows, n, nt)
    return 0


cpdef int softmax_crossentropy_1hot_dx_fast(object g, object sm, object y, object out,
                                            int nthreads):
    """out = g[:, None] * (sm - onehot(y)): sm (rows, n) float32/float64, g (rows,)
    and out (rows, n) of its dtype, y int32/int64 labels in [0, n), all
    C-contiguous.  Returns 0 when done, 1 when not applicable."""
    cdef int tn = _plain_float(sm, 2)
    cdef Py_ssize_t rows, n
    cdef bint y64 = False
    if tn < 0 or not _plain(g, tn, 1) or not _plain(out, tn, 2) \
            or type(y) is not np.ndarray:
        return 1
    rows = cnp.PyArray_DIM(<cnp.ndarray>sm, 0)
    n = cnp.PyArray_DIM(<cnp.ndarray>sm, 1)
    if rows == 0 or n == 0 or cnp.PyArray_DIM(<cnp.ndarray>g, 0) != rows \
            or cnp.PyArray_DIM(<cnp.ndarray>out, 0) != rows \
            or cnp.PyArray_DIM(<cnp.ndarray>out, 1) != n \
            or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>out) \
            or not _labels_ok(<cnp.ndarray>y, rows, n, &y64) \
            or _overlaps(out, sm) or _overlaps(out, g):
        return 1
    cdef const char *yp = <const char *>cnp.PyArray_DATA(<cnp.ndarray>y)
    cdef int nt = _threads(rows * n, nthreads)
    cdef char *gp = <char *>cnp.PyArray_DATA(<cnp.ndarray>g)
    cdef char *sp = <char *>cnp.PyArray_DATA(<cnp.ndarray>sm)
    cdef char *op = <char *>cnp.PyArray_DATA(<cnp.ndarray>out)
    with nogil:
        if tn == cnp.NPY_FLOAT32:
            _sxent_dx_rows(<const float *>gp, <const float *>sp, <float *>op, yp, y64, rows,
                           n, nt)
        else:
            _sxent_dx_rows(<const double *>gp, <const double *>sp, <double *>op, yp, y64,
                           rows, n, nt)
    return 0
