/* template: the integer VM for one register type.  IT (int64_t/uint64_t),
 * ISFX (i/u), and INT_DIV, INT_MOD, INT_POW: the operations whose meaning
 * depends on the sign.  Included twice by vm_ops.h.  Arithmetic goes
 * through uint64 so that overflow wraps as NumPy's does (no undefined
 * behaviour). */
#define ICAT2(a, b) a##b
#define ICAT(a, b) ICAT2(a, b)
#define IL1(EXPR) { CYT_SIMD for (i = 0; i < n; i++) { const IT x = a[i]; d[i] = (EXPR); } } break;
#define IL2(EXPR) { CYT_SIMD for (i = 0; i < n; i++) { const IT x = a[i], y = b[i]; d[i] = (EXPR); } } break;
#define IS2(EXPR) { for (i = 0; i < n; i++) { const IT x = a[i], y = b[i]; d[i] = (EXPR); } } break;
/* One divisor for the whole block (a scalar register, as in x // 3): in
 * doubles when the numbers are below 2^50 (FNDBL, a vectorised loop), else by
 * multiplying (FN, cyt_udivisor; vm_ops.h); else fall through to the loop after. */
#define IDIVBY(FN, FNDBL) {                                                            \
    if (n >= CYT_DIVBY_MIN && b[0] == b[n - 1] && ICAT(cyt_divisor_ok_, ISFX)(b[0])) {  \
        const IT y = b[0];                                                            \
        IT diff = 0;                                                                  \
        for (i = 0; i < n; i++) diff |= b[i] ^ y;                                     \
        if (diff == 0) {                                                              \
            if (ICAT(cyt_dbl_divisor_, ISFX)(y) && ICAT(cyt_dbl_fits_, ISFX)(a, n)) {  \
                const double yd = cyt_dbl_of((uint64_t)y), yr = 1.0 / yd;             \
                CYT_SIMD for (i = 0; i < n; i++) d[i] = (IT)FNDBL(yd, yr, (uint64_t)a[i]); \
                break;                                                                \
            }                                                                         \
            const cyt_udivisor u = ICAT(cyt_divisor_, ISFX)(y);                       \
            for (i = 0; i < n; i++) d[i] = FN(u, y, a[i]);                             \
            break;                                                                    \
        }                                                                             \
    } }
#define IL3(EXPR) { CYT_SIMD for (i = 0; i < n; i++) { const IT x = a[i], y = b[i], z = c3[i]; d[i] = (EXPR); } } break;

CYT_SIMD_CLONES static int ICAT(cyt_vm_, ISFX)(char **Rc, const int32_t *code, int ninstr, cyt_intp n) {
    IT **R = (IT **)Rc;
    int k;
    for (k = 0; k < ninstr; k++) {
        const int32_t *c = code + 5 * k;
        IT *d = R[c[1]];
        const IT *a = c[2] >= 0 ? R[c[2]] : 0;
        const IT *b = c[3] >= 0 ? R[c[3]] : 0;
        const IT *c3 = c[4] >= 0 ? R[c[4]] : 0;
        cyt_intp i;
        switch (c[0]) {
        case OP_IDENTITY: IL1(x)
        case OP_NEG: IL1((IT)(0 - (cyt_u64)x))
        case OP_ABS: IL1(x < 0 ? (IT)(0 - (cyt_u64)x) : x)
        case OP_SIGN: IL1((IT)((x > 0) - (x < 0)))
        case OP_SQR: IL1((IT)((cyt_u64)x * (cyt_u64)x))
        case OP_LOGICAL_NOT: IL1((IT)(x == 0))
        case OP_INVERT: IL1(~x)
        /* narrowing: wrap around to a narrower dtype's range (see vm_opcodes.def) */
        case OP_NARROW_BOOL: IL1((IT)(x != 0))
        case OP_NARROW_INT8: IL1((IT)(int8_t)x)
        case OP_NARROW_INT16: IL1((IT)(int16_t)x)
        case OP_NARROW_INT32: IL1((IT)(int32_t)x)
        case OP_NARROW_UINT8: IL1((IT)(uint8_t)x)
        case OP_NARROW_UINT16: IL1((IT)(uint16_t)x)
        case OP_NARROW_UINT32: IL1((IT)(uint32_t)x)
        case OP_ADD: IL2((IT)((cyt_u64)x + (cyt_u64)y))
        case OP_SUB: IL2((IT)((cyt_u64)x - (cyt_u64)y))
        case OP_MUL: IL2((IT)((cyt_u64)x * (cyt_u64)y))
        case OP_INT_DIV: IDIVBY(ICAT(cyt_floordiv_by_, ISFX), cyt_floordiv_by_dbl) IS2(INT_DIV(x, y))
        case OP_MOD: IDIVBY(ICAT(cyt_mod_by_, ISFX), cyt_mod_by_dbl) IS2(INT_MOD(x, y))
        case OP_POW: IS2(INT_POW(x, y))
        case OP_MAXIMUM: IL2(x >= y ? x : y)
        case OP_MINIMUM: IL2(x <= y ? x : y)
        case OP_LT: IL2((IT)(x < y))
        case OP_GT: IL2((IT)(x > y))
        case OP_LE: IL2((IT)(x <= y))
        case OP_GE: IL2((IT)(x >= y))
        case OP_EQ: IL2((IT)(x == y))
        case OP_NEQ: IL2((IT)(x != y))
        case OP_LOGICAL_AND: IL2((IT)((x != 0) & (y != 0)))
        case OP_LOGICAL_OR: IL2((IT)((x != 0) | (y != 0)))
        case OP_LOGICAL_XOR: IL2((IT)((x != 0) ^ (y != 0)))
        case OP_BITWISE_AND: IL2(x & y)
        case OP_BITWISE_OR: IL2(x | y)
        case OP_BITWISE_XOR: IL2(x ^ y)
        case OP_SWITCH: IL3(x != 0 ? y : z)
        case OP_CLIP: IL3(x >= y ? (x <= z ? x : z) : (y <= z ? y : z))
        default: return -1;
        }
    }
    return 0;
}
#undef IL1
#undef IL2
#undef IS2
#undef IDIVBY
#undef IL3
#undef ICAT
#undef ICAT2
