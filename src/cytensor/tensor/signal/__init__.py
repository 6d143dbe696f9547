"""Signal processing layers (Theano's ``theano.tensor.signal``): pooling.

``downsample`` is Theano's older module name for the same pooling.
"""
from . import downsample, pool                            # noqa: F401
