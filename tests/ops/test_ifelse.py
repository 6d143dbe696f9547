"""ifelse: one scalar condition picks a whole branch (Theano's theano.ifelse)."""
import io

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.tensor.ifelse import ifelse
from cytensor.compile.mode import Mode


def test_picks_a_branch_whose_shape_may_differ():
    c = T.iscalar("c")
    v = T.vector("v")
    f = theano.function([c, v], ifelse(c, v[:2], v * 10))
    data = np.arange(3.0)
    np.testing.assert_array_equal(f(1, data), [0, 1])
    np.testing.assert_array_equal(f(0, data), [0, 10, 20])


def test_several_values_and_a_name():
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    low, high = ifelse(T.lt(a, b), [x, y], [y, x], name="pair")
    assert low.name == high.name == "pair"
    f = theano.function([a, b, x, y], [low, high])
    ones, zeros = np.ones((2, 2)), np.zeros((2, 2))
    np.testing.assert_array_equal(f(0, 1, ones, zeros)[0], ones)
    np.testing.assert_array_equal(f(1, 0, ones, zeros)[0], zeros)


def test_output_is_not_the_inputs_array():
    c = T.iscalar("c")
    W = theano.shared(np.ones(3), "W")
    out = theano.function([c], ifelse(c, W, W * 2))(1)
    out[0] = 5.0
    assert W.get_value()[0] == 1.0


def test_gradient_flows_into_the_branch_taken():
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    cost = ifelse(T.lt(a, b), (x ** 2).sum(), (3 * y).sum())
    f = theano.function([a, b, x, y], theano.grad(cost, [x, y]))
    ones = np.ones((2, 2))
    gx, gy = f(0, 1, ones, ones)
    np.testing.assert_array_equal(gx, 2 * ones)
    np.testing.assert_array_equal(gy, 0 * ones)
    gx, gy = f(1, 0, ones, ones)
    np.testing.assert_array_equal(gx, 0 * ones)
    np.testing.assert_array_equal(gy, 3 * ones)


def test_bad_branches_and_conditions_are_named():
    v = T.vector("v")
    with pytest.raises(TypeError, match=r"condition must be a scalar.*T.switch"):
        ifelse(v, v, v)
    with pytest.raises(TypeError, match=r"same dtype and number of dimensions.*"
                                        r"TensorType\(float64, vector\) and TensorType\(int32, vector\)"):
        ifelse(1, v, T.ivector())
    with pytest.raises(ValueError, match=r"then branch has 2 values and the else branch 1"):
        ifelse(1, [v, v], [v])


def test_only_the_branch_taken_is_computed():
    """The other branch never runs: here it would fail (a reshape to the
    wrong size), and its error names that node only when it is taken."""
    c, x = T.dscalar("c"), T.dvector("x")
    f = theano.function([c, x], ifelse(c, x.sum(), x.reshape((7,)).sum()))
    assert f(1.0, np.arange(3.0)) == 3.0
    with pytest.raises(ValueError, match="Reshape"):
        f(0.0, np.arange(3.0))
    # the schedule's top level holds only what the condition and the op need
    assert len(f.schedule.thunks) < len(f.schedule.nodes)


def test_lazy_branches_keep_shared_and_output_nodes():
    """A node that another reader (or the outputs) needs runs whatever the
    condition; an ifelse inside a branch is lazy in turn."""
    c, d, x = T.dscalar("c"), T.dscalar("d"), T.dvector("x")
    shared_part = T.exp(x).sum()
    inner = ifelse(d, shared_part * 2, (x ** 2).sum())
    outer = ifelse(c, inner, shared_part + x.max())
    f = theano.function([c, d, x], [outer, T.exp(x).sum()])
    v = np.array([0.5, -1.0, 2.0])
    e = np.exp(v).sum()
    for cv, dv, want in ((1, 1, 2 * e), (1, 0, (v ** 2).sum()), (0, 1, e + v.max())):
        got, also = f(cv, dv, v)
        np.testing.assert_allclose([got, also], [want, e])
    for mode in ("DebugMode", Mode(linker="py")):
        g = theano.function([c, d, x], outer, mode=mode)
        np.testing.assert_allclose(g(1, 0, v), (v ** 2).sum())
    grad = theano.function([c, d, x], theano.grad(outer, x))
    np.testing.assert_allclose(grad(1, 0, v), 2 * v)
    np.testing.assert_allclose(grad(0, 0, v), np.exp(v) + (v == v.max()))


def test_profile_times_and_counts_the_branch_nodes():
    c, x = T.dscalar("c"), T.dvector("x")
    f = theano.function([c, x], ifelse(c, T.exp(x).sum(), T.log(x).sum()), profile=True)
    for cv in (1.0, 0.0, 0.0):
        f(cv, np.ones(4))
    calls = {str(node.op): n for node, n in f.profile.node_calls.items()}
    assert sorted(calls.values()) == [1, 2, 3]            # exp branch, log branch, IfElse
    assert all(t >= 0 for t in f.profile.node_time.values())
    text = io.StringIO()
    f.profile.summary(file=text)
    assert "IfElse" in text.getvalue() and "log" in text.getvalue()
