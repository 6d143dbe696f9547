# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The kernels' threads: one thread count, read once, and one policy for
when a loop runs serially.

The count starts as OpenMP's (``OMP_NUM_THREADS``, else the cores) when this
module loads; ``set_num_threads`` changes it (cytensor.kernels.set_num_threads,
which ``config.openmp_threads`` and threadpoolctl's limits call).  Every
kernel module reads it through ``num_threads()``/``threads_for()``.

The policy: a loop of ``work`` elements runs on ``num_threads()`` threads when
``work >= min_work(kind)``, else on one.  Starting a parallel region costs
~2 us with spinning OpenMP workers (OMP_WAIT_POLICY=active/unset) and ~60 us
with passive waiting (cytensor's default, see cytensor/__init__.py), when
every region has to wake a sleeping worker.  Measured on the 2-core dev box:
with spinning workers 2 threads win from ~32K elements; with passive waiting
only from ~400K float32 elements for transcendental programs and ~700K for
memory-bound ones (a 392K-element SGD update took 81 us serial and 113 us on
2 threads), and from a few million for lean pooling loops.

Above the threshold the count adapts (``timed_threads``, ``timed_blas``):
whether 2 threads beat 1 depends on what else runs on the machine.  With one
core busy, the thread on that core holds up the others at every barrier (the
book's MLP step with BLAS on 2 threads ran 6x slower than on 1).  So each
kind of work and shape (hashed into a slot of a fixed table) is a
``ThreadSite`` that times its first calls on 1 thread and on the allowed
count, in turn, and keeps the faster; it tries again after ``interval``
calls (doubling while the choice holds) and at once when the choice turns
``SLOW_FACTOR`` slower than it measured.  The count allowed is the user's:
``num_threads()`` for the kernels, BLAS's own count for BLAS (the smaller
of the two for a product split into blocks on the kernels' threads), so
OMP_NUM_THREADS, config.openmp_threads and threadpoolctl's limits are upper
bounds that the adaptation never exceeds.  Sites are shared by all Python
threads without a lock: a race can only mix up a few timings.
"""
import os

from libc.string cimport memset
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC
from scipy.linalg.cython_blas cimport sgemm

cdef extern from "cyt_common.h" nogil:
    int cyt_omp_max_threads()
    void cyt_omp_set_threads(int n)
    int cyt_have_openmp()

cdef extern from "blas_threads.h" nogil:
    int cyt_blas_threads_init(void *blas_function)
    int cyt_blas_threads_get()
    void cyt_blas_threads_set(int n)

PASSIVE_WAIT = os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"

# Serial thresholds per WorkKind, in elements: (spinning workers, passive waiting).
# A copy does less per element than a VM program; a reduction less than a copy.
MIN_WORK = {
    "vm": (32768, 524288),
    "copy": (4 * 32768, 4 * 524288),
    "reduce": (65536, 1048576),
    "rows": (32768, 32768),
    "lean": (65536, 4194304),
    "gemm": (262144, 262144),     # multiply-adds: OpenBLAS runs smaller products serially
    "gemv": (65536, 65536),
    "images": (4 * 32 * 32768, 4 * 32 * 32768),     # multiply-adds
}
WORK_KIND_NAMES = ("vm", "copy", "reduce", "rows", "lean", "gemm", "gemv", "images")    # in WorkKind order

# The adaptive choice (see the module docstring).
cdef enum:
    SITE_SLOTS = 1024       # sites, a power of 2; a shape that lands on a taken slot evicts it
cdef int FIRST_INTERVAL = 16        # calls before the first re-trial
cdef int MAX_INTERVAL = 1024        # calls between re-trials at most
cdef double PARALLEL_GAIN = 0.95    # more threads only when at least 5% faster
cdef double SLOW_FACTOR = 1.5       # a call this much slower than its trial ...
cdef int SLOW_CALLS = 4             # ... this many times in a row: try again at once
ADAPTIVE = os.environ.get("CYTENSOR_ADAPTIVE_THREADS", "1").strip() != "0"

cdef ThreadSite _sites[SITE_SLOTS]
cdef int _most_threads[WORK_KINDS]     # the most threads a timed run of each kind took
cdef bint _adaptive = ADAPTIVE
cdef bint _blas_settable = cyt_blas_threads_init(<void *>sgemm)

cdef int _nthreads = cyt_omp_max_threads()
cdef cyt_intp _min_work[WORK_KINDS]


cdef void _init_min_work():
    cdef int k
    for k, name in enumerate(WORK_KIND_NAMES):
        _min_work[k] = MIN_WORK[name][1 if PASSIVE_WAIT else 0]
_init_min_work()


cdef int num_threads() noexcept nogil:
    """The thread count of every kernel (>= 1)."""
    return _nthreads


cdef cyt_intp min_work(int kind) noexcept nogil:
    """Elements from which work of this kind runs in parallel."""
    return _min_work[kind]


cdef int threads_over(cyt_intp work, cyt_intp min_elements, int nthreads) noexcept nogil:
    """nthreads when work >= min_elements, else 1 (never below 1: OpenMP aborts
    the process on a thread count <= 0)."""
    return nthreads if work >= min_elements and nthreads > 1 else 1


cdef int threads_for(int kind, cyt_intp work) noexcept nogil:
    """Threads for ``work`` elements of this kind of work (the one policy)."""
    return threads_over(work, _min_work[kind], _nthreads)


def openmp_enabled():
    """True when the kernels were compiled with OpenMP."""
    return bool(cyt_have_openmp())


def get_num_threads():
    return _nthreads


def set_num_threads(int n):
    """Set the kernels' thread count (and OpenMP's, for the regions it opens)."""
    global _nthreads
    if n < 1:
        raise ValueError("number of threads must be >= 1")
    _nthreads = n
    cyt_omp_set_threads(n)


def _set_min_work(**kinds):
    """Testing/tuning hook: set the serial threshold of kinds of work by name
    (vm=, copy=, reduce=, rows=, lean=, gemm=, gemv=); returns the thresholds as a dict."""
    for name, value in kinds.items():
        if name not in WORK_KIND_NAMES:
            raise ValueError(f"unknown kind of work {name!r}; expected one of {WORK_KIND_NAMES}")
        if value is not None:
            _min_work[WORK_KIND_NAMES.index(name)] = max(1, value)
    return {name: _min_work[k] for k, name in enumerate(WORK_KIND_NAMES)}


# ---------------------------------------------------------------- adaptation
cdef double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + 1e-9 * ts.tv_nsec


cdef void _start_trial(ThreadSite *s, int n) noexcept nogil:
    s.tried_with = n
    s.samples[0] = 0
    s.samples[1] = 0
    s.slow_calls = 0


cdef bint _in_trial(ThreadSite *s) noexcept nogil:
    return s.samples[0] < TRIAL_CALLS or s.samples[1] < TRIAL_CALLS


cdef int site_pick(ThreadSite *s, int n) noexcept nogil:
    """The thread count for the next call of this site (1 or n)."""
    if n <= 1:
        return 1
    if s.tried_with != n:                   # never tried, or the allowed count changed
        s.interval = FIRST_INTERVAL
        _start_trial(s, n)
    if _in_trial(s):                        # 1 and n in turn
        return 1 if s.samples[0] <= s.samples[1] and s.samples[0] < TRIAL_CALLS else n
    return s.choice


cdef double _median3(double *t) noexcept nogil:
    cdef double a = t[0], b = t[1], c = t[2]
    if a > b:
        a, b = b, a
    if b > c:
        b = c
    return a if a > b else b


cdef void _decide(ThreadSite *s) noexcept nogil:
    """End of a trial: keep the faster count; the same choice again waits twice
    as long for the next trial, a change starts over with FIRST_INTERVAL."""
    cdef double one = _median3(s.seconds[0]), many = _median3(s.seconds[1])
    cdef int choice = s.tried_with if many < PARALLEL_GAIN * one else 1
    if choice == s.choice:
        s.interval = min(2 * s.interval, MAX_INTERVAL)
    else:
        s.interval = FIRST_INTERVAL
    s.choice = choice
    s.expected = many if choice > 1 else one
    s.calls_left = s.interval


cdef void site_record(ThreadSite *s, int nt, double seconds) noexcept nogil:
    """Account for a call of this site that ran on nt threads in ``seconds``."""
    cdef int slot = 0 if nt <= 1 else 1
    if s.tried_with == 0:                   # one thread allowed: nothing to choose
        return
    if _in_trial(s):
        if (nt <= 1 or nt == s.tried_with) and 0 <= s.samples[slot] < TRIAL_CALLS:
            s.seconds[slot][s.samples[slot]] = seconds
            s.samples[slot] += 1
            if not _in_trial(s):
                _decide(s)
        return
    s.slow_calls = s.slow_calls + 1 if seconds > SLOW_FACTOR * s.expected else 0
    s.calls_left -= 1
    if s.slow_calls >= SLOW_CALLS or s.calls_left <= 0:
        _start_trial(s, s.tried_with)


cdef inline site_key _mix(site_key x) noexcept nogil:
    """splitmix64's finaliser: every bit of x moves about half the bits out."""
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL
    return x ^ (x >> 31)


cdef site_key shape_key(cyt_intp a, cyt_intp b, cyt_intp c) noexcept nogil:
    """A key for the shape (a, b, c) of a run: runs of one kind and key share a site."""
    return _mix(_mix(_mix(<site_key>a) ^ <site_key>b) ^ <site_key>c)


cdef ThreadSite *_site(int kind, site_key key) noexcept nogil:
    cdef site_key h = _mix(key ^ <site_key>kind)
    cdef ThreadSite *s = &_sites[h & (SITE_SLOTS - 1)]
    if s.key != h or s.kind != kind:        # a new shape (or another kind): start over
        s.key = h
        s.kind = kind
        s.tried_with = 0
        s.choice = 0
    return s


cdef int _timed_start(int kind, cyt_intp work, site_key key, int n, TimedRun *run) noexcept nogil:
    run.site = NULL
    run.blas_restore = 0
    run.nt = n if work >= _min_work[kind] and n > 1 else 1
    if run.nt > 1 and _adaptive:
        run.site = _site(kind, key)
        run.nt = site_pick(run.site, n)
        run.start = _now()
    if run.nt > _most_threads[kind]:
        _most_threads[kind] = run.nt
    return run.nt


cdef int timed_threads(int kind, cyt_intp work, site_key key, TimedRun *run) noexcept nogil:
    """Threads for ``work`` elements of this kind (threads_for's threshold, then
    the adaptive choice of the site of (kind, key)); call timed_done(run) after."""
    return _timed_start(kind, work, key, _nthreads, run)


cdef int timed_threads_upto(int kind, cyt_intp work, site_key key, int nthreads,
                            TimedRun *run) noexcept nogil:
    """timed_threads for kernels handed their count (the nnet module's)."""
    return _timed_start(kind, work, key, min(nthreads, _nthreads), run)


cdef int timed_blas(int kind, cyt_intp work, site_key key, TimedRun *run) noexcept nogil:
    """Like timed_threads for a BLAS product (WORK_GEMM, WORK_GEMV): lowers
    BLAS's own count to the choice until timed_done(run).  Returns the count."""
    cdef int n = cyt_blas_threads_get() if _blas_settable else -1
    if n < 1:                               # not settable: BLAS decides alone
        run.site = NULL
        run.blas_restore = 0
        return 1
    _timed_start(kind, work, key, n, run)
    if run.nt < n:
        cyt_blas_threads_set(run.nt)
        run.blas_restore = n
    return run.nt


cdef int timed_blas_blocks(int kind, cyt_intp work, site_key key, TimedRun *run) noexcept nogil:
    """Like timed_blas for a product the caller splits into blocks of its
    result, one BLAS call per block from an OpenMP region: returns the blocks
    (1: one call).  The count allowed is the smaller of BLAS's and the
    kernels'; over 1 block, BLAS runs on one thread until timed_done(run).
    When only one of the two allows more than one thread, this is timed_blas."""
    cdef int n = cyt_blas_threads_get() if _blas_settable else -1
    if min(n, _nthreads) <= 1:
        timed_blas(kind, work, key, run)
        return 1
    _timed_start(kind, work, key, min(n, _nthreads), run)
    cyt_blas_threads_set(1)
    run.blas_restore = n
    return run.nt


cdef void timed_done(TimedRun *run) noexcept nogil:
    if run.site != NULL:
        site_record(run.site, run.nt, _now() - run.start)
    if run.blas_restore:
        cyt_blas_threads_set(run.blas_restore)


def set_adaptive(bint on):
    """Turn the adaptive choice on or off (off: every loop over its kind's
    threshold runs on num_threads(), BLAS on its own count)."""
    global _adaptive
    _adaptive = on
    reset_adaptive()


def get_adaptive():
    return bool(_adaptive)


def reset_adaptive():
    """Forget every site's measurements (the next calls try again)."""
    cdef int k
    for k in range(WORK_KINDS):
        _most_threads[k] = 0
    memset(_sites, 0, sizeof(_sites))


def threads_used():
    """{kind: the most threads a loop or BLAS call of that kind ran on since
    reset_adaptive()} for the kinds that ran (vm, copy, gemm, gemv)."""
    return {name: _most_threads[k] for k, name in enumerate(WORK_KIND_NAMES)
            if _most_threads[k]}


def adaptive_choices():
    """{(kind, site key): threads chosen} for every site that ended a trial."""
    cdef int i
    return {(WORK_KIND_NAMES[_sites[i].kind], _sites[i].key): _sites[i].choice
            for i in range(SITE_SLOTS)
            if _sites[i].tried_with and not _in_trial(&_sites[i])}


def trace_choices(seconds_for, int calls, int n):
    """The decision logic alone, for tests: a fresh site allowed n threads makes
    ``calls`` calls, the i-th taking ``seconds_for(i, nt)`` seconds on the nt
    threads it picked; returns the list of the nt picked."""
    cdef ThreadSite site
    memset(&site, 0, sizeof(site))
    picked = []
    for i in range(calls):
        nt = site_pick(&site, n)
        site_record(&site, nt, float(seconds_for(i, nt)))
        picked.append(nt)
    return picked
