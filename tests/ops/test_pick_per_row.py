"""The rewrite of x[arange(x.shape[0]), y] into PickPerRow: graph, values, errors, gradient."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad
from cytensor.tensor.advanced import AdvancedSubtensor, PickPerRow

RNG = np.random.default_rng(1)
UNREWRITTEN = theano.Mode().excluding("pick_per_row")


def picked(x, y):
    return x[T.arange(x.shape[0]), y]


def ops_of(f):
    return [type(node.op) for node in f.maker.fgraph.toposort()]


def compiled(x, y, out=None):
    out = picked(x, y) if out is None else out
    return theano.function([x, y], out), theano.function([x, y], out, mode=UNREWRITTEN)


def test_one_node_replaces_shape_arange_and_index():
    f, g = compiled(T.dmatrix("m"), T.lvector("j"))
    assert ops_of(f) == [PickPerRow]
    assert AdvancedSubtensor in ops_of(g) and PickPerRow not in ops_of(g)


def test_row_count_of_a_product_is_recognised():
    a, w, j = T.dmatrix("a"), T.dmatrix("w"), T.lvector("j")
    z = T.dot(a, w)
    f = theano.function([a, w, j], z[T.arange(z.shape[0]), j])
    assert PickPerRow in ops_of(f) and AdvancedSubtensor not in ops_of(f)
    av, wv, jv = RNG.random((4, 3)), RNG.random((3, 5)), np.array([4, 0, -1, 2])
    np.testing.assert_allclose(f(av, wv, jv), (av @ wv)[np.arange(4), jv])


def test_arange_of_the_labels_length_is_left_alone():
    """arange(y.shape[0]) reads only the first len(y) rows: not the same op."""
    x, y = T.dmatrix("x"), T.lvector("y")
    f = theano.function([x, y], x[T.arange(y.shape[0]), y])
    assert PickPerRow not in ops_of(f)
    xv = RNG.random((5, 3))
    np.testing.assert_array_equal(f(xv, np.array([2, 1])), xv[[0, 1], [2, 1]])


@pytest.mark.parametrize("xdtype", ["float32", "float64", "int8", "int64", "uint8", "bool"])
@pytest.mark.parametrize("ydtype", ["int8", "int16", "int32", "int64", "uint8", "uint16",
                                    "uint32", "uint64"])
def test_values_match_numpy_and_the_unrewritten_graph(xdtype, ydtype):
    x, y = T.matrix("x", dtype=xdtype), T.vector("y", dtype=ydtype)
    f, g = compiled(x, y)
    xv = (RNG.random((6, 7)) * 10).astype(xdtype)
    signed = ydtype[0] == "i"
    yv = np.array([0, 6, 3, -1, -7, 2] if signed else [0, 6, 3, 1, 5, 2], dtype=ydtype)
    want = xv[np.arange(6), yv]
    for fn in (f, g):
        got = fn(xv, yv)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("layout", ["strided", "negative strides", "fortran", "column view"])
def test_layouts(layout):
    f, g = compiled(T.dmatrix("x"), T.lvector("y"))
    base = RNG.random((8, 10))
    xv = {"strided": base[::2, ::3], "negative strides": base[::-1, ::-2],
          "fortran": np.asfortranarray(base[:4]), "column view": base.T[:4]}[layout]
    yv = RNG.integers(-xv.shape[1], xv.shape[1], len(xv))
    want = xv[np.arange(len(xv)), yv]
    np.testing.assert_array_equal(f(xv, yv), want)
    np.testing.assert_array_equal(g(xv, yv), want)


def test_broadcast_label_empty_and_more_axes():
    f, g = compiled(T.dmatrix("x"), T.lvector("y"))
    xv = RNG.random((4, 3))
    for xs, ys in [(xv, np.array([2])), (np.zeros((0, 3)), np.array([], "int64")),
                   (np.zeros((0, 3)), np.array([1])), (np.zeros((3, 0)), np.array([], "int64"))]:
        if len(ys) == 0 and len(xs):
            continue
        want = xs[np.arange(len(xs)), ys]
        np.testing.assert_array_equal(f(xs, ys), want)
        np.testing.assert_array_equal(g(xs, ys), want)
    x3 = T.tensor3("x3")
    f3, g3 = compiled(x3, T.lvector("y"))
    assert ops_of(f3) == [PickPerRow]
    v3 = RNG.random((3, 4, 2))
    np.testing.assert_array_equal(f3(v3, np.array([3, 0, -2])), v3[np.arange(3), [3, 0, -2]])
    np.testing.assert_array_equal(g3(v3, np.array([3, 0, -2])), f3(v3, np.array([3, 0, -2])))


def test_row_numbers_follow_the_row_count_between_calls():
    f, _ = compiled(T.dmatrix("x"), T.lvector("y"))
    for rows in (2, 5, 5, 1, 3):
        xv, yv = RNG.random((rows, 4)), RNG.integers(0, 4, rows)
        np.testing.assert_array_equal(f(xv, yv), xv[np.arange(rows), yv])


@pytest.mark.parametrize("labels", [[0, 3], [0, -4], [1, 2, 0], [0, 1, 2, 0]])
def test_errors_are_the_unrewritten_graphs(labels):
    f, g = compiled(T.dmatrix("x"), T.lvector("y"))
    xv, yv = np.arange(6.0).reshape(2, 3), np.array(labels)
    messages = []
    for fn in (f, g):
        with pytest.raises(IndexError) as info:
            fn(xv, yv)
        messages.append(str(info.value).splitlines()[0])
    assert messages[0] == messages[1]
    with pytest.raises(IndexError):
        xv[np.arange(2), yv]


def test_needs_a_matrix_and_integer_columns():
    with pytest.raises(TypeError):
        PickPerRow()(T.dvector(), T.lvector())
    with pytest.raises(TypeError):
        PickPerRow()(T.dmatrix(), T.dvector())


def test_gradient():
    x, y = T.dmatrix("x"), T.lvector("y")
    xv, yv = RNG.random((4, 3)), np.array([0, 2, 2, -1])
    cost = (picked(x, y) ** 2).sum()
    gx = T.grad(cost, x)
    f, g = theano.function([x, y], gx), theano.function([x, y], gx, mode=UNREWRITTEN)
    want = np.zeros_like(xv)
    np.add.at(want, (np.arange(4), yv), 2 * xv[np.arange(4), yv])
    np.testing.assert_allclose(f(xv, yv), want)
    np.testing.assert_allclose(g(xv, yv), want)
    # the op's own gradient, on a graph that holds it before grad() runs
    direct = T.grad((PickPerRow()(x, y) ** 2).sum(), x)
    np.testing.assert_allclose(theano.function([x, y], direct)(xv, yv), want)
    verify_grad(lambda v: PickPerRow()(v, theano.shared(yv)), [xv], rng=np.random.default_rng(2))


@pytest.mark.parametrize("dtype", ["float16", "complex128", ">f8", "<i4", ">i2"])
def test_kernel_copies_elements_of_any_size_and_byte_order(dtype):
    from cytensor.kernels._pick import pick_per_row
    base = (RNG.random((6, 10)) * 100).astype(dtype)
    labels = RNG.integers(-5, 5, 12)
    for xv in (base, base[:, ::2], base[::-1, 1::2]):
        yv = labels[::2] if len(xv) == 6 else labels[:len(xv)]
        want = xv[np.arange(len(xv)), yv]
        got = pick_per_row(xv, yv)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_kernel_leaves_other_cases_to_numpy():
    from cytensor.kernels._pick import pick_per_row
    xv = RNG.random((3, 4))
    assert pick_per_row(xv, np.array([0, 4, 1])) is None          # out of range
    assert pick_per_row(xv, np.array([0, -5, 1])) is None
    assert pick_per_row(xv, np.array([0, 1])) is None             # NumPy broadcasts or raises
    assert pick_per_row(xv, np.array([0, 1, 2], "int32")) is None
    assert pick_per_row(RNG.random((3, 4, 2)), np.array([0, 1, 2])) is None
    assert pick_per_row(xv.astype(object), np.array([0, 1, 2])) is None
    np.testing.assert_array_equal(pick_per_row(xv, np.array([3, -4, 0])), xv[[0, 1, 2], [3, 0, 0]])
    empty = pick_per_row(np.zeros((0, 4)), np.array([], "int64"))
    assert empty.shape == (0,)


def test_strided_labels_through_the_function():
    f, g = compiled(T.dmatrix("x"), T.lvector("y"))
    xv, yv = RNG.random((4, 5)), RNG.integers(-5, 5, 8)[::2]
    np.testing.assert_array_equal(f(xv, yv), xv[np.arange(4), yv])
    np.testing.assert_array_equal(g(xv, yv), f(xv, yv))
