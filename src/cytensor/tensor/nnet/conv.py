"""2-D convolution of (batch, channels, rows, cols) images, as Theano defines it.

Three ops share one geometry: ``Conv2d`` (the layer), ``Conv2dGradWeights``
and ``Conv2dGradInputs`` (its gradients); each one's gradient is made of
the other two.  All three lower the convolution to a matrix product: the
kernel ``im2col`` copies every filter-sized patch of a chunk of images into
one column of a matrix, and one BLAS product with the (filters, patch)
matrix gives every output pixel of the chunk.  ``col2im`` scatters columns
back for the gradient with respect to the images.

``filter_flip=True`` (Theano's default) is a true convolution: the filters
are flipped before the patches are multiplied.  ``filter_flip=False`` is
the cross-correlation most other frameworks call convolution.

``num_groups=G`` splits the C image channels and the F filters into G
groups: filters [g*F/G, (g+1)*F/G) see only channels [g*C/G, (g+1)*C/G),
so filters have shape (F, C/G, rows, cols).  im2col keeps each channel's
rows together, so a group's patches are a block of rows of the im2col
matrix and its product is one BLAS call on that block.
"""
import numpy as np

from ... import kernels
from ...graph import Apply, Op
from ...kernels import _nnet
from ..subtensor import specify_shape
from ..type import TensorType, as_tensor_variable, upcast
from .basic import as_float, output_buffer

COLS_LIMIT = 1 << 22          # elements of the im2col matrix of one chunk of images


def _pair(v, what):
    pair = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(pair) != 2 or not all(isinstance(p, (int, np.integer)) for p in pair):
        raise ValueError(f"conv2d: {what} must be an int or a pair of ints, got {v!r}")
    return tuple(int(p) for p in pair)


def _normal_border(border_mode):
    if isinstance(border_mode, str):
        if border_mode not in ("valid", "full", "half"):
            raise ValueError(f"conv2d: border_mode must be 'valid', 'full', 'half', an int "
                             f"or a pair of ints, got {border_mode!r}")
        return border_mode
    pad = _pair(border_mode, "border_mode")
    if min(pad) < 0:
        raise ValueError(f"conv2d: padding must not be negative, got {pad}")
    return pad


class _ConvGeometry(Op):
    """What the three convolution ops share: their parameters and shapes."""

    __props__ = ("border_mode", "subsample", "filter_dilation", "filter_flip", "num_groups")

    def __init__(self, border_mode="valid", subsample=(1, 1), filter_dilation=(1, 1),
                 filter_flip=True, num_groups=1):
        self.border_mode = _normal_border(border_mode)
        self.subsample = _pair(subsample, "subsample")
        self.filter_dilation = _pair(filter_dilation, "filter_dilation")
        self.filter_flip = bool(filter_flip)
        if min(self.subsample) < 1 or min(self.filter_dilation) < 1:
            raise ValueError(f"conv2d: subsample and filter_dilation must be >= 1, got "
                             f"{self.subsample} and {self.filter_dilation}")
        if not isinstance(num_groups, (int, np.integer)) or num_groups < 1:
            raise ValueError(f"conv2d: num_groups must be an int >= 1, got {num_groups!r}")
        self.num_groups = int(num_groups)

    def padding(self, kh, kw):
        """(pad rows, pad cols) for filters of kh x kw."""
        dh, dw = self.filter_dilation
        if self.border_mode == "valid":
            return 0, 0
        if self.border_mode == "full":
            return dh * (kh - 1), dw * (kw - 1)
        if self.border_mode == "half":
            return dh * (kh // 2), dw * (kw // 2)
        return self.border_mode

    def out_length(self, n, k, pad, stride, dilation):
        """Output length along one axis (works on ints and symbolic scalars)."""
        return (n + 2 * pad - dilation * (k - 1) - 1) // stride + 1

    def check_channels(self, x_shape, w_shape, layer):
        """ValueError unless the images' channels and the filters fit the groups
        (entries None, unknown until the function runs, are not checked)."""
        (c, f), (cg, groups) = (x_shape[1], w_shape[0]), (w_shape[1], self.num_groups)
        if f is not None and f % groups:
            raise ValueError(f"{layer}: filters of shape {tuple(w_shape)}: {f} filters "
                             f"cannot be split into num_groups={groups} groups")
        if c is not None and cg is not None and c != cg * groups:
            split = f" ({groups} groups of {cg})" if groups > 1 else ""
            raise ValueError(f"{layer}: images of shape {tuple(x_shape)} have {c} channels "
                             f"but filters of shape {tuple(w_shape)} expect {cg * groups}"
                             f"{split}: expected images of shape (batch, {cg * groups}, "
                             f"rows, cols)")

    def gradient_geometry(self, x_shape, w_shape, gy, layer):
        """geometry(), for a gradient op: also check that the output gradient
        gy has the shape of the output those images and filters give."""
        g = self.geometry(x_shape, w_shape, layer)
        expected = (x_shape[0], w_shape[0], g["oh"], g["ow"])
        if gy.shape != expected:
            raise ValueError(f"conv2d gradient: the output gradient has shape {gy.shape}, "
                             f"expected {expected}")
        return g

    def geometry(self, x_shape, w_shape, layer):
        """Check that images and filters fit; return the im2col parameters."""
        if len(x_shape) != 4 or len(w_shape) != 4:
            raise ValueError(f"{layer}: expected images (batch, channels, rows, cols) and "
                             f"filters (filters, channels, rows, cols), given shapes "
                             f"{tuple(x_shape)} and {tuple(w_shape)}")
        self.check_channels(x_shape, w_shape, layer)
        n, c, h, w = x_shape
        kh, kw = w_shape[2:]
        ph, pw = self.padding(kh, kw)
        (sh, sw), (dh, dw) = self.subsample, self.filter_dilation
        oh = self.out_length(h, kh, ph, sh, dh)
        ow = self.out_length(w, kw, pw, sw, dw)
        if oh < 1 or ow < 1 or kh < 1 or kw < 1:
            raise ValueError(
                f"{layer}: images of shape {tuple(x_shape)} are smaller than the filters "
                f"of shape {tuple(w_shape)} (dilation {self.filter_dilation}, padding "
                f"{(ph, pw)}): expected rows >= {dh * (kh - 1) + 1 - 2 * ph} and cols >= "
                f"{dw * (kw - 1) + 1 - 2 * pw}")
        return dict(c=c, kh=kh, kw=kw, sh=sh, sw=sw, ph=ph, pw=pw, dh=dh, dw=dw, oh=oh, ow=ow)

    def filter_matrix(self, w):
        """Filters as a C-contiguous (filters, channels per group*rows*cols) matrix."""
        if self.filter_flip:
            w = w[:, :, ::-1, ::-1]
        return np.ascontiguousarray(w).reshape(w.shape[0], -1)

    def group_rows(self, f, k):
        """Per group: (its rows of the (f, k) filter matrix, its rows of im2col)."""
        fg = f // self.num_groups
        return [(slice(g * fg, (g + 1) * fg), slice(g * k, (g + 1) * k))
                for g in range(self.num_groups)]

    def by_group(self, a, axis):
        """a with its channel (or filter) axis split into (groups, per group),
        for the references' einsums."""
        return a.reshape(a.shape[:axis] + (self.num_groups, -1) + a.shape[axis + 1:])

    def chunks(self, n, g):
        """Ranges of images whose im2col matrix fits COLS_LIMIT."""
        per_image = g["c"] * g["kh"] * g["kw"] * g["oh"] * g["ow"]
        step = max(1, COLS_LIMIT // max(1, per_image))
        return [(n0, min(step, n - n0)) for n0 in range(0, n, step)]

    def _kernel_geometry(self, g):
        return (self.num_groups, g["kh"], g["kw"], g["sh"], g["sw"], g["ph"], g["pw"],
                g["dh"], g["dw"], g["oh"], g["ow"], kernels.get_num_threads())

    def im2col(self, x, n0, nc, g):
        cols = np.empty((x.shape[1] * g["kh"] * g["kw"], nc * g["oh"] * g["ow"]), x.dtype)
        _nnet.im2col(x, cols, n0, nc, g["kh"], g["kw"], g["sh"], g["sw"], g["ph"], g["pw"],
                     g["dh"], g["dw"], g["oh"], g["ow"], kernels.get_num_threads())
        return cols

    def __str__(self):
        flip = "" if self.filter_flip else ",corr"
        groups = f",groups={self.num_groups}" if self.num_groups > 1 else ""
        return (f"{type(self).__name__}{{{self.border_mode},s={self.subsample},"
                f"d={self.filter_dilation}{flip}{groups}}}")


def _grad_rows(gy, n0, nc):
    """Output gradients of images [n0, n0+nc) as an (filters, nc*pixels) matrix."""
    n, f = gy.shape[:2]
    return np.ascontiguousarray(gy[n0:n0 + nc].reshape(nc, f, -1).transpose(1, 0, 2)) \
        .reshape(f, -1)


def _contiguous(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


class Conv2d(_ConvGeometry):
    """The convolution layer: images (n, c, h, w), filters (f, c/groups, kh, kw)
    -> (n, f, oh, ow).

    Made by :func:`conv2d`; its inputs are the images and the filters.

    Parameters
    ----------
    border_mode : {'valid', 'full', 'half'}, int or pair of int
        The padding.
    subsample : pair of int
        The strides.
    filter_dilation : pair of int
        Gaps between the filter's taps.
    filter_flip : bool
        True convolves, False cross-correlates.
    num_groups : int
        Independent groups of channels.

    Examples
    --------
    >>> images, filters = T.dtensor4('images'), T.dtensor4('filters')
    >>> print(T.nnet.conv2d(images, filters, subsample=(2, 2)).owner.op)
    Conv2d{valid,s=(2, 2),d=(1, 1)}
    """

    def make_node(self, x, w):
        x, w = as_float(x), as_float(w)
        if x.ndim != 4 or w.ndim != 4:
            raise TypeError(f"conv2d: images and filters must be 4-D, got {x.type} and "
                            f"{w.type}")
        self.check_channels(x.type.shape, w.type.shape, "conv2d")
        dtype = upcast(x.dtype, w.dtype)
        shape = [x.type.shape[0], w.type.shape[0], None, None]
        for axis in (2, 3):
            n, k = x.type.shape[axis], w.type.shape[axis]
            if n is not None and k is not None:
                pad = self.padding(w.type.shape[2], w.type.shape[3])[axis - 2]
                shape[axis] = self.out_length(n, k, pad, self.subsample[axis - 2],
                                              self.filter_dilation[axis - 2])
        return Apply(self, [x, w], [TensorType(dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        dtype = node.outputs[0].dtype
        x, w = _contiguous(inputs[0], dtype), _contiguous(inputs[1], dtype)
        g = self.geometry(x.shape, w.shape, "conv2d")
        wm = self.filter_matrix(w)
        n, f, pixels = x.shape[0], w.shape[0], g["oh"] * g["ow"]
        out = output_buffer(output_storage[0], (n, f, g["oh"], g["ow"]), dtype)
        if _nnet.conv_direct_ok(f // self.num_groups, wm.shape[1], pixels) \
                and out.flags.c_contiguous:
            # small layers: image by image on threads, straight into out
            _nnet.conv2d_images(x, wm, out.reshape(n, f, pixels), *self._kernel_geometry(g))
            output_storage[0][0] = out
            return
        for n0, nc in self.chunks(n, g):
            cols = self.im2col(x, n0, nc, g)
            product = np.empty((f, cols.shape[1]), dtype)
            for filters, patches in self.group_rows(f, wm.shape[1]):
                kernels.dot(wm[filters], cols[patches], out=product[filters])
            out[n0:n0 + nc] = product.reshape(f, nc, g["oh"], g["ow"]).transpose(1, 0, 2, 3)
        output_storage[0][0] = out

    def reference(self, node, x, w):
        g = self.geometry(x.shape, w.shape, "conv2d")
        if self.filter_flip:
            w = w[:, :, ::-1, ::-1]
        xp = np.pad(x, ((0, 0), (0, 0), (g["ph"],) * 2, (g["pw"],) * 2))
        # zeros_like: the array module of x (NumPy's, or a device's through
        # __array_function__), so that the CUDA backend runs this reference too
        out = np.zeros_like(x, shape=(x.shape[0], w.shape[0], g["oh"], g["ow"]),
                            dtype=node.outputs[0].dtype)
        for i in range(g["kh"]):
            for j in range(g["kw"]):
                r, c = i * g["dh"], j * g["dw"]
                patch = xp[:, :, r:r + g["sh"] * (g["oh"] - 1) + 1:g["sh"],
                           c:c + g["sw"] * (g["ow"] - 1) + 1:g["sw"]]
                out += np.einsum("ngchw,gfc->ngfhw", self.by_group(patch, 1),
                                 self.by_group(w[:, :, i, j], 0)).reshape(out.shape)
        return (out,)

    def grad(self, inputs, output_grads):
        (x, w), (gy,) = inputs, output_grads
        props = self._props()
        return [Conv2dGradInputs(*props)(w, gy, x.shape),
                Conv2dGradWeights(*props)(x, gy, w.shape)]

    def infer_shape(self, node, input_shapes):
        (n, _, h, wd), (f, _, kh, kw) = input_shapes
        ph, pw = self.padding(kh, kw)
        (sh, sw), (dh, dw) = self.subsample, self.filter_dilation
        return [(n, f, self.out_length(h, kh, ph, sh, dh), self.out_length(wd, kw, pw, sw, dw))]


class Conv2dGradWeights(_ConvGeometry):
    """d cost / d filters, from the images and d cost / d output.

    The gradient of :class:`Conv2d` with respect to the filters.

    Parameters
    ----------
    border_mode, subsample, filter_dilation, filter_flip, num_groups
        As for Conv2d.

    Examples
    --------
    >>> images, filters = T.dtensor4('images'), T.dtensor4('filters')
    >>> cost = T.nnet.conv2d(images, filters).sum()
    >>> print(theano.grad(cost, filters).owner.op)
    Conv2dGradWeights{valid,s=(1, 1),d=(1, 1)}
    """

    def make_node(self, x, gy, w_shape):
        x, gy, w_shape = as_tensor_variable(x), as_tensor_variable(gy), \
            as_tensor_variable(w_shape)
        c = x.type.shape[1]
        shape = (gy.type.shape[1], None if c is None else c // self.num_groups, None, None)
        return Apply(self, [x, gy, w_shape], [TensorType(gy.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        dtype = node.outputs[0].dtype
        x, gy = _contiguous(inputs[0], dtype), _contiguous(inputs[1], dtype)
        w_shape = tuple(int(s) for s in inputs[2])
        g = self.gradient_geometry(x.shape, w_shape, gy, "conv2d gradient (filters)")
        f, k, pixels = w_shape[0], int(np.prod(w_shape[1:])), g["oh"] * g["ow"]
        if _nnet.conv_direct_ok(f // self.num_groups, k, pixels):
            # small layers: image by image on threads, a few partial sums per thread
            parts = _nnet.conv_weight_parts(x.shape[0], f, k, pixels, self.num_groups,
                                            np.dtype(dtype).itemsize, kernels.get_num_threads())
            partial = np.empty((parts, f, k), dtype)
            _nnet.conv2d_images_grad_weights(x, gy.reshape(x.shape[0], f, pixels), partial,
                                             *self._kernel_geometry(g))
            gw = partial[0] if parts == 1 else partial.sum(axis=0)
        else:
            gw = np.zeros((f, k), dtype)
            for n0, nc in self.chunks(x.shape[0], g):
                rows, cols = _grad_rows(gy, n0, nc), self.im2col(x, n0, nc, g)
                for filters, patches in self.group_rows(f, k):
                    kernels.gemm(1.0, rows[filters], cols[patches].T, 1.0, gw[filters])
        gw = gw.reshape(w_shape)
        output_storage[0][0] = np.ascontiguousarray(gw[:, :, ::-1, ::-1]) \
            if self.filter_flip else gw

    def reference(self, node, x, gy, w_shape):
        w_shape = tuple(int(s) for s in w_shape)
        g = self.geometry(x.shape, w_shape, "conv2d gradient (filters)")
        xp = np.pad(x, ((0, 0), (0, 0), (g["ph"],) * 2, (g["pw"],) * 2))
        gw = np.zeros_like(x, shape=w_shape, dtype=node.outputs[0].dtype)   # x's module
        for i in range(g["kh"]):
            for j in range(g["kw"]):
                r, c = i * g["dh"], j * g["dw"]
                patch = xp[:, :, r:r + g["sh"] * (g["oh"] - 1) + 1:g["sh"],
                           c:c + g["sw"] * (g["ow"] - 1) + 1:g["sw"]]
                gw[:, :, i, j] = np.einsum("ngchw,ngfhw->gfc", self.by_group(patch, 1),
                                           self.by_group(gy, 1)).reshape(gw.shape[:2])
        return (gw[:, :, ::-1, ::-1].copy() if self.filter_flip else gw,)

    def grad(self, inputs, output_grads):
        (x, gy, _), (g,) = inputs, output_grads
        props = self._props()
        return [Conv2dGradInputs(*props)(g, gy, x.shape), Conv2d(*props)(x, g), None]

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[2][i] for i in range(4))]


class Conv2dGradInputs(_ConvGeometry):
    """d cost / d images, from the filters and d cost / d output.

    The gradient of :class:`Conv2d` with respect to the images, and
    :func:`conv2d_grad_wrt_inputs`.

    Parameters
    ----------
    border_mode, subsample, filter_dilation, filter_flip, num_groups
        As for Conv2d.

    Examples
    --------
    >>> images, filters = T.dtensor4('images'), T.dtensor4('filters')
    >>> cost = T.nnet.conv2d(images, filters).sum()
    >>> print(theano.grad(cost, images).owner.op)
    Conv2dGradInputs{valid,s=(1, 1),d=(1, 1)}
    """

    def make_node(self, w, gy, x_shape):
        w, gy, x_shape = as_tensor_variable(w), as_tensor_variable(gy), \
            as_tensor_variable(x_shape)
        c = w.type.shape[1]
        shape = (gy.type.shape[0], None if c is None else c * self.num_groups, None, None)
        return Apply(self, [w, gy, x_shape], [TensorType(gy.dtype, shape=shape)()])

    def perform(self, node, inputs, output_storage):
        dtype = node.outputs[0].dtype
        w, gy = _contiguous(inputs[0], dtype), _contiguous(inputs[1], dtype)
        x_shape = tuple(int(s) for s in inputs[2])
        g = self.gradient_geometry(x_shape, w.shape, gy, "conv2d gradient (images)")
        wm = self.filter_matrix(w)
        gx = output_buffer(output_storage[0], x_shape, dtype)
        f, k, pixels = w.shape[0], wm.shape[1], g["oh"] * g["ow"]
        if _nnet.conv_direct_ok(f // self.num_groups, k, pixels) and gx.flags.c_contiguous:
            # small layers: image by image on threads, straight into gx
            _nnet.conv2d_images_grad_inputs(wm, gy.reshape(x_shape[0], f, pixels),
                                            gx, *self._kernel_geometry(g))
            output_storage[0][0] = gx
            return
        for n0, nc in self.chunks(x_shape[0], g):
            rows = _grad_rows(gy, n0, nc)
            cols = np.empty((k * self.num_groups, rows.shape[1]), dtype)
            for filters, patches in self.group_rows(f, k):
                kernels.dot(wm[filters].T, rows[filters], out=cols[patches])
            _nnet.col2im(cols, gx, n0, nc, g["kh"], g["kw"], g["sh"], g["sw"], g["ph"],
                         g["pw"], g["dh"], g["dw"], g["oh"], g["ow"],
                         kernels.get_num_threads())
        output_storage[0][0] = gx

    def reference(self, node, w, gy, x_shape):
        x_shape = tuple(int(s) for s in x_shape)
        g = self.geometry(x_shape, w.shape, "conv2d gradient (images)")
        if self.filter_flip:
            w = w[:, :, ::-1, ::-1]
        ph, pw = g["ph"], g["pw"]
        gxp = np.zeros_like(w, shape=(x_shape[0], x_shape[1], x_shape[2] + 2 * ph,
                                      x_shape[3] + 2 * pw),
                            dtype=node.outputs[0].dtype)     # in w's array module
        for i in range(g["kh"]):
            for j in range(g["kw"]):
                r, c = i * g["dh"], j * g["dw"]
                gxp[:, :, r:r + g["sh"] * (g["oh"] - 1) + 1:g["sh"],
                    c:c + g["sw"] * (g["ow"] - 1) + 1:g["sw"]] += \
                    np.einsum("ngfhw,gfc->ngchw", self.by_group(gy, 1),
                              self.by_group(w[:, :, i, j], 0)).reshape(
                                  gy.shape[0], x_shape[1], g["oh"], g["ow"])
        return (gxp[:, :, ph:ph + x_shape[2], pw:pw + x_shape[3]].copy(),)

    def grad(self, inputs, output_grads):
        (w, gy, _), (g,) = inputs, output_grads
        props = self._props()
        return [Conv2dGradWeights(*props)(g, gy, w.shape), Conv2d(*props)(g, w), None]

    def infer_shape(self, node, input_shapes):
        return [tuple(node.inputs[2][i] for i in range(4))]


def _hint(v, shape):
    """Theano's input_shape/filter_shape hints, checked when the function runs."""
    if shape is None:
        return v
    shape = tuple(None if s is None else int(s) for s in shape)
    if len(shape) != v.ndim:
        raise ValueError(f"conv2d: shape hint {shape} does not have {v.ndim} entries")
    return specify_shape(v, shape)


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode="valid",
           subsample=(1, 1), filter_flip=True, image_shape=None, filter_dilation=(1, 1),
           num_groups=1, unshared=False):
    """Theano's ``T.nnet.conv2d``: a 2-D convolution of a batch of images with a bank of filters.

    Parameters
    ----------
    input : TensorVariable
        Images, of shape (batch, channels, rows, cols).
    filters : TensorVariable
        Filters, of shape (filters, channels // num_groups, rows, cols).
    input_shape, filter_shape : tuple of (int or None), optional
        Static shapes, checked when the function runs.
    border_mode : {'valid', 'full', 'half'}, int or pair of int
        'valid' pads nothing, 'full' pads the filter size - 1, 'half' pads
        the filter size // 2 (the same size out for odd filters and stride
        1); ints pad explicitly.
    subsample : pair of int
        The strides.
    filter_flip : bool
        True convolves (flips the filters), False cross-correlates.
    image_shape : tuple, optional
        Theano's older name for ``input_shape``.
    filter_dilation : pair of int
        Gaps between the filter's taps.
    num_groups : int
        Split channels and filters into that many independent groups (both
        counts must divide by it).
    unshared : bool
        Locally connected filters: not implemented.

    Returns
    -------
    TensorVariable
        Of shape (batch, filters, out_rows, out_cols).

    Raises
    ------
    NotImplementedError
        For ``unshared=True``.

    Examples
    --------
    >>> images, filters = T.dtensor4('images'), T.dtensor4('filters')
    >>> f = theano.function([images, filters], T.nnet.conv2d(images, filters))
    >>> out = f(numpy.ones((2, 3, 5, 5)), numpy.ones((4, 3, 3, 3)))
    >>> out.shape, float(out[0, 0, 0, 0])
    ((2, 4, 3, 3), 27.0)
    """
    if unshared:
        raise NotImplementedError("conv2d: unshared=True (locally connected filters, one "
                                  "set per output pixel) is not implemented")
    input = _hint(as_float(input), input_shape if input_shape is not None else image_shape)
    filters = _hint(as_float(filters), filter_shape)
    return Conv2d(border_mode, subsample, filter_dilation, filter_flip, num_groups)(
        input, filters)


def conv2d_grad_wrt_inputs(output_grad, filters, input_shape, border_mode="valid",
                           subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1),
                           num_groups=1):
    """The transposed convolution (Theano's name): images from output gradients.

    The gradient of :func:`conv2d` with respect to its input, as an op of its own.

    Parameters
    ----------
    output_grad : TensorVariable
        Of the shape of conv2d's output.
    filters : TensorVariable
        As for conv2d.
    input_shape : sequence of int or int vector
        The shape of the images to make.
    border_mode, subsample, filter_flip, filter_dilation, num_groups
        As for conv2d.

    Returns
    -------
    TensorVariable
        Of shape ``input_shape``.

    Examples
    --------
    >>> g, w = T.dtensor4('g'), T.dtensor4('w')
    >>> x = T.nnet.conv2d_grad_wrt_inputs(g, w, (1, 1, 4, 4))
    >>> theano.function([g, w], x)(numpy.ones((1, 1, 2, 2)), numpy.ones((1, 1, 3, 3)))[0, 0]
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])
    """

    return Conv2dGradInputs(border_mode, subsample, filter_dilation, filter_flip, num_groups)(
        filters, output_grad, as_tensor_variable(input_shape))
