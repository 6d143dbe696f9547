"""Side-by-side benchmarks: cytensor against NumPy, numexpr, PyTensor, JAX, PyTorch.

Every case runs all available peers in this one process on the same inputs
(two input sets, alternated, so nothing can cache a result), reports the
median time of each, and the ratio cytensor / peer against the target set
for each case (``Report.target``).  Run:  python benchmarks/bench.py [--quick] [--case E1 ...]

Peers that are not installed are skipped; install them with
``pip install -e ".[bench]"`` (numexpr, PyTensor) plus ``pip install
torch==2.13.0 'jax[cpu]'`` where available.
"""
import argparse
import os
import platform
import subprocess
import sys
import tracemalloc

import numpy as np

import _timing
import cytensor as theano
import cytensor.tensor as T

HERE = os.path.dirname(os.path.abspath(__file__))
LIMIT_C = os.path.join(HERE, "limit_elemwise.c")


def optional(name):
    try:
        return __import__(name)
    except Exception:
        return None


numexpr = optional("numexpr")
pytensor = optional("pytensor")
jax = optional("jax")
torch = optional("torch")


def median_time(fn, inputs, repeat, number=1):
    """Median seconds per call over ``repeat`` rounds of ``number`` calls,
    alternating the input sets, after a pause (see _timing)."""
    return _timing.median_time(fn, inputs=inputs, rounds=repeat, calls=number, pause=0.5)


class Report:
    def __init__(self):
        self.rows = []          # (case, impl, seconds)
        self.checks = []        # (case, description, ratio, target, met)

    def time(self, case, impl, seconds):
        self.rows.append((case, impl, seconds))
        unit, scale = ("us", 1e6) if seconds < 1e-3 else ("ms", 1e3)
        print(f"  {case:<10} {impl:<22} {seconds * scale:10.3f} {unit}", flush=True)

    def target(self, case, peer, limit, ours="cytensor"):
        times = {impl: t for c, impl, t in self.rows if c == case}
        if peer not in times or ours not in times:
            return
        ratio = times[ours] / times[peer]
        self.checks.append((case, f"{ours} / {peer}", ratio, limit, ratio <= limit))

    def absolute(self, case, description, value, limit):
        self.checks.append((case, description, value, limit, value <= limit))

    def summary(self):
        print("\nTargets (ratio = cytensor time / peer time, same run)")
        print(f"  {'case':<10} {'comparison':<36} {'value':>8} {'target':>8}  result")
        for case, desc, value, limit, met in self.checks:
            print(f"  {case:<10} {desc:<36} {value:8.3f} {limit:8.3f}  "
                  f"{'met' if met else 'MISSED'}")
        missed = [c for c in self.checks if not c[4]]
        print(f"\n{len(self.checks) - len(missed)} of {len(self.checks)} targets met")


# ---------------------------------------------------------------------------
# E1/E2: a fused elementwise expression
# ---------------------------------------------------------------------------


def bench_e1(report, quick):
    n, repeat = (10**5, 5) if quick else (10**7, 15)
    for dtype in ("float64", "float32"):
        case = f"E1-{dtype[-2:]}"
        rng = np.random.default_rng(0)
        inputs = [[(rng.random(n) + 0.5).astype(dtype) for _ in range(3)] for _ in range(2)]
        a, b, c = (T.vector(name, dtype=dtype) for name in "abc")
        f = theano.function([a, b, c], T.exp(a) * b + T.log(c) ** 2)
        report.time(case, "cytensor", median_time(f, inputs, repeat))
        report.time(case, "numpy", median_time(
            lambda a, b, c: np.exp(a) * b + np.log(c) ** 2, inputs, repeat))
        if numexpr:
            numexpr.set_num_threads(2)
            report.time(case, "numexpr (2 threads)", median_time(
                lambda a, b, c: numexpr.evaluate("exp(a) * b + log(c) ** 2"), inputs, repeat))
        if pytensor:
            import pytensor.tensor as pt
            pa, pb, pc = (pt.vector(name, dtype=dtype) for name in "abc")
            pf = pytensor.function([pa, pb, pc], pt.exp(pa) * pb + pt.log(pc) ** 2,
                                   mode="FAST_RUN")
            report.time(case, "pytensor FAST_RUN", median_time(pf, inputs, repeat))
        if jax:
            jf = jax.jit(lambda a, b, c: jax.numpy.exp(a) * b + jax.numpy.log(c) ** 2)
            report.time(case, "jax jit", median_time(
                lambda *xs: jf(*xs).block_until_ready(), inputs, repeat))
        if torch:
            tin = [[torch.from_numpy(x) for x in s] for s in inputs]
            report.time(case, "torch eager", median_time(
                lambda a, b, c: torch.exp(a) * b + torch.log(c) ** 2, tin, repeat))
        limit = c_loop_time(dtype) if n == 10**7 else None       # the C loop's size
        if limit is not None:
            report.time(case, "C loop (2 threads)", limit)
        report.target(case, "numpy", 0.4)
        report.target(case, "numexpr (2 threads)", 0.4)
        report.target(case, "pytensor FAST_RUN", 0.3)
        report.target(case, "C loop (2 threads)", 1.4)
        if dtype == "float64":
            bench_e2(report, f, inputs[0])


def bench_e2(report, f, inputs):
    """Peak memory allocated during one call, in units of the output's size.

    The previous call's result is still held, so cytensor cannot write into
    it again (see RECYCLE_MIN_BYTES in cytensor/function.py) and must allocate."""
    out_bytes = inputs[0].nbytes
    for impl, fn in (("cytensor", f),
                     ("numpy", lambda a, b, c: np.exp(a) * b + np.log(c) ** 2)):
        held = fn(*inputs)
        tracemalloc.start()
        fn(*inputs)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del held
        print(f"  E2         {impl:<22} peak {peak / out_bytes:6.2f} x the output")
        if impl == "cytensor":
            report.absolute("E2", "peak memory / output size", peak / out_bytes, 1.05)


def c_loop_time(dtype):
    """Seconds of the hand-fused C loop (benchmarks/limit_elemwise.c), 2 threads."""
    if not os.path.exists(LIMIT_C):
        return None
    exe = os.path.join("/tmp", "cytensor_limit_elemwise")
    if not os.path.exists(exe):
        subprocess.run(["gcc", "-O3", "-fno-math-errno", "-fopenmp", LIMIT_C, "-o", exe,
                        "-lm", "-lmvec"], check=True)
    text = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    for line in text.splitlines():
        if line.startswith("threads 2:"):
            parts = line.split()
            ms = float(parts[parts.index("f64" if dtype == "float64" else "f32") + 1])
            return ms / 1e3
    return None


# ---------------------------------------------------------------------------
# O1: the cost of calling a tiny function
# ---------------------------------------------------------------------------


def bench_o1(report, quick):
    repeat = 5 if quick else 15
    inputs = [[np.arange(10.0)], [np.arange(10.0) + 1]]
    v = T.dvector("v")
    f = theano.function([v], v + 1)
    number = 20000
    report.time("O1", "cytensor", median_time(f, inputs, repeat, number))
    report.time("O1", "numpy v + 1", median_time(lambda v: v + 1, inputs, repeat, number))
    if pytensor:
        import pytensor.tensor as pt
        pv = pt.dvector("v")
        pf = pytensor.function([pv], pv + 1)
        report.time("O1", "pytensor", median_time(pf, inputs, repeat, number))
    if jax:
        jf = jax.jit(lambda v: v + 1)
        report.time("O1", "jax jit", median_time(lambda v: jf(v).block_until_ready(),
                                                 inputs, repeat, number))
    ours = [t for c, i, t in report.rows if c == "O1" and i == "cytensor"][0]
    report.absolute("O1", "cytensor call (us)", ours * 1e6, 2.0)
    report.target("O1", "pytensor", 0.6)


# ---------------------------------------------------------------------------
# C1: compiling an MLP training function
# ---------------------------------------------------------------------------


def mlp_initial_values(floatX="float64"):
    """The parameters' starting values, drawn once: drawing them is not compiling."""
    rng = np.random.default_rng(0)
    return [rng.normal(0, 0.01, (784, 500)).astype(floatX), np.zeros(500, dtype=floatX),
            rng.normal(0, 0.01, (500, 10)).astype(floatX), np.zeros(10, dtype=floatX)]


def mlp_training_graph(lib, shared, grad, values, floatX="float64"):
    """784-500-10 MLP, softmax cross-entropy, 4 SGD updates, in any Theano-like API."""
    x, y = lib.matrix("x", dtype=floatX), lib.matrix("y", dtype=floatX)
    w1, b1, w2, b2 = params = [shared(v) for v in values]
    h = lib.tanh(lib.dot(x, w1) + b1)
    z = lib.dot(h, w2) + b2
    e = lib.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    cost = -(y * lib.log(p)).sum(axis=1).mean()
    grads = grad(cost, params)
    updates = [(w, w - 0.1 * g) for w, g in zip(params, grads)]
    return [x, y], cost, updates


def bench_c1(report, quick):
    """Time building the graph, its gradient, and function() with every rewrite."""
    repeat = 5 if quick else 15
    values = mlp_initial_values()

    def ours():
        inputs, cost, updates = mlp_training_graph(T, theano.shared, theano.grad, values)
        theano.function(inputs, cost, updates=updates)
    report.time("C1", "cytensor", median_time(ours, [[]], repeat))
    if pytensor:
        import pytensor.tensor as pt

        def theirs():
            inputs, cost, updates = mlp_training_graph(pt, pytensor.shared, pytensor.grad,
                                                       values)
            pytensor.function(inputs, cost, updates=updates)
        report.time("C1", "pytensor", median_time(theirs, [[]], max(3, repeat // 3)))
    ours_t = [t for c, i, t in report.rows if c == "C1" and i == "cytensor"][0]
    report.absolute("C1", "cytensor compile (ms)", ours_t * 1e3, 50.0)
    report.target("C1", "pytensor", 0.1)


# ---------------------------------------------------------------------------
# R1: reductions; M1: matrix products
# ---------------------------------------------------------------------------


def bench_r1(report, quick):
    size, repeat = (512, 5) if quick else (4096, 15)
    rng = np.random.default_rng(0)
    inputs = [[rng.random((size, size))] for _ in range(2)]
    x = T.dmatrix("x")
    for case, expr, ref in (("R1-sum0", x.sum(axis=0), lambda a: a.sum(axis=0)),
                            ("R1-sum1", x.sum(axis=1), lambda a: a.sum(axis=1)),
                            ("R1-max1", x.max(axis=1), lambda a: a.max(axis=1))):
        f = theano.function([x], expr)
        # memory-bound: timed in turns, one call each per round (see _timing)
        ours, numpy_time = _timing.interleaved_medians(
            {"cytensor": f, "numpy": ref}, inputs=inputs, rounds=3 * repeat, calls=1,
            pause=0.5).values()
        report.time(case, "cytensor", ours)
        report.time(case, "numpy", numpy_time)
        report.target(case, "numpy", 0.7)
    inputs = [[rng.standard_normal((size, 1000))] for _ in range(2)]
    e = T.exp(x - x.max(axis=1, keepdims=True))
    f = theano.function([x], e / e.sum(axis=1, keepdims=True))

    def np_softmax(a):
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    ours, numpy_time = _timing.interleaved_medians(
        {"cytensor": f, "numpy": np_softmax}, inputs=inputs, rounds=3 * repeat, calls=1,
        pause=0.5).values()
    report.time("R1-softmax", "cytensor", ours)
    report.time("R1-softmax", "numpy", numpy_time)
    report.target("R1-softmax", "numpy", 0.7)


def bench_m1(report, quick):
    size, repeat = (256, 5) if quick else (1024, 15)
    rng = np.random.default_rng(0)
    for dtype in ("float32", "float64"):
        case = f"M1-{dtype[-2:]}"
        inputs = [[rng.random((size, size)).astype(dtype) for _ in range(2)]
                  for _ in range(2)]
        a, b = T.matrix("a", dtype=dtype), T.matrix("b", dtype=dtype)
        f = theano.function([a, b], T.dot(a, b))
        report.time(case, "cytensor", median_time(f, inputs, repeat))
        report.time(case, "numpy @", median_time(lambda a, b: a @ b, inputs, repeat))
        if torch:
            tin = [[torch.from_numpy(x) for x in s] for s in inputs]
            report.time(case, "torch @", median_time(lambda a, b: a @ b, tin, repeat))
        report.target(case, "numpy @", 1.1)


CASES = {"E1": bench_e1, "O1": bench_o1, "C1": bench_c1, "R1": bench_r1, "M1": bench_m1}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--case", nargs="*", default=list(CASES), choices=list(CASES))
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.processor() or platform.platform()}; python {platform.python_version()}")
    print("peers: " + ", ".join(f"{m.__name__} {m.__version__}" for m in
                                (np, numexpr, pytensor, jax, torch) if m))
    theano.show_config()
    report = Report()
    for case in args.case:
        print(f"\n{case}")
        CASES[case](report, args.quick)
    report.summary()


if __name__ == "__main__":
    sys.exit(main())
