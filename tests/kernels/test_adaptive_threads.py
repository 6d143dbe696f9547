"""The adaptive thread count (issue 15, item 8): its decision logic, fed
made-up timings, and the user's limits (OMP_NUM_THREADS, config.openmp_threads,
threadpoolctl for OpenMP and for BLAS) as upper bounds it never exceeds."""
import os
import subprocess
import sys

import numpy as np
import pytest
import threadpoolctl

import cytensor
import cytensor.tensor as T
from cytensor import kernels
from cytensor.kernels import _threads

TRIAL = 3                   # _threads' TRIAL_CALLS
FIRST_INTERVAL = 16


def timings(one, many):
    """seconds_for(i, nt) for trace_choices: ``one`` on 1 thread, ``many`` on more
    (numbers, or functions of the call number)."""
    def seconds_for(i, nt):
        t = one if nt == 1 else many
        return t(i) if callable(t) else t
    return seconds_for


def after_first_trial(picked):
    return picked[2 * TRIAL:]


# ---------------------------------------------------------------------------
# the decision logic, deterministic
# ---------------------------------------------------------------------------

def test_first_calls_alternate_one_thread_and_the_allowed_count():
    picked = _threads.trace_choices(timings(1.0, 1.0), 2 * TRIAL, 4)
    assert picked == [1, 4] * TRIAL


def test_keeps_the_faster_count():
    assert set(after_first_trial(_threads.trace_choices(timings(2.0, 1.0), 12, 2))) == {2}
    assert set(after_first_trial(_threads.trace_choices(timings(1.0, 3.0), 12, 2))) == {1}


def test_more_threads_must_win_by_more_than_five_percent():
    assert set(after_first_trial(_threads.trace_choices(timings(1.0, 0.97), 12, 2))) == {1}
    assert set(after_first_trial(_threads.trace_choices(timings(1.0, 0.90), 12, 2))) == {2}


def test_one_allowed_thread_is_never_exceeded_nor_timed():
    assert _threads.trace_choices(timings(5.0, 1.0), 50, 1) == [1] * 50


def test_the_median_of_the_trial_decides_not_one_outlier():
    # the 2-thread runs are faster except one preempted call
    many = lambda i: 50.0 if i == 1 else 1.0   # noqa: E731
    assert set(after_first_trial(_threads.trace_choices(timings(2.0, many), 12, 2))) == {2}


def test_a_core_turning_busy_sends_it_back_to_one_thread_within_a_few_calls():
    turn = 100                                   # from call 100, 2 threads are 5x slower
    picked = _threads.trace_choices(timings(2.0, lambda i: 1.0 if i < turn else 10.0), 3000, 2)
    assert set(picked[turn - 30:turn]) == {2}          # between trials, on 2 threads
    # 4 slow calls, then a trial of 3 + 3: on 1 thread until the next trial
    settled = turn + 4 + 2 * TRIAL
    assert set(picked[settled:settled + FIRST_INTERVAL]) == {1}
    assert picked[settled:].count(2) < 0.02 * len(picked[settled:])   # the trials only


def test_it_tries_again_and_finds_the_cores_free_again():
    turn = 200                                   # 2 threads slow until call 200, then fast
    picked = _threads.trace_choices(timings(2.0, lambda i: 10.0 if i < turn else 1.0), 3000, 2)
    assert set(picked[2 * TRIAL:2 * TRIAL + FIRST_INTERVAL]) == {1}
    later = picked[turn:]
    trial = later.index(2) + turn - 1            # a trial starts on 1 thread, then 2
    assert trial < turn + 1024                   # at most one longest interval later
    assert set(picked[trial + 2 * TRIAL:trial + 2 * TRIAL + FIRST_INTERVAL]) == {2}
    assert picked[trial:].count(1) < 0.02 * len(picked[trial:])       # the trials only


def test_re_trials_grow_rarer_while_one_thread_keeps_winning():
    calls = 5000
    picked = _threads.trace_choices(timings(1.0, 6.0), calls, 2)
    # intervals 16, 32, ... 1024, then every 1024: 11 trials of 3 calls in 5000
    assert picked.count(2) <= 3 * 12
    # what the trials cost: under 4% of the time on 1 thread, 2 threads being 6x slower
    assert picked.count(2) * (6.0 - 1.0) / calls < 0.04


def test_a_new_allowed_count_is_tried_again():
    site_picks = _threads.trace_choices(timings(2.0, 1.0), 20, 3)
    assert set(site_picks) == {1, 3}


# ---------------------------------------------------------------------------
# the user's limits are upper bounds
# ---------------------------------------------------------------------------

@pytest.fixture
def fresh_sites():
    saved = kernels.get_num_threads()
    _threads.reset_adaptive()
    yield
    kernels.set_num_threads(saved)
    _threads.reset_adaptive()


def _elemwise_calls():
    v = T.fvector("v")
    f = cytensor.function([v], T.exp(v) * np.float32(2) + np.float32(1))
    x = np.linspace(0, 1, 2 * 10 ** 6, dtype="float32")
    for _ in range(20):
        f(x)


def _dot_calls():
    a = np.ones((300, 400), "float32")
    b = np.ones((400, 300), "float32")
    for _ in range(20):
        kernels.dot(a, b)


def test_a_large_loop_runs_on_at_most_the_kernels_count(fresh_sites):
    kernels.set_num_threads(3)
    _elemwise_calls()
    assert _threads.threads_used()["vm"] == 3       # the trial ran it on 3
    assert set(v for (kind, _), v in _threads.adaptive_choices().items()
               if kind == "vm") <= {1, 3}


def test_each_shape_of_a_product_has_its_own_site(fresh_sites):
    # the MLP step's three products have one size (m*n*k) and three shapes
    a, b = np.ones((20, 784), "float32"), np.ones((784, 500), "float32")
    gz = np.ones((20, 500), "float32")
    for _ in range(10):
        kernels.dot(a, b)
        kernels.dot(a.T, gz)
        kernels.dot(gz, b.T)
    if "gemm" not in _threads.threads_used() or _threads.threads_used()["gemm"] < 2:
        pytest.skip("BLAS runs on one thread here: nothing to choose")
    gemm_sites = [key for key in _threads.adaptive_choices() if key[0] == "gemm"]
    assert len(gemm_sites) == 3


def test_adaptation_off_takes_the_allowed_count(fresh_sites):
    kernels.set_num_threads(2)
    kernels.set_adaptive_threads(False)
    try:
        _elemwise_calls()
        assert _threads.adaptive_choices() == {}
        assert _threads.threads_used()["vm"] == 2
    finally:
        kernels.set_adaptive_threads(True)


def test_config_openmp_threads_bounds_the_loops(fresh_sites):
    with cytensor.change_flags(openmp_threads=1):
        assert kernels.get_num_threads() == 1
        _elemwise_calls()
    assert _threads.threads_used()["vm"] == 1


def test_threadpool_limits_openmp_bounds_the_loops(fresh_sites):
    kernels.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        _elemwise_calls()
    assert _threads.threads_used()["vm"] == 1


def _scipy_blas_threads():
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas" and "scipy.libs" in lib["filepath"]]


@pytest.mark.skipif(not _scipy_blas_threads(), reason="SciPy's BLAS is not OpenBLAS "
                    "(threadpoolctl does not list it): its thread count cannot be set")
def test_threadpool_limits_blas_bounds_the_products_and_the_count_is_put_back(fresh_sites):
    before = _scipy_blas_threads()
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        _dot_calls()
        assert _scipy_blas_threads() == [1]
    assert _threads.threads_used()["gemm"] == 1
    _threads.reset_adaptive()
    _dot_calls()                                   # adapting, it may lower the count ...
    assert _scipy_blas_threads() == before         # ... and puts it back after each call
    assert _threads.threads_used()["gemm"] == max(before)


CHILD = """
import numpy as np, threadpoolctl, cytensor
from cytensor import kernels
from cytensor.kernels import _threads
a = np.ones((300, 400), 'float32')
x = np.ones(2 * 10 ** 6, 'float32')
v = cytensor.tensor.fvector('v')
f = cytensor.function([v], cytensor.tensor.exp(v) + 1)
for _ in range(10):
    f(x)
    kernels.dot(a, a.T)
used = _threads.threads_used()
print(kernels.get_num_threads(), used['vm'], used.get('gemm', 1))
"""


@pytest.mark.parametrize("n", [1, 2])
def test_omp_num_threads_bounds_the_kernels_and_blas(n):
    env = dict(os.environ, OMP_NUM_THREADS=str(n), PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("OPENBLAS_NUM_THREADS", None)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    count, vm, gemm = map(int, out.stdout.split())
    assert count == n
    assert vm <= n and gemm <= n
    if n > 1 and (os.cpu_count() or 1) > 1:
        assert vm == n                    # the first trial ran it on n
