"""The C opcode list is generated from the elementwise table.

tensor/elemwise_opcodes.py holds the kernel columns of the table (plain data);
setup.py writes kernels/vm_opcodes.def from it (``c_opcode_list``), vm_ops.h
expands that into the enum and ``cyt_op_info[]``, and the kernels read
``OPCODES`` back from there.  These tests check each link: the data file
loads without cytensor, the file in the tree is what the table generates,
the compiled VM knows exactly the table's opcodes with the table's columns,
the table rows carry the same fields, and the lowering uses them.  The toy-row
test goes through the C side end to end: one more row and one more ``case``
compile into a VM that runs the new opcode.
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
int main(void) {
    double x[3] = {1.5, -2.0, 3.0}, y[3];
    char *R[2] = {(char *)x, (char *)y};
    int32_t code[5] = {OP_TOY_CUBE, 1, 0, -1, -1};
    if (OP_TOY_CUBE != OP_COUNT - 1) return 2;
    if (cyt_op_arity(OP_TOY_CUBE) != 1 || !cyt_op_info[OP_TOY_CUBE].int_ok) return 3;
    if (cyt_vm_run(CYT_F64, R, code, 1, 3) != 0) return 4;
    printf("%s %.17g %.17g %.17g\n", cyt_op_info[OP_TOY_CUBE].name, y[0], y[1], y[2]);
    return 0;
}
"""


def test_a_toy_row_builds_end_to_end(tmp_path):
    """One more opcode row and one more ``case`` give a VM that runs it.

    This proves the C side of "adding an op is one row and one case": the
    generator, the X-macro expansion (enum and cyt_op_info[]) and the
    interpreter's switch, compiled with the build's own flags into a small C
    program.  It does not rebuild the Python extension modules (that is the
    ordinary build: tests above check the built one against the table), and
    the Python half of a new op (reference, dtype rule, gradient) is the row
    of elemwise_table.py, checked by the tests of that table."""
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        pytest.fail("no C compiler: the kernels could not have been built either")
    for name in os.listdir(KERNEL_DIR):
        if name.endswith(".h"):
            shutil.copy(os.path.join(KERNEL_DIR, name), tmp_path)
    toy = dict(ROWS[0], name="toy_cube", arity=1, libm=False, int_ok=True, narrow=False,
               c_name="TOY_CUBE")
    header = elemwise_opcodes.c_opcode_list(ROWS + [toy])
    assert header.splitlines()[-1].split() == ['CYT_OP(TOY_CUBE,', '"toy_cube",', '1,', '0,',
                                               '1,', '0)']
    (tmp_path / "vm_opcodes.def").write_text(header)
    template = (tmp_path / "vm_tmpl.h").read_text()
    anchor = "        case OP_IDENTITY:"
    assert anchor in template
    (tmp_path / "vm_tmpl.h").write_text(template.replace(anchor, TOY_CASE + anchor, 1))
    (tmp_path / "toy.c").write_text(TOY_PROGRAM)
    flags = kernels.build_config()["CFLAGS"] or ["-O2"]
    libs = kernels.build_config()["LDFLAGS"] or ["-lm"]
    exe = str(tmp_path / "toy")
    subprocess.run([compiler, *flags, "-I", str(tmp_path), str(tmp_path / "toy.c"), "-o", exe,
                    *[f for f in libs if f != "-s"]], check=True, capture_output=True)
    out = subprocess.run([exe], capture_output=True, text=True)
    assert out.returncode == 0, out
    name, *values = out.stdout.split()
    assert name == "toy_cube"
    np.testing.assert_array_equal([float(v) for v in values], [1.5 ** 3, -8.0, 27.0])
