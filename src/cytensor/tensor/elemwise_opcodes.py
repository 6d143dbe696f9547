"""The plain-data side of the elementwise table: one row per register-VM
opcode, in opcode order (a row's position is its opcode number), with what
must be read without importing the rest of cytensor.

Plain data and one formatting function, importing nothing: setup.py loads
this file with ``runpy`` (without importing cytensor) and writes the C
opcode list, kernels/vm_opcodes.def, from ``c_opcode_list()`` at build
time; vm_ops.h expands that X-macro list into the C enum and the C property
table ``cyt_op_info[]``, from which the kernels' ``OPCODES`` dict is read.
tensor/variable.py, below the rest of the table, makes the tensors'
operator methods from the ``operator`` column.
The elementwise table (elemwise_table.py) gives each of its rows these
fields, so the table, the enum, the Cython side and the opcode dict cannot
drift apart.

Columns:
    name         the elementwise-table row it computes; narrowing opcodes have
                 no row (the lowering inserts them)
    arity        number of source registers (1, 2 or 3)
    operator     the Python operator the row implements on tensors, named as
                 the ``operator`` module names it ("add" for x + y, "and_" for
                 x & y, "neg" for -x); tensor/variable.py makes the operator
                 methods (__add__ and __radd__...) from it.  == and != have
                 none: they stay identity, variables being dict keys
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
    cuda         the CUDA C expression on float registers, for the CUDA backend
                 (backends/cuda/codegen.py): x, y, z are the sources, T the
                 register type, CYT_M(fn) the libm name of fn for T (expf or
                 exp), the cyt_* helpers are backends/cuda/prelude.py's; the
                 same expression as the case of vm_tmpl.h
    cuda_int     the expression on int64/uint64 registers (int_ok rows; default:
                 the cuda one), as the case of vm_int_tmpl.h: arithmetic
                 through cyt_u64 so that overflow wraps as in NumPy

Adding an opcode: one row here (and one in elemwise_table.py for its
reference, dtype rule and gradient) plus one ``case OP_<C_NAME>:`` in the
switch of vm_tmpl.h (float registers) and, when int_ok, of vm_int_tmpl.h,
and the same expressions in the cuda (and cuda_int) fields.
"""


def _op(name, arity, operator=None, libm=False, int_ok=False, narrow=False, on_discrete=None,
        on_bool=None, c_name=None, cuda=None, cuda_int=None):
    return dict(name=name, arity=arity, operator=operator, libm=libm, int_ok=int_ok,
                narrow=narrow, on_discrete=on_discrete, on_bool=on_bool,
                c_name=c_name or name.upper(), cuda=cuda,
                cuda_int=(cuda_int or cuda) if int_ok else None)


OPCODE_ROWS = [
    # unary
    _op("identity", 1, int_ok=True, cuda="x"),
    _op("neg", 1, operator="neg", int_ok=True, cuda="-x",
        cuda_int="(T)(0 - (cyt_u64)x)"),
    _op("abs", 1, operator="abs", int_ok=True, cuda="CYT_M(fabs)(x)",
        cuda_int="x < 0 ? (T)(0 - (cyt_u64)x) : x"),
    _op("sign", 1, int_ok=True, cuda="x > 0 ? (T)1 : (x < 0 ? (T)-1 : (x == 0 ? (T)0 : x))",
        cuda_int="(T)((x > 0) - (x < 0))"),
    _op("exp", 1, libm=True, cuda="CYT_M(exp)(x)"),
    _op("exp2", 1, libm=True, cuda="CYT_M(exp2)(x)"),
    _op("expm1", 1, libm=True, cuda="CYT_M(expm1)(x)"),
    _op("log", 1, libm=True, cuda="CYT_M(log)(x)"),
    _op("log2", 1, libm=True, cuda="CYT_M(log2)(x)"),
    _op("log10", 1, libm=True, cuda="CYT_M(log10)(x)"),
    _op("log1p", 1, libm=True, cuda="CYT_M(log1p)(x)"),
    _op("sqrt", 1, cuda="CYT_M(sqrt)(x)"),
    _op("sqr", 1, int_ok=True, cuda="x * x",
        cuda_int="(T)((cyt_u64)x * (cyt_u64)x)"),
    _op("reciprocal", 1, cuda="(T)1 / x"),
    _op("sin", 1, libm=True, cuda="CYT_M(sin)(x)"),
    _op("cos", 1, libm=True, cuda="CYT_M(cos)(x)"),
    _op("tan", 1, libm=True, cuda="CYT_M(tan)(x)"),
    _op("arcsin", 1, libm=True, cuda="CYT_M(asin)(x)"),
    _op("arccos", 1, libm=True, cuda="CYT_M(acos)(x)"),
    _op("arctan", 1, libm=True, cuda="CYT_M(atan)(x)"),
    _op("sinh", 1, libm=True, cuda="CYT_M(sinh)(x)"),
    _op("cosh", 1, libm=True, cuda="CYT_M(cosh)(x)"),
    _op("tanh", 1, libm=True, cuda="CYT_M(tanh)(x)"),
    _op("arcsinh", 1, libm=True, cuda="CYT_M(asinh)(x)"),
    _op("arccosh", 1, libm=True, cuda="CYT_M(acosh)(x)"),
    _op("arctanh", 1, libm=True, cuda="CYT_M(atanh)(x)"),
    _op("floor", 1, on_discrete="identity", cuda="CYT_M(floor)(x)"),
    _op("ceil", 1, on_discrete="identity", cuda="CYT_M(ceil)(x)"),
    _op("trunc", 1, on_discrete="identity", cuda="CYT_M(trunc)(x)"),
    _op("round_half_to_even", 1, on_discrete="identity", c_name="RINT", cuda="CYT_M(rint)(x)"),
    _op("round_half_away_from_zero", 1, on_discrete="identity", c_name="ROUND",
        cuda="CYT_M(round)(x)"),
    _op("isnan", 1, on_discrete="neq", cuda="(T)(x != x)"),
    _op("isinf", 1, on_discrete="neq", cuda="(T)(x == x && x - x != x - x)"),
    _op("isfinite", 1, on_discrete="eq", cuda="(T)(x - x == 0)"),
    _op("logical_not", 1, int_ok=True, cuda="(T)(x == 0)"),
    _op("invert", 1, operator="invert", int_ok=True, on_bool="logical_not", cuda="(T)(x == 0)",
        cuda_int="~x"),
    _op("sigmoid", 1, libm=True, cuda="cyt_sigmoid(x)"),
    _op("softplus", 1, libm=True, cuda="cyt_softplus(x)"),
    _op("erf", 1, libm=True, cuda="CYT_M(erf)(x)"),
    _op("erfc", 1, libm=True, cuda="CYT_M(erfc)(x)"),
    _op("relu", 1, cuda="x < 0 ? (T)0 : x"),
    # unary narrowing steps (no table row: inserted by the lowering)
    _op("narrow_bool", 1, int_ok=True, narrow=True, cuda="(T)(x != 0)"),
    _op("narrow_int8", 1, int_ok=True, narrow=True, cuda="(T)(cyt_i8)cyt_to_i64(x)",
        cuda_int="(T)(cyt_i8)x"),
    _op("narrow_int16", 1, int_ok=True, narrow=True, cuda="(T)(cyt_i16)cyt_to_i64(x)",
        cuda_int="(T)(cyt_i16)x"),
    _op("narrow_int32", 1, int_ok=True, narrow=True, cuda="(T)(cyt_i32)cyt_to_i64(x)",
        cuda_int="(T)(cyt_i32)x"),
    _op("narrow_uint8", 1, int_ok=True, narrow=True, cuda="(T)(cyt_u8)cyt_to_i64(x)",
        cuda_int="(T)(cyt_u8)x"),
    _op("narrow_uint16", 1, int_ok=True, narrow=True, cuda="(T)(cyt_u16)cyt_to_i64(x)",
        cuda_int="(T)(cyt_u16)x"),
    _op("narrow_uint32", 1, int_ok=True, narrow=True, cuda="(T)(cyt_u32)cyt_to_i64(x)",
        cuda_int="(T)(cyt_u32)x"),
    _op("narrow_float32", 1, narrow=True, cuda="(T)(float)x"),
    # binary
    _op("add", 2, operator="add", int_ok=True, cuda="x + y",
        cuda_int="(T)((cyt_u64)x + (cyt_u64)y)"),
    _op("sub", 2, operator="sub", int_ok=True, cuda="x - y",
        cuda_int="(T)((cyt_u64)x - (cyt_u64)y)"),
    _op("mul", 2, operator="mul", int_ok=True, cuda="x * y",
        cuda_int="(T)((cyt_u64)x * (cyt_u64)y)"),
    _op("true_div", 2, operator="truediv", cuda="x / y"),
    _op("int_div", 2, operator="floordiv", int_ok=True, cuda="cyt_floordiv(x, y)"),
    _op("mod", 2, operator="mod", int_ok=True, cuda="cyt_mod(x, y)"),
    _op("pow", 2, operator="pow", libm=True, int_ok=True, cuda="CYT_M(pow)(x, y)",
        cuda_int="cyt_pow(x, y)"),
    _op("arctan2", 2, libm=True, cuda="CYT_M(atan2)(x, y)"),
    _op("maximum", 2, int_ok=True, cuda="cyt_maxnan(x, y)",
        cuda_int="x >= y ? x : y"),
    _op("minimum", 2, int_ok=True, cuda="cyt_minnan(x, y)",
        cuda_int="x <= y ? x : y"),
    _op("lt", 2, operator="lt", int_ok=True, cuda="(T)(x < y)"),
    _op("gt", 2, operator="gt", int_ok=True, cuda="(T)(x > y)"),
    _op("le", 2, operator="le", int_ok=True, cuda="(T)(x <= y)"),
    _op("ge", 2, operator="ge", int_ok=True, cuda="(T)(x >= y)"),
    _op("eq", 2, int_ok=True, cuda="(T)(x == y)"),
    _op("neq", 2, int_ok=True, cuda="(T)(x != y)"),
    _op("logical_and", 2, int_ok=True, cuda="(T)((x != 0) & (y != 0))"),
    _op("logical_or", 2, int_ok=True, cuda="(T)((x != 0) | (y != 0))"),
    _op("logical_xor", 2, int_ok=True, cuda="(T)((x != 0) ^ (y != 0))"),
    _op("bitwise_and", 2, operator="and_", int_ok=True, on_bool="logical_and",
        cuda="(T)((x != 0) & (y != 0))",
        cuda_int="x & y"),
    _op("bitwise_or", 2, operator="or_", int_ok=True, on_bool="logical_or",
        cuda="(T)((x != 0) | (y != 0))",
        cuda_int="x | y"),
    _op("bitwise_xor", 2, operator="xor", int_ok=True, on_bool="logical_xor",
        cuda="(T)((x != 0) ^ (y != 0))",
        cuda_int="x ^ y"),
    _op("hypot", 2, libm=True, cuda="CYT_M(hypot)(x, y)"),
    _op("copysign", 2, cuda="CYT_M(copysign)(x, y)"),
    # ternary
    _op("switch", 3, int_ok=True, cuda="x != 0 ? y : z"),
    _op("clip", 3, int_ok=True, cuda="cyt_minnan(cyt_maxnan(x, y), z)",
        cuda_int="x >= y ? (x <= z ? x : z) : (y <= z ? y : z)"),
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
