"""Theano's ``theano.gof.opt``: writing a rewrite the Theano way.

Theano's "extending" pages build rewrites from three kinds of piece:

* a *local* optimizer looks at one node: its ``transform(node)`` returns
  False (no change), the list of variables replacing the node's outputs,
  or a dict {old variable: new variable}.  Made by subclassing
  LocalOptimizer, with the ``local_optimizer`` decorator, or by the
  shortcuts OpSub, OpRemove and PatternSub;
* a *navigator* (TopoOptimizer, EquilibriumOptimizer) offers the nodes of a
  graph to local optimizers and makes the replacements they ask for;
* a *global* optimizer (an ``Optimizer`` with ``apply(fgraph)``) edits a
  whole FunctionGraph.

Every piece runs on cytensor's own rewriting stage: the FunctionGraph and
its ``replace_validate``, the engine's merge and fixed-point sweeps; and,
once registered (compat/optdb.py), as a named rewrite of the engine that
``Mode.including``/``excluding`` select like cytensor's own.
"""
from collections import deque

from ..graph import Constant, Op, Variable
from ..rewriting import basic as basic_rewrites
from ..rewriting.engine import Rewrite, checked_replacements, rewrite_graph
from ..rewriting.fgraph import InconsistencyError                     # noqa: F401
from ..rewriting.pattern import scalar_value
from ..tensor.elemwise_table import ELEMWISE
from ..tensor.math import elemwise_op
from ..tensor.type import as_tensor_variable


def as_op(op):
    """What a pattern or ``tracks`` names, as something ``node.op`` is
    compared with: an Op or Op class as given; a tensor function of an
    elementwise table row (``T.mul``, a function here) as that row's op."""
    if isinstance(op, (Op, type)):
        return op
    name = getattr(op, "__name__", None)
    if callable(op) and name in ELEMWISE:
        return elemwise_op(name)
    raise TypeError(f"{op!r} is not an Op: a rewrite matches nodes by their Op "
                    "(an Op instance, an Op class, or an elementwise function such as T.mul)")


def op_matches(node_op, op):
    """Whether a node's op is ``op`` (an instance: equal; a class: an instance of it)."""
    return isinstance(node_op, op) if isinstance(op, type) else node_op == op


def name_of(optimizer):
    """The name a rewrite is known by: its ``name``, ``__name__`` or class name."""
    return (getattr(optimizer, "name", None) or getattr(optimizer, "__name__", None)
            or type(optimizer).__name__)


def call_op(op, inputs):
    """The outputs of ``op`` (an Op or a tensor function) applied to ``inputs``, as a list."""
    out = op(*inputs)
    return list(out) if isinstance(out, (list, tuple)) else [out]


# ---------------------------------------------------------------------------
# Local optimizers
# ---------------------------------------------------------------------------


class LocalOptimizer:
    """A rewrite of one node (Theano's base class): subclasses define
    ``transform(node)`` and, to be offered only some nodes, ``tracks()``."""

    def transform(self, node):
        raise NotImplementedError(f"{type(self).__name__} defines no transform(node)")

    def transform_in(self, fgraph, node):
        """``transform``, told the graph too (the shortcuts below read its
        clients); a user's subclass need not know of it."""
        return self.transform(node)

    def tracks(self):
        """The ops (instances or classes) whose nodes this rewrite looks at; None: all."""
        return None

    def add_requirements(self, fgraph):
        """Attach the features ``transform`` needs (none by default)."""

    def __str__(self):
        return name_of(self)


def offer(lopt, fgraph, node):
    """Offer ``node`` to the local optimizer ``lopt``: its checked (old, new)
    replacement pairs, [] when it declines or does not track the node's op."""
    tracked = lopt.tracks() if hasattr(lopt, "tracks") else None
    if tracked and not any(op_matches(node.op, op) for op in tracked):
        return []
    if hasattr(lopt, "transform_in"):
        answer = lopt.transform_in(fgraph, node)
    else:
        answer = lopt.transform(node)
    if answer is False or answer is None:
        return []
    return checked_replacements(name_of(lopt), node, answer)


def node_rule(lopt):
    """An engine rule ``(fgraph, node) -> replacements`` that runs ``lopt``."""
    def rule(fgraph, node):
        return dict(offer(lopt, fgraph, node)) or None
    rule.__name__ = name_of(lopt)
    return rule


class FromFunctionLocalOptimizer(LocalOptimizer):
    """A local optimizer made from a function ``fn(node)`` by ``local_optimizer``."""

    def __init__(self, fn, tracks=None, requirements=()):
        self.fn = fn
        self._tracks = None if tracks is None else [as_op(op) for op in tracks]
        self.requirements = tuple(requirements)
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__

    def transform(self, node):
        return self.fn(node)

    def tracks(self):
        return self._tracks

    def add_requirements(self, fgraph):
        for requirement in self.requirements:
            requirement(fgraph)

    def __call__(self, node):
        return self.fn(node)


def local_optimizer(tracks, inplace=False, requirements=()):
    """Decorator: ``@local_optimizer([op])`` makes a function of a node a
    local optimizer offered only nodes of those ops (None: every node).
    ``inplace`` is accepted for Theano's signature: cytensor's own inplace
    phase decides which nodes may overwrite their inputs."""
    if tracks is not None and not isinstance(tracks, (list, tuple)):
        raise TypeError(f"local_optimizer: tracks must be a list of ops or None, got {tracks!r}")

    def make(fn):
        return FromFunctionLocalOptimizer(fn, tracks, requirements)
    return make


class LocalOptGroup(LocalOptimizer):
    """Several local optimizers as one: the first that changes a node wins."""

    def __init__(self, *optimizers, **kwargs):
        if len(optimizers) == 1 and isinstance(optimizers[0], (list, tuple)):
            optimizers = optimizers[0]
        self.optimizers = list(optimizers)
        self.__name__ = kwargs.get("name") or "LocalOptGroup"

    def tracks(self):
        tracked = [opt.tracks() if hasattr(opt, "tracks") else None for opt in self.optimizers]
        if any(not t for t in tracked):
            return None
        return [op for t in tracked for op in t]

    def transform_in(self, fgraph, node):
        for opt in self.optimizers:
            pairs = offer(opt, fgraph, node)
            if pairs:
                return dict(pairs)
        return False

    def transform(self, node):
        return self.transform_in(None, node)

    def add_requirements(self, fgraph):
        for opt in self.optimizers:
            opt.add_requirements(fgraph)


class OpSub(LocalOptimizer):
    """Replaces each node of ``op1`` by a node of ``op2`` on the same inputs."""

    def __init__(self, op1, op2, transfer_tags=True):
        self.op1, self.op2 = as_op(op1), op2
        self.__name__ = f"{op1} -> {op2}"

    def tracks(self):
        return [self.op1]

    def transform(self, node):
        if not op_matches(node.op, self.op1):
            return False
        return call_op(self.op2, node.inputs)


class OpRemove(LocalOptimizer):
    """Removes the nodes of ``op``: its i-th output becomes its i-th input."""

    def __init__(self, op):
        self.op = as_op(op)
        self.__name__ = f"{op}(x) -> x"

    def tracks(self):
        return [self.op]

    def transform(self, node):
        if not op_matches(node.op, self.op):
            return False
        return list(node.inputs[:len(node.outputs)])


class PatternSub(LocalOptimizer):
    """Replaces each match of ``in_pattern`` by ``out_pattern``.

    A pattern is a tuple ``(op, sub-pattern, ...)``; a string, standing for
    whatever variable is found there (the same string twice: the same
    variable); a number or a Constant, matching a constant of that value;
    or, in the input pattern, ``{'pattern': p, 'constraint': fn}`` where
    ``fn(fgraph, variable)`` must also hold.  ``PatternSub((T.mul, 'x',
    'x'), (T.sqr, 'x'))`` rewrites ``x * x`` as ``sqr(x)``.  Unless
    ``allow_multiple_clients``, an inner node of the match must have no
    reader but the match (it would be computed twice otherwise).
    """

    def __init__(self, in_pattern, out_pattern, allow_multiple_clients=False,
                 skip_identities_fn=None, name=None, pdb=False, tracks=(), get_nodes=None,
                 values_eq_approx=None):
        root = in_pattern["pattern"] if isinstance(in_pattern, dict) else in_pattern
        if not isinstance(root, (tuple, list)):
            raise TypeError(f"PatternSub: the input pattern must be (op, ...), got {in_pattern!r}")
        self.in_pattern, self.out_pattern = _resolved(in_pattern), out_pattern
        self.op = as_op(root[0])
        self.allow_multiple_clients = allow_multiple_clients
        self.__name__ = name or f"{_pattern_text(in_pattern)} -> {_pattern_text(out_pattern)}"

    def tracks(self):
        return [self.op]

    def transform_in(self, fgraph, node):
        if not op_matches(node.op, self.op) or len(node.outputs) != 1:
            return False
        bindings = self._match(fgraph, self.in_pattern, node.outputs[0], {}, root=True)
        if bindings is None:
            return False
        return [_built(self.out_pattern, bindings)]

    def transform(self, node):
        return self.transform_in(None, node)

    def _match(self, fgraph, pattern, var, bindings, root=False):
        if isinstance(pattern, dict):
            constraint = pattern.get("constraint", lambda fgraph, var: True)
            if not constraint(fgraph, var):
                return None
            pattern = pattern["pattern"]
        if isinstance(pattern, str):
            bound = bindings.get(pattern)
            if bound is None:
                return {**bindings, pattern: var}
            return bindings if bound is var else None
        if isinstance(pattern, Constant):
            same = isinstance(var, Constant) and var.signature() == pattern.signature()
            return bindings if same else None
        if isinstance(pattern, (int, float)):
            value = scalar_value(var)
            return bindings if value is not None and value == pattern else None
        node = var.owner
        if node is None or not op_matches(node.op, pattern[0]) or \
                len(node.inputs) != len(pattern) - 1:
            return None
        if not (root or self.allow_multiple_clients or fgraph is None or
                len(fgraph.clients.get(var, ())) <= 1):
            return None
        for sub_pattern, inp in zip(pattern[1:], node.inputs):
            bindings = self._match(fgraph, sub_pattern, inp, bindings)
            if bindings is None:
                return None
        return bindings


def _resolved(pattern):
    """The input pattern with each op resolved by ``as_op``."""
    if isinstance(pattern, dict):
        return {**pattern, "pattern": _resolved(pattern["pattern"])}
    if isinstance(pattern, (tuple, list)):
        return (as_op(pattern[0]),) + tuple(_resolved(p) for p in pattern[1:])
    return pattern


def _built(pattern, bindings):
    """The variable the output pattern stands for, under ``bindings``."""
    if isinstance(pattern, str):
        return bindings[pattern]
    if isinstance(pattern, Variable):
        return pattern
    if isinstance(pattern, (int, float)):
        return as_tensor_variable(pattern)
    args = [_built(p, bindings) for p in pattern[1:]]
    return call_op(pattern[0], args)[0]


def _pattern_text(pattern):
    if isinstance(pattern, dict):
        return f"{_pattern_text(pattern['pattern'])} subject to {pattern.get('constraint')}"
    if isinstance(pattern, (tuple, list)):
        op = getattr(pattern[0], "__name__", None) or str(pattern[0])
        return f"{op}({', '.join(_pattern_text(p) for p in pattern[1:])})"
    return str(pattern)


# ---------------------------------------------------------------------------
# Global optimizers and navigators
# ---------------------------------------------------------------------------


class Optimizer:
    """A rewrite of a whole graph (Theano's base class): subclasses define
    ``apply(fgraph)`` and, for the features it needs, ``add_requirements``."""

    def apply(self, fgraph):
        raise NotImplementedError(f"{type(self).__name__} defines no apply(fgraph)")

    def add_requirements(self, fgraph):
        """Attach the features ``apply`` needs (none by default)."""

    def optimize(self, fgraph, *args, **kwargs):
        """``add_requirements`` then ``apply``: what Theano calls."""
        self.add_requirements(fgraph)
        return self.apply(fgraph, *args, **kwargs)

    def __call__(self, fgraph):
        return self.optimize(fgraph)

    def __str__(self):
        return name_of(self)


class FromFunctionOptimizer(Optimizer):
    """A global optimizer made from a function ``fn(fgraph)`` by ``optimizer``."""

    def __init__(self, fn, requirements=()):
        self.fn, self.requirements = fn, tuple(requirements)
        self.__name__ = fn.__name__

    def apply(self, fgraph):
        return self.fn(fgraph)

    def add_requirements(self, fgraph):
        for requirement in self.requirements:
            requirement(fgraph)


def optimizer(fn):
    """Decorator: a function of a FunctionGraph as a global optimizer."""
    return FromFunctionOptimizer(fn)


class SeqOptimizer(Optimizer):
    """Several global optimizers, applied in order."""

    def __init__(self, *optimizers, **kwargs):
        if len(optimizers) == 1 and isinstance(optimizers[0], (list, tuple)):
            optimizers = optimizers[0]
        self.optimizers = list(optimizers)
        self.__name__ = kwargs.get("name") or "SeqOptimizer"

    def apply(self, fgraph):
        for opt in self.optimizers:
            opt.optimize(fgraph)


class MergeOptimizer(Optimizer):
    """Computes each distinct (op, inputs) once: cytensor's merge rewrite."""

    def apply(self, fgraph):
        return basic_rewrites.merge(fgraph)


class NavigatorOptimizer(Optimizer):
    """A global optimizer that offers nodes to one local optimizer."""

    def __init__(self, local_opt, ignore_newtrees="auto", failure_callback=None):
        self.local_opt = local_opt
        self.ignore_newtrees = ignore_newtrees is True
        self.failure_callback = failure_callback
        self.__name__ = f"{type(self).__name__}({name_of(local_opt)})"

    def add_requirements(self, fgraph):
        if hasattr(self.local_opt, "add_requirements"):
            self.local_opt.add_requirements(fgraph)

    def process_node(self, fgraph, node):
        """Offer ``node``; make its replacements.  Whether it changed anything.

        A replacement that would make a cycle is refused (InconsistencyError)
        and leaves the graph as it was; errors of the local optimizer go to
        ``failure_callback(exc, navigator, pairs, local_opt, node)`` when given.
        """
        try:
            pairs = offer(self.local_opt, fgraph, node)
            fgraph.replace_all_validate(pairs, reason=name_of(self.local_opt))
        except Exception as exc:
            if self.failure_callback is None:
                raise
            self.failure_callback(exc, self, [], self.local_opt, node)
            return False
        return bool(pairs)


class TopoOptimizer(NavigatorOptimizer):
    """Offers every node in topological order (``order='out_to_in'``: the
    reverse), and then the nodes the replacements brought in, unless
    ``ignore_newtrees``."""

    def __init__(self, local_opt, order="in_to_out", ignore_newtrees=False,
                 failure_callback=None):
        if order not in ("in_to_out", "out_to_in"):
            raise ValueError(f"TopoOptimizer: order must be 'in_to_out' or 'out_to_in', "
                             f"got {order!r}")
        super().__init__(local_opt, ignore_newtrees, failure_callback)
        self.order = order

    def _ordered(self, nodes):
        return nodes if self.order == "in_to_out" else nodes[::-1]

    def apply(self, fgraph):
        queue = deque(self._ordered(fgraph.toposort()))
        while queue:
            node = queue.popleft()
            if node not in fgraph.nodes:
                continue            # replaced meanwhile
            before = set(fgraph.nodes)
            if self.process_node(fgraph, node) and not self.ignore_newtrees:
                queue.extend(self._ordered([n for n in fgraph.toposort() if n not in before]))


def in2out(*local_opts, **kwargs):
    """A TopoOptimizer from inputs to outputs over the given local optimizers."""
    lopt = local_opts[0] if len(local_opts) == 1 else LocalOptGroup(*local_opts)
    return TopoOptimizer(lopt, order="in_to_out", **_navigator_options(kwargs))


def out2in(*local_opts, **kwargs):
    """A TopoOptimizer from outputs to inputs over the given local optimizers."""
    lopt = local_opts[0] if len(local_opts) == 1 else LocalOptGroup(*local_opts)
    return TopoOptimizer(lopt, order="out_to_in", **_navigator_options(kwargs))


def _navigator_options(kwargs):
    return {k: kwargs[k] for k in ("ignore_newtrees", "failure_callback") if k in kwargs}


OpKeyOptimizer = TopoOptimizer   # Theano's key-driven navigator: the same replacements


class EquilibriumOptimizer(Optimizer):
    """Local and global optimizers applied over and over until none changes
    the graph (the engine's fixed-point sweep, bounded as it is)."""

    def __init__(self, optimizers, failure_callback=None, ignore_newtrees=True,
                 max_use_ratio=None, final_optimizers=None, cleanup_optimizers=None,
                 name=None):
        self.optimizers = list(optimizers)
        self.final_optimizers = list(final_optimizers or []) + list(cleanup_optimizers or [])
        self.__name__ = name or "EquilibriumOptimizer"

    def add_requirements(self, fgraph):
        for opt in self.optimizers + self.final_optimizers:
            opt.add_requirements(fgraph)

    def apply(self, fgraph):
        rewrites = [as_rewrite(name_of(opt), opt, "canonicalize", ())
                    for opt in self.optimizers + self.final_optimizers]
        rewrite_graph(fgraph, rewrites)


def is_local(opt):
    """Whether ``opt`` rewrites single nodes (a local optimizer) rather than graphs."""
    return isinstance(opt, LocalOptimizer) or (hasattr(opt, "transform") and
                                               not hasattr(opt, "apply"))


def as_rewrite(name, opt, phase, tags):
    """An engine rewrite that runs a Theano-style optimizer in ``phase``.

    A global optimizer counts as having changed the graph when its set of
    nodes changed (Theano's ``apply`` returns nothing telling).
    """
    if is_local(opt):
        return Rewrite(name, phase, node_rule(opt), frozenset(tags))

    def rule(fgraph):
        before = set(fgraph.nodes)
        opt.optimize(fgraph) if hasattr(opt, "optimize") else opt(fgraph)
        return fgraph.nodes != before
    rule.__name__ = name
    return Rewrite(name, phase, rule, frozenset(tags), whole_graph=True)
