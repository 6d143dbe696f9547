"""The rewrite pattern matcher: table rows by identity, holes, constants, commutativity."""
import pytest

import cytensor.tensor as T
from cytensor.rewriting.pattern import E, Var, match, row_of
from cytensor.tensor.elemwise_table import ELEMWISE

X, Y = Var("X"), Var("Y")


def test_a_pattern_binds_its_holes():
    x = T.dvector("x")
    assert match(T.log(1 + x), E.log(E.add(1, X))) == {"X": x}


def test_commutative_rows_match_either_order():
    x = T.dvector("x")
    assert match(T.log(x + 1), E.log(E.add(1, X))) == {"X": x}
    assert match(T.exp(x) - 1, E.sub(E.exp(X), 1)) == {"X": x}
    assert match(1 - T.exp(x), E.sub(E.exp(X), 1)) is None     # sub is not commutative


def test_constants_must_have_the_value():
    x = T.dvector("x")
    assert match(T.log(x + 2), E.log(E.add(1, X))) is None
    assert match(x * T.constant([[-1.0]]), E.mul(-1, X)) is not None


def test_a_repeated_hole_is_the_same_variable():
    x, y = T.dvector("x"), T.dvector("y")
    assert match(x - x, E.sub(X, X)) == {"X": x}
    assert match(x - y, E.sub(X, X)) is None
    assert match(x - y, E.sub(X, Y)) == {"X": x, "Y": y}
    assert match(x - y, E.sub(X, Y), {"Y": x}) is None       # bound beforehand


def test_rows_are_compared_by_identity():
    x = T.dvector("x")
    assert row_of(T.exp(x)) is ELEMWISE["exp"]
    assert match(T.exp(x), E.log(X)) is None
    assert row_of(x) is None


def test_a_typo_fails_at_once():
    with pytest.raises(AttributeError, match="no elementwise row named 'lgo'"):
        E.lgo(X)
    with pytest.raises(TypeError, match="log takes 1 arguments"):
        E.log(X, Y)
