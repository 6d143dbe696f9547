# The kernels' one thread count and one serial-or-parallel policy (_threads.pyx).
# Every .pyx that opens an OpenMP region asks threads_for() (a fixed size
# threshold) or timed_threads() (the threshold, then the count that measured
# faster for this kind and shape) how many threads to give it; BLAS products
# ask timed_blas(), or timed_blas_blocks() when they split the product into
# blocks on OpenMP threads themselves.  These are the only places a count is chosen.

ctypedef Py_ssize_t cyt_intp

# Kinds of work, each with its own serial threshold (in elements): a parallel
# region pays off only once the work hides the cost of waking the other threads.
cdef enum WorkKind:
    WORK_VM = 0         # register-VM programs (elementwise, fused reductions)
    WORK_COPY = 1       # converting strided copies
    WORK_REDUCE = 2     # plain reductions
    WORK_ROWS = 3       # row kernels of the nnet module (softmax, crossentropy, ...)
    WORK_LEAN = 4       # lean memory-bound loops (pooling inside the image)
    WORK_GEMM = 5       # matrix products in BLAS (work: m*n*k multiply-adds)
    WORK_GEMV = 6       # matrix-vector products in BLAS (work: m*n)
    WORK_IMAGES = 7     # convolution image by image (work: multiply-adds)
    WORK_KINDS = 8

cdef enum:
    TRIAL_CALLS = 3     # timed calls on each count per trial (their median decides)

# The adaptive choice (_threads.pyx): per kind of work and shape (a hashed
# key), the thread count that measured faster, 1 or the count allowed.
cdef struct ThreadSite:
    unsigned long long key  # the hash of kind and shape that owns this slot
    int kind
    int tried_with      # the count last compared with 1 (0: never tried)
    int choice          # the count in use between trials
    int samples[2]      # trial calls timed so far, on 1 thread and on tried_with
    double seconds[2][TRIAL_CALLS]    # their times
    int calls_left      # calls on ``choice`` before the next trial
    int interval        # calls between trials: doubles while the choice holds
    double expected     # the choice's median time in its trial
    int slow_calls      # consecutive calls slower than SLOW_FACTOR * expected

# One timed run: timed_threads fills it, timed_done records its time.
cdef struct TimedRun:
    ThreadSite *site    # NULL: not timed (below the serial threshold, adaptation off)
    int nt              # the threads it runs on
    int blas_restore    # BLAS's count to put back after it (0: none)
    double start

cdef int num_threads() noexcept nogil
cdef cyt_intp min_work(int kind) noexcept nogil
cdef int threads_for(int kind, cyt_intp work) noexcept nogil
cdef int threads_over(cyt_intp work, cyt_intp min_elements, int nthreads) noexcept nogil
ctypedef unsigned long long site_key
cdef site_key shape_key(cyt_intp a, cyt_intp b, cyt_intp c) noexcept nogil
cdef int timed_threads(int kind, cyt_intp work, site_key key, TimedRun *run) noexcept nogil
cdef int timed_threads_upto(int kind, cyt_intp work, site_key key, int nthreads,
                            TimedRun *run) noexcept nogil
cdef int timed_blas(int kind, cyt_intp work, site_key key, TimedRun *run) noexcept nogil
cdef int timed_blas_blocks(int kind, cyt_intp work, site_key key, TimedRun *run) noexcept nogil
cdef void timed_done(TimedRun *run) noexcept nogil
