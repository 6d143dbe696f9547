# The register VM's run loop, shared with the contiguous fast path (_kernels.pyx).
from cytensor.kernels._plan cimport VMPlan

cdef int run_plan(VMPlan *p) noexcept nogil
