"""Train the book's digit classifiers: ``python -m cytensor.examples.digits``.

Logistic regression, a one-hidden-layer perceptron, a small LeNet-style
convolutional network and a recurrent network that reads each image row by
row (``cytensor.scan``), written as Theano code (``import cytensor as
theano``), trained with minibatch SGD with momentum on the 8x8 handwritten
digits that ship with scikit-learn (or on MNIST with ``--mnist``).

For each model it reports what the library did: the graph's node count
before and after the rewrites, the compile time, the time per training step
and examples per second, set beside the same step written by hand in NumPy
(and PyTorch when installed); then the training loss and validation accuracy
of every epoch and the test accuracy on a held-out split fixed by ``--seed``.
Writes a plot of the learning curves and pictures of the graphs into
``--out``: the whole training function for the small models, one picture per
layer for the CNN and the RNN.
"""
import argparse
import gzip
import os
import statistics
import struct
import sys
import time

import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.examples import digits_baselines
from cytensor.graph import toposort
from cytensor.tensor.signal.pool import pool_2d

MODELS = ("logreg", "mlp", "cnn", "rnn")
# model: (epochs, learning rate); momentum 0.9, batch 32 by default
DEFAULTS = {"logreg": (20, 0.05), "mlp": (30, 0.05), "cnn": (15, 0.05), "rnn": (20, 0.05)}
MOMENTUM = 0.9
# The whole training graph is drawn for these; the others get one picture per layer.
DRAW_WHOLE_GRAPH = ("logreg", "mlp")
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def load_digits(seed):
    """scikit-learn's 1,797 digits, pixels scaled to [0, 1], split 60/20/20 by ``seed``."""
    from sklearn.datasets import load_digits as sk_digits
    digits = sk_digits()
    return _split(digits.images / 16.0, digits.target, seed, valid=0.2, test=0.2)


def _split(images, labels, seed, valid, test):
    images, labels = images.astype("float32"), labels.astype("int32")
    order = np.random.default_rng(seed).permutation(len(labels))
    n_train, n_valid = round((1 - valid - test) * len(order)), round(valid * len(order))
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


def _spellings(stem):
    """The names MNIST's files go by: as published, gunzipped, with a dot for the dash."""
    dotted = stem.replace("-idx", ".idx")
    return (stem + ".gz", stem, dotted + ".gz", dotted)


def find_mnist_files(directory):
    """{stem: path} of the four MNIST files in ``directory``; FileNotFoundError
    naming every file looked for when one is missing."""
    found, missing = {}, []
    for stem in MNIST_FILES:
        paths = [os.path.join(directory, name) for name in _spellings(stem)]
        existing = [p for p in paths if os.path.isfile(p)]
        if existing:
            found[stem] = existing[0]
        else:
            missing.append(" or ".join(_spellings(stem)))
    if missing:
        raise FileNotFoundError(
            f"--mnist {directory}: " + ("no such directory" if not os.path.isdir(directory)
                                        else "MNIST files missing") +
            "; looked for " + "; ".join(missing) +
            " (from https://yann.lecun.com/exdb/mnist/ or a mirror), "
            "or run with --mnist alone to fetch MNIST from OpenML")
    return found


def load_mnist(directory, seed):
    """MNIST from its four IDX files; the last sixth of the training set validates."""
    files = find_mnist_files(directory)

    def pair(kind):
        images = read_idx(files[f"{kind}-images-idx3-ubyte"])
        labels = read_idx(files[f"{kind}-labels-idx1-ubyte"])
        return (images / np.float32(255)).astype("float32"), labels.astype("int32")

    (x, y), test = pair("train"), pair("t10k")
    return _split_off_validation(x, y, test, seed)


def _split_off_validation(x, y, test, seed):
    order = np.random.default_rng(seed).permutation(len(y))
    n_valid = len(y) // 6
    return [(x[order[n_valid:]], y[order[n_valid:]]), (x[order[:n_valid]], y[order[:n_valid]]),
            test]


def fetch_mnist(cache, seed):
    """MNIST through scikit-learn's fetch_openml, kept in ``cache`` after the first
    download; the usual 60,000/10,000 train/test split."""
    from sklearn.datasets import fetch_openml
    try:
        mnist = fetch_openml("mnist_784", version=1, as_frame=False, data_home=cache,
                             parser="liac-arff")
    except OSError as e:      # URLError, timeouts, no route to host
        raise ConnectionError(
            f"--mnist: could not download MNIST from OpenML into {cache} ({e}); with no "
            "network, download the four IDX files yourself and pass --mnist DIR") from e
    images = (mnist.data.reshape(-1, 28, 28) / 255.0).astype("float32")
    labels = mnist.target.astype("int32")
    test = (images[60000:], labels[60000:])
    return _split_off_validation(images[:60000], labels[:60000], test, seed)


# ---------------------------------------------------------------------------
# Models: a list of layers from a (batch, rows, cols) image tensor to class
# probabilities.  Parameters are named model.name so the pictures read.
# ---------------------------------------------------------------------------


class Layer:
    """A named step of a model: its parameters and the expression it applies."""

    def __init__(self, name, params, apply):
        self.name, self.params, self.apply = name, params, apply


def _weights(rng, name, n_in, n_out, shape=None):
    """Glorot-uniform initial weights, as in the book."""
    bound = np.sqrt(6.0 / (n_in + n_out))
    value = rng.uniform(-bound, bound, shape or (n_in, n_out)).astype("float32")
    return theano.shared(value, name=name)


def _zeros(name, shape):
    return theano.shared(np.zeros(shape, dtype="float32"), name=name)


def _dense(name, W, b, activation=None):
    def apply(x):
        z = T.dot(x.flatten(2) if x.ndim > 2 else x, W) + b
        return activation(z) if activation else z
    return Layer(name, [W, b], apply)


def _softmax_output(W_name, b_name, n_in):
    """The class probabilities; zero initial weights, as in the book."""
    return _dense("softmax", _zeros(W_name, (n_in, 10)), _zeros(b_name, 10), T.nnet.softmax)


def logreg(image_shape, rng):
    rows, cols = image_shape
    return [_softmax_output("logreg.W", "logreg.b", rows * cols)]


def mlp(image_shape, rng, n_hidden=100):
    rows, cols = image_shape
    hidden = _dense("hidden", _weights(rng, "mlp.W1", rows * cols, n_hidden),
                    _zeros("mlp.b1", n_hidden), T.tanh)
    return [hidden, _softmax_output("mlp.W2", "mlp.b2", n_hidden)]


def cnn(image_shape, rng, n_filters=16, n_hidden=100):
    """conv 3x3 (same size) + relu + 2x2 max pool, then a tanh layer and softmax."""
    rows, cols = image_shape
    filters = _weights(rng, "cnn.filters", 9, n_filters * 9 // 4, (n_filters, 1, 3, 3))
    conv_b = _zeros("cnn.conv_b", n_filters)

    def conv_pool(x):
        conv = T.nnet.conv2d(x.dimshuffle(0, "x", 1, 2), filters, border_mode="half")
        return pool_2d(T.nnet.relu(conv + conv_b.dimshuffle("x", 0, "x", "x")), (2, 2),
                       ignore_border=True)

    n_in = n_filters * (rows // 2) * (cols // 2)
    hidden = _dense("hidden", _weights(rng, "cnn.W1", n_in, n_hidden), _zeros("cnn.b1", n_hidden),
                    T.tanh)
    return [Layer("conv_pool", [filters, conv_b], conv_pool), hidden,
            _softmax_output("cnn.W2", "cnn.b2", n_hidden)]


def rnn(image_shape, rng, n_hidden=64):
    """A tanh recurrent network reading one image row per step; the last state
    classifies (a sequence classifier, looped with ``theano.scan``)."""
    rows, cols = image_shape
    W_xh = _weights(rng, "rnn.W_xh", cols, n_hidden)
    # A scaled orthogonal start keeps the state from exploding or dying out.
    q, _ = np.linalg.qr(rng.standard_normal((n_hidden, n_hidden)))
    W_hh = theano.shared((0.9 * q).astype("float32"), name="rnn.W_hh")
    b_h = _zeros("rnn.b_h", n_hidden)

    def recurrence(x):
        def step(row, state):
            return T.tanh(T.dot(row, W_xh) + T.dot(state, W_hh) + b_h)
        start = T.zeros((x.shape[0], n_hidden), dtype="float32")
        states, _ = theano.scan(step, sequences=x.dimshuffle(1, 0, 2), outputs_info=start,
                                name="rnn.rows")
        return states[-1]

    return [Layer("recurrence", [W_xh, W_hh, b_h], recurrence),
            _softmax_output("rnn.W_out", "rnn.b_out", n_hidden)]


BUILDERS = {"logreg": logreg, "mlp": mlp, "cnn": cnn, "rnn": rnn}


class CompiledModel:
    """A model's layers, its training and prediction functions, and what compiling cost."""

    def __init__(self, name, image_shape, lr, seed):
        self.name = name
        self.layers = BUILDERS[name](image_shape, np.random.default_rng(seed))
        self.params = [p for layer in self.layers for p in layer.params]
        x, y = T.tensor3("images", dtype="float32"), T.ivector("labels")
        self.layer_inputs = []
        p_y = x
        for layer in self.layers:
            self.layer_inputs.append(p_y)
            p_y = layer.apply(p_y)
        loss = T.mean(T.nnet.categorical_crossentropy(p_y, y))
        loss.name = "loss"
        updates = []
        for param, grad in zip(self.params, theano.grad(loss, self.params)):
            velocity = theano.shared(np.zeros_like(param.get_value()),
                                     name=f"{param.name}.velocity")
            step = np.float32(MOMENTUM) * velocity - np.float32(lr) * grad
            updates += [(velocity, step), (param, param + step)]
        self.nodes_before = len(toposort([loss] + [u for _, u in updates]))
        start = time.perf_counter()
        self.train = theano.function([x, y], loss, updates=updates, name=f"train_{name}")
        self.compile_seconds = time.perf_counter() - start
        self.nodes_after = len(self.train.maker.fgraph.toposort())
        self.n_rewrites = len(self.train.maker.trace.entries)
        self.predict = theano.function([x], T.argmax(p_y, axis=1), name=f"predict_{name}")

    def param_values(self):
        """{name: a copy of the value} of every parameter."""
        return {p.name: p.get_value().copy() for p in self.params}

    def draw(self, out):
        """Pictures of the graph: the whole training function for small models,
        else each layer's forward graph from a fresh input.  Returns the paths."""
        if self.name in DRAW_WHOLE_GRAPH:
            return [draw_graph(self.train, os.path.join(out, f"graph_{self.name}.png"))]
        paths = []
        for k, (layer, below) in enumerate(zip(self.layers, self.layer_inputs), 1):
            layer_input = below.type(f"{layer.name} input")
            layer_output = layer.apply(layer_input)
            layer_output.name = f"{layer.name} output"
            fn = theano.function([layer_input], layer_output, name=f"{self.name}.{layer.name}")
            paths.append(draw_graph(fn, os.path.join(out, f"graph_{self.name}_{k}_{layer.name}.png")))
        return paths


# ---------------------------------------------------------------------------
# Training and timing
# ---------------------------------------------------------------------------


def accuracy(predict, data, batch=500):
    x, y = data
    hits = sum(int(np.sum(predict(x[i:i + batch]) == y[i:i + batch]))
               for i in range(0, len(y), batch))
    return hits / len(y)


def train_model(model, splits, epochs, batch_size, seed):
    """Train one model; returns its history (loss, validation accuracy, step times)."""
    from tqdm.auto import tqdm
    (x_train, y_train), valid, _ = splits
    rng = np.random.default_rng(seed)
    n_batches = max(1, len(y_train) // batch_size)
    history = {"loss": [], "valid": [], "step_seconds": []}
    # disable=None: no bar when stdout is not a terminal (logs, pipes, CI).
    bar = tqdm(total=epochs * n_batches, desc=f"{model.name:>6}", unit="batch",
               file=sys.stdout, disable=None, leave=False)
    for epoch in range(epochs):
        losses = []
        for idx in np.array_split(rng.permutation(len(y_train)), n_batches):
            start = time.perf_counter()
            losses.append(model.train(x_train[idx], y_train[idx]))
            history["step_seconds"].append(time.perf_counter() - start)
            bar.update()
        history["loss"].append(float(np.mean(losses)))
        history["valid"].append(accuracy(model.predict, valid))
        bar.set_postfix(loss=f"{history['loss'][-1]:.4f}", valid=f"{history['valid'][-1]:.4f}")
        bar.write(f"{model.name:>6} epoch {epoch + 1:3d}  train loss {history['loss'][-1]:.4f}  "
                  f"validation accuracy {history['valid'][-1]:.4f}", file=sys.stdout)
    bar.close()
    return history


def median_seconds(step, budget=0.25, max_calls=200):
    """Median time of ``step()`` over repeated calls (one untimed warm-up call)."""
    step()
    times, spent = [], 0.0
    while len(times) < 5 or (spent < budget and len(times) < max_calls):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return statistics.median(times)


def compare_step_times(model, initial_params, x, y, lr):
    """{"cytensor", "NumPy by hand", "PyTorch <version>"}: median seconds of one
    training step on the batch (x, y), each from the model's initial parameters."""
    params = {name: value.copy() for name, value in initial_params.items()}
    velocities = {name: np.zeros_like(value) for name, value in params.items()}
    times = {"cytensor": median_seconds(lambda: model.train(x, y)),
             "NumPy by hand": median_seconds(lambda: digits_baselines.numpy_step(
                 model.name, params, velocities, x, y, lr, MOMENTUM))}
    torch_step = digits_baselines.torch_step_function(model.name, initial_params, lr, MOMENTUM)
    if torch_step is not None:
        import torch
        times[f"PyTorch {torch.__version__}"] = median_seconds(lambda: torch_step(x, y))
    return times


def report_lines(model, history, batch_size, step_times):
    """The lines saying what compiling and training cost."""
    step = statistics.median(history["step_seconds"])
    ours = step_times["cytensor"]
    peers = ", ".join(f"{name} {t * 1e3:.3g} ms ({t / ours:.2g}x cytensor's)"
                      for name, t in step_times.items() if name != "cytensor")
    return [
        f"{model.name:>6}: graph {model.nodes_before} nodes before rewrites, "
        f"{model.nodes_after} after ({model.n_rewrites} rewrites); "
        f"compiled in {model.compile_seconds * 1e3:.0f} ms",
        f"{model.name:>6}: training step {step * 1e3:.3g} ms (median of "
        f"{len(history['step_seconds'])}), {batch_size / step:,.0f} examples/s",
        f"{model.name:>6}: step time on one batch of {batch_size}: cytensor "
        f"{ours * 1e3:.3g} ms; {peers}",
    ]


def draw_graph(fn, path):
    """The function's graph as a PNG (DOT text if Graphviz is missing); the path written."""
    try:
        theano.printing.pydotprint(fn, outfile=path, print_output_file=False)
        return path
    except (OSError, RuntimeError) as e:
        dot_path = os.path.splitext(path)[0] + ".dot"
        theano.printing.pydotprint(fn, outfile=dot_path, format="dot", print_output_file=False)
        print(f"(Graphviz unavailable: {e}; wrote {dot_path})")
        return dot_path


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


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _positive(convert, what):
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a {what}, got {text!r}") from None
        if not value > 0:      # also rejects nan
            raise argparse.ArgumentTypeError(f"must be a {what} greater than 0, got {text}")
        return value
    return parse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cytensor.examples.digits",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=MODELS + ("all",), default="all")
    parser.add_argument("--epochs", type=_positive(int, "whole number"),
                        help="default: " + ", ".join(f"{e} ({m})" for m, (e, _) in DEFAULTS.items()))
    parser.add_argument("--batch-size", type=_positive(int, "whole number"), default=32)
    parser.add_argument("--lr", type=_positive(float, "number"),
                        help="learning rate (default 0.05)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--out", default="digits_out", help="directory for the pictures")
    parser.add_argument("--mnist", metavar="DIR", nargs="?", const="",
                        help="train on MNIST: the four IDX files in DIR, or without DIR "
                             "fetched from OpenML and cached in --cache")
    parser.add_argument("--cache", metavar="DIR", default=None,
                        help="where --mnist keeps its download (scikit-learn's data home "
                             "by default, ~/scikit_learn_data)")
    args = parser.parse_args(argv)
    if args.mnist:
        try:
            find_mnist_files(args.mnist)
        except FileNotFoundError as e:
            parser.error(str(e))
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.mnist is None:
        splits, source = load_digits(args.seed), "digits"
    elif args.mnist:
        splits, source = load_mnist(args.mnist, args.seed), "MNIST"
    else:
        try:
            splits, source = fetch_mnist(args.cache, args.seed), "MNIST (OpenML)"
        except ConnectionError as e:
            sys.exit(f"python -m cytensor.examples.digits: error: {e}")
    names = MODELS if args.model == "all" else (args.model,)
    os.makedirs(args.out, exist_ok=True)
    print(f"{source}: " + ", ".join(
        f"{len(y)} {part}" for (_, y), part in zip(splits, ("train", "validation", "test"))))
    print(f"kernels: OpenMP {'on' if theano.kernels.openmp_enabled() else 'off'}, "
          f"{theano.kernels.get_num_threads()} threads")
    histories, results, reports, pictures = {}, {}, [], []
    x_train, y_train = splits[0]
    start = time.perf_counter()
    for name in names:
        epochs, lr = DEFAULTS[name]
        epochs, lr = args.epochs or epochs, args.lr or lr
        model = CompiledModel(name, x_train.shape[1:], lr, args.seed)
        initial = model.param_values()
        histories[name] = train_model(model, splits, epochs, args.batch_size, args.seed)
        results[name] = accuracy(model.predict, splits[2])
        batch = np.arange(min(args.batch_size, len(y_train)))
        step_times = compare_step_times(model, initial, x_train[batch], y_train[batch], lr)
        reports += report_lines(model, histories[name], args.batch_size, step_times)
        pictures += model.draw(args.out)
    plot(histories, os.path.join(args.out, "learning_curves.png"))
    print(f"\ncompiling and training ({', '.join(names)}):")
    print("\n".join(reports))
    print(f"\ntest accuracy (seed {args.seed}), {time.perf_counter() - start:.1f} s in all:")
    for name, acc in results.items():
        print(f"  {name:>6}: {acc:.4f}")
    pictures = ["learning_curves.png"] + [os.path.basename(p) for p in pictures]
    print(f"pictures in {args.out}/: {', '.join(pictures)}")
    return results


if __name__ == "__main__":
    main()
