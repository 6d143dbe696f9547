"""The reference backend: each op's NumPy reference, on arrays of its own type.

A small complete backend (see base.py), written to test the device
machinery on a machine without a GPU.  Its arrays (:class:`RefArray`) hold
a NumPy array that NumPy cannot see: ``numpy.asarray(a)`` raises, as it
does for a CuPy array, so a value that reaches a CPU kernel without a
transfer is an error, never a silent success.  It runs any op whose
``reference`` is its own (the readable NumPy definition every op of
cytensor has), on any number of devices ('ref0', 'ref1', ...); the ops
with inner graphs (scan, OpFromGraph) run their inner graphs on the device
(inner_graphs.py).

It is not registered by cytensor's metadata: register it in your own
package's, or in a test, as ``ref = "cytensor.backends.reference:ReferenceBackend"``
in the group ``cytensor.backends``; then ``THEANO_FLAGS=device=ref``.
"""
import numpy as np

from ..graph import Op
from ..tensor.type import TensorType
from .base import Backend
from .inner_graphs import INNER_GRAPH_ROWS


class RefArray:
    """An array on a reference device: ``data`` (a NumPy array) and ``device``."""

    __slots__ = ("data", "device")

    def __init__(self, data, device):
        self.data, self.device = data, device

    base = property(lambda self: self.data.base)     # not None for a view, as in NumPy
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    nbytes = property(lambda self: self.data.nbytes)

    def copy(self):
        return RefArray(self.data.copy(), self.device)

    def __bool__(self):
        """The truth of a one-element array, as CuPy gives it (a lazy
        ``ifelse`` reads its condition so, a scan its ``until``)."""
        return bool(self.data)

    def __int__(self):
        """A one-element array's value, as CuPy gives it (a scan's n_steps)."""
        return int(self.data)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        """Basic indexing, a view on the same device (a scan's rows)."""
        return RefArray(np.asarray(self.data[index]), self.device)

    def __setitem__(self, index, value):
        """Writing an array of the same device into part of this one."""
        if type(value) is not RefArray or value.device != self.device:
            raise TypeError(f"writing a {type(value).__name__} into a RefArray on "
                            f"{self.device} (a transfer is missing)")
        self.data[index] = value.data

    def __array__(self, *args, **kwargs):
        raise TypeError(f"a RefArray on {self.device} is not a NumPy array: move it with "
                        "x.transfer('cpu') in the graph or the backend's to_numpy()")

    def __repr__(self):
        return f"RefArray({self.data!r}, device={self.device!r})"


def _tensor_positions(variables):
    return [k for k, v in enumerate(variables) if isinstance(v.type, TensorType)]


def reference_thunk(backend, node, input_cells, output_cells):
    """Run the op's NumPy reference on the inputs' data, and write each
    result into the node's output buffer of the last call when it fits."""
    op, device = node.op, backend.device
    tensors = set(_tensor_positions(node.inputs))
    dtypes = [out.type.numpy_dtype for out in node.outputs]

    def unwrap(k, value):
        if k not in tensors or value is None:      # None: a lazy ifelse's branch not run
            return value
        if type(value) is not RefArray or value.device != device:
            raise TypeError(f"{node.op} on {device}: input {k} is {type(value).__name__} "
                            f"{getattr(value, 'device', 'on the CPU')}, not a RefArray on "
                            f"{device} (a transfer is missing)")
        return value.data

    def thunk():
        values = [unwrap(k, cell[0]) for k, cell in enumerate(input_cells)]
        for cell, result, dtype in zip(output_cells, op.reference(node, *values), dtypes):
            result = np.asarray(result, dtype=dtype)
            out = backend.output_buffer(cell, result.shape, dtype)
            out.data[...] = result
            cell[0] = out
    return thunk


class ReferenceBackend(Backend):
    """Devices 'ref0', 'ref1', ... ('ref' is 'ref0'); arrays are RefArrays."""

    name = "ref"
    array_types = (RefArray,)
    implementations = {**INNER_GRAPH_ROWS, Op: reference_thunk}

    @classmethod
    def default_device(cls):
        return 0

    def asarray(self, value):
        if type(value) is RefArray:
            return value if value.device == self.device else RefArray(value.data.copy(),
                                                                      self.device)
        return RefArray(np.array(value), self.device)     # a copy, as a real device holds

    def device_of(self, array):
        return array.device

    def to_numpy(self, array):
        return array.data.copy()

    def empty(self, shape, dtype):
        return RefArray(np.empty(shape, dtype), self.device)

    def cannot_run(self, node):
        op = type(node.op)
        if op.reference is Op.reference:
            return "it has no NumPy reference"
        return super().cannot_run(node)
