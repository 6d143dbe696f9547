"""The kernel side of the elementwise table: one row per register-VM opcode,
in opcode order (a row's position is its opcode number).

Plain data and one formatting function, importing nothing: setup.py loads
this file with ``runpy`` (without importing cytensor) and writes the C
opcode list, kernels/vm_opcodes.def, from ``c_opcode_list()`` at build
time; vm_ops.h expands that X-macro list into the C enum and the C property
table ``cyt_op_info[]``, from which the kernels' ``OPCODES`` dict is read.
The elementwise table (elemwise_table.py) gives each of its rows these
fields, so the table, the enum, the Cython side and the opcode dict cannot
drift apart.

Columns:
    name         the elementwise-table row it computes; narrowing opcodes have
                 no row (the lowering inserts them)
    arity        number of source registers (1, 2 or 3)
    libm         calls libm (its loops prefetch the next block, see
                 cyt_prefetch in vm_ops.h)
    int_ok       the integer VMs (int64/uint64 registers) implement it
    narrow       a narrowing step: rounds a register to a narrower dtype's
                 value (wraparound for integers, x != 0 for bool, float
                 rounding for float32), so that a program computes what its
                 graph says
    on_discrete  the opcode the lowering runs instead when every source is an
                 integer or bool (rounding changes nothing; an integer is
                 never nan: a unary row becoming a binary opcode reads its
                 source twice, x != x)
    on_bool      the opcode the lowering runs instead when every source is bool
    c_name       the C enum name (OP_<c_name>; default: the name in capitals)

Adding an opcode: one row here (and one in elemwise_table.py for its
reference, dtype rule and gradient) plus one ``case OP_<C_NAME>:`` in the
switch of vm_tmpl.h (float registers) and, when int_ok, of vm_int_tmpl.h.
"""


def _op(name, arity, libm=False, int_ok=False, narrow=False, on_discrete=None, on_bool=None,
        c_name=None):
    return dict(name=name, arity=arity, libm=libm, int_ok=int_ok, narrow=narrow,
                on_discrete=on_discrete, on_bool=on_bool, c_name=c_name or name.upper())


OPCODE_ROWS = [
    # unary
    _op("identity", 1, int_ok=True),
    _op("neg", 1, int_ok=True),
    _op("abs", 1, int_ok=True),
    _op("sign", 1, int_ok=True),
    _op("exp", 1, libm=True),
    _op("exp2", 1, libm=True),
    _op("expm1", 1, libm=True),
    _op("log", 1, libm=True),
    _op("log2", 1, libm=True),
    _op("log10", 1, libm=True),
    _op("log1p", 1, libm=True),
    _op("sqrt", 1),
    _op("sqr", 1, int_ok=True),
    _op("reciprocal", 1),
    _op("sin", 1, libm=True),
    _op("cos", 1, libm=True),
    _op("tan", 1, libm=True),
    _op("arcsin", 1, libm=True),
    _op("arccos", 1, libm=True),
    _op("arctan", 1, libm=True),
    _op("sinh", 1, libm=True),
    _op("cosh", 1, libm=True),
    _op("tanh", 1, libm=True),
    _op("arcsinh", 1, libm=True),
    _op("arccosh", 1, libm=True),
    _op("arctanh", 1, libm=True),
    _op("floor", 1, on_discrete="identity"),
    _op("ceil", 1, on_discrete="identity"),
    _op("trunc", 1, on_discrete="identity"),
    _op("round_half_to_even", 1, on_discrete="identity", c_name="RINT"),
    _op("round_half_away_from_zero", 1, on_discrete="identity", c_name="ROUND"),
    _op("isnan", 1, on_discrete="neq"),
    _op("isinf", 1, on_discrete="neq"),
    _op("isfinite", 1, on_discrete="eq"),
    _op("logical_not", 1, int_ok=True),
    _op("invert", 1, int_ok=True, on_bool="logical_not"),
    _op("sigmoid", 1, libm=True),
    _op("softplus", 1, libm=True),
    _op("erf", 1, libm=True),
    _op("erfc", 1, libm=True),
    _op("relu", 1),
    # unary narrowing steps (no table row: inserted by the lowering)
    _op("narrow_bool", 1, int_ok=True, narrow=True),
    _op("narrow_int8", 1, int_ok=True, narrow=True),
    _op("narrow_int16", 1, int_ok=True, narrow=True),
    _op("narrow_int32", 1, int_ok=True, narrow=True),
    _op("narrow_uint8", 1, int_ok=True, narrow=True),
    _op("narrow_uint16", 1, int_ok=True, narrow=True),
    _op("narrow_uint32", 1, int_ok=True, narrow=True),
    _op("narrow_float32", 1, narrow=True),
    # binary
    _op("add", 2, int_ok=True),
    _op("sub", 2, int_ok=True),
    _op("mul", 2, int_ok=True),
    _op("true_div", 2),
    _op("int_div", 2, int_ok=True),
    _op("mod", 2, int_ok=True),
    _op("pow", 2, libm=True, int_ok=True),
    _op("arctan2", 2, libm=True),
    _op("maximum", 2, int_ok=True),
    _op("minimum", 2, int_ok=True),
    _op("lt", 2, int_ok=True),
    _op("gt", 2, int_ok=True),
    _op("le", 2, int_ok=True),
    _op("ge", 2, int_ok=True),
    _op("eq", 2, int_ok=True),
    _op("neq", 2, int_ok=True),
    _op("logical_and", 2, int_ok=True),
    _op("logical_or", 2, int_ok=True),
    _op("logical_xor", 2, int_ok=True),
    _op("bitwise_and", 2, int_ok=True, on_bool="logical_and"),
    _op("bitwise_or", 2, int_ok=True, on_bool="logical_or"),
    _op("bitwise_xor", 2, int_ok=True, on_bool="logical_xor"),
    _op("hypot", 2, libm=True),
    _op("copysign", 2),
    # ternary
    _op("switch", 3, int_ok=True),
    _op("clip", 3, int_ok=True),
]

HEADER_COMMENT = """\
/* vm_opcodes.def -- GENERATED by setup.py from src/cytensor/tensor/elemwise_opcodes.py
 * (the kernel side of the elementwise table); do not edit, edit the table.
 *
 * The register VM's opcodes as an X-macro list, in opcode order:
 *   CYT_OP(C_NAME, "name", arity, LIBM, INT, NARROW)
 * vm_ops.h expands it into the enum OP_<C_NAME> and the table cyt_op_info[];
 * see elemwise_opcodes.py for the columns. */
"""


def c_opcode_list(rows=None):
    """The text of vm_opcodes.def for ``rows`` (default: OPCODE_ROWS)."""
    rows = OPCODE_ROWS if rows is None else rows
    width = max(len(row["c_name"]) for row in rows) + 1
    lines = [f'CYT_OP({(row["c_name"] + ",").ljust(width)} "{row["name"]}", {row["arity"]}, '
             f'{int(row["libm"])}, {int(row["int_ok"])}, {int(row["narrow"])})' for row in rows]
    return HEADER_COMMENT + "\n".join(lines) + "\n"
