"""Regression tests for issue 10, items 3 to 7: empty advanced indexing,
unaligned inputs, calls from several threads, all-or-nothing calls, and
errors that keep their type."""
import threading
import time
import _thread

import numpy as np
import pytest

import cytensor
import cytensor.tensor as T
from cytensor import Apply, Op, function, shared
from cytensor.tensor.type import TensorType


# --- item 3: empty advanced indexing -------------------------------------------
EMPTY = np.array([], dtype="int64")


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_empty_integer_index_of_a_matrix(mode):
    m, k = T.dmatrix("m"), T.lvector("k")
    got = function([m, k], m[k], mode=mode)(np.ones((2, 3)), EMPTY)
    assert got.shape == (0, 3) and got.dtype == np.float64


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_all_false_mask(mode):
    v, mask = T.dvector("v"), T.vector("mask", dtype="bool")
    got = function([v, mask], v[mask], mode=mode)(np.arange(3.0), np.zeros(3, bool))
    np.testing.assert_array_equal(got, np.arange(3.0)[np.zeros(3, bool)])
    assert got.shape == (0,)


@pytest.mark.parametrize("kind", ["set", "inc"])
def test_set_and_inc_subtensor_with_empty_index(kind):
    v, k = T.dvector("v"), T.lvector("k")
    op = T.set_subtensor if kind == "set" else T.inc_subtensor
    got = function([v, k], op(v[k], 1.0))(np.arange(3.0), EMPTY)
    np.testing.assert_array_equal(got, np.arange(3.0))


def test_empty_index_into_empty_rows_and_int8():
    m, k = T.matrix("m", dtype="int8"), T.lvector("k")
    got = function([m, k], m[k])(np.zeros((0, 4), np.int8), EMPTY)
    assert got.shape == (0, 4) and got.dtype == np.int8


# --- item 4: unaligned inputs --------------------------------------------------
def unaligned(values, dtype="float64"):
    """An array of ``values`` whose data starts one byte past an aligned address."""
    values = np.asarray(values, dtype=dtype)
    raw = np.zeros(values.nbytes + 1, np.uint8)
    out = raw[1:].view(dtype).reshape(values.shape)
    out[...] = values
    assert not out.flags.aligned
    return out


def test_unaligned_scalar_plus_one():
    s = T.dscalar("s")
    got = function([s], s + 1)(unaligned(2.5))
    assert got.shape == () and got == 3.5


def test_reductions_of_unaligned_values_are_0d():
    s, v = T.dscalar("s"), T.dvector("v")
    assert function([s], T.any(s))(unaligned(1.0)).shape == ()
    got = function([v], T.max(v[-2]))(unaligned([1.0, 7.0, 3.0]))
    assert got.shape == () and got == 7.0


def test_unaligned_shared_value_and_constant():
    w = shared(unaligned([1.0, 2.0]))
    c = T.constant(unaligned([10.0, 20.0]))
    np.testing.assert_array_equal(function([], w * 2 + c)(), [12.0, 24.0])


# --- item 5: threads -----------------------------------------------------------
def run_threads(work, n_threads=4):
    errors = []

    def target(seed):
        try:
            work(seed)
        except BaseException as exc:       # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=target, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_no_lost_update_from_four_threads():
    s = shared(np.float64(0.0), "s")
    step = function([], [], updates=[(s, s + 1)])
    run_threads(lambda _: [step() for _ in range(3000)])
    assert s.get_value() == 12000


def test_two_functions_sharing_a_shared_variable():
    s = shared(np.zeros(1000), "s")
    up = function([], [], updates=[(s, s + 1)])
    down = function([], [], updates=[(s, s - 2)])
    total = function([], s.sum())
    seen = []

    def work(k):
        for _ in range(400):
            (up if k % 2 else down)()
            seen.append(float(total()) % 1000)   # every element moves together
    run_threads(work)
    np.testing.assert_array_equal(s.get_value(), np.full(1000, 2 * 400 * (1 - 2)))
    assert set(seen) == {0.0}


@pytest.mark.parametrize("graph", ["fused", "dot", "several outputs", "large",
                                   "reduction of changing lengths"])
def test_one_function_called_from_threads_on_their_own_inputs(graph):
    x, y = T.dvector("x"), T.dvector("y")
    n = 200_000 if graph == "large" else 64
    if graph == "dot":
        a = T.dmatrix("a")
        f = function([a, x], T.dot(a, x) + 1)
        args = lambda r: (r.standard_normal((8, 8)), r.standard_normal(8))   # noqa: E731
        reference = lambda a_, x_: [a_ @ x_ + 1]                            # noqa: E731
    elif graph == "several outputs":
        f = function([x, y], [x * y + 1, T.exp(x) - y, (x - y).sum()])
        args = lambda r: (r.standard_normal(n), r.standard_normal(n))        # noqa: E731
        reference = lambda a_, b_: [a_ * b_ + 1, np.exp(a_) - b_, (a_ - b_).sum()]  # noqa
    elif graph == "reduction of changing lengths":
        # a fused reduction keeps its plan between calls: each thread's new
        # length re-plans it while other threads call it
        f = function([x, y], ((x - y) ** 2).sum())
        args = lambda r: (r.standard_normal(m := int(r.integers(1, 300))),   # noqa: E731
                          r.standard_normal(m))
        reference = lambda a_, b_: [((a_ - b_) ** 2).sum()]                 # noqa: E731
    else:
        f = function([x, y], T.exp(x) * y + T.log(1 + x * x))
        args = lambda r: (r.standard_normal(n), r.standard_normal(n))        # noqa: E731
        reference = lambda a_, b_: [np.exp(a_) * b_ + np.log(1 + a_ * a_)]  # noqa: E731
    calls = 10 if graph == "large" else 250

    def work(seed):
        r = np.random.default_rng(seed)
        for _ in range(calls):
            inputs = args(r)
            got = f(*inputs)
            got = got if isinstance(got, list) else [got]
            for g, e in zip(got, reference(*inputs)):
                np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    run_threads(work)


# --- item 6: all or nothing ----------------------------------------------------
class Interrupting(Op):
    """Returns its input, or raises ``exc_type`` when the input's first value is 1."""

    __props__ = ("exc_type",)

    def __init__(self, exc_type):
        self.exc_type = exc_type

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        if inputs[0].size and inputs[0].flat[0] == 1:
            raise self.exc_type("raised on purpose")
        output_storage[0][0] = inputs[0].copy()

    def reference(self, node, x):
        return (x.copy(),)


def test_failing_call_applies_no_update():
    s, t = shared(np.float64(0.0), "s"), shared(np.zeros(3), "t")
    x = T.dvector("x")
    f = function([x], [], updates=[(s, s + 1), (t, t + x)])
    with pytest.raises(ValueError):
        f(np.zeros(4))
    assert s.get_value() == 0.0
    np.testing.assert_array_equal(t.get_value(), np.zeros(3))
    f(np.ones(3))
    assert s.get_value() == 1.0


def test_failing_gemm_update_applies_no_update():
    w, b = shared(np.ones((3, 3)), "w"), shared(np.zeros(3), "b")
    a, c = T.dmatrix("a"), T.dmatrix("c")
    f = function([a, c], [], updates=[(b, b + 1), (w, w - 0.1 * T.dot(a, c))])
    before = w.get_value()
    with pytest.raises(ValueError):
        f(np.ones((3, 2)), np.ones((3, 3)))
    np.testing.assert_array_equal(w.get_value(), before)
    np.testing.assert_array_equal(b.get_value(), np.zeros(3))


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, RuntimeError, MemoryError])
def test_exception_inside_a_node_applies_nothing(exc_type):
    s, t = shared(np.float64(0.0), "s"), shared(np.zeros(3), "t")
    x = T.dvector("x")
    out = Interrupting(exc_type)(x)
    f = function([x], out * 2, updates=[(s, s + 1), (t, t + out)])
    with pytest.raises(exc_type):
        f(np.ones(3))
    assert s.get_value() == 0.0
    np.testing.assert_array_equal(t.get_value(), np.zeros(3))
    np.testing.assert_array_equal(f(np.full(3, 2.0)), np.full(3, 4.0))
    assert s.get_value() == 1.0


def interrupted_by_timers(f, data, delays):
    """For each delay, 20 calls f(data) with a Ctrl-C from a timer after the
    delay; yields whether the KeyboardInterrupt was caught (it lands in a
    sleep after the calls if they ended first)."""
    for delay in delays:
        timer = threading.Timer(delay, _thread.interrupt_main)
        caught = False
        try:
            timer.start()
            for _ in range(20):
                f(data)
            time.sleep(0.5)
        except KeyboardInterrupt:
            caught = True
        timer.join()
        yield caught


def test_keyboard_interrupt_from_a_timer_leaves_a_consistent_state():
    """The state s, w (w in place) moves by whole steps, interrupted or not."""
    n = 500_000
    s, w = shared(np.float64(0.0), "s"), shared(np.zeros(n), "w")
    x = T.dvector("x")
    slow = T.exp(T.log(T.exp(T.log(x + 1))))
    f = function([x], [], updates=[(s, s + 1), (w, w + T.sum(slow) * 0 + 1)])
    interrupted = 0
    for caught in interrupted_by_timers(f, np.zeros(n), (0.0, 0.002, 0.005, 0.01, 0.02)):
        interrupted += caught
        value = w.get_value()
        assert value[0] == value[-1] == s.get_value()
    assert interrupted == 5


# --- item 7: errors keep their type --------------------------------------------
def test_memory_error_stays_a_memory_error_with_the_node():
    d = T.dvector("d")
    f = function([d], T.alloc(d, 10**7, 10**7))
    with pytest.raises(MemoryError) as info:
        f(np.zeros(1))
    notes = "\n".join(getattr(info.value, "__notes__", [str(info.value)]))
    assert "Alloc" in notes and "test_call_reliability.py" in notes


@pytest.mark.parametrize("exc_type", [FloatingPointError, IndexError, KeyError, OSError,
                                      ZeroDivisionError])
def test_exceptions_from_a_node_keep_their_type(exc_type):
    x = T.dvector("x")
    f = function([x], Interrupting(exc_type)(x) + 1)
    with pytest.raises(exc_type) as info:
        f(np.ones(2))
    text = str(info.value) + "\n".join(getattr(info.value, "__notes__", []))
    assert "Interrupting" in text and "raised on purpose" in text


def test_index_error_names_the_node():
    x = T.lvector("x")
    with pytest.raises(IndexError, match="out of bounds"):
        function([x], x[5])(np.zeros(2, "int64"))


def test_type_of_unaligned_filter_keeps_values():
    ttype = TensorType("float64", shape=(None,))
    got = ttype.filter(unaligned([1.0, 2.0, 3.0]))
    assert got.flags.aligned
    np.testing.assert_array_equal(got, [1.0, 2.0, 3.0])


def test_shared_variable_pickles_with_its_lock():
    import pickle
    s = shared(np.arange(3.0), "s")
    again = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(again.get_value(), np.arange(3.0))
    assert again.lock is not s.lock
    assert cytensor.function([], again * 2)().tolist() == [0.0, 2.0, 4.0]
