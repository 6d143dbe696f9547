# Building a VMPlan: the checked, broadcast, collapsed description of one run
# of a register program (_plan.pyx).  The VM (cytensor/_kernels.pyx) runs it.
cimport numpy as cnp
from libc.stdint cimport int32_t
from cytensor.kernels._common cimport cyt_intp, CYT_MAXDIMS

# How the VM reaches an operand's elements.
cdef enum OperandKind:
    KIND_DIRECT = 0     # contiguous and of the compute dtype: registers point into it
    KIND_SCALAR = 1     # one element broadcast everywhere: converted once per thread
    KIND_GENERAL = 2    # anything else: walked (gathered/scattered) through a block buffer
    KIND_PERIODIC = 3   # an input repeating every strides[0] elements of the flat space
                        # (a row of a matrix): data holds one period and then
                        # the next block's worth, so the elements of flat
                        # [start, start+n) are data[start % period:][:n]

cdef struct VMPlan:
    # the iteration space, after dropping size-1 dims and merging chained ones
    int nd                          # its dimensions (>= 1)
    cyt_intp shape[CYT_MAXDIMS]     # its extents
    cyt_intp size                   # its number of elements
    # the program
    int nin                         # input registers 0..nin-1
    int nout                        # output registers nin..nin+nout-1
    int nreg                        # all registers; the rest are temporaries
    int compute                     # dtype code of every register (CYT_F32/F64/I64/U64)
    int itemsize                    # bytes of one register element
    int ninstr                      # instructions in code
    const int32_t *code             # ninstr rows [opcode, dst, a, b, c]
    # the operands: nin inputs then nout outputs, one entry each
    char **data                     # first element
    int *dtype                      # dtype code (converted to/from compute on the way)
    int *kind                       # OperandKind
    cyt_intp *strides               # byte strides over shape: one row of CYT_MAXDIMS each

# Bytes added to every malloc (never malloc(0); room for a vector's overrun).
cdef enum:
    ALLOC_PAD = 64
    MAX_REGISTERS = 100000          # registers a program may name

cdef int code_of(cnp.ndarray a) except? -2
cpdef int dtype_code(dt) except -1
cdef int compute_code(compute_dtype) except -1
cdef bint usable(cnp.ndarray a)
cdef cnp.ndarray as_usable(x)
cdef int check_code(cnp.ndarray code, int nin, int nout, int nreg, int ct) except -1
cdef cnp.ndarray program(code, int nin, int nout, int nreg, int ct)
cdef tuple operands(inputs, out_shape)
cdef tuple broadcast(list arrays, out_shape)
cdef bint overlap(cnp.ndarray a, cnp.ndarray b)
cdef void byte_strides(cnp.ndarray a, int nd, const cyt_intp *shape, cyt_intp *out) noexcept
cdef bint same_layout(cnp.ndarray o, cnp.ndarray x, int nd, const cyt_intp *shape)
cdef int collapse(int nops, int nd, cyt_intp *shape, cyt_intp *strides) noexcept
cdef int plan_alloc(VMPlan *p, int nops) except -1
cdef void plan_free(VMPlan *p) noexcept
cdef void plan_set_program(VMPlan *p, cnp.ndarray code, int nin, int nout, int nreg,
                           int ct) noexcept
cdef void plan_set_space(VMPlan *p, int nops, int nd, cyt_intp *shape) noexcept
cdef void plan_classify(VMPlan *p, int nops) noexcept
