"""The table rows of the ops with inner graphs (Scan, OpFromGraph), for any backend.

On a device, such an op runs its inner graph there: the graph is compiled
once for that device (compile_inner_graph's ``device``), its inputs arrive
as the device's arrays and its outputs stay there, so a scan's steps hand
device arrays to each other and the only transfers are those of the outer
graph, at the boundary.  A node of the inner graph that the backend lacks
runs on the CPU between transfers, as in any graph.  A backend adds these
rows to its table (``implementations``); it needs only ``empty`` and
NumPy-style indexing of its arrays (``a[t, ...]`` a view, ``a[i] = b``).
"""
from ..op_from_graph import OpFromGraph
from ..scan import Scan


def scan_thunk(backend, node, input_cells, output_cells):
    """The loop, with the step compiled for the device and device buffers."""
    run = node.op.on_device(backend)

    def thunk():
        run([cell[0] for cell in input_cells], output_cells)
    return thunk


def op_from_graph_thunk(backend, node, input_cells, output_cells):
    """The wrapped graph, compiled for the device, called on device arrays."""
    call = node.op.on_device(backend)

    def thunk():
        for cell, value in zip(output_cells, call(*[c[0] for c in input_cells])):
            cell[0] = value
    return thunk


INNER_GRAPH_ROWS = {Scan: scan_thunk, OpFromGraph: op_from_graph_thunk}
