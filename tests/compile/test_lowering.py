"""Lowering happens once, when the function is compiled (compile/lowering.py).

A call runs thunks only: no Apply node or Op is built and no program is
lowered while a compiled function runs.  Counted with a profile hook on
the real code (sys.setprofile sees every Python call).
"""
import sys

import numpy as np
import pytest

import cytensor as C
import cytensor.tensor as T
from cytensor.compile import lowering
from cytensor.graph import Apply, Op
from cytensor.tensor.elemwise import Elemwise
from cytensor.tensor.math import FusedReduce
from cytensor.tensor.subtensor import IncSubtensor


class BuildCounter:
    """Counts Apply/Op constructions and lowerings while active."""

    def __init__(self):
        self.built, self.lowered = [], 0

    def _hook(self, frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        if code is lowering._kernel_rows.__code__:
            self.lowered += 1
        elif code.co_name == "__init__":
            obj = frame.f_locals.get("self")
            if isinstance(obj, (Apply, Op)):
                self.built.append(type(obj).__name__)

    def __enter__(self):
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)


def _graphs():
    v = T.vector("v")
    i8a, i8b = T.vector("a", dtype="int8"), T.vector("b", dtype="int8")
    c, big = T.vector("c"), T.vector("big", dtype="int64")
    m = T.matrix("m")
    return [
        ("fused reduction", [v], T.log(v).sum(), [np.arange(1.0, 33.0)]),
        ("fused reduction over an axis", [m], T.exp(m).max(axis=1), [np.ones((4, 3))]),
        ("fused elementwise", [v], T.exp(v) * 2 + T.sin(v), [np.arange(32.0)]),
        ("narrowed int8 program", [i8a, i8b], (i8a * i8b) > 0,
         [np.array([100, 3], np.int8), np.array([2, 3], np.int8)]),
        ("NumPy-run switch", [c, big], T.switch(c, big, 0),
         [np.array([0.5, 0.0]), np.array([2 ** 63 - 2, 1], np.int64)]),
        ("integer mean", [big], T.mean(big), [np.array([2 ** 62] * 3, np.int64)]),
        ("inc_subtensor", [v, c], T.inc_subtensor(v[2:], c),
         [np.arange(6.0), np.ones(4)]),
    ]


@pytest.mark.parametrize("label, inputs, output, values", _graphs(),
                         ids=[g[0] for g in _graphs()])
def test_calls_build_and_lower_nothing(label, inputs, output, values):
    f = C.function(inputs, output)
    f(*values)                                   # first call: caches warm
    with BuildCounter() as counter:
        for _ in range(3):
            f(*values)
    assert counter.built == [] and counter.lowered == 0, (label, counter.built)


def test_compiling_lowers_each_program_node():
    """The counter does see lowering: compiling a fused graph lowers it."""
    v = T.vector("v")
    lowering.lower.cache_clear()
    with BuildCounter() as counter:
        f = C.function([v], T.log(v).sum() + T.tanh(v).max())
    nodes = [n for n in f.maker.fgraph.toposort()
             if isinstance(n.op, (Elemwise, FusedReduce))]
    assert any(isinstance(n.op, FusedReduce) for n in nodes)
    assert counter.lowered >= 1


@pytest.mark.parametrize("op_class", [Elemwise, FusedReduce, IncSubtensor])
def test_program_ops_have_one_run_time_implementation(op_class):
    """These ops run through the thunk the linker makes from their lowered
    program; they define no perform of their own (Op.perform is the NumPy
    reference, for constant folding and test values)."""
    assert "perform" not in vars(op_class) and "make_program_thunk" in vars(op_class)


def test_inc_subtensor_adds_in_numpy_dtypes():
    """The increment is the lowered add of x's and y's dtypes, as NumPy's
    ``out[index] += y`` (float32 x, float64 y: the add is in float64)."""
    x, y = T.vector("x", dtype="float32"), T.vector("y", dtype="float64")
    vx, vy = np.full(3, 1.0, np.float32), np.full(2, 1e-8)
    got = C.function([x, y], T.inc_subtensor(x[1:], y))(vx, vy)
    expected = vx.copy()
    expected[1:] += vy
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float32
