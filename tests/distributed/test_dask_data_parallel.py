"""DataParallel on a real 2-worker LocalCluster: the same training as one machine,
identical parameters on every worker, and a worker lost in the middle of training."""
import os
import sys

import cloudpickle
import dask.array as da
import numpy as np
import pytest
from distributed.diagnostics.plugin import WorkerPlugin

import cytensor
import cytensor.tensor as T
from cytensor.distributed import DataParallel, WorkerFailure, sgd

# The workers cannot import this file: its plugins travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

TIMEOUT = 120      # seconds; the test machine has 2 busy cores


def data(n=203, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6))
    return x, (x[:, 0] + x[:, 1] ** 2 > 0.5).astype("int32")


def mlp(seed=1, reduce=T.mean):
    """A float64 tanh MLP; returns (inputs, cost, params)."""
    x, y = T.matrix("x"), T.ivector("y")
    rng = np.random.default_rng(seed)
    W1 = cytensor.shared(rng.uniform(-0.5, 0.5, (6, 8)), name="W1")
    b1 = cytensor.shared(np.zeros(8), name="b1")
    W2 = cytensor.shared(rng.uniform(-0.5, 0.5, (8, 2)), name="W2")
    b2 = cytensor.shared(np.zeros(2), name="b2")
    p_y = T.nnet.softmax(T.dot(T.tanh(T.dot(x, W1) + b1), W2) + b2)
    return [x, y], reduce(T.nnet.categorical_crossentropy(p_y, y)), [W1, b1, W2, b2]


def momentum(lr=0.2, mu=0.9):
    """An update rule with state of its own (one velocity per parameter)."""
    def rule(params, grads):
        updates = []
        for p, g in zip(params, grads):
            v = cytensor.shared(np.zeros_like(p.get_value()))
            updates += [(v, mu * v - lr * g), (p, p + mu * v - lr * g)]
        return updates
    return rule


def one_machine(rule, reduce=T.mean):
    inputs, cost, params = mlp(reduce=reduce)
    train = cytensor.function(inputs, cost, updates=rule(params, cytensor.grad(cost, params)))
    return train, params


def assert_same_params(params, reference, rtol=1e-12):
    for p, q in zip(params, reference):
        np.testing.assert_allclose(p.get_value(), q.get_value(), rtol=rtol, atol=1e-14,
                                   err_msg=p.name)


def test_fit_equals_one_machine_on_the_same_batches(client):
    x, y = data()
    inputs, cost, params = mlp()
    dp = DataParallel(cost, params, inputs, momentum(), client=client, timeout=TIMEOUT)
    costs = dp.fit(da.from_array(x, chunks=50), da.from_array(y, chunks=50), epochs=2,
                   batch_size=40)
    train, reference = one_machine(momentum())
    batches = dp.shard_batches(len(y), batch_size=40)
    assert sorted(np.concatenate(batches)) == list(range(len(y)))   # each row once an epoch
    expected = [train(x[rows], y[rows]) for _ in range(2) for rows in batches]
    np.testing.assert_allclose(costs, expected, rtol=1e-12)
    assert_same_params(params, reference)
    assert dp.steps_done == len(expected) == 12


def test_full_batch_gradient_descent_with_summed_cost(client):
    x, y = data(101)
    inputs, cost, params = mlp(reduce=T.sum)
    dp = DataParallel(cost, params, inputs, learning_rate=0.01, combine="sum", client=client,
                      timeout=TIMEOUT)
    costs = dp.fit(x, y, epochs=3)                      # NumPy arrays work too
    train, reference = one_machine(sgd(0.01), reduce=T.sum)
    np.testing.assert_allclose(costs, [train(x, y) for _ in range(3)], rtol=1e-12)
    assert_same_params(params, reference)


def test_every_worker_computes_with_the_driver_s_parameters_bit_for_bit(client):
    x, y = data(64)
    inputs, cost, params = mlp()
    dp = DataParallel(cost, params, inputs, learning_rate=0.5, client=client, timeout=TIMEOUT)
    train, reference = one_machine(sgd(0.5))
    for step in range(3):
        before = [p.get_value() for p in params]
        np.testing.assert_allclose(dp.step(x, y), train(x, y), rtol=1e-12)
        used = dp.worker_parameters()
        assert len(used) == 2
        for values in used.values():
            for v, b in zip(values, before):
                np.testing.assert_array_equal(v, b)
    assert_same_params(params, reference)


class KillWorkerOnGradient(WorkerPlugin):
    """Ends the worker process named ``victim`` as its ``nth`` gradient task starts;
    once only if ``once`` (a file marks that it happened), else every time until
    the file ``stop`` exists."""

    name = "test-kill-worker-on-gradient"

    def __init__(self, victim, marker, nth=1, once=True, stop=None):
        self.victim, self.marker, self.nth, self.once, self.stop = victim, marker, nth, once, stop
        self.seen = 0

    def setup(self, worker):
        self.worker = worker

    def transition(self, key, start, finish, **kwargs):
        if (finish != "executing" or self.worker.name != self.victim
                or not str(key).startswith("cytensor-gradient")):
            return
        self.seen += 1
        if self.seen < self.nth or (self.once and os.path.exists(self.marker)) \
                or (self.stop and os.path.exists(self.stop)):
            return
        open(self.marker, "w").close()
        os._exit(1)


def _worker_named(client, name):
    return next(addr for addr, w in client.scheduler_info(n_workers=-1)["workers"].items()
                if w["name"] == name)


def test_worker_lost_mid_training_the_step_is_retried(client, tmp_path):
    x, y = data()
    marker = str(tmp_path / "killed")
    client.register_plugin(KillWorkerOnGradient(victim=1, marker=marker, nth=3))
    try:
        inputs, cost, params = mlp()
        dp = DataParallel(cost, params, inputs, momentum(), client=client, timeout=TIMEOUT)
        costs = dp.fit(da.from_array(x, chunks=50), da.from_array(y, chunks=50), epochs=2,
                       batch_size=40)
    finally:
        client.unregister_worker_plugin(KillWorkerOnGradient.name)
        client.wait_for_workers(2, timeout=TIMEOUT)
    assert os.path.exists(marker), "the worker was not killed: the test proves nothing"
    train, reference = one_machine(momentum())
    expected = [train(x[rows], y[rows]) for _ in range(2)
                for rows in dp.shard_batches(len(y), batch_size=40)]
    np.testing.assert_allclose(costs, expected, rtol=1e-12)
    assert_same_params(params, reference)


def test_worker_that_keeps_dying_is_named_and_parameters_are_untouched(client, tmp_path):
    x, y = data(40)
    inputs, cost, params = mlp()
    dp = DataParallel(cost, params, inputs, learning_rate=0.1, client=client, timeout=TIMEOUT)
    dp.step(x, y)
    after_first = [p.get_value() for p in params]
    victim = _worker_named(client, 1)
    stop = str(tmp_path / "stop")
    allowed = client.run_on_scheduler(_set_allowed_failures, 0)
    client.register_plugin(KillWorkerOnGradient(victim=1, marker=str(tmp_path / "killed"),
                                                once=False, stop=stop))
    try:
        with pytest.raises(WorkerFailure, match=rf"step 2: .*{victim}.*still those after step 1"):
            dp.step(x, y)
    finally:
        open(stop, "w").close()
        client.unregister_worker_plugin(KillWorkerOnGradient.name)
        client.run_on_scheduler(_set_allowed_failures, allowed)
        client.wait_for_workers(2, timeout=TIMEOUT)
    for p, v in zip(params, after_first):
        np.testing.assert_array_equal(p.get_value(), v)
    assert dp.steps_done == 1
    dp.step(x, y)                                         # the cluster heals: training goes on
    assert dp.steps_done == 2


def _set_allowed_failures(n, dask_scheduler=None):
    """On the scheduler: set how many worker deaths a task may see; return the old value."""
    old = dask_scheduler.allowed_failures
    dask_scheduler.allowed_failures = n
    return old


def test_bad_arguments_are_named(client):
    inputs, cost, params = mlp()
    with pytest.raises(TypeError, match="either update_rule or learning_rate"):
        DataParallel(cost, params, inputs, client=client)
    with pytest.raises(ValueError, match="combine must be 'mean' or 'sum'"):
        DataParallel(cost, params, inputs, learning_rate=0.1, combine="avg", client=client)
    dp = DataParallel(cost, params, inputs, learning_rate=0.1, client=client, timeout=TIMEOUT)
    x, y = data(10)
    with pytest.raises(ValueError, match=r"different numbers of rows \[10, 9\]"):
        dp.step(x, y[:9])
    with pytest.raises(TypeError, match="got 1 arrays for 2 inputs"):
        dp.step(x)
    with pytest.raises(ValueError, match="batch_size 1 is smaller than the number of workers"):
        dp.fit(x, y, batch_size=1)
