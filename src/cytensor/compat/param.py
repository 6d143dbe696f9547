"""Theano 0.7's ``theano.Param``: a function input with a default value."""
from ..function import In


def Param(variable, default=None, name=None, mutable=False, strict=False,
          allow_downcast=None):
    """Theano 0.7's name for In, whose ``default`` is In's ``value``:
    ``theano.Param(corruption_level, default=0.2)``."""
    return In(variable, name=name, value=default, mutable=mutable, strict=strict,
              allow_downcast=allow_downcast)
