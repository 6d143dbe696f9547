"""Activations, softmax, crossentropies and one_hot (Theano's ``T.nnet`` names).

Activations that are elementwise are built from rows of the elementwise
table, so they fuse with their neighbours into one kernel pass.  Softmax
and the crossentropies with integer labels are ops of their own: they work
on whole rows, and their kernels (kernels/_nnet.pyx) keep them stable.
"""
import numpy as np

from ... import kernels
from ...kernels import _nnet
from ...config import config
from ...graph import Apply, Constant, Op
from .. import math as tm
from ..basic import shape_padleft
from ..type import FLOAT_DTYPES, TensorType, as_tensor_variable, constant, upcast_to_float

# ---------------------------------------------------------------------------
# Helpers shared by the nnet ops
# ---------------------------------------------------------------------------


def output_buffer(cell, shape, dtype):
    """The array this node produced last call, if it fits; else a new one."""
    out = cell[0]
    if out is None or out.shape != shape or out.dtype != dtype:
        out = np.empty(shape, dtype=dtype)
    return out


def as_float(x):
    """``x`` as a float tensor (ints become floats as exp(int) does)."""
    x = as_tensor_variable(x)
    return x if x.dtype in FLOAT_DTYPES else tm.cast(x, upcast_to_float(x.dtype))


def _const(value, like):
    """A Python number as a constant of ``like``'s dtype (no upcasting)."""
    return constant(value, dtype=like.dtype)


def labels_as_index(y, n_classes, what, given):
    """Integer labels as an intp array, or ValueError naming the first bad one."""
    y = np.ascontiguousarray(y, dtype=np.intp)
    bad = _nnet.first_bad_label(y, n_classes)
    if bad >= 0:
        raise ValueError(f"{what}: label {y[bad]} at position {bad} is out of range for "
                         f"{n_classes} classes (valid labels are 0..{n_classes - 1}; {given})")
    return y


def _check_rows(what, p, y):
    if p.ndim != 2 or y.ndim != 1 or p.shape[0] != y.shape[0]:
        raise ValueError(f"{what}: expected a (n, classes) matrix and n labels, given "
                         f"shapes {p.shape} and {y.shape}")


# ---------------------------------------------------------------------------
# Elementwise activations
# ---------------------------------------------------------------------------

sigmoid = tm.sigmoid
softplus = tm.softplus


def relu(x, alpha=0):
    """The rectifier ``max(x, 0)``; with ``alpha``, the leaky form ``x if x > 0 else alpha * x``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The activations.
    alpha : float or TensorVariable
        The slope of the negative part.

    Returns
    -------
    TensorVariable
        Of ``x``'s dtype.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> v = numpy.array([-2.0, 3.0])
    >>> theano.function([x], [T.nnet.relu(x), T.nnet.relu(x, 0.1)])(v)
    [array([0., 3.]), array([-0.2,  3. ])]
    """

    x = as_tensor_variable(x)
    if isinstance(alpha, (int, float)) and alpha == 0:
        return tm.relu(x) if x.dtype in FLOAT_DTYPES else tm.maximum(x, _const(0, x))
    alpha = _const(alpha, x) if isinstance(alpha, (int, float)) else as_tensor_variable(alpha)
    # Theano's formula: one fused pass, and the gradient follows from it.
    half = _const(0.5, x)
    return half * (1 + alpha) * x + half * (1 - alpha) * abs(x)


def elu(x, alpha=1.0):
    """The exponential linear unit: ``x if x > 0 else alpha * (exp(x) - 1)``.

    Parameters
    ----------
    x : TensorVariable or array_like
        The activations.
    alpha : float
        The scale of the negative part.

    Returns
    -------
    TensorVariable
        Of a float dtype.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.nnet.elu(x))(numpy.array([-1.0, 2.0])).round(4)
    array([-0.6321,  2.    ])
    """
    x = as_float(x)
    return tm.switch(x > 0, x, _const(alpha, x) * tm.expm1(x))


def hard_sigmoid(x):
    """``clip(0.2 * x + 0.5, 0, 1)``: a cheap piecewise-linear sigmoid.

    Parameters
    ----------
    x : TensorVariable or array_like
        The activations.

    Returns
    -------
    TensorVariable
        In [0, 1], of a float dtype.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> theano.function([x], T.nnet.hard_sigmoid(x))(numpy.array([-5.0, 0.0, 1.0]))
    array([0. , 0.5, 0.7])
    """
    x = as_float(x)
    return tm.clip(x * _const(0.2, x) + _const(0.5, x), _const(0, x), _const(1, x))


def ultra_fast_sigmoid(x):
    """Theano's piecewise approximation of sigmoid (error below 0.03).

    Parameters
    ----------
    x : TensorVariable or array_like
        The activations.

    Returns
    -------
    TensorVariable
        In [0, 1], of a float dtype.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> v = numpy.linspace(-6, 6, 13)
    >>> approx = theano.function([x], T.nnet.ultra_fast_sigmoid(x))(v)
    >>> bool(abs(approx - 1 / (1 + numpy.exp(-v))).max() < 0.03)
    True
    """
    x = as_float(x)
    h = x * _const(0.5, x)
    a = abs(h)
    z = tm.switch(a < _const(1.7, x), _const(1.5, x) * a / (_const(1, x) + a),
                  tm.switch(a < _const(3, x),
                            _const(0.935409070603099, x)
                            + _const(0.0458812946797165, x) * (a - _const(1.7, x)),
                            _const(0.99505475368673, x)))
    return _const(0.5, x) * (tm.sgn(h) * z + _const(1, x))


def binary_crossentropy(output, target):
    """The binary cross-entropy ``-(t * log(o) + (1 - t) * log(1 - o))``, elementwise.

    Parameters
    ----------
    output : TensorVariable or array_like
        Predicted probabilities in (0, 1).
    target : TensorVariable or array_like
        Targets in [0, 1], broadcast against ``output``.

    Returns
    -------
    TensorVariable
        One loss per element, of a float dtype.

    See Also
    --------
    sigmoid_binary_crossentropy : the same of ``sigmoid(output)``, without overflow.

    Examples
    --------
    >>> o, t = T.dvectors('o', 't')
    >>> f = theano.function([o, t], T.nnet.binary_crossentropy(o, t))
    >>> f(numpy.array([0.5, 0.9]), numpy.array([1.0, 1.0])).round(4)
    array([0.6931, 0.1054])
    """
    output, target = as_float(output), as_tensor_variable(target)
    one = _const(1, output)
    return -(target * tm.log(output) + (one - target) * tm.log(one - output))


def sigmoid_binary_crossentropy(output, target):
    """``binary_crossentropy(sigmoid(output), target)``, computed without overflow.

    Parameters
    ----------
    output : TensorVariable or array_like
        The pre-sigmoid activations (logits).
    target : TensorVariable or array_like
        Targets in [0, 1], broadcast against ``output``.

    Returns
    -------
    TensorVariable
        One loss per element, of a float dtype.

    Examples
    --------
    >>> z, t = T.dvectors('z', 't')
    >>> f = theano.function([z, t], T.nnet.sigmoid_binary_crossentropy(z, t))
    >>> f(numpy.array([0.0, 800.0]), numpy.array([1.0, 0.0])).round(4).tolist()
    [0.6931, 800.0]
    """
    output, target = as_float(output), as_tensor_variable(target)
    return target * softplus(-output) + (_const(1, output) - target) * softplus(output)


# ---------------------------------------------------------------------------
# Softmax and log-softmax
# ---------------------------------------------------------------------------


def _rows(x, axis):
    """x with ``axis`` moved last, as a C-contiguous matrix of rows."""
    moved = np.moveaxis(x, axis, -1)
    return np.ascontiguousarray(moved.reshape(-1, x.shape[axis]) if x.ndim else
                                moved.reshape(1, 1))


def _unrows(rows, x, axis):
    if x.ndim == 0:
        return rows.reshape(())
    moved_shape = np.moveaxis(np.empty(x.shape, dtype=bool), axis, -1).shape
    return np.moveaxis(rows.reshape(moved_shape), -1, axis)


class Softmax(Op):
    """exp(x) / sum(exp(x)) along ``axis`` (log=True: the log of that, computed
    as x - max - log(sum(exp(x - max))), which never gives -inf for finite x).

    Made by :func:`softmax` and :func:`log_softmax`.

    Parameters
    ----------
    axis : int
        The axis that sums to 1.
    log : bool
        The log-softmax.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(T.nnet.softmax(x).owner.op)
    Softmax{axis=-1}
    """

    __props__ = ("axis", "log")

    def __init__(self, axis=-1, log=False):
        self.axis, self.log = axis, log

    def __str__(self):
        return f"{'LogSoftmax' if self.log else 'Softmax'}{{axis={self.axis}}}"

    def make_node(self, x):
        x = as_float(x)
        if x.ndim and not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} out of range for {x} with "
                             f"{x.ndim} dimensions")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        if x.ndim == 2 and self.axis in (1, -1) and x.flags.c_contiguous:
            out = output_buffer(output_storage[0], x.shape, x.dtype)
            _nnet.softmax(x, out, self.log, kernels.get_num_threads())
        else:
            rows = _rows(x, self.axis)
            out_rows = np.empty_like(rows)
            _nnet.softmax(rows, out_rows, self.log, kernels.get_num_threads())
            out = np.ascontiguousarray(_unrows(out_rows, x, self.axis))
        output_storage[0][0] = out

    def reference(self, node, x):
        axis = self.axis if x.ndim else None
        shifted = x - np.max(x, axis=axis, keepdims=True)
        lse = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        return ((shifted - lse) if self.log else np.exp(shifted - lse),)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        return [SoftmaxGrad(self.axis, self.log)(g, self(x))]

    def infer_shape(self, node, input_shapes):
        return input_shapes


class SoftmaxGrad(Op):
    """The gradient of Softmax given its output gradient ``dy`` and its output.

    Parameters
    ----------
    axis : int
        As for Softmax.
    log : bool
        As for Softmax.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> print(theano.grad(T.nnet.softmax(x)[0, 0], x).owner.op)
    SoftmaxGrad{axis=-1, log=False}
    """

    __props__ = ("axis", "log")

    def __init__(self, axis=-1, log=False):
        self.axis, self.log = axis, log

    def make_node(self, dy, y):
        dy, y = as_tensor_variable(dy), as_tensor_variable(y)
        return Apply(self, [dy, y], [y.type()])

    def perform(self, node, inputs, output_storage):
        dy, y = inputs
        dy = dy.astype(y.dtype, copy=False)
        rows_dy, rows_y = _rows(dy, self.axis), _rows(y, self.axis)
        out = np.empty_like(rows_y)
        _nnet.softmax_grad(rows_dy, rows_y, out, self.log, kernels.get_num_threads())
        output_storage[0][0] = np.ascontiguousarray(_unrows(out, y, self.axis))

    def reference(self, node, dy, y):
        axis = self.axis if y.ndim else None
        if self.log:
            return (dy - np.exp(y) * np.sum(dy, axis=axis, keepdims=True),)
        return (y * (dy - np.sum(dy * y, axis=axis, keepdims=True)),)

    def grad(self, inputs, output_grads):
        """Second derivatives of softmax: the op is linear in dy (its own
        transpose), and a product in y."""
        (dy, y), (g,) = inputs, output_grads

        def total(v):
            return tm.sum(v, axis=self.axis if y.ndim else None, keepdims=True)
        if self.log:            # dy - exp(y) * total(dy)
            return [g - total(g * tm.exp(y)), -g * tm.exp(y) * total(dy)]
        # y * (dy - total(dy * y))
        return [SoftmaxGrad(self.axis)(g, y), g * (dy - total(dy * y)) - dy * total(g * y)]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]


def _theano_rows(x, axis):
    """Without an axis, Theano 1.0's rule: the rows, and a vector becomes a
    1 x n row (code written for Theano indexes the result as a matrix)."""
    x = as_tensor_variable(x)
    if axis is None:
        return (shape_padleft(x) if x.ndim == 1 else x), -1
    return x, axis


def softmax(x, axis=None):
    """Softmax along ``axis``: ``exp(x - max(x)) / sum(exp(x - max(x)))``.

    Parameters
    ----------
    x : TensorVariable
        Scores; a matrix holds one example per row.
    axis : int, optional
        The axis that sums to 1. By default the rows, a vector giving a
        1 x n row as in Theano 1.0 (pass ``axis=-1`` to keep a vector a
        vector).

    Returns
    -------
    TensorVariable
        Probabilities, of float dtype.

    Examples
    --------
    >>> x = T.dmatrix("x")
    >>> theano.function([x], T.nnet.softmax(x))([[0.0, 0.0], [0.0, numpy.log(3.0)]])
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    x, axis = _theano_rows(x, axis)
    return Softmax(axis, False)(x)


def log_softmax(x, axis=None):
    """``log(softmax(x))``, computed stably (also ``logsoftmax``).

    Parameters
    ----------
    x : TensorVariable
        Scores; a matrix holds one example per row.
    axis : int, optional
        As for :func:`softmax`.

    Returns
    -------
    TensorVariable
        Log-probabilities, of float dtype.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> theano.function([x], T.nnet.log_softmax(x))(numpy.array([[0.0, 1000.0]]))
    array([[-1000.,     0.]])
    """
    x, axis = _theano_rows(x, axis)
    return Softmax(axis, True)(x)


def softmax_with_bias(x, b):
    """Theano's ``softmax(x + b)`` for a matrix ``x`` and a bias vector ``b``.

    Parameters
    ----------
    x : TensorVariable
        A matrix of scores, one example per row.
    b : TensorVariable
        A bias vector, added to each row.

    Returns
    -------
    TensorVariable
        The probabilities of each row.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> b = T.dvector('b')
    >>> f = theano.function([x, b], T.nnet.softmax_with_bias(x, b))
    >>> f(numpy.zeros((1, 2)), numpy.array([0.0, numpy.log(3.0)]))
    array([[0.25, 0.75]])
    """
    return softmax(as_tensor_variable(x) + b)


# ---------------------------------------------------------------------------
# Crossentropy with integer labels
# ---------------------------------------------------------------------------


class CrossentropyCategorical1Hot(Op):
    """-log(p[i, y[i]]) for each row of the probabilities ``p``.

    ``crossentropy_categorical_1hot`` is an instance; :func:`categorical_crossentropy`
    uses it for integer labels.  Call it on the probabilities and the labels.

    Examples
    --------
    >>> p = T.dmatrix('p')
    >>> y = T.lvector('y')
    >>> loss = T.nnet.crossentropy_categorical_1hot(p, y)
    >>> print(loss.owner.op)
    CrossentropyCategorical1Hot
    >>> loss.eval({p: numpy.array([[0.5, 0.5], [0.25, 0.75]]), y: numpy.array([0, 1])}).round(4)
    array([0.6931, 0.2877])
    """

    def make_node(self, p, y):
        p, y = as_float(p), as_tensor_variable(y)
        if p.ndim != 2 or y.ndim != 1 or y.dtype[0] not in "iu":
            raise TypeError(f"categorical_crossentropy with integer labels takes a matrix "
                            f"and an integer vector, got {p.type} and {y.type}")
        return Apply(self, [p, y], [TensorType(p.dtype, shape=(p.type.shape[0],))()])

    def perform(self, node, inputs, output_storage):
        p, y = inputs
        _check_rows("categorical_crossentropy", p, y)
        y = labels_as_index(y, p.shape[1], "categorical_crossentropy",
                            f"coding_dist of shape {p.shape}")
        out = output_buffer(output_storage[0], y.shape, p.dtype)
        _nnet.crossentropy_1hot(np.ascontiguousarray(p), y, out)
        output_storage[0][0] = out

    def reference(self, node, p, y):
        _check_rows("categorical_crossentropy", p, y)
        labels_as_index(y, p.shape[1], "categorical_crossentropy", f"shape {p.shape}")
        return (-np.log(p[np.arange(len(y)), y]),)

    def grad(self, inputs, output_grads):
        (p, y), (g,) = inputs, output_grads
        return [CrossentropyCategorical1HotGrad()(g, p, y), None]

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[0][0],)]


class CrossentropyCategorical1HotGrad(Op):
    """d/dp of sum(g * crossentropy): -g[i] / p[i, y[i]] at the labels.

    The gradient of :class:`CrossentropyCategorical1Hot`.

    Examples
    --------
    >>> p = T.dmatrix('p')
    >>> y = T.lvector('y')
    >>> cost = T.nnet.crossentropy_categorical_1hot(p, y).sum()
    >>> print(theano.grad(cost, p).owner.op)
    CrossentropyCategorical1HotGrad
    """

    def make_node(self, g, p, y):
        g, p, y = map(as_tensor_variable, (g, p, y))
        return Apply(self, [g, p, y], [p.type()])

    def perform(self, node, inputs, output_storage):
        g, p, y = inputs
        y = labels_as_index(y, p.shape[1], "categorical_crossentropy gradient",
                            f"shape {p.shape}")
        out = output_buffer(output_storage[0], p.shape, p.dtype)
        _nnet.crossentropy_1hot_grad(np.ascontiguousarray(g, dtype=p.dtype),
                                     np.ascontiguousarray(p), y, out)
        output_storage[0][0] = out

    def reference(self, node, g, p, y):
        out = np.zeros_like(p)
        rows = np.arange(len(y))
        out[rows, y] = -g / p[rows, y]
        return (out,)

    def grad(self, inputs, output_grads):
        """Only p[i, y[i]] matters: out[i, y[i]] = -g[i] / p[i, y[i]]."""
        (g, p, y), (gout,) = inputs, output_grads
        at_label = one_hot(y, p.shape[1], p.dtype)
        p_y, gout_y = tm.sum(p * at_label, axis=1), tm.sum(gout * at_label, axis=1)
        return [-gout_y / p_y, at_label * (gout_y * g / tm.sqr(p_y)).dimshuffle(0, "x"), None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]


class CrossentropySoftmax1Hot(Op):
    """(crossentropy(softmax(x), y), softmax(x)) in one pass over the rows.

    The rewrite in rewriting/nnet.py puts it in place of softmax followed
    by crossentropy: the loss is logsumexp(x) - x[y], finite where
    -log(softmax) would overflow to inf.

    Made by :func:`crossentropy_softmax_1hot`, and by the rewrites from a
    cross-entropy of a softmax.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> y = T.lvector('y')
    >>> loss, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    >>> print(loss.owner.op)
    CrossentropySoftmax1Hot
    """

    def make_node(self, x, y):
        x, y = as_float(x), as_tensor_variable(y)
        if x.ndim != 2 or y.ndim != 1 or y.dtype[0] not in "iu":
            raise TypeError(f"crossentropy_softmax_1hot takes a matrix and an integer "
                            f"vector, got {x.type} and {y.type}")
        nll = TensorType(x.dtype, shape=(x.type.shape[0],))()
        return Apply(self, [x, y], [nll, x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        _check_rows("categorical_crossentropy(softmax)", x, y)
        y = labels_as_index(y, x.shape[1], "categorical_crossentropy(softmax)",
                            f"activations of shape {x.shape}")
        nll = output_buffer(output_storage[0], y.shape, x.dtype)
        sm = output_buffer(output_storage[1], x.shape, x.dtype)
        _nnet.softmax_crossentropy_1hot(np.ascontiguousarray(x), y, nll, sm,
                                        kernels.get_num_threads())
        output_storage[0][0], output_storage[1][0] = nll, sm

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: contiguous float activations and int32/int64 labels go
        straight to the kernel; anything else (errors included) takes perform."""
        general = super().make_thunk(node, input_cells, output_cells)
        (x_cell, y_cell), (nll_cell, sm_cell) = input_cells, output_cells
        dtype = np.dtype(node.outputs[0].dtype)
        fast, empty, nthreads = _nnet.softmax_crossentropy_1hot_fast, np.empty, \
            kernels.get_num_threads

        def thunk():
            x, y = x_cell[0], y_cell[0]
            shape = getattr(x, "shape", None)
            if shape is None or len(shape) != 2:
                return general()
            nll, sm = nll_cell[0], sm_cell[0]
            if nll is None or nll.shape != shape[:1] or nll.dtype != dtype:
                nll = empty(shape[:1], dtype)
            if sm is None or sm.shape != shape or sm.dtype != dtype:
                sm = empty(shape, dtype)
            if fast(x, y, nll, sm, nthreads()):
                return general()
            nll_cell[0], sm_cell[0] = nll, sm
        return thunk

    def reference(self, node, x, y):
        _check_rows("categorical_crossentropy(softmax)", x, y)
        labels_as_index(y, x.shape[1], "categorical_crossentropy(softmax)", "")
        (lsm,) = Softmax(-1, True).reference(None, x)
        return (-lsm[np.arange(len(y)), y], np.exp(lsm))

    def grad(self, inputs, output_grads):
        (x, y), (g_nll, g_sm) = inputs, output_grads
        _, sm = self(x, y)
        return [CrossentropySoftmax1HotDx()(g_nll, sm, y) + SoftmaxGrad()(g_sm, sm), None]

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[0][0],), input_shapes[0]]


class CrossentropySoftmax1HotDx(Op):
    """d/dx of sum(g * crossentropy(softmax(x), y)) = g[i] * (softmax(x)[i] - onehot(y[i])).

    The gradient of :class:`CrossentropySoftmax1Hot`; its inputs are ``(g, softmax(x), y)``.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> y = T.lvector('y')
    >>> g = T.dvector('g')
    >>> dx = T.nnet.CrossentropySoftmax1HotDx()(g, T.nnet.softmax(x), y)
    >>> dx.eval({g: numpy.ones(1), x: numpy.zeros((1, 2)), y: numpy.array([1])})
    array([[ 0.5, -0.5]])
    """

    def make_node(self, g, sm, y):
        g, sm, y = map(as_tensor_variable, (g, sm, y))
        return Apply(self, [g, sm, y], [sm.type()])

    def perform(self, node, inputs, output_storage):
        g, sm, y = inputs
        y = labels_as_index(y, sm.shape[1], "categorical_crossentropy(softmax) gradient",
                            f"shape {sm.shape}")
        out = output_buffer(output_storage[0], sm.shape, sm.dtype)
        _nnet.softmax_crossentropy_1hot_dx(np.ascontiguousarray(g, dtype=sm.dtype),
                                           np.ascontiguousarray(sm), y, out,
                                           kernels.get_num_threads())
        output_storage[0][0] = out

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: contiguous float arrays and int32/int64 labels go straight
        to the kernel; anything else (errors included) takes perform."""
        general = super().make_thunk(node, input_cells, output_cells)
        (g_cell, sm_cell, y_cell), (out_cell,) = input_cells, output_cells
        dtype = np.dtype(node.outputs[0].dtype)
        fast, empty, nthreads = _nnet.softmax_crossentropy_1hot_dx_fast, np.empty, \
            kernels.get_num_threads

        def thunk():
            sm = sm_cell[0]
            shape = getattr(sm, "shape", None)
            if shape is None:
                return general()
            out = out_cell[0]
            if out is None or out.shape != shape or out.dtype != dtype:
                out = empty(shape, dtype)
            if fast(g_cell[0], sm, y_cell[0], out, nthreads()):
                return general()
            out_cell[0] = out
        return thunk

    def reference(self, node, g, sm, y):
        out = sm * g[:, None]
        out[np.arange(len(y)), y] -= g
        return (out,)

    def grad(self, inputs, output_grads):
        """Linear in g and in sm: out = g[:, None] * (sm - one_hot(y))."""
        (g, sm, y), (gout,) = inputs, output_grads
        residual = sm - one_hot(y, sm.shape[1], sm.dtype)
        return [tm.sum(gout * residual, axis=1), gout * g.dimshuffle(0, "x"), None]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[1]]


crossentropy_categorical_1hot = CrossentropyCategorical1Hot()


def crossentropy_softmax_1hot(x, y):
    """Theano's fused op: ``(crossentropy(softmax(x), y), softmax(x))``.

    Parameters
    ----------
    x : TensorVariable
        A matrix of scores, one example per row.
    y : TensorVariable
        An integer vector of labels, one per row.

    Returns
    -------
    tuple of TensorVariable
        The loss per row and the softmax.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> y = T.lvector('y')
    >>> loss, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    >>> theano.function([x, y], loss)(numpy.zeros((2, 4)), numpy.array([0, 3])).round(4)
    array([1.3863, 1.3863])
    """
    return CrossentropySoftmax1Hot()(x, y)


def categorical_crossentropy(coding_dist, true_dist):
    """The cross-entropy ``-sum(true_dist * log(coding_dist))`` of each row.

    Of a softmax, the rewrites compute it stably, without the logarithm of
    a probability that underflowed to 0.

    Parameters
    ----------
    coding_dist : TensorVariable
        Predicted probabilities, one distribution per row.
    true_dist : TensorVariable
        Either a distribution per row (the shape of ``coding_dist``) or an
        integer label per row.

    Returns
    -------
    TensorVariable
        One loss per row.

    Raises
    ------
    TypeError
        If ``true_dist`` is neither of the two.

    Examples
    --------
    >>> p = T.dmatrix("p")
    >>> labels = T.ivector("labels")
    >>> f = theano.function([p, labels], T.nnet.categorical_crossentropy(p, labels))
    >>> f([[0.5, 0.5], [0.25, 0.75]], numpy.array([0, 1], dtype="int32"))
    array([0.69314718, 0.28768207])
    """
    coding_dist, true_dist = as_float(coding_dist), as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -tm.sum(true_dist * tm.log(coding_dist), axis=-1)
    if true_dist.ndim == coding_dist.ndim - 1:
        return crossentropy_categorical_1hot(coding_dist, true_dist)
    raise TypeError(f"categorical_crossentropy: true_dist must be a matrix like "
                    f"coding_dist {coding_dist.type} or an integer vector, got {true_dist.type}")


# ---------------------------------------------------------------------------
# one_hot
# ---------------------------------------------------------------------------


class OneHot(Op):
    """An (n, n_classes) matrix with a 1 at each row's label.

    Made by :func:`one_hot`.

    Parameters
    ----------
    dtype : str
        The matrix's dtype.

    Examples
    --------
    >>> y = T.lvector('y')
    >>> print(T.nnet.one_hot(y, 3).owner.op)
    OneHot{dtype='float64'}
    """

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, y, n_classes):
        y, n_classes = as_tensor_variable(y), as_tensor_variable(n_classes)
        if y.ndim != 1 or y.dtype[0] not in "iu" or n_classes.ndim != 0:
            raise TypeError(f"one_hot takes an integer vector and a number of classes, "
                            f"got {y.type} and {n_classes.type}")
        static = int(n_classes.data) if isinstance(n_classes, Constant) else None
        out = TensorType(self.dtype, shape=(y.type.shape[0], static))()
        return Apply(self, [y, n_classes], [out])

    def perform(self, node, inputs, output_storage):
        y, n = inputs[0], int(inputs[1])
        y = labels_as_index(y, n, "one_hot", f"{n} classes")
        out = np.empty((len(y), n), dtype=self.dtype)
        flat = out.view(np.uint8) if self.dtype == "bool" else out
        if flat.dtype.name in ("float32", "float64", "int32", "int64", "uint8"):
            _nnet.one_hot(y, flat)
        else:
            out[...] = 0
            out[np.arange(len(y)), y] = 1
        output_storage[0][0] = out

    def reference(self, node, y, n):
        labels_as_index(y, int(n), "one_hot", f"{int(n)} classes")
        return (np.eye(int(n), dtype=self.dtype)[y],)

    def grad(self, inputs, output_grads):
        return [None, None]

    def infer_shape(self, node, input_shapes):
        return [(input_shapes[0][0], node.inputs[1])]


def one_hot(y, n_classes, dtype=None):
    """Rows of zeros with a one at each label (also Theano's ``to_one_hot``).

    Parameters
    ----------
    y : TensorVariable or array_like
        An integer vector of labels.
    n_classes : int or scalar TensorVariable
        The number of columns.
    dtype : str, optional
        Default ``config.floatX``.

    Returns
    -------
    TensorVariable
        A matrix of ``len(y)`` rows.

    Examples
    --------
    >>> y = T.lvector('y')
    >>> theano.function([y], T.nnet.one_hot(y, 3))(numpy.array([2, 0]))
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    return OneHot(np.dtype(dtype or config.floatX).name)(y, n_classes)


to_one_hot = one_hot
logsoftmax = log_softmax
