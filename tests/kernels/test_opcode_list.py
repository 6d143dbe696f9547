"""The C opcode list is generated from the elementwise table.

tensor/elemwise_opcodes.py holds the kernel columns of the table (plain data);
setup.py writes kernels/vm_opcodes.def from it (``c_opcode_list``), vm_ops.h
expands that into the enum and ``cyt_op_info[]``, and the kernels read
``OPCODES`` back from there.  These tests check each link: the data file
loads without cytensor, the file in the tree is what the table generates,
the compiled VM knows exactly the table's opcodes with the table's columns,
the table rows carry the same fields, and the lowering uses them.  The toy-row
test goes through a new op end to end: one more row gives it its Python side
(function, gradient, printing, fusion, lowering), and with one more ``case``
the generated C list compiles into a VM that runs the program it lowered.
"""
import os
import runpy
import shutil
import subprocess

import numpy as np
import pytest

import cytensor as C
import cytensor.tensor as T
from cytensor import kernels
from cytensor.compile.lowering import lower_node
from cytensor.config import change_flags
from cytensor.debug.printing import pp
from cytensor.rewriting import FunctionGraph
from cytensor.rewriting.engine import rewrite_graph, selected
from cytensor.tensor import math as tm
from cytensor.tensor import elemwise_opcodes
from cytensor.tensor.elemwise_table import ELEMWISE

KERNEL_DIR = os.path.dirname(kernels.__file__)
TABLE_FILE = elemwise_opcodes.__file__
ROWS = elemwise_opcodes.OPCODE_ROWS


def test_the_data_file_loads_without_cytensor():
    """What setup.py does: runpy, in a fresh interpreter with nothing of cytensor."""
    script = ("import runpy, sys; t = runpy.run_path(sys.argv[1]); "
              "assert not any(m.startswith('cytensor') for m in sys.modules); "
              "print(len(t['OPCODE_ROWS']))")
    out = subprocess.run([os.sys.executable, "-c", script, TABLE_FILE], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": ""})
    assert int(out.stdout) == len(ROWS)


def test_the_generated_list_in_the_tree_is_the_tables():
    with open(os.path.join(KERNEL_DIR, "vm_opcodes.def")) as f:
        assert f.read() == runpy.run_path(TABLE_FILE)["c_opcode_list"]()


def test_the_compiled_vm_has_the_tables_opcodes_in_order():
    assert list(kernels.OPCODES) == [row["name"] for row in ROWS]
    assert list(kernels.OPCODES.values()) == list(range(len(ROWS)))


def test_the_compiled_columns_are_the_tables_both_ways():
    compiled = kernels._plan.OPCODE_INFO
    table = {row["name"]: {k: row[k] for k in ("arity", "libm", "int_ok", "narrow")}
             for row in ROWS}
    assert compiled == table


def test_every_table_row_carries_its_opcode_fields():
    opcode_rows = {row["name"]: row for row in ROWS}
    assert set(ELEMWISE) == {n for n, row in opcode_rows.items() if not row["narrow"]}
    for name, spec in ELEMWISE.items():
        row = opcode_rows[name]
        assert (spec.arity, spec.libm, spec.int_ok, spec.on_discrete, spec.on_bool) == (
            row["arity"], row["libm"], row["int_ok"], row["on_discrete"], row["on_bool"]), name


def test_replacement_opcodes_exist_and_fit():
    """on_discrete/on_bool name opcodes the integer VM runs, of the same arity
    (or binary for a unary row: its source is read twice)."""
    for spec in ELEMWISE.values():
        for target in filter(None, (spec.on_discrete, spec.on_bool)):
            assert kernels._plan.OPCODE_INFO[target]["int_ok"], (spec.name, target)
            assert kernels.OPCODE_ARITY[target] in (spec.arity, 2), (spec.name, target)


@pytest.mark.parametrize("build,dtype,opcode,reference", [
    (T.floor, "int32", "identity", lambda v: v),
    (T.isnan, "int16", "neq", np.isnan),
    (T.isfinite, "uint8", "eq", np.isfinite),
    (lambda x: ~x, "bool", "logical_not", np.invert),
    (lambda x: x ^ x, "bool", "logical_xor", lambda v: v ^ v),
    (T.floor, "float32", "floor", np.floor),
])
def test_the_lowering_runs_the_replacement_opcode(build, dtype, opcode, reference):
    x = T.vector("x", dtype=dtype)
    assert kernels.OPCODES[opcode] in lower_node(build(x).owner).code[:, 0]
    values = np.array([0, 1, 3, 0, 2], dtype=dtype)
    got = C.function([x], build(x), mode="FAST_COMPILE")(values)
    expect = reference(values)
    assert got.dtype == expect.dtype
    np.testing.assert_array_equal(got, expect)


TOY_CASE = "        case OP_TOY_CUBE: L1(x * x * x)\n"
TOY_PROGRAM = r"""
#include <stdio.h>
#include "vm_ops.h"
#define N 3
int main(void) {
    double regs[N_REGISTERS][N] = {{1.5, -2.0, 3.0}, {0.5, 2.0, -1.0}};
    char *R[N_REGISTERS];
    int32_t code[N_ROWS * 5] = {CODE};
    for (int r = 0; r < N_REGISTERS; r++) R[r] = (char *)regs[r];
    if (OP_TOY_CUBE != OP_COUNT - 1) return 2;
    if (cyt_op_arity(OP_TOY_CUBE) != 1 || !cyt_op_info[OP_TOY_CUBE].int_ok) return 3;
    if (cyt_vm_run(CYT_F64, R, code, N_ROWS, N) != 0) return 4;
    printf("%s %.17g %.17g %.17g\n", cyt_op_info[OP_TOY_CUBE].name,
           regs[2][0], regs[2][1], regs[2][2]);
    return 0;
}
"""


@pytest.fixture
def toy_row(monkeypatch):
    """The toy op on the Python side: one opcode row (appended, so its opcode
    number is the next one, as in the generated C list) and one table row,
    read by everything that reads the table."""
    from cytensor.tensor import elemwise_table
    opcode_row = dict(ROWS[0], name="toy_cube", arity=1, libm=False, int_ok=True,
                      narrow=False, c_name="TOY_CUBE")
    monkeypatch.setitem(elemwise_table.OPCODE_ROW, "toy_cube", opcode_row)
    spec = elemwise_table._row("toy_cube", lambda x: x * x * x, "same",
                               lambda i, o, g: [g * 3 * i[0] * i[0]])
    monkeypatch.setitem(ELEMWISE, "toy_cube", spec)
    # what the rebuilt extension would report (the C program below checks
    # that the generated list gives the toy row this number)
    monkeypatch.setitem(kernels.OPCODES, "toy_cube", len(ROWS))
    monkeypatch.setitem(kernels.OPCODE_ARITY, "toy_cube", 1)
    return opcode_row, spec


def _toy_python_side(spec):
    """The Python half of the toy op: its T. function, its gradient, its
    printed form and its fusion with other rows, all from the table row;
    returns the lowered program of ``toy_cube(x) * y + x``."""
    toy_cube = tm._elemwise_function("toy_cube")     # how math.py makes T.exp and the rest
    assert "Elementwise toy_cube" in toy_cube.__doc__
    x, y = T.dvector("x"), T.dvector("y")
    cube = toy_cube(x)
    assert cube.owner.op.scalar_op is spec and cube.dtype == "float64"
    with pytest.raises(TypeError, match="toy_cube takes 1"):
        toy_cube(x, y)
    # the gradient rule of the row (the gradient graph runs on built kernels)
    grad = C.grad(cube.sum(), x)
    values = np.array([1.5, -2.0, 3.0])
    np.testing.assert_array_equal(C.function([x], grad)(values), 3 * values ** 2)
    with change_flags(print_style="cytensor"):
        assert pp(cube * y + x) == "toy_cube(x) * y + x"
    # fusion and lowering read the row: one program with the toy opcode in it
    fgraph = FunctionGraph([x, y], [cube * y + x])
    rewrite_graph(fgraph, selected("fast_run"))
    (node,) = fgraph.toposort()
    assert [name for name, _, _ in node.op.program.instructions] == ["toy_cube", "mul", "add"]
    lowered = lower_node(node)
    assert lowered.code[0][0] == len(ROWS)
    return lowered


def test_a_toy_row_builds_end_to_end(tmp_path, toy_row):
    """One more row and one more ``case``: the whole path of a new op.

    The Python side (``_toy_python_side``): the table row gives the op its
    T. function, gradient, printed form, fusion and lowering.  The C side:
    the generator, the X-macro expansion (enum and cyt_op_info[]) and the
    interpreter's switch, compiled with the build's own flags into a small C
    program that runs the program the Python side lowered.  What the test
    does not do is rebuild the Python extension modules (minutes: the
    ordinary build, whose result the tests above check against the table),
    so the lowered program runs in that C program instead of through
    ``C.function``; the opcode number the Python side uses is the one the
    generated C list gives (checked in the C program)."""
    opcode_row, spec = toy_row
    lowered = _toy_python_side(spec)
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        pytest.fail("no C compiler: the kernels could not have been built either")
    for name in os.listdir(KERNEL_DIR):
        if name.endswith(".h"):
            shutil.copy(os.path.join(KERNEL_DIR, name), tmp_path)
    header = elemwise_opcodes.c_opcode_list(ROWS + [opcode_row])
    assert header.splitlines()[-1].split() == ['CYT_OP(TOY_CUBE,', '"toy_cube",', '1,', '0,',
                                               '1,', '0)']
    (tmp_path / "vm_opcodes.def").write_text(header)
    template = (tmp_path / "vm_tmpl.h").read_text()
    anchor = "        case OP_IDENTITY:"
    assert anchor in template
    (tmp_path / "vm_tmpl.h").write_text(template.replace(anchor, TOY_CASE + anchor, 1))
    program = TOY_PROGRAM.replace("N_REGISTERS", str(lowered.n_registers)) \
        .replace("N_ROWS", str(len(lowered.code))) \
        .replace("CODE", ", ".join(str(int(v)) for v in lowered.code.ravel()))
    (tmp_path / "toy.c").write_text(program)
    flags = kernels.build_config()["CFLAGS"] or ["-O2"]
    libs = kernels.build_config()["LDFLAGS"] or ["-lm"]
    exe = str(tmp_path / "toy")
    subprocess.run([compiler, *flags, "-I", str(tmp_path), str(tmp_path / "toy.c"), "-o", exe,
                    *[f for f in libs if f != "-s"]], check=True, capture_output=True)
    out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0, out
    name, *values = out.stdout.split()
    assert name == "toy_cube"
    x, y = np.array([1.5, -2.0, 3.0]), np.array([0.5, 2.0, -1.0])
    np.testing.assert_array_equal([float(v) for v in values], spec.reference(x) * y + x)
