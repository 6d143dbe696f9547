/* template: CYT_T (float/double), CYT_M(f) (libm name), CYT_SFX (f/d).
 * Included twice by vm_ops.h. */
#define T_ CYT_T
#define VCAT2(a, b) a##b
#define VCAT(a, b) VCAT2(a, b)
#define L1(EXPR) { CYT_SIMD for (i = 0; i < n; i++) { const T_ x = a[i]; d[i] = (EXPR); } } break;
#define S1(EXPR) { for (i = 0; i < n; i++) { const T_ x = a[i]; d[i] = (EXPR); } } break;
#define L2(EXPR) { CYT_SIMD for (i = 0; i < n; i++) { const T_ x = a[i], y = b[i]; d[i] = (EXPR); } } break;
#define S2(EXPR) { for (i = 0; i < n; i++) { const T_ x = a[i], y = b[i]; d[i] = (EXPR); } } break;
/* libm loops: in chunks, each chunk first prefetching (see cyt_prefetch) */
#define CHUNKED(...) { cyt_intp j, e; for (j = 0; j < n; j = e) {                            \
    e = j + CYT_PF_CHUNK < n ? j + CYT_PF_CHUNK : n; cyt_pf_step(pf);                        \
    CYT_SIMD for (i = j; i < e; i++) { __VA_ARGS__ } } } break;
#define M1(EXPR) CHUNKED(const T_ x = a[i]; d[i] = (EXPR);)
#define M2(EXPR) CHUNKED(const T_ x = a[i], y = b[i]; d[i] = (EXPR);)
#define L3(EXPR) { CYT_SIMD for (i = 0; i < n; i++) { const T_ x = a[i], y = b[i], z = c3[i]; d[i] = (EXPR); } } break;
#define MAXNAN(x, y) (((x) >= (y) || (x) != (x)) ? (x) : (y))
#define MINNAN(x, y) (((x) <= (y) || (x) != (x)) ? (x) : (y))

CYT_SIMD_CLONES static int VCAT(cyt_vm_, CYT_SFX)(char **Rc, const int32_t *code, int ninstr, cyt_intp n,
                                                  cyt_prefetch *pf) {
    T_ **R = (T_ **)Rc;
    int k;
    for (k = 0; k < ninstr; k++) {
        const int32_t *c = code + 5 * k;
        T_ *d = R[c[1]];
        const T_ *a = c[2] >= 0 ? R[c[2]] : 0;
        const T_ *b = c[3] >= 0 ? R[c[3]] : 0;
        const T_ *c3 = c[4] >= 0 ? R[c[4]] : 0;
        cyt_intp i;
        switch (c[0]) {
        case OP_IDENTITY: L1(x)
        case OP_NEG: L1(-x)
        case OP_ABS: L1(CYT_M(fabs)(x))
        case OP_SIGN: L1(x > 0 ? (T_)1 : (x < 0 ? (T_)-1 : (x == 0 ? (T_)0 : x)))
        case OP_EXP: M1(CYT_M(exp)(x))
        case OP_EXP2: M1(CYT_M(exp2)(x))
        case OP_EXPM1: M1(CYT_M(expm1)(x))
        case OP_LOG: M1(CYT_M(log)(x))
        case OP_LOG2: M1(CYT_M(log2)(x))
        case OP_LOG10: M1(CYT_M(log10)(x))
        case OP_LOG1P: M1(CYT_M(log1p)(x))
        case OP_SQRT: L1(CYT_M(sqrt)(x))
        case OP_SQR: L1(x * x)
        case OP_RECIPROCAL: L1((T_)1 / x)
        case OP_SIN: M1(CYT_M(sin)(x))
        case OP_COS: M1(CYT_M(cos)(x))
        case OP_TAN: M1(CYT_M(tan)(x))
        case OP_ARCSIN: M1(CYT_M(asin)(x))
        case OP_ARCCOS: M1(CYT_M(acos)(x))
        case OP_ARCTAN: M1(CYT_M(atan)(x))
        case OP_SINH: M1(CYT_M(sinh)(x))
        case OP_COSH: M1(CYT_M(cosh)(x))
        case OP_TANH: M1(CYT_M(tanh)(x))
        case OP_ARCSINH: M1(CYT_M(asinh)(x))
        case OP_ARCCOSH: M1(CYT_M(acosh)(x))
        case OP_ARCTANH: M1(CYT_M(atanh)(x))
        case OP_FLOOR: L1(CYT_M(floor)(x))
        case OP_CEIL: L1(CYT_M(ceil)(x))
        case OP_TRUNC: L1(CYT_M(trunc)(x))
        case OP_RINT: L1(CYT_M(rint)(x))
        case OP_ROUND: L1(CYT_M(round)(x))
        case OP_ISNAN: L1((T_)(x != x))
        case OP_ISINF: L1((T_)(CYT_M(fabs)(x) == (T_)INFINITY))
        case OP_ISFINITE: L1((T_)(x - x == 0))
        case OP_LOGICAL_NOT: L1((T_)(x == 0))
        case OP_INVERT: L1((T_)(x == 0))
        case OP_SIGMOID: CHUNKED(
            const T_ x = a[i];
            const T_ e = CYT_M(exp)(-CYT_M(fabs)(x));
            const T_ r = (T_)1 / ((T_)1 + e);
            /* x >= 0: r; x < 0: e * r (-0.0: e = 1, the same) */
            d[i] = VCAT(cyt_if_negative_, CYT_SFX)(x, e * r, r);)
        case OP_SOFTPLUS: CHUNKED(
            const T_ x = a[i];
            const T_ e = CYT_M(exp)(x);
            const T_ l = CYT_M(log1p)(e);
            d[i] = x > 30 ? x : (x < -30 ? e : l);)
        case OP_ERF: M1(CYT_M(erf)(x))
        case OP_ERFC: M1(CYT_M(erfc)(x))
        case OP_RELU: L1(x < 0 ? (T_)0 : x)
        /* narrowing: the register holds a value of a narrower dtype (see vm_opcodes.def) */
        case OP_NARROW_BOOL: L1((T_)(x != 0))
        case OP_NARROW_INT8: L1((T_)(int8_t)(int64_t)x)
        case OP_NARROW_INT16: L1((T_)(int16_t)(int64_t)x)
        case OP_NARROW_INT32: L1((T_)(int32_t)(int64_t)x)
        case OP_NARROW_UINT8: L1((T_)(uint8_t)(int64_t)x)
        case OP_NARROW_UINT16: L1((T_)(uint16_t)(int64_t)x)
        case OP_NARROW_UINT32: L1((T_)(uint32_t)(int64_t)x)
        case OP_NARROW_FLOAT32: L1((T_)(float)x)
        case OP_ADD: L2(x + y)
        case OP_SUB: L2(x - y)
        case OP_MUL: L2(x * y)
        case OP_TRUE_DIV: L2(x / y)
        case OP_INT_DIV: S2(VCAT(cyt_floordiv_, CYT_SFX)(x, y))
        case OP_MOD: S2(VCAT(cyt_mod_, CYT_SFX)(x, y))
        case OP_POW: M2(CYT_M(pow)(x, y))
        case OP_ARCTAN2: M2(CYT_M(atan2)(x, y))
        case OP_MAXIMUM: L2(MAXNAN(x, y))
        case OP_MINIMUM: L2(MINNAN(x, y))
        case OP_LT: L2((T_)(x < y))
        case OP_GT: L2((T_)(x > y))
        case OP_LE: L2((T_)(x <= y))
        case OP_GE: L2((T_)(x >= y))
        case OP_EQ: L2((T_)(x == y))
        case OP_NEQ: L2((T_)(x != y))
        case OP_LOGICAL_AND: case OP_BITWISE_AND: L2((T_)((x != 0) & (y != 0)))
        case OP_LOGICAL_OR: case OP_BITWISE_OR: L2((T_)((x != 0) | (y != 0)))
        case OP_LOGICAL_XOR: case OP_BITWISE_XOR: L2((T_)((x != 0) ^ (y != 0)))
        case OP_HYPOT: M2(CYT_M(hypot)(x, y))
        case OP_COPYSIGN: L2(CYT_M(copysign)(x, y))
        case OP_SWITCH: L3(x != 0 ? y : z)
        case OP_CLIP: L3(MINNAN(MAXNAN(x, y), z))
        default: return -1;
        }
    }
    return 0;
}
#undef L1
#undef S1
#undef L2
#undef S2
#undef L3
#undef CHUNKED
#undef M1
#undef M2
#undef MAXNAN
#undef MINNAN
#undef T_
