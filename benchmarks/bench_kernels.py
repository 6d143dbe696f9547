"""Quick timings of cytensor.kernels against NumPy (run: python benchmarks/bench_kernels.py).

Compare the fused elementwise numbers with the C loop in
benchmarks/limit_elemwise.c (gcc -O3 -fno-math-errno -fopenmp ... -lm -lmvec).
Timings are only meaningful on an otherwise idle machine: every number is the
median of several runs, and the load average is printed before and after.

    python benchmarks/bench_kernels.py            # everything
    python benchmarks/bench_kernels.py reduce     # only sections whose name matches
"""
import contextlib
import os
import sys
import timeit

import numpy as np

import cytensor.kernels as K


def med(f, number=1, repeat=9):
    ts = sorted(timeit.repeat(f, number=number, repeat=repeat))
    return ts[len(ts) // 2] / number


def load():
    try:
        return "load %.2f %.2f %.2f" % os.getloadavg()
    except OSError:  # pragma: no cover
        return "load ?"


@contextlib.contextmanager
def threads(n):
    """Run the block with the kernels on n threads."""
    old = K.get_num_threads()
    K.set_num_threads(n)
    try:
        yield
    finally:
        K.set_num_threads(old)


def bench_fused():
    code, nreg = K.compile_program([("exp", 4, 0), ("mul", 4, 4, 1), ("log", 5, 2),
                                    ("sqr", 5, 5), ("add", 3, 4, 5)], 3, 1)
    n = 10 ** 7
    for dt in (np.float64, np.float32):
        rng = np.random.default_rng(0)
        a = (rng.random(n) + 0.5).astype(dt)
        b = rng.random(n).astype(dt)
        c = (rng.random(n) + 0.1).astype(dt)
        o = np.empty(n, dt)
        t_fast = med(lambda: K.elemwise_contiguous(code, nreg, [a, b, c], [o]))
        t_gen = med(lambda: K.elemwise(code, nreg, [a, b, c], [dt], dt, outputs=[o]))
        t_np = med(lambda: np.exp(a) * b + np.log(c) ** 2, repeat=5)
        print(f"exp(a)*b+log(c)**2 {np.dtype(dt).name} 1e7: fast {t_fast * 1e3:.2f} ms, "
              f"general {t_gen * 1e3:.2f} ms, numpy {t_np * 1e3:.2f} ms")


def bench_tiny():
    code, nreg = K.compile_program([("add", 2, 0, 1)], 2, 1)
    x, one, out = np.arange(10.0), np.ones(10), np.empty(10)
    t = med(lambda: K.elemwise_contiguous(code, nreg, [x, one], [out]), number=100000)
    print(f"elemwise_contiguous v+1, 10 elements, full-size 1: {t * 1e6:.3f} us per call")
    c0 = np.array(1.0)
    t = med(lambda: K.elemwise_contiguous(code, nreg, [x, c0], [out]), number=100000)
    print(f"elemwise_contiguous v+1, 10 elements, 0-d constant 1: {t * 1e6:.3f} us per call")
    t = med(lambda: K.elemwise(code, nreg, [x, one], [np.float64], np.float64), number=20000)
    print(f"elemwise (general) v+1, 10 elements: {t * 1e6:.3f} us per call")


def bench_reduce():
    X = np.random.default_rng(1).random((4096, 4096))
    for op, f in (("sum", np.sum), ("max", np.max), ("min", np.min)):
        for ax in (0, 1):
            tn = med(lambda: f(X, axis=ax))
            tk = med(lambda: K.reduce(op, X, (ax,)))
            with threads(1):
                t1 = med(lambda: K.reduce(op, X, (ax,)))
            print(f"{op} axis={ax} 4096x4096 f64: 2 threads {tk * 1e3:.2f} ms, 1 thread "
                  f"{t1 * 1e3:.2f} ms, numpy {tn * 1e3:.2f} ms, ratio {tk / tn:.2f} "
                  f"(1 thread {t1 / tn:.2f})")


def bench_elemwise_reduce():
    rng = np.random.default_rng(2)
    a, b = rng.random((4096, 4096)), rng.random((4096, 4096))
    code, nreg = K.compile_program([("sub", 3, 0, 1), ("mul", 2, 3, 3)], 2, 1)
    for ax in (1, 0, None):
        tn = med(lambda: ((a - b) ** 2).sum(axis=ax), repeat=5)
        tk = med(lambda: K.elemwise_reduce(code, nreg, [a, b], "sum", ax, np.float64,
                                           np.float64))
        with threads(1):
            t1 = med(lambda: K.elemwise_reduce(code, nreg, [a, b], "sum", ax, np.float64,
                                               np.float64))
        print(f"((a-b)**2).sum(axis={ax}) 4096x4096 f64: fused 2 threads {tk * 1e3:.2f} ms, "
              f"1 thread {t1 * 1e3:.2f} ms, numpy {tn * 1e3:.2f} ms, ratio {tk / tn:.2f} "
              f"(1 thread {t1 / tn:.2f})")
    # row softmax denominator: exp(x - m).sum(axis=1), m = row max broadcast
    x = a
    m = x.max(axis=1, keepdims=True)
    code, nreg = K.compile_program([("sub", 2, 0, 1), ("exp", 2, 2)], 2, 1)
    tn = med(lambda: np.exp(x - m).sum(axis=1), repeat=5)
    tk = med(lambda: K.elemwise_reduce(code, nreg, [x, m], "sum", 1, np.float64, np.float64))
    print(f"exp(x-m).sum(axis=1) 4096x4096 f64: fused {tk * 1e3:.2f} ms, numpy "
          f"{tn * 1e3:.2f} ms, ratio {tk / tn:.2f}")


def bench_dot():
    A = np.random.default_rng(2).random((1000, 1000))
    print(f"dot 1000x1000: {med(lambda: K.dot(A, A.T), repeat=5) * 1e3:.2f} ms, "
          f"numpy {med(lambda: np.dot(A, A.T), repeat=5) * 1e3:.2f} ms")


SECTIONS = {"tiny": bench_tiny, "fused": bench_fused, "reduce": bench_reduce,
            "elemwise_reduce": bench_elemwise_reduce, "dot": bench_dot}


def main(argv):
    print("openmp", K.openmp_enabled(), "threads", K.get_num_threads(), K.build_config())
    print(load())
    for name, fn in SECTIONS.items():
        if not argv or any(a in name for a in argv):
            fn()
    print(load())


if __name__ == "__main__":
    main(sys.argv[1:])
