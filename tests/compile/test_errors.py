"""Error reports: run-time errors carry their node's context and the user's
line; graph-building errors say what is wrong and how to fix it."""
import numpy as np
import pytest

import cytensor as theano
import cytensor.tensor as T
from cytensor.config import change_flags


def _numpy_message(*arrays):
    try:
        np.add(*arrays)
    except ValueError as e:
        return str(e).strip()


def test_elementwise_shape_mismatch_reads_like_numpy_plus_context():
    v, w = T.vector("v"), T.vector("w")
    total = v + w                               # the node that will fail
    f = theano.function([v, w], total * 2, mode=theano.Mode(optimizer=None))
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    message = str(info.value)
    assert message.startswith(_numpy_message(np.ones(3), np.ones(4)))
    assert "Apply node that caused the error: Elemwise{add,no_inplace}(v, w)" in message
    assert "0: v  TensorType(float64, vector)  shape (3,), dtype float64, strides (8,)" in message
    assert "1: w  TensorType(float64, vector)  shape (4,), dtype float64, strides (8,)" in message
    assert "0: Elemwise{add,no_inplace}.0  TensorType(float64, vector)" in message          # the outputs
    assert "total = v + w                               # the node that will fail" in message


def test_fused_node_errors_point_at_the_users_line():
    v, w = T.vector("v"), T.vector("w")
    total = T.exp(v) + w
    f = theano.function([v, w], total)
    with pytest.raises(ValueError, match=r"total = T.exp\(v\) \+ w"):
        f(np.ones(3), np.ones(4))


def test_exception_verbosity_and_traceback_limit():
    v, w = T.vector("v"), T.vector("w")
    f = theano.function([v, w], v + w)
    with change_flags(exception_verbosity="high"):
        with pytest.raises(ValueError) as info:
            f(np.ones(2), np.ones(3))
    message = str(info.value)
    assert "The node and its inputs:" in message and "[id A] <TensorType(float64, vector)>" in message
    assert "HINT" not in message
    with change_flags(traceback__limit=0):
        untraced = v + w
    assert untraced.owner.tag.trace == []
    g = theano.function([v, w], untraced, mode=theano.Mode(optimizer=None))
    with pytest.raises(ValueError, match="creation site not recorded"):
        g(np.ones(2), np.ones(3))


def test_matrix_plus_incompatible_tensor3_is_one_sentence_with_a_fix():
    m = T.matrix("m", shape=(3, 4))
    t = T.tensor3("t", shape=(2, 3, 5))
    with pytest.raises(ValueError) as info:
        m + t
    message = str(info.value)
    assert message.startswith("Elemwise{add,no_inplace}: cannot broadcast m (static shape (3, 4)) "
                              "and t (static shape (2, 3, 5)): ")
    assert "their lengths 4 and 5 differ along axis 2" in message
    assert "dimshuffle" in message and message.count(". ") <= 2


def test_grad_of_a_non_scalar():
    x = T.matrix("x")
    with pytest.raises(TypeError, match=r"the cost must be a scalar.*take its sum\(\) or "
                                        r"mean\(\), or use gradient.jacobian"):
        theano.grad(x * 2, x)


def test_update_of_another_type():
    x = T.matrix("x")
    W = theano.shared(np.zeros(3), "W")
    with pytest.raises(TypeError, match=r"has 2 dimensions instead of 1"):
        theano.function([x], updates=[(W, x)])
    f32 = theano.shared(np.zeros(3, dtype="float32"), "f32")
    v = T.dvector("v")
    with pytest.raises(TypeError, match=r"of dtype float64 instead of float32; cast it "
                                        r"with T.cast\(expr, 'float32'\)"):
        theano.function([v], updates=[(f32, f32 - v)])


def test_a_variable_is_true_but_a_symbolic_condition_cannot_be_tested():
    W = theano.shared(np.zeros(3), "W")
    x = T.vector("x")
    assert W and x and not (not W)        # Theano code asks `if not W:` for "not given"
    with pytest.raises(TypeError, match=r"truth value of symbolic .* use T.switch"):
        if x > 0:
            pass
    a, b, c = T.scalars("a", "b", "c")
    with pytest.raises(TypeError, match=r"truth value of symbolic"):
        a < b < c


def test_a_compile_in_another_thread_does_not_name_this_threads_nodes():
    # The creation site a rewrite lends to the nodes it makes is the
    # compiling thread's own: nodes built meanwhile in another thread name
    # their own line.
    import threading
    from cytensor.graph import creation_site
    seen = []
    with creation_site.inherited(["a rewrite's trace"]):
        worker = threading.Thread(target=lambda: seen.append(creation_site.trace))
        worker.start()
        worker.join()
        assert creation_site.trace == ["a rewrite's trace"]
    assert seen == [None]
