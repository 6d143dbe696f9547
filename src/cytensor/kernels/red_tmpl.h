/* reduction kernels for one input type (template, included by red_ops.h).
 * Parameters: NM (name), T (storage type), LDV(v) (load: bool -> v != 0),
 * ISF (1 for float types), AI (internal accumulator), A (stored accumulator). */
#define RC2(a, b) a##b
#define RC(a, b) RC2(a, b)
#define LDX(p) ((T)LDV(*(const T *)(p)))
#define TOACC(v) ((AI)(v))

/* sum of n elements at byte stride s; pairwise above 1024 elements (float). */
static AI RC(cyt_rsum_, NM)(const char *x, cyt_intp n, cyt_intp s) {
    cyt_intp i;
    if (ISF && n <= 1024 && s == (cyt_intp)sizeof(T)) {
        /* 8 independent accumulators (no reassociation needed; SLP-vectorised) */
        const T *xp = (const T *)x;
        AI r[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        AI acc;
        int k;
        for (i = 0; i + 8 <= n; i += 8)
            for (k = 0; k < 8; k++) r[k] += (AI)xp[i + k];
        acc = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) acc += (AI)xp[i];
        return acc;
    }
    if (!ISF || n <= 1024) {
        AI acc = 0;
        if (s == (cyt_intp)sizeof(T)) {
            const T *xp = (const T *)x;
            CYT_SIMD_RED(+, acc) for (i = 0; i < n; i++) acc += TOACC((T)LDV(xp[i]));
        } else {
            for (i = 0; i < n; i++) acc += TOACC(LDX(x + i * s));
        }
        return acc;
    } else {
        cyt_intp h = (n / 2) & ~(cyt_intp)15;
        return RC(cyt_rsum_, NM)(x, h, s) + RC(cyt_rsum_, NM)(x + h * s, n - h, s);
    }
}

static void RC(cyt_red_row_, NM)(int op, const char *x, cyt_intp n, cyt_intp s, void *res) {
    cyt_intp i;
    const int contig = (s == (cyt_intp)sizeof(T));
    const T *xp = (const T *)x;
    switch (op) {
    case CYT_RED_SUM:
        *(A *)res = (A)RC(cyt_rsum_, NM)(x, n, s);
        break;
    case CYT_RED_PROD: {
        AI acc = 1;
        if (contig) { CYT_SIMD_RED(*, acc) for (i = 0; i < n; i++) acc *= TOACC((T)LDV(xp[i])); }
        else { for (i = 0; i < n; i++) acc *= TOACC(LDX(x + i * s)); }
        *(A *)res = (A)acc;
    } break;
    case CYT_RED_MAX: case CYT_RED_MIN: {
        T m = LDX(x);
        int nanf = 0;
#if ISF
        if (contig && n > 0) {
            if (sizeof(T) == sizeof(double))
                *(T *)res = (T)(op == CYT_RED_MAX ? cyt_vmax_d((const double *)xp, n)
                                                  : cyt_vmin_d((const double *)xp, n));
            else
                *(T *)res = (T)(op == CYT_RED_MAX ? cyt_vmax_f((const float *)xp, n)
                                                  : cyt_vmin_f((const float *)xp, n));
            break;
        }
#endif
        if (op == CYT_RED_MAX) {
            if (contig) {
                CYT_SIMD_RED2(max, m, |, nanf) for (i = 0; i < n; i++) {
                    const T v = (T)LDV(xp[i]); m = v > m ? v : m; nanf |= (v != v); }
            } else {
                for (i = 0; i < n; i++) { const T v = LDX(x + i * s); m = v > m ? v : m; nanf |= (v != v); }
            }
        } else {
            if (contig) {
                CYT_SIMD_RED2(min, m, |, nanf) for (i = 0; i < n; i++) {
                    const T v = (T)LDV(xp[i]); m = v < m ? v : m; nanf |= (v != v); }
            } else {
                for (i = 0; i < n; i++) { const T v = LDX(x + i * s); m = v < m ? v : m; nanf |= (v != v); }
            }
        }
#if ISF
        if (nanf) m = (T)NAN;
#endif
        *(T *)res = m;
    } break;
    case CYT_RED_ALL: {
        int acc = 1;
        if (contig) { CYT_SIMD_RED(&, acc) for (i = 0; i < n; i++) acc &= (xp[i] != 0); }
        else { for (i = 0; i < n; i++) acc &= (*(const T *)(x + i * s) != 0); }
        *(uint8_t *)res = (uint8_t)acc;
    } break;
    case CYT_RED_ANY: {
        int acc = 0;
        if (contig) { CYT_SIMD_RED(|, acc) for (i = 0; i < n; i++) acc |= (xp[i] != 0); }
        else { for (i = 0; i < n; i++) acc |= (*(const T *)(x + i * s) != 0); }
        *(uint8_t *)res = (uint8_t)acc;
    } break;
    case CYT_RED_ARGMAX: case CYT_RED_ARGMIN: {
        T best = LDX(x);
        int64_t bi = 0;
        if (!(best != best)) {
            for (i = 1; i < n; i++) {
                const T v = LDX(x + i * s);
                if (op == CYT_RED_ARGMAX ? !(v <= best) : !(v >= best)) {
                    best = v; bi = i;
                    if (v != v) break;
                }
            }
        }
        *(int64_t *)res = bi;
    } break;
    }
}

/* Reduce nr rows (byte stride sr) of ni columns (byte stride si) into acc[ni]
 * (contiguous; type A for sum/prod, T for max/min, uint8 for all/any, int64
 * for argmax/argmin with aux[ni] of T holding the running best). nr >= 1. */
CYT_SIMD_CLONES static void RC(cyt_red_cols_, NM)(int op, const char *x, cyt_intp nr, cyt_intp sr,
                                                   cyt_intp ni, cyt_intp si, void *accv,
                                                   void *auxv) {
    cyt_intp r = 0, j;
    const int contig = (si == (cyt_intp)sizeof(T));
    switch (op) {
    case CYT_RED_SUM: case CYT_RED_PROD: {
        AI *acc = (AI *)accv; /* AI and A have the same size */
        const int issum = (op == CYT_RED_SUM);
        for (j = 0; j < ni; j++) acc[j] = issum ? 0 : 1;
        if (issum && contig) {
            /* four rows a pass: a quarter of the accumulator loads and stores */
            for (; r + 4 <= nr; r += 4) {
                const T *x0 = (const T *)(x + r * sr), *x1 = (const T *)(x + (r + 1) * sr);
                const T *x2 = (const T *)(x + (r + 2) * sr), *x3 = (const T *)(x + (r + 3) * sr);
                CYT_SIMD for (j = 0; j < ni; j++)
                    acc[j] += (TOACC((T)LDV(x0[j])) + TOACC((T)LDV(x1[j])))
                              + (TOACC((T)LDV(x2[j])) + TOACC((T)LDV(x3[j])));
            }
        }
        for (; r < nr; r++) {
            const char *row = x + r * sr;
            const T *xp = (const T *)row;
            if (issum) {
                if (contig) { CYT_SIMD for (j = 0; j < ni; j++) acc[j] += TOACC((T)LDV(xp[j])); }
                else { for (j = 0; j < ni; j++) acc[j] += TOACC(LDX(row + j * si)); }
            } else {
                if (contig) { CYT_SIMD for (j = 0; j < ni; j++) acc[j] *= TOACC((T)LDV(xp[j])); }
                else { for (j = 0; j < ni; j++) acc[j] *= TOACC(LDX(row + j * si)); }
            }
        }
        if (sizeof(A) != sizeof(AI) || (A)0.5 != (AI)0.5) { /* never for our instantiations */ }
    } break;
    case CYT_RED_MAX: case CYT_RED_MIN: {
        T *acc = (T *)accv;
        const int ismax = (op == CYT_RED_MAX);
        for (j = 0; j < ni; j++) acc[j] = LDX(x + j * si);
        for (r = 1; r < nr; r++) {
            const char *row = x + r * sr;
            const T *xp = (const T *)row;
            if (ismax) {
                if (contig) { CYT_SIMD for (j = 0; j < ni; j++) { const T v = (T)LDV(xp[j]); const T m = acc[j];
                    acc[j] = (v > m || v != v) ? v : m; } }
                else { for (j = 0; j < ni; j++) { const T v = LDX(row + j * si); const T m = acc[j];
                    acc[j] = (v > m || v != v) ? v : m; } }
            } else {
                if (contig) { CYT_SIMD for (j = 0; j < ni; j++) { const T v = (T)LDV(xp[j]); const T m = acc[j];
                    acc[j] = (v < m || v != v) ? v : m; } }
                else { for (j = 0; j < ni; j++) { const T v = LDX(row + j * si); const T m = acc[j];
                    acc[j] = (v < m || v != v) ? v : m; } }
            }
        }
    } break;
    case CYT_RED_ALL: case CYT_RED_ANY: {
        uint8_t *acc = (uint8_t *)accv;
        const int isall = (op == CYT_RED_ALL);
        for (j = 0; j < ni; j++) acc[j] = (uint8_t)isall;
        for (r = 0; r < nr; r++) {
            const char *row = x + r * sr;
            const T *xp = (const T *)row;
            if (isall) {
                if (contig) { CYT_SIMD for (j = 0; j < ni; j++) acc[j] &= (uint8_t)(xp[j] != 0); }
                else { for (j = 0; j < ni; j++) acc[j] &= (uint8_t)(*(const T *)(row + j * si) != 0); }
            } else {
                if (contig) { CYT_SIMD for (j = 0; j < ni; j++) acc[j] |= (uint8_t)(xp[j] != 0); }
                else { for (j = 0; j < ni; j++) acc[j] |= (uint8_t)(*(const T *)(row + j * si) != 0); }
            }
        }
    } break;
    case CYT_RED_ARGMAX: case CYT_RED_ARGMIN: {
        int64_t *idx = (int64_t *)accv;
        T *best = (T *)auxv;
        const int ismax = (op == CYT_RED_ARGMAX);
        for (j = 0; j < ni; j++) { best[j] = LDX(x + j * si); idx[j] = 0; }
        for (r = 1; r < nr; r++) {
            const char *row = x + r * sr;
            for (j = 0; j < ni; j++) {
                const T v = LDX(row + j * si);
                const T b = best[j];
                if (!(b != b) && (ismax ? !(v <= b) : !(v >= b))) { best[j] = v; idx[j] = r; }
            }
        }
    } break;
    }
}
#undef LDX
#undef TOACC
