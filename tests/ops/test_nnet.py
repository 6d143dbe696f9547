"""T.nnet: activations, softmax, crossentropies, one_hot, batch normalization."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad

RNG = np.random.default_rng(0)
PY = theano.Mode(linker="py")


def both(inputs, outputs, *values):
    """Run with the kernels and with the NumPy references; they must agree."""
    got = theano.function(inputs, outputs)(*values)
    want = theano.function(inputs, outputs, mode=PY)(*values)
    for g, w in zip(got if isinstance(got, list) else [got],
                    want if isinstance(want, list) else [want]):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    return got


ACTIVATIONS = [T.nnet.sigmoid, T.nnet.softplus, T.nnet.relu, lambda x: T.nnet.relu(x, 0.1),
               T.nnet.elu, T.nnet.hard_sigmoid, T.nnet.ultra_fast_sigmoid]


@pytest.mark.parametrize("fn", ACTIVATIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activations(fn, dtype):
    x = T.matrix(dtype=dtype)
    v = (RNG.standard_normal((3, 5)) * 2).astype(dtype)
    out = both([x], fn(x), v)
    assert out.dtype == dtype
    # keep points away from the kinks of relu, hard_sigmoid and ultra_fast_sigmoid
    verify_grad(fn, [np.array([[-2.3, -0.7, 0.4, 1.2, 2.6]], dtype)])


def test_activation_values():
    v = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    x = T.dvector()
    np.testing.assert_allclose(theano.function([x], T.nnet.relu(x))(v), np.maximum(v, 0))
    np.testing.assert_allclose(theano.function([x], T.nnet.relu(x, 0.1))(v),
                               np.where(v > 0, v, 0.1 * v))
    np.testing.assert_allclose(theano.function([x], T.nnet.elu(x))(v),
                               np.where(v > 0, v, np.expm1(v)))
    np.testing.assert_allclose(theano.function([x], T.nnet.ultra_fast_sigmoid(x))(v),
                               1 / (1 + np.exp(-v)), atol=0.03)


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_and_log_softmax(axis, dtype):
    x = T.tensor3(dtype=dtype)
    v = RNG.standard_normal((2, 3, 4)).astype(dtype) * 5
    sm, lsm = both([x], [T.nnet.softmax(x, axis), T.nnet.log_softmax(x, axis)], v)
    np.testing.assert_allclose(sm.sum(axis), 1, rtol=1e-5)
    np.testing.assert_allclose(np.exp(lsm), sm, rtol=1e-5, atol=1e-6)
    v64 = v.astype("float64")
    verify_grad(lambda x: T.nnet.softmax(x, axis), [v64])
    verify_grad(lambda x: T.nnet.log_softmax(x, axis), [v64])


def test_log_softmax_rewrite_is_stable():
    x = T.dmatrix()
    v = np.array([[0.0, 1000.0], [-1000.0, 0.0]])
    f = theano.function([x], T.log(T.nnet.softmax(x)))
    assert any(getattr(n.op, "log", False) for n in f.maker.fgraph.toposort())
    np.testing.assert_allclose(f(v), [[-1000.0, 0.0], [-1000.0, 0.0]])
    g = theano.function([x], theano.grad(T.log(T.nnet.softmax(x))[:, 0].sum(), x))
    assert np.all(np.isfinite(g(v)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_crossentropy_integer_labels(dtype):
    p, y = T.matrix(dtype=dtype), T.ivector()
    pv = RNG.dirichlet(np.ones(5), size=4).astype(dtype)
    yv = np.array([0, 4, 2, 2], "int32")
    out = both([p, y], T.nnet.categorical_crossentropy(p, y), pv, yv)
    np.testing.assert_allclose(out, -np.log(pv[np.arange(4), yv]), rtol=1e-5)
    verify_grad(lambda p: T.nnet.categorical_crossentropy(p, yv), [pv.astype("float64")])


def test_crossentropy_probability_targets():
    p, t = T.dmatrix(), T.dmatrix()
    pv = RNG.dirichlet(np.ones(3), size=2)
    tv = RNG.dirichlet(np.ones(3), size=2)
    out = both([p, t], T.nnet.categorical_crossentropy(p, t), pv, tv)
    np.testing.assert_allclose(out, -(tv * np.log(pv)).sum(1))
    verify_grad(lambda p: T.nnet.categorical_crossentropy(p, tv), [pv])


def test_softmax_crossentropy_is_fused_and_stable():
    x, y = T.dmatrix(), T.lvector()
    cost = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y).mean()
    f = theano.function([x, y], [cost, theano.grad(cost, x)])
    ops = {type(n.op).__name__ for n in f.maker.fgraph.toposort()}
    assert {"CrossentropySoftmax1Hot", "CrossentropySoftmax1HotDx"} <= ops
    assert "Softmax" not in ops
    xv = np.array([[0.0, 800.0, 0.0], [1.0, 2.0, 3.0]])
    c, g = f(xv, np.array([0, 2]))
    assert np.isfinite(c) and np.all(np.isfinite(g))
    np.testing.assert_allclose(c, (800 + np.log(np.exp(np.array([1, 2, 3]) - 3).sum() ** 0)
                                   + 0.40760596444) / 2, rtol=1e-6)
    verify_grad(lambda x: T.nnet.crossentropy_softmax_1hot(x, np.array([1, 0]))[0],
                [RNG.standard_normal((2, 3))])


@pytest.mark.parametrize("labels", [[0, 5], [-1, 0]])
def test_crossentropy_labels_out_of_range_raise(labels):
    p, y = T.dmatrix(), T.lvector()
    pv = np.full((2, 5), 0.2)
    for cost in (T.nnet.categorical_crossentropy(p, y),
                 T.nnet.categorical_crossentropy(T.nnet.softmax(p), y)):
        f = theano.function([p, y], cost)
        with pytest.raises(ValueError, match=r"label -?\d+ at position \d is out of range "
                                             r"for 5 classes"):
            f(pv, np.array(labels))


def test_crossentropy_label_count_must_match_rows():
    p, y = T.dmatrix(), T.lvector()
    with pytest.raises(ValueError, match=r"given shapes \(2, 5\) and \(3,\)"):
        theano.function([p, y], T.nnet.categorical_crossentropy(p, y))(np.ones((2, 5)),
                                                                       np.zeros(3, "int64"))


def test_binary_crossentropies():
    o, t = T.dvector(), T.dvector()
    ov, tv = np.array([0.2, 0.7, 0.9]), np.array([0.0, 1.0, 1.0])
    bce = both([o, t], T.nnet.binary_crossentropy(o, t), ov, tv)
    np.testing.assert_allclose(bce, -(tv * np.log(ov) + (1 - tv) * np.log(1 - ov)))
    logits = np.log(ov / (1 - ov))
    sbce = both([o, t], T.nnet.sigmoid_binary_crossentropy(o, t), logits, tv)
    np.testing.assert_allclose(sbce, bce)
    verify_grad(lambda o: T.nnet.binary_crossentropy(o, tv), [ov])
    verify_grad(lambda o: T.nnet.sigmoid_binary_crossentropy(o, tv), [logits])


def test_one_hot():
    y = T.ivector()
    out = theano.function([y], T.nnet.one_hot(y, 4))(np.array([1, 3, 0], "int32"))
    np.testing.assert_array_equal(out, np.eye(4)[[1, 3, 0]])
    assert out.dtype == theano.config.floatX
    out = theano.function([y], T.nnet.one_hot(y, 3, dtype="int64"))(np.array([2], "int32"))
    np.testing.assert_array_equal(out, [[0, 0, 1]])
    with pytest.raises(ValueError, match="label 4 at position 0 is out of range"):
        theano.function([y], T.nnet.one_hot(y, 4))(np.array([4], "int32"))


@pytest.mark.parametrize("axes", ["per-activation", "spatial"])
def test_batch_normalization(axes):
    x = T.tensor4()
    v = RNG.standard_normal((4, 3, 2, 2))
    shape = (1, 3, 1, 1) if axes == "spatial" else (1, 3, 2, 2)
    gamma, beta = RNG.random(shape) + 0.5, RNG.standard_normal(shape)
    out, mean, invstd = T.nnet.batch_normalization_train(x, gamma, beta, axes, epsilon=1e-4)
    red = (0, 2, 3) if axes == "spatial" else (0,)
    got = theano.function([x], out)(v)
    m, var = v.mean(red, keepdims=True), v.var(red, keepdims=True)
    np.testing.assert_allclose(got, (v - m) / np.sqrt(var + 1e-4) * gamma + beta, rtol=1e-6)
    test_out = T.nnet.batch_normalization_test(x, gamma, beta, m, var, axes, epsilon=1e-4)
    np.testing.assert_allclose(theano.function([x], test_out)(v), got, rtol=1e-6)
    # parameters given without the normalized axes get them back as broadcastable ones
    squeeze = (0, 2, 3) if axes == "spatial" else (0,)
    verify_grad(lambda x, g, b: T.nnet.batch_normalization_train(x, g, b, axes)[0],
                [v, gamma.squeeze(squeeze), beta.squeeze(squeeze)])


def test_batch_normalization_running_averages():
    x = T.dmatrix()
    rm, rv = theano.shared(np.zeros(2)), theano.shared(np.ones(2))
    out = T.nnet.batch_normalization_train(x, np.ones(2), np.zeros(2), running_mean=rm,
                                           running_var=rv, running_average_factor=0.5)
    f = theano.function([x], out[0], updates=[(rm, out[3]), (rv, out[4])])
    v = RNG.standard_normal((5, 2))
    f(v)
    np.testing.assert_allclose(rm.get_value(), 0.5 * v.mean(0))
    np.testing.assert_allclose(rv.get_value(), 0.5 + 0.5 * v.var(0, ddof=1))


@pytest.mark.parametrize("ydt", ["int32", "int64", "uint8"])
@pytest.mark.parametrize("xdt", ["float32", "float64"])
def test_softmax_crossentropy_hot_path_label_dtypes(xdt, ydt):
    rng = np.random.default_rng(8)
    x, y = T.matrix(dtype=xdt), T.vector(dtype=ydt)
    xv = rng.standard_normal((6, 4)).astype(xdt)
    yv = np.array([0, 3, 1, 2, 3, 0], ydt)
    loss = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(x), y))
    outs = [loss, theano.grad(loss, x)]
    got = theano.function([x, y], outs)(xv, yv)
    want = theano.function([x, y], outs, mode=theano.Mode(linker="py"))(xv, yv)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5)
    bad = yv.copy()
    bad[4] = 4
    with pytest.raises(ValueError, match=r"label 4 at position 4 is out of range"):
        theano.function([x, y], outs)(xv, bad)


def test_dimshuffle_and_shape_cast_hot_paths():
    x = T.dmatrix()
    v = np.arange(6.0).reshape(2, 3)
    f = theano.function([x], [x.T, x.dimshuffle("x", 0, "x", 1), x.dimshuffle(1, "x", 0),
                              T.cast(x.shape[0], "float32") / 4])
    t, a, b, c = f(v)
    np.testing.assert_array_equal(t, v.T)
    np.testing.assert_array_equal(a, v[None, :, None, :])
    np.testing.assert_array_equal(b, v.T[:, None, :])
    assert c.dtype == np.float32 and c == 0.5


# ---------------------------------------------------------------------------
# Second derivatives: the gradient ops have gradients of their own
# ---------------------------------------------------------------------------

def test_gradient_ops_have_gradients():
    from cytensor.tensor.nnet.basic import (CrossentropyCategorical1HotGrad,
                                            CrossentropySoftmax1HotDx, SoftmaxGrad)
    rng = np.random.default_rng(21)
    x = rng.standard_normal((3, 5))
    sm = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    labels = T.constant(np.array([1, 4, 0]))
    for axis in (-1, 0):
        verify_grad(lambda dy, y: SoftmaxGrad(axis)(dy, y), [rng.standard_normal((3, 5)), sm])
        verify_grad(lambda dy, y: SoftmaxGrad(axis, True)(dy, y),
                    [rng.standard_normal((3, 5)), np.log(sm)])
    verify_grad(lambda g, s: CrossentropySoftmax1HotDx()(g, s, labels),
                [rng.standard_normal(3), sm])
    verify_grad(lambda g, p: CrossentropyCategorical1HotGrad()(g, p, labels),
                [rng.standard_normal(3), sm + 0.1])


@pytest.mark.parametrize("loss", ["softmax then crossentropy", "fused op", "log_softmax"])
def test_hessian_of_softmax_crossentropy(loss):
    """The Hessian of a classifier's loss with respect to its bias, against
    finite differences of the gradient (and its known closed form)."""
    rng = np.random.default_rng(22)
    xv, yv = rng.standard_normal((4, 3)), np.array([2, 0, 1, 2])
    x, b, y = T.dmatrix("x"), T.dvector("b"), T.lvector("y")
    z = x + b
    if loss == "softmax then crossentropy":
        cost = T.nnet.categorical_crossentropy(T.nnet.softmax(z), y).mean()
    elif loss == "fused op":
        cost = T.nnet.crossentropy_softmax_1hot(z, y)[0].mean()
    else:
        cost = -(T.nnet.log_softmax(z) * T.nnet.one_hot(y, 3)).sum(axis=1).mean()
    f_grad = theano.function([x, b, y], T.grad(cost, b))
    f_hess = theano.function([x, b, y], T.hessian(cost, b))
    bv = rng.standard_normal(3)
    eps = 1e-6
    numeric = np.array([(f_grad(xv, bv + eps * e, yv) - f_grad(xv, bv - eps * e, yv)) / (2 * eps)
                        for e in np.eye(3)])
    hess = f_hess(xv, bv, yv)
    np.testing.assert_allclose(hess, numeric, atol=1e-7)
    p = np.exp(xv + bv) / np.exp(xv + bv).sum(axis=1, keepdims=True)
    closed_form = np.mean([np.diag(r) - np.outer(r, r) for r in p], axis=0)
    np.testing.assert_allclose(hess, closed_form, atol=1e-10)
