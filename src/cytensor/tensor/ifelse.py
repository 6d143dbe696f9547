"""Theano's ``ifelse``: pick one of two values with a scalar condition.

``ifelse(cond, a, b)`` is ``a`` when the scalar ``cond`` is true, else
``b``.  Unlike ``T.switch``, which chooses element by element, the two
branches are whole values and may differ in shape.  Several values can be
chosen at once: ``ifelse(cond, [a1, a2], [b1, b2])``.

Only the branch taken is computed, as in Theano: the linker (linker.py,
``lazy_branches``) moves the nodes that only one branch needs into the
IfElse's thunk, which runs them after the condition has picked a side.
This op itself just returns the values of the side picked.
"""
import numpy as np

from ..graph import Apply, Op
from .basic import zeros_like
from .type import TensorType, as_tensor_variable


class IfElse(Op):
    """The op of :func:`ifelse`: a lazy choice between two lists of values.

    Its inputs are the condition, the ``n_outs`` then-values and the
    ``n_outs`` else-values.

    Parameters
    ----------
    n_outs : int
        How many values each branch has.

    Examples
    --------
    >>> from cytensor.ifelse import IfElse
    >>> c, a, b = T.dscalars('c', 'a', 'b')
    >>> theano.function([c, a, b], IfElse(1)(c, a, b))(0.0, 1.0, 2.0)
    array(2.)
    """


    __props__ = ("n_outs",)

    def __init__(self, n_outs):
        self.n_outs = n_outs

    def make_node(self, condition, *branches):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(f"ifelse: the condition must be a scalar, got {condition.ndim} "
                            f"dimensions ({condition.type}); use T.switch to choose "
                            "element by element")
        branches = [as_tensor_variable(b) for b in branches]
        thens, elses = branches[:self.n_outs], branches[self.n_outs:]
        outputs = []
        for k, (a, b) in enumerate(zip(thens, elses)):
            if a.dtype != b.dtype or a.ndim != b.ndim:
                raise TypeError(f"ifelse: value {k} of the two branches must have the same "
                                f"dtype and number of dimensions, got {a.type} and {b.type}; "
                                "cast one with T.cast")
            shape = tuple(s if s == t else None for s, t in zip(a.type.shape, b.type.shape))
            outputs.append(TensorType(a.dtype, shape=shape)())
        return Apply(self, [condition] + branches, outputs)

    def reference(self, node, condition, *branches):
        chosen = branches[:self.n_outs] if condition else branches[self.n_outs:]
        # A copy: the output must not be the very array of an input or shared value.
        return tuple(np.array(value, copy=True) for value in chosen)

    def grad(self, inputs, output_grads):
        condition, branches = inputs[0], inputs[1:]
        zeros = [zeros_like(b) for b in branches[:self.n_outs]]
        then_grads = IfElse(self.n_outs)(condition, *output_grads, *zeros)
        else_grads = IfElse(self.n_outs)(condition, *zeros, *output_grads)
        if self.n_outs == 1:
            then_grads, else_grads = [then_grads], [else_grads]
        return [None] + list(then_grads) + list(else_grads)


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if the scalar ``condition`` is true, else ``else_branch``.

    Lazy: only the branch taken is computed when the function runs (unlike
    ``T.switch``, which computes both, elementwise).

    Parameters
    ----------
    condition : scalar TensorVariable or array_like
        Tested as a truth value.
    then_branch, else_branch : Variable or array_like, or lists of them
        Of equal length when lists, and of matching types.
    name : str, optional
        A name for the outputs.

    Returns
    -------
    Variable or list of Variable
        A list when the branches are lists.

    Raises
    ------
    ValueError
        If the branches have different numbers of values.

    Examples
    --------
    >>> a, b = T.dscalars('a', 'b')
    >>> from cytensor.ifelse import ifelse
    >>> f = theano.function([a, b], ifelse(T.lt(a, b), a, b ** 2))
    >>> f(1.0, 3.0), f(5.0, 3.0)
    (array(1.), array(9.))
    """
    single = not isinstance(then_branch, (list, tuple))
    thens = [then_branch] if single else list(then_branch)
    elses = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(thens) != len(elses):
        raise ValueError(f"ifelse: the then branch has {len(thens)} values and the else "
                         f"branch {len(elses)}; give both the same number")
    outputs = IfElse(len(thens))(condition, *thens, *elses)
    outputs = [outputs] if len(thens) == 1 else list(outputs)
    if name is not None:
        for out in outputs:
            out.name = name
    return outputs[0] if single else outputs
