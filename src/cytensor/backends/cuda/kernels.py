"""The CuPy backend's hand-written CUDA kernels: softmax and log-softmax and
their gradient, the crossentropy (of probabilities, and of a softmax) and
its gradient, pooling, its gradient and max pooling's second derivative,
the convolution's im2col and col2im.

Plain text, as codegen.py's is (nothing here imports CuPy): the NVRTC tests
compile it on a machine without a GPU, and backend.py hands it to
``cupy.RawModule``, compiled once per device.  Each kernel is a template
over its float type, instantiated as ``extern "C"`` functions named
``cyt_<kernel>_<dtype>`` (``kernel_name``) for the dtypes of
``KERNEL_DTYPES``; an op of another dtype runs its NumPy reference on the
device.

The softmax family runs one block per row (a power of two of threads, up
to ``ROW_BLOCK``): the row's maximum and its sum go through shared memory.  The others run one
thread per output element (grid-stride loops): pooling's gradient and
col2im gather, each input pixel summing the windows that hold it in the
order the references add them, so no atomics and no zeroing are needed.
Every size is a ``long long``, a row kernel's last two its rows and
columns; the pooling modes are ``POOL_MODES``.
"""
from .prelude import PRELUDE

# dtype -> C type of the kernels' floats
KERNEL_DTYPES = {"float32": "float", "float64": "double"}
# the most threads of a row block of the softmax family (the shared memory's
# size); a block's threads are a power of two: the folds halve them
ROW_BLOCK = 256
# threads of a block of the elementwise-style kernels, and the most blocks launched
BLOCK, MAX_BLOCKS = 256, 1 << 16
POOL_MODES = {"max": 0, "sum": 1, "average_inc_pad": 2, "average_exc_pad": 3}

# name -> the template's parameter list (T the float type, I long long)
KERNELS = {
    "softmax_rows": "const T *x, T *out, I log_out, I rows, I cols",
    "softmax_grad_rows": "const T *dy, const T *y, T *out, I log_out, I rows, I cols",
    "crossentropy_softmax_rows": "const T *x, const I *labels, T *nll, T *sm, I rows, I cols",
    "crossentropy_softmax_dx": "const T *g, const T *sm, const I *labels, T *out, I rows, "
                               "I cols",
    "crossentropy_1hot": "const T *p, const I *labels, T *nll, I rows, I cols",
    "crossentropy_1hot_grad": "const T *g, const T *p, const I *labels, T *out, I rows, I cols",
    "pool": "const T *x, T *out, I images, I h, I w, I oh, I ow, I wh, I ww, I sh, I sw, "
            "I ph, I pw, I mode",
    "pool_grad": "const T *x, const T *out, const T *gz, T *gx, I images, I h, I w, I oh, "
                 "I ow, I wh, I ww, I sh, I sw, I ph, I pw, I mode",
    "pool_max_grad_grad": "const T *x, const T *out, const T *ggx, T *ggz, I images, I h, "
                          "I w, I oh, I ow, I wh, I ww, I sh, I sw, I ph, I pw",
    "im2col": "const T *x, T *cols, I n0, I nc, I c, I h, I w, I kh, I kw, I sh, I sw, I ph, "
              "I pw, I dh, I dw, I oh, I ow",
    "col2im": "const T *cols, T *gx, I n0, I nc, I c, I h, I w, I kh, I kw, I sh, I sw, I ph, "
              "I pw, I dh, I dw, I oh, I ow",
}

TEMPLATES = r"""
typedef long long I;
#define CYT_ROW_BLOCK %(row_block)d
#define CYT_POOL_MAX %(max)d
#define CYT_POOL_SUM %(sum)d
#define CYT_POOL_AVG_INC %(average_inc_pad)d
#define CYT_GRID_STRIDE(i, n) \
    for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < (n); i += (I)gridDim.x * blockDim.x)

__device__ inline float cyt_exp(float x) { return expf(x); }
__device__ inline double cyt_exp(double x) { return exp(x); }
__device__ inline float cyt_log(float x) { return logf(x); }
__device__ inline double cyt_log(double x) { return log(x); }

struct CytSum { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };
struct CytMax {
    template <typename T> __device__ T operator()(T a, T b) const { return cyt_maxnan(a, b); }
};

/* The fold of every thread's v over the block (a tree in shared memory);
 * every thread gets it.  shared holds CYT_ROW_BLOCK values. */
template <typename T, typename F>
__device__ T cyt_block_fold(T v, T *shared, F fold) {
    shared[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s)
            shared[threadIdx.x] = fold(shared[threadIdx.x], shared[threadIdx.x + s]);
        __syncthreads();
    }
    const T folded = shared[0];
    __syncthreads();                    /* shared is written again by the next fold */
    return folded;
}

/* The row's maximum (nan if it holds one) and log(sum(exp(x - max))). */
template <typename T>
__device__ void cyt_row_logsumexp(const T *x, I cols, T *shared, T *max, T *lse) {
    T m = (T)(-cyt_inf());
    for (I c = threadIdx.x; c < cols; c += blockDim.x) m = cyt_maxnan(m, x[c]);
    m = cyt_block_fold(m, shared, CytMax());
    T s = 0;
    for (I c = threadIdx.x; c < cols; c += blockDim.x) s += cyt_exp(x[c] - m);
    *max = m;
    *lse = cyt_log(cyt_block_fold(s, shared, CytSum()));
}

/* softmax or log-softmax of each row, as Softmax.reference: exp(x - max - lse) */
template <typename T>
__device__ void softmax_rows(const T *x, T *out, I log_out, I rows, I cols) {
    __shared__ T shared[CYT_ROW_BLOCK];
    T m, lse;
    x += blockIdx.x * cols;
    out += blockIdx.x * cols;
    cyt_row_logsumexp(x, cols, shared, &m, &lse);
    for (I c = threadIdx.x; c < cols; c += blockDim.x) {
        const T shifted = x[c] - m;
        out[c] = log_out ? shifted - lse : cyt_exp(shifted - lse);
    }
}

/* SoftmaxGrad.reference: y * (dy - sum(dy * y)), or dy - exp(y) * sum(dy) for the log */
template <typename T>
__device__ void softmax_grad_rows(const T *dy, const T *y, T *out, I log_out, I rows, I cols) {
    __shared__ T shared[CYT_ROW_BLOCK];
    const I start = blockIdx.x * cols;
    dy += start;
    y += start;
    out += start;
    T s = 0;
    for (I c = threadIdx.x; c < cols; c += blockDim.x) s += log_out ? dy[c] : dy[c] * y[c];
    s = cyt_block_fold(s, shared, CytSum());
    for (I c = threadIdx.x; c < cols; c += blockDim.x)
        out[c] = log_out ? dy[c] - cyt_exp(y[c]) * s : y[c] * (dy[c] - s);
}

/* (-log softmax(x)[label], softmax(x)) of each row; the labels are checked before */
template <typename T>
__device__ void crossentropy_softmax_rows(const T *x, const I *labels, T *nll, T *sm, I rows,
                                          I cols) {
    __shared__ T shared[CYT_ROW_BLOCK];
    T m, lse;
    const I row = blockIdx.x;
    x += row * cols;
    sm += row * cols;
    cyt_row_logsumexp(x, cols, shared, &m, &lse);
    for (I c = threadIdx.x; c < cols; c += blockDim.x) sm[c] = cyt_exp(x[c] - m - lse);
    if (threadIdx.x == 0) nll[row] = -((x[labels[row]] - m) - lse);
}

/* g[r] * sm - g[r] at the label: CrossentropySoftmax1HotDx.reference's steps */
template <typename T>
__device__ void crossentropy_softmax_dx(const T *g, const T *sm, const I *labels, T *out, I rows,
                                        I cols) {
    CYT_GRID_STRIDE(i, rows * cols) {
        const I r = i / cols;
        const T v = sm[i] * g[r];
        out[i] = (i - r * cols == labels[r]) ? v - g[r] : v;
    }
}

/* CrossentropyCategorical1Hot: -log(p[r, label]), one thread per row */
template <typename T>
__device__ void crossentropy_1hot(const T *p, const I *labels, T *nll, I rows, I cols) {
    CYT_GRID_STRIDE(r, rows) nll[r] = -cyt_log(p[r * cols + labels[r]]);
}

/* its gradient: -g[r] / p at each row's label, 0 elsewhere */
template <typename T>
__device__ void crossentropy_1hot_grad(const T *g, const T *p, const I *labels, T *out, I rows,
                                       I cols) {
    CYT_GRID_STRIDE(i, rows * cols) {
        const I r = i / cols;
        out[i] = (i - r * cols == labels[r]) ? -g[r] / p[i] : (T)0;
    }
}

/* The rows [*y0, *y1) of window i (padding included) and its real rows [*ya, *yb). */
__device__ inline void cyt_window(I i, I s, I p, I ws, I n, I *y0, I *y1, I *ya, I *yb) {
    *y0 = i * s - p;
    *y1 = min(*y0 + ws, n + p);
    *ya = max(*y0, (I)0);
    *yb = min(*y1, n);
}

/* What a pooling window divides its sum by (max: unused) */
__device__ inline I cyt_pool_count(I mode, I y0, I y1, I x0, I x1, I ya, I yb, I xa, I xb) {
    return mode == CYT_POOL_SUM ? 1 : mode == CYT_POOL_AVG_INC ? (y1 - y0) * (x1 - x0)
                                                               : (yb - ya) * (xb - xa);
}

/* Pool.reference: one thread per output pixel */
template <typename T>
__device__ void pool(const T *x, T *out, I images, I h, I w, I oh, I ow, I wh, I ww, I sh, I sw,
                     I ph, I pw, I mode) {
    CYT_GRID_STRIDE(o, images * oh * ow) {
        const I j = o %% ow, i = (o / ow) %% oh, n = o / (ow * oh);
        I y0, y1, ya, yb, x0, x1, xa, xb;
        cyt_window(i, sh, ph, wh, h, &y0, &y1, &ya, &yb);
        cyt_window(j, sw, pw, ww, w, &x0, &x1, &xa, &xb);
        const T *image = x + n * h * w;
        T acc = mode == CYT_POOL_MAX ? (T)(-cyt_inf()) : (T)0;
        for (I y = ya; y < yb; y++)
            for (I xx = xa; xx < xb; xx++)
                acc = mode == CYT_POOL_MAX ? cyt_maxnan(acc, image[y * w + xx])
                                           : acc + image[y * w + xx];
        out[o] = mode == CYT_POOL_MAX
            ? acc : acc / (T)cyt_pool_count(mode, y0, y1, x0, x1, ya, yb, xa, xb);
    }
}

/* The first and last window (of n_out) holding pixel r: windows start at i * s - p, ws long */
__device__ inline void cyt_windows_holding(I r, I s, I p, I ws, I n_out, I *first, I *last) {
    const I after = r + p - ws + 1;
    *first = after > 0 ? (after + s - 1) / s : 0;
    *last = min((r + p) / s, n_out - 1);
}

/* PoolGrad: one thread per input pixel, summing the windows that hold it
 * (max: those whose maximum it equals) in the reference's order */
template <typename T>
__device__ void pool_grad(const T *x, const T *out, const T *gz, T *gx, I images, I h, I w, I oh,
                          I ow, I wh, I ww, I sh, I sw, I ph, I pw, I mode) {
    CYT_GRID_STRIDE(p, images * h * w) {
        const I c = p %% w, r = (p / w) %% h, n = p / (w * h);
        I i0, i1, j0, j1;
        cyt_windows_holding(r, sh, ph, wh, oh, &i0, &i1);
        cyt_windows_holding(c, sw, pw, ww, ow, &j0, &j1);
        T acc = 0;
        for (I i = i0; i <= i1; i++) {
            for (I j = j0; j <= j1; j++) {
                const I o = (n * oh + i) * ow + j;
                if (mode == CYT_POOL_MAX) {
                    if (x[p] == out[o]) acc += gz[o];
                } else {
                    I y0, y1, ya, yb, x0, x1, xa, xb;
                    cyt_window(i, sh, ph, wh, h, &y0, &y1, &ya, &yb);
                    cyt_window(j, sw, pw, ww, w, &x0, &x1, &xa, &xb);
                    acc += gz[o] / (T)cyt_pool_count(mode, y0, y1, x0, x1, ya, yb, xa, xb);
                }
            }
        }
        gx[p] = acc;
    }
}

/* MaxPoolGradGrad: one thread per output pixel, summing ggx over the real
 * pixels of its window equal to its maximum, ties included (the CPU kernel's
 * order; a nan maximum equals no pixel) */
template <typename T>
__device__ void pool_max_grad_grad(const T *x, const T *out, const T *ggx, T *ggz, I images, I h,
                                   I w, I oh, I ow, I wh, I ww, I sh, I sw, I ph, I pw) {
    CYT_GRID_STRIDE(o, images * oh * ow) {
        const I j = o %% ow, i = (o / ow) %% oh, n = o / (ow * oh);
        I y0, y1, ya, yb, x0, x1, xa, xb;
        cyt_window(i, sh, ph, wh, h, &y0, &y1, &ya, &yb);
        cyt_window(j, sw, pw, ww, w, &x0, &x1, &xa, &xb);
        const I image = n * h * w;
        T acc = 0;
        for (I y = ya; y < yb; y++)
            for (I xx = xa; xx < xb; xx++)
                if (x[image + y * w + xx] == out[o]) acc += ggx[image + y * w + xx];
        ggz[o] = acc;
    }
}

/* The patches of images [n0, n0 + nc) as the (c*kh*kw, nc*oh*ow) matrix the
 * CPU's im2col makes: row (channel, tap row, tap col), column (image, out row, out col) */
template <typename T>
__device__ void im2col(const T *x, T *cols, I n0, I nc, I c, I h, I w, I kh, I kw, I sh, I sw,
                       I ph, I pw, I dh, I dw, I oh, I ow) {
    const I width = nc * oh * ow;
    CYT_GRID_STRIDE(k, c * kh * kw * width) {
        const I col = k %% width, row = k / width;
        const I ox = col %% ow, oy = (col / ow) %% oh, n = col / (ow * oh);
        const I j = row %% kw, i = (row / kw) %% kh, ch = row / (kw * kh);
        const I y = oy * sh - ph + i * dh, xx = ox * sw - pw + j * dw;
        cols[k] = (y >= 0 && y < h && xx >= 0 && xx < w)
            ? x[(((n0 + n) * c + ch) * h + y) * w + xx] : (T)0;
    }
}

/* The inverse scatter of im2col, as a gather: each pixel of images
 * [n0, n0 + nc) of gx sums the columns' entries that im2col copied from it */
template <typename T>
__device__ void col2im(const T *cols, T *gx, I n0, I nc, I c, I h, I w, I kh, I kw, I sh, I sw,
                       I ph, I pw, I dh, I dw, I oh, I ow) {
    const I width = nc * oh * ow;
    CYT_GRID_STRIDE(p, nc * c * h * w) {
        const I xx = p %% w, y = (p / w) %% h, ch = (p / (w * h)) %% c, n = p / (w * h * c);
        T acc = 0;
        for (I i = 0; i < kh; i++) {
            const I ty = y + ph - i * dh;
            if (ty < 0 || ty %% sh || ty / sh >= oh) continue;
            for (I j = 0; j < kw; j++) {
                const I tx = xx + pw - j * dw;
                if (tx < 0 || tx %% sw || tx / sw >= ow) continue;
                acc += cols[((ch * kh + i) * kw + j) * width + (n * oh + ty / sh) * ow + tx / sw];
            }
        }
        gx[n0 * c * h * w + p] = acc;
    }
}
""" % dict(row_block=ROW_BLOCK, **POOL_MODES)


def kernel_name(kernel, dtype):
    """The extern "C" name of ``kernel`` (a key of KERNELS) for ``dtype``."""
    return f"cyt_{kernel}_{dtype}"


def instantiation(kernel, dtype):
    """The ``extern "C" __global__`` function running template ``kernel`` on ``dtype``."""
    params = KERNELS[kernel].replace("T *", f"{KERNEL_DTYPES[dtype]} *")
    args = ", ".join(p.split()[-1].lstrip("*") for p in params.split(","))
    return (f'extern "C" __global__ void {kernel_name(kernel, dtype)}({params}) '
            f"{{ {kernel}({args}); }}\n")


SOURCE = PRELUDE + TEMPLATES + "".join(
    instantiation(kernel, dtype) for kernel in KERNELS for dtype in KERNEL_DTYPES)


def launch_shape(n):
    """(grid, block) of a grid-stride kernel over n elements (n > 0)."""
    return (min((n + BLOCK - 1) // BLOCK, MAX_BLOCKS),), (BLOCK,)
