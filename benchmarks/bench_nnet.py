"""Deep-learning benchmarks D1-D8, cytensor beside its peers.

    python benchmarks/bench_nnet.py [D1 ... D8]

D1  one SGD step, MLP 784-500-10 (tanh, softmax crossentropy), batch 128, float32
D2  the same step for a small MLP 64-100-10, batch 32 (per-call overhead)
D3  LeNet's first layer: 64x1x28x28 images, 20 5x5 filters, tanh, 2x2 max pool,
    sum; forward and gradient with respect to the filters
D4  the digits demo, all three models (python -m cytensor.examples.digits)
D5  LeNet5 SGD step (20@5x5, pool, 50@5x5, pool, 500 tanh, softmax), batch 64 and 500
D6  a CIFAR-shaped conv layer: 64x32x32x32 images, 64 3x3 filters 'half'; forward
    and both gradients
D7  max pooling 2x2/2 and 3x3/2 of 64x64x32x32, forward and gradient
D8  softmax over long rows (256 x 10000), forward and gradient

D5-D8 run the contestants in interleaved rounds (each round times every one
once) and print medians, with PyTorch set to cytensor's thread count.

Peers run in the same process when installed: NumPy by hand, PyTensor,
PyTorch (eager), JAX (jit).  Each prints the median of several repeats and
the ratio cytensor / peer.
"""
import subprocess
import sys
import time

import numpy as np

from _timing import interleaved_medians, median_time
import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.signal.pool import pool_2d


def _torch_same_threads():
    """torch, using as many threads as cytensor (None when not installed)."""
    torch = _try_import("torch")
    if torch is not None:
        torch.set_num_threads(theano.kernels.get_num_threads())
    return torch


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


# ---------------------------------------------------------------------------
# D5: LeNet5 training step
# ---------------------------------------------------------------------------


def lenet5_params(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(20, 1, 5, 5), (20,), (50, 20, 5, 5), (50,), (800, 500), (500,), (500, 10),
              (10,)]
    return [(rng.standard_normal(s) * (0.05 if len(s) > 1 else 0.0)).astype("float32")
            for s in shapes]


def cytensor_lenet5(params, lr=0.01):
    shared = [theano.shared(p.copy()) for p in params]
    w1, b1, w2, b2, w3, b3, w4, b4 = shared
    x, y = T.ftensor4("x"), T.ivector("y")
    h1 = pool_2d(T.tanh(T.nnet.conv2d(x, w1) + b1.dimshuffle("x", 0, "x", "x")), (2, 2),
                 ignore_border=True)
    h2 = pool_2d(T.tanh(T.nnet.conv2d(h1, w2) + b2.dimshuffle("x", 0, "x", "x")), (2, 2),
                 ignore_border=True)
    h3 = T.tanh(T.dot(h2.flatten(2), w3) + b3)
    p_y = T.nnet.softmax(T.dot(h3, w4) + b4)
    loss = T.mean(T.nnet.categorical_crossentropy(p_y, y))
    grads = theano.grad(loss, shared)
    f = theano.function([x, y], loss, updates=[(p, p - np.float32(lr) * g)
                                               for p, g in zip(shared, grads)])
    return f


def torch_lenet5(params, lr=0.01):
    torch = _torch_same_threads()
    if torch is None:
        return None
    F = torch.nn.functional
    ps = [torch.tensor(p, requires_grad=True) for p in params]

    def step(x, y):
        x, y = torch.from_numpy(x), torch.from_numpy(y).long()
        h = F.max_pool2d(torch.tanh(F.conv2d(x, ps[0], ps[1])), 2)
        h = F.max_pool2d(torch.tanh(F.conv2d(h, ps[2], ps[3])), 2)
        h = torch.tanh(h.flatten(1) @ ps[4] + ps[5])
        loss = F.cross_entropy(h @ ps[6] + ps[7], y)
        grads = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, g in zip(ps, grads):
                p -= lr * g
        return loss.item()
    return step


def _jax_pool(a):
    import jax
    return jax.lax.reduce_window(a, -np.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")


def jax_lenet5(params, lr=0.01):
    jax = _try_import("jax")
    if jax is None:
        return None
    import jax.numpy as jnp

    def conv(a, w, b):
        return jax.lax.conv_general_dilated(a, w, (1, 1), "VALID") + b[None, :, None, None]

    def loss_fn(ps, x, y):
        h = _jax_pool(jnp.tanh(conv(x, ps[0], ps[1])))
        h = _jax_pool(jnp.tanh(conv(h, ps[2], ps[3])))
        h = jnp.tanh(h.reshape(h.shape[0], -1) @ ps[4] + ps[5])
        logp = jax.nn.log_softmax(h @ ps[6] + ps[7])
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


def bench_lenet5(batches=(64, 500)):
    params = lenet5_params()
    rng = np.random.default_rng(1)
    for batch in batches:
        x = rng.standard_normal((batch, 1, 28, 28)).astype("float32")
        y = rng.integers(0, 10, batch).astype("int32")
        steps = {}
        for name, make in (("cytensor", cytensor_lenet5), ("torch", torch_lenet5),
                           ("jax", jax_lenet5)):
            step = make(params)
            if step is not None:
                steps[name] = (lambda s: lambda: s(x, y))(step)
        report(f"D5: LeNet5 SGD step, batch {batch}, float32 (targets: <= 0.9x torch, "
               f"<= 1.0x jax)", interleaved_medians(steps, rounds=7))


# ---------------------------------------------------------------------------
# D6: a CIFAR-shaped convolution layer, forward and both gradients
# ---------------------------------------------------------------------------


def bench_conv_layer(n=64, c=32, f=64, size=32, k=3):
    rng = np.random.default_rng(0)
    images = rng.standard_normal((n, c, size, size)).astype("float32")
    filters = (rng.standard_normal((f, c, k, k)) * 0.1).astype("float32")
    steps = {}
    x, w = T.ftensor4("x"), T.ftensor4("w")
    out = T.nnet.conv2d(x, w, border_mode="half", filter_flip=False)
    cost = (out * out).sum()
    grads = theano.grad(cost, [x, w])
    fwd = theano.function([x, w], out)
    both = theano.function([x, w], grads)
    steps["cytensor"] = lambda: both(images, filters)
    fwd_steps = {"cytensor": lambda: fwd(images, filters)}
    torch = _torch_same_threads()
    if torch is not None:
        xt, wt = torch.from_numpy(images), torch.from_numpy(filters)

        def torch_step():
            xg, wg = xt.clone().requires_grad_(), wt.clone().requires_grad_()
            o = torch.nn.functional.conv2d(xg, wg, padding=k // 2)
            return torch.autograd.grad((o * o).sum(), [xg, wg])
        steps["torch"] = torch_step
        fwd_steps["torch"] = lambda: torch.nn.functional.conv2d(xt, wt, padding=k // 2)
    jax = _try_import("jax")
    if jax is not None:
        import jax.numpy as jnp

        def layer(a, b):
            return jax.lax.conv_general_dilated(a, b, (1, 1), "SAME")
        grad = jax.jit(jax.grad(lambda a, b: (layer(a, b) ** 2).sum(), argnums=(0, 1)))
        jfwd = jax.jit(layer)
        xj, wj = jnp.asarray(images), jnp.asarray(filters)
        steps["jax"] = lambda: jax.block_until_ready(grad(xj, wj))
        fwd_steps["jax"] = lambda: jax.block_until_ready(jfwd(xj, wj))
    shape = f"{n}x{c}x{size}x{size}, {f} {k}x{k} filters 'half'"
    report(f"D6: conv layer {shape}, forward", interleaved_medians(fwd_steps, rounds=5))
    report(f"D6: conv layer {shape}, forward + d/dx + d/dW (target: <= 1.0x torch)",
           interleaved_medians(steps, rounds=5))


# ---------------------------------------------------------------------------
# D7 / D8: max pooling and softmax kernels
# ---------------------------------------------------------------------------


def bench_pool(shape=(64, 64, 32, 32)):
    rng = np.random.default_rng(0)
    images = rng.standard_normal(shape).astype("float32")
    torch = _torch_same_threads()
    jax = _try_import("jax")
    for ws, st in (((2, 2), (2, 2)), ((3, 3), (2, 2))):
        x = T.ftensor4("x")
        pooled = pool_2d(x, ws, ignore_border=True, stride=st)
        fwd = theano.function([x], pooled)
        both = theano.function([x], theano.grad(pooled.sum(), x))
        fwd_steps = {"cytensor": lambda: fwd(images)}
        steps = {"cytensor": lambda: both(images)}
        if torch is not None:
            xt = torch.from_numpy(images)

            def torch_step(ws=ws, st=st):
                xg = xt.clone().requires_grad_()
                return torch.autograd.grad(
                    torch.nn.functional.max_pool2d(xg, ws, st).sum(), xg)
            fwd_steps["torch"] = (lambda ws, st: lambda: torch.nn.functional.max_pool2d(
                xt, ws, st))(ws, st)
            steps["torch"] = torch_step
        if jax is not None:
            import jax.numpy as jnp
            xj = jnp.asarray(images)
            window, strides = (1, 1) + ws, (1, 1) + st

            def jpool(a, window=window, strides=strides):
                return jax.lax.reduce_window(a, -np.inf, jax.lax.max, window, strides,
                                             "VALID")
            jf, jg = jax.jit(jpool), jax.jit(jax.grad(lambda a, p=jpool: p(a).sum()))
            fwd_steps["jax"] = lambda jf=jf: jax.block_until_ready(jf(xj))
            steps["jax"] = lambda jg=jg: jax.block_until_ready(jg(xj))
        name = f"D7: max pool {ws[0]}x{ws[1]}/{st[0]} of {'x'.join(map(str, shape))}"
        report(f"{name}, forward", interleaved_medians(fwd_steps))
        report(f"{name}, gradient", interleaved_medians(steps))


def bench_softmax(shape=(256, 10000)):
    rng = np.random.default_rng(0)
    z = rng.standard_normal(shape).astype("float32")
    dy = rng.standard_normal(shape).astype("float32")
    x, g = T.fmatrix("x"), T.fmatrix("g")
    sm = T.nnet.softmax(x)
    fwd = theano.function([x], sm)
    both = theano.function([x, g], theano.grad((sm * g).sum(), x))
    fwd_steps = {"cytensor": lambda: fwd(z)}
    steps = {"cytensor": lambda: both(z, dy)}
    torch = _torch_same_threads()
    if torch is not None:
        zt, gt = torch.from_numpy(z), torch.from_numpy(dy)

        def torch_step():
            zg = zt.clone().requires_grad_()
            return torch.autograd.grad((torch.softmax(zg, 1) * gt).sum(), zg)
        fwd_steps["torch"] = lambda: torch.softmax(zt, 1)
        steps["torch"] = torch_step
    jax = _try_import("jax")
    if jax is not None:
        import jax.numpy as jnp
        zj, gj = jnp.asarray(z), jnp.asarray(dy)
        jf = jax.jit(lambda a: jax.nn.softmax(a, axis=1))
        jg = jax.jit(jax.grad(lambda a, b: (jax.nn.softmax(a, axis=1) * b).sum()))
        fwd_steps["jax"] = lambda: jax.block_until_ready(jf(zj))
        steps["jax"] = lambda: jax.block_until_ready(jg(zj, gj))
    name = f"D8: softmax of {shape[0]}x{shape[1]} float32"
    report(f"{name}, forward", interleaved_medians(fwd_steps))
    report(f"{name}, forward + gradient", interleaved_medians(steps))


CASES = {"D1": lambda: bench_mlp("D1", 784, 500, 128), "D2": lambda: bench_mlp("D2", 64, 100, 32),
         "D3": bench_lenet_layer, "D4": bench_demo, "D5": bench_lenet5,
         "D6": bench_conv_layer, "D7": bench_pool, "D8": bench_softmax}

if __name__ == "__main__":
    import os
    print(f"cytensor threads: {theano.kernels.get_num_threads()}, cores: {os.cpu_count()}, "
          f"load average: {os.getloadavg()[0]:.1f}")
    if any(arg.startswith("-") for arg in sys.argv[1:]) \
            or not set(sys.argv[1:]) <= set(CASES):
        print(__doc__)
        sys.exit(0 if sys.argv[1:] in (["-h"], ["--help"]) else 2)
    for case in sys.argv[1:] or CASES:
        CASES[case]()
