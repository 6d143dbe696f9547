"""function(): inputs, outputs, updates, givens, casting, defaults, errors, pickling."""
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor import In, Out, function, shared
from cytensor.function import MissingInputError, UnusedInputError


def test_inputs_must_be_a_list():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="must be a list"):
        function(x, x + 1)


def test_output_forms():
    x = T.dvector("x")
    v = np.arange(3.0)
    assert isinstance(function([x], x + 1)(v), np.ndarray)
    out = function([x], [x + 1])(v)
    assert isinstance(out, list) and len(out) == 1
    assert function([x], None, on_unused_input="ignore")(v) == []
    assert function([x], [], on_unused_input="ignore")(v) == []
    a, b = function([x], [x * 2, x - 1])(v)
    np.testing.assert_array_equal(a, v * 2)
    np.testing.assert_array_equal(b, v - 1)


def test_outputs_are_fresh_arrays():
    x = T.dvector("x")
    f = function([x], [x, x.T, x + 1, x + 1])
    v = np.arange(3.0)
    r = f(v)
    assert not np.shares_memory(r[0], v)
    assert not np.shares_memory(r[1], v)
    assert r[2] is not r[3] and not np.shares_memory(r[2], r[3])
    r2 = f(v)
    assert not np.shares_memory(r[2], r2[2])
    r[2][:] = 100
    np.testing.assert_array_equal(f(v)[2], v + 1)


def test_large_outputs_are_reused_only_once_dropped():
    """An output of at least RECYCLE_MIN_BYTES is written again into the array
    the last call returned, but only when the caller no longer holds it (nor a
    view of it): nothing the caller can see ever changes."""
    x = T.dvector("x")
    f = function([x], [T.exp(x) * 2, x.sum()])
    n = 300000                                  # 2.4 MB
    v, w = np.linspace(0, 1, n), np.linspace(1, 2, n)
    first, _ = f(v)
    kept = first.copy()
    second, _ = f(w)                            # `first` still held: a new array
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, kept)
    address = second.ctypes.data
    view = second[:5]
    del second
    third, _ = f(v)                             # a view still held: a new array
    assert third.ctypes.data != address and not np.shares_memory(third, view)
    np.testing.assert_allclose(view, np.exp(w[:5]) * 2)
    address = third.ctypes.data
    del third, view
    fourth, total = f(w)                        # dropped: written in place
    assert fourth.ctypes.data == address
    np.testing.assert_allclose(fourth, np.exp(w) * 2)
    fourth.flags.writeable = False
    del fourth
    np.testing.assert_allclose(f(v)[0], np.exp(v) * 2)     # read-only: not reused
    np.testing.assert_allclose(f(v[:10])[0], np.exp(v[:10]) * 2)   # new shape
    np.testing.assert_allclose(f(w)[0], np.exp(w) * 2)


def test_borrowed_output_may_alias():
    x = T.dvector("x")
    f = function([x], Out(x * 2, borrow=True))
    np.testing.assert_array_equal(f(np.ones(2)), [2, 2])


def test_logistic_and_default_arguments():
    x = T.dmatrix("x")
    s = 1 / (1 + T.exp(-x))
    logistic = function([x], s)
    np.testing.assert_allclose(logistic([[0, 1], [-1, -2]]),
                               [[0.5, 0.73105858], [0.26894142, 0.11920292]], rtol=1e-7)
    x, y, w = T.dscalars("x", "y", "w")
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z)
    assert f(33) == 68
    assert f(33, 2) == 70
    assert f(33, 0, 1) == 33
    assert f(33, w_by_name=1) == 34
    assert f(33, w_by_name=1, y=0) == 33
    with pytest.raises(TypeError, match="no input named"):
        f(33, nope=1)
    with pytest.raises(TypeError, match="missing input"):
        function([x, y], x + y)(np.ones((1, 1)))


def test_param_is_theanos_older_in():
    x, corruption = T.dscalars("x", "corruption")
    f = function([x, theano.Param(corruption, default=0.2)], x * corruption)
    assert f(10) == 2.0
    assert f(10, corruption=0.5) == 5.0


def test_accumulator_and_updates_use_old_values():
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    assert accumulator(1) == 0
    assert state.get_value() == 1
    accumulator(300)
    assert state.get_value() == 301
    state.set_value(-1)
    accumulator(3)
    assert state.get_value() == 2
    decrementor = function([inc], state, updates=[(state, state - inc)])
    decrementor(2)
    assert state.get_value() == 0

    a, b = shared(1.0, "a"), shared(2.0, "b")
    swap = function([], [], updates=OrderedDict([(a, b), (b, a)]))
    swap()
    assert a.get_value() == 2.0 and b.get_value() == 1.0


def test_copy_with_swapped_state_or_without_updates():
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)], name="acc")
    accumulator(10)
    new_state = shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0
    assert new_state.get_value() == 100 and state.get_value() == 10
    assert new_accumulator.name == "acc"
    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10 and state.get_value() == 10
    with pytest.raises(TypeError, match=r"cannot be swapped for .* of another type"):
        accumulator.copy(swap={state: shared(0.0)})
    with pytest.raises(TypeError, match=r"swap pairs shared variables"):
        accumulator.copy(swap={state: inc})


def test_update_type_mismatch_names_shared_variable():
    w = shared(np.zeros(3, dtype="float32"), name="weights")
    x = T.dvector("x")
    with pytest.raises(TypeError, match="weights"):
        function([x], updates=[(w, w + x)])
    with pytest.raises(TypeError, match="not a shared variable"):
        function([x], updates=[(x, x + 1)])


def test_givens():
    state = shared(0)
    inc = T.iscalar("inc")
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert skip_shared(1, 3) == 7
    assert state.get_value() == 0
    # The user's graph is unchanged.
    assert function([inc], fn_of_state)(1) == 1

    x = T.dmatrix("x")
    data = shared(np.arange(6.0).reshape(3, 2))
    f = function([], (x ** 2).sum(), givens={x: data})
    assert f() == (np.arange(6.0) ** 2).sum()


def test_allow_input_downcast():
    with theano.config.change_flags(floatX="float32"):
        x = T.vector("x")
        i = T.ivector("i")
        f = function([x], x * 2)
        assert f(np.arange(3.0)).dtype == np.float32      # float64 data into floatX
        assert f([1.0, 2.0]).dtype == np.float32         # Python data
        g = function([i], i + 1)
        with pytest.raises(TypeError, match=r"int64.*int32|int32.*int64"):
            g(np.arange(3))
        assert function([i], i + 1, allow_input_downcast=True)(np.arange(3)).dtype == np.int32
        strict = function([x], x * 2, allow_input_downcast=False)
        with pytest.raises(TypeError, match="input 0"):
            strict(np.arange(3.0))
        np.testing.assert_array_equal(strict(np.arange(3, dtype="float32")), [0, 2, 4])


def test_call_checks_arity_ndim_and_broadcastable():
    x = T.dmatrix("x")
    r = T.drow("r")
    f = function([x, r], x + r)
    with pytest.raises(TypeError, match="takes 2 inputs"):
        f(np.ones((2, 2)), np.ones((1, 2)), 3)
    with pytest.raises(TypeError, match=r"input 0.*dimensions"):
        f(np.ones(2), np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"input 1 \(r"):
        f(np.ones((2, 2)), np.ones((2, 2)))


def test_missing_and_unused_inputs():
    x, y = T.dvectors("x", "y")
    with pytest.raises(MissingInputError, match="y"):
        function([x], x + y)
    with pytest.raises(UnusedInputError, match="input 1"):
        function([x, y], x * 2)
    with pytest.warns(UserWarning):
        function([x, y], x * 2, on_unused_input="warn")
    function([x, y], x * 2, on_unused_input="ignore")


def test_runtime_error_names_node_and_line():
    x, y = T.dvectors("x", "y")
    z = x + y                       # the line the error must point at
    f = function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    message = str(info.value)
    assert "Elemwise{add,no_inplace}" in message and "shape (3,)" in message
    assert "test_function.py" in message and "z = x + y" in message


def test_modes():
    x = T.dvector("x")
    for mode in (None, "FAST_RUN", "FAST_COMPILE", theano.Mode(linker="py"),
                 theano.Mode(optimizer=None)):
        np.testing.assert_allclose(function([x], T.exp(x) * 2, mode=mode)(np.ones(2)),
                                   2 * np.e)
    with pytest.raises(ValueError, match="unknown mode"):
        function([x], x * 2, mode="NOPE")


def test_profile_records_nodes():
    x = T.dvector("x")
    f = function([x], T.exp(x).sum(), profile=True)
    f(np.ones(10))
    f(np.ones(10))
    assert f.profile.calls == 2
    assert sum(f.profile.node_calls.values()) >= 2


def test_pickle_function_and_shared():
    w = shared(np.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    f = function([x], (w * x).sum(), updates=[(w, w + 1)])
    f(np.ones(2))
    w2 = pickle.loads(pickle.dumps(w))
    np.testing.assert_array_equal(w2.get_value(), [2.0, 3.0])
    g = pickle.loads(pickle.dumps(f))
    assert g(np.ones(2)) == 5.0
    assert f(np.ones(2)) == 5.0            # the original keeps its own shared value
    assert g(np.ones(2)) == 7.0


def test_shared_get_set_borrow():
    v = np.arange(3.0)
    s = shared(v)
    v[0] = 100
    assert s.get_value()[0] == 0                  # copied in
    got = s.get_value()
    got[1] = 100
    assert s.get_value()[1] == 1                  # copied out
    s.set_value(np.ones(3))
    np.testing.assert_array_equal(s.get_value(), 1)
    with pytest.raises(TypeError):
        s.set_value(np.ones((2, 2)))
    b = np.zeros(2)
    s2 = shared(b, borrow=True)
    assert s2.get_value(borrow=True) is b


def test_tutorial_logistic_regression():
    rng = np.random.default_rng(0)
    n, feats = 100, 20
    inputs = rng.standard_normal((n, feats))
    data = (inputs, (inputs @ rng.standard_normal(feats) > 0).astype("float64"))
    x, y = T.dmatrix("x"), T.dvector("y")
    w = shared(rng.standard_normal(feats) * 0.01, name="w")
    b = shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = theano.grad(cost, [w, b])
    train = function([x, y], [prediction, xent],
                     updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    predict = function([x], prediction)
    first = train(*data)[1].mean()
    for _ in range(200):
        pred, err = train(*data)
    assert err.mean() < first
    assert (predict(data[0]) == data[1]).mean() > 0.8
