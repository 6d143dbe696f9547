"""Quick timings of cytensor.kernels against NumPy (run: python benchmarks/bench_kernels.py).

Compare the fused elementwise numbers with the C loop in
../shared/bench/limit_elemwise.c (gcc -O3 -fno-math-errno -fopenmp ... -lm -lmvec).
Timings are only meaningful on an otherwise idle machine.
"""
import timeit

import numpy as np

import cytensor.kernels as K


def best(f, number=1, repeat=7):
    return min(timeit.repeat(f, number=number, repeat=repeat)) / number


def main():
    print("openmp", K.openmp_enabled(), "threads", K.get_num_threads(), K.build_config())
    code, nreg = K.compile_program([("exp", 4, 0), ("mul", 4, 4, 1), ("log", 5, 2),
                                    ("sqr", 5, 5), ("add", 3, 4, 5)], 3, 1)
    n = 10 ** 7
    for dt in (np.float64, np.float32):
        rng = np.random.default_rng(0)
        a = (rng.random(n) + 0.5).astype(dt)
        b = rng.random(n).astype(dt)
        c = (rng.random(n) + 0.1).astype(dt)
        o = np.empty(n, dt)
        t_fast = best(lambda: K.elemwise_contiguous(code, nreg, [a, b, c], [o]))
        t_gen = best(lambda: K.elemwise(code, nreg, [a, b, c], [dt], dt, outputs=[o]))
        t_np = best(lambda: np.exp(a) * b + np.log(c) ** 2, repeat=3)
        print(f"exp(a)*b+log(c)**2 {np.dtype(dt).name} 1e7: fast {t_fast * 1e3:.2f} ms, "
              f"general {t_gen * 1e3:.2f} ms, numpy {t_np * 1e3:.2f} ms")
    code, nreg = K.compile_program([("add", 2, 0, 1)], 2, 1)
    x, one, out = np.arange(10.0), np.ones(10), np.empty(10)
    t = best(lambda: K.elemwise_contiguous(code, nreg, [x, one], [out]), number=100000)
    print(f"elemwise_contiguous v+1, 10 elements: {t * 1e6:.3f} us per call")
    t = best(lambda: K.elemwise(code, nreg, [x, one], [np.float64], np.float64), number=20000)
    print(f"elemwise (general) v+1, 10 elements: {t * 1e6:.3f} us per call")
    X = np.random.default_rng(1).random((4096, 4096))
    for op, f in (("sum", np.sum), ("max", np.max)):
        for ax in (0, 1):
            tk = best(lambda: K.reduce(op, X, (ax,)), repeat=5)
            tn = best(lambda: f(X, axis=ax), repeat=5)
            print(f"{op} axis={ax} 4096x4096 f64: {tk * 1e3:.2f} ms, numpy {tn * 1e3:.2f} ms, "
                  f"ratio {tk / tn:.2f}")
    A = np.random.default_rng(2).random((1000, 1000))
    print(f"dot 1000x1000: {best(lambda: K.dot(A, A.T), repeat=3) * 1e3:.2f} ms, "
          f"numpy {best(lambda: np.dot(A, A.T), repeat=3) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
