"""2-D pooling over the last two axes (Theano's ``theano.tensor.signal.pool``).

A window of ``ws`` rows and columns moves by ``stride`` over the image
padded with ``pad`` on each side.  With ``ignore_border=False`` the last,
partial windows are kept (and padding is not allowed, as in Theano).
Modes: 'max', 'sum', 'average_inc_pad' (divide by the window size, padding
included) and 'average_exc_pad' (divide by the number of real pixels).
The kernels (kernels/_nnet.pyx) loop over windows directly: no im2col.

Second derivatives: the gradient (``PoolGrad``) is linear in the output
gradient, so its own gradient is that linear map transposed: pooling again
for sum and average, ``MaxPoolGradGrad`` for max (each window collects
from the pixels equal to its maximum).  With respect to the input and the
pooled output the gradient is piecewise constant: zero, as in Theano.
"""
import numpy as np

from ... import kernels
from ...graph import Apply, Op
from ...kernels import _nnet
from ..type import TensorType, as_tensor_variable
from ..nnet.basic import as_float, output_buffer

MODES = {"max": _nnet.POOL_MAX, "sum": _nnet.POOL_SUM,
         "average_inc_pad": _nnet.POOL_AVG_INC, "average_exc_pad": _nnet.POOL_AVG_EXC}


def _pair(v, what):
    pair = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(pair) != 2 or not all(isinstance(p, (int, np.integer)) for p in pair):
        raise ValueError(f"pool_2d: {what} must be a pair of ints, got {v!r}")
    return tuple(int(p) for p in pair)


def pool_out_length(n, ws, stride, pad, ignore_border):
    """Theano's output length along one axis.

    Parameters
    ----------
    n : int
        The input's length.
    ws : int
        The window.
    stride : int
        The step between windows.
    pad : int
        The zeros added at each end.
    ignore_border : bool
        Whether partial windows at the end are dropped.

    Returns
    -------
    int

    Examples
    --------
    >>> from cytensor.tensor.signal.pool import pool_out_length
    >>> pool_out_length(5, 2, 2, 0, True), pool_out_length(5, 2, 2, 0, False)
    (2, 3)
    """
    n = n + 2 * pad
    if ignore_border:
        return max(0, (n - ws) // stride + 1)
    if stride >= ws:
        return (n - 1) // stride + 1 if n > 0 else 0
    return max(0, (n - 1 - ws + stride) // stride) + 1 if n > 0 else 0


class _PoolParams(Op):
    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")

    def __init__(self, ws, ignore_border=False, stride=None, pad=(0, 0), mode="max"):
        self.ws = _pair(ws, "ws")
        self.stride = self.ws if stride is None else _pair(stride, "stride")
        self.pad = _pair(pad, "pad")
        self.ignore_border = bool(ignore_border)
        if mode == "average":
            mode = "average_inc_pad"
        if mode not in MODES:
            raise ValueError(f"pool_2d: mode must be one of {sorted(MODES)}, got {mode!r}")
        self.mode = mode
        if min(self.ws) < 1 or min(self.stride) < 1 or min(self.pad) < 0:
            raise ValueError(f"pool_2d: ws and stride must be >= 1 and pad >= 0, got "
                             f"ws={self.ws}, stride={self.stride}, pad={self.pad}")
        if any(self.pad) and not self.ignore_border:
            raise NotImplementedError("pool_2d: padding works only with ignore_border=True")
        if any(p >= w for p, w in zip(self.pad, self.ws)):
            raise ValueError(f"pool_2d: pad {self.pad} must be smaller than ws {self.ws}")

    def out_shape(self, shape):
        return tuple(pool_out_length(shape[-2 + a], self.ws[a], self.stride[a], self.pad[a],
                                     self.ignore_border) for a in range(2))

    def images(self, x, layer):
        """x as a C-contiguous (images, rows, cols) array; checks the window fits."""
        self.check_fits(x, layer)
        return np.ascontiguousarray(x).reshape(-1, x.shape[-2], x.shape[-1])

    def check_fits(self, x, layer):
        """ValueError unless x has (..., rows, cols) that the window fits."""
        if x.ndim < 2:
            raise ValueError(f"{layer}: expected at least 2 dimensions (..., rows, cols), "
                             f"given shape {x.shape}")
        rows, cols = x.shape[-2:]
        if self.ignore_border and (rows + 2 * self.pad[0] < self.ws[0]
                                   or cols + 2 * self.pad[1] < self.ws[1]):
            raise ValueError(f"{layer}: input of shape {x.shape} is smaller than the pooling "
                             f"window {self.ws} (padding {self.pad}): expected rows >= "
                             f"{self.ws[0] - 2 * self.pad[0]} and cols >= "
                             f"{self.ws[1] - 2 * self.pad[1]}")

    def pooled_shape(self, x, layer, **pooled):
        """The shape x pools to; ValueError naming any of the ``pooled`` arrays
        that has another shape."""
        expected = x.shape[:-2] + self.out_shape(x.shape)
        for name, a in pooled.items():
            if a.shape != expected:
                raise ValueError(f"{layer}: {name.replace('_', ' ')} of shape {a.shape} "
                                 f"for input of shape {x.shape}: expected {expected}")
        return expected

    def window_args(self):
        """Window, stride and padding as the kernels take them."""
        return (self.ws[0], self.ws[1], self.stride[0], self.stride[1], self.pad[0],
                self.pad[1])

    def windows(self, x):
        """For the references: yield (index, window slice) over the padded input."""
        (ph, pw), (sh, sw), (wh, ww) = self.pad, self.stride, self.ws
        oh, ow = self.out_shape(x.shape)
        for i in range(oh):
            y0, y1 = i * sh - ph, min(i * sh - ph + wh, x.shape[-2] + ph)
            for j in range(ow):
                x0, x1 = j * sw - pw, min(j * sw - pw + ww, x.shape[-1] + pw)
                area = (y1 - y0) * (x1 - x0)
                yield (i, j), (slice(max(y0, 0), y1), slice(max(x0, 0), x1)), area

    def __str__(self):
        return (f"{type(self).__name__}{{{self.mode},ws={self.ws},stride={self.stride},"
                f"pad={self.pad},ignore_border={self.ignore_border}}}")


class Pool(_PoolParams):
    """Pool the last two axes of a tensor of 2 or more dimensions.

    Made by :func:`pool_2d` and :func:`max_pool_2d`.

    Parameters
    ----------
    ws : pair of int
        The window.
    ignore_border : bool
        Drop partial windows at the edges.
    stride : pair of int, optional
        Steps between windows (default: the window).
    pad : pair of int
        Zeros added on each side.
    mode : {'max', 'sum', 'average_inc_pad', 'average_exc_pad'}
        What a window computes.

    Examples
    --------
    >>> from cytensor.tensor.signal.pool import Pool
    >>> x = T.dmatrix('x')
    >>> y = Pool((2, 2), ignore_border=True, mode='sum')(x)
    >>> y.eval({x: numpy.ones((4, 4))})
    array([[4., 4.],
           [4., 4.]])
    """

    def make_node(self, x):
        x = as_float(x)
        if x.ndim < 2:
            raise TypeError(f"pool_2d: needs at least 2 dimensions, got {x.type}")
        rows, cols = x.type.shape[-2:]
        spatial = self.out_shape((rows, cols)) if rows is not None and cols is not None \
            else (None, None)
        return Apply(self, [x], [TensorType(x.dtype, shape=x.type.shape[:-2] + spatial)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        imgs = self.images(x, "pool_2d")
        shape = x.shape[:-2] + self.out_shape(x.shape)
        out = output_buffer(output_storage[0], shape, x.dtype)
        _nnet.pool2d(imgs, out.reshape((-1,) + shape[-2:]), *self.window_args(),
                     MODES[self.mode], kernels.get_num_threads())
        output_storage[0][0] = out

    def reference(self, node, x):
        self.check_fits(x, "pool_2d")
        # empty_like: x's array module (NumPy's, or a device's: the CUDA backend runs this)
        out = np.empty_like(x, shape=x.shape[:-2] + self.out_shape(x.shape))
        for (i, j), (rows, cols), area in self.windows(x):
            window = x[..., rows, cols]
            if self.mode == "max":
                out[..., i, j] = window.max(axis=(-2, -1))
            else:
                total = window.sum(axis=(-2, -1))
                count = {"sum": 1, "average_inc_pad": area,
                         "average_exc_pad": window.shape[-2] * window.shape[-1]}[self.mode]
                out[..., i, j] = total / count
        return (out,)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        return [PoolGrad(*self._props())(x, self(x), gz)]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        (wh, ww), (sh, sw), (ph, pw) = self.ws, self.stride, self.pad
        if not self.ignore_border:
            raise NotImplementedError("partial windows: lengths known after running")
        return [tuple(shape[:-2]) + ((shape[-2] + 2 * ph - wh) // sh + 1,
                                     (shape[-1] + 2 * pw - ww) // sw + 1)]


class PoolGrad(_PoolParams):
    """The gradient of Pool, from its input, its output and the output gradient.

    Parameters
    ----------
    ws, ignore_border, stride, pad, mode
        As for Pool.

    Examples
    --------
    >>> from cytensor.tensor.signal.pool import pool_2d
    >>> x = T.dmatrix('x')
    >>> cost = pool_2d(x, (2, 2), ignore_border=True).sum()
    >>> print(theano.grad(cost, x).owner.op)
    PoolGrad{max,ws=(2, 2),stride=(2, 2),pad=(0, 0),ignore_border=True}
    """

    def make_node(self, x, out, gz):
        x, out, gz = map(as_tensor_variable, (x, out, gz))
        return Apply(self, [x, out, gz], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, out, gz = inputs
        imgs = self.images(x, "pool_2d gradient")
        expected = self.pooled_shape(x, "pool_2d gradient", output_gradient=gz,
                                     pooled_output=out)
        gz = np.ascontiguousarray(gz, dtype=x.dtype).reshape((-1,) + expected[-2:])
        out = np.ascontiguousarray(out).reshape(gz.shape)
        gx = output_buffer(output_storage[0], x.shape, x.dtype)
        _nnet.pool2d_grad(imgs, out, gz, gx.reshape(imgs.shape), *self.window_args(),
                          MODES[self.mode], kernels.get_num_threads())
        output_storage[0][0] = gx

    def reference(self, node, x, out, gz):
        gx = np.zeros_like(x)
        for (i, j), (rows, cols), area in self.windows(x):
            g = gz[..., i, j][..., None, None]
            window = x[..., rows, cols]
            if self.mode == "max":
                gx[..., rows, cols] += g * (window == out[..., i, j][..., None, None])
            else:
                count = {"sum": 1, "average_inc_pad": area,
                         "average_exc_pad": window.shape[-2] * window.shape[-1]}[self.mode]
                gx[..., rows, cols] += g / count
        return (gx,)

    def grad(self, inputs, output_grads):
        x, out, gz = inputs
        (g,) = output_grads
        if self.mode == "max":
            return [None, None, MaxPoolGradGrad(*self._props())(x, out, g)]
        # Average and sum pooling are linear: the gradient's gradient pools g.
        return [None, None, Pool(*self._props())(g)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


class MaxPoolGradGrad(_PoolParams):
    """The gradient of max pooling's PoolGrad with respect to its output
    gradient, from the input x, the pooled output and ggx (shaped like x):
    each window sums ggx over all its pixels equal to its maximum, ties
    included, the exact transpose of PoolGrad's rule (Theano's
    DownsampleFactorMaxGradGrad).

    Parameters
    ----------
    ws, ignore_border, stride, pad, mode
        As for Pool.

    Examples
    --------
    >>> from cytensor.tensor.signal.pool import MaxPoolGradGrad, pool_2d
    >>> x, ggx = T.dmatrices('x', 'ggx')
    >>> out = pool_2d(x, (2, 2), ignore_border=True)
    >>> gg = MaxPoolGradGrad((2, 2), ignore_border=True)(x, out, ggx)
    >>> gg.eval({x: numpy.arange(4.0).reshape(2, 2), ggx: numpy.arange(4.0).reshape(2, 2)})
    array([[3.]])
    """

    def __init__(self, ws, ignore_border=False, stride=None, pad=(0, 0), mode="max"):
        super().__init__(ws, ignore_border, stride, pad, mode)
        if self.mode != "max":
            raise ValueError(f"MaxPoolGradGrad: mode must be 'max', got {mode!r}")

    def make_node(self, x, out, ggx):
        x, out, ggx = map(as_tensor_variable, (x, out, ggx))
        return Apply(self, [x, out, ggx], [TensorType(x.dtype, shape=out.type.shape)()])

    def checked_shape(self, x, out, ggx):
        """The shape of the result (out's); ValueError unless out and ggx fit x."""
        expected = self.pooled_shape(x, "max pool second derivative", pooled_output=out)
        if ggx.shape != x.shape:
            raise ValueError(f"max pool second derivative: gradient of the input gradient "
                             f"of shape {ggx.shape} for input of shape {x.shape}: expected "
                             f"{x.shape}")
        return expected

    def perform(self, node, inputs, output_storage):
        x, out, ggx = inputs
        imgs = self.images(x, "max pool second derivative")
        expected = self.checked_shape(x, out, ggx)
        ggx = np.ascontiguousarray(ggx, dtype=x.dtype).reshape(imgs.shape)
        out = np.ascontiguousarray(out, dtype=x.dtype).reshape((-1,) + expected[-2:])
        ggz = output_buffer(output_storage[0], expected, x.dtype)
        _nnet.pool2d_max_grad_grad(imgs, out, ggx, ggz.reshape(out.shape),
                                   *self.window_args(), kernels.get_num_threads())
        output_storage[0][0] = ggz

    def reference(self, node, x, out, ggx):
        # zeros_like: x's array module (the CUDA backend runs this on float16)
        ggz = np.zeros_like(x, shape=self.pooled_shape(x, "max pool second derivative",
                                                       pooled_output=out))
        for (i, j), (rows, cols), _ in self.windows(x):
            at_max = x[..., rows, cols] == out[..., i, j][..., None, None]
            ggz[..., i, j] = (ggx[..., rows, cols] * at_max).sum(axis=(-2, -1))
        return (ggz,)

    def grad(self, inputs, output_grads):
        x, out, _ = inputs
        (g,) = output_grads
        # Linear in ggx: its transpose is PoolGrad's max rule again.
        return [None, None, PoolGrad(*self._props())(x, out, g)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]


def pool_2d(input, ws=None, ignore_border=None, stride=None, pad=(0, 0), mode="max",
            ds=None, st=None, padding=None):
    """Pool the last two axes of ``input`` with a ``ws`` window (Theano's pool_2d).

    Parameters
    ----------
    input : TensorVariable
        Two or more dimensions; the last two are pooled.
    ws : pair of int
        The window's rows and columns.
    ignore_border : bool, optional
        False (Theano's default) keeps partial windows at the bottom and
        right edges; True drops them.
    stride : pair of int, optional
        Steps between windows (default: the window, so they do not overlap).
    pad : pair of int
        Zero rows and columns added on each side.
    mode : 'max', 'sum', 'average_inc_pad' or 'average_exc_pad'
        What a window computes.
    ds, st, padding : optional
        Theano's older names for ``ws``, ``stride`` and ``pad``.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> from cytensor.tensor.signal.pool import pool_2d
    >>> image = T.dmatrix("image")
    >>> f = theano.function([image], pool_2d(image, ws=(2, 2), ignore_border=True))
    >>> f(numpy.arange(16.0).reshape(4, 4))
    array([[ 5.,  7.],
           [13., 15.]])
    """
    ws = ws if ws is not None else ds
    if ws is None:
        raise ValueError("pool_2d: give the window size ws")
    stride = stride if stride is not None else st
    pad = padding if padding is not None else pad
    return Pool(ws, bool(ignore_border), stride, pad, mode)(input)


def max_pool_2d(input, ds, ignore_border=None, st=None, padding=(0, 0), mode="max"):
    """Theano's old name for :func:`pool_2d`, with its old parameter names.

    Parameters
    ----------
    input : TensorVariable
        Two or more dimensions; the last two are pooled.
    ds : pair of int
        The window.
    ignore_border : bool, optional
        True drops partial windows at the edges.
    st : pair of int, optional
        The strides (default: the window).
    padding : pair of int
        Zero rows and columns added on each side.
    mode : str
        As for pool_2d.

    Returns
    -------
    TensorVariable

    Examples
    --------
    >>> from cytensor.tensor.signal.pool import max_pool_2d
    >>> image = T.dmatrix('image')
    >>> f = theano.function([image], max_pool_2d(image, (2, 2), ignore_border=False))
    >>> f(numpy.arange(9.0).reshape(3, 3))
    array([[4., 5.],
           [7., 8.]])
    """

    return pool_2d(input, ds, ignore_border, st, padding, mode)
