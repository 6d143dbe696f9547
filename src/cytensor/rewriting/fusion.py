"""Elementwise fusion: a connected group of Elemwise nodes becomes one node.

The fused node runs one register program (see tensor/elemwise.py): the
kernel reads each input once and writes each output once, keeping every
intermediate in a cache-sized block buffer.  A group grows from a node
towards its inputs, taking in an input's producer when that producer is an
Elemwise of the same output shape whose results are used only inside the
group (otherwise its result is needed elsewhere anyway, and recomputing it
would cost more than reading it).
"""
from ..tensor.elemwise import (Elemwise, Program, compute_dtype, exact_in_float,
                               register_dtypes, widest_register)
from ..tensor.math import FusedReduce, Reduce
from ..graph import creation_site
from .engine import register

MAX_INPUTS = 24          # registers are kernel block buffers: keep them few


def _fusable(node):
    return node is not None and isinstance(node.op, Elemwise)


@register("fusion", whole_graph=True)
def fuse_elemwise(fgraph):
    """Replace each maximal group of Elemwise nodes by one fused Elemwise.

    One topological sort serves the whole pass: roots are taken from the
    outputs back, and a fused node never joins a later group (it computes
    what a node after the later root computed), so the positions of the
    original nodes order every group.
    """
    order = fgraph.toposort()
    position = {node: k for k, node in enumerate(order)}
    changed = False
    for node in reversed(order):
        if not _fusable(node) or node not in fgraph.nodes:
            continue
        group = _grow_group(fgraph, node)
        if len(group.members) < 2:
            continue
        _replace_group(fgraph, group.members, node, position)
        changed = True
    return changed


def _grow_group(fgraph, root):
    """The group fused with ``root``: Elemwise producers of the same output
    shape used only by the group, taken while the kernel can compute the
    merged program.  Each candidate costs its own size, not the group's."""
    group = _Group(fgraph, root)
    frontier = [root]
    shape = root.outputs[0].type.broadcastable
    while frontier:
        node = frontier.pop()
        for inp in node.inputs:
            producer = inp.owner
            if not _fusable(producer) or producer in group.members or \
                    producer.outputs[0].type.broadcastable != shape:
                continue
            readers = [c for o in producer.outputs for c, _ in fgraph.clients.get(o, [])]
            if any(r == "output" or r not in group.members for r in readers):
                continue
            if group.add(producer):
                frontier.append(producer)
    return group


class _Group:
    """A growing fusion group, with what decides whether one more node fits,
    kept up to date as nodes join: the variables read from outside, the
    graph dtype of every register, and each instruction as the exactness
    check of compute_dtype sees it.  ``register`` is the dtype the group's
    program computes in, or None while no dtype computes it exactly (a root
    alone may be such a node: NumPy runs it unless producers widen it)."""

    def __init__(self, fgraph, root):
        self.fgraph = fgraph
        self.members = {root: None}        # insertion-ordered: root first
        self.inputs = set(root.inputs)
        self.steps = list(self._steps(root, is_root=True))
        self.dtypes = {i.dtype for i in root.inputs} | {step[2] for step in self.steps}
        self.register = None
        self.register = self._register(self.dtypes, self.steps, [])

    def add(self, node):
        """Take ``node`` in if the group stays within MAX_INPUTS inputs and a
        register dtype computes it exactly; returns whether it did."""
        inputs = (self.inputs | set(node.inputs)) - set(node.outputs)
        if len(inputs) > MAX_INPUTS:
            return False
        steps = list(self._steps(node, is_root=False))
        dtypes = self.dtypes | {i.dtype for i in node.inputs} | {step[2] for step in steps}
        register = self._register(dtypes, self.steps, steps)
        if register is None:
            return False
        self.members[node] = None
        self.inputs, self.dtypes, self.register = inputs, dtypes, register
        self.steps += steps
        return True

    def _register(self, dtypes, old_steps, new_steps):
        """The register dtype for a program with these dtypes and steps, or
        None; old steps are checked again only when the register changes."""
        register = widest_register(dtypes)
        if register is None or register[0] != "f":
            return register
        checked = new_steps if register == self.register else old_steps + new_steps
        exact = all(exact_in_float(*step, register, read_later) for *step, read_later in checked)
        return register if exact else None

    def _steps(self, node, is_root):
        """(row, source dtypes, dtype, read later) of each instruction of
        ``node``; an output of a member other than the root is read later
        when anything reads it (only the group can)."""
        program = node.op.program
        regs = register_dtypes(program, [i.dtype for i in node.inputs])
        read_inside = program.readers()
        read_by_group = set() if is_root else \
            {reg for reg, out in zip(program.outputs, node.outputs) if self.fgraph.clients.get(out)}
        n_in = program.n_inputs
        for k, (name, srcs, _) in enumerate(program.instructions):
            yield (name, [regs[s] for s in srcs], regs[n_in + k],
                   n_in + k in read_inside or n_in + k in read_by_group)


def _group_program(group, root, position):
    """(program, inputs): the group's nodes as one program computing root's
    outputs; position: each node's place in a topological order."""
    order = sorted(group, key=position.__getitem__)
    produced = {o for n in order for o in n.outputs}
    inputs = []
    for n in order:
        for i in n.inputs:
            if i not in produced and i not in inputs:
                inputs.append(i)
    register_of = {v: k for k, v in enumerate(inputs)}
    instructions = []
    for n in order:
        sub = n.op.program
        local = [register_of[i] for i in n.inputs]
        dtypes = register_dtypes(sub, [i.dtype for i in n.inputs])
        for name, srcs, _ in sub.instructions:
            local.append(len(inputs) + len(instructions))
            instructions.append((name, tuple(local[s] for s in srcs),
                                 dtypes[len(local) - 1]))
        for out, reg in zip(n.outputs, sub.outputs):
            register_of[out] = local[reg]
    return Program(len(inputs), instructions, [register_of[o] for o in root.outputs]), inputs


def _replace_group(fgraph, group, root, position):
    """Build the group's program and swap the fused node in."""
    program, inputs = _group_program(group, root, position)
    with creation_site.inherited(getattr(root.tag, "trace", [])):
        fused = Elemwise(program).make_node(*inputs)
    for old, new in zip(root.outputs, fused.outputs):
        fgraph.replace(old, new, reason="fuse_elemwise")


@register("fusion", whole_graph=True)
def fuse_reduction(fgraph):
    """sum/prod/max/min of an Elemwise read by nothing else -> one FusedReduce.

    A sum or product with its own acc_dtype stays as it is: the fused kernel
    accumulates only in its default dtypes.
    """
    changed = False
    for node in fgraph.toposort():
        if not isinstance(node.op, Reduce) or not node.op.spec.fusable \
                or node.op.acc_dtype is not None:
            continue
        x = node.inputs[0]
        producer = x.owner
        if not _fusable(producer) or len(producer.outputs) != 1 or \
                producer.op.inplace is not None or x.ndim == 0:
            continue
        compute = compute_dtype(producer.op.program, [i.dtype for i in producer.inputs])
        if compute in (None, "uint64"):     # the fused kernel: no uint64 registers
            continue
        if [c for c, _ in fgraph.clients.get(x, [])] != [node]:
            continue
        fused = FusedReduce(producer.op.program, node.op.op, node.op.axis,
                            node.outputs[0].dtype).make_node(*producer.inputs)
        fgraph.replace(node.outputs[0], fused.outputs[0], reason="fuse_reduction")
        changed = True
    return changed
