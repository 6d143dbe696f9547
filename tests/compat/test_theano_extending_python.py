"""The rest of Theano's "extending in Python" API: ops declared by itypes and
otypes, a Type of one's own compiled by function(), variables' clients in
a FunctionGraph, and the module paths Theano code imports them from (not ``theano.tensor.var``:
as in Theano, ``T.var`` is the variance)."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import gof


class Twice(theano.Op):
    """An op with no make_node: itypes and otypes say what it takes."""

    __props__ = ()
    itypes = [T.dmatrix]
    otypes = [T.dmatrix]

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def infer_shape(self, node, input_shapes):
        return input_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]


def test_op_declared_by_itypes_and_otypes():
    x = T.dmatrix("x")
    y = Twice()(x)
    assert y.type == T.dmatrix
    f = theano.function([x], [y, y.shape, theano.grad(y.sum(), x)])
    out, shape, grad = f(np.ones((2, 3)))
    np.testing.assert_array_equal(out, np.full((2, 3), 2.0))
    assert tuple(shape) == (2, 3)
    np.testing.assert_array_equal(grad, np.full((2, 3), 2.0))
    np.testing.assert_array_equal(theano.function([], Twice()(np.eye(2)))(), 2 * np.eye(2))
    known_rows = T.tensor("float64", (3, None))
    assert Twice()(known_rows).type == T.dmatrix          # more static shape is fine


def test_itypes_refuse_other_types_and_a_bare_op_says_what_to_define():
    with pytest.raises(TypeError, match="input 0 .*float32, matrix.*itypes declares"):
        Twice()(T.fmatrix())
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        Twice()(T.dmatrix(), T.dmatrix())
    with pytest.raises(NotImplementedError, match="define make_node, or the itypes"):
        theano.Op()(T.dmatrix())


class Double(gof.Type):
    """A Python float, as Theano's "Making the double type" page writes it."""

    def filter(self, value, strict=False, allow_downcast=None):
        if strict and not isinstance(value, float):
            raise TypeError("expected a float")
        as_float = float(value)
        if not allow_downcast and as_float != value:
            raise TypeError(f"{value!r} is not exactly a double")
        return as_float

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "double"


double = Double()


class DoubleProduct(gof.Op):
    """x * y on doubles; Python numbers become constants."""

    __props__ = ()

    def make_node(self, x, y):
        x, y = (v if isinstance(v, gof.Variable) else gof.Constant(double, v) for v in (x, y))
        if x.type != double or y.type != double:
            raise TypeError("DoubleProduct only works on doubles")
        return gof.Apply(self, [x, y], [double()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * inputs[1]


def test_function_compiles_a_graph_of_a_users_own_type():
    x, y = double("x"), double("y")
    product = DoubleProduct()
    f = theano.function([x, y], product(x, y))
    assert f(5, 6) == 30.0 and isinstance(f(5, 6), float)
    assert f(5.5, 2) == 11.0
    with pytest.raises(TypeError, match=r"bad value for input 0 \(x, type double\)"):
        f(5.5j, 2)
    scaled = theano.function([x], [product(x, 2), product(product(x, 2), 2)])
    assert scaled(3) == [6.0, 12.0]
    identity = theano.function([x], x)
    assert identity(4) == 4.0


def test_constants_of_a_users_type_merge_by_value():
    x = double("x")
    product = DoubleProduct()
    f = theano.function([x], [product(x, 2), product(x, 2.0)])
    assert f(3) == [6.0, 6.0]
    assert len(f.maker.fgraph.toposort()) == 1


def test_variables_know_their_clients_in_a_function_graph():
    x = T.dmatrix("x")
    total = x + x.T
    f = theano.function([x], [total, total * 2])
    add_node, = [n for n in f.maker.fgraph.toposort() if n.outputs[0].clients and
                 ("output", 0) in n.outputs[0].clients]
    readers = add_node.outputs[0].clients
    assert readers is f.maker.fgraph.clients[add_node.outputs[0]]
    assert ("output", 0) in readers and len(readers) == 2
    node, position = next(c for c in readers if c[0] != "output")
    assert node.inputs[position] is add_node.outputs[0]


def test_clients_follow_replacements():
    x = T.dvector("x")
    fg = gof.FunctionGraph([x], [T.exp(T.log(x)) + 1])
    log_out = fg.outputs[0].owner.inputs[0].owner.inputs[0]
    exp_out = fg.outputs[0].owner.inputs[0]
    fg.replace(exp_out, fg.inputs[0])
    assert exp_out.clients == [] and log_out not in fg.clients
    assert (fg.outputs[0].owner, 0) in fg.inputs[0].clients


def test_theano_module_paths_for_these_names():
    from cytensor.compile.builders import OpFromGraph
    from cytensor.gof.fg import FunctionGraph
    from cytensor.gof.op import Op
    from cytensor.tensor.nnet.abstract_conv import conv2d, conv2d_grad_wrt_inputs  # noqa: F401
    from cytensor.tensor.nnet.nnet import categorical_crossentropy, softmax  # noqa: F401
    from cytensor.tensor.nnet.sigm import hard_sigmoid, sigmoid, ultra_fast_sigmoid  # noqa: F401
    assert OpFromGraph is theano.OpFromGraph and Op is theano.Op is gof.Op
    assert FunctionGraph is gof.FunctionGraph and theano.Type is gof.Type
    assert theano.printing.Print is __import__("cytensor.printing").printing.Print
