"""Random numbers in graphs: ``RandomStream(seed).uniform(...)``.

A random variable's generator state lives in a shared variable (a short
uint64 array holding NumPy's PCG64 state).  The op drawing the numbers
takes the state as an input and returns the next state with the sample;
the stream sets the state's ``default_update`` to that next state, so
every function using the variable advances the state on every call (a
dropout mask changes call after call) unless it is compiled with
``no_default_updates=True``.  Seeding the stream again restarts every
state, so runs are reproducible.  As in Theano, ``rv.rng`` is the state's
shared variable.

The draws themselves are NumPy's Generator methods (compiled C).
"""
import numpy as np

from ..config import config
from ..graph import Apply, Op
from .sharedvar import TensorSharedVariable
from .basic import as_shape_vector
from .type import TensorType, as_tensor_variable

_MASK64 = (1 << 64) - 1
_BITGEN = np.random.PCG64(0)          # reused: its state is set before every draw
_GENERATOR = np.random.Generator(_BITGEN)


def state_from_seed(seed_sequence):
    """The state array of a PCG64 generator seeded by ``seed_sequence``."""
    return _state_array(np.random.PCG64(seed_sequence).state)


def _state_array(state):
    s, inc = state["state"]["state"], state["state"]["inc"]
    return np.array([s >> 64, s & _MASK64, inc >> 64, inc & _MASK64,
                     state["has_uint32"], state["uinteger"]], dtype=np.uint64)


def _generator(array):
    """The shared Generator, set to the state held in ``array``."""
    a = [int(v) for v in array]
    _BITGEN.state = {"bit_generator": "PCG64",
                     "state": {"state": (a[0] << 64) | a[1], "inc": (a[2] << 64) | a[3]},
                     "has_uint32": a[4], "uinteger": a[5]}
    return _GENERATOR


class GeneratorState(np.ndarray):
    """A state array as ``rv.rng.get_value()`` gives it, with the methods of
    Theano's NumPy RandomState that the tutorials call on it: ``seed`` to
    reseed, ``get_state``/``set_state`` to save and restore.  With
    ``get_value(borrow=True)`` they change the shared state itself."""

    def seed(self, seed=None):
        self[:] = state_from_seed(seed)

    def get_state(self):
        return np.array(self)

    def set_state(self, state):
        self[:] = state


class GeneratorStateSharedVariable(TensorSharedVariable):
    """The shared variable holding a random variable's state (``rv.rng``)."""

    def get_value(self, borrow=False, return_internal_type=False):
        return super().get_value(borrow, return_internal_type).view(GeneratorState)


DISTRIBUTIONS = {
    "uniform": lambda rng, size, low, high: rng.uniform(low, high, size),
    "normal": lambda rng, size, loc, scale: rng.normal(loc, scale, size),
    "binomial": lambda rng, size, n, p: rng.binomial(n, p, size),
    "integers": lambda rng, size, low, high: rng.integers(low, high, size=size),
    "choice": lambda rng, size, a, replace, *p: rng.choice(_int_or_array(a), size,
                                                           bool(replace), p[0] if p else None),
    "permutation": lambda rng, size, x: rng.permutation(_int_or_array(x)),
    # Theano's permutation(size, n): one shuffled range(n) for each index of size
    "permutations": lambda rng, size, n: rng.permuted(
        np.tile(np.arange(int(n)), (size or ()) + (1,)), axis=-1),
}


def _int_or_array(a):
    """NumPy reads a 0-d array as a sequence here; a number means range(a)."""
    return int(a) if a.ndim == 0 else a


class RandomVariable(Op):
    """(state, size, *params) -> (next state, sample) for one distribution.

    size: an int64 vector (empty: the shape the parameters broadcast to).
    """

    __props__ = ("dist", "dtype", "ndim")

    def __init__(self, dist, dtype, ndim):
        self.dist, self.dtype, self.ndim = dist, dtype, ndim

    def __str__(self):
        return f"RandomVariable{{{self.dist},{self.dtype}}}"

    def make_node(self, state, size, *params):
        state, size = as_tensor_variable(state), as_tensor_variable(size)
        params = [as_tensor_variable(p) for p in params]
        value = TensorType(self.dtype, shape=(None,) * self.ndim)()
        return Apply(self, [state, size] + params, [state.type(), value])

    def perform(self, node, inputs, output_storage):
        state, size, params = inputs[0], inputs[1], inputs[2:]
        rng = _generator(state)
        size = tuple(int(s) for s in size) or None
        try:
            value = DISTRIBUTIONS[self.dist](rng, size, *params)
        except ValueError as e:
            raise ValueError(f"random {self.dist} with size {size}: {e}") from None
        output_storage[0][0] = _state_array(_BITGEN.state)
        output_storage[1][0] = np.asarray(value, dtype=self.dtype)

    def reference(self, node, *inputs):
        storage = [[None], [None]]          # perform is NumPy already
        self.perform(node, list(inputs), storage)
        return storage[0][0], storage[1][0]

    def grad(self, inputs, output_grads):
        return [None] * len(inputs)


class RandomStream:
    """A source of random variables with one seed (PyTensor's RandomStream).

    Each variable it makes has its own generator state, seeded from the
    stream's seed in creation order.
    """

    def __init__(self, seed=None):
        self.default_seed = seed
        self.state_updates = []            # (shared state, next state) per variable
        self._seeds = np.random.SeedSequence(seed)

    def seed(self, seed=None):
        """Restart every state of this stream from ``seed`` (default: the first seed)."""
        self._seeds = np.random.SeedSequence(self.default_seed if seed is None else seed)
        for state, _ in self.state_updates:
            state.set_value(state_from_seed(self._seeds.spawn(1)[0]), borrow=True)

    def updates(self):
        """The (state, next state) pairs, for ``function(updates=...)`` by hand."""
        return list(self.state_updates)

    def gen(self, dist, size, dtype, *params):
        """A random variable drawn from ``dist`` (a key of DISTRIBUTIONS)."""
        params = [as_tensor_variable(p) for p in params]
        if size is None or (isinstance(size, (tuple, list)) and len(size) == 0):
            size_vec = np.zeros(0, dtype="int64")
            ndim = max([p.ndim for p in params], default=0)
        else:
            size = (size,) if isinstance(size, (int, np.integer)) else size
            size_vec, static = as_shape_vector(size)
            ndim = len(static)
        if dist == "permutation":
            ndim = max(1, params[0].ndim)
        elif dist == "permutations":
            ndim += 1
        state = GeneratorStateSharedVariable(TensorType("uint64", shape=(None,)),
                                             state_from_seed(self._seeds.spawn(1)[0]),
                                             name="rng_state", borrow=True)
        next_state, value = RandomVariable(dist, np.dtype(dtype).name, ndim)(
            state, size_vec, *params)
        state.default_update = next_state
        value.rng = state                 # Theano's rv.rng
        self.state_updates.append((state, next_state))
        return value

    def uniform(self, low=0.0, high=1.0, size=None, dtype=None):
        return self.gen("uniform", size, dtype or config.floatX, low, high)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=None):
        return self.gen("normal", size, dtype or config.floatX, loc, scale)

    def binomial(self, n=1, p=0.5, size=None, dtype="int64"):
        return self.gen("binomial", size, dtype, n, p)

    def integers(self, low=0, high=None, size=None, dtype="int64"):
        """Integers in [low, high) (high=None: in [0, low))."""
        low, high = (0, low) if high is None else (low, high)
        return self.gen("integers", size, dtype, low, high)

    def choice(self, a, size=None, replace=True, p=None, dtype="int64"):
        """Elements of ``a`` (or of range(a) for an int), with probabilities p."""
        extra = [] if p is None else [p]
        return self.gen("choice", size, dtype, a, bool(replace), *extra)

    def permutation(self, x, dtype="int64"):
        """A shuffled range(x) for an int, a shuffled copy for a vector."""
        x = as_tensor_variable(x)
        return self.gen("permutation", None, dtype if x.ndim == 0 else x.dtype, x)
