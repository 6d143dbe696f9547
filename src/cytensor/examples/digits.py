"""Train the book's three digit classifiers: ``python -m cytensor.examples.digits``.

Logistic regression, a one-hidden-layer perceptron and a small LeNet-style
convolutional network, written as Theano code (``import cytensor as theano``),
trained with minibatch SGD with momentum on the 8x8 handwritten digits that
ship with scikit-learn (or on MNIST with ``--mnist DIR``).  For each model:
a progress bar, the training loss and validation accuracy of every epoch,
and the test accuracy on a held-out split fixed by ``--seed``.  Writes a
plot of the learning curves and a picture of each training function's
graph into ``--out``.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.signal.pool import pool_2d

MODELS = ("logreg", "mlp", "cnn")
# model: (epochs, learning rate); momentum 0.9, batch 32 by default
DEFAULTS = {"logreg": (20, 0.05), "mlp": (30, 0.05), "cnn": (15, 0.05)}

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def load_digits(seed):
    """scikit-learn's 1,797 digits, pixels scaled to [0, 1], split 60/20/20 by ``seed``."""
    from sklearn.datasets import load_digits as sk_digits
    digits = sk_digits()
    images = (digits.images / 16.0).astype("float32")
    labels = digits.target.astype("int32")
    order = np.random.default_rng(seed).permutation(len(labels))
    n_train, n_valid = int(0.6 * len(order)), int(0.2 * len(order))
    parts = np.split(order, [n_train, n_train + n_valid])
    return [(images[p], labels[p]) for p in parts]


def read_idx(path):
    """An array from an IDX file (MNIST's format), gzipped or not."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        zero, dtype_code, ndim = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype_code != 0x08:
            raise ValueError(f"{path}: not an IDX file of unsigned bytes")
        shape = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        data = np.frombuffer(f.read(), dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape}, file holds {data.size} bytes")
    return data.reshape(shape)


def _find(directory, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                 stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{stem}[.gz] not found in {directory}")


def load_mnist(directory, seed):
    """MNIST from its four IDX files; the last sixth of the training set validates."""
    def pair(kind):
        images = read_idx(_find(directory, f"{kind}-images-idx3-ubyte"))
        labels = read_idx(_find(directory, f"{kind}-labels-idx1-ubyte"))
        return (images / np.float32(255)).astype("float32"), labels.astype("int32")
    (x, y), test = pair("train"), pair("t10k")
    order = np.random.default_rng(seed).permutation(len(y))
    n_valid = len(y) // 6
    return [(x[order[n_valid:]], y[order[n_valid:]]), (x[order[:n_valid]], y[order[:n_valid]]),
            test]


# ---------------------------------------------------------------------------
# Models: each maps a (batch, rows, cols) image tensor to class probabilities
# ---------------------------------------------------------------------------


def _weights(rng, n_in, n_out, shape=None):
    """Glorot-uniform initial weights, as in the book."""
    bound = np.sqrt(6.0 / (n_in + n_out))
    return theano.shared(rng.uniform(-bound, bound, shape or (n_in, n_out)).astype("float32"))


def _zeros(n):
    return theano.shared(np.zeros(n, dtype="float32"))


def logreg(x, image_shape, rng):
    n_in = image_shape[0] * image_shape[1]
    W, b = _zeros((n_in, 10)), _zeros(10)
    return T.nnet.softmax(T.dot(x.flatten(2), W) + b), [W, b]


def mlp(x, image_shape, rng, n_hidden=100):
    n_in = image_shape[0] * image_shape[1]
    W1, b1 = _weights(rng, n_in, n_hidden), _zeros(n_hidden)
    W2, b2 = _zeros((n_hidden, 10)), _zeros(10)
    hidden = T.tanh(T.dot(x.flatten(2), W1) + b1)
    return T.nnet.softmax(T.dot(hidden, W2) + b2), [W1, b1, W2, b2]


def cnn(x, image_shape, rng, n_filters=16, n_hidden=100):
    """conv 3x3 (same size) + relu + 2x2 max pool, then a tanh layer and softmax."""
    rows, cols = image_shape
    filters = _weights(rng, 9, n_filters * 9 // 4, (n_filters, 1, 3, 3))
    conv_bias = _zeros(n_filters)
    conv = T.nnet.relu(T.nnet.conv2d(x.dimshuffle(0, "x", 1, 2), filters, border_mode="half")
                       + conv_bias.dimshuffle("x", 0, "x", "x"))
    pooled = pool_2d(conv, (2, 2), ignore_border=True)
    n_in = n_filters * (rows // 2) * (cols // 2)
    W1, b1 = _weights(rng, n_in, n_hidden), _zeros(n_hidden)
    W2, b2 = _zeros((n_hidden, 10)), _zeros(10)
    hidden = T.tanh(T.dot(pooled.flatten(2), W1) + b1)
    return T.nnet.softmax(T.dot(hidden, W2) + b2), [filters, conv_bias, W1, b1, W2, b2]


BUILDERS = {"logreg": logreg, "mlp": mlp, "cnn": cnn}


def compile_model(name, image_shape, lr, seed, momentum=0.9):
    """(train(x, y) -> loss, predict(x) -> labels) for one model."""
    x, y = T.tensor3("x", dtype="float32"), T.ivector("y")
    p_y, params = BUILDERS[name](x, image_shape, np.random.default_rng(seed))
    loss = T.mean(T.nnet.categorical_crossentropy(p_y, y))
    updates = []
    for param, grad in zip(params, theano.grad(loss, params)):
        velocity = theano.shared(np.zeros_like(param.get_value()))
        step = np.float32(momentum) * velocity - np.float32(lr) * grad
        updates += [(velocity, step), (param, param + step)]
    train = theano.function([x, y], loss, updates=updates, name=f"train_{name}")
    predict = theano.function([x], T.argmax(p_y, axis=1), name=f"predict_{name}")
    return train, predict


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def accuracy(predict, data, batch=500):
    x, y = data
    hits = sum(int(np.sum(predict(x[i:i + batch]) == y[i:i + batch]))
               for i in range(0, len(y), batch))
    return hits / len(y)


def train_model(name, splits, epochs, batch_size, lr, seed, out=None):
    """Train one model; returns its history and test accuracy."""
    from tqdm import tqdm
    (x_train, y_train), valid, test = splits
    train, predict = compile_model(name, x_train.shape[1:], lr, seed)
    rng = np.random.default_rng(seed)
    history = {"loss": [], "valid": []}
    bar = tqdm(range(epochs), desc=f"{name:>6}", unit="epoch", file=sys.stdout)
    for epoch in bar:
        order = rng.permutation(len(y_train))
        losses = [train(x_train[idx], y_train[idx])
                  for idx in np.array_split(order, max(1, len(order) // batch_size))]
        history["loss"].append(float(np.mean(losses)))
        history["valid"].append(accuracy(predict, valid))
        bar.set_postfix(loss=f"{history['loss'][-1]:.4f}", valid=f"{history['valid'][-1]:.4f}")
        tqdm.write(f"{name:>6} epoch {epoch + 1:3d}  train loss {history['loss'][-1]:.4f}  "
                   f"validation accuracy {history['valid'][-1]:.4f}", file=sys.stdout)
    bar.close()
    if out is not None:
        draw_graph(train, os.path.join(out, f"graph_{name}.png"))
    return history, accuracy(predict, test)


def draw_graph(fn, path):
    """The training function's graph as a PNG (DOT text if Graphviz is missing)."""
    try:
        theano.printing.pydotprint(fn, outfile=path, print_output_file=False)
    except (OSError, RuntimeError) as e:
        print(f"(Graphviz unavailable: {e})")


def plot(histories, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        epochs = range(1, len(h["loss"]) + 1)
        ax_loss.plot(epochs, h["loss"], label=name)
        ax_acc.plot(epochs, h["valid"], label=name)
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cytensor.examples.digits",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=MODELS + ("all",), default="all")
    parser.add_argument("--epochs", type=int, help="default: 20 (logreg), 30 (mlp), 15 (cnn)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, help="learning rate (default 0.05)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--out", default="digits_out", help="directory for the pictures")
    parser.add_argument("--mnist", metavar="DIR", help="train on the MNIST IDX files in DIR")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    splits = load_mnist(args.mnist, args.seed) if args.mnist else load_digits(args.seed)
    names = MODELS if args.model == "all" else (args.model,)
    os.makedirs(args.out, exist_ok=True)
    print(f"{'MNIST' if args.mnist else 'digits'}: " + ", ".join(
        f"{len(y)} {part}" for (_, y), part in zip(splits, ("train", "validation", "test"))))
    histories, results = {}, {}
    start = time.perf_counter()
    for name in names:
        epochs, lr = DEFAULTS[name]
        histories[name], results[name] = train_model(
            name, splits, args.epochs or epochs, args.batch_size, args.lr or lr, args.seed,
            args.out)
    plot(histories, os.path.join(args.out, "learning_curves.png"))
    print(f"\ntest accuracy (seed {args.seed}), {time.perf_counter() - start:.1f} s in all:")
    for name, acc in results.items():
        print(f"  {name:>6}: {acc:.4f}")
    pictures = sorted(f for f in os.listdir(args.out)
                      if f == "learning_curves.png" or f.startswith("graph_"))
    print(f"pictures in {args.out}/: {', '.join(pictures)}")
    return results


if __name__ == "__main__":
    main()
