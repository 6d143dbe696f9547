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
"""
import os

cdef extern from "cyt_common.h" nogil:
    int cyt_omp_max_threads()
    void cyt_omp_set_threads(int n)
    int cyt_have_openmp()

PASSIVE_WAIT = os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"

# Serial thresholds per WorkKind, in elements: (spinning workers, passive waiting).
# A copy does less per element than a VM program; a reduction less than a copy.
MIN_WORK = {
    "vm": (32768, 524288),
    "copy": (4 * 32768, 4 * 524288),
    "reduce": (65536, 1048576),
    "rows": (32768, 32768),
    "lean": (65536, 4194304),
}
WORK_KIND_NAMES = ("vm", "copy", "reduce", "rows", "lean")    # in WorkKind order

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
    (vm=, copy=, reduce=, rows=, lean=); returns the thresholds as a dict."""
    for name, value in kinds.items():
        if name not in WORK_KIND_NAMES:
            raise ValueError(f"unknown kind of work {name!r}; expected one of {WORK_KIND_NAMES}")
        if value is not None:
            _min_work[WORK_KIND_NAMES.index(name)] = max(1, value)
    return {name: _min_work[k] for k, name in enumerate(WORK_KIND_NAMES)}
