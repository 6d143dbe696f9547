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


class PCG64States:
    """cytensor's own generator: NumPy's PCG64 behind a Generator.

    The state array: the 128-bit state and increment as four uint64 words,
    then has_uint32 and uinteger.

    Examples
    --------
    >>> from cytensor.tensor.random import PCG64States
    >>> state = PCG64States.from_seed(0)
    >>> state.dtype, state.shape
    (dtype('uint64'), (6,))
    """

    name = "pcg64"
    _bitgen = np.random.PCG64(0)          # reused: its state is set before every draw
    _numpy = np.random.Generator(_bitgen)
    draws = {
        "uniform": lambda rng, size, low, high: rng.uniform(low, high, size),
        "normal": lambda rng, size, loc, scale: rng.normal(loc, scale, size),
        "binomial": lambda rng, size, n, p: rng.binomial(n, p, size),
        "integers": lambda rng, size, low, high: rng.integers(low, high, size=size),
        "choice": lambda rng, size, a, replace, *p: rng.choice(
            _int_or_array(a), size, bool(replace), p[0] if p else None),
        "permutation": lambda rng, size, x: rng.permutation(_int_or_array(x)),
        # Theano's permutation(size, n): one shuffled range(n) for each index of size
        "permutations": lambda rng, size, n: rng.permuted(
            np.tile(np.arange(int(n)), (size or ()) + (1,)), axis=-1),
    }

    @classmethod
    def from_seed(cls, seed):
        return cls._array(np.random.PCG64(seed).state)

    @classmethod
    def _array(cls, state):
        s, inc = state["state"]["state"], state["state"]["inc"]
        return np.array([s >> 64, s & _MASK64, inc >> 64, inc & _MASK64,
                         state["has_uint32"], state["uinteger"]], dtype=np.uint64)

    @classmethod
    def load(cls, array):
        """The shared Generator, set to the state held in ``array``."""
        a = [int(v) for v in array]
        cls._bitgen.state = {"bit_generator": "PCG64",
                             "state": {"state": (a[0] << 64) | a[1],
                                       "inc": (a[2] << 64) | a[3]},
                             "has_uint32": a[4], "uinteger": a[5]}
        return cls._numpy

    @classmethod
    def save(cls):
        return cls._array(cls._bitgen.state)


class MT19937States:
    """Theano's generator: a NumPy RandomState (MT19937), whose legacy
    methods give the numbers Theano's RandomStreams gave for the same seeds.

    The state array: the 624 key words, then pos, has_gauss and the cached
    gaussian's float64 bits.

    Examples
    --------
    >>> from cytensor.tensor.random import MT19937States
    >>> MT19937States.from_seed(0).shape
    (627,)
    """

    name = "mt19937"
    _numpy = np.random.RandomState(0)
    draws = {
        "uniform": lambda rng, size, low, high: rng.uniform(low, high, size),
        "normal": lambda rng, size, loc, scale: rng.normal(loc, scale, size),
        "binomial": lambda rng, size, n, p: rng.binomial(n, p, size),
        "integers": lambda rng, size, low, high: rng.randint(low, high, size),
        "choice": lambda rng, size, a, replace, *p: rng.choice(
            _int_or_array(a), size, bool(replace), p[0] if p else None),
        "permutation": lambda rng, size, x: rng.permutation(_int_or_array(x)),
        # as Theano drew them: one permutation per index of size, in C order
        "permutations": lambda rng, size, n: np.array(
            [rng.permutation(int(n)) for _ in np.ndindex(*(size or ()))]
        ).reshape((size or ()) + (int(n),)),
    }

    @classmethod
    def from_seed(cls, seed):
        return cls._array(np.random.RandomState(seed).get_state(legacy=True))

    @classmethod
    def _array(cls, state):
        _, keys, pos, has_gauss, gauss = state
        tail = np.array([pos, has_gauss, np.float64(gauss).view(np.uint64)], dtype=np.uint64)
        return np.concatenate([keys.astype(np.uint64), tail])

    @classmethod
    def load(cls, array):
        gauss = np.uint64(array[626]).view(np.float64)
        cls._numpy.set_state(("MT19937", array[:624].astype(np.uint32), int(array[624]),
                              int(array[625]), float(gauss)))
        return cls._numpy

    @classmethod
    def save(cls):
        return cls._array(cls._numpy.get_state(legacy=True))


GENERATORS = {g.name: g for g in (PCG64States, MT19937States)}
_STATE_LENGTHS = {6: PCG64States, 627: MT19937States}


def state_from_seed(seed, generator="pcg64"):
    """The state array of ``generator`` seeded by ``seed``.

    Parameters
    ----------
    seed : int, SeedSequence or None
        As NumPy's generators take it.
    generator : {'pcg64', 'mt19937'}
        cytensor's own generator, or Theano's.

    Returns
    -------
    numpy.ndarray
        A uint64 vector: the value of a random variable's state (``rv.rng``).

    Raises
    ------
    KeyError
        For another generator.

    Examples
    --------
    >>> from cytensor.tensor.random import state_from_seed
    >>> a, b = state_from_seed(7), state_from_seed(7)
    >>> bool((a == b).all()), len(state_from_seed(7, 'mt19937'))
    (True, 627)
    """
    return GENERATORS[generator].from_seed(seed)


class GeneratorState(np.ndarray):
    """A state array as ``rv.rng.get_value()`` gives it, with the methods of
    Theano's NumPy RandomState that the tutorials call on it: ``seed`` to
    reseed, ``get_state``/``set_state`` to save and restore.  With
    ``get_value(borrow=True)`` they change the shared state itself.

    Examples
    --------
    >>> from cytensor.tensor.shared_randomstreams import RandomStreams
    >>> rv = RandomStreams(seed=234).uniform((2,))
    >>> f = theano.function([], rv)
    >>> saved = rv.rng.get_value().get_state()
    >>> first = f()
    >>> rv.rng.get_value(borrow=True).set_state(saved)
    >>> bool((f() == first).all())
    True
    """

    def seed(self, seed=None):
        self[:] = _STATE_LENGTHS[len(self)].from_seed(seed)

    def get_state(self):
        return np.array(self)

    def set_state(self, state):
        self[:] = state


class GeneratorStateSharedVariable(TensorSharedVariable):
    """The shared variable holding a random variable's state (``rv.rng``).

    Its ``get_value`` gives a :class:`GeneratorState`. Made by the streams,
    with the state's update as its ``default_update``.

    Parameters
    ----------
    type, value, name, strict, allow_downcast, borrow
        As for :class:`~cytensor.SharedVariable`.

    Examples
    --------
    >>> from cytensor.tensor.random import RandomStream
    >>> rv = RandomStream(seed=1).normal(size=(2,))
    >>> type(rv.rng).__name__, type(rv.rng.get_value()).__name__
    ('GeneratorStateSharedVariable', 'GeneratorState')
    """

    def get_value(self, borrow=False, return_internal_type=False):
        return super().get_value(borrow, return_internal_type).view(GeneratorState)


def _int_or_array(a):
    """NumPy reads a 0-d array as a sequence here; a number means range(a)."""
    return int(a) if a.ndim == 0 else a


class RandomVariable(Op):
    """One distribution's op: ``(state, size, *params) -> (next state, sample)``.

    ``size`` is an int64 vector (empty: the shape the parameters broadcast
    to); ``generator`` is a key of ``GENERATORS``, the kind of state the op
    reads. Made by the methods of
    :class:`cytensor.tensor.shared_randomstreams.RandomStreams`.

    Parameters
    ----------
    dist : str
        The distribution ('uniform', 'normal', 'binomial', 'integers', ...).
    dtype : str
        The sample's dtype.
    ndim : int
        The sample's rank.
    generator : {'pcg64', 'mt19937'}
        The kind of state it reads.

    Examples
    --------
    >>> from cytensor.tensor.random import RandomStream, RandomVariable
    >>> rv = RandomStream(seed=1).uniform(size=(3,))
    >>> isinstance(rv.owner.op, RandomVariable), str(rv.owner.op)
    (True, 'RandomVariable{uniform,float64}')
    """

    __props__ = ("dist", "dtype", "ndim", "generator")

    def __init__(self, dist, dtype, ndim, generator="pcg64"):
        self.dist, self.dtype, self.ndim, self.generator = dist, dtype, ndim, generator

    def __str__(self):
        return f"RandomVariable{{{self.dist},{self.dtype}}}"

    def make_node(self, state, size, *params):
        state, size = as_tensor_variable(state), as_tensor_variable(size)
        params = [as_tensor_variable(p) for p in params]
        value = TensorType(self.dtype, shape=(None,) * self.ndim)()
        return Apply(self, [state, size] + params, [state.type(), value])

    def perform(self, node, inputs, output_storage):
        state, size, params = inputs[0], inputs[1], inputs[2:]
        generator = GENERATORS[self.generator]
        rng = generator.load(state)
        size = tuple(int(s) for s in size) or None
        try:
            value = generator.draws[self.dist](rng, size, *params)
        except ValueError as e:
            raise ValueError(f"random {self.dist} with size {size}: {e}") from None
        output_storage[0][0] = generator.save()
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
    stream's seed in creation order: PCG64 states seeded by spawned
    SeedSequences.  Subclasses change ``generator`` and ``_seeder``.  A
    function using a variable advances its state after each call (the
    state's default update), so each call draws new numbers.

    Parameters
    ----------
    seed : int or None
        The stream's seed (None: fresh entropy).

    Examples
    --------
    >>> from cytensor.tensor.random import RandomStream
    >>> srng = RandomStream(seed=42)
    >>> x = srng.normal(0.0, 1.0, size=(3,))
    >>> f = theano.function([], x)
    >>> first = f()
    >>> bool((f() != first).all())
    True
    >>> srng.seed(42)
    >>> bool((f() == first).all())
    True
    >>> srng.integers(0, 10, size=(4,)).dtype
    'int64'
    """

    generator = "pcg64"

    def __init__(self, seed=None):
        self.default_seed = seed
        self.state_updates = []            # (shared state, next state) per variable
        self._seeds = self._seeder(seed)

    @staticmethod
    def _seeder(seed):
        """A function giving the seed of each next variable's state."""
        sequence = np.random.SeedSequence(seed)
        return lambda: sequence.spawn(1)[0]

    def seed(self, seed=None):
        """Restart every state of this stream from ``seed`` (default: the first seed).

        Parameters
        ----------
        seed : int, optional
            The new seed.

        Returns
        -------
        None

        Examples
        --------
        >>> from cytensor.tensor.random import RandomStream
        >>> srng = RandomStream(seed=3)
        >>> f = theano.function([], srng.uniform(size=(2,)))
        >>> a = f(); srng.seed(); b = f()
        >>> bool((a == b).all())
        True
        """

        self._seeds = self._seeder(self.default_seed if seed is None else seed)
        for state, _ in self.state_updates:
            state.set_value(state_from_seed(self._seeds(), self.generator), borrow=True)

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
        state = GeneratorStateSharedVariable(
            TensorType("uint64", shape=(None,)),
            state_from_seed(self._seeds(), self.generator), name="rng_state", borrow=True)
        next_state, value = RandomVariable(dist, np.dtype(dtype).name, ndim, self.generator)(
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
