"""The GPU check: the CUDA tests, the digits demo and benchmarks beside PyTorch.

Run on a machine with an NVIDIA GPU, from a checkout::

    pip install -e ".[cuda,test,examples]" torch   # or: pip install cupy-cuda12x
    python benchmarks/gpu_check.py [--quick] [--skip-tests] [--skip-demo]

In one process it names the GPU, measures its copy bandwidth, then runs

1. the tests marked ``cuda`` (``pytest -m cuda tests``), in a subprocess;
2. the digits demo with ``CYTENSOR_FLAGS=device=cuda,floatX=float32``, in a
   subprocess (logistic regression and the MLP, 2 epochs);
3. benchmarks, cytensor on ``device=cuda`` beside PyTorch eager on the same
   GPU, float32, interleaved rounds, medians:
   E1 ``exp(a) * b + log(c) ** 2`` over 10^8 elements (with its time
   against what the copy bandwidth allows for 3 reads and 1 write), the D1
   MLP SGD step (784-500-10) at batch 128 and 1024, the LeNet5 SGD step at
   batch 500, the LSTM H=512 B=64 T=50 forward and gradient step.

It names the ops that ran on the CPU instead (the backend's fallbacks) for
each case, and ends with a table of ratios to PyTorch and the issue's
targets.  Without CuPy or a GPU it stops at once, saying which is missing.
Sized to finish in about 5 minutes on a current GPU (``--quick``: 2).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
# ratio targets to PyTorch eager on the same GPU (issue 13)
TARGETS = {"E1": 1.0, "D1-1024": 1.2, "LeNet5-500": 1.5, "LSTM": 1.5}
BANDWIDTH_TARGET = 1.3


def require_gpu():
    """(cupy, torch, the GPU's name); exit with a clear message without them."""
    try:
        import cupy
    except ImportError as exc:
        sys.exit(f"gpu_check: CuPy is not installed ({exc}): pip install 'cytensor[cuda]' "
                 "(or pip install cupy-cuda12x)")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError as exc:
        sys.exit(f"gpu_check: no CUDA device ({exc})")
    if count == 0:
        sys.exit("gpu_check: no CUDA device (CuPy sees none)")
    try:
        import torch
    except ImportError:
        torch = None
        print("gpu_check: PyTorch is not installed: no ratios (pip install torch)")
    if torch is not None and not torch.cuda.is_available():
        print("gpu_check: this PyTorch has no CUDA: no ratios")
        torch = None
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    return cupy, torch, name.decode() if isinstance(name, bytes) else name


def median_ms(calls, rounds, per_round):
    """{label: median ms of one call} over interleaved rounds; each call
    synchronises its device itself."""
    times = {label: [] for label in calls}
    for fn in calls.values():
        fn()                                    # compile, allocate, warm up
    for _ in range(rounds):
        for label, fn in calls.items():
            start = time.perf_counter()
            for _ in range(per_round):
                fn()
            times[label].append((time.perf_counter() - start) / per_round * 1e3)
    return {label: statistics.median(t) for label, t in times.items()}


def copy_bandwidth(cupy, n=10**8):
    """Bytes per second of a device-to-device copy of n float32 (read + write)."""
    a = cupy.ones(n, "float32")
    b = cupy.empty_like(a)

    def copy():
        b[...] = a
        cupy.cuda.Device().synchronize()
    ms = median_ms({"copy": copy}, 5, 5)["copy"]
    return 2 * a.nbytes / (ms / 1e3)


def run_step(label, command, env, timeout):
    print(f"\n== {label}: {' '.join(command)}", flush=True)
    start = time.perf_counter()
    try:
        result = subprocess.run(command, cwd=ROOT, env=env, timeout=timeout)
        status = "passed" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    except subprocess.TimeoutExpired:
        status = f"FAILED (over {timeout} s)"
    print(f"== {label}: {status} in {time.perf_counter() - start:.0f} s", flush=True)
    return status


def fallbacks(caught):
    """The ops the device could not run, from the backend's warnings."""
    return sorted({str(w.message).split(" (")[0].replace("cannot run ", "")
                   for w in caught if "runs on the CPU" in str(w.message)})


# ---------------------------------------------------------------------------
# The cases: (cytensor step, torch step), each synchronising its device
# ---------------------------------------------------------------------------

def e1_case(cupy, torch, theano, T, n):
    rng = cupy.random.default_rng(0)
    a, b, c = (rng.random(n, dtype="float32") + 0.5 for _ in range(3))
    va, vb, vc = (T.fvector(name) for name in "abc")
    f = theano.function([va, vb, vc], (T.exp(va) * vb + T.log(vc) ** 2).transfer("cuda"))

    def ours():
        f(a, b, c)
        cupy.cuda.Device().synchronize()
    if torch is None:
        return ours, None
    ta, tb, tc = (torch.as_tensor(x, device="cuda") for x in (a, b, c))

    def torch_step():
        torch.exp(ta) * tb + torch.log(tc) ** 2
        torch.cuda.synchronize()
    return ours, torch_step


def torch_sgd(torch, ps, value, lr=0.01):
    """One SGD step of PyTorch parameters ``ps`` on loss ``value``; waits for it."""
    for p, g in zip(ps, torch.autograd.grad(value, ps)):
        p.data -= lr * g
    value.item()


# The cytensor steps are bench_nnet's and bench_recurrent's, unchanged: with
# config.device = 'cuda' their shared variables live on the GPU.

def classifier_case(cupy, torch, f, params, x, y, torch_logits):
    """(cytensor's step, PyTorch's) for a classifier trained by SGD on (x, y):
    ``f`` the compiled cytensor step, ``torch_logits(F, tx, ps)`` the same
    model in PyTorch."""
    dx, dy = cupy.asarray(x), cupy.asarray(y)

    def ours():
        f(dx, dy)                   # the loss comes back to the host: a synchronisation
    if torch is None:
        return ours, None
    F = torch.nn.functional
    ps = [torch.tensor(p, device="cuda", requires_grad=True) for p in params]
    tx, ty = torch.as_tensor(x, device="cuda"), torch.as_tensor(y, device="cuda").long()

    def torch_step():
        torch_sgd(torch, ps, F.cross_entropy(torch_logits(F, tx, ps), ty))
    return ours, torch_step


def mlp_case(cupy, torch, theano, T, batch):
    from bench_nnet import cytensor_mlp, mlp_data
    params, x, y = mlp_data(784, 500, batch)

    def logits(F, tx, ps):
        return torch.tanh(tx @ ps[0] + ps[1]) @ ps[2] + ps[3]
    return classifier_case(cupy, torch, cytensor_mlp(params), params, x, y, logits)


def lenet5_case(cupy, torch, theano, T, batch):
    from bench_nnet import cytensor_lenet5, lenet5_params
    params = lenet5_params()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28)).astype("float32")
    y = rng.integers(0, 10, batch).astype("int32")

    def logits(F, tx, ps):
        h = F.max_pool2d(torch.tanh(F.conv2d(tx, ps[0], ps[1])), 2)
        h = F.max_pool2d(torch.tanh(F.conv2d(h, ps[2], ps[3])), 2)
        h = torch.tanh(h.flatten(1) @ ps[4] + ps[5])
        return h @ ps[6] + ps[7]
    return classifier_case(cupy, torch, cytensor_lenet5(params), params, x, y, logits)


def lstm_case(cupy, torch, theano, T, hidden=512, batch=64, steps=50):
    from bench_recurrent import cytensor_step, model_data
    params, _ = model_data("lstm", hidden)
    x = np.random.default_rng(0).standard_normal((steps, batch, hidden)).astype("float32")
    f = cytensor_step("lstm", params, hidden)
    dx = cupy.asarray(x)

    def ours():
        f(dx)
    if torch is None:
        return ours, None
    p = [torch.tensor(params[k], device="cuda", requires_grad=True) for k in ("Wx", "Wh", "b")]
    tx = torch.as_tensor(x, device="cuda")

    def torch_step():
        h = c = torch.zeros(batch, hidden, device="cuda")
        hs = []
        for x_t in tx:
            i, f_, g, o = (x_t @ p[0] + h @ p[1] + p[2]).chunk(4, dim=1)
            c = torch.sigmoid(f_) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
        torch_sgd(torch, p, (torch.stack(hs) ** 2).mean())
    return ours, torch_step


def benchmarks(cupy, torch, bandwidth, quick):
    import cytensor as theano
    import cytensor.tensor as T
    theano.config.floatX = "float32"
    theano.config.device = "cuda"
    rounds, per_round = (3, 2) if quick else (7, 3)
    cases = [("E1", lambda: e1_case(cupy, torch, theano, T, 10**7 if quick else 10**8)),
             ("D1-128", lambda: mlp_case(cupy, torch, theano, T, 128)),
             ("D1-1024", lambda: mlp_case(cupy, torch, theano, T, 1024)),
             ("LeNet5-500", lambda: lenet5_case(cupy, torch, theano, T, 500)),
             ("LSTM", lambda: lstm_case(cupy, torch, theano, T))]
    rows = []
    for label, make in cases:
        print(f"\n== {label}", flush=True)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ours, theirs = make()
                calls = {"cytensor": ours} if theirs is None else {"cytensor": ours,
                                                                    "torch": theirs}
                ms = median_ms(calls, rounds, per_round)
        except Exception as exc:            # one case failing must not hide the others
            print(f"   FAILED: {type(exc).__name__}: {exc}")
            rows.append((label, None, None, f"FAILED: {type(exc).__name__}"))
            continue
        moved = fallbacks(caught)
        if moved:
            print("   ran on the CPU: " + "; ".join(moved))
        note = f"{len(moved)} op(s) on the CPU" if moved else ""
        if label == "E1":
            n = 10**7 if quick else 10**8
            limit_ms = 4 * 4 * n / bandwidth * 1e3
            note += f" {ms['cytensor'] / limit_ms:.2f}x the bandwidth limit " \
                    f"({limit_ms:.2f} ms; target {BANDWIDTH_TARGET}x)"
        rows.append((label, ms["cytensor"], ms.get("torch"), note))
        print(f"   cytensor {ms['cytensor']:.3f} ms" +
              (f", torch {ms['torch']:.3f} ms" if "torch" in ms else ""), flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller E1, fewer rounds")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    cupy, torch, gpu = require_gpu()
    bandwidth = copy_bandwidth(cupy)
    print(f"GPU: {gpu}; CuPy {cupy.__version__}; "
          f"torch {torch.__version__ if torch else 'absent'}; "
          f"measured copy bandwidth {bandwidth / 1e9:.0f} GB/s", flush=True)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    steps = {}
    if not args.skip_tests:
        steps["cuda tests"] = run_step("cuda tests", [sys.executable, "-m", "pytest", "-q",
                                                      "-m", "cuda", "tests"], env, 240)
    if not args.skip_demo:
        demo_env = dict(env, CYTENSOR_FLAGS="device=cuda,floatX=float32")
        for model in ("logreg", "mlp"):
            steps[f"digits {model}"] = run_step(
                f"digits demo, {model}, device=cuda",
                [sys.executable, "-m", "cytensor.examples.digits", "--model", model,
                 "--epochs", "2", "--out", os.path.join(ROOT, "gpu_check_out")], demo_env, 150)
    rows = benchmarks(cupy, torch, bandwidth, args.quick)
    print(f"\n== Summary on {gpu} (float32; medians of interleaved rounds)")
    for label, status in steps.items():
        print(f"  {label:<14} {status}")
    print(f"  {'case':<11} {'cytensor ms':>12} {'torch ms':>10} {'ratio':>7} {'target':>7}  note")
    for label, ours, theirs, note in rows:
        ratio = ours / theirs if ours and theirs else None
        target = TARGETS.get(label)
        print(f"  {label:<11} {ours or float('nan'):12.3f} {theirs or float('nan'):10.3f} "
              f"{ratio or float('nan'):7.2f} {target or float('nan'):7.2f}  {note}")


if __name__ == "__main__":
    main()
