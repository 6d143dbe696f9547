"""Theano's ``RandomStreams``: a RandomStream with Theano's argument order
(size first, then the parameters) and Theano's default dtypes."""
from ..config import config
from ..tensor.random import RandomStream


class RandomStreams(RandomStream):
    """``srng = RandomStreams(seed=234); rv = srng.uniform((2, 2))``."""

    def __init__(self, seed=None):
        super().__init__(seed)

    def uniform(self, size=(), low=0.0, high=1.0, ndim=None, dtype=None):
        return self.gen("uniform", size, dtype or config.floatX, low, high)

    def normal(self, size=(), avg=0.0, std=1.0, ndim=None, dtype=None):
        return self.gen("normal", size, dtype or config.floatX, avg, std)

    def binomial(self, size=(), n=1, p=0.5, ndim=None, dtype="int64"):
        return self.gen("binomial", size, dtype, n, p)

    def random_integers(self, size=(), low=0, high=1, ndim=None, dtype="int64"):
        """Integers in [low, high], both ends included (Theano's rule)."""
        from ..tensor import math as tm
        return self.gen("integers", size, dtype, low, tm.add(high, 1))

    def choice(self, size=(), a=2, replace=True, p=None, ndim=None, dtype="int64"):
        return super().choice(a, size, replace, p, dtype)

    def permutation(self, size=(), n=1, ndim=None, dtype="int64"):
        """Shuffled range(n): one (size=()), or one for each index of ``size``
        (shape size + (n,))."""
        if size in ((), None):
            return super().permutation(n, dtype)
        return self.gen("permutations", size, dtype, n)
