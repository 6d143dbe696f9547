"""Batch normalization (Theano's ``theano.tensor.nnet.bn``).

Built from reductions and elementwise ops, so the gradient comes from
theirs and the elementwise part runs as one fused kernel pass.
"""
from .. import math as tm
from ..type import as_tensor_variable
from .basic import _const, as_float


def _axes(axes, ndim):
    if axes == "per-activation":
        return (0,)
    if axes == "spatial":
        return (0,) + tuple(range(2, ndim))
    return tuple(sorted(a % ndim for a in axes))


def _like_input(param, axes, ndim):
    """A parameter given without the normalized axes gets them back (length 1)."""
    param = as_tensor_variable(param)
    if param.ndim == ndim:
        return param
    if param.ndim != ndim - len(axes):
        raise ValueError(f"batch normalization: parameter {param} has {param.ndim} "
                         f"dimensions; expected {ndim} or {ndim - len(axes)}")
    order, k = [], 0
    for a in range(ndim):
        if a in axes:
            order.append("x")
        else:
            order.append(k)
            k += 1
    return param.dimshuffle(order)


def batch_normalization_train(inputs, gamma, beta, axes="per-activation", epsilon=1e-4,
                              running_average_factor=0.1, running_mean=None,
                              running_var=None):
    """Normalize with the statistics of this batch.

    Returns (out, mean, invstd), plus the updated running mean and variance
    when ``running_mean`` and ``running_var`` are given (use them as updates).
    axes: 'per-activation' (axis 0), 'spatial' (0 and 2...) or a tuple.

    Parameters
    ----------
    inputs : TensorVariable
        The activations.
    gamma, beta : TensorVariable
        Scale and shift, of the shape of the statistics (with or without the
        normalized axes).
    axes : 'per-activation', 'spatial' or tuple of int
        The axes the statistics are taken over.
    epsilon : float
        Added to the variance.
    running_average_factor : float
        The weight of this batch in the running statistics.
    running_mean, running_var : TensorVariable, optional
        The running statistics to update.

    Returns
    -------
    tuple of TensorVariable
        ``(out, mean, invstd)``, then the new running mean and variance if given.

    Raises
    ------
    ValueError
        If a parameter has a rank that fits neither form.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> g, b = T.dvectors('g', 'b')
    >>> out, mean, invstd = T.nnet.batch_normalization_train(x, g, b, epsilon=0.0)
    >>> f = theano.function([x, g, b], [out, mean])
    >>> f(numpy.array([[1.0, 2.0], [3.0, 6.0]]), numpy.ones(2), numpy.zeros(2))
    [array([[-1., -1.],
           [ 1.,  1.]]), array([[2., 4.]])]
    """
    inputs = as_float(inputs)
    axes = _axes(axes, inputs.ndim)
    gamma, beta = _like_input(gamma, axes, inputs.ndim), _like_input(beta, axes, inputs.ndim)
    mean = tm.mean(inputs, axes, keepdims=True)
    var = tm.var(inputs, axes, keepdims=True)
    invstd = tm.reciprocal(tm.sqrt(var + _const(epsilon, inputs)))
    out = (inputs - mean) * (invstd * gamma) + beta
    if running_mean is None and running_var is None:
        return out, mean, invstd
    count = tm.mul(*[tm.cast(inputs.shape[a], inputs.dtype) for a in axes])
    f = _const(running_average_factor, inputs)
    one = _const(1, inputs)
    new_mean = running_mean * (one - f) + _like_shape(mean, running_mean) * f
    unbiased = var * count / tm.maximum(count - one, one)
    new_var = running_var * (one - f) + _like_shape(unbiased, running_var) * f
    return out, mean, invstd, new_mean, new_var


def _like_shape(stat, param):
    """A keepdims statistic with the dimensions of ``param``."""
    param = as_tensor_variable(param)
    if param.ndim == stat.ndim:
        return stat
    return stat.dimshuffle([a for a, b in enumerate(stat.broadcastable) if not b])


def batch_normalization_test(inputs, gamma, beta, mean, var, axes="per-activation",
                             epsilon=1e-4):
    """Normalize with given (running) statistics: the inference form.

    Parameters
    ----------
    inputs : TensorVariable
        The activations.
    gamma, beta : TensorVariable
        Scale and shift.
    mean, var : TensorVariable
        The statistics to normalize with.
    axes : 'per-activation', 'spatial' or tuple of int
        The axes the statistics were taken over.
    epsilon : float
        Added to the variance.

    Returns
    -------
    TensorVariable
        ``(inputs - mean) * gamma / sqrt(var + epsilon) + beta``.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> g, b, m, v = T.dvectors('g', 'b', 'm', 'v')
    >>> out = T.nnet.batch_normalization_test(x, g, b, m, v, epsilon=0.0)
    >>> f = theano.function([x, g, b, m, v], out)
    >>> f(numpy.array([[1.0, 2.0]]), numpy.ones(2), numpy.zeros(2), numpy.array([2.0, 4.0]), numpy.array([1.0, 4.0]))
    array([[-1., -1.]])
    """
    inputs = as_float(inputs)
    axes = _axes(axes, inputs.ndim)
    gamma, beta, mean, var = (_like_input(p, axes, inputs.ndim)
                              for p in (gamma, beta, mean, var))
    return (inputs - mean) * (gamma / tm.sqrt(var + _const(epsilon, inputs))) + beta


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """Theano's elementwise form: (inputs - mean) * (gamma / std) + beta.

    Parameters
    ----------
    inputs : TensorVariable
        The activations.
    gamma, beta : TensorVariable or array_like
        Scale and shift.
    mean, std : TensorVariable or array_like
        The statistics.
    mode : {'low_mem', 'high_mem'}
        Theano's choice of kernel; both compute the same here.

    Returns
    -------
    TensorVariable

    Raises
    ------
    ValueError
        For another mode.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> out = T.nnet.batch_normalization(x, 1.0, 0.0, numpy.array([2.0, 4.0]), numpy.array([1.0, 2.0]))
    >>> theano.function([x], out)(numpy.array([[1.0, 2.0]]))
    array([[-1., -1.]])
    """
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', "
                         f"got {mode!r}")
    return (as_float(inputs) - mean) * (gamma / std) + beta
