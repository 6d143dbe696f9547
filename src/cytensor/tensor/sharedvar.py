"""Shared variables: graph inputs whose value lives between function calls.

A shared variable holds one array.  Every function that uses it reads the
current value, and a function's ``updates`` write new values after a call.
"""
import threading

import numpy as np

from ..config import config
from ..graph import LaterStages, Variable
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

    device = "cpu"              # where the value lives: a device name ('cpu', 'cuda0')

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None,
                 borrow=False, target="cpu"):
        super().__init__(type, name=name)
        self.strict, self.allow_downcast = strict, allow_downcast
        if target != "cpu":
            self.device = LaterStages.get_backend(target).device
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
            On a device, return the device's array (with ``borrow``, the
            stored one itself) instead of a NumPy copy.

        Returns
        -------
        numpy.ndarray, or the device's array type

        Examples
        --------
        >>> shared(numpy.arange(3.0)).get_value()
        array([0., 1., 2.])
        """
        with self.lock:          # not while a call may be overwriting it in place
            value = self.container[0]
            if self.device == "cpu":
                return value if borrow else value.copy()
            backend = LaterStages.get_backend(self.device)
            if not return_internal_type:
                return backend.to_numpy(value)
            return value if borrow else backend.copy(value)

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

        value = self._device_value(value, borrow) if self.device != "cpu" else \
            self._filtered(value, borrow)
        with self.lock:
            self.container[0] = value

    def _filtered(self, value, borrow):
        """``value`` as a NumPy array of the type (a copy unless ``borrow``)."""
        holder = LaterStages.array_backend(value)
        if holder is not None:              # another device's array: brought here
            value = holder.to_numpy(value)
        try:
            value = self.type.filter(value, strict=self.strict,
                                     allow_downcast=self.allow_downcast)
        except TypeError as e:
            raise TypeError(f"shared variable {self}: {e}") from None
        return value if borrow else value.copy()

    def _device_value(self, value, borrow):
        """``value`` as an array of this variable's device: one of its own
        arrays is checked against the type (and kept, with ``borrow``); any
        other value is filtered as on the CPU, then moved to the device."""
        backend = LaterStages.get_backend(self.device)
        if backend.is_array(value) and backend.device_of(value) == self.device:
            try:
                value = backend.check_array(self.type, value)
            except TypeError as e:
                raise TypeError(f"shared variable {self}: {e}") from None
            return value if borrow else backend.copy(value)
        return backend.asarray(self._filtered(value, borrow=True))

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
           broadcastable=None, shape=None, target=None):
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
    target : str, optional
        The device holding the value ('cpu', 'cuda', 'cuda1'...).  By
        default, as in Theano: an array goes to ``config.device`` (a
        device's array stays on its device), a Python number stays on the
        CPU (a learning rate, a counter).

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
    holder = LaterStages.array_backend(value)
    python_number = isinstance(value, (bool, int, float)) and not isinstance(value, np.generic)
    if target is None:
        target = holder.device if holder is not None else \
            config.device if isinstance(value, np.ndarray) else "cpu"
    if holder is not None:
        data = holder.to_numpy(value)           # for the type
    elif python_number:
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
    if holder is not None and target == holder.device:
        first, borrow = value, borrow          # the device's own array, checked there
    else:
        first, borrow = (data if borrow else data.copy()), True
    return TensorSharedVariable(ttype, first, name=name, strict=strict,
                                allow_downcast=allow_downcast, borrow=borrow, target=target)
