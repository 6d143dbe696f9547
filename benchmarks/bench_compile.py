"""Compile time against graph size (issue 15, item 7).

    python benchmarks/bench_compile.py [--rounds N] [--peer-limit SECONDS]

The two graphs, built the same way in every library:

chain n
    a float64 vector x of 100 elements goes through n elementwise nodes,
    cycling through ``y * 1.01``, ``y + 0.1``, ``tanh(y)`` (n = 3 is
    ``tanh(x * 1.01 + 0.1)``; n = 5000 is 1667 such steps, rounded up);
    the cost is ``sum(y)``; the function returns the cost and its gradient
    with respect to x.  Sizes 10, 100, 1000, 5000.
mlp depth
    ``depth`` layers ``h = tanh(dot(h, W) + b)`` of width 64 on a 32 x 64
    float64 batch; cost ``mean(h ** 2)``; the function returns the cost and
    updates every W and b by SGD (``p - 0.01 * grad``).  Depths 1, 10, 50,
    100.
ifelse n
    cytensor only: n IfElses in a chain, ``y = ifelse(c > k, y * 2, y + 1)``
    for k < n, each side lazy (the linker runs it inside its IfElse).  Sizes
    10, 100, 1000: the linker's search for each side's nodes must cost the
    side, not the graph (it was quadratic: 31 s at 1000).

What is timed: the graph is built (and differentiated) first, untimed;
then cytensor's ``function(...)``, PyTensor's ``function(...)`` and JAX's
first jit (``jax.jit(...).lower(...).compile()``: tracing, lowering and
XLA's compile) on the same graph, in alternation within one process.  Each
figure is the median over rounds.  A peer that took more than
--peer-limit seconds at one size is not run at the larger ones.  The
growth column is t(n) / t(previous n) with the size ratio beside it:
linear growth gives the size ratio.

Targets (issue 15): the chain of 5000 nodes compiles in 3 s or less; the
100-layer MLP in at most 0.5x JAX's first jit.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import cytensor
import cytensor.tensor as T
from cytensor.ifelse import ifelse

CHAIN_SIZES = (10, 100, 1000, 5000)
MLP_DEPTHS = (1, 10, 50, 100)
IFELSE_COUNTS = (10, 100, 1000)
WIDTH, BATCH, LENGTH = 64, 32, 100


def _try_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


pytensor = _try_import("pytensor")
jax = _try_import("jax")


def chain_steps(y, n, tanh):
    """The chain's n nodes applied to y, with the library's tanh."""
    for k in range(n):
        y = (lambda v: v * 1.01, lambda v: v + 0.1, tanh)[k % 3](y)
    return y


def mlp_params(depth):
    rng = np.random.default_rng(0)
    return [(rng.normal(size=(WIDTH, WIDTH)) * 0.1, np.zeros(WIDTH)) for _ in range(depth)]


def mlp_cost(h, params, tanh, dot, mean):
    for W, b in params:
        h = tanh(dot(h, W) + b)
    return mean(h ** 2)


# --- one compile of each graph, per library: returns seconds ----------------

def cytensor_chain(n):
    x = T.dvector("x")
    cost = chain_steps(x, n, T.tanh).sum()
    outputs = [cost, cytensor.grad(cost, x)]
    start = time.perf_counter()
    cytensor.function([x], outputs)
    return time.perf_counter() - start


def cytensor_mlp(depth):
    x = T.dmatrix("x")
    shared = [(cytensor.shared(W), cytensor.shared(b)) for W, b in mlp_params(depth)]
    cost = mlp_cost(x, shared, T.tanh, T.dot, T.mean)
    flat = [p for pair in shared for p in pair]
    updates = [(p, p - 0.01 * g) for p, g in zip(flat, cytensor.grad(cost, flat))]
    start = time.perf_counter()
    cytensor.function([x], cost, updates=updates)
    return time.perf_counter() - start


def cytensor_ifelse_chain(n):
    c, x = T.iscalar("c"), T.dvector("x")
    y = x
    for k in range(n):
        y = ifelse(T.gt(c, k), y * 2.0, y + 1.0)
    start = time.perf_counter()
    cytensor.function([c, x], y)
    return time.perf_counter() - start


def pytensor_chain(n):
    pt = pytensor.tensor
    x = pt.dvector("x")
    cost = chain_steps(x, n, pt.tanh).sum()
    outputs = [cost, pytensor.grad(cost, x)]
    start = time.perf_counter()
    pytensor.function([x], outputs)
    return time.perf_counter() - start


def pytensor_mlp(depth):
    pt = pytensor.tensor
    x = pt.dmatrix("x")
    shared = [(pytensor.shared(W), pytensor.shared(b)) for W, b in mlp_params(depth)]
    cost = mlp_cost(x, shared, pt.tanh, pt.dot, pt.mean)
    flat = [p for pair in shared for p in pair]
    updates = [(p, p - 0.01 * g) for p, g in zip(flat, pytensor.grad(cost, flat))]
    start = time.perf_counter()
    pytensor.function([x], cost, updates=updates)
    return time.perf_counter() - start


def jax_chain(n):
    jnp = jax.numpy

    def loss(x):
        return chain_steps(x, n, jnp.tanh).sum()
    x = np.linspace(-1, 1, LENGTH)
    start = time.perf_counter()
    jax.jit(jax.value_and_grad(loss)).lower(x).compile()
    return time.perf_counter() - start


def jax_mlp(depth):
    jnp = jax.numpy
    params = mlp_params(depth)

    def step(params, x):
        cost, grads = jax.value_and_grad(
            lambda p: mlp_cost(x, p, jnp.tanh, jnp.dot, jnp.mean))(params)
        return cost, jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, grads)
    x = np.ones((BATCH, WIDTH))
    start = time.perf_counter()
    jax.jit(step).lower(params, x).compile()
    return time.perf_counter() - start


LIBRARIES = {"cytensor": (cytensor_chain, cytensor_mlp)}
if pytensor is not None:
    LIBRARIES["pytensor"] = (pytensor_chain, pytensor_mlp)
if jax is not None:
    LIBRARIES["jax"] = (jax_chain, jax_mlp)


def measure(kind, sizes, rounds, peer_limit):
    """{library: {size: median seconds or None}}, libraries alternating."""
    which = 0 if kind == "chain" else 1
    times = {name: {} for name in LIBRARIES}
    for size in sizes:
        samples = {name: [] for name in LIBRARIES}
        for _ in range(rounds if size < 1000 else 1):
            for name, makers in LIBRARIES.items():
                previous = [t for t in times[name].values() if t is not None]
                if name != "cytensor" and previous and previous[-1] > peer_limit:
                    continue
                samples[name].append(makers[which](size))
        for name in LIBRARIES:
            times[name][size] = statistics.median(samples[name]) if samples[name] else None
        print(f"  {kind} {size}: " + ", ".join(
            f"{name} {_fmt(times[name][size])}" for name in LIBRARIES), flush=True)
    return times


def _fmt(seconds):
    return "   skipped" if seconds is None else f"{seconds:9.3f}s"


def table(kind, sizes, times):
    names = list(LIBRARIES)
    print(f"\n{kind:>6} {'size':>5} " + " ".join(f"{n:>10}" for n in names) +
          "   cytensor growth (size ratio)   cytensor / " + " / ".join(names[1:]))
    for k, size in enumerate(sizes):
        row = " ".join(_fmt(times[n][size]) for n in names)
        growth = ""
        if k:
            before = times["cytensor"][sizes[k - 1]]
            growth = f"x{times['cytensor'][size] / before:6.1f} (x{size // sizes[k - 1]})"
        ratios = " ".join(f"{times['cytensor'][size] / times[n][size]:5.2f}x"
                          if times[n][size] else "    - " for n in names[1:])
        print(f"{'':>6} {size:>5} {row}   {growth:<24}   {ratios}")


def ifelse_growth(rounds):
    """cytensor's compile of n chained IfElses, with the growth per size."""
    print(f"\n{'ifelse':>6} {'size':>5} {'cytensor':>10}   growth (size ratio)")
    before = None
    for n in IFELSE_COUNTS:
        seconds = statistics.median(cytensor_ifelse_chain(n)
                                    for _ in range(rounds if n < 1000 else 1))
        growth = f"x{seconds / before[1]:6.1f} (x{n // before[0]})" if before else ""
        print(f"{'':>6} {n:>5} {_fmt(seconds)}   {growth}", flush=True)
        before = (n, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds for the sizes under 1000 (larger ones: 1)")
    parser.add_argument("--peer-limit", type=float, default=60.0,
                        help="skip a peer's larger sizes once one took this long (s)")
    args = parser.parse_args()
    sys.setrecursionlimit(100000)        # the peers recurse through deep graphs
    print("load before:", os.popen("uptime").read().strip())
    print("peers:", ", ".join(LIBRARIES))
    chain = measure("chain", CHAIN_SIZES, args.rounds, args.peer_limit)
    mlp = measure("mlp", MLP_DEPTHS, args.rounds, args.peer_limit)
    table("chain", CHAIN_SIZES, chain)
    table("mlp", MLP_DEPTHS, mlp)
    ifelse_growth(args.rounds)
    print()
    chain_5000 = chain["cytensor"][5000]
    print(f"target chain 5000 <= 3 s: {chain_5000:.2f} s -> "
          f"{'met' if chain_5000 <= 3 else 'NOT met'}")
    jax_100 = mlp.get("jax", {}).get(100)
    if jax_100:
        ratio = mlp["cytensor"][100] / jax_100
        print(f"target mlp 100 <= 0.5x JAX first jit: {ratio:.2f}x -> "
              f"{'met' if ratio <= 0.5 else 'NOT met'}")
    else:
        print("target mlp 100 <= 0.5x JAX first jit: JAX not installed, not measured")
    print("load after:", os.popen("uptime").read().strip())


if __name__ == "__main__":
    main()
