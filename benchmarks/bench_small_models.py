"""The small models of issue 15, with the loss written as the book writes it.

    python benchmarks/bench_small_models.py [--rounds N]

S1  one SGD step, MLP 64-100-10 (tanh), batch 32,
    loss ``-T.mean(T.log(p)[T.arange(y.shape[0]), y])``
S2  the book's logistic regression step 784-10, batch 600
S3  the book's MLP 784-500-10 with ``L1_reg * L1 + L2_reg * L2_sqr``
    (L1_reg = 0.0, L2_reg = 0.0001 as in the book), batch 20

All float32.  Every implementation runs in this one process, in
alternation: each round times a batch of calls of each in turn, and the
figure printed is the median over rounds, so a load that comes and goes
hits all of them alike.  Peers: NumPy by hand (always), PyTensor and
PyTorch (eager) when installed.  The issue's targets are printed with
met / not met.
"""
import argparse
import os

import numpy as np

from _timing import interleaved_medians

import cytensor
import cytensor.tensor as T

LR = np.float32(0.01)


def _try_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


# ---------------------------------------------------------------------------
# Data and the three models, written once per library
# ---------------------------------------------------------------------------

def model_data(n_in, n_hidden, batch, seed=0):
    """Initial parameters [W1, b1, W2, b2] (or [W, b] without a hidden layer),
    inputs and labels."""
    rng = np.random.default_rng(seed)
    sizes = [n_in] + ([n_hidden] if n_hidden else []) + [10]
    params = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        params += [(rng.standard_normal((fan_in, fan_out)) * 0.05).astype("float32"),
                   np.zeros(fan_out, "float32")]
    x = rng.standard_normal((batch, n_in)).astype("float32")
    y = rng.integers(0, 10, batch).astype("int32")
    return params, x, y


def symbolic_step(lib, grad, function, shared, params, l1, l2):
    """The book's step for a Theano-style library (cytensor or PyTensor)."""
    T_ = lib.tensor
    variables = [shared(p.copy()) for p in params]
    x, y = T_.fmatrix("x"), T_.ivector("y")
    layer = x
    for W, b in zip(variables[:-2:2], variables[1:-2:2]):
        layer = T_.tanh(T_.dot(layer, W) + b)
    softmax = T_.nnet.softmax if hasattr(T_, "nnet") and hasattr(T_.nnet, "softmax") \
        else (lambda z: T_.special.softmax(z, axis=-1))
    p_y = softmax(T_.dot(layer, variables[-2]) + variables[-1])
    cost = -T_.mean(T_.log(p_y)[T_.arange(y.shape[0]), y])
    weights = variables[::2]
    if l1 is not None:
        L1 = sum(abs(W).sum() for W in weights)
        L2_sqr = sum((W ** 2).sum() for W in weights)
        cost = cost + l1 * L1 + l2 * L2_sqr
    grads = grad(cost, variables)
    return function([x, y], cost, updates=[(v, v - LR * g) for v, g in zip(variables, grads)])


def cytensor_step(params, l1=None, l2=None):
    return symbolic_step(cytensor, cytensor.grad, cytensor.function, cytensor.shared,
                         params, l1, l2)


def pytensor_step(params, l1=None, l2=None):
    pytensor = _try_import("pytensor")
    if pytensor is None:
        return None
    import pytensor.tensor  # noqa: F401  (the attribute symbolic_step reads)
    return symbolic_step(pytensor, pytensor.grad, pytensor.function, pytensor.shared,
                         params, l1, l2)


def numpy_step(params, l1=None, l2=None):
    """The same step written by hand: forward, backward, in-place SGD."""
    state = [p.copy() for p in params]
    weights = state[::2]

    def step(x, y):
        layers = [x]
        for W, b in zip(state[:-2:2], state[1:-2:2]):
            layers.append(np.tanh(layers[-1] @ W + b))
        z = layers[-1] @ state[-2] + state[-1]
        z -= z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        rows = np.arange(len(y))
        cost = -logp[rows, y].mean()
        if l1 is not None:
            if l1:
                cost += l1 * sum(np.abs(W).sum() for W in weights)
            cost += l2 * sum((W * W).sum() for W in weights)
        dz = np.exp(logp)
        dz[rows, y] -= 1
        dz /= len(y)
        for i in range(len(layers) - 1, -1, -1):
            W, b = state[2 * i], state[2 * i + 1]
            dW, db = layers[i].T @ dz, dz.sum(0)
            if l1 is not None:
                dW += (2 * l2) * W
                if l1:
                    dW += l1 * np.sign(W)
            if i:                       # the layer below's gradient, before W changes
                dz = (dz @ W.T) * (1 - layers[i] * layers[i])
            W -= LR * dW
            b -= LR * db
        return cost
    return step


def torch_step(params, l1=None, l2=None):
    torch = _try_import("torch")
    if torch is None:
        return None
    variables = [torch.tensor(p, requires_grad=True) for p in params]

    def step(x, y):
        layer = torch.from_numpy(x)
        for W, b in zip(variables[:-2:2], variables[1:-2:2]):
            layer = torch.tanh(layer @ W + b)
        p_y = torch.softmax(layer @ variables[-2] + variables[-1], dim=1)
        cost = -torch.log(p_y)[torch.arange(len(y)), torch.from_numpy(y).long()].mean()
        if l1 is not None:
            weights = variables[::2]
            cost = cost + l1 * sum(W.abs().sum() for W in weights) \
                + l2 * sum((W ** 2).sum() for W in weights)
        grads = torch.autograd.grad(cost, variables)
        with torch.no_grad():
            for v, g in zip(variables, grads):
                v -= float(LR) * g
        return cost.item()
    return step


# ---------------------------------------------------------------------------
# Checking the implementations agree (timing: _timing.interleaved_medians)
# ---------------------------------------------------------------------------

def check_same_losses(steps, args):
    """Every implementation's first loss agrees (the same model, the same data)."""
    losses = {name: float(step(*args)) for name, step in steps.items()}
    first = next(iter(losses.values()))
    for name, loss in losses.items():
        if not np.isclose(loss, first, rtol=1e-3):
            raise AssertionError(f"{name} gives loss {loss}, cytensor {first}")


CASES = [
    # name, (n_in, n_hidden, batch), penalties, targets {peer: max ratio}
    ("S1 book-form MLP step 64-100-10, batch 32", (64, 100, 32), (None, None),
     {"pytensor": 0.7}),
    ("S2 book logistic regression step 784-10, batch 600", (784, 0, 600), (None, None),
     {"numpy": 1.0, "pytensor": 0.7}),
    ("S3 book MLP 784-500-10 with L1 + L2, batch 20", (784, 500, 20), (0.0, 0.0001),
     {"numpy": 1.0, "pytensor": 0.7}),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    print(f"load average {os.getloadavg()}, {os.cpu_count()} CPUs, "
          f"cytensor threads {cytensor.kernels.get_num_threads()}")
    verdicts = []
    for case, (n_in, n_hidden, batch), (l1, l2), targets in CASES:
        params, x, y = model_data(n_in, n_hidden, batch)
        steps = {}
        for name, make in (("cytensor", cytensor_step), ("numpy", numpy_step),
                           ("pytensor", pytensor_step), ("torch", torch_step)):
            step = make(params, l1, l2)
            if step is not None:
                steps[name] = step
        check_same_losses(steps, (x, y))
        medians = interleaved_medians(steps, (x, y), rounds)
        print(case)
        ours = medians["cytensor"]
        for name, t in medians.items():
            ratio = "" if name == "cytensor" else f"   cytensor / {name} = {ours / t:.2f}"
            print(f"  {name:>9}: {t * 1e6:10.1f} us{ratio}")
        for peer, limit in targets.items():
            if peer not in medians:
                verdicts.append(f"{case}: <= {limit}x {peer}: not measured ({peer} missing)")
                continue
            ratio = ours / medians[peer]
            verdict = "met" if ratio <= limit else "NOT met"
            verdicts.append(f"{case}: <= {limit}x {peer}: {ratio:.2f} {verdict}")
    print("targets (issue 15):")
    for line in verdicts:
        print("  " + line)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
