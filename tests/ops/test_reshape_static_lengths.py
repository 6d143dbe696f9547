"""A reshape's constant lengths survive the rebuilding of its node.

``x.reshape((-1, 1))`` is a column, and Theano's broadcasting rules depend on
that: it must still be one after function() has cloned and rewritten the
graph, in every mode, or adding it to a row fails at run time.
"""
import numpy as np
import pytest

import cytensor
import cytensor.tensor as T


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
@pytest.mark.parametrize("n", [0, 1, 4])
def test_column_from_reshape_broadcasts_against_a_row(mode, n):
    x = T.vector("x")
    col = x.reshape((-1, 1))
    assert col.broadcastable == (False, True)
    f = cytensor.function([x], col + x.dimshuffle("x", 0), mode=mode)
    v = np.arange(n, dtype=x.dtype)
    np.testing.assert_array_equal(f(v), v[:, None] + v[None, :])


def test_rebuilt_reshape_node_keeps_its_static_lengths():
    x = T.matrix("x")
    node = x.reshape((2, -1, 1)).owner
    rebuilt = node.op.make_node(*node.inputs)
    assert rebuilt.outputs[0].type == node.outputs[0].type
    assert rebuilt.outputs[0].broadcastable == (False, False, True)
