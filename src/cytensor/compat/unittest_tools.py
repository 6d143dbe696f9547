"""Theano's ``theano.tests.unittest_tools``: what test suites written for
Theano import from it (``utt.verify_grad``, ``utt.seed_rng``...)."""
import numpy as np

from ..config import config
from ..function import function
from ..debug.gradcheck import verify_grad as _verify_grad


def fetch_seed(pseed=None):
    """The seed of a test: ``pseed``, else config.unittests.rseed ('random': None)."""
    seed = pseed if pseed is not None else config.unittests__rseed
    if seed == "random":
        return None
    try:
        return int(seed)
    except ValueError:
        raise ValueError(f"unittests.rseed must be an integer or 'random', not {seed!r}") \
            from None


def seed_rng(pseed=None):
    """Seed NumPy's global generator with fetch_seed(pseed); returns the seed."""
    seed = fetch_seed(pseed)
    np.random.seed(seed)
    return seed


def verify_grad(op, pt, n_tests=2, rng=None, *args, **kwargs):
    """Theano's test helper: verify_grad with a generator seeded by fetch_seed()."""
    if rng is None:
        seed_rng()
        rng = np.random.RandomState(fetch_seed())
    return _verify_grad(op, pt, n_tests, rng, *args, **kwargs)


def assert_allclose(expected, value, rtol=None, atol=None):
    """np.testing.assert_allclose with tolerances for the arrays' precision."""
    low = np.asarray(value).dtype == np.float32 or np.asarray(expected).dtype == np.float32
    rtol = rtol if rtol is not None else (1e-4 if low else 1e-7)
    atol = atol if atol is not None else (1e-5 if low else 1e-8)
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol)


class InferShapeTester:
    """Checks an op's infer_shape: the shapes it predicts equal the shapes of
    what it computes, and computing them does not run the op."""

    def setup_method(self):
        seed_rng()

    def _compile_and_check(self, inputs, outputs, numeric_inputs, cls, excluding=None,
                           warn=True, check_topo=True):
        values = function(inputs, outputs)(*numeric_inputs)
        values = values if isinstance(values, list) else [values]
        shapes_fn = function(inputs, [o.shape for o in outputs], on_unused_input="ignore")
        shapes = shapes_fn(*numeric_inputs)
        shapes = shapes if isinstance(shapes, list) else [shapes]
        for out, value, shape in zip(outputs, values, shapes):
            assert tuple(shape) == np.shape(value), \
                f"infer_shape of {out}: predicted {tuple(shape)}, computed {np.shape(value)}"
        if check_topo:
            ran = [n.op for n in shapes_fn.maker.fgraph.toposort() if isinstance(n.op, cls)]
            assert not ran, f"computing the shapes still runs {ran[0]}: infer_shape was not used"
