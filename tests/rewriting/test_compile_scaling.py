"""Compiling costs work in proportion to the graph: counted here, never timed.

A pass that sorted the graph once per fused group, or swept it once per
step of a cascade, makes the number of sorts and rule calls grow with the
graph; these tests compile graphs of n and 2n nodes and compare the counts.
"""
import sys

import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor import graph
from cytensor.rewriting import engine
from cytensor.rewriting import fgraph as fgraph_module


def chain(x, n):
    """n elementwise nodes: y * 1.01, y + 0.1, tanh(y), again and again."""
    for k in range(n):
        x = (lambda v: v * 1.01, lambda v: v + 0.1, T.tanh)[k % 3](x)
    return x


def chain_reference(x, n):
    for k in range(n):
        x = (lambda v: v * 1.01, lambda v: v + 0.1, np.tanh)[k % 3](x)
    return x


@pytest.fixture
def counts(monkeypatch):
    """Counts of the whole-graph sorts a FunctionGraph makes and of the
    rewrite rules called, while the test runs."""
    tally = {"toposort": 0, "rule calls": 0}

    def counting_toposort(*args, **kwargs):
        tally["toposort"] += 1
        return graph.toposort(*args, **kwargs)
    monkeypatch.setattr(fgraph_module, "toposort", counting_toposort)

    def counting(rule):
        def counted(*args):
            tally["rule calls"] += 1
            return rule(*args)
        return counted
    for rewrite in engine.REGISTRY:
        monkeypatch.setattr(rewrite, "rule", counting(rewrite.rule))
    return tally


def compile_chain(n, counts):
    x = T.dvector("x")
    cost = chain(x, n).sum()
    outputs = [cost, cytensor.grad(cost, x)]
    counts.update({"toposort": 0, "rule calls": 0})
    cytensor.function([x], outputs)
    return dict(counts)


def compile_mlp(depth, counts):
    x = T.dmatrix("x")
    rng = np.random.default_rng(0)
    params, h = [], x
    for _ in range(depth):
        W, b = cytensor.shared(rng.normal(size=(4, 4))), cytensor.shared(np.zeros(4))
        params += [W, b]
        h = T.tanh(T.dot(h, W) + b)
    cost = (h ** 2).mean()
    updates = [(p, p - 0.1 * g) for p, g in zip(params, cytensor.grad(cost, params))]
    counts.update({"toposort": 0, "rule calls": 0})
    cytensor.function([x], cost, updates=updates)
    return dict(counts)


def test_the_number_of_sorts_does_not_grow_with_the_chain(counts):
    small, large = compile_chain(60, counts), compile_chain(120, counts)
    assert small["toposort"] == large["toposort"] < 40


def test_the_number_of_sorts_does_not_grow_with_the_depth_of_an_mlp(counts):
    small, large = compile_mlp(4, counts), compile_mlp(8, counts)
    assert small["toposort"] == large["toposort"] < 40


def test_rule_calls_grow_linearly_with_the_chain(counts):
    small, large = compile_chain(60, counts), compile_chain(120, counts)
    assert large["rule calls"] <= 2 * small["rule calls"] + 20


def test_rule_calls_grow_linearly_with_the_depth_of_an_mlp(counts):
    small, large = compile_mlp(10, counts), compile_mlp(20, counts)
    assert large["rule calls"] <= 2 * small["rule calls"] + 20


def test_a_cascade_deeper_than_the_sweep_bound_completes():
    """The length of x after 120 tanh layers: each rewrite step moves the
    shape one layer down, so with one sweep per step (MAX_SWEEPS of them)
    some layers would still be computed just to read a length."""
    assert engine.MAX_SWEEPS < 120
    x = T.dvector("x")
    y = x
    for _ in range(120):
        y = T.tanh(y)
    f = cytensor.function([x], y.shape[0])
    assert [type(node.op).__name__ for node in f.maker.fgraph.toposort()] == ["Shape_i"]
    assert f(np.ones(5)) == 5


def test_rules_are_offered_only_the_nodes_they_track(counts):
    """double_negation tracks neg nodes: a graph with none never calls it."""
    x = T.dvector("x")
    calls = []
    rewrite = next(r for r in engine.REGISTRY if r.name == "double_negation")
    rule = rewrite.rule
    rewrite.rule = lambda fgraph, node: calls.append(node) or rule(fgraph, node)
    try:
        cytensor.function([x], T.exp(x) * 2)
        assert calls == []
        f = cytensor.function([x], -(-T.exp(x)))
        assert calls
        assert np.allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)))
    finally:
        rewrite.rule = rule


def test_a_5000_node_chain_with_its_gradient_compiles_and_is_right():
    """Every walk is iterative: no RecursionError at the default limit."""
    assert sys.getrecursionlimit() < 5000
    x = T.dvector("x")
    cost = chain(x, 5000).sum()
    f = cytensor.function([x], [cost, cytensor.grad(cost, x)])
    value = np.linspace(-1, 1, 7)
    got_cost, got_grad = f(value)
    assert np.allclose(got_cost, chain_reference(value, 5000).sum())
    step = 1e-6
    numeric = (chain_reference(value + step, 5000) - chain_reference(value - step, 5000)) \
        / (2 * step)
    assert np.allclose(got_grad, numeric, rtol=1e-5, atol=1e-8)
