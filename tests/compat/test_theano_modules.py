"""Theano's modules under their names: theano.gof (the Python extension
API), theano.scalar, theano.compile (function, modes, ops, as_op,
MonitorMode) and theano.tests.unittest_tools, with `theano` = cytensor."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import gof
from cytensor.gof import graph as gof_graph
from cytensor.tests import unittest_tools as utt


class TripleOp(gof.Op):
    """An op written the way Theano's "extending" pages write one."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 3

    def infer_shape(self, node, input_shapes):
        return input_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 3]


class ScaleOp(gof.Op):
    """An op with a parameter in __props__."""

    __props__ = ("factor",)

    def __init__(self, factor):
        self.factor = factor

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * self.factor


def test_an_extending_theano_op_runs_differentiates_and_merges():
    x = T.dmatrix("x")
    y = TripleOp()(x)
    f = theano.function([x], [y, theano.grad(y.sum(), x)])
    value = np.arange(6.0).reshape(2, 3)
    out, g = f(value)
    np.testing.assert_array_equal(out, value * 3)
    np.testing.assert_array_equal(g, np.full((2, 3), 3.0))
    assert ScaleOp(2) == ScaleOp(2) and ScaleOp(2) != ScaleOp(3)
    assert hash(ScaleOp(2)) == hash(ScaleOp(2))
    utt.verify_grad(TripleOp(), [np.random.RandomState(1).rand(3, 2)])


def test_infer_shape_tester_checks_an_op():
    class Check(utt.InferShapeTester):
        pass
    tester = Check()
    tester.setup_method()
    x = T.dmatrix()
    tester._compile_and_check([x], [TripleOp()(x)], [np.ones((4, 5))], TripleOp)

    class NoShape(TripleOp):
        def infer_shape(self, node, input_shapes):
            return [(input_shapes[0][1], input_shapes[0][0])]     # wrong on purpose
    with pytest.raises(AssertionError, match="infer_shape"):
        tester._compile_and_check([x], [NoShape()(x)], [np.ones((4, 5))], NoShape)


def test_c_code_generation_names_say_what_to_do_instead():
    for name in ("COp", "CLinker", "OpenMPOp"):
        with pytest.raises(AttributeError, match="perform\\(\\) method in Python"):
            getattr(gof, name)
    with pytest.raises(AttributeError, match="no 'NoSuchThing'"):
        gof.NoSuchThing


def test_gof_graph_walks_and_copies_graphs():
    x, y = T.dvectors("x", "y")
    z = (x + y) * x
    assert set(gof_graph.inputs([z])) == {x, y}
    nodes = gof_graph.io_toposort([x, y], [z])
    assert [str(n.op) for n in nodes] == [str(z.owner.inputs[0].owner.op), str(z.owner.op)]
    assert gof_graph.ops([x, y], [z]) == nodes
    variables = gof_graph.variables([x, y], [z])
    assert variables[:2] == [x, y] and variables[-1] is z and len(variables) == 4
    (x2, y2), (z2,) = gof_graph.clone([x, y], [z])
    assert x2 is not x and z2 is not z and set(gof_graph.inputs([z2])) == {x2, y2}
    f = theano.function([x2, y2], z2)
    np.testing.assert_array_equal(f([1.0, 2.0], [3.0, 4.0]), [4.0, 12.0])
    fg = gof.FunctionGraph([x, y], [z])
    assert len(fg.toposort()) == 2


def test_generic_type_holds_any_value():
    assert gof.generic.filter({"a": 1}) == {"a": 1}
    assert str(gof.generic) == "generic" and gof.Generic() == gof.generic


def test_theano_scalar_types_upcast_and_ops():
    from cytensor import scalar
    assert scalar.upcast("int8", "float32") == "float32"
    assert scalar.upcast("int32", "uint8") == "int32"
    a, b = scalar.float64("a"), scalar.int32("b")
    assert a.ndim == 0 and a.dtype == "float64" and b.dtype == "int32"
    assert scalar.float32 in scalar.float_types and scalar.int8 in scalar.discrete_types
    out = theano.function([a, b], [scalar.add(a, b), scalar.true_div(b, 2),
                                   scalar.int_div(b, 2), scalar.abs_(-a)])(1.5, 7)
    np.testing.assert_array_equal(out, [8.5, 3.5, 3, 1.5])
    assert scalar.constant(3).ndim == 0
    with pytest.raises(TypeError, match="has 1 dimensions"):
        scalar.as_scalar(T.dvector("v"))
    with pytest.raises(AttributeError, match="no 'nothing_here'"):
        scalar.nothing_here


def test_theano_compile_names():
    c = theano.compile
    assert c.function is theano.function and c.In is theano.In and c.Out is theano.Out
    assert c.get_default_mode().name == theano.config.mode
    assert isinstance(c.Mode(optimizer="fast_compile"), c.Mode)
    s = c.shared(np.zeros(2))
    assert isinstance(s, c.SharedVariable)
    from cytensor.compile.io import In
    from cytensor.compile.function_module import function
    assert In is theano.In and function is theano.function


def test_as_op_wraps_a_numpy_function_with_declared_types():
    from cytensor.compile.ops import as_op

    @as_op(itypes=[T.dmatrix, T.dmatrix], otypes=[T.dmatrix],
           infer_shape=lambda node, shapes: [(shapes[0][0], shapes[1][1])])
    def numpy_dot(a, b):
        return np.dot(a, b)

    a, b = T.dmatrices("a", "b")
    out = numpy_dot(a, b)
    f = theano.function([a, b], [out, out.shape])
    av, bv = np.ones((2, 3)), np.ones((3, 4))
    value, shape = f(av, bv)
    np.testing.assert_array_equal(value, av @ bv)
    assert tuple(shape) == (2, 4)
    with pytest.raises(TypeError, match="as_op declared"):
        numpy_dot(T.fmatrix(), b)
    with pytest.raises(NotImplementedError, match="no gradient"):
        theano.grad(out.sum(), a)


def test_view_and_deep_copy_ops():
    from cytensor.compile import ops
    x = T.dvector()
    f = theano.function([x], [ops.view_op(x), ops.deep_copy_op(x), ops.shape_i(x, 0)])
    v, c, n = f(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(v, [1.0, 2.0])
    np.testing.assert_array_equal(c, [1.0, 2.0])
    assert n == 2


def test_monitor_mode_calls_before_and_after_every_node():
    seen = []

    def before(i, node, fn):
        seen.append(("pre", i, [cell[0].tolist() for cell in fn.inputs]))

    def after(i, node, fn):
        seen.append(("post", i, [cell[0].tolist() for cell in fn.outputs]))

    x = T.dscalar("x")
    mode = theano.compile.MonitorMode(pre_func=before, post_func=after)
    f = theano.function([x], 5 * x, mode=mode)
    assert f(3.0) == 15.0
    assert seen == [("pre", 0, [5.0, 3.0]), ("post", 0, [15.0])]


def test_monitor_mode_finds_the_node_making_a_nan():
    bad = []

    def detect_nan(i, node, fn):
        for cell in fn.outputs:
            if np.isnan(cell[0]).any():
                bad.append(node)
    x = T.dscalar("x")
    mode = theano.compile.MonitorMode(post_func=detect_nan).excluding("fusion", "inplace")
    f = theano.function([x], T.exp(T.log(x) * 2), mode=mode)
    f(-1.0)
    assert bad and "log" in str(bad[0].op).lower()


def test_unittest_tools_seed_and_verify_grad():
    assert utt.fetch_seed() == 666 and utt.fetch_seed(3) == 3
    utt.seed_rng()
    first = np.random.rand()
    utt.seed_rng()
    assert np.random.rand() == first
    with theano.config.change_flags(unittests__rseed="random"):
        assert utt.fetch_seed() is None

    class WrongGrad(TripleOp):
        def grad(self, inputs, output_grads):
            return [output_grads[0] * 2]
    with pytest.raises(Exception, match="(?i)grad"):
        utt.verify_grad(WrongGrad(), [np.ones(3)])
    utt.assert_allclose(np.float32(1.0), np.float32(1.0 + 1e-6))


def test_the_package_names_itself_as_theano_does():
    from cytensor import theano as inner
    assert inner is theano
    assert theano.theano.tensor is T
