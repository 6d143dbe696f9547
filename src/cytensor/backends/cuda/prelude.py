"""The CUDA C helpers every generated kernel starts with.

One text, compiled as ``__host__ __device__`` code: CuPy's NVRTC compiles it
into each kernel, and the tests compile it with nvcc into a host program to
compare its results with NumPy's and the CPU kernels' on this machine, GPU or
not.  Each helper is the device twin of a helper of the CPU kernels
(kernels/vm_ops.h, vm_tmpl.h): floor division and modulo with NumPy's signs
(an integer division by zero gives 0), integer power, nan-propagating
maximum and minimum, the stable sigmoid and softplus.  No header is included
(NVRTC has none), so the integer types are named here.

``cyt_to_i64`` converts as x86's ``cvttsd2si``, which the CPU kernels' casts
compile to: nan and values out of range give INT64_MIN, where CUDA's own
conversion saturates.  So a float cast to an integer narrows to the same
value on both backends.
"""

PRELUDE = r"""
#ifndef CYT_PRELUDE
#define CYT_PRELUDE
#define CYT_HD __host__ __device__ inline
typedef signed char cyt_i8;
typedef short cyt_i16;
typedef int cyt_i32;
typedef long long cyt_i64;
typedef unsigned char cyt_u8;
typedef unsigned short cyt_u16;
typedef unsigned int cyt_u32;
typedef unsigned long long cyt_u64;
#define CYT_MD(fn) fn
#define CYT_MF(fn) fn##f

CYT_HD cyt_i64 cyt_to_i64(double x) {
    return (x >= -9223372036854775808.0 && x < 9223372036854775808.0)
        ? (cyt_i64)x : (cyt_i64)(1ULL << 63);
}
CYT_HD cyt_i64 cyt_to_i64(float x) { return cyt_to_i64((double)x); }
/* to uint64 as GCC converts on x86: values from 2**63 through the top bit */
CYT_HD cyt_u64 cyt_to_u64(double x) {
    return (x >= 9223372036854775808.0 && x < 18446744073709551616.0)
        ? (cyt_u64)cyt_to_i64(x - 9223372036854775808.0) ^ (1ULL << 63)
        : (cyt_u64)cyt_to_i64(x);
}
CYT_HD cyt_u64 cyt_to_u64(float x) { return cyt_to_u64((double)x); }

/* infinity without a header: its bits */
CYT_HD double cyt_inf() {
    union { cyt_u64 bits; double value; } inf = {0x7ff0000000000000ULL};
    return inf.value;
}

template <typename T> CYT_HD T cyt_maxnan(T x, T y) { return (x >= y || x != x) ? x : y; }
template <typename T> CYT_HD T cyt_minnan(T x, T y) { return (x <= y || x != x) ? x : y; }

/* NumPy's floor division and modulo of floats, the sign of the result
 * following the divisor; the float helpers of vm_ops.h, for T and its libm M */
#define CYT_FLOAT_HELPERS(T, M)                                                      \
CYT_HD T cyt_floordiv(T a, T b) {                                                   \
    T mod, div, fd;                                                                  \
    if (b == 0) return a / b;                                                        \
    mod = M(fmod)(a, b);                                                             \
    div = (a - mod) / b;                                                             \
    if (mod != 0) { if ((b < 0) != (mod < 0)) div -= 1; }                            \
    if (div != 0) { fd = M(floor)(div); if (div - fd > (T)0.5) fd += 1; }            \
    else fd = M(copysign)((T)0, a / b);                                              \
    return fd;                                                                       \
}                                                                                    \
CYT_HD T cyt_mod(T a, T b) {                                                        \
    T mod = M(fmod)(a, b);                                                           \
    if (b == 0) return mod;                                                          \
    if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; }                            \
    else mod = M(copysign)((T)0, b);                                                 \
    return mod;                                                                      \
}                                                                                    \
CYT_HD T cyt_sigmoid(T x) {                                                         \
    const T e = M(exp)(-M(fabs)(x));                                                 \
    const T r = (T)1 / ((T)1 + e);                                                   \
    return x >= 0 ? r : e * r;                                                       \
}                                                                                    \
CYT_HD T cyt_softplus(T x) {                                                        \
    const T e = M(exp)(x);                                                           \
    return x > 30 ? x : (x < -30 ? e : M(log1p)(e));                                 \
}
CYT_FLOAT_HELPERS(double, CYT_MD)
CYT_FLOAT_HELPERS(float, CYT_MF)

/* integers: division and modulo by zero give 0, INT64_MIN // -1 wraps */
CYT_HD cyt_i64 cyt_floordiv(cyt_i64 a, cyt_i64 b) {
    cyt_i64 q;
    if (b == 0) return 0;
    if (b == -1) return (cyt_i64)(0 - (cyt_u64)a);
    q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
CYT_HD cyt_i64 cyt_mod(cyt_i64 a, cyt_i64 b) {
    cyt_i64 r;
    if (b == 0 || b == -1) return 0;
    r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
CYT_HD cyt_u64 cyt_floordiv(cyt_u64 a, cyt_u64 b) { return b ? a / b : 0; }
CYT_HD cyt_u64 cyt_mod(cyt_u64 a, cyt_u64 b) { return b ? a % b : 0; }
CYT_HD cyt_u64 cyt_pow(cyt_u64 a, cyt_u64 e) {
    cyt_u64 r = 1;
    while (e) {
        if (e & 1) r *= a;
        a *= a;
        e >>= 1;
    }
    return r;
}
CYT_HD cyt_i64 cyt_pow(cyt_i64 a, cyt_i64 e) {
    if (e < 0) {
        if (a == 1) return 1;
        if (a == -1) return (e & 1) ? -1 : 1;
        return 0;
    }
    return (cyt_i64)cyt_pow((cyt_u64)a, (cyt_u64)e);
}
#endif
"""
