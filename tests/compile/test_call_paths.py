"""The call paths Function prepares per function (no updates, updates without
and with a commit block, one lock or several) keep every guarantee of
docs/reliability.rst: outputs never alias storage, updates all or nothing,
locks released whatever happens, Ctrl-C held back over the commit only."""
import gc
import pickle
import signal
import threading
import weakref

import numpy as np
import pytest

import cytensor.tensor as T
from cytensor import In, Out, function, shared
from cytensor.compile.linker import broadcasts_to
from cytensor.config import change_flags
from cytensor.function import HeldBackInterrupt
from cytensor.kernels._call import Call, PlainCall
from cytensor.tensor.math import Gemm

from test_call_reliability import interrupted_by_timers


# --- no updates: outputs are still taken whole -----------------------------------
def test_output_that_is_an_input_is_a_copy():
    v = T.dvector("v")
    f = function([v], v)
    a = np.arange(3.0)
    out = f(a)
    assert out is not a and not np.shares_memory(out, a)
    np.testing.assert_array_equal(out, a)


def test_output_that_is_a_view_of_an_input_is_a_copy():
    v = T.dvector("v")
    f = function([v], v[1:])
    a = np.arange(4.0)
    out = f(a)
    assert not np.shares_memory(out, a)
    out[:] = -1
    np.testing.assert_array_equal(a, np.arange(4.0))


def test_output_that_is_a_shared_value_is_a_copy():
    s = shared(np.ones(3), "s")
    f = function([], s)
    out = f()
    out[:] = 5
    np.testing.assert_array_equal(s.get_value(), np.ones(3))


def test_the_same_output_twice_gives_two_arrays():
    v = T.dvector("v")
    f = function([v], [v + 1, v + 1])
    first, second = f(np.zeros(3))
    assert not np.shares_memory(first, second)


def test_a_returned_output_is_not_written_by_the_next_call():
    v = T.dvector("v")
    f = function([v], T.exp(v) + 1)
    first = f(np.zeros(5))
    f(np.ones(5))
    np.testing.assert_array_equal(first, np.full(5, 2.0))


def test_borrowed_output_may_be_storage_but_has_the_right_value():
    v = T.dvector("v")
    f = function([v], Out(v * 2, borrow=True))
    np.testing.assert_array_equal(f(np.arange(3.0)), [0.0, 2.0, 4.0])


def test_trusted_inputs_skip_the_checks_only():
    v = T.dvector("v")
    f = function([v], v + 1)
    f.trust_input = True
    np.testing.assert_array_equal(f(np.zeros(2)), [1.0, 1.0])
    assert f.copy().trust_input and pickle.loads(pickle.dumps(f)).trust_input
    f.trust_input = False
    with pytest.raises(TypeError, match="input 0"):
        f("not an array")


def test_bad_input_keeps_its_type_and_the_next_call_works():
    v = T.dvector("v")
    f = function([v], v + 1)
    with pytest.raises(TypeError, match="input 0"):
        f("not an array")
    np.testing.assert_array_equal(f(np.zeros(2)), [1.0, 1.0])


def test_allow_gc_frees_intermediates_and_keeps_results():
    v = T.dvector("v")
    with change_flags(allow_gc=True):
        f = function([v], T.dot(T.exp(v), T.exp(v)) + T.sum(v))
    a = np.arange(3.0)
    assert f(a) == pytest.approx(np.exp(a) @ np.exp(a) + a.sum())
    assert all(f.schedule.cells[out][0] is None
               for node in f.schedule.nodes for out in node.outputs)
    assert f(a) == pytest.approx(np.exp(a) @ np.exp(a) + a.sum())


def test_plain_default_is_put_back_without_updates():
    x = T.dscalar("x")
    f = function([In(x, value=1.0, name="x")], x * 2)
    f["x"] = 5.0
    assert f() == 10.0
    assert f() == 2.0


# --- updates ---------------------------------------------------------------------
def test_input_state_update_is_written():
    x = T.dscalar("x")
    f = function([In(x, value=0.0, update=x + 1)], x * 10)
    assert [float(f()) for _ in range(3)] == [0.0, 10.0, 20.0]
    assert f.value[x] == 3.0


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_failing_update_writes_nothing_with_or_without_a_commit_block(mode):
    s, t = shared(np.zeros(3), "s"), shared(np.zeros(3), "t")
    x = T.dvector("x")
    f = function([x], s.sum(), updates=[(s, s + 1), (t, t + x)], mode=mode)
    with pytest.raises(ValueError):
        f(np.zeros(4))
    np.testing.assert_array_equal(s.get_value(), np.zeros(3))
    np.testing.assert_array_equal(t.get_value(), np.zeros(3))
    assert f(np.ones(3)) == 0.0
    np.testing.assert_array_equal(t.get_value(), np.ones(3))


def test_in_place_update_with_broadcasting_inputs():
    s = shared(np.zeros((2, 3)), "s")
    row, x = T.dvector("row"), T.dmatrix("x")
    f = function([row, x], [], updates=[(s, s + row + x)])
    assert f.schedule.commit_thunks          # the update runs in place
    f(np.arange(3.0), np.ones((1, 3)))
    np.testing.assert_array_equal(s.get_value(), np.arange(3.0) + np.ones((2, 3)))
    with pytest.raises(ValueError, match="cannot be written over|broadcast"):
        f(np.arange(3.0), np.ones((4, 3)))     # the result would be 4 x 3
    np.testing.assert_array_equal(s.get_value(), np.arange(3.0) + np.ones((2, 3)))


def test_update_output_aliasing_the_new_value_is_a_copy():
    s = shared(np.zeros(3), "s")
    x = T.dvector("x")
    new = s + x
    f = function([x], new, updates=[(s, new)])
    out = f(np.ones(3))
    out[:] = 7
    np.testing.assert_array_equal(s.get_value(), np.ones(3))


@pytest.mark.parametrize("shapes", [((), (3,)), ((1,), (3,)), ((3,), (3,)), ((1, 3), (2, 3)),
                                    ((2,), (3,)), ((2, 3), (3,)), ((3, 1), (3, 4)),
                                    ((4,), (3, 1)), ((0,), (2, 0)), ((1,), (0,))])
def test_broadcasts_to_agrees_with_numpy(shapes):
    shape, target = shapes
    try:
        expected = np.broadcast_shapes(shape, target) == target
    except ValueError:
        expected = False
    assert broadcasts_to(shape, target) == expected


# --- locks -------------------------------------------------------------------------
def call_in_thread(f, *args, timeout=20):
    """f(*args) in another thread; its result, or the exception it raised."""
    result = []

    def target():
        try:
            result.append(f(*args))
        except BaseException as exc:      # noqa: BLE001 - returned to the test
            result.append(exc)
    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the call waited on a lock nobody holds"
    return result[0]


def test_call_waits_for_its_shared_variable_lock():
    s = shared(np.zeros(3), "s")
    f = function([], [], updates=[(s, s + 1)])
    done = threading.Event()
    with s.lock:
        thread = threading.Thread(target=lambda: (f(), done.set()))
        thread.start()
        assert not done.wait(0.2)        # held here: the call cannot start
        np.testing.assert_array_equal(s.container[0], np.zeros(3))
    thread.join(20)
    assert done.is_set()
    np.testing.assert_array_equal(s.get_value(), np.ones(3))


@pytest.mark.parametrize("exc_type", [ValueError, KeyboardInterrupt])
def test_locks_of_several_shared_variables_are_released_after_a_failure(exc_type):
    a, b, c = (shared(np.zeros(3), name) for name in "abc")
    x = T.dvector("x")
    f = function([x], [], updates=[(a, a + x), (b, b + 1), (c, c + 1)])
    if exc_type is KeyboardInterrupt:
        # the first commit check raises as a Ctrl-C would
        f.schedule.commit_checks[0] = lambda: (_ for _ in ()).throw(KeyboardInterrupt())
        bad = np.zeros(3)
    else:
        bad = np.zeros(4)
    with pytest.raises(exc_type):
        f(bad)
    for var in (a, b, c):
        np.testing.assert_array_equal(var.get_value(), np.zeros(3))
        assert call_in_thread(var.get_value) is not None    # its lock is free


def test_functions_taking_overlapping_locks_from_threads_lose_nothing():
    a, b, c = (shared(np.float64(0.0), name) for name in "abc")
    ab = function([], [], updates=[(a, a + 1), (b, b + 1)])
    bc = function([], [], updates=[(c, c + 1), (b, b + 1)])
    ca = function([], [], updates=[(c, c + 1), (a, a + 1)])
    errors = []

    def work(step):
        try:
            for _ in range(500):
                step()
        except BaseException as exc:      # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(step,)) for step in (ab, bc, ca, ab)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "deadlock"
    assert not errors, errors[0]
    assert (a.get_value(), b.get_value(), c.get_value()) == (1500.0, 1500.0, 1000.0)


# --- Ctrl-C held back over the commit block ---------------------------------------
def test_the_sigint_handler_is_put_back_after_calls():
    s = shared(np.zeros(3), "s")
    x = T.dvector("x")
    f = function([x], [], updates=[(s, s + x)])
    assert f.schedule.commit_thunks
    before = signal.getsignal(signal.SIGINT)
    f(np.ones(3))
    with pytest.raises(ValueError):
        f(np.ones(4))
    assert signal.getsignal(signal.SIGINT) is before


def test_a_held_back_interrupt_is_delivered_at_release():
    held = HeldBackInterrupt()
    previous = signal.getsignal(signal.SIGINT)
    received = []
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        held.hold()
        signal.raise_signal(signal.SIGINT)
        assert received == [] and held.pending
        held.release()
        assert received == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_in_place_update_from_another_thread_needs_no_hold_back():
    s = shared(np.zeros(3), "s")
    x = T.dvector("x")
    f = function([x], [], updates=[(s, s + x)])
    before = signal.getsignal(signal.SIGINT)
    assert call_in_thread(f, np.ones(3)) == []
    np.testing.assert_array_equal(s.get_value(), np.ones(3))
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_is_held_back_only_where_it_could_cut_the_commit():
    """One in-place elementwise update is written by one C call: nothing to
    hold back.  Two updates, or a commit block of several nodes, could be
    cut between two writes."""
    s, t = shared(np.zeros(3), "s"), shared(np.zeros(3), "t")
    x = T.dvector("x")
    one = function([x], [], updates=[(s, s + x)])
    assert len(one.schedule.commit_thunks) == 1 and not one._commit_can_be_cut()
    assert function([x], [], updates=[(s, s + x), (t, t + x)])._commit_can_be_cut()
    w, a, b = shared(np.zeros((3, 3)), "w"), T.dmatrix("a"), T.dmatrix("b")
    assert function([a, b], [], updates=[(w, w - 0.1 * T.dot(a, b))])._commit_can_be_cut()
    assert not function([x], x + 1)._commit_can_be_cut()


def test_one_in_place_update_interrupted_by_a_timer_is_whole():
    """Without a hold-back, a Ctrl-C during calls of a one-update function
    leaves the shared array written whole by every call it wrote at all."""
    n = 400_000
    w = shared(np.zeros(n), "w")
    x = T.dvector("x")
    f = function([x], [], updates=[(w, w + T.exp(T.log(T.exp(T.log(x + 1)))))])
    assert not f._commit_can_be_cut()
    for _ in interrupted_by_timers(f, np.zeros(n), (0.0, 0.002, 0.005, 0.01)):
        value = w.get_value()
        assert value[0] == value[-1] and (value == value[0]).all()


# --- the plain path (kernels._call.PlainCall) and the general one agree ----------
def test_which_functions_take_the_plain_path():
    v = T.dvector("v")
    s = shared(np.zeros(3), "s")
    assert function([v], v + 1)._call.__class__ is PlainCall
    assert function([v], s + v)._call.__class__ is PlainCall       # reads one shared value
    for general in (function([v], [v + 1, v * 2]), function([v], [], updates=[(s, s + v)]),
                    function([v], v + 1, profile=True)):
        assert general._call.__class__ is Call


def test_input_check_passes_exact_arrays_and_filters_the_rest():
    m, r = T.dmatrix("m"), T.drow("r")
    f = function([m, r], m + r)
    check_m, check_r = f._checks
    a, row = np.ones((2, 3)), np.ones((1, 3))
    assert check_m(a) is a and check_r(row) is row
    np.testing.assert_array_equal(f(a, np.arange(3.0)[None, :]), [[1.0, 2.0, 3.0]] * 2)
    swapped = np.arange(3.0).astype(">f8")[None, :]          # equal values, another dtype
    assert check_r(swapped).dtype == np.float64
    raw = np.zeros(8 * 6 + 1, dtype=np.uint8)[1:].view(np.float64).reshape(2, 3)
    assert not raw.flags.aligned and check_m(raw).flags.aligned
    assert check_m(np.ones((2, 3), dtype=np.float32)).dtype == np.float64
    assert check_m([[1.0, 2.0]]).shape == (1, 2)
    with pytest.raises(TypeError, match="input 1 .*dimension 0 must have length 1"):
        f(a, np.ones((2, 3)))
    with pytest.raises(TypeError, match="input 0 .*expected 2 dimensions, got 1"):
        f(np.ones(3), np.ones((1, 3)))
    with pytest.raises(TypeError, match="input 0"):
        f("not an array", np.ones((1, 3)))


def test_plain_path_keeps_the_node_context_and_the_error_type():
    m, k = T.dmatrix("m"), T.lvector("k")
    f = function([m, k], m[k])
    assert f._call.__class__ is PlainCall
    with pytest.raises(IndexError, match="Apply node that caused the error"):
        f(np.zeros((2, 2)), np.array([5]))
    np.testing.assert_array_equal(f(np.eye(2), np.array([1])), [[0.0, 1.0]])


@pytest.mark.parametrize("several_outputs", [False, True])
def test_large_outputs_are_recycled_only_once_dropped(several_outputs):
    v = T.dvector("v")
    outputs = [T.exp(v) + 1, v * 2] if several_outputs else T.exp(v) + 1
    f = function([v], outputs)
    first = f(np.zeros(300_000))           # 2.4 MB: kept for recycling
    kept = first[0] if several_outputs else first
    second = f(np.ones(300_000))
    second = second[0] if several_outputs else second
    np.testing.assert_array_equal(kept, np.full(300_000, 2.0))   # held: not written into
    del kept, first
    third = f(np.zeros(300_000))
    third = third[0] if several_outputs else third
    np.testing.assert_array_equal(third, np.full(300_000, 2.0))
    np.testing.assert_allclose(second, np.full(300_000, np.e + 1))


def test_keyword_inputs_on_the_plain_path():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = function([x, y], x * y)
    assert f._call.__class__ is PlainCall
    assert f(2.0, 3.0) == 6.0 and f(2.0, y=4.0) == 8.0 and f(y=1.0, x=3.0) == 3.0
    with pytest.raises(TypeError, match="takes 2 inputs"):
        f(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="missing input 1"):
        f(1.0)


@pytest.mark.parametrize("plain", [True, False])
def test_a_dropped_function_is_freed_at_once(plain):
    v = T.dvector("v")
    f = function([v], v + 1 if plain else [v + 1, v * 2])
    f(np.zeros(300_000))                  # keeps a large output for recycling
    ref = weakref.ref(f)
    gc.disable()
    try:
        del f
        assert ref() is None              # no reference cycle: freed without the GC
    finally:
        gc.enable()


def test_commit_block_node_that_overwrites_nothing():
    """A commit block may hold nodes that overwrite nothing next to those that
    do (here the 0-d cast beside the in-place updates); their check only
    asks that their inputs broadcast together."""
    from cytensor.compile.linker import commit_check
    x = T.dvector("x")
    node = (x + T.dvector("y")).owner
    assert not getattr(node.op, "destroy_map", {})
    check = commit_check(node, [[np.zeros(3)], [np.zeros(1)]])
    check()
    with pytest.raises(ValueError, match="do not broadcast"):
        commit_check(node, [[np.zeros(3)], [np.zeros(2)]])()
    # neither shape is the result: the C test declines, the Python check passes it
    commit_check((T.dmatrix("a") + T.dmatrix("b")).owner,
                 [[np.zeros((3, 1))], [np.zeros((1, 4))]])()


def _in_place_node(graph):
    """The first node of the commit block of function([...], [], updates=graph)."""
    return graph.schedule.commit_thunks[0].node


@pytest.mark.parametrize("values, error", [
    ((np.zeros((2, 3)), np.zeros(3)), None),
    ((np.zeros((2, 3)), np.zeros((1, 3))), None),
    ((np.zeros((2, 3)), np.float64(1.0)), None),            # a NumPy scalar: Python's check
    ((np.zeros((2, 3)), np.zeros((1, 3), dtype=np.float64)[:, ::-1]), None),
    ((np.zeros((2, 3)), np.zeros(4)), "cannot be written over|broadcast"),
    ((np.zeros((2, 3)), np.zeros((3, 3))), "cannot be written over|broadcast"),
    ((np.zeros(3), np.zeros((2, 3))), "cannot be written over"),
])
def test_elemwise_commit_check_agrees_with_numpy(values, error):
    """The C test of an in-place elementwise node and, past it, the Python
    check: the update fits exactly when NumPy broadcasts it onto the target."""
    from cytensor.compile.linker import commit_check
    s, x = shared(np.zeros((2, 3)), "s"), T.dmatrix("x")
    node = _in_place_node(function([x], [], updates=[(s, s + x)]))
    check = commit_check(node, [[v] for v in values])
    if error is None:
        check()
    else:
        with pytest.raises(ValueError, match=error):
            check()


@pytest.mark.parametrize("shapes, fits", [
    (((3, 4), (3, 2), (2, 4)), True),
    (((3, 4), (3, 2), (3, 4)), False),
    (((3, 5), (3, 2), (2, 4)), False),
    (((4, 4), (3, 2), (2, 4)), False),
])
def test_gemm_commit_check(shapes, fits):
    from cytensor.compile.linker import commit_check
    w, a, b = shared(np.zeros((3, 4)), "w"), T.dmatrix("a"), T.dmatrix("b")
    f = function([a, b], [], updates=[(w, w - 0.1 * T.dot(a, b))])
    node = next(t.node for t in f.schedule.commit_thunks if isinstance(t.node.op, Gemm))
    c, x, y = (np.zeros(shape) for shape in shapes)
    cells = [[c], [np.float64(-0.1)], [x], [y], [np.float64(1.0)]]
    check = commit_check(node, cells)
    if fits:
        check()
    else:
        with pytest.raises(ValueError, match="do not give"):
            check()


def test_a_compile_hands_what_it_made_to_the_oldest_collector_generation():
    """The first young collection after function() does not walk the
    compiled graph again: its nodes sit in the oldest generation.  Objects a
    user froze stay frozen."""
    x = T.dvector("x")
    y = x
    for _ in range(50):
        y = T.tanh(y) * 1.01
    assert gc.isenabled()
    f = function([x], y)
    node = f.maker.fgraph.toposort()[0]
    assert any(o is node for o in gc.get_objects(generation=2))
    gc.freeze()
    try:
        function([x], y * 2)
        assert gc.get_freeze_count() > 0      # unfreeze would have released them all
    finally:
        gc.unfreeze()


def test_inputs_of_static_lengths_are_checked_on_the_fast_path():
    """A row (and a declared length) passes the fast input check only when
    its lengths match; otherwise the type's filter explains the mismatch."""
    m, r = T.dmatrix("m"), T.drow("r")
    x = T.TensorType("float64", shape=(None, 3))("x")
    f = function([m, r, x], m + r + x)
    out = f(np.ones((2, 3)), np.full((1, 3), 2.0), np.full((2, 3), 3.0))
    np.testing.assert_array_equal(out, np.full((2, 3), 6.0))
    with pytest.raises(TypeError, match="dimension 0 must have length 1"):
        f(np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="dimension 1 must have length 3"):
        f(np.ones((2, 4)), np.ones((1, 4)), np.ones((2, 4)))


def test_profiled_commit_block_checks_first_and_times_each_node():
    """profile=True runs the same checks before the commit block (a bad
    shape writes nothing) and gives each of its nodes its own time."""
    w, b = shared(np.ones((3, 3)), "w"), shared(np.zeros(3), "b")
    a, c = T.dmatrix("a"), T.dmatrix("c")
    f = function([a, c], [], updates=[(b, b + 1), (w, w - 0.1 * T.dot(a, c))], profile=True)
    assert len(f.schedule.commit_thunks) >= 2
    with pytest.raises(ValueError, match="do not give"):
        f(np.ones((3, 2)), np.ones((3, 3)))
    np.testing.assert_array_equal(w.get_value(), np.ones((3, 3)))
    np.testing.assert_array_equal(b.get_value(), np.zeros(3))
    f(np.ones((3, 3)), np.ones((3, 3)))
    np.testing.assert_allclose(w.get_value(), np.ones((3, 3)) - 0.3)
    assert all(f.profile.node_time[t.node] > 0 for t in f.schedule.commit_thunks)
