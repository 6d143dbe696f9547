"""The kernels' thread count follows threadpoolctl's limits and multiprocessing initializers."""
import multiprocessing

import threadpoolctl

from cytensor import kernels
from cytensor.threadpool import limit_threads, threads_per_process


def test_threadpoolctl_lists_the_kernels_and_its_limits_apply_to_them():
    saved = kernels.get_num_threads()
    kernels.set_num_threads(3)
    try:
        found = [lib for lib in threadpoolctl.threadpool_info() if lib["internal_api"] == "cytensor"]
        assert len(found) == 1
        assert found[0]["user_api"] == "openmp" and found[0]["num_threads"] == 3
        with threadpoolctl.threadpool_limits(1):
            assert kernels.get_num_threads() == 1
        assert kernels.get_num_threads() == 3
        with threadpoolctl.threadpool_limits(limits=2, user_api="openmp"):
            assert kernels.get_num_threads() == 2
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            assert kernels.get_num_threads() == 3          # a BLAS limit leaves them alone
    finally:
        kernels.set_num_threads(saved)


def _kernel_threads(_):
    return kernels.get_num_threads()


def test_pool_initializer_sets_each_process_s_threads():
    here = kernels.get_num_threads()
    wanted = here + 2                       # differs from what the children would inherit
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=limit_threads, initargs=(wanted,)) as pool:
        assert pool.map(_kernel_threads, range(2)) == [wanted] * 2
    assert kernels.get_num_threads() == here


def test_threads_per_process_shares_the_cores():
    cores = multiprocessing.cpu_count()
    assert threads_per_process(1) == cores
    assert threads_per_process(cores * 4) == 1
    assert threads_per_process(2) == max(1, cores // 2)


def _waiting_policies(env):
    """OMP_WAIT_POLICY and OPENBLAS_THREAD_TIMEOUT as a fresh process that
    imports cytensor (first, before SciPy) sees them."""
    import os
    import subprocess
    import sys
    code = ("import os, cytensor; "
            "print(os.environ['OMP_WAIT_POLICY'], os.environ['OPENBLAS_THREAD_TIMEOUT'])")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def test_waiting_threads_sleep_unless_the_user_says_otherwise():
    """cytensor asks OpenMP's and OpenBLAS's threads to sleep between work
    (spinning ones slow the step that follows); a user's setting stays."""
    assert _waiting_policies({}) == ["PASSIVE", "4"]
    assert _waiting_policies({"OMP_WAIT_POLICY": "ACTIVE",
                              "OPENBLAS_THREAD_TIMEOUT": "28"}) == ["ACTIVE", "28"]
