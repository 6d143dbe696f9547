"""The table of elementwise operations.

One row per scalar operation.  A row's plain-data fields (its arity, its
Python operator, whether it calls libm, runs on integer registers, and what
it becomes on integer or bool sources) come from its opcode row in
elemwise_opcodes.py, the plain-data list the build turns into the C opcode
list; the rest is here.  Everything else reads this table: the
tensor functions (``T.exp``...) are made from it, the kernels run its
opcodes (a row's name is its kernel opcode), gradients use its rules,
fusion concatenates its opcodes into register programs, and the printers
use its symbols.  Adding an elementwise op is adding a row (and a case in
the kernel's opcode switch).

A gradient rule takes the inputs, the output and the output gradient ``g``
and returns one gradient per input, each broadcast like the output;
``Elemwise.grad`` sums them back to each input's shape.  A rule of ``None``
(or a ``None`` in the returned list) means a zero gradient: comparisons,
rounding, the condition of a switch.
"""
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import scipy.special

from .elemwise_opcodes import OPCODE_ROWS
from .type import upcast, upcast_to_float
from .variable import ops as tm   # the tensor functions (T.log...), provided by math.py


@dataclass(frozen=True)
class ElemwiseSpec:
    name: str                        # also the kernel opcode
    arity: int
    reference: Callable              # NumPy definition
    dtype: str                       # output dtype rule, see output_dtype(): "upcast",
                                     # "float", "same", "bool", "last_two", "integer"
    grad: Optional[Callable]         # (inputs, out, g) -> grads; None: zero gradient
    symbol: Optional[str] = None     # infix/prefix symbol for pp
    precedence: int = 100            # binding strength for pp (higher binds tighter)
    domain: tuple = (-3.0, 3.0)      # where the op is smooth, for tests
    associativity: str = "left"      # for pp: "left", "right" (a ** b ** c) or "none" (a < b)
    commutative: bool = False        # f(a, b) == f(b, a): patterns try both orders
    neutral: Optional[tuple] = None  # (n, sides): x op n == x, and n op x == x if sides is "both"
    # the plain-data fields, from elemwise_opcodes.py (see its columns)
    operator: Optional[str] = None   # the Python operator (operator module's name): "add"
    libm: bool = False               # the kernel calls libm
    int_ok: bool = False             # the integer VMs implement it
    on_discrete: Optional[str] = None  # the opcode run instead on integer/bool sources
    on_bool: Optional[str] = None      # the opcode run instead on bool sources


OPCODE_ROW = {row["name"]: row for row in OPCODE_ROWS}


def _row(name, reference, dtype, grad, symbol=None, precedence=100, domain=(-3.0, 3.0), *,
         associativity="left", commutative=False, neutral=None):
    """A table row; its arity and kernel fields come from its opcode row."""
    try:
        kernel = OPCODE_ROW[name]
    except KeyError:
        raise ValueError(f"elementwise row {name!r} has no opcode row in "
                         "elemwise_opcodes.py") from None
    return ElemwiseSpec(name, kernel["arity"], reference, dtype, grad, symbol, precedence,
                        domain, associativity, commutative, neutral,
                        operator=kernel["operator"], libm=kernel["libm"],
                        int_ok=kernel["int_ok"],
                        on_discrete=kernel["on_discrete"], on_bool=kernel["on_bool"])


def _pow_grad(inputs, out, g):
    x, y = inputs
    return [g * y * x ** (y - 1), g * out * tm.log(x)]


def _mod_grad(inputs, out, g):
    x, y = inputs
    return [g, -g * tm.floor_div(x, y)]


def _maximum_grad(inputs, out, g):
    x, y = inputs
    # Ties send the gradient to both inputs, as Theano does.
    return [g * tm.eq(out, x), g * tm.eq(out, y)]


def _clip_grad(inputs, out, g):
    x, low, high = inputs
    # With low > high, np.clip gives high everywhere.
    return [g * ((x >= low) & (x <= high)), g * ((x < low) & (low <= high)),
            g * ((x > high) | (low > high))]


def _arctan2_grad(inputs, out, g):
    y, x = inputs
    r2 = x * x + y * y
    return [g * x / r2, -g * y / r2]


def _identity_grad(inputs, out, g):
    return [g]


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _sign(x):
    return np.sign(x) if x.dtype != np.bool_ else x.copy()


def _int_div(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor_divide(x, y)


def _mod(x, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.mod(x, y)


def _round_half_away_from_zero(x):
    """C's round(): exact (floor(x + 0.5) is not: 0.49999997 + 0.5 rounds up)
    and keeps the sign of zero."""
    if x.dtype.kind not in "fc":
        return x.copy()
    r = np.trunc(x)
    return np.where(np.abs(x - r) >= 0.5, r + np.sign(x), r).astype(x.dtype)


def _pow(x, y):
    """np.power, with integer negative powers defined as the kernels do:
    1/x**n truncated towards zero (so 0 except for x = 1 and x = -1; 0 for x = 0)."""
    if np.result_type(x, y).kind not in "iub" or not np.any(y < 0):
        return np.power(x, y)
    negative = y < 0
    out = np.power(x, np.where(negative, 0, y).astype(np.result_type(y)))
    odd = np.abs(y) % 2 == 1
    inverse = np.where(x == 1, 1, np.where(x == -1, np.where(odd, -1, 1), 0))
    return np.where(negative, inverse, out).astype(out.dtype)


def _softplus(x):
    return np.logaddexp(0, x).astype(x.dtype)


ROWS = [
    # --- arithmetic -------------------------------------------------------
    _row("add", np.add, "upcast", lambda i, o, g: [g, g], "+", 10,
         commutative=True, neutral=(0, "both")),
    _row("sub", np.subtract, "upcast", lambda i, o, g: [g, -g], "-", 10, neutral=(0, "right")),
    _row("mul", np.multiply, "upcast", lambda i, o, g: [g * i[1], g * i[0]], "*", 20,
         commutative=True, neutral=(1, "both")),
    _row("true_div", np.true_divide, "float",
         lambda i, o, g: [g / i[1], -g * o / i[1]], "/", 20, (0.5, 3.0), neutral=(1, "right")),
    _row("int_div", _int_div, "upcast", None, "//", 20, (0.5, 3.0)),
    _row("mod", _mod, "upcast", _mod_grad, "%", 20, (0.5, 3.0)),
    _row("pow", _pow, "upcast", _pow_grad, "**", 40, (0.5, 2.0), associativity="right",
         neutral=(1, "right")),
    _row("neg", np.negative, "same", lambda i, o, g: [-g], "-", 30),
    _row("abs", np.abs, "same", lambda i, o, g: [g * tm.sgn(i[0])]),
    _row("sign", _sign, "same", None),
    _row("sqr", np.square, "same", lambda i, o, g: [g * 2 * i[0]]),
    _row("sqrt", np.sqrt, "float", lambda i, o, g: [g * 0.5 / o], domain=(0.5, 3.0)),
    _row("reciprocal", np.reciprocal, "float", lambda i, o, g: [-g * o * o],
         domain=(0.5, 3.0)),
    _row("maximum", np.maximum, "upcast", _maximum_grad, commutative=True),
    _row("minimum", np.minimum, "upcast", _maximum_grad, commutative=True),
    _row("clip", np.clip, "upcast", _clip_grad),
    # --- exponentials and logarithms ------------------------------------
    _row("exp", np.exp, "float", lambda i, o, g: [g * o]),
    _row("exp2", np.exp2, "float", lambda i, o, g: [g * o * _LN2]),
    _row("expm1", np.expm1, "float", lambda i, o, g: [g * (o + 1)]),
    _row("log", np.log, "float", lambda i, o, g: [g / i[0]], domain=(0.5, 3.0)),
    _row("log2", np.log2, "float", lambda i, o, g: [g / (i[0] * _LN2)], domain=(0.5, 3.0)),
    _row("log10", np.log10, "float", lambda i, o, g: [g / (i[0] * _LN10)],
         domain=(0.5, 3.0)),
    _row("log1p", np.log1p, "float", lambda i, o, g: [g / (1 + i[0])], domain=(0.0, 3.0)),
    _row("sigmoid", scipy.special.expit, "float", lambda i, o, g: [g * o * (1 - o)]),
    _row("softplus", _softplus, "float", lambda i, o, g: [g * tm.sigmoid(i[0])]),
    _row("relu", lambda x: np.maximum(x, 0), "float", lambda i, o, g: [g * (i[0] > 0)]),
    _row("erf", scipy.special.erf, "float",
         lambda i, o, g: [g * _TWO_OVER_SQRT_PI * tm.exp(-i[0] * i[0])]),
    _row("erfc", scipy.special.erfc, "float",
         lambda i, o, g: [-g * _TWO_OVER_SQRT_PI * tm.exp(-i[0] * i[0])]),
    # --- trigonometry -------------------------------------------------------
    _row("sin", np.sin, "float", lambda i, o, g: [g * tm.cos(i[0])]),
    _row("cos", np.cos, "float", lambda i, o, g: [-g * tm.sin(i[0])]),
    _row("tan", np.tan, "float", lambda i, o, g: [g * (1 + o * o)], domain=(-1.2, 1.2)),
    _row("arcsin", np.arcsin, "float",
         lambda i, o, g: [g / tm.sqrt(1 - i[0] * i[0])], domain=(-0.9, 0.9)),
    _row("arccos", np.arccos, "float",
         lambda i, o, g: [-g / tm.sqrt(1 - i[0] * i[0])], domain=(-0.9, 0.9)),
    _row("arctan", np.arctan, "float", lambda i, o, g: [g / (1 + i[0] * i[0])]),
    _row("arctan2", np.arctan2, "float", _arctan2_grad, domain=(0.5, 3.0)),
    _row("sinh", np.sinh, "float", lambda i, o, g: [g * tm.cosh(i[0])]),
    _row("cosh", np.cosh, "float", lambda i, o, g: [g * tm.sinh(i[0])]),
    _row("tanh", np.tanh, "float", lambda i, o, g: [g * (1 - o * o)]),
    _row("arcsinh", np.arcsinh, "float", lambda i, o, g: [g / tm.sqrt(i[0] * i[0] + 1)]),
    _row("arccosh", np.arccosh, "float",
         lambda i, o, g: [g / tm.sqrt(i[0] * i[0] - 1)], domain=(1.5, 3.0)),
    _row("arctanh", np.arctanh, "float",
         lambda i, o, g: [g / (1 - i[0] * i[0])], domain=(-0.9, 0.9)),
    _row("hypot", np.hypot, "float",
         lambda i, o, g: [g * i[0] / o, g * i[1] / o], domain=(0.5, 3.0)),
    # |x| with the sign of y: the gradient passes to x with the sign flip, none to y
    _row("copysign", np.copysign, "float",
         lambda i, o, g: [g * tm.switch(tm.eq(o, i[0]), 1, -1), None], domain=(0.5, 3.0)),
    # --- rounding (zero gradient) -------------------------------------------
    _row("floor", np.floor, "same", None),
    _row("ceil", np.ceil, "same", None),
    _row("trunc", np.trunc, "same", None),
    _row("round_half_to_even", np.rint, "same", None),
    _row("round_half_away_from_zero", _round_half_away_from_zero, "same", None),
    # --- comparisons and logic (bool results, no gradient) -------------------
    _row("lt", np.less, "bool", None, "<", 5, associativity="none"),
    _row("gt", np.greater, "bool", None, ">", 5, associativity="none"),
    _row("le", np.less_equal, "bool", None, "<=", 5, associativity="none"),
    _row("ge", np.greater_equal, "bool", None, ">=", 5, associativity="none"),
    _row("eq", np.equal, "bool", None, "==", 5, associativity="none", commutative=True),
    _row("neq", np.not_equal, "bool", None, "!=", 5, associativity="none", commutative=True),
    _row("isnan", np.isnan, "bool", None),
    _row("isinf", np.isinf, "bool", None),
    _row("isfinite", np.isfinite, "bool", None),
    _row("logical_not", np.logical_not, "bool", None),
    _row("logical_and", np.logical_and, "bool", None),
    _row("logical_or", np.logical_or, "bool", None),
    _row("logical_xor", np.logical_xor, "bool", None),
    _row("bitwise_and", np.bitwise_and, "integer", None, "&", 8, commutative=True),
    _row("bitwise_or", np.bitwise_or, "integer", None, "|", 6, commutative=True),
    _row("bitwise_xor", np.bitwise_xor, "integer", None, "^", 7, commutative=True),
    _row("invert", np.invert, "integer", None, "~", 30),
    # --- selection and copying -----------------------------------------------
    _row("switch", lambda c, a, b: np.where(c, a, b), "last_two",
         lambda i, o, g: [None, tm.switch(i[0], g, 0), tm.switch(i[0], 0, g)]),
    _row("identity", lambda x: x.copy(), "same", _identity_grad),
]

ELEMWISE = {row.name: row for row in ROWS}


def output_dtype(spec, input_dtypes):
    """The dtype of ``spec`` applied to inputs of ``input_dtypes``."""
    if spec.dtype == "bool":
        return "bool"
    if spec.dtype == "last_two":
        return upcast(*input_dtypes[1:])
    common = upcast(*input_dtypes)
    if spec.dtype == "float":
        return upcast_to_float(common)
    if spec.dtype == "integer" and common.startswith("float"):
        raise TypeError(f"{spec.name} needs integer or bool inputs, got {input_dtypes}")
    return common
