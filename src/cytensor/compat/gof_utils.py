"""Theano's ``theano.gof.utils``: the names extensions import from it."""
from ..graph import Scratchpad as scratchpad                          # noqa: F401


class MethodNotDefined(NotImplementedError):
    """Raised by a method an Op or Type leaves undefined (Theano's name)."""
