"""IncSubtensor in place (``inc_subtensor_inplace``): a part is added into
(or set in) the array given when no later node reads that array, never
into a function's input, an array a later node still reads, one the value
itself views, or an array the function returns."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.subtensor import IncSubtensor


def incs(fn):
    return [n.op for n in fn.maker.fgraph.toposort() if isinstance(n.op, IncSubtensor)]


def test_gate_gradient_chain_is_assembled_in_place_and_right_on_every_call():
    """zeros, then each gate's part: every increment but the returned one in
    place; the zeros array is made again each call, so a second call with
    other values is right too."""
    a, b, c = T.dmatrices("a", "b", "c")
    whole = T.zeros((a.shape[0], 6))
    whole = T.inc_subtensor(whole[:, :2], a)
    whole = T.inc_subtensor(whole[:, 2:4], b)
    whole = T.set_subtensor(whole[:, 4:], c)
    fn = theano.function([a, b, c], whole * 2)
    assert [op.inplace for op in incs(fn)] == [True, True, True]
    rng = np.random.default_rng(0)
    for _ in range(3):
        va, vb, vc = (rng.normal(size=(3, 2)) for _ in range(3))
        np.testing.assert_array_equal(fn(va, vb, vc), 2 * np.hstack([va, vb, vc]))


def test_a_returned_result_is_not_made_in_place():
    a = T.dmatrix("a")
    whole = T.inc_subtensor(T.zeros((a.shape[0], 4))[:, 1:3], a)
    fn = theano.function([a], whole)
    assert [op.inplace for op in incs(fn)] == [False]
    first = fn(np.ones((2, 2)))
    second = fn(np.full((2, 2), 5.0))
    np.testing.assert_array_equal(first, [[0, 1, 1, 0]] * 2)     # not overwritten
    np.testing.assert_array_equal(second, [[0, 5, 5, 0]] * 2)


def test_an_input_is_never_changed():
    x, y = T.dmatrix("x"), T.dvector("y")
    fn = theano.function([x, y], T.inc_subtensor(x[0], y) * 1.5)
    assert [op.inplace for op in incs(fn)] == [False]
    value = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(fn(value, np.ones(3)), 1.5 * np.array([[1, 2, 3], [3, 4, 5]]))
    np.testing.assert_array_equal(value, np.arange(6.0).reshape(2, 3))


def test_an_array_read_later_is_not_changed():
    x, y = T.dmatrix("x"), T.dvector("y")
    doubled = x * 2
    fn = theano.function([x, y], T.inc_subtensor(doubled[1], y) * 1.0 + doubled)
    assert [op.inplace for op in incs(fn)] == [False]
    value = np.arange(6.0).reshape(2, 3)
    expected = 2 * value * 2
    expected[1] += 1
    np.testing.assert_array_equal(fn(value, np.ones(3)), expected)


@pytest.mark.parametrize("make", ["inc", "set"])
def test_a_value_that_views_the_array_is_not_overwritten_first(make):
    """y = x[:, 1:3] read while x[:, :2] changes: that would be a copy-free
    overlap, so the op copies x first."""
    x = T.dmatrix("x")
    doubled = x * 2
    part = doubled[:, :2]
    op = T.inc_subtensor if make == "inc" else T.set_subtensor
    fn = theano.function([x], op(part, doubled[:, 1:3]) * 1.0)
    assert [o.inplace for o in incs(fn)] == [False]
    value = np.arange(8.0).reshape(2, 4) * 2
    expected = value.copy()
    if make == "inc":
        expected[:, :2] += value[:, 1:3]
    else:
        expected[:, :2] = value[:, 1:3]
    np.testing.assert_array_equal(fn(np.arange(8.0).reshape(2, 4)), expected)


def test_in_place_op_name_and_equality():
    template = IncSubtensor(((("slice", None, 2, None)),), False)
    in_place = IncSubtensor(template.template, False, inplace=True)
    assert in_place != template and in_place.destroy_map == {0: [0]}
    assert str(in_place).endswith("{inplace}") and not str(template).endswith("{inplace}")
