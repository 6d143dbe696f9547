"""Profiling: where a compiled function spends its time and memory.

``function(..., profile=True)`` (or ``config.profile = True``) attaches a
ProfileStats to the function.  Each call records its total time, the time
spent running the schedule, and the time of every node; the difference
between the call and the schedule is the Python overhead of the call
(checking inputs, copying outputs, writing updates).  Node input shapes
(and, with ``config.profile_memory``, the bytes each node allocates) are
recorded whenever the shapes of the function's inputs change, so a
steady stream of calls pays only for the clocks.

``f.profile.summary()`` prints the tables.  One ProfileStats may be given
to several functions (``profile=stats``); ``merge`` adds profiles up.
Profiles print themselves when the interpreter exits if
``config.profile`` or ``config.print_global_stats`` is set, as Theano's did.
"""
import atexit
import sys
import time
from collections import defaultdict

from ..config import config
from ..graph import user_trace


class ProfileStats:
    """Timings of one or more functions (pass the same object to several).

    ``function(..., profile=True)`` makes one, kept as ``f.profile``; the
    time of each node, op and op class, the calls' Python overhead and the
    rewrites' time are in ``summary()``.

    Parameters
    ----------
    name : str, optional
        The title of the summary (default: the function's name, or where it was made).
    atexit_print : bool
        Print the summary at interpreter exit (when the config asks for it).
    memory : bool, optional
        Record the bytes of intermediates (default: ``config.profile_memory``).

    Examples
    --------
    >>> x = T.dvector('x')
    >>> profile = theano.ProfileStats(name='demo', atexit_print=False)
    >>> f = theano.function([x], T.exp(x).sum(), profile=profile)
    >>> _ = f(numpy.ones(3)), f(numpy.ones(3))
    >>> profile.calls
    2
    >>> profile.summary()                # doctest: +ELLIPSIS
    Function profile: demo
      Calls: 2, ... s in all, ... s per call
    ...
    """

    def __init__(self, name=None, atexit_print=True, memory=None):
        self.name = name
        self.memory = config.profile_memory if memory is None else memory
        self.calls = 0
        self.call_time = 0.0            # whole calls, as the caller sees them
        self.schedule_time = 0.0        # inside Schedule.run_profiled
        self.rewrite_time = 0.0
        self.node_time = defaultdict(float)
        self.node_shapes = defaultdict(list)    # node -> distinct input shapes seen
        self.output_bytes = {}          # output variable -> bytes of storage it owns
        self.runs = {}                  # schedule -> successful runs
        self.branch_calls = defaultdict(int)    # node in a lazy ifelse branch -> runs
        self._leaf_shapes = {}          # schedule -> input shapes at the last record
        self._bookkeeping = 0.0         # seconds record_run took in the call under way
        if atexit_print:
            _AT_EXIT.append(self)

    # --- recording (called by function() and Schedule.run_profiled) ----------
    def record_compile(self, fn, rewrite_time):
        if self.name is None:               # Theano named a profile by where it was made
            where = user_trace()
            self.name = fn.name or (f"{where[-1][0]}:{where[-1][1]}" if where else None)
        self.rewrite_time += rewrite_time
        self.runs.setdefault(fn.schedule, 0)

    def record_call(self, seconds):
        """A whole call took ``seconds``, of which the profile's own bookkeeping
        (record_run) is left out: the call's time is what it costs unprofiled."""
        self.calls += 1
        self.call_time += seconds - self._bookkeeping
        self._bookkeeping = 0.0

    def record_run(self, schedule, seconds):
        """After a run: count it, and note shapes (and bytes) if inputs changed shape."""
        start = time.perf_counter()
        self.schedule_time += seconds
        self.runs[schedule] = self.runs.get(schedule, 0) + 1
        shapes = [getattr(cell[0], "shape", None) for cell in schedule.leaf_cells]
        if shapes != self._leaf_shapes.get(schedule):
            self._leaf_shapes[schedule] = shapes
            self._record_shapes(schedule)
        self._bookkeeping += time.perf_counter() - start

    def _record_shapes(self, schedule):
        cells = schedule.cells
        for node in schedule.nodes:
            shapes = tuple(getattr(cells[v][0], "shape", None) for v in node.inputs)
            if shapes not in self.node_shapes[node]:
                self.node_shapes[node].append(shapes)
            if self.memory:
                aliased = _aliases(node)
                for k, out in enumerate(node.outputs):
                    value = cells[out][0]
                    if k not in aliased and hasattr(value, "nbytes"):
                        self.output_bytes[out] = max(self.output_bytes.get(out, 0),
                                                     value.nbytes)

    # --- combining ------------------------------------------------------------
    @property
    def node_calls(self):
        """How many times each node ran, as ``{node: count}``: once per run of
        its schedule, or as often as its ifelse branch was taken."""
        return {node: self.branch_calls[node] if node in schedule.branch_nodes else runs
                for schedule, runs in self.runs.items() for node in schedule.nodes}

    def merge(self, *others):
        """A new ProfileStats adding this one and ``others`` up."""
        total = ProfileStats(self.name, atexit_print=False, memory=self.memory)
        for stats in (self,) + others:
            total.calls += stats.calls
            total.call_time += stats.call_time
            total.schedule_time += stats.schedule_time
            total.rewrite_time += stats.rewrite_time
            for node, t in stats.node_time.items():
                total.node_time[node] += t
            for node, shapes in stats.node_shapes.items():
                total.node_shapes[node].extend(
                    s for s in shapes if s not in total.node_shapes[node])
            for var, nbytes in stats.output_bytes.items():
                total.output_bytes[var] = max(total.output_bytes.get(var, 0), nbytes)
            for schedule, runs in stats.runs.items():
                total.runs[schedule] = total.runs.get(schedule, 0) + runs
            for node, calls in stats.branch_calls.items():
                total.branch_calls[node] += calls
        return total

    __add__ = merge

    # --- reading ----------------------------------------------------------------
    def per_call(self):
        """(seconds a call, seconds in the schedule, seconds in the nodes),
        averaged over the calls.  A call minus its schedule is the Python
        overhead of the call (input checks, locks, output copies, updates);
        the schedule minus its nodes, the loop between them and the clocks."""
        if not self.calls:
            return 0.0, 0.0, 0.0
        return (self.call_time / self.calls, self.schedule_time / self.calls,
                sum(self.node_time.values()) / self.calls)

    def memory_peaks(self):
        """(bytes all intermediates hold, peak if each were freed after its last
        reader), summed over the profiled functions."""
        held = freed = 0
        for schedule in self.runs:
            h, f = _peaks(schedule, self.output_bytes)
            held, freed = held + h, freed + f
        return held, freed

    def summary(self, file=None, n_ops=None, n_nodes=None):
        """Print the profile as tables: totals, op classes, ops, nodes, memory.

        Parameters
        ----------
        file : stream, optional
            Default: stdout.
        n_ops, n_nodes : int, optional
            How many ops and nodes the tables list (default:
            ``config.profiling__n_ops`` and ``config.profiling__n_apply``).

        Returns
        -------
        None

        Examples
        --------
        >>> import io
        >>> x = T.dvector('x')
        >>> f = theano.function([x], 2 * x, profile=True)
        >>> _ = f(numpy.ones(2))
        >>> text = io.StringIO()
        >>> f.profile.summary(file=text)
        >>> 'Calls: 1' in text.getvalue()
        True
        """

        file = file or sys.stdout
        n_ops = config.profiling__n_ops if n_ops is None else n_ops
        n_nodes = config.profiling__n_apply if n_nodes is None else n_nodes
        print("\n".join(self._summary_lines(n_ops, n_nodes)), file=file)

    def _summary_lines(self, n_ops, n_nodes):
        in_nodes = sum(self.node_time.values())
        calls, call_time = self.calls, self.call_time
        overhead = call_time - self.schedule_time
        lines = [f"Function profile: {self.name or '<unnamed>'}",
                 f"  Calls: {calls}, {call_time:.6f} s in all"
                 + (f", {call_time / calls:.3e} s per call" if calls else ""),
                 f"  In the schedule: {self.schedule_time:.6f} s "
                 f"({_pct(self.schedule_time, call_time)} of the calls); "
                 f"in the nodes: {in_nodes:.6f} s",
                 f"  Python overhead of the calls (input checks, output copies, "
                 f"updates): {overhead:.6f} s ({_pct(overhead, call_time)})",
                 "  Per call: {:.3e} s, {:.3e} s in the schedule, {:.3e} s in the nodes"
                 .format(*self.per_call()),
                 f"  Rewrites: {self.rewrite_time:.6f} s; "
                 f"{sum(len(s.nodes) for s in self.runs)} nodes in "
                 f"{len(self.runs)} function(s)"]
        node_calls = self.node_calls
        for title, key in (("Op class", lambda node: type(node.op).__name__),
                           ("Op", lambda node: str(node.op))):
            lines += ["", f"  <% time> <sum %>  <total s> <per call s> <calls> <nodes>"
                          f"  <{title}>"]
            lines += self._grouped_rows(key, in_nodes, n_ops, node_calls)
        position = {node: k for schedule in self.runs for k, node in enumerate(schedule.nodes)}
        lines += ["", "  <% time> <sum %>  <total s> <per call s> <calls>  <id>  <Node> "
                      "(input shapes below)"]
        for row, node in _ranked(self.node_time, in_nodes, n_nodes):
            calls = node_calls.get(node, 0)
            lines.append(f"{row} {_per_call(self.node_time[node], calls)} {calls:>7}  "
                         f"{position.get(node, '?'):>4}  {_short(node, 70)}")
            for shapes in self.node_shapes.get(node, [])[-3:]:
                lines.append(f"{'':>46}input shapes: {', '.join(map(str, shapes))}")
        if self.memory:
            held, freed = self.memory_peaks()
            lines += ["", "  Memory of intermediates (config.profile_memory):",
                      f"    held by the schedule (all live during a call, kept for the "
                      f"next): {_bytes(held)}",
                      f"    peak if each were freed after its last reader: {_bytes(freed)}"]
            by_node = defaultdict(int)
            for var, nbytes in self.output_bytes.items():
                by_node[var.owner] += nbytes
            for node, nbytes in sorted(by_node.items(), key=lambda kv: -kv[1])[:n_nodes]:
                lines.append(f"    {_bytes(nbytes):>10}  {_short(node, 70)}")
        return lines

    def _grouped_rows(self, key, whole, limit, node_calls):
        """One row per group of nodes (by op class, or by op)."""
        times, calls, nodes = defaultdict(float), defaultdict(int), defaultdict(int)
        for node, t in self.node_time.items():
            group = key(node)
            times[group] += t
            calls[group] += node_calls.get(node, 0)
            nodes[group] += 1
        return [f"{row} {_per_call(times[g], calls[g])} {calls[g]:>7} {nodes[g]:>7}"
                f"  {_short(g, 70)}" for row, g in _ranked(times, whole, limit)]

    def __repr__(self):
        return (f"<ProfileStats {self.name or '<unnamed>'}: {self.calls} calls, "
                f"{self.call_time:.6f} s>")


def _ranked(times, whole, limit):
    """Rows '<% time> <sum %> <total s>' for the ``limit`` largest entries."""
    cumulative = 0.0
    for key, t in sorted(times.items(), key=lambda kv: -kv[1])[:limit]:
        cumulative += t
        yield f"  {_pct(t, whole):>7} {_pct(cumulative, whole):>6} {t:>10.6f}", key


def _aliases(node):
    """{output position: input position} for the outputs that live in an
    input's storage: views, and outputs written over an input."""
    pairs = {**getattr(node.op, "view_map", {}), **getattr(node.op, "destroy_map", {})}
    return {out: ins[0] for out, ins in pairs.items()}


def _peaks(schedule, output_bytes):
    """(sum of the intermediates' bytes, peak if each were freed after its last
    reader).  Views and in-place outputs live in their input's storage."""
    owner_of = {}                       # variable -> the variable owning its storage
    last_reader = {}
    for k, node in enumerate(schedule.nodes):
        aliases = _aliases(node)
        for j, out in enumerate(node.outputs):
            src = node.inputs[aliases[j]] if j in aliases else out
            owner_of[out] = owner_of.get(src, src)
            last_reader.setdefault(owner_of[out], k)       # never read: dead at once
        for inp in node.inputs:
            last_reader[owner_of.get(inp, inp)] = k
    kept = {owner_of.get(o, o) for o in schedule.fgraph.outputs}
    dies_after = defaultdict(list)
    for var, k in last_reader.items():
        if var not in kept:
            dies_after[k].append(var)
    live = peak = 0
    for k, node in enumerate(schedule.nodes):
        live += sum(output_bytes.get(out, 0) for out in node.outputs)
        peak = max(peak, live)
        live -= sum(output_bytes.get(var, 0) for var in dies_after[k])
    held = sum(output_bytes.get(out, 0) for node in schedule.nodes for out in node.outputs)
    return held, peak


def _pct(part, whole):
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _per_call(seconds, calls):
    return f"{seconds / calls:>10.3e}" if calls else f"{'-':>10}"


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0


def _short(obj, width):
    text = str(obj)
    return text if len(text) <= width else text[:width - 3] + "..."


# ---------------------------------------------------------------------------
# Printing at interpreter exit
# ---------------------------------------------------------------------------

_AT_EXIT = []       # every ProfileStats made with atexit_print=True


def print_at_exit(file=None):
    """Print the profiles that ran (and, with print_global_stats, their sum)."""
    if not (config.profile or config.print_global_stats):
        return
    profiles = [p for p in _AT_EXIT if p.calls]
    if not profiles:
        return
    if file is None:
        destination = config.profiling__destination
        file = {"stderr": sys.stderr, "stdout": sys.stdout}.get(destination)
        if file is None:
            with open(destination, "w") as stream:
                return print_at_exit(stream)
    for stats in profiles:
        stats.summary(file=file)
        print(file=file)
    if config.print_global_stats and len(profiles) > 1:
        total = profiles[0].merge(*profiles[1:])
        total.name = f"sum of the {len(profiles)} profiles above"
        total.summary(file=file)


atexit.register(print_at_exit)
