"""Recurrent nets of issue 15: one training step through scan, side by side.

    python benchmarks/bench_recurrent.py [--rounds N] [--threads N] [--sizes 128 512]
                                         [--kinds rnn lstm] [--seconds-per-round S]

R  vanilla RNN   h_t = tanh(x_t Wx + h_{t-1} Wh + b)
L  LSTM          z_t = x_t Wx + h_{t-1} Wh + b, gates i f g o (as torch.nn.LSTM),
                 c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)

B = 32, T = 50, input size = H, float32; the loss is mean(h_t ** 2) over every
step, and a step is forward + gradient + SGD on every weight.

Implementations, all in this one process, timed in alternation (each round
times each in turn; the figure is the median over rounds, so a load that
comes and goes hits all alike): cytensor ``scan``, JAX ``lax.scan`` under
``jit``, a PyTorch loop by hand (autograd), and ``torch.nn.RNN`` /
``torch.nn.LSTM``.  All run on the same number of threads (``--threads``,
default 1): cytensor's kernels and its BLAS, torch.set_num_threads, and
XLA's CPU thread flags, set before jax is imported.  The issue's targets
are printed with met / not met, and the load with ``uptime``.  A peer that
is not installed is left out (its targets "not measured").
"""
import argparse
import os
import subprocess

import numpy as np

from _timing import interleaved_medians

LR = np.float32(0.01)
BATCH, STEPS = 32, 50


def model_data(kind, hidden, seed=0):
    """Initial weights {Wx, Wh, b} (4 gate blocks i f g o for the LSTM) and
    the input sequence (T, B, H)."""
    rng = np.random.default_rng(seed)
    width = hidden * (4 if kind == "lstm" else 1)
    scale = np.float32(1.0 / np.sqrt(hidden))
    params = {"Wx": (rng.standard_normal((hidden, width)) * scale).astype("float32"),
              "Wh": (rng.standard_normal((hidden, width)) * scale).astype("float32"),
              "b": np.zeros(width, "float32")}
    x = rng.standard_normal((STEPS, BATCH, hidden)).astype("float32")
    return params, x


# ---------------------------------------------------------------------------
# The two cells, once per library
# ---------------------------------------------------------------------------

def cytensor_step(kind, params, hidden):
    import cytensor
    import cytensor.tensor as T
    Wx, Wh, b = (cytensor.shared(params[k].copy(), name=k) for k in ("Wx", "Wh", "b"))
    x = T.ftensor3("x")
    zeros = T.alloc(np.float32(0), x.shape[1], hidden)
    if kind == "rnn":
        hs, _ = cytensor.scan(lambda x_t, h: T.tanh(T.dot(x_t, Wx) + T.dot(h, Wh) + b),
                              sequences=x, outputs_info=zeros, name="rnn")
    else:
        def cell(x_t, h, c):
            z = T.dot(x_t, Wx) + T.dot(h, Wh) + b
            i, f = T.nnet.sigmoid(z[:, :hidden]), T.nnet.sigmoid(z[:, hidden:2 * hidden])
            g, o = T.tanh(z[:, 2 * hidden:3 * hidden]), T.nnet.sigmoid(z[:, 3 * hidden:])
            c_new = f * c + i * g
            return o * T.tanh(c_new), c_new
        (hs, _), _ = cytensor.scan(cell, sequences=x, outputs_info=[zeros, zeros], name="lstm")
    loss = T.mean(hs ** 2)
    weights = [Wx, Wh, b]
    grads = cytensor.grad(loss, weights)
    return cytensor.function([x], loss, updates=[(w, w - LR * g) for w, g in zip(weights, grads)])


def jax_step(kind, params, hidden):
    import jax
    import jax.numpy as jnp

    def cell(carry, x_t, p):
        if kind == "rnn":
            h = jnp.tanh(x_t @ p["Wx"] + carry @ p["Wh"] + p["b"])
            return h, h
        h, c = carry
        z = x_t @ p["Wx"] + h @ p["Wh"] + p["b"]
        i, f, g, o = jnp.split(z, 4, axis=1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h

    def loss(p, x):
        h0 = jnp.zeros((x.shape[1], hidden), x.dtype)
        _, hs = jax.lax.scan(lambda carry, x_t: cell(carry, x_t, p), h0 if kind == "rnn"
                             else (h0, h0), x)
        return jnp.mean(hs ** 2)

    @jax.jit
    def train(p, x):
        value, grads = jax.value_and_grad(loss)(p, x)
        return value, {k: p[k] - LR * grads[k] for k in p}

    state = {"p": {k: jnp.asarray(v) for k, v in params.items()}}

    def step(x):
        value, state["p"] = train(state["p"], x)
        return float(value)       # waits for the result
    return step


def torch_loop_step(kind, params, hidden):
    import torch
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}

    def step(x):
        x = torch.from_numpy(x)
        h = c = torch.zeros(x.shape[1], hidden)
        hs = []
        for x_t in x:
            z = x_t @ p["Wx"] + h @ p["Wh"] + p["b"]
            if kind == "rnn":
                h = torch.tanh(z)
            else:
                i, f, g, o = z.chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
        loss = (torch.stack(hs) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for v in p.values():
                v -= float(LR) * v.grad
                v.grad = None
        return loss.item()
    return step


def torch_module_step(kind, params, hidden):
    """torch.nn.RNN / torch.nn.LSTM holding the same weights (its second bias 0)."""
    import torch
    module = (torch.nn.RNN if kind == "rnn" else torch.nn.LSTM)(hidden, hidden)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(params["Wx"].T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(params["Wh"].T.copy()))
        module.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
        module.bias_hh_l0.zero_()
    weights = list(module.parameters())

    def step(x):
        hs, _ = module(torch.from_numpy(x))
        loss = (hs ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for v in weights:
                v -= float(LR) * v.grad
                v.grad = None
        return loss.item()
    return step


# ---------------------------------------------------------------------------
# Checking the implementations agree (timing: _timing.interleaved_medians)
# ---------------------------------------------------------------------------

def check_same_losses(steps, x):
    """Every implementation's first loss agrees (the same model, the same data)."""
    losses = {name: step(x) for name, step in steps.items()}
    first = losses["cytensor"]
    for name, loss in losses.items():
        if not np.isclose(loss, first, rtol=1e-3):
            raise AssertionError(f"{name} gives loss {loss}, cytensor {first}")


TARGETS = {"jax": 1.0, "torch.nn": 1.5}      # the issue's: cytensor / peer at most


def installed(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def set_threads(n):
    """The same number of threads for every library; XLA's before jax loads."""
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=" + ("false" if n == 1 else "true")
                               + f" intra_op_parallelism_threads={n}")
    import cytensor.kernels
    cytensor.kernels.set_num_threads(n)
    if installed("torch"):
        import torch
        torch.set_num_threads(n)
        torch.set_num_interop_threads(n)
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl.threadpool_limits(n)     # every BLAS loaded so far


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--kinds", nargs="+", default=["rnn", "lstm"])
    parser.add_argument("--seconds-per-round", type=float, default=0.15)
    args = parser.parse_args()
    limits = set_threads(args.threads)
    print(f"{uptime()}; {os.cpu_count()} CPUs, {args.threads} thread(s) each")
    makers = {"cytensor": cytensor_step}
    if installed("jax"):       # (imported after the XLA flags)
        makers["jax"] = jax_step
    if installed("torch"):
        makers.update({"torch loop": torch_loop_step, "torch.nn": torch_module_step})
    verdicts = []
    for kind in args.kinds:
        for hidden in args.sizes:
            params, x = model_data(kind, hidden)
            steps = {name: make(kind, params, hidden) for name, make in makers.items()}
            check_same_losses(steps, x)
            medians = interleaved_medians(steps, (x,), args.rounds,
                                          seconds_per_round=args.seconds_per_round)
            case = f"{kind.upper()} H={hidden} B={BATCH} T={STEPS} fwd+grad+SGD"
            print(case)
            ours = medians["cytensor"]
            for name, t in medians.items():
                ratio = "" if name == "cytensor" else f"   cytensor / {name} = {ours / t:.2f}"
                print(f"  {name:>10}: {t * 1e3:8.2f} ms{ratio}")
            for peer, limit in TARGETS.items():
                if peer not in medians:
                    verdicts.append(f"{case}: <= {limit}x {peer}: not measured ({peer} missing)")
                    continue
                ratio = ours / medians[peer]
                verdict = "met" if ratio <= limit else "NOT met"
                verdicts.append(f"{case}: <= {limit}x {peer}: {ratio:.2f} {verdict}")
    print("targets (issue 15):")
    for line in verdicts:
        print("  " + line)
    print(f"at the end: {uptime()}")
    if limits is not None:
        limits.unregister()


if __name__ == "__main__":
    main()
