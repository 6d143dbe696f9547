"""MonitorMode: call your own functions before and after every node.

Theano's way to watch a function run: ``pre_func(i, node, fn)`` runs before
the i-th node of the schedule and ``post_func(i, node, fn)`` after it, where
``fn.inputs`` and ``fn.outputs`` are the node's storage cells (one-element
lists), so ``[x[0] for x in fn.outputs]`` are the values it just computed.
"""
from ..compile.linker import Schedule
from ..compile.mode import Mode


class NodeCells:
    """The ``fn`` a monitor function receives: the node's input and output cells."""

    def __init__(self, inputs, outputs):
        self.inputs, self.outputs = inputs, outputs


class MonitorMode(Mode):
    """``function(..., mode=MonitorMode(pre_func=..., post_func=...))``."""

    def __init__(self, pre_func=None, post_func=None, optimizer="default", linker=None):
        super().__init__(linker=linker, optimizer=optimizer)
        self.pre_func, self.post_func = pre_func, post_func

    def link(self, fgraph):
        positions = {}

        def monitored(node, thunk, input_cells, output_cells):
            position = positions.setdefault(node, len(positions))
            cells = NodeCells(input_cells, output_cells)

            def run():
                if self.pre_func is not None:
                    self.pre_func(position, node, cells)
                thunk()
                if self.post_func is not None:
                    self.post_func(position, node, cells)
            return run
        return Schedule(fgraph, self.linker, wrap_thunk=monitored)
