"""The LSTM's backward step assembles the gate gradients in one array of
zeros, in place (``inc_subtensor_inplace``): every increment but the one
the step returns changes the array it is given.  The gradients are still
those of finite differences, and the same on a second call (the zeros
array is made again each step).  The join of the gate gradients
(``join_increments_tiling_zeros``) is left out here: it replaces the
array of zeros when the gates tile it, as the LSTM's do."""
import numpy as np

import cytensor as theano
from cytensor.debug.gradcheck import verify_grad
from cytensor.scan import Scan
from cytensor.tensor.subtensor import IncSubtensor

from test_scan_recurrent_speed import lstm_graph, lstm_inputs, lstm_point


def test_backward_step_adds_the_gates_in_place_and_keeps_its_gradients():
    inputs = lstm_inputs()
    loss = lstm_graph(*inputs)
    with theano.config.change_flags(optimizer_excluding=["join_increments_tiling_zeros"]):
        fn = theano.function(inputs, [loss] + theano.grad(loss, inputs))
        backward = [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)][-1]
        step = backward.op._function("cy")          # the step compiles here
    incs = [n.op for n in step.maker.fgraph.toposort() if isinstance(n.op, IncSubtensor)]
    assert len(incs) == 4 and sum(op.inplace for op in incs) == 3
    point = lstm_point(np.random.default_rng(3))
    first = fn(*point)
    again = fn(*point)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    verify_grad(lstm_graph, point, rng=np.random.default_rng(4))
