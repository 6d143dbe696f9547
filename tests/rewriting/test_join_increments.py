"""join_increments_tiling_zeros: increments of zeros by slices that tile one
axis become one Join; anything else is left to the increments.  Checked by
graph structure and against the graph compiled without the rewrite (and
NumPy), over dtypes, axes and widths, empty parts included."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.basic import Alloc, Join
from cytensor.tensor.subtensor import IncSubtensor

REWRITE = "join_increments_tiling_zeros"


def compiled(inputs, output):
    """The function with the rewrite, and without it."""
    with_join = theano.function(inputs, output)
    with theano.config.change_flags(optimizer_excluding=[REWRITE]):
        without = theano.function(inputs, output)
    return with_join, without


def kinds(fn):
    return [type(n.op) for n in fn.maker.fgraph.toposort()]


def chain(zeros, parts, axis):
    """zeros with each (start, stop, value) added at [start:stop] of ``axis``."""
    out = zeros
    for start, stop, value in parts:
        index = [slice(None)] * zeros.ndim
        index[axis] = slice(start, stop)
        out = T.inc_subtensor(out[tuple(index)], value)
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("axis", [0, 1])
def test_tiling_increments_become_one_join(dtype, axis):
    a, b, c = (T.matrix(name, dtype=dtype) for name in "abc")
    like = T.matrix("like", dtype=dtype)
    # out of order, as the gradient of gates may come: the join sorts them
    out = chain(T.zeros_like(like), [(2, 5, b), (5, None, c), (None, 2, a)], axis)
    with_join, without = compiled([like, a, b, c], out)
    assert Join in kinds(with_join) and IncSubtensor not in kinds(with_join) \
        and Alloc not in kinds(with_join)
    assert IncSubtensor in kinds(without)
    rng = np.random.default_rng(0)
    widths = {"a": 2, "b": 3, "c": 4}
    values = []
    for name in "abc":
        shape = (widths[name], 3) if axis == 0 else (3, widths[name])
        values.append((rng.normal(size=shape) * 10).astype(dtype))
    like_value = np.ones((9, 3) if axis == 0 else (3, 9), dtype)
    expected = np.concatenate(values, axis=axis)
    np.testing.assert_array_equal(with_join(like_value, *values), expected)
    np.testing.assert_array_equal(without(like_value, *values), expected)


def test_empty_parts_and_nan_inf_3d():
    x = T.tensor3("x")
    a, b, c = T.tensor3("a"), T.tensor3("b"), T.tensor3("c")
    out = chain(T.zeros_like(x), [(0, 0, a), (0, 3, b), (3, None, c)], 2)
    with_join, without = compiled([x, a, b, c], out)
    assert Join in kinds(with_join)
    values = [np.empty((2, 1, 0)), np.array([np.nan, np.inf, -np.inf] * 2).reshape(2, 1, 3),
              np.full((2, 1, 2), -0.0)]
    got = with_join(np.zeros((2, 1, 5)), *values)
    np.testing.assert_array_equal(got, without(np.zeros((2, 1, 5)), *values))
    np.testing.assert_array_equal(got, np.concatenate(values, axis=2))


@pytest.mark.parametrize("parts", [
    [(0, 2, "a"), (3, None, "b")],          # a gap: row 2 stays zero
    [(0, 2, "a"), (2, 4, "b")],             # not to the end
    [(1, 3, "a"), (3, None, "b")],          # not from 0
    [(0, 3, "a"), (2, None, "b")],          # overlapping
    [(0, 2, "r"), (2, None, "b")],          # a part broadcast over its rows
])
def test_other_increments_are_left_alone(parts):
    a, b, like = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("like")
    r = T.row("r", dtype="float64")
    symbols = {"a": a, "b": b, "r": r}
    out = chain(T.zeros_like(like), [(s, e, symbols[n]) for s, e, n in parts], 0)
    inputs = [like] + [symbols[n] for _, _, n in parts]
    with_join, without = compiled(inputs, out)
    assert Join not in kinds(with_join)
    rng = np.random.default_rng(1)
    values, expected = [], np.zeros((5, 3))
    for start, stop, name in parts:
        rows = len(range(5)[start:stop])
        value = rng.normal(size=(1 if name == "r" else rows, 3))
        values.append(value)
        expected[start:stop] += value
    got = with_join(np.ones((5, 3)), *values)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, without(np.ones((5, 3)), *values))


def test_a_set_is_not_an_increment():
    a, b, like = T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("like")
    out = T.set_subtensor(T.inc_subtensor(T.zeros_like(like)[:2], a)[2:], b)
    with_join, _ = compiled([like, a, b], out)
    assert Join not in kinds(with_join)
    got = with_join(np.ones((4, 2)), np.ones((2, 2)), np.full((2, 2), 3.0))
    np.testing.assert_array_equal(got, [[1, 1], [1, 1], [3, 3], [3, 3]])
