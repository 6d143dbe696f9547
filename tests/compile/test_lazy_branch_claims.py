"""Which nodes each IfElse runs lazily (lazy_branches): exactly the nodes
that feed one side alone, whatever the number of IfElses in the graph."""
import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.compile.linker import lazy_branches
from cytensor.ifelse import ifelse
from cytensor.rewriting import FunctionGraph


def _claims(inputs, outputs):
    fgraph = FunctionGraph(inputs, outputs)
    return fgraph, lazy_branches(fgraph, fgraph.toposort())


def _names(nodes):
    """Each node's elementwise row name, or its op's class name."""
    return [node.op.scalar_op.name if hasattr(node.op, "scalar_op")
            else type(node.op).__name__ for node in nodes]


def test_a_chain_of_ifelses_each_claims_its_own_two_nodes():
    c, x = T.iscalar("c"), T.dvector("x")
    y = x
    for k in range(300):
        y = ifelse(T.gt(c, k), y * 2.0, y + 1.0)
    fgraph, lazy = _claims([c, x], [y])
    assert len(lazy) == 300
    for node, (then, other) in lazy.items():
        # the constant's broadcast (DimShuffle) is read by that side alone too
        assert _names(then) == ["DimShuffle", "mul"] and _names(other) == ["DimShuffle", "add"]
        assert then[-1].outputs[0] is node.inputs[1] and other[-1].outputs[0] is node.inputs[2]
    f = theano.function([c, x], y)
    np.testing.assert_allclose(f(150, np.zeros(2)), np.full(2, 150.0))


def test_a_node_read_outside_the_branch_stays_in_the_schedule():
    c, x = T.iscalar("c"), T.dvector("x")
    shared_term = T.exp(x)                 # read by the branch and by the other output
    _, lazy = _claims([c, x], [ifelse(c, T.log(shared_term) * 3, x), shared_term + 1])
    (then, other), = lazy.values()
    assert _names(then) == ["log", "DimShuffle", "mul"] and other == []


def test_an_inner_ifelse_and_its_branches_run_inside_the_outer_one():
    c, d, x = T.iscalar("c"), T.iscalar("d"), T.dvector("x")
    inner = ifelse(d, T.exp(x) * 2, T.log(x))
    out = ifelse(c, T.tanh(inner), x)
    fgraph, lazy = _claims([c, d, x], [out])
    outer_node = fgraph.outputs[0].owner
    inner_node = next(n for n in lazy if n is not outer_node)
    outer_then, outer_else = lazy[outer_node]
    # the outer side runs the inner IfElse, which runs its own sides' nodes
    assert outer_then == [inner_node, outer_then[-1]] and outer_else == []
    assert _names(lazy[inner_node][0]) == ["exp", "DimShuffle", "mul"]
    assert _names(lazy[inner_node][1]) == ["log"]
    assert _names(outer_then[-1:]) == ["tanh"]
    f = theano.function([c, d, x], out)
    v = np.array([0.5, 2.0])
    np.testing.assert_allclose(f(1, 1, v), np.tanh(np.exp(v) * 2))
    np.testing.assert_allclose(f(1, 0, v), np.tanh(np.log(v)))
    np.testing.assert_allclose(f(0, 1, v), v)
