# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""The core compiled module: the register VM (numexpr-style) running
elementwise programs and fused reductions over blocks of elements.

A call goes: Python arguments -> a VMPlan (cytensor/kernels/_plan.pyx: the
operands, their broadcast and collapsed iteration space, the checked
program) -> ``run_plan`` here, which cuts the iteration space into blocks of
BLOCK elements and hands the blocks to OpenMP threads.  Each thread owns a
block buffer (BLOCK elements per register) and a register table: direct
operands are read and written in place, the others walked through the
buffer.  The opcode loops are C (vm_ops.h), because they need
``#pragma omp simd`` to vectorise when a register is both read and written.

``elemwise_reduce`` runs the same blocks and folds each block of the
program's one output straight into the reduced result (fused_red.h), so the
elementwise result never exists in memory.

The other kernel modules sit beside this one in cytensor/kernels/:
_threads (thread count, serial-or-parallel policy), _plan (building plans),
_contiguous (the contiguous fast path), _copy (copy_into), _reduce, _blas
and _nnet.
"""
import operator

import numpy as np
cimport cython
cimport numpy as cnp
from libc.stdlib cimport malloc, free
from libc.stdint cimport int32_t
from cython.parallel cimport prange, parallel

from cytensor.kernels._common cimport (cyt_intp, cyt_walk, cyt_convert, cyt_stream_copy,
                                       cyt_dynamic_chunk, cyt_dt_size, CYT_MAXDIMS, CYT_I64,
                                       CYT_U64)
from cytensor.kernels._vm cimport cyt_prefetch, cyt_pf_init, cyt_pf_add, cyt_vm_run_pf
from cytensor.kernels._plan cimport (VMPlan, KIND_DIRECT, KIND_SCALAR, KIND_GENERAL, KIND_PERIODIC,
                                     ALLOC_PAD, code_of, dtype_code, compute_code, usable,
                                     program, operands, overlap, same_layout, byte_strides,
                                     plan_alloc, plan_free, plan_set_program, plan_set_space,
                                     plan_classify)
from cytensor.kernels._threads cimport (threads_for, num_threads, timed_threads, timed_done,
                                        shape_key, TimedRun, WORK_VM)
from cytensor.kernels._threads import _set_min_work
from cytensor.kernels._plan import DTYPES
from cytensor.kernels._copy import copy_into

cnp.import_array()

cdef extern from "fused_red.h" nogil:
    enum:
        CYT_RED_SUM, CYT_RED_PROD, CYT_RED_MAX, CYT_RED_MIN
    int cyt_fr_acc_code(int op, int ct)
    void cyt_fr_init(int op, int act, char *acc, cyt_intp n)
    void cyt_fr_fold_cols(int op, int st, int act, char *dst, const char *src, cyt_intp n)
    void cyt_fr_fold_row(int op, int ct, int act, char *dst, const char *src, cyt_intp n)

cdef cyt_intp BLOCK = 4096         # elements per VM block (a block of every register fits L1/L2)
# Outputs of at least this many bytes (the host's 32 MiB last-level cache) are
# written with streaming stores (cyt_stream_copy): exp(a)*b + log(c)**2 over
# 10^7 doubles went from 16.0 to 15.4 ms on 2 threads, 10^7 floats from 7.1
# to 6.9 ms.  Smaller outputs stay in cache for whichever kernel reads them.
cdef cyt_intp STREAM_MIN = 1 << 25
cdef enum:
    BLOCK_MIN = 16                  # the bounds _set_tuning accepts for BLOCK
    BLOCK_MAX = 1 << 20
    COPY_PAR_FACTOR = 4             # copies go parallel from 4x the VM's threshold


def _set_tuning(block=None, par_min=None, stream_min=None):
    """Testing/tuning hook: set the VM block size, the parallel threshold (of VM
    programs, and 4x that of copies) and the output size from which outputs are
    streamed.  Returns (block, par_min, stream_min)."""
    global BLOCK, STREAM_MIN
    if block is not None:
        if block < BLOCK_MIN or block > BLOCK_MAX:
            raise ValueError("block out of range")
        BLOCK = block
    if par_min is not None:
        _set_min_work(vm=par_min, copy=COPY_PAR_FACTOR * max(1, par_min))
    if stream_min is not None:
        STREAM_MIN = max(0, stream_min)
    return BLOCK, _set_min_work()["vm"], STREAM_MIN


# ---------------------------------------------------------------- one block
cdef inline void _load_inputs(VMPlan *p, char **R, char *tb, cyt_intp start,
                              cyt_intp n) noexcept nogil:
    """Point the input registers at flat range [start, start+n): direct and
    periodic inputs in place, general ones walked into their block buffer
    (scalar ones were filled once by _init_thread)."""
    cdef int k
    cdef cyt_intp bstride = BLOCK * p.itemsize
    for k in range(p.nin):
        if p.kind[k] == KIND_DIRECT:
            R[k] = p.data[k] + start * p.itemsize
        elif p.kind[k] == KIND_PERIODIC:
            R[k] = p.data[k] + (start % p.strides[k * CYT_MAXDIMS]) * p.itemsize
        elif p.kind[k] == KIND_GENERAL:
            R[k] = tb + k * bstride
            cyt_walk(p.data[k], p.dtype[k], p.strides + k * CYT_MAXDIMS, p.shape, p.nd,
                     start, n, R[k], p.compute, 0)


cdef inline void _next_block(VMPlan *p, cyt_prefetch *pf, cyt_intp start,
                             cyt_intp end) noexcept nogil:
    """Point pf at the direct inputs' block from flat index start (none past end)."""
    cdef int k
    cyt_pf_init(pf, (BLOCK if end - start > BLOCK else end - start) * p.itemsize)
    for k in range(p.nin):
        if p.kind[k] == KIND_DIRECT:
            cyt_pf_add(pf, p.data[k] + start * p.itemsize)


cdef void _run_block(VMPlan *p, char **R, char *tb, cyt_intp start, cyt_intp n,
                     bint stream) noexcept nogil:
    """One block: direct inputs of the next block are prefetched from the libm
    loops (cyt_prefetch); direct outputs are written in place, or (stream)
    computed in the block buffer and streamed out; other outputs are walked out."""
    cdef int k
    cdef cyt_intp bstride = BLOCK * p.itemsize
    cdef cyt_prefetch pf
    _next_block(p, &pf, start + n, p.size)
    _load_inputs(p, R, tb, start, n)
    for k in range(p.nin, p.nin + p.nout):
        if p.kind[k] == KIND_DIRECT and not stream:
            R[k] = p.data[k] + start * p.itemsize
        else:
            R[k] = tb + k * bstride
    cyt_vm_run_pf(p.compute, R, p.code, p.ninstr, n, &pf)
    for k in range(p.nin, p.nin + p.nout):
        if p.kind[k] == KIND_DIRECT:
            if stream:
                cyt_stream_copy(p.data[k] + start * p.itemsize, tb + k * bstride,
                                n * p.itemsize)
        else:
            cyt_walk(p.data[k], p.dtype[k], p.strides + k * CYT_MAXDIMS, p.shape, p.nd,
                     start, n, tb + k * bstride, p.compute, 1)


cdef cyt_intp vm_block() noexcept nogil:
    """Elements per VM block (the most one register holds at a time)."""
    return BLOCK


# ---------------------------------------------------------------- one thread
cdef inline char *_block_buffer(VMPlan *p) noexcept nogil:
    """One thread's block buffer: BLOCK elements per register (free it)."""
    return <char *>malloc(p.nreg * BLOCK * p.itemsize + ALLOC_PAD)


cdef char **_thread_regs(VMPlan *p, char *tb) noexcept nogil:
    """One thread's register table over its block buffer tb: every register
    points at its slice of tb, scalar inputs are converted into theirs once.
    NULL (or tb NULL) if memory ran out; free it and tb.  (Callers assign tb
    and R themselves: OpenMP keeps them thread-private.)"""
    cdef char **R = <char **>malloc(p.nreg * sizeof(char *) + ALLOC_PAD)
    cdef cyt_intp bstride = BLOCK * p.itemsize
    cdef cyt_intp blen = BLOCK if p.size > BLOCK else p.size
    cdef int k
    if tb == NULL or R == NULL:
        return R
    for k in range(p.nreg):
        R[k] = tb + k * bstride
    for k in range(p.nin):
        if p.kind[k] == KIND_SCALAR:
            cyt_convert(p.data[k], 0, p.dtype[k], R[k], p.itemsize, p.compute, blen)
    return R


# ---------------------------------------------------------------- all blocks
# A task of a run: t in [0, ntasks), given a thread's registers and buffer.
ctypedef void (*block_task)(VMPlan *p, void *work, char **R, char *tb,
                            cyt_intp t) noexcept nogil


cdef int _run_tasks(VMPlan *p, void *work, block_task task, cyt_intp ntasks, int nt,
                    cyt_intp chunk) noexcept nogil:
    """Run task(t) for every t, each thread with its own block buffer and
    registers: on nt threads (chunk tasks at a time, handed out as threads come
    free), or serially when nt is 1 (no OpenMP region: opening even a
    one-thread region costs ~1.5 us).  Returns 0, or -1 if memory ran out."""
    cdef cyt_intp t
    cdef char *tb = NULL
    cdef char **R = NULL
    cdef int nerr = 0
    if nt > 1:
        with parallel(num_threads=nt):
            tb = _block_buffer(p)
            R = _thread_regs(p, tb)
            for t in prange(ntasks, schedule='dynamic', chunksize=chunk):
                if tb == NULL or R == NULL:
                    nerr += 1
                else:
                    task(p, work, R, tb, t)
            free(tb)
            free(R)
        return -1 if nerr else 0
    tb = _block_buffer(p)
    R = _thread_regs(p, tb)
    if tb != NULL and R != NULL:
        for t in range(ntasks):
            task(p, work, R, tb, t)
    else:
        nerr = 1
    free(tb)
    free(R)
    return -1 if nerr else 0


cdef void _block_task(VMPlan *p, void *work, char **R, char *tb, cyt_intp b) noexcept nogil:
    """Task b of an elementwise run: block b (work: whether outputs are streamed)."""
    cdef cyt_intp start = b * BLOCK
    cdef cyt_intp n = p.size - start
    if n > BLOCK:
        n = BLOCK
    _run_block(p, R, tb, start, n, (<bint *>work)[0])


cdef int run_plan(VMPlan *p) noexcept nogil:
    """Run the plan over all blocks; returns 0, or -1 if memory ran out."""
    cdef cyt_intp nblocks = (p.size + BLOCK - 1) // BLOCK
    cdef bint stream = p.size * p.itemsize >= STREAM_MIN
    cdef TimedRun run
    cdef int nt = timed_threads(WORK_VM, p.size if nblocks > 1 else 0,
                                shape_key(p.size, p.ninstr, p.nin * 64 + p.compute), &run)
    cdef int rc = _run_tasks(p, &stream, _block_task, nblocks, nt, cyt_dynamic_chunk(nblocks, nt))
    timed_done(&run)
    return rc


# ---------------------------------------------------------------- elemwise
cdef list _checked_outputs(outputs, out_dtypes, tuple shape):
    """The caller's outputs as arrays the VM can write (a temporary stands in
    for a byte-swapped or unaligned one; _finish copies it back)."""
    cdef cnp.ndarray o
    cdef list outs = []
    if len(outputs) != len(out_dtypes):
        raise ValueError(f"expected {len(out_dtypes)} outputs, got {len(outputs)}")
    for j, o in enumerate(outputs):
        if not isinstance(o, cnp.ndarray):
            raise TypeError("outputs must be numpy arrays")
        if (<object>o).shape != shape:
            raise ValueError(f"output {j} has shape {(<object>o).shape}, expected {shape}")
        if o.dtype != np.dtype(out_dtypes[j]):
            raise ValueError(f"output {j} has dtype {o.dtype}, expected "
                             f"{np.dtype(out_dtypes[j])}")
        if not o.flags.writeable:
            raise ValueError(f"output {j} is read-only")
        if not usable(o):
            o = np.empty(shape, dtype=o.dtype.newbyteorder('='))   # copied back by _finish
        outs.append(o)
    return outs


cdef list _resolve_aliasing(list ins, list outs, int nd, const cyt_intp *shape):
    """Outputs sharing memory with an input: one that is exactly the input (an
    update in place) is walked (the indices of such outputs are returned); any
    other overlap gets the input copied first."""
    cdef cnp.ndarray o, a
    cdef list forced = []
    for j, o in enumerate(outs):
        for k, a in enumerate(ins):
            if overlap(o, a):
                if same_layout(o, a, nd, shape):
                    if j not in forced:
                        forced.append(j)
                else:
                    ins[k] = np.array(a, copy=True)
    return forced


@cython.wraparound(True)
@cython.boundscheck(True)
def elemwise(code, n_registers, inputs, out_dtypes, compute_dtype, outputs=None,
             out_shape=None):
    """Run an elementwise register program (see cytensor.kernels.elemwise)."""
    cdef int ct = compute_code(compute_dtype)
    cdef int nin = len(inputs), nreg = n_registers, k, nd, nops, rc
    cdef cnp.ndarray codea, a
    cdef VMPlan plan
    cdef list ins, outs, forced = []
    cdef cyt_intp cshape[CYT_MAXDIMS]
    if out_dtypes is None:
        if outputs is None:
            raise ValueError("out_dtypes or outputs must be given")
        out_dtypes = [np.asarray(x).dtype for x in outputs]
    if len(out_dtypes) < 1:
        raise ValueError("at least one output is needed")
    codea = program(code, nin, len(out_dtypes), nreg, ct)
    ins, shape = operands(inputs, out_shape)
    nd = len(shape)
    for k in range(nd):
        cshape[k] = shape[k]
    if outputs is None:
        for d in out_dtypes:
            dtype_code(d)       # TypeError for an unsupported dtype
        outs = [np.empty(shape, dtype=d) for d in out_dtypes]
    else:
        outs = _checked_outputs(outputs, out_dtypes, shape)
        forced = _resolve_aliasing(ins, outs, nd, cshape)
    if 0 in shape:
        return _finish(outputs, outs)
    nops = nin + len(outs)
    plan_alloc(&plan, nops)
    try:
        for k in range(nops):
            a = ins[k] if k < nin else outs[k - nin]
            plan.data[k] = <char *>cnp.PyArray_DATA(a)
            plan.dtype[k] = code_of(a)
            byte_strides(a, nd, cshape, plan.strides + k * CYT_MAXDIMS)
        plan_set_space(&plan, nops, nd, cshape)
        plan_set_program(&plan, codea, nin, len(outs), nreg, ct)
        plan_classify(&plan, nops)
        for k in forced:
            plan.kind[nin + k] = KIND_GENERAL
        with nogil:
            rc = run_plan(&plan)
    finally:
        plan_free(&plan)
    if rc != 0:
        raise MemoryError("cytensor elemwise: out of memory for block buffers")
    return _finish(outputs, outs)


cdef list _finish(user_outs, list outs):
    """The caller's outputs (copying back from any temporary), else ours."""
    if user_outs is None:
        return outs
    user_outs = list(user_outs)
    for j in range(len(outs)):
        if outs[j] is not user_outs[j]:
            np.copyto(user_outs[j], outs[j], casting='unsafe')
    return user_outs


# ---------------------------------------------------------------- fused reductions
FUSED_REDUCE_OPS = {'sum': CYT_RED_SUM, 'prod': CYT_RED_PROD, 'max': CYT_RED_MAX,
                    'min': CYT_RED_MIN}
_FR_NP_NAMES = {CYT_RED_MAX: 'maximum', CYT_RED_MIN: 'minimum'}

cdef enum FRMode:
    FR_ROWGROUP = 0     # whole rows per task, reduced axis innermost
    FR_ROWCHUNK = 1     # few long rows: pieces of rows per task, partials combined
    FR_COLS = 2         # kept axis innermost: column tiles (x row chunks) per task

cdef enum:
    TASKS_PER_THREAD = 4    # split the work so that each thread gets about this many tasks
    CHUNK_ALIGN = 16        # row pieces (FR_ROWCHUNK) start at multiples of this many elements

cdef struct FRPlan:
    # How a fused reduction folds the VM's output.  The iteration space is
    # ordered (Ko, R, Ki): outer kept axes, reduced axes, inner kept axes.
    int mode            # FRMode
    int op              # CYT_RED_SUM/PROD/MAX/MIN
    int act             # accumulator dtype code
    int asz             # bytes of one accumulator
    cyt_intp Ko         # outer kept elements
    cyt_intp R          # reduced elements per output
    cyt_intp Ki         # inner kept elements
    cyt_intp nchunk     # row chunks (partials: chunk 0 -> acc, chunk c -> part[c-1])
    cyt_intp clen       # elements (ROWCHUNK) or rows (COLS) per chunk
    cyt_intp tw         # COLS: tile width (columns per task)
    cyt_intp ntiles     # COLS: tiles per outer element
    cyt_intp rb         # COLS: reduced rows per VM block (> 1 only when tw == Ki)
    cyt_intp rpt        # ROWGROUP: rows per task
    char *acc           # the result, Ko * Ki accumulators
    char *part          # partial results of chunks 1.. (NULL if nchunk == 1)


cdef char *_fr_eval(VMPlan *p, char **R, char *tb, cyt_intp start, cyt_intp n,
                    cyt_intp end) noexcept nogil:
    """Run the program on flat range [start, start+n), prefetching what
    follows up to ``end`` (the thread's range goes on there); returns the
    output register."""
    cdef cyt_prefetch pf
    _next_block(p, &pf, start + n, end)
    _load_inputs(p, R, tb, start, n)
    R[p.nin] = tb + p.nin * BLOCK * p.itemsize
    cyt_vm_run_pf(p.compute, R, p.code, p.ninstr, n, &pf)
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
            cyt_fr_fold_row(f.op, p.compute, f.act, dst + (row - row0) * f.asz,
                            out + (q - pos) * p.itemsize, e - q)
            q = e
        pos = end


cdef inline cyt_intp _chunk_end(FRPlan *f, cyt_intp c) noexcept nogil:
    """End of row chunk c (its start is c * f.clen)."""
    return f.R if (c + 1) * f.clen > f.R else (c + 1) * f.clen


cdef inline char *_chunk_acc(FRPlan *f, cyt_intp c, cyt_intp per_chunk) noexcept nogil:
    """Where chunk c accumulates: the result for chunk 0, else its partials."""
    return f.acc if c == 0 else f.part + (c - 1) * per_chunk * f.asz


cdef void _fr_rowgroup(VMPlan *p, FRPlan *f, char **R, char *tb, cyt_intp t) noexcept nogil:
    """Task t of FR_ROWGROUP: rows [t * rpt, (t + 1) * rpt)."""
    cdef cyt_intp r0 = t * f.rpt
    cdef cyt_intp r1 = f.Ko if r0 + f.rpt > f.Ko else r0 + f.rpt
    cyt_fr_init(f.op, f.act, f.acc + r0 * f.asz, r1 - r0)
    _fr_rows(p, f, R, tb, r0 * f.R, r1 * f.R, f.acc, 0)


cdef void _fr_rowchunk(VMPlan *p, FRPlan *f, char **R, char *tb, cyt_intp t) noexcept nogil:
    """Task t of FR_ROWCHUNK: one chunk of one row."""
    cdef cyt_intp row = t // f.nchunk, c = t % f.nchunk
    cdef cyt_intp r0 = c * f.clen, r1 = _chunk_end(f, c)
    cdef char *dst = _chunk_acc(f, c, f.Ko) + row * f.asz
    cyt_fr_init(f.op, f.act, dst, 1)
    if r0 < r1:
        _fr_rows(p, f, R, tb, row * f.R + r0, row * f.R + r1, dst, row)


cdef void _fr_cols(VMPlan *p, FRPlan *f, char **R, char *tb, cyt_intp t) noexcept nogil:
    """Task t of FR_COLS: one tile of columns over one chunk of rows."""
    cdef cyt_intp c = t % f.nchunk
    cdef cyt_intp tile = (t // f.nchunk) % f.ntiles
    cdef cyt_intp o = t // (f.nchunk * f.ntiles)
    cdef cyt_intp j0 = tile * f.tw, w = f.Ki - tile * f.tw
    cdef cyt_intp r0 = c * f.clen, r1 = _chunk_end(f, c), nr, s, start
    cdef char *dst
    cdef char *out
    if w > f.tw:
        w = f.tw
    dst = _chunk_acc(f, c, f.Ko * f.Ki) + (o * f.Ki + j0) * f.asz
    cyt_fr_init(f.op, f.act, dst, w)
    while r0 < r1:
        nr = f.rb if f.rb <= r1 - r0 else r1 - r0
        start = (o * f.R + r0) * f.Ki + j0
        out = _fr_eval(p, R, tb, start, nr * w, start + nr * w)   # tiles: nothing to prefetch
        for s in range(nr):
            cyt_fr_fold_cols(f.op, p.compute, f.act, dst, out + s * w * p.itemsize, w)
        r0 += nr


cdef void _fr_task(VMPlan *p, void *work, char **R, char *tb, cyt_intp t) noexcept nogil:
    """Task t of a fused reduction (work: its FRPlan)."""
    cdef FRPlan *f = <FRPlan *>work
    if f.mode == FR_ROWGROUP:
        _fr_rowgroup(p, f, R, tb, t)
    elif f.mode == FR_ROWCHUNK:
        _fr_rowchunk(p, f, R, tb, t)
    else:
        _fr_cols(p, f, R, tb, t)


cdef int _fr_run(VMPlan *p, FRPlan *f, cyt_intp ntasks, int nt) noexcept nogil:
    """Run every task, then fold the chunks' partial results into the result."""
    cdef cyt_intp c
    if _run_tasks(p, f, _fr_task, ntasks, nt, (ntasks + nt - 1) // nt) != 0:
        return -1
    for c in range(1, f.nchunk):
        if f.mode == FR_ROWCHUNK:
            cyt_fr_fold_cols(f.op, f.act, f.act, f.acc, _chunk_acc(f, c, f.Ko), f.Ko)
        elif f.mode == FR_COLS:
            cyt_fr_fold_cols(f.op, f.act, f.act, f.acc, _chunk_acc(f, c, f.Ko * f.Ki),
                             f.Ko * f.Ki)
    return 0


cdef cyt_intp _split_rows(FRPlan *f, bint par, int nt) noexcept:
    """The work split when the reduced axis is innermost (Ki == 1): groups of
    whole rows, or, for few long rows on several threads, chunks of rows.
    Returns the number of tasks."""
    cdef cyt_intp ntasks
    f.rpt = BLOCK // f.R if f.R < BLOCK else 1
    ntasks = (f.Ko + f.rpt - 1) // f.rpt
    if par and ntasks < TASKS_PER_THREAD * nt and f.R >= 2 * BLOCK:
        f.mode = FR_ROWCHUNK
        f.nchunk = (TASKS_PER_THREAD * nt + f.Ko - 1) // f.Ko
        f.clen = (f.R + f.nchunk - 1) // f.nchunk
        f.clen = (f.clen + CHUNK_ALIGN - 1) & ~(<cyt_intp>(CHUNK_ALIGN - 1))
        f.nchunk = (f.R + f.clen - 1) // f.clen
        return f.Ko * f.nchunk
    f.mode = FR_ROWGROUP
    return ntasks


cdef cyt_intp _split_cols(FRPlan *f, bint par, int nt) noexcept:
    """The work split when a kept axis is innermost: tiles of columns, and on
    several threads with few tiles, chunks of rows too.  Returns the tasks."""
    cdef cyt_intp base
    f.mode = FR_COLS
    f.tw = f.Ki if f.Ki <= BLOCK else BLOCK
    f.ntiles = (f.Ki + f.tw - 1) // f.tw
    if f.tw == f.Ki and 2 * f.Ki <= BLOCK:
        f.rb = BLOCK // f.Ki
    base = f.Ko * f.ntiles
    if par and base < TASKS_PER_THREAD * nt and f.R >= 2:
        f.nchunk = (TASKS_PER_THREAD * nt + base - 1) // base
        if f.nchunk > f.R:
            f.nchunk = f.R
        f.clen = (f.R + f.nchunk - 1) // f.nchunk
        f.nchunk = (f.R + f.clen - 1) // f.clen
    return base * f.nchunk


cdef cyt_intp _split_work(FRPlan *f, bint par, int nt) noexcept:
    """Fill the work-split fields of f; returns the number of tasks."""
    f.nchunk = 1
    f.clen = f.R
    f.tw = f.Ki
    f.ntiles = 1
    f.rb = 1
    f.rpt = 1
    return _split_rows(f, par, nt) if f.Ki == 1 else _split_cols(f, par, nt)


cdef tuple _reduced_axes(axes, int nd):
    """axes (None, an int or ints, negative allowed) as sorted non-negative ints."""
    if axes is None:
        return tuple(range(nd))
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
    return tuple(sorted(axl))


cdef object _empty_reduction(tuple shape, tuple ax, tuple final_shape, odt, int opc):
    """The result when there is nothing to compute (no kept or no reduced
    element), else None."""
    kept = reduced = 1
    for d, n in enumerate(shape):
        if d in ax:
            reduced *= n
        else:
            kept *= n
    if kept == 0:
        return np.empty(final_shape, dtype=odt)
    if reduced == 0:
        if opc == CYT_RED_SUM:
            return np.zeros(final_shape, dtype=odt)
        if opc == CYT_RED_PROD:
            return np.ones(final_shape, dtype=odt)
        raise ValueError(f"zero-size array to reduction operation {_FR_NP_NAMES[opc]} "
                         "which has no identity")
    return None


cdef tuple _iteration_order(list ins, tuple shape, tuple ax):
    """(outer, red, inner, strides): the iteration space ordered as (outer kept,
    reduced, inner kept) axes, each group by decreasing stride of the reference
    operand (the input with most non-broadcast dims); strides: every input's
    byte strides over shape."""
    cdef int nd = len(shape), d
    cdef cyt_intp cshape[CYT_MAXDIMS]
    cdef cyt_intp bstr[CYT_MAXDIMS]
    cdef cnp.ndarray a
    for d in range(nd):
        cshape[d] = shape[d]
    strl = []
    for a in ins:
        byte_strides(a, nd, cshape, bstr)
        strl.append([bstr[d] for d in range(nd)])
    dims = [d for d in range(nd) if shape[d] != 1]
    ref = max(strl, key=lambda st: sum(1 for d in dims if st[d] != 0), default=None)
    key = {d: abs(ref[d]) if ref[d] != 0 else max(abs(st[d]) for st in strl) for d in dims}
    order = sorted(dims, key=lambda d: -key[d])
    redpos = [i for i, d in enumerate(order) if d in ax]
    if not redpos:
        return [], [], order, strl
    last = redpos[len(redpos) - 1]
    outer = [d for d in order[:last + 1] if d not in ax]
    return outer, [d for d in order if d in ax], order[last + 1:], strl


cdef void _fill_reduce_plan(VMPlan *plan, list ins, list strl, list perm, tuple shape,
                            cnp.ndarray codea, int nreg, int ct):
    """The VM plan of a fused reduction: the inputs over the permuted space and
    one output register, walked (the folds read it from the block buffer)."""
    cdef int nin = len(ins), nd = len(perm), k, d
    cdef cyt_intp cshape[CYT_MAXDIMS]
    cdef cnp.ndarray a
    for d in range(nd):
        cshape[d] = shape[perm[d]]
    for k in range(nin + 1):
        for d in range(nd):
            plan.strides[k * CYT_MAXDIMS + d] = strl[k][perm[d]] if k < nin else 0
        if k < nin:
            a = ins[k]
            plan.data[k] = <char *>cnp.PyArray_DATA(a)
            plan.dtype[k] = code_of(a)
        else:
            plan.data[k] = NULL
            plan.dtype[k] = ct
    plan_set_space(plan, nin + 1, nd, cshape)
    plan_set_program(plan, codea, nin, 1, nreg, ct)
    plan_classify(plan, nin)
    plan.kind[nin] = KIND_GENERAL


cdef tuple _fused_operands(code, n_registers, int nin, op, compute_dtype):
    """(compute dtype code, reduction code, checked program)."""
    cdef int ct = compute_code(compute_dtype)
    if ct == CYT_U64:
        raise ValueError("elemwise_reduce: compute_dtype must be float32, float64 or int64 "
                         "(no uint64 accumulators)")
    try:
        opc = FUSED_REDUCE_OPS[op]
    except (KeyError, TypeError):
        raise ValueError(f"unknown fused reduction {op!r}; expected one of "
                         f"{sorted(FUSED_REDUCE_OPS)}")
    codea = program(code, nin, 1, n_registers, ct)
    if not _writes_register(codea, nin):
        raise ValueError(f"the program never writes its output register {nin}")
    return ct, opc, codea


cdef bint _writes_register(const int32_t[:, ::1] code, int reg):
    """Whether a row of the program writes register reg (a C loop: NumPy's
    ``(code[:, 1] == reg).any()`` cost more than a tiny reduction itself)."""
    cdef Py_ssize_t i
    for i in range(code.shape[0]):
        if code[i, 1] == reg:
            return True
    return False


cdef enum:
    LAYOUT_ROW = 2 + 2 * CYT_MAXDIMS    # one input's layout: ndim, type number, dims, strides


cdef class FusedReduction:
    """A fused reduction (see ``elemwise_reduce``) prepared once: the program
    checked and the op resolved when it is made, and its plan (iteration
    order, work split, VM plan) kept from one call to the next.  A call only
    compares the inputs' layout (shapes, strides, dtypes) with the planned
    one and plans again when it changed, so a compiled function's tiny
    reductions cost a few microseconds rather than tens."""
    cdef cnp.ndarray code
    cdef int ct, opc, nin, nreg
    cdef object axes, odt, op, compute_dtype
    cdef bint keepdims
    cdef bint planned           # plan, f, layout and the result's fields hold a plan
    cdef bint busy              # a call runs (another Python thread gets a one-shot copy)
    cdef VMPlan plan
    cdef FRPlan f               # the layout fields; acc and the work split are per call
    cdef cyt_intp *layout       # nin rows of LAYOUT_ROW: the planned inputs
    cdef int acc_nd, acc_type
    cdef cnp.npy_intp acc_dims[CYT_MAXDIMS]
    cdef object final_shape, outer, inner, shape, ax
    cdef bint acc_is_result     # the accumulators are the result as they stand

    def __cinit__(self, code, n_registers, int n_inputs, op, axes, out_dtype, compute_dtype,
                  keepdims=False):
        self.ct, self.opc, self.code = _fused_operands(code, n_registers, n_inputs, op,
                                                       compute_dtype)
        self.odt = np.dtype(out_dtype)
        dtype_code(self.odt)
        self.nin, self.nreg, self.axes, self.keepdims = n_inputs, n_registers, axes, keepdims
        self.op, self.compute_dtype = op, compute_dtype
        self.layout = <cyt_intp *>malloc(n_inputs * LAYOUT_ROW * sizeof(cyt_intp) + ALLOC_PAD)
        if self.layout == NULL:
            raise MemoryError()
        plan_alloc(&self.plan, n_inputs + 1)

    def __dealloc__(self):
        free(self.layout)
        plan_free(&self.plan)

    def __call__(self, inputs):
        """The reduction of the program over ``inputs`` (a sequence of arrays)."""
        cdef int k
        if len(inputs) != self.nin:
            raise ValueError(f"expected {self.nin} inputs, got {len(inputs)}")
        if self.busy:
            return FusedReduction(self.code, self.nreg, self.nin, self.op, self.axes, self.odt,
                                  self.compute_dtype, self.keepdims)(inputs)
        # Claimed before planning: planning runs Python code, where another
        # thread may take the GIL and call this reduction too.
        self.busy = True
        try:
            if self._matches(inputs):
                for k in range(self.nin):
                    self.plan.data[k] = <char *>cnp.PyArray_DATA(<cnp.ndarray>inputs[k])
            else:
                empty = self._prepare(inputs)
                if empty is not None:
                    return empty
            return self._run()
        finally:
            self.busy = False

    cdef bint _matches(self, inputs):
        """Whether inputs have the planned layout (and need no conversion)."""
        cdef int k, d, nd
        cdef cnp.ndarray a
        cdef const cyt_intp *row
        if not self.planned:
            return False
        for k in range(self.nin):
            x = inputs[k]
            if not isinstance(x, cnp.ndarray):
                return False
            a = <cnp.ndarray>x
            row = self.layout + k * LAYOUT_ROW
            nd = cnp.PyArray_NDIM(a)
            if nd != row[0] or cnp.PyArray_TYPE(a) != row[1] or not usable(a):
                return False
            for d in range(nd):
                if cnp.PyArray_DIM(a, d) != row[2 + d] or \
                        cnp.PyArray_STRIDE(a, d) != row[2 + CYT_MAXDIMS + d]:
                    return False
        return True

    cdef object _prepare(self, inputs):
        """Plan for inputs' layout; returns the result if there is nothing to
        compute (then nothing is planned), else None."""
        self.planned = False
        ins, shape = operands(inputs, None)
        ax = _reduced_axes(self.axes, len(shape))
        if self.keepdims:
            final_shape = tuple(1 if d in ax else n for d, n in enumerate(shape))
        else:
            final_shape = tuple(n for d, n in enumerate(shape) if d not in ax)
        empty = _empty_reduction(shape, ax, final_shape, self.odt, self.opc)
        if empty is not None:
            return empty
        outer, red, inner, strl = _iteration_order(ins, shape, ax)
        self.f.Ko = _elements(shape, outer)
        self.f.R = _elements(shape, red)
        self.f.Ki = _elements(shape, inner)
        self.f.op = self.opc
        self.f.act = cyt_fr_acc_code(self.opc, self.ct)
        self.f.asz = cyt_dt_size[self.f.act]
        _fill_reduce_plan(&self.plan, ins, strl, outer + red + inner, shape, self.code,
                          self.nreg, self.ct)
        self._keep_layout(ins)
        self._keep_result_form(shape, ax, outer, inner, final_shape)
        self.planned = True
        return None

    cdef void _keep_layout(self, list ins):
        """Record the planned inputs' layout (what _matches compares)."""
        cdef int k, d
        cdef cnp.ndarray a
        cdef cyt_intp *row
        for k in range(self.nin):
            a = ins[k]
            row = self.layout + k * LAYOUT_ROW
            row[0] = cnp.PyArray_NDIM(a)
            row[1] = cnp.PyArray_TYPE(a)
            for d in range(row[0]):
                row[2 + d] = cnp.PyArray_DIM(a, d)
                row[2 + CYT_MAXDIMS + d] = cnp.PyArray_STRIDE(a, d)

    cdef void _keep_result_form(self, tuple shape, tuple ax, list outer, list inner,
                                tuple final_shape):
        """The accumulators' shape and dtype, and how they become the result."""
        cdef int d
        acc_dtype = DTYPES[self.f.act]
        pk = outer + inner
        self.acc_nd = len(pk)
        for d in range(self.acc_nd):
            self.acc_dims[d] = shape[pk[d]]
        self.acc_type = acc_dtype.num
        self.acc_is_result = (pk == [d for d in range(len(shape))
                                     if shape[d] != 1 and d not in ax]
                              and acc_dtype == self.odt)
        self.shape, self.ax, self.outer, self.inner = shape, ax, outer, inner
        self.final_shape = final_shape

    cdef object _run(self):
        """Split the work, run the planned reduction, shape the result."""
        cdef FRPlan f = self.f
        cdef int nt, rc
        cdef cyt_intp ntasks
        cdef cnp.ndarray acc = cnp.PyArray_EMPTY(self.acc_nd, self.acc_dims, self.acc_type, 0)
        f.acc = <char *>cnp.PyArray_DATA(acc)
        f.part = NULL
        nt = threads_for(WORK_VM, self.plan.size)
        ntasks = _split_work(&f, nt > 1, nt)
        if ntasks < 2:
            nt = 1
        if f.nchunk > 1:
            f.part = <char *>malloc((f.nchunk - 1) * f.Ko * f.Ki * f.asz + ALLOC_PAD)
            if f.part == NULL:
                raise MemoryError()
        with nogil:
            rc = _fr_run(&self.plan, &f, ntasks, nt)
        free(f.part)
        if rc != 0:
            raise MemoryError("cytensor elemwise_reduce: out of memory for block buffers")
        result = acc if self.acc_is_result else \
            _reduce_result(acc, self.outer, self.inner, self.shape, self.odt)
        # a reshape only where it changes the shape: a view would be copied again by the caller
        return result if (<object>result).shape == self.final_shape \
            else result.reshape(self.final_shape)


def elemwise_reduce(code, n_registers, inputs, op, axes, out_dtype, compute_dtype,
                    keepdims=False):
    """Evaluate a one-output register program and reduce its output on the fly
    (see cytensor.kernels.elemwise_reduce): a FusedReduction made for one call."""
    return FusedReduction(code, n_registers, len(inputs), op, axes, out_dtype, compute_dtype,
                          keepdims)(inputs)


cdef cyt_intp _elements(tuple shape, list dims):
    """Number of elements over the axes dims of shape."""
    cdef cyt_intp n = 1
    for d in dims:
        n *= <cyt_intp>shape[d]
    return n


cdef cnp.ndarray _reduce_result(cnp.ndarray acc, list outer, list inner, tuple shape, odt):
    """The accumulators (in the order outer + inner) as the result: the kept
    axes in their own order, of the result dtype."""
    pk = outer + inner
    kept = sorted(pk)
    res = np.empty([shape[d] for d in kept], dtype=odt)
    copy_into(res.transpose([kept.index(d) for d in pk]), acc)
    return res
