"""Gradients: every differentiable table row, reductions, products, shape ops and
indexing checked against finite differences (verify_grad), and grad()'s options."""
import zlib

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.debug.gradcheck import verify_grad
from cytensor.gradient import DisconnectedInputError, GradientError, grad, hessian, jacobian
from cytensor.tensor.elemwise_table import ELEMWISE, ROWS
from cytensor.tensor.math import elemwise_op

DIFFERENTIABLE = [r.name for r in ROWS if r.grad is not None]
NOT_DIFFERENTIABLE = [r.name for r in ROWS if r.grad is None]


def rng_for(*key):
    """A generator seeded by the test's parameters, the same in every run
    (hash() of strings changes from process to process)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def points(row, shape, dtype, rng):
    low, high = row.domain
    pts = [rng.uniform(low, high, size=shape) for _ in range(row.arity)]
    if row.name == "clip":           # low < high, x on both sides of them
        pts = [rng.uniform(-3, 3, size=shape), rng.uniform(-2, -0.5, size=shape),
               rng.uniform(0.5, 2, size=shape)]
    if row.name in ("abs", "relu"):   # away from the kink
        pts[0] = np.where(np.abs(pts[0]) < 0.2, 0.5, pts[0])
    if row.name in ("maximum", "minimum"):    # away from ties
        pts[1] = np.where(np.abs(pts[0] - pts[1]) < 0.1, pts[0] + 0.5, pts[1])
    if row.name == "mod":           # away from the jumps of x mod y
        frac = (pts[0] / pts[1]) % 1.0
        pts[0] = np.where((frac < 0.05) | (frac > 0.95), pts[0] + 0.3 * pts[1], pts[0])
    if row.name == "switch":
        pts[0] = rng.uniform(-1, 1, size=shape)
        pts[0] = np.where(np.abs(pts[0]) < 0.1, 0.5, pts[0])
    return [p.astype(dtype) for p in pts]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_row_gradient(name, dtype):
    row = ELEMWISE[name]
    rng = rng_for(name, dtype)
    for shape in ((), (2, 3)):
        pts = points(row, shape, dtype, rng)
        verify_grad(lambda *xs: elemwise_op(name)(*xs), pts, rng=rng)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_row_gradient_broadcast(name):
    """Inputs broadcast against each other: their gradients are summed back."""
    row = ELEMWISE[name]
    if row.arity == 1:
        return
    rng = rng_for(name, "broadcast")
    shapes = [(2, 3), (3,), (2, 1)][:row.arity]
    pts = [points(row, s, "float64", rng)[k] for k, s in enumerate(shapes)]

    def fun(*xs):
        xs = list(xs)
        xs[2:] = [T.addbroadcast(x, 1) for x in xs[2:]]
        return elemwise_op(name)(*xs)
    verify_grad(fun, pts, rng=rng)


@pytest.mark.parametrize("name", NOT_DIFFERENTIABLE)
def test_rows_without_gradient_give_zeros(name):
    row = ELEMWISE[name]
    if name in ("bitwise_and", "bitwise_or", "bitwise_xor", "invert"):
        return
    x = T.dvector("x")
    out = elemwise_op(name)(*[x] * row.arity)
    cost = T.sum(T.cast(out, "float64") * x)           # keeps x connected
    g = theano.function([x], grad(cost, x))(np.array([0.3, -1.7, 2.5]))
    want = theano.function([x], T.cast(out, "float64"))(np.array([0.3, -1.7, 2.5]))
    np.testing.assert_allclose(g, want)


def test_clip_gradient_with_low_above_high():
    """np.clip(x, lo, hi) with lo > hi is hi everywhere: only hi gets gradient."""
    rng = np.random.default_rng(0)
    verify_grad(T.clip, [rng.uniform(-3, 3, 6), np.full(6, 1.0), np.full(6, -1.0)], rng=rng)


def test_verify_grad_catches_a_wrong_gradient():
    from cytensor.graph import Apply, Op

    class BadSquare(Op):
        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0] ** 2

        def grad(self, inputs, g):
            return [g[0] * inputs[0]]               # missing the factor 2

    with pytest.raises(GradientError, match="input 0"):
        verify_grad(BadSquare(), [np.array([1.0, 2.0])])


def check_times_three(**options):
    """verify_grad of x * 3 for float32 x, tolerances tight enough to see the
    rounding of a float32 projected cost.  Step and points are multiples of
    1/8, so the inputs and x * 3 hold them exactly: with a float64 projection
    the finite differences are exact up to float64 rounding."""
    x = (np.random.default_rng(7).integers(8, 800, size=1000) / 8).astype("float32")
    verify_grad(lambda v: v * 3, [x], eps=0.5, abs_tol=1e-6, rel_tol=1e-6,
                rng=np.random.default_rng(3), **options)


def test_verify_grad_out_type_is_the_dtype_of_the_projected_cost():
    check_times_three()
    check_times_three(out_type="float64")
    with pytest.raises(GradientError, match="input 0"):
        check_times_three(out_type="float32")
    with pytest.raises(TypeError, match="out_type must be one of"):
        check_times_three(out_type="complex128")


def test_verify_grad_cast_to_output_type_projects_in_the_output_dtype():
    check_times_three(cast_to_output_type=False)
    with pytest.raises(GradientError, match="input 0"):
        check_times_three(cast_to_output_type=True)
    # a float64 output: its own dtype is float64 already
    verify_grad(lambda v: v * 3, [np.linspace(1.0, 100.0, 1000)], eps=0.5, abs_tol=1e-9,
                rel_tol=1e-9, rng=np.random.default_rng(3), cast_to_output_type=True)
    with pytest.raises(ValueError, match="give one of them"):
        check_times_three(out_type="float64", cast_to_output_type=True)


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------

RED_AXES = [None, 0, 1, -1, (0, 2), (), (0, 1, 2)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std"])
def test_reduction_gradients(name, dtype):
    rng = rng_for(name, dtype)
    a = rng.uniform(0.5, 2.0, size=(2, 3, 2)) * rng.choice([-1, 1], size=(2, 3, 2))
    if name in ("max", "min"):                                # distinct values
        a = rng.permutation(np.arange(12.0)).reshape(2, 3, 2) * 0.37 + 0.1
    a = a.astype(dtype)
    for axis in RED_AXES:
        for keepdims in ((False, True) if axis in (1, (0, 2)) else (False,)):
            if name in ("var", "std") and axis == ():
                continue                                      # 0 / 0
            verify_grad(lambda x: getattr(T, name)(x, axis=axis, keepdims=keepdims), [a],
                        rng=rng)


def test_prod_gradient_with_zeros():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.5, 2, size=(4, 3))
    a[0, 0] = 0.0                         # one zero in column 0 and row 0
    a[1, 1] = a[2, 1] = 0.0               # two zeros in column 1
    a[3, :] = 0.0                         # a row of zeros
    for axis in (None, 0, 1):
        verify_grad(lambda x: T.prod(x, axis=axis), [a], rng=rng)
    x = T.dvector()
    g = theano.function([x], grad(T.prod(x), x))
    np.testing.assert_allclose(g(np.array([2.0, 0.0, 3.0])), [0.0, 6.0, 0.0])
    np.testing.assert_allclose(g(np.array([0.0, 0.0, 3.0])), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(g(np.array([2.0, 5.0, 3.0])), [15.0, 6.0, 10.0])


def test_prod_second_derivative_with_zeros():
    p = T.dvector()
    H = theano.function([p], hessian(T.prod(p), p))

    def exact(a):
        n = len(a)
        return np.array([[0.0 if i == j else np.prod(np.delete(a, [i, j]))
                          for j in range(n)] for i in range(n)])
    for a in ([2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [2.0, 5.0, 3.0],
              [1.5, 0.0, 0.0, 2.0], [0.0, 4.0]):
        a = np.array(a)
        np.testing.assert_allclose(H(a), exact(a), atol=1e-14, err_msg=str(a))
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, 0.5]])
    for axis in (None, 0, 1):
        verify_grad(lambda x: grad(T.prod(x, axis=axis).sum(), x), [a])
    f = T.fvector()
    assert grad(T.prod(f), f).dtype == "float32"


def test_max_gradient_goes_to_the_maximum():
    x = T.dmatrix()
    g = theano.function([x], grad(T.max(x, axis=1).sum(), x))
    np.testing.assert_array_equal(g(np.array([[1.0, 3.0, 2.0], [5.0, 4.0, -1.0]])),
                                  [[0, 1, 0], [1, 0, 0]])


def test_integer_reductions_have_no_gradient():
    x = T.dvector()
    cost = T.sum(T.cast(x, "int32")).astype("float64") + x.sum()
    g = theano.function([x], grad(cost, x))(np.array([1.5, 2.5]))
    np.testing.assert_array_equal(g, [1.0, 1.0])


# ---------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------

def _dot_shape(nd, first):
    return {0: (), 1: (3,), 2: (2, 3) if first else (3, 2), 3: (2, 2, 3) if first
            else (2, 3, 2)}[nd]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("na", [0, 1, 2, 3])
@pytest.mark.parametrize("nb", [0, 1, 2, 3])
def test_dot_gradient(na, nb, dtype):
    rng = rng_for("dot", na, nb, dtype)
    a = rng.standard_normal(_dot_shape(na, True)).astype(dtype)
    b = rng.standard_normal(_dot_shape(nb, False)).astype(dtype)
    if na == 1 and nb == 3:
        b = rng.standard_normal((2, 3, 2)).astype(dtype)
    verify_grad(T.dot, [a, b], rng=rng)


def test_matmul_and_tensordot_gradients():
    rng = np.random.default_rng(4)
    verify_grad(T.matmul, [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 2))],
                rng=rng)
    verify_grad(T.matmul, [rng.standard_normal((3, 4)), rng.standard_normal((2, 4, 2))],
                rng=rng)
    verify_grad(T.matmul, [rng.standard_normal((2, 3, 4)), rng.standard_normal(4)], rng=rng)
    verify_grad(T.matmul, [rng.standard_normal(3), rng.standard_normal((2, 3, 2))], rng=rng)

    def batched_broadcast(a, b):          # a has a broadcastable batch axis
        return T.matmul(T.addbroadcast(a, 0), b)
    verify_grad(batched_broadcast, [rng.standard_normal((1, 3, 4)),
                                    rng.standard_normal((2, 4, 2))], rng=rng)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4, 2))
    for axes in (2, [[1, 2], [0, 1]], [[1], [0]], [[2, 1], [1, 0]]):
        verify_grad(lambda x, y: T.tensordot(x, y, axes), [a, b], rng=rng)
    verify_grad(T.outer, [rng.standard_normal(3), rng.standard_normal(2)], rng=rng)


def test_dot_gradient_for_mixed_dtypes():
    x, y = T.fmatrix(), T.dmatrix()
    gx, gy = grad(T.dot(x, y).sum(), [x, y])
    assert gx.dtype == "float32" and gy.dtype == "float64"


# ---------------------------------------------------------------------------
# Shapes, joining, allocation, indexing, casting
# ---------------------------------------------------------------------------

def test_shape_op_gradients():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((2, 3, 4))
    verify_grad(lambda x: x.reshape((4, 6)), [a], rng=rng)
    verify_grad(lambda x: x.reshape((-1, 2)), [a], rng=rng)
    verify_grad(lambda x: x.reshape((x.shape[2], -1)), [a], rng=rng)
    verify_grad(lambda x: x.flatten(), [a], rng=rng)
    verify_grad(lambda x: T.flatten(x, 2), [a], rng=rng)
    verify_grad(lambda x: x.T, [a], rng=rng)
    verify_grad(lambda x: x.transpose(1, 2, 0), [a], rng=rng)
    verify_grad(lambda x: x.dimshuffle(2, "x", 0, 1), [a], rng=rng)
    verify_grad(lambda x: T.addbroadcast(x, 1).dimshuffle(0, 2), [a[:, :1]], rng=rng)
    verify_grad(lambda x: T.squeeze(T.addbroadcast(x, 1)), [a[:, :1]], rng=rng)
    verify_grad(lambda x: x.dimshuffle("x", 0, 1, 2) * T.ones((3, 1, 1, 1)), [a], rng=rng)


def test_join_gradients():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
    verify_grad(lambda x, y: T.concatenate([x, y]), [a, b], rng=rng)
    verify_grad(lambda x, y: T.concatenate([x.T, y.T, x.T], axis=1), [a, b], rng=rng)
    verify_grad(lambda x, y: T.concatenate([x, y], axis=-2), [a, b], rng=rng)
    verify_grad(lambda x, y: T.stack([x, y[:2]]), [a, b], rng=rng)
    verify_grad(lambda x, y: T.stack([x, y[1:3]], axis=2), [a, b], rng=rng)
    verify_grad(lambda x, y: T.stack([x.sum(), y[0, 0], x[1, 2]]), [a, b], rng=rng)


def test_concatenate_with_integer_input_gradient():
    x = T.dmatrix()
    i = T.imatrix()
    g = theano.function([x, i], grad(T.concatenate([x, i]).sum(), x))
    np.testing.assert_array_equal(g(np.ones((2, 3)), np.ones((1, 3), "int32")), np.ones((2, 3)))


def test_alloc_and_fill_gradients():
    rng = np.random.default_rng(7)
    verify_grad(lambda v: T.alloc(v, 4, 3), [rng.standard_normal(3)], rng=rng)
    verify_grad(lambda v: T.alloc(v, 2, 4, 3), [rng.standard_normal((4, 3))], rng=rng)
    verify_grad(lambda v: T.alloc(v, 2, 3), [np.array(1.5)], rng=rng)
    verify_grad(lambda v: T.alloc(T.addbroadcast(v, 0), 4, 3), [rng.standard_normal((1, 3))],
                rng=rng)
    verify_grad(lambda m, v: T.fill(m, v) * m, [rng.standard_normal((2, 3)), np.array(0.7)],
                rng=rng)
    verify_grad(lambda m: T.zeros_like(m) + T.ones_like(m) * m, [rng.standard_normal(3)],
                rng=rng)


INDEXES = [1, -1, slice(1, None), slice(None, None, -1), slice(3, 0, -2),
           (slice(None), 2), (1, slice(None, None, -2)), (Ellipsis, 0), (None, 2),
           (slice(1, 3), slice(None, -1)), (0, 0)]


@pytest.mark.parametrize("index", INDEXES, ids=str)
def test_subtensor_gradient(index):
    rng = rng_for("subtensor", str(index))
    verify_grad(lambda x: x[index], [rng.standard_normal((4, 3))], rng=rng)


def test_subtensor_gradient_symbolic_index():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((4, 3))
    x = T.dmatrix()
    i = T.lscalar()
    g = theano.function([x, i], grad((x[i:, ::-1] ** 2).sum() + x[i, 0], x))
    want = 2 * a.copy()
    want[:2] = 0
    want[2, 0] += 1
    np.testing.assert_allclose(g(a, 2), want)


@pytest.mark.parametrize("set_", [False, True])
@pytest.mark.parametrize("index", [1, slice(1, 3), (slice(None, None, -2), 1),
                                   (slice(None), slice(None, None, -1))], ids=str)
def test_inc_and_set_subtensor_gradient(index, set_):
    rng = rng_for("inc", str(index), set_)
    a = rng.standard_normal((4, 3))
    target = np.zeros((4, 3))[index]
    y = rng.standard_normal(target.shape)
    fn = T.set_subtensor if set_ else T.inc_subtensor
    verify_grad(lambda x, v: fn(x[index], v) * 1.5, [a, y], rng=rng)
    if target.ndim > 1:                    # a value that broadcasts along the first axis
        verify_grad(lambda x, v: fn(x[index], T.addbroadcast(v, 0)), [a, y[:1]], rng=rng)
    if target.ndim:                        # a scalar value
        verify_grad(lambda x, v: fn(x[index], v), [a, np.array(y.flat[0])], rng=rng)


def test_inc_subtensor_value_broadcasts_only_along_declared_axes():
    x, v = T.dmatrix(), T.dmatrix()
    for mode in (None, theano.Mode(linker="py")):
        f = theano.function([x, v], T.inc_subtensor(x[1:3], v), mode=mode)
        with pytest.raises(ValueError, match="broadcastable"):
            f(np.zeros((4, 3)), np.ones((1, 3)))
        with pytest.raises(ValueError, match=r"\(2, 3\)"):
            f(np.zeros((4, 3)), np.ones((2, 2)))
        g = theano.function([x, v], T.inc_subtensor(x[1:3], T.addbroadcast(v, 0)), mode=mode)
        np.testing.assert_array_equal(g(np.zeros((4, 3)), np.ones((1, 3))),
                                      [[0, 0, 0], [1, 1, 1], [1, 1, 1], [0, 0, 0]])


def test_cast_gradient():
    rng = np.random.default_rng(9)
    a = rng.standard_normal(4)
    # The output is float32 (as NumPy computes it, also when fused), so the
    # finite differences need a step and tolerances of float32's resolution;
    # the exact check below pins the value.
    verify_grad(lambda x: T.cast(x, "float32") * 2, [a], rng=rng, eps=1e-3,
                abs_tol=1e-3, rel_tol=1e-3)
    d64 = T.dvector()
    g32 = theano.function([d64], grad((T.cast(d64, "float32") * 2).sum(), d64))
    np.testing.assert_array_equal(g32(a), np.full(4, 2.0))
    verify_grad(lambda x: T.cast(x, "float64") ** 2, [a.astype("float32")], rng=rng)
    x = T.fvector()
    g = grad(T.cast(x, "float64").sum(), x)
    assert g.dtype == "float32"
    d = T.dvector()
    g = theano.function([d], grad(T.cast(d, "int32").sum().astype("float64") + d.sum(), d))
    np.testing.assert_array_equal(g(np.array([1.5, -2.5])), [1.0, 1.0])


# ---------------------------------------------------------------------------
# grad() itself
# ---------------------------------------------------------------------------

def test_grad_of_grad():
    x = T.dscalar("x")
    gx = grad(x ** 3, x)
    ggx = grad(gx, x)
    f = theano.function([x], [gx, ggx, grad(ggx, x)])
    for v in (-2.0, 0.5, 3.0):
        g1, g2, g3 = f(v)
        assert g1 == pytest.approx(3 * v ** 2)
        assert g2 == pytest.approx(6 * v)
        assert g3 == pytest.approx(6.0)
    y = T.dvector()
    cost = (T.tanh(y) * T.exp(y)).sum()
    g2 = grad(grad(cost, y).sum(), y)
    a = np.array([-0.5, 0.1, 1.2])
    t, e = np.tanh(a), np.exp(a)
    d1t, d2t = 1 - t ** 2, -2 * t * (1 - t ** 2)
    np.testing.assert_allclose(theano.function([y], g2)(a), e * (d2t + 2 * d1t + t),
                               rtol=1e-12)


def test_jacobian_and_hessian():
    x = T.tensor("float64", shape=(3,))
    a = np.array([0.5, -1.0, 2.0])
    J = theano.function([x], jacobian(x ** 2, x))(a)
    np.testing.assert_allclose(J, np.diag(2 * a))
    A = np.arange(6.0).reshape(2, 3)
    J = theano.function([x], jacobian(T.specify_shape(T.dot(T.constant(A), x), (2,)), x),
                        on_unused_input="ignore")(a)
    np.testing.assert_allclose(J, A)
    H = theano.function([x], hessian((x ** 3).sum() + x[0] * x[1], x))(a)
    want = np.diag(6 * a)
    want[0, 1] = want[1, 0] = 1
    np.testing.assert_allclose(H, want)
    m = T.tensor("float64", shape=(2, 2))
    J = theano.function([m], jacobian(m * 3, m))(np.ones((2, 2)))
    assert J.shape == (4, 2, 2)
    np.testing.assert_allclose(J.reshape(4, 4), 3 * np.eye(4))
    s = T.dscalar()
    np.testing.assert_allclose(theano.function([s], jacobian(s ** 2, s))(3.0), 6.0)
    v = T.dvector()                      # length known only at run time
    np.testing.assert_allclose(theano.function([v], jacobian(T.exp(v), v))(a), np.diag(np.exp(a)))
    with pytest.raises(TypeError, match="vector"):
        hessian(T.dmatrix().sum(), T.dmatrix())


def test_consider_constant():
    x, y = T.dscalar("x"), T.dscalar("y")
    z = x * y
    cost = z * x
    g = grad(cost, x, consider_constant=[z])
    assert theano.function([x, y], g)(2.0, 3.0) == pytest.approx(6.0)        # z
    g = grad(cost, x)
    assert theano.function([x, y], g)(2.0, 3.0) == pytest.approx(12.0)       # 2xy
    from cytensor.gradient import disconnected_grad, zero_grad
    g = grad(zero_grad(x * y) * x, x)
    assert theano.function([x, y], g)(2.0, 3.0) == pytest.approx(6.0)
    g = grad(disconnected_grad(x * y) * x, x)
    assert theano.function([x, y], g)(2.0, 3.0) == pytest.approx(6.0)


def test_disconnected_inputs():
    x, y = T.dvector("x"), T.dmatrix("why")
    cost = (x ** 2).sum()
    with pytest.raises(DisconnectedInputError, match="why"):
        grad(cost, [x, y])
    with pytest.raises(DisconnectedInputError, match="why"):
        grad(cost, y, disconnected_inputs="raise")
    gx, gy = grad(cost, [x, y], disconnected_inputs="ignore")
    f = theano.function([x, y], [gx, gy])
    vx, vy = f(np.array([1.0, 2.0]), np.ones((2, 3)))
    np.testing.assert_allclose(vx, [2.0, 4.0])
    np.testing.assert_array_equal(vy, np.zeros((2, 3)))
    assert vy.dtype == np.float64
    with pytest.warns(UserWarning, match="why"):
        grad(cost, y, disconnected_inputs="warn")
    assert grad(cost, y, disconnected_inputs="ignore", return_disconnected="None") is None
    with pytest.raises(ValueError):
        grad(cost, y, disconnected_inputs="maybe")
    # a variable only reached through consider_constant is disconnected too
    z = x * 2
    with pytest.raises(DisconnectedInputError):
        grad((z * 3).sum(), x, consider_constant=[z])


def test_known_grads():
    x = T.dvector("x")
    h = T.tanh(x)
    cost = (h ** 2).sum()
    gh = T.dvector("gh")
    g = grad(None, x, known_grads={h: gh})
    a, b = np.array([0.1, -0.7]), np.array([1.0, 2.0])
    np.testing.assert_allclose(theano.function([x, gh], g)(a, b), b * (1 - np.tanh(a) ** 2))
    g_both = grad(cost, x, known_grads={h: gh})
    want = (b + 2 * np.tanh(a)) * (1 - np.tanh(a) ** 2)
    np.testing.assert_allclose(theano.function([x, gh], g_both)(a, b), want)


def test_grad_of_non_scalar_raises_type_error():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        grad(x * 2, x)
    with pytest.raises(TypeError, match="integer"):
        grad(T.cast(x, "int32").sum(), x)
    with pytest.raises(TypeError):
        grad(x.sum(), [x, 3.0])


def test_broadcasting_gradient_sums_over_the_broadcast_axes():
    m, r, c = T.dmatrix("m"), T.drow("r"), T.dcol("c")
    s = T.dscalar("s")
    cost = ((m + r) ** 2).sum() + (m * c).sum() + (m * s).sum()
    gr, gc, gs = grad(cost, [r, c, s])
    assert gr.broadcastable == (True, False)
    assert gc.broadcastable == (False, True)
    assert gs.ndim == 0
    a = np.arange(6.0).reshape(2, 3)
    rv, cv = np.array([[1.0, -1.0, 0.5]]), np.array([[2.0], [3.0]])
    vr, vc, vs = theano.function([m, r, c, s], [gr, gc, gs])(a, rv, cv, 2.0)
    np.testing.assert_allclose(vr, (2 * (a + rv)).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(vc, a.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(vs, a.sum())
    v = T.dvector("v")
    g = theano.function([m, v], grad((m + v).sum(), v))(a, np.zeros(3))
    np.testing.assert_allclose(g, [2.0, 2.0, 2.0])


def test_gradient_dtypes_follow_the_inputs():
    x = T.fvector()
    for cost in ((x * 2).sum(), (x * 0.1).sum(), (x * T.dscalar()).sum()):
        g = grad(cost, x)
        assert g.dtype == "float32"
    i = T.ivector()
    xf = T.fvector()
    g = grad((xf * i).sum(), xf)
    assert g.dtype == "float32"
    out = theano.function([xf, i], g)(np.ones(2, "float32"), np.array([3, 4], "int32"))
    np.testing.assert_array_equal(out, [3, 4])


def test_gradient_names():
    x = T.dvector("x")
    cost = (x ** 2).sum()
    cost.name = "cost"
    assert grad(cost, x).name == "(dcost/dx)"


def test_jacobian_of_run_time_length_follows_givens():
    x = T.dvector("x")
    values = theano.shared(np.array([1.0, 2.0, 3.0]))
    J = theano.function([], jacobian(T.exp(x), x), givens={x: values})()
    np.testing.assert_allclose(J, np.diag(np.exp([1.0, 2.0, 3.0])))
