"""Theano 0.7's ``theano.tensor.signal.downsample``, kept so that code written
for it (``downsample.max_pool_2d(input, ds=(2, 2), ignore_border=True)``)
still runs: pooling now lives in ``cytensor.tensor.signal.pool``."""
from ..tensor.signal.pool import max_pool_2d                              # noqa: F401
