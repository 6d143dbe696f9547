"""Signal processing layers (Theano's ``theano.tensor.signal``): pooling."""
from . import pool                                        # noqa: F401
