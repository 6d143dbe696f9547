"""Shared variables: graph inputs whose value lives between function calls.

A shared variable holds one array.  Every function that uses it reads the
current value, and a function's ``updates`` write new values after a call.
"""
import threading

import numpy as np

from ..graph import Variable
from .type import TensorType, TensorVariable


class SharedVariable(Variable):
    """A Variable with a persistent value (``get_value``/``set_value``).

    Made by :func:`cytensor.shared`; every function that uses it reads its
    current value, and a function's ``updates`` write new ones.

    Parameters
    ----------
    type : Type
        Its type (a TensorType for arrays).
    value : array_like
        The first value, checked against the type.
    name : str, optional
        Its name in printed graphs.
    strict : bool
        Refuse values not exactly of the type's dtype.
    allow_downcast : bool, optional
        Accept values that lose precision when cast to the dtype.
    borrow : bool
        Keep ``value`` itself instead of a copy.

    Examples
    --------
    >>> w = shared(numpy.zeros(2), name='w')
    >>> x = T.dvector('x')
    >>> step = theano.function([x], w, updates=[(w, w + x)])
    >>> _ = step(numpy.array([1.0, 2.0]))
    >>> w.get_value()
    array([1., 2.])
    >>> w.set_value(numpy.array([5.0, 5.0]))
    >>> step(numpy.array([1.0, 1.0]))
    array([5., 5.])
    >>> w.get_value()
    array([6., 6.])
    """

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None,
                 borrow=False):
        super().__init__(type, name=name)
        self.strict, self.allow_downcast = strict, allow_downcast
        self.container = [None]      # the cell compiled functions read and write
        # held by every call of a function that uses this variable
        self.lock = threading.RLock()
        self.set_value(value, borrow=borrow)

    def get_value(self, borrow=False, return_internal_type=False):
        """The current value; a copy unless ``borrow``.

        Parameters
        ----------
        borrow : bool
            Return the stored array itself (later calls may overwrite it).
        return_internal_type : bool
            Accepted for Theano's signature (the value is always an ndarray).

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> shared(numpy.arange(3.0)).get_value()
        array([0., 1., 2.])
        """
        with self.lock:          # not while a call may be overwriting it in place
            value = self.container[0]
            return value if borrow else value.copy()

    def set_value(self, value, borrow=False):
        """Replace the value (checked against the type); copied unless ``borrow``.

        Parameters
        ----------
        value : array_like
            Of the variable's dtype and rank (cast when that loses nothing,
            or when ``allow_downcast``).
        borrow : bool
            Keep ``value`` itself instead of a copy.

        Returns
        -------
        None

        Raises
        ------
        TypeError
            If the value does not fit the type, naming the variable.

        Examples
        --------
        >>> w = shared(numpy.zeros(2), name='w')
        >>> w.set_value([3, 4])
        >>> w.get_value()
        array([3., 4.])
        >>> w.set_value(numpy.zeros((2, 2)))
        Traceback (most recent call last):
        ...
        TypeError: shared variable w: ...
        """

        try:
            value = self.type.filter(value, strict=self.strict,
                                     allow_downcast=self.allow_downcast)
        except TypeError as e:
            raise TypeError(f"shared variable {self}: {e}") from None
        value = value if borrow else value.copy()
        with self.lock:
            self.container[0] = value

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.RLock()

    def clone(self):
        return self      # a shared variable is the same everywhere it appears

    def __str__(self):
        return self.name if self.name is not None else f"<{self.type}>(shared)"


class TensorSharedVariable(SharedVariable, TensorVariable):
    """A shared array: usable wherever a symbolic tensor is."""


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False,
           broadcastable=None, shape=None):
    """A shared variable holding ``value`` (an array or a Python number).

    Shared variables keep their value between calls of compiled functions,
    which read them and update them in place (``updates=``).

    Parameters
    ----------
    value : array_like or Python number
        The initial value. Its dtype (Python floats are float64, Python
        ints int64, as in Theano) and number of dimensions give the type.
    name : str, optional
        Shown in printed graphs and pictures.
    strict : bool
        If True, ``set_value`` accepts only values of exactly the type.
    allow_downcast : bool, optional
        Let ``set_value`` cast values that would lose precision.
    borrow : bool
        Keep ``value`` itself instead of a copy.
    broadcastable, shape : tuple, optional
        Static shape information; no axis is broadcastable unless one of
        them says so, since the value may change shape later.

    Returns
    -------
    SharedVariable

    Raises
    ------
    TypeError
        If ``value`` is a symbolic variable.

    Examples
    --------
    >>> w = theano.shared(numpy.zeros(3), name="w")
    >>> w.type
    TensorType(float64, vector)
    >>> w.set_value(numpy.ones(3))
    >>> w.get_value()
    array([1., 1., 1.])
    """
    if isinstance(value, Variable):
        raise TypeError(f"shared() takes a value, not the symbolic variable {value}")
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        data = np.asarray(value, dtype="int64" if type(value) is int else
                          "bool" if type(value) is bool else "float64")
    else:
        try:
            data = np.asarray(value)
        except Exception as e:
            raise TypeError(f"shared() cannot hold {type(value).__name__}: {e}") from None
    if data.dtype == object:
        raise TypeError(f"shared() cannot hold {type(value).__name__} values")
    if shape is None:
        shape = ((None,) * data.ndim if broadcastable is None else
                 tuple(1 if b else None for b in broadcastable))
    ttype = TensorType(data.dtype.name, shape=shape)
    return TensorSharedVariable(ttype, data if borrow else data.copy(), name=name,
                                strict=strict, allow_downcast=allow_downcast, borrow=True)
