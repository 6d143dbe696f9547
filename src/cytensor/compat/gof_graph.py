"""Theano's ``theano.gof.graph``: walking and copying graphs, under Theano's
names and argument orders (inputs before outputs)."""
from ..graph import Apply, Constant, Variable                         # noqa: F401
from ..graph import ancestors as _ancestors, clone_replace, graph_inputs, toposort


def inputs(variables, blockers=None):
    """The graph inputs (variables without an owner) the variables depend on."""
    return graph_inputs(variables, blockers or ())


def ancestors(variables, blockers=None):
    """Every variable the variables depend on, themselves included."""
    return _ancestors(variables, blockers or ())


def io_toposort(inputs, outputs):
    """The Apply nodes between ``inputs`` and ``outputs``, each after the
    nodes computing its inputs."""
    return toposort(outputs, inputs)


def ops(inputs, outputs):
    """The Apply nodes between ``inputs`` and ``outputs``."""
    return io_toposort(inputs, outputs)


def variables(inputs, outputs):
    """Every variable on a path from ``inputs`` to ``outputs``, both ends included."""
    found = list(inputs)
    seen = set(found)
    for node in io_toposort(inputs, outputs):
        for var in list(node.inputs) + list(node.outputs):
            if var not in seen:
                seen.add(var)
                found.append(var)
    return found + [o for o in outputs if o not in seen]


def clone(inputs, outputs, copy_inputs=True):
    """(new inputs, new outputs): a copy of the graph from ``inputs`` to
    ``outputs``, with copies of the inputs unless ``copy_inputs`` is False."""
    new_inputs = [i.clone() for i in inputs] if copy_inputs else list(inputs)
    new_outputs, _ = clone_replace(outputs, dict(zip(inputs, new_inputs)), rebuild_all=True)
    return new_inputs, new_outputs
