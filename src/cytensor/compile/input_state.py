"""Inputs that keep a value inside a compiled function (Theano's ``In``
with ``value=`` and ``update=``), and the input shortcuts Theano accepted.

Each such input owns a ``Container``: the value used when a call leaves
the input out.  An input with ``update=expr`` is a state: after every call
its container receives the value of ``expr`` (computed, like shared
updates, from the values before the call).  A plain default (no update)
may be changed with ``fn['name'] = v`` for the next call only, after which
it is put back, as Theano did.  Two functions share a state when the
second is given the first's container: ``In(s, value=f.container[s])``.
"""
import numpy as np


class Container:
    """One value held by a compiled function, readable as ``.value`` and by
    the function's kernels as ``container[0]``."""

    def __init__(self, variable, value=None):
        self.variable = variable
        self.storage = [None]
        if value is not None:
            self.value = value

    @property
    def value(self):
        return self.storage[0]

    @value.setter
    def value(self, value):
        self.storage[0] = self.variable.type.filter(value, allow_downcast=None)

    def __getitem__(self, index):
        return self.storage[index]

    def __setitem__(self, index, value):
        self.storage[index] = value

    def __repr__(self):
        return f"<Container of {self.variable}: {self.storage[0]!r}>"


def input_tuple_options(spec, position):
    """Theano's tuple shortcuts for an input: ``(var, default)`` and
    ``((var, update), default)``, each optionally led by a name
    (``('name', var, default)``), as the keyword arguments of ``In``."""
    parts = list(spec)
    name = parts.pop(0) if parts and isinstance(parts[0], str) else None
    if len(parts) == 2 and isinstance(parts[0], (list, tuple)) and len(parts[0]) == 2:
        (variable, update), value = parts
    elif len(parts) in (1, 2) and not isinstance(parts[0], (list, tuple)):
        variable, update, value = parts[0], None, parts[1] if len(parts) == 2 else None
    else:
        raise TypeError(f"function() input {position}: {spec!r} is not an input form; use "
                        "a variable, (variable, default), ((variable, update), default) "
                        "or In(variable, value=..., update=...)")
    return dict(variable=variable, name=name, value=value, update=update)


class InputState:
    """The containers of one compiled function's valued inputs, and the
    writing back after a call (updates kept, plain defaults put back)."""

    def __init__(self, ins):
        self.ins = ins
        self.containers = {}          # input position -> Container
        self.originals = {}           # position -> the default a plain input returns to
        for k, i in enumerate(ins):
            if isinstance(i.value, Container):
                self.containers[k] = i.value
            elif i.value is not None or i.update is not None:
                self.containers[k] = Container(i.variable, i.value)
                if i.update is None:
                    self.originals[k] = self.containers[k].value
        self.updated = [k for k, i in enumerate(ins) if i.update is not None]

    def default(self, position):
        """The value to use for an input the call left out, or None."""
        container = self.containers.get(position)
        return None if container is None else container.value

    def restore_defaults(self):
        for k, value in self.originals.items():
            self.containers[k].storage[0] = value

    def position(self, key):
        """The input a key names: its position, its variable or its name."""
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if 0 <= key < len(self.ins):
                return int(key)
        else:
            for k, i in enumerate(self.ins):
                if i.variable is key or (isinstance(key, str) and i.name == key):
                    return k
        raise KeyError(f"this function has no input {key!r}")

    def container(self, key):
        k = self.position(key)
        if k not in self.containers:
            raise KeyError(f"input {key!r} of this function holds no value; give it one "
                           "with In(var, value=...)")
        return self.containers[k]

    def copy_values_to(self, other):
        """Start another function's containers (a copy of this one's
        function) from copies of the values held here now."""
        for k, c in self.containers.items():
            other.containers[k].storage[0] = None if c.value is None else np.copy(c.value)


class ValueView:
    """``fn.value[key]``: read or set the value an input holds."""

    def __init__(self, state):
        self._state = state

    def __getitem__(self, key):
        return self._state.container(key).value

    def __setitem__(self, key, value):
        self._state.container(key).value = value

    def __contains__(self, key):
        try:
            self._state.container(key)
        except KeyError:
            return False
        return True


class ContainerView(ValueView):
    """``fn.container[key]``: the Container itself, to share with another function."""

    def __getitem__(self, key):
        return self._state.container(key)

    def __setitem__(self, key, value):
        raise TypeError("fn.container[...] cannot be replaced; set fn.value[key] or "
                        "fn[key] to change the value it holds")
