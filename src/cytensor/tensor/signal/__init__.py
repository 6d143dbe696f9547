"""Signal processing layers (Theano's ``theano.tensor.signal``): pooling.

``downsample``, Theano's older module name for the same pooling, is made by
cytensor.compat.
"""
from . import pool                            # noqa: F401
