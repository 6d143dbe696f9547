"""Devices and the backends that run them: names, the registry, placement.

A device name is a backend's name and, for a backend with several devices,
a number: ``'cpu'``, ``'cuda'`` (the backend's default device), ``'cuda0'``,
``'cuda1'``.  A backend is a class found through the entry-point group
``cytensor.backends`` (importlib.metadata): the entry point's name is the
backend's name, its value ``module:Class`` (see cytensor/backends/base.py
for what the class provides).  Nothing is imported until a device of that
backend is asked for, so a backend whose libraries are missing costs
nothing until then, and then says what is missing.

Placement (``place``) runs once per compiled function, after the rewrites
and before linking: it gives every node a device, moves the nodes a
device's backend cannot run to the CPU (warning once per op and backend),
and writes every move of a value as an explicit Transfer node, so that
debugprint and the profile show them.  A call then only runs the schedule:
nothing about devices is decided per call.
"""
import importlib.metadata
import re
import warnings

from ..config import config
from ..graph import Constant, LaterStages
from ..tensor.sharedvar import SharedVariable
from ..tensor.transfer import Transfer

BACKEND_GROUP = "cytensor.backends"

# cytensor's own backends, exactly as pyproject.toml's
# [project.entry-points."cytensor.backends"] registers them (a test checks
# that the two agree).  Installed, cytensor's metadata carries these entry
# points and they are found like a third party's.  Run from a source tree
# (PYTHONPATH=src, as in development), no cytensor distribution is
# installed, importlib.metadata finds none of them, and the CPU backend,
# which every function needs, would be missing: so the same EntryPoint
# objects are made here, and used for the names the installed metadata lacks.
BUILTIN_ENTRY_POINTS = {
    name: importlib.metadata.EntryPoint(name=name, value=value, group=BACKEND_GROUP)
    for name, value in (("cpu", "cytensor.backends.cpu:CpuBackend"),
                        ("cuda", "cytensor.backends.cuda:CudaBackend"))}

# What to install when one of cytensor's own backends cannot be imported.
INSTALL_HINTS = {"cuda": "device=cuda needs the CuPy backend: pip install 'cytensor[cuda]'"}


class BackendUnavailable(ValueError):
    """A device was asked for whose backend is not installed or cannot run
    here; the message names what is missing."""


_classes = {}           # backend name -> its class, once loaded
_backends = {}          # canonical device name -> the backend object for it
_warned = set()         # (backend name, op class) already warned about


def entry_points():
    """{backend name: EntryPoint} of the ``cytensor.backends`` group, with
    cytensor's own backends added where the installed metadata lacks them."""
    found = dict(BUILTIN_ENTRY_POINTS)
    found.update((ep.name, ep) for ep in importlib.metadata.entry_points(group=BACKEND_GROUP))
    return found


def backend_names():
    """The names of the backends that can be asked for (not all may run here)."""
    return sorted(entry_points())


def parse_device(device):
    """('cuda', 1) for 'cuda1', ('cuda', None) for 'cuda', ('cpu', None) for 'cpu'."""
    match = re.fullmatch(r"([A-Za-z_]+?)(\d*)", str(device).strip())
    if match is None:
        raise ValueError(f"{device!r} is not a device name: use a backend's name, "
                         "optionally with a device number ('cpu', 'cuda', 'cuda0')")
    name, number = match.groups()
    return name, int(number) if number else None


def backend_class(name):
    """The class of backend ``name``, loaded from its entry point once."""
    if name in _classes:
        return _classes[name]
    found = entry_points()
    if name not in found:
        raise BackendUnavailable(
            INSTALL_HINTS.get(name) or
            f"no backend named {name!r} is installed (entry-point group {BACKEND_GROUP!r} "
            f"has {sorted(found)})")
    try:
        cls = found[name].load()
    except ImportError as exc:
        hint = INSTALL_HINTS.get(name, f"backend {name!r} ({found[name].value}) cannot be "
                                       "imported")
        raise BackendUnavailable(f"{hint} ({type(exc).__name__}: {exc})") from exc
    _classes[name] = cls
    return cls


def get_backend(device):
    """The backend object running ``device`` ('cpu', 'cuda', 'cuda1', ...).

    Raises BackendUnavailable, naming what is missing, when the backend is
    not installed or cannot run on this machine (the backend's
    ``check_available`` says why).
    """
    backend = _backends.get(device)
    if backend is not None:
        return backend
    name, number = parse_device(device)
    cls = backend_class(name)
    cls.check_available()
    canonical = cls.device_name(cls.default_device() if number is None else number)
    backend = _backends.get(canonical)
    if backend is None:
        backend = _backends[canonical] = cls(canonical)
    _backends[device] = backend
    return backend


def check_device_flag(device):
    """config.device's watcher: a device that cannot run is refused when it
    is set (at import, from the flags, or later), not at the first function.
    The CPU always runs (and its backend is loaded at the first compile:
    loading it here, while the compile stage is being imported, would
    import the stage from within itself)."""
    if device != "cpu":
        get_backend(device)


def warn_fallback(backend, node, reason):
    """Warn, once per backend and op class, that a node runs on the CPU."""
    key = (backend.name, type(node.op))
    if key in _warned:
        return
    _warned.add(key)
    warnings.warn(f"{backend.device} cannot run {node.op} ({reason}); it runs on the CPU, "
                  "with transfers to and from the device (debugprint shows them)",
                  RuntimeWarning, stacklevel=2)


LaterStages.get_backend = get_backend
config.watch("device", check_device_flag)
