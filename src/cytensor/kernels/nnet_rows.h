/* nnet_rows.h -- the inner loops of softmax and max pooling, in C so that
 * they are vectorised (`omp simd`) and compiled for AVX-512 and AVX2 as well
 * as the baseline (CYT_SIMD_CLONES: the loader picks the widest the CPU has,
 * and each clone calls libmvec's exp of its width).  Reductions are written
 * as `omp simd reduction`, which allows them to be summed in SIMD lanes; NaN
 * and inf give what the scalar loops give (a NaN or inf in a row makes the
 * whole softmax row NaN; a NaN in a pooling window makes its maximum NaN).
 * No -ffast-math: exp and log keep their IEEE special values.
 */
#ifndef CYT_NNET_ROWS_H
#define CYT_NNET_ROWS_H

#include <stddef.h>
#include "vecmath.h"

#define CYT_SIMD_SUM_S _Pragma("omp simd reduction(+:s)")
#define CYT_SIMD_MAX_M _Pragma("omp simd reduction(max:m)")

/* the larger of a and v, NaN if v is NaN (a NaN already in a stays) */
#define CYT_NANMAX(a, v) (((v) > (a) || (v) != (v)) ? (v) : (a))

#define CYT_NNET_ROWS(T, SUF, EXP)                                                       \
/* Softmax (or log-softmax) of one row; returns log(sum(exp(x - max))) + max. */        \
CYT_SIMD_CLONES static double cyt_softmax_row_##SUF(const T *x, T *out, ptrdiff_t n,   \
                                                    int take_log)                      \
{                                                                                       \
    T m = x[0];                                                                         \
    double s = 0.0;                                                                     \
    ptrdiff_t j;                                                                        \
    CYT_SIMD_MAX_M for (j = 1; j < n; j++) m = x[j] > m ? x[j] : m;                    \
    CYT_SIMD_SUM_S for (j = 0; j < n; j++) { out[j] = EXP(x[j] - m); s += out[j]; }   \
    if (take_log) {                                                                     \
        const T lse = (T)log(s);                                                        \
        CYT_SIMD for (j = 0; j < n; j++) out[j] = x[j] - m - lse;                       \
    } else {                                                                            \
        const T inv = (T)(1.0 / s);                                                     \
        CYT_SIMD for (j = 0; j < n; j++) out[j] *= inv;                                 \
    }                                                                                   \
    return log(s) + m;                                                                  \
}                                                                                       \
                                                                                        \
/* Gradient through one softmax row: sm * (dy - sum(dy * sm)); through a               \
 * log_softmax row (sm holding log-probabilities): dy - exp(sm) * sum(dy). */           \
CYT_SIMD_CLONES static void cyt_softmax_grad_row_##SUF(const T *dy, const T *sm, T *out, \
                                                       ptrdiff_t n, int from_log)       \
{                                                                                       \
    double s = 0.0;                                                                     \
    T ts;                                                                               \
    ptrdiff_t j;                                                                        \
    if (from_log) {                                                                     \
        CYT_SIMD_SUM_S for (j = 0; j < n; j++) s += dy[j];                             \
        ts = (T)s;                                                                      \
        CYT_SIMD for (j = 0; j < n; j++) out[j] = dy[j] - EXP(sm[j]) * ts;              \
    } else {                                                                            \
        CYT_SIMD_SUM_S for (j = 0; j < n; j++) s += dy[j] * sm[j];                     \
        ts = (T)s;                                                                      \
        CYT_SIMD for (j = 0; j < n; j++) out[j] = sm[j] * (dy[j] - ts);                 \
    }                                                                                   \
}                                                                                       \
                                                                                        \
/* Max pooling of one image (W columns) whose OH x OW windows of wh x ww, strides      \
 * sh, sw, all lie inside it: per output row, the maximum down the window's rows       \
 * of every column (contiguous, vectorised) into rowmax, then across each              \
 * window's columns.  rowmax holds (OW-1)*sw + ww elements. */                          \
CYT_SIMD_CLONES static void cyt_max_pool_inside_##SUF(const T *x, T *out, T *rowmax,    \
        ptrdiff_t W, ptrdiff_t OH, ptrdiff_t OW, int wh, int ww, int sh, int sw)        \
{                                                                                       \
    const ptrdiff_t span = (OW - 1) * sw + ww;                                          \
    ptrdiff_t oy, ox, c;                                                                \
    int i, j;                                                                           \
    for (oy = 0; oy < OH; oy++) {                                                       \
        const T *r = x + oy * sh * W;                                                   \
        T *o = out + oy * OW;                                                           \
        memcpy(rowmax, r, span * sizeof(T));                                            \
        for (i = 1; i < wh; i++) {                                                      \
            const T *ri = r + i * W;                                                    \
            CYT_SIMD for (c = 0; c < span; c++) rowmax[c] = CYT_NANMAX(rowmax[c], ri[c]); \
        }                                                                               \
        /* the common windows with constant strides, so the loads vectorise */         \
        if (ww == 2 && sw == 2) {                                                       \
            CYT_SIMD for (ox = 0; ox < OW; ox++)                                        \
                o[ox] = CYT_NANMAX(rowmax[2 * ox], rowmax[2 * ox + 1]);                 \
            continue;                                                                   \
        }                                                                               \
        if (ww == 3 && (sw == 1 || sw == 2)) {                                          \
            if (sw == 1) {                                                              \
                CYT_SIMD for (ox = 0; ox < OW; ox++) {                                  \
                    const T a = CYT_NANMAX(rowmax[ox], rowmax[ox + 1]);                 \
                    o[ox] = CYT_NANMAX(a, rowmax[ox + 2]);                              \
                }                                                                       \
            } else {                                                                    \
                CYT_SIMD for (ox = 0; ox < OW; ox++) {                                  \
                    const T a = CYT_NANMAX(rowmax[2 * ox], rowmax[2 * ox + 1]);         \
                    o[ox] = CYT_NANMAX(a, rowmax[2 * ox + 2]);                          \
                }                                                                       \
            }                                                                           \
            continue;                                                                   \
        }                                                                               \
        CYT_SIMD for (ox = 0; ox < OW; ox++) {                                          \
            T a = rowmax[ox * sw];                                                      \
            for (j = 1; j < ww; j++) a = CYT_NANMAX(a, rowmax[ox * sw + j]);            \
            o[ox] = a;                                                                  \
        }                                                                               \
    }                                                                                   \
}

CYT_NNET_ROWS(float, f, expf)
CYT_NNET_ROWS(double, d, exp)

#endif /* CYT_NNET_ROWS_H */
