"""Backends: the devices graphs run on (see base.py for the interface).

``cpu`` (cpu.py) runs the Cython kernels; ``reference`` (reference.py)
runs every op's NumPy reference on arrays of its own, the small complete
example of a backend; ``cuda`` is the CuPy backend.  Each is found through
the entry-point group ``cytensor.backends`` (compile/devices.py).
"""
from ..compile.devices import (BACKEND_GROUP, BackendUnavailable, backend_names,  # noqa: F401
                               get_backend, parse_device)
from .base import Backend  # noqa: F401
