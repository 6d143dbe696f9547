"""CUDA C from the elementwise table: a lowered program becomes one kernel.

The CPU backend runs a fused program (tensor/elemwise.py's Program, lowered
by compile/lowering.py to rows ``[opcode, dst, a, b, c]`` over registers of
one compute dtype, narrowing steps included) on the register VM.  Here the
same rows become straight-line CUDA C: one statement per row, each the
``cuda`` (or ``cuda_int``) expression of the row's opcode in
tensor/elemwise_opcodes.py.  The registers are a small local array that the
compiler keeps in machine registers, so a fused program reads each input
once and writes each output once, as on the CPU, and computes step by step
what the CPU kernels compute.

Nothing here imports CuPy: the text is plain data, so the tests compile it
with nvcc on a machine without a GPU (as ``__host__ __device__`` functions,
run on the host against NumPy), and backends/cuda/backend.py hands it to
``cupy.ElementwiseKernel`` and ``cupy.ReductionKernel``.
"""
import hashlib

import numpy as np

from ... import kernels
from ...tensor.elemwise_opcodes import OPCODE_ROWS
from ...tensor.reduction_table import REDUCTIONS
from .prelude import PRELUDE

OPCODE_ROW = {row["name"]: row for row in OPCODE_ROWS}
OPCODE_NAME = {number: name for name, number in kernels.OPCODES.items()}

# The C type of each dtype a kernel reads or writes, as CuPy names them (float16
# is not handled: a program with float16 operands runs on the CPU).
C_TYPES = {"bool": "bool", "int8": "signed char", "int16": "short", "int32": "int",
           "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short",
           "uint32": "unsigned int", "uint64": "unsigned long long", "float32": "float",
           "float64": "double"}
# The libm naming of each float register type (prelude.py's CYT_MF and CYT_MD).
LIBM_NAMING = {"float32": "CYT_MF", "float64": "CYT_MD"}
SOURCE_NAMES = ("x", "y", "z")


class NotGenerated(NotImplementedError):
    """The program has a dtype or an opcode this generator has no CUDA C for."""


def c_type(dtype):
    try:
        return C_TYPES[np.dtype(dtype).name]
    except KeyError:
        raise NotGenerated(f"no CUDA C type for dtype {np.dtype(dtype).name}") from None


def program_name(lowered, in_dtypes, prefix="cyt_program"):
    """A name that says which program it is (a hash of its rows and dtypes)."""
    key = lowered.code.tobytes() + repr((tuple(in_dtypes), lowered.out_dtypes,
                                         lowered.compute)).encode()
    return f"{prefix}_{hashlib.sha1(key).hexdigest()[:12]}"


def row_statement(row, compute):
    """One row ``[opcode, dst, a, b, c]`` as a C statement over ``r``."""
    opcode, dst, *srcs = (int(v) for v in row)
    opcode_row = OPCODE_ROW[OPCODE_NAME[opcode]]
    expression = opcode_row["cuda"] if compute.kind == "f" else opcode_row["cuda_int"]
    if expression is None:
        raise NotGenerated(f"opcode {opcode_row['name']} has no CUDA C for {compute.name} "
                           "registers")
    sources = ", ".join(f"{n} = r[{s}]" for n, s in zip(SOURCE_NAMES, srcs) if s >= 0)
    return f"    {{ const T {sources}; r[{dst}] = ({expression}); }}"


def program_function(lowered, name):
    """``CYT_HD void name(T *r)``: the program's rows over the registers r."""
    compute = np.dtype(lowered.compute)
    register = c_type(compute)
    lines = [f"/* {name}: {len(lowered.code)} rows on {compute.name} registers */"]
    if compute.kind == "f":
        lines.append(f"#define CYT_M {LIBM_NAMING[compute.name]}")
    lines.append(f"CYT_HD void {name}({register} *r) {{")
    lines.append(f"    typedef {register} T;")
    lines.extend(row_statement(row, compute) for row in lowered.code)
    lines.append("}")
    if compute.kind == "f":
        lines.append("#undef CYT_M")
    return "\n".join(lines) + "\n"


def store(value, register_dtype, out_dtype):
    """C text converting a register value to an output element: a float to
    an integer as the CPU kernels' casts do (prelude.py's cyt_to_i64)."""
    out = np.dtype(out_dtype)
    if out.kind == "b":
        return f"({value} != 0)"
    if np.dtype(register_dtype).kind == "f" and out.kind in "iu":
        convert = "cyt_to_u64" if out.name == "uint64" else "cyt_to_i64"
        return f"({c_type(out)}){convert}({value})"
    return f"({c_type(out)})({value})"


def element_statements(lowered, name, in_names, out_names):
    """C statements computing one element: load the inputs into registers,
    run the program, store the outputs (the names are C lvalues/values)."""
    register = c_type(lowered.compute)
    n_in = len(in_names)
    lines = [f"{register} r[{lowered.n_registers}];"]
    lines += [f"r[{k}] = ({register})({n});" for k, n in enumerate(in_names)]
    lines.append(f"{name}(r);")
    lines += [f"{n} = {store(f'r[{n_in + j}]', lowered.compute, d)};"
              for j, (n, d) in enumerate(zip(out_names, lowered.out_dtypes))]
    return "\n".join(lines)


def cupy_params(dtypes, names):
    """CuPy's parameter list: dtype names (CuPy maps them to the same C types)."""
    for dtype in dtypes:
        c_type(dtype)                   # refuse what the generator has no type for
    return ", ".join(f"{np.dtype(d).name} {n}" for d, n in zip(dtypes, names))


def elementwise_kernel(lowered, in_dtypes):
    """The arguments of ``cupy.ElementwiseKernel`` for a lowered program over
    inputs of ``in_dtypes``: dict(in_params, out_params, operation, name,
    preamble).  CuPy's kernel does the broadcasting and the strides."""
    name = program_name(lowered, in_dtypes)
    in_names = [f"in{k}" for k in range(len(in_dtypes))]
    out_names = [f"out{j}" for j in range(len(lowered.out_dtypes))]
    return dict(
        in_params=cupy_params(in_dtypes, in_names),
        out_params=cupy_params(lowered.out_dtypes, out_names),
        operation=element_statements(lowered, name, in_names, out_names),
        name=f"{name}_kernel",
        preamble=PRELUDE + program_function(lowered, name))


def value_function(lowered, in_dtypes, name):
    """``CYT_HD T name_value(inputs)``: the program's first output as a value
    (what a reduction folds), in the register type."""
    register = c_type(lowered.compute)
    params = ", ".join(f"{c_type(d)} in{k}" for k, d in enumerate(in_dtypes))
    loads = "".join(f" r[{k}] = ({register})in{k};" for k in range(len(in_dtypes)))
    return (f"CYT_HD {register} {name}_value({params}) {{\n"
            f"    {register} r[{lowered.n_registers}];{loads}\n"
            f"    {name}(r);\n    return r[{len(in_dtypes)}];\n}}\n")


def fold_identity(spec, accumulator):
    """C text of the value a fold starts from: the row's identity, or for max
    and min (no identity: empty is an error, checked before) the accumulator's
    lowest or highest value."""
    if isinstance(spec.identity, bool):
        return "true" if spec.identity else "false"
    if spec.identity is not None:
        return str(spec.identity)
    if spec.name not in ("max", "min"):
        raise NotGenerated(f"reduction {spec.name} has no identity")
    lowest = spec.name == "max"
    if accumulator.kind == "f":
        return f"({c_type(accumulator)})({'-' if lowest else ''}cyt_inf())"
    if accumulator.kind == "b":
        return "false" if lowest else "true"
    info = np.iinfo(accumulator)
    value = info.min if lowest else info.max
    suffix = "ULL" if accumulator.kind == "u" else "LL"
    if value == np.iinfo(np.int64).min:        # -9223372036854775808 is not a C literal
        return "(long long)(1ULL << 63)"
    return f"({c_type(accumulator)}){value}{suffix}"


def reduction_kernel(lowered, in_dtypes, reduction, accumulator, out_dtype):
    """The arguments of ``cupy.ReductionKernel`` folding the program's output
    with ``reduction`` (a reduction-table row name) in ``accumulator``:
    dict(in_params, out_params, map_expr, reduce_expr, post_map_expr,
    identity, reduce_type, name, preamble)."""
    spec = REDUCTIONS[reduction]
    if spec.cuda_fold is None:
        raise NotGenerated(f"reduction {reduction} has no CUDA fold")
    prefix = f"cyt_{reduction}_{np.dtype(accumulator).name}"
    name = program_name(lowered, in_dtypes, prefix=prefix)
    acc = c_type(accumulator)
    identity = fold_identity(spec, np.dtype(accumulator))
    return dict(
        in_params=cupy_params(in_dtypes, [f"in{k}" for k in range(len(in_dtypes))]),
        out_params=cupy_params([out_dtype], ["out0"]),
        map_expr=f"({acc}){name}_value({', '.join(f'in{k}' for k in range(len(in_dtypes)))})",
        reduce_expr=spec.cuda_fold,
        post_map_expr=f"out0 = {store('a', accumulator, out_dtype)}",
        identity=identity, reduce_type=acc, name=f"{name}_kernel",
        preamble=PRELUDE + program_function(lowered, name)
        + value_function(lowered, in_dtypes, name))
