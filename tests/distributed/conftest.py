"""One real Dask cluster for the distributed tests: 2 worker processes, 1 thread each.

The workers' environment says OMP_NUM_THREADS=3, so kernels left to their
default would run on 3 threads: the tests can tell whether cytensor gave
them the worker's one thread instead.  The timeouts are generous because the
test machine has 2 busy cores.
"""
import distributed
import pytest


@pytest.fixture(scope="session")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, env={"OMP_NUM_THREADS": "3"},
                                       silence_logs=50)
    client = distributed.Client(cluster, timeout=120)
    client.wait_for_workers(2, timeout=120)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(autouse=True)
def two_workers(client):
    """Each test starts with both workers running: one killed by an earlier test
    may still be restarting (its nanny starts a fresh process)."""
    client.wait_for_workers(2, timeout=120)
