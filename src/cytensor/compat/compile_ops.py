"""Theano's ``theano.compile.ops``: ``as_op`` and the small ops users name.

``as_op`` turns a Python function on NumPy arrays into an Op, as Theano's
decorator did: the function runs in ``perform``, its input and output
types are declared, and the op has no gradient unless one is given.
"""
import numpy as np

from ..graph import Apply, Op
from ..tensor.basic import Shape_i                                    # noqa: F401
from ..tensor.type import as_tensor_variable


class FromFunctionOp(Op):
    """An Op made by ``as_op`` from a Python function."""

    __props__ = ("fn", "itypes", "otypes", "infer_shape_fn")

    def __init__(self, fn, itypes, otypes, infer_shape_fn=None):
        self.fn, self.itypes, self.otypes = fn, tuple(itypes), tuple(otypes)
        self.infer_shape_fn = infer_shape_fn
        self.__name__ = getattr(fn, "__name__", "as_op")
        self.__doc__ = fn.__doc__

    def __str__(self):
        return f"FromFunctionOp{{{self.__name__}}}"

    def make_node(self, *inputs):
        if len(inputs) != len(self.itypes):
            raise TypeError(f"{self}: takes {len(self.itypes)} inputs, got {len(inputs)}")
        inputs = [as_tensor_variable(x) for x in inputs]
        for position, (x, t) in enumerate(zip(inputs, self.itypes)):
            if x.type != t:
                raise TypeError(f"{self}: input {position} ({x}) is {x.type}, "
                                f"as_op declared {t}")
        return Apply(self, inputs, [t() for t in self.otypes])

    def perform(self, node, inputs, output_storage):
        outs = self.fn(*inputs)
        if len(self.otypes) == 1:
            outs = [outs]
        if len(outs) != len(self.otypes):
            raise ValueError(f"{self}: the function returned {len(outs)} values, "
                             f"as_op declared {len(self.otypes)}")
        for cell, value, t in zip(output_storage, outs, self.otypes):
            cell[0] = np.asarray(value, dtype=t.dtype)

    def reference(self, node, *inputs):
        storage = [[None] for _ in self.otypes]
        self.perform(node, list(inputs), storage)
        return tuple(c[0] for c in storage)

    def infer_shape(self, node, input_shapes):
        if self.infer_shape_fn is None:
            raise NotImplementedError(f"{self}: as_op was given no infer_shape")
        return self.infer_shape_fn(node, input_shapes)

    def grad(self, inputs, output_grads):
        raise NotImplementedError(f"{self}: an op made with as_op has no gradient")


def as_op(itypes, otypes, infer_shape=None):
    """Decorator: ``@as_op(itypes=[T.dmatrix], otypes=[T.dvector])`` makes the
    decorated NumPy function an Op of those input and output types."""
    itypes = list(itypes) if isinstance(itypes, (list, tuple)) else [itypes]
    otypes = list(otypes) if isinstance(otypes, (list, tuple)) else [otypes]

    def make(fn):
        return FromFunctionOp(fn, itypes, otypes, infer_shape)
    return make


class ViewOp(Op):
    """Returns its input unchanged (Theano's view_op): a marker in graphs.

    The result is a view of the input, declared so: the in-place rewrites
    then never write over it, and a function returning it returns a copy.
    """

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def reference(self, node, x):
        return (x.view(),)

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def infer_shape(self, node, input_shapes):
        return input_shapes


class DeepCopyOp(ViewOp):
    """Returns a copy of its input (Theano's deep_copy_op)."""

    view_map = {}

    def reference(self, node, x):
        return (np.array(x, copy=True),)


view_op = ViewOp()
deep_copy_op = DeepCopyOp()


def shape_i(var, i):
    """The length of ``var`` along axis ``i``, symbolically."""
    return Shape_i(i)(var)
