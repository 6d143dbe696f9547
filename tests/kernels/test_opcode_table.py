"""The elementwise table (tensor/elemwise_table.py) and the kernel's opcode
list (kernels/vm_opcodes.def, generated from tensor/elemwise_opcodes.py: one
X-macro list from which the C enum, the C property table and
cytensor.kernels.OPCODES all come) agree both ways.  test_opcode_list.py
checks the generation itself."""
import numpy as np
import pytest

import cytensor as C
import cytensor.tensor as T
from cytensor import kernels
from cytensor.tensor.elemwise_table import ELEMWISE


def test_every_row_has_an_opcode_and_every_opcode_a_row():
    rows = set(ELEMWISE)
    opcodes = set(kernels.OPCODES)
    assert rows - opcodes == set(), "rows without an opcode"
    assert opcodes - kernels.NARROWING_OPCODES - rows == set(), "opcodes without a row"
    assert kernels.NARROWING_OPCODES and not kernels.NARROWING_OPCODES & rows


def test_row_arity_is_the_opcode_arity():
    for name, row in ELEMWISE.items():
        assert kernels.OPCODE_ARITY[name] == row.arity, name


def test_opcodes_are_numbered_in_list_order():
    assert sorted(kernels.OPCODES.values()) == list(range(len(kernels.OPCODES)))


def test_property_sets_come_from_the_list():
    assert {"exp", "log", "pow", "sigmoid"} <= kernels.LIBM_OPCODES
    assert not {"add", "sqrt", "copysign"} & kernels.LIBM_OPCODES
    int_ok = {name for name, info in kernels._plan.OPCODE_INFO.items() if info["int_ok"]}
    assert {"add", "mod", "bitwise_and", "narrow_int8"} <= int_ok
    assert not {"exp", "narrow_float32", "copysign"} & int_ok
    assert all(kernels.OPCODE_ARITY[n] == 1 for n in kernels.NARROWING_OPCODES)


def test_copysign_row_runs_end_to_end():
    x, y = T.vector("x"), T.vector("y")
    vx, vy = np.array([1.5, -2.0, 0.0, 3.0]), np.array([-1.0, 2.0, -0.0, np.nan])
    expected = np.copysign(vx, vy)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        got = C.function([x, y], T.copysign(x, y), mode=mode)(vx, vy)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
        np.testing.assert_array_equal(got, expected)
    fused = C.function([x, y], T.copysign(T.exp(x), y) * 2)(vx, vy)
    np.testing.assert_allclose(fused, np.copysign(np.exp(vx), vy) * 2)
    g = C.function([x, y], C.grad(T.copysign(x, y).sum(), x))(vx + 0.5, vy)
    np.testing.assert_array_equal(g, [-1.0, -1.0, -1.0, 1.0])   # the sign flips where they differ


@pytest.mark.parametrize("dtype,name", [("int8", "narrow_int8"), ("uint16", "narrow_uint16"),
                                         ("int32", "narrow_int32"), ("bool", "narrow_bool")])
def test_narrowing_opcodes_wrap_like_astype(dtype, name):
    values = np.array([-300, -129, -1, 0, 1, 127, 255, 70000, 2 ** 40 + 5], np.int64)
    code = np.array([[kernels.OPCODES[name], 1, 0, -1, -1]], np.int32)
    for compute in (np.int64, np.float64):
        (out,) = kernels.elemwise(code, 2, [values.astype(compute)], [np.int64], compute)
        np.testing.assert_array_equal(out, values.astype(dtype).astype(np.int64))


def test_narrow_float32_rounds_a_double():
    values = np.array([1 / 3, 1e39, -1e-46, 2.0 ** 24 + 1])
    code = np.array([[kernels.OPCODES["narrow_float32"], 1, 0, -1, -1]], np.int32)
    with np.errstate(over="ignore"):
        expected = values.astype(np.float32).astype(np.float64)
    (out,) = kernels.elemwise(code, 2, [values], [np.float64], np.float64)
    np.testing.assert_array_equal(out, expected)
