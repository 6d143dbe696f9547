"""theano.printing.Print: the value passes through, and is printed each time
the compiled function computes it."""
import numpy as np

import cytensor as theano
import cytensor.tensor as T
from cytensor.compile.ops import deep_copy_op, view_op
from cytensor.printing import Print


def test_prints_message_and_value_on_every_call(capsys):
    x = T.dvector("x")
    f = theano.function([x], Print("seen")(x) * 2)
    assert capsys.readouterr().out == ""                 # nothing while compiling
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])
    f(np.array([3.0]))
    assert capsys.readouterr().out == "seen __str__ = [1. 2.]\nseen __str__ = [3.]\n"


def test_attrs_and_global_fn(capsys):
    x = T.dmatrix("x")
    shape_of = theano.function([x], Print("x is", attrs=("shape", "sum"))(x))
    shape_of(np.ones((2, 3)))
    assert capsys.readouterr().out == "x is shape = (2, 3)\nx is sum = 6.0\n"
    seen = []
    theano.function([x], Print("m", global_fn=lambda op, v: seen.append(v.max()))(x))(
        np.arange(4.0).reshape(2, 2))
    assert seen == [3.0] and capsys.readouterr().out == ""


def test_constant_input_prints_at_run_time_not_at_compile_time(capsys):
    f = theano.function([], Print("c")(T.constant(np.arange(3.0))) + 1)
    assert capsys.readouterr().out == ""
    np.testing.assert_array_equal(f(), [1.0, 2.0, 3.0])
    assert capsys.readouterr().out == "c __str__ = [0. 1. 2.]\n"


def test_gradient_and_shape_pass_through_and_unused_print_is_pruned(capsys):
    x = T.dvector("x")
    y = Print("y")(x ** 2)
    g = theano.function([x], T.grad(y.sum(), x))
    np.testing.assert_array_equal(g(np.array([1.0, 3.0])), [2.0, 6.0])
    capsys.readouterr()
    theano.function([x], y.shape)(np.ones(4))
    theano.function([x], [x + 1, Print("unused")(x)][0])(np.ones(2))
    assert capsys.readouterr().out == ""


def test_results_never_alias_the_callers_array(capsys):
    x = T.dvector("x")
    a = np.ones(3)
    for op in (Print("p"), view_op, deep_copy_op):
        out = theano.function([x], op(x))(a)
        np.testing.assert_array_equal(out, a)
        assert not np.shares_memory(out, a)
    grown = theano.function([x], T.exp(view_op(x)) + 1)(a)
    np.testing.assert_allclose(grown, np.e + 1)
    np.testing.assert_array_equal(a, 1.0)


def test_under_debug_mode(capsys):
    x = T.dvector("x")
    f = theano.function([x], Print("d")(x) + 1, mode="DebugMode")
    np.testing.assert_array_equal(f(np.zeros(2)), [1.0, 1.0])
    assert "d __str__ = [0. 0.]" in capsys.readouterr().out
