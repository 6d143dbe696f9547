"""The rewrite engine: registration, selection, phases to a fixed point, checks, traces."""
import io

import pytest

import cytensor.tensor as T
from cytensor.rewriting import FunctionGraph, Trace
from cytensor.rewriting.engine import PHASES, REGISTRY, Rewrite, register, rewrite_graph, selected
from cytensor.rewriting.pattern import E, Var, match


def test_every_registered_rewrite_has_a_known_phase_and_its_name_as_tag():
    assert REGISTRY
    for r in REGISTRY:
        assert r.phase in PHASES and r.name in r.tags and r.phase in r.tags


def test_register_rejects_an_unknown_phase():
    with pytest.raises(ValueError, match="unknown phase"):
        register("cleanup")


def test_selection_by_optimizer_and_tags():
    fast_compile = selected("fast_compile")
    assert fast_compile and all("fast_compile" in r.tags for r in fast_compile)
    assert selected(None) == []
    everything = selected("fast_run")
    assert len(everything) > len(fast_compile)
    assert all(r.phase != "fusion" for r in selected("fast_run", excluding=["fusion"]))
    with pytest.raises(ValueError, match="unknown optimizer"):
        selected("fastest")


def _rule(fn, phase="canonicalize"):
    return Rewrite(fn.__name__, phase, fn, frozenset({phase, fn.__name__}))


def test_rewrites_run_to_a_fixed_point():
    x = T.dvector("x")
    fg = FunctionGraph([x], [-(-(-(-x)))])

    sweeps = []

    def drop_double_negation(fgraph, node):
        sweeps.append(node)
        found = match(node.outputs[0], E.neg(E.neg(Var("X"))))
        return [found["X"]] if found else None
    rewrite_graph(fg, [_rule(drop_double_negation)])
    assert len(sweeps) > 2          # it ran again after the first replacement
    assert fg.outputs[0] is fg.inputs[0]


def test_a_rewrite_changing_the_dtype_is_refused():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x)])

    def to_float32(fgraph, node):
        return [T.cast(node.outputs[0], "float32")] if node.outputs[0].dtype == "float64" \
            else None
    with pytest.raises(TypeError, match="to_float32 replaced"):
        rewrite_graph(fg, [_rule(to_float32)])


def test_a_rewrite_returning_the_wrong_count_is_refused():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x)])
    with pytest.raises(ValueError, match="returned 2 variables"):
        rewrite_graph(fg, [_rule(lambda fgraph, node: [x, x])])


def test_trace_records_and_prints_each_replacement():
    x = T.dvector("x")
    trace = Trace()
    fg = FunctionGraph([x], [T.log(1 + x)], trace=trace)
    rewrite_graph(fg, selected("fast_run"))
    assert any(reason == "log1p_from_log" for reason, _, _ in trace.entries)
    out = io.StringIO()
    trace.show(out)
    assert "log1p_from_log:" in out.getvalue() and "log1p" in out.getvalue()
