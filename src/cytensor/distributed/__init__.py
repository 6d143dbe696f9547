"""cytensor on a Dask cluster: ``pip install "cytensor[distributed]"``.

* ``map_blocks(f, x)``: a compiled function over a Dask array, block of rows
  by block of rows, the function shipped once per worker.
* ``DataParallel``: synchronous data-parallel SGD; each worker computes the
  gradient on its shard, the driver combines them and updates the parameters.
* ``KernelThreads``: the worker plugin that runs each worker's kernels on the
  threads Dask gives the worker (both of the above register it).

This package sits above the compile stage: it uses ``function`` and
``grad``; nothing else in cytensor imports it.  See docs/distributed.rst.
"""
from cytensor.distributed.blocks import map_blocks
from cytensor.distributed.data_parallel import DataParallel, WorkerFailure, sgd
from cytensor.distributed.workers import KernelThreads, loaded_functions, ship

__all__ = ["map_blocks", "DataParallel", "WorkerFailure", "sgd", "KernelThreads",
           "loaded_functions", "ship"]
