"""theano.gpuarray's cuDNN names run on the CPU: dnn_conv is conv2d, and
GpuDnnConvGradI (a DCGAN's upsampling "deconvolution") is the gradient of a
convolution with respect to its images."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.gpuarray.basic_ops import (GpuAllocEmpty, as_gpuarray_variable,
                                         gpu_contiguous, infer_context_name)
from cytensor.gpuarray.dnn import GpuDnnConvDesc, GpuDnnConvGradI, dnn_conv

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("conv_mode", ["conv", "cross"])
def test_dnn_conv_is_conv2d_with_the_same_options(conv_mode):
    img, kerns = T.tensor4("img"), T.tensor4("kerns")
    ours = dnn_conv(img, kerns, subsample=(2, 2), border_mode=(2, 2), conv_mode=conv_mode)
    reference = T.nnet.conv2d(img, kerns, subsample=(2, 2), border_mode=(2, 2),
                              filter_flip=conv_mode == "conv")
    f = theano.function([img, kerns], [ours, reference])
    a, b = f(RNG.normal(size=(2, 3, 9, 8)), RNG.normal(size=(4, 3, 5, 5)))
    assert a.shape == (2, 4, 5, 4)
    np.testing.assert_allclose(a, b)


def test_deconvolution_is_the_image_gradient_of_a_strided_convolution():
    x = T.tensor4("x")            # 3 channels of 4 x 4, to upsample to 2 channels of 8 x 8
    w = T.tensor4("w")            # (channels of x, channels of the result, 5, 5)
    img = gpu_contiguous(T.cast(x, "float32"))
    kerns = gpu_contiguous(T.cast(w, "float32"))
    desc = GpuDnnConvDesc(border_mode=(2, 2), subsample=(2, 2), conv_mode="conv")(kerns.shape)
    out = GpuAllocEmpty(dtype="float32", context_name=infer_context_name(x))(
        img.shape[0], kerns.shape[1], img.shape[2] * 2, img.shape[3] * 2)
    upsampled = GpuDnnConvGradI()(kerns, img, out, desc)

    z = T.tensor4("z", dtype="float32")      # any image of the result's shape
    conv = T.nnet.conv2d(z, kerns, subsample=(2, 2), border_mode=(2, 2))
    image_grad = T.grad((conv * img).sum(), z)
    f = theano.function([x, w, z], [upsampled, image_grad])
    xv = RNG.normal(size=(2, 3, 4, 4)).astype("float32")
    wv = RNG.normal(size=(3, 2, 5, 5)).astype("float32")
    ours, reference = f(xv, wv, np.zeros((2, 2, 8, 8), dtype="float32"))
    assert ours.shape == (2, 2, 8, 8) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-5)


def test_transfer_names_change_nothing_and_bad_options_are_named():
    v = T.matrix("v")
    assert as_gpuarray_variable(v, infer_context_name(v)) is v
    assert infer_context_name(v) is None
    with pytest.raises(ValueError, match="conv_mode"):
        dnn_conv(T.tensor4(), T.tensor4(), conv_mode="diagonal")
    with pytest.raises(TypeError, match="GpuDnnConvDesc"):
        GpuDnnConvGradI()(T.tensor4(), T.tensor4(), T.tensor4(), "desc")
