"""Debugging modes: check every node while a function runs.

``DebugMode`` trusts nothing.  For each node it runs the NumPy reference
(the op's readable definition) on copies of the inputs, then the compiled
kernel, and raises if

- the kernel's result differs from the reference beyond a tolerance
  (``BadThunkOutput``, with a report of where and by how much),
- an output's dtype, rank or static shape is not the one its type declares
  (``InvalidValueError``),
- the kernel wrote into an input it does not own: only the inputs its op's
  ``destroy_map`` names may be overwritten (``BadDestroyMap``),
- the kernel gives another result when handed stale output buffers full
  of garbage, as happens when buffers are reused between calls
  (``BadThunkOutput``),
- the rewritten graph computes other values than the graph before the
  rewrites (``BadRewrite``): the unrewritten graph runs too, checked the
  same way, and the outputs are compared.

It is slow (every node runs two or three times, every input is copied):
use it on small inputs to find a bug, not to train.  On a device the
kernel runs there, on the device's arrays, and every check reads the
values through the backend's ``to_numpy`` (``to_host``); the reference
runs on the host.

``NanGuardMode`` (nanguard.py) is the cheap check: nan, inf and huge values.
"""
import copy

import numpy as np

from ..config import config
from ..compile.devices import array_backend, to_host
from ..compile.linker import Schedule
from ..compile.mode import Mode, register_mode
from ..rewriting import FunctionGraph

# (rtol, atol) by dtype: kernels may sum in another order than NumPy and use
# vectorised transcendental functions, which differ in the last bits.
TOLERANCES = {"float16": (1e-2, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-10)}


class DebugModeError(Exception):
    """A check of DebugMode failed."""


class BadThunkOutput(DebugModeError):
    """A kernel's result differs from its op's NumPy reference."""


class InvalidValueError(DebugModeError):
    """A kernel returned a value its output type does not allow."""


class BadDestroyMap(DebugModeError):
    """A kernel overwrote an input that its op's destroy_map does not name."""


class BadRewrite(DebugModeError):
    """The rewritten graph computes other values than the original one."""


# ---------------------------------------------------------------------------
# DebugMode
# ---------------------------------------------------------------------------

class DebugMode(Mode):
    """Check every kernel against its reference, and the rewrites against the
    original graph.  See the module's docstring for the checks.

    rtol, atol: tolerances for floating-point results (default: by dtype,
    see TOLERANCES).  check_preallocated_output, check_rewrites: default
    from config.DebugMode__*.  The linker is always 'cy': the point is to
    compare the kernels with the references.

    Theano's other keyword arguments are accepted so that its code runs:
    check_c_code and check_py_code (cytensor has no C code; every kernel is
    always checked against its Python reference), check_isfinite (nan and
    inf are compared like other values here, not refused: NanGuardMode
    refuses them), stability_patience and require_matching_strides
    (nothing here depends on them).

    Parameters
    ----------
    optimizer : str or None
        As for :class:`Mode`.
    linker : ignored
        Always 'cy'.
    including, excluding : sequence of str
        As for :class:`Mode`.
    check_preallocated_output, check_rewrites : bool, optional
        Default from ``config.DebugMode__*``.
    rtol, atol : float, optional
        Tolerances for floating-point results (default: by dtype).
    name : str, optional
        The name shown by ``repr``.
    check_c_code, check_py_code, check_isfinite, stability_patience, require_matching_strides
        Theano's, accepted and unused.

    A check that fails raises a ``DebugModeError`` when the compiled
    function runs (``BadThunkOutput``, ``InvalidValueError``,
    ``BadDestroyMap`` or ``BadRewrite`` names which).

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], T.exp(x) * 2, mode=theano.DebugMode())
    >>> f(numpy.array([0.0, 1.0]))
    array([2.        , 5.43656366])
    """


    def __init__(self, optimizer="fast_run", linker=None, including=(), excluding=(),
                 check_preallocated_output=None, check_rewrites=None, rtol=None, atol=None,
                 name=None, check_c_code=None, check_py_code=None, check_isfinite=None,
                 stability_patience=None, require_matching_strides=None):
        super().__init__("cy", optimizer, including, excluding, name)
        self.check_preallocated_output = (config.DebugMode__check_preallocated_output
                                          if check_preallocated_output is None
                                          else check_preallocated_output)
        self.check_rewrites = (config.DebugMode__check_rewrites if check_rewrites is None
                               else check_rewrites)
        self.rtol, self.atol = rtol, atol

    def tolerance(self, dtype):
        rtol, atol = TOLERANCES.get(str(dtype), (0.0, 0.0))
        return (rtol if self.rtol is None else self.rtol,
                atol if self.atol is None else self.atol)

    def rewrite(self, fgraph):
        """Keep a copy of the graph as it was, to run it beside the rewritten one."""
        if self.check_rewrites:
            fgraph.unrewritten = FunctionGraph(fgraph.inputs, fgraph.outputs)
            fgraph.unrewritten.inputs_on = getattr(fgraph, "inputs_on", None)
        super().rewrite(fgraph)

    def link(self, fgraph):
        unrewritten = getattr(fgraph, "unrewritten", None)
        if unrewritten is None:
            return Schedule(fgraph, "cy", wrap_thunk=self._checked)
        return _ComparingSchedule(fgraph, unrewritten, self)

    def _checked(self, node, thunk, input_cells, output_cells):
        """The node's thunk, wrapped in DebugMode's checks."""
        op = node.op
        destroyed = {i for ins in getattr(op, "destroy_map", {}).values() for i in ins}

        def checked():
            before = [_copy(cell[0]) for cell in input_cells]
            try:
                expected = op.reference(node, *[_host_copy(v) for v in before])
            except NotImplementedError:
                expected = None             # still check types and inputs
            for cell in output_cells:
                cell[0] = None
            thunk()
            self._check_outputs(node, output_cells, expected, "")
            self._check_inputs_kept(node, input_cells, before, destroyed)
            if self.check_preallocated_output:
                for i in destroyed:             # give the kernel its inputs back
                    input_cells[i][0][...] = before[i]
                for cell in output_cells:
                    cell[0] = _garbage_like(cell[0])
                thunk()
                self._check_outputs(node, output_cells, expected,
                                    " when its output buffers held stale garbage (as when a "
                                    "buffer is reused between calls)")
        return checked

    def _check_outputs(self, node, output_cells, expected, when):
        for k, (var, cell) in enumerate(zip(node.outputs, output_cells)):
            value = cell[0]
            problem = _type_problem(var.type, value)
            if problem:
                raise InvalidValueError(
                    f"DebugMode: output {k} of {node.op} is not a valid value of its type "
                    f"{var.type}{when}: {problem}. The op's make_node declares that type; "
                    "its kernel must return it.")
            value = to_host(value)
            if expected is not None and not self._close(value, expected[k], var.type.dtype):
                raise BadThunkOutput(
                    f"DebugMode: the kernel of {node.op} and its NumPy reference disagree "
                    f"on output {k}{when}.\n"
                    + diff_report(expected[k], value, *self.tolerance(var.type.dtype),
                                  names=("reference", "kernel")))

    @staticmethod
    def _check_inputs_kept(node, input_cells, before, destroyed):
        for i, (var, cell) in enumerate(zip(node.inputs, input_cells)):
            if i not in destroyed and not _identical(to_host(cell[0]), to_host(before[i])):
                declared = getattr(node.op, "destroy_map", {})
                raise BadDestroyMap(
                    f"DebugMode: the kernel of {node.op} wrote into its input {i} ({var}), "
                    f"which it does not own (its destroy_map is {declared}). An op may "
                    "overwrite only the inputs its destroy_map names; fix the kernel, or "
                    "declare the input destroyed so that only dead values are given to it.\n"
                    + diff_report(to_host(before[i]), to_host(cell[0]), 0.0, 0.0,
                                  names=("before", "after")))

    def _close(self, got, expected, dtype):
        got, expected = np.asarray(got), np.asarray(expected)
        if got.shape != expected.shape:
            return False
        if got.dtype.kind in "fc" or expected.dtype.kind in "fc":
            rtol, atol = self.tolerance(dtype)
            with np.errstate(invalid="ignore", over="ignore"):
                return bool(np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True))
        return bool(np.array_equal(got, expected))


class _ComparingSchedule(Schedule):
    """DebugMode's schedule: the rewritten graph, then the original graph on the
    same input values, both checked node by node; their outputs must agree."""

    def __init__(self, fgraph, unrewritten, mode):
        super().__init__(fgraph, "cy", wrap_thunk=mode._checked)
        self.unrewritten = Schedule(unrewritten, "cy", wrap_thunk=mode._checked)
        self.mode = mode

    def run(self, before_commit=None):
        # The graph before rewrites runs first: the rewritten one may update
        # shared values in place, and both must see the values before the call.
        original = self.unrewritten
        for var in original.fgraph.inputs:
            original.cells[var][0] = _copy(self.cells[var][0])
        original.run()
        super().run(before_commit)
        for k, (new, old) in enumerate(zip(self.fgraph.outputs, original.fgraph.outputs)):
            got, expected = to_host(self.cells[new][0]), to_host(original.cells[old][0])
            if not self.mode._close(got, expected, new.type.dtype):
                raise BadRewrite(
                    f"DebugMode: the rewrites changed the value of output {k} ({old}) of "
                    "the function: the graph before the rewrites and the rewritten graph "
                    "disagree.\n"
                    + diff_report(expected, got, *self.mode.tolerance(new.type.dtype),
                                  names=("before rewrites", "after rewrites"))
                    + "\n" + self._suspects())
        original.clear_intermediates()

    def _suspects(self):
        trace = getattr(self.fgraph, "trace", None)
        applied = [entry[0] for entry in trace.entries] if trace is not None else \
            [getattr(n.tag, "rewrite", None) for n in self.nodes]
        names = list(dict.fromkeys(name for name in applied if name))
        if not names:
            return "No rewrite was applied."
        return ("Rewrites applied, in order: " + ", ".join(names) + ". Exclude them one "
                "at a time to find the culprit, e.g. "
                f"mode=DebugMode().excluding('{names[0]}').")


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    backend = array_backend(value)
    return copy.deepcopy(value) if backend is None else backend.copy(value)


def _host_copy(value):
    """A NumPy copy of ``value`` that the reference may keep or change: a
    device's ``to_numpy`` is one already, a NumPy array is copied."""
    return to_host(value) if array_backend(value) is not None else _copy(value)


def _garbage_like(value):
    """An array of the output's shape and dtype that no kernel could mean
    (on the output's device)."""
    backend = array_backend(value)
    if backend is not None:
        return backend.asarray(_garbage_like(backend.to_numpy(value)))
    if not isinstance(value, np.ndarray):
        return value
    if value.dtype.kind in "fc":
        return np.full_like(value, np.nan)
    if value.dtype.kind == "b":
        return np.ones_like(value)
    return np.full_like(value, np.iinfo(value.dtype).min)


def _identical(a, b):
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    return a is b or a == b


def _type_problem(ttype, value):
    """Why ``value`` is not a valid value of the tensor type (or ''): a
    NumPy array, or a device's array its backend finds fits the type."""
    backend = array_backend(value)
    if backend is not None:
        try:
            backend.check_array(ttype, value)
        except (TypeError, ValueError) as exc:
            return str(exc)
        return ""
    if not isinstance(value, np.ndarray):
        return f"it is a {type(value).__name__}, not a numpy.ndarray"
    if value.dtype != ttype.dtype:
        return f"its dtype is {value.dtype}, not {ttype.dtype}"
    if value.ndim != ttype.ndim:
        return f"it has {value.ndim} dimensions (shape {value.shape}), not {ttype.ndim}"
    for axis, (want, got) in enumerate(zip(ttype.shape, value.shape)):
        if want is not None and want != got:
            return f"its shape is {value.shape}, but axis {axis} must have length {want}"
    return ""


def diff_report(expected, got, rtol, atol, names=("expected", "got"), n_shown=5):
    """Where two arrays differ: shapes and dtypes, how many elements, the
    largest differences and the first mismatching elements."""
    expected, got = np.asarray(expected), np.asarray(got)
    lines = [f"  {names[0]}: shape {expected.shape}, dtype {expected.dtype}",
             f"  {names[1]}: shape {got.shape}, dtype {got.dtype}"]
    if expected.shape != got.shape:
        return "\n".join(lines + ["  the shapes differ"])
    with np.errstate(all="ignore"):
        a, b = expected.astype(np.float64), got.astype(np.float64)
        both_nan = np.isnan(a) & np.isnan(b)
        same_inf = np.isinf(a) & (a == b)
        error = np.where(both_nan | same_inf, 0.0, np.abs(a - b))
        bad = ~(error <= atol + rtol * np.abs(a))
    n_bad = int(bad.sum())
    lines.append(f"  {n_bad} of {bad.size} elements differ beyond rtol={rtol:g}, "
                 f"atol={atol:g}")
    if n_bad:
        finite = np.where(np.isnan(error), -1.0, error)
        worst = np.unravel_index(int(np.argmax(finite)), error.shape)
        with np.errstate(all="ignore"):
            relative = error[worst] / abs(a[worst]) if a[worst] else np.inf
        lines.append(f"  largest difference {error[worst]:.6g} (relative {relative:.3g}) "
                     f"at index {tuple(map(int, worst))}")
        for index in np.argwhere(bad)[:n_shown]:
            index = tuple(map(int, index))
            lines.append(f"    at {index}: {names[0]} {expected[index]}, "
                         f"{names[1]} {got[index]}")
    return "\n".join(lines)


register_mode("DebugMode", DebugMode)
register_mode("DEBUG_MODE", DebugMode)
