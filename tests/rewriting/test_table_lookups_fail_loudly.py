"""Rewrites name table rows through lookups that fail on a misspelt name,
and read the table's own fields (neutral elements, commutativity,
associativity) instead of lists of names kept beside it."""
import pathlib
import re

import pytest

import cytensor
import cytensor.tensor as T
from cytensor.config import change_flags
from cytensor.debug.printing import pp
from cytensor.rewriting.engine import REGISTRY, register
from cytensor.tensor.elemwise_table import ELEMWISE
from cytensor.tensor.reduction_table import REDUCTION, REDUCTIONS

SRC = pathlib.Path(cytensor.__file__).parent


def test_a_misspelt_tracked_row_is_an_error_at_registration():
    with pytest.raises(ValueError, match="'lgo'.*not a row"):
        @register("stabilize", tracks=("lgo",))
        def never_offered(fgraph, node):
            return None
    assert all(r.name != "never_offered" for r in REGISTRY)


def test_tracked_names_become_table_rows():
    by_name = {r.name: r for r in REGISTRY}
    assert by_name["log1p_from_log"].tracks == (ELEMWISE["log"],)


def test_a_misspelt_reduction_is_an_attribute_error():
    assert REDUCTION.sum is REDUCTIONS["sum"]
    with pytest.raises(AttributeError, match="'smu'"):
        REDUCTION.smu


def test_no_rewrite_compares_row_or_reduction_names():
    """Rows and reductions are compared by identity (``row_of(v) is ...``,
    ``op.spec is REDUCTION.sum``, patterns), never as strings."""
    string_match = re.compile(r"row_name\(|\.op\.op\s*(==|!=|in\b)|\brow\.name\s*(==|!=|in\b)")
    found = [f"{path.name}:{n}: {line.strip()}"
             for path in sorted((SRC / "rewriting").glob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if string_match.search(line)]
    assert found == []


def test_neutral_elements_come_from_the_table():
    x = T.dvector("x")
    f = cytensor.function([x], [x * 1, 1 * x, x - 0, x / 1, x ** 1, 0 + x])
    assert not [n for n in f.maker.fgraph.toposort()]
    g = cytensor.function([x], 0 - x)          # sub's 0 is neutral on the right only
    assert g.maker.fgraph.toposort()
    assert ELEMWISE["sub"].neutral == (0, "right") and ELEMWISE["add"].neutral == (0, "both")


def test_the_printer_reads_associativity_from_the_table():
    a, b, c = T.dscalars("a", "b", "c")
    with change_flags(print_style="cytensor"):
        assert_printed(a, b, c)
    assert ELEMWISE["pow"].associativity == "right" and ELEMWISE["lt"].associativity == "none"


def assert_printed(a, b, c):
    assert pp(a ** (b ** c)) == "a ** b ** c"
    assert pp((a ** b) ** c) == "(a ** b) ** c"
    assert pp(a - (b - c)) == "a - (b - c)"
    assert pp((a - b) - c) == "a - b - c"
    assert pp(T.lt(T.lt(a, b), c)) == "(a < b) < c"
