"""FunctionGraph: a private copy of a graph, with its inputs and outputs fixed,
that rewrites may change in place."""
from ..graph import clone_replace, toposort


class FunctionGraph:
    """The graph a function computes.

    ``clients[var]`` lists the (node, input position) pairs that read var;
    an output of the graph has the client ('output', position).  ``replace``
    redirects every client of one variable to another: the one edit that
    rewrites make.
    """

    def __init__(self, inputs, outputs, replace=None, clone=True, trace=None):
        if clone:
            outputs, _ = clone_replace(outputs, replace, rebuild_all=True)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.trace = trace            # called as trace(reason, old, new) on each replace
        self.updated = {}             # output position -> the shared variable it updates
        self._clients = None

    @property
    def clients(self):
        """Rebuilt after each edit: graphs here are small, edits are few."""
        if self._clients is None:
            self._clients = {}
            for node in self.toposort():
                for i, inp in enumerate(node.inputs):
                    self._clients.setdefault(inp, []).append((node, i))
            for i, out in enumerate(self.outputs):
                self._clients.setdefault(out, []).append(("output", i))
        return self._clients

    def toposort(self):
        return toposort(self.outputs)

    def replace(self, old, new, reason=None):
        """Make every reader of ``old`` read ``new`` instead."""
        if old is new:
            return
        if old.type != new.type and not _compatible(old.type, new.type):
            raise TypeError(f"rewrite {reason}: cannot replace {old} of type {old.type} "
                            f"by {new} of type {new.type}")
        if self.trace is not None:
            self.trace(reason, old, new)
        if new.owner is not None and not hasattr(new.owner.tag, "rewrite"):
            new.owner.tag.rewrite = reason          # which rewrite made this node
            if old.owner is not None and new not in self.clients:
                new.owner.tag.trace = old.owner.tag.trace   # errors point at the user's line
        for client, i in self.clients.get(old, []):
            if client == "output":
                self.outputs[i] = new
            else:
                client.inputs[i] = new
        self._clients = None

    def __str__(self):
        from ..printing import debugprint
        return debugprint(self, file="str")


def _compatible(old, new):
    """A replacement may know more about shapes than the original."""
    return (getattr(old, "dtype", None) == getattr(new, "dtype", None) and
            getattr(old, "ndim", None) == getattr(new, "ndim", None))
