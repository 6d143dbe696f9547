"""FunctionGraph: a private copy whose clients stay right as rewrites edit it."""
import pytest

import cytensor.tensor as T
from cytensor.graph import graph_inputs
from cytensor.rewriting import FunctionGraph


def test_the_user_graph_is_copied():
    x = T.dvector("x")
    y = T.exp(x) + 1
    fg = FunctionGraph([x], [y])
    assert fg.outputs[0] is not y
    assert y.owner not in fg.nodes


def test_clients_list_every_reader_and_the_outputs():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x) * x], clone=False)
    readers = fg.clients[x]
    assert len(readers) == 2
    assert fg.clients[fg.outputs[0]] == [("output", 0)]


def test_replace_redirects_readers_and_prunes_dead_nodes():
    x = T.dvector("x")
    e = T.exp(x)
    out = T.log(e)
    fg = FunctionGraph([x], [out], clone=False)
    fg.replace(out, T.sin(x), reason="test")
    assert fg.outputs[0].owner.op == T.sin(x).owner.op
    assert e.owner not in fg.nodes and out.owner not in fg.nodes
    assert graph_inputs(fg.outputs) == [x]


def test_replace_refuses_another_type():
    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x)], clone=False)
    with pytest.raises(TypeError, match="cannot replace"):
        fg.replace(fg.outputs[0], T.dmatrix("m"), reason="bad")


def test_replace_tells_the_trace_and_tags_the_new_node():
    x = T.dvector("x")
    seen = []
    fg = FunctionGraph([x], [T.exp(x)], clone=False, trace=lambda *a: seen.append(a))
    new = T.cos(x)
    fg.replace(fg.outputs[0], new, reason="why")
    assert seen and seen[0][0] == "why"
    assert new.owner.tag.rewrite == "why"


def test_str_is_a_debugprint():
    x = T.dvector("x")
    assert "Elemwise" in str(FunctionGraph([x], [T.exp(x)]))
