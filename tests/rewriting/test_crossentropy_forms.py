"""The softmax-crossentropy losses as users write them compile to the fused
kernels, and so do their gradients; values agree with NumPy."""
import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor.tensor.nnet.basic import (CrossentropySoftmax1Hot, CrossentropySoftmax1HotDx,
                                        Softmax, SoftmaxGrad)
from cytensor.tensor.advanced import AdvancedIncSubtensor, AdvancedSubtensor

N_ROWS, N_IN, N_CLASSES = 7, 5, 4


def op_types(f):
    return [type(node.op) for node in f.maker.fgraph.toposort()]


def numpy_log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(N_ROWS, N_IN)).astype(dtype),
            rng.normal(size=(N_IN, N_CLASSES)).astype(dtype),
            rng.normal(size=N_CLASSES).astype(dtype),
            rng.integers(0, N_CLASSES, size=N_ROWS).astype("int32"))


def indexed(logp, y):
    return logp[T.arange(y.shape[0]), y]


def one_hot_rows(logp, y):
    return T.sum(T.extra_ops.to_one_hot(y, N_CLASSES, dtype=logp.dtype) * logp, axis=1)


# loss builders: (symbolic loss from log-probabilities, NumPy loss from them)
LOSSES = {
    "mean_indexed": (lambda lp, y: -T.mean(indexed(lp, y)),
                     lambda lp, y: -lp[np.arange(len(y)), y].mean()),
    "sum_indexed": (lambda lp, y: -T.sum(indexed(lp, y)),
                    lambda lp, y: -lp[np.arange(len(y)), y].sum()),
    "indexed_rows_of_x": (lambda lp, y: -T.mean(lp[T.arange(lp.shape[0]), y]),
                          lambda lp, y: -lp[np.arange(len(y)), y].mean()),
    "sum_one_hot": (lambda lp, y: -T.sum(T.extra_ops.to_one_hot(y, N_CLASSES, dtype=lp.dtype)
                                         * lp),
                    lambda lp, y: -lp[np.arange(len(y)), y].sum()),
    "mean_one_hot_rows": (lambda lp, y: -T.mean(one_hot_rows(lp, y)),
                          lambda lp, y: -lp[np.arange(len(y)), y].mean()),
}


def model(dtype, bias):
    x, y = T.matrix("x", dtype=dtype), T.ivector("y")
    W, b = T.matrix("W", dtype=dtype), T.vector("b", dtype=dtype)
    z = T.dot(x, W) + b if bias else T.dot(x, W)
    return x, y, W, b, z


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("form", sorted(LOSSES))
def test_loss_and_gradient_use_the_fused_ops(form, bias, dtype):
    build, reference = LOSSES[form]
    x, y, W, b, z = model(dtype, bias)
    loss = build(T.log(T.nnet.softmax(z)), y)
    params = [W, b] if bias else [W]
    grads = T.grad(loss, params)
    inputs = [x, y, W] + ([b] if bias else [])
    f = cytensor.function(inputs, [loss] + grads)
    ops = op_types(f)
    assert CrossentropySoftmax1Hot in ops and CrossentropySoftmax1HotDx in ops
    for unfused in (Softmax, SoftmaxGrad, AdvancedSubtensor, AdvancedIncSubtensor):
        assert unfused not in ops, (unfused, ops)
    assert ops.count(CrossentropySoftmax1Hot) == 1

    xv, Wv, bv, yv = data(dtype)
    zv = xv @ Wv + (bv if bias else 0)
    out = f(xv, yv, Wv, *([bv] if bias else []))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    assert out[0].dtype == dtype
    np.testing.assert_allclose(out[0], reference(numpy_log_softmax(zv.astype("float64")), yv),
                               **tol)
    # d loss / dz by NumPy: (softmax - one_hot) scaled as the loss sums or means
    scale = 1.0 / N_ROWS if "mean" in form or "rows_of_x" in form else 1.0
    dz = np.exp(numpy_log_softmax(zv.astype("float64")))
    dz[np.arange(N_ROWS), yv] -= 1
    dz *= scale
    np.testing.assert_allclose(out[1], xv.T.astype("float64") @ dz, **tol)
    if bias:
        np.testing.assert_allclose(out[2], dz.sum(axis=0), **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_indexed_log_probabilities_alone(dtype):
    """log(softmax(z))[arange(n), y] without a reduction: -nll of the fused op."""
    z, y = T.matrix("z", dtype=dtype), T.ivector("y")
    f = cytensor.function([z, y], T.log(T.nnet.softmax(z))[T.arange(y.shape[0]), y])
    assert CrossentropySoftmax1Hot in op_types(f) and Softmax not in op_types(f)
    zv = np.random.default_rng(1).normal(size=(6, 3)).astype(dtype) * 30
    yv = np.array([0, 2, 1, 1, 0, 2], dtype="int32")
    got = f(zv, yv)
    assert got.dtype == dtype and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, numpy_log_softmax(zv.astype("float64"))[np.arange(6), yv],
                               rtol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_probabilities_shared_with_predictions(dtype):
    """The book's model: p is used for the cost and for argmax; p comes from the
    fused op, so softmax is computed once."""
    x, y, W, b, z = model(dtype, bias=True)
    p = T.nnet.softmax(z)
    loss = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    errors = T.mean(T.neq(T.argmax(p, axis=1), y))
    gW = T.grad(loss, W)
    f = cytensor.function([x, y, W, b], [loss, errors, gW, p])
    ops = op_types(f)
    assert Softmax not in ops and SoftmaxGrad not in ops
    assert ops.count(CrossentropySoftmax1Hot) == 1 and CrossentropySoftmax1HotDx in ops
    xv, Wv, bv, yv = data(dtype, seed=3)
    zv = (xv @ Wv + bv).astype("float64")
    loss_v, err_v, gW_v, p_v = f(xv, yv, Wv, bv)
    probs = np.exp(numpy_log_softmax(zv))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(p_v, probs, rtol=tol, atol=tol)
    np.testing.assert_allclose(err_v, np.mean(probs.argmax(axis=1) != yv))
    np.testing.assert_allclose(loss_v, -numpy_log_softmax(zv)[np.arange(N_ROWS), yv].mean(),
                               rtol=tol)


def test_large_activations_stay_finite():
    """The fused loss is logsumexp(z) - z[y]: finite where softmax underflows."""
    z, y = T.matrix("z"), T.ivector("y")
    loss = -T.mean(T.log(T.nnet.softmax(z))[T.arange(y.shape[0]), y])
    f = cytensor.function([z, y], [loss, T.grad(loss, z)])
    zv = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    yv = np.array([2, 1], dtype="int32")
    loss_v, dz = f(zv, yv)
    np.testing.assert_allclose(loss_v, (2000.0 + np.log(3)) / 2)
    expected = np.array([[1.0, 0.0, -1.0], [1 / 3, -2 / 3, 1 / 3]]) / 2
    np.testing.assert_allclose(dz, expected, atol=1e-12)


def test_other_index_forms_are_left_alone():
    """A row index that is not arange(n) (here reversed) keeps the plain graph."""
    z, y = T.matrix("z"), T.ivector("y")
    rows = T.arange(y.shape[0])[::-1]
    f = cytensor.function([z, y], T.log(T.nnet.softmax(z))[rows, y])
    assert CrossentropySoftmax1Hot not in op_types(f)
    zv = np.random.default_rng(2).normal(size=(3, 4))
    yv = np.array([3, 0, 1], dtype="int32")
    np.testing.assert_allclose(f(zv, yv), numpy_log_softmax(zv)[[2, 1, 0], yv], rtol=1e-12)


def test_label_out_of_range_is_a_clear_error():
    z, y = T.matrix("z"), T.ivector("y")
    f = cytensor.function([z, y], -T.mean(T.log(T.nnet.softmax(z))[T.arange(y.shape[0]), y]))
    with pytest.raises((ValueError, IndexError), match="label 5|out of"):
        f(np.zeros((2, 3)), np.array([0, 5], dtype="int32"))
