"""OpFromGraph: a graph wrapped as one op (Theano's ``theano.OpFromGraph``).

``op = OpFromGraph([x, y], [x * y + 1])`` makes an op that computes the
graph from its own inputs: ``op(a, b)`` is one node, compiled once and run
as a whole.  Its gradient and shape are those of the graph it wraps, rebuilt
on the node's actual inputs.  Shared variables the graph uses become hidden
inputs of every node, so it reads their current values.  With
``inline=True`` calling the op returns the wrapped graph itself, rebuilt on
the arguments, so the rewrites see (and can fuse) everything inside.
"""
from .gradient import grad
from .graph import (Apply, Constant, LaterStages, MissingInputError, Op, Variable, clone_replace,
                    graph_inputs)
from .tensor.sharedvar import SharedVariable
from .tensor.basic import shape_tuple
from .tensor.type import as_tensor_variable


class OpFromGraph(Op):
    """An op computing ``outputs`` from ``inputs`` (lists of variables).

    Apply it like any op; its gradient is that of the graph inside.  Shared
    variables the outputs use become hidden inputs.

    Parameters
    ----------
    inputs : list of Variable
        The graph's inputs (not constants or shared variables).
    outputs : list of Variable
        The graph's outputs.
    inline : bool
        Whether the rewrites may replace the op by its graph.
    name : str, optional
        A name for printing.
    **kwargs
        Theano's other options, accepted.

    Raises
    ------
    TypeError
        If inputs or outputs are not lists of variables, or an input is a
        constant or shared variable.
    ValueError
        A ``MissingInputError``, if the outputs depend on a variable that is
        not among the inputs.

    Examples
    --------
    >>> x, y = T.dscalars('x', 'y')
    >>> op = theano.OpFromGraph([x, y], [x * y + 1])
    >>> a, b = T.dscalars('a', 'b')
    >>> z = op(a, b) * 2
    >>> theano.function([a, b], [z, theano.grad(z, a)])(3.0, 4.0)
    [array(26.), array(8.)]
    """

    def __init__(self, inputs, outputs, inline=False, name=None, **kwargs):
        if not isinstance(inputs, (list, tuple)) or not isinstance(outputs, (list, tuple)):
            raise TypeError("OpFromGraph(inputs, outputs): both must be lists of variables")
        for v in list(inputs) + list(outputs):
            if not isinstance(v, Variable):
                raise TypeError(f"OpFromGraph: {v!r} is not a symbolic variable")
        if any(isinstance(v, (Constant, SharedVariable)) for v in inputs):
            raise TypeError("OpFromGraph: a constant or shared variable cannot be an input; "
                            "the graph uses it as it is")
        self.inputs, self.outputs = list(inputs), [as_tensor_variable(o) for o in outputs]
        free = [v for v in graph_inputs(self.outputs, set(self.inputs))
                if v not in self.inputs and not isinstance(v, Constant)]
        unknown = [v for v in free if not isinstance(v, SharedVariable)]
        if unknown:
            raise MissingInputError(
                f"OpFromGraph: the outputs depend on {', '.join(map(str, unknown))}, which "
                "is not among the inputs; add it to them")
        self.shared = free                  # hidden inputs, after the given ones
        # The compiled graph takes them as ordinary inputs, so it runs on placeholders.
        self.inner_inputs = self.inputs + [v.type(v.name) for v in free]
        self.inner_outputs, _ = clone_replace(self.outputs,
                                              dict(zip(free, self.inner_inputs[len(inputs):])))
        self.inline, self.name = inline, name
        self._functions = {}

    __eq__, __hash__ = object.__eq__, object.__hash__   # each wraps its own graph

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_functions"}

    def __setstate__(self, state):
        self.__dict__.update(state, _functions={})

    def __str__(self):
        return f"OpFromGraph{{{self.name}}}" if self.name else "OpFromGraph"

    def __call__(self, *args):
        if self.inline:
            args = self._checked(args)
            outs, _ = clone_replace(self.outputs, dict(zip(self.inputs, args)))
            return outs[0] if len(outs) == 1 else outs
        return super().__call__(*args)

    def _checked(self, args):
        if len(args) != len(self.inputs):
            raise TypeError(f"{self}: takes {len(self.inputs)} inputs, got {len(args)}")
        args = [as_tensor_variable(a) for a in args]
        for k, (arg, inner) in enumerate(zip(args, self.inputs)):
            if (arg.dtype, arg.ndim) != (inner.dtype, inner.ndim):
                raise TypeError(f"{self}: input {k} ({arg}) is {arg.type}; the graph needs "
                                f"{inner.type}")
        return args

    def make_node(self, *args):
        args = self._checked(args)
        return Apply(self, args + self.shared, [o.type() for o in self.outputs])

    def _substitution(self, node_inputs):
        """{inner variable: the node's counterpart}, the given inputs and the
        hidden shared ones alike."""
        return dict(zip(self.inner_inputs, node_inputs))

    # --- running -----------------------------------------------------------------
    def _function(self, linker, device=None):
        key = linker if device is None else (linker, device)
        if key not in self._functions:
            self._functions[key] = LaterStages.compile_inner_graph(
                self.inner_inputs, self.inner_outputs, linker=linker, name=str(self),
                device=device)
        return self._functions[key]

    def on_device(self, backend):
        """The wrapped graph compiled (now) for ``backend``'s device (its
        table row, backends/inner_graphs.py): called with that device's
        arrays, it returns that device's arrays."""
        return self._function("cy", backend.device)

    def perform(self, node, inputs, output_storage):
        self._store(self._function("cy")(*inputs), output_storage)

    def reference(self, node, *inputs):
        return tuple(self._function("py")(*inputs))

    @staticmethod
    def _store(values, output_storage):
        for cell, value in zip(output_storage, values):
            cell[0] = value

    # --- symbolic ------------------------------------------------------------------
    def grad(self, inputs, output_grads):
        """The wrapped graph's gradient, rebuilt on this node's inputs."""
        placeholders = [g.type() for g in output_grads]
        known = {o: p for o, p in zip(self.inner_outputs, placeholders)
                 if o.dtype.startswith("float")}
        grads = grad(None, self.inner_inputs, known_grads=known, disconnected_inputs="ignore",
                     return_disconnected="None")
        present = [g for g in grads if g is not None]
        replace = self._substitution(inputs)
        replace.update(zip(placeholders, output_grads))
        rebuilt = iter(clone_replace(present, replace)[0])
        return [next(rebuilt) if g is not None else None for g in grads]

    def infer_shape(self, node, input_shapes):
        shapes = [shape_tuple(o) for o in self.inner_outputs]
        flat = [s for shape in shapes for s in shape]
        rebuilt = iter(clone_replace(flat, self._substitution(node.inputs))[0])
        return [tuple(next(rebuilt) for _ in shape) for shape in shapes]
