"""Theano 0.7's ``theano.Param``: a function input with a default value."""
from ..function import In


def Param(variable, default=None, name=None, mutable=False, strict=False,
          allow_downcast=None):
    """Theano 0.7's name for In, whose ``default`` is In's ``value``:
    ``theano.Param(corruption_level, default=0.2)``.

    Parameters
    ----------
    variable : Variable
        The function's input.
    default : object, optional
        Its default value.
    name : str, optional
        Its keyword.
    mutable, strict, allow_downcast
        As for :class:`In`.

    Returns
    -------
    In

    Examples
    --------
    >>> x, level = T.dscalars('x', 'level')
    >>> f = theano.function([x, theano.Param(level, default=0.2)], x * level)
    >>> f(10.0), f(10.0, 0.5)
    (array(2.), array(5.))
    """
    return In(variable, name=name, value=default, mutable=mutable, strict=strict,
              allow_downcast=allow_downcast)
