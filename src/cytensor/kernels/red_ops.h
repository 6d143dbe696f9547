/* red_ops.h -- typed reduction kernels over (rows, columns) strided views.
 * Instantiated from red_tmpl.h for the 11 input types (+ float32 with a
 * float32 accumulator).  Sums of signed/bool ints accumulate in uint64
 * (two's-complement wrap, no UB) and are stored as int64. */
#ifndef CYT_RED_OPS_H
#define CYT_RED_OPS_H
#include "cyt_common.h"

enum { CYT_RED_SUM = 0, CYT_RED_PROD, CYT_RED_MAX, CYT_RED_MIN, CYT_RED_ALL, CYT_RED_ANY,
       CYT_RED_ARGMAX, CYT_RED_ARGMIN };

#define CYT_PRAGMA(x) _Pragma(#x)
#define CYT_SIMD_RED(OP, V) CYT_PRAGMA(omp simd reduction(OP:V))
#define CYT_SIMD_RED2(OP, V, OP2, V2) CYT_PRAGMA(omp simd reduction(OP:V) reduction(OP2:V2))

/* ---- vectorised nan-propagating row max/min (contiguous float/double) ----
 * Without -ffast-math GCC does not vectorise `m = v > m ? v : m` with a nan
 * flag well, and one accumulator is latency-bound.  SSE2 (always there on
 * x86-64): four independent MAXPD/MINPD accumulators plus an "unordered" mask
 * (CMPUNORD of pairs of loaded vectors is true where either lane is nan),
 * OR-ed over the row; any nan -> result nan, like NumPy.  MAXPD(a, v) returns
 * v when a lane is nan, so the accumulators themselves may hold nan
 * transiently: only the mask decides. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define CYT_VMM_BODY(VT, LD, MX, UN, OR, MASK, W, T, GT)                                  \
    cyt_intp i = 0;                                                                     \
    T m = x[0];                                                                         \
    int nanf = 0;                                                                       \
    if (n >= 4 * W) {                                                                   \
        VT a0 = LD(x), a1 = LD(x + W), a2 = LD(x + 2 * W), a3 = LD(x + 3 * W);          \
        VT un = OR(UN(a0, a1), UN(a2, a3));                                             \
        T l[W];                                                                         \
        int k;                                                                          \
        for (i = 4 * W; i + 4 * W <= n; i += 4 * W) {                                   \
            const VT v0 = LD(x + i), v1 = LD(x + i + W), v2 = LD(x + i + 2 * W),        \
                     v3 = LD(x + i + 3 * W);                                            \
            un = OR(un, OR(UN(v0, v1), UN(v2, v3)));                                    \
            a0 = MX(a0, v0); a1 = MX(a1, v1); a2 = MX(a2, v2); a3 = MX(a3, v3);         \
        }                                                                               \
        a0 = MX(MX(a0, a1), MX(a2, a3));                                                \
        nanf = MASK(un) != 0;                                                           \
        memcpy(l, &a0, sizeof(l));                                                      \
        m = l[0];                                                                       \
        for (k = 1; k < W; k++) m = (l[k] GT m) ? l[k] : m;                             \
    }                                                                                   \
    for (; i < n; i++) { const T v = x[i]; m = (v GT m) ? v : m; nanf |= (v != v); }    \
    return nanf ? (T)NAN : m;

static double cyt_vmax_d(const double *x, cyt_intp n) {
    CYT_VMM_BODY(__m128d, _mm_loadu_pd, _mm_max_pd, _mm_cmpunord_pd, _mm_or_pd,
                 _mm_movemask_pd, 2, double, >)
}
static double cyt_vmin_d(const double *x, cyt_intp n) {
    CYT_VMM_BODY(__m128d, _mm_loadu_pd, _mm_min_pd, _mm_cmpunord_pd, _mm_or_pd,
                 _mm_movemask_pd, 2, double, <)
}
static float cyt_vmax_f(const float *x, cyt_intp n) {
    CYT_VMM_BODY(__m128, _mm_loadu_ps, _mm_max_ps, _mm_cmpunord_ps, _mm_or_ps,
                 _mm_movemask_ps, 4, float, >)
}
static float cyt_vmin_f(const float *x, cyt_intp n) {
    CYT_VMM_BODY(__m128, _mm_loadu_ps, _mm_min_ps, _mm_cmpunord_ps, _mm_or_ps,
                 _mm_movemask_ps, 4, float, <)
}
#undef CYT_VMM_BODY
#else
/* portable: four scalar accumulators and a separate nan flag */
#define CYT_VMM_BODY(T, GT)                                                             \
    cyt_intp i;                                                                         \
    T m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0];                                       \
    int nanf = 0;                                                                       \
    for (i = 0; i + 4 <= n; i += 4) {                                                   \
        const T v0 = x[i], v1 = x[i + 1], v2 = x[i + 2], v3 = x[i + 3];                 \
        m0 = (v0 GT m0) ? v0 : m0; m1 = (v1 GT m1) ? v1 : m1;                           \
        m2 = (v2 GT m2) ? v2 : m2; m3 = (v3 GT m3) ? v3 : m3;                           \
        nanf |= (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3);                      \
    }                                                                                   \
    for (; i < n; i++) { const T v = x[i]; m0 = (v GT m0) ? v : m0; nanf |= (v != v); } \
    m0 = (m1 GT m0) ? m1 : m0; m2 = (m3 GT m2) ? m3 : m2; m0 = (m2 GT m0) ? m2 : m0;    \
    return nanf ? (T)NAN : m0;
static double cyt_vmax_d(const double *x, cyt_intp n) { CYT_VMM_BODY(double, >) }
static double cyt_vmin_d(const double *x, cyt_intp n) { CYT_VMM_BODY(double, <) }
static float cyt_vmax_f(const float *x, cyt_intp n) { CYT_VMM_BODY(float, >) }
static float cyt_vmin_f(const float *x, cyt_intp n) { CYT_VMM_BODY(float, <) }
#undef CYT_VMM_BODY
#endif

#define NM b
#define T uint8_t
#define LDV(v) ((v) != 0)
#define ISF 0
#define AI uint64_t
#define A int64_t
#include "red_tmpl.h"
#undef NM
#undef T
#undef LDV
#undef ISF
#undef AI
#undef A

#define LDV(v) (v)

#define NM i1
#define T int8_t
#define ISF 0
#define AI uint64_t
#define A int64_t
#include "red_tmpl.h"
#undef NM
#undef T
#define NM i2
#define T int16_t
#include "red_tmpl.h"
#undef NM
#undef T
#define NM i4
#define T int32_t
#include "red_tmpl.h"
#undef NM
#undef T
#define NM i8
#define T int64_t
#include "red_tmpl.h"
#undef NM
#undef T
#undef A
#define A uint64_t
#define NM u1
#define T uint8_t
#include "red_tmpl.h"
#undef NM
#undef T
#define NM u2
#define T uint16_t
#include "red_tmpl.h"
#undef NM
#undef T
#define NM u4
#define T uint32_t
#include "red_tmpl.h"
#undef NM
#undef T
#define NM u8
#define T uint64_t
#include "red_tmpl.h"
#undef NM
#undef T
#undef A
#undef AI
#undef ISF
#define ISF 1
#define NM f4
#define T float
#define AI double
#define A double
#include "red_tmpl.h"
#undef NM
#undef T
#undef AI
#undef A
#define NM f4f
#define T float
#define AI float
#define A float
#include "red_tmpl.h"
#undef NM
#undef T
#undef AI
#undef A
#define NM f8
#define T double
#define AI double
#define A double
#include "red_tmpl.h"
#undef NM
#undef T
#undef AI
#undef A
#undef ISF
#undef LDV

typedef void (*cyt_red_row_fn)(int, const char *, cyt_intp, cyt_intp, void *);
typedef void (*cyt_red_cols_fn)(int, const char *, cyt_intp, cyt_intp, cyt_intp, cyt_intp, void *, void *);

/* index: dtype code 0..10, 11 = float32 input with float32 accumulator */
static const cyt_red_row_fn cyt_red_row_table[12] = {
    cyt_red_row_b, cyt_red_row_i1, cyt_red_row_i2, cyt_red_row_i4, cyt_red_row_i8,
    cyt_red_row_u1, cyt_red_row_u2, cyt_red_row_u4, cyt_red_row_u8, cyt_red_row_f4,
    cyt_red_row_f8, cyt_red_row_f4f};
static const cyt_red_cols_fn cyt_red_cols_table[12] = {
    cyt_red_cols_b, cyt_red_cols_i1, cyt_red_cols_i2, cyt_red_cols_i4, cyt_red_cols_i8,
    cyt_red_cols_u1, cyt_red_cols_u2, cyt_red_cols_u4, cyt_red_cols_u8, cyt_red_cols_f4,
    cyt_red_cols_f8, cyt_red_cols_f4f};

static inline void cyt_red_row(int op, int tk, const char *x, cyt_intp n, cyt_intp s, void *res) {
    cyt_red_row_table[tk](op, x, n, s, res);
}
static inline void cyt_red_cols(int op, int tk, const char *x, cyt_intp nr, cyt_intp sr, cyt_intp ni,
                                cyt_intp si, void *acc, void *aux) {
    cyt_red_cols_table[tk](op, x, nr, sr, ni, si, acc, aux);
}
#endif
