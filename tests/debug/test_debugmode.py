"""Modes: Mode(linker, optimizer), DebugMode's checks and NanGuardMode."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.config import change_flags
from cytensor.debug.debugmode import (BadDestroyMap, BadRewrite, BadThunkOutput, DebugMode,
                                      InvalidValueError)
from cytensor.debug.nanguard import NanGuardError, NanGuardMode
from cytensor.graph import Apply, Op
from cytensor.compile.mode import Mode, get_mode
from cytensor.rewriting import engine
from cytensor.tensor.elemwise import Elemwise


class Double(Op):
    """2 * x, with a kernel that can be told to be wrong in several ways.

    bug: None (a correct kernel), 'value' (2x + 1), 'dtype' (returns
    float32), 'shape' (drops the last element), 'writes_input' (doubles x in
    place without declaring it) or 'stale_buffer' (accumulates into the
    output buffer of the previous call instead of overwriting it).
    """

    __props__ = ("bug",)

    def __init__(self, bug=None):
        self.bug = bug

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,), cell = inputs, output_storage[0]
        if self.bug == "value":
            cell[0] = 2 * x + 1
        elif self.bug == "dtype":
            cell[0] = (2 * x).astype(np.float32)
        elif self.bug == "shape":
            cell[0] = 2 * x[:-1]
        elif self.bug == "writes_input":
            x *= 2
            cell[0] = x.copy()
        elif self.bug == "stale_buffer" and cell[0] is not None and cell[0].shape == x.shape:
            cell[0] += 2 * x - cell[0] * (cell[0] == cell[0])     # nan stays nan
        else:
            cell[0] = 2 * x

    def reference(self, node, x):
        return (2 * x,)


def test_debugmode_passes_correct_kernels_on_a_real_graph():
    rng = np.random.default_rng(0)
    x = T.matrix("x")
    W = theano.shared(rng.standard_normal((6, 4)), "W")
    b = theano.shared(np.zeros(4), "b")
    h = T.tanh(T.dot(x, W) + b)
    cost = (T.exp(h).sum(axis=1) ** 2).mean() + T.log(1 + T.exp(h)).sum()
    gW, gb = theano.grad(cost, [W, b])
    data = rng.random((5, 6))
    fast = theano.function([x], [cost, gW, gb])(data)
    debug = theano.function([x], [cost, gW, gb], mode="DebugMode")
    for a, e in zip(debug(data), fast):
        np.testing.assert_allclose(a, e, rtol=1e-10)
    step = theano.function([x], cost, updates=[(W, W - 0.1 * gW)], mode=DebugMode())
    before = W.get_value()
    step(data)
    assert not np.allclose(W.get_value(), before)


def test_debugmode_catches_a_wrong_kernel():
    x = T.vector("x")
    y = Double(bug="value")(x)              # the line the report must point at
    wrong = theano.function([x], y)(np.arange(3.0))
    np.testing.assert_array_equal(wrong, [1, 3, 5])     # FAST_RUN trusts the kernel
    f = theano.function([x], y, mode="DebugMode")
    with pytest.raises(BadThunkOutput) as info:
        f(np.arange(3.0))
    message = str(info.value)
    assert "kernel of Double{bug='value'} and its NumPy reference disagree on output 0" in message
    assert "3 of 3 elements differ" in message
    assert "at (0,): reference 0.0, kernel 1.0" in message
    assert 'y = Double(bug="value")(x)' in message          # the user's line
    assert "shape (3,), dtype float64" in message


def test_debugmode_checks_output_types():
    x = T.vector("x")
    with pytest.raises(InvalidValueError, match="dtype is float32, not float64"):
        theano.function([x], Double(bug="dtype")(x), mode="DebugMode")(np.ones(3))
    with pytest.raises(BadThunkOutput, match="shapes differ"):
        theano.function([x], Double(bug="shape")(x), mode="DebugMode")(np.ones(3))
    v = T.vector("v", shape=(3,))
    with pytest.raises(InvalidValueError, match="axis 0 must have length 3"):
        theano.function([v], Double(bug="shape")(v), mode="DebugMode")(np.ones(3))


def test_debugmode_catches_a_kernel_writing_into_its_input():
    x = T.vector("x")
    f = theano.function([x], Double(bug="writes_input")(x + 1), mode="DebugMode")
    with pytest.raises(BadDestroyMap, match=r"wrote into its input 0 .*destroy_map is \{\}"):
        f(np.ones(3))


def test_debugmode_allows_declared_in_place_kernels():
    x, W = T.matrix("x"), T.matrix("W")
    cost = T.dot(T.tanh(T.dot(x, W) + 1), W.T).sum()
    f = theano.function([x, W], cost, mode="DebugMode")
    assert any(getattr(n.op, "destroy_map", None) for n in f.maker.fgraph.toposort())
    a, b = np.ones((2, 3)), np.ones((3, 4))
    np.testing.assert_allclose(f(a, b), (np.tanh(a @ b + 1) @ b.T).sum())


def test_debugmode_catches_a_kernel_that_trusts_stale_buffers():
    x = T.vector("x")
    f = theano.function([x], Double(bug="stale_buffer")(x), mode="DebugMode")
    with pytest.raises(BadThunkOutput, match="stale garbage"):
        f(np.ones(3))
    ok = theano.function([x], Double(bug="stale_buffer")(x),
                         mode=DebugMode(check_preallocated_output=False))
    np.testing.assert_array_equal(ok(np.ones(3)), [2, 2, 2])


def test_debugmode_catches_a_wrong_rewrite(monkeypatch):
    def exp_is_one_plus_x(fgraph, node):          # wrong, except near 0
        if isinstance(node.op, Elemwise) and str(node.op) == "Elemwise{exp,no_inplace}":
            return [node.inputs[0] + 1]
        return None

    bad = engine.Rewrite("exp_is_one_plus_x", "canonicalize", exp_is_one_plus_x,
                         frozenset({"canonicalize", "exp_is_one_plus_x"}))
    monkeypatch.setattr(engine, "REGISTRY", engine.REGISTRY + [bad])
    x = T.vector("x")
    f = theano.function([x], T.exp(x) * 3, mode="DebugMode")
    with pytest.raises(BadRewrite) as info:
        f(np.array([0.0, 1.0, 2.0]))
    message = str(info.value)
    assert "the rewrites changed the value of output 0" in message
    assert "exp_is_one_plus_x" in message
    g = theano.function([x], T.exp(x) * 3, mode=DebugMode().excluding("exp_is_one_plus_x"))
    np.testing.assert_allclose(g(np.array([0.0, 1.0])), 3 * np.exp([0.0, 1.0]))


def test_debugmode_by_name_and_config():
    assert isinstance(get_mode("DebugMode"), DebugMode)
    assert isinstance(get_mode("DEBUG_MODE"), DebugMode)
    with change_flags(mode="DebugMode"):
        x = T.vector("x")
        f = theano.function([x], Double(bug="value")(x))
        with pytest.raises(BadThunkOutput):
            f(np.ones(2))


def test_mode_linker_and_optimizer():
    x = T.vector("x")
    y = T.log(1 + T.exp(x))
    for mode in (Mode(linker="py", optimizer=None), Mode(linker="cvm", optimizer="fast_run"),
                 Mode(optimizer="fast_compile"), "FAST_COMPILE", "FAST_RUN"):
        f = theano.function([x], y, mode=mode)
        np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.log1p(np.exp([0.0, 1.0])))
    assert len(theano.function([x], y, mode=Mode(optimizer=None)).maker.fgraph.toposort()) == 4
    with pytest.raises(ValueError, match="unknown linker 'c\\+\\+'"):
        Mode(linker="c++")
    with pytest.raises(ValueError, match="unknown mode"):
        get_mode("FAST")
    fused = Mode().excluding("fusion")
    assert fused.excluded == ("fusion",) and Mode().excluded == ()


# ---------------------------------------------------------------------------
# NanGuardMode
# ---------------------------------------------------------------------------

def test_nanguard_names_the_first_node_producing_nan():
    x = T.vector("x")
    y = T.log(x)                     # nan for negative x
    z = (y * 2).sum()
    mode = NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True,
                        optimizer=None)
    f = theano.function([x], z, mode=mode)
    np.testing.assert_allclose(f(np.array([1.0, 2.0])), 2 * np.log(2.0))
    with pytest.raises(NanGuardError) as info:
        f(np.array([1.0, -1.0]))
    message = str(info.value)
    assert message.startswith("NanGuardMode: nan in output 0 of Elemwise{log,no_inplace}; it is the "
                              "first node")
    assert "0: x: shape (2,), dtype float64, min -1, max 1, mean 0, 0 nan, 0 inf" in message
    assert "y = T.log(x)" in message
    assert isinstance(info.value, AssertionError)        # as Theano's


def test_nanguard_inf_and_big_and_flags():
    x = T.vector("x")
    inv = theano.function([x], 1 / x, mode=NanGuardMode())
    with pytest.raises(NanGuardError, match="inf in output 0"):
        inv(np.array([0.0, 1.0]))
    big = theano.function([x], T.exp(x), mode=NanGuardMode())
    with pytest.raises(NanGuardError, match=r"a huge value \(\|x\| > 1e\+10\)"):
        big(np.array([30.0]))
    lenient = theano.function([x], [1 / x, T.exp(x)],
                              mode=NanGuardMode(inf_is_error=False, big_is_error=False))
    assert np.isinf(lenient(np.array([0.0]))[0]).all()
    assert lenient(np.array([30.0]))[1][0] > 1e10


def test_nanguard_blames_the_input_and_ignores_integers():
    x = T.vector("x")
    f = theano.function([x], x * 2, mode="NanGuardMode")
    with pytest.raises(NanGuardError, match="nan in x, an input of the function"):
        f(np.array([np.nan]))
    i = T.lvector("i")
    g = theano.function([i], i * 10 ** 12, mode=NanGuardMode())
    assert g(np.array([3]))[0] == 3 * 10 ** 12


def test_nanguard_points_fused_nodes_at_the_users_line():
    x = T.vector("x")
    y = T.sqrt(x - 1)
    f = theano.function([x], y * 2, mode=NanGuardMode())
    with pytest.raises(NanGuardError) as info:
        f(np.array([0.0]))
    message = str(info.value)
    assert "y * 2" in message or "T.sqrt(x - 1)" in message
    assert "excluding('fuse_elemwise')" in message


# ---------------------------------------------------------------------------
# Seeing what the rewrites did
# ---------------------------------------------------------------------------

def test_debugprint_names_the_rewrite_that_made_each_node():
    from cytensor.debug.printing import debugprint
    x = T.vector("x")
    f = theano.function([x], T.log(1 + T.exp(x)) * 2)
    text = debugprint(f, file="str", print_rewrites=True)
    assert text.splitlines()[0].endswith("''   0   by fuse_elemwise")
    assert "by" not in debugprint(f, file="str")
    plain = theano.function([x], x * 2, mode=Mode(optimizer=None))
    assert "by" not in debugprint(plain, file="str", print_rewrites=True)


def test_pydotprint_before_and_after_rewrites():
    from cytensor.debug.printing import graph_to_dot
    x = T.vector("x")
    s = theano.shared(np.ones(3), "s")
    f = theano.function([x], T.log(1 + T.exp(x)) * s)
    after, before = graph_to_dot(f), graph_to_dot(f, rewritten=False)
    assert after.count("shape=\"box\"") == 1 and "Composite" in after
    assert "Elemwise{log,no_inplace}" in before and "Elemwise{exp,no_inplace}" in before
    for colour in ("limegreen", "cyan", "lightgrey", "dodgerblue"):  # input, shared,
        assert colour in before                                   # constant, output
