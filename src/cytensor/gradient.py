"""Reverse-mode differentiation on the graph.

``grad`` walks the nodes between ``wrt`` and ``cost`` from the cost back,
asking each op for the gradients of its inputs given the gradients of its
outputs (``op.grad``; elementwise ops read their rule from the table).
Gradients reaching a variable along several paths are added.  The result
is itself a graph, so it can be differentiated again.
"""
import warnings

import numpy as np

from .config import config
from .graph import Apply, Constant, LaterStages, Op, Variable, ancestors, graph_inputs, toposort
from .tensor.basic import ones_like, stack, zeros_like
from .tensor.math import clip
from .tensor.sharedvar import SharedVariable
from .tensor.type import TensorType, as_tensor_variable


class DisconnectedInputError(ValueError):
    """grad() was asked for a variable the cost does not depend on.

    Examples
    --------
    >>> x, y = T.dscalars('x', 'y')
    >>> theano.grad(x ** 2, y)
    Traceback (most recent call last):
    ...
    cytensor.gradient.DisconnectedInputError: grad: the cost does not depend on y ...
    >>> theano.grad(x ** 2, y, disconnected_inputs='ignore').eval()
    array(0.)
    """


def _zeros_like(v):
    """A zero gradient for ``v``: of its dtype if float, else of floatX."""
    return zeros_like(v, dtype=v.dtype if v.dtype.startswith("float") else config.floatX)


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise",
         add_names=True, known_grads=None, return_disconnected="zero",
         null_gradients="raise"):
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt``.

    Builds the graph of the derivative by reverse-mode differentiation: each
    op's ``grad`` turns the gradient of its outputs into that of its inputs.

    Parameters
    ----------
    cost : scalar TensorVariable or None
        A floating-point scalar (take ``sum()`` or ``mean()`` of a tensor).
        None if ``known_grads`` gives the gradients to start from.
    wrt : Variable or list of Variable
        The variables to differentiate with respect to.
    consider_constant : list of Variable, optional
        Variables treated as constants: no gradient flows through them.
    disconnected_inputs : {'raise', 'warn', 'ignore'}
        What to do when the cost does not depend on a ``wrt``.
    add_names : bool
        Name each gradient ``(dcost/dname)`` when its ``wrt`` has a name.
    known_grads : dict, optional
        ``{variable: gradient}`` to start from, instead of or besides the cost.
    return_disconnected : {'zero', 'None', 'disconnected'}
        What a disconnected ``wrt`` gets: zeros like it, or None.
    null_gradients : str
        Accepted for Theano's signature.

    Returns
    -------
    Variable or list of Variable
        One gradient per ``wrt``, each of its shape: a list if ``wrt`` is one.

    Raises
    ------
    TypeError
        If the cost is not a floating-point scalar, or a ``wrt`` is not symbolic.
    DisconnectedInputError
        If the cost does not depend on a ``wrt`` and disconnected_inputs='raise'.

    Examples
    --------
    >>> x = T.dscalar('x')
    >>> gx = theano.grad(x ** 3, x)
    >>> theano.function([x], gx)(2.0)
    array(12.)
    >>> w = T.dvector('w')
    >>> gw, gx = theano.grad((w * x).sum(), [w, x])
    >>> theano.function([w, x], [gw, gx])(numpy.array([1.0, 2.0]), 3.0)
    [array([3., 3.]), array(3.)]
    """
    if cost is not None:
        cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad: the cost must be a scalar, but {cost} has "
                            f"{cost.ndim} dimensions (type {cost.type}); take its "
                            "sum() or mean(), or use gradient.jacobian")
        if not cost.dtype.startswith("float"):
            raise TypeError(f"grad: the cost {cost} has integer type {cost.dtype}; "
                            "it has no gradient")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs must be raise/warn/ignore, "
                         f"not {disconnected_inputs!r}")
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    for w in wrt_list:
        if not isinstance(w, Variable):
            raise TypeError(f"grad: wrt must be symbolic variables, got {w!r}")

    grads = {}                           # variable -> list of gradient terms
    if cost is not None:
        grads[cost] = [ones_like(cost)]
    for var, g in (known_grads or {}).items():
        grads.setdefault(var, []).append(as_tensor_variable(g))
    starts = list(grads)
    constants = set(consider_constant or ())

    # Only nodes on a path from some wrt to some start matter.
    blockers = set(wrt_list) | constants
    nodes = toposort(starts, blockers=blockers)
    on_path = set(wrt_list)
    for node in nodes:
        if any(i in on_path for i in node.inputs):
            on_path.update(node.outputs)

    for node in reversed(nodes):
        if not any(o in grads for o in node.outputs):
            continue
        if not any(i in on_path for i in node.inputs):
            continue
        out_grads = [_total(grads.get(o)) for o in node.outputs]
        out_grads = [g if g is not None else _zeros_like(o)
                     for g, o in zip(out_grads, node.outputs)]
        in_grads = node.op.grad(node.inputs, out_grads)
        if len(in_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(in_grads)} gradients for "
                             f"{len(node.inputs)} inputs")
        for inp, g in zip(node.inputs, in_grads):
            if g is None or inp in constants or inp not in on_path:
                continue
            g = as_tensor_variable(g)
            if isinstance(inp.type, TensorType) and g.ndim != inp.ndim:
                raise ValueError(f"{node.op}.grad gave a {g.ndim}-d gradient for the "
                                 f"{inp.ndim}-d input {inp}")
            grads.setdefault(inp, []).append(g)

    connected = set(ancestors(starts, blockers=constants))
    results = []
    for w in wrt_list:
        g = _total(grads.get(w))
        if g is None:
            if w not in connected:
                msg = (f"grad: the cost does not depend on {w} (type {w.type}); "
                       "pass disconnected_inputs='ignore' to get zeros")
                if disconnected_inputs == "raise":
                    raise DisconnectedInputError(msg)
                if disconnected_inputs == "warn":
                    warnings.warn(msg, stacklevel=2)
                if return_disconnected in ("None", "disconnected"):
                    results.append(None)
                    continue
            g = _zeros_like(w)
        elif add_names and w.name and g.name is None:
            g.name = f"(d{cost if cost is not None else '?'}/d{w.name})"
        results.append(g)
    return results[0] if single else results


def _total(terms):
    """The sum of the gradient terms reaching one variable (None if none)."""
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Jacobian of ``expression`` with respect to ``wrt``: row i is the gradient of element i.

    With a static length the rows are unrolled into one graph; otherwise
    one gradient graph of a symbolic index ``i`` is evaluated for each i
    when the function runs (MapOverIndex), as Theano's scan did.

    Parameters
    ----------
    expression : TensorVariable
        A vector (a tensor of higher rank is flattened; a scalar gives its gradient).
    wrt : Variable or list of Variable
        The variables to differentiate with respect to.
    consider_constant : list of Variable, optional
        Variables treated as constants.
    disconnected_inputs : {'raise', 'warn', 'ignore'}
        As in :func:`grad`.

    Returns
    -------
    TensorVariable or list of TensorVariable
        Of shape ``(expression.size,) + wrt.shape``, one per ``wrt``.

    Raises
    ------
    DisconnectedInputError
        If the expression does not depend on a ``wrt``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> J = theano.gradient.jacobian(x ** 2, x)
    >>> theano.function([x], J)(numpy.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    expression = as_tensor_variable(expression)
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    if expression.ndim == 0:
        rows = grad(expression, wrt_list, consider_constant, disconnected_inputs)
        return rows[0] if single else rows
    if expression.ndim != 1:
        expression = expression.flatten()
    length = expression.type.shape[0]
    if length is None:
        index = TensorType("int64", shape=())("i")
        bodies = grad(expression[index], wrt_list, consider_constant, disconnected_inputs)
        out = [MapOverIndex(index, body)(expression.shape[0]) for body in bodies]
    else:
        per_wrt = zip(*[grad(expression[i], wrt_list, consider_constant, disconnected_inputs)
                        for i in range(length)])
        out = [stack(list(rows)) for rows in per_wrt]
    return out[0] if single else out


class MapOverIndex(Op):
    """Evaluate ``body`` (a graph of the scalar ``index``) for index = 0..n-1
    and stack the results.  The body's other free variables become inputs.

    :func:`jacobian` uses it for an expression of unknown length.

    Parameters
    ----------
    index : scalar TensorVariable
        An int64 scalar, the body's loop variable.
    body : TensorVariable
        A graph of ``index`` (and of other variables).

    Raises
    ------
    NotImplementedError
        When asked for its gradient (a jacobian of unknown length has none).

    Examples
    --------
    >>> from cytensor.gradient import MapOverIndex
    >>> i = T.lscalar('i')
    >>> x = T.dvector('x')
    >>> squares = MapOverIndex(i, x[i] ** 2)(x.shape[0])
    >>> squares.eval({x: numpy.array([1.0, 2.0, 3.0])})
    array([1., 4., 9.])
    """

    def __init__(self, index, body):
        self.index, self.body = index, body
        self.free = [v for v in graph_inputs([body]) if v is not index and
                     not isinstance(v, (Constant, SharedVariable))]
        self._functions = {}

    __eq__, __hash__ = object.__eq__, object.__hash__   # each map is its own computation

    def __getstate__(self):
        return {"index": self.index, "body": self.body}

    def __setstate__(self, state):
        self.__init__(state["index"], state["body"])

    def __str__(self):
        return "MapOverIndex"

    def make_node(self, n, *values):
        """Inputs: the count, then a value for each free variable of the body
        (the free variables themselves unless a copy of the graph replaced them)."""
        n = as_tensor_variable(n)
        values = [as_tensor_variable(v) for v in values] or self.free
        if [v.type for v in values] != [v.type for v in self.free]:
            raise TypeError(f"{self}: the body's free variables {self.free} cannot take "
                            f"{values}")
        out = TensorType(self.body.dtype, shape=(None,) + self.body.type.shape)()
        return Apply(self, [n] + values, [out])

    def _run(self, linker, n, values):
        if linker not in self._functions:
            self._functions[linker] = LaterStages.compile_inner_graph(
                [self.index] + self.free, self.body, linker=linker)
        fn = self._functions[linker]
        rows = [fn(i, *values) for i in range(int(n))]
        if rows:
            return np.stack(rows)
        return np.zeros((0,) + tuple(s or 0 for s in self.body.type.shape),
                        dtype=self.body.dtype)

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self._run("cy", inputs[0], inputs[1:])

    def reference(self, node, n, *values):
        return (self._run("py", n, values),)

    def grad(self, inputs, output_grads):
        raise NotImplementedError("MapOverIndex (a jacobian of unknown length) has no "
                                  "gradient; give the expression a static length")


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The matrix of second derivatives of a scalar cost with respect to a vector (or vectors).

    Parameters
    ----------
    cost : scalar TensorVariable
        A floating-point scalar.
    wrt : TensorVariable or list of TensorVariable
        Vectors.
    consider_constant : list of Variable, optional
        Variables treated as constants.
    disconnected_inputs : {'raise', 'warn', 'ignore'}
        As in :func:`grad`.

    Returns
    -------
    TensorVariable or list of TensorVariable
        A square matrix per ``wrt``.

    Raises
    ------
    TypeError
        If a ``wrt`` is not a vector.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> H = theano.gradient.hessian((x ** 3).sum(), x)
    >>> theano.function([x], H)(numpy.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    single = isinstance(wrt, Variable)
    wrt_list = [wrt] if single else list(wrt)
    out = []
    for w in wrt_list:
        if w.ndim != 1:
            raise TypeError(f"hessian: {w} must be a vector, it has {w.ndim} dimensions")
        g = grad(cost, w, consider_constant, disconnected_inputs)
        out.append(jacobian(g, w, consider_constant, disconnected_inputs="ignore"))
    return out[0] if single else out


# ---------------------------------------------------------------------------
# Ops that stop or mark gradients
# ---------------------------------------------------------------------------


class _GradientBarrier(Op):
    """Identity on values; ``kind`` says what happens to the gradient."""

    __props__ = ("kind",)
    view_map = {0: [0]}

    def __init__(self, kind):
        self.kind = kind

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0].view()

    def reference(self, node, x):
        return (x,)

    def grad(self, inputs, output_grads):
        if self.kind == "zero":
            return [_zeros_like(inputs[0])]
        return [None]

    def infer_shape(self, node, input_shapes):
        return input_shapes


def zero_grad(x):
    """``x``, whose gradient is zero (the path still counts as connected).

    Parameters
    ----------
    x : TensorVariable or array_like
        The value to pass through unchanged.

    Returns
    -------
    TensorVariable
        Equal to ``x``; the gradient reaching it goes no further.

    Examples
    --------
    >>> x = T.dscalar('x')
    >>> cost = x * theano.gradient.zero_grad(x)
    >>> theano.function([x], [cost, theano.grad(cost, x)])(3.0)
    [array(9.), array(3.)]
    """
    return _GradientBarrier("zero")(x)


def disconnected_grad(x):
    """``x``, through which no gradient flows (a stop-gradient).

    Parameters
    ----------
    x : TensorVariable or array_like
        The value to pass through unchanged.

    Returns
    -------
    TensorVariable
        Equal to ``x``; the cost does not depend on what lies behind it, as
        far as :func:`grad` is concerned.

    Examples
    --------
    >>> x = T.dscalar('x')
    >>> cost = x * theano.gradient.disconnected_grad(x)
    >>> theano.function([x], theano.grad(cost, x))(3.0)
    array(3.)
    """
    return _GradientBarrier("disconnected")(x)


class GradClip(_GradientBarrier):
    """Identity on values; the gradient passing back is clipped to [lower, upper].

    The op of :func:`grad_clip`.

    Parameters
    ----------
    lower, upper : float
        The bounds of the gradient.

    Examples
    --------
    >>> x = T.dscalar('x')
    >>> y = theano.gradient.GradClip(-1.0, 1.0)(x)
    >>> theano.grad(5 * y, x).eval()
    array(1.)
    """

    __props__ = ("lower", "upper")

    def __init__(self, lower, upper):
        if not lower <= upper:
            raise ValueError(f"grad_clip: the lower bound {lower} is above the upper bound "
                             f"{upper}")
        self.lower, self.upper = lower, upper

    def grad(self, inputs, output_grads):
        return [clip(output_grads[0], self.lower, self.upper)]

    def R_op(self, inputs, eval_points):
        return list(eval_points)       # the forward function is the identity


class GradScale(_GradientBarrier):
    """Identity on values; the gradient passing back is multiplied by ``multiplier``.

    The op of :func:`grad_scale`.

    Parameters
    ----------
    multiplier : float or scalar TensorVariable
        The factor applied to the gradient.

    Examples
    --------
    >>> x = T.dscalar('x')
    >>> y = theano.gradient.GradScale(2.0)(x)
    >>> theano.grad(y, x).eval()
    array(2.)
    """

    __props__ = ("multiplier",)

    def __init__(self, multiplier):
        self.multiplier = multiplier

    def grad(self, inputs, output_grads):
        return [output_grads[0] * self.multiplier]

    def R_op(self, inputs, eval_points):
        return list(eval_points)


def grad_clip(x, lower_bound, upper_bound):
    """``x``, whose gradient is clipped elementwise to [lower_bound, upper_bound].

    To tame exploding gradients, e.g. through a recurrent network.

    Parameters
    ----------
    x : TensorVariable or array_like
        The value to pass through unchanged.
    lower_bound, upper_bound : float
        The bounds of the gradient passing back through ``x``.

    Returns
    -------
    TensorVariable
        Equal to ``x``.

    Raises
    ------
    ValueError
        If ``lower_bound`` is above ``upper_bound``.

    Examples
    --------
    >>> x = T.dvector('x')
    >>> cost = (10 * theano.gradient.grad_clip(x, -1.0, 1.0)).sum()
    >>> theano.function([x], theano.grad(cost, x))(numpy.array([1.0, 2.0]))
    array([1., 1.])
    """
    return GradClip(lower_bound, upper_bound)(x)


def grad_scale(x, multiplier):
    """``x``, whose gradient is multiplied by ``multiplier``.

    A negative multiplier reverses the gradient, as gradient-reversal layers do.

    Parameters
    ----------
    x : TensorVariable or array_like
        The value to pass through unchanged.
    multiplier : float or scalar TensorVariable
        The factor applied to the gradient passing back through ``x``.

    Returns
    -------
    TensorVariable
        Equal to ``x``.

    Examples
    --------
    >>> x = T.dscalar('x')
    >>> cost = theano.gradient.grad_scale(x, -0.5) ** 2
    >>> theano.function([x], theano.grad(cost, x))(3.0)
    array(-3.)
    """
    return GradScale(multiplier)(x)


class GradientError(AssertionError):
    """The symbolic gradient and the finite-difference estimate disagree.

    Raised by :func:`verify_grad`.

    Examples
    --------
    >>> issubclass(theano.gradient.GradientError, AssertionError)
    True
    """

