"""Elementwise ops and DimShuffle.

``Elemwise`` runs a *program*: a short list of rows from the elementwise
table applied to registers.  A single operation (``T.exp(x)``) is a
program of one instruction; fusion (rewriting/fusion.py) merges connected
elementwise nodes into one longer program, run by the same kernel in one
pass over the data.
"""
import numpy as np

from .. import kernels
from ..config import config
from ..graph import Apply, Constant, Op
from .elemwise_table import ELEMWISE, output_dtype
from .type import TensorType, as_tensor_variable
from .variable import provide


class Program:
    """Instructions over registers: registers 0..n_inputs-1 hold the inputs,
    instruction k writes register n_inputs+k.

    instructions: tuple of (row name, source registers, output dtype)
    outputs: tuple of registers whose values are the outputs
    """

    def __init__(self, n_inputs, instructions, outputs):
        self.n_inputs = n_inputs
        self.instructions = tuple((name, tuple(srcs), dtype)
                                  for name, srcs, dtype in instructions)
        self.outputs = tuple(outputs)
        self._key = (n_inputs, self.instructions, self.outputs)

    def __eq__(self, other):
        return isinstance(other, Program) and self._key == other._key

    def __hash__(self):
        return hash(self._key)

    def readers(self):
        """For each register, the index of the last instruction reading it
        (registers no instruction reads are absent)."""
        last = {}
        for k, (_, srcs, _) in enumerate(self.instructions):
            for s in srcs:
                last[s] = k
        return last

    def __str__(self):
        names = [f"i{i}" for i in range(self.n_inputs)]
        for name, srcs, dtype in self.instructions:
            args = ", ".join(names[s] for s in srcs)
            names.append(f"{name}({args})" if name != "identity" else f"{dtype}({args})")
        return "; ".join(names[r] for r in self.outputs)


def _infix_program_text(program):
    """A fused program as Theano wrote a Composite: ((exp(i0) * i1) + i2)."""
    names = [f"i{i}" for i in range(program.n_inputs)]
    for name, srcs, dtype in program.instructions:
        args = [names[s] for s in srcs]
        symbol = getattr(ELEMWISE.get(name), "symbol", None)
        if name == "identity":
            text = f"Cast{{{dtype}}}({args[0]})" if dtype else args[0]
        elif symbol and len(args) == 2:
            text = f"({args[0]} {symbol} {args[1]})"
        elif symbol and len(args) == 1:
            text = f"{symbol}{args[0]}"
        else:
            text = f"{name}({', '.join(args)})"
        names.append(text)
    return ", ".join(names[r] for r in program.outputs)


def widest_register(dtypes):
    """The one dtype wide enough for every register, or None when none is:
    uint64 beside signed integers (no float to promote them to) would need
    both int64 and uint64 comparisons and divisions."""
    dtypes = set(dtypes)
    floats = dtypes & {"float16", "float32", "float64"}
    if "float64" in floats or (floats and dtypes & {"int32", "uint32", "int64", "uint64"}):
        return "float64"
    if floats:
        return "float32"
    if "uint64" in dtypes:
        return None if dtypes & {"int8", "int16", "int32", "int64"} else "uint64"
    return "int64"


# Bits that hold every value of an integer dtype, and the integers a float
# register holds exactly (its significand).
_INT_BITS = {"bool": 1, "int8": 8, "uint8": 8, "int16": 16, "uint16": 16,
             "int32": 32, "uint32": 32, "int64": 64, "uint64": 64}
_SIGNIFICAND_BITS = {"float32": 24, "float64": 53}
# Integer results a float register computes exactly from exact integer
# operands (after the lowering narrows them to their dtype), with the bits
# the exact result may need.  Division, modulo and power are not here: by
# zero or to a negative power, NumPy's integer results differ from the float
# ones; nor bitwise ops, which float registers do not have.
def _widest(*bits):
    return max(bits)


_INT_RESULT_BITS = {
    "identity": _widest, "floor": _widest, "ceil": _widest, "trunc": _widest,
    "round_half_to_even": _widest, "round_half_away_from_zero": _widest,
    "maximum": _widest, "minimum": _widest, "clip": _widest, "switch": _widest,
    "sign": _widest, "neg": lambda b: b + 1, "abs": lambda b: b + 1,
    "add": lambda *b: max(b) + 1, "sub": lambda *b: max(b) + 1,
    "mul": lambda *b: sum(b), "sqr": lambda b: 2 * b,
}


def exact_in_float(name, src_dtypes, dtype, register, read_later):
    """Whether one instruction computes, in float registers of dtype
    ``register``, what NumPy computes in the graph's dtypes."""
    significand = _SIGNIFICAND_BITS[register]
    if dtype[0] == "f":                 # a float op: NumPy converts the sources too
        return not (dtype == "float16" and read_later)
    if any(d[0] == "f" for d in src_dtypes):
        # float sources, discrete result: comparisons, a switch's condition.
        # A cast of a float to an integer is NumPy's: nan, inf and values out
        # of range give NumPy's result and its "invalid value" warning.
        if dtype == "bool":
            return True
        return name == "switch" and all(d[0] != "f" and _INT_BITS[d] <= significand
                                        for d in src_dtypes[1:])
    if all(d == "bool" for d in src_dtypes) and name not in ("int_div", "mod"):
        return True                     # logical ops, and bool arithmetic read as logical
    bits = [_INT_BITS[d] for d in src_dtypes]
    if max(bits) > significand:
        return False
    if dtype == "bool":                 # comparisons, logical ops, casts of exact integers
        return ELEMWISE[name].dtype == "bool" or name == "identity"
    rule = _INT_RESULT_BITS.get(name)
    return rule is not None and rule(*bits) <= significand and _INT_BITS[dtype] <= significand


def compute_dtype(program, in_dtypes):
    """The dtype every register holds while ``program`` runs on inputs of
    ``in_dtypes``, or None when no register dtype computes what NumPy
    computes for the graph (then NumPy runs the node, and fusion does not
    build such a program).

    Integer registers compute exactly: the lowering wraps each result back
    to its dtype.  Float registers hold integers exactly up to their
    significand, so integer steps run there only when their operands and
    results fit (int64 arithmetic beside a float does not), and only the
    steps whose float result equals NumPy's integer result.
    """
    regs = register_dtypes(program, in_dtypes)
    register = widest_register(regs)
    if register is None or register[0] != "f":
        return register
    read_later = program.readers()
    n_in = program.n_inputs
    for k, (name, srcs, _) in enumerate(program.instructions):
        if not exact_in_float(name, [regs[s] for s in srcs], regs[n_in + k], register,
                               n_in + k in read_later):
            return None
    return register


def register_dtypes(program, in_dtypes):
    """The graph dtype of each program register: inputs, then one per instruction."""
    regs = list(in_dtypes)
    for name, srcs, dtype in program.instructions:
        regs.append(dtype or output_dtype(ELEMWISE[name], [regs[s] for s in srcs]))
    return regs


def _constants_in_compute_dtype(node, input_cells, compute):
    """(cells, dtypes) for the contiguous kernel: a constant of another dtype
    than the registers' (``x // 3`` on int64 reads an int8 3) is given in the
    compute dtype, converted once here, when the value is the same after the
    conversion, so the node stays on the contiguous path.  The kernel
    converts every input to the compute dtype on load: the result is the same."""
    cells, dtypes = list(input_cells), []
    for k, var in enumerate(node.inputs):
        dtype = var.type.numpy_dtype
        if isinstance(var, Constant) and dtype != compute:
            value = np.asarray(var.data)
            converted = value.astype(compute)
            with np.errstate(all="ignore"):
                if np.array_equal(converted.astype(dtype), value, equal_nan=True):
                    cells[k], dtype = [converted], compute
        dtypes.append(dtype)
    return cells, dtypes


class Elemwise(Op):
    """Apply an elementwise program to inputs broadcast against each other.

    The functions of the elementwise table (``T.exp``, ``T.add``...) make
    one-instruction programs; the fusion rewrite joins them into one program,
    run in one pass by the kernels.

    Parameters
    ----------
    program : Program
        The register program: instructions of the table's rows.
    inplace : optional
        Which input the output overwrites, if any.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> print(T.exp(x).owner.op)
    Elemwise{exp,no_inplace}
    >>> f = theano.function([x], T.exp(x) * 2 + 1)
    >>> print(f.maker.fgraph.toposort()[0].op)
    Elemwise{Composite{((exp(i0) * i1) + i2)}}
    """

    __props__ = ("program", "inplace")

    def __init__(self, program, inplace=None):
        self.program = program
        instructions = program.instructions
        # the table row of a one-step program, looked up once: rewrites ask often
        self._row = ELEMWISE[instructions[0][0]] \
            if len(instructions) == 1 and instructions[0][2] is None else None
        self.inplace = inplace          # index of the input the output overwrites
        self.destroy_map = {} if inplace is None else {0: [inplace]}

    def __getstate__(self):
        return {"program": self.program, "inplace": self.inplace}

    def __setstate__(self, state):
        self.__init__(state["program"], state["inplace"])

    @classmethod
    def from_row(cls, name, dtype=None):
        """The op for one table row (dtype: the output dtype, for casts)."""
        spec = ELEMWISE[name]
        return cls(Program(spec.arity, [(name, tuple(range(spec.arity)), dtype)], [spec.arity]))

    @property
    def scalar_op(self):
        """The table row of a single-instruction program (None when fused)."""
        return self._row

    def __str__(self):
        if config.print_style == "theano":
            return self._theano_str()
        instr = self.program.instructions
        suffix = "" if self.inplace is None else f",inplace={self.inplace}"
        if len(instr) == 1:
            name, _, dtype = instr[0]
            if name == "identity" and dtype:
                return f"Cast{{{dtype}{suffix}}}"
            return f"Elemwise{{{name}{suffix}}}"
        return f"Composite{{{self.program}{suffix}}}"

    def _theano_str(self):
        """Theano 1.0's label: Elemwise{mul,no_inplace}, Elemwise{mul}[(0, 1)]
        when the output overwrites input 1, Elemwise{Cast{float32}}, and
        Elemwise{Composite{...}} for a fused program."""
        instr = self.program.instructions
        if len(instr) == 1:
            name, _, dtype = instr[0]
            inner = f"Cast{{{dtype}}}" if name == "identity" and dtype else name
        else:
            inner = f"Composite{{{_infix_program_text(self.program)}}}"
        if self.inplace is None:
            return f"Elemwise{{{inner},no_inplace}}" if len(instr) == 1 \
                else f"Elemwise{{{inner}}}"
        return f"Elemwise{{{inner}}}[(0, {self.inplace})]"

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(x) for x in inputs]
        if len(inputs) != self.program.n_inputs:
            raise TypeError(f"{self} takes {self.program.n_inputs} inputs, got {len(inputs)}")
        ndim = max(x.ndim for x in inputs)
        inputs = [x if x.ndim == ndim else
                  DimShuffle(x.ndim, ["x"] * (ndim - x.ndim) + list(range(x.ndim)))(x)
                  for x in inputs]
        shape = broadcast_static_shape(inputs, self)
        in_dtypes = [x.dtype for x in inputs]
        outputs = [TensorType(dtype, shape=shape)()
                   for dtype in self._out_dtypes(in_dtypes)]
        return Apply(self, inputs, outputs)

    def _out_dtypes(self, in_dtypes):
        regs = register_dtypes(self.program, in_dtypes)
        return [regs[r] for r in self.program.outputs]

    # --- running --------------------------------------------------------------
    def make_program_thunk(self, node, input_cells, output_cells, lowered):
        """The node's one run-time implementation, given its program as
        compile/lowering.py lowered it (None: NumPy runs the node, see
        compute_dtype).  Nothing is built or lowered per call.

        C-contiguous operands of the compute dtype, each of the output's
        shape, one element, a row repeated over the leading axes or a column
        repeated along the trailing ones, go to the contiguous kernel; for
        any other layout it computes nothing and returns None, and the
        general kernel runs.
        """
        if lowered is None:
            return super().make_thunk(node, input_cells, output_cells)
        if len(node.inputs) == 1 and len(node.outputs) == 1 and node.inputs[0].ndim == 0 \
                and len(self.program.instructions) == 1 \
                and self.program.instructions[0][0] == "identity" \
                and node.inputs[0].dtype[0] in "iub" and node.outputs[0].dtype[0] == "f":
            return self._small_int_cast_thunk(node, input_cells, output_cells,
                                              self._general_thunk(node, input_cells,
                                                                  output_cells, lowered))
        general = self._general_thunk(node, input_cells, output_cells, lowered)
        code, n_regs, out_dtypes, compute = lowered
        pattern = node.outputs[0].type.broadcastable
        input_cells, in_dtypes = _constants_in_compute_dtype(node, input_cells, compute)

        def row_like(bc):
            """(True, ..., True, pattern's tail): repeated over the leading axes."""
            j = 0
            while j < len(bc) and bc[j]:
                j += 1
            return tuple(bc[j:]) == tuple(pattern[len(pattern) - len(bc) + j:])

        def column_like(bc):
            """(pattern's head, True, ..., True): repeated along the trailing axes."""
            k = len(bc)
            while k > 0 and bc[k - 1]:
                k -= 1
            return len(bc) == len(pattern) and tuple(bc[:k]) == tuple(pattern[:k])

        if len(node.outputs) != 1 or out_dtypes[0] != compute \
                or any(dtype != compute or
                       (i.type.broadcastable != pattern and not all(i.type.broadcastable)
                        and not row_like(i.type.broadcastable)
                        and not column_like(i.type.broadcastable))
                       for i, dtype in zip(node.inputs, in_dtypes)) \
                or not any(i.type.broadcastable == pattern for i in node.inputs):
            return general
        full = next((k for k, i in enumerate(node.inputs) if i.type.broadcastable == pattern), 0)
        return kernels.ContiguousThunk(code, n_regs, list(input_cells), output_cells[0],
                                       compute, full, self.inplace, general)

    def _general_thunk(self, node, input_cells, output_cells, lowered):
        """Any layout, broadcasting and dtype: the general kernel."""
        code, n_regs, out_dtypes, compute = lowered
        inplace, run = self.inplace, kernels.elemwise

        def thunk():
            inputs = [c[0] for c in input_cells]
            shape = runtime_broadcast_shape(node, inputs)
            if inplace is not None:
                target = inputs[inplace]
                previous = [target if target.flags.writeable else None]
            else:
                previous = [cell[0] for cell in output_cells]
            reuse = all(p is not None and p.shape == shape for p in previous)
            outputs = run(code, n_regs, inputs, out_dtypes, compute,
                          outputs=previous if reuse else None, out_shape=shape)
            for cell, out in zip(output_cells, outputs):
                cell[0] = out
        return thunk

    @staticmethod
    def _small_int_cast_thunk(node, input_cells, output_cells, general):
        """A 0-d integer cast to float (a shape becoming a float, as in mean):
        exact in every dtype below 2**24, so NumPy's conversion is the kernel's."""
        (x_cell,), (out_cell,) = input_cells, output_cells
        dtype = np.dtype(node.outputs[0].dtype)
        ndarray = np.ndarray

        array = np.array

        def thunk():
            x = x_cell[0]
            if type(x) is not ndarray or x.ndim != 0:
                return general()
            v = x.item()
            if not -16777216 <= v <= 16777216:
                return general()
            out_cell[0] = array(v, dtype)
        return thunk

    def reference(self, node, *inputs):
        runtime_broadcast_shape(node, inputs)
        dtypes = register_dtypes(self.program, [x.dtype.name for x in inputs])
        regs = list(inputs)
        for name, srcs, _ in self.program.instructions:
            args = [regs[s] for s in srcs]
            if ELEMWISE[name].dtype == "float":       # exp(int) is exp of the float
                args = [a.astype(dtypes[len(regs)], copy=False) for a in args]
            with np.errstate(all="ignore"):
                value = np.asarray(ELEMWISE[name].reference(*args))
            target = np.dtype(dtypes[len(regs)])
            if value.dtype.kind == "f" and target.kind in "iu":
                value = value.astype(target)    # nan, inf, out of range: NumPy's warning
            with np.errstate(all="ignore"):
                regs.append(value.astype(target, copy=False))
        return tuple(np.array(regs[r], dtype=dtypes[r]) for r in self.program.outputs)

    # --- symbolic -------------------------------------------------------------
    def grad(self, inputs, output_grads):
        spec = self.scalar_op
        if spec is None and self.program.instructions[0][0] == "identity":
            spec = ELEMWISE["identity"]          # a cast
        elif spec is None:
            raise NotImplementedError(f"{self}: differentiate before fusing")
        (g,) = output_grads
        if spec.grad is None:
            return [None] * len(inputs)
        out = self(*inputs)
        grads = spec.grad(inputs, out, g)
        return [None if gx is None else sum_to_shape_of(gx, x)
                for gx, x in zip(grads, inputs)]

    def infer_shape(self, node, input_shapes):
        out_shape = []
        for axis, dim in enumerate(node.outputs[0].type.shape):
            lengths = [shp[axis] for shp, x in zip(input_shapes, node.inputs)
                       if not x.type.broadcastable[axis]]
            out_shape.append(dim if dim is not None else (lengths[0] if lengths else 1))
        return [tuple(out_shape)] * len(node.outputs)


def sum_to_shape_of(g, x):
    """Sum ``g`` over the axes where ``x`` broadcast, and give it x's dtype."""
    axes = [a for a, (bx, bg) in enumerate(zip(x.broadcastable, g.broadcastable))
            if bx and not bg]
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if x.dtype.startswith("float") and g.dtype != x.dtype:
        g = g.astype(x.dtype)
    return g


def broadcast_static_shape(inputs, op):
    """The output's static shape; raise if two static lengths disagree."""
    shape = []
    for axis in range(inputs[0].ndim):
        lengths = {x.type.shape[axis] for x in inputs} - {1}
        known = lengths - {None}
        if len(known) > 1:
            raise ValueError(_broadcast_error(inputs, axis, op))
        if known:
            shape.append(known.pop())
        elif None in lengths:
            shape.append(None)
        else:
            shape.append(1)
    return tuple(shape)


def _broadcast_error(inputs, axis, op):
    """One sentence naming the operands as the user wrote them, and the fix."""
    def as_written(x):          # undo the leading broadcast axes make_node added
        node = x.owner
        if node is not None and isinstance(node.op, DimShuffle) and \
                node.op.new_order == ("x",) * (x.ndim - node.op.input_ndim) + \
                tuple(range(node.op.input_ndim)):
            return node.inputs[0]
        return x
    operands = " and ".join(f"{as_written(x)} (static shape {as_written(x).type.shape})"
                            for x in inputs)
    lengths = " and ".join(str(x.type.shape[axis]) for x in inputs
                           if x.type.shape[axis] not in (None, 1))
    return (f"{op}: cannot broadcast {operands}: aligned from the last axis, as NumPy "
            f"does, their lengths {lengths} differ along axis {axis} of the result, and "
            "each must be equal or 1. Fix the shapes, or make the axes line up with "
            "dimshuffle/reshape (e.g. x.dimshuffle(0, 'x', 1)).")


def runtime_broadcast_shape(node, inputs):
    """Shape of the outputs; a length-1 axis broadcasts only if declared so."""
    first = inputs[0].shape
    for x in inputs:
        if x.shape != first:
            break
    else:
        return first
    shapes = [x.shape for x in inputs]
    out = tuple(0 if 0 in lengths else max(lengths) for lengths in zip(*shapes))
    for shape, var in zip(shapes, node.inputs):
        if shape == out:
            continue
        for axis, (n, m) in enumerate(zip(shape, out)):
            if n == m:
                continue
            if n != 1:
                raise ValueError("operands could not be broadcast together with shapes "
                                 + " ".join(map(str, shapes)))
            if var.type.shape[axis] != 1:
                raise ValueError(
                    f"input {var} has length 1 along axis {axis} but its type "
                    f"{var.type} does not declare that axis broadcastable, and the "
                    f"other inputs have length {m}; declare it with "
                    f"T.row/T.col, shape=(..., 1, ...) or T.addbroadcast")
    return out


class DimShuffle(Op):
    """Reorder axes, insert broadcastable axes ('x') and drop length-1 axes.

    ``DimShuffle(2, [1, 'x', 0])`` turns a matrix (a, b) into (b, 1, a).
    The output is a view of the input.

    Made by ``x.dimshuffle(...)``, ``x.T``, :func:`transpose` and the
    ``shape_pad*`` functions.

    Parameters
    ----------
    input_ndim : int
        The input's rank.
    new_order : sequence of int or 'x'
        For each output axis, the input axis it is, or 'x' for a new
        broadcastable one; input axes left out must be broadcastable.

    Examples
    --------
    >>> x = T.dmatrix('x')
    >>> y = x.dimshuffle(1, 'x', 0)
    >>> print(y.owner.op, y.broadcastable)
    DimShuffle{1,x,0} (False, True, False)
    """

    __props__ = ("input_ndim", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_ndim, new_order):
        self.input_ndim = input_ndim
        self.new_order = tuple(new_order)
        kept = [a for a in self.new_order if a != "x"]
        if len(set(kept)) != len(kept) or any(not 0 <= a < input_ndim for a in kept):
            raise ValueError(f"invalid dimshuffle pattern {new_order} for {input_ndim} dims")
        self.dropped = [a for a in range(input_ndim) if a not in kept]
        self.transposition = kept + self.dropped

    def __str__(self):
        return f"DimShuffle{{{','.join(map(str, self.new_order))}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim != self.input_ndim:
            raise TypeError(f"{self} expects {self.input_ndim} dimensions, got {x} "
                            f"with {x.ndim}")
        for a in self.dropped:
            if x.type.shape[a] != 1:
                raise ValueError(f"{self} drops axis {a} of {x}, which is not broadcastable "
                                 f"(type {x.type})")
        shape = tuple(1 if a == "x" else x.type.shape[a] for a in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape=shape)()])

    def make_thunk(self, node, input_cells, output_cells):
        """Hot path: a pure transposition, or new axes inserted without moving
        the others, is one NumPy call with everything worked out up front."""
        general = super().make_thunk(node, input_cells, output_cells)
        kept = [a for a in self.new_order if a != "x"]
        if self.dropped:
            return general
        (x_cell,), (out_cell,) = input_cells, output_cells
        ndim = self.input_ndim
        if "x" not in self.new_order:
            perm = tuple(kept)

            def thunk():
                x = x_cell[0]
                if type(x) is not np.ndarray or x.ndim != ndim:
                    return general()
                out_cell[0] = x.transpose(perm)
            return thunk
        if kept != sorted(kept):
            return general
        index = tuple(None if a == "x" else slice(None) for a in self.new_order)

        def thunk():
            x = x_cell[0]
            if type(x) is not np.ndarray or x.ndim != ndim:
                return general()
            out_cell[0] = x[index]
        return thunk

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        y = x.transpose(self.transposition)
        shape = [1 if a == "x" else x.shape[a] for a in self.new_order]
        output_storage[0][0] = y.reshape(shape) if self.dropped or "x" in self.new_order \
            else y

    def reference(self, node, x):
        y = np.transpose(x, self.transposition)
        return (y.reshape([1 if a == "x" else x.shape[a] for a in self.new_order]),)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        kept = [a for a in self.new_order if a != "x"]
        # Drop the inserted axes, then put the kept axes back in input order,
        # re-inserting the dropped (length-1) ones.
        inserted = [i for i, a in enumerate(self.new_order) if a == "x"]
        if inserted:
            g = g.sum(axis=inserted, keepdims=True)
            g = DimShuffle(g.ndim, [i for i, a in enumerate(self.new_order) if a != "x"])(g)
        order = ["x" if a in self.dropped else kept.index(a) for a in range(self.input_ndim)]
        gx = DimShuffle(g.ndim, order)(g)
        return [gx]

    def infer_shape(self, node, input_shapes):
        (shp,) = input_shapes
        return [tuple(1 if a == "x" else shp[a] for a in self.new_order)]


class Cast(Elemwise):
    """Convert to ``dtype`` (floats to ints truncate, as in NumPy).

    An Elemwise whose program is one step, the table's ``identity`` with an
    output dtype, so that fusion, lowering and the kernels treat it as any
    other step; rewrites and printers recognise it by its class and read
    ``op.dtype``.

    Made by :func:`cast`; it runs as an elementwise program.

    Parameters
    ----------
    dtype : str
        The new dtype.
    inplace : optional
        Accepted for Theano's signature.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> y = T.Cast('int32')(x)
    >>> y.dtype, y.eval({x: numpy.array([1.9, -1.9])})
    ('int32', array([ 1, -1], dtype=int32))
    """

    __props__ = ("dtype", "inplace")

    def __init__(self, dtype, inplace=None):
        super().__init__(Elemwise.from_row("identity", dtype).program, inplace)
        self.dtype = dtype

    def __getstate__(self):
        return {"dtype": self.dtype, "inplace": self.inplace}

    def __setstate__(self, state):
        self.__init__(state["dtype"], state["inplace"])


provide(DimShuffle=DimShuffle)
