/* fused_red.h -- folding helpers for elemwise_reduce (a register program whose
 * output is reduced on the fly, block by block).
 *
 * Accumulator types (same rules as `reduce`): sum/prod of float32/float64
 * registers accumulate in double, of int64 registers in int64 (wrapping);
 * max/min keep the register type and propagate nan. */
#ifndef CYT_FUSED_RED_H
#define CYT_FUSED_RED_H
#include "red_ops.h"
#include <stdint.h>

static inline int cyt_fr_acc_code(int op, int ct) {
    if (op == CYT_RED_SUM || op == CYT_RED_PROD) return ct == CYT_I64 ? CYT_I64 : CYT_F64;
    return ct;
}

/* acc[0:n] = identity of op */
static void cyt_fr_init(int op, int act, char *acc, cyt_intp n) {
    cyt_intp j;
    if (act == CYT_F64) {
        double v = op == CYT_RED_SUM ? 0.0 : op == CYT_RED_PROD ? 1.0
                 : op == CYT_RED_MAX ? -INFINITY : INFINITY;
        double *a = (double *)acc;
        for (j = 0; j < n; j++) a[j] = v;
    } else if (act == CYT_F32) {
        float v = op == CYT_RED_SUM ? 0.0f : op == CYT_RED_PROD ? 1.0f
                : op == CYT_RED_MAX ? -INFINITY : INFINITY;
        float *a = (float *)acc;
        for (j = 0; j < n; j++) a[j] = v;
    } else {
        int64_t v = op == CYT_RED_SUM ? 0 : op == CYT_RED_PROD ? 1
                  : op == CYT_RED_MAX ? INT64_MIN : INT64_MAX;
        int64_t *a = (int64_t *)acc;
        for (j = 0; j < n; j++) a[j] = v;
    }
}

#define CYT_FMAX(m, v) (((v) > (m) || (v) != (v)) ? (v) : (m))
#define CYT_FMIN(m, v) (((v) < (m) || (v) != (v)) ? (v) : (m))

/* dst[j] = dst[j] (op) src[j], j < n; dst of type AT, src of type ST. */
#define CYT_FR_COLS(NAME, ST, AT, ADD, MUL)                                              \
static void NAME(int op, char *dstc, const char *srcc, cyt_intp n) {                     \
    AT *d = (AT *)dstc;                                                                  \
    const ST *s = (const ST *)srcc;                                                      \
    cyt_intp j;                                                                          \
    switch (op) {                                                                        \
    case CYT_RED_SUM: CYT_SIMD for (j = 0; j < n; j++) d[j] = ADD(d[j], (AT)s[j]); break; \
    case CYT_RED_PROD: CYT_SIMD for (j = 0; j < n; j++) d[j] = MUL(d[j], (AT)s[j]); break; \
    case CYT_RED_MAX: CYT_SIMD for (j = 0; j < n; j++) {                                 \
        const AT v = (AT)s[j], m = d[j]; d[j] = CYT_FMAX(m, v); } break;                 \
    case CYT_RED_MIN: CYT_SIMD for (j = 0; j < n; j++) {                                 \
        const AT v = (AT)s[j], m = d[j]; d[j] = CYT_FMIN(m, v); } break;                 \
    }                                                                                    \
}
#define CYT_PLAIN_ADD(a, b) ((a) + (b))
#define CYT_PLAIN_MUL(a, b) ((a) * (b))
#define CYT_WRAP_ADD(a, b) ((int64_t)((uint64_t)(a) + (uint64_t)(b)))
#define CYT_WRAP_MUL(a, b) ((int64_t)((uint64_t)(a) * (uint64_t)(b)))
CYT_FR_COLS(cyt_fr_cols_dd, double, double, CYT_PLAIN_ADD, CYT_PLAIN_MUL)
CYT_FR_COLS(cyt_fr_cols_fd, float, double, CYT_PLAIN_ADD, CYT_PLAIN_MUL)
CYT_FR_COLS(cyt_fr_cols_ff, float, float, CYT_PLAIN_ADD, CYT_PLAIN_MUL)
CYT_FR_COLS(cyt_fr_cols_ii, int64_t, int64_t, CYT_WRAP_ADD, CYT_WRAP_MUL)

/* dst[0:n] (acc type act) op= src[0:n] (type st: the register type or act) */
static inline void cyt_fr_fold_cols(int op, int st, int act, char *dst, const char *src,
                                    cyt_intp n) {
    if (act == CYT_F64) {
        if (st == CYT_F32) cyt_fr_cols_fd(op, dst, src, n);
        else cyt_fr_cols_dd(op, dst, src, n);
    } else if (act == CYT_F32) {
        cyt_fr_cols_ff(op, dst, src, n);
    } else {
        cyt_fr_cols_ii(op, dst, src, n);
    }
}

/* *dst (acc type) op= reduction of src[0:n] (contiguous registers of type ct) */
static inline void cyt_fr_fold_row(int op, int ct, int act, char *dst, const char *src,
                                   cyt_intp n) {
    union { double d; float f; int64_t i; } r;
    if (n <= 0) return;
    cyt_red_row(op, ct, src, n, cyt_dt_size[ct], &r);
    cyt_fr_fold_cols(op, act, act, dst, (const char *)&r, 1);
}
#endif
