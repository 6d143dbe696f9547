# Declarations of vm_ops.h, the register VM's C side (opcode table and the
# interpreter loops).  Extern-only: no module behind it.
from libc.stdint cimport int32_t
from cytensor.kernels._common cimport cyt_intp

cdef extern from "vm_ops.h" nogil:
    enum:
        OP_COUNT
    ctypedef struct cyt_opinfo:
        const char *name
        int arity, libm, int_ok, narrow
    const cyt_opinfo *cyt_op_info
    int cyt_op_arity(int op)
    int cyt_op_valid_int(int op)
    int cyt_vm_run(int ct, char **R, const int32_t *code, int ninstr, cyt_intp n)
    ctypedef struct cyt_prefetch:
        pass
    void cyt_pf_init(cyt_prefetch *pf, cyt_intp bytes)
    void cyt_pf_add(cyt_prefetch *pf, const char *p)
    int cyt_vm_run_pf(int ct, char **R, const int32_t *code, int ninstr, cyt_intp n,
                      cyt_prefetch *pf)
