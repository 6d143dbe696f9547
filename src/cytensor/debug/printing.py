"""Looking at graphs: ``debugprint`` (an indented tree), ``pp`` (a formula)
and ``pydotprint`` (a Graphviz picture).

All three take what a user has at hand: a Variable, a list of them, an
Apply node, a FunctionGraph or a compiled Function (whose rewritten graph is
``f.maker.fgraph``).  Comparing ``debugprint(y)`` with ``debugprint(f)``
shows what the rewrites did to the graph.

Ops are recognised by class name, not by importing their modules, so the
printers work on any graph (even one whose ops come from a plugin) and can
be used while debugging the tensor modules themselves.
"""
import os
import shutil
import subprocess
import sys

from ..compile.mode import Mode
from ..config import config
from ..function import function
from ..graph import Apply, Constant, Variable, toposort
from ..tensor.elemwise_table import ELEMWISE


# ---------------------------------------------------------------------------
# What is being printed
# ---------------------------------------------------------------------------

def _graph_of(obj):
    """(outputs, node order or None, storage cells or None) for any printable object.

    The node order is given for compiled graphs only: it is the order the
    nodes run in, which debugprint shows and pydotprint numbers.
    """
    if isinstance(obj, Variable):
        return [obj], None, None
    if isinstance(obj, Apply):
        return list(obj.outputs), None, None
    if isinstance(obj, (list, tuple)):
        outputs = []
        for item in obj:
            outputs.extend(_graph_of(item)[0])
        return outputs, None, None
    schedule = getattr(obj, "schedule", None)
    maker = getattr(obj, "maker", None)
    if maker is not None and schedule is not None:            # a compiled Function
        return list(maker.fgraph.outputs), list(schedule.nodes), schedule.cells
    if hasattr(obj, "outputs") and hasattr(obj, "toposort"):  # a FunctionGraph
        return list(obj.outputs), obj.toposort(), None
    raise TypeError(f"cannot print {type(obj).__name__} {obj!r}: expected a Variable, "
                    "a list of Variables, an Apply node, a FunctionGraph or a Function")


# ---------------------------------------------------------------------------
# debugprint
# ---------------------------------------------------------------------------

def _char_id(n):
    """0 -> A, 25 -> Z, 26 -> AA: short labels, like spreadsheet columns."""
    text = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def debugprint(obj, file=None, ids="CHAR", print_type=False, depth=-1,
               print_storage=False, done=None, print_rewrites=False):
    """Print the graph of ``obj`` as an indented tree, one variable a line.

    A computed variable prints as ``Elemwise{add} [id A] 'name'`` with its
    inputs indented below it.  A node met a second time prints its line again
    (same id) without its inputs, so shared subgraphs appear once.  For a
    FunctionGraph or Function each node's line ends with its position in
    the run order.

    Parameters
    ----------
    obj : Variable, list of Variable, FunctionGraph or Function
        The graph to print.
    file : None, 'str' or a stream
        None prints to stdout; 'str' returns the text; a stream is written
        to and returned.
    ids : {'CHAR', 'id', 'int', ''}
        Ids as letters (A, B, ... AA), Python ids, numbers (0, 1, ...) or none.
    print_type : bool
        Add each variable's type.
    depth : int
        How many levels to print (-1: all).
    print_storage : bool
        For a Function, show the value each variable's cell holds.
    done : dict, optional
        Shared between calls so that several graphs are printed with the same ids.
    print_rewrites : bool
        For a Function or FunctionGraph, name the rewrite that made each node
        (``by fuse_elemwise``); nodes without a name are the ones your code built.

    Returns
    -------
    str, stream or None
        The text with ``file='str'``, the stream if one was given, else None.

    Raises
    ------
    ValueError
        For another ``ids``.

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> z = (x + y) * T.exp(x)
    >>> theano.printing.debugprint(z)
    Elemwise{mul,no_inplace} [id A] ''
     |Elemwise{add,no_inplace} [id B] ''
     | |x [id C]
     | |y [id D]
     |Elemwise{exp,no_inplace} [id E] ''
       |x [id C]
    >>> print(theano.printing.debugprint(theano.function([x, y], z), file='str'))
    Elemwise{Composite{((i0 + i1) * exp(i0))}} [id A] ''   0
     |x [id B]
     |y [id C]
    """
    if ids not in ("CHAR", "id", "int", ""):
        raise ValueError(f"ids must be 'CHAR', 'id', 'int' or '', got {ids!r}")
    outputs, order, cells = _graph_of(obj)
    position = {node: k for k, node in enumerate(order)} if order is not None else {}
    done = {} if done is None else done
    expanded = set()            # nodes whose inputs were already printed
    lines = []

    def id_of(key):
        if key not in done:
            if ids == "CHAR":
                done[key] = f"[id {_char_id(len(done))}]"
            elif ids == "int":
                done[key] = f"[id {len(done)}]"
            elif ids == "id":
                done[key] = f"[id {id(key)}]"
            else:
                done[key] = ""
        return done[key]

    def line(var, prefix):
        node = var.owner
        parts = []
        if node is not None:
            suffix = f".{var.index}" if len(node.outputs) > 1 else ""
            parts.append(f"{node.op}{suffix}")
            key = node
        else:
            parts.append(str(var))
            key = var
        if ids:
            parts.append(id_of(key))
        if print_type:
            parts.append(f"<{var.type}>")
        if node is not None:
            parts.append(f"'{var.name or ''}'")
        text = prefix + " ".join(parts)
        if node in position:
            text += f"   {position[node]}"
            if print_rewrites and getattr(node.tag, "rewrite", None):
                text += f"   by {node.tag.rewrite}"
        if print_storage and cells is not None and var in cells:
            text += f"   {_short(cells[var][0])}"
        return text

    # An explicit stack instead of recursion: graphs can be deeper than
    # Python's recursion limit (a long chain of updates, an unrolled loop).
    for out in outputs:
        stack = [(out, "", "", depth)]
        while stack:
            var, prefix, child_prefix, levels = stack.pop()
            lines.append(line(var, prefix))
            node = var.owner
            if node is None or node in expanded or levels == 1:
                continue
            expanded.add(node)
            last = len(node.inputs) - 1
            for i in range(last, -1, -1):
                below = child_prefix + ("  " if i == last else " |")
                stack.append((node.inputs[i], child_prefix + " |", below, levels - 1))
    text = "\n".join(lines)
    if file == "str":
        return text
    stream = sys.stdout if file is None else file
    print(text, file=stream)
    return None if file is None else stream


def _short(value, width=40):
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width - 3] + "..."


# ---------------------------------------------------------------------------
# pp: the formula of a variable
# ---------------------------------------------------------------------------

ATOM = 1000                 # precedence of names, calls, x[...] and x.T


def pp(obj):
    """The formula computing ``obj`` in infix notation: ``(x + y) * exp(z)``.

    With config.print_style='theano' (the default) every binary operation
    is parenthesised and constants print as TensorConstant{2}, as Theano's
    pp did; with 'cytensor', parentheses appear only where the elementwise
    table's precedences need them.  A FunctionGraph, Function or list gives one formula per output, a
    line each.  pp never raises: an op it cannot format prints as
    ``Op(args)``, and a graph it cannot walk prints as ``str(var)``.

    Parameters
    ----------
    obj : Variable, list of Variable, FunctionGraph or Function
        The graph to print.

    Returns
    -------
    str
        The formula (one line per output).

    Examples
    --------
    >>> x, y = T.dvectors('x', 'y')
    >>> theano.pp((x + y) * T.exp(x))
    '((x + y) * exp(x))'
    >>> theano.pp(theano.grad(T.sum(x ** 2), x)).count('x')
    2
    """
    try:
        if not isinstance(obj, Variable):
            outputs = _graph_of(obj)[0]
            return "\n".join(pp(o) for o in outputs)
        return _formulas([obj])[obj][0]
    except Exception:                 # printing is a debugging aid: never fail
        try:
            return str(obj)
        except Exception:
            return f"<{type(obj).__name__}>"


pprint = pp     # Theano's other name for it


def _formulas(outputs):
    """{variable: (text, precedence)} for the outputs and everything before them.

    Nodes are visited in topological order (no recursion), each formula
    built from its inputs' formulas.
    """
    memo = {}

    def get(var):
        if var not in memo:
            memo[var] = _leaf(var)
        return memo[var]

    for node in toposort(outputs):
        args = [get(i) for i in node.inputs]
        for out in node.outputs:
            try:
                memo[out] = _format_node(node, out, args)
            except Exception:
                memo[out] = _call(_op_name(node.op), args, node, out)
    for out in outputs:
        get(out)
    return memo


def _leaf(var):
    """A graph input: its name, a constant's value, else its type ``<Matrix(float64)>``."""
    text = str(var)
    if isinstance(var, Constant) and var.name is None:
        data = var.data
        if getattr(data, "ndim", 0) > 0 and data.size == 1:
            text = str(data.reshape(()))        # [[2]] broadcasts like 2: print 2
        if text.startswith("-"):
            return text, _neg_precedence()      # -1.0 binds like unary minus
    return text, ATOM


def _neg_precedence():
    return ELEMWISE["neg"].precedence


def _call(name, args, node=None, out=None):
    text = f"{name}({', '.join(a for a, _ in args)})"
    if node is not None and len(node.outputs) > 1:
        text += f"[{out.index}]"
    return text, ATOM


def _wrap(arg, needs_parens):
    return f"({arg[0]})" if needs_parens else arg[0]


def _postfix(arg, suffix):
    """``x.T``, ``x[1:3]``: postfix operators bind tightest."""
    return _wrap(arg, arg[1] < ATOM) + suffix, ATOM


def _op_name(op):
    try:
        return str(op)
    except Exception:
        return type(op).__name__


def _format_node(node, out, args):
    formatter = _FORMATTERS.get(type(node.op).__name__)
    if formatter is None:
        return _call(_op_name(node.op), args, node, out)
    return formatter(node, out, args)


def _format_elemwise(node, out, args):
    program = node.op.program
    if len(program.instructions) == 1:
        return _run_program(program, args)[program.outputs[out.index]]
    # A fused node: show its program as a formula over i0, i1, ... and the
    # arguments, so a rewrite trace shows what fusion made.
    names = [(f"i{k}", ATOM) for k in range(program.n_inputs)]
    body = _run_program(program, names)[program.outputs[out.index]][0]
    return _call(f"Composite{{{body}}}", args)


def _run_program(program, args):
    """The registers of an elementwise program, as formulas."""
    regs = list(args)
    for name, srcs, dtype in program.instructions:
        regs.append(_apply_row(name, dtype, [regs[s] for s in srcs]))
    return regs


def _apply_row(name, dtype, args):
    """One elementwise operation: infix, prefix or call, from its table row."""
    if name == "identity" and dtype:
        return _call(dtype, args)                       # a cast: float32(x)
    row = ELEMWISE[name]
    symbol, prec = row.symbol, row.precedence
    if symbol is None or len(args) != row.arity:
        return _call(name, args)
    if len(args) == 1:
        # -(-x) rather than --x: equal precedence gets parentheses too.
        (x,) = args
        return f"{symbol}{_wrap(x, x[1] <= prec)}", prec
    left, right = args
    if config.print_style == "theano":      # Theano's pp wraps every binary operation
        return f"({left[0]} {symbol} {right[0]})", ATOM
    # The table's associativity: a - (b - c) and (a ** b) ** c keep their
    # parentheses; for "none" (a < b < c would chain in Python) both sides do.
    lp = left[1] < prec or (left[1] == prec and row.associativity != "left")
    rp = right[1] < prec or (right[1] == prec and row.associativity != "right")
    return f"{_wrap(left, lp)} {symbol} {_wrap(right, rp)}", prec


def _format_dimshuffle(node, out, args):
    (x,) = args
    order, ndim = tuple(node.op.new_order), node.op.input_ndim
    kept = order
    while kept and kept[0] == "x":
        kept = kept[1:]
    if kept == tuple(range(ndim)):
        # Only leading broadcast axes, as Elemwise adds to mix a scalar with
        # a matrix: printing them would turn ``a ** 2`` into noise.
        return x
    if ndim >= 2 and order == tuple(reversed(range(ndim))):
        return _postfix(x, ".T")
    return _postfix(x, f".dimshuffle({', '.join(map(repr, order))})")


def _index_text(template, index_args):
    """``1:3, i`` from a Subtensor template; trailing ``:`` are dropped."""
    def part(p):
        if p is None:
            return ""
        if type(p).__name__ == "Slot":
            return index_args[int(p)][0]
        return repr(p)

    entries = []
    for t in template:
        if isinstance(t, tuple):
            text = f"{part(t[1])}:{part(t[2])}"
            entries.append(text + (f":{part(t[3])}" if t[3] is not None else ""))
        else:
            entries.append(part(t))
    while len(entries) > 1 and entries[-1] == ":":
        entries.pop()
    return ", ".join(entries)


def _format_subtensor(node, out, args):
    return _postfix(args[0], f"[{_index_text(node.op.template, args[1:])}]")


def _format_inc_subtensor(node, out, args):
    kind = "set" if node.op.set_instead_of_inc else "inc"
    indexed = _postfix(args[0], f"[{_index_text(node.op.template, args[2:])}]")
    return _call(f"{kind}_subtensor", [indexed, args[1]])


def _format_reduce(node, out, args):
    op, x = node.op, node.inputs[0]
    text = args[0][0]
    if tuple(op.axis) != tuple(range(x.type.ndim)):
        text += f", axis={list(op.axis)}"
    if op.dtype is not None:
        text += f", dtype={op.dtype!r}"
    if op.acc_dtype is not None:
        text += f", acc_dtype={op.acc_dtype!r}"
    return f"{op.op}({text})", ATOM


def _format_argmax(node, out, args):
    axis = "" if node.op.axis is None else f", axis={node.op.axis}"
    return f"{node.op.op}({args[0][0]}{axis})", ATOM


_FORMATTERS = {
    "Elemwise": _format_elemwise,
    "Cast": _format_elemwise,
    "DimShuffle": _format_dimshuffle,
    "Subtensor": _format_subtensor,
    "IncSubtensor": _format_inc_subtensor,
    "Reduce": _format_reduce,
    "Argmax": _format_argmax,
    "Dot": lambda node, out, args: _call("dot", args),
    "Shape": lambda node, out, args: _postfix(args[0], ".shape"),
    "Shape_i": lambda node, out, args: _postfix(args[0], f".shape[{node.op.i}]"),
}


# ---------------------------------------------------------------------------
# pydotprint: a Graphviz picture
# ---------------------------------------------------------------------------

# Fill colours of Apply nodes by op class, like Theano's; other ops are white.
OP_COLORS = {
    "Elemwise": "#FFAABB",        # pink
    "Cast": "#FFAABB",
    "DimShuffle": "#DDBBFF",      # lavender
    "Dot": "#FFAA22",             # orange
    "BatchedMatmul": "#FFAA22",
    "Subtensor": "#FFAAFF",       # purple
    "IncSubtensor": "#FFAAFF",
    "Reduce": "#AAEEFF",          # light blue
    "Alloc": "#FFDD77",           # yellow
    "Shape": "#CC9966",           # brown
    "Shape_i": "#CC9966",
}
INPUT_COLOR = "limegreen"
OUTPUT_COLOR = "dodgerblue"
SHARED_COLOR = "cyan"
CONSTANT_COLOR = "lightgrey"
VARIABLE_COLOR = "white"


def _dot_quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_attrs(**attrs):
    if not attrs:
        return ""
    return " [" + ", ".join(f"{k}={_dot_quote(v)}" for k, v in attrs.items()) + "]"


def _time_fractions(profile):
    """{node: fraction of the total node time} from a ProfileStats or a mapping."""
    node_time = getattr(profile, "node_time", None)
    if node_time is None:
        return dict(profile)
    total = sum(node_time.values())
    return {node: (t / total if total else 0.0) for node, t in node_time.items()}


def _heat(fraction):
    """White (0) to red (1), for profile shading."""
    level = int(round(255 * (1.0 - min(max(float(fraction), 0.0), 1.0))))
    return f"#FF{level:02X}{level:02X}"


def _variable_color(var, is_output):
    if is_output:
        return OUTPUT_COLOR
    if isinstance(var, Constant):
        return CONSTANT_COLOR
    if hasattr(var, "get_value") and var.owner is None:      # a shared variable
        return SHARED_COLOR
    return INPUT_COLOR if var.owner is None else VARIABLE_COLOR


def graph_to_dot(fct, compact=True, with_ids=False, high_contrast=True,
                 var_with_name_simple=False, profile_colors=None, rewritten=True):
    """The Graphviz DOT text that :func:`pydotprint` renders (useful on its own).

    Parameters
    ----------
    fct : Variable, list of Variable, FunctionGraph or Function
        The graph.
    compact, with_ids, high_contrast, var_with_name_simple, profile_colors, rewritten
        As for :func:`pydotprint`.

    Returns
    -------
    str
        A ``digraph``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> text = theano.printing.graph_to_dot(T.exp(x))
    >>> text.splitlines()[0], 'label="x' in text
    ('digraph G {', True)
    """
    if not rewritten and hasattr(fct, "definition"):
        fct = before_rewrites(fct)
    outputs, order, _ = _graph_of(fct)
    if order is None:
        order = toposort(outputs)
    fgraph = fct.maker.fgraph if hasattr(fct, "maker") else fct
    inputs = list(getattr(fgraph, "inputs", []))     # unused inputs are drawn too
    if profile_colors is None and getattr(fct, "profile", None) is not None \
            and getattr(fct.profile, "node_time", None):
        profile_colors = fct.profile            # a profiled Function colours itself
    fractions = _time_fractions(profile_colors) if profile_colors is not None else None

    output_set = set(outputs)
    ids = {}

    def dot_id(obj, kind):
        if obj not in ids:
            ids[obj] = f"{kind}{len(ids)}"
        return ids[obj]

    def style(color):
        return dict(style="filled", fillcolor=color) if high_contrast else dict(color=color)

    def var_label(var):
        if isinstance(var, Constant) and var.name is None:
            text = _short(var.data, 30)
        elif var.name is not None:
            text = var.name
            if not var_with_name_simple:
                text += f"\n{var.type}"
        else:
            text = str(var.type)
        return text

    def drawn(var):
        """Graph inputs, outputs and (unless compact) named or all intermediates."""
        if var.owner is None or var in output_set:
            return True
        return not compact or var.name is not None

    lines = ["digraph G {", "  node [shape=ellipse, fontsize=10];", "  edge [fontsize=9];"]
    candidates = inputs + [v for node in order for v in node.inputs + node.outputs] + outputs
    for var in candidates:
        if var not in ids and drawn(var):
            color = _variable_color(var, var in output_set)
            attrs = _dot_attrs(label=var_label(var), **style(color))
            lines.append(f"  {dot_id(var, 'v')}{attrs};")

    for k, node in enumerate(order):
        label = str(node.op)
        color = OP_COLORS.get(type(node.op).__name__, "white")
        if fractions is not None:
            share = fractions.get(node, 0.0)
            label += f"\n{100.0 * share:.1f}%"
            color = _heat(share)
        if with_ids:
            label += f"\nid={k}"
        attrs = _dot_attrs(label=label, shape="box", **style(color))
        lines.append(f"  {dot_id(node, 'n')}{attrs};")

    for node in order:
        many = len(node.inputs) > 1
        for i, var in enumerate(node.inputs):
            if var in ids:
                attrs = {"label": str(i)} if many else {}
                lines.append(f"  {ids[var]} -> {ids[node]}{_dot_attrs(**attrs)};")
            else:
                # The variable is hidden: draw op -> op, labelled with its type.
                owner = var.owner
                text = f"{i} {var.type}" if many else str(var.type)
                if len(owner.outputs) > 1:
                    text = f"out {var.index} -> " + text
                lines.append(f"  {ids[owner]} -> {ids[node]}{_dot_attrs(label=text)};")
        for j, var in enumerate(node.outputs):
            if var in ids:
                attrs = {"label": str(j)} if len(node.outputs) > 1 else {}
                lines.append(f"  {ids[node]} -> {ids[var]}{_dot_attrs(**attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def before_rewrites(fn):
    """The compiled Function ``fn`` compiled again without rewrites.

    Its ``maker.fgraph`` is the graph the rewrites started from, to set
    beside ``fn.maker.fgraph``.

    Parameters
    ----------
    fn : Function
        A compiled function.

    Returns
    -------
    Function
        The same computation, unrewritten and unprofiled.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], T.exp(x) * 2 + 1)
    >>> len(f.maker.fgraph.toposort()), len(theano.printing.before_rewrites(f).maker.fgraph.toposort())
    (1, 5)
    """
    return function(**dict(fn.definition, mode=Mode(optimizer=None), profile=False))


def pydotprint(fct, outfile=None, format=None, compact=True, with_ids=False,
               high_contrast=True, print_output_file=True, return_image=False,
               var_with_name_simple=False, profile_colors=None, rewritten=True):
    """Draw the graph of ``fct`` with Graphviz's ``dot`` program.

    Apply nodes are boxes coloured by op class; inputs are green, outputs
    blue, shared variables cyan, constants grey.  Edges into an op with
    several inputs are numbered with the input position.

    Parameters
    ----------
    fct : Variable, list of Variable, FunctionGraph or Function
        The graph; a compiled Function is drawn after its rewrites.
    outfile : str, optional
        Default ``cytensor.pydotprint.<format>`` in the current directory.
    format : str, optional
        'png', 'svg', 'pdf', ... or 'dot' (the DOT text, no Graphviz needed);
        default: the outfile's extension, else ``config.pydotprint_format``.
    compact : bool
        Hide unnamed intermediate variables: their producer and consumer are
        joined by an edge labelled with the type.
    with_ids : bool
        Label the nodes with ids.
    high_contrast : bool
        Fill the boxes with colour (else colour their outlines).
    print_output_file : bool
        Print the path of the file written.
    return_image : bool
        Return the picture's bytes instead of writing a file.
    var_with_name_simple : bool
        Label named variables with their name only.
    profile_colors : dict or ProfileStats, optional
        ``{node: fraction of time}``; shades nodes from white to red.  A
        profiled Function is shaded by its profile.
    rewritten : bool
        False draws a Function's graph as it was before the rewrites
        (givens substituted, updates included), to set beside the default.

    Returns
    -------
    bytes or None
        The picture with ``return_image=True``, else None (a file is written).

    Raises
    ------
    RuntimeError
        If Graphviz's ``dot`` is needed and is not installed.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> f = theano.function([x], T.exp(x) + 1)
    >>> picture = theano.printing.pydotprint(f, format='dot', return_image=True)
    >>> picture[:9]
    b'digraph G'
    """
    if format is None:
        ext = os.path.splitext(outfile)[1].lstrip(".").lower() if outfile else ""
        if ext in ("png", "svg", "pdf", "dot", "jpg", "jpeg", "gif", "ps", "eps"):
            format = ext
        else:
            format = config.pydotprint_format
    format = format.lower()
    text = graph_to_dot(fct, compact=compact, with_ids=with_ids,
                        high_contrast=high_contrast,
                        var_with_name_simple=var_with_name_simple,
                        profile_colors=profile_colors, rewritten=rewritten)
    if outfile is None:
        outfile = f"cytensor.pydotprint.{format}"
    outfile = os.path.abspath(outfile)

    if format == "dot":
        if return_image:
            return text.encode()
        with open(outfile, "w") as f:
            f.write(text)
    else:
        image = _run_dot(text, format, outfile, write_file=not return_image)
        if return_image:
            return image
    if print_output_file:
        print(f"The output file is available at {outfile}")
    return None


def _run_dot(text, format, outfile, write_file=True):
    """Render DOT text with Graphviz; without it, keep the DOT text and say how."""
    dot = shutil.which("dot")
    if dot is None:
        dotfile = os.path.splitext(outfile)[0] + ".dot"
        with open(dotfile, "w") as f:
            f.write(text)
        raise RuntimeError(
            "pydotprint needs the Graphviz program 'dot', not found on PATH; install "
            "graphviz (apt-get install graphviz, brew install graphviz or conda install "
            f"graphviz). The graph was written in DOT format to {dotfile}; render it "
            f"with: dot -T{format} {dotfile} -o {outfile}")
    command = [dot, f"-T{format}"] + (["-o", outfile] if write_file else [])
    result = subprocess.run(command, input=text.encode(), capture_output=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"Graphviz 'dot -T{format}' failed: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return result.stdout
