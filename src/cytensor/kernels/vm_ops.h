/* vm_ops.h -- the elementwise register VM: one pass of a register program
 * over a block of n elements.  Each instruction is [opcode, dst, a, b, c];
 * every register is a pointer to n elements of the compute type.  The loops
 * carry `#pragma omp simd` (dst may equal an operand: still elementwise, so
 * no loop-carried dependence), so GCC vectorises them, calling libmvec for
 * the transcendental functions. */
#ifndef CYT_VM_OPS_H
#define CYT_VM_OPS_H
#include "cyt_common.h"

/* The opcodes: one enum constant per line of vm_opcodes.def, numbered in order. */
enum {
#define CYT_OP(ENUM, name, arity, libm, int_ok, narrow) OP_##ENUM,
#include "vm_opcodes.def"
#undef CYT_OP
    OP_COUNT
};

/* What the rest of the kernels (and Python, through _elemwise.pyx) know about
 * each opcode, indexed by opcode; see vm_opcodes.def for the columns. */
typedef struct {
    const char *name;
    int arity, libm, int_ok, narrow;
} cyt_opinfo;
static const cyt_opinfo cyt_op_info[OP_COUNT] = {
#define CYT_OP(ENUM, name, arity, libm, int_ok, narrow) {name, arity, libm, int_ok, narrow},
#include "vm_opcodes.def"
#undef CYT_OP
};
static inline int cyt_op_known(int op) { return op >= 0 && op < OP_COUNT; }

/* ---- numpy-compatible scalar helpers ---- */
#define CYT_DIVMOD_DEF(T, SFX)                                                      \
static inline T cyt_floordiv_##SFX(T a, T b) {                                      \
    T mod, div, fd;                                                                  \
    if (b == 0) return a / b;                                                        \
    mod = fmod##SFX##_(a, b);                                                        \
    div = (a - mod) / b;                                                             \
    if (mod != 0) { if ((b < 0) != (mod < 0)) div -= 1; }                            \
    if (div != 0) { fd = floor##SFX##_(div); if (div - fd > (T)0.5) fd += 1; }       \
    else fd = copysign##SFX##_((T)0, a / b);                                         \
    return fd;                                                                       \
}                                                                                    \
static inline T cyt_mod_##SFX(T a, T b) {                                            \
    T mod = fmod##SFX##_(a, b);                                                      \
    if (b == 0) return mod;                                                          \
    if (mod != 0) { if ((b < 0) != (mod < 0)) mod += b; }                            \
    else mod = copysign##SFX##_((T)0, b);                                            \
    return mod;                                                                      \
}
#define fmodd_ fmod
#define floord_ floor
#define copysignd_ copysign
#define fmodf_ fmodf
#define floorf_ floorf
#define copysignf_ copysignf
CYT_DIVMOD_DEF(double, d)
CYT_DIVMOD_DEF(float, f)

static inline int64_t cyt_floordiv_i(int64_t a, int64_t b) {
    int64_t q;
    if (b == 0) return 0;
    if (b == -1) return (int64_t)(0 - (uint64_t)a); /* INT64_MIN // -1 wraps, no trap */
    q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
static inline int64_t cyt_mod_i(int64_t a, int64_t b) {
    int64_t r;
    if (b == 0 || b == -1) return 0;
    r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static inline uint64_t cyt_pow_u(uint64_t a, uint64_t e) {
    uint64_t r = 1;
    while (e) {
        if (e & 1) r *= a;
        a *= a;
        e >>= 1;
    }
    return r;
}
static inline int64_t cyt_pow_i(int64_t a, int64_t e) {
    if (e < 0) {
        if (a == 1) return 1;
        if (a == -1) return (e & 1) ? -1 : 1;
        return 0;
    }
    return (int64_t)cyt_pow_u((uint64_t)a, (uint64_t)e);
}
/* unsigned: NumPy gives 0 for a division or remainder by zero */
static inline uint64_t cyt_floordiv_u(uint64_t a, uint64_t b) { return b ? a / b : 0; }
static inline uint64_t cyt_mod_u(uint64_t a, uint64_t b) { return b ? a % b : 0; }

/* ---- prefetching the next block while this one computes ----
 * A loop of exp or log over one block is bound by arithmetic, and the
 * hardware prefetcher runs only a little ahead of it, so memory sits idle
 * while the VM computes and the cores sit idle while the next block's inputs
 * arrive.  The transcendental loops therefore run in chunks of CYT_PF_CHUNK
 * elements, and before each chunk ask for a share of the next block's input
 * lines, spread evenly over all such chunks of the program.  On 2 EPYC cores
 * exp(a)*b + log(c)**2 over 10^7 doubles (into an output already in memory)
 * went from 19.1 to 16.0 ms, and to 15.4 ms with streamed stores. */
#define CYT_PF_MAX 8
#define CYT_PF_CHUNK 64
typedef struct {
    const char *ptr[CYT_PF_MAX]; /* the next block's bytes of each direct input */
    cyt_intp bytes;              /* how many, the same for every input */
    int nstream;
    int next;                    /* cursor: the input, and the offset in it */
    cyt_intp off;
    cyt_intp per_chunk;          /* lines asked for before each chunk */
} cyt_prefetch;

static inline void cyt_pf_init(cyt_prefetch *pf, cyt_intp bytes) {
    pf->bytes = bytes;
    pf->nstream = pf->next = 0;
    pf->off = pf->per_chunk = 0;
}
static inline void cyt_pf_add(cyt_prefetch *pf, const char *p) {
    if (pf->nstream < CYT_PF_MAX && pf->bytes > 0) pf->ptr[pf->nstream++] = p;
}
static inline void cyt_pf_step(cyt_prefetch *pf) {
    cyt_intp k;
    if (pf == 0) return;
    for (k = 0; k < pf->per_chunk && pf->next < pf->nstream; k++) {
#if defined(__GNUC__)
        __builtin_prefetch(pf->ptr[pf->next] + pf->off, 0, 2);  /* to L2: L1 holds the block */
#endif
        pf->off += 64;
        if (pf->off >= pf->bytes) { pf->off = 0; pf->next++; }
    }
}
/* ops that call libm: the ones worth hiding memory behind */
static inline int cyt_op_is_libm(int op) { return cyt_op_known(op) && cyt_op_info[op].libm; }
/* Share the lines out over the chunks of the program's libm loops; no libm
 * loop, no prefetching (the hardware keeps up with memory-bound loops). */
static inline cyt_prefetch *cyt_pf_plan(cyt_prefetch *pf, const int32_t *code, int ninstr,
                                        cyt_intp n) {
    cyt_intp chunks = 0, lines;
    int k;
    if (pf == 0 || pf->nstream == 0) return 0;
    for (k = 0; k < ninstr; k++)
        if (cyt_op_is_libm(code[5 * k])) chunks += (n + CYT_PF_CHUNK - 1) / CYT_PF_CHUNK;
    if (chunks == 0) return 0;
    lines = pf->nstream * ((pf->bytes + 63) / 64);
    pf->per_chunk = (lines + chunks - 1) / chunks;
    return pf;
}

/* ---- float/double VM (template) ---- */
#define CYT_T double
#define CYT_M(fn) fn
#define CYT_SFX d
#include "vm_tmpl.h"
#undef CYT_T
#undef CYT_M
#undef CYT_SFX
#define CYT_T float
#define CYT_M(fn) fn##f
#define CYT_SFX f
#include "vm_tmpl.h"
#undef CYT_T
#undef CYT_M
#undef CYT_SFX

/* ---- integer VMs (int64 and uint64 registers) ---- */
static inline int cyt_op_valid_int(int op) { return cyt_op_known(op) && cyt_op_info[op].int_ok; }

typedef uint64_t cyt_u64;
#define IT int64_t
#define ISFX i
#define INT_DIV cyt_floordiv_i
#define INT_MOD cyt_mod_i
#define INT_POW cyt_pow_i
#include "vm_int_tmpl.h"
#undef IT
#undef ISFX
#undef INT_DIV
#undef INT_MOD
#undef INT_POW
#define IT uint64_t
#define ISFX u
#define INT_DIV cyt_floordiv_u
#define INT_MOD cyt_mod_u
#define INT_POW cyt_pow_u
#include "vm_int_tmpl.h"
#undef IT
#undef ISFX
#undef INT_DIV
#undef INT_MOD
#undef INT_POW

/* dispatch on compute dtype code (CYT_F32 / CYT_F64 / CYT_I64 / CYT_U64); pf (may be
 * NULL) holds the next block's inputs, to prefetch from the libm loops. */
static inline int cyt_vm_run_pf(int ct, char **R, const int32_t *code, int ninstr, cyt_intp n,
                                cyt_prefetch *pf) {
    if (ct == CYT_F64) return cyt_vm_d(R, code, ninstr, n, cyt_pf_plan(pf, code, ninstr, n));
    if (ct == CYT_F32) return cyt_vm_f(R, code, ninstr, n, cyt_pf_plan(pf, code, ninstr, n));
    if (ct == CYT_U64) return cyt_vm_u(R, code, ninstr, n);
    return cyt_vm_i(R, code, ninstr, n);
}
static inline int cyt_vm_run(int ct, char **R, const int32_t *code, int ninstr, cyt_intp n) {
    return cyt_vm_run_pf(ct, R, code, ninstr, n, 0);
}

/* arity (0 = unknown opcode) */
static inline int cyt_op_arity(int op) { return cyt_op_known(op) ? cyt_op_info[op].arity : 0; }

#endif
