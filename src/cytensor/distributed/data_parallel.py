"""Synchronous data-parallel training on Dask workers.

The driver (the process that builds the model) owns the parameters, the
shared variables of the user's graph.  Each step:

1. every worker computes the cost and the gradients on its part of the
   batch, with the parameter values the driver sent it for this step;
2. the driver combines them: the mean of the parts' means weighted by their
   numbers of rows (the mean over the whole batch), or their sum;
3. the driver applies the update rule to its parameters (and to the rule's
   own state, a velocity say).

The workers keep no state between steps beyond their copy of the compiled
gradient function and their shard of the data, so every worker computes
with the same parameters, bit for bit, and a worker that dies mid-step costs
a retry: Dask recomputes its shard elsewhere and reruns its gradient, and the
update waits for all gradients, so it is never applied half-way.  A step
that cannot finish raises ``WorkerFailure`` naming the worker and leaves the
parameters as they were.
"""
import itertools
import uuid

import numpy as np

import dask.array as da
import distributed

from cytensor.distributed.workers import ship, worker_copy
from cytensor.function import function
from cytensor.gradient import grad


class WorkerFailure(RuntimeError):
    """A training step could not be computed because workers died."""


def sgd(learning_rate):
    """The update rule ``param - learning_rate * gradient``, Theano-style pairs."""
    def rule(params, grads):
        return [(p, p - np.asarray(learning_rate, p.dtype) * g) for p, g in zip(params, grads)]
    return rule


class DataParallel:
    """Train ``params`` to minimise ``cost`` with each step's batch split over Dask workers.

    cost: a scalar graph of ``inputs`` and of ``params`` (shared variables).
    inputs: the symbolic inputs a batch gives values to, rows first.
    update_rule: ``rule(params, grads) -> [(shared, new value), ...]``, the
        updates one would pass to ``function`` on one machine (``sgd(lr)``,
        or a rule with momentum); or give ``learning_rate`` for plain SGD.
    combine: "mean" when ``cost`` is a mean over rows (the parts' gradients
        are averaged weighted by their rows), "sum" when it is a sum.
    client: a ``distributed.Client`` (default: the current one).
    timeout: seconds a step may wait for its gradients (None: no limit).

    ``step(*batch)`` trains on NumPy arrays split among the workers;
    ``fit(*arrays, epochs, batch_size)`` first leaves one shard of the data
    on each worker and then moves only parameters and gradients.
    """

    def __init__(self, cost, params, inputs, update_rule=None, *, learning_rate=None,
                 combine="mean", client=None, timeout=None):
        if (update_rule is None) == (learning_rate is None):
            raise TypeError("DataParallel: give either update_rule or learning_rate")
        if combine not in ("mean", "sum"):
            raise ValueError(f"DataParallel: combine must be 'mean' or 'sum', not {combine!r}")
        self.params = list(params)
        self.inputs = list(inputs)
        self.combine = combine
        self.timeout = timeout
        self.client = client or distributed.get_client()
        self.steps_done = 0
        grads = grad(cost, self.params)
        # Workers get the parameters as inputs, not as shared variables of their own.
        param_inputs = [p.type(name=p.name) for p in self.params]
        self.gradient_function = function(
            self.inputs + param_inputs, [cost] + grads,
            givens=list(zip(self.params, param_inputs)), name="data_parallel_gradient")
        grad_inputs = [p.type(name=f"grad_{p.name}") for p in self.params]
        rule = update_rule or sgd(learning_rate)
        self.apply_gradients = function(grad_inputs, [], updates=rule(self.params, grad_inputs),
                                        name="data_parallel_update")
        self._key = ship(self.gradient_function, self.client)
        self._shards = None
        # Task keys never repeat (a retried step gets new ones): a key the
        # scheduler still remembers would hand back that task's old result.
        self._task_prefix = f"cytensor-gradient-{uuid.uuid4().hex[:8]}"
        self._step_tasks = itertools.count()

    # --- one step -----------------------------------------------------------
    def step(self, *batch):
        """One step on a batch of NumPy arrays (one per input), its rows split evenly
        among the workers.  Returns the batch's cost."""
        batch = [np.asarray(b) for b in batch]
        _check_rows(batch, len(self.inputs))
        workers = self._workers()
        values, n = self._param_values(), next(self._step_tasks)
        futures = [self.client.submit(_part_gradient, self._key, n, values,
                                      *[b[lo:hi] for b in batch],
                                      workers=[w], allow_other_workers=True, pure=False,
                                      key=f"{self._task_prefix}-{n}-{k}")
                   for k, (w, (lo, hi)) in enumerate(zip(workers, _shard_bounds(len(batch[0]),
                                                                                len(workers))))
                   if hi > lo]
        return self._finish_step(futures)

    # --- epochs over sharded data -------------------------------------------
    def fit(self, *arrays, epochs=1, batch_size=None, callback=None):
        """Train for ``epochs`` epochs on Dask (or NumPy) arrays, one per input.

        The rows are cut into one contiguous shard per worker, computed on
        that worker and kept there.  Step ``k`` of an epoch takes rows
        ``k*b`` to ``(k+1)*b`` of every shard, ``b = batch_size // n_workers``
        (all of each shard when ``batch_size`` is None: full-batch gradient
        descent).  It trains exactly like one machine fed, at step ``k``, the
        concatenation of those pieces (``shard_batches`` lists them).
        ``callback(dp, epoch, step, cost)``, if given, runs after each step.
        Returns the list of each step's cost.
        """
        self._shard(arrays)
        b = self._rows_per_part(batch_size)
        longest = max(self._shard_rows)
        costs = []
        for epoch in range(epochs):
            for k, start in enumerate(range(0, longest, b)):
                values, n = self._param_values(), next(self._step_tasks)
                futures = [self.client.submit(_shard_gradient, self._key, n, values, start,
                                              start + b, *shard, pure=False,
                                              key=f"{self._task_prefix}-{n}-{s}")
                           for s, (shard, rows) in enumerate(zip(self._shards, self._shard_rows))
                           if start < rows]
                costs.append(self._finish_step(futures))
                if callback is not None:
                    callback(self, epoch, k, costs[-1])
        return costs

    def shard_batches(self, n_rows, batch_size=None):
        """The row indices (into the whole data) of each step of an epoch of ``fit``
        with ``n_rows`` rows on the current workers: what one machine must see."""
        bounds = _shard_bounds(n_rows, len(self._workers()))
        b = self._rows_per_part(batch_size, bounds)
        longest = max(hi - lo for lo, hi in bounds)
        return [np.concatenate([np.arange(lo + start, min(lo + start + b, hi))
                                for lo, hi in bounds]) for start in range(0, longest, b)]

    def worker_parameters(self):
        """{worker address: the parameter values it used} for every worker that
        computed a part of the latest step: all equal, bit for bit.  (Dask may
        move a part to another worker, so a worker may have sat a step out.)"""
        last = {w: got for w, got in self.client.run(_last_parameters, self._key).items()
                if got is not None}
        latest = max((step for step, _ in last.values()), default=None)
        return {w: values for w, (step, values) in last.items() if step == latest}

    # --- helpers ------------------------------------------------------------
    def _workers(self):
        workers = sorted(self.client.scheduler_info(n_workers=-1)["workers"])
        if not workers:
            raise WorkerFailure("DataParallel: the cluster has no workers")
        return workers

    def _param_values(self):
        return [p.get_value(borrow=False) for p in self.params]

    def _rows_per_part(self, batch_size, bounds=None):
        if batch_size is None:
            rows = self._shard_rows if bounds is None else [hi - lo for lo, hi in bounds]
            return max(1, max(rows))
        n_parts = len(self._shards) if bounds is None else len(bounds)
        if batch_size < n_parts:
            raise ValueError(f"DataParallel: batch_size {batch_size} is smaller than the "
                             f"number of workers ({n_parts})")
        return batch_size // n_parts

    def _shard(self, arrays):
        _check_rows(arrays, len(self.inputs))
        workers = self._workers()
        bounds = _shard_bounds(len(arrays[0]), len(workers))
        self._shards, self._shard_rows = [], []
        for w, (lo, hi) in zip(workers, bounds):
            pieces = [da.asarray(x)[lo:hi] for x in arrays]
            # Computed on (and kept by) its worker; recomputable elsewhere if it dies.
            self._shards.append(self.client.compute(pieces, workers=[w],
                                                    allow_other_workers=True))
            self._shard_rows.append(hi - lo)
        distributed.wait([f for shard in self._shards for f in shard], timeout=self.timeout)

    def _finish_step(self, futures):
        """Wait for the parts' gradients, combine them and update the parameters."""
        step = self.steps_done + 1
        try:
            distributed.wait(futures, timeout=self.timeout)
            parts = self.client.gather(futures)
        except distributed.KilledWorker as e:
            raise WorkerFailure(
                f"DataParallel step {step}: workers kept dying while computing {e.task!r}; "
                f"the last one was {e.last_worker.address}. The parameters are still "
                f"those after step {step - 1}.") from e
        except TimeoutError as e:
            raise WorkerFailure(
                f"DataParallel step {step}: no gradients after {self.timeout} s from "
                f"{[f.key for f in futures if not f.done()]}. The parameters are still "
                f"those after step {step - 1}.") from e
        finally:
            for f in futures:
                f.release()
        cost, grads = self._combine(parts)
        self.apply_gradients(*grads)
        self.steps_done = step
        return cost

    def _combine(self, parts):
        rows = np.array([n for n, _ in parts], dtype=np.float64)
        weights = rows / rows.sum() if self.combine == "mean" else np.ones_like(rows)
        outputs = list(zip(*[values for _, values in parts]))
        combined = [sum(w * v.astype(np.float64) for w, v in zip(weights, vs)).astype(vs[0].dtype)
                    for vs in outputs]
        return float(combined[0]), combined[1:]


# On a worker: function key -> (step, the parameter values) of its latest gradient
_LAST_PARAMETERS = {}


def _part_gradient(key, step, param_values, *part):
    """Worker side: [cost, grads...] on one part of a batch."""
    _LAST_PARAMETERS[key] = step, param_values
    return len(part[0]), worker_copy(key)(*part, *param_values)


def _last_parameters(key):
    return _LAST_PARAMETERS.get(key)


def _shard_gradient(key, step, param_values, start, stop, *shard):
    """Worker side: [cost, grads...] on rows start:stop of this worker's shard."""
    return _part_gradient(key, step, param_values, *[x[start:stop] for x in shard])


def _shard_bounds(n_rows, n_shards):
    """(first row, end row) of each of ``n_shards`` contiguous shards of ``n_rows`` rows."""
    edges = np.linspace(0, n_rows, n_shards + 1).astype(int)
    return [(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:])]


def _check_rows(arrays, n_inputs):
    if len(arrays) != n_inputs:
        raise TypeError(f"DataParallel: got {len(arrays)} arrays for {n_inputs} inputs")
    lengths = {len(x) for x in arrays}
    if len(lengths) != 1:
        raise ValueError(f"DataParallel: the arrays have different numbers of rows "
                         f"{[len(x) for x in arrays]}")
    if not lengths.pop():
        raise ValueError("DataParallel: the batch is empty")
