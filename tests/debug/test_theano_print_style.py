"""Ops, types, constants, debugprint and pp print as Theano 1.0 printed them
by default (the strings below are Theano 1.0.5's output for the same
graphs); config.print_style='cytensor' gives the detailed view."""
import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.config import config
from cytensor.gof import Apply, Op


class ScaleShift(Op):
    """a * x + b, an op defined as the 'extending Theano' page does."""

    __props__ = ("a", "b")

    def __init__(self, a, b):
        self.a, self.b = a, b

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = self.a * inputs[0] + self.b


def test_op_with_props_names_each_property():
    assert str(ScaleShift(4, 5)) == "ScaleShift{a=4, b=5}"
    assert str(ScaleShift("s", 0.5)) == "ScaleShift{a='s', b=0.5}"
    with config.change_flags(print_style="cytensor"):
        assert str(ScaleShift(4, 5)) == "ScaleShift{4, 5}"


def test_tensor_types_and_unnamed_variables():
    assert repr(T.dmatrix().type) == "TensorType(float64, matrix)"
    assert str(T.fscalar().type) == "TensorType(float32, scalar)"
    assert str(T.lvector().type) == "TensorType(int64, vector)"
    assert str(T.tensor3().type) == "TensorType(float64, 3D)"
    assert str(T.row().type) == "TensorType(float64, row)"
    assert str(T.col().type) == "TensorType(float64, col)"
    assert repr(T.dvector()) == "<TensorType(float64, vector)>"
    assert str(T.dmatrix("x")) == "x"
    with config.change_flags(print_style="cytensor"):
        assert str(T.dmatrix().type) == "Matrix(float64)"
        assert str(T.row().type) == "Tensor{float64, (1, ?)}"


def test_constants():
    assert str(T.constant(2.0)) == "TensorConstant{2.0}"
    assert str(T.constant(2)) == "TensorConstant{2}"
    assert str(T.constant(np.full((1, 1), 2.0))) == "TensorConstant{(1, 1) of 2.0}"
    assert str(T.constant(3.0, name="three")) == "three"
    with config.change_flags(print_style="cytensor"):
        assert str(T.constant(2.0)) == "2.0"


def test_elemwise_labels_and_debugprint():
    x = T.dmatrix("x")
    assert str(T.exp(x).owner.op) == "Elemwise{exp,no_inplace}"
    z = x * 2 + T.exp(x)
    text = theano.printing.debugprint(z, file="str")
    assert text.splitlines() == [
        "Elemwise{add,no_inplace} [id A] ''",
        " |Elemwise{mul,no_inplace} [id B] ''",
        " | |x [id C]",
        " | |DimShuffle{x,x} [id D] ''",
        " |   |TensorConstant{2} [id E]",
        " |Elemwise{exp,no_inplace} [id F] ''",
        "   |x [id C]"]
    with config.change_flags(print_style="cytensor"):
        assert str(T.exp(x).owner.op) == "Elemwise{exp}"


def test_compiled_fused_elemwise_prints_as_a_theano_composite():
    x, y = T.dvector("x"), T.dvector("y")
    f = theano.function([x, y], T.exp(x) * y + 1)
    (node,) = f.maker.fgraph.toposort()
    assert str(node.op) == "Elemwise{Composite{((exp(i0) * i1) + i2)}}"
    with config.change_flags(print_style="cytensor"):
        assert str(node.op) == "Composite{add(mul(exp(i0), i1), i2)}"


def test_pp_parenthesises_every_binary_operation():
    x = T.dmatrix("x")
    assert theano.pp(x * 2 + T.exp(x)) == "((x * TensorConstant{2}) + exp(x))"
    with config.change_flags(print_style="cytensor"):
        assert theano.pp(x * 2 + T.exp(x)) == "x * 2 + exp(x)"


def test_unknown_print_style_is_refused():
    import pytest
    with pytest.raises(ValueError, match="print_style"):
        config.print_style = "fancy"
