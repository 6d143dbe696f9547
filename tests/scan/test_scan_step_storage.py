"""Scan runs its step straight on the step function's storage cells
(``Function.looping``): each node writes into the array it made the step
before, so the rows written into the results must be copies, every call
must start afresh, and the function's lock is held over the whole loop."""
import threading

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.scan import Scan


def test_every_row_is_its_own_step_and_calls_do_not_share_results():
    """The step's output (and an intermediate it also returns) are made in
    the same storage each step; the results still hold every step's value."""
    x = T.dmatrix("x")
    h0 = T.dvector("h0")

    def step(x_t, h):
        new = T.tanh(x_t + h)
        return new, new * 2

    (hs, doubled), _ = theano.scan(step, sequences=x, outputs_info=[h0, None])
    fn = theano.function([x, h0], [hs, doubled])
    rng = np.random.default_rng(0)
    results = []
    for _ in range(2):
        xv, hv = rng.normal(size=(6, 3)), rng.normal(size=3)
        expected, h = [], hv
        for row in xv:
            h = np.tanh(row + h)
            expected.append(h)
        results.append((fn(xv, hv), np.array(expected)))
    for (got_h, got_doubled), expected in results:      # the first call's kept too
        np.testing.assert_allclose(got_h, expected, rtol=1e-12)
        np.testing.assert_allclose(got_doubled, 2 * expected, rtol=1e-12)


def test_until_stops_on_the_condition_read_from_its_cell():
    acc = T.dscalar("acc")
    values, _ = theano.scan(lambda a: (a * 2, theano.scan_module.until(a * 2 > 50)),
                            outputs_info=acc, n_steps=100)
    np.testing.assert_array_equal(theano.function([acc], values)(1.0),
                                  [2, 4, 8, 16, 32, 64])


def test_looping_holds_the_step_lock_and_refuses_functions_with_updates():
    x = T.dvector("x")
    fn = theano.function([x], x * 2)
    with fn.looping() as (inputs, run, outputs):
        inputs[0][0] = np.arange(3.0)
        run()
        np.testing.assert_array_equal(outputs[0][0], [0, 2, 4])
        taken = []
        other = threading.Thread(target=lambda: taken.append(fn._lock.acquire(timeout=0.05)))
        other.start()
        other.join()
        assert taken == [False]        # another thread waits for the loop to end
    counter = theano.shared(0.0)
    with_updates = theano.function([x], x, updates=[(counter, counter + 1)])
    with pytest.raises(ValueError, match="updates"):
        with with_updates.looping():
            pass


def test_two_threads_running_one_scan_get_their_own_results():
    """Two functions share a Scan op, hence its compiled step and cells: the
    step's lock keeps their loops apart."""
    x = T.dmatrix("x")
    hs, _ = theano.scan(lambda x_t, h: T.tanh(x_t + h), sequences=x,
                        outputs_info=T.zeros_like(x[0]))
    first, second = theano.function([x], hs), theano.function([x], hs)
    assert {n.op for n in first.maker.fgraph.toposort() if isinstance(n.op, Scan)} == \
        {n.op for n in second.maker.fgraph.toposort() if isinstance(n.op, Scan)}
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(200, 4)) for _ in range(2)]
    expected = [first(v) for v in inputs]
    got = [None, None]

    def work(k, fn):
        for _ in range(5):
            got[k] = fn(inputs[k])

    threads = [threading.Thread(target=work, args=(k, fn)) for k, fn in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
