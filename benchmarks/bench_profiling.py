"""What profiling costs: a call with profile=True against the same call without.

The target: profiling costs less than 2x the unprofiled call time on a
mid-sized graph.  The graph here is one SGD step of a two-layer perceptron
(forward, gradient and updates: a few dozen nodes) on a batch of 64; a tiny
``v + w`` call is shown too, as the worst case (per-node overhead against
almost no work).  Run:  python benchmarks/bench_profiling.py
"""
import os

import numpy as np

from _timing import interleaved_medians
import cytensor as theano
import cytensor.tensor as T
from cytensor.config import change_flags
from cytensor.debug.profiling import ProfileStats


def mlp_step(**kwargs):
    rng = np.random.default_rng(0)
    x, t = T.matrix("x"), T.matrix("t")
    W1 = theano.shared(rng.standard_normal((100, 50)) * 0.1, "W1")
    b1 = theano.shared(np.zeros(50), "b1")
    W2 = theano.shared(rng.standard_normal((50, 10)) * 0.1, "W2")
    b2 = theano.shared(np.zeros(10), "b2")
    h = T.tanh(T.dot(x, W1) + b1)
    y = 1 / (1 + T.exp(-(T.dot(h, W2) + b2)))
    cost = ((y - t) ** 2).sum(axis=1).mean()
    params = [W1, b1, W2, b2]
    grads = theano.grad(cost, params)
    f = theano.function([x, t], cost, updates=[(p, p - 0.01 * g) for p, g in
                                               zip(params, grads)], **kwargs)
    return f, (rng.random((64, 100)), rng.random((64, 10)))


def tiny(**kwargs):
    v, w = T.vector("v"), T.vector("w")
    return theano.function([v, w], v + w, **kwargs), (np.ones(10), np.ones(10))


def main():
    print("load %.2f %.2f %.2f" % os.getloadavg())
    for label, build, number in (("mid-sized graph: MLP SGD step", mlp_step, 200),
                                 ("tiny graph: v + w, 10 elements", tiny, 20000)):
        plain, args = build()
        profiled, _ = build(profile=ProfileStats(atexit_print=False))
        with change_flags(profile_memory=True):
            memory, _ = build(profile=ProfileStats(atexit_print=False))
        base, *others = interleaved_medians({"plain": plain, "profiled": profiled,
                                             "memory": memory}, args, rounds=21,
                                            calls=number).values()
        print(f"{label}: {len(plain.schedule.nodes)} nodes")
        print(f"  unprofiled          {base * 1e6:9.2f} us per call")
        for name, t in zip(("profile=True", "+ profile_memory"), others):
            print(f"  {name:<19} {t * 1e6:9.2f} us per call   {t / base:5.2f}x")
    print("load %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
