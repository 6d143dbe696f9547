"""Theano's ``theano.gpuarray.basic_ops`` and ``theano.gpuarray.dnn`` names
that model code calls, running on the CPU.

Code written for Theano's GPU back end (the DCGAN of "Deep Learning with
Theano", chapter 12, for one) builds its convolutions with cuDNN ops.
Here each of those names builds the same computation from cytensor's
``conv2d`` and ``conv2d_grad_wrt_inputs``, so such code runs unchanged on a
CPU; moving data to a GPU (``as_gpuarray_variable``, ``gpu_contiguous``)
changes nothing.  Theano's GPU internals (contexts, GpuArrayType, kernels
written in CUDA) are out of scope.
"""
from ..tensor.basic import zeros
from ..tensor.nnet.conv import conv2d, conv2d_grad_wrt_inputs
from ..tensor.type import as_tensor_variable


def as_gpuarray_variable(x, context_name=None):
    """``x`` as a symbolic tensor: there is no separate GPU type here."""
    return as_tensor_variable(x)


def gpu_contiguous(x):
    """``x`` itself: kernels here accept any memory layout."""
    return as_tensor_variable(x)


def infer_context_name(*variables):
    """The one context there is (Theano named GPU contexts; None is the default)."""
    return None


class GpuAllocEmpty:
    """``GpuAllocEmpty(dtype, context_name)(*shape)``: an array of that shape
    (zeros here, so that no uninitialised memory is ever read)."""

    def __init__(self, dtype, context_name=None):
        self.dtype = dtype

    def __call__(self, *shape):
        return zeros(shape, dtype=self.dtype)


def _flip(conv_mode):
    if conv_mode not in ("conv", "cross"):
        raise ValueError(f"conv_mode must be 'conv' or 'cross', got {conv_mode!r}")
    return conv_mode == "conv"


def dnn_conv(img, kerns, border_mode="valid", subsample=(1, 1), dilation=(1, 1),
             conv_mode="conv", direction_hint=None, workmem=None, algo=None,
             precision=None, num_groups=1):
    """cuDNN's convolution as Theano called it: ``conv2d`` with the same
    options (conv_mode 'conv' flips the filters, 'cross' does not; the
    algorithm and precision hints change nothing here)."""
    return conv2d(img, kerns, border_mode=border_mode, subsample=subsample,
                  filter_flip=_flip(conv_mode), filter_dilation=dilation,
                  num_groups=num_groups)


class GpuDnnConvDesc:
    """The options of a cuDNN convolution; calling it with the filters' shape
    gives the descriptor that GpuDnnConvGradI reads them from."""

    def __init__(self, border_mode, subsample=(1, 1), dilation=(1, 1), conv_mode="conv",
                 precision="float32", num_groups=1):
        self.border_mode, self.subsample, self.dilation = border_mode, subsample, dilation
        self.filter_flip = _flip(conv_mode)
        self.num_groups = num_groups

    def __call__(self, kern_shape=None):
        return self


class GpuDnnConvGradI:
    """``GpuDnnConvGradI()(kerns, topgrad, output, desc, alpha=1, beta=0)``:
    alpha times the gradient of a convolution with respect to its images
    (the transposed convolution), of ``output``'s shape, plus beta times
    ``output``."""

    def __call__(self, kerns, topgrad, output, desc, alpha=None, beta=None):
        if not isinstance(desc, GpuDnnConvDesc):
            raise TypeError(f"GpuDnnConvGradI: desc must come from GpuDnnConvDesc(...)(shape), "
                            f"got {desc!r}")
        output = as_tensor_variable(output)
        images = conv2d_grad_wrt_inputs(
            topgrad, kerns, output.shape, border_mode=desc.border_mode,
            subsample=desc.subsample, filter_flip=desc.filter_flip,
            filter_dilation=desc.dilation, num_groups=desc.num_groups)
        if alpha is not None:
            images = images * alpha
        if beta is not None:
            images = images + beta * output
        return images
