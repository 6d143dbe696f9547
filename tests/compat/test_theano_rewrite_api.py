"""Rewrites written the way Theano's "extending" pages write them: local and
global optimizers, navigators, OpSub/OpRemove/PatternSub, the optdb and the
register_* decorators, selected by name through Mode.including/excluding."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import gof
from cytensor.compile import optdb
from cytensor.gof import toolbox
from cytensor.gof.opt import MergeOptimizer, OpRemove, OpSub, PatternSub
from cytensor.printing import pp
from cytensor.rewriting import REGISTRY
from cytensor.scalar import add, float64, identity, mul, true_div
from cytensor.tensor.opt import (NotScalarConstantError, get_scalar_constant_value,
                                 register_canonicalize, register_specialize,
                                 register_stabilize)


@pytest.fixture(autouse=True)
def registry_restored():
    """Each test's registrations are gone after it: other tests compile too."""
    saved = list(REGISTRY)
    yield
    REGISTRY[:] = saved


def formulas(fgraph):
    return [pp(out) for out in fgraph.outputs]


def op_names(fn):
    return [str(node.op) for node in fn.maker.fgraph.toposort()]


def default_mode():
    return theano.compile.get_default_mode()


class CancelDivision(gof.Optimizer):
    """(a * b) / b -> a, as a whole-graph pass."""

    def add_requirements(self, fgraph):
        fgraph.attach_feature(toolbox.ReplaceValidate())

    def apply(self, fgraph):
        for node in fgraph.toposort():
            if node.op == true_div and node.inputs[0].owner is not None \
                    and node.inputs[0].owner.op == mul:
                a, b = node.inputs[0].owner.inputs
                if node.inputs[1] is b:
                    fgraph.replace_validate(node.outputs[0], a)
                elif node.inputs[1] is a:
                    fgraph.replace_validate(node.outputs[0], b)


class LocalCancelDivision(gof.LocalOptimizer):
    """The same simplification, one node at a time."""

    def transform(self, node):
        if node.op == true_div and node.inputs[0].owner is not None \
                and node.inputs[0].owner.op == mul:
            a, b = node.inputs[0].owner.inputs
            if node.inputs[1] is b:
                return [a]
            if node.inputs[1] is a:
                return [b]
        return False


def scalars():
    return float64("p"), float64("q"), float64("r")


def test_global_optimizer_edits_the_graph_through_replace_validate():
    p, q, r = scalars()
    fg = gof.FunctionGraph([p, q, r], [add(r, mul(true_div(mul(q, p), q), true_div(r, p)))])
    CancelDivision().optimize(fg)
    assert formulas(fg) == ["(r + (p * (r / p)))"]


def test_merge_first_lets_equal_subgraphs_cancel():
    p, q, r = scalars()
    fg = gof.FunctionGraph([p, q, r], [true_div(mul(add(q, r), p), add(q, r))])
    CancelDivision().optimize(fg)
    assert formulas(fg) == ["(((q + r) * p) / (q + r))"]     # two distinct add nodes
    MergeOptimizer().optimize(fg)
    CancelDivision().optimize(fg)
    assert formulas(fg) == ["p"]


def test_topo_optimizer_offers_every_node_to_a_local_optimizer():
    p, q, r = scalars()
    fg = gof.FunctionGraph([p, q, r], [add(r, mul(true_div(mul(q, p), q), true_div(r, p)))])
    gof.TopoOptimizer(LocalCancelDivision()).optimize(fg)
    assert formulas(fg) == ["(r + (p * (r / p)))"]


def test_topo_optimizer_revisits_the_nodes_a_replacement_made():
    """x * 1 -> x twice over needs the new node offered too."""
    x = T.dvector("x")
    drop_one = PatternSub((T.mul, "x", 1), "x")
    fg = gof.FunctionGraph([x], [(x * 1) * 1])
    gof.TopoOptimizer(drop_one, order="out_to_in").optimize(fg)
    assert fg.outputs[0] is x


def test_opsub_opremove_and_patternsub_shortcuts():
    p, q, _ = scalars()
    cases = [
        (PatternSub((true_div, (mul, "x", "y"), "y"), "x"), "(p + q)"),
        (PatternSub((true_div, (mul, "x", "y"), "x"), "y"), "(((p * q) / q) + q)"),
        (OpSub(add, mul), "(((p * q) / q) * q)"),
        (OpRemove(identity), "(((p * q) / q) + q)"),
    ]
    for lopt, expected in cases:
        fg = gof.FunctionGraph([p, q], [add(true_div(mul(identity(p), q), q), q)])
        if not isinstance(lopt, OpRemove):
            gof.TopoOptimizer(OpRemove(identity)).optimize(fg)
        gof.TopoOptimizer(lopt).optimize(fg)
        assert formulas(fg) == [expected], lopt


def test_patternsub_same_name_must_be_the_same_variable():
    x, y = T.dvectors("x", "y")
    square = PatternSub((T.mul, "x", "x"), (T.sqr, "x"))
    fg = gof.FunctionGraph([x, y], [x * x, x * y])
    gof.TopoOptimizer(square).optimize(fg)
    assert formulas(fg) == ["sqr(x)", "(x * y)"]


def test_patternsub_constraint_and_multiple_clients():
    x = T.dvector("x")
    exp_log = PatternSub((T.exp, {"pattern": (T.log, "x"),
                                  "constraint": lambda fgraph, var: var.ndim == 1}), "x")
    shared_log = T.log(x)
    fg = gof.FunctionGraph([x], [T.exp(shared_log), shared_log])
    gof.TopoOptimizer(exp_log).optimize(fg)
    assert formulas(fg) == ["exp(log(x))", "log(x)"]         # log(x) has two readers
    lenient = PatternSub((T.exp, (T.log, "x")), "x", allow_multiple_clients=True)
    gof.TopoOptimizer(lenient).optimize(fg)
    assert fg.outputs[0] is x
    refused = PatternSub((T.exp, {"pattern": (T.log, "x"),
                                  "constraint": lambda fgraph, var: False}), "x")
    fg = gof.FunctionGraph([x], [T.exp(T.log(x))])
    gof.TopoOptimizer(refused).optimize(fg)
    assert formulas(fg) == ["exp(log(x))"]


def test_equilibrium_optimizer_runs_to_a_fixed_point():
    x = T.dvector("x")
    drop_one = PatternSub((T.mul, "x", 1), "x", name="drop_one")
    drop_zero = PatternSub((T.add, "x", 0), "x", name="drop_zero")
    fg = gof.FunctionGraph([x], [((x * 1) + 0) * 1 + 0])
    gof.EquilibriumOptimizer([drop_one, drop_zero], max_use_ratio=10).optimize(fg)
    assert fg.outputs[0] is x


def test_replace_validate_refuses_a_cycle_and_leaves_the_graph():
    x = T.dvector("x")
    y = T.exp(x)
    fg = gof.FunctionGraph([x], [y * x], clone=False)
    with pytest.raises(gof.InconsistencyError, match="computed from"):
        fg.replace_all_validate([(x, T.exp(x) + 1), (y, T.log(y))])
    assert formulas(fg) == ["(exp(x) * x)"]


def test_a_feature_hears_every_changed_input():
    x = T.dvector("x")
    fg = gof.FunctionGraph([x], [T.exp(T.log(x)) + 1])
    history = toolbox.History()
    fg.attach_feature(history)
    fg.attach_feature(history)                        # twice: still one listener
    gof.TopoOptimizer(PatternSub((T.exp, (T.log, "x")), "x", name="exp_log")).optimize(fg)
    assert [(i, reason) for _, i, _, _, reason in history.changes] == [(0, "exp_log")]
    assert history.changes[0][3] is x


# --- registering, and selecting by name --------------------------------------


class Triple(gof.Op):
    """An op of our own, for a rewrite to recognise."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 3

    def infer_shape(self, node, input_shapes):
        return input_shapes


triple = Triple()


def triple_of_zero_rule(node):
    """triple(0) is 0: return the zeros themselves."""
    if node.op == triple:
        try:
            if get_scalar_constant_value(node.inputs[0]) == 0:
                return [node.inputs[0]]
        except NotScalarConstantError:
            return False
    return False


@pytest.mark.parametrize("register", [register_canonicalize, register_stabilize,
                                      register_specialize])
def test_registered_local_optimizer_runs_in_fast_run_and_is_excluded_by_name(register):
    @register
    @gof.local_optimizer([triple])
    def triple_of_zeros(node):
        return triple_of_zero_rule(node)

    x = T.dvector("x")
    zeros = T.zeros_like(x)
    f = theano.function([x], triple(zeros))
    assert "Triple" not in op_names(f)
    np.testing.assert_array_equal(f(np.ones(3)), np.zeros(3))
    g = theano.function([x], triple(x))                   # not zeros: kept
    assert op_names(g) == ["Triple"]
    h = theano.function([x], triple(zeros), mode=default_mode().excluding("triple_of_zeros"))
    assert "Triple" in op_names(h)
    np.testing.assert_array_equal(h(np.ones(3)), np.zeros(3))


def test_register_with_a_tag_and_with_a_name():
    @register_specialize("my_tag")
    @gof.local_optimizer([triple])
    def tagged(node):
        return triple_of_zero_rule(node)

    register_canonicalize(PatternSub((T.mul, "x", "x"), (T.sqr, "x")), name="self_product")
    x = T.dvector("x")
    assert "Triple" in op_names(theano.function([x], triple(T.zeros_like(x)),
                                                mode=default_mode().excluding("my_tag")))
    squared = op_names(theano.function([x], x * x))
    assert any("sqr" in name for name in squared) and not any("mul" in n for n in squared)
    kept = theano.function([x], x * x, mode=default_mode().excluding("self_product"))
    assert any("mul" in name for name in op_names(kept))


def test_optdb_register_untagged_runs_only_when_included():
    x = T.dmatrix("x")
    optdb.register("square_products", gof.TopoOptimizer(
        PatternSub((T.mul, "x", "x"), (T.sqr, "x"))), 0.5)
    plain = theano.function([x], x * x)
    assert any("mul" in name for name in op_names(plain))
    squared = theano.function([x], x * x, mode=default_mode().including("square_products"))
    assert not any("mul" in name for name in op_names(squared))
    np.testing.assert_array_equal(squared(np.full((2, 2), 3.0)), np.full((2, 2), 9.0))


def test_optdb_register_global_optimizer_in_fast_run():
    seen = []

    @gof.optimizer
    def count_nodes(fgraph):
        seen.append(len(fgraph.apply_nodes))

    optdb.register("count_nodes", count_nodes, 0.5, "fast_run")
    x = T.dvector("x")
    theano.function([x], T.exp(x) + 1)
    assert seen and seen[0] >= 1
    seen.clear()
    theano.function([x], T.exp(x) + 1, mode=default_mode().excluding("count_nodes"))
    assert seen == []


def test_register_errors_name_what_is_wrong():
    lopt = PatternSub((T.mul, "x", "x"), (T.sqr, "x"))
    optdb.register("twice", lopt, 1, "fast_run")
    with pytest.raises(ValueError, match="'twice' is already registered"):
        optdb.register("twice", lopt, 1, "fast_run")
    with pytest.raises(TypeError, match="position"):
        optdb.register("misplaced", lopt, "fast_run")
    with pytest.raises(TypeError, match="not an Op"):
        PatternSub(("mul", "x", "x"), "x")
    with pytest.raises(KeyError, match="sub-databases"):
        optdb["no_such_db"]


def test_optdb_query_builds_an_optimizer():
    x = T.dvector("x")
    fg = gof.FunctionGraph([x], [T.log(1 + x)])
    optdb.query(gof.Query(include=["fast_run"], exclude=["inplace", "fusion"])).optimize(fg)
    assert formulas(fg) == ["log1p(x)"]


def test_get_scalar_constant_value_sees_through_broadcasts():
    x = T.dvector("x")
    assert get_scalar_constant_value(T.zeros_like(x)) == 0
    assert get_scalar_constant_value(T.constant(np.full((2, 3), 7.0))) == 7
    assert get_scalar_constant_value(2.5) == 2.5
    for not_constant in (x, T.constant(np.arange(3.0))):
        with pytest.raises(NotScalarConstantError):
            get_scalar_constant_value(not_constant)
