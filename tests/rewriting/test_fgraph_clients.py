"""``var.clients`` stays the graph's own list of readers through replacements
and pruning: the same as ``fgraph.clients[var]`` for a variable the graph
holds, empty for one it dropped."""
import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.rewriting import FunctionGraph


def every_variable(fg):
    found = set(fg.inputs) | set(fg.outputs)
    for node in fg.nodes:
        found |= set(node.inputs) | set(node.outputs)
    return found


def assert_clients_agree(fg, dropped=()):
    for var in every_variable(fg):
        assert var.clients is fg.clients[var] if var in fg.clients else \
            list(var.clients) == [], var
        assert list(var.clients) == list(fg.clients.get(var, [])), var
    for var in dropped:
        assert list(var.clients) == [] and var not in fg.clients, var


def test_pruned_variables_have_no_readers_left():
    x = T.dvector("x")
    e = T.exp(x)
    mid = e * 2
    out = T.log(mid) + e
    fg = FunctionGraph([x], [out], clone=False)
    assert set(e.clients) == {(mid.owner, 0), (out.owner, 1)}
    fg.replace(out, T.sin(x), reason="test")
    assert_clients_agree(fg, dropped=[e, mid, out])
    assert list(x.clients) == [(fg.outputs[0].owner, 0)]


def test_a_shared_reader_keeps_its_other_readers():
    x = T.dvector("x")
    e = T.exp(x)
    fg = FunctionGraph([x], [T.log(e), e + 1], clone=False)
    fg.replace(fg.outputs[0], T.cos(x), reason="test")
    assert_clients_agree(fg)
    assert [node for node, _ in e.clients] == [fg.outputs[1].owner]


def test_clients_agree_after_a_full_compile():
    x, t = T.dmatrix("x"), T.lvector("t")
    W = theano.shared(np.ones((3, 4)), "W")
    p = T.nnet.softmax(T.dot(x, W))
    cost = -T.log(p)[T.arange(x.shape[0]), t].mean() + T.log(1 + T.exp(x)).sum() * 1
    f = theano.function([x, t], cost, updates=[(W, W - 0.1 * theano.grad(cost, W))])
    assert_clients_agree(f.maker.fgraph)
