"""Theano's tensor/basic.py names added in array_ops, special and xlogx:
join, stacklists, stack(x, y, z), eye/tri/tril/triu, mgrid/ogrid, tile, roll,
largest/smallest, second, patternbroadcast, nonzero, choose, diag, trace,
batched_dot, gammaln, xlogx, the plural constructors, theano.dot/clone/pprint."""
import numpy as np
import pytest
import scipy.special

import cytensor as theano
import cytensor.tensor as T
from cytensor.gradient import verify_grad
from cytensor.tensor.special import SpecialFunction

RNG = np.random.default_rng(7)


def layouts(a):
    """The values of ``a`` as C, Fortran, strided and negative-stride arrays."""
    a = np.asarray(a)
    yield a.copy(order="C")
    yield a.copy(order="F")
    if a.ndim:
        doubled = np.repeat(a, 2, axis=-1)[..., ::2]
        yield doubled
        flipped = np.flip(a, -1).copy()
        yield np.flip(flipped, -1)


def symbolic_like(a, name="x"):
    return T.tensor(a.dtype.name, (None,) * a.ndim, name=name)


def check_shape_inferred(out, inputs, values, op_type):
    """out.shape is computed from the inputs' shapes, without running op_type."""
    f = theano.function(inputs, out.shape)
    assert tuple(f(*values)) == theano.function(inputs, out)(*values).shape
    assert not any(isinstance(n.op, op_type) for n in f.maker.fgraph.toposort())


# --- join, stack, stacklists ---------------------------------------------------

def test_join_takes_axis_first_and_matches_concatenate():
    x, y = T.matrices("x", "y")
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 3))
    np.testing.assert_array_equal(theano.function([x, y], T.join(0, x, y))(a, b),
                                  np.concatenate([a, b]))
    np.testing.assert_array_equal(theano.function([x, y], T.join(1, x.T, y.T))(a, b),
                                  np.concatenate([a.T, b.T], 1))
    with pytest.raises(TypeError, match="constant integer"):
        T.join(T.iscalar("axis"), x, y)


def test_stack_varargs_and_list_forms_agree():
    x, y, z = T.vectors("xyz")
    vals = [RNG.normal(size=3) for _ in range(3)]
    f = theano.function([x, y, z], [T.stack(x, y, z), T.stack([x, y, z], 1),
                                     T.stack([x, y], axis=-1)])
    old, new, last = f(*vals)
    np.testing.assert_array_equal(old, np.stack(vals))
    np.testing.assert_array_equal(new, np.stack(vals, 1))
    np.testing.assert_array_equal(last, np.stack(vals[:2], -1))
    s = T.scalars("abc")
    assert theano.function(s, T.stack(*s))(1, 2, 3).tolist() == [1, 2, 3]


def test_stacklists_builds_nested_tensors():
    a, b, c, d = T.scalars("abcd")
    f = theano.function([a, b, c, d], T.stacklists([[a, b], [c, d]]))
    np.testing.assert_array_equal(f(1, 2, 3, 4), [[1, 2], [3, 4]])
    x, y = T.matrices("xy")
    m = theano.function([x, y], T.stacklists([[x, y], [y, x]]))(np.ones((2, 2)),
                                                                np.zeros((2, 2)))
    assert m.shape == (2, 2, 2, 2) and m[0, 1].sum() == 0


# --- eye, tri, tril, triu, identity_like ---------------------------------------

@pytest.mark.parametrize("n, m, k", [(3, None, 0), (3, 5, 1), (4, 2, -1), (0, 3, 0),
                                     (3, 3, 7), (2, 3, -5)])
def test_eye_and_tri_match_numpy(n, m, k):
    f = theano.function([], [T.eye(n, m, k), T.eye(n, m, k, dtype="int8"), T.tri(n, m, k)])
    eye, eye_int, tri = f()
    np.testing.assert_array_equal(eye, np.eye(n, m, k))
    assert eye.dtype == theano.config.floatX and eye_int.dtype == np.int8
    np.testing.assert_array_equal(tri, np.tri(n, m, k))


def test_eye_with_symbolic_size():
    n = T.iscalar("n")
    np.testing.assert_array_equal(theano.function([n], T.eye(n))(4), np.eye(4))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
@pytest.mark.parametrize("k", [0, 1, -2])
def test_tril_triu_match_numpy_over_layouts(dtype, k):
    base = (RNG.normal(size=(4, 5)) * 3).astype(dtype)
    x = symbolic_like(base)
    f = theano.function([x], [T.tril(x, k), T.triu(x, k)])
    for a in layouts(base):
        low, up = f(a)
        np.testing.assert_array_equal(low, np.tril(a, k))
        np.testing.assert_array_equal(up, np.triu(a, k))
        assert low.dtype == a.dtype and up.dtype == a.dtype


def test_tril_applies_to_the_last_two_axes_and_keeps_nan():
    a = RNG.normal(size=(2, 3, 3))
    a[0, 1, 0] = np.nan
    a[0, 0, 2] = np.inf
    x = T.tensor3("x")
    np.testing.assert_array_equal(theano.function([x], T.tril(x))(a), np.tril(a))
    np.testing.assert_array_equal(theano.function([x], T.triu(x))(a), np.triu(a))
    with pytest.raises(ValueError, match="matrix"):
        T.tril(T.vector())


def test_tril_gradient():
    verify_grad(lambda m: T.tril(m, -1) * 3 + T.triu(m, 1), [RNG.normal(size=(3, 4))])


def test_identity_like():
    x = T.imatrix("x")
    out = theano.function([x], T.identity_like(x))(np.zeros((2, 3), "int32"))
    np.testing.assert_array_equal(out, np.eye(2, 3))
    assert out.dtype == np.int32


# --- mgrid / ogrid --------------------------------------------------------------

def test_mgrid_and_ogrid_match_numpy():
    n = T.iscalar("n")
    f = theano.function([n], T.mgrid[0:n, 1:6:2] + T.ogrid[0:n, 1:6:2])
    dense0, dense1, open0, open1 = f(3)
    ref_dense, ref_open = np.mgrid[0:3, 1:6:2], np.ogrid[0:3, 1:6:2]
    np.testing.assert_array_equal(dense0, ref_dense[0])
    np.testing.assert_array_equal(dense1, ref_dense[1])
    assert open0.shape == ref_open[0].shape and open1.shape == ref_open[1].shape
    np.testing.assert_array_equal(open1, ref_open[1])
    assert theano.function([], T.mgrid[0.0:1.0:0.25])()[0].tolist() == [0, 0.25, 0.5, 0.75]
    with pytest.raises(TypeError, match="slices"):
        T.mgrid[3]


# --- tile ------------------------------------------------------------------------

@pytest.mark.parametrize("shape, reps", [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), (3,)),
                                         ((2,), (2, 3)), ((), (4,)), ((0, 2), (2, 2)),
                                         ((2, 1, 3), (1, 2, 0))])
def test_tile_matches_numpy(shape, reps):
    base = RNG.normal(size=shape)
    x = symbolic_like(base)
    f = theano.function([x], T.tile(x, reps))
    for a in layouts(base):
        np.testing.assert_array_equal(f(a), np.tile(a, reps))


def test_tile_with_symbolic_reps_ndim_and_gradient():
    x, r = T.matrix("x"), T.iscalar("r")
    a = RNG.normal(size=(2, 3))
    np.testing.assert_array_equal(theano.function([x, r], T.tile(x, (r, 2)))(a, 3),
                                  np.tile(a, (3, 2)))
    assert theano.function([x], T.tile(x, (2, 2), ndim=3))(a).shape == (1, 4, 6)
    verify_grad(lambda m: T.tile(m, (2, 3)), [a])


# --- roll ------------------------------------------------------------------------

@pytest.mark.parametrize("shift, axis", [(1, None), (-2, None), (7, 0), (1, 1), (-1, -1),
                                         (0, 1), ((1, 2), (0, 1))])
def test_roll_matches_numpy(shift, axis):
    base = np.arange(12.0).reshape(3, 4)
    x = T.matrix("x")
    f = theano.function([x], T.roll(x, shift, axis))
    for a in layouts(base):
        np.testing.assert_array_equal(f(a), np.roll(a, shift, axis))


def test_roll_symbolic_shift_empty_axis_and_gradient():
    x, s = T.vector("x"), T.iscalar("s")
    f = theano.function([x, s], T.roll(x, s))
    for shift in (-5, 0, 3, 11):
        np.testing.assert_array_equal(f(np.arange(4.0), shift), np.roll(np.arange(4.0), shift))
    assert f(np.zeros(0), 2).shape == (0,)
    verify_grad(lambda v: T.roll(v, 2) * T.arange(5), [RNG.normal(size=5)])


# --- largest, smallest, second ----------------------------------------------------

def test_largest_smallest_second():
    x, y, z = T.vectors("xyz")
    vals = [np.array([1.0, np.nan, 3.0]), np.array([2.0, 0.0, -1.0]), np.array([0, 5, 2.0])]
    f = theano.function([x, y, z], [T.largest(x, y), T.largest(x, y, z),
                                    T.smallest(x, y, z), T.second(x, y[0])])
    big2, big3, small3, filled = f(*vals)
    np.testing.assert_array_equal(big2, np.maximum(vals[0], vals[1]))
    np.testing.assert_array_equal(big3, np.max(vals, axis=0))
    np.testing.assert_array_equal(small3, np.min(vals, axis=0))
    np.testing.assert_array_equal(filled, [2.0, 2.0, 2.0])


# --- patternbroadcast / unbroadcast -------------------------------------------------

def test_patternbroadcast_and_unbroadcast_change_the_type_and_check_at_run_time():
    x = T.matrix("x")
    row = T.patternbroadcast(x, (True, False))
    assert row.broadcastable == (True, False)
    f = theano.function([x], row + T.ones((3, 2)))
    np.testing.assert_array_equal(f(np.ones((1, 2))), 2 * np.ones((3, 2)))
    with pytest.raises(ValueError, match="broadcastable on axis 0"):
        f(np.ones((2, 2)))
    back = T.unbroadcast(row, 0)
    assert back.broadcastable == (False, False)
    assert T.patternbroadcast(x, (False, False)) is x
    with pytest.raises(ValueError, match="pattern"):
        T.patternbroadcast(x, (True,))
    verify_grad(lambda m: T.unbroadcast(T.patternbroadcast(m, (True, False)), 0) * 2,
                [RNG.normal(size=(1, 3))])


# --- nonzero ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_nonzero_flatnonzero_nonzero_values(dtype):
    base = np.array([[0, 1.5, 0], [np.nan, 0, -2]]).astype(dtype) if dtype == "float64" \
        else np.array([[0, 1, 0], [3, 0, 1]]).astype(dtype)
    x = symbolic_like(base)
    f = theano.function([x], list(T.nonzero(x)) + [T.nonzero(x, return_matrix=True),
                                                   T.flatnonzero(x), T.nonzero_values(x),
                                                   x.nonzero_values()])
    for a in layouts(base):
        rows, cols, matrix, flat, values, method = f(a)
        np.testing.assert_array_equal(rows, np.nonzero(a)[0])
        np.testing.assert_array_equal(cols, np.nonzero(a)[1])
        np.testing.assert_array_equal(matrix, np.array(np.nonzero(a)))
        np.testing.assert_array_equal(flat, np.flatnonzero(a))
        np.testing.assert_array_equal(values, a.ravel()[np.flatnonzero(a)])
        np.testing.assert_array_equal(method, values)
        assert rows.dtype == np.int64
    empty = theano.function([x], T.flatnonzero(x))(np.zeros((0, 3), dtype))
    assert empty.shape == (0,)
    with pytest.raises(ValueError, match="at least one dimension"):
        T.nonzero(T.scalar())


def test_nonzero_values_gradient_flows_to_the_selected_entries():
    # (Finite differences would move entries in and out of the selection.)
    m = T.matrix("m")
    a = np.array([[0.0, 1.5], [2.0, 0.0]])
    g = theano.function([m], T.grad((T.nonzero_values(m) ** 2).sum(), m))(a)
    np.testing.assert_array_equal(g, 2 * a)


# --- choose -------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose_matches_numpy(mode):
    index = np.array([[0, 2, 1], [3, -1, 1]]) if mode != "raise" else np.array([[0, 2, 1],
                                                                                [1, 0, 2]])
    choices = RNG.normal(size=(3, 2, 3))
    a, c = T.lmatrix("a"), T.tensor3("c")
    f = theano.function([a, c], T.choose(a, c, mode=mode))
    np.testing.assert_array_equal(f(index, choices), np.choose(index, choices, mode=mode))
    g = theano.function([a, c], a.choose(c, mode=mode))
    np.testing.assert_array_equal(g(index, choices), np.choose(index, choices, mode=mode))


def test_choose_list_broadcasting_errors_and_gradient():
    a = T.lvector("a")
    x, y = T.vectors("xy")
    f = theano.function([a, x, y], T.choose(a, [x, y]))
    np.testing.assert_array_equal(f([1, 0, 1], [1, 2, 3.0], [4, 5, 6.0]), [4, 2, 6])
    with pytest.raises(ValueError):
        f([2, 0, 1], [1, 2, 3.0], [4, 5, 6.0])
    with pytest.raises(TypeError, match="integer"):
        T.choose(x, [x, y])
    index = np.array([1, 0, 2, 2])
    verify_grad(lambda c: T.choose(T.constant(index), c), [RNG.normal(size=(3, 4))])
    verify_grad(lambda c: T.choose(T.constant(index + 3), c, mode="wrap"),
                [RNG.normal(size=(3, 4))])


# --- diag, diagonal, trace -------------------------------------------------------------

@pytest.mark.parametrize("k", [0, 1, -1, 4])
def test_diag_of_vector_and_matrix_match_numpy(k):
    v, m = T.vector("v"), T.matrix("m")
    base_v, base_m = RNG.normal(size=3), RNG.normal(size=(3, 4))
    fv = theano.function([v], T.diag(v, k))
    fm = theano.function([m], [T.diag(m, k), m.diagonal(k), T.trace(m, k), m.trace(k)])
    for a in layouts(base_v):
        np.testing.assert_array_equal(fv(a), np.diag(a, k))
    for a in layouts(base_m):
        d, d2, t, t2 = fm(a)
        np.testing.assert_array_equal(d, np.diag(a, k))
        np.testing.assert_array_equal(d2, np.diagonal(a, k))
        np.testing.assert_allclose([t, t2], [np.trace(a, k)] * 2)
    with pytest.raises(ValueError, match="vector or a matrix"):
        T.diag(T.scalar())


def test_diagonal_of_higher_rank_axes_shapes_and_gradients():
    base = RNG.normal(size=(2, 3, 4))
    x = T.tensor3("x")
    out = T.diagonal(x, 1, 2, 0)
    np.testing.assert_array_equal(theano.function([x], out)(base),
                                  np.diagonal(base, 1, 2, 0))
    check_shape_inferred(out, [x], [base], T.ExtractDiag)
    verify_grad(lambda t: T.diagonal(t, 1, 2, 0), [base])
    verify_grad(lambda m: T.diag(m, -1), [RNG.normal(size=(3, 3))])
    verify_grad(lambda v: T.diag(v, 2), [RNG.normal(size=3)])
    result = theano.function([x], T.diagonal(x, 0, 0, 1))(base)
    result[0, 0] = 99.0                  # a fresh array, not a view of the input
    assert base[0, 0, 0] != 99.0


# --- batched_dot ------------------------------------------------------------------------

@pytest.mark.parametrize("sa, sb", [((4, 2, 3), (4, 3, 5)), ((4, 3), (4, 3)),
                                    ((4, 2, 3), (4, 3)), ((4, 3), (4, 3, 2)),
                                    ((4,), (4, 3)), ((3, 2, 3, 4), (3, 4, 5)),
                                    ((0, 2, 3), (0, 3, 1))])
def test_batched_dot_matches_a_loop_of_dots(sa, sb):
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    x, y = symbolic_like(a, "a"), symbolic_like(b, "b")
    out = theano.function([x, y], T.batched_dot(x, y))(a, b)
    expected = np.array([np.dot(a[i], b[i]) for i in range(sa[0])]).reshape(out.shape)
    if sa[0]:
        assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_batched_dot_gradient_and_errors():
    verify_grad(T.batched_dot, [RNG.normal(size=(3, 2, 4)), RNG.normal(size=(3, 4, 2))])
    verify_grad(T.batched_dot, [RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))])
    with pytest.raises(TypeError, match="batch axis"):
        T.batched_dot(T.scalar(), T.vector())


# --- gammaln and family ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_gammaln_psi_gamma_match_scipy(dtype):
    values = np.array([0.5, 1.0, 2.5, 10.0, -1.5, 0.0, np.inf, np.nan]) if dtype != "int32" \
        else np.array([1, 2, 7, 0, -3])
    base = values.astype(dtype)
    x = symbolic_like(base)
    f = theano.function([x], [T.gammaln(x), T.psi(x), T.gamma(x)])
    out_dtype = "float64" if dtype == "int32" else dtype
    for got, fn in zip(f(base), (scipy.special.gammaln, scipy.special.psi,
                                 scipy.special.gamma)):
        assert got.dtype == out_dtype
        np.testing.assert_allclose(got, fn(base.astype(out_dtype)),
                                   rtol=1e-6 if dtype == "float32" else 1e-12)


def test_gammaln_and_psi_gradients():
    point = [np.array([0.7, 1.5, 3.2])]
    verify_grad(T.gammaln, point)
    verify_grad(T.psi, point)
    verify_grad(T.gamma, point)
    m = T.matrix("m")
    check_shape_inferred(T.gammaln(m), [m], [np.ones((2, 3))], SpecialFunction)
    x = T.scalar("x")
    assert theano.function([x], T.grad(T.gammaln(x), x))(3.0) == pytest.approx(
        scipy.special.psi(3.0))


# --- xlogx -------------------------------------------------------------------------------

def test_xlogx_and_xlogy0():
    x, y = T.vectors("xy")
    a = np.array([0.0, 0.5, 1.0, 2.0, np.inf])
    b = np.array([0.0, 2.0, 0.5, 1.0, 3.0])
    f = theano.function([x, y], [T.xlogx.xlogx(x), T.xlogx.xlogy0(x, y)])
    xl, xly = f(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(xl, np.where(a == 0, 0, a * np.log(a)))
        np.testing.assert_array_equal(xly, np.where(a == 0, 0, a * np.log(b)))
    grads = theano.function([x], T.grad(T.xlogx.xlogx(x).sum(), x))(a[:4])
    assert np.all(np.isfinite(grads))
    np.testing.assert_allclose(grads[1:], np.log(a[1:4]) + 1)
    verify_grad(T.xlogx.xlogx, [np.array([0.3, 1.0, 2.5])])
    verify_grad(T.xlogx.xlogy0, [np.array([0.3, 1.0, 2.5]), np.array([1.5, 0.2, 2.0])])


# --- plural constructors, theano.dot/clone/pprint -----------------------------------------

def test_plural_constructors_give_one_variable_per_letter():
    x, y, s = T.scalars("xys")
    assert (x.name, y.name, s.name) == ("x", "y", "s")
    assert T.dscalars("x").name == "x"           # one letter: the variable itself
    a, b = T.imatrices("a", "b")
    assert a.dtype == "int32" and a.ndim == 2 and b.name == "b"
    assert [v.name for v in T.fvectors("p, q2")] == ["p", "q2"]
    assert len(T.ltensor3s(3)) == 3 and T.ltensor3s(3)[0].dtype == "int64"
    assert [v.type.shape for v in T.drows("ab")] == [(1, None)] * 2
    assert T.cols("ab")[0].dtype == theano.config.floatX


def test_top_level_dot_clone_and_pprint():
    x, y = T.dvectors("xy")
    assert theano.function([x, y], theano.dot(x, y))([1, 2.0], [3, 4.0]) == 11
    z = x * 2 + y
    swapped = theano.clone(z, replace={x: y})
    np.testing.assert_array_equal(theano.function([y], swapped)([1.0, 2.0]), [3.0, 6.0])
    copy = theano.clone([z], share_inputs=False)[0]
    assert x not in theano.graph.graph_inputs([copy])
    with pytest.raises(TypeError, match="another type"):
        theano.clone(z, replace={x: T.dmatrix()})
    assert theano.clone(z, replace=[(x, T.dmatrix("m"))], strict=False).ndim == 2
    assert "x" in theano.pprint(z)


# --- split, swapaxes, stacking by axis, inverse_permutation, ptp, isclose -------------------

def test_split_matches_numpy_and_checks_the_lengths():
    x, lengths = T.matrix("x"), T.lvector("lengths")
    base = RNG.normal(size=(6, 4))
    f = theano.function([x, lengths], T.split(x, lengths, 3, axis=0))
    for a in layouts(base):
        pieces = f(a, [3, 0, 3])
        for got, want in zip(pieces, np.split(a, [3, 3])):
            np.testing.assert_array_equal(got, want)
    g = theano.function([x, lengths], T.split(x, lengths, 2, axis=-1))
    np.testing.assert_array_equal(g(base, [1, 3])[1], base[:, 1:])
    with pytest.raises(ValueError, match="add up to 6"):
        f(base, [3, 2, 2])
    with pytest.raises(ValueError, match="2 lengths given for 3"):
        f(base, [3, 3])
    sizes = T.constant(np.array([1, 2]))
    verify_grad(lambda m: T.split(m, sizes, 2, 1)[1] * 2, [RNG.normal(size=(2, 3))])
    shapes = theano.function([x, lengths], [p.shape for p in T.split(x, lengths, 3)])
    assert [tuple(s) for s in shapes(base, [1, 2, 3])] == [(1, 4), (2, 4), (3, 4)]
    assert not any(isinstance(n.op, T.Split) for n in shapes.maker.fgraph.toposort())


def test_swapaxes_stacks_inverse_permutation_ptp():
    t = T.tensor3("t")
    base = RNG.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(theano.function([t], T.swapaxes(t, 0, -1))(base),
                                  np.swapaxes(base, 0, -1))
    np.testing.assert_array_equal(theano.function([t], t.swapaxes(1, 2))(base),
                                  np.swapaxes(base, 1, 2))
    x, y = T.matrices("xy")
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    h, v = theano.function([x, y], [T.horizontal_stack(x, y), T.vertical_stack(x, y)])(a, b)
    np.testing.assert_array_equal(h, np.hstack([a, b]))
    np.testing.assert_array_equal(v, np.vstack([a, b]))
    with pytest.raises(TypeError, match="matrices"):
        T.horizontal_stack(T.vector(), T.vector())
    p = T.ivector("p")
    perm = np.array([2, 0, 3, 1], "int32")
    inverse = theano.function([p], T.inverse_permutation(p))(perm)
    np.testing.assert_array_equal(perm[inverse], np.arange(4))
    assert inverse.dtype == np.int32
    np.testing.assert_array_equal(theano.function([x], [x.ptp(), T.ptp(x, 0)])(a)[1],
                                  np.ptp(a, 0))


@pytest.mark.parametrize("equal_nan", [False, True])
def test_isclose_and_allclose_match_numpy(equal_nan):
    a = np.array([1.0, 1e10, 1e-8, np.nan, np.inf, np.inf, 1.0, 0.0])
    b = np.array([1.0 + 1e-9, 1.00001e10, 1e-9, np.nan, np.inf, -np.inf, np.inf, 1e-9])
    x, y = T.vectors("xy")
    close, every = theano.function([x, y], [T.isclose(x, y, equal_nan=equal_nan),
                                            T.allclose(x, y, equal_nan=equal_nan)])(a, b)
    np.testing.assert_array_equal(close, np.isclose(a, b, equal_nan=equal_nan))
    assert bool(every) == np.allclose(a, b, equal_nan=equal_nan)
    assert theano.function([x], T.allclose(x, x))(a[:3])


def test_erfinv_erfcinv_and_aliases():
    x = T.vector("x")
    values = np.array([-0.9, 0.0, 0.5, 1.0, 1.5])
    got_inv, got_cinv = theano.function([x], [T.erfinv(x), T.erfcinv(x)])(values)
    np.testing.assert_allclose(got_inv, scipy.special.erfinv(values))
    np.testing.assert_allclose(got_cinv, scipy.special.erfcinv(values))
    verify_grad(T.erfinv, [np.array([-0.5, 0.1, 0.7])])
    verify_grad(T.erfcinv, [np.array([0.3, 1.0, 1.6])])
    assert T.power is T.pow and T.square is T.sqr and T.bitwise_not is T.invert
    assert T.as_tensor(2.0).ndim == 0
