"""Issue 15, item 8: threads that never hurt.  The default thread count beside
one thread, on a quiet machine and with one core busied by a spinning process.

    python benchmarks/bench_threads.py [--rounds N] [--cases mlp,elemwise,conv]

T1  the book's MLP step 784-500-10 with L1 + L2, batch 20 (bench_small_models' S3)
T2  an elementwise program ``exp(x) * 2 + 1`` over 10^6 float32
T3  a LeNet-ish step: 20@5x5 conv, tanh, 2x2 max pool, dense 10, softmax
    crossentropy, SGD, batch 64

"one thread" is ``threadpool_limits(1)``: the kernels, OpenMP and BLAS on one
thread; "default" is what a user gets with no setting.  The default count
adapts in a case's first calls (trials of 1 thread against 2 after 0, 16,
32, 64 calls, see docs/threads.rst); a training loop runs thousands of steps,
so each case first runs WARMUP_CALLS calls (at most WARMUP_SECONDS) with the
default threads, untimed, and the figures are the steady state.  Each round times a
batch of calls of each in turn (interleaved, so a load that comes and goes
hits both alike); the figures are medians over rounds.  The target: default /
one thread <= 1.10 in every case, quiet and busy.  The busy core is a child
process spinning in a loop for the duration of the busy half.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np
import threadpoolctl

import cytensor
import cytensor.tensor as T
from cytensor.tensor.signal.pool import pool_2d

from bench_small_models import cytensor_step, model_data

TARGET = 1.10
WARMUP_CALLS = 130          # past the first three trials of the adaptive choice
WARMUP_SECONDS = 10.0


def mlp_case():
    params, x, y = model_data(784, 500, 20)
    step = cytensor_step(params, 0.0, 0.0001)
    return lambda: step(x, y)


def elemwise_case():
    v = T.fvector("v")
    f = cytensor.function([v], T.exp(v) * np.float32(2) + np.float32(1))
    x = np.random.default_rng(0).random(10 ** 6).astype("float32")
    return lambda: f(x)


def conv_case(batch=64):
    rng = np.random.default_rng(0)
    shapes = [(20, 1, 5, 5), (20,), (20 * 12 * 12, 10), (10,)]
    shared = [cytensor.shared((rng.standard_normal(s) * 0.05).astype("float32"))
              for s in shapes]
    w1, b1, w2, b2 = shared
    x, y = T.ftensor4("x"), T.ivector("y")
    h1 = pool_2d(T.tanh(T.nnet.conv2d(x, w1) + b1.dimshuffle("x", 0, "x", "x")), (2, 2),
                 ignore_border=True)
    p_y = T.nnet.softmax(T.dot(h1.flatten(2), w2) + b2)
    loss = T.mean(T.nnet.categorical_crossentropy(p_y, y))
    grads = cytensor.grad(loss, shared)
    f = cytensor.function([x, y], loss, updates=[(p, p - np.float32(0.01) * g)
                                                 for p, g in zip(shared, grads)])
    images = rng.standard_normal((batch, 1, 28, 28)).astype("float32")
    labels = rng.integers(0, 10, batch).astype("int32")
    return lambda: f(images, labels)


CASES = {"mlp": ("T1 MLP 784-500-10 L1+L2 step, batch 20", mlp_case),
         "elemwise": ("T2 exp(x)*2+1, 1e6 float32", elemwise_case),
         "conv": ("T3 LeNet-ish conv step, batch 64", conv_case)}


def calls_for(fn, seconds):
    """How many calls of fn take about ``seconds`` (at least 1)."""
    fn()
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return max(1, n)


def warm_up(fn):
    start = time.perf_counter()
    for _ in range(WARMUP_CALLS):
        fn()
        if time.perf_counter() - start > WARMUP_SECONDS:
            break


def one_vs_default(fn, rounds, seconds_per_round=0.2):
    """Median seconds per call of fn on one thread and with the default
    threads, timed in alternation."""
    controller = threadpoolctl.ThreadpoolController()
    warm_up(fn)
    with controller.limit(limits=1):
        calls = calls_for(fn, seconds_per_round)
    times = {"one thread": [], "default": []}
    for _ in range(rounds):
        for name in times:
            limit = 1 if name == "one thread" else None
            with controller.limit(limits=limit):
                fn()                      # the first call after a change is not timed
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                times[name].append((time.perf_counter() - start) / calls)
    return {name: float(np.median(t)) for name, t in times.items()}


def start_spinner():
    """A child process that keeps one core busy until it is killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def run_cases(cases, rounds, condition):
    verdicts = []
    for key in cases:
        label, make = CASES[key]
        fn = make()
        medians = one_vs_default(fn, rounds)
        ratio = medians["default"] / medians["one thread"]
        verdict = "met" if ratio <= TARGET else "NOT met"
        print(f"  {label:<42} one thread {medians['one thread'] * 1e3:8.2f} ms   "
              f"default {medians['default'] * 1e3:8.2f} ms   default/one {ratio:5.2f} "
              f"{verdict}", flush=True)
        verdicts.append(f"{condition}: {label}: {ratio:.2f} {verdict}")
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs, "
          f"default kernel threads {cytensor.kernels.get_num_threads()}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    print("quiet (no spinner of ours):")
    verdicts = run_cases(cases, args.rounds, "quiet")
    spinner = start_spinner()
    try:
        time.sleep(0.5)
        print(f"one core busy (spinner pid {spinner.pid}), load average {os.getloadavg()}:")
        verdicts += run_cases(cases, args.rounds, "busy")
    finally:
        spinner.kill()
        spinner.wait()
    print(f"targets (issue 15 item 8: default / one thread <= {TARGET}):")
    for line in verdicts:
        print("  " + line)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
