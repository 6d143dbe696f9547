"""The register VM computes what NumPy computes for the graph as written.

Registers are wider than the graph's dtypes (int64 or float64 for an int8
or float32 program), so the lowering (compile/lowering.py) narrows each
result back to its dtype, and a program no register dtype computes exactly
is neither fused nor run by the VM.  Each case below is one that fused
FAST_RUN programs got wrong (issue 10); each is checked against NumPy and
against FAST_COMPILE (the NumPy references, no fusion).
"""
import numpy as np
import pytest

import cytensor as C
import cytensor.tensor as T
from cytensor.compile.mode import get_mode


def both_modes(inputs, output, *values, mode="FAST_RUN"):
    """The output's value in FAST_RUN (or ``mode``) and in FAST_COMPILE."""
    fast = C.function(inputs, output, mode=mode)(*values)
    reference = C.function(inputs, output, mode="FAST_COMPILE")(*values)
    return np.asarray(fast), np.asarray(reference)


def check(inputs, output, values, expected, mode="FAST_RUN"):
    """Exactly NumPy's value (to 1e-6 for float results: libm or NumPy's
    own loops may differ in the last place; inf and nan must match)."""
    fast, reference = both_modes(inputs, output, *values, mode=mode)
    expected = np.asarray(expected)
    assert fast.dtype == reference.dtype == expected.dtype
    rtol = 1e-6 if expected.dtype.kind == "f" else 0
    np.testing.assert_allclose(reference, expected, rtol=rtol)
    np.testing.assert_allclose(fast, expected, rtol=rtol)


def vec(dtype, name="x"):
    return T.vector(name, dtype=dtype)


def test_int8_product_wraps_before_comparison():
    a, b = vec("int8", "a"), vec("int8", "b")
    va, vb = np.array([100, 3], np.int8), np.array([2, 3], np.int8)
    with np.errstate(over="ignore"):
        expected = (va * vb) > 0                    # 100*2 wraps to -56
    check([a, b], (a * b) > 0, [va, vb], expected)
    assert not expected[0]


def test_uint8_negation_wraps():
    x = vec("uint8")
    vx = np.array([1, 0, 200], np.uint8)
    expected = np.abs(-vx)
    assert expected[0] == 255
    check([x], abs(-x), [vx], expected)


def test_bool_sum_is_logical_before_a_float_op():
    b = vec("bool", "b")
    vb = np.array([True, False])
    fast, reference = both_modes([b], T.nnet.sigmoid(b + b), vb)
    np.testing.assert_allclose(fast, 1 / (1 + np.exp(-np.array([1.0, 0.0]))), rtol=1e-3)
    np.testing.assert_allclose(fast, reference, rtol=1e-3)
    assert fast.dtype == reference.dtype


def test_int32_modulo_by_zero_is_zero_before_sqrt():
    i = vec("int32", "i")
    vi = np.array([0, 7], np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.sqrt(vi % vi)
    assert expected[0] == 0
    check([i], T.sqrt(i % i), [vi], expected)


def test_integer_division_and_modulo_by_zero_in_fused_programs():
    a, b = vec("int8", "a"), vec("int8", "b")
    x = vec("float64", "x")
    va, vb = np.array([7, -7, -128, 5], np.int8), np.array([0, 2, -1, 0], np.int8)
    vx = np.array([1.5, 1.5, 1.5, 1.5])
    with np.errstate(all="ignore"):
        check([a, b], (a // b) + 1, [va, vb], (va // vb) + np.int8(1))
        check([a, b], (a % b) * 3, [va, vb], (va % vb) * np.int8(3))
        check([a, b, x], (a // b) * x, [va, vb, vx], (va // vb) * vx)
        check([a, b, x], (a % b) + x, [va, vb, vx], (va % vb) + vx)


def test_bool_division_by_false_beside_floats():
    """bool // bool and bool % bool are integer ops (1 // 0 is 0), also in a
    program whose registers are floats."""
    x, y, b = vec("float64", "x"), vec("float64", "y"), vec("bool", "b")
    vx, vy = np.array([0.0, 1.0, 1.0, 0.0]), np.array([1.0, 2.0, 2.0, 1.0])
    vb = np.array([True, False, True, False])
    with np.errstate(divide="ignore"):
        check([x, y, b], (x < y) // b, [vx, vy, vb], ((vx < vy) // vb).astype(bool))
        check([x, y, b], (x < y) % b, [vx, vy, vb], ((vx < vy) % vb).astype(bool))


def test_int16_negative_power_as_fast_compile():
    w = vec("int16", "w")
    vw = np.array([-3, 1], np.int16)
    fast, reference = both_modes([w], T.exp(w ** -1), vw)
    np.testing.assert_array_equal(fast, reference)
    assert fast[0] == 1.0                           # int16 (-3) ** -1 is 0, exp(0) is 1


def test_int64_arithmetic_beside_a_float_condition_is_exact():
    x, y = vec("int64", "x"), vec("float64", "y")
    vx, vy = np.array([2 ** 53 + 1, 5], np.int64), np.array([1.0, -1.0])
    expected = (vx + 2) * (vy > 0).astype(np.int64)
    assert expected[0] == 2 ** 53 + 3
    check([x, y], (x + 2) * T.cast(y > 0, "int64"), [vx, vy], expected)


def test_float32_program_computes_in_float32():
    v = vec("float32", "v")
    vv = np.array([100.0, 1.0], np.float32)
    with np.errstate(over="ignore"):
        expected = np.exp(vv).astype(np.float64)
    assert np.isinf(expected[0])
    check([v], T.cast(T.exp(v), "float64"), [vv], expected)


def test_log_sigmoid_is_minus_inf_unless_the_stabilising_rewrite_runs():
    d = vec("float32", "d")
    vd = np.array([-1000.0, 0.5], np.float32)
    with np.errstate(divide="ignore", over="ignore"):
        expected = np.log(np.float32(1) / (np.float32(1) + np.exp(-vd)))
    as_written = get_mode("FAST_RUN").excluding("log_of_sigmoid")
    check([d], T.log(T.nnet.sigmoid(d)), [vd], expected, mode=as_written)
    # the rewrite's documented purpose: the stable value, -1000
    stable = C.function([d], T.log(T.nnet.sigmoid(d)))(vd)
    np.testing.assert_allclose(stable, [-1000.0, expected[1]], rtol=1e-6)


def test_int64_mean_accumulates_in_float64():
    x = vec("int64")
    vx = np.array([2 ** 62] * 3, np.int64)
    fast, reference = both_modes([x], T.mean(x), vx)
    np.testing.assert_allclose(fast, np.mean(vx))
    np.testing.assert_allclose(reference, np.mean(vx))
    assert fast > 0


def test_switch_with_a_float_condition_keeps_int64_exact():
    c, a = vec("float64", "c"), vec("int64", "a")
    vc, va = np.array([0.5, 0.0]), np.array([2 ** 63 - 2, 7], np.int64)
    expected = np.where(vc, va, 0)
    check([c, a], T.switch(c, a, 0), [vc, va], expected)


def test_log_of_exp_is_not_simplified_for_integers():
    x = vec("int16")
    vx = np.array([30000, 2], np.int16)
    with np.errstate(over="ignore"):
        expected = np.log(np.exp(vx))
    assert np.isinf(expected[0])
    check([x], T.log(T.exp(x)), [vx], expected)
    f = vec("float64", "f")
    graph = C.function([f], T.log(T.exp(f))).maker.fgraph
    assert not any(n.op.__class__.__name__ == "Elemwise" and "log" in str(n.op)
                   for n in graph.toposort())       # still simplified for floats
