# The register VM's run loop, shared with the contiguous fast path (_kernels.pyx).
from cytensor.kernels._common cimport cyt_intp
from cytensor.kernels._plan cimport VMPlan

cdef int run_plan(VMPlan *p) noexcept nogil
cdef cyt_intp vm_block() noexcept nogil
