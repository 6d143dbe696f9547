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

import numpy as np

from ..config import config
from ..graph import Constant, LaterStages
from ..tensor.sharedvar import SharedVariable
from ..tensor.transfer import Transfer
from ..tensor.type import TensorType

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


def array_backend(value):
    """The backend (among those loaded) whose array ``value`` is, on its
    device; None for anything else (NumPy arrays included)."""
    if isinstance(value, np.ndarray):
        return None
    for backend in list(_backends.values()):
        if backend.name != "cpu" and backend.is_array(value):
            return get_backend(backend.device_of(value))
    return None


def to_host(value):
    """``value`` as NumPy sees it: a device's array through its backend's
    ``to_numpy`` (a copy), anything else as it is (what a debugging mode
    reads a node's values with, wherever the node runs)."""
    backend = array_backend(value)
    return value if backend is None else backend.to_numpy(value)


# ---------------------------------------------------------------------------
# Placement: which device runs each node, and the transfers between them
# ---------------------------------------------------------------------------

class Placement:
    """Where a compiled function's nodes run, as ``place`` decided.

    backends: {node: backend} (a node absent runs on the CPU); transfers:
    {Transfer node: (source backend, target backend)}; held: {variable:
    backend} for the variables a device holds; input_backends: {function
    input: the non-CPU backends its transfers move it to}.
    """

    def __init__(self, cpu):
        self.cpu = cpu
        self.backends, self.transfers, self.held, self.input_backends = {}, {}, {}, {}
        self.moved = {}         # (variable, device) -> the variable moved there

    def backend(self, node):
        return self.backends.get(node, self.cpu)

    def holder(self, var):
        """The backend holding ``var``'s value (the CPU for NumPy values)."""
        return self.held.get(var, self.cpu)

    @property
    def all_cpu(self):
        return not self.transfers and not self.backends


def _is_tensor(var):
    return isinstance(var.type, TensorType)


def _on_a_device(var):
    """Whether ``var`` is a shared variable whose value a device other than the CPU holds."""
    return isinstance(var, SharedVariable) and var.device != "cpu"


def place(fgraph):
    """Give every node of ``fgraph`` a device and add the transfers between
    them (an edit of ``fgraph``); returns the Placement.

    The rules, Theano's: a node runs where its inputs are held (the first
    held by a device other than the CPU), else on config.device.  Function
    inputs, constants and shared variables on the CPU are held nowhere in
    particular: they go where their readers run.  A Transfer puts its
    output where it says; one to where the value already is is removed.  A
    node the device's backend cannot run runs on the CPU (warned once), and
    its results, held nowhere in particular, go back to the device for
    the nodes after it.
    Outputs come back as NumPy arrays, but for those the user asked for as
    device arrays (an output that is ``x.transfer(device)``); a new shared
    value goes to its variable's device.
    An op's inner graph run on a device (``fgraph.inputs_on``, see
    compile_inner_graph) has its inputs held there and its outputs stay
    there, so a loop's steps pass device arrays to each other directly.
    """
    cpu = get_backend("cpu")
    placement = Placement(cpu)
    nodes = fgraph.toposort()
    inputs_on = getattr(fgraph, "inputs_on", None)
    if inputs_on is None and config.device == "cpu" and not any(
            isinstance(node.op, Transfer) or any(_on_a_device(v) for v in node.inputs)
            for node in nodes):
        return placement                # the CPU's graph, untouched
    # An inner graph runs on its loop's device, whatever config.device says
    # (read from the fgraph, not a flag, so a compile in another thread is unaffected).
    default = get_backend(config.device if inputs_on is None else inputs_on)
    home = cpu if inputs_on is None else default                  # where outputs go
    asked = {k for k, var in enumerate(fgraph.outputs)
             if var.owner is not None and isinstance(var.owner.op, Transfer)
             and var.owner.op.target not in (None, "cpu")}
    held = placement.held
    if home is not cpu:
        held.update((var, home) for var in fgraph.inputs if _is_tensor(var))
    for node in nodes:
        for var in node.inputs:
            if _on_a_device(var):
                held[var] = get_backend(var.device)
    for node in nodes:
        if isinstance(node.op, Transfer):
            _place_transfer(fgraph, node, placement)
        else:
            _place_node(fgraph, node, placement, default)
    for k, var in enumerate(list(fgraph.outputs)):
        if not _is_tensor(var) or (k in asked and k not in fgraph.updated):
            continue
        target = (get_backend(fgraph.updated[k].device) if k in fgraph.updated
                  and _on_a_device(fgraph.updated[k]) else home)
        _move_for(fgraph, "output", k, target, placement)
    return placement


def _place_node(fgraph, node, placement, default):
    """Choose the node's backend and move its inputs there."""
    cpu = placement.cpu
    holders = [placement.held[v] for v in node.inputs if v in placement.held]
    backend = next((b for b in holders if b is not cpu), cpu if holders else default)
    reason = None if backend is cpu else backend.cannot_run(node)
    if reason is not None:
        warn_fallback(backend, node, reason)
        backend = cpu
    if backend is not cpu:
        placement.backends[node] = backend
    for k, var in enumerate(list(node.inputs)):
        if _is_tensor(var) and not isinstance(var, Constant):
            _move_for(fgraph, node, k, backend, placement)
    if reason is None:      # a fallback's results, like inputs, go where their readers run
        for var in node.outputs:
            if _is_tensor(var):
                placement.held[var] = backend


def _place_transfer(fgraph, node, placement):
    """A transfer in the graph (the user's, or a gradient's): kept, with its
    source and target, or removed when the value is already there."""
    x = node.inputs[0]
    source = placement.holder(x)
    if node.op.target is not None:
        target = get_backend(node.op.target)
    else:                               # a gradient's: to where `like` is held
        target = placement.held.get(node.inputs[1])
    if target is None or target is source:
        fgraph.replace(node.outputs[0], x, reason="transfer_to_where_it_is")
        return
    placement.transfers[node] = (source, target)
    placement.held[node.outputs[0]] = target


_moves = "placement"         # the reason fgraph's trace shows for an inserted transfer


def _move_for(fgraph, client, k, target, placement):
    """Make input ``k`` of ``client`` (a node, or 'output') read its value
    on ``target``, through a Transfer node made once per value and device."""
    var = fgraph.outputs[k] if client == "output" else client.inputs[k]
    source = placement.holder(var)
    if source is target:
        return
    moved = placement.moved.get((var, target.device))
    if moved is None:
        moved = placement.moved[(var, target.device)] = Transfer(target.device)(var)
        moved.owner.tag.trace = getattr(var.owner.tag, "trace", None) if var.owner else None
        placement.transfers[moved.owner] = (source, target)
        placement.held[moved] = target
        if var in fgraph.inputs and target is not placement.cpu:
            placement.input_backends.setdefault(var, []).append(target)
    fgraph.change_input(client, k, moved, reason=_moves)


def transfer_thunk(source, target, input_cells, output_cells):
    """The thunk of a Transfer node from ``source`` to ``target``.  From
    the CPU, ``target.asarray`` takes the target's own arrays as they are:
    a function input may be given either."""
    (x,), (out,) = input_cells[:1], output_cells
    if source.name == "cpu":
        asarray = target.asarray

        def thunk():
            out[0] = asarray(x[0])
    elif target.name == "cpu":
        to_numpy = source.to_numpy

        def thunk():
            out[0] = to_numpy(x[0])
    else:
        def thunk():
            out[0] = target.transfer_from(source, x[0])
    return thunk


def device_input_check(check, var, placement):
    """The input check of a function input some transfer moves to a
    device: that device's arrays are taken as they are (checked against
    the type), unless a CPU node reads the input too (then they come back
    to NumPy first); anything else goes through the usual ``check``.  An
    input a device holds (an inner graph's, see ``place``) takes its
    arrays, and anything else through ``check`` and on to the device."""
    holder = placement.held.get(var)
    if holder is not None:
        ttype = var.type

        def held_check(value):
            if not holder.is_array(value):
                value = holder.asarray(check(value))
            return holder.check_array(ttype, value)
        return held_check
    backends = placement.input_backends.get(var)
    if not backends:
        return check
    backend = backends[0]
    read_on_cpu = any(client == "output" or (client not in placement.transfers
                                             and placement.backend(client) is placement.cpu)
                      for client, _ in var.clients)
    ttype = var.type

    def device_check(value):
        if backend.is_array(value):
            value = backend.check_array(ttype, value)
            return backend.to_numpy(value) if read_on_cpu else value
        return check(value)
    return device_check


LaterStages.get_backend = get_backend
LaterStages.array_backend = array_backend
config.watch("device", check_device_flag)
