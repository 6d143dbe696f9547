"""T.nnet.neighbours (images2neibs / neibs2images), T.nnet.h_softmax and
T.nnet.conv2d_grad_wrt_inputs (the transposed convolution)."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.tensor.nnet import neighbours

RNG = np.random.default_rng(19)


def patches_by_loops(images, shape, step, mode):
    """Every patch, walked pixel by pixel: the definition images2neibs follows."""
    (h, w), (sh, sw) = shape, step
    b, c, rows, cols = images.shape
    if mode == "wrap_centered":
        starts_r = [i - h // 2 for i in range(0, rows, sh)]
        starts_c = [j - w // 2 for j in range(0, cols, sw)]
        source, wrap = images, True
    else:
        pad_r, pad_c = {"half": (h // 2, w // 2), "full": (h - 1, w - 1)}.get(mode, (0, 0))
        source = np.pad(images, ((0, 0), (0, 0), (pad_r, pad_r), (pad_c, pad_c)))
        starts_r = range(0, source.shape[2] - h + 1, sh)
        starts_c = range(0, source.shape[3] - w + 1, sw)
        wrap = False
    out = []
    for bi in range(b):
        for ci in range(c):
            for r0 in starts_r:
                for c0 in starts_c:
                    patch = [source[bi, ci, (r0 + dr) % source.shape[2] if wrap else r0 + dr,
                                    (c0 + dc) % source.shape[3] if wrap else c0 + dc]
                             for dr in range(h) for dc in range(w)]
                    out.append(patch)
    return np.array(out).reshape(-1, h * w)


CASES = [((2, 2), None, "valid", (2, 3, 4, 6)), ((2, 3), (1, 2), "valid", (1, 2, 5, 7)),
         ((3, 3), (2, 2), "ignore_borders", (2, 1, 6, 8)), ((2, 2), None, "ignore_borders",
                                                            (1, 1, 5, 5)),
         ((3, 3), (1, 1), "wrap_centered", (1, 2, 4, 5)), ((3, 1), (2, 1), "wrap_centered",
                                                           (1, 1, 5, 3)),
         ((3, 3), (1, 1), "half", (1, 1, 4, 4)), ((2, 2), (1, 1), "full", (2, 1, 3, 3)),
         ((3, 3), (2, 2), "half", (1, 1, 5, 5)), ((2, 3), (3, 1), "full", (1, 1, 6, 4)),
         ((2, 2), (2, 2), "ignore_borders", (1, 1, 1, 1))]


@pytest.mark.parametrize("shape, step, mode, image_shape", CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_images2neibs_matches_the_loop_definition(shape, step, mode, image_shape, dtype):
    images = (RNG.normal(size=image_shape) * 5).astype(dtype)
    x = T.tensor4("x", dtype=dtype)
    f = theano.function([x], [T.nnet.images2neibs(x, shape, step, mode),
                              neighbours.images2neibs(x, shape, step, mode)])
    expected = patches_by_loops(images, shape, step or shape, mode)
    for layout in (images, np.asfortranarray(images), images[..., ::-1].copy()[..., ::-1]):
        out, same = f(layout)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(same, out)
        assert out.dtype == dtype


@pytest.mark.parametrize("shape, step, mode, image_shape", CASES)
def test_images2neibs_gradient_adds_overlapping_patches(shape, step, mode, image_shape):
    verify_grad(lambda t: neighbours.images2neibs(t, shape, step, mode),
                [RNG.normal(size=image_shape)])


def test_neibs2images_inverts_non_overlapping_patches():
    images = RNG.normal(size=(2, 3, 4, 6))
    x = T.tensor4("x")
    neibs = neighbours.images2neibs(x, (2, 3))
    back = neighbours.neibs2images(neibs, (2, 3), x.shape)
    np.testing.assert_array_equal(theano.function([x], back)(images), images)
    # ignore_borders: the border no patch covers comes back as zeros.
    odd = RNG.normal(size=(1, 1, 5, 5))
    cut = neighbours.images2neibs(x, (2, 2), mode="ignore_borders")
    restored = theano.function([x], T.nnet.neibs2images(cut, (2, 2), (1, 1, 5, 5),
                                                        mode="ignore_borders"))(odd)
    expected = odd.copy()
    expected[:, :, 4, :] = 0
    expected[:, :, :, 4] = 0
    np.testing.assert_array_equal(restored, expected)
    verify_grad(lambda n: neighbours.neibs2images(n, (2, 2), (1, 2, 4, 4)),
                [RNG.normal(size=(8, 4))])


def test_neighbours_errors_are_clear():
    x = T.tensor4("x")
    f = theano.function([x], neighbours.images2neibs(x, (2, 2)))
    with pytest.raises(ValueError, match="does not tile"):
        f(np.zeros((1, 1, 5, 4)))
    half = theano.function([x], neighbours.images2neibs(x, (3, 3), (2, 2), mode="half"))
    with pytest.raises(ValueError, match="padded by 1"):
        half(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="does not tile"):
        half(np.zeros((1, 1, 2, 5)))
    with pytest.raises(TypeError, match="odd patch"):
        neighbours.images2neibs(x, (2, 2), mode="wrap_centered")
    with pytest.raises(ValueError, match="mode"):
        neighbours.images2neibs(x, (2, 2), mode="same")
    with pytest.raises(TypeError, match="4-d"):
        neighbours.images2neibs(T.matrix(), (2, 2))
    wrap = theano.function([x], neighbours.images2neibs(x, (5, 5), mode="wrap_centered"))
    with pytest.raises(ValueError, match="smaller than the patch"):
        wrap(np.zeros((1, 1, 3, 3)))
    n = T.matrix("n")
    back = theano.function([n], neighbours.neibs2images(n, (2, 2), (1, 1, 4, 4)))
    with pytest.raises(ValueError, match="do not fit"):
        back(np.zeros((3, 4)))


# --- h_softmax ------------------------------------------------------------------------

def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_h_softmax_full_and_target_probabilities():
    batch, n_in, n_classes, per_class, n_outputs = 4, 5, 3, 4, 10
    xv = RNG.normal(size=(batch, n_in))
    W1v, b1v = RNG.normal(size=(n_in, n_classes)), RNG.normal(size=n_classes)
    W2v, b2v = RNG.normal(size=(n_classes, n_in, per_class)), RNG.normal(size=(n_classes,
                                                                                per_class))
    targets = np.array([0, 9, 4, 7])
    x, W1, W2, b2 = T.matrix("x"), T.matrix("W1"), T.tensor3("W2"), T.matrix("b2")
    b1, y = T.vector("b1"), T.lvector("y")
    full = T.nnet.h_softmax(x, batch, n_outputs, n_classes, per_class, W1, b1, W2, b2)
    picked = T.nnet.h_softmax(x, batch, n_outputs, n_classes, per_class, W1, b1, W2, b2, y)
    column = T.nnet.h_softmax(x, batch, n_outputs, n_classes, per_class, W1, b1, W2, b2,
                              y.dimshuffle(0, "x"))          # targets as a (batch, 1) matrix
    f = theano.function([x, W1, b1, W2, b2, y], [full, picked, column])
    got_full, got_picked, got_column = f(xv, W1v, b1v, W2v, b2v, targets)
    np.testing.assert_array_equal(got_column, got_picked)
    class_p = _softmax(xv @ W1v + b1v)
    within = _softmax(np.einsum("bi,cio->bco", xv, W2v) + b2v)
    expected = (class_p[:, :, None] * within).reshape(batch, -1)[:, :n_outputs]
    np.testing.assert_allclose(got_full, expected, rtol=1e-12)
    np.testing.assert_allclose(got_picked, expected[np.arange(batch), targets], rtol=1e-12)
    # With all n_classes * per_class outputs kept, each row is a distribution.
    everything = T.nnet.h_softmax(x, batch, 12, n_classes, per_class, W1, b1, W2, b2)
    np.testing.assert_allclose(theano.function([x, W1, b1, W2, b2], everything)(
        xv, W1v, b1v, W2v, b2v).sum(1), 1.0)
    verify_grad(lambda w1, w2: T.nnet.h_softmax(T.constant(xv), batch, n_outputs, n_classes,
                                                per_class, w1, T.constant(b1v), w2,
                                                T.constant(b2v), T.constant(targets)),
                [W1v, W2v])


# --- conv2d_grad_wrt_inputs ------------------------------------------------------------

def transposed_convolution_by_loops(output_grad, filters, input_shape, stride):
    """Each output-gradient pixel spreads the flipped filter over the input
    window it came from (valid mode, filter_flip=True: conv2d is a true convolution)."""
    out = np.zeros(input_shape)
    flipped = filters[:, :, ::-1, ::-1]
    _, _, kh, kw = filters.shape
    for b in range(output_grad.shape[0]):
        for o in range(filters.shape[0]):
            for i in range(output_grad.shape[2]):
                for j in range(output_grad.shape[3]):
                    window = (b, slice(None), slice(i * stride, i * stride + kh),
                              slice(j * stride, j * stride + kw))
                    out[window] += output_grad[b, o, i, j] * flipped[o]
    return out


@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_grad_wrt_inputs_is_the_transposed_convolution(stride):
    filters = RNG.normal(size=(3, 2, 3, 3))
    input_shape = (2, 2, 7, 7)
    out_size = (7 - 3) // stride + 1
    output_grad = RNG.normal(size=(2, 3, out_size, out_size))
    g, w, img = T.tensor4("g"), T.tensor4("w"), T.tensor4("img")
    transposed = T.nnet.conv2d_grad_wrt_inputs(g, w, input_shape, subsample=(stride, stride))
    got = theano.function([g, w], transposed)(output_grad, filters)
    np.testing.assert_allclose(got, transposed_convolution_by_loops(
        output_grad, filters, input_shape, stride), rtol=1e-10, atol=1e-12)
    conv = T.nnet.conv2d(img, w, subsample=(stride, stride))
    through_grad = T.grad((conv * g).sum(), img)
    np.testing.assert_allclose(
        theano.function([img, w, g], through_grad)(np.zeros(input_shape), filters, output_grad),
        got, rtol=1e-10, atol=1e-12)
