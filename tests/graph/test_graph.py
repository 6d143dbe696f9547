"""The graph stage on its own: Variables, Apply nodes, the Op contract, walks, cloning."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.graph import (Apply, Constant, LaterStages, Op, Variable, ancestors, clone_replace,
                            format_trace, graph_inputs, toposort)
from cytensor.tensor.type import TensorType


class Twice(Op):
    """A toy op with props: y = factor * x."""
    __props__ = ("factor",)

    def __init__(self, factor=2):
        self.factor = factor

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def reference(self, node, x):
        return (self.factor * x,)


def test_apply_links_outputs_back_to_itself():
    x = T.dvector("x")
    y = Twice()(x)
    assert y.owner.op == Twice() and y.owner.inputs == [x] and y.index == 0
    assert y.owner.outputs == [y]


def test_ops_compare_and_hash_by_props():
    assert Twice(2) == Twice(2) and hash(Twice(2)) == hash(Twice(2))
    assert Twice(2) != Twice(3)
    assert str(Twice(3)) == "Twice{factor=3}"


def test_op_without_reference_or_grad_says_so():
    class Bare(Op):
        def make_node(self, x):
            return Apply(self, [x], [x.type()])
    x = T.dvector("x")
    node = Bare()(x).owner
    with pytest.raises(NotImplementedError, match="no NumPy reference"):
        node.op.reference(node, np.zeros(2))
    with pytest.raises(NotImplementedError, match="no gradient"):
        node.op.grad([x], [x])


def test_default_perform_runs_the_reference():
    x = T.dvector("x")
    f = theano.function([x], Twice(3)(x))
    assert np.array_equal(f(np.array([1.0, 2.0])), [3.0, 6.0])


def test_walks_find_ancestors_inputs_and_an_order():
    x, y = T.dvector("x"), T.dvector("y")
    a = x + y
    b = T.exp(a) * x
    assert set(graph_inputs([b])) == {x, y}
    assert {x, y, a, b} <= set(ancestors([b]))
    order = toposort([b])
    assert order.index(a.owner) < order.index(b.owner)
    assert set(graph_inputs([b], blockers=[a])) == {a, x}


def test_clone_replace_leaves_the_original_untouched():
    x, z = T.dvector("x"), T.dvector("z")
    y = T.exp(x) + 1
    (new,), memo = clone_replace([y], {x: z})
    assert z in graph_inputs([new]) and x not in graph_inputs([new])
    assert x in graph_inputs([y]) and z not in graph_inputs([y])
    assert memo[y] is new


def test_constants_sign_by_value_and_type():
    a, b = T.constant(np.array([1.0, 2.0])), T.constant(np.array([1.0, 2.0]))
    assert isinstance(a, Constant) and a.signature() == b.signature()
    assert a.signature() != T.constant(np.array([1.0, 3.0])).signature()


def test_variable_clone_keeps_type_and_name_not_owner():
    y = T.exp(T.dvector("x"))
    y.name = "y"
    c = y.clone()
    assert c.type == y.type and c.name == "y" and c.owner is None


def test_eval_compiles_through_the_compile_stage():
    assert LaterStages.function is theano.function
    x = T.dvector("x")
    assert np.allclose((x * 2).eval({x: np.array([1.0, 2.0])}), [2.0, 4.0])


def test_creation_site_is_recorded():
    y = T.exp(T.dvector("x"))
    assert "test_graph.py" in format_trace(y.owner)


def test_a_plain_variable_prints_its_type():
    v = Variable(TensorType("float64", shape=(None,)))
    assert str(v).startswith("<") and v.owner is None
