"""Lowering: elementwise programs (tensor/elemwise.py) to kernel programs.

A :class:`~cytensor.tensor.elemwise.Program` is data: table rows over
registers, with the graph's dtype of every register.  Lowering turns it,
once per node when the function is compiled, into what the register VM
(cytensor.kernels) runs: int32 rows ``[opcode, dst, a, b, c]`` over kernel
registers that all hold one *compute dtype*.  It decides

* the compute dtype (``compute_dtype`` in tensor/elemwise.py, which also
  says when no register dtype gives NumPy's answer: then the node runs its
  NumPy reference);
* the opcode of each row on the register dtype: on integers and bools some
  rows mean another opcode (``floor`` of an integer is the identity,
  ``~`` of a bool is a logical not);
* the narrowing steps: registers are wider than the graph's dtypes, so after
  a step whose dtype is narrower than the register and whose result another
  step reads, a ``narrow_<dtype>`` opcode rounds it back (int8 100*2 wraps to
  -56 before ``> 0`` reads it, exp of a float32 rounds to float32 before a
  cast to float64 reads it), as NumPy computes step by step;
* the kernel registers: inputs, outputs, then temporaries reused once their
  last reader has run.

Nothing here runs at call time: the CPU backend (backends/cpu.py) lowers
each node while the linker makes the node's thunk, and the thunk runs the
result.
"""
import functools
from typing import NamedTuple, Optional

import numpy as np

from .. import kernels
from ..tensor.elemwise import compute_dtype, register_dtypes
from ..tensor.elemwise_table import ELEMWISE


LOWERED_CACHE_SIZE = 4096       # programs kept lowered; the cache is for one compile's repeats


class LoweredProgram(NamedTuple):
    """A program ready for the VM: see kernels.elemwise for ``code``."""
    code: np.ndarray               # int32 (n_rows, 5): [opcode, dst, a, b, c]
    n_registers: int               # inputs + outputs + temporaries
    out_dtypes: tuple              # numpy dtype of each output
    compute: np.dtype              # the dtype every register holds


def lower_node(node):
    """The LoweredProgram of a node whose op runs a register program over
    its first inputs (``op.program``), or None when the op has no program
    or NumPy must run it (see compute_dtype)."""
    program = node.op.program
    if program is None:
        return None
    return lower(program, tuple(i.dtype for i in node.inputs[:program.n_inputs]),
                 tuple(o.dtype for o in node.outputs[:len(program.outputs)]))


@functools.lru_cache(maxsize=LOWERED_CACHE_SIZE)
def lower(program, in_dtypes, out_dtypes) -> Optional[LoweredProgram]:
    """Lower ``program`` for inputs of ``in_dtypes`` (cached: programs are
    immutable and hashable, and one graph often holds the same one many
    times)."""
    compute = compute_dtype(program, in_dtypes)
    if compute is None:
        return None
    code, n_registers = _kernel_rows(program, register_dtypes(program, in_dtypes), compute)
    return LoweredProgram(code, n_registers, tuple(np.dtype(d) for d in out_dtypes),
                          np.dtype(compute))


def _kernel_rows(program, dtypes, compute):
    """(code, n_registers): kernel registers are the inputs, then the
    outputs, then temporaries, each reused once its last reader has run."""
    n_in, n_out = program.n_inputs, len(program.outputs)
    last_use = program.readers()
    home = {i: i for i in range(n_in)}
    output_slots = {}
    for j, reg in enumerate(program.outputs):
        if reg >= n_in and reg not in output_slots:
            output_slots[reg] = n_in + j
    code, free, n_regs = [], [], n_in + n_out
    for k, (name, srcs, _) in enumerate(program.instructions):
        reg = n_in + k
        if reg in output_slots:
            dst = output_slots[reg]
        elif free:
            dst = free.pop()
        else:
            dst, n_regs = n_regs, n_regs + 1
        opcode, srcs = _opcode(name, srcs, [dtypes[s] for s in srcs])
        args = [home[s] for s in srcs] + [-1] * (3 - len(srcs))
        code.append([kernels.OPCODES[opcode], dst] + args)
        # an output is read too: a fused reduction folds the register itself
        code.extend(_narrowing(name, dtypes[reg], compute, dst,
                               reg in last_use or reg in output_slots))
        home[reg] = dst
        for s in set(srcs):
            if last_use.get(s) == k and s >= n_in and s not in output_slots:
                free.append(home[s])
    for j, reg in enumerate(program.outputs):
        if output_slots.get(reg) != n_in + j:      # an input, or a repeated output
            code.append([kernels.OPCODES["identity"], n_in + j, home[reg], -1, -1])
    return np.array(code, dtype=np.int32).reshape(-1, 5), n_regs


def _opcode(name, srcs, src_dtypes):
    """(opcode name, sources) computing row ``name`` on sources of
    ``src_dtypes``: on integers and bools some rows are another opcode (the
    table's on_bool and on_discrete fields).  A unary row that becomes a binary
    opcode reads its source twice: an integer's isnan is x != x."""
    if not src_dtypes or any(d[0] in "fc" for d in src_dtypes):
        return name, srcs
    row = ELEMWISE.get(name)      # narrowing steps have no row
    if row is None:
        return name, srcs
    if row.on_bool is not None and all(d == "bool" for d in src_dtypes):
        return row.on_bool, srcs
    if row.on_discrete is None:
        return name, srcs
    if kernels.OPCODE_ARITY[row.on_discrete] > len(srcs):
        srcs = (srcs[0],) * kernels.OPCODE_ARITY[row.on_discrete]
    return row.on_discrete, srcs


def _narrowing(name, dtype, compute, dst, read_later):
    """The rows that make register ``dst`` hold a value of ``dtype``.

    An integer result in float registers is always narrowed (a cast
    truncates first): storing an out-of-range float to an integer is not a
    wraparound.  Otherwise a result another step reads, or an output (a
    fused reduction folds the register without storing it).  Rows whose table dtype is bool (comparisons,
    logical ops) give 0 or 1 already.
    """
    op = kernels.OPCODES
    if dtype == compute or (dtype == "bool" and ELEMWISE[name].dtype == "bool"):
        return []
    if compute[0] == "f" and dtype[0] != "f":
        rows = [[op["trunc"], dst, dst, -1, -1]] if name == "identity" and dtype != "bool" else []
        if dtype not in ("int64", "uint64"):    # those only as a cast's result (compute_dtype)
            rows.append([op[f"narrow_{dtype}"], dst, dst, -1, -1])
        return rows
    if not read_later or dtype in ("int64", "uint64", "float16"):
        return []      # float16 results read later never get here (compute_dtype)
    return [[op[f"narrow_{dtype}"], dst, dst, -1, -1]]
