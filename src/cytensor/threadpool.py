"""How many threads the kernels use in a process that shares the machine.

A Dask worker, a ``multiprocessing`` pool process or a scikit-learn job is
given a share of the host's cores; if every such process ran its kernels on
every core, they would all fight over the same cores.  Three ways to set the
share, all acting on ``cytensor.kernels.set_num_threads``:

* ``limit_threads(n)``: the kernels' and BLAS's threads in this process; it
  is also an ``initializer`` for ``multiprocessing.Pool``::

      Pool(4, initializer=limit_threads, initargs=(threads_per_process(4),))

* threadpoolctl: ``with threadpool_limits(1): ...`` (or ``user_api="openmp"``)
  limits the kernels too, and ``threadpool_info()`` lists them, because this
  module registers the kernels with threadpoolctl when it is installed.
* Dask workers: ``cytensor.distributed`` gives each worker's kernels the
  worker's ``nthreads`` (its ``KernelThreads`` plugin calls ``limit_threads``).
"""
import os

from . import kernels

try:
    import threadpoolctl
except ImportError:   # threadpoolctl is optional: without it only BLAS's own defaults apply
    threadpoolctl = None


def threads_per_process(n_processes):
    """This host's cores shared out among ``n_processes`` processes (at least 1 each)."""
    return max(1, (os.cpu_count() or 1) // max(1, int(n_processes)))


def limit_threads(n_threads):
    """Run this process's kernels, and BLAS when threadpoolctl is installed, on
    ``n_threads`` threads.  Usable as a ``multiprocessing.Pool`` initializer."""
    kernels.set_num_threads(n_threads)
    if threadpoolctl is not None:
        threadpoolctl.threadpool_limits(int(n_threads), user_api="blas")


if threadpoolctl is not None:
    class KernelsController(threadpoolctl.LibController):
        """threadpoolctl's handle on the kernels' thread count.

        threadpoolctl finds libraries by the file names of the loaded shared
        objects; the kernels' ``_threads`` extension, which holds the one
        thread count every kernel module reads, stands for all of them.  The user API
        is "openmp" because the kernels are OpenMP loops: a limit on OpenMP
        threads is meant for them.
        """
        user_api = "openmp"
        internal_api = "cytensor"
        filename_prefixes = ("_threads.",)

        def get_num_threads(self):
            return kernels.get_num_threads()

        def set_num_threads(self, num_threads):
            kernels.set_num_threads(num_threads)

        def get_version(self):
            return None    # the kernels have no version apart from cytensor's

    threadpoolctl.register(KernelsController)
