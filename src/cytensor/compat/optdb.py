"""Theano's optimization database, ``theano.compile.optdb``.

Theano keeps its rewrites in ``optdb``, ordered by a position number and
tagged; a mode queries it by tag.  Here the database is the engine's own
REGISTRY: ``optdb.register(name, opt, position, *tags)`` adds ``opt`` as a
named rewrite in the phase Theano's position falls in (THEANO_POSITIONS),
so FAST_RUN runs it when it is tagged 'fast_run', and
``mode.including(name)``/``excluding(name)`` select it like cytensor's
own.  ``optdb['canonicalize']`` (and stabilize, specialize) are the
databases of local optimizers the ``register_canonicalize`` family fills.
"""
from ..rewriting.engine import REGISTRY, rewrite_graph, selected
from .gof_opt import Optimizer, as_rewrite

# Theano's optdb positions -> the cytensor phase each range runs in:
# below 1 (merge1) the merge phase, then canonicalize (1), stabilize (1.5),
# specialize (2 up to the fusion at 49), fusion, and from 49.5
# (add_destroy_handler) on the inplace phase.
THEANO_POSITIONS = ((1, "merge"), (1.5, "canonicalize"), (2, "stabilize"),
                    (49, "specialize"), (49.5, "fusion"), (float("inf"), "inplace"))

# Theano's names of its sub-databases -> the phase each one is.
THEANO_SUBDBS = {"canonicalize": "canonicalize", "stabilize": "stabilize",
                 "specialize": "specialize", "specialize_device": "specialize",
                 "uncanonicalize": "specialize", "elemwise_fusion": "fusion",
                 "inplace_opt": "inplace"}


def phase_at(position):
    """The phase in which an optimizer at Theano's ``position`` runs."""
    return next(phase for limit, phase in THEANO_POSITIONS if position < limit)


def register_rewrite(name, opt, phase, tags):
    """Add ``opt`` (a local or global optimizer) to the engine's registry.

    Without the 'fast_run' tag it is optional, as in Theano: FAST_RUN runs
    it only when a mode includes it by name or by one of its tags.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"optdb.register: the name must be a string, got {name!r}")
    if any(r.name == name for r in REGISTRY):
        raise ValueError(f"optdb.register: a rewrite named {name!r} is already registered")
    tags = set(tags) | {name, phase}
    if "fast_run" not in tags:
        tags.add("optional")
    REGISTRY.append(as_rewrite(name, opt, phase, tags))


class Query:
    """Which rewrites to take: one of the tags ``include``, all of
    ``require``, none of ``exclude`` (Theano's ``gof.Query``)."""

    def __init__(self, include, require=None, exclude=None, subquery=None,
                 position_cutoff=None):
        self.include, self.require = set(include), set(require or ())
        self.exclude = set(exclude or ())

    def including(self, *tags):
        return Query(self.include | set(tags), self.require, self.exclude)

    def requiring(self, *tags):
        return Query(self.include, self.require | set(tags), self.exclude)

    def excluding(self, *tags):
        return Query(self.include, self.require, self.exclude | set(tags))


class RegistryOptimizer(Optimizer):
    """The rewrites a query chose, run by the engine phase after phase."""

    def __init__(self, rewrites):
        self.rewrites = rewrites
        self.__name__ = "RegistryOptimizer"

    def apply(self, fgraph):
        rewrite_graph(fgraph, self.rewrites)


class EquilibriumDB:
    """One phase's database: its ``register(name, opt, *tags)`` adds a
    rewrite run to a fixed point with the phase's others."""

    def __init__(self, phase):
        self.phase = phase

    def register(self, name, opt, *tags, **kwargs):
        register_rewrite(name, opt, self.phase, tags)

    def query(self, *tags, **kwargs):
        query = tags[0] if tags and isinstance(tags[0], Query) else Query(tags, **kwargs)
        return OptDB.query(self, query)

    def __contains__(self, name):
        return any(r.name == name and r.phase == self.phase for r in REGISTRY)


class OptDB:
    """Theano's ``optdb``: every rewrite, cytensor's and the user's."""

    phase = None

    def register(self, name, opt, position, *tags, **kwargs):
        """Add ``opt`` at Theano's ``position`` with ``tags``
        (``optdb.register('simplify', simplify, 0.5, 'fast_run')``)."""
        if isinstance(position, str):
            raise TypeError(f"optdb.register({name!r}, ...): the third argument is the "
                            f"position (a number, Theano's order), got {position!r}")
        register_rewrite(name, opt, phase_at(position), tags)

    def __getitem__(self, name):
        if name in THEANO_SUBDBS:
            return EquilibriumDB(THEANO_SUBDBS[name])
        for rewrite in REGISTRY:
            if rewrite.name == name:
                return rewrite
        raise KeyError(f"optdb has no sub-database or rewrite named {name!r}; its "
                       f"sub-databases are {sorted(THEANO_SUBDBS)}")

    def __contains__(self, name):
        return name in THEANO_SUBDBS or any(r.name == name for r in REGISTRY)

    def query(self, query):
        """An Optimizer running the rewrites ``query`` selects."""
        chosen = []
        for optimizer in ("fast_run", "fast_compile"):
            if optimizer in query.include:
                chosen += [r for r in selected(optimizer) if r not in chosen]
        chosen += [r for r in REGISTRY if r not in chosen and r.tags & query.include]
        chosen = [r for r in chosen if query.require <= r.tags and not r.tags & query.exclude
                  and (self.phase is None or r.phase == self.phase)]
        return RegistryOptimizer(chosen)


optdb = OptDB()
