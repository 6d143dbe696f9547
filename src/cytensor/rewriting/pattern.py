"""Patterns for rewrites, matched on the ops themselves, not on their names.

A rewrite says what it looks for as a small expression::

    X = Var("X")
    found = match(node.outputs[0], E.log(E.add(1, X)))
    if found:
        x = found["X"]          # the variable X stood for

``E.log`` is the pattern of the elementwise table's row ``log``: a name the
table does not have fails when the rewrite module is imported, so a typo
cannot become a rewrite that silently never applies.  A pattern matches
a variable computed by that row's Elemwise (the row object itself is
compared, by identity) whose inputs match the arguments in turn:

* ``Var("X")`` matches any variable; the same name twice must be the same
  variable (``E.sub(X, X)`` is ``x - x``).
* a number matches a constant whose elements all equal it, also through
  DimShuffles (``E.add(1, X)``).
* for the commutative rows (the table's ``commutative``) the two arguments are also
  tried the other way round: ``E.add(1, X)`` matches ``x + 1``.
"""
import numpy as np

from ..graph import Constant
from ..tensor.elemwise import DimShuffle, Elemwise
from ..tensor.elemwise_table import ELEMWISE


class Var:
    """A named hole in a pattern: matches any variable, binding it to the name."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


class RowPattern:
    """One table row applied to argument patterns."""

    def __init__(self, row, args):
        if len(args) != row.arity:
            raise TypeError(f"pattern {row.name} takes {row.arity} arguments, got {len(args)}")
        self.row, self.args = row, tuple(args)

    def __repr__(self):
        return f"{self.row.name}({', '.join(map(repr, self.args))})"


class _Rows:
    """``E.log(...)``: a pattern constructor for each row of the table."""

    def __getattr__(self, name):
        if name not in ELEMWISE:
            raise AttributeError(f"no elementwise row named {name!r} to match")
        row = ELEMWISE[name]
        return lambda *args: RowPattern(row, args)


E = _Rows()


def row_of(var):
    """The table row computing ``var`` (a one-instruction Elemwise), else None."""
    node = var.owner
    if node is not None and isinstance(node.op, Elemwise):
        return node.op.scalar_op
    return None


def scalar_value(var):
    """The value of a constant whose elements are all equal (seen through
    DimShuffles), else None."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    if isinstance(var, Constant):
        data = var.data
        if data.size == 1:              # most constants: no array comparison needed
            value = data.flat[0]
            return value if value == value else None    # nan equals nothing
        if data.size and np.all(data == data.flat[0]):
            return data.flat[0]
    return None


def match(var, pattern, bindings=None):
    """The bindings {name: variable} under which ``var`` matches ``pattern``, or None."""
    bindings = {} if bindings is None else bindings
    if isinstance(pattern, Var):
        bound = bindings.get(pattern.name)
        if bound is None:
            return {**bindings, pattern.name: var}
        return bindings if bound is var else None
    if isinstance(pattern, (int, float)):
        value = scalar_value(var)
        return bindings if value is not None and value == pattern else None
    if row_of(var) is not pattern.row:
        return None
    inputs = var.owner.inputs
    orders = [pattern.args]
    if pattern.row.commutative:
        orders.append(pattern.args[::-1])
    for args in orders:
        found = bindings
        for inp, arg in zip(inputs, args):
            found = match(inp, arg, found)
            if found is None:
                break
        else:
            return found
    return None
