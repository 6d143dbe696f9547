"""Named graph rewrites, run in phases to a fixed point.

A rewrite is a function ``rule(fgraph, node)`` that returns None (no
change), a list of variables replacing ``node.outputs``, or a dict
{old variable: new variable} when it replaces variables other than the
node's outputs (a reader of the node, say).  It is
registered under a name, a phase and tags.  ``rewrite_graph`` runs the
phases in order; within a phase it sweeps the graph, applying every rule to
every node (and at once to the nodes a rewrite brings in), until a sweep
changes nothing (or a bound is reached).

Each rewrite can be turned off by name or tag (``Mode(excluding=[...])``,
``config.optimizer_excluding``), and ``config.optimizer_verbose`` prints
every application, before and after: the teaching view of a compiler.
"""
import sys
from dataclasses import dataclass, field
from typing import Callable

from ..config import config
from ..graph import creation_site
from ..tensor.elemwise import Elemwise
from ..tensor.elemwise_table import ELEMWISE

PHASES = ("merge", "constant_folding", "canonicalize", "stabilize", "specialize",
          "fusion", "inplace")
MAX_SWEEPS = 50


@dataclass
class Rewrite:
    name: str
    phase: str
    rule: Callable
    tags: frozenset = field(default_factory=frozenset)
    whole_graph: bool = False     # rule(fgraph) instead of rule(fgraph, node)
    tracks: tuple = None          # Op classes / elementwise table rows it can change; None: all

    def offered(self, op_class, row):
        """Whether nodes of ``op_class`` (computing elementwise ``row``) go to this rule."""
        return self.tracks is None or any(t is row for t in self.tracks) or \
            any(isinstance(t, type) and issubclass(op_class, t) for t in self.tracks)


def _tracked(tracks, rule):
    """``tracks`` with each row name replaced by its table row; an unknown
    name is an error here, not a rule that is never offered a node."""
    if tracks is None:
        return None
    found = []
    for t in tracks:
        if isinstance(t, str):
            if t not in ELEMWISE:
                raise ValueError(f"rewrite {rule.__name__}: tracks {t!r}, which is not "
                                 "a row of the elementwise table")
            t = ELEMWISE[t]
        found.append(t)
    return tuple(found)


REGISTRY = []


def register(phase, *tags, whole_graph=False, tracks=None):
    """Decorator: add a rewrite rule to ``phase``; tags like 'fast_compile'.

    tracks: the Op classes, or names of elementwise table rows ('mul': a
    one-row Elemwise computing mul), of the only nodes the rule can change;
    the engine offers it no others, so a sweep costs the rules that apply.
    """
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; phases are {PHASES}")

    def add(rule):
        REGISTRY.append(Rewrite(rule.__name__, phase, rule,
                                frozenset(tags) | {phase, rule.__name__}, whole_graph,
                                _tracked(tracks, rule)))
        return rule
    return add


def selected(optimizer, including=(), excluding=()):
    """The rewrites an optimizer setting ('fast_run', 'fast_compile', None) runs."""
    if optimizer in (None, "None", "none"):
        chosen = []
    elif optimizer == "fast_compile":
        chosen = [r for r in REGISTRY if "fast_compile" in r.tags]
    elif optimizer == "fast_run":
        chosen = [r for r in REGISTRY if "optional" not in r.tags]
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}: use 'fast_run', "
                         "'fast_compile' or None")
    including = set(including) | set(config.optimizer_including)
    excluding = set(excluding) | set(config.optimizer_excluding)
    chosen += [r for r in REGISTRY if r not in chosen and r.tags & including]
    return [r for r in chosen if not r.tags & excluding]


class Trace:
    """Records every replacement rewrites make; prints each one when ``verbose``.

    Formulas are printed when the trace is shown (or at once when verbose):
    pretty-printing every replacement would slow every compilation down.
    """

    def __init__(self, verbose=False, stream=None):
        self.verbose, self.stream, self.entries = verbose, stream, []

    def __call__(self, reason, old, new):
        entry = (reason, old, new) if not self.verbose else self._format(reason, old, new)
        self.entries.append(entry)
        if self.verbose:
            print(f"rewrite {entry[0]}: {entry[1]}  ->  {entry[2]}",
                  file=self.stream or sys.stdout)

    @staticmethod
    def _format(reason, old, new):
        from ..debug.printing import pp   # deferred: printing sits above (it draws compiled functions)
        if isinstance(old, str):
            return reason, old, new
        with config.change_flags(print_style="cytensor"):   # the detailed view: types, programs
            before, after = pp(old), pp(new)
            old_type, new_type = str(old.type), str(new.type)
        if before == after:       # the difference is in the types (or it is a merge)
            before, after = f"{before} ({old_type})", f"{after} ({new_type})"
        return reason, before, after

    def show(self, file=None):
        """Print every rewrite applied, in order: what each node became."""
        for entry in self.entries:
            reason, before, after = self._format(*entry)
            print(f"{reason}: {before}  ->  {after}", file=file or sys.stdout)


def rewrite_graph(fgraph, rewrites):
    """Apply ``rewrites`` to ``fgraph`` phase by phase, each to a fixed point.

    A sweep offers every node, in order, to each node rule of the phase
    (the first that fires replaces it), then runs the whole-graph rules.
    The nodes a replacement brings in are offered next, within the same
    sweep, so a cascade (a shape computed through a hundred layers, a
    DimShuffle of a DimShuffle of ...) costs one sweep, not one per step;
    a phase ends after the first sweep that changes nothing.
    """
    for phase in PHASES:
        node_rules = [r for r in rewrites if r.phase == phase and not r.whole_graph]
        graph_rules = [r for r in rewrites if r.phase == phase and r.whole_graph]
        if not node_rules and not graph_rules:
            continue
        budget = [MAX_SWEEPS * max(len(fgraph.nodes), 1)]
        for _ in range(MAX_SWEEPS):
            changed = _sweep(fgraph, node_rules, budget) if node_rules else False
            for rewrite in graph_rules:
                changed |= bool(rewrite.rule(fgraph))
            if not changed:
                break
    return fgraph


def _sweep(fgraph, rules, budget):
    """Offer each node, in topological order, to ``rules``; True if one fired.

    A worklist: the nodes a replacement brings in go on top, each after its
    new inputs.  ``budget`` ([n]) bounds the replacements whose new nodes
    are offered at once, as MAX_SWEEPS sweeps bounded them when every step
    took a sweep: rules that undo each other cannot loop for ever.
    """
    pending = fgraph.toposort()
    pending.reverse()               # a stack: the first node on top
    changed = False
    rules_for = {}                  # (op class, row name) -> the rules offered such nodes
    with creation_site.inherited(None):
        while pending:
            node = pending.pop()
            row = node.op.scalar_op if isinstance(node.op, Elemwise) else None
            kind = (type(node.op), row.name if row is not None else None)
            if kind not in rules_for:
                rules_for[kind] = [r for r in rules if r.offered(type(node.op), row)]
            creation_site.trace = getattr(node.tag, "trace", [])   # what the rules make
            for rewrite in rules_for[kind]:
                if node not in fgraph.nodes:
                    break               # replaced by an earlier rewrite in this sweep
                answer = rewrite.rule(fgraph, node)
                if answer is None:          # the usual answer: checked here, without a call
                    continue
                pairs = checked_replacements(rewrite.name, node, answer)
                if not pairs:
                    continue
                imported = []
                for old, var in pairs:
                    imported += fgraph.replace(old, var, reason=rewrite.name)
                if budget[0] > 0:
                    budget[0] -= 1
                    pending.extend(reversed(imported))
                changed = True
                break
    return changed

def checked_replacements(name, node, new):
    """The (old, new) pairs the answer of rule ``name`` on ``node`` asks
    for, checked; [] for no change."""
    if new is None:
        return []
    if isinstance(new, dict):
        pairs = list(new.items())
    elif len(new) != len(node.outputs):
        raise ValueError(f"rewrite {name} returned {len(new)} variables for "
                         f"{len(node.outputs)} outputs of {node}")
    else:
        pairs = list(zip(node.outputs, new))
    pairs = [(old, var) for old, var in pairs if var is not None]
    for old, var in pairs:
        if var.type.dtype != old.type.dtype or var.type.ndim != old.type.ndim:
            raise TypeError(f"rewrite {name} replaced {old} ({old.type}) by "
                            f"{var} ({var.type}) in {node}")
    return pairs
