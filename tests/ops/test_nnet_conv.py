"""conv2d and pool_2d: kernels against NumPy references, gradients, bad shapes."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad
from cytensor.tensor.nnet import conv
from cytensor.tensor.signal import pool
from cytensor.tensor.signal.pool import pool_2d

RNG = np.random.default_rng(0)
PY = theano.Mode(linker="py")
X = RNG.standard_normal((2, 3, 7, 6))       # odd sizes on purpose
W = RNG.standard_normal((4, 3, 3, 2))


def check(build, *values, dtype="float64"):
    """Kernels == NumPy references, and verify_grad passes (in float64)."""
    inputs = [T.tensor(dtype, shape=(None,) * v.ndim) for v in values]
    values = [v.astype(dtype) for v in values]
    out = build(*inputs)
    got = theano.function(inputs, out)(*values)
    want = theano.function(inputs, out, mode=PY)(*values)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    if dtype == "float64":
        verify_grad(build, values)
    return got


@pytest.mark.parametrize("border_mode", ["valid", "full", "half", 1, (2, 0)])
@pytest.mark.parametrize("subsample", [(1, 1), (2, 1)])
@pytest.mark.parametrize("dilation", [(1, 1), (2, 1)])
@pytest.mark.parametrize("flip", [True, False])
def test_conv2d(border_mode, subsample, dilation, flip):
    check(lambda x, w: T.nnet.conv2d(x, w, border_mode=border_mode, subsample=subsample,
                                     filter_dilation=dilation, filter_flip=flip), X, W)


def test_conv2d_float32_and_values():
    out = check(lambda x, w: T.nnet.conv2d(x, w), X, W, dtype="float32")
    # filter_flip=True is a true convolution: compare one pixel by hand
    expected = np.sum(X[0, :, 0:3, 0:2] * W[1, :, ::-1, ::-1])
    np.testing.assert_allclose(out[0, 1, 0, 0], expected, rtol=1e-5)


@pytest.mark.parametrize("groups", [1, 3])
def test_conv2d_gradients_of_gradients(groups):
    props = ("half", (2, 1), (1, 1), True, groups)
    w = RNG.standard_normal((6, 3 // groups, 3, 2))
    gy = RNG.standard_normal((2, 6, 4, 7))
    check(lambda w, g: conv.Conv2dGradInputs(*props)(w, g, X.shape), w, gy)
    check(lambda x, g: conv.Conv2dGradWeights(*props)(x, g, w.shape), X, gy)


# --- grouped convolution ----------------------------------------------------

XG = RNG.standard_normal((2, 6, 7, 5))      # 6 channels: 2 groups of 3 or 3 groups of 2
WG = {2: RNG.standard_normal((4, 3, 3, 2)), 3: RNG.standard_normal((6, 2, 2, 3))}


def per_group_conv2d(x, w, groups, **kw):
    """The NumPy references of ungrouped convolutions, one per group, stacked."""
    xs, ws = T.tensor4(dtype=x.dtype), T.tensor4(dtype=x.dtype)
    f = theano.function([xs, ws], T.nnet.conv2d(xs, ws, **kw), mode=PY)
    c, k = x.shape[1] // groups, w.shape[0] // groups
    return np.concatenate([f(x[:, g * c:(g + 1) * c], w[g * k:(g + 1) * k])
                           for g in range(groups)], axis=1)


@pytest.mark.parametrize("border_mode", ["valid", "full", "half", 1, (2, 0)])
@pytest.mark.parametrize("groups, subsample, dilation, flip", [
    (2, (1, 1), (1, 1), True), (3, (2, 1), (1, 2), False), (2, (1, 3), (2, 1), True)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grouped_conv2d_matches_per_group_convs(border_mode, groups, subsample, dilation,
                                                flip, dtype):
    kw = dict(border_mode=border_mode, subsample=subsample, filter_dilation=dilation,
              filter_flip=flip)
    got = check(lambda x, w: T.nnet.conv2d(x, w, num_groups=groups, **kw), XG, WG[groups],
                dtype=dtype)
    want = per_group_conv2d(XG.astype(dtype), WG[groups].astype(dtype), groups, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_grouped_conv2d_one_filter_per_channel():
    """num_groups = channels (depthwise): each output channel sees one input channel."""
    w = RNG.standard_normal((6, 1, 3, 3))
    got = theano.function([], T.nnet.conv2d(XG, w, num_groups=6, filter_flip=False))()
    want = [[[[np.sum(XG[n, c, i:i + 3, j:j + 3] * w[c, 0]) for j in range(3)]
              for i in range(5)] for c in range(6)] for n in range(2)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_one_group_is_the_plain_convolution():
    assert conv.Conv2d() == conv.Conv2d(num_groups=1)
    assert "groups" not in str(conv.Conv2d()) and "groups=2" in str(conv.Conv2d(num_groups=2))
    x, w = T.tensor4(), T.tensor4()
    assert T.nnet.conv2d(x, w, num_groups=1).owner.op == T.nnet.conv2d(x, w).owner.op


def test_grouped_conv2d_static_shapes():
    x = T.tensor("float64", shape=(None, 6, 28, 28))
    w = T.tensor("float64", shape=(20, 3, 5, 5))
    y = T.nnet.conv2d(x, w, num_groups=2)
    assert y.type.shape == (None, 20, 24, 24)
    gx, gw = theano.grad(y.sum(), [x, w])
    assert gx.type.shape[1] == 6 and gw.type.shape[1] == 3


@pytest.mark.parametrize("images, filters, groups, message", [
    ((2, 6, 7, 5), (5, 3, 3, 2), 2, r"filters of shape \(5, 3, 3, 2\): 5 filters cannot be "
                                    r"split into num_groups=2 groups"),
    ((2, 6, 7, 5), (4, 2, 3, 2), 2, r"images of shape \(2, 6, 7, 5\) have 6 channels but "
                                    r"filters of shape \(4, 2, 3, 2\) expect 4 \(2 groups of "
                                    r"2\): expected images of shape \(batch, 4, rows, cols\)"),
])
def test_grouped_conv2d_bad_group_counts(images, filters, groups, message):
    x, w = T.tensor4(), T.tensor4()
    f = theano.function([x, w], T.nnet.conv2d(x, w, num_groups=groups))
    with pytest.raises(ValueError, match="conv2d: " + message):
        f(np.zeros(images), np.zeros(filters))
    with pytest.raises(ValueError, match="conv2d: " + message):    # static shapes: at once
        T.nnet.conv2d(T.tensor("float64", shape=images), T.tensor("float64", shape=filters),
                      num_groups=groups)


def test_conv2d_bad_group_arguments():
    for groups in (0, -2, 1.5):
        with pytest.raises(ValueError, match="num_groups must be an int >= 1"):
            T.nnet.conv2d(T.tensor4(), T.tensor4(), num_groups=groups)
    with pytest.raises(NotImplementedError, match="unshared=True .* not implemented"):
        T.nnet.conv2d(T.tensor4(), T.tensor4(), unshared=True)


def test_old_conv_module_and_shape_hints():
    x, w = T.tensor4(), T.tensor4()
    f = theano.function([x, w], conv.conv2d(x, w, image_shape=(2, 3, 7, 6),
                                            filter_shape=(4, 3, 3, 2), border_mode="full"))
    assert f(X, W).shape == (2, 4, 9, 7)
    with pytest.raises(ValueError, match=r"declared to have shape \(2, 3, 7, 6\)"):
        f(X[:1], W)


def test_conv2d_static_shape():
    x = T.tensor("float64", shape=(None, 1, 28, 28))
    w = T.tensor("float64", shape=(20, 1, 5, 5))
    assert T.nnet.conv2d(x, w).type.shape == (None, 20, 24, 24)
    assert T.nnet.conv2d(x, w, border_mode="half", subsample=2).type.shape == (None, 20, 14, 14)


@pytest.mark.parametrize("images, filters, message", [
    ((2, 2, 7, 6), (4, 3, 3, 2), r"images of shape \(2, 2, 7, 6\) have 2 channels but filters of shape \(4, 3, 3, 2\) "
                                 r"expect 3: expected images of shape \(batch, 3, rows, cols\)"),
    ((2, 3, 2, 6), (4, 3, 3, 2), r"images of shape \(2, 3, 2, 6\) are smaller than the "
                                 r"filters of shape \(4, 3, 3, 2\).*expected rows >= 3"),
])
def test_conv2d_bad_shapes_name_the_layer(images, filters, message):
    x, w = T.tensor4(), T.tensor4()
    f = theano.function([x, w], T.nnet.conv2d(x, w))
    with pytest.raises(ValueError, match="conv2d: " + message):
        f(np.zeros(images), np.zeros(filters))


def test_conv2d_bad_arguments():
    with pytest.raises(ValueError, match="border_mode"):
        T.nnet.conv2d(T.tensor4(), T.tensor4(), border_mode="same")
    with pytest.raises(TypeError, match="must be 4-D"):
        T.nnet.conv2d(T.matrix(), T.tensor4())


POOLS = [(True, None, (0, 0)), (False, None, (0, 0)), (True, (1, 2), (1, 1)),
         (False, (1, 1), (0, 0))]


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
@pytest.mark.parametrize("ignore_border, stride, pad", POOLS)
def test_pool_2d(mode, ignore_border, stride, pad):
    check(lambda x: pool_2d(x, (2, 3), ignore_border=ignore_border, stride=stride, pad=pad,
                            mode=mode), X)


def test_pool_values_and_other_ranks():
    v = np.arange(16.0).reshape(4, 4)
    x = T.dmatrix()
    np.testing.assert_array_equal(theano.function([x], pool_2d(x, (2, 2)))(v),
                                  [[5, 7], [13, 15]])
    np.testing.assert_array_equal(
        theano.function([x], pool_2d(x, (3, 3), ignore_border=False))(v), [[10, 11], [14, 15]])
    np.testing.assert_allclose(
        theano.function([x], pool_2d(x, (2, 2), mode="average_exc_pad"))(v),
        [[2.5, 4.5], [10.5, 12.5]])
    check(lambda x: pool_2d(x, (2, 2), ignore_border=True), RNG.standard_normal((3, 2, 2, 5, 4)),
          dtype="float32")
    assert pool.max_pool_2d(T.tensor4(), (2, 2), ignore_border=True).ndim == 4


def test_downsample_is_theano_0_7s_name_for_max_pooling():
    from cytensor.tensor.signal import downsample
    images = np.arange(32.0).reshape(1, 2, 4, 4)
    x = T.tensor4()
    pooled = downsample.max_pool_2d(input=x, ds=(2, 2), ignore_border=True)
    np.testing.assert_array_equal(theano.function([x], pooled)(images),
                                  images[..., 1::2, 1::2])


def test_average_pool_gradient_of_gradient():
    p = pool.PoolGrad((2, 2), True, None, (0, 0), "average_inc_pad")
    gz = RNG.standard_normal((2, 3, 3, 3))
    check(lambda g: p(X, np.zeros_like(gz), g), gz)


# --- second derivative of max pooling -------------------------------------

def max_pooled(x, ignore_border, stride, pad):
    v = T.tensor(x.dtype, shape=(None,) * x.ndim)
    return theano.function([v], pool_2d(v, (2, 3), ignore_border=ignore_border, stride=stride,
                                        pad=pad))(x)


@pytest.mark.parametrize("ignore_border, stride, pad", POOLS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_grad_grad_kernel_matches_reference(ignore_border, stride, pad, dtype):
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 2, (2, 3, 7, 6)).astype(dtype)          # many ties
    out = max_pooled(x, ignore_border, stride, pad)
    ggx = rng.standard_normal(x.shape).astype(dtype)
    op = pool.MaxPoolGradGrad((2, 3), ignore_border, stride, pad)
    xs, outs, ggs = (T.tensor(dtype, shape=(None,) * 4) for _ in range(3))
    y = op(xs, outs, ggs)
    got = theano.function([xs, outs, ggs], y)(x, out, ggx)
    want = theano.function([xs, outs, ggs], y, mode=PY)(x, out, ggx)
    assert got.dtype == dtype and got.shape == out.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_max_pool_grad_grad_sums_over_ties():
    """The exact transpose of PoolGrad, which sends a window's gradient to each
    pixel equal to its maximum."""
    x, ggx = np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    op = pool.MaxPoolGradGrad((2, 2), True)
    got = theano.function([], op(x, np.array([[1.0]]), ggx))()
    np.testing.assert_array_equal(got, [[7.0]])


@pytest.mark.parametrize("ignore_border, stride, pad", POOLS)
def test_max_pool_gradient_of_gradient(ignore_border, stride, pad):
    """verify_grad of PoolGrad (max) w.r.t. the output gradient: MaxPoolGradGrad;
    and of MaxPoolGradGrad w.r.t. its input: PoolGrad again."""
    props = ((2, 3), ignore_border, stride, pad, "max")
    out = max_pooled(X, ignore_border, stride, pad)
    gz = RNG.standard_normal(out.shape)
    check(lambda g: pool.PoolGrad(*props)(X, out, g), gz)
    check(lambda g: pool.MaxPoolGradGrad(*props)(X, out, g), RNG.standard_normal(X.shape))


def hessian_vector(x, v, ignore_border, stride, pad):
    """H v of sum(max_pool(tanh(x))**2), written as grad(grad(cost) . v)."""
    y = pool_2d(T.tanh(x), (2, 3), ignore_border=ignore_border, stride=stride, pad=pad)
    return theano.grad((theano.grad((y ** 2).sum(), x) * v).sum(), x)


@pytest.mark.parametrize("ignore_border, stride, pad", POOLS)
def test_max_pool_hessian_vector_product(ignore_border, stride, pad):
    v = RNG.standard_normal(X.shape)
    # The gradient of x -> grad(cost) . v (finite differences) is H v.
    verify_grad(lambda x: (theano.grad(
        (pool_2d(T.tanh(x), (2, 3), ignore_border=ignore_border, stride=stride,
                 pad=pad) ** 2).sum(), x) * v).sum(), [X])
    xs, vs = T.tensor4(), T.tensor4()
    hv = hessian_vector(xs, vs, ignore_border, stride, pad)
    got = theano.function([xs, vs], hv)(X, v)
    want = theano.function([xs, vs], hv, mode=PY)(X, v)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.abs(got).max() > 0


def test_max_pool_second_derivative_bad_shapes():
    op = pool.MaxPoolGradGrad((2, 2), True)
    xs, outs, ggs = T.tensor4(), T.tensor4(), T.tensor4()
    f = theano.function([xs, outs, ggs], op(xs, outs, ggs))
    x = np.zeros((1, 2, 4, 4))
    with pytest.raises(ValueError, match=r"gradient of the input gradient of shape "
                                         r"\(1, 2, 4, 5\) for input of shape \(1, 2, 4, 4\)"):
        f(x, np.zeros((1, 2, 2, 2)), np.zeros((1, 2, 4, 5)))
    with pytest.raises(ValueError, match=r"pooled output of shape \(1, 2, 3, 2\) .* "
                                         r"expected \(1, 2, 2, 2\)"):
        f(x, np.zeros((1, 2, 3, 2)), x)
    with pytest.raises(ValueError, match="mode must be 'max'"):
        pool.MaxPoolGradGrad((2, 2), True, mode="sum")


def test_input_gradient_penalty_trains_through_grouped_conv_and_max_pool():
    """Double backpropagation: the loss adds the squared norm of its gradient
    w.r.t. the images, so the filters' gradient runs through the gradient of
    PoolGrad (MaxPoolGradGrad) and of the convolution's gradient ops."""
    xv, target = RNG.standard_normal((6, 2, 8, 8)), RNG.standard_normal((6, 3))
    v = theano.shared(RNG.standard_normal((4 * 3 * 3, 3)) * 0.3)

    def penalty_of(w, x):
        h = pool_2d(T.tanh(T.nnet.conv2d(x, w, num_groups=2)), (2, 2), ignore_border=True)
        loss = ((T.dot(h.flatten(2), v) - target) ** 2).mean()
        return loss + 10.0 * (theano.grad(loss, x) ** 2).sum()

    w0 = RNG.standard_normal((4, 1, 3, 3)) * 0.3
    verify_grad(penalty_of, [w0, xv])
    w, x = theano.shared(w0.copy()), T.tensor4()
    cost = penalty_of(w, x)
    gw = theano.grad(cost, w)
    np.testing.assert_allclose(theano.function([x], gw)(xv),
                               theano.function([x], gw, mode=PY)(xv), rtol=1e-10, atol=1e-12)
    step = theano.function([x], cost, updates=[(w, w - 0.05 * gw)])
    first = step(xv)
    for _ in range(10):
        last = step(xv)
    assert last < first


# --- hot paths: image-by-image convolution, lean pooling loops -------------

def _conv_pair(x, w, **kw):
    xs, ws = T.tensor4(dtype=x.dtype), T.tensor4(dtype=x.dtype)
    y = T.nnet.conv2d(xs, ws, **kw)
    gy = T.tensor4(dtype=x.dtype)
    cost = (y * gy).sum()
    outs = [y, theano.grad(cost, ws), theano.grad(cost, xs)]
    return (theano.function([xs, ws], y),
            theano.function([xs, ws, gy], outs),
            theano.function([xs, ws, gy], outs, mode=PY))


@pytest.mark.parametrize("shape_x, shape_w, kw", [
    ((64, 1, 28, 28), (20, 1, 5, 5), {}),                        # D3: threads, one block
    ((9, 3, 12, 11), (6, 3, 3, 3), dict(border_mode="full", subsample=(2, 3))),
    ((5, 2, 10, 9), (4, 2, 3, 2), dict(border_mode=(2, 1), filter_dilation=(2, 2))),
    ((3, 16, 9, 9), (64, 16, 3, 3), dict(border_mode="half")),     # large: chunked BLAS
    ((4, 6, 10, 9), (6, 2, 3, 3), dict(num_groups=3, subsample=(2, 1))),
    ((2, 64, 12, 12), (256, 16, 3, 3), dict(num_groups=4, border_mode="half")),  # chunked
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_hot_paths_match_references(shape_x, shape_w, kw, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape_x).astype(dtype)
    w = rng.standard_normal(shape_w).astype(dtype)
    forward, fast, ref = _conv_pair(x, w, **kw)
    gy = rng.standard_normal(forward(x, w).shape).astype(dtype)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    for got, want in zip(fast(x, w, gy), ref(x, w, gy)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **tol)


@pytest.mark.parametrize("ws, stride, shape", [
    ((2, 2), None, (3, 4, 8, 6)),          # the 2x2 loops, whole image covered
    ((2, 2), None, (3, 4, 9, 7)),          # an uncovered last row and column
    ((3, 2), (4, 3), (2, 3, 11, 10)),      # gaps between the windows
    ((2, 3), (1, 2), (2, 3, 7, 8)),        # overlapping rows: the general loops
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_fast_loops_ties_and_inf(ws, stride, shape, dtype):
    rng = np.random.default_rng(4)
    v = rng.integers(-3, 3, shape).astype(dtype)          # many ties
    v.flat[5::23] = -np.inf
    x, g = T.tensor4(dtype=dtype), T.tensor4(dtype=dtype)
    y = pool_2d(x, ws, ignore_border=True, stride=stride)
    outs = [y, theano.grad((y * g).sum(), x)]
    fast = theano.function([x, g], outs)
    ref = theano.function([x, g], outs, mode=PY)
    gz = rng.standard_normal(theano.function([x], y)(v).shape).astype(dtype)
    for got, want in zip(fast(v, gz), ref(v, gz)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("ws, stride, pad", [((2, 2), None, (0, 0)),     # the lean loops
                                             ((3, 2), (1, 2), (0, 0)),
                                             ((2, 2), None, (1, 1))])    # the general loop
def test_max_pool_propagates_nan(ws, stride, pad):
    v = np.arange(2 * 1 * 6 * 6, dtype="float64").reshape(2, 1, 6, 6)
    v[0, 0, 1, 1] = np.nan
    v[1, 0, 4, 5] = np.nan
    x = T.tensor4()
    y = pool_2d(x, ws, ignore_border=True, stride=stride, pad=pad)
    got = theano.function([x], y)(v)
    want = theano.function([x], y, mode=PY)(v)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got).sum() == np.isnan(want).sum() > 0
