"""FunctionGraph: a private copy of a graph, with its inputs and outputs fixed,
that rewrites may change in place."""
from ..graph import ancestors, clone_replace, toposort


class InconsistencyError(Exception):
    """A replacement would make the graph invalid (a variable computed from itself)."""


class Readers(dict):
    """The (node, input position) pairs that read one variable, in the order
    they came: a list to look at (it compares equal to the list of its
    pairs), a dict inside, so that dropping one reader costs the same
    whatever their number (a constant can have thousands)."""

    def append(self, reader):
        self[reader] = None

    def extend(self, readers):
        self.update(dict.fromkeys(readers))

    def remove(self, reader):
        del self[reader]

    def __eq__(self, other):
        if isinstance(other, (list, tuple, Readers)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return repr(list(self))


class FunctionGraph:
    """The graph a function computes.

    ``clients[var]`` lists the (node, input position) pairs that read var;
    an output of the graph has the client ('output', position).  ``replace``
    redirects every client of one variable to another: the one edit that
    rewrites make.  The client lists are kept up to date as edits happen:
    nodes a replacement brings in are added, and nodes nobody reads any more
    are pruned, so ``node in fgraph.nodes`` says whether a node still counts.

    Features (Theano's listeners, ``attach_feature``) are told of every
    input a replacement changes, through their ``on_change_input``.  As in
    Theano, each variable of the graph also carries its list of readers as
    ``var.clients`` (the same list as ``fgraph.clients[var]``).
    """

    def __init__(self, inputs, outputs, replace=None, clone=True, trace=None):
        if clone:
            outputs, _ = clone_replace(outputs, replace, rebuild_all=True)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.trace = trace            # called as trace(reason, old, new) on each replace
        self._order = None            # the run order, kept until the graph changes
        self.updated = {}             # output position -> the shared variable it updates
        self.clients, self.nodes = {}, set()
        self.features = []
        for var in self.outputs:
            self._import(var)
        for i, out in enumerate(self.outputs):
            self._readers(out).append(("output", i))

    @property
    def updated(self):
        """{output position: the shared variable that output updates}."""
        return self._updated

    @updated.setter
    def updated(self, positions):
        self._updated = positions
        self._order = None            # the commit block depends on it

    def toposort(self):
        """The run order: topological, with the commit block last.

        The commit block holds the nodes whose results are read only as new
        values of shared variables; they feed no other node, so they can
        run last, and a node that overwrites a shared value in place
        (``shared_update_inplace``) runs only after everything that can
        fail on the call's inputs has run.

        The order is sorted once and kept until a replacement changes the
        graph: whole-graph rewrites and sweeps that change nothing (the
        last of every phase) ask for it again.  Each call returns a new list.
        """
        if self._order is None:
            self._order = self._sorted()
        return list(self._order)

    def _sorted(self):
        order = toposort(self.outputs)
        if not self.updated:
            return order
        commit = self.commit_nodes()
        if not commit:
            return order
        return [node for node in order if node not in commit] + \
            [node for node in order if node in commit]

    def commit_nodes(self):
        """The set of nodes read by nothing but updates (the commit block).
        Only a node computing an output can be one: the search looks at those."""
        candidates = {var.owner for var in self.outputs if var.owner is not None}
        return {node for node in candidates if self.is_commit_node(node)}

    def is_commit_node(self, node):
        """Whether the node's results are read by nothing but updates."""
        readers = [r for out in node.outputs for r in self.clients.get(out, ())]
        return bool(readers) and all(client == "output" and k in self.updated
                                     for client, k in readers)

    @property
    def apply_nodes(self):
        """The nodes of the graph (Theano's name for ``nodes``)."""
        return self.nodes

    def attach_feature(self, feature):
        """Add a listener: ``feature.on_attach(fgraph)`` runs now, and
        ``feature.on_change_input(fgraph, node, i, old, new, reason)`` on
        every input a replacement changes.  Attaching twice does nothing."""
        if feature in self.features:
            return
        self.features.append(feature)
        if hasattr(feature, "on_attach"):
            feature.on_attach(self)

    def remove_feature(self, feature):
        """Stop telling ``feature`` of changes (its ``on_detach`` runs)."""
        self.features.remove(feature)
        if hasattr(feature, "on_detach"):
            feature.on_detach(self)

    def replace_validate(self, old, new, reason=None):
        """``replace``, refused (InconsistencyError, graph unchanged) when
        ``new`` is computed from ``old``: the graph would hold a cycle."""
        self.replace_all_validate([(old, new)], reason)

    def replace_all_validate(self, pairs, reason=None):
        """Every (old, new) replacement, or none when one would make a cycle."""
        pairs = [(old, new) for old, new in pairs if old is not new]
        for old, new in pairs:
            if old in ancestors([new]):
                raise InconsistencyError(f"rewrite {reason}: {new} is computed from {old}, "
                                         "so it cannot replace it")
        for old, new in pairs:
            self.replace(old, new, reason=reason)

    def replace(self, old, new, reason=None, verbose=None):
        """Make every reader of ``old`` read ``new`` instead (``verbose``
        is accepted for Theano's signature; config.optimizer_verbose rules).

        Returns the nodes this brought into the graph, each after the new
        nodes it reads (the rewrite engine offers them to the rules next).
        """
        if old is new:
            return []
        if old.type != new.type and not _compatible(old.type, new.type):
            raise TypeError(f"rewrite {reason}: cannot replace {old} of type {old.type} "
                            f"by {new} of type {new.type}")
        if self.trace is not None:
            self.trace(reason, old, new)
        if new.owner is not None and not hasattr(new.owner.tag, "rewrite"):
            new.owner.tag.rewrite = reason          # which rewrite made this node
            if old.owner is not None and new not in self.clients:
                new.owner.tag.trace = old.owner.tag.trace   # errors point at the user's line
        readers = self.clients.pop(old, ())
        old.clients = Readers()
        for client, i in readers:
            self._redirect(client, i, old, new, reason)
        imported = self._import(new)
        self._readers(new).extend(readers)
        self._prune(old.owner)
        return imported

    def change_input(self, client, i, new, reason=None):
        """Make input ``i`` of node ``client`` (output ``i`` of the graph
        when client is 'output') read ``new``, its other readers unchanged:
        the edit that puts a transfer before one reader of a value."""
        old = self.outputs[i] if client == "output" else client.inputs[i]
        if old is new:
            return
        if self.trace is not None:
            self.trace(reason, old, new)
        imported = self._import(new)        # first: new may read old
        self.clients[old].remove((client, i))
        self._redirect(client, i, old, new, reason)
        self._readers(new).append((client, i))
        self._prune(old.owner)
        return imported

    def _redirect(self, client, i, old, new, reason):
        """Point input ``i`` of ``client`` (output ``i`` for 'output') at
        ``new`` and tell the features: the one place an edge of the graph
        changes, so the kept run order is forgotten here."""
        self._order = None
        if client == "output":
            self.outputs[i] = new
        else:
            client.inputs[i] = new
        for feature in self.features:
            if hasattr(feature, "on_change_input"):
                feature.on_change_input(self, client, i, old, new, reason)

    def _import(self, var):
        """Register the nodes computing ``var`` that the graph does not have
        yet; returns them in topological order.  Iterative: a graph may be
        thousands of nodes deep."""
        imported = []
        stack = [(var.owner, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                imported.append(node)
                continue
            if node is None or node in self.nodes:
                continue
            self.nodes.add(node)
            stack.append((node, True))
            for i, inp in enumerate(node.inputs):
                self._readers(inp).append((node, i))
                stack.append((inp.owner, False))
        return imported

    def _readers(self, var):
        """The readers of var, made (and given to var as ``clients``) when new."""
        readers = self.clients.get(var)
        if readers is None:
            readers = self.clients[var] = var.clients = Readers()
        return readers

    def _prune(self, node):
        """Drop ``node`` if nothing reads its outputs, and then its inputs' producers."""
        stack = [node]
        while stack:
            node = stack.pop()
            if node is None or node not in self.nodes or \
                    any(self.clients.get(o) for o in node.outputs):
                continue
            self.nodes.discard(node)
            for out in node.outputs:
                self.clients.pop(out, None)
            for i, inp in enumerate(node.inputs):
                readers = self.clients[inp]
                readers.remove((node, i))
                if not readers:
                    del self.clients[inp]
                    stack.append(inp.owner)

    def __str__(self):
        from ..debug.printing import debugprint   # deferred: printing sits above (it draws compiled functions)
        return debugprint(self, file="str")


def _compatible(old, new):
    """A replacement may know more about shapes than the original."""
    return (getattr(old, "dtype", None) == getattr(new, "dtype", None) and
            getattr(old, "ndim", None) == getattr(new, "ndim", None))
