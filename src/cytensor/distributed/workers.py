"""What lives on each Dask worker: its kernel threads and its copies of functions.

A compiled function pickles to its definition and is compiled again when it
is unpickled, so it is shipped to each worker once, as a worker plugin: the
scheduler keeps the plugin and hands it to every worker, including workers
that join (or are restarted) later, and the plugin's ``setup`` unpickles the
function into this module's table.  Tasks then name the function by a short
key instead of carrying it, so a thousand blocks cost one transfer and one
compilation per worker.

A compiled function reuses its intermediate buffers from call to call, so
one copy must not run in two threads at once: each copy has a lock, and a
worker runs one block at a time through it, its kernels on all the threads
Dask gave the worker (``KernelThreads``).
"""
import collections
import hashlib
import pickle
import threading

from distributed.diagnostics.plugin import WorkerPlugin

from cytensor.threadpool import limit_threads

# key -> WorkerCopy, filled by ShipFunction.setup in the worker's process
_COPIES = {}
# key -> how many times this process unpickled (compiled) that function
_LOADS = collections.Counter()


class WorkerCopy:
    """A worker's copy of a compiled function, and the lock that serialises its calls."""

    def __init__(self, function):
        self.function = function
        self.lock = threading.Lock()

    def __call__(self, *args):
        with self.lock:
            return self.function(*args)


class ShipFunction(WorkerPlugin):
    """Put one copy of a compiled function on every worker, under ``self.key``."""

    idempotent = True    # registering the same function again changes nothing

    def __init__(self, function):
        self.payload = pickle.dumps(function)
        self.key = hashlib.sha256(self.payload).hexdigest()[:16]
        self.name = f"cytensor-function-{self.key}"

    def setup(self, worker):
        _COPIES[self.key] = WorkerCopy(pickle.loads(self.payload))
        _LOADS[self.key] += 1

    def teardown(self, worker):
        _COPIES.pop(self.key, None)


class KernelThreads(WorkerPlugin):
    """Run each worker's kernels (and BLAS) on the worker's ``nthreads`` threads,
    or on ``n_threads`` when given, instead of on every core of the host."""

    name = "cytensor-kernel-threads"
    idempotent = True    # a KernelThreads the user registered first stays

    def __init__(self, n_threads=None):
        self.n_threads = n_threads

    def setup(self, worker):
        limit_threads(self.n_threads or worker.state.nthreads)


def worker_copy(key):
    """The copy of function ``key`` that ShipFunction put on this worker."""
    try:
        return _COPIES[key]
    except KeyError:
        raise RuntimeError(f"cytensor function {key} was not shipped to this worker; "
                           "ship it first (cytensor.distributed.ship)") from None


def loaded_functions():
    """{function key: times unpickled} in this process (run it on workers with client.run)."""
    return dict(_LOADS)


def ship(function, client):
    """Send ``function`` to every worker of ``client`` (once each) and return its key.

    Also gives the workers' kernels their threads (``KernelThreads``), unless
    the user registered a ``KernelThreads`` of their own first.
    """
    client.register_plugin(KernelThreads())
    plugin = ShipFunction(function)
    client.register_plugin(plugin)
    return plugin.key
