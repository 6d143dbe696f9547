"""Test values: run the graph on sample data while it is being built.

With ``config.compute_test_value`` set to 'raise' (or 'warn'), give the
graph's inputs sample values::

    x = T.matrix('x')
    x.tag.test_value = numpy.random.rand(5, 10)

and every node built from then on computes its outputs' ``tag.test_value``
as soon as it is made (``Op.__call__`` calls ``compute_test_value``).  A
shape error then stops the program at the line that builds the wrong node,
long before a function is compiled, and every variable's shape can be
printed while writing the model (``y.tag.test_value.shape``).

Modes: 'off' (default: nothing is computed), 'ignore' (compute when every
input has a value, skip silently otherwise), 'warn' (warn about missing
values and failures), 'raise' (raise for both), 'pdb' (enter the debugger
on a failure).
"""
import warnings

from ..config import config
from ..graph import Constant, LaterStages, format_trace


class TestValueError(ValueError):
    """A test value is missing, invalid, or the op failed on the test values."""

    __test__ = False            # not a pytest test class, despite the name


def get_test_value(var):
    """The test value of ``var``: a constant's data, a shared variable's value,
    or ``var.tag.test_value`` checked against the variable's type."""
    if isinstance(var, Constant):
        return var.data
    if hasattr(var, "get_value") and var.owner is None:
        return var.get_value(borrow=True)
    if not hasattr(var.tag, "test_value"):
        raise AttributeError(f"{var} has no test value")
    try:
        return var.type.filter(var.tag.test_value)
    except (TypeError, ValueError) as e:
        raise TestValueError(f"the test value of {var} does not fit its type {var.type}: "
                             f"{e}") from None


def compute_test_value(node):
    """Give ``node``'s outputs test values computed from its inputs' ones."""
    mode = config.compute_test_value
    if mode == "off":
        return
    values = []
    for i, var in enumerate(node.inputs):
        try:
            values.append(get_test_value(var))
        except AttributeError:
            if mode in ("raise", "pdb"):
                raise TestValueError(
                    f"cannot compute the test value of {node.op}: its input {i} ({var}) has "
                    "none. Set one, e.g. "
                    f"{var.name or 'x'}.tag.test_value = numpy.zeros(shape, "
                    f"dtype='{getattr(var.type, 'dtype', 'float64')}'), or set "
                    "config.compute_test_value = 'off'.") from None
            if mode == "warn":
                warnings.warn(f"cannot compute the test value of {node.op}: its input {i} "
                              f"({var}) has none", stacklevel=4)
            return
    cells = [[None] for _ in node.outputs]
    try:
        node.op.perform(node, values, cells)
    except Exception as exc:
        message = (f"{exc}\n\nwhile computing the test value of {node.op}, built at\n  "
                   + format_trace(node) + "\n"
                   + "".join(f"  input {i}: {var} {var.type}: {_shape(v)}\n"
                             for i, (var, v) in enumerate(zip(node.inputs, values))))
        if mode == "warn":
            warnings.warn(message, stacklevel=4)
            return
        if mode == "pdb":
            import pdb
            pdb.post_mortem(exc.__traceback__)
        try:
            new = type(exc)(message)
        except Exception:
            new = TestValueError(message)
        raise new.with_traceback(exc.__traceback__) from None
    for out, cell in zip(node.outputs, cells):
        out.tag.test_value = cell[0]


def _shape(value):
    shape = getattr(value, "shape", None)
    return f"shape {shape}" if shape is not None else repr(value)


LaterStages.compute_test_value = compute_test_value     # Op.__call__ calls it
