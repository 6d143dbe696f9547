"""Tests of the graph printers: debugprint, pp and pydotprint, in cytensor's
detailed view (config.print_style='cytensor': fused programs, minimal
parentheses); the Theano-like default is tested in test_theano_print_style.py."""
import io
import re
import shutil

import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.config import change_flags
from cytensor.graph import Apply, Op
from cytensor.debug.printing import _char_id, debugprint, graph_to_dot, pp, pydotprint
from cytensor.debug.profiling import ProfileStats
from cytensor.rewriting import FunctionGraph
from cytensor.tensor.elemwise import Elemwise, Program

NO_REWRITES = theano.Mode(optimizer=None)


@pytest.fixture(autouse=True)
def detailed_print_style():
    with change_flags(print_style="cytensor"):
        yield


@pytest.fixture
def xyz():
    return T.matrix("x"), T.matrix("y"), T.matrix("z")


class TwoOutputs(Op):
    """A test op with two outputs."""

    def make_node(self, x):
        return Apply(self, [x], [x.type(), x.type()])


# ---------------------------------------------------------------------------
# debugprint
# ---------------------------------------------------------------------------

def test_debugprint_variable(xyz):
    x, y, z = xyz
    text = debugprint((x + y) * z, file="str")
    assert text == (
        "Elemwise{mul} [id A] ''\n"
        " |Elemwise{add} [id B] ''\n"
        " | |x [id C]\n"
        " | |y [id D]\n"
        " |z [id E]")


def test_debugprint_last_child_indent_and_name(xyz):
    x, y, z = xyz
    out = x * (y + z)
    out.name = "out"
    assert debugprint(out, file="str") == (
        "Elemwise{mul} [id A] 'out'\n"
        " |x [id B]\n"
        " |Elemwise{add} [id C] ''\n"
        "   |y [id D]\n"
        "   |z [id E]")


def test_debugprint_repeated_node_printed_once(xyz):
    x, y, _ = xyz
    s = x + y
    assert debugprint(s * s, file="str") == (
        "Elemwise{mul} [id A] ''\n"
        " |Elemwise{add} [id B] ''\n"
        " | |x [id C]\n"
        " | |y [id D]\n"
        " |Elemwise{add} [id B] ''")


def test_debugprint_list_shares_ids(xyz):
    x, y, _ = xyz
    s = x + y
    text = debugprint([s, s * x], file="str")
    assert text == (
        "Elemwise{add} [id A] ''\n"
        " |x [id B]\n"
        " |y [id C]\n"
        "Elemwise{mul} [id D] ''\n"
        " |Elemwise{add} [id A] ''\n"
        " |x [id B]")


def test_debugprint_apply_node(xyz):
    x, y, _ = xyz
    assert debugprint((x + y).owner, file="str") == debugprint(x + y, file="str")


def test_debugprint_ids_modes(xyz):
    x, y, _ = xyz
    e = x + y
    assert debugprint(e, file="str", ids="int") == \
        "Elemwise{add} [id 0] ''\n |x [id 1]\n |y [id 2]"
    assert debugprint(e, file="str", ids="") == "Elemwise{add} ''\n |x\n |y"
    text = debugprint(e, file="str", ids="id")
    assert re.fullmatch(r"Elemwise\{add\} \[id \d+\] ''\n \|x \[id \d+\]\n \|y \[id \d+\]",
                        text)
    assert f"[id {id(e.owner)}]" in text
    with pytest.raises(ValueError):
        debugprint(e, file="str", ids="bad")


def test_char_ids():
    assert [_char_id(n) for n in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == \
        ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_debugprint_depth(xyz):
    x, y, z = xyz
    e = (x + y) * z
    assert debugprint(e, file="str", depth=1) == "Elemwise{mul} [id A] ''"
    assert debugprint(e, file="str", depth=2) == (
        "Elemwise{mul} [id A] ''\n"
        " |Elemwise{add} [id B] ''\n"
        " |z [id C]")


def test_debugprint_print_type(xyz):
    x, y, _ = xyz
    assert debugprint(x + y, file="str", print_type=True) == (
        "Elemwise{add} [id A] <Matrix(float64)> ''\n"
        " |x [id B] <Matrix(float64)>\n"
        " |y [id C] <Matrix(float64)>")


def test_debugprint_done_dict_continues_ids(xyz):
    x, y, z = xyz
    done = {}
    first = debugprint(x + y, file="str", done=done)
    second = debugprint(x * z, file="str", done=done)
    assert first == "Elemwise{add} [id A] ''\n |x [id B]\n |y [id C]"
    assert second == "Elemwise{mul} [id D] ''\n |x [id B]\n |z [id E]"


def test_debugprint_leaves_constants_shared_unnamed():
    w = theano.shared(np.zeros(3), name="w")
    v = T.vector()
    assert debugprint(w + v + 2.5, file="str", ids="") == (
        "Elemwise{add} ''\n"
        " |Elemwise{add} ''\n"
        " | |w\n"
        " | |<Vector(float64)>\n"
        " |DimShuffle{x} ''\n"
        "   |2.5")


def test_debugprint_multiple_outputs():
    x = T.vector("x")
    a, b = TwoOutputs()(x)
    text = debugprint([a, b], file="str")
    assert text == ("TwoOutputs.0 [id A] ''\n |x [id B]\n"
                    "TwoOutputs.1 [id A] ''")


def test_debugprint_file_arguments(xyz, capsys):
    x, y, _ = xyz
    assert debugprint(x + y) is None
    assert capsys.readouterr().out == "Elemwise{add} [id A] ''\n |x [id B]\n |y [id C]\n"
    stream = io.StringIO()
    assert debugprint(x + y, file=stream) is stream
    assert stream.getvalue().startswith("Elemwise{add} [id A]")


def test_debugprint_deep_graph_no_recursion_error():
    x = T.scalar("x")
    e = x
    for _ in range(3000):
        e = e + 1
    text = debugprint(e, file="str", ids="")
    assert text.count("\n") == 2 * 3000


def test_debugprint_function_graph(xyz):
    x, y, _ = xyz
    fg = FunctionGraph([x, y], [(x + y) * x])
    expected = ("Elemwise{mul} [id A] ''   1\n"
                " |Elemwise{add} [id B] ''   0\n"
                " | |x [id C]\n"
                " | |y [id D]\n"
                " |x [id C]")
    assert debugprint(fg, file="str") == expected
    assert str(fg) == expected


def test_debugprint_function_shows_schedule_order(xyz):
    x, y, _ = xyz
    f = theano.function([x, y], (x + y) * x, mode=NO_REWRITES)
    assert debugprint(f, file="str") == (
        "Elemwise{mul} [id A] ''   1\n"
        " |Elemwise{add} [id B] ''   0\n"
        " | |x [id C]\n"
        " | |y [id D]\n"
        " |x [id C]")


def test_debugprint_function_default_mode_positions(xyz):
    x, y, z = xyz
    f = theano.function([x, y, z], [T.exp(x) * y + T.log(z) ** 2, (x.T + 1).sum(axis=0)])
    text = debugprint(f, file="str")
    positions = sorted(int(m) for m in re.findall(r"''   (\d+)$", text, re.M))
    assert set(positions) == set(range(len(f.schedule.nodes)))


def test_debugprint_function_storage():
    x = T.scalar("x")
    f = theano.function([x], x * 2, mode=NO_REWRITES)
    assert debugprint(f, file="str", print_storage=True) == (
        "Elemwise{mul} [id A] ''   0   None\n"
        " |x [id B]   None\n"
        " |2 [id C]   2")
    f(3.5)
    assert debugprint(f, file="str", print_storage=True).splitlines()[1] == \
        " |x [id B]   3.5"


# ---------------------------------------------------------------------------
# pp
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("build, expected", [
    (lambda x, y, z: (x + y) * z, "(x + y) * z"),
    (lambda x, y, z: x + y * z, "x + y * z"),
    (lambda x, y, z: x * y + z, "x * y + z"),
    (lambda x, y, z: -(x + y), "-(x + y)"),
    (lambda x, y, z: -x, "-x"),
    (lambda x, y, z: -(-x), "-(-x)"),
    (lambda x, y, z: x - (y - z), "x - (y - z)"),
    (lambda x, y, z: (x - y) - z, "x - y - z"),
    (lambda x, y, z: x / (y * z), "x / (y * z)"),
    (lambda x, y, z: x / y * z, "x / y * z"),
    (lambda x, y, z: x ** 2, "x ** 2"),
    (lambda x, y, z: (-x) ** 2, "(-x) ** 2"),
    (lambda x, y, z: -x ** 2, "-x ** 2"),
    (lambda x, y, z: (x ** y) ** z, "(x ** y) ** z"),
    (lambda x, y, z: x ** (y ** z), "x ** y ** z"),
    (lambda x, y, z: (x + 1) ** 2, "(x + 1) ** 2"),
    (lambda x, y, z: T.exp(x), "exp(x)"),
    (lambda x, y, z: T.exp(x + y) * T.log(z), "exp(x + y) * log(z)"),
    (lambda x, y, z: x.T, "x.T"),
    (lambda x, y, z: (x + y).T, "(x + y).T"),
    (lambda x, y, z: x.T.T + y, "x.T.T + y"),
    (lambda x, y, z: x.dimshuffle(1, "x", 0), "x.dimshuffle(1, 'x', 0)"),
    (lambda x, y, z: x[1:3], "x[1:3]"),
    (lambda x, y, z: x[1, 2:], "x[1, 2:]"),
    (lambda x, y, z: x[:, ::2], "x[:, ::2]"),
    (lambda x, y, z: (x + y)[0], "(x + y)[0]"),
    (lambda x, y, z: T.sum(x, axis=0), "sum(x, axis=[0])"),
    (lambda x, y, z: T.sum(x), "sum(x)"),
    (lambda x, y, z: T.max(x * y, axis=1), "max(x * y, axis=[1])"),
    (lambda x, y, z: T.dot(x, y), "dot(x, y)"),
    (lambda x, y, z: T.dot(x + y, z.T), "dot(x + y, z.T)"),
    (lambda x, y, z: T.cast(x, "float32"), "float32(x)"),
    (lambda x, y, z: T.maximum(x, y), "maximum(x, y)"),
    (lambda x, y, z: x < y, "x < y"),
])
def test_pp(xyz, build, expected):
    assert pp(build(*xyz)) == expected


def test_pp_unnamed_input_and_constants():
    assert pp(T.matrix() + 1) == "<Matrix(float64)> + 1"
    x = T.vector("x")
    assert pp(x * -1.5) == "x * -1.5"
    assert pp(x ** -1.0) == "x ** (-1.0)"


def test_pp_subtensor_symbolic_index():
    x = T.vector("x")
    i = T.lscalar("i")
    assert pp(x[i:i + 2]) == "x[i:i + 2]"


def test_pp_fused_elemwise(xyz):
    x, y, _ = xyz
    fused = Elemwise(Program(2, [("add", (0, 1), None), ("exp", (2,), None)], [3]))
    assert pp(fused(x, y)) == "Composite{exp(i0 + i1)}(x, y)"


def test_pp_unknown_and_broken_ops():
    x = T.vector("x")
    a, b = TwoOutputs()(x)
    assert pp(b) == "TwoOutputs(x)[1]"

    class Subtensor(Op):            # named like a known op, but without a template
        def make_node(self, v):
            return Apply(self, [v], [v.type()])

    assert pp(Subtensor()(x)) == "Subtensor(x)"

    class Unprintable(Op):
        def make_node(self, v):
            return Apply(self, [v], [v.type()])

        def __str__(self):
            raise RuntimeError("no")

    assert pp(Unprintable()(x) + 1) == "Unprintable(x) + 1"


def test_pp_deep_graph():
    x = T.scalar("x")
    e = x
    for _ in range(2000):
        e = T.exp(e)
    assert pp(e) == "exp(" * 2000 + "x" + ")" * 2000


def test_pp_function_graph_and_function(xyz):
    x, y, _ = xyz
    fg = FunctionGraph([x, y], [x + y, T.exp(x)])
    assert pp(fg) == "x + y\nexp(x)"
    f = theano.function([x, y], [x * y, x - y], mode=NO_REWRITES)
    assert pp(f) == "x * y\nx - y"
    assert pp([x + y, x * y]) == "x + y\nx * y"


def test_pp_seed_gradient():
    a = T.scalar("a")
    g = theano.grad(a ** 2, a)
    assert isinstance(pp(g), str)
    f = theano.function([a], g)
    assert "a" in pp(f)


class _NumpyShim:
    """The functions a pp formula calls, done with NumPy, to evaluate it back."""
    exp, log, dot, maximum = np.exp, np.log, np.dot, np.maximum

    @staticmethod
    def sum(x, axis=None):
        return np.sum(x, axis=None if axis is None else tuple(np.atleast_1d(axis)))


@pytest.mark.parametrize("build", [
    lambda m, x, y, z: (x + y) * z,
    lambda m, x, y, z: x - (y - z) - (x - y),
    lambda m, x, y, z: x / (y / z) / (x * y),
    lambda m, x, y, z: -(x + y) ** 2 - (-x) ** 3,
    lambda m, x, y, z: (x ** y) ** z + x ** (y ** z),
    lambda m, x, y, z: m.exp(-(x * y)) / (1 + m.exp(-z)),
    lambda m, x, y, z: m.dot(x + y, z.T).T - m.sum((x - y)[1:, ::-1], axis=0),
    lambda m, x, y, z: m.maximum(x - y, z) * -(x[0] - 2.5),
])
def test_pp_evaluates_back(xyz, build):
    """The printed formula, run by Python on arrays, gives the graph's value."""
    rng = np.random.default_rng(0)
    values = {name: rng.uniform(0.5, 1.5, (3, 3)) for name in "xyz"}
    text = pp(build(T, *xyz))
    namespace = dict(values, exp=np.exp, log=np.log, dot=np.dot, maximum=np.maximum,
                     sum=_NumpyShim.sum)
    got = eval(text, namespace)
    expected = build(_NumpyShim, values["x"], values["y"], values["z"])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_pp_comparison_inside_bitwise(xyz):
    x, y, z = xyz
    assert pp((x < y) & (y < z)) == "(x < y) & (y < z)"


# ---------------------------------------------------------------------------
# pydotprint
# ---------------------------------------------------------------------------



@pytest.fixture
def seed_graph():
    a = T.scalar()
    g = theano.grad(a ** 2, a)
    return a, g


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF"),
                                        ("svg", b"<"), ("dot", b"digraph")])
def test_pydotprint_formats(tmp_path, seed_graph, fmt, magic, capsys):
    _, g = seed_graph
    out = tmp_path / f"graph.{fmt}"
    assert pydotprint(g, outfile=str(out), format=fmt) is None
    data = out.read_bytes()
    assert data.startswith(magic)
    if fmt == "svg":
        assert b"<svg" in data and b"Elemwise{mul}" in data
    assert f"The output file is available at {out}" in capsys.readouterr().out


def test_pydotprint_format_from_extension(tmp_path, seed_graph):
    _, g = seed_graph
    out = tmp_path / "pic.svg"
    pydotprint(g, outfile=str(out), print_output_file=False)
    assert b"<svg" in out.read_bytes()


def test_pydotprint_seed_listing_default_outfile(tmp_path, monkeypatch, seed_graph, capsys):
    """The book's pydotprint(g) and pydotprint(theano.function([a], g))."""
    monkeypatch.chdir(tmp_path)
    a, g = seed_graph
    theano.printing.pydotprint(g)
    default = tmp_path / "cytensor.pydotprint.png"
    assert default.read_bytes().startswith(b"\x89PNG")
    default.unlink()
    theano.printing.pydotprint(theano.function([a], g))
    assert default.read_bytes().startswith(b"\x89PNG")
    assert capsys.readouterr().out.count("The output file is available at") == 2


def test_pydotprint_config_format(tmp_path, monkeypatch, seed_graph):
    monkeypatch.chdir(tmp_path)
    with change_flags(pydotprint_format="svg"):
        pydotprint(seed_graph[1], print_output_file=False)
    assert b"<svg" in (tmp_path / "cytensor.pydotprint.svg").read_bytes()


def test_pydotprint_return_image(tmp_path, monkeypatch, seed_graph):
    monkeypatch.chdir(tmp_path)
    image = pydotprint(seed_graph[1], return_image=True)
    assert image.startswith(b"\x89PNG")
    assert list(tmp_path.iterdir()) == []


def test_pydotprint_without_dot(tmp_path, monkeypatch, seed_graph):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None
    out = tmp_path / "pic.png"
    with pytest.raises(RuntimeError, match="'dot'") as info:
        pydotprint(seed_graph[1], outfile=str(out))
    dotfile = tmp_path / "pic.dot"
    assert str(dotfile) in str(info.value)
    assert "graphviz" in str(info.value)
    assert dotfile.read_text().startswith("digraph")
    assert not out.exists()


def test_pydotprint_dot_format_needs_no_graphviz(tmp_path, monkeypatch, seed_graph):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "g.dot"
    pydotprint(seed_graph[1], outfile=str(out), print_output_file=False)
    assert out.read_text().startswith("digraph")


def _nodes(text):
    """{dot id: attribute text} of the node statements."""
    return dict(re.findall(r"^  ([nv]\d+) \[(.*)\];$", text, re.M))


def test_graph_to_dot_colours_and_labels():
    x = T.matrix("x")
    w = theano.shared(np.ones((3, 3)), name="w")
    out = T.dot(x.T, w) + 2.0
    text = graph_to_dot(out)
    nodes = _nodes(text)
    labels = {re.search(r'label="([^"]*)"', a).group(1): a for a in nodes.values()}
    assert "limegreen" in labels["x\\nMatrix(float64)"]
    assert "cyan" in labels["w\\nMatrix(float64)"]
    assert "lightgrey" in labels["2.0"]
    assert "dodgerblue" in labels["Matrix(float64)"]
    assert "#FFAABB" in labels["Elemwise{add}"] and 'shape="box"' in labels["Elemwise{add}"]
    assert "#FFAA22" in labels["Dot"]
    assert "#DDBBFF" in labels["DimShuffle{1,0}"]
    # compact: the unnamed transpose result is an op -> op edge labelled with its type
    assert re.search(r'n\d+ -> n\d+ \[label="0 Matrix\(float64\)"\]', text)
    # edges into a two-input op are numbered
    assert re.search(r'v\d+ -> n\d+ \[label="1"\]', text)


def test_graph_to_dot_options():
    x = T.matrix("x")
    h = T.exp(x)
    out = h * 2.0
    compact = graph_to_dot(out)
    full = graph_to_dot(out, compact=False)
    # two unnamed intermediates: exp(x) and the broadcast constant
    assert len(_nodes(full)) == len(_nodes(compact)) + 2
    h.name = "h"
    assert 'label="h\\nMatrix(float64)"' in graph_to_dot(out)
    assert 'label="h"' in graph_to_dot(out, var_with_name_simple=True)
    assert "id=0" in graph_to_dot(out, with_ids=True)
    outline = graph_to_dot(out, high_contrast=False)
    assert "fillcolor" not in outline and 'color="limegreen"' in outline


def test_graph_to_dot_function_and_fgraph():
    x, y = T.matrix("x"), T.matrix("y")
    f = theano.function([x, y], (x + y) * x, mode=NO_REWRITES)
    text = graph_to_dot(f)
    assert text.count("Elemwise{") == 2
    fg = FunctionGraph([x, y], [(x + y) * x])
    assert graph_to_dot(fg).count("Elemwise{") == 2
    z = T.matrix("unused")
    g = theano.function([x, z], x + 1, mode=NO_REWRITES, on_unused_input="ignore")
    assert "unused" in graph_to_dot(g)            # unused inputs are still drawn


def test_graph_to_dot_profile_colors():
    x = T.vector("x")
    e = T.exp(x) + 1
    add, exp = e.owner, e.owner.inputs[0].owner
    text = graph_to_dot(e, profile_colors={add: 1.0, exp: 0.0})
    labels = {re.search(r'label="([^"]*)"', a).group(1): a for a in _nodes(text).values()}
    assert "#FF0000" in labels["Elemwise{add}\\n100.0%"]
    assert "#FFFFFF" in labels["Elemwise{exp}\\n0.0%"]
    stats = ProfileStats()
    stats.node_time[add] = 3.0
    stats.node_time[exp] = 1.0
    text = graph_to_dot(e, profile_colors=stats)
    assert "Elemwise{add}\\n75.0%" in text and "Elemwise{exp}\\n25.0%" in text


def test_graph_to_dot_profiled_function_colours_itself():
    x = T.vector("x")
    f = theano.function([x], T.exp(x) + 1, profile=True)
    f(np.ones(4))
    assert "%" in graph_to_dot(f)


def test_graph_to_dot_quotes_labels():
    x = T.vector('say "hi"\\')
    assert 'label="say \\"hi\\"\\\\' in graph_to_dot(x * 2)
