"""NanGuardMode: find the node that made the first nan, inf or huge value.

After each node it looks for nan, inf or huge values and names the first
node that made one, with a summary of that node's inputs, so a nan is
traced to its source instead of being found in the loss a hundred nodes
later.  It is cheap next to DebugMode (debugmode.py): one scan of each
result.  On a device, each value is read through its backend's
``to_numpy`` (a copy to the host per node: slow, but every node checked).
"""
import numpy as np

from ..compile.devices import to_host
from ..compile.linker import Schedule, describe_value
from ..compile.mode import Mode, register_mode
from ..config import config
from ..graph import Constant

BIG = 1e10          # NanGuardMode's "huge", as in Theano


class NanGuardError(AssertionError):
    """A node produced nan, inf or a huge value (AssertionError, as in Theano)."""


class NanGuardMode(Mode):
    """Raise at the first node that produces nan, inf or a huge value.

    The graph's inputs and shared values are checked too, where a node
    first reads them.

    Parameters
    ----------
    nan_is_error, inf_is_error, big_is_error : bool, optional
        Which values are errors (big: ``abs(x) > 1e10``); each defaults to
        the flag ``config.NanGuardMode__nan_is_error`` and its siblings.

    Examples
    --------
    >>> x = T.dvector("x")
    >>> f = theano.function([x], T.log(x), mode=theano.NanGuardMode())
    >>> f(numpy.array([-1.0]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    cytensor.debug.nanguard.NanGuardError: ...
    """

    def __init__(self, nan_is_error=None, inf_is_error=None, big_is_error=None,
                 optimizer="default", linker=None, including=(), excluding=(), name=None):
        super().__init__(linker, optimizer, including, excluding, name)
        self.nan_is_error = config.NanGuardMode__nan_is_error if nan_is_error is None \
            else nan_is_error
        self.inf_is_error = config.NanGuardMode__inf_is_error if inf_is_error is None \
            else inf_is_error
        self.big_is_error = config.NanGuardMode__big_is_error if big_is_error is None \
            else big_is_error

    def link(self, fgraph):
        graph_inputs = set(fgraph.inputs) | {          # shared variables too
            v for node in fgraph.toposort() for v in node.inputs
            if v.owner is None and not isinstance(v, Constant)}

        def guarded_thunk(node, thunk, input_cells, output_cells):
            leaves = [(i, var, cell) for i, (var, cell) in enumerate(zip(node.inputs,
                                                                         input_cells))
                      if var in graph_inputs]

            def guarded():
                for i, var, cell in leaves:
                    problem = self.problem(cell[0])
                    if problem:
                        raise NanGuardError(
                            f"NanGuardMode: {problem} in {var}, an input of the function "
                            f"(input {i} of {node.op}): "
                            f"{summarize(cell[0])}. The bad value comes from the caller "
                            "or from a shared variable's value, not from the graph.")
                thunk()
                for k, cell in enumerate(output_cells):
                    problem = self.problem(cell[0])
                    if problem:
                        raise NanGuardError(self._message(node, k, problem, input_cells,
                                                          cell[0]))
            return guarded
        return Schedule(fgraph, self.linker, wrap_thunk=guarded_thunk)

    def problem(self, value):
        """'nan', 'inf' or 'a huge value (``|x| > 1e10``)' if ``value`` has one, else ''
        (a device's array is read through its backend)."""
        value = to_host(value)
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fc":
            return ""
        if self.nan_is_error and np.isnan(value).any():
            return "nan"
        if self.inf_is_error and np.isinf(value).any():
            return "inf"
        if self.big_is_error:
            with np.errstate(invalid="ignore"):
                if (np.isfinite(value) & (np.abs(value) > BIG)).any():
                    return f"a huge value (|x| > {BIG:g})"
        return ""

    @staticmethod
    def _message(node, k, problem, input_cells, value):
        lines = [f"NanGuardMode: {problem} in output {k} of {node.op}; it is the first "
                 f"node, in the order the nodes run, that produced one.",
                 f"  output {k}: {summarize(value)}",
                 "Its inputs:"]
        for i, (var, cell) in enumerate(zip(node.inputs, input_cells)):
            lines.append(f"  {i}: {var}: {summarize(cell[0])}")
        made = getattr(node.tag, "rewrite", None)
        if made:
            lines.append(f"The rewrite {made} made this node; to see the ops your code "
                         f"built, compile with mode=NanGuardMode(...).excluding('{made}').")
        return "\n".join(lines)


def summarize(value):
    """'shape (4,), dtype float64, min -1, max 3, mean 0.75, 1 nan, 0 inf'."""
    value = to_host(value)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fciub":
        return describe_value(value)
    head = f"shape {value.shape}, dtype {value.dtype}"
    if value.size == 0:
        return head + ", empty"
    if value.dtype.kind not in "fc":
        return head + f", min {value.min()}, max {value.max()}"
    finite = value[np.isfinite(value)]
    stats = (f", min {finite.min():.4g}, max {finite.max():.4g}, mean {finite.mean():.4g}"
             if finite.size else ", no finite value")
    return (head + stats + f", {int(np.isnan(value).sum())} nan, "
            f"{int(np.isinf(value).sum())} inf")


register_mode("NanGuardMode", NanGuardMode)
