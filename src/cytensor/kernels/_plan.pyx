# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Building a VMPlan: everything the register VM needs to know before it runs.

A call of the VM (cytensor/_kernels.pyx) first turns its Python arguments
into a plan, here, with the GIL: the operands made readable (native byte
order, aligned, a supported dtype), their broadcast shape, the register
program checked instruction by instruction, every operand's byte strides
over the broadcast shape, the dimensions collapsed (size-1 dims dropped,
chained dims merged) and each operand classified (direct, scalar or walked:
see OperandKind in _plan.pxd).  Nothing in a plan can make a ``nogil`` loop
read out of bounds.

The opcode tables (OPCODES, ...) are read here from the C opcode list
(cyt_op_info in vm_ops.h, generated from the elementwise table).
"""
import numpy as np
cimport numpy as cnp
from libc.stdlib cimport malloc, free
from libc.stdint cimport int32_t

from cytensor.kernels._common cimport (cyt_intp, cyt_dt_size, CYT_MAXDIMS, CYT_F32, CYT_F64,
                                       CYT_I64, CYT_U64)
from cytensor.kernels._vm cimport OP_COUNT, cyt_op_info, cyt_op_arity, cyt_op_valid_int

cnp.import_array()

# ---------------------------------------------------------------- tables
OPCODES = {cyt_op_info[k].name.decode(): k for k in range(OP_COUNT)}
# What the compiled VM knows of each opcode, as the columns of elemwise_opcodes.py
# (the table <-> kernel test compares them).
OPCODE_INFO = {name: dict(arity=cyt_op_info[k].arity, libm=bool(cyt_op_info[k].libm),
                          int_ok=bool(cyt_op_info[k].int_ok),
                          narrow=bool(cyt_op_info[k].narrow))
               for name, k in OPCODES.items()}
OPCODE_ARITY = {name: info["arity"] for name, info in OPCODE_INFO.items()}
LIBM_OPCODES = frozenset(name for name, info in OPCODE_INFO.items() if info["libm"])
NARROWING_OPCODES = frozenset(name for name, info in OPCODE_INFO.items() if info["narrow"])
OPCODE_NAMES = {code: name for name, code in OPCODES.items()}

# The dtypes in dtype-code order (CYT_BOOL ... CYT_F64 in cyt_common.h).
DTYPES = (np.dtype(np.bool_), np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
          np.dtype(np.int64), np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.uint32),
          np.dtype(np.uint64), np.dtype(np.float32), np.dtype(np.float64))

cdef enum:
    N_TYPENUMS = 256        # NumPy type numbers of the builtin dtypes are below this

# NumPy type number -> our dtype code (-1: unsupported)
cdef int _typenum_code[N_TYPENUMS]


cdef void _init_typenums():
    cdef int i
    for i in range(N_TYPENUMS):
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


# ---------------------------------------------------------------- dtypes
cdef int code_of(cnp.ndarray a) except? -2:
    """Our dtype code of an array (-1: unsupported)."""
    cdef int tn = cnp.PyArray_TYPE(a)
    if tn < 0 or tn >= N_TYPENUMS:
        return -1
    return _typenum_code[tn]


cpdef int dtype_code(dt) except -1:
    """Our dtype code for a numpy dtype; TypeError if unsupported."""
    d = np.dtype(dt)
    if d.isnative or d.itemsize == 1:
        if d.num < N_TYPENUMS and _typenum_code[d.num] >= 0:
            return _typenum_code[d.num]
    raise TypeError(f"cytensor kernels: unsupported dtype {d}")


cdef int compute_code(compute_dtype) except -1:
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


cdef bint usable(cnp.ndarray a):
    """native byte order, aligned, supported dtype"""
    return (cnp.PyArray_ISALIGNED(a) and not cnp.PyArray_ISBYTESWAPPED(a)
            and code_of(a) >= 0)


cdef cnp.ndarray as_usable(x):
    """x as an array the kernels can read: native byte order, aligned, supported
    dtype (float16 widened to float32); copies only when needed, keeping the
    shape (np.ascontiguousarray would turn a 0-d array into shape (1,))."""
    cdef cnp.ndarray a
    if not isinstance(x, cnp.ndarray):
        x = np.asarray(x)
    a = <cnp.ndarray>x
    if usable(a):
        return a
    d = a.dtype
    if d.kind in 'biuf' and d.itemsize in (1, 2, 4, 8) and not (d.kind == 'f' and d.itemsize < 4):
        return np.array(a, dtype=d.newbyteorder('='), order='C')
    if d.kind == 'f' and d.itemsize == 2:
        return np.array(a, dtype=np.float32, order='C')
    raise TypeError(f"cytensor kernels: unsupported dtype {d}")


# ---------------------------------------------------------------- the program
cdef int _check_instruction(const int32_t *c, int k, int nin, int nreg, int ct) except -1:
    """ValueError unless instruction k (c: its 5 ints) is valid for the compute dtype."""
    cdef int op = c[0], ar = cyt_op_arity(c[0]), j, r
    if ar == 0:
        raise ValueError(f"unknown elementwise opcode {op} in instruction {k}")
    if (ct == CYT_I64 or ct == CYT_U64) and not cyt_op_valid_int(op):
        raise ValueError(f"opcode '{OPCODE_NAMES[op]}' is not valid for an integer "
                         "compute dtype")
    r = c[1]
    if r < nin or r >= nreg:
        raise ValueError(f"instruction {k}: destination register {r} must be in "
                         f"[{nin}, {nreg}) (inputs are read-only)")
    for j in range(3):
        r = c[2 + j]
        if j < ar:
            if r < 0 or r >= nreg:
                raise ValueError(f"instruction {k}: operand register {r} out of range "
                                 f"[0, {nreg})")
        elif r < -1 or r >= nreg:
            raise ValueError(f"instruction {k}: unused operand slot must be -1, got {r}")
    return 0


cdef int check_code(cnp.ndarray code, int nin, int nout, int nreg, int ct) except -1:
    """Check a register program; returns its number of instructions."""
    cdef int ninstr, k
    cdef const int32_t *c
    if (cnp.PyArray_TYPE(code) != cnp.NPY_INT32 or cnp.PyArray_NDIM(code) != 2
            or cnp.PyArray_DIM(code, 1) != 5 or not cnp.PyArray_IS_C_CONTIGUOUS(code)
            or not cnp.PyArray_ISALIGNED(code) or cnp.PyArray_ISBYTESWAPPED(code)):
        raise ValueError("code must be a C-contiguous int32 array of shape (n_instr, 5)")
    if nreg < nin + nout or nreg > MAX_REGISTERS:
        raise ValueError(f"n_registers={nreg} must be >= n_inputs + n_outputs = {nin + nout}")
    ninstr = <int>cnp.PyArray_DIM(code, 0)
    c = <const int32_t *>cnp.PyArray_DATA(code)
    for k in range(ninstr):
        _check_instruction(c + 5 * k, k, nin, nreg, ct)
    return ninstr


cdef cnp.ndarray program(code, int nin, int nout, int nreg, int ct):
    """The register program as a checked (n_instr, 5) int32 array (one
    instruction may come as a flat row of 5)."""
    cdef cnp.ndarray codea = np.ascontiguousarray(code, dtype=np.int32)
    if codea.ndim == 1 and codea.shape[0] == 5:
        codea = codea.reshape(1, 5)
    check_code(codea, nin, nout, nreg, ct)
    return codea


# ---------------------------------------------------------------- shapes
cdef tuple operands(inputs, out_shape):
    """(inputs the kernels can read, their broadcast shape)."""
    ins = [as_usable(x) for x in inputs]
    shape = broadcast(ins, out_shape)
    if len(shape) >= CYT_MAXDIMS:
        raise ValueError("too many dimensions")
    return ins, shape


cdef tuple _check_against(list arrays, out_shape):
    """out_shape as a tuple, checked: every array broadcasts to it."""
    cdef cnp.ndarray a
    cdef int nd, off, d
    cdef cyt_intp s
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


cdef tuple broadcast(list arrays, out_shape):
    """Broadcast shape of arrays (or check them against out_shape)."""
    cdef int nd = 0, off, d
    cdef cnp.ndarray a
    cdef cyt_intp s, t
    if out_shape is not None:
        return _check_against(arrays, out_shape)
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
    """The byte range [lo, hi) an array's elements lie in."""
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


cdef bint overlap(cnp.ndarray a, cnp.ndarray b):
    """True if the byte ranges of a and b overlap (they may share memory)."""
    cdef cyt_intp alo, ahi, blo, bhi
    if cnp.PyArray_SIZE(a) == 0 or cnp.PyArray_SIZE(b) == 0:
        return False
    _extent(a, &alo, &ahi)
    _extent(b, &blo, &bhi)
    return alo < bhi and blo < ahi


cdef void byte_strides(cnp.ndarray a, int nd, const cyt_intp *shape, cyt_intp *out) noexcept:
    """byte strides of a broadcast to shape[nd] (0 on broadcast dims)"""
    cdef int off = nd - cnp.PyArray_NDIM(a), d
    for d in range(nd):
        if d < off or cnp.PyArray_DIM(a, d - off) == 1:
            out[d] = 0
        else:
            out[d] = cnp.PyArray_STRIDE(a, d - off)


cdef bint same_layout(cnp.ndarray o, cnp.ndarray x, int nd, const cyt_intp *shape):
    """True if o and x are the same elements (an output written over its input)."""
    cdef cyt_intp so[CYT_MAXDIMS]
    cdef cyt_intp sx[CYT_MAXDIMS]
    cdef int d
    if cnp.PyArray_DATA(o) != cnp.PyArray_DATA(x) or code_of(o) != code_of(x):
        return False
    if cnp.PyArray_ITEMSIZE(o) != cnp.PyArray_ITEMSIZE(x):
        return False
    byte_strides(o, nd, shape, so)
    byte_strides(x, nd, shape, sx)
    for d in range(nd):
        if shape[d] != 1 and so[d] != sx[d]:
            return False
    return True


cdef int collapse(int nops, int nd, cyt_intp *shape, cyt_intp *strides) noexcept:
    """Drop size-1 dims and merge adjacent dims whose strides chain for every
    operand.  strides: nops rows of CYT_MAXDIMS.  Returns the new nd (>= 1)."""
    cdef int d, k, m = 0
    cdef bint ok
    for d in range(nd):
        if shape[d] == 1:
            continue
        if m > 0:
            ok = True
            for k in range(nops):
                if strides[k * CYT_MAXDIMS + m - 1] != strides[k * CYT_MAXDIMS + d] * shape[d]:
                    ok = False
                    break
            if ok:
                shape[m - 1] *= shape[d]
                for k in range(nops):
                    strides[k * CYT_MAXDIMS + m - 1] = strides[k * CYT_MAXDIMS + d]
                continue
        shape[m] = shape[d]
        for k in range(nops):
            strides[k * CYT_MAXDIMS + m] = strides[k * CYT_MAXDIMS + d]
        m += 1
    if m == 0:
        shape[0] = 1
        for k in range(nops):
            strides[k * CYT_MAXDIMS] = 0
        m = 1
    return m


# ---------------------------------------------------------------- the plan
cdef int plan_alloc(VMPlan *p, int nops) except -1:
    """Allocate the plan's per-operand arrays (nops operands); MemoryError if short."""
    p.data = <char **>malloc(nops * sizeof(char *))
    p.dtype = <int *>malloc(nops * sizeof(int))
    p.kind = <int *>malloc(nops * sizeof(int))
    p.strides = <cyt_intp *>malloc(nops * CYT_MAXDIMS * sizeof(cyt_intp))
    if p.data == NULL or p.dtype == NULL or p.kind == NULL or p.strides == NULL:
        plan_free(p)
        raise MemoryError()
    return 0


cdef void plan_free(VMPlan *p) noexcept:
    free(p.data); free(p.dtype); free(p.kind); free(p.strides)


cdef void plan_set_program(VMPlan *p, cnp.ndarray code, int nin, int nout, int nreg,
                           int ct) noexcept:
    """The program fields of the plan (code: checked by program())."""
    p.nin = nin
    p.nout = nout
    p.nreg = nreg
    p.compute = ct
    p.itemsize = cyt_dt_size[ct]
    p.ninstr = <int>cnp.PyArray_DIM(code, 0)
    p.code = <const int32_t *>cnp.PyArray_DATA(code)


cdef void plan_set_space(VMPlan *p, int nops, int nd, cyt_intp *shape) noexcept:
    """Collapse the iteration space shape[nd] (p.strides filled for nops operands)."""
    cdef int k
    p.nd = collapse(nops, nd, shape, p.strides)
    p.size = 1
    for k in range(p.nd):
        p.shape[k] = shape[k]
        p.size *= shape[k]


cdef int _classify(VMPlan *p, int k) noexcept:
    cdef int d
    cdef cyt_intp expect = p.itemsize
    cdef bint allzero = True
    cdef const cyt_intp *st = p.strides + k * CYT_MAXDIMS
    for d in range(p.nd):
        if st[d] != 0:
            allzero = False
    if allzero and k < p.nin:
        return KIND_SCALAR
    if p.dtype[k] != p.compute:
        return KIND_GENERAL
    for d in range(p.nd - 1, -1, -1):
        if st[d] != expect:
            return KIND_GENERAL
        expect *= p.shape[d]
    return KIND_DIRECT


cdef void plan_classify(VMPlan *p, int nops) noexcept:
    """Set each operand's OperandKind from its dtype and strides."""
    cdef int k
    for k in range(nops):
        p.kind[k] = _classify(p, k)
