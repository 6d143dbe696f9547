"""Theano's ``theano.gof.toolbox``: the features optimizers attach to a graph.

A feature is a listener ``fgraph.attach_feature`` registers: it hears of
every input a replacement changes (``on_change_input``).  cytensor's
FunctionGraph has ``replace_validate`` and ``replace_all_validate`` of its
own, so ``ReplaceValidate``, the feature Theano's optimizers attach to get
them, only marks that they are wanted.
"""
from ..rewriting.fgraph import InconsistencyError                     # noqa: F401


class Feature:
    """A graph listener: override the hooks you need."""

    def on_attach(self, fgraph):
        """Called by ``fgraph.attach_feature(self)``."""

    def on_detach(self, fgraph):
        """Called by ``fgraph.remove_feature(self)``."""

    def on_change_input(self, fgraph, node, i, old, new, reason=None):
        """Input ``i`` of ``node`` (or output ``i`` when node is 'output')
        was ``old`` and is now ``new``."""


class ReplaceValidate(Feature):
    """Asks for ``fgraph.replace_validate``: built into cytensor's FunctionGraph."""


class Validator(Feature):
    """Asks for ``fgraph.validate``: cytensor's replacements validate themselves."""


class History(Feature):
    """Records each change of an input, in order, as (node, i, old, new, reason)."""

    def on_attach(self, fgraph):
        self.changes = []

    def on_change_input(self, fgraph, node, i, old, new, reason=None):
        self.changes.append((node, i, old, new, reason))
