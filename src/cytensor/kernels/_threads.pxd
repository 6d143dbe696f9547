# The kernels' one thread count and one serial-or-parallel policy (_threads.pyx).
# Every .pyx that opens an OpenMP region asks threads_for() how many threads
# to give it; ``num_threads=threads_for(...)`` is the only place a count is chosen.

ctypedef Py_ssize_t cyt_intp

# Kinds of work, each with its own serial threshold (in elements): a parallel
# region pays off only once the work hides the cost of waking the other threads.
cdef enum WorkKind:
    WORK_VM = 0         # register-VM programs (elementwise, fused reductions)
    WORK_COPY = 1       # converting strided copies
    WORK_REDUCE = 2     # plain reductions
    WORK_ROWS = 3       # row kernels of the nnet module (softmax, crossentropy, ...)
    WORK_LEAN = 4       # lean memory-bound loops (pooling inside the image)
    WORK_KINDS = 5

cdef int num_threads() noexcept nogil
cdef cyt_intp min_work(int kind) noexcept nogil
cdef int threads_for(int kind, cyt_intp work) noexcept nogil
cdef int threads_over(cyt_intp work, cyt_intp min_elements, int nthreads) noexcept nogil
