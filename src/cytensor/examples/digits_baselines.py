"""The digits models' training step written by hand, to time cytensor against.

``numpy_step(model, params, velocities, x, y, lr, momentum)`` is one SGD step
with momentum in plain NumPy: forward pass, the gradient worked out by hand
(backpropagation, through time for the RNN), and the update, exactly the
arithmetic of the cytensor graph (tests/examples/test_digits_baselines.py
checks one step against it).  ``torch_step_function`` builds the same step in
PyTorch when it is installed.  Parameters are dicts {name: float32 array}
keyed by the names the models give their shared variables.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _softmax_crossentropy(z, y):
    """Mean cross-entropy of softmax(z) against labels y, and its gradient in z."""
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    p[np.arange(n), y] -= 1
    return loss, p / np.float32(n)


def _dense_backward(x, dz, W):
    """Gradients of x @ W + b in W, b and x, given the gradient dz of the result."""
    return x.T @ dz, dz.sum(axis=0), dz @ W.T


def _logreg(p, x, y):
    flat = x.reshape(len(x), -1)
    loss, dz = _softmax_crossentropy(flat @ p["logreg.W"] + p["logreg.b"], y)
    dW, db, _ = _dense_backward(flat, dz, p["logreg.W"])
    return loss, {"logreg.W": dW, "logreg.b": db}


def _mlp(p, x, y):
    flat = x.reshape(len(x), -1)
    hidden = np.tanh(flat @ p["mlp.W1"] + p["mlp.b1"])
    loss, dz = _softmax_crossentropy(hidden @ p["mlp.W2"] + p["mlp.b2"], y)
    dW2, db2, dhidden = _dense_backward(hidden, dz, p["mlp.W2"])
    dW1, db1, _ = _dense_backward(flat, dhidden * (1 - hidden ** 2), p["mlp.W1"])
    return loss, {"mlp.W1": dW1, "mlp.b1": db1, "mlp.W2": dW2, "mlp.b2": db2}


def _cnn(p, x, y):
    n, rows, cols = x.shape
    # conv2d flips its filters (a true convolution, as in Theano); "half" padding.
    # As a matrix product of 3x3 patches ("im2col") with the flipped filters.
    kernel = p["cnn.filters"][:, 0, ::-1, ::-1].reshape(len(p["cnn.filters"]), 9)
    patches = sliding_window_view(np.pad(x, ((0, 0), (1, 1), (1, 1))), (3, 3), axis=(1, 2))
    patches = patches.reshape(n * rows * cols, 9)
    conv = ((patches @ kernel.T).reshape(n, rows, cols, -1).transpose(0, 3, 1, 2)
            + p["cnn.conv_b"][:, None, None])
    relu = np.maximum(conv, 0)
    h, w = rows // 2, cols // 2
    windows = relu[:, :, :2 * h, :2 * w].reshape(n, -1, h, 2, w, 2)
    pooled = windows.max(axis=(3, 5))
    flat = pooled.reshape(n, -1)
    hidden = np.tanh(flat @ p["cnn.W1"] + p["cnn.b1"])
    loss, dz = _softmax_crossentropy(hidden @ p["cnn.W2"] + p["cnn.b2"], y)
    dW2, db2, dhidden = _dense_backward(hidden, dz, p["cnn.W2"])
    dW1, db1, dflat = _dense_backward(flat, dhidden * (1 - hidden ** 2), p["cnn.W1"])
    # Max pooling sends the gradient to the maxima (ties sit at relu's zeros,
    # where the relu gradient is zero anyway).
    is_max = windows == pooled[:, :, :, None, :, None]
    drelu = np.zeros_like(relu)
    drelu[:, :, :2 * h, :2 * w] = (is_max * dflat.reshape(pooled.shape)[:, :, :, None, :, None]
                                   ).reshape(n, -1, 2 * h, 2 * w)
    dconv = drelu * (conv > 0)
    dkernel = (dconv.transpose(1, 0, 2, 3).reshape(len(kernel), -1) @ patches).reshape(-1, 3, 3)
    return loss, {"cnn.filters": dkernel[:, None, ::-1, ::-1], "cnn.conv_b": dconv.sum((0, 2, 3)),
                  "cnn.W1": dW1, "cnn.b1": db1, "cnn.W2": dW2, "cnn.b2": db2}


def _rnn(p, x, y):
    """x: (batch, steps, features); the last hidden state classifies."""
    n, steps, _ = x.shape
    states = [np.zeros((n, p["rnn.W_hh"].shape[0]), dtype=x.dtype)]
    for t in range(steps):
        states.append(np.tanh(x[:, t] @ p["rnn.W_xh"] + states[-1] @ p["rnn.W_hh"]
                              + p["rnn.b_h"]))
    loss, dz = _softmax_crossentropy(states[-1] @ p["rnn.W_out"] + p["rnn.b_out"], y)
    dW_out, db_out, dstate = _dense_backward(states[-1], dz, p["rnn.W_out"])
    grads = {"rnn.W_xh": 0, "rnn.W_hh": 0, "rnn.b_h": 0}
    for t in reversed(range(steps)):            # backpropagation through time
        da = dstate * (1 - states[t + 1] ** 2)
        grads["rnn.W_xh"] = grads["rnn.W_xh"] + x[:, t].T @ da
        grads["rnn.W_hh"] = grads["rnn.W_hh"] + states[t].T @ da
        grads["rnn.b_h"] = grads["rnn.b_h"] + da.sum(axis=0)
        dstate = da @ p["rnn.W_hh"].T
    grads.update({"rnn.W_out": dW_out, "rnn.b_out": db_out})
    return loss, grads


LOSS_AND_GRADIENTS = {"logreg": _logreg, "mlp": _mlp, "cnn": _cnn, "rnn": _rnn}


def numpy_step(model, params, velocities, x, y, lr, momentum):
    """One SGD step with momentum, in place; returns the loss before the step."""
    loss, grads = LOSS_AND_GRADIENTS[model](params, x, y)
    for name, grad in grads.items():
        velocities[name] *= np.float32(momentum)
        velocities[name] -= np.float32(lr) * grad.astype(np.float32)
        params[name] += velocities[name]
    return loss


def torch_step_function(model, params, lr, momentum):
    """A PyTorch function(x, y) -> loss doing the same step, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    import torch.nn.functional as F
    p = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    velocities = {name: torch.zeros_like(value) for name, value in p.items()}

    def logits(x):
        if model == "logreg":
            return x.flatten(1) @ p["logreg.W"] + p["logreg.b"]
        if model == "mlp":
            return torch.tanh(x.flatten(1) @ p["mlp.W1"] + p["mlp.b1"]) @ p["mlp.W2"] + p["mlp.b2"]
        if model == "cnn":
            conv = F.conv2d(x[:, None], p["cnn.filters"].flip(2, 3), p["cnn.conv_b"], padding=1)
            pooled = F.max_pool2d(F.relu(conv), 2)
            hidden = torch.tanh(pooled.flatten(1) @ p["cnn.W1"] + p["cnn.b1"])
            return hidden @ p["cnn.W2"] + p["cnn.b2"]
        state = torch.zeros(x.shape[0], p["rnn.W_hh"].shape[0])
        for t in range(x.shape[1]):
            state = torch.tanh(x[:, t] @ p["rnn.W_xh"] + state @ p["rnn.W_hh"] + p["rnn.b_h"])
        return state @ p["rnn.W_out"] + p["rnn.b_out"]

    def step(x, y):
        loss = F.cross_entropy(logits(torch.from_numpy(x)), torch.from_numpy(y).long())
        grads = torch.autograd.grad(loss, list(p.values()))
        with torch.no_grad():
            for (name, value), grad in zip(p.items(), grads):
                velocities[name].mul_(momentum).sub_(lr * grad)
                value.add_(velocities[name])
        return loss.detach().item()

    return step
