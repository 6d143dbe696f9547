"""Profiling: where a compiled function spends its time.

``function(..., profile=True)`` attaches a ProfileStats to the function;
every call records the total time and the time of each node.
``f.profile.summary()`` prints the tables.
"""
import sys
from collections import defaultdict


class ProfileStats:
    """Timings of one or more functions (pass the same object to several)."""

    def __init__(self, name=None):
        self.name = name
        self.calls = 0
        self.call_time = 0.0
        self.rewrite_time = 0.0
        self.node_time = defaultdict(float)
        self.node_calls = defaultdict(int)
        self.node_shapes = {}

    def record_compile(self, fn, rewrite_time):
        self.rewrite_time += rewrite_time

    def record_node(self, node, seconds, schedule):
        self.node_time[node] += seconds
        self.node_calls[node] += 1
        if node not in self.node_shapes:
            self.node_shapes[node] = [getattr(schedule.cells[v][0], "shape", None)
                                      for v in node.inputs]

    def record_call(self, seconds):
        self.calls += 1
        self.call_time += seconds

    def summary(self, file=None, n_nodes=20):
        file = file or sys.stdout
        total_nodes = sum(self.node_time.values())
        print(f"Function profile: {self.name or '<unnamed>'}", file=file)
        print(f"  {self.calls} calls, {self.call_time:.6f} s in calls, "
              f"{total_nodes:.6f} s in nodes ({_pct(total_nodes, self.call_time)}), "
              f"rewrites {self.rewrite_time:.6f} s", file=file)
        by_class = defaultdict(float)
        for node, t in self.node_time.items():
            by_class[type(node.op).__name__] += t
        print("\n  Op class             time %     total s", file=file)
        for cls, t in sorted(by_class.items(), key=lambda kv: -kv[1]):
            print(f"  {cls:<20} {_pct(t, total_nodes):>7} {t:>11.6f}", file=file)
        print("\n  Node                                     time %     total s   per call"
              "  calls  input shapes", file=file)
        ranked = sorted(self.node_time.items(), key=lambda kv: -kv[1])[:n_nodes]
        for node, t in ranked:
            calls = self.node_calls[node]
            label = str(node)
            label = label if len(label) <= 40 else label[:37] + "..."
            print(f"  {label:<40} {_pct(t, total_nodes):>7} {t:>11.6f} "
                  f"{t / max(calls, 1):>10.2e} {calls:>6}  {self.node_shapes.get(node)}",
                  file=file)


def _pct(part, whole):
    return f"{100.0 * part / whole:.1f}%" if whole else "-"
