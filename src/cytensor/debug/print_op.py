"""``theano.printing.Print``: an op that shows a value while the function runs.

``Print("h")(x)`` is ``x`` itself, and each time the compiled function
computes it, it prints ``h __str__ = <x>`` (each attribute in ``attrs`` of
the value, called when it is a method: ``attrs=("shape",)`` prints the
shape).  A Print whose output nothing reads is pruned with the rest of the
unused graph, as in Theano, and it is never computed at compile time (a
constant would print then and never again).
"""
from ..graph import Apply, Op
from ..tensor.type import as_tensor_variable


def print_attributes(op, value):
    """Theano's default: ``message attr = value.attr`` for each attribute."""
    for attr in op.attrs:
        shown = getattr(value, attr)
        print(op.message, attr, "=", shown() if callable(shown) else shown)


class Print(Op):
    """Returns its input, printing it (``global_fn(op, value)``) when run.

    The result is a view of the input (declared in ``view_map``), so a
    function returning it returns a copy, never the caller's own array.
    """

    __props__ = ("message", "attrs", "global_fn")
    view_map = {0: [0]}

    def __init__(self, message="", attrs=("__str__",), global_fn=print_attributes):
        self.message, self.attrs, self.global_fn = message, tuple(attrs), global_fn

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0].view()
        self.global_fn(self, inputs[0])

    def reference(self, node, x):
        return (x.view(),)

    def do_constant_folding(self, node):
        return False

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def R_op(self, inputs, eval_points):
        return list(eval_points)

    def infer_shape(self, node, input_shapes):
        return input_shapes
