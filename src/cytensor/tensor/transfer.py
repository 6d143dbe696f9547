"""Moving a value between devices: ``x.transfer('cpu')``, ``x.transfer('cuda')``.

A Transfer node says where its output lives; everything else about
devices is decided when a function is compiled (compile/devices.py): which
device each node runs on, and where moves are needed.  Those moves are
Transfer nodes too, so debugprint and the profile show every one.

The value does not change, so the gradient of a transfer is the output
gradient moved back to where the input lives.  Where that is is known only
once the function is compiled, so the gradient's transfer names no device
but a second input, the forward transfer's input: "put this where that is".
"""
import numpy as np

from ..graph import Apply, Op
from .type import as_tensor_variable
from .variable import provide


class Transfer(Op):
    """The value of ``x``, held on ``target``.

    Parameters
    ----------
    target : str or None
        A device name ('cpu', 'cuda', 'cuda1', ...).  None: the device of
        the second input (the gradient's form: ``Transfer(None)(g, like)``).

    Examples
    --------
    >>> x = T.dvector('x')
    >>> y = x.transfer('cpu')
    >>> print(y.owner.op)
    transfer{cpu}
    >>> theano.function([x], y * 2)(numpy.array([1.0, 2.0]))
    array([2., 4.])
    """

    __props__ = ("target",)

    def __init__(self, target):
        self.target = None if target is None else str(target)

    def __str__(self):
        return f"transfer{{{self.target or 'like'}}}"

    def make_node(self, x, like=None):
        x = as_tensor_variable(x)
        if (like is None) != (self.target is not None):
            raise TypeError(f"{self}: give a target device, or (target None) the variable "
                            "whose device the result takes")
        inputs = [x] if like is None else [x, as_tensor_variable(like)]
        return Apply(self, inputs, [x.type()])

    def do_constant_folding(self, node):
        """Never folded: the constant would lose the device it was sent to."""
        return False

    def reference(self, node, x, *like):
        return (np.array(x),)       # on the CPU a transfer is a copy

    def grad(self, inputs, output_grads):
        back = Transfer(None)(output_grads[0], inputs[0])
        return [back] + [like.zeros_like() for like in inputs[1:]]

    def infer_shape(self, node, input_shapes):
        return [input_shapes[0]]


def transfer(x, target):
    """``x`` held on device ``target``: Theano's ``x.transfer(target)``.

    A transfer to where ``x`` already is costs nothing: compiling removes
    it.  As a function's output, a transfer to a device returns that
    device's array instead of a NumPy array.

    Parameters
    ----------
    x : TensorVariable
        The value to move.
    target : str
        A device name: 'cpu', 'cuda', 'cuda1', ...

    Returns
    -------
    TensorVariable
        The same value, of the same type, on ``target``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], T.transfer(x * 2, 'cpu'))
    >>> f(numpy.array([1.0, 2.0]))
    array([2., 4.])
    """
    return Transfer(target)(x)


provide(transfer=transfer)
