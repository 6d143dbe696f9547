"""The R- and L-operators (Theano's ``T.Rop`` and ``T.Lop``).

Lop(f, wrt, v) is v^T J, the vector-Jacobian product that reverse mode
computes anyway: ``grad`` started from ``known_grads={f: v}``.

Rop(f, wrt, v) is J v, a Jacobian-vector product (forward mode).  It walks
the graph from ``wrt`` to ``f`` and, at each node, turns the tangents of its
inputs into tangents of its outputs.  An op may give that rule itself
(``R_op(inputs, eval_points)``, as in Theano); otherwise the node's own
gradient gives it, by the "double vjp" trick: the node's vjp
u -> (du_i) = op.grad(inputs, u) is linear in u, so for input tangents v_i,
sum_i <op.grad(inputs, u)_i, v_i> = <u, J v>, and its gradient with respect
to u is J v.  The result no longer depends on the value of u, which is then
replaced by zeros.  So every op with a gradient has an R-operator.
"""
import warnings

from .config import config
from .gradient import DisconnectedInputError, grad
from .graph import Variable, clone_replace, toposort
from .tensor.basic import zeros_like
from .tensor.math import cast
from .tensor.type import as_tensor_variable


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):
    """sum_i eval_points[i] . d f[i] / d wrt: the L-operator (vector times Jacobian).

    f and eval_points: a variable or lists of the same length, each point of
    its f's shape.  Returns one result per wrt: a list or tuple when wrt is
    one, else a single variable.

    Parameters
    ----------
    f : TensorVariable or list of TensorVariable
        The expressions.
    wrt : Variable or list of Variable
        The variables to differentiate with respect to.
    eval_points : TensorVariable or list of TensorVariable
        One per f, of its shape: the vector to multiply by.
    consider_constant : list of Variable, optional
        Variables treated as constants.
    disconnected_inputs : {'raise', 'warn', 'ignore'}
        As in :func:`grad`.

    Returns
    -------
    Variable or list of Variable
        One per ``wrt``, of its shape.

    Raises
    ------
    ValueError
        If f and eval_points differ in number.

    Examples
    --------
    >>> x, v = T.dvectors('x', 'v')
    >>> W = T.dmatrix('W')
    >>> vJ = T.Lop(T.dot(x, W), W, v)
    >>> theano.function([x, v], vJ)(numpy.array([1.0, 2.0]), numpy.array([1.0, 0.0]))
    array([[1., 0.],
           [2., 0.]])
    """
    fs = [as_tensor_variable(out) for out in _listed(f)]
    known = dict(_paired("Lop", "f", "expression", fs, eval_points))
    results = grad(None, _listed(wrt), consider_constant=consider_constant,
                   disconnected_inputs=disconnected_inputs, known_grads=known)
    return _shaped_like(wrt, results)


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):
    """sum_j d f / d wrt[j] . eval_points[j]: the R-operator (Jacobian times vector).

    wrt and eval_points: a variable or lists of the same length, each point
    of its wrt's shape.  Returns one result per f: a list or tuple when f is
    one, else a single variable.  disconnected_outputs ('raise', 'warn',
    'ignore'): what to do for an f that no wrt reaches; return_disconnected
    ('zero' or 'None'): what such an f gets.

    Parameters
    ----------
    f : TensorVariable or list of TensorVariable
        The expressions.
    wrt : Variable or list of Variable
        The variables to differentiate with respect to.
    eval_points : TensorVariable or list of TensorVariable
        One per wrt, of its shape: the vector to multiply by.
    disconnected_outputs : {'raise', 'warn', 'ignore'}
        What to do for an f that no wrt reaches.
    return_disconnected : {'zero', 'None'}
        What such an f gets.

    Returns
    -------
    Variable or list of Variable
        One per ``f``, of its shape.

    Raises
    ------
    ValueError
        For a bad option, or wrt and eval_points that differ in number.

    Examples
    --------
    >>> x, u = T.dvectors('x', 'u')
    >>> Ju = T.Rop(x ** 2, x, u)
    >>> theano.function([x, u], Ju)(numpy.array([1.0, 3.0]), numpy.array([1.0, 1.0]))
    array([2., 6.])
    """
    if disconnected_outputs not in ("raise", "warn", "ignore"):
        raise ValueError("Rop: disconnected_outputs must be 'raise', 'warn' or 'ignore', "
                         f"not {disconnected_outputs!r}")
    if str(return_disconnected).lower() not in ("zero", "none"):
        raise ValueError("Rop: return_disconnected must be 'zero' or 'None', not "
                         f"{return_disconnected!r}")
    fs = [as_tensor_variable(out) for out in _listed(f)]
    wrts = _listed(wrt)
    for w in wrts:
        if not isinstance(w, Variable):
            raise TypeError(f"Rop: wrt must be symbolic variables, got {w!r}")
    tangents = {w: point if point.dtype == w.dtype else cast(point, w.dtype)
                for w, point in _paired("Rop", "wrt", "variable", wrts, eval_points)}

    for node in toposort(fs, blockers=wrts):
        inputs_tangents = [tangents.get(i) if _is_float(i) else None for i in node.inputs]
        if all(t is None for t in inputs_tangents):
            continue
        for out, tangent in zip(node.outputs, _node_rop(node, inputs_tangents)):
            if tangent is not None and _is_float(out):
                tangents[out] = tangent

    results = []
    for out in fs:
        if out in tangents:
            results.append(tangents[out])
            continue
        message = (f"Rop: {out} does not depend on any of wrt ({', '.join(map(str, wrts))}), "
                   "or only through ops without a gradient")
        if disconnected_outputs == "raise":
            raise DisconnectedInputError(message)
        if disconnected_outputs == "warn":
            warnings.warn(message, stacklevel=2)
        results.append(zeros_like(out) if str(return_disconnected).lower() == "zero" else None)
    return _shaped_like(f, results)


def _node_rop(node, inputs_tangents):
    """The tangents of node's outputs (None where none), given its inputs'."""
    own_rule = getattr(node.op, "R_op", None)
    if own_rule is not None:
        points = [t if t is not None else (zeros_like(i) if _is_float(i) else None)
                  for i, t in zip(node.inputs, inputs_tangents)]
        return list(own_rule(node.inputs, points))
    # The double-vjp trick: differentiate <vjp(u), tangents> with respect to u.
    probes = [out.type() if _is_float(out) else zeros_like(out, config.floatX)
              for out in node.outputs]
    try:
        vjps = node.op.grad(node.inputs, probes)
    except NotImplementedError as err:
        raise NotImplementedError(f"Rop: {node.op} has neither R_op nor a gradient, so its "
                                  f"R-operator is unknown ({err})") from err
    product = None
    for vjp, tangent in zip(vjps, inputs_tangents):
        if vjp is None or tangent is None:
            continue
        term = (as_tensor_variable(vjp) * tangent).sum()
        product = term if product is None else product + term
    wanted = [p for p, out in zip(probes, node.outputs) if _is_float(out)]
    if product is None or not wanted:
        return [None] * len(node.outputs)
    by_probe = dict(zip(wanted, grad(product, wanted, disconnected_inputs="ignore",
                                     return_disconnected="None")))
    tangents = [by_probe.get(p) for p in probes]
    # Linear in the probes: any value gives the same tangents; zeros need no input.
    zeros = {p: zeros_like(out) for p, out in zip(wanted, node.outputs) if _is_float(out)}
    present = [t for t in tangents if t is not None]
    replaced = iter(clone_replace(present, zeros)[0])
    return [next(replaced) if t is not None else None for t in tangents]


def _is_float(var):
    return getattr(var, "dtype", "").startswith("float")


def _listed(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _shaped_like(template, results):
    """results as a list, a tuple or one variable, as ``template`` is."""
    if isinstance(template, list):
        return list(results)
    if isinstance(template, tuple):
        return tuple(results)
    return results[0]


def _paired(where, what, noun, variables, eval_points):
    """(variable, eval point) pairs: one point per variable, each of its variable's ndim."""
    points = [as_tensor_variable(p) for p in _listed(eval_points)]
    if len(variables) != len(points):
        raise ValueError(f"{where}: {len(variables)} {noun}s in {what} but {len(points)} "
                         f"eval_points; give one eval point per {noun}")
    for k, (var, point) in enumerate(zip(variables, points)):
        if getattr(var, "ndim", None) != point.ndim:
            raise ValueError(f"{where}: element {k} of {what} ({var}) has {var.ndim} "
                             f"dimensions but its eval point {point} has {point.ndim}; an "
                             "eval point has the shape of its variable")
    return list(zip(variables, points))
