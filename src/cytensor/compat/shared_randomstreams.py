"""Theano's ``RandomStreams``: a RandomStream with Theano's argument order
(size first, then the parameters), Theano's default dtypes and Theano's
numbers.

Theano seeded a NumPy ``RandomState(seed)`` for the stream, and each new
random variable got its own ``RandomState`` seeded with the next
``randint(2**30)`` of it; ``seed(s)`` redid that for every variable in
creation order.  Drawing then called the RandomState's legacy methods.
This stream does the same (its states are MT19937 states), so a script
gets the numbers it got under Theano.  ``cytensor.tensor.random.RandomStream``
keeps cytensor's own PCG64 generator.
"""
import numpy as np

from ..config import config
from ..tensor import math as tm
from ..tensor.random import RandomStream


class RandomStreams(RandomStream):
    """Theano's random streams: ``srng = RandomStreams(seed=234); rv = srng.uniform((2, 2))``.

    The methods take the size first, then the distribution's parameters,
    and draw the numbers Theano drew for the same seed.

    Parameters
    ----------
    seed : int or None
        The stream's seed.

    Examples
    --------
    >>> from cytensor.tensor.shared_randomstreams import RandomStreams
    >>> srng = RandomStreams(seed=234)
    >>> rv_u = srng.uniform((2,))
    >>> f = theano.function([], rv_u)
    >>> f()
    array([0.12672381, 0.97091597])
    >>> f()                              # the state moved on: new numbers
    array([0.13989098, 0.88754825])
    >>> srng.seed(234)
    >>> f()
    array([0.12672381, 0.97091597])
    """


    generator = "mt19937"

    @staticmethod
    def _seeder(seed):
        master = np.random.RandomState(seed)
        return lambda: int(master.randint(2 ** 30))

    def uniform(self, size=(), low=0.0, high=1.0, ndim=None, dtype=None):
        return self.gen("uniform", size, dtype or config.floatX, low, high)

    def normal(self, size=(), avg=0.0, std=1.0, ndim=None, dtype=None):
        return self.gen("normal", size, dtype or config.floatX, avg, std)

    def binomial(self, size=(), n=1, p=0.5, ndim=None, dtype="int64"):
        return self.gen("binomial", size, dtype, n, p)

    def random_integers(self, size=(), low=0, high=1, ndim=None, dtype="int64"):
        """Integers in [low, high], both ends included (Theano's rule)."""
        return self.gen("integers", size, dtype, low, tm.add(high, 1))

    def choice(self, size=(), a=2, replace=True, p=None, ndim=None, dtype="int64"):
        return super().choice(a, size, replace, p, dtype)

    def permutation(self, size=(), n=1, ndim=None, dtype="int64"):
        """Shuffled range(n): one (size=()), or one for each index of ``size``
        (shape size + (n,))."""
        if size in ((), None):
            return super().permutation(n, dtype)
        return self.gen("permutations", size, dtype, n)
