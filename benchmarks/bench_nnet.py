"""Deep-learning benchmarks D1-D4, cytensor beside its peers.

    python benchmarks/bench_nnet.py [D1 D2 D3 D4]

D1  one SGD step, MLP 784-500-10 (tanh, softmax crossentropy), batch 128, float32
D2  the same step for a small MLP 64-100-10, batch 32 (per-call overhead)
D3  LeNet's first layer: 64x1x28x28 images, 20 5x5 filters, tanh, 2x2 max pool,
    sum; forward and gradient with respect to the filters
D4  the digits demo, all three models (python -m cytensor.examples.digits)

Peers run in the same process when installed: NumPy by hand, PyTensor,
PyTorch (eager), JAX (jit).  Each prints the median of several repeats and
the ratio cytensor / peer.
"""
import subprocess
import sys
import time

import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.signal.pool import pool_2d


def median_time(fn, repeat=7, min_time=0.2):
    """Median seconds per call over ``repeat`` runs of enough calls each."""
    fn()
    calls, start = 1, time.perf_counter()
    while time.perf_counter() - start < min_time / repeat:
        fn()
        calls += 1
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return float(np.median(times))


def report(case, results):
    ours = results["cytensor"]
    print(f"{case}")
    for name, t in results.items():
        ratio = "" if name == "cytensor" else f"   cytensor / {name} = {ours / t:.2f}"
        print(f"  {name:>12}: {t * 1e3:9.3f} ms{ratio}")


def _try_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


# ---------------------------------------------------------------------------
# D1 / D2: one SGD step of an MLP
# ---------------------------------------------------------------------------


def mlp_data(n_in, n_hidden, batch, seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal((n_in, n_hidden)) * 0.05).astype("float32"),
              np.zeros(n_hidden, "float32"),
              (rng.standard_normal((n_hidden, 10)) * 0.05).astype("float32"),
              np.zeros(10, "float32")]
    x = rng.standard_normal((batch, n_in)).astype("float32")
    y = rng.integers(0, 10, batch).astype("int32")
    return params, x, y


def cytensor_mlp(params, lr=0.01):
    shared = [theano.shared(p.copy()) for p in params]
    W1, b1, W2, b2 = shared
    x, y = T.fmatrix("x"), T.ivector("y")
    p_y = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2) + b2)
    loss = T.mean(T.nnet.categorical_crossentropy(p_y, y))
    grads = theano.grad(loss, shared)
    return theano.function([x, y], loss, updates=[(p, p - np.float32(lr) * g)
                                                 for p, g in zip(shared, grads)])


def numpy_mlp(params, lr=0.01):
    state = [p.copy() for p in params]

    def step(x, y):
        W1, b1, W2, b2 = state               # updated in place below
        h = np.tanh(x @ W1 + b1)
        z = h @ W2 + b2
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(1, keepdims=True)
        rows = np.arange(len(y))
        loss = -np.mean(np.log(p[rows, y]))
        dz = p
        dz[rows, y] -= 1
        dz /= len(y)
        dh = (dz @ W2.T) * (1 - h * h)
        W2 -= lr * (h.T @ dz)
        b2 -= lr * dz.sum(0)
        W1 -= lr * (x.T @ dh)
        b1 -= lr * dh.sum(0)
        return loss
    return step


def pytensor_mlp(params, lr=0.01):
    pytensor = _try_import("pytensor")
    if pytensor is None:
        return None
    import pytensor.tensor as pt
    shared = [pytensor.shared(p.copy()) for p in params]
    W1, b1, W2, b2 = shared
    x, y = pt.fmatrix("x"), pt.ivector("y")
    p_y = pt.special.softmax(pt.dot(pt.tanh(pt.dot(x, W1) + b1), W2) + b2, axis=-1)
    loss = -pt.mean(pt.log(p_y)[pt.arange(y.shape[0]), y])
    grads = pytensor.grad(loss, shared)
    return pytensor.function([x, y], loss, updates=[(p, p - np.float32(lr) * g)
                                                   for p, g in zip(shared, grads)])


def torch_mlp(params, lr=0.01):
    torch = _try_import("torch")
    if torch is None:
        return None
    ps = [torch.tensor(p, requires_grad=True) for p in params]

    def step(x, y):
        x, y = torch.from_numpy(x), torch.from_numpy(y).long()
        h = torch.tanh(x @ ps[0] + ps[1])
        loss = torch.nn.functional.cross_entropy(h @ ps[2] + ps[3], y)
        grads = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, g in zip(ps, grads):
                p -= lr * g
        return loss.item()
    return step


def jax_mlp(params, lr=0.01):
    jax = _try_import("jax")
    if jax is None:
        return None
    import jax.numpy as jnp

    def loss_fn(ps, x, y):
        h = jnp.tanh(x @ ps[0] + ps[1])
        logp = jax.nn.log_softmax(h @ ps[2] + ps[3])
        return -jnp.mean(logp[jnp.arange(y.shape[0]), y])

    @jax.jit
    def update(ps, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(ps, x, y)
        return [p - lr * g for p, g in zip(ps, grads)], loss
    state = [jnp.asarray(p) for p in params]

    def step(x, y):
        nonlocal state
        state, loss = update(state, x, y)
        return float(loss)
    return step


def bench_mlp(case, n_in, n_hidden, batch):
    params, x, y = mlp_data(n_in, n_hidden, batch)
    results = {}
    for name, make in (("cytensor", cytensor_mlp), ("numpy", numpy_mlp),
                       ("pytensor", pytensor_mlp), ("torch", torch_mlp), ("jax", jax_mlp)):
        step = make(params)
        if step is not None:
            results[name] = median_time(lambda: step(x, y))
    report(f"{case}: SGD step, MLP {n_in}-{n_hidden}-10, batch {batch}, float32", results)


# ---------------------------------------------------------------------------
# D3: LeNet first layer, forward + gradient w.r.t. the filters
# ---------------------------------------------------------------------------


def bench_lenet_layer():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((64, 1, 28, 28)).astype("float32")
    filters = (rng.standard_normal((20, 1, 5, 5)) * 0.1).astype("float32")
    results = {}

    x, w = T.ftensor4("x"), T.ftensor4("w")
    cost = pool_2d(T.tanh(T.nnet.conv2d(x, w)), (2, 2), ignore_border=True).sum()
    f = theano.function([x, w], [cost, theano.grad(cost, w)])
    results["cytensor"] = median_time(lambda: f(images, filters))

    torch = _try_import("torch")
    if torch is not None:
        xt = torch.from_numpy(images)

        def torch_step():
            wt = torch.from_numpy(filters).requires_grad_()
            out = torch.nn.functional.max_pool2d(
                torch.tanh(torch.nn.functional.conv2d(xt, wt.flip(2, 3))), 2).sum()
            return torch.autograd.grad(out, wt)
        results["torch"] = median_time(torch_step)
    jax = _try_import("jax")
    if jax is not None:
        import jax.numpy as jnp

        def layer(w, x):
            y = jax.lax.conv_general_dilated(x, w[:, :, ::-1, ::-1], (1, 1), "VALID")
            pooled = jax.lax.reduce_window(jnp.tanh(y), -jnp.inf, jax.lax.max,
                                           (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            return pooled.sum()
        grad = jax.jit(jax.value_and_grad(layer))
        xj, wj = jnp.asarray(images), jnp.asarray(filters)
        results["jax"] = median_time(lambda: jax.block_until_ready(grad(wj, xj)))
    report("D3: LeNet layer 64x1x28x28, 20 5x5 filters, tanh, max pool; forward + d/dW",
           results)


# ---------------------------------------------------------------------------
# D4: the digits demo
# ---------------------------------------------------------------------------


def bench_demo():
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cytensor.examples.digits", "--out",
                           "digits_out"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    summary = done.stdout[done.stdout.find("test accuracy"):].strip()
    print(f"D4: digits demo, all three models: {elapsed:.1f} s wall (target < 60 s)\n"
          + "\n".join("  " + line for line in summary.splitlines()))


CASES = {"D1": lambda: bench_mlp("D1", 784, 500, 128), "D2": lambda: bench_mlp("D2", 64, 100, 32),
         "D3": bench_lenet_layer, "D4": bench_demo}

if __name__ == "__main__":
    import os
    print(f"cytensor threads: {theano.kernels.get_num_threads()}, cores: {os.cpu_count()}, "
          f"load average: {os.getloadavg()[0]:.1f}")
    for case in sys.argv[1:] or CASES:
        CASES[case]()
