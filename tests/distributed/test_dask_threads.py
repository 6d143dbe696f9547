"""Each Dask worker's kernels run on the threads Dask gives the worker."""
import os

import dask.array as da
import numpy as np

import cytensor
import cytensor.tensor as T
from cytensor.distributed import map_blocks


def _threads_and_environment():
    return cytensor.kernels.get_num_threads(), os.environ.get("OMP_NUM_THREADS")


def test_worker_kernels_use_the_worker_s_nthreads_not_the_default(client):
    x = T.vector("x")
    f = cytensor.function([x], x * 3, name="triple")
    np.testing.assert_array_equal(map_blocks(f, da.arange(10.0, chunks=5)).compute(),
                                  np.arange(10.0) * 3)
    nthreads = {addr: w["nthreads"] for addr, w in client.scheduler_info()["workers"].items()}
    # The workers were started with OMP_NUM_THREADS=3: left alone, the kernels
    # would take 3 threads; each worker has 1.
    for addr, (threads, env) in client.run(_threads_and_environment).items():
        assert env == "3"
        assert threads == nthreads[addr] == 1
