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
