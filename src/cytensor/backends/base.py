"""The backend interface: what a device must provide for cytensor to run graphs on it.

A backend is a class, registered in the entry-point group
``cytensor.backends`` under its name (the entry point's value is
``module:Class``)::

    [project.entry-points."cytensor.backends"]
    cpu = "cytensor.backends.cpu:CpuBackend"

cytensor makes one object of the class per device it uses (``'cuda0'``,
``'cuda1'``) and asks it, when a function is compiled, for one thunk per
node placed on that device.  A backend provides:

Names
    ``name`` (the device family, also the entry point's name) and, for a
    backend with several devices, their numbers: ``default_device()``
    (what the bare name means), ``device_name(number)`` ('cuda1').
Availability
    ``check_available()``: raise :class:`BackendUnavailable` naming what
    is missing (a library, a driver, a GPU).  The module defining the
    class must import without those libraries, so that this can say so.
Arrays
    ``array_types`` (the classes of its arrays), ``is_array(value)``,
    ``asarray(value)`` (from a NumPy array, a Python number or one of its
    own), ``to_numpy(array)``, ``transfer_from(source, array)`` (from
    another backend's array; by default through NumPy), ``check_array``
    (an array of its own fits a tensor type), ``copy(array)``.
Buffers
    ``empty(shape, dtype)``, and ``output_buffer(cell, shape, dtype)``:
    the array a node wrote last call, when it fits, else a new one.  Cells
    keep each node's outputs between calls, so a thunk that writes into
    ``output_buffer`` reuses its buffers whenever shapes repeat.
The per-op table
    ``implementations``: ``{Op class: make(backend, node, input_cells,
    output_cells) -> thunk}``.  The most specific class of the op's MRO
    with a row wins.  A thunk takes no argument: it reads ``cell[0]`` of
    its input cells (arrays of this backend on this device: placement
    guarantees it, constants included) and sets ``cell[0]`` of its output
    cells.  Fused elementwise programs are ``Elemwise`` nodes, fused
    reductions ``FusedReduce`` nodes: their ``op.program`` is data (rows of
    tensor/elemwise_table.py's ELEMWISE over registers, see
    tensor/elemwise.py's Program), which a backend turns into its own code.
What it cannot run
    ``cannot_run(node)``: None, or why not (no row in the table, an
    output that is not a tensor, an unsupported dtype...).  Such a node
    runs on the CPU, with explicit Transfer nodes around it and a warning
    once per op class.

The CPU backend (cpu.py) is the worked example: its table hands every node
to the kernels.  The reference backend (reference.py) is a small complete
one: it runs each op's NumPy reference on arrays it holds in its own type.
"""
import numpy as np

from ..compile.devices import BackendUnavailable   # noqa: F401  (part of the interface)
from ..tensor.type import TensorType


class Backend:
    """One device of a backend; subclass it and register the subclass.

    Parameters
    ----------
    device : str
        The canonical device name (``device_name(number)``) this object runs.

    Examples
    --------
    The CPU's backend, as a compiled function gets it:

    >>> from cytensor.backends import Backend, get_backend
    >>> cpu = get_backend("cpu")
    >>> isinstance(cpu, Backend), cpu.device, cpu.cannot_run is not None
    (True, 'cpu', True)
    """

    name = None                 # the device family, as registered: 'cpu', 'cuda'
    array_types = ()            # the classes of its arrays
    implementations = {}        # {Op class: make(backend, node, input_cells, output_cells)}

    def __init__(self, device):
        self.device = device

    def __repr__(self):
        return f"<{type(self).__name__} {self.device}>"

    # --- names and availability ------------------------------------------------
    @classmethod
    def check_available(cls):
        """Raise BackendUnavailable, naming what is missing, if this backend
        cannot run here.  Called before the first device is made."""

    @classmethod
    def default_device(cls):
        """The number the bare name means ('cuda' is 'cuda0'); None: one device."""
        return None

    @classmethod
    def device_name(cls, number):
        """The canonical name of device ``number``."""
        return cls.name if number is None else f"{cls.name}{number}"

    # --- arrays ------------------------------------------------------------------
    def is_array(self, value):
        """Whether ``value`` is an array of this backend (on any of its devices)."""
        return isinstance(value, self.array_types)

    def device_of(self, array):
        """The device name of one of its arrays (a backend with several
        devices says which)."""
        return self.device

    def asarray(self, value):
        """``value`` (NumPy array, Python number or own array) as an array on this device."""
        raise NotImplementedError

    def to_numpy(self, array):
        """A new NumPy array holding ``array``'s values (a copy: the caller
        may keep or change it)."""
        raise NotImplementedError

    def transfer_from(self, source, array):
        """``array``, of backend ``source``, on this device (through NumPy
        unless a backend knows a shorter way)."""
        if source is self:
            return array
        return self.asarray(source.to_numpy(array))

    def copy(self, array):
        return array.copy()

    def check_array(self, ttype, array):
        """``array`` (of this backend) if it fits ``ttype`` (dtype, rank,
        static shape), else TypeError saying how it does not."""
        if str(array.dtype) != ttype.dtype:
            raise TypeError(f"expected a {ttype.dtype} array, got {array.dtype} on "
                            f"{self.device}")
        ttype.check_shape(tuple(array.shape))
        return array

    # --- buffers -----------------------------------------------------------------
    def empty(self, shape, dtype):
        """A new uninitialised array on this device."""
        raise NotImplementedError

    def output_buffer(self, cell, shape, dtype):
        """The array in ``cell`` when it is this backend's, of ``shape`` and
        ``dtype`` (the node's output from the last call), else a new one."""
        old = cell[0]
        shape, dtype = tuple(shape), np.dtype(dtype)
        if old is not None and self.is_array(old) and tuple(old.shape) == shape \
                and old.dtype == dtype:
            return old
        return self.empty(shape, dtype)

    # --- running ops ---------------------------------------------------------------
    def implementation(self, op):
        """The table row for ``op``: the most specific class of its MRO that
        has one, or None."""
        for cls in type(op).__mro__:
            make = self.implementations.get(cls)
            if make is not None:
                return make
        return None

    def cannot_run(self, node):
        """None if this backend runs ``node``, else why not (a short phrase).
        Its arrays hold tensors only: an op with another output (a scan
        carrying a random generator) runs on the CPU."""
        if not all(isinstance(out.type, TensorType) for out in node.outputs):
            return "an output is not a tensor"
        if self.implementation(node.op) is None:
            return f"no implementation of {type(node.op).__name__}"
        return None

    def make_thunk(self, node, input_cells, output_cells):
        """The node's thunk, made once when the function is compiled."""
        return self.implementation(node.op)(self, node, input_cells, output_cells)
