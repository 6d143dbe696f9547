"""The linker: a flat schedule of thunks over storage cells."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.compile.linker import Schedule, describe_value, lazy_branches
from cytensor.ifelse import ifelse
from cytensor.rewriting import FunctionGraph


def _schedule(inputs, outputs, linker="cy"):
    return Schedule(FunctionGraph(inputs, outputs), linker)


@pytest.mark.parametrize("linker", ["cy", "py"])
def test_schedule_runs_nodes_in_order_over_cells(linker):
    x = T.dvector("x")
    s = _schedule([x], [T.exp(x) * 2], linker)
    s.cells[s.fgraph.inputs[0]][0] = np.array([0.0, 1.0])
    s.run()
    out = s.cells[s.fgraph.outputs[0]][0]
    assert np.allclose(out, 2 * np.exp([0.0, 1.0]))
    assert len(s.thunks) == len(s.nodes)


def test_constants_and_shared_values_live_in_leaf_cells():
    x = T.dvector("x")
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    s = _schedule([x], [x + w + 1])
    assert any(cell is w.container for cell in s.cells.values())
    assert len(s.leaf_cells) == 2            # x and w; the constant is fixed


def test_ifelse_branches_are_lazy():
    c, x = T.bscalar("c"), T.dvector("x")
    s = _schedule([c, x], [ifelse(c, T.exp(x), T.log(x))])
    lazy = lazy_branches(s.fgraph, s.nodes)
    assert len(lazy) == 1
    assert s.branch_nodes and all(n not in [t.node for t in s.thunks] for n in s.branch_nodes)


def test_a_failing_node_names_itself():
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    f = theano.function([x, y], x + y)
    with pytest.raises(ValueError) as info:
        f(np.zeros((2, 2)), np.zeros((3, 3)))
    assert "Elemwise" in str(info.value) or "add" in str(info.value)


def test_describe_value_is_short():
    text = describe_value(np.zeros((3, 4), dtype="float32"))
    assert "float32" in text and "(3, 4)" in text


def test_clear_intermediates_drops_computed_arrays():
    x = T.dvector("x")
    s = _schedule([x], [T.exp(T.exp(x))])
    s.cells[s.fgraph.inputs[0]][0] = np.zeros(2)
    s.run()
    inner = s.nodes[0].outputs[0]
    assert s.cells[inner][0] is not None
    s.clear_intermediates()
    assert s.cells[inner][0] is None
