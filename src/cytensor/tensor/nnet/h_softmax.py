"""Two-level hierarchical softmax (Theano's ``T.nnet.h_softmax``).

The outputs are split into ``n_classes`` groups of ``n_outputs_per_class``:
p(output) = p(its class | x) * p(output | its class, x).  Computing only
the target's probability costs O(n_classes + n_outputs_per_class) per row
instead of O(n_outputs).
"""
from .. import math as tm
from ..array_ops import batched_dot
from ..basic import arange, reshape
from ..type import as_tensor_variable
from .basic import softmax


def h_softmax(x, batch_size, n_outputs, n_classes, n_outputs_per_class,
              W1, b1, W2, b2, target=None):
    """Probabilities of a two-level softmax.

    x: (batch_size, n_in) inputs.  W1 (n_in, n_classes), b1 (n_classes,):
    the class layer.  W2 (n_classes, n_in, n_outputs_per_class), b2
    (n_classes, n_outputs_per_class): one output layer per class.
    target None: all probabilities, (batch_size, n_outputs); else the int
    vector (or (batch_size, 1) matrix) of each row's target output: its
    probability, (batch_size,).

    Parameters
    ----------
    x : TensorVariable
        The inputs, (batch_size, n_in).
    batch_size : int or scalar TensorVariable
        The rows of ``x``.
    n_outputs : int
        The number of outputs (at most n_classes * n_outputs_per_class).
    n_classes : int
        The classes of the first level.
    n_outputs_per_class : int
        The outputs of each class.
    W1, b1 : TensorVariable
        The class layer.
    W2, b2 : TensorVariable
        The output layers.
    target : TensorVariable, optional
        Each row's target output.

    Returns
    -------
    TensorVariable
        (batch_size, n_outputs) probabilities, or (batch_size,) those of the targets.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> W1, b1 = shared(numpy.zeros((3, 2))), shared(numpy.zeros(2))
    >>> W2, b2 = shared(numpy.zeros((2, 3, 2))), shared(numpy.zeros((2, 2)))
    >>> p = T.nnet.h_softmax(x, 4, 4, 2, 2, W1, b1, W2, b2)
    >>> theano.function([x], p)(numpy.ones((4, 3)))[0]
    array([0.25, 0.25, 0.25, 0.25])
    """
    class_probs = softmax(tm.dot(x, W1) + b1)
    if target is None:
        # (batch, n_classes, n_outputs_per_class): every class's output layer.
        activations = tm.tensordot(x, W2, [[1], [1]]) + b2
        within = softmax(reshape(activations, (-1, n_outputs_per_class)))
        within = reshape(within, (batch_size, n_classes, n_outputs_per_class))
        probs = within * class_probs.dimshuffle(0, 1, "x")
        return reshape(probs, (batch_size, n_classes * n_outputs_per_class))[:, :n_outputs]
    target = as_tensor_variable(target).flatten()
    target_class = target // n_outputs_per_class
    position = target % n_outputs_per_class
    rows = arange(batch_size)
    activations = batched_dot(x, W2[target_class]) + b2[target_class]
    within = softmax(activations)[rows, position]
    return class_probs[rows, target_class] * within
