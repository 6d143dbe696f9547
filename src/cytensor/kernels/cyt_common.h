/* cyt_common.h -- dtype codes and the universal strided converting copy. */
#ifndef CYT_COMMON_H
#define CYT_COMMON_H
#include "vecmath.h"
#include <stddef.h>

typedef ptrdiff_t cyt_intp;

/* dtype codes (also in _elemwise.pyx / __init__.py) */
enum {
    CYT_BOOL = 0, CYT_I8, CYT_I16, CYT_I32, CYT_I64,
    CYT_U8, CYT_U16, CYT_U32, CYT_U64, CYT_F32, CYT_F64, CYT_NDT
};

static const int cyt_dt_size[CYT_NDT] = {1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8};

/* load (normalises bool) and store (float->bool is x != 0) */
#define CYT_LD_b(x) ((x) != 0)
#define CYT_LD_n(x) (x)
#define CYT_ST_b(T, x) ((T)((x) != 0))
#define CYT_ST_n(T, x) ((T)(x))

/* The dtype list, twice: the conversion table nests one list inside the other,
 * and a macro cannot expand inside its own expansion. */
#define CYT_DT_LIST_A(X, ...) \
    X(__VA_ARGS__, b, uint8_t, b) X(__VA_ARGS__, i1, int8_t, n) X(__VA_ARGS__, i2, int16_t, n) \
    X(__VA_ARGS__, i4, int32_t, n) X(__VA_ARGS__, i8, int64_t, n) X(__VA_ARGS__, u1, uint8_t, n) \
    X(__VA_ARGS__, u2, uint16_t, n) X(__VA_ARGS__, u4, uint32_t, n) X(__VA_ARGS__, u8, uint64_t, n) \
    X(__VA_ARGS__, f4, float, n) X(__VA_ARGS__, f8, double, n)
#define CYT_DT_LIST_B(X, ...) \
    X(__VA_ARGS__, b, uint8_t, b) X(__VA_ARGS__, i1, int8_t, n) X(__VA_ARGS__, i2, int16_t, n) \
    X(__VA_ARGS__, i4, int32_t, n) X(__VA_ARGS__, i8, int64_t, n) X(__VA_ARGS__, u1, uint8_t, n) \
    X(__VA_ARGS__, u2, uint16_t, n) X(__VA_ARGS__, u4, uint32_t, n) X(__VA_ARGS__, u8, uint64_t, n) \
    X(__VA_ARGS__, f4, float, n) X(__VA_ARGS__, f8, double, n)

typedef void (*cyt_cv_fn)(const char *, cyt_intp, char *, cyt_intp, cyt_intp);

#define CYT_CV_DEF(SN, ST, SK, DN, DT, DK) \
static void cyt_cv_##SN##_##DN(const char *s, cyt_intp ss, char *d, cyt_intp ds, cyt_intp n) { \
    cyt_intp i; \
    if (ss == (cyt_intp)sizeof(ST) && ds == (cyt_intp)sizeof(DT)) { \
        const ST *sp = (const ST *)s; DT *dp = (DT *)d; \
        CYT_SIMD for (i = 0; i < n; i++) dp[i] = CYT_ST_##DK(DT, CYT_LD_##SK(sp[i])); \
    } else if (ss == 0) { \
        const DT v = CYT_ST_##DK(DT, CYT_LD_##SK(*(const ST *)s)); \
        if (ds == (cyt_intp)sizeof(DT)) { DT *dp = (DT *)d; for (i = 0; i < n; i++) dp[i] = v; } \
        else { for (i = 0; i < n; i++) *(DT *)(d + i * ds) = v; } \
    } else if (ds == (cyt_intp)sizeof(DT)) { \
        DT *dp = (DT *)d; \
        for (i = 0; i < n; i++) dp[i] = CYT_ST_##DK(DT, CYT_LD_##SK(*(const ST *)(s + i * ss))); \
    } else if (ss == (cyt_intp)sizeof(ST)) { \
        const ST *sp = (const ST *)s; \
        for (i = 0; i < n; i++) *(DT *)(d + i * ds) = CYT_ST_##DK(DT, CYT_LD_##SK(sp[i])); \
    } else { \
        for (i = 0; i < n; i++) \
            *(DT *)(d + i * ds) = CYT_ST_##DK(DT, CYT_LD_##SK(*(const ST *)(s + i * ss))); \
    } \
}
#define CYT_CV_FOR_SRC(dummy, SN, ST, SK) CYT_DT_LIST_B(CYT_CV_DEF, SN, ST, SK)
CYT_DT_LIST_A(CYT_CV_FOR_SRC, 0)

#define CYT_CV_ENT(SN, ST, SK, DN, DT, DK) cyt_cv_##SN##_##DN,
#define CYT_CV_ROW(dummy, SN, ST, SK) { CYT_DT_LIST_B(CYT_CV_ENT, SN, ST, SK) },
static const cyt_cv_fn cyt_cv_table[CYT_NDT][CYT_NDT] = { CYT_DT_LIST_A(CYT_CV_ROW, 0) };

/* converting strided copy of n elements */
static inline void cyt_convert(const char *src, cyt_intp ss, int st, char *dst, cyt_intp ds, int dt,
                               cyt_intp n) {
    if (n > 0) cyt_cv_table[st][dt](src, ss, dst, ds, n);
}

/* Walk the flat C-order range [start, start+len) of an nd-dim strided operand
 * (shape/strides of the collapsed iteration space), converting between the
 * operand (dtype `odt`) and a contiguous buffer (dtype `bdt`).
 * store == 0: operand -> buffer (gather); store != 0: buffer -> operand (scatter). */
#define CYT_MAXDIMS 64
static void cyt_walk(char *base, int odt, const cyt_intp *strides, const cyt_intp *shape, int nd,
                     cyt_intp start, cyt_intp len, char *buf, int bdt, int store) {
    cyt_intp idx[CYT_MAXDIMS];
    cyt_intp rem = start, done = 0;
    const cyt_intp bsz = cyt_dt_size[bdt];
    char *p = base;
    int d;
    for (d = nd - 1; d >= 0; d--) {
        idx[d] = rem % shape[d];
        rem /= shape[d];
        p += idx[d] * strides[d];
    }
    while (done < len) {
        cyt_intp cnt = shape[nd - 1] - idx[nd - 1];
        if (cnt > len - done) cnt = len - done;
        if (store) cyt_convert(buf + done * bsz, bsz, bdt, p, strides[nd - 1], odt, cnt);
        else cyt_convert(p, strides[nd - 1], odt, buf + done * bsz, bsz, bdt, cnt);
        done += cnt;
        if (done >= len) break;
        p += cnt * strides[nd - 1];
        idx[nd - 1] += cnt;
        for (d = nd - 1; d > 0 && idx[d] >= shape[d]; d--) {
            p -= shape[d] * strides[d];
            idx[d] = 0;
            idx[d - 1] += 1;
            p += strides[d - 1];
        }
    }
}

/* simultaneous N-d walk over two operands (converting copy), flat C-order
 * range [start, start+len) of the iteration space. */
static void cyt_copy_nd(char *dst, int dt, const cyt_intp *dstr, const char *src, int st,
                        const cyt_intp *sstr, const cyt_intp *shape, int nd, cyt_intp start,
                        cyt_intp len) {
    cyt_intp idx[CYT_MAXDIMS];
    cyt_intp rem = start, done = 0;
    char *p = dst;
    const char *q = src;
    int d;
    for (d = nd - 1; d >= 0; d--) {
        idx[d] = rem % shape[d];
        rem /= shape[d];
        p += idx[d] * dstr[d];
        q += idx[d] * sstr[d];
    }
    while (done < len) {
        cyt_intp cnt = shape[nd - 1] - idx[nd - 1];
        if (cnt > len - done) cnt = len - done;
        cyt_convert(q, sstr[nd - 1], st, p, dstr[nd - 1], dt, cnt);
        done += cnt;
        if (done >= len) break;
        p += cnt * dstr[nd - 1];
        q += cnt * sstr[nd - 1];
        idx[nd - 1] += cnt;
        for (d = nd - 1; d > 0 && idx[d] >= shape[d]; d--) {
            p -= shape[d] * dstr[d];
            q -= shape[d] * sstr[d];
            idx[d] = 0;
            idx[d - 1] += 1;
            p += dstr[d - 1];
            q += sstr[d - 1];
        }
    }
}

/* Copy n bytes to dst with non-temporal (streaming) stores where x86 has them.
 * An ordinary store first reads the destination line into cache; for an
 * output larger than the caches that read is wasted memory traffic (a fifth
 * of exp(a)*b + log(c)**2's) and it evicts the inputs.  The sfence orders the
 * streamed lines before anything the thread does next. */
#if defined(__SSE2__)
#include <emmintrin.h>
#include <stdint.h>
static inline void cyt_stream_copy(char *dst, const char *src, cyt_intp n) {
    for (; n > 0 && ((uintptr_t)dst & 15); n--) *dst++ = *src++;
    for (; n >= 64; n -= 64, dst += 64, src += 64) {
        _mm_stream_si128((__m128i *)dst, _mm_loadu_si128((const __m128i *)src));
        _mm_stream_si128((__m128i *)(dst + 16), _mm_loadu_si128((const __m128i *)(src + 16)));
        _mm_stream_si128((__m128i *)(dst + 32), _mm_loadu_si128((const __m128i *)(src + 32)));
        _mm_stream_si128((__m128i *)(dst + 48), _mm_loadu_si128((const __m128i *)(src + 48)));
    }
    memcpy(dst, src, (size_t)n);
    _mm_sfence();
}
#else
static inline void cyt_stream_copy(char *dst, const char *src, cyt_intp n) {
    memcpy(dst, src, (size_t)n);
}
#endif

/* Tasks per chunk of a dynamic OpenMP schedule over ntask tasks: 8 chunks a
 * thread, handed out as threads come free, so a thread on a busy core takes
 * fewer instead of holding up the others. */
static inline cyt_intp cyt_dynamic_chunk(cyt_intp ntask, int nt) {
    cyt_intp c = ntask / (8 * (cyt_intp)nt);
    return c > 1 ? c : 1;
}

/* OpenMP shims (so the .pyx files build without omp.h) */
#ifdef _OPENMP
#include <omp.h>
static inline int cyt_omp_max_threads(void) { return omp_get_max_threads(); }
static inline void cyt_omp_set_threads(int n) { omp_set_num_threads(n); }
static inline int cyt_have_openmp(void) { return 1; }
#else
static inline int cyt_omp_max_threads(void) { return 1; }
static inline void cyt_omp_set_threads(int n) { (void)n; }
static inline int cyt_have_openmp(void) { return 0; }
#endif
#endif
