# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Elementwise register VM (numexpr-style) and strided converting copies.

The opcode loops live in vm_ops.h (C, because they need ``#pragma omp simd``
to vectorise when a register is both read and written); this module prepares
operands (broadcasting, dimension collapsing, aliasing), and runs blocks of
the flattened iteration space over OpenMP threads with ``prange``.
"""
import operator
import os as _os

import numpy as np
cimport cython
cimport numpy as cnp
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from libc.stdint cimport int32_t, int64_t
from cython.parallel cimport prange, parallel

cnp.import_array()

cdef extern from "vm_ops.h" nogil:
    ctypedef Py_ssize_t cyt_intp
    enum:
        CYT_BOOL, CYT_I8, CYT_I16, CYT_I32, CYT_I64, CYT_U8, CYT_U16, CYT_U32, CYT_U64
        CYT_F32, CYT_F64, CYT_NDT, CYT_MAXDIMS
    enum:
        OP_COUNT
    ctypedef struct cyt_opinfo:
        const char *name
        int arity, libm, int_ok, narrow
    const cyt_opinfo *cyt_op_info
    const int *cyt_dt_size
    int cyt_vm_run(int ct, char **R, const int32_t *code, int ninstr, cyt_intp n)
    ctypedef struct cyt_prefetch:
        pass
    void cyt_pf_init(cyt_prefetch *pf, cyt_intp bytes)
    void cyt_pf_add(cyt_prefetch *pf, const char *p)
    int cyt_vm_run_pf(int ct, char **R, const int32_t *code, int ninstr, cyt_intp n,
                      cyt_prefetch *pf)
    int cyt_op_arity(int op)
    int cyt_op_valid_int(int op)
    void cyt_walk(char *base, int odt, const cyt_intp *strides, const cyt_intp *shape, int nd,
                  cyt_intp start, cyt_intp len, char *buf, int bdt, int store)
    void cyt_convert(const char *src, cyt_intp ss, int st, char *dst, cyt_intp ds, int dt,
                     cyt_intp n)
    void cyt_stream_copy(char *dst, const char *src, cyt_intp n)
    cyt_intp cyt_dynamic_chunk(cyt_intp ntask, int nt)
    void cyt_copy_nd(char *dst, int dt, const cyt_intp *dstr, const char *src, int st,
                     const cyt_intp *sstr, const cyt_intp *shape, int nd, cyt_intp start,
                     cyt_intp len)
    int cyt_omp_max_threads()
    void cyt_omp_set_threads(int n)
    int cyt_have_openmp()

cdef extern from "fused_red.h" nogil:
    enum:
        CYT_RED_SUM, CYT_RED_PROD, CYT_RED_MAX, CYT_RED_MIN
    int cyt_fr_acc_code(int op, int ct)
    void cyt_fr_init(int op, int act, char *acc, cyt_intp n)
    void cyt_fr_fold_cols(int op, int st, int act, char *dst, const char *src, cyt_intp n)
    void cyt_fr_fold_row(int op, int ct, int act, char *dst, const char *src, cyt_intp n)

# ---------------------------------------------------------------- tables
# Built from vm_opcodes.def (through cyt_op_info), the one list of opcodes.
OPCODES = {cyt_op_info[k].name.decode(): k for k in range(OP_COUNT)}
OPCODE_ARITY = {name: cyt_op_info[k].arity for name, k in OPCODES.items()}
LIBM_OPCODES = frozenset(name for name, k in OPCODES.items() if cyt_op_info[k].libm)
INT_OPCODES = frozenset(name for name, k in OPCODES.items() if cyt_op_info[k].int_ok)
NARROWING_OPCODES = frozenset(name for name, k in OPCODES.items() if cyt_op_info[k].narrow)
OPCODE_NAMES = {code: name for name, code in OPCODES.items()}

DTYPES = (np.dtype(np.bool_), np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
          np.dtype(np.int64), np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.uint32),
          np.dtype(np.uint64), np.dtype(np.float32), np.dtype(np.float64))

# numpy type number -> our dtype code (-1: unsupported)
cdef int _typenum_code[256]
cdef void _init_typenums():
    cdef int i
    for i in range(256):
        _typenum_code[i] = -1
    for code, d in enumerate(DTYPES):
        _typenum_code[d.num] = code
    # int64 / uint64 / int32 may have two type numbers (long vs longlong, int vs long)
    for name in ('int', 'long', 'longlong', 'intc', 'uint', 'ulong', 'ulonglong', 'uintc',
                 'byte', 'ubyte', 'short', 'ushort', 'intp', 'uintp'):
        try:
            d = np.dtype(name)
        except TypeError:
            continue
        if d.kind in 'iu':
            _typenum_code[d.num] = DTYPES.index(np.dtype(f'{d.kind}{d.itemsize}'))
_init_typenums()

cdef int _nthreads = cyt_omp_max_threads()
# Elements below which a kernel runs serially.  Measured on the 2-core dev box:
# with spinning OpenMP workers (OMP_WAIT_POLICY=active/unset) a parallel region
# costs ~2 us and 2 threads win from ~32K elements; with passive waiting
# (cytensor's default, see cytensor/__init__.py) every region has to wake a
# sleeping worker (~60 us), and 2 threads win only from ~400K float32 elements
# for transcendental programs (with the AVX-512/AVX2 clones of the
# interpreter, see vecmath.h) and ~700K for memory-bound ones: a 392K-element
# SGD update took 81 us serial and 113 us on 2 threads.
PASSIVE_WAIT = _os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"
cdef cyt_intp PAR_MIN = 524288 if PASSIVE_WAIT else 32768
cdef cyt_intp BLOCK = 4096         # elements per VM block
# Outputs of at least this many bytes (the host's 32 MiB last-level cache) are
# written with streaming stores (cyt_stream_copy): exp(a)*b + log(c)**2 over
# 10^7 doubles went from 16.0 to 15.4 ms on 2 threads, 10^7 floats from 7.1
# to 6.9 ms.  Smaller outputs stay in cache for whichever kernel reads them.
cdef cyt_intp STREAM_MIN = 1 << 25


def openmp_enabled():
    """True when the kernels were compiled with OpenMP."""
    return bool(cyt_have_openmp())


def get_num_threads():
    return _nthreads


def _set_num_threads(int n):
    global _nthreads
    if n < 1:
        raise ValueError("number of threads must be >= 1")
    _nthreads = n
    cyt_omp_set_threads(n)


def _set_tuning(block=None, par_min=None, stream_min=None):
    """Testing/tuning hook: set the VM block size, the parallel threshold and
    the output size from which outputs are streamed."""
    global BLOCK, PAR_MIN, STREAM_MIN
    if block is not None:
        if block < 16 or block > (1 << 20):
            raise ValueError("block out of range")
        BLOCK = block
    if par_min is not None:
        PAR_MIN = max(1, par_min)
    if stream_min is not None:
        STREAM_MIN = max(0, stream_min)
    return BLOCK, PAR_MIN, STREAM_MIN


cdef inline int _code_of(cnp.ndarray a) except? -2:
    cdef int tn = cnp.PyArray_TYPE(a)
    if tn < 0 or tn >= 256:
        return -1
    return _typenum_code[tn]


cpdef int dtype_code(dt) except -1:
    """Our dtype code for a numpy dtype; TypeError if unsupported."""
    d = np.dtype(dt)
    if d.isnative or d.itemsize == 1:
        if d.num < 256 and _typenum_code[d.num] >= 0:
            return _typenum_code[d.num]
    raise TypeError(f"cytensor kernels: unsupported dtype {d}")


cdef int _compute_code(compute_dtype) except -1:
    d = np.dtype(compute_dtype)
    if d == np.float64:
        return CYT_F64
    if d == np.float32:
        return CYT_F32
    if d == np.int64:
        return CYT_I64
    if d == np.uint64:
        return CYT_U64
    raise ValueError(f"compute_dtype must be float32, float64, int64 or uint64, got {d}")


cdef inline bint _usable(cnp.ndarray a):
    """native byte order, aligned, supported dtype"""
    return (cnp.PyArray_ISALIGNED(a) and not cnp.PyArray_ISBYTESWAPPED(a)
            and _code_of(a) >= 0)


cdef cnp.ndarray _as_usable(x):
    """x as an array the kernels can read: native byte order, aligned, supported
    dtype (float16 widened to float32); copies only when needed."""
    cdef cnp.ndarray a
    if not isinstance(x, cnp.ndarray):
        x = np.asarray(x)
    a = <cnp.ndarray>x
    if _usable(a):
        return a
    d = a.dtype
    if d.kind in 'biuf' and d.itemsize in (1, 2, 4, 8) and not (d.kind == 'f' and d.itemsize < 4):
        return np.ascontiguousarray(a, dtype=d.newbyteorder('='))
    if d.kind == 'f' and d.itemsize == 2:
        return np.ascontiguousarray(a, dtype=np.float32)
    raise TypeError(f"cytensor kernels: unsupported dtype {d}")


cdef int _check_code(cnp.ndarray code, int nin, int nout, int nreg, int ct) except -1:
    cdef int ninstr, k, j, op, ar, r
    cdef const int32_t *c
    if (cnp.PyArray_TYPE(code) != cnp.NPY_INT32 or cnp.PyArray_NDIM(code) != 2
            or cnp.PyArray_DIM(code, 1) != 5 or not cnp.PyArray_IS_C_CONTIGUOUS(code)
            or not cnp.PyArray_ISALIGNED(code) or cnp.PyArray_ISBYTESWAPPED(code)):
        raise ValueError("code must be a C-contiguous int32 array of shape (n_instr, 5)")
    if nreg < nin + nout or nreg > 100000:
        raise ValueError(f"n_registers={nreg} must be >= n_inputs + n_outputs = {nin + nout}")
    ninstr = <int>cnp.PyArray_DIM(code, 0)
    c = <const int32_t *>cnp.PyArray_DATA(code)
    for k in range(ninstr):
        op = c[5 * k]
        ar = cyt_op_arity(op)
        if ar == 0:
            raise ValueError(f"unknown elementwise opcode {op} in instruction {k}")
        if (ct == CYT_I64 or ct == CYT_U64) and not cyt_op_valid_int(op):
            raise ValueError(f"opcode '{OPCODE_NAMES[op]}' is not valid for an integer "
                             "compute dtype")
        r = c[5 * k + 1]
        if r < nin or r >= nreg:
            raise ValueError(f"instruction {k}: destination register {r} must be in "
                             f"[{nin}, {nreg}) (inputs are read-only)")
        for j in range(3):
            r = c[5 * k + 2 + j]
            if j < ar:
                if r < 0 or r >= nreg:
                    raise ValueError(f"instruction {k}: operand register {r} out of range "
                                     f"[0, {nreg})")
            elif r < -1 or r >= nreg:
                raise ValueError(f"instruction {k}: unused operand slot must be -1, got {r}")
    return ninstr


cdef cnp.ndarray _program(code, int nin, int nout, int nreg, int ct):
    """The register program as a checked (n_instr, 5) int32 array (one
    instruction may come as a flat row of 5)."""
    cdef cnp.ndarray codea = np.ascontiguousarray(code, dtype=np.int32)
    if codea.ndim == 1 and codea.shape[0] == 5:
        codea = codea.reshape(1, 5)
    _check_code(codea, nin, nout, nreg, ct)
    return codea


cdef tuple _operands(inputs, out_shape):
    """(inputs the kernels can read, their broadcast shape)."""
    ins = [_as_usable(x) for x in inputs]
    shape = _broadcast(ins, out_shape)
    if len(shape) > 63:
        raise ValueError("too many dimensions")
    return ins, shape


# ---------------------------------------------------------------- plan
cdef enum:
    KIND_DIRECT = 0
    KIND_SCALAR = 1
    KIND_GENERAL = 2

cdef struct VMPlan:
    int nd
    cyt_intp shape[64]
    cyt_intp size
    int nin
    int nout
    int nreg
    int ct
    int csz
    int ninstr
    const int32_t *code
    char **data
    int *dt
    int *kind
    cyt_intp *strides      # nops rows of 64


cdef int _plan_alloc(VMPlan *p, int nops) except -1:
    """Allocate the plan's per-operand arrays (nops operands); MemoryError if short."""
    p.data = <char **>malloc(nops * sizeof(char *))
    p.dt = <int *>malloc(nops * sizeof(int))
    p.kind = <int *>malloc(nops * sizeof(int))
    p.strides = <cyt_intp *>malloc(nops * 64 * sizeof(cyt_intp))
    if p.data == NULL or p.dt == NULL or p.kind == NULL or p.strides == NULL:
        _plan_free(p)
        raise MemoryError()
    return 0


cdef void _plan_free(VMPlan *p) noexcept:
    free(p.data); free(p.dt); free(p.kind); free(p.strides)


cdef inline void _load_inputs(VMPlan *p, char **R, char *tb, cyt_intp start,
                              cyt_intp n) noexcept nogil:
    """Point the input registers at flat range [start, start+n): direct inputs
    in place, general ones walked into their block buffer (scalar ones were
    filled once by _init_thread)."""
    cdef int k
    cdef cyt_intp bstride = BLOCK * p.csz
    for k in range(p.nin):
        if p.kind[k] == KIND_DIRECT:
            R[k] = p.data[k] + start * p.csz
        elif p.kind[k] == KIND_GENERAL:
            R[k] = tb + k * bstride
            cyt_walk(p.data[k], p.dt[k], p.strides + k * 64, p.shape, p.nd, start, n,
                     R[k], p.ct, 0)


cdef inline void _next_block(VMPlan *p, cyt_prefetch *pf, cyt_intp start,
                             cyt_intp end) noexcept nogil:
    """Point pf at the direct inputs' block from flat index start (none past end)."""
    cdef int k
    cyt_pf_init(pf, (BLOCK if end - start > BLOCK else end - start) * p.csz)
    for k in range(p.nin):
        if p.kind[k] == KIND_DIRECT:
            cyt_pf_add(pf, p.data[k] + start * p.csz)


cdef int _run_block(VMPlan *p, char **R, char *tb, cyt_intp start, cyt_intp n,
                    bint stream) noexcept nogil:
    """One block: direct inputs of the next block are prefetched from the libm
    loops (cyt_prefetch); direct outputs are written in place, or (stream)
    computed in the block buffer and streamed out; other outputs are walked out."""
    cdef int k
    cdef cyt_intp bstride = BLOCK * p.csz
    cdef cyt_prefetch pf
    _next_block(p, &pf, start + n, p.size)
    _load_inputs(p, R, tb, start, n)
    for k in range(p.nin, p.nin + p.nout):
        if p.kind[k] == KIND_DIRECT and not stream:
            R[k] = p.data[k] + start * p.csz
        else:
            R[k] = tb + k * bstride
    cyt_vm_run_pf(p.ct, R, p.code, p.ninstr, n, &pf)
    for k in range(p.nin, p.nin + p.nout):
        if p.kind[k] == KIND_DIRECT:
            if stream:
                cyt_stream_copy(p.data[k] + start * p.csz, tb + k * bstride, n * p.csz)
        else:
            cyt_walk(p.data[k], p.dt[k], p.strides + k * 64, p.shape, p.nd, start, n,
                     tb + k * bstride, p.ct, 1)
    return 0


cdef void _init_thread(VMPlan *p, char **R, char *tb, cyt_intp blen) noexcept nogil:
    cdef int k
    cdef cyt_intp bstride = BLOCK * p.csz
    for k in range(p.nreg):
        R[k] = tb + k * bstride
    for k in range(p.nin):
        if p.kind[k] == KIND_SCALAR:
            cyt_convert(p.data[k], 0, p.dt[k], tb + k * bstride, p.csz, p.ct, blen)


cdef inline char *_block_buffer(VMPlan *p) noexcept nogil:
    """One thread's block buffer: BLOCK elements per register (free it)."""
    return <char *>malloc(p.nreg * BLOCK * p.csz + 64)


cdef inline char **_thread_regs(VMPlan *p, char *tb, cyt_intp blen) noexcept nogil:
    """One thread's register table over its block buffer tb, set up by
    _init_thread; NULL (or tb NULL) if memory ran out.  Free it and tb.
    (Callers assign tb and R themselves: OpenMP keeps them thread-private.)"""
    cdef char **R = <char **>malloc(p.nreg * sizeof(char *) + 8)
    if tb != NULL and R != NULL:
        _init_thread(p, R, tb, blen)
    return R


cdef int _run_plan(VMPlan *p) noexcept nogil:
    """Run the plan over all blocks; returns 0, or -1 if memory ran out."""
    cdef cyt_intp nblocks = (p.size + BLOCK - 1) // BLOCK
    cdef cyt_intp b, start, n, blen
    cdef char *tb
    cdef char **R
    cdef int nt = _nthreads
    cdef int nerr = 0
    cdef bint stream = p.size * p.csz >= STREAM_MIN
    cdef cyt_intp chunk = cyt_dynamic_chunk(nblocks, nt)    # runs of consecutive blocks
    blen = BLOCK if p.size > BLOCK else p.size
    if nt > 1 and p.size >= PAR_MIN and nblocks > 1:
        with parallel(num_threads=nt):
            tb = _block_buffer(p)
            R = _thread_regs(p, tb, blen)
            for b in prange(nblocks, schedule='dynamic', chunksize=chunk):
                if tb == NULL or R == NULL:
                    nerr += 1
                else:
                    start = b * BLOCK
                    n = p.size - start
                    if n > BLOCK:
                        n = BLOCK
                    _run_block(p, R, tb, start, n, stream)
            free(tb)
            free(R)
    else:
        tb = _block_buffer(p)
        R = _thread_regs(p, tb, blen)
        if tb == NULL or R == NULL:
            free(tb)
            free(R)
            return -1
        for b in range(nblocks):
            start = b * BLOCK
            n = p.size - start
            if n > BLOCK:
                n = BLOCK
            _run_block(p, R, tb, start, n, stream)
        free(tb)
        free(R)
    return -1 if nerr else 0


@cython.wraparound(True)
@cython.boundscheck(True)
cdef tuple _broadcast(list arrays, out_shape):
    """Broadcast shape of arrays (or check them against out_shape)."""
    cdef int nd = 0, k, d, off
    cdef cnp.ndarray a
    cdef cyt_intp s, t
    if out_shape is not None:
        res = [int(v) for v in out_shape]
        for v in res:
            if v < 0:
                raise ValueError(f"invalid out_shape {tuple(res)}")
        nd = len(res)
        for a in arrays:
            if cnp.PyArray_NDIM(a) > nd:
                raise ValueError(f"input shape {(<object>a).shape} does not broadcast to "
                                 f"output shape {tuple(res)}")
            off = nd - cnp.PyArray_NDIM(a)
            for d in range(cnp.PyArray_NDIM(a)):
                s = cnp.PyArray_DIM(a, d)
                if s != 1 and s != res[off + d]:
                    raise ValueError(f"input shape {(<object>a).shape} does not broadcast to "
                                     f"output shape {tuple(res)}")
        return tuple(res)
    for a in arrays:
        if cnp.PyArray_NDIM(a) > nd:
            nd = cnp.PyArray_NDIM(a)
    res = [1] * nd
    for a in arrays:
        off = nd - cnp.PyArray_NDIM(a)
        for d in range(cnp.PyArray_NDIM(a)):
            s = cnp.PyArray_DIM(a, d)
            t = res[off + d]
            if s == t or s == 1:
                continue
            if t == 1:
                res[off + d] = s
            else:
                raise ValueError("operands could not be broadcast together with shapes "
                                 + " ".join(str(x.shape) for x in arrays))
    return tuple(res)


cdef void _extent(cnp.ndarray a, cyt_intp *lo, cyt_intp *hi) noexcept:
    cdef cyt_intp l = <cyt_intp>cnp.PyArray_DATA(a), h
    cdef int d
    cdef cyt_intp st, n
    h = l
    for d in range(cnp.PyArray_NDIM(a)):
        n = cnp.PyArray_DIM(a, d)
        if n == 0:
            lo[0] = l
            hi[0] = l
            return
        st = cnp.PyArray_STRIDE(a, d)
        if st > 0:
            h += (n - 1) * st
        else:
            l += (n - 1) * st
    lo[0] = l
    hi[0] = h + cnp.PyArray_ITEMSIZE(a)


cdef bint _overlap(cnp.ndarray a, cnp.ndarray b):
    cdef cyt_intp alo, ahi, blo, bhi
    if cnp.PyArray_SIZE(a) == 0 or cnp.PyArray_SIZE(b) == 0:
        return False
    _extent(a, &alo, &ahi)
    _extent(b, &blo, &bhi)
    return alo < bhi and blo < ahi


cdef void _bstrides(cnp.ndarray a, int nd, const cyt_intp *shape, cyt_intp *out) noexcept:
    """byte strides of a broadcast to shape[nd] (0 on broadcast dims)"""
    cdef int off = nd - cnp.PyArray_NDIM(a), d
    for d in range(nd):
        if d < off or cnp.PyArray_DIM(a, d - off) == 1:
            out[d] = 0
        else:
            out[d] = cnp.PyArray_STRIDE(a, d - off)


cdef bint _same_layout(cnp.ndarray o, cnp.ndarray x, int nd, const cyt_intp *shape):
    cdef cyt_intp so[64]
    cdef cyt_intp sx[64]
    cdef int d
    if cnp.PyArray_DATA(o) != cnp.PyArray_DATA(x) or _code_of(o) != _code_of(x):
        return False
    if cnp.PyArray_ITEMSIZE(o) != cnp.PyArray_ITEMSIZE(x):
        return False
    _bstrides(o, nd, shape, so)
    _bstrides(x, nd, shape, sx)
    for d in range(nd):
        if shape[d] != 1 and so[d] != sx[d]:
            return False
    return True


cdef int _collapse(int nops, int nd, cyt_intp *shape, cyt_intp *strides) noexcept:
    """Drop size-1 dims and merge adjacent dims whose strides chain for every
    operand.  strides: nops rows of 64.  Returns the new nd (>= 1)."""
    cdef int d, k, m = 0
    cdef bint ok
    for d in range(nd):
        if shape[d] == 1:
            continue
        if m > 0:
            ok = True
            for k in range(nops):
                if strides[k * 64 + m - 1] != strides[k * 64 + d] * shape[d]:
                    ok = False
                    break
            if ok:
                shape[m - 1] *= shape[d]
                for k in range(nops):
                    strides[k * 64 + m - 1] = strides[k * 64 + d]
                continue
        shape[m] = shape[d]
        for k in range(nops):
            strides[k * 64 + m] = strides[k * 64 + d]
        m += 1
    if m == 0:
        shape[0] = 1
        for k in range(nops):
            strides[k * 64] = 0
        m = 1
    return m


cdef int _classify(VMPlan *p, int k) noexcept:
    cdef int d
    cdef cyt_intp expect = p.csz
    cdef bint allzero = True
    for d in range(p.nd):
        if p.strides[k * 64 + d] != 0:
            allzero = False
    if allzero and k < p.nin:
        return KIND_SCALAR
    if p.dt[k] != p.ct:
        return KIND_GENERAL
    for d in range(p.nd - 1, -1, -1):
        if p.strides[k * 64 + d] != expect:
            return KIND_GENERAL
        expect *= p.shape[d]
    return KIND_DIRECT


@cython.wraparound(True)
@cython.boundscheck(True)
def elemwise(code, n_registers, inputs, out_dtypes, compute_dtype, outputs=None,
             out_shape=None):
    """Run an elementwise register program (see cytensor.kernels.elemwise)."""
    cdef int ct = _compute_code(compute_dtype)
    cdef int nin = len(inputs)
    cdef int nout, nreg = n_registers, k, j, nd, nops, rc
    cdef cnp.ndarray codea, a, o
    cdef VMPlan plan
    cdef list ins, outs
    cdef list forced = []
    if out_dtypes is None:
        if outputs is None:
            raise ValueError("out_dtypes or outputs must be given")
        out_dtypes = [np.asarray(x).dtype for x in outputs]
    nout = len(out_dtypes)
    if nout < 1:
        raise ValueError("at least one output is needed")
    codea = _program(code, nin, nout, nreg, ct)
    ins, shape = _operands(inputs, out_shape)
    nd = len(shape)
    if outputs is None:
        for d in out_dtypes:
            dtype_code(d)
        outs = [np.empty(shape, dtype=d) for d in out_dtypes]
        user_outs = None
    else:
        if len(outputs) != nout:
            raise ValueError(f"expected {nout} outputs, got {len(outputs)}")
        user_outs = list(outputs)
        outs = []
        for j in range(nout):
            o = outputs[j]
            if not isinstance(o, cnp.ndarray):
                raise TypeError("outputs must be numpy arrays")
            if (<object>o).shape != shape:
                raise ValueError(f"output {j} has shape {(<object>o).shape}, expected {shape}")
            if o.dtype != np.dtype(out_dtypes[j]):
                raise ValueError(f"output {j} has dtype {o.dtype}, expected "
                                 f"{np.dtype(out_dtypes[j])}")
            if not o.flags.writeable:
                raise ValueError(f"output {j} is read-only")
            if not _usable(o):
                o = np.empty(shape, dtype=o.dtype.newbyteorder('='))   # copied back below
            outs.append(o)
    cdef cyt_intp cshape[64]
    for k in range(nd):
        cshape[k] = shape[k]
    # aliasing between outputs and inputs
    if outputs is not None:
        for j in range(nout):
            o = outs[j]
            for k in range(nin):
                a = ins[k]
                if _overlap(o, a):
                    if _same_layout(o, a, nd, cshape):
                        if j not in forced:
                            forced.append(j)
                    else:
                        ins[k] = np.array(a, copy=True)
    size = 1
    for v in shape:
        size *= v
    if size == 0:
        return _finish(user_outs, outs)
    nops = nin + nout
    _plan_alloc(&plan, nops)
    try:
        for k in range(nops):
            a = ins[k] if k < nin else outs[k - nin]
            plan.data[k] = <char *>cnp.PyArray_DATA(a)
            plan.dt[k] = _code_of(a)
            _bstrides(a, nd, cshape, plan.strides + k * 64)
        plan.nd = _collapse(nops, nd, cshape, plan.strides)
        for k in range(plan.nd):
            plan.shape[k] = cshape[k]
        plan.size = size
        plan.nin = nin
        plan.nout = nout
        plan.nreg = nreg
        plan.ct = ct
        plan.csz = cyt_dt_size[ct]
        plan.ninstr = <int>cnp.PyArray_DIM(codea, 0)
        plan.code = <const int32_t *>cnp.PyArray_DATA(codea)
        for k in range(nops):
            plan.kind[k] = _classify(&plan, k)
        for j in forced:
            plan.kind[nin + j] = KIND_GENERAL
        with nogil:
            rc = _run_plan(&plan)
    finally:
        _plan_free(&plan)
    if rc != 0:
        raise MemoryError("cytensor elemwise: out of memory for block buffers")
    return _finish(user_outs, outs)


cdef list _finish(user_outs, list outs):
    if user_outs is None:
        return outs
    for j in range(len(outs)):
        if outs[j] is not user_outs[j]:
            np.copyto(user_outs[j], outs[j], casting='unsafe')
    return user_outs


# -------------------------------------------------------------- fast path
cdef char *_scratch = NULL
cdef cyt_intp _scratch_size = 0
cdef cyt_intp SMALL_MAX = 4096


cpdef list elemwise_contiguous(cnp.ndarray code, int n_registers, list inputs, list outputs):
    """Hot path: every output and every full-size input is a C-contiguous, aligned,
    native array of the same shape and the same dtype (float32, float64 or int64:
    the compute dtype); an input may instead hold ONE element (0-d, or any shape of
    size 1 and no more dimensions than the outputs) of that dtype: it is broadcast
    as a scalar; or it may be a ROW: C-contiguous, its trailing axes equal to the
    outputs' and its leading axes of length 1 (or absent), like (1, n) or (n,) for
    (m, n) outputs: it is repeated over the leading axes (all rows have one length).
    Outputs are preallocated and must not overlap the inputs.  Returns None, having
    computed nothing, when the operands do not fit these conditions (the caller then
    runs ``elemwise``); raises ValueError for an invalid program."""
    global _scratch, _scratch_size
    cdef int nin = len(inputs), nout = len(outputs), k, d, ct, nd, nops, nsc = 0
    cdef cnp.ndarray a, o0
    cdef cyt_intp size, need
    cdef char *R[64]
    cdef char **Rp
    cdef VMPlan plan
    cdef int ninstr
    cdef bint scal[64]
    cdef bint row[64]
    cdef cyt_intp rlen = 0, rl, t, lo, hi, olo, ohi
    cdef int nrow = 0, off, j
    if nout < 1:
        raise ValueError("at least one output is needed")
    if nin > 64:
        raise ValueError("elemwise_contiguous: too many inputs")
    o0 = <cnp.ndarray?>outputs[0]
    ct = _code_of(o0)
    if ct != CYT_F64 and ct != CYT_F32 and ct != CYT_I64 and ct != CYT_U64:
        return None
    nd = cnp.PyArray_NDIM(o0)
    size = cnp.PyArray_SIZE(o0)
    nops = nin + nout
    for k in range(nops):
        a = <cnp.ndarray?>(inputs[k] if k < nin else outputs[k - nin])
        if (_code_of(a) != ct or not cnp.PyArray_IS_C_CONTIGUOUS(a)
                or not cnp.PyArray_ISALIGNED(a) or cnp.PyArray_ISBYTESWAPPED(a)):
            return None
        if k < nin:
            scal[k] = False
            row[k] = False
            if cnp.PyArray_NDIM(a) > nd:
                return None
            if cnp.PyArray_SIZE(a) == 1 and size != 1:
                scal[k] = True
                nsc += 1
                continue
            off = nd - cnp.PyArray_NDIM(a)
            j = 0                       # leading axes of length 1
            while j < cnp.PyArray_NDIM(a) and cnp.PyArray_DIM(a, j) == 1:
                j += 1
            for d in range(j, cnp.PyArray_NDIM(a)):
                if cnp.PyArray_DIM(a, d) != cnp.PyArray_DIM(o0, off + d):
                    if cnp.PyArray_SIZE(a) == 1:
                        scal[k] = True
                        break
                    return None
            if scal[k]:
                nsc += 1
                continue
            rl = cnp.PyArray_SIZE(a)
            if rl != size:
                if rlen != 0 and rl != rlen:
                    return None
                if rl == 0:
                    return None
                rlen = rl
                row[k] = True
                nrow += 1
        else:
            if cnp.PyArray_NDIM(a) != nd:
                return None
            for d in range(nd):
                if cnp.PyArray_DIM(a, d) != cnp.PyArray_DIM(o0, d):
                    return None
            if not cnp.PyArray_ISWRITEABLE(a):
                return None
    ninstr = _check_code(code, nin, nout, n_registers, ct)
    if size == 0:
        return outputs
    cdef int csz = cyt_dt_size[ct]
    if size <= SMALL_MAX and n_registers <= 64:
        # serial, GIL held: module scratch buffer for temporaries (and scalar inputs)
        need = n_registers * size * csz + 64
        if need > _scratch_size:
            free(_scratch)
            _scratch = <char *>malloc(need)
            if _scratch == NULL:
                _scratch_size = 0
                raise MemoryError()
            _scratch_size = need
        for k in range(nin):
            R[k] = <char *>cnp.PyArray_DATA(<cnp.ndarray>inputs[k])
        if nsc:
            for k in range(nin):
                if scal[k]:
                    R[k] = _scratch + k * size * csz
                    cyt_convert(<char *>cnp.PyArray_DATA(<cnp.ndarray>inputs[k]), 0, ct,
                                R[k], csz, ct, size)
        if nrow:
            for k in range(nin):
                if row[k]:
                    R[k] = _scratch + k * size * csz
                    for t in range(size // rlen):
                        memcpy(R[k] + t * rlen * csz,
                               <char *>cnp.PyArray_DATA(<cnp.ndarray>inputs[k]), rlen * csz)
        for k in range(nout):
            R[nin + k] = <char *>cnp.PyArray_DATA(<cnp.ndarray>outputs[k])
        for k in range(nops, n_registers):
            R[k] = _scratch + k * size * csz
        cyt_vm_run(ct, R, <const int32_t *>cnp.PyArray_DATA(code), ninstr, size)
        return outputs
    if nrow:
        # rows are read while the outputs are written: they must not overlap
        for k in range(nin):
            if row[k]:
                lo = <cyt_intp>cnp.PyArray_DATA(<cnp.ndarray>inputs[k])
                hi = lo + rlen * csz
                for j in range(nout):
                    olo = <cyt_intp>cnp.PyArray_DATA(<cnp.ndarray>outputs[j])
                    ohi = olo + size * csz
                    if lo < ohi and olo < hi:
                        return None         # the general kernel buffers such inputs
    _plan_alloc(&plan, nops)
    for k in range(nops):
        a = <cnp.ndarray>(inputs[k] if k < nin else outputs[k - nin])
        plan.data[k] = <char *>cnp.PyArray_DATA(a)
        plan.dt[k] = ct
        if k < nin and scal[k]:
            plan.kind[k] = KIND_SCALAR
            plan.strides[k * 64] = 0
            plan.strides[k * 64 + 1] = 0
        elif k < nin and row[k]:
            # walked as (size / rlen, rlen) with stride 0 over the rows
            plan.kind[k] = KIND_GENERAL
            plan.strides[k * 64] = 0
            plan.strides[k * 64 + 1] = csz
        else:
            plan.kind[k] = KIND_DIRECT
            plan.strides[k * 64] = (rlen if nrow else 1) * csz
            plan.strides[k * 64 + 1] = csz
    if nrow:
        plan.nd = 2
        plan.shape[0] = size // rlen
        plan.shape[1] = rlen
    else:
        plan.nd = 1
        plan.shape[0] = size
    plan.size = size
    plan.nin = nin
    plan.nout = nout
    plan.nreg = n_registers
    plan.ct = ct
    plan.csz = csz
    plan.ninstr = ninstr
    plan.code = <const int32_t *>cnp.PyArray_DATA(code)
    with nogil:
        k = _run_plan(&plan)
    _plan_free(&plan)
    if k != 0:
        raise MemoryError("cytensor elemwise: out of memory for block buffers")
    return outputs


# ------------------------------------------------------------ copy_into
cdef struct CopyPlan:
    int nd
    cyt_intp shape[64]
    cyt_intp size
    char *dst
    const char *src
    int dt
    int st
    cyt_intp strides[128]    # row 0: dst, row 1: src (64 each)


@cython.wraparound(True)
@cython.boundscheck(True)
def copy_into(dst, src):
    """dst[...] = src with NumPy broadcasting and dtype conversion (float->int
    truncates, x->bool is x != 0).  dst: writeable ndarray of a supported dtype."""
    cdef cnp.ndarray d, s
    cdef CopyPlan p
    cdef int nd, k
    cdef cyt_intp cshape[64]
    cdef cyt_intp nblocks, b, start, n, CB = 16384
    cdef int nt = _nthreads
    if not isinstance(dst, cnp.ndarray):
        raise TypeError("copy_into: dst must be a numpy array")
    d = <cnp.ndarray>dst
    if not d.flags.writeable:
        raise ValueError("copy_into: destination is read-only")
    s = _as_usable(src)
    shape = (<object>d).shape
    _broadcast([s], shape)
    if not _usable(d):
        if cnp.PyArray_ISBYTESWAPPED(d) or not cnp.PyArray_ISALIGNED(d):
            tmp = np.empty(shape, dtype=d.dtype.newbyteorder('='))
        else:
            raise TypeError(f"copy_into: unsupported destination dtype {d.dtype}")
        copy_into(tmp, s)
        np.copyto(d, tmp, casting='unsafe')
        return dst
    if cnp.PyArray_SIZE(d) == 0:
        return dst
    if _overlap(d, s):
        s = np.array(s, copy=True)
    nd = cnp.PyArray_NDIM(d)
    if nd > 63:
        raise ValueError("too many dimensions")
    for k in range(nd):
        cshape[k] = shape[k]
    _bstrides(d, nd, cshape, p.strides)
    _bstrides(s, nd, cshape, p.strides + 64)
    p.nd = _collapse(2, nd, cshape, p.strides)
    for k in range(p.nd):
        p.shape[k] = cshape[k]
    p.size = cnp.PyArray_SIZE(d)
    p.dst = <char *>cnp.PyArray_DATA(d)
    p.src = <const char *>cnp.PyArray_DATA(s)
    p.dt = _code_of(d)
    p.st = _code_of(s)
    nblocks = (p.size + CB - 1) // CB
    with nogil:
        if nt > 1 and p.size >= 4 * PAR_MIN and nblocks > 1:
            for b in prange(nblocks, num_threads=nt, schedule='static'):
                start = b * CB
                n = p.size - start
                if n > CB:
                    n = CB
                cyt_copy_nd(p.dst, p.dt, p.strides, p.src, p.st, p.strides + 64, p.shape,
                            p.nd, start, n)
        else:
            cyt_copy_nd(p.dst, p.dt, p.strides, p.src, p.st, p.strides + 64, p.shape, p.nd,
                        0, p.size)
    return dst


# ------------------------------------------------------- elemwise_reduce
FUSED_REDUCE_OPS = {'sum': CYT_RED_SUM, 'prod': CYT_RED_PROD, 'max': CYT_RED_MAX,
                    'min': CYT_RED_MIN}
_FR_NP_NAMES = {CYT_RED_MAX: 'maximum', CYT_RED_MIN: 'minimum'}

cdef enum:
    FR_ROWGROUP = 0     # whole rows per task, reduced axis innermost
    FR_ROWCHUNK = 1     # few long rows: pieces of rows per task, partials combined
    FR_COLS = 2         # kept axis innermost: column tiles (x row chunks) per task

cdef struct FRPlan:
    int mode
    int op
    int act             # accumulator dtype code
    int asz
    cyt_intp Ko         # iteration space (Ko, R, Ki): outer kept, reduced, inner kept
    cyt_intp R
    cyt_intp Ki
    cyt_intp nchunk     # row chunks (partials: chunk 0 -> acc, chunk c -> part[c-1])
    cyt_intp clen       # elements (ROWCHUNK) or rows (COLS) per chunk
    cyt_intp tw         # COLS: tile width
    cyt_intp ntiles
    cyt_intp rb         # COLS: reduced rows per VM block (only when tw == Ki)
    cyt_intp rpt        # ROWGROUP: rows per task
    char *acc
    char *part


cdef char *_fr_eval(VMPlan *p, char **R, char *tb, cyt_intp start, cyt_intp n,
                    cyt_intp end) noexcept nogil:
    """Run the program on flat range [start, start+n), prefetching what
    follows up to ``end`` (the thread's range goes on there); returns the
    output register."""
    cdef cyt_intp bstride = BLOCK * p.csz
    cdef cyt_prefetch pf
    _next_block(p, &pf, start + n, end)
    _load_inputs(p, R, tb, start, n)
    R[p.nin] = tb + p.nin * bstride
    cyt_vm_run_pf(p.ct, R, p.code, p.ninstr, n, &pf)
    return R[p.nin]


cdef void _fr_rows(VMPlan *p, FRPlan *f, char **R, char *tb, cyt_intp f0, cyt_intp f1,
                   char *dst, cyt_intp row0) noexcept nogil:
    """Fold flat range [f0, f1) (Ki == 1) into dst[row - row0]."""
    cdef cyt_intp pos = f0, n, q, e, row, end
    cdef char *out
    while pos < f1:
        n = f1 - pos
        if n > BLOCK:
            n = BLOCK
        out = _fr_eval(p, R, tb, pos, n, f1)
        q = pos
        end = pos + n
        while q < end:
            row = q // f.R
            e = (row + 1) * f.R
            if e > end:
                e = end
            cyt_fr_fold_row(f.op, p.ct, f.act, dst + (row - row0) * f.asz,
                            out + (q - pos) * p.csz, e - q)
            q = e
        pos = end


cdef void _fr_task(VMPlan *p, FRPlan *f, char **R, char *tb, cyt_intp t) noexcept nogil:
    cdef cyt_intp r0, r1, c, row, tile, o, j0, w, nr, s, start
    cdef char *dst
    cdef char *out
    if f.mode == FR_ROWGROUP:
        r0 = t * f.rpt
        r1 = r0 + f.rpt
        if r1 > f.Ko:
            r1 = f.Ko
        cyt_fr_init(f.op, f.act, f.acc + r0 * f.asz, r1 - r0)
        _fr_rows(p, f, R, tb, r0 * f.R, r1 * f.R, f.acc, 0)
    elif f.mode == FR_ROWCHUNK:
        row = t // f.nchunk
        c = t % f.nchunk
        r0 = c * f.clen
        r1 = r0 + f.clen
        if r1 > f.R:
            r1 = f.R
        if c == 0:
            dst = f.acc + row * f.asz
        else:
            dst = f.part + ((c - 1) * f.Ko + row) * f.asz
        cyt_fr_init(f.op, f.act, dst, 1)
        if r0 < r1:
            _fr_rows(p, f, R, tb, row * f.R + r0, row * f.R + r1, dst, row)
    else:
        c = t % f.nchunk
        tile = (t // f.nchunk) % f.ntiles
        o = t // (f.nchunk * f.ntiles)
        j0 = tile * f.tw
        w = f.Ki - j0
        if w > f.tw:
            w = f.tw
        r0 = c * f.clen
        r1 = r0 + f.clen
        if r1 > f.R:
            r1 = f.R
        if c == 0:
            dst = f.acc
        else:
            dst = f.part + (c - 1) * f.Ko * f.Ki * f.asz
        dst = dst + (o * f.Ki + j0) * f.asz
        cyt_fr_init(f.op, f.act, dst, w)
        while r0 < r1:
            nr = f.rb
            if nr > r1 - r0:
                nr = r1 - r0
            start = (o * f.R + r0) * f.Ki + j0
            out = _fr_eval(p, R, tb, start, nr * w, start + nr * w)   # tiles: nothing to prefetch
            for s in range(nr):
                cyt_fr_fold_cols(f.op, p.ct, f.act, dst, out + s * w * p.csz, w)
            r0 += nr


cdef int _fr_run(VMPlan *p, FRPlan *f, cyt_intp ntasks, bint par) noexcept nogil:
    cdef cyt_intp t, c, blen
    cdef char *tb
    cdef char **R
    cdef int nt = _nthreads
    cdef int nerr = 0
    blen = BLOCK if p.size > BLOCK else p.size
    if par:
        with parallel(num_threads=nt):
            tb = _block_buffer(p)
            R = _thread_regs(p, tb, blen)
            for t in prange(ntasks, schedule='static'):
                if tb == NULL or R == NULL:
                    nerr += 1
                else:
                    _fr_task(p, f, R, tb, t)
            free(tb)
            free(R)
    else:
        tb = _block_buffer(p)
        R = _thread_regs(p, tb, blen)
        if tb == NULL or R == NULL:
            nerr = 1
        else:
            for t in range(ntasks):
                _fr_task(p, f, R, tb, t)
        free(tb)
        free(R)
    if nerr:
        return -1
    for c in range(1, f.nchunk):
        if f.mode == FR_ROWCHUNK:
            cyt_fr_fold_cols(f.op, f.act, f.act, f.acc, f.part + (c - 1) * f.Ko * f.asz, f.Ko)
        elif f.mode == FR_COLS:
            cyt_fr_fold_cols(f.op, f.act, f.act, f.acc,
                             f.part + (c - 1) * f.Ko * f.Ki * f.asz, f.Ko * f.Ki)
    return 0


@cython.wraparound(True)
@cython.boundscheck(True)
def elemwise_reduce(code, n_registers, inputs, op, axes, out_dtype, compute_dtype,
                    keepdims=False):
    """Evaluate a one-output register program and reduce its output on the fly
    (see cytensor.kernels.elemwise_reduce)."""
    cdef int ct = _compute_code(compute_dtype)
    if ct == CYT_U64:
        raise ValueError("elemwise_reduce: compute_dtype must be float32, float64 or int64 "
                         "(no uint64 accumulators)")
    cdef int nin = len(inputs), nreg = n_registers, k, d, nd, rc, opc, nt = _nthreads
    cdef cnp.ndarray codea, a, acc
    cdef VMPlan plan
    cdef FRPlan f
    cdef cyt_intp cshape[64]
    cdef cyt_intp bstr[64]
    cdef cyt_intp ntasks, base, Kt, Rt, size
    cdef bint par
    try:
        opc = FUSED_REDUCE_OPS[op]
    except (KeyError, TypeError):
        raise ValueError(f"unknown fused reduction {op!r}; expected one of "
                         f"{sorted(FUSED_REDUCE_OPS)}")
    codea = _program(code, nin, 1, nreg, ct)
    if not (codea[:, 1] == nin).any():
        raise ValueError(f"the program never writes its output register {nin}")
    odt = np.dtype(out_dtype)
    dtype_code(odt)
    ins, shape = _operands(inputs, None)
    nd = len(shape)
    # axes
    if axes is None:
        ax = tuple(range(nd))
    else:
        if isinstance(axes, (int, np.integer)):
            axes = (axes,)
        axl = []
        for v in axes:
            v = operator.index(v)
            if v < -nd or v >= nd:
                raise ValueError(f"axis {v} is out of bounds for array of dimension {nd}")
            if v < 0:
                v += nd
            if v in axl:
                raise ValueError("duplicate value in 'axis'")
            axl.append(v)
        ax = tuple(sorted(axl))
    if keepdims:
        final_shape = tuple(1 if d in ax else shape[d] for d in range(nd))
    else:
        final_shape = tuple(shape[d] for d in range(nd) if d not in ax)
    Kt = 1
    Rt = 1
    for d in range(nd):
        if d in ax:
            Rt *= shape[d]
        else:
            Kt *= shape[d]
    if Kt == 0:
        return np.empty(final_shape, dtype=odt)
    if Rt == 0:
        if opc == CYT_RED_SUM:
            return np.zeros(final_shape, dtype=odt)
        if opc == CYT_RED_PROD:
            return np.ones(final_shape, dtype=odt)
        raise ValueError(f"zero-size array to reduction operation {_FR_NP_NAMES[opc]} "
                         "which has no identity")
    # order the iteration space as (outer kept, reduced, inner kept), each group by
    # decreasing stride of the reference operand (the input with most non-broadcast dims)
    for d in range(nd):
        cshape[d] = shape[d]
    strl = []
    for a in ins:
        _bstrides(a, nd, cshape, bstr)
        strl.append([bstr[d] for d in range(nd)])
    dims = [d for d in range(nd) if shape[d] != 1]
    ref = None
    best = -1
    for st in strl:
        cnt = sum(1 for d in dims if st[d] != 0)
        if cnt > best:
            best = cnt
            ref = st
    key = {}
    for d in dims:
        key[d] = abs(ref[d]) if ref[d] != 0 else max(abs(st[d]) for st in strl)
    order = sorted(dims, key=lambda d: -key[d])
    redpos = [i for i, d in enumerate(order) if d in ax]
    if redpos:
        last = redpos[-1]
        outer = [d for d in order[:last + 1] if d not in ax]
        red = [d for d in order if d in ax]
        inner = order[last + 1:]
    else:
        outer, red, inner = [], [], order
    perm = outer + red + inner
    f.Ko = 1
    f.R = 1
    f.Ki = 1
    for d in outer:
        f.Ko *= shape[d]
    for d in red:
        f.R *= shape[d]
    for d in inner:
        f.Ki *= shape[d]
    size = f.Ko * f.R * f.Ki
    f.op = opc
    f.act = cyt_fr_acc_code(opc, ct)
    f.asz = cyt_dt_size[f.act]
    acc_np = DTYPES[f.act]
    acc = np.empty([shape[d] for d in outer + inner], dtype=acc_np)
    # plan
    nops = nin + 1
    f.part = NULL
    _plan_alloc(&plan, nops)
    try:
        nd = len(perm)
        for d in range(nd):
            cshape[d] = shape[perm[d]]
        for k in range(nops):
            for d in range(nd):
                plan.strides[k * 64 + d] = strl[k][perm[d]] if k < nin else 0
            if k < nin:
                a = ins[k]
                plan.data[k] = <char *>cnp.PyArray_DATA(a)
                plan.dt[k] = _code_of(a)
            else:
                plan.data[k] = NULL
                plan.dt[k] = ct
        plan.nd = _collapse(nops, nd, cshape, plan.strides)
        for d in range(plan.nd):
            plan.shape[d] = cshape[d]
        plan.size = size
        plan.nin = nin
        plan.nout = 1
        plan.nreg = nreg
        plan.ct = ct
        plan.csz = cyt_dt_size[ct]
        plan.ninstr = <int>cnp.PyArray_DIM(codea, 0)
        plan.code = <const int32_t *>cnp.PyArray_DATA(codea)
        for k in range(nin):
            plan.kind[k] = _classify(&plan, k)
        plan.kind[nin] = KIND_GENERAL
        # work split
        par = nt > 1 and size >= PAR_MIN
        f.nchunk = 1
        f.clen = f.R
        f.tw = f.Ki
        f.ntiles = 1
        f.rb = 1
        f.rpt = 1
        if f.Ki == 1:
            f.rpt = BLOCK // f.R if f.R < BLOCK else 1
            ntasks = (f.Ko + f.rpt - 1) // f.rpt
            if par and ntasks < 4 * nt and f.R >= 2 * BLOCK:
                f.mode = FR_ROWCHUNK
                f.nchunk = (4 * nt + f.Ko - 1) // f.Ko
                f.clen = (f.R + f.nchunk - 1) // f.nchunk
                f.clen = (f.clen + 15) & ~(<cyt_intp>15)
                f.nchunk = (f.R + f.clen - 1) // f.clen
                ntasks = f.Ko * f.nchunk
            else:
                f.mode = FR_ROWGROUP
        else:
            f.mode = FR_COLS
            f.tw = f.Ki if f.Ki <= BLOCK else BLOCK
            f.ntiles = (f.Ki + f.tw - 1) // f.tw
            if f.tw == f.Ki and 2 * f.Ki <= BLOCK:
                f.rb = BLOCK // f.Ki
            base = f.Ko * f.ntiles
            if par and base < 4 * nt and f.R >= 2:
                f.nchunk = (4 * nt + base - 1) // base
                if f.nchunk > f.R:
                    f.nchunk = f.R
                f.clen = (f.R + f.nchunk - 1) // f.nchunk
                f.nchunk = (f.R + f.clen - 1) // f.clen
            ntasks = base * f.nchunk
        par = par and ntasks >= 2
        if f.nchunk > 1:
            f.part = <char *>malloc((f.nchunk - 1) * f.Ko * f.Ki * f.asz + 16)
            if f.part == NULL:
                raise MemoryError()
        f.acc = <char *>cnp.PyArray_DATA(acc)
        with nogil:
            rc = _fr_run(&plan, &f, ntasks, par)
    finally:
        _plan_free(&plan); free(f.part)
    if rc != 0:
        raise MemoryError("cytensor elemwise_reduce: out of memory for block buffers")
    kept = [d for d in dims if d not in ax]
    pk = outer + inner
    if pk == kept and acc_np == odt:
        res = acc
    else:
        res = np.empty([shape[d] for d in kept], dtype=odt)
        copy_into(res.transpose([kept.index(d) for d in pk]), acc)
    return res.reshape(final_shape)
