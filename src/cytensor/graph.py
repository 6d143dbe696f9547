"""The graph: Variables, Apply nodes and Ops.

A graph is bipartite.  A ``Variable`` stands for a value; if it was computed,
``var.owner`` is the ``Apply`` node that computed it and ``var.index`` is its
position among that node's outputs.  An ``Apply`` node records one use of an
``Op`` on some input Variables.  An ``Op`` says what the computation is: how to
type its outputs (``make_node``), how to compute them (``perform`` with a
compiled kernel, ``reference`` with NumPy), how to differentiate them
(``grad``) and how to know their shapes without computing them
(``infer_shape``).  This is the contract Theano and PyTensor users know.
"""
import contextlib
import itertools
import linecache
import os
import sys
import threading

import numpy as np

from .config import config

_ids = itertools.count()


class LaterStages:
    """What the graph stage borrows from the stages above it, handed down.

    Imports point downwards, so graph.py cannot import the compiler or the
    debug tools; instead they fill these slots when they are imported
    (``cytensor`` imports them all):

    function
        set by cytensor/function.py: ``cytensor.function``, which
        ``Variable.eval`` compiles with.
    compile_inner_graph(inputs, outputs, mode=None, linker='cy', borrow=False, name=None,
                        device=None)
        set by cytensor/function.py: how the ops with inner graphs (Scan's
        step, jacobian's MapOverIndex) compile them.
    compute_test_value(node)
        set by debug/testvalue.py: ``Op.__call__`` calls it on every node
        built while ``config.compute_test_value`` is on.
    get_backend(device)
        set by compile/devices.py: the backend object of a device name,
        with which shared variables hold their values on their device.
    array_backend(value)
        set by compile/devices.py: the backend whose array ``value`` is
        (None for NumPy arrays and anything else).
    """
    function = None
    compile_inner_graph = None
    compute_test_value = None
    get_backend = None
    array_backend = None


class MissingInputError(ValueError):
    """A graph needs a variable that was not given to it (to a function, or
    to scan with strict=True)."""


class Scratchpad:
    """A free-form namespace (``var.tag``, ``node.tag``) for annotations."""

    def __repr__(self):
        return f"Scratchpad({self.__dict__})"


class Type:
    """What values a Variable may hold.  Subclasses define ``filter``.

    Calling a type makes a new Variable of it (``TensorType`` is the type of
    tensors; a user's own Type, as in Theano's "extending" pages, works too).

    Examples
    --------
    >>> class Natural(theano.Type):
    ...     def filter(self, value, strict=False, allow_downcast=None):
    ...         if not (isinstance(value, int) and value >= 0):
    ...             raise TypeError(f"{value!r} is not a natural number")
    ...         return value
    >>> n = Natural()('n')
    >>> n.type.filter(3)
    3
    """

    def filter(self, value, strict=False, allow_downcast=None):
        """Return ``value`` converted to this type, or raise TypeError."""
        raise NotImplementedError

    def make_variable(self, name=None):
        return Variable(self, name=name)

    def __call__(self, name=None):
        return self.make_variable(name)


class Variable:
    """A symbolic value: the input or output of an Apply node.

    Parameters
    ----------
    type : Type
        What values it may hold.
    owner : Apply, optional
        The node computing it; None for a graph input.
    index : int, optional
        Its position among ``owner.outputs``.
    name : str, optional
        Its name in printed graphs.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> y = x + 1
    >>> x.owner is None, y.owner.inputs[0] is x, y.index
    (True, True, 0)
    """

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = Scratchpad()
        self.auto_name = f"{type.__class__.__name__[0].lower()}{next(_ids)}"

    def __str__(self):
        if config.print_test_value and hasattr(self.tag, "test_value"):
            return str(self.tag.test_value)     # Theano's print_test_value
        if self.name is not None:
            return self.name
        if self.owner is not None:
            return f"{self.owner.op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self):
        return str(self)

    def clone(self):
        """A new unowned Variable of the same type and name."""
        cp = self.__class__(self.type, None, None, self.name)
        cp.tag = _copy_tag(self.tag)
        return cp

    def eval(self, inputs_to_values=None):
        """Compile and run a function computing this variable (cached).

        Parameters
        ----------
        inputs_to_values : dict, optional
            ``{input variable: value}`` for the inputs it depends on.

        Returns
        -------
        numpy.ndarray
            Its value.

        Examples
        --------
        >>> x = T.dscalar('x')
        >>> (x ** 2).eval({x: 3.0})
        array(9.)
        """
        inputs_to_values = inputs_to_values or {}
        inputs = tuple(sorted(inputs_to_values, key=id))
        cache = self.__dict__.setdefault("_eval_cache", {})
        if inputs not in cache:
            cache[inputs] = LaterStages.function(list(inputs), self)
        return cache[inputs](*[inputs_to_values[v] for v in inputs])


class Constant(Variable):
    """A Variable with a fixed value, ``data``.

    Parameters
    ----------
    type : Type
        Its type; ``data`` is checked against it.
    data : object
        The value.
    name : str, optional
        Its name in printed graphs.

    Examples
    --------
    >>> c = theano.Constant(T.dscalar, 2.5)
    >>> c.data, c.owner
    (array(2.5), None)

    Tensor constants (:func:`cytensor.tensor.constant`) also have the
    operators of tensors.
    """

    def __init__(self, type, data, name=None):
        super().__init__(type, None, None, name)
        self.data = type.filter(data)

    def __str__(self):
        if self.name is not None:
            return self.name
        text = str(self.data).replace("\n", "")
        return text if len(text) < 20 else text[:17] + "..."

    def clone(self):
        return self.__class__(self.type, self.data, self.name)

    def signature(self):
        """What makes two constants interchangeable (used by merging): for an
        array its dtype, shape and bytes; for another value (of a user's own
        Type), the value itself when it can be hashed, else its identity."""
        data = self.data
        if isinstance(data, np.ndarray):
            return (self.type, data.dtype.str, data.shape, data.tobytes())
        try:
            return (self.type, type(data), hash(data), data)
        except TypeError:
            return (self.type, id(data))


def _copy_tag(tag):
    new = Scratchpad()
    new.__dict__.update(tag.__dict__)
    return new


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``.

    Made by ``op.make_node``; it sets each output's ``owner`` and ``index``.

    Parameters
    ----------
    op : Op
        The operation.
    inputs : list of Variable
        Its inputs.
    outputs : list of Variable
        Its outputs (unowned variables, which it takes as its own).
    tag : Scratchpad, optional
        Its tag; by default a new one holding the user's creation site
        (a copy of a graph passes the original's, skipping the stack walk).

    Examples
    --------
    >>> x = T.dvector('x')
    >>> node = T.exp(x).owner
    >>> node.inputs == [x], node.outputs[0].owner is node
    (True, True)
    """

    def __init__(self, op, inputs, outputs, tag=None):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        for i, out in enumerate(self.outputs):
            out.owner, out.index = self, i
        if tag is None:
            tag = Scratchpad()
            tag.trace = user_trace() if creation_site.trace is None else creation_site.trace
        self.tag = tag

    def clone_with_new_inputs(self, inputs):
        """Rebuild this node with other inputs (of compatible types)."""
        node = self.op.make_node(*inputs)
        node.tag = _copy_tag(self.tag)
        return node

    def __str__(self):
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    __repr__ = __str__


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class CreationSite(threading.local):
    """The creation site given to new nodes: with ``trace`` None, the
    user's frames (``user_trace``, a stack walk per node); a rewrite sets
    the trace of the node it rewrites, so that the nodes it makes name that
    node's user line, without a stack walk that would find only the
    compiler's frames and the user's ``function()`` call.  One per thread:
    a compile in one thread does not name the nodes another thread builds."""

    def __init__(self):
        self.trace = None

    @contextlib.contextmanager
    def inherited(self, trace):
        """Within the block, new nodes carry ``trace``."""
        outer, self.trace = self.trace, trace
        try:
            yield
        finally:
            self.trace = outer


creation_site = CreationSite()


def user_trace():
    """(file, line, function) of the frames outside cytensor that led here:
    where the user built a node.  Source text is read only when reported.
    An op's own ``make_node`` is skipped even when it is defined outside
    cytensor: the line that applied the op is the one to show."""
    limit = config.traceback__limit
    frames = []
    frame = sys._getframe(1)
    while frame is not None and (limit < 0 or len(frames) < limit):
        code = frame.f_code
        if not code.co_filename.startswith(_PACKAGE_DIR) and code.co_name != "make_node":
            frames.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    frames.reverse()
    return frames


def format_trace(node, all_frames=False):
    """'File "x.py", line 3, in f: code' for the user's line that made ``node``."""
    trace = getattr(node.tag, "trace", None)
    if not trace:
        return "(creation site not recorded; set config.traceback__limit > 0)"
    lines = []
    for filename, lineno, name in (trace if all_frames else trace[-1:]):
        code = linecache.getline(filename, lineno).strip()
        lines.append(f'File "{filename}", line {lineno}, in {name}: {code}')
    return "\n".join(lines)


def _fits(type_, expected):
    """Whether a variable of ``type_`` may stand where ``expected`` is
    declared: the same type, or the same dtype and dims with static lengths
    where ``expected`` leaves them open."""
    if type_ == expected:
        return True
    shape, wanted = getattr(type_, "shape", None), getattr(expected, "shape", None)
    return (shape is not None and wanted is not None and len(shape) == len(wanted)
            and type(type_) is type(expected) and type_.dtype == expected.dtype
            and all(w is None or w == s for s, w in zip(shape, wanted)))


class Op:
    """An operation.  ``__props__`` names the attributes that make two ops equal.

    A subclass defines ``make_node`` (the output types), ``perform`` (the
    computation), and where it can ``grad``, ``infer_shape`` and
    ``reference`` (its NumPy definition); see the guide "Extending
    cytensor".  Calling an op applies it to variables.

    Examples
    --------
    >>> class Double(theano.Op):
    ...     __props__ = ()
    ...     def make_node(self, x):
    ...         x = T.as_tensor_variable(x)
    ...         return theano.Apply(self, [x], [x.type()])
    ...     def perform(self, node, inputs, output_storage):
    ...         output_storage[0][0] = inputs[0] * 2
    ...     def grad(self, inputs, output_grads):
    ...         return [output_grads[0] * 2]
    >>> x = T.dvector('x')
    >>> theano.function([x], Double()(x))(numpy.array([1.0, 2.0]))
    array([2., 4.])
    >>> Double() == Double()
    True
    """

    __props__ = ()
    itypes = otypes = None     # Theano's shortcut: the input and output types

    def make_node(self, *inputs):
        """The node applying the op; an op that declares ``itypes`` and
        ``otypes`` need not write it: its inputs must be of those types
        (plain values become constants of them)."""
        if self.itypes is None or self.otypes is None:
            raise NotImplementedError(f"{type(self).__name__}: define make_node, or the "
                                      "itypes and otypes of its inputs and outputs")
        if len(inputs) != len(self.itypes):
            raise TypeError(f"{self} takes {len(self.itypes)} inputs, got {len(inputs)}")
        inputs = [x if isinstance(x, Variable) else Constant(t, t.filter(x))
                  for x, t in zip(inputs, self.itypes)]
        for position, (x, expected) in enumerate(zip(inputs, self.itypes)):
            if not _fits(x.type, expected):
                raise TypeError(f"{self}: input {position} ({x}) is of type {x.type}, "
                                f"but itypes declares {expected}")
        return Apply(self, inputs, [t() for t in self.otypes])

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":
            LaterStages.compute_test_value(node)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def perform(self, node, inputs, output_storage):
        """Compute the outputs with the compiled kernels.

        ``output_storage[i][0]`` holds the array this node produced last call
        (or None); an op may reuse it as its output buffer.
        """
        self.reference_perform(node, inputs, output_storage)

    def make_thunk(self, node, input_cells, output_cells):
        """A closure computing ``node`` from its storage cells (the linker's unit).

        Ops with a hot path override this to do their per-call work up front.
        """
        perform = self.perform

        def thunk():
            perform(node, [c[0] for c in input_cells], output_cells)
        return thunk

    def reference(self, node, *inputs):
        """The NumPy definition of the op: returns a tuple of outputs."""
        if hasattr(self, "c_code"):
            raise NotImplementedError(
                f"{self} defines c_code, but cytensor compiles no C code (Theano's C ops "
                "are out of scope): give the op a perform(node, inputs, output_storage) "
                "method computing its outputs with NumPy")
        raise NotImplementedError(f"{self} has no NumPy reference")

    def reference_perform(self, node, inputs, output_storage):
        for cell, value in zip(output_storage, self.reference(node, *inputs)):
            cell[0] = value

    def grad(self, inputs, output_grads):
        raise NotImplementedError(f"{self} has no gradient")

    def infer_shape(self, node, input_shapes):
        """Symbolic shapes of the outputs, from the inputs' symbolic shapes."""
        raise NotImplementedError

    # Equality from __props__, so that merging finds equal computations.
    def _props(self):
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        if not self.__props__:
            return self.__class__.__name__
        if config.print_style == "theano":      # Theano 1.0's rule: each property by name
            props = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.__props__)
            return f"{self.__class__.__name__}{{{props}}}"
        return f"{self.__class__.__name__}{{{', '.join(map(str, self._props()))}}}"

    __repr__ = __str__


# ---------------------------------------------------------------------------
# Walking graphs
# ---------------------------------------------------------------------------

def ancestors(outputs, blockers=()):
    """Every variable the outputs depend on, stopping at ``blockers``."""
    blockers = set(blockers)
    seen, stack, order = set(), list(outputs), []
    while stack:
        var = stack.pop()
        if var in seen:
            continue
        seen.add(var)
        order.append(var)
        if var.owner is not None and var not in blockers:
            stack.extend(var.owner.inputs)
    return order


def graph_inputs(outputs, blockers=()):
    """The variables without owner (or in ``blockers``) that ``outputs`` depend on."""
    return [v for v in ancestors(outputs, blockers) if v.owner is None or v in blockers]


def toposort(outputs, blockers=()):
    """Apply nodes between ``blockers`` and ``outputs``, each after its inputs' owners.

    A depth-first walk taking each node's inputs in order: a node comes
    right after the last of its inputs' owners not placed yet.  The stack
    holds each open node with where it is in its inputs, so every edge is
    looked at once.
    """
    blockers = set(blockers)
    order, done = [], set()
    for out in outputs:
        root = out.owner
        if root is None or out in blockers or root in done:
            continue
        stack = [(root, iter(root.inputs))]
        while stack:
            node, rest = stack[-1]
            for inp in rest:
                owner = inp.owner
                if owner is not None and owner not in done and inp not in blockers:
                    stack.append((owner, iter(owner.inputs)))
                    break
            else:                       # every input placed: the node is next
                stack.pop()
                done.add(node)
                order.append(node)
    return order


def clone_replace(outputs, replace=None, rebuild_all=False):
    """Copy the graph of ``outputs`` with ``replace`` ({var: new_var}) substituted.

    The user's graph is never modified: nodes on the way from a replaced
    variable to an output are rebuilt (every node, with ``rebuild_all``, so the
    copy can be rewritten in place).  Graph inputs, constants and shared
    variables are kept.  Returns (new_outputs, memo), memo mapping each
    original variable to its counterpart.
    """
    memo = dict(replace or {})
    for node in toposort(outputs, blockers=memo):
        new_inputs = [memo.get(i, i) for i in node.inputs]
        if rebuild_all and all(n.type == o.type for n, o in zip(new_inputs, node.inputs)):
            # the same input types: make_node would type the outputs the same
            new_node = Apply(node.op, new_inputs, [o.clone() for o in node.outputs],
                             tag=_copy_tag(node.tag))
        elif any(n is not o for n, o in zip(new_inputs, node.inputs)):
            new_node = node.clone_with_new_inputs(new_inputs)
        else:
            continue
        for old, new in zip(node.outputs, new_node.outputs):
            new.name = old.name
            new.tag = _copy_tag(old.tag)
            memo[old] = new
    return [memo.get(o, o) for o in outputs], memo


def clone(output, replace=None, strict=True, share_inputs=True):
    """Theano's ``theano.clone``: a copy of the graph of ``output`` with ``replace`` substituted.

    The original graph is not changed.

    Parameters
    ----------
    output : Variable or list of Variable
        The graph's outputs.
    replace : dict or list of pairs, optional
        ``{old: new}``.
    strict : bool
        A replacement must have the type of what it replaces.
    share_inputs : bool
        False also gives the copy fresh input variables (constants and
        shared variables stay shared).

    Returns
    -------
    Variable or list of Variable
        As ``output``.

    Raises
    ------
    TypeError
        If ``strict`` and a replacement has another type.

    Examples
    --------
    >>> x, y = T.dscalars('x', 'y')
    >>> z = theano.clone(x ** 2 + 1, replace={x: y})
    >>> z.eval({y: 3.0})
    array(10.)
    """

    single = isinstance(output, Variable)
    outputs = [output] if single else list(output)
    pairs = list(replace.items() if isinstance(replace, dict) else replace or ())
    for old, new in pairs:
        if strict and getattr(old, "type", None) != getattr(new, "type", None):
            raise TypeError(f"clone: the replacement {new} (type {new.type}) of {old} "
                            f"(type {old.type}) has another type; pass strict=False")
    memo = dict(pairs)
    if not share_inputs:
        for var in graph_inputs(outputs, blockers=memo):
            if var not in memo and not isinstance(var, Constant) \
                    and not hasattr(var, "get_value"):
                memo[var] = var.clone()
    copies, _ = clone_replace(outputs, memo, rebuild_all=not share_inputs)
    return copies[0] if single else copies
