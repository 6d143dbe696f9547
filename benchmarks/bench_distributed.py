"""Data-parallel SGD on local Dask workers: time per step, and how much of it is talk.

    python benchmarks/bench_distributed.py [--quick]

One SGD step of an MLP 784-500-10 (tanh, softmax crossentropy, float32,
397,510 parameters) at batch 1024, with ``cytensor.distributed.DataParallel``
on 1 and on 2 local worker processes of one thread each, beside the same step
in this process without Dask.  For each: the median time per step; the
workers' compute time (the slowest worker's gradient task, from Dask's task
stream); the driver's time to combine the gradients and update; and the
rest, the communication share: parameters out to each worker, gradients
back, and the scheduler's round trips.
"""
import argparse
import os
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, get_task_stream

import cytensor
import cytensor.tensor as T
from cytensor.distributed import DataParallel, sgd

N_IN, N_HIDDEN, N_OUT = 784, 500, 10


def mlp(seed=0):
    x, y = T.matrix("x", dtype="float32"), T.ivector("y")
    rng = np.random.default_rng(seed)
    bound = np.sqrt(6.0 / (N_IN + N_HIDDEN))
    W1 = cytensor.shared(rng.uniform(-bound, bound, (N_IN, N_HIDDEN)).astype("float32"), name="W1")
    b1 = cytensor.shared(np.zeros(N_HIDDEN, "float32"), name="b1")
    W2 = cytensor.shared(np.zeros((N_HIDDEN, N_OUT), "float32"), name="W2")
    b2 = cytensor.shared(np.zeros(N_OUT, "float32"), name="b2")
    p_y = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2) + b2)
    return [x, y], T.mean(T.nnet.categorical_crossentropy(p_y, y)), [W1, b1, W2, b2]


def data(n_rows, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.random((n_rows, N_IN), dtype=np.float32),
            rng.integers(0, N_OUT, n_rows).astype("int32"))


def one_process(batch, steps):
    """Seconds per step of the same SGD step compiled into one function, no Dask."""
    inputs, cost, params = mlp()
    train = cytensor.function(inputs, cost, updates=sgd(0.01)(params, cytensor.grad(cost, params)))
    x, y = data(batch)
    train(x, y)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        train(x, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def on_workers(n_workers, batch, epochs, steps_per_epoch):
    """(seconds per step, worker compute, driver update) medians on n_workers workers."""
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as cluster, \
            Client(cluster) as client:
        inputs, cost, params = mlp()
        dp = DataParallel(cost, params, inputs, learning_rate=0.01, client=client,
                          timeout=300)
        # Generated on the workers, as data read there would be.
        n_rows = batch * steps_per_epoch
        X = da.random.default_rng(1).random((n_rows, N_IN), dtype=np.float32,
                                            chunks=(batch, N_IN))
        Y = da.random.default_rng(2).integers(0, N_OUT, n_rows, chunks=batch).astype("int32")
        dp.fit(X, Y, epochs=1, batch_size=batch)            # warm up: shards, compilation
        ends = []
        with get_task_stream(client) as stream:
            dp.fit(X, Y, epochs=epochs, batch_size=batch,
                   callback=lambda *args: ends.append(time.perf_counter()))
        step = float(np.median(np.diff(ends)))
        compute = _slowest_gradient_per_step(stream.data)
        grads = [np.zeros_like(p.get_value()) for p in params]
        update = []
        for _ in range(20):
            start = time.perf_counter()
            dp._combine([(batch // n_workers, [np.float32(0)] + grads)] * n_workers)
            dp.apply_gradients(*grads)
            update.append(time.perf_counter() - start)
        return step, compute, float(np.median(update))


def _slowest_gradient_per_step(tasks):
    """Median over steps of the longest gradient task's compute time."""
    per_step = {}
    for task in tasks:
        key = str(task["key"])
        if not key.startswith("cytensor-gradient"):
            continue
        step = key.rsplit("-", 1)[0]        # cytensor-gradient-<run>-<step>-<part>
        seconds = sum(s["stop"] - s["start"] for s in task["startstops"]
                      if s["action"] == "compute")
        per_step[step] = max(per_step.get(step, 0.0), seconds)
    return float(np.median(list(per_step.values())))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps (a smoke test)")
    args = parser.parse_args(argv)
    batch = 1024
    epochs, steps_per_epoch = (1, 3) if args.quick else (4, 10)
    print(f"MLP {N_IN}-{N_HIDDEN}-{N_OUT} float32, batch {batch}, SGD; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    alone = one_process(batch, epochs * steps_per_epoch)
    print(f"one process, no Dask: {alone * 1e3:8.1f} ms/step")
    results = {}
    for n_workers in (1, 2):
        step, compute, update = on_workers(n_workers, batch, epochs, steps_per_epoch)
        results[n_workers] = step
        talk = max(0.0, step - compute - update)
        print(f"{n_workers} worker{'s' if n_workers > 1 else ' '} x 1 thread: {step * 1e3:8.1f} "
              f"ms/step  (slowest worker's gradient {compute * 1e3:.1f} ms, driver update "
              f"{update * 1e3:.1f} ms, communication {talk * 1e3:.1f} ms = "
              f"{100 * talk / step:.0f}%)")
    print(f"speed-up 2 workers / 1 worker: {results[1] / results[2]:.2f}x")


if __name__ == "__main__":
    main()
